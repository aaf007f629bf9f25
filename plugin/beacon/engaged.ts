// Engaged time as web analytics measures it, as a small state machine over
// explicit times so it can be tested without a browser or real clocks.
// Time counts while the page is visible, this tab holds the clock (see
// tabs.ts), and the last sign of the user (input, scroll, playing media) is
// at most `idle` ms old. Reading a page without touching it counts for up to
// `idle`; a student who walks away adds at most `idle`, never more.

export interface Engagement {
  /** Page visible. */
  v: boolean;
  /** This tab holds the student's clock. */
  o: boolean;
  /** Time of the last activity. */
  l: number;
  /** Counted up to here. */
  m: number;
  /** Engaged ms not yet taken. */
  a: number;
  /** Idle timeout in ms. */
  i: number;
}

export function engagement(idleMs: number, t: number): Engagement {
  // Starts hidden, unowned and idle: nothing counts until the page says otherwise.
  return { v: false, o: false, l: -Infinity, m: t, a: 0, i: idleMs };
}

/** Counts the time from the last mark to `t` that was engaged. */
export function advance(e: Engagement, t: number): void {
  // A clock that went backwards (device time changed) counts nothing rather than negative time.
  const end = Math.min(t, e.l + e.i);
  if (e.v && e.o && end > e.m) e.a += end - e.m;
  if (t > e.m) e.m = t;
}

export function isEngaged(e: Engagement, t: number): boolean {
  return e.v && e.o && t < e.l + e.i;
}

export function activity(e: Engagement, t: number): void {
  advance(e, t);
  if (t > e.l) e.l = t;
}

export function setVisible(e: Engagement, t: number, visible: boolean): void {
  advance(e, t);
  e.v = visible;
}

export function setOwner(e: Engagement, t: number, owner: boolean): void {
  advance(e, t);
  e.o = owner;
}

/** The user left for something this page cannot see (another window): stop counting now. */
export function goIdle(e: Engagement, t: number): void {
  advance(e, t);
  e.l = Math.min(e.l, t - e.i);
}

/** Engaged ms since the last take. */
export function take(e: Engagement, t: number): number {
  advance(e, t);
  const a = e.a;
  e.a = 0;
  return a;
}
