// Delivery: batches from the queue go out with keepalive fetch as text/plain
// (a "simple" request: no CORS preflight), leave the queue only when the server
// acknowledges them, and retry with jittered exponential backoff that honours
// Retry-After. On page hide, what this page still holds goes with sendBeacon.
import type { IngestResult, SignalBatch, SignalIn } from '../../shared/signal.ts';
import type { Queue } from './queue.ts';

/** At ~130 bytes a signal this stays under keepalive's 64 KiB in-flight allowance (and SIGNAL_LIMITS.maxBatch). */
export const BATCH = 300;
const KEEPALIVE_BYTES = 60_000;
const BASE_MS = 2_000;
const MAX_MS = 300_000;
/** A refused key (revoked, unknown, wrong origin) is a configuration to fix: ask again rarely. */
const REFUSED_MS = 1_800_000;

export interface Sender {
  /** Sends everything queued, unless a send is under way or a backoff is pending. */
  flush(): Promise<void>;
  /** This page's signals that are not yet acknowledged, sent now by sendBeacon. */
  beacon(): void;
  /** Remembers a signal this page made, for beacon(). */
  hold(s: SignalIn): void;
}

export function sender(url: string, q: Queue, now = Date.now): Sender {
  let busy = false;
  let fails = 0;
  let until = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let held: SignalIn[] = [];
  let beaconed: SignalIn | undefined;
  const body = (signals: SignalIn[]) => JSON.stringify({ signals, sentAt: new Date(now()).toISOString() } satisfies SignalBatch);

  const later = (ms: number) => {
    until = now() + ms;
    clearTimeout(timer);
    timer = setTimeout(() => {
      // The wait is over when the timer says so: a whole-ms clock may still read a hair before `until`.
      until = 0;
      void flush();
    }, ms);
  };
  const backoff = (retryAfter?: string | null) => {
    fails++;
    const exp = Math.min(MAX_MS, BASE_MS * 2 ** fails);
    // Equal jitter: thousands of students coming back online together do not retry in step.
    let ms = exp / 2 + Math.random() * (exp / 2);
    // The plugin sends Retry-After in seconds (never an HTTP date).
    const ra = Number(retryAfter) * 1000;
    if (ra > ms) ms = ra;
    later(ms);
  };
  const forget = async (ids: string[]) => {
    await q.remove(ids);
    const gone = new Set(ids);
    held = held.filter((s) => !gone.has(s.id));
  };

  async function send(): Promise<void> {
    for (;;) {
      const items = await q.peek(BATCH);
      if (!items.length) return;
      const b = body(items);
      let r: Response;
      try {
        // No Content-Type header: a string body is sent as text/plain, which needs no preflight.
        r = await fetch(url, { method: 'POST', body: b, keepalive: b.length < KEEPALIVE_BYTES, credentials: 'omit' });
      } catch {
        return backoff();
      }
      if (r.ok) {
        const res = (await r.json()) as IngestResult;
        fails = 0;
        // Rejected signals (too old, in the future) will never be accepted: drop them too.
        const done = [...res.acknowledged, ...res.rejected.map((x) => x.id)];
        await forget(done);
        if (res.rejected.length) await q.noteDropped(res.rejected.length);
        // Only a full batch means more may wait; an answer that settles none of ours must not loop.
        if (items.length < BATCH) return;
        if (!items.some((s) => done.includes(s.id))) return backoff();
      } else if (r.status === 400 || r.status === 413) {
        // The server will never take this batch; keeping it would block every later signal.
        await forget(items.map((s) => s.id));
        await q.noteDropped(items.length);
      } else if (r.status < 500 && r.status !== 429 && r.status !== 408) {
        return later(REFUSED_MS);
      } else {
        return backoff(r.headers.get('retry-after'));
      }
    }
  }

  async function flush(): Promise<void> {
    if (busy || now() < until || !navigator.onLine) return;
    busy = true;
    try {
      // One tab sends at a time, so two tabs never post the same queued signals together.
      const locks = navigator.locks;
      await (locks ? locks.request('rosterlens-send', { ifAvailable: true }, (l) => l && send()) : send());
    } catch {
      backoff();
    } finally {
      busy = false;
    }
  }

  addEventListener('online', () => {
    fails = 0;
    until = 0;
    void flush();
  });

  return {
    flush,
    hold: (s) => void held.push(s),
    beacon() {
      // What reached IndexedDB is also sent later by fetch; the server's dedupe counts it once.
      // Hiding then closing a tab fires twice; the second has nothing new to say.
      const last = held[held.length - 1];
      if (last && last !== beaconed && navigator.sendBeacon(url, body(held.slice(-BATCH)))) beaconed = last;
    },
  };
}
