// Delivery rules of the beacon's sender, with a fake network and an in-memory
// queue: nothing leaves the queue without an acknowledgement, retries back off
// with jitter and honour Retry-After, and refusals are handled for good.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { SignalIn } from '../../shared/signal.ts';
import { SIGNAL_LIMITS } from '../../shared/signal.ts';
import type { Queue } from '../../plugin/beacon/queue.ts';
import { BATCH, sender } from '../../plugin/beacon/sender.ts';

function memQueue(): Queue & { items: SignalIn[]; droppedCount: number } {
  const q = {
    items: [] as SignalIn[],
    droppedCount: 0,
    add: async (s: SignalIn[]) => void q.items.push(...s),
    peek: async (n: number) => q.items.slice(0, n),
    remove: async (ids: string[]) => void (q.items = q.items.filter((s) => !ids.includes(s.id))),
    noteDropped: async (n: number) => void (q.droppedCount += n),
  };
  return q;
}

const sig = (i: number): SignalIn => ({ id: `sig-${String(i).padStart(6, '0')}`, user: '5001', course: '4242', at: new Date().toISOString(), kind: 'heartbeat', activeMs: 60_000 });
const ack = (ids: string[], rejected: string[] = []) =>
  new Response(JSON.stringify({ acknowledged: ids, accepted: ids.length, rejected: rejected.map((id, index) => ({ index, id, reason: 'too_old' })), clockOffsetMs: 0 }), { status: 200 });

describe('beacon sender', () => {
  let online: (() => void) | undefined;
  let fetchMock: ReturnType<typeof vi.fn>;
  let beacons: string[];
  const nav = { onLine: true, sendBeacon: (_u: string, b: string) => (beacons.push(b), true) };

  beforeEach(() => {
    // Only the clock and timeouts: Response bodies are read with Node's own scheduling.
    vi.useFakeTimers({ now: new Date('2026-11-23T14:00:00Z'), toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    beacons = [];
    fetchMock = vi.fn();
    vi.stubGlobal('fetch', fetchMock);
    vi.stubGlobal('navigator', nav);
    vi.stubGlobal('addEventListener', (type: string, f: () => void) => {
      if (type === 'online') online = f;
    });
    nav.onLine = true;
  });
  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllGlobals();
  });

  it('batches stay within the shared limit', () => {
    expect(BATCH).toBeLessThanOrEqual(SIGNAL_LIMITS.maxBatch);
  });

  it('posts text/plain JSON with keepalive and no credentials; forgets only what was acknowledged', async () => {
    const q = memQueue();
    await q.add([sig(1), sig(2), sig(3)]);
    fetchMock.mockImplementation(async () => ack(['sig-000001', 'sig-000003']));
    const s = sender('https://plugin/api/v1/beacon?k=x', q);
    await s.flush();
    const [url, init] = fetchMock.mock.calls[0]!;
    expect(url).toBe('https://plugin/api/v1/beacon?k=x');
    expect(init.keepalive).toBe(true);
    expect(init.credentials).toBe('omit');
    expect(init.headers).toBeUndefined(); // a string body goes as text/plain: no preflight
    expect(JSON.parse(init.body).signals.map((x: SignalIn) => x.id)).toEqual(['sig-000001', 'sig-000002', 'sig-000003']);
    expect(q.items.map((x) => x.id)).toEqual(['sig-000002']);
  });

  it('sends a long backlog in batches until the queue is empty', async () => {
    const q = memQueue();
    await q.add(Array.from({ length: 2 * BATCH + 7 }, (_, i) => sig(i)));
    fetchMock.mockImplementation(async (_u, init) => ack(JSON.parse(init.body).signals.map((x: SignalIn) => x.id)));
    await sender('u', q).flush();
    expect(fetchMock).toHaveBeenCalledTimes(3);
    expect(q.items).toEqual([]);
  });

  it('network failure keeps everything and retries later with growing, jittered waits', async () => {
    const q = memQueue();
    await q.add([sig(1)]);
    const calls: number[] = [];
    fetchMock.mockImplementation(async () => {
      calls.push(Date.now());
      throw new TypeError('Failed to fetch');
    });
    await sender('u', q).flush();
    await vi.advanceTimersByTimeAsync(30 * 60_000);
    expect(q.items).toHaveLength(1);
    const gaps = calls.slice(1).map((t, i) => t - calls[i]!);
    expect(gaps.length).toBeGreaterThan(6);
    // After n failures: 2 s × 2^n, capped at 5 min, with equal jitter (between half and all of it).
    gaps.forEach((gap, i) => {
      const step = Math.min(300_000, 2000 * 2 ** (i + 1));
      expect(gap).toBeGreaterThanOrEqual(step / 2);
      expect(gap).toBeLessThanOrEqual(step);
    });
    // Jitter: students coming back together do not retry in step.
    expect(new Set(gaps.map((g, i) => g / Math.min(300_000, 2000 * 2 ** (i + 1)))).size).toBeGreaterThan(1);
  });

  it('honours Retry-After on 429 and 503, then delivers', async () => {
    const q = memQueue();
    await q.add([sig(1)]);
    fetchMock.mockResolvedValueOnce(new Response('{}', { status: 429, headers: { 'retry-after': '120' } }));
    fetchMock.mockImplementation(async () => ack(['sig-000001']));
    const s = sender('u', q);
    await s.flush();
    await vi.advanceTimersByTimeAsync(119_000);
    await s.flush(); // a heartbeat's flush during the wait does not send
    expect(fetchMock).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(fetchMock).toHaveBeenCalledTimes(2);
    expect(q.items).toEqual([]);
  });

  it('coming back online retries at once, whatever the backoff', async () => {
    const q = memQueue();
    await q.add([sig(1)]);
    fetchMock.mockRejectedValueOnce(new TypeError('offline'));
    fetchMock.mockImplementation(async () => ack(['sig-000001']));
    await sender('u', q).flush();
    expect(q.items).toHaveLength(1);
    online!();
    await vi.advanceTimersByTimeAsync(0);
    expect(q.items).toEqual([]);
  });

  it('while the browser says it is offline no request is made', async () => {
    const q = memQueue();
    await q.add([sig(1)]);
    nav.onLine = false;
    await sender('u', q).flush();
    expect(fetchMock).not.toHaveBeenCalled();
  });

  it('drops a batch the server can never accept (400) and what it rejects for good, and records the drops', async () => {
    const q = memQueue();
    await q.add([sig(1), sig(2)]);
    fetchMock.mockResolvedValueOnce(new Response('{"error":"invalid_request"}', { status: 400 }));
    await sender('u', q).flush();
    expect(q.items).toEqual([]);
    expect(q.droppedCount).toBe(2);
    await q.add([sig(3), sig(4)]);
    fetchMock.mockResolvedValueOnce(ack(['sig-000004'], ['sig-000003']));
    await sender('u', q).flush();
    expect(q.items).toEqual([]);
    expect(q.droppedCount).toBe(3);
  });

  it('a refused key (401) keeps the signals and asks again only after half an hour', async () => {
    const q = memQueue();
    await q.add([sig(1)]);
    fetchMock.mockResolvedValue(new Response('{}', { status: 401 }));
    const s = sender('u', q);
    await s.flush();
    await vi.advanceTimersByTimeAsync(29 * 60_000);
    expect(fetchMock).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(2 * 60_000);
    expect(fetchMock).toHaveBeenCalledTimes(2);
    expect(q.items).toHaveLength(1);
  });

  it("sendBeacon carries this page's unacknowledged signals, once per change", async () => {
    const q = memQueue();
    const s = sender('u', q);
    s.beacon();
    expect(beacons).toHaveLength(0); // nothing held: no request
    s.hold(sig(1));
    s.hold(sig(2));
    s.beacon();
    s.beacon(); // hidden, then closed: the second has nothing new
    expect(beacons).toHaveLength(1);
    expect(JSON.parse(beacons[0]!).signals.map((x: SignalIn) => x.id)).toEqual(['sig-000001', 'sig-000002']);
    // once acknowledged by a fetch, they are no longer held
    await q.add([sig(1), sig(2)]);
    fetchMock.mockImplementation(async () => ack(['sig-000001', 'sig-000002']));
    await s.flush();
    s.hold(sig(3));
    s.beacon();
    expect(JSON.parse(beacons[1]!).signals.map((x: SignalIn) => x.id)).toEqual(['sig-000003']);
  });
});
