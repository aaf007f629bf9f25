// Small formatting helpers shared by the views.
import { CONTACT_METHODS, FLAG_OUTCOME_LABELS, FLAG_REASON_LABELS, type ContactMethod, type ContactResult, type FlagOutcome, type FlagReason, type FlagState } from '../../../shared/flags.ts';
import type { Headline } from '../../../shared/status.ts';
import type { Tier } from '../../../shared/policy.ts';

// As shared/status.ts words them; repeated so the bundle stays free of the schema library.
const HEADLINE_LABELS: Record<Headline, string> = {
  never_logged_in: 'Never logged in',
  not_seen: 'Not seen',
  chronic: 'Chronically absent',
  absent_today: 'Not seen today',
  partial_today: 'Partial today',
  present_today: 'Present today',
  no_school_today: 'No school today',
  not_enrolled: 'Not enrolled',
};
export const TIERS: readonly Tier[] = ['satisfactory', 'at_risk', 'moderate_chronic', 'severe_chronic'];

export const reasonLabel = (r: string) => FLAG_REASON_LABELS[r as FlagReason] ?? r;
export const outcomeLabel = (o: string | null) => (o ? (FLAG_OUTCOME_LABELS[o as FlagOutcome] ?? o) : '');
export const STATE_LABELS: Record<FlagState, string> = { open: 'Open', assigned: 'Assigned', contacted: 'Contacted', resolved: 'Resolved' };
export const stateLabel = (s: string) => STATE_LABELS[s as FlagState] ?? s;
export const METHOD_LABELS: Record<ContactMethod, string> = { phone: 'Phone call', email: 'E-mail', text: 'Text message', home_visit: 'Home visit', video: 'Video call', in_person: 'In person', letter: 'Letter', other: 'Other' };
export const RESULT_LABELS: Record<ContactResult, string> = { reached: 'Reached', left_message: 'Left a message', no_answer: 'No answer', wrong_contact: 'Wrong number or address', other: 'Other' };
export const TIER_LABELS: Record<Tier, string> = { satisfactory: 'Satisfactory', at_risk: 'At risk', moderate_chronic: 'Moderate chronic', severe_chronic: 'Severe chronic' };
export const headlineLabel = (h: string) => HEADLINE_LABELS[h as Headline] ?? h;
export const TODAY_LABELS: Record<string, string> = { present: 'Present', partial: 'Partial', absent: 'Not seen yet', not_school_day: 'No school', not_enrolled: 'Not enrolled' };
export { CONTACT_METHODS };

export const pct = (x: number | null | undefined, digits = 1) => (x === null || x === undefined ? '—' : `${(x * 100).toFixed(digits)}%`);

const dateTime = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit' });
const dateOnly = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', year: 'numeric' });
export const when = (iso: string | null) => (iso ? dateTime.format(new Date(iso)) : '—');
export const day = (iso: string | null) => (iso ? dateOnly.format(new Date(`${iso.slice(0, 10)}T12:00:00`)) : '—');

export function ago(iso: string, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 60) return 'just now';
  const m = Math.round(s / 60);
  if (m < 60) return `${m} min ago`;
  const h = Math.round(m / 60);
  if (h < 24) return `${h} h ago`;
  const d = Math.round(h / 24);
  return `${d} day${d === 1 ? '' : 's'} ago`;
}
