// The small set of questions every LMS adapter answers. Everything that knows
// how one LMS renders its roster lives in that LMS's file; the overlay only
// sees RosterRow values.

export type LmsKind = 'canvas' | 'moodle' | 'schoology' | 'classroom';

/** What the page itself says about a row's role; the plugin's roster is the authority. */
export type PageRole = 'student' | 'staff' | 'unknown';

export interface RosterRow {
  /** The row element the LMS owns; filtered rows are hidden by marking this. */
  el: HTMLElement;
  /** The LMS user id, never a position. */
  user: string;
  role: PageRole;
  /** The name as the page shows it; it stays in the page, never sent anywhere. */
  name: string;
  /** The element the badge is appended to. */
  anchor: HTMLElement;
}

export interface LmsAdapter {
  kind: LmsKind;
  /** Pure URL predicate: is this a course roster page of this LMS? */
  isRosterPage(url: URL): boolean;
  /** The LMS course id, from the URL first and the page when the URL lacks it. */
  courseId(url: URL, doc: Document): string | null;
  /** A selector for the stable per-student hook (usually the name link). */
  hookSelector(course: string): string;
  /** Turns one hook into a row, or null when it is not a roster row of this course. */
  parseHook(hook: Element, course: string): RosterRow | null;
  /** Where the class summary goes: inserted before this element. */
  summaryBefore(doc: Document, rows: RosterRow[]): Element | null;
}

/** Every row of the page, de-duplicated by row element (one row may hold several hooks). */
export function collectRows(adapter: LmsAdapter, root: ParentNode, course: string): RosterRow[] {
  const seen = new Set<Element>();
  const out: RosterRow[] = [];
  for (const hook of root.querySelectorAll(adapter.hookSelector(course))) {
    const row = adapter.parseHook(hook, course);
    if (!row || seen.has(row.el)) continue;
    seen.add(row.el);
    out.push(row);
  }
  return out;
}

/** Single-page apps keep earlier views in the DOM; a row inside a hidden ancestor is not on screen. */
export function insideHiddenView(el: Element): boolean {
  return !!el.closest('[hidden], [aria-hidden="true"], [style*="display: none"], [style*="display:none"]');
}

export function text(el: Element | null | undefined): string {
  return (el?.textContent ?? '').replace(/\s+/g, ' ').trim();
}

/** The visible name of a link, without decorations the LMS hides from screen readers (initials, icons). */
export function accessibleText(el: Element): string {
  if (!el.querySelector('[aria-hidden="true"]')) return text(el);
  const copy = el.cloneNode(true) as Element;
  for (const h of copy.querySelectorAll('[aria-hidden="true"]')) h.remove();
  return text(copy);
}
