// Drives the engagement state machine from the page: visibility, input,
// media, focus, single-page navigation and the other tabs. Timers run only
// while the student is engaged, so an idle or hidden page does no work.
import { activity, engagement, goIdle, isEngaged, setOwner, setVisible, take } from './engaged.ts';

export interface TrackOptions {
  idleMs: number;
  beatMs: number;
  win: Window;
  doc: Document;
  /** Engaged ms since the last report, attributed to the page as it was. */
  report(ms: number): void;
  /** The path changed without a page load. */
  nav(): void;
  /** The page was hidden or is going away: deliver now. */
  hide(): void;
  /** Tell the other tabs this one holds the clock. */
  claim(): void;
}

export interface Tracker {
  /** Another tab took the clock. */
  yieldClock(): void;
  /** Reports what is engaged so far (before a navigation changes the course). */
  flushTime(): void;
}

const ACTIVITY = ['pointerdown', 'pointermove', 'keydown', 'wheel', 'scroll', 'touchstart', 'play', 'timeupdate'];

export function track(o: TrackOptions): Tracker {
  const { win, doc } = o;
  const e = engagement(o.idleMs, Date.now());
  let timer: ReturnType<typeof setTimeout> | undefined;
  let path = win.location.pathname;

  const report = () => {
    const ms = take(e, Date.now());
    if (ms > 0) o.report(ms);
  };
  const tick = () => {
    timer = undefined;
    report();
    if (isEngaged(e, Date.now())) timer = setTimeout(tick, o.beatMs);
  };
  const act = () => {
    const t = Date.now();
    // Mousemove fires many times a second; once a second is enough to know the student is there.
    if (timer && e.o && t - e.l < 1000) return;
    if (!e.o) {
      setOwner(e, t, true);
      o.claim();
    }
    activity(e, t);
    if (e.v && !timer) timer = setTimeout(tick, o.beatMs);
  };
  const checkPath = () => {
    if (win.location.pathname === path) return;
    report();
    path = win.location.pathname;
    o.nav();
  };
  const visibility = () => {
    const visible = doc.visibilityState === 'visible';
    setVisible(e, Date.now(), visible);
    if (visible) return act();
    report();
    o.hide();
  };

  for (const type of ACTIVITY) doc.addEventListener(type, act, { capture: true, passive: true });
  doc.addEventListener('visibilitychange', visibility);
  win.addEventListener('pagehide', () => {
    report();
    o.hide();
  });
  win.addEventListener('focus', act);
  win.addEventListener('blur', () => {
    // Focus moving into an embedded video or document is still this page's work.
    if (doc.activeElement?.tagName === 'IFRAME') return act();
    goIdle(e, Date.now());
  });
  win.addEventListener('popstate', checkPath);
  // Single-page apps navigate with pushState/replaceState, which fire no event.
  const h = win.history;
  for (const m of ['pushState', 'replaceState'] as const) {
    const orig = h[m];
    h[m] = function (this: History, ...args: Parameters<History['pushState']>) {
      orig.apply(this, args);
      checkPath();
    };
  }
  if (doc.visibilityState === 'visible') visibility();

  return {
    yieldClock() {
      setOwner(e, Date.now(), false);
      report();
    },
    flushTime: report,
  };
}
