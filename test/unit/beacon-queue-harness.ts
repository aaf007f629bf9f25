// Exposes the beacon's queue to the Chromium queue test, plus a raw look at
// what IndexedDB holds (the beacon itself never needs to read these back).
export { openQueue } from '../../plugin/beacon/queue.ts';
export { signalId } from '../../plugin/beacon/ids.ts';

export function inspect(name: string): Promise<{ count: number; dropped: number }> {
  return new Promise((ok, no) => {
    const r = indexedDB.open(name);
    r.onerror = () => no(r.error);
    r.onsuccess = () => {
      const tx = r.result.transaction(['q', 'm']);
      const c = tx.objectStore('q').count();
      const d = tx.objectStore('m').get('dropped');
      tx.oncomplete = () => {
        r.result.close();
        ok({ count: c.result, dropped: (d.result as number | undefined) ?? 0 });
      };
    };
  });
}
