// Moodle course participants page, /user/index.php?id=<cid> (Moodle may live in
// a sub-directory). The table is core_user\table\participants, a dynamic
// table_sql with id "participants": the fullname column is a row header
// holding user_picture(..., includefullname) — a link to
// /user/view.php?id=<uid>&course=<cid> — and the roles column is a
// core/inplace_editable with data-itemtype="user_roles" whose data-value is the
// JSON list of role ids. Filters, sorting and paging replace the table inside
// div[data-region="core_table/dynamic"]; padding rows are tr.emptyrow.
import { accessibleText, text, type LmsAdapter, type PageRole, type RosterRow } from './types.ts';

/** Moodle's default archetype role id for students; other ids on a row mean teacher, TA, manager… */
const STUDENT_ROLE_ID = '5';

function roleOf(row: Element): PageRole {
  const editable = row.querySelector('[data-itemtype="user_roles"]');
  const raw = editable?.getAttribute('data-value');
  if (raw) {
    try {
      const ids = (JSON.parse(raw) as unknown[]).map(String);
      if (ids.includes(STUDENT_ROLE_ID)) return 'student';
      if (ids.length) return 'staff';
    } catch {
      // fall through to the visible words
    }
  }
  const words = text(editable ?? row.querySelector('td.c3, td[class*="roles"]'));
  if (/\bStudent\b/i.test(words)) return 'student';
  if (/\b(Teacher|Manager|Course creator|Non-editing teacher)\b/i.test(words)) return 'staff';
  return 'unknown';
}

export const moodle: LmsAdapter = {
  kind: 'moodle',
  isRosterPage: (url) => /\/user\/index\.php$/.test(url.pathname) && /^\d+$/.test(url.searchParams.get('id') ?? ''),
  courseId(url, doc) {
    const id = url.searchParams.get('id');
    if (id && /^\d+$/.test(id)) return id;
    return /\bcourse-(\d+)\b/.exec(doc.body?.className ?? '')?.[1] ?? null;
  },
  hookSelector: () => '#participants a[href*="/user/view.php"]',
  parseHook(hook, course): RosterRow | null {
    let url: URL;
    try {
      url = new URL(hook.getAttribute('href') ?? '', 'http://x.invalid');
    } catch {
      return null;
    }
    const user = url.searchParams.get('id');
    if (!user || !/^\d+$/.test(user) || url.searchParams.get('course') !== course) return null;
    const el = hook.closest<HTMLElement>('tr');
    if (!el || el.classList.contains('emptyrow') || el.closest('thead')) return null;
    return { el, user, role: roleOf(el), name: accessibleText(hook), anchor: (hook.closest('th, td') as HTMLElement | null) ?? el };
  },
  summaryBefore(doc) {
    return doc.querySelector('[data-region="core_table/dynamic"]') ?? doc.querySelector('#participants');
  },
};
