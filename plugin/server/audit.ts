// The audit log: who read and changed what. Entries name people by their
// credential label and students by LMS id only.
import type { Store } from '../store/store.ts';
import type { Principal } from './principal.ts';

export async function audit(store: Store, p: Principal, action: string, target: string, detail: Record<string, unknown> | null, now: number): Promise<void> {
  await store.appendAudit([
    { tenant: p.tenant, at: now, actor: `${p.role}:${p.label} (${p.credentialId})`, action, target, detail: detail ? JSON.stringify(detail) : null },
  ]);
}
