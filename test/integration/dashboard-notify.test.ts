// Notifications against a real SMTP server and a real webhook receiver on
// 127.0.0.1: a new flag notifies its school, messages carry no student names,
// webhooks are signed, and the daily digest goes out once a school day.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDueDigests, SIGNATURE_HEADER } from '../../plugin/dashboard/notify.ts';
import type { Services } from '../../plugin/server/app.ts';
import { TenantContexts } from '../../plugin/server/tenant-context.ts';
import { engines } from '../support/plugin.ts';
import { call, dashWorld, raise, signIn, type DashClient, type DashWorld } from './dashboard-support.ts';

interface Mail { to: string[]; subject: string; text: string; raw: string }
interface Hook { headers: IncomingHttpHeaders; body: string }

/** Unfolds headers and decodes a quoted-printable body, enough to read what nodemailer sends. */
function parseMail(raw: string, to: string[]): Mail {
  const [head, ...rest] = raw.split(/\r\n\r\n/);
  const headers = head!.replace(/\r\n[ \t]+/g, ' ');
  const subject = /^Subject: (.*)$/im.exec(headers)?.[1] ?? '';
  let body = rest.join('\r\n\r\n');
  if (/Content-Transfer-Encoding: quoted-printable/i.test(headers)) {
    body = body.replace(/=\r\n/g, '').replace(/=([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
  }
  return { to, subject, text: body, raw };
}

/** Waits for something the server does after answering; the test's own timeout is the only limit. */
async function until<T>(get: () => T | undefined | false): Promise<T> {
  for (;;) {
    const v = get();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe.each(engines())('dashboard notifications (%s)', (engine) => {
  let w: DashWorld;
  let admin: DashClient;
  let smtp: SMTPServer;
  let smtpPort: number;
  let hookServer: Server;
  let hookUrl: string;
  let hookStatus = 200;
  const mails: Mail[] = [];
  const hooks: Hook[] = [];
  const secret = 'whsec_0123456789abcdef0123456789';
  const northOffice = 'north-office@district.example';
  const district = 'attendance@district.example';

  beforeAll(async () => {
    smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onData(stream, session, cb) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          mails.push(parseMail(Buffer.concat(chunks).toString('utf8'), session.envelope.rcptTo.map((r) => r.address)));
          cb();
        });
      },
    });
    await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', () => r()));
    smtpPort = ((smtp as unknown as { server: Server }).server.address() as AddressInfo).port;
    hookServer = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        hooks.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        res.writeHead(hookStatus).end();
      });
    });
    await new Promise<void>((r) => hookServer.listen(0, '127.0.0.1', () => r()));
    hookUrl = `http://127.0.0.1:${(hookServer.address() as AddressInfo).port}/rosterlens/hook`;
    w = await dashWorld(engine);
    admin = await signIn(w.plugin.url, w.tokens.admin);
  });
  afterAll(async () => {
    await w?.plugin.close();
    await new Promise<void>((r) => smtp.close(() => r()));
    await new Promise<void>((r) => hookServer.close(() => r()));
  });

  const mailsFor = (flagId: string) => mails.filter((m) => m.text.includes(flagId));
  const hooksFor = (flagId: string) => hooks.filter((h) => h.body.includes(flagId));

  it('lets only an admin change the settings, and never shows secrets back', async () => {
    const north = await signIn(w.plugin.url, w.tokens.north);
    expect((await north.get('/api/v1/dashboard/admin/notifications')).status).toBe(403);
    expect((await north.put('/api/v1/dashboard/admin/notifications', { onNewFlag: true })).status).toBe(403);
    const noSecret = await admin.put('/api/v1/dashboard/admin/notifications', { webhookUrl: hookUrl });
    expect(noSecret.status).toBe(400);
    expect(noSecret.body.error).toBe('webhook_secret_required');
    const r = await admin.put('/api/v1/dashboard/admin/notifications', {
      webhookUrl: hookUrl,
      webhookSecret: secret,
      smtpUrl: `smtp://mailer:hunter2hunter2@127.0.0.1:${smtpPort}`,
      mailFrom: 'RosterLens <rosterlens@district.example>',
      recipients: [
        { email: northOffice, schools: ['sch-north'] },
        { email: district, schools: null },
      ],
      onNewFlag: true,
      digest: true,
      digestHour: 7,
    });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ webhookUrl: hookUrl, webhookSecretSet: true, onNewFlag: true, digest: true, digestHour: 7 });
    expect(r.body.smtpUrl).toBe(`smtp://mailer:****@127.0.0.1:${smtpPort}`);
    expect(JSON.stringify(r.body)).not.toContain(secret);
    expect(JSON.stringify(r.body)).not.toContain('hunter2');
    // Sending the masked URL back keeps the stored password; the server itself has no auth, so drop it for the tests.
    const kept = await admin.put('/api/v1/dashboard/admin/notifications', { smtpUrl: r.body.smtpUrl });
    expect(kept.body.smtpUrl).toBe(r.body.smtpUrl);
    const plain = await admin.put('/api/v1/dashboard/admin/notifications', { smtpUrl: `smtp://127.0.0.1:${smtpPort}` });
    expect(plain.body.smtpUrl).toBe(`smtp://127.0.0.1:${smtpPort}`);
  });

  it('sends a test e-mail through the real SMTP server', async () => {
    const r = await admin.post('/api/v1/dashboard/admin/notifications/test', { kind: 'email' });
    expect(r.status).toBe(200);
    expect(r.body.deliveries).toEqual([
      { channel: 'email', target: northOffice, ok: true, error: null },
      { channel: 'email', target: district, ok: true, error: null },
    ]);
    expect(mails.filter((m) => m.subject === 'RosterLens test e-mail').flatMap((m) => m.to).sort()).toEqual([district, northOffice].sort());
  });

  it('notifies the school of a new flag by e-mail and signed webhook, with no student names', async () => {
    const course = w.district.courses.find((c) => c.id === '101')!;
    const student = course.students[4]!;
    const person = (await w.plugin.store.getPerson(w.district.tenant, student))!;
    const flag = await raise(w.plugin.url, w.tokens.teacherNorth, '101', student, 'never_logged_in', `${person.givenName} told a friend they have no laptop`);
    const got = await until(() => mailsFor(flag.id).length >= 2 && hooksFor(flag.id).length >= 1 && mailsFor(flag.id));
    expect(got.flatMap((m) => m.to).sort()).toEqual([district, northOffice].sort());
    for (const m of got) {
      expect(m.subject).toBe('RosterLens: new outreach flag at North High School');
      expect(m.text).toContain(`${w.plugin.url}/dashboard/#/flag/${flag.id}`);
      expect(m.text).toContain('Reason: Never logged in');
      for (const secretish of [person.givenName!, person.familyName!, student, `S${student}`, 'laptop']) {
        expect(m.subject).not.toContain(secretish);
        expect(m.text).not.toContain(secretish);
      }
    }
    const hook = hooksFor(flag.id)[0]!;
    expect(hook.headers['content-type']).toBe('application/json');
    expect(hook.headers['x-rosterlens-event']).toBe('flag.raised');
    const sig = String(hook.headers[SIGNATURE_HEADER]);
    const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(sig)!;
    expect(m).not.toBeNull();
    const expected = createHmac('sha256', secret).update(`${m[1]}.${hook.body}`).digest();
    expect(timingSafeEqual(expected, Buffer.from(m[2]!, 'hex'))).toBe(true);
    const payload = JSON.parse(hook.body);
    expect(payload).toMatchObject({ event: 'flag.raised', tenant: w.district.tenant, flag: { id: flag.id, school: 'sch-north', schoolName: 'North High School', reason: 'never_logged_in', state: 'open' } });
    expect(hook.body).not.toContain(person.familyName!);
    expect(hook.body).not.toContain('laptop');
  });

  it('tells only the schools concerned, and says nothing when a teacher joins an open flag', async () => {
    const south = w.district.courses.find((c) => c.id === '201')!;
    const sFlag = await raise(w.plugin.url, w.tokens.teacherSouth, '201', south.students[1]!, 'wellbeing');
    const got = await until(() => mailsFor(sFlag.id).length >= 1 && hooksFor(sFlag.id).length >= 1 && mailsFor(sFlag.id));
    expect(got.flatMap((m) => m.to)).toEqual([district]);
    expect(got[0]!.subject).toBe('RosterLens: new outreach flag at South Middle School');

    // North staff join the first north flag (same student and reason): no new message for it.
    const course = w.district.courses.find((c) => c.id === '101')!;
    const joined = await call(w.plugin.url, 'POST', '/api/v1/flags', { token: w.tokens.north, body: { course: '101', student: course.students[4]!, reason: 'never_logged_in' } });
    expect(joined.body.joined).toBe(true);
    const before = mailsFor(joined.body.flag.id).length;
    // A later new flag is the marker that the join's (absent) notification would have been sent by now.
    const marker = await raise(w.plugin.url, w.tokens.teacherNorth, '101', course.students[6]!, 'frequently_absent');
    await until(() => mailsFor(marker.id).length >= 2 && hooksFor(marker.id).length >= 1);
    expect(mailsFor(joined.body.flag.id).length).toBe(before);
  });

  it('sends the daily digest once a school day, after its hour, scoped per recipient', async () => {
    const store = w.plugin.store;
    const tenants = new TenantContexts(store);
    let now = 0;
    const services = {
      store,
      config: w.plugin.config,
      now: () => now,
      tenants,
      tenantContext: async (t: string) => (await tenants.get(t, now))!,
    } as unknown as Services;
    // A Wednesday and the Thursday and Saturday after it, in UTC; the tenant is in New York.
    const wed = Date.UTC(2031, 0, 8);
    const at = (day: number, hourUtc: number) => wed + day * 86_400_000 + hourUtc * 3_600_000;
    const digests = () => mails.filter((m) => m.subject.startsWith('RosterLens daily outreach digest'));

    now = at(0, 15); // 10:00 in New York
    expect(await runDueDigests(services, now)).toEqual([w.district.tenant]);
    now = at(0, 20);
    expect(await runDueDigests(services, now)).toEqual([]);
    now = at(1, 10); // 05:00: before the digest hour
    expect(await runDueDigests(services, now)).toEqual([]);
    now = at(1, 15);
    expect(await runDueDigests(services, now)).toEqual([w.district.tenant]);
    now = at(3, 15); // Saturday
    expect(await runDueDigests(services, now)).toEqual([]);

    const sent = await until(() => digests().length >= 4 && digests());
    expect(sent).toHaveLength(4);
    expect(sent.map((m) => m.subject).sort()).toEqual([
      'RosterLens daily outreach digest, 2031-01-08',
      'RosterLens daily outreach digest, 2031-01-08',
      'RosterLens daily outreach digest, 2031-01-09',
      'RosterLens daily outreach digest, 2031-01-09',
    ]);
    const toNorth = sent.find((m) => m.to.includes(northOffice))!;
    expect(toNorth.text).toContain('North High School:');
    expect(toNorth.text).not.toContain('South Middle School');
    const toDistrict = sent.find((m) => m.to.includes(district))!;
    expect(toDistrict.text).toContain('North High School:');
    expect(toDistrict.text).toContain('South Middle School:');
    expect(hooks.filter((h) => h.headers['x-rosterlens-event'] === 'digest')).toHaveLength(2);
  });

  it('retries a failing webhook and records the failure', async () => {
    hookStatus = 503;
    try {
      const r = await admin.post('/api/v1/dashboard/admin/notifications/test', { kind: 'webhook' });
      expect(r.status).toBe(200);
      expect(r.body.deliveries).toEqual([{ channel: 'webhook', target: new URL(hookUrl).origin, ok: false, error: 'HTTP 503' }]);
      expect(hooks.filter((h) => h.headers['x-rosterlens-event'] === 'test')).toHaveLength(3);
    } finally {
      hookStatus = 200;
    }
    const rows = await (w.plugin.store as any).db.selectFrom('dashboard_deliveries').selectAll().where('event', '=', 'test').where('channel', '=', 'webhook').execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ ok: 0, error: 'HTTP 503' });
    expect(Number(rows[0].attempts)).toBe(3);
  });
});
