// Words for states, kept here so the content script does not pull the shared
// status module (and its schema library) into its bundle; a unit test checks
// they equal shared/status.ts.
import type { Headline } from '../../shared/status.ts';
import type { Tier } from '../../shared/policy.ts';

export const HEADLINES: readonly Headline[] = ['never_logged_in', 'not_seen', 'chronic', 'absent_today', 'partial_today', 'present_today', 'no_school_today', 'not_enrolled'];

export const HEADLINE_TEXT: Record<Headline, string> = {
  never_logged_in: 'Never logged in',
  not_seen: 'Not seen',
  chronic: 'Chronically absent',
  absent_today: 'Not seen today',
  partial_today: 'Partial today',
  present_today: 'Present today',
  no_school_today: 'No school today',
  not_enrolled: 'Not enrolled',
};

export const TIER_TEXT: Record<Tier, string> = {
  satisfactory: 'Satisfactory',
  at_risk: 'At risk',
  moderate_chronic: 'Moderate chronic absence',
  severe_chronic: 'Severe chronic absence',
};

export const FLAG_STATE_TEXT = { open: 'Open', assigned: 'Assigned', contacted: 'Contacted', resolved: 'Resolved' } as const;
