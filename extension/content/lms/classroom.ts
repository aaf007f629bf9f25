// Google Classroom People tab, https://classroom.google.com[/u/N]/r/<course>.
// The course id in the URL is the API course id in base64; each student row
// carries data-current-student-id (teachers' rows do not). Classroom is a
// single-page app that keeps earlier views as hidden elements, so rows inside
// a hidden view are skipped. Class names are obfuscated: nothing here uses them.
import { insideHiddenView, text, type LmsAdapter, type RosterRow } from './types.ts';

const PATH = /^(?:\/u\/\d+)?\/r\/([A-Za-z0-9_-]+)(?:\/[a-z-]+)?\/?$/;

/** "NTY3ODkwMTIz" → "567890123"; an id that is not base64 of digits is used as it is. */
export function classroomCourseId(segment: string): string {
  try {
    const decoded = atob(segment.replace(/-/g, '+').replace(/_/g, '/'));
    if (/^\d+$/.test(decoded)) return decoded;
  } catch {
    // not base64
  }
  return segment;
}

export const classroom: LmsAdapter = {
  kind: 'classroom',
  isRosterPage: (url) => url.hostname === 'classroom.google.com' && PATH.test(url.pathname),
  courseId(url) {
    const seg = PATH.exec(url.pathname)?.[1];
    return seg ? classroomCourseId(seg) : null;
  },
  hookSelector: () => '[data-current-student-id]',
  parseHook(hook): RosterRow | null {
    const user = hook.getAttribute('data-current-student-id');
    if (!user || insideHiddenView(hook)) return null;
    const el = hook as HTMLElement;
    const nameEl = el.querySelector('[aria-label][role="link"], a, span') ?? el;
    return { el, user, role: 'student', name: text(nameEl), anchor: el };
  },
  summaryBefore(_doc, rows) {
    // The students' list is the rows' common parent; the summary goes above it.
    return rows[0]?.el.parentElement ?? null;
  },
};
