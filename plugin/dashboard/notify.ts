// Notifications for the attendance team: a signed webhook and an e-mail when a
// teacher raises a new flag for a school, and a daily digest. Configured per
// tenant by an admin. Messages carry no student names or ids: the e-mail
// subject names the school, the body links to the case, and the dashboard
// (after sign-in) shows the rest.
import { createHmac, randomBytes } from 'node:crypto';
import nodemailer from 'nodemailer';
import { isSchoolDay } from '../../shared/calendar.ts';
import { isoFromDay } from '../../shared/days.ts';
import { FLAG_REASON_LABELS, type FlagReason } from '../../shared/flags.ts';
import type { NotifySettings, NotifySettingsBody, Recipient } from '../../shared/dashboard-api.ts';
import type { Services } from '../server/app.ts';
import type { FlagRaisedEvent } from '../server/flag-service.ts';
import { badRequest } from '../server/errors.ts';
import type { SqlStore } from '../store/sql-store.ts';
import type { DashboardNotifyRow } from '../store/migrations-dashboard.ts';
import { dashDb } from '../store/reporting.ts';

export const SIGNATURE_HEADER = 'x-rosterlens-signature';
const WEBHOOK_TIMEOUT_MS = 10_000;
const WEBHOOK_ATTEMPTS = 3;

export interface Delivery {
  channel: 'webhook' | 'email';
  target: string;
  ok: boolean;
  error: string | null;
}

const store = (s: Services) => s.store as SqlStore;

export async function loadNotify(services: Services, tenant: string): Promise<DashboardNotifyRow | null> {
  const r = await dashDb(store(services)).selectFrom('dashboard_notify').selectAll().where('tenant', '=', tenant).executeTakeFirst();
  return r ?? null;
}

function maskSmtp(url: string | null): string | null {
  if (!url) return null;
  try {
    const u = new URL(url);
    if (u.password) u.password = '****';
    return u.toString();
  } catch {
    return null;
  }
}

export function settingsView(r: DashboardNotifyRow | null): NotifySettings {
  return {
    webhookUrl: r?.webhook_url ?? null,
    webhookSecretSet: !!r?.webhook_secret,
    smtpUrl: maskSmtp(r?.smtp_url ?? null),
    mailFrom: r?.mail_from ?? null,
    recipients: r ? (JSON.parse(r.recipients) as Recipient[]) : [],
    onNewFlag: r ? !!r.on_new_flag : false,
    digest: r ? !!r.digest : false,
    digestHour: r?.digest_hour ?? 7,
    lastDigestDate: r?.last_digest_day == null ? null : isoFromDay(Number(r.last_digest_day)),
  };
}

export async function saveNotify(services: Services, tenant: string, body: NotifySettingsBody): Promise<DashboardNotifyRow> {
  const prev = await loadNotify(services, tenant);
  const next: DashboardNotifyRow = {
    tenant,
    webhook_url: body.webhookUrl !== undefined ? body.webhookUrl : (prev?.webhook_url ?? null),
    webhook_secret: body.webhookSecret !== undefined ? body.webhookSecret : (prev?.webhook_secret ?? null),
    // A masked URL sent back unchanged keeps the stored password.
    smtp_url: body.smtpUrl !== undefined ? (body.smtpUrl !== null && prev?.smtp_url && body.smtpUrl === maskSmtp(prev.smtp_url) ? prev.smtp_url : body.smtpUrl) : (prev?.smtp_url ?? null),
    mail_from: body.mailFrom !== undefined ? body.mailFrom : (prev?.mail_from ?? null),
    recipients: body.recipients !== undefined ? JSON.stringify(body.recipients) : (prev?.recipients ?? '[]'),
    on_new_flag: body.onNewFlag !== undefined ? (body.onNewFlag ? 1 : 0) : (prev?.on_new_flag ?? 0),
    digest: body.digest !== undefined ? (body.digest ? 1 : 0) : (prev?.digest ?? 0),
    digest_hour: body.digestHour ?? prev?.digest_hour ?? 7,
    last_digest_day: prev?.last_digest_day ?? null,
    updated_at: services.now(),
  };
  if (next.webhook_url) {
    try {
      new URL(next.webhook_url);
    } catch {
      throw badRequest('invalid_webhook_url', 'the webhook URL is not a URL');
    }
    if (!next.webhook_secret) throw badRequest('webhook_secret_required', 'a webhook needs a signing secret (webhookSecret, at least 16 characters)');
  }
  if (next.smtp_url) {
    try {
      new URL(next.smtp_url);
    } catch {
      throw badRequest('invalid_smtp_url', 'the SMTP URL is not a URL, e.g. smtp://user:pass@mail.example.org:587');
    }
  }
  const db = dashDb(store(services));
  await db
    .insertInto('dashboard_notify')
    .values(next)
    .onConflict((oc) =>
      oc.column('tenant').doUpdateSet({
        webhook_url: next.webhook_url,
        webhook_secret: next.webhook_secret,
        smtp_url: next.smtp_url,
        mail_from: next.mail_from,
        recipients: next.recipients,
        on_new_flag: next.on_new_flag,
        digest: next.digest,
        digest_hour: next.digest_hour,
        updated_at: next.updated_at,
      }),
    )
    .execute();
  return next;
}

async function logDelivery(services: Services, tenant: string, event: string, d: Delivery, attempts: number): Promise<void> {
  const at = services.now();
  await dashDb(store(services))
    .insertInto('dashboard_deliveries')
    .values({ tenant, id: `${at.toString(36).padStart(9, '0')}${randomBytes(5).toString('hex')}`, at, event, channel: d.channel, target: d.target, ok: d.ok ? 1 : 0, attempts, error: d.error })
    .execute();
}

/** `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">` — verify with the shared secret, and reject old timestamps. */
export function signWebhook(secret: string, body: string, unixSeconds: number): string {
  const mac = createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex');
  return `t=${unixSeconds},v1=${mac}`;
}

async function postWebhook(services: Services, cfg: DashboardNotifyRow, event: string, payload: Record<string, unknown>): Promise<Delivery> {
  const url = cfg.webhook_url!;
  const target = new URL(url).origin;
  const deliveryId = `d_${randomBytes(9).toString('base64url')}`;
  const body = JSON.stringify({ event, id: deliveryId, tenant: cfg.tenant, sentAt: new Date(services.now()).toISOString(), ...payload });
  let error: string | null = null;
  let attempt = 0;
  for (attempt = 1; attempt <= WEBHOOK_ATTEMPTS; attempt++) {
    try {
      const res = await fetch(url, {
        method: 'POST',
        redirect: 'manual',
        signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
        headers: {
          'content-type': 'application/json',
          'user-agent': 'RosterLens-Webhook/1',
          'x-rosterlens-event': event,
          'x-rosterlens-delivery': deliveryId,
          [SIGNATURE_HEADER]: signWebhook(cfg.webhook_secret!, body, Math.floor(Date.now() / 1000)),
        },
        body,
      });
      await res.arrayBuffer().catch(() => undefined);
      if (res.ok) {
        error = null;
        break;
      }
      error = `HTTP ${res.status}`;
      if (res.status < 500 && res.status !== 429) break; // the receiver refused it; retrying will not help
    } catch (e) {
      error = (e as Error).message || 'request failed';
    }
    if (attempt < WEBHOOK_ATTEMPTS) await new Promise((r) => setTimeout(r, 500 * 4 ** (attempt - 1)));
  }
  const d: Delivery = { channel: 'webhook', target, ok: error === null, error };
  await logDelivery(services, cfg.tenant, event, d, Math.min(attempt, WEBHOOK_ATTEMPTS));
  return d;
}

function smtpUrlOf(cfg: DashboardNotifyRow): string | null {
  return cfg.smtp_url ?? process.env.DASHBOARD_SMTP_URL ?? null;
}

async function sendMails(services: Services, cfg: DashboardNotifyRow, event: string, mails: { to: string; subject: string; text: string }[]): Promise<Delivery[]> {
  const url = smtpUrlOf(cfg);
  if (!url || !mails.length) return [];
  const transport = nodemailer.createTransport(url);
  const out: Delivery[] = [];
  try {
    for (const m of mails) {
      let d: Delivery;
      try {
        await transport.sendMail({ from: cfg.mail_from ?? 'RosterLens <no-reply@rosterlens.invalid>', to: m.to, subject: m.subject, text: m.text });
        d = { channel: 'email', target: m.to, ok: true, error: null };
      } catch (e) {
        d = { channel: 'email', target: m.to, ok: false, error: (e as Error).message || 'send failed' };
      }
      await logDelivery(services, cfg.tenant, event, d, 1);
      out.push(d);
    }
  } finally {
    transport.close();
  }
  return out;
}

function recipientsFor(cfg: DashboardNotifyRow, school: string | null): string[] {
  const list = JSON.parse(cfg.recipients) as Recipient[];
  return list.filter((r) => r.schools === null || (school !== null && r.schools.includes(school))).map((r) => r.email);
}

async function schoolName(services: Services, tenant: string, school: string | null): Promise<string> {
  if (!school) return 'a school';
  const r = await dashDb(store(services)).selectFrom('schools').select('name').where('tenant', '=', tenant).where('id', '=', school).executeTakeFirst();
  return r?.name ?? school;
}

export function caseLink(services: Services, flagId: string): string {
  return `${services.config.publicUrl}/dashboard/#/flag/${encodeURIComponent(flagId)}`;
}

/** The flag-raised listener: a new flag (not a teacher joining one) notifies the flag's school. */
export async function notifyFlagRaised(services: Services, e: FlagRaisedEvent): Promise<Delivery[]> {
  if (e.joined) return [];
  const cfg = await loadNotify(services, e.tenant);
  if (!cfg || !cfg.on_new_flag) return [];
  const school = await schoolName(services, e.tenant, e.flag.school);
  const reason = FLAG_REASON_LABELS[e.flag.reason as FlagReason] ?? e.flag.reason;
  const link = caseLink(services, e.flag.id);
  const out: Delivery[] = [];
  const jobs: Promise<unknown>[] = [];
  if (cfg.webhook_url && cfg.webhook_secret) {
    jobs.push(
      postWebhook(services, cfg, 'flag.raised', {
        flag: { id: e.flag.id, school: e.flag.school, schoolName: school, reason: e.flag.reason, state: e.flag.state, createdAt: new Date(e.flag.createdAt).toISOString(), url: link },
      }).then((d) => out.push(d)),
    );
  }
  const to = recipientsFor(cfg, e.flag.school);
  if (to.length) {
    const text = [
      `A teacher has flagged a student at ${school} for outreach.`,
      `Reason: ${reason}`,
      '',
      `Open the case: ${link}`,
      '',
      'Student details are not sent by e-mail. Sign in to the RosterLens dashboard to see them.',
    ].join('\n');
    jobs.push(sendMails(services, cfg, 'flag.raised', to.map((addr) => ({ to: addr, subject: `RosterLens: new outreach flag at ${school}`, text }))).then((ds) => out.push(...ds)));
  }
  await Promise.all(jobs);
  return out;
}

// ---- daily digest ----

interface SchoolCounts { school: string; name: string; newFlags: number; open: number; assigned: number; contacted: number; resolved: number; oldestOpenDays: number | null }

async function digestCounts(services: Services, tenant: string, now: number): Promise<SchoolCounts[]> {
  const db = dashDb(store(services));
  const since = now - 86_400_000;
  const schools = await db.selectFrom('schools').select(['id', 'name']).where('tenant', '=', tenant).orderBy('name').execute();
  const flags = await db
    .selectFrom('flags')
    .select(['school', 'state', 'created_at', 'updated_at'])
    .where('tenant', '=', tenant)
    .where((eb) => eb.or([eb('state', '<>', 'resolved'), eb('updated_at', '>=', since), eb('created_at', '>=', since)]))
    .execute();
  return schools.map((s) => {
    const mine = flags.filter((f) => f.school === s.id);
    const active = mine.filter((f) => f.state !== 'resolved');
    const oldest = active.reduce<number | null>((m, f) => (m === null || Number(f.created_at) < m ? Number(f.created_at) : m), null);
    return {
      school: s.id,
      name: s.name,
      newFlags: mine.filter((f) => Number(f.created_at) >= since).length,
      open: active.filter((f) => f.state === 'open').length,
      assigned: active.filter((f) => f.state === 'assigned').length,
      contacted: active.filter((f) => f.state === 'contacted').length,
      resolved: mine.filter((f) => f.state === 'resolved' && Number(f.updated_at) >= since).length,
      oldestOpenDays: oldest === null ? null : Math.floor((now - oldest) / 86_400_000),
    };
  });
}

export async function sendDigest(services: Services, tenant: string, now: number): Promise<Delivery[]> {
  const cfg = await loadNotify(services, tenant);
  if (!cfg) return [];
  const ctx = await services.tenantContext(tenant);
  const date = isoFromDay(ctx.today(now));
  const counts = await digestCounts(services, tenant, now);
  const out: Delivery[] = [];
  if (cfg.webhook_url && cfg.webhook_secret) out.push(await postWebhook(services, cfg, 'digest', { date, schools: counts, url: `${services.config.publicUrl}/dashboard/` }));
  const list = JSON.parse(cfg.recipients) as Recipient[];
  const mails = list.map((r) => {
    const mine = counts.filter((c) => r.schools === null || r.schools.includes(c.school));
    const lines = mine.map(
      (c) => `${c.name}: ${c.newFlags} new in the last day; ${c.open} open, ${c.assigned} assigned, ${c.contacted} contacted; ${c.resolved} resolved in the last day${c.oldestOpenDays !== null ? `; oldest unresolved ${c.oldestOpenDays} days` : ''}.`,
    );
    return {
      to: r.email,
      subject: `RosterLens daily outreach digest, ${date}`,
      text: [`Outreach flags on ${date}:`, '', ...(lines.length ? lines : ['No schools to report.']), '', `Open the queue: ${services.config.publicUrl}/dashboard/`].join('\n'),
    };
  });
  out.push(...(await sendMails(services, cfg, 'digest', mails)));
  return out;
}

function localHour(now: number, timeZone: string): number {
  const h = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', hourCycle: 'h23' }).format(new Date(now));
  return Number(h);
}

/**
 * Sends each tenant's digest once a school day, at or after its hour. Safe to
 * call from several servers at once: the day is claimed in the store first.
 */
export async function runDueDigests(services: Services, now: number): Promise<string[]> {
  const db = dashDb(store(services));
  const due = await db.selectFrom('dashboard_notify').select(['tenant', 'digest_hour', 'last_digest_day']).where('digest', '=', 1).execute();
  const sent: string[] = [];
  for (const d of due) {
    const ctx = await services.tenants.get(d.tenant, now);
    if (!ctx) continue;
    const today = ctx.today(now);
    if (!isSchoolDay(ctx.calendar, today)) continue;
    if (localHour(now, ctx.tenant.timeZone) < d.digest_hour) continue;
    if (d.last_digest_day !== null && Number(d.last_digest_day) >= today) continue;
    const claimed = await db
      .updateTable('dashboard_notify')
      .set({ last_digest_day: today })
      .where('tenant', '=', d.tenant)
      .where((eb) => eb.or([eb('last_digest_day', 'is', null), eb('last_digest_day', '<', today)]))
      .executeTakeFirst();
    if (Number(claimed.numUpdatedRows) !== 1) continue;
    await sendDigest(services, d.tenant, now);
    sent.push(d.tenant);
  }
  return sent;
}

export async function sendTest(services: Services, tenant: string, kind: 'email' | 'webhook' | 'digest'): Promise<Delivery[]> {
  const cfg = await loadNotify(services, tenant);
  if (!cfg) throw badRequest('not_configured', 'save the notification settings first');
  if (kind === 'digest') return sendDigest(services, tenant, services.now());
  if (kind === 'webhook') {
    if (!cfg.webhook_url || !cfg.webhook_secret) throw badRequest('not_configured', 'set a webhook URL and secret first');
    return [await postWebhook(services, cfg, 'test', { message: 'RosterLens webhook test' })];
  }
  const to = (JSON.parse(cfg.recipients) as Recipient[]).map((r) => r.email);
  if (!smtpUrlOf(cfg) || !to.length) throw badRequest('not_configured', 'set an SMTP URL and at least one recipient first');
  return sendMails(services, cfg, 'test', to.map((addr) => ({ to: addr, subject: 'RosterLens test e-mail', text: 'This is a test of RosterLens notifications. Nothing needs doing.' })));
}
