// Migrations owned by the LTI 1.3 tool (plugin/sources/lti). Appended after the core ones.
import type { Kysely } from 'kysely';
export const LTI_MIGRATIONS: { id: string; up: (db: Kysely<any>) => Promise<void> }[] = [];
