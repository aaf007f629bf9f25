// Canvas course People page, /courses/:cid/users. Canvas has rendered it three
// ways (the Backbone table `table.roster` with `tr#user_<uid>.rosterUser.<Type>Enrollment`,
// and two feature-flagged React tables); all three link each name to
// /courses/<cid>/users/<uid>, so that link is the hook (ui/features/roster in
// instructure/canvas-lms: rosterUser.handlebars, RosterUserView).
import { text, type LmsAdapter, type PageRole, type RosterRow } from './types.ts';

const PATH = /^\/courses\/(\d+)\/users\/?$/;
const STAFF = /\b(TeacherEnrollment|TaEnrollment|DesignerEnrollment|ObserverEnrollment)\b/;

export function canvasCourseFromPath(pathname: string): string | null {
  return PATH.exec(pathname)?.[1] ?? null;
}

function roleOf(row: Element): PageRole {
  const cls = row.getAttribute('class') ?? '';
  if (/\bStudentEnrollment\b/.test(cls)) return 'student';
  if (STAFF.test(cls)) return 'staff';
  // The React tables carry no enrollment classes; the role column says it in words.
  const words = text(row);
  if (/\b(Teacher|TA|Designer|Observer)\b/.test(words) && !/\bStudent\b/.test(words)) return 'staff';
  if (/\bStudent\b/.test(words)) return 'student';
  return 'unknown';
}

export const canvas: LmsAdapter = {
  kind: 'canvas',
  isRosterPage: (url) => PATH.test(url.pathname),
  courseId(url, doc) {
    const fromPath = canvasCourseFromPath(url.pathname);
    if (fromPath) return fromPath;
    // The body class is the page's own statement of context (ENV is not readable from an isolated world).
    return /\bcontext-course_(\d+)\b/.exec(doc.body?.className ?? '')?.[1] ?? null;
  },
  hookSelector: (course) => `a[href*="/courses/${course}/users/"]`,
  parseHook(hook, course): RosterRow | null {
    const href = hook.getAttribute('href') ?? '';
    const m = new RegExp(`/courses/${course}/users/(\\d+)(?:[/?#]|$)`).exec(href);
    if (!m) return null;
    const el = hook.closest<HTMLElement>('tr, [role="row"]');
    if (!el || el.closest('thead')) return null;
    // The admin menu's "User Details" link points at the same user; the name link is the one outside it.
    if (hook.closest('.admin-links, .al-options')) return null;
    return { el, user: m[1]!, role: roleOf(el), name: text(hook), anchor: (hook.parentElement as HTMLElement) ?? el };
  },
  summaryBefore(doc, rows) {
    return rows[0]?.el.closest('table') ?? doc.querySelector('table.roster') ?? null;
  },
};
