// The signals not yet acknowledged, kept in IndexedDB so a student offline
// for days loses nothing. Bounded: when full the oldest go, and the count of
// dropped signals is kept in the `m` store under "dropped".
import type { SignalIn } from '../../shared/signal.ts';

/** 7 school days of one student at 8 engaged hours a day is ~3,400 heartbeats plus page views; this is about 3 weeks' worth. */
export const QUEUE_MAX = 10_000;

export interface Queue {
  add(items: SignalIn[]): Promise<void>;
  /** The oldest `n` signals. */
  peek(n: number): Promise<SignalIn[]>;
  remove(ids: string[]): Promise<void>;
  /** Counts signals dropped for good (queue full, or refused by the server) in `m` under "dropped". */
  noteDropped(n: number): Promise<void>;
}

const done = <T>(r: IDBRequest<T> | IDBTransaction) =>
  new Promise<T>((ok, no) => {
    r.onerror = () => no(r.error);
    if ('oncomplete' in r) r.oncomplete = () => ok(undefined as T);
    else r.onsuccess = () => ok(r.result);
  });

export function openQueue(name = 'rosterlens-beacon', max = QUEUE_MAX): Queue {
  let db: Promise<IDBDatabase> | undefined;
  const tx = async (stores: string[], f: (s: IDBObjectStore[]) => unknown) => {
    if (!db) {
      const r = indexedDB.open(name, 1);
      r.onupgradeneeded = () => {
        r.result.createObjectStore('q', { keyPath: 'id' });
        r.result.createObjectStore('m');
      };
      db = done(r);
    }
    const t = (await db).transaction(stores, 'readwrite');
    const out = f(stores.map((s) => t.objectStore(s)));
    await done(t);
    return out;
  };
  const bump = (m: IDBObjectStore, n: number) => {
    const g = m.get('dropped');
    g.onsuccess = () => m.put((g.result ?? 0) + n, 'dropped');
  };
  return {
    add: (items) =>
      tx(['q', 'm'], ([q, m]) => {
        const c = q!.count();
        c.onsuccess = () => {
          const over = c.result + items.length - max;
          if (over > 0) {
            // Ids sort by time, so the first keys are the oldest signals.
            const k = q!.getAllKeys(null, over);
            k.onsuccess = () => k.result.forEach((key) => q!.delete(key));
            bump(m!, over);
          }
          items.forEach((s) => q!.put(s));
        };
      }) as Promise<void>,
    async peek(n) {
      let r!: IDBRequest<SignalIn[]>;
      await tx(['q'], ([q]) => (r = q!.getAll(null, n)));
      return r.result;
    },
    remove: (ids) => tx(['q'], ([q]) => ids.forEach((id) => q!.delete(id))) as Promise<void>,
    noteDropped: (n) => tx(['m'], ([m]) => bump(m!, n)) as Promise<void>,
  };
}
