// One badge per student row: a host element in the row, its button in a
// shadow root. Plain DOM, not a component tree, because a lecture roster
// paints 2,000 of them at once.
import type { StudentStatus } from '../../../shared/api.ts';
import { FLAG_STATE_TEXT, HEADLINE_TEXT } from '../../lib/labels.ts';
import type { RosterRow } from '../lms/types.ts';
import { BADGE_ATTR, ROW_MARK } from '../observe.ts';
import { BADGE_CSS } from './styles.ts';

let shared: CSSStyleSheet | null | undefined;
function sheet(): CSSStyleSheet | null {
  if (shared === undefined) {
    try {
      shared = new CSSStyleSheet();
      shared.replaceSync(BADGE_CSS);
    } catch {
      shared = null;
    }
  }
  return shared;
}

export function badgeText(s: StudentStatus | null): { cls: string; label: string; flag: string } {
  if (!s) return { cls: 'unknown', label: 'Not in RosterLens', flag: '' };
  let label = HEADLINE_TEXT[s.headline];
  if (s.headline === 'not_seen' && s.schoolDaysSinceSeen !== null) label = `Not seen ${s.schoolDaysSinceSeen} school day${s.schoolDaysSinceSeen === 1 ? '' : 's'}`;
  const flag = s.flag ? `Flag ${FLAG_STATE_TEXT[s.flag.state].toLowerCase()}` : '';
  return { cls: s.headline, label, flag };
}

export interface BadgeOptions {
  stale: boolean;
  onOpen: (row: RosterRow, button: HTMLElement) => void;
}

/** Paints or updates the badge of one row. `status` null means the plugin does not know this person. */
export function paintBadge(row: RosterRow, status: StudentStatus | null, opts: BadgeOptions): HTMLElement {
  let host: HTMLElement | null = null;
  for (const child of row.anchor.children) if (child.hasAttribute(BADGE_ATTR)) host = child as HTMLElement;
  if (!host) {
    host = row.anchor.ownerDocument.createElement('span');
    host.setAttribute(BADGE_ATTR, '');
    const root = host.attachShadow({ mode: 'open' });
    const s = sheet();
    if (s) root.adoptedStyleSheets = [s];
    else root.appendChild(Object.assign(row.anchor.ownerDocument.createElement('style'), { textContent: BADGE_CSS }));
    const b = row.anchor.ownerDocument.createElement('button');
    b.type = 'button';
    b.setAttribute('aria-haspopup', 'dialog');
    b.append(row.anchor.ownerDocument.createElement('span'), row.anchor.ownerDocument.createElement('span'));
    (b.lastChild as HTMLElement).className = 'flag';
    root.appendChild(b);
    row.anchor.appendChild(host);
  }
  host.setAttribute('data-user', row.user);
  const { cls, label, flag } = badgeText(status);
  host.setAttribute('data-state', cls);
  const b = host.shadowRoot!.querySelector('button')!;
  b.className = opts.stale ? `${cls} stale` : cls;
  (b.firstChild as HTMLElement).textContent = label;
  (b.lastChild as HTMLElement).textContent = flag ? `· ${flag}` : '';
  b.setAttribute('aria-label', `${row.name || 'Student'}: ${label}${flag ? `, ${flag}` : ''}${opts.stale ? ' (saved status, may be out of date)' : ''}. RosterLens details`);
  b.onclick = (e) => {
    e.preventDefault();
    e.stopPropagation();
    opts.onOpen(row, b);
  };
  row.el.setAttribute(ROW_MARK, row.user);
  return host;
}

export function removeBadges(doc: Document): void {
  for (const el of doc.querySelectorAll(`[${BADGE_ATTR}]`)) el.remove();
  for (const el of doc.querySelectorAll(`[${ROW_MARK}]`)) el.removeAttribute(ROW_MARK);
}
