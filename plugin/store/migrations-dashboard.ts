// Migrations owned by the attendance dashboard (plugin/dashboard). Appended after the core ones.
import type { Kysely } from 'kysely';
export const DASHBOARD_MIGRATIONS: { id: string; up: (db: Kysely<any>) => Promise<void> }[] = [];
