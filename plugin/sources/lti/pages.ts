// The few pages the LTI tool shows. Plain HTML with a per-response CSP nonce;
// nothing here names a student.
import { randomBytes } from 'node:crypto';
import type { FastifyReply } from 'fastify';
import { PAIR_MESSAGE, PAIRED_MESSAGE, HELLO_MESSAGE } from './pairing.ts';

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
/** JSON safe inside <script type="application/json">. */
const jsonForHtml = (v: unknown) => JSON.stringify(v).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');

const STYLE = `body{font:16px/1.5 system-ui,sans-serif;margin:2rem auto;max-width:40rem;padding:0 1rem;color:#1d2433}
h1{font-size:1.3rem}.code{font-family:ui-monospace,monospace;font-size:.85rem;color:#555}.ok{color:#14662c}.warn{color:#8a4b00}
.box{border:1px solid #d5d9e0;border-radius:8px;padding:1rem;margin:1rem 0}a.button{display:inline-block;padding:.4rem .9rem;border-radius:6px;background:#1d4ed8;color:#fff;text-decoration:none}`;

export interface PageOpts {
  status?: number;
  /** Origins allowed to frame the page (the LMS); none = any (refusals before the LMS is known). */
  frameAncestors?: string[];
}

export function sendPage(reply: FastifyReply, title: string, bodyHtml: string, script: string | null, opts: PageOpts = {}): FastifyReply {
  const nonce = randomBytes(16).toString('base64');
  const ancestors = opts.frameAncestors?.length ? opts.frameAncestors.join(' ') : '*';
  reply
    .status(opts.status ?? 200)
    .header('content-type', 'text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .header('referrer-policy', 'no-referrer')
    .header('x-content-type-options', 'nosniff')
    .header('content-security-policy', `default-src 'none'; style-src 'nonce-${nonce}'; script-src 'nonce-${nonce}'; img-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors ${ancestors}`);
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${esc(title)} · RosterLens</title><style nonce="${nonce}">${STYLE}</style></head><body><main>${bodyHtml}</main>${script ? `<script nonce="${nonce}">${script}</script>` : ''}</body></html>`;
  return reply.send(html);
}

export function refusalPage(reply: FastifyReply, code: string, message: string, status: number): FastifyReply {
  return sendPage(
    reply,
    'Sign-in refused',
    `<h1>RosterLens could not sign you in</h1><p data-refusal="${esc(code)}">${esc(message)}</p><p class="code">Reason code: <span id="reason">${esc(code)}</span></p>`,
    null,
    { status },
  );
}

export interface TeacherPageData {
  token: string;
  pluginUrl: string;
  expiresAt: string;
  tenant: string;
  lmsOrigin: string;
  courses: string[];
  courseTitle: string | null;
  dashboardUrl: string | null;
  note: string | null;
}

/** The teacher's page: pairs the browser extension by window.postMessage to this page's own origin (PAIRING.md). */
export function teacherPage(reply: FastifyReply, d: TeacherPageData, frameAncestors: string[]): FastifyReply {
  const course = d.courseTitle ? `<strong>${esc(d.courseTitle)}</strong>` : 'this course';
  const body = `<h1>You are signed in to RosterLens</h1>
<p>RosterLens now knows you teach ${course}. Your students’ status appears as badges on the course’s roster page in the LMS.</p>
<div class="box"><p id="pair-status" data-state="waiting">Connecting your RosterLens browser extension…</p></div>
${d.dashboardUrl ? `<p><a class="button" href="${esc(d.dashboardUrl)}" target="_blank" rel="noopener">Open the attendance dashboard</a></p>` : ''}
${d.note ? `<p class="warn">${esc(d.note)}</p>` : ''}
<p class="code">This sign-in lasts until ${esc(d.expiresAt.slice(0, 10))}; open RosterLens from your course again to renew it.</p>
<script type="application/json" id="rl-pair">${jsonForHtml({ token: d.token, pluginUrl: d.pluginUrl, expiresAt: d.expiresAt, tenant: d.tenant, lmsOrigin: d.lmsOrigin, courses: d.courses })}</script>`;
  const script = `(() => {
  const data = JSON.parse(document.getElementById('rl-pair').textContent);
  const status = document.getElementById('pair-status');
  const msg = { type: ${JSON.stringify(PAIR_MESSAGE)}, version: 1, token: data.token, pluginUrl: data.pluginUrl, expiresAt: data.expiresAt, tenant: data.tenant, lmsOrigin: data.lmsOrigin, courses: data.courses };
  let done = false;
  const send = () => { if (!done) window.postMessage(msg, window.location.origin); };
  window.addEventListener('message', (e) => {
    if (e.source !== window || e.origin !== window.location.origin || !e.data || typeof e.data !== 'object') return;
    if (e.data.type === ${JSON.stringify(HELLO_MESSAGE)}) send();
    if (e.data.type === ${JSON.stringify(PAIRED_MESSAGE)}) {
      done = true;
      status.dataset.state = e.data.ok ? 'paired' : 'failed';
      status.className = e.data.ok ? 'ok' : 'warn';
      status.textContent = e.data.ok ? 'Your RosterLens browser extension is signed in.' : 'Your browser extension could not sign in: ' + String(e.data.error || 'unknown reason').slice(0, 200);
    }
  });
  send();
  let tries = 0;
  const timer = setInterval(() => {
    if (done) return clearInterval(timer);
    if (++tries > 20) {
      clearInterval(timer);
      status.dataset.state = 'no-extension';
      status.className = 'warn';
      status.textContent = 'No RosterLens browser extension answered. Install it (or ask your district to), then open RosterLens from your course again.';
      return;
    }
    send();
  }, 500);
})();`;
  return sendPage(reply, 'Signed in', body, script, { frameAncestors });
}

export function studentPage(reply: FastifyReply, recorded: boolean, frameAncestors: string[]): FastifyReply {
  const body = recorded
    ? '<h1>You’re checked in</h1><p class="ok" id="checkin" data-state="recorded">Your teacher can see that you checked in today. You can close this page.</p>'
    : '<h1>Check-in not recorded</h1><p class="warn" id="checkin" data-state="not-recorded">Your school’s LMS did not tell RosterLens your user id, so this check-in could not be counted. Please tell your teacher; your district’s RosterLens admin can fix the registration.</p>';
  return sendPage(reply, recorded ? 'Checked in' : 'Check-in not recorded', body, null, { frameAncestors });
}

export function noRolePage(reply: FastifyReply, frameAncestors: string[], dashboardUrl: string | null): FastifyReply {
  return sendPage(
    reply,
    'Nothing to show',
    `<h1>RosterLens has nothing to show for your role here</h1><p>RosterLens is for the teachers and students of a course. Your role in this course is neither.</p>${dashboardUrl ? `<p><a class="button" href="${esc(dashboardUrl)}" target="_blank" rel="noopener">Open the attendance dashboard</a></p>` : ''}`,
    null,
    { frameAncestors },
  );
}

/** DR 1.0 §3.6: tell the platform the registration is over (it closes the dialog). */
export function registrationDonePage(reply: FastifyReply, summary: { tenant: string; tenantCreated: boolean; product: string | null }): FastifyReply {
  return sendPage(
    reply,
    'Registered',
    `<h1>RosterLens is registered</h1><p id="registered" data-tenant="${esc(summary.tenant)}">The LMS${summary.product ? ` (${esc(summary.product)})` : ''} is now connected to RosterLens tenant <strong>${esc(summary.tenant)}</strong>${summary.tenantCreated ? ' (new)' : ''}. Enable the tool in the LMS if it asks you to; teachers then open RosterLens from the course navigation.</p>`,
    `(window.opener || window.parent).postMessage({ subject: 'org.imsglobal.lti.close' }, '*');`,
  );
}

export function registrationErrorPage(reply: FastifyReply, code: string, message: string, status: number): FastifyReply {
  return sendPage(reply, 'Registration failed', `<h1>RosterLens could not register with the LMS</h1><p data-refusal="${esc(code)}">${esc(message)}</p><p class="code">Reason code: <span id="reason">${esc(code)}</span></p>`, null, { status });
}
