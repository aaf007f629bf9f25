// Schoology course members page, /course/<sid>/members. Rows are
// `table.enrollment-user-list tr` with the name in `.user-name > a[href="/user/<uid>"]`;
// pagination swaps the table by AJAX. Course admins are listed in the same
// table and marked as admins.
import { text, type LmsAdapter, type PageRole, type RosterRow } from './types.ts';

const PATH = /^\/course\/(\d+)\/members\/?$/;

function roleOf(row: Element): PageRole {
  if (row.matches('.is-admin, .admin') || row.querySelector('.is-admin, .admin-label, .enrollment-admin')) return 'staff';
  return 'unknown';
}

export const schoology: LmsAdapter = {
  kind: 'schoology',
  isRosterPage: (url) => PATH.test(url.pathname),
  courseId: (url) => PATH.exec(url.pathname)?.[1] ?? null,
  hookSelector: () => 'table.enrollment-user-list .user-name > a[href^="/user/"]',
  parseHook(hook): RosterRow | null {
    const user = /^\/user\/(\d+)\/?$/.exec(hook.getAttribute('href') ?? '')?.[1];
    if (!user) return null;
    const el = hook.closest<HTMLElement>('tr');
    if (!el) return null;
    return { el, user, role: roleOf(el), name: text(hook), anchor: (hook.parentElement as HTMLElement) ?? el };
  },
  summaryBefore: (doc) => doc.querySelector('table.enrollment-user-list'),
};
