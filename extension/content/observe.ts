// A selector observer for roster rows: reports rows that are new or whose
// badge the LMS removed when it re-rendered them, and stops when the page's
// AbortSignal fires. Rows are keyed by LMS user id; handled rows are marked.
import { collectRows, type LmsAdapter, type RosterRow } from './lms/types.ts';

export const ROW_MARK = 'data-rosterlens-row';
export const BADGE_ATTR = 'data-rosterlens-badge';

/** True when this row still carries our badge for this very user. */
export function isPainted(row: RosterRow): boolean {
  if (row.el.getAttribute(ROW_MARK) !== row.user) return false;
  for (const child of row.anchor.children) if (child.hasAttribute(BADGE_ATTR) && child.getAttribute('data-user') === row.user) return true;
  return false;
}

function onlyOurs(records: MutationRecord[]): boolean {
  for (const r of records) {
    for (const n of r.addedNodes) if (!(n instanceof Element && n.hasAttribute(BADGE_ATTR)) && !(n instanceof Element && n.hasAttribute('data-rosterlens-ui'))) return false;
    for (const n of r.removedNodes) if (!(n instanceof Element && (n.hasAttribute(BADGE_ATTR) || n.hasAttribute('data-rosterlens-ui')))) return false;
  }
  return true;
}

export interface RowObserver {
  /** Every row currently on the page (for summaries, filters and bulk actions). */
  rows(): RosterRow[];
  /** Re-reports every row, e.g. once status arrives. */
  repaintAll(): void;
}

export function observeRows(
  adapter: LmsAdapter,
  course: string,
  doc: Document,
  signal: AbortSignal,
  paint: (rows: RosterRow[], all: RosterRow[]) => void,
  onUrlChange: () => void,
): RowObserver {
  let all: RosterRow[] = [];
  let href = doc.location?.href ?? '';
  const scan = (force: boolean) => {
    all = collectRows(adapter, doc, course);
    const todo = force ? all : all.filter((r) => !isPainted(r));
    if (todo.length) paint(todo, all);
  };
  const mo = new MutationObserver((records) => {
    if (signal.aborted) return;
    // Single-page navigation usually comes with DOM changes; checking here needs no hook into the page's history calls.
    if (doc.location && doc.location.href !== href) {
      href = doc.location.href;
      onUrlChange();
      return;
    }
    if (onlyOurs(records)) return;
    scan(false);
  });
  mo.observe(doc.body ?? doc.documentElement, { childList: true, subtree: true });
  signal.addEventListener('abort', () => mo.disconnect(), { once: true });
  scan(false);
  return {
    rows: () => all,
    repaintAll: () => scan(true),
  };
}
