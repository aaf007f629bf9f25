// Filtering the LMS's own rows to one state: rows are hidden with one
// attribute and one page-level rule, and shown again by removing it.
import type { StudentStatus } from '../../../shared/api.ts';
import type { RosterRow } from '../lms/types.ts';

export type FilterKey = StudentStatus['headline'] | 'flagged';
export const HIDDEN_ATTR = 'data-rosterlens-hidden';

function ensureRule(doc: Document) {
  if (doc.getElementById('rosterlens-filter-rule')) return;
  const style = doc.createElement('style');
  style.id = 'rosterlens-filter-rule';
  style.setAttribute('data-rosterlens-ui', 'filter');
  style.textContent = `[${HIDDEN_ATTR}]{display:none !important}`;
  (doc.head ?? doc.documentElement).appendChild(style);
}

export function matches(key: FilterKey, s: StudentStatus | undefined): boolean {
  if (!s) return false;
  return key === 'flagged' ? !!s.flag && s.flag.state !== 'resolved' : s.headline === key;
}

export function applyFilter(doc: Document, rows: RosterRow[], key: FilterKey | null, byUser: Map<string, StudentStatus>): void {
  if (key) ensureRule(doc);
  for (const r of rows) {
    if (key && !matches(key, byUser.get(r.user))) r.el.setAttribute(HIDDEN_ATTR, '');
    else r.el.removeAttribute(HIDDEN_ATTR);
  }
}
