// Moodle prints `M.cfg = {...}` into every page's head
// (page_requirements_manager::get_config_for_javascript); since 4.3 it has
// userId, courseId and siteId. Older sites lack userId: the notification
// popover carries `data-userid`. Body classes: `course-<id>`, `notloggedin`.
import { lmsId, type Reader } from './types.ts';

/** Moodle creates the guest account first, so it is user 1 on a standard install. */
const GUEST = '1';

export const moodle: Reader = (w) => {
  const cfg = w.M?.cfg;
  if (!cfg || typeof cfg !== 'object' || !cfg.wwwroot) return undefined;
  const d = w.document;
  const body = d.body?.className ?? '';
  if (/\bnotloggedin\b/.test(body)) return null;
  const u = lmsId(cfg.userId || d.querySelector('#nav-notification-popover-container[data-userid]')?.getAttribute('data-userid'));
  if (!u || u === '0' || u === GUEST) return null;
  const c = lmsId(cfg.courseId || /\bcourse-(\d+)\b/.exec(body)?.[1]);
  // The site itself is course `siteId` (1): the front page and dashboard are not a course.
  return { u, c: c && c !== String(cfg.siteId ?? 1) ? c : null };
};
