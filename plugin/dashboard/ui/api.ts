// The dashboard's client for /api/v1/dashboard: the session cookie rides along
// (same origin); state-changing calls carry the session's CSRF token.
// The two constants are repeated here (and checked equal in the tests) so the
// bundle does not pull in the schema library with shared/dashboard-api.ts.
export const DASHBOARD_API = '/api/v1/dashboard';
export const CSRF_HEADER = 'x-rl-csrf';

let csrfToken = '';
let onSignedOut: () => void = () => {};

export function setCsrf(token: string): void {
  csrfToken = token;
}
export function whenSignedOut(f: () => void): void {
  onSignedOut = f;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export async function api<T>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET') headers[CSRF_HEADER] = csrfToken;
  let res: Response;
  try {
    res = await fetch(`${DASHBOARD_API}${path}`, { method, headers, credentials: 'same-origin', body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw new ApiError(0, 'offline', 'Could not reach the server. Check the connection and try again.');
  }
  const data = (res.headers.get('content-type') ?? '').includes('application/json') ? await res.json() : null;
  if (!res.ok) {
    const err = new ApiError(res.status, data?.error ?? 'error', data?.message ?? `The server answered ${res.status}.`);
    if (res.status === 401 && path !== '/session') onSignedOut();
    throw err;
  }
  return data as T;
}

/** A query string from the set values of an object. */
export function qs(params: Record<string, string | number | boolean | undefined | null>): string {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') u.set(k, String(v));
  const s = u.toString();
  return s ? `?${s}` : '';
}

export const csvUrl = (path: string, params: Record<string, string | number | boolean | undefined | null>) => `${DASHBOARD_API}${path}${qs({ ...params, format: 'csv' })}`;
