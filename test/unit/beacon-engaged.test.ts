// Engaged time: the pure state machine, and the tracker that drives it from a
// page, under fake timers. Minutes here are simulated, never waited for.
import { JSDOM } from 'jsdom';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { activity, advance, engagement, goIdle, isEngaged, setOwner, setVisible, take } from '../../plugin/beacon/engaged.ts';
import { track, type Tracker } from '../../plugin/beacon/tracker.ts';
import { tabChannel } from '../../plugin/beacon/tabs.ts';

const S = 1000;
const MIN = 60 * S;
const IDLE = 2 * MIN;
const BEAT = MIN;

describe('engagement state machine', () => {
  const on = (t = 0) => {
    const e = engagement(IDLE, t);
    setVisible(e, t, true);
    setOwner(e, t, true);
    return e;
  };

  it('counts nothing until the page is visible, owned and active', () => {
    const e = engagement(IDLE, 0);
    activity(e, 0);
    expect(take(e, MIN)).toBe(0);
    setVisible(e, MIN, true);
    activity(e, MIN);
    expect(take(e, 2 * MIN)).toBe(0); // not the tab holding the clock
    setOwner(e, 2 * MIN, true);
    activity(e, 2 * MIN);
    expect(take(e, 3 * MIN)).toBe(MIN);
  });

  it('counts up to the idle timeout after the last activity, then stops', () => {
    const e = on();
    activity(e, 0);
    expect(isEngaged(e, IDLE - 1)).toBe(true);
    expect(isEngaged(e, IDLE)).toBe(false);
    expect(take(e, 10 * MIN)).toBe(IDLE);
    expect(take(e, 20 * MIN)).toBe(0);
  });

  it('activity within the timeout keeps counting wall time', () => {
    const e = on();
    for (let t = 0; t <= 10 * MIN; t += 90 * S) activity(e, t);
    // last activity at 9 min; counts to 9 min + IDLE
    expect(take(e, 30 * MIN)).toBe(9 * MIN + IDLE);
  });

  it('hidden time does not count, and showing again needs activity to count', () => {
    const e = on();
    activity(e, 0);
    setVisible(e, 30 * S, false);
    expect(take(e, 10 * MIN)).toBe(30 * S);
    setVisible(e, 10 * MIN, true);
    expect(take(e, 11 * MIN)).toBe(0); // last activity long ago
    activity(e, 11 * MIN);
    expect(take(e, 12 * MIN)).toBe(MIN);
  });

  it('going idle (another window took focus) stops counting at once', () => {
    const e = on();
    activity(e, 0);
    goIdle(e, 20 * S);
    expect(take(e, 5 * MIN)).toBe(20 * S);
  });

  it('a clock that jumps backwards counts nothing negative', () => {
    const e = on(10 * MIN);
    activity(e, 10 * MIN);
    advance(e, 5 * MIN);
    expect(take(e, 11 * MIN)).toBe(MIN);
  });
});

interface Tab {
  dom: JSDOM;
  tracker: Tracker;
  reports: number[];
  navs: number;
  hides: number;
  claims: number;
  setVisible(v: boolean): void;
  act(type?: string): void;
  total(): number;
}

/** A page in jsdom with the tracker installed; `others` receive its claims like a BroadcastChannel would. */
function tab(path = '/courses/1', others: Tab[] = []): Tab {
  const dom = new JSDOM('<!DOCTYPE html><body><iframe></iframe><button>x</button></body>', { url: `https://lms.example.edu${path}` });
  const doc = dom.window.document;
  let visible = true;
  Object.defineProperty(doc, 'visibilityState', { configurable: true, get: () => (visible ? 'visible' : 'hidden') });
  const t: Tab = {
    dom,
    tracker: undefined as unknown as Tracker,
    reports: [],
    navs: 0,
    hides: 0,
    claims: 0,
    setVisible(v) {
      visible = v;
      doc.dispatchEvent(new dom.window.Event('visibilitychange'));
    },
    act(type = 'pointermove') {
      doc.dispatchEvent(new dom.window.Event(type));
    },
    total: () => t.reports.reduce((a, b) => a + b, 0),
  };
  t.tracker = track({
    idleMs: IDLE,
    beatMs: BEAT,
    win: dom.window as unknown as Window,
    doc: doc as unknown as Document,
    report: (ms) => void t.reports.push(ms),
    nav: () => void t.navs++,
    hide: () => void t.hides++,
    claim: () => {
      t.claims++;
      for (const o of others) if (o !== t) o.tracker.yieldClock();
    },
  });
  return t;
}

/** Activity every `every` ms for `ms`, advancing fake time. */
function activeFor(t: Tab, ms: number, every = 10 * S) {
  for (let done = 0; done < ms; done += every) {
    t.act();
    vi.advanceTimersByTime(every);
  }
}

describe('tracker in a page, with fake timers', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: new Date('2026-11-23T14:00:00Z') });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('an active visible tab reports a heartbeat of engaged time each minute', () => {
    const t = tab();
    activeFor(t, 5 * MIN);
    expect(t.reports).toEqual([MIN, MIN, MIN, MIN, MIN]);
  });

  it('an idle tab stops: the trailing idle window is reported, then no timers and no reports', () => {
    const t = tab();
    t.act();
    vi.advanceTimersByTime(30 * MIN);
    expect(t.total()).toBe(IDLE);
    expect(t.reports.length).toBe(2);
    // Nothing scheduled while idle: an idle page does no work.
    expect(vi.getTimerCount()).toBe(0);
    t.act();
    vi.advanceTimersByTime(MIN);
    expect(t.reports.at(-1)).toBe(MIN);
  });

  it('a hidden tab reports what it had at once, asks for delivery, and then counts nothing', () => {
    const t = tab();
    activeFor(t, 90 * S);
    t.setVisible(false);
    expect(t.hides).toBe(1);
    expect(t.total()).toBe(90 * S);
    vi.advanceTimersByTime(20 * MIN);
    expect(t.total()).toBe(90 * S);
    expect(vi.getTimerCount()).toBe(0);
    t.setVisible(true); // coming back is activity
    vi.advanceTimersByTime(MIN);
    expect(t.total()).toBe(150 * S);
  });

  it('keyboard, scrolling and playing media count as activity', () => {
    for (const type of ['keydown', 'scroll', 'timeupdate']) {
      const t = tab();
      for (let i = 0; i < 10; i++) {
        t.act(type);
        vi.advanceTimersByTime(MIN);
      }
      expect(t.total(), type).toBe(10 * MIN);
    }
  });

  it('single-page navigation reports the time so far, then a new page view; same-path replaceState does not', () => {
    const t = tab('/courses/1/modules');
    activeFor(t, 30 * S);
    const h = t.dom.window.history;
    h.replaceState({}, '', '/courses/1/modules?tab=2');
    expect(t.navs).toBe(0);
    h.pushState({}, '', '/courses/2/assignments');
    expect(t.navs).toBe(1);
    expect(t.total()).toBe(30 * S);
    h.pushState({}, '', '/courses/2/assignments/9');
    expect(t.navs).toBe(2);
  });

  it('back/forward (popstate) is a navigation too', () => {
    const t = tab('/courses/1');
    const w = t.dom.window;
    // Change the URL underneath the tracker's pushState hook, as the browser does on Back.
    w.History.prototype.pushState.call(w.history, {}, '', '/courses/1/grades');
    expect(t.navs).toBe(0);
    w.dispatchEvent(new w.PopStateEvent('popstate'));
    expect(t.navs).toBe(1);
  });

  it('focus moving into an embedded frame keeps counting; leaving for another window stops at once', () => {
    const t = tab();
    t.act();
    t.dom.window.document.querySelector('iframe')!.focus();
    t.dom.window.dispatchEvent(new t.dom.window.Event('blur'));
    vi.advanceTimersByTime(MIN);
    expect(t.total()).toBe(MIN);
    (t.dom.window.document.activeElement as HTMLElement | null)?.blur();
    t.dom.window.document.querySelector('button')!.focus();
    t.dom.window.dispatchEvent(new t.dom.window.Event('blur'));
    vi.advanceTimersByTime(5 * MIN);
    expect(t.total()).toBe(MIN);
  });

  it('two visible tabs of one student are not double-counted: the one last used holds the clock', () => {
    const tabs: Tab[] = [];
    const a = tab('/courses/1', tabs);
    tabs.push(a);
    const b = tab('/courses/2', tabs); // opening B takes the clock from A
    tabs.push(b);
    // A used for a minute, then B for a minute, then A again, then nothing.
    activeFor(a, MIN);
    activeFor(b, MIN);
    activeFor(a, MIN);
    vi.advanceTimersByTime(30 * MIN);
    // One student's wall time: 3 minutes active (last activity at 2:50) + the idle window once.
    expect(a.total() + b.total()).toBe(2 * MIN + 50 * S + IDLE);
    // Without coordination each tab would have counted its own idle window too.
    expect(b.total()).toBe(MIN);
  });

  it('tabs announce on a real BroadcastChannel, and a tab does not hear itself', async () => {
    let heardA = 0;
    let heardB = 0;
    const claimA = tabChannel(() => heardA++, 'rl-test');
    tabChannel(() => heardB++, 'rl-test');
    vi.useRealTimers();
    claimA();
    for (let i = 0; i < 50 && heardB === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(heardB).toBe(1);
    expect(heardA).toBe(0);
  });
});
