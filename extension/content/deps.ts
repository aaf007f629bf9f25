// The roster feature's link to the service worker (kept apart so tests can run the feature with fakes).
import { ask } from './client.ts';
import type { RosterDeps } from './roster.tsx';

export const extensionDeps: RosterDeps = {
  status: (course, mode) => ask({ type: 'status', course, mode }),
  raise: (course, student, reason, note) => ask({ type: 'raise', body: { course, student, reason, ...(note ? { note } : {}) } }),
  raiseMany: async (course, students, reason) => (await ask({ type: 'raiseMany', course, students, reason })).results,
  loadFlag: (flagId) => ask({ type: 'flag', flagId }),
  openOptions: () => void ask({ type: 'openOptions' }),
};
