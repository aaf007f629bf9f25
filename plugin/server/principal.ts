// Who is calling and what they may see. Every route asks these questions, so
// the authorization matrix lives in one place.
import type { Credential, Course, Store } from '../store/store.ts';

export interface Principal {
  credentialId: string;
  tenant: string;
  role: Credential['role'];
  label: string;
  person: string | null;
  schools: string[];
  /** Courses an LTI launch proved; teachers' roster-imported courses are looked up. */
  courses: string[];
}

export function principalOf(c: Credential): Principal {
  return { credentialId: c.id, tenant: c.tenant, role: c.role, label: c.label, person: c.person, schools: c.schools, courses: c.courses };
}

export const isPerson = (p: Principal) => p.role === 'teacher' || p.role === 'staff' || p.role === 'admin';

/** May this caller read the status of this course's students? */
export async function canReadCourse(store: Store, p: Principal, course: Course): Promise<boolean> {
  switch (p.role) {
    case 'admin':
      return true;
    case 'staff':
      return course.school !== null && p.schools.includes(course.school);
    case 'teacher':
      if (p.courses.includes(course.id)) return true;
      return p.person !== null && (await store.teaches(p.tenant, p.person, course.id));
    default:
      return false;
  }
}

/** The teacher's courses (roster-imported and launch-proved). */
export async function teacherCourses(store: Store, p: Principal): Promise<string[]> {
  const taught = p.person ? await store.coursesTaughtBy(p.tenant, p.person) : [];
  return [...new Set([...taught, ...p.courses])];
}
