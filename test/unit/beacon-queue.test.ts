// The beacon's IndexedDB queue in real Chromium (IndexedDB has no faithful
// Node stand-in): a week of one student's signals fits, and a full queue drops
// the oldest and records how many it dropped.
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QUEUE_MAX } from '../../plugin/beacon/queue.ts';
import { engagement, activity, setOwner, setVisible, take } from '../../plugin/beacon/engaged.ts';

const FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** queue.ts and ids.ts bundled as window.RLQ, the way the beacon build bundles them. */
async function bundle(): Promise<string> {
  const out = (await build({
    configFile: false,
    logLevel: 'silent',
    build: {
      write: false,
      minify: false,
      lib: { entry: fileURLToPath(new URL('./beacon-queue-harness.ts', import.meta.url)), formats: ['iife'], name: 'RLQ', fileName: () => 'q.js' },
    },
  })) as { output: { code?: string }[] }[] | { output: { code?: string }[] };
  const first = Array.isArray(out) ? out[0]! : out;
  return first.output[0]!.code!;
}

/**
 * One student's week as the beacon would record it: 7 days of 12 engaged
 * hours (more than any school day), a heartbeat a minute, a page view every
 * 3 minutes and a login each morning — counted with the real state machine.
 */
function weekOfSignals(): number {
  let n = 0;
  for (let day = 0; day < 7; day++) {
    const e = engagement(120_000, 0);
    setVisible(e, 0, true);
    setOwner(e, 0, true);
    n += 1; // login
    for (let t = 0; t < 12 * 3600_000; t += 60_000) {
      activity(e, t);
      if (take(e, t + 60_000) > 0) n++; // heartbeat
      if (t % 180_000 === 0) n++; // page view
    }
  }
  return n;
}

describe('beacon queue in IndexedDB (Chromium)', () => {
  let server: Server;
  let browser: Browser;
  let page: Page;
  let profile: string;

  beforeAll(async () => {
    const js = await bundle();
    server = createServer((req, res) => {
      if (req.url === '/q.js') return res.writeHead(200, { 'content-type': 'text/javascript' }).end(js);
      res.writeHead(200, { 'content-type': 'text/html' }).end('<!DOCTYPE html><script src="/q.js"></script>');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    profile = mkdtempSync(join(tmpdir(), 'rl-queue-chromium-'));
    browser = await puppeteer.launch({ executablePath: '/usr/bin/chromium', headless: true, args: FLAGS, userDataDir: profile });
    page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${port}/`);
  });
  afterAll(async () => {
    await browser?.close();
    server?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  it(`holds a week of one student's signals without dropping any (bound ${QUEUE_MAX})`, async () => {
    const week = weekOfSignals();
    expect(week).toBeLessThan(QUEUE_MAX);
    const r = await page.evaluate(async (n) => {
      const Q = (window as any).RLQ;
      const q = Q.openQueue('week');
      const start = Date.parse('2026-11-16T13:00:00Z');
      // An hour's signals per write (the beacon writes one at a time; the count is what matters here).
      for (let i = 0; i < n; i += 60) {
        const batch = [];
        for (let j = i; j < Math.min(n, i + 60); j++) {
          const t = start + j * 60_000;
          batch.push({ id: Q.signalId(t), user: '5001', course: '4242', at: new Date(t).toISOString(), kind: 'heartbeat', activeMs: 60_000 });
        }
        await q.add(batch);
      }
      return Q.inspect('week');
    }, week);
    expect(r.count).toBe(week);
    expect(r.dropped).toBe(0);
  }, 60_000);

  it('when full, drops the oldest first and records how many it dropped', async () => {
    const r = await page.evaluate(async () => {
      const Q = (window as any).RLQ;
      const q = Q.openQueue('small', 100);
      const start = Date.parse('2026-11-16T13:00:00Z');
      const ids: string[] = [];
      for (let i = 0; i < 130; i += 10) {
        const batch = [];
        for (let j = i; j < i + 10; j++) {
          const id = Q.signalId(start + j * 1000);
          ids.push(id);
          batch.push({ id, user: '5001', course: null, at: new Date(start + j * 1000).toISOString(), kind: 'page_view' });
        }
        await q.add(batch);
      }
      const kept = (await q.peek(1000)).map((s: { id: string }) => s.id);
      return { ids, kept, ...(await Q.inspect('small')) };
    });
    expect(r.count).toBe(100);
    expect(r.dropped).toBe(30);
    // The 100 newest survive, in age order: ids sort by time.
    expect(r.kept).toEqual(r.ids.slice(30));
  });

  it('removes only what it is told, and peek returns the oldest first', async () => {
    const r = await page.evaluate(async () => {
      const Q = (window as any).RLQ;
      const q = Q.openQueue('rm');
      const ids = [3, 1, 2].map((k) => Q.signalId(Date.parse('2026-11-20T13:00:00Z') + k * 1000));
      for (const id of ids) await q.add([{ id, user: '5001', course: '4242', at: new Date().toISOString(), kind: 'heartbeat', activeMs: 1000 }]);
      const first = (await q.peek(2)).map((s: { id: string }) => s.id);
      await q.remove([ids[1]]);
      const after = (await q.peek(10)).map((s: { id: string }) => s.id);
      return { ids, first, after };
    });
    expect(r.first).toEqual([r.ids[1], r.ids[2]]);
    expect(r.after).toEqual([r.ids[2], r.ids[0]]);
  });

  it('a signal id is unique, allowed by the server, and sorts by time across years', async () => {
    const r = await page.evaluate(() => {
      const Q = (window as any).RLQ;
      const ids: string[] = [];
      for (const t of [0, 1, 999, Date.parse('2026-11-23T00:00:00Z'), Date.parse('2099-01-01T00:00:00Z')]) ids.push(Q.signalId(t), Q.signalId(t));
      return ids;
    });
    expect(new Set(r).size).toBe(r.length);
    for (const id of r) expect(id).toMatch(/^[A-Za-z0-9._:~-]{8,128}$/);
    const times = r.map((id: string) => id.slice(0, 9));
    expect([...times].sort()).toEqual(times);
  });
});
