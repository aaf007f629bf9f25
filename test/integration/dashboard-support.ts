// Shared set-up for the dashboard's integration tests: the real plugin on one
// engine with the demo district, credentials for every role, and a small
// cookie-keeping client that signs in the way the dashboard page does.
import { seedDemoDistrict, type SeededDistrict } from '../../plugin/admin/seed.ts';
import { startPlugin, type EngineName, type RunningPlugin } from '../support/plugin.ts';

export interface DashWorld {
  plugin: RunningPlugin;
  district: SeededDistrict;
  tokens: { north: string; south: string; admin: string; teacherNorth: string; teacherSouth: string; ingest: string };
  clock: { now: number };
}

export async function dashWorld(engine: EngineName, opts: { env?: Record<string, string> } = {}): Promise<DashWorld> {
  const clock = { now: Date.now() };
  const plugin = await startPlugin({ engine, now: () => clock.now, env: opts.env });
  const district = await seedDemoDistrict(plugin.store, { now: clock.now });
  const tenant = district.tenant;
  const tokens = {
    north: await plugin.issue({ tenant, role: 'staff', label: 'Pat North', schools: ['sch-north'] }),
    south: await plugin.issue({ tenant, role: 'staff', label: 'Sam South', schools: ['sch-south'] }),
    admin: await plugin.issue({ tenant, role: 'admin', label: 'Dana Admin' }),
    teacherNorth: await plugin.issue({ tenant, role: 'teacher', label: 'Maria Rivera', person: '9001' }),
    teacherSouth: await plugin.issue({ tenant, role: 'teacher', label: 'Aisha Johnson', person: '9003' }),
    ingest: await plugin.issue({ tenant, role: 'ingest', label: 'lms-feed' }),
  };
  return { plugin, district, tokens, clock };
}

export interface ApiResponse<T = any> {
  status: number;
  body: T;
  text: string;
  headers: Headers;
}

export async function call<T = any>(base: string, method: string, path: string, opts: { token?: string; cookie?: string; csrf?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.cookie) headers.cookie = opts.cookie;
  if (opts.csrf) headers['x-rl-csrf'] = opts.csrf;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${base}${path}`, { method, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body), redirect: 'manual' });
  // Keep a byte-order mark if there is one: exports are checked for it.
  const text = new TextDecoder('utf-8', { ignoreBOM: true }).decode(await res.arrayBuffer());
  let body: any = text;
  if ((res.headers.get('content-type') ?? '').includes('application/json')) body = text ? JSON.parse(text) : null;
  return { status: res.status, body, text, headers: res.headers };
}

export interface DashClient {
  cookie: string;
  csrf: string;
  setCookie: string;
  get<T = any>(path: string): Promise<ApiResponse<T>>;
  post<T = any>(path: string, body?: unknown): Promise<ApiResponse<T>>;
  put<T = any>(path: string, body?: unknown): Promise<ApiResponse<T>>;
  del<T = any>(path: string): Promise<ApiResponse<T>>;
}

/** Signs in with a pasted credential, as the sign-in page does, and keeps the cookie. */
export async function signIn(base: string, token: string): Promise<DashClient> {
  const r = await call(base, 'POST', '/api/v1/dashboard/session', { body: { token } });
  if (r.status !== 200) throw new Error(`sign-in failed: ${r.status} ${r.text}`);
  const setCookie = r.headers.get('set-cookie') ?? '';
  const cookie = setCookie.split(';')[0]!;
  const csrf = r.body.csrfToken as string;
  return {
    cookie,
    csrf,
    setCookie,
    get: (path) => call(base, 'GET', path, { cookie }),
    post: (path, body) => call(base, 'POST', path, { cookie, csrf, body }),
    put: (path, body) => call(base, 'PUT', path, { cookie, csrf, body }),
    del: (path) => call(base, 'DELETE', path, { cookie, csrf }),
  };
}

/** Parses CSV as RFC 4180 (quoted fields, doubled quotes, CRLF), dropping a leading byte-order mark. */
export function parseCsv(text: string): string[][] {
  const s = text.replace(/^\uFEFF/, '');
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    if (quoted) {
      if (ch === '"') {
        if (s[i + 1] === '"') {
          cell += '"';
          i++;
        } else quoted = false;
      } else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(cell);
      cell = '';
    } else if (ch === '\r' && s[i + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      i++;
    } else cell += ch;
  }
  if (cell || row.length) {
    row.push(cell);
    rows.push(row);
  }
  return rows;
}

export async function raise(base: string, token: string, course: string, student: string, reason: string, note?: string) {
  const r = await call(base, 'POST', '/api/v1/flags', { token, body: { course, student, reason, ...(note ? { note } : {}) } });
  if (r.status !== 200) throw new Error(`raise failed: ${r.status} ${r.text}`);
  return r.body.flag as { id: string; student: string; school: string; state: string };
}
