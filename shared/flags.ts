// Outreach flags: the fixed vocabularies and the state machine, shared so the
// extension, the dashboard and the server offer and accept the same moves.
export const FLAG_REASONS = [
  'never_logged_in',
  'frequently_absent',
  'not_engaging',
  'technology_access',
  'wellbeing',
  'other',
] as const;
export type FlagReason = (typeof FLAG_REASONS)[number];

export const FLAG_REASON_LABELS: Record<FlagReason, string> = {
  never_logged_in: 'Never logged in',
  frequently_absent: 'Frequently absent',
  not_engaging: 'Not engaging',
  technology_access: 'Technology or internet access',
  wellbeing: 'Wellbeing concern',
  other: 'Other',
};

export const FLAG_STATES = ['open', 'assigned', 'contacted', 'resolved'] as const;
export type FlagState = (typeof FLAG_STATES)[number];

export const FLAG_OUTCOMES = [
  'reached',
  're_engaged',
  'needs_device_or_internet',
  'referred',
  'moved_or_transferred',
  'other',
] as const;
export type FlagOutcome = (typeof FLAG_OUTCOMES)[number];

export const FLAG_OUTCOME_LABELS: Record<FlagOutcome, string> = {
  reached: 'Reached',
  re_engaged: 'Re-engaged',
  needs_device_or_internet: 'Needs device or internet',
  referred: 'Referred',
  moved_or_transferred: 'Moved or transferred',
  other: 'Other',
};

export const CONTACT_METHODS = ['phone', 'email', 'text', 'home_visit', 'video', 'in_person', 'letter', 'other'] as const;
export type ContactMethod = (typeof CONTACT_METHODS)[number];

export const CONTACT_RESULTS = ['reached', 'left_message', 'no_answer', 'wrong_contact', 'other'] as const;
export type ContactResult = (typeof CONTACT_RESULTS)[number];

export const FLAG_ACTIONS = ['assign', 'contact', 'note', 'resolve', 'reopen'] as const;
export type FlagAction = (typeof FLAG_ACTIONS)[number];

export const FLAG_EVENT_KINDS = ['raised', 'joined', ...FLAG_ACTIONS] as const;
export type FlagEventKind = (typeof FLAG_EVENT_KINDS)[number];

export const NOTE_MAX_LENGTH = 2000;

/** The state a flag moves to, or an error message when the move is not allowed. */
export function nextFlagState(
  state: FlagState,
  action: FlagAction,
  hasAssignee: boolean,
): { state: FlagState } | { error: string } {
  switch (action) {
    case 'note':
      return { state };
    case 'assign':
      if (state === 'resolved') return { error: 'a resolved flag must be reopened before it is assigned' };
      // Reassigning a contacted case keeps its progress.
      return { state: state === 'contacted' ? 'contacted' : 'assigned' };
    case 'contact':
      if (state === 'resolved') return { error: 'a resolved flag must be reopened before logging contact' };
      return { state: 'contacted' };
    case 'resolve':
      if (state === 'resolved') return { error: 'the flag is already resolved' };
      return { state: 'resolved' };
    case 'reopen':
      if (state !== 'resolved') return { error: 'only a resolved flag can be reopened' };
      return { state: hasAssignee ? 'assigned' : 'open' };
  }
}
