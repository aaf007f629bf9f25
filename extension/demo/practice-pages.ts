// Practice pages for a seeded district: one Canvas People page per course,
// with the course's teacher and students as the plugin's roster has them.
import type { Store } from '../../plugin/store/store.ts';
import type { SeededDistrict } from '../../plugin/admin/seed.ts';
import { canvasRosterPage, type PracticePerson } from './canvas-page.ts';

export async function practicePages(store: Store, district: SeededDistrict, titles: Record<string, string> = {}): Promise<Map<string, string>> {
  const pages = new Map<string, string>();
  for (const c of district.courses) {
    const people: PracticePerson[] = [];
    const teacher = await store.getPerson(district.tenant, c.teacher);
    people.push({ id: c.teacher, name: teacher ? `${teacher.givenName} ${teacher.familyName}` : `Teacher ${c.teacher}`, role: 'teacher' });
    for (const id of c.students) {
      const p = await store.getPerson(district.tenant, id);
      people.push({ id, name: p ? `${p.givenName} ${p.familyName}` : `Student ${id}`, role: 'student' });
    }
    const course = await store.getCourse(district.tenant, c.id);
    pages.set(`/courses/${c.id}/users`, canvasRosterPage({ course: c.id, title: titles[c.id] ?? course?.title ?? `Course ${c.id}`, people, firstPage: 20 }));
  }
  return pages;
}
