// The service worker's IndexedDB: settings (including the credential, which
// content scripts can never read from here), the last status of each course,
// and the outbox of flags not yet acknowledged by the plugin.
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import type { RaiseFlag, RosterStatus } from '../../shared/api.ts';

export interface OutboxItem {
  clientRequestId: string;
  body: RaiseFlag;
  /** Whose flag this is: delivered only while the same person is signed in to the same plugin. */
  identity: string;
  queuedAt: number;
  attempts: number;
}

export interface FailedItem {
  clientRequestId: string;
  body: RaiseFlag;
  error: string;
}

interface Schema extends DBSchema {
  kv: { key: string; value: unknown };
  statuses: { key: string; value: { key: string; status: RosterStatus; fetchedAt: number } };
  outbox: { key: string; value: OutboxItem; indexes: { byQueuedAt: number } };
}

let dbp: Promise<IDBPDatabase<Schema>> | null = null;

export function db(): Promise<IDBPDatabase<Schema>> {
  dbp ??= openDB<Schema>('rosterlens', 1, {
    upgrade(d) {
      d.createObjectStore('kv');
      d.createObjectStore('statuses', { keyPath: 'key' });
      d.createObjectStore('outbox', { keyPath: 'clientRequestId' }).createIndex('byQueuedAt', 'queuedAt');
    },
  });
  return dbp;
}

export async function kvGet<T>(key: string): Promise<T | undefined> {
  return (await (await db()).get('kv', key)) as T | undefined;
}

export async function kvSet(key: string, value: unknown): Promise<void> {
  await (await db()).put('kv', value, key);
}

export async function kvDelete(key: string): Promise<void> {
  await (await db()).delete('kv', key);
}
