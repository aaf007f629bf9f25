// What the content script, options page and popup may ask the service worker,
// and what it answers. The service worker is the only part that calls the plugin.
import type { FlagReason } from '../../shared/flags.ts';
import type { Flag, FlagList, Me, RaiseFlag, RaiseFlagResult, RosterStatus } from '../../shared/api.ts';

/** Why the extension cannot show (fresh) status, each shown to the teacher in words. */
export type Problem =
  | 'not_configured'
  | 'not_signed_in'
  | 'unreachable'
  | 'not_course_teacher'
  | 'unknown_course'
  | 'unknown_student'
  | 'rate_limited'
  | 'server_error';

/** Why a signed-in credential was refused (the plugin's 401 `error`), so the page can say which. */
export type CredentialRefusal = 'credential_expired' | 'credential_revoked' | 'credential_unknown';

export interface ProblemInfo {
  problem: Problem;
  message: string;
  /** With `not_signed_in`: the plugin refused the credential for this reason. */
  reason?: CredentialRefusal;
}

export interface CachedStatus {
  status: RosterStatus;
  /** When the plugin answered (ms since epoch). */
  fetchedAt: number;
  stale: boolean;
}

export type StatusReply = { ok: true; data: CachedStatus; source: 'cache' | 'network' } | { ok: false; error: ProblemInfo; cached: CachedStatus | null };

export type RaiseReply =
  | { ok: true; result: RaiseFlagResult }
  | { ok: true; queued: true; clientRequestId: string }
  | { ok: false; error: ProblemInfo };

export interface SignInState {
  pluginUrl: string | null;
  /** True when the plugin URL comes from the district's managed settings. */
  managedPluginUrl: boolean;
  me: Me | null;
  lmsDomains: string[];
  managedLmsDomains: string[];
  queued: number;
  failed: { clientRequestId: string; body: RaiseFlag; error: string }[];
}

export type Request =
  | { type: 'status'; course: string; mode: 'cache' | 'network' }
  | { type: 'raise'; body: RaiseFlag }
  | { type: 'raiseMany'; course: string; students: string[]; reason: FlagReason; note?: string }
  | { type: 'addNote'; flagId: string; note: string }
  | { type: 'flag'; flagId: string }
  | { type: 'myFlags' }
  | { type: 'state' }
  | { type: 'signIn'; pluginUrl: string; token: string }
  | { type: 'signOut' }
  | { type: 'setDomains'; lmsDomains: string[] }
  | { type: 'flush' }
  | { type: 'openOptions' }
  | { type: 'pair'; token: string; pluginUrl: string; pageOrigin: string };

export type Reply<R extends Request['type']> = R extends 'status'
  ? StatusReply
  : R extends 'raise'
    ? RaiseReply
    : R extends 'raiseMany'
      ? { results: RaiseReply[] }
      : R extends 'addNote' | 'flag'
        ? { ok: true; flag: Flag } | { ok: false; error: ProblemInfo }
        : R extends 'myFlags'
          ? { ok: true; list: FlagList; resolved: FlagList } | { ok: false; error: ProblemInfo }
          : R extends 'state' | 'signIn' | 'signOut' | 'setDomains'
            ? { ok: true; state: SignInState } | { ok: false; error: ProblemInfo; state: SignInState }
            : R extends 'pair'
              ? { ok: true } | { ok: false; error: string }
              : { ok: true };

/** Messages only extension pages may send; content scripts are limited to reading and flagging. */
export const CONTENT_ALLOWED: ReadonlySet<Request['type']> = new Set(['status', 'raise', 'raiseMany', 'addNote', 'flag', 'openOptions', 'pair']);
