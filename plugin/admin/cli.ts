// `npm run admin -- <command>`: the district admin's tools. Reads the same
// configuration as the server (DATA_DIR or DATABASE_URL).
import { parseArgs } from 'node:util';
import { createWriteStream } from 'node:fs';
import { userInfo } from 'node:os';
import { Value } from 'typebox/value';
import { loadConfig } from '../server/config.ts';
import { openStore } from '../store/open.ts';
import type { CredentialRole, Store } from '../store/store.ts';
import { issueCredential } from '../server/credentials.ts';
import { createTenant, rebuildStatus, updatePolicy } from '../server/tenant-admin.ts';
import { importOneRoster } from '../sources/oneroster.ts';
import { importCalendar } from '../sources/calendar-import.ts';
import { ImportRejected } from '../sources/csv-rows.ts';
import { importActivityReport } from '../sources/activity-report.ts';
import { Policy } from '../../shared/policy.ts';
import { dayFromIso, localDay } from '../../shared/days.ts';
import { seedDemoDistrict } from './seed.ts';
import { addDeployment, createRegistrationLink, grantLtiStaff, listPlatforms, registerPlatformManually, revokeLtiStaff, rotateToolKeys, syncCourse } from '../sources/lti/index.ts';

const HELP = `RosterLens admin

Usage: npm run admin -- <command> [options]

  tenants                                   list tenants
  create-tenant --id ID --name NAME --lms canvas|schoology|moodle|classroom
                --origin https://lms.example.org --tz America/Chicago
  import-roster --tenant ID --dir DIR       OneRoster 1.1 CSV folder (orgs, users, classes,
                                            enrollments; academicSessions, demographics optional)
  import-calendar --tenant ID --file F.csv [--start YYYY-MM-DD --end YYYY-MM-DD --default-minutes N]
  import-activity --tenant ID --file F.csv  an LMS login/activity report (see README, "LMS event streams")
  show-policy --tenant ID
  set-policy --tenant ID [--rule engaged_half_day|logged_in] [--engaged-fraction 0.5]
             [--course-minutes N|none] [--partial-weight 0.5] [--tiers 0.05,0.10,0.20]
             [--not-seen-days 3] [--day-minutes 360]
  issue --tenant ID --role teacher|staff|admin|ingest|beacon --label TEXT
        [--person LMS_USER_ID] [--schools ID,ID] [--days 180]
  revoke --id CREDENTIAL_ID
  credentials --tenant ID                   list credentials (never their secrets)
  summary --tenant ID                       counts, today's activity, unknown courses/users, flags
  rebuild-status --tenant ID                recompute day counts (after a bulk fix)
  export-audit --tenant ID [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--format csv|jsonl] [--out FILE]
  seed-demo [--tenant demo]                 a sample district for trying RosterLens

LTI 1.3 (see README, "LTI 1.3"):
  lti-registration-link [--tenant ID] [--name NAME --tz ZONE --origin URL] [--days 7]
                                            a one-use Dynamic Registration URL to paste into the LMS
  lti-register --tenant ID --issuer URL --client-id ID --auth-url URL --jwks-url URL
               [--token-url URL] [--deployments ID,ID] [--native-ids custom|sub]
                                            manual registration where the LMS has no dynamic registration
  lti-add-deployment --platform ID --deployment ID
  lti-platforms [--tenant ID]
  lti-rotate-keys                           new tool signing key; the old one stays published for a grace period
  lti-grant-staff --tenant ID --person LMS_USER_ID --role staff|admin [--schools ID,ID]
  lti-revoke-staff --tenant ID --person LMS_USER_ID
  lti-sync-course --tenant ID --course LMS_COURSE_ID [--full]
                                            refresh a course's roster from Names and Role Provisioning now
`;

const ROLES: CredentialRole[] = ['teacher', 'staff', 'admin', 'ingest', 'beacon'];
const DEFAULT_DAYS: Record<CredentialRole, number> = { teacher: 180, staff: 180, admin: 30, ingest: 365, beacon: 365 };

class UsageError extends Error {}

function need(v: Record<string, unknown>, name: string): string {
  const x = v[name];
  if (typeof x !== 'string' || !x) throw new UsageError(`--${name} is required`);
  return x;
}

function num(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new UsageError(`--${name} must be a number`);
  return n;
}

async function audit(store: Store, tenant: string, action: string, target: string, detail: object | null) {
  await store.appendAudit([{ tenant, at: Date.now(), actor: `cli:${userInfo().username}`, action, target, detail: detail ? JSON.stringify(detail) : null }]);
}

function progress(file: string, bytes: number, total: number) {
  if (!process.stderr.isTTY && total < 5_000_000) return;
  process.stderr.write(`\r  reading ${file}: ${Math.floor((bytes / Math.max(total, 1)) * 100)}%   `);
  if (bytes >= total) process.stderr.write('\n');
}

async function run(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === 'help' || command === '--help') {
    process.stdout.write(HELP);
    return command ? 0 : 2;
  }
  const options: Record<string, { type: 'string' | 'boolean' }> = { full: { type: 'boolean' } };
  for (const o of [
    ...['id', 'name', 'lms', 'origin', 'tz', 'tenant', 'dir', 'file', 'start', 'end', 'default-minutes', 'rule', 'engaged-fraction', 'course-minutes', 'partial-weight', 'tiers', 'not-seen-days', 'day-minutes', 'role', 'label', 'person', 'schools', 'days', 'from', 'to', 'format', 'out'],
    ...['issuer', 'client-id', 'auth-url', 'jwks-url', 'token-url', 'deployments', 'native-ids', 'platform', 'deployment', 'course'],
  ]) options[o] = { type: 'string' };
  const parsed = parseArgs({ args: rest, strict: true, options });
  const v = parsed.values as Record<string, string | undefined> & { full?: boolean };
  const config = loadConfig();
  const store = await openStore(config);
  const now = Date.now();
  try {
    switch (command) {
      case 'tenants': {
        for (const t of await store.listTenants()) console.log(`${t.id}\t${t.lmsKind}\t${t.lmsOrigin}\t${t.timeZone}\t${t.name}`);
        return 0;
      }
      case 'create-tenant': {
        const t = await createTenant(store, { id: need(v, 'id'), name: need(v, 'name'), lmsKind: need(v, 'lms'), lmsOrigin: need(v, 'origin'), timeZone: need(v, 'tz') }, now);
        await audit(store, t.id, 'tenant.create', `tenant:${t.id}`, { lms: t.lmsKind, origin: t.lmsOrigin });
        console.log(`created tenant ${t.id} (${t.lmsKind} at ${t.lmsOrigin}, ${t.timeZone})`);
        return 0;
      }
      case 'import-roster': {
        const tenant = need(v, 'tenant');
        const r = await importOneRoster(store, tenant, need(v, 'dir'), now, progress);
        await rebuildStatus(store, tenant);
        await audit(store, tenant, 'roster.import', `tenant:${tenant}`, r.counts);
        console.log(`imported: ${r.counts.schools} orgs, ${r.counts.people} users, ${r.counts.courses} classes, ${r.counts.enrollments} enrollments`);
        if (r.schoolYear) console.log(`school year: ${r.schoolYear.start} to ${r.schoolYear.end}`);
        if (r.skipped.length) console.log(`skipped ${r.skipped.length} row(s) with untracked roles (first: ${r.skipped[0]!.file} line ${r.skipped[0]!.line}: ${r.skipped[0]!.reason})`);
        return 0;
      }
      case 'import-calendar': {
        const tenant = need(v, 'tenant');
        const r = await importCalendar(store, tenant, need(v, 'file'), { start: v.start, end: v.end, defaultMinutes: num(v['default-minutes'], 'default-minutes') }, now);
        await rebuildStatus(store, tenant);
        await audit(store, tenant, 'calendar.import', `tenant:${tenant}`, r);
        console.log(`calendar: ${r.days} listed day(s), ${r.noSchoolDays} without school; year ${r.start ?? 'open'} to ${r.end ?? 'open'}; ${r.defaultMinutes} minutes on an ordinary day`);
        return 0;
      }
      case 'import-activity': {
        const tenant = need(v, 'tenant');
        const r = await importActivityReport(store, tenant, need(v, 'file'), now, { onProgress: (b, t) => progress(need(v, 'file').split('/').pop()!, b, t) });
        await audit(store, tenant, 'activity.import', `tenant:${tenant}`, { rows: r.rows, stored: r.stored, duplicates: r.duplicates });
        console.log(`imported ${r.rows} row(s): ${r.stored} new signal(s), ${r.duplicates} already held; ${r.first ?? '-'} to ${r.last ?? '-'}`);
        if (r.unknownUsers) console.log(`${r.unknownUsers} user id(s) are not on the roster yet: their activity is kept and shows once they are imported`);
        return 0;
      }
      case 'show-policy': {
        const t = await store.getTenant(need(v, 'tenant'));
        if (!t) throw new UsageError('no such tenant');
        console.log(JSON.stringify(t.policy, null, 2));
        return 0;
      }
      case 'set-policy': {
        const tenant = need(v, 'tenant');
        const change: Record<string, unknown> = {};
        if (v.rule) change.rule = v.rule;
        if (v['engaged-fraction']) change.engagedFraction = num(v['engaged-fraction'], 'engaged-fraction');
        if (v['course-minutes']) change.courseMinutes = v['course-minutes'] === 'none' ? null : num(v['course-minutes'], 'course-minutes');
        if (v['partial-weight']) change.partialAbsenceWeight = num(v['partial-weight'], 'partial-weight');
        if (v['not-seen-days']) change.notSeenAlertDays = num(v['not-seen-days'], 'not-seen-days');
        if (v['day-minutes']) change.defaultDayMinutes = num(v['day-minutes'], 'day-minutes');
        if (v.tiers) {
          const [atRisk, moderate, severe] = v.tiers.split(',').map((x) => num(x.trim(), 'tiers'));
          change.tiers = { atRisk, moderate, severe };
        }
        const t = await store.getTenant(tenant);
        if (!t) throw new UsageError('no such tenant');
        const candidate = { ...t.policy, ...change, tiers: { ...t.policy.tiers, ...((change.tiers as object) ?? {}) } };
        if (!Value.Check(Policy, candidate)) {
          const first = [...Value.Errors(Policy, candidate)][0];
          throw new UsageError(`invalid policy: ${first?.instancePath ?? ''} ${first?.message ?? ''}`);
        }
        const p = await updatePolicy(store, tenant, candidate);
        await audit(store, tenant, 'policy.set', `tenant:${tenant}`, p);
        console.log(JSON.stringify(p, null, 2));
        return 0;
      }
      case 'issue': {
        const tenant = need(v, 'tenant');
        if (!(await store.getTenant(tenant))) throw new UsageError('no such tenant');
        const role = need(v, 'role') as CredentialRole;
        if (!ROLES.includes(role)) throw new UsageError(`--role must be one of ${ROLES.join(', ')}`);
        const schools = (v.schools ?? '').split(',').map((s) => s.trim()).filter(Boolean);
        if (role === 'teacher' && !v.person) throw new UsageError('a teacher credential needs --person (the teacher’s LMS user id)');
        if (role === 'staff' && !schools.length) throw new UsageError('a staff credential needs --schools (the org ids it may see)');
        const days = num(v.days, 'days') ?? DEFAULT_DAYS[role];
        const { token, credential } = await issueCredential(store, { tenant, role, label: need(v, 'label'), person: v.person ?? null, schools, ttlMs: days * 86_400_000 }, now);
        await audit(store, tenant, 'credential.issue', `credential:${credential.id}`, { role, person: credential.person, schools, days });
        console.log(token);
        console.error(`issued ${role} credential ${credential.id} for ${credential.label}, expires ${new Date(credential.expiresAt).toISOString().slice(0, 10)}; it is shown once`);
        return 0;
      }
      case 'revoke': {
        const id = need(v, 'id');
        const cred = await store.getCredential(id);
        if (!cred) throw new UsageError('no such credential');
        const done = await store.revokeCredential(id, now);
        await audit(store, cred.tenant, 'credential.revoke', `credential:${id}`, null);
        console.log(done ? `revoked ${id}` : `${id} was already revoked`);
        return 0;
      }
      case 'credentials': {
        for (const c of await store.listCredentials(need(v, 'tenant'))) {
          const state = c.revokedAt ? 'revoked' : c.expiresAt <= now ? 'expired' : 'active';
          console.log(`${c.id}\t${c.role}\t${state}\texpires ${new Date(c.expiresAt).toISOString().slice(0, 10)}\t${c.person ?? ''}\t${c.schools.join(',')}\t${c.label}`);
        }
        return 0;
      }
      case 'summary': {
        const tenant = need(v, 'tenant');
        const t = await store.getTenant(tenant);
        if (!t) throw new UsageError('no such tenant');
        console.log(JSON.stringify(await store.tenantSummary(tenant, localDay(now, t.timeZone)), null, 2));
        return 0;
      }
      case 'rebuild-status': {
        const n = await rebuildStatus(store, need(v, 'tenant'));
        console.log(`recomputed ${n} student-course summaries`);
        return 0;
      }
      case 'export-audit': {
        const tenant = need(v, 'tenant');
        const from = v.from ? dayFromIso(v.from) * 86_400_000 : 0;
        const to = v.to ? (dayFromIso(v.to) + 1) * 86_400_000 : now + 1;
        const format = v.format ?? 'csv';
        if (format !== 'csv' && format !== 'jsonl') throw new UsageError('--format must be csv or jsonl');
        const out = v.out ? createWriteStream(v.out) : process.stdout;
        const q = (s: string) => (/[",\n\r]/.test(s) || /^[=+\-@]/.test(s) ? `"${(/^[=+\-@]/.test(s) ? `'${s}` : s).replace(/"/g, '""')}"` : s);
        if (format === 'csv') out.write('at,actor,action,target,detail\n');
        let n = 0;
        for await (const e of store.readAudit(tenant, from, to)) {
          n++;
          out.write(format === 'csv' ? `${new Date(e.at).toISOString()},${q(e.actor)},${q(e.action)},${q(e.target)},${q(e.detail ?? '')}\n` : `${JSON.stringify({ at: new Date(e.at).toISOString(), actor: e.actor, action: e.action, target: e.target, detail: e.detail ? JSON.parse(e.detail) : null })}\n`);
        }
        if (v.out) await new Promise((r) => (out as ReturnType<typeof createWriteStream>).end(r));
        await audit(store, tenant, 'audit.export', `tenant:${tenant}`, { entries: n });
        console.error(`exported ${n} audit entries`);
        return 0;
      }
      case 'seed-demo': {
        const d = await seedDemoDistrict(store, { tenant: v.tenant ?? 'demo' });
        console.log(`seeded tenant ${d.tenant}: ${d.courses.length} courses, ${d.courses.reduce((n, c) => n + c.students.length, 0)} students`);
        return 0;
      }
      case 'lti-registration-link': {
        const link = await createRegistrationLink(store, config.publicUrl, { tenant: v.tenant, tenantName: v.name, timeZone: v.tz, lmsOrigin: v.origin, ttlMs: (num(v.days, 'days') ?? 7) * 86_400_000 }, now);
        await audit(store, v.tenant ?? '-', 'lti.registration_link', 'lti', { expires: new Date(link.expiresAt).toISOString() });
        console.log(link.url);
        console.error(`paste it into the LMS's LTI dynamic registration; it works once, until ${new Date(link.expiresAt).toISOString().slice(0, 16)}Z`);
        return 0;
      }
      case 'lti-register': {
        const tenant = need(v, 'tenant');
        const nativeIds = v['native-ids'];
        if (nativeIds && nativeIds !== 'custom' && nativeIds !== 'sub') throw new UsageError('--native-ids must be custom or sub');
        const p = await registerPlatformManually(store, {
          tenant,
          issuer: need(v, 'issuer'),
          clientId: need(v, 'client-id'),
          authUrl: need(v, 'auth-url'),
          jwksUrl: need(v, 'jwks-url'),
          tokenUrl: v['token-url'] ?? null,
          deploymentIds: (v.deployments ?? '').split(',').map((d) => d.trim()).filter(Boolean),
          nativeIds: nativeIds as 'custom' | 'sub' | undefined,
        }, now);
        await audit(store, tenant, 'lti.register', `platform:${p.id}`, { issuer: p.issuer, clientId: p.clientId });
        console.log(`registered platform ${p.id} (${p.issuer}, client ${p.clientId}, ${p.deployments.length} deployment(s))`);
        return 0;
      }
      case 'lti-add-deployment': {
        await addDeployment(store, need(v, 'platform'), need(v, 'deployment'), now);
        console.log('added');
        return 0;
      }
      case 'lti-platforms': {
        for (const p of await listPlatforms(store, v.tenant)) console.log(`${p.id}\t${p.tenant}\t${p.issuer}\t${p.clientId}\t${p.registeredVia}\t${p.deployments.join(',')}`);
        return 0;
      }
      case 'lti-rotate-keys': {
        const r = await rotateToolKeys(store, now);
        console.log(`new signing key ${r.kid}; retiring ${r.retired.join(', ') || 'none'}; removed ${r.deleted} expired key(s)`);
        return 0;
      }
      case 'lti-grant-staff': {
        const tenant = need(v, 'tenant');
        const role = need(v, 'role');
        if (role !== 'staff' && role !== 'admin') throw new UsageError('--role must be staff or admin');
        const schools = (v.schools ?? '').split(',').map((s) => s.trim()).filter(Boolean);
        if (role === 'staff' && !schools.length) throw new UsageError('staff need --schools');
        await grantLtiStaff(store, tenant, need(v, 'person'), { role, schools }, now);
        await audit(store, tenant, 'lti.grant_staff', `person:${v.person}`, { role, schools });
        console.log('granted');
        return 0;
      }
      case 'lti-revoke-staff': {
        const tenant = need(v, 'tenant');
        const done = await revokeLtiStaff(store, tenant, need(v, 'person'));
        await audit(store, tenant, 'lti.revoke_staff', `person:${v.person}`, null);
        console.log(done ? 'revoked' : 'there was no grant');
        return 0;
      }
      case 'lti-sync-course': {
        const tenant = need(v, 'tenant');
        const t = await store.getTenant(tenant);
        if (!t) throw new UsageError('no such tenant');
        const r = await syncCourse(store, tenant, need(v, 'course'), { now, today: localDay(now, t.timeZone), full: v.full === true });
        console.log(JSON.stringify(r, null, 2));
        return 0;
      }
      default:
        throw new UsageError(`unknown command ${command}`);
    }
  } finally {
    await store.close();
  }
}

try {
  process.exitCode = await run(process.argv.slice(2));
} catch (e) {
  if (e instanceof ImportRejected) {
    console.error(`${e.message}`);
    for (const err of e.errors.slice(0, 50)) console.error(`  ${err.file}${err.line ? `:${err.line}` : ''}  ${err.message}`);
    if (e.errors.length > 50) console.error(`  … and ${e.errors.length - 50} more`);
  } else if (e instanceof UsageError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
    console.error(`error: ${(e as Error).message}\n\n${HELP}`);
  } else {
    console.error(`error: ${(e as Error).message}`);
  }
  process.exitCode = 1;
}
