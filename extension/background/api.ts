// The plugin's HTTP API as the extension uses it. Every failure becomes a
// Problem the page can state plainly.
import { API_PREFIX } from '../lib/api-prefix.ts';
import type { ErrorBody } from '../../shared/api.ts';
import type { CredentialRefusal, Problem, ProblemInfo } from '../lib/messages.ts';

const REFUSALS: ReadonlySet<string> = new Set<CredentialRefusal>(['credential_expired', 'credential_revoked', 'credential_unknown']);

export type ApiResult<T> = { ok: true; value: T } | { ok: false; error: ProblemInfo; retryable: boolean; status: number };

const TIMEOUT_MS = 15_000;

function problemFor(status: number, body: Partial<ErrorBody> | null): { problem: Problem; retryable: boolean } {
  if (status === 401) return { problem: 'not_signed_in', retryable: false };
  if (status === 403 && body?.error === 'not_course_teacher') return { problem: 'not_course_teacher', retryable: false };
  if (status === 404 && body?.error === 'unknown_course') return { problem: 'unknown_course', retryable: false };
  if (status === 404 && body?.error === 'unknown_student') return { problem: 'unknown_student', retryable: false };
  if (status === 429) return { problem: 'rate_limited', retryable: true };
  // A proxy in front of a plugin that is down answers 502–504: that is "unreachable" too.
  if (status === 502 || status === 503 || status === 504) return { problem: 'unreachable', retryable: true };
  return { problem: 'server_error', retryable: status >= 500 };
}

export async function call<T>(pluginUrl: string, token: string, path: string, init: { method?: string; body?: unknown } = {}): Promise<ApiResult<T>> {
  let res: Response;
  try {
    res = await fetch(`${pluginUrl}${API_PREFIX}${path}`, {
      method: init.method ?? 'GET',
      headers: { authorization: `Bearer ${token}`, ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: init.body !== undefined ? JSON.stringify(init.body) : undefined,
      credentials: 'omit',
      cache: 'no-store',
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch {
    return { ok: false, error: { problem: 'unreachable', message: `RosterLens could not reach ${pluginUrl}.` }, retryable: true, status: 0 };
  }
  let body: unknown = null;
  try {
    body = await res.json();
  } catch {
    body = null;
  }
  if (res.ok) return { ok: true, value: body as T };
  const err = body as Partial<ErrorBody> | null;
  const { problem, retryable } = problemFor(res.status, err);
  // A malformed credential is, to the teacher, one RosterLens does not recognise.
  const code = err?.error === 'credential_malformed' ? 'credential_unknown' : err?.error;
  const reason = res.status === 401 && code && REFUSALS.has(code) ? (code as CredentialRefusal) : undefined;
  return { ok: false, error: { problem, message: err?.message ?? `the plugin answered ${res.status}`, ...(reason ? { reason } : {}) }, retryable, status: res.status };
}
