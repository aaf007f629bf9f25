// The page context readers on the LMS-like fixture pages: who and which course,
// and nothing at all where the page has nobody to count or is not understood.
import { readFileSync } from 'node:fs';
import { JSDOM } from 'jsdom';
import { describe, expect, it } from 'vitest';
import { readContext, READERS } from '../../plugin/beacon/context/index.ts';
import type { PageWindow } from '../../plugin/beacon/context/types.ts';

const FIXTURES = new URL('../fixtures/lms-pages/', import.meta.url);

/** Loads a fixture as its LMS would serve it, running its inline scripts (not the beacon: jsdom loads no external script). */
function page(file: string, url: string): PageWindow {
  const html = readFileSync(new URL(file, FIXTURES), 'utf8').replace(/\{\{\w+\}\}/g, 'x');
  return new JSDOM(html, { url, runScripts: 'dangerously' }).window as unknown as PageWindow;
}

describe('page context readers on fixture pages', () => {
  const cases: [string, string, { u: string; c: string | null } | null][] = [
    ['canvas-course.html', 'https://canvas.example.edu/courses/4242/modules', { u: '5001', c: '4242' }],
    ['canvas-dashboard.html', 'https://canvas.example.edu/', { u: '5001', c: null }],
    ['canvas-teacher.html', 'https://canvas.example.edu/courses/4242/users', null],
    ['canvas-masquerade.html', 'https://canvas.example.edu/courses/4242', null],
    ['canvas-login.html', 'https://canvas.example.edu/login/canvas', null],
    ['moodle-course.html', 'https://moodle.example.edu/course/view.php?id=77', { u: '318', c: '77' }],
    ['moodle-legacy-course.html', 'https://moodle.example.edu/course/view.php?id=77', { u: '318', c: '77' }],
    ['moodle-frontpage.html', 'https://moodle.example.edu/my/', { u: '318', c: null }],
    ['moodle-login.html', 'https://moodle.example.edu/login/index.php', null],
    ['schoology-course.html', 'https://app.schoology.com/course/6012345678/materials', { u: '88812345', c: '6012345678' }],
    ['classroom-course.html', 'https://classroom.google.com/u/0/c/NjA1NDMyMTk4NzY1', { u: '109876543210987654321', c: '605432198765' }],
    ['unknown.html', 'https://library.example.edu/anything', null],
  ];
  for (const [file, url, want] of cases) {
    it(`${file} → ${want ? `user ${want.u}, course ${want.c}` : 'nothing'}`, () => {
      expect(readContext(page(file, url))).toEqual(want);
    });
  }

  it('Classroom pages outside a course give the user and no course', () => {
    expect(readContext(page('classroom-course.html', 'https://classroom.google.com/u/0/h'))).toEqual({ u: '109876543210987654321', c: null });
  });

  it('Schoology pages outside a course give the user and no course', () => {
    expect(readContext(page('schoology-course.html', 'https://app.schoology.com/home'))).toEqual({ u: '88812345', c: null });
  });

  it('each fixture is recognised by its own reader only', () => {
    const own: Record<string, [string, string]> = {
      canvas: ['canvas-course.html', 'https://canvas.example.edu/courses/4242/modules'],
      moodle: ['moodle-course.html', 'https://moodle.example.edu/course/view.php?id=77'],
      schoology: ['schoology-course.html', 'https://app.schoology.com/course/6012345678/materials'],
      classroom: ['classroom-course.html', 'https://classroom.google.com/u/0/c/NjA1NDMyMTk4NzY1'],
    };
    for (const [lms, [file, url]] of Object.entries(own)) {
      const w = page(file, url);
      for (const [name, read] of Object.entries(READERS)) {
        if (name === lms) expect(read(w), `${name} on its own page`).not.toBeUndefined();
        else expect(read(w), `${name} on a ${lms} page`).toBeUndefined();
      }
    }
  });

  it('data-lms pins the reader: a Canvas page read as Moodle gives nothing', () => {
    const w = page('canvas-course.html', 'https://canvas.example.edu/courses/4242/modules');
    expect(readContext(w, 'moodle')).toBeNull();
    expect(readContext(w, 'canvas')).toEqual({ u: '5001', c: '4242' });
  });

  it('malformed page globals give nothing, never an exception or a wrong id', () => {
    const w = page('unknown.html', 'https://canvas.example.edu/courses/1');
    for (const env of [
      { current_user_id: { id: 5 } },
      { current_user_id: 'has space' },
      { current_user_id: 'x'.repeat(65) },
      { current_user_id: '' },
    ]) {
      (w as any).ENV = env;
      expect(readContext(w)).toBeNull();
    }
    (w as any).ENV = undefined;
    Object.defineProperty(w, 'M', { configurable: true, get: () => ({ get cfg() { throw new Error('boom'); } }) });
    expect(readContext(w)).toBeNull();
  });

  it('Moodle guest (user 1) and not-logged-in pages give nothing', () => {
    const w = page('moodle-course.html', 'https://moodle.example.edu/course/view.php?id=77');
    (w as any).M.cfg.userId = 1;
    expect(readContext(w)).toBeNull();
  });

  it('Classroom with a non-numeric account id or course segment gives no guess', () => {
    const w = page('classroom-course.html', 'https://classroom.google.com/c/not*base64');
    expect(readContext(w)).toEqual({ u: '109876543210987654321', c: null });
    (w as any).WIZ_global_data.S06Grb = 'someone@example.edu';
    expect(readContext(w)).toBeNull();
  });
});
