// Store records to API shapes.
import type { Flag, FlagBrief, FlagEvent } from '../../shared/api.ts';
import type { FlagEventRecord, FlagRecord } from '../store/store.ts';

const iso = (ms: number) => new Date(ms).toISOString();

export function toFlagEvent(e: FlagEventRecord): FlagEvent {
  return {
    at: iso(e.at),
    actor: e.actor,
    kind: e.kind as FlagEvent['kind'],
    note: e.note,
    method: e.method as FlagEvent['method'],
    result: e.result as FlagEvent['result'],
    outcome: e.outcome as FlagEvent['outcome'],
    assignee: e.assignee,
    course: e.course,
  };
}

export function toFlag(f: FlagRecord): Flag {
  return {
    id: f.id,
    student: f.student,
    school: f.school,
    reason: f.reason as Flag['reason'],
    state: f.state as Flag['state'],
    outcome: f.outcome as Flag['outcome'],
    assignee: f.assignee,
    courses: [...new Set(f.raisers.map((r) => r.course))],
    raisedBy: [...new Set(f.raisers.map((r) => r.teacher))],
    createdAt: iso(f.createdAt),
    updatedAt: iso(f.updatedAt),
    history: f.events.map(toFlagEvent),
  };
}

export function toFlagBrief(f: FlagRecord): FlagBrief {
  const last = f.events[f.events.length - 1];
  return {
    id: f.id,
    reason: f.reason as FlagBrief['reason'],
    state: f.state as FlagBrief['state'],
    assignee: f.assignee,
    raisedBy: [...new Set(f.raisers.map((r) => r.teacher))],
    createdAt: iso(f.createdAt),
    updatedAt: iso(f.updatedAt),
    lastEvent: last ? toFlagEvent(last) : null,
  };
}
