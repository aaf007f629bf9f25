// What a page tells us: who is signed in and which course, as LMS ids.
export interface Ctx {
  /** The signed-in student's LMS user id. */
  u: string;
  /** The course's LMS id, or null on pages outside a course (dashboard, inbox). */
  c: string | null;
}

/**
 * One LMS's reader: `undefined` when the page is not from this LMS, `null`
 * when it is but there is nobody to count (signed out, a teacher, an admin
 * acting as a student), else the context.
 */
export type Reader = (w: PageWindow) => Ctx | null | undefined;

/** The page's window with its LMS globals, which we read but never trust to be well formed. */
export type PageWindow = Window & { [global: string]: any };

/** An LMS id as the server accepts it (shared/signal.ts LmsId), or null: a wrong id is worse than none. */
export function lmsId(v: unknown): string | null {
  const s = typeof v === 'number' ? String(v) : v;
  return typeof s === 'string' && /^[\x21-\x7E]{1,64}$/.test(s) ? s : null;
}
