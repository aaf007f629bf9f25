// The presence beacon: who and where from the page, engaged time from the
// tracker, every signal into the IndexedDB queue first, then to the plugin.
// Nothing here may throw into the LMS page or slow it: all work is in event
// handlers that return at once, and timers run only while the student is engaged.
import type { SignalIn, SignalKind } from '../../shared/signal.ts';
import { readConfig } from './config.ts';
import { readContext } from './context/index.ts';
import type { Ctx } from './context/types.ts';
import { signalId } from './ids.ts';
import { openQueue } from './queue.ts';
import { sender } from './sender.ts';
import { tabChannel } from './tabs.ts';
import { track } from './tracker.ts';

/** A gap this long without a signal starts a new session, which begins with `login` (the web-analytics session rule). */
const SESSION_GAP_MS = 30 * 60 * 1000;

function start(script: HTMLScriptElement): void {
  const cfg = readConfig(script, location.href);
  // Inside a frame the top page already counts this time.
  if (!cfg || self !== top || !window.indexedDB) return;
  const q = openQueue();
  const out = sender(cfg.url, q);
  let ctx: Ctx | null = readContext(window, cfg.lms);

  const emit = (kind: SignalKind, activeMs?: number) => {
    if (!ctx) return Promise.resolve();
    const t = Date.now();
    const s: SignalIn = { id: signalId(t), user: ctx.u, course: ctx.c, at: new Date(t).toISOString(), kind };
    if (activeMs) s.activeMs = activeMs;
    out.hold(s);
    // Kept in memory for sendBeacon too, so a failed write on a closing page still leaves one way out.
    return q.add([s]).catch(() => {});
  };
  const pageView = () => {
    if (!ctx) return;
    try {
      const [u, t] = (localStorage.getItem('rl.s') ?? '').split(' ');
      if (u !== ctx.u || Date.now() - Number(t) > SESSION_GAP_MS) void emit('login');
      localStorage.setItem('rl.s', `${ctx.u} ${Date.now()}`);
    } catch {
      // storage blocked: page views still count, sessions are just not marked
    }
    void emit('page_view');
  };

  let tracker: ReturnType<typeof track> | undefined;
  const claim = tabChannel(() => tracker?.yieldClock());
  pageView();
  tracker = track({
    idleMs: cfg.idleMs,
    beatMs: cfg.beatMs,
    win: window,
    doc: document,
    report: (ms) => void emit('heartbeat', ms).then(out.flush),
    nav() {
      ctx = readContext(window, cfg.lms);
      pageView();
    },
    hide: out.beacon,
    claim,
  });
  document.addEventListener(
    'click',
    (e) => {
      const el = (e.target as Element | null)?.closest?.('a,button');
      if (!/logout/i.test(el?.getAttribute('href') ?? el?.closest('form')?.getAttribute('action') ?? '')) return;
      tracker?.flushTime();
      void emit('logout');
      out.beacon();
    },
    { capture: true, passive: true },
  );
}

try {
  const w = window as Window & { __rosterlens?: 1 };
  // The theme may carry the tag twice (a loader and a direct tag): run once.
  if (!w.__rosterlens && document.currentScript) {
    w.__rosterlens = 1;
    start(document.currentScript as HTMLScriptElement);
  }
} catch {
  // never break the LMS page
}
