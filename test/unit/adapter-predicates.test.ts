// Page detection is pure URL predicates; these are their truth tables.
import { describe, expect, it } from 'vitest';
import { canvas } from '../../extension/content/lms/canvas.ts';
import { classroom, classroomCourseId } from '../../extension/content/lms/classroom.ts';
import { adapterFor } from '../../extension/content/lms/index.ts';
import { moodle } from '../../extension/content/lms/moodle.ts';
import { schoology } from '../../extension/content/lms/schoology.ts';

const u = (s: string) => new URL(s);
/** Predicates and URL course ids must not need the page. */
const noDoc = { body: null } as unknown as Document;

describe('URL predicates', () => {
  it('Canvas: the course People page only', () => {
    expect(canvas.isRosterPage(u('https://district.instructure.com/courses/1001/users'))).toBe(true);
    expect(canvas.isRosterPage(u('https://district.instructure.com/courses/1001/users/'))).toBe(true);
    expect(canvas.isRosterPage(u('https://district.instructure.com/courses/1001/users?search_term=ana'))).toBe(true);
    expect(canvas.isRosterPage(u('https://district.instructure.com/courses/1001/users/601'))).toBe(false);
    expect(canvas.isRosterPage(u('https://district.instructure.com/courses/1001/assignments'))).toBe(false);
    expect(canvas.isRosterPage(u('https://district.instructure.com/accounts/1/users'))).toBe(false);
    expect(canvas.courseId(u('https://district.instructure.com/courses/1001/users'), noDoc)).toBe('1001');
  });

  it('Moodle: /user/index.php with a numeric course id, also under a sub-directory', () => {
    expect(moodle.isRosterPage(u('https://moodle.district.org/user/index.php?id=42'))).toBe(true);
    expect(moodle.isRosterPage(u('https://district.org/moodle/user/index.php?id=42&perpage=5000'))).toBe(true);
    expect(moodle.isRosterPage(u('https://moodle.district.org/user/index.php'))).toBe(false);
    expect(moodle.isRosterPage(u('https://moodle.district.org/user/view.php?id=7&course=42'))).toBe(false);
    expect(moodle.isRosterPage(u('https://moodle.district.org/user/index.php?id=abc'))).toBe(false);
    expect(moodle.courseId(u('https://moodle.district.org/user/index.php?id=42'), noDoc)).toBe('42');
  });

  it('Schoology: /course/<id>/members', () => {
    expect(schoology.isRosterPage(u('https://app.schoology.com/course/3344556677/members'))).toBe(true);
    expect(schoology.isRosterPage(u('https://district.schoology.com/course/3344556677/members/'))).toBe(true);
    expect(schoology.isRosterPage(u('https://app.schoology.com/course/3344556677/materials'))).toBe(false);
    expect(schoology.courseId(u('https://app.schoology.com/course/3344556677/members'), noDoc)).toBe('3344556677');
  });

  it('Classroom: the People tab (/r/), with or without the account segment; the course id is decoded', () => {
    expect(classroom.isRosterPage(u('https://classroom.google.com/u/0/r/NTY3ODkwMTIz'))).toBe(true);
    expect(classroom.isRosterPage(u('https://classroom.google.com/r/NTY3ODkwMTIz/sort-last-name'))).toBe(true);
    expect(classroom.isRosterPage(u('https://classroom.google.com/u/0/c/NTY3ODkwMTIz'))).toBe(false);
    expect(classroom.isRosterPage(u('https://classroom.google.com/u/0/w/NTY3ODkwMTIz/t/all'))).toBe(false);
    expect(classroom.isRosterPage(u('https://evil.example/u/0/r/NTY3ODkwMTIz'))).toBe(false);
    expect(classroom.courseId(u('https://classroom.google.com/u/1/r/NTY3ODkwMTIz'), noDoc)).toBe('567890123');
    expect(classroomCourseId('not-base64-digits')).toBe('not-base64-digits');
  });

  it('picks exactly one adapter per roster URL and none elsewhere', () => {
    expect(adapterFor(u('https://x.instructure.com/courses/1/users'))?.kind).toBe('canvas');
    expect(adapterFor(u('https://lms.district.org/courses/1/users'))?.kind).toBe('canvas');
    expect(adapterFor(u('https://moodle.district.org/user/index.php?id=2'))?.kind).toBe('moodle');
    expect(adapterFor(u('https://x.schoology.com/course/9/members'))?.kind).toBe('schoology');
    expect(adapterFor(u('https://classroom.google.com/u/0/r/MTIz'))?.kind).toBe('classroom');
    expect(adapterFor(u('https://x.instructure.com/courses/1'))).toBeNull();
    expect(adapterFor(u('https://classroom.google.com/u/0/h'))).toBeNull();
  });
});
