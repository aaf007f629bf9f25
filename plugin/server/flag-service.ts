// Raising and working flags, with the authorization each move needs.
import { randomBytes } from 'node:crypto';
import type { FlagActionBody, FlagListQuery, RaiseFlag } from '../../shared/api.ts';
import { nextFlagState, type FlagAction } from '../../shared/flags.ts';
import type { FlagRecord, FlagScope, Store } from '../store/store.ts';
import { badRequest, conflict, forbidden, notFound } from './errors.ts';
import { canReadCourse, teacherCourses, type Principal } from './principal.ts';

/** What a flag-raised listener hears. `joined` is true when a teacher joined an open flag. */
export interface FlagRaisedEvent {
  tenant: string;
  flag: FlagRecord;
  joined: boolean;
  by: Principal;
  at: number;
}
export type FlagRaisedListener = (e: FlagRaisedEvent) => void | Promise<void>;

/**
 * Listeners that modules (dashboard notifications, …) attach to flag events.
 * They run after the raise is stored, never delay or fail the request, and
 * their errors go to `onError`.
 */
export class FlagHooks {
  private readonly raised: FlagRaisedListener[] = [];
  constructor(private readonly onError: (err: unknown) => void = () => {}) {}
  onRaised(listener: FlagRaisedListener): () => void {
    this.raised.push(listener);
    return () => void this.raised.splice(this.raised.indexOf(listener) >>> 0, 1);
  }
  emitRaised(e: FlagRaisedEvent): void {
    for (const l of [...this.raised]) {
      try {
        Promise.resolve(l(e)).catch(this.onError);
      } catch (err) {
        this.onError(err);
      }
    }
  }
}

export function newFlagId(): string {
  return `f_${randomBytes(9).toString('base64url')}`;
}

/** Notes are kept as given (trimmed, control characters other than newlines and tabs removed) and never rendered as HTML. */
export function cleanNote(note: string | undefined): string | null {
  if (note === undefined) return null;
  const cleaned = note.replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/g, '').trim();
  return cleaned.length ? cleaned : null;
}

export async function raiseFlag(store: Store, p: Principal, body: RaiseFlag, now: number, hooks?: FlagHooks) {
  if (p.role !== 'teacher' && p.role !== 'staff' && p.role !== 'admin') throw forbidden('forbidden', 'this credential cannot raise flags');
  const course = await store.getCourse(p.tenant, body.course);
  if (!course) throw notFound('unknown_course', 'the plugin does not know this course; ask the district admin to import the roster');
  if (!(await canReadCourse(store, p, course))) throw forbidden('not_course_teacher', 'you can flag only students of courses you teach');
  if (!(await store.isEnrolled(p.tenant, body.student, course.id))) throw notFound('unknown_student', 'this student is not enrolled in this course in the imported roster');
  const student = await store.getPerson(p.tenant, body.student);
  const r = await store.raiseFlag(p.tenant, {
    newId: newFlagId(),
    student: body.student,
    school: student?.school ?? course.school,
    reason: body.reason,
    course: course.id,
    teacher: p.person ?? p.label,
    actor: p.label,
    note: cleanNote(body.note),
    at: now,
    clientRequestId: body.clientRequestId ?? null,
  });
  // A replay answers with the flag the first request made; a request id reused for
  // another student or reason must not hand back someone else's flag.
  if (r.replayed && (r.flag.student !== body.student || r.flag.reason !== body.reason)) {
    throw conflict('client_request_reused', 'this clientRequestId was already used for another flag; send a new one');
  }
  if (!r.replayed) hooks?.emitRaised({ tenant: p.tenant, flag: r.flag, joined: r.joined, by: p, at: now });
  return r;
}

export async function flagScope(store: Store, p: Principal): Promise<FlagScope> {
  switch (p.role) {
    case 'admin':
      return {};
    case 'staff':
      return { schools: p.schools };
    case 'teacher':
      return { studentCourses: await teacherCourses(store, p) };
    default:
      throw forbidden('forbidden', 'this credential cannot read flags');
  }
}

export async function canSeeFlag(store: Store, p: Principal, f: FlagRecord): Promise<boolean> {
  switch (p.role) {
    case 'admin':
      return true;
    case 'staff':
      return f.school !== null && p.schools.includes(f.school);
    case 'teacher': {
      const mine = await teacherCourses(store, p);
      if (f.raisers.some((r) => mine.includes(r.course))) return true;
      for (const c of mine) if (await store.isEnrolled(p.tenant, f.student, c)) return true;
      return false;
    }
    default:
      return false;
  }
}

export async function getVisibleFlag(store: Store, p: Principal, id: string): Promise<FlagRecord> {
  const f = await store.getFlag(p.tenant, id);
  // A flag the caller may not see is reported as missing, so ids reveal nothing.
  if (!f || !(await canSeeFlag(store, p, f))) throw notFound('unknown_flag', 'no such flag');
  return f;
}

export async function listFlags(store: Store, p: Principal, q: FlagListQuery, now: number) {
  const scope = await flagScope(store, p);
  const raisedBy = q.raisedBy === 'me' ? (p.person ?? p.label) : q.raisedBy;
  const assignee = q.assignee === 'me' ? p.label : q.assignee;
  return store.listFlags(
    p.tenant,
    {
      school: q.school,
      course: q.course,
      student: q.student,
      state: q.state,
      reason: q.reason,
      assignee,
      raisedBy,
      createdBefore: q.olderThanDays === undefined ? undefined : now - q.olderThanDays * 86_400_000,
      limit: q.limit ?? 100,
      offset: q.offset ?? 0,
    },
    scope,
  );
}

export async function actOnFlag(store: Store, p: Principal, id: string, body: FlagActionBody, now: number): Promise<FlagRecord> {
  if (p.role === 'teacher' && body.action !== 'note') throw forbidden('staff_only', 'only attendance staff can assign, log contact, resolve or reopen a flag');
  // A note action is its note: one of only spaces or control characters would add an empty event to the history.
  if (body.action === 'note' && cleanNote(body.note) === null) throw badRequest('invalid_request', 'the body is not valid: /note is empty');
  for (let attempt = 0; attempt < 5; attempt++) {
    const f = await getVisibleFlag(store, p, id);
    const action: FlagAction = body.action;
    const assignee = body.action === 'assign' ? (body.assignee && body.assignee !== 'me' ? body.assignee : p.label) : body.action === 'contact' && !f.assignee ? p.label : f.assignee;
    const next = nextFlagState(f.state as never, action, assignee !== null);
    if ('error' in next) throw conflict('invalid_transition', next.error);
    const ok = await store.updateFlag(p.tenant, id, f.version, {
      state: next.state,
      outcome: body.action === 'resolve' ? body.outcome : body.action === 'reopen' ? null : f.outcome,
      assignee,
      event: {
        at: now,
        actor: p.label,
        kind: body.action,
        note: cleanNote(body.note),
        method: body.action === 'contact' ? body.method : null,
        result: body.action === 'contact' ? body.result : null,
        outcome: body.action === 'resolve' ? body.outcome : null,
        assignee: body.action === 'assign' ? assignee : null,
        course: null,
      },
    });
    if (ok) return (await store.getFlag(p.tenant, id))!;
  }
  throw conflict('busy', 'the flag kept changing while this was applied; try again');
}
