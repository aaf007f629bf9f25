// Flags raised while the plugin is unreachable. Every raise is written here
// first and removed only when the plugin has answered, so a service worker
// stopped mid-request retries it; the clientRequestId makes every retry the
// same raise on the server, so each flag is created exactly once.
import type { RaiseFlag, RaiseFlagResult } from '../../shared/api.ts';
import type { RaiseReply } from '../lib/messages.ts';
import { call } from './api.ts';
import { db, kvGet, kvSet, type FailedItem, type OutboxItem } from './db.ts';
import { identityOf, type Session } from './settings.ts';

export function newClientRequestId(): string {
  return `rl-${crypto.randomUUID()}`;
}

export async function failed(): Promise<FailedItem[]> {
  return (await kvGet<FailedItem[]>('failed')) ?? [];
}

async function recordFailure(item: OutboxItem, error: string) {
  const list = await failed();
  list.push({ clientRequestId: item.clientRequestId, body: item.body, error });
  await kvSet('failed', list.slice(-50));
}

export async function queuedCount(): Promise<number> {
  return (await db()).count('outbox');
}

/** Sends one outbox item; true when it is settled (delivered or refused for good). */
async function deliver(s: Session, item: OutboxItem): Promise<{ settled: boolean; reply: RaiseReply }> {
  const r = await call<RaiseFlagResult>(s.pluginUrl, s.token, '/flags', { method: 'POST', body: item.body });
  const d = await db();
  if (r.ok) {
    await d.delete('outbox', item.clientRequestId);
    return { settled: true, reply: { ok: true, result: r.value } };
  }
  if (r.retryable) {
    await d.put('outbox', { ...item, attempts: item.attempts + 1 });
    return { settled: false, reply: { ok: true, queued: true, clientRequestId: item.clientRequestId } };
  }
  await d.delete('outbox', item.clientRequestId);
  await recordFailure(item, r.error.message);
  return { settled: true, reply: { ok: false, error: r.error } };
}

export async function raise(s: Session, body: RaiseFlag): Promise<RaiseReply> {
  const item: OutboxItem = { clientRequestId: body.clientRequestId ?? newClientRequestId(), body: { ...body }, identity: identityOf(s), queuedAt: Date.now(), attempts: 0 };
  item.body.clientRequestId = item.clientRequestId;
  await (await db()).put('outbox', item);
  return (await deliver(s, item)).reply;
}

let flushing: Promise<number> | null = null;
let again = false;

/** One pass over what is queued for this person, oldest first; stops at the first sign the plugin is still away. */
async function flushOnce(s: Session): Promise<number> {
  const d = await db();
  const items = await d.getAllFromIndex('outbox', 'byQueuedAt');
  for (const item of items) {
    if (item.identity !== identityOf(s)) continue;
    const { settled } = await deliver(s, item);
    if (!settled) break;
  }
  return d.count('outbox');
}

/**
 * Delivers what is queued for this person. A call while a pass is running is
 * not dropped: it makes the running pass go round once more, because the
 * plugin may have come back after that pass met it away. Returns how many remain.
 */
export function flush(s: Session): Promise<number> {
  if (flushing) {
    again = true;
    return flushing;
  }
  flushing = (async () => {
    try {
      let remaining: number;
      do {
        again = false;
        remaining = await flushOnce(s);
      } while (again && remaining > 0);
      return remaining;
    } finally {
      flushing = null;
    }
  })();
  return flushing;
}
