// Canvas renders `ENV = {...}` into every page (app/views/layouts/_head and
// _foot in instructure/canvas-lms), ids as strings: current_user_id,
// current_user_roles, context_asset_string ("course_123"). The body carries
// `context-course_123` and, when an admin acts as someone or a teacher uses
// Student View, `is-masquerading-or-student-view`.
import { lmsId, type Reader } from './types.ts';

export const canvas: Reader = (w) => {
  const env = w.ENV;
  if (!env || typeof env !== 'object' || !('current_user_id' in env)) return undefined;
  const body = w.document.body?.className ?? '';
  // Someone else's session in the student's name: not the student's time.
  if (/\bis-masquerading-or-student-view\b/.test(body)) return null;
  const u = lmsId(env.current_user_id);
  const roles = env.current_user_roles;
  // Only students' time is needed; a teacher's browsing is not ours to keep.
  if (!u || (Array.isArray(roles) && !roles.includes('student'))) return null;
  const m = /^course_(\d+)$/.exec(env.context_asset_string) ?? /\bcontext-course_(\d+)\b/.exec(body);
  return { u, c: m ? m[1]! : null };
};
