// Which LMS this page is, and who and where: the first reader that recognises the page decides.
import { canvas } from './canvas.ts';
import { classroom } from './classroom.ts';
import { moodle } from './moodle.ts';
import { schoology } from './schoology.ts';
import type { Ctx, PageWindow, Reader } from './types.ts';

export const READERS: Record<string, Reader> = { canvas, moodle, schoology, classroom };

/** `lms` pins one reader (script attribute data-lms); otherwise each is asked in turn. */
export function readContext(w: PageWindow, lms?: string): Ctx | null {
  for (const [name, read] of Object.entries(READERS)) {
    if (lms && lms !== name) continue;
    let r: Ctx | null | undefined;
    try {
      r = read(w);
    } catch {
      // A page global shaped unlike we expect is an unknown page: nothing, not a wrong id.
      r = null;
    }
    if (r !== undefined) return r;
  }
  return null;
}
