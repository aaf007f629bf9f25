// The adapters, and which one a page belongs to. A district's own domain can
// host any LMS, so every adapter's URL predicate is asked, Classroom's first
// because it also checks the host.
import { canvas } from './canvas.ts';
import { classroom } from './classroom.ts';
import { moodle } from './moodle.ts';
import { schoology } from './schoology.ts';
import type { LmsAdapter } from './types.ts';

export const ADAPTERS: readonly LmsAdapter[] = [classroom, canvas, moodle, schoology];

export function adapterFor(url: URL): LmsAdapter | null {
  return ADAPTERS.find((a) => a.isRosterPage(url)) ?? null;
}
