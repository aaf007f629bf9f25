// LTI roles → what RosterLens needs to know: does this person teach the
// context, learn in it, or neither. Context (membership) roles only: an
// institution role such as "Instructor at this school" does not make someone
// the teacher of this course.
//
// Accepted spellings (LTI 1.3 Core §A.2, NRPS 2.0 §2.2):
//   http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor
//   http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant   (sub-role)
//   Instructor, TeachingAssistant, Learner                                         (short, NRPS / deprecated)
//   urn:lti:role:ims/lis/Instructor                                                  (LTI 1.1 legacy)

const MEMBERSHIP = 'http://purl.imsglobal.org/vocab/lis/v2/membership';
const INSTITUTION = 'http://purl.imsglobal.org/vocab/lis/v2/institution/person#';
const SYSTEM = 'http://purl.imsglobal.org/vocab/lis/v2/system/person#';
export const TEST_USER_ROLE = 'http://purl.imsglobal.org/vocab/lti/system/person#TestUser';

export type ContextRole = 'teacher' | 'student';

/** The membership role name of one role string, or null when it is not a context role. */
function membershipName(role: string): { main: string; sub: string | null } | null {
  const r = role.trim();
  if (r.startsWith(`${MEMBERSHIP}/`)) {
    const m = /^([A-Za-z]+)#([A-Za-z]+)$/.exec(r.slice(MEMBERSHIP.length + 1));
    return m ? { main: m[1]!, sub: m[2]! } : null;
  }
  if (r.startsWith(`${MEMBERSHIP}#`)) return { main: r.slice(MEMBERSHIP.length + 1), sub: null };
  if (r.startsWith('urn:lti:role:ims/lis/')) {
    const [main, sub] = r.slice('urn:lti:role:ims/lis/'.length).split('/');
    return { main: main!, sub: sub ?? null };
  }
  if (/^[A-Za-z]+$/.test(r)) return { main: r, sub: null };
  return null;
}

const TEACHING = new Set(['Instructor', 'TeachingAssistant']);

/** teacher if any role teaches, else student if any role learns, else null (mentors, observers, content developers…). */
export function contextRoleOf(roles: readonly string[]): ContextRole | null {
  let learner = false;
  for (const role of roles) {
    const m = membershipName(role);
    if (!m) continue;
    if (TEACHING.has(m.main) || (m.sub !== null && TEACHING.has(m.sub))) return 'teacher';
    // Learner#NonCreditLearner etc. are still learners; Learner#Instructor is not a thing we trust as teaching.
    if (m.main === 'Learner') learner = true;
  }
  return learner ? 'student' : null;
}

/** Canvas's "Test Student" and similar preview users never join a roster. */
export function isTestUser(roles: readonly string[]): boolean {
  return roles.some((r) => r.trim() === TEST_USER_ROLE);
}

/** Institution or system administrator / staff: may become attendance staff if the district granted it. */
export function isInstitutionStaff(roles: readonly string[]): boolean {
  return roles.some((r) => {
    const t = r.trim();
    if (t.startsWith(INSTITUTION)) return ['Administrator', 'Staff'].includes(t.slice(INSTITUTION.length));
    if (t.startsWith(SYSTEM)) return ['Administrator', 'SysAdmin', 'AccountAdmin'].includes(t.slice(SYSTEM.length));
    return false;
  });
}
