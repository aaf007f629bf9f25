// @vitest-environment jsdom
// Each adapter on its LMS's fixture: which rows are students and with which
// LMS user id, that teachers/TAs/observers are recognised, and that rows the
// LMS adds later are found.
import { describe, expect, it } from 'vitest';
import { canvas } from '../../extension/content/lms/canvas.ts';
import { classroom } from '../../extension/content/lms/classroom.ts';
import { moodle } from '../../extension/content/lms/moodle.ts';
import { schoology } from '../../extension/content/lms/schoology.ts';
import { collectRows } from '../../extension/content/lms/types.ts';
import { loadFixture } from '../fixtures/rosters/helpers.ts';

const summary = (rows: ReturnType<typeof collectRows>) => rows.map((r) => [r.user, r.role, r.name]);

describe('Canvas People page fixture', () => {
  it('finds every person by the user link, with roles from the enrollment classes', () => {
    const doc = loadFixture('canvas');
    expect(canvas.courseId(new URL('https://school.instructure.com/courses/1001/users'), doc)).toBe('1001');
    const rows = collectRows(canvas, doc, '1001');
    expect(summary(rows)).toEqual([
      ['501', 'staff', 'Maria Rivera'],
      ['502', 'staff', 'Dev Anand (he/him)'],
      ['601', 'student', 'Ana Diaz'],
      ['602', 'student', 'Ben Okafor'],
      ['603', 'student', 'Chloe Kim'],
      ['701', 'staff', 'Grace Diaz'],
    ]);
    // The badge goes in the name cell, not in the admin menu that links to the same user.
    expect(rows.find((r) => r.user === '601')!.anchor.className).toBe('roster_user_name-cell');
  });

  it('falls back to the body class for the course when the URL lacks it', () => {
    const doc = loadFixture('canvas');
    expect(canvas.courseId(new URL('https://school.instructure.com/courses'), doc)).toBe('1001');
  });

  it('ignores links to another course', () => {
    const doc = loadFixture('canvas');
    expect(collectRows(canvas, doc, '9999')).toEqual([]);
  });
});

describe('Moodle participants fixture', () => {
  it('reads user ids from the name links, roles from the role ids, and skips padding rows', () => {
    const doc = loadFixture('moodle');
    const rows = collectRows(moodle, doc, '42');
    expect(summary(rows)).toEqual([
      ['3', 'staff', 'Maria Rivera'],
      ['7', 'student', 'Ana Diaz'],
      ['8', 'student', 'Ben Okafor'],
      ['9', 'staff', 'Dev Anand'],
      ['10', 'student', 'Chloe Kim'],
    ]);
    expect(rows.every((r) => !r.el.classList.contains('emptyrow'))).toBe(true);
    expect(moodle.courseId(new URL('https://moodle.district.example/user/index.php?id=42'), doc)).toBe('42');
  });
});

describe('Schoology members fixture', () => {
  it('finds members by /user/<uid> links and marks course admins as staff', () => {
    const doc = loadFixture('schoology');
    expect(summary(collectRows(schoology, doc, '3344556677'))).toEqual([
      ['8801', 'staff', 'Maria Rivera'],
      ['9911', 'unknown', 'Ana Diaz'],
      ['9912', 'unknown', 'Ben Okafor'],
      ['9913', 'unknown', 'Chloe Kim'],
    ]);
  });
});

describe('Google Classroom People fixture', () => {
  it('takes only rows with a student id in the visible view; teachers and the hidden earlier view are left alone', () => {
    const doc = loadFixture('classroom');
    expect(summary(collectRows(classroom, doc, '567890123'))).toEqual([
      ['104857600123', 'student', 'Ana Diaz'],
      ['104857600124', 'student', 'Ben Okafor'],
      ['104857600125', 'student', 'Chloe Kim'],
    ]);
  });
});
