// Notification settings for a district admin: a signed webhook and e-mail on
// new flags, the daily digest, and test buttons.
import { useEffect, useState } from 'preact/hooks';
import type { DashMeta, NotifySettings, NotifySettingsBody, NotifyTestResult, Recipient } from '../../../shared/dashboard-api.ts';
import { api, ApiError } from './api.ts';
import { announce, ErrorBox, Field, useLoad } from './ui.tsx';

function recipientsToText(rs: Recipient[]): string {
  return rs.map((r) => (r.schools ? `${r.email} ${r.schools.join(' ')}` : r.email)).join('\n');
}
function textToRecipients(t: string): Recipient[] {
  return t
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .map((l) => {
      const [email, ...schools] = l.split(/[\s,]+/);
      return { email: email!, schools: schools.length ? schools : null };
    });
}

export function SettingsView({ meta }: { meta: DashMeta }) {
  const { data, error } = useLoad(() => api<NotifySettings>('GET', '/admin/notifications'), []);
  const [form, setForm] = useState({ webhookUrl: '', webhookSecret: '', smtpUrl: '', mailFrom: '', recipients: '', onNewFlag: false, digest: false, digestHour: 7 });
  const [status, setStatus] = useState<string | null>(null);
  const [err, setErr] = useState<string | null>(null);
  const [secretSet, setSecretSet] = useState(false);
  const load = (s: NotifySettings) => {
    setForm({ webhookUrl: s.webhookUrl ?? '', webhookSecret: '', smtpUrl: s.smtpUrl ?? '', mailFrom: s.mailFrom ?? '', recipients: recipientsToText(s.recipients), onNewFlag: s.onNewFlag, digest: s.digest, digestHour: s.digestHour });
    setSecretSet(s.webhookSecretSet);
  };
  useEffect(() => {
    if (data) load(data);
  }, [data]);
  const save = async (e: Event) => {
    e.preventDefault();
    setErr(null);
    const body: NotifySettingsBody = {
      webhookUrl: form.webhookUrl.trim() || null,
      smtpUrl: form.smtpUrl.trim() || null,
      mailFrom: form.mailFrom.trim() || null,
      recipients: textToRecipients(form.recipients),
      onNewFlag: form.onNewFlag,
      digest: form.digest,
      digestHour: Number(form.digestHour),
      ...(form.webhookSecret ? { webhookSecret: form.webhookSecret } : {}),
    };
    try {
      load(await api<NotifySettings>('PUT', '/admin/notifications', body));
      announce('Notification settings saved.');
      setStatus('Saved.');
    } catch (x) {
      setErr(x instanceof ApiError ? x.message : 'Saving failed.');
    }
  };
  const test = async (kind: 'email' | 'webhook' | 'digest') => {
    setErr(null);
    setStatus('Sending…');
    try {
      const r = await api<NotifyTestResult>('POST', '/admin/notifications/test', { kind });
      const msg = r.deliveries.length ? r.deliveries.map((d) => `${d.channel} to ${d.target}: ${d.ok ? 'sent' : `failed (${d.error})`}`).join('; ') : 'Nothing to send.';
      setStatus(msg);
      announce(msg);
    } catch (x) {
      setStatus(null);
      setErr(x instanceof ApiError ? x.message : 'Sending failed.');
    }
  };
  const set = (k: keyof typeof form) => (e: Event) => {
    const t = e.currentTarget as HTMLInputElement;
    setForm({ ...form, [k]: t.type === 'checkbox' ? t.checked : t.value });
  };
  return (
    <section aria-labelledby="settings-title" class="settings">
      <div class="view-head">
        <h1 id="settings-title">Notifications</h1>
        <p class="sub">When a teacher raises a new flag, and once each school day</p>
      </div>
      <ErrorBox error={error ?? err} />
      <form onSubmit={save} class="settings-form">
        <fieldset>
          <legend>E-mail</legend>
          <Field id="smtp" label="SMTP server URL" wide>
            <input id="smtp" type="text" placeholder="smtp://user:password@mail.district.org:587" value={form.smtpUrl} onInput={set('smtpUrl')} autocomplete="off" />
          </Field>
          <Field id="from" label="From address" wide>
            <input id="from" type="text" placeholder="RosterLens <attendance@district.org>" value={form.mailFrom} onInput={set('mailFrom')} />
          </Field>
          <Field id="rcpt" label="Recipients: one per line, an address then the school ids it covers (none: every school)" wide>
            <textarea id="rcpt" rows={4} value={form.recipients} onInput={set('recipients')} aria-describedby="rcpt-help" />
          </Field>
          <p class="hint" id="rcpt-help">
            School ids: {meta.schools.map((s) => `${s.id} (${s.name})`).join(', ')}. Messages never include student names: they link to the case.
          </p>
        </fieldset>
        <fieldset>
          <legend>Webhook</legend>
          <Field id="hook" label="URL (receives a signed JSON POST)" wide>
            <input id="hook" type="url" placeholder="https://sis.district.org/hooks/rosterlens" value={form.webhookUrl} onInput={set('webhookUrl')} />
          </Field>
          <Field id="hsecret" label={secretSet ? 'Signing secret (set; type a new one to replace it)' : 'Signing secret (at least 16 characters)'} wide>
            <input id="hsecret" type="password" autocomplete="new-password" value={form.webhookSecret} onInput={set('webhookSecret')} />
          </Field>
        </fieldset>
        <fieldset>
          <legend>When</legend>
          <div class="field check">
            <input id="onflag" type="checkbox" checked={form.onNewFlag} onChange={set('onNewFlag')} />
            <label for="onflag">On every new flag, to the flag's school</label>
          </div>
          <div class="field check">
            <input id="digest" type="checkbox" checked={form.digest} onChange={set('digest')} />
            <label for="digest">A daily digest on school days</label>
          </div>
          <Field id="dhour" label="Digest hour (district time, 0–23)">
            <input id="dhour" type="number" min={0} max={23} value={form.digestHour} onInput={set('digestHour')} />
          </Field>
        </fieldset>
        <div class="action-row">
          <button type="submit" class="primary">
            Save
          </button>
          <button type="button" onClick={() => test('email')}>
            Send test e-mail
          </button>
          <button type="button" onClick={() => test('webhook')}>
            Send test webhook
          </button>
          <button type="button" onClick={() => test('digest')}>
            Send the digest now
          </button>
        </div>
        {status && <p class="status">{status}</p>}
      </form>
    </section>
  );
}
