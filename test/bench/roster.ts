// Roster status latency through HTTP, one request at a time, as a teacher
// opening the roster would see it, on a district-year store.
import { startChild } from './child.ts';
import type { District } from './district.ts';

export interface Latency {
  p50Ms: number;
  p99Ms: number;
  students: number;
  requests: number;
}

function percentile(sorted: number[], p: number): number {
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! * 100) / 100;
}

async function measure(base: string, token: string, course: string, requests: number): Promise<Latency> {
  const times: number[] = [];
  let students = 0;
  for (let i = 0; i < requests + 20; i++) {
    const t0 = performance.now();
    const res = await fetch(`${base}/api/v1/courses/${course}/status`, { headers: { authorization: `Bearer ${token}` } });
    // Time to the last byte: what the server and the network take, not this client's JSON parsing.
    const bytes = await res.arrayBuffer();
    const dt = performance.now() - t0;
    if (res.status !== 200) throw new Error(`roster status answered ${res.status}`);
    if (i === 0) students = ((JSON.parse(Buffer.from(bytes).toString('utf8')) as { students?: unknown[] }).students ?? []).length;
    if (i >= 20) times.push(dt); // the first requests warm caches and the JIT
  }
  times.sort((a, b) => a - b);
  return { p50Ms: percentile(times, 50), p99Ms: percentile(times, 99), students, requests };
}

export async function benchRoster(target: { dataDir: string; databaseUrl?: string }, district: District): Promise<{ small: Latency; lecture: Latency }> {
  const env: Record<string, string> = target.databaseUrl ? { DATABASE_URL: target.databaseUrl } : { DATA_DIR: target.dataDir };
  const app = await startChild('app', env);
  try {
    const base = `http://127.0.0.1:${app.port}`;
    const small = await measure(base, district.teacherToken, district.smallCourse, 500);
    const lecture = await measure(base, district.teacherToken, district.lectureCourse, 100);
    return { small, lecture };
  } finally {
    await app.stop();
  }
}
