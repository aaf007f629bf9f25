// The one shape every source is normalised to. Both the beacon and the server
// import these names; the beacon imports types only so its bundle stays tiny.
import { Type, type Static } from 'typebox';

export const SIGNAL_KINDS = [
  'login',
  'page_view',
  'heartbeat',
  'submission',
  'discussion_post',
  'live_session',
  'check_in',
  'logout',
] as const;
export type SignalKind = (typeof SIGNAL_KINDS)[number];

export const SIGNAL_SOURCES = ['beacon', 'xapi', 'caliper', 'lti', 'import', 'api'] as const;
export type SignalSource = (typeof SIGNAL_SOURCES)[number];

/** Hard limits shared by clients and server so a client never builds a batch the server refuses. */
export const SIGNAL_LIMITS = {
  maxBatch: 1000,
  maxIdLength: 128,
  maxRefLength: 64,
  /** One signal never claims more engaged time than this (a heartbeat covers about a minute). */
  maxActiveMs: 15 * 60 * 1000,
} as const;

/**
 * An RFC 3339 instant with seconds and a zone (2026-11-23T14:05:09.120Z). A
 * pattern rather than the date-time format: it is checked for every signal,
 * and the server's Date.parse then refuses impossible dates.
 */
export const Instant = Type.String({ maxLength: 40, pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,9})?(Z|[+-]\\d{2}:\\d{2})$' });

/** LMS ids are opaque strings; this keeps them printable and short without guessing their format. */
export const LmsId = Type.String({ minLength: 1, maxLength: SIGNAL_LIMITS.maxRefLength, pattern: '^[\\x21-\\x7E]+$' });

export const SignalIn = Type.Object(
  {
    id: Type.String({ minLength: 8, maxLength: SIGNAL_LIMITS.maxIdLength, pattern: '^[A-Za-z0-9._:~-]+$' }),
    course: Type.Optional(Type.Union([LmsId, Type.Null()])),
    user: LmsId,
    at: Instant,
    kind: Type.Enum(SIGNAL_KINDS),
    activeMs: Type.Optional(Type.Integer({ minimum: 0, maximum: SIGNAL_LIMITS.maxActiveMs })),
    source: Type.Optional(Type.Enum(SIGNAL_SOURCES)),
  },
  { additionalProperties: false },
);
export type SignalIn = Static<typeof SignalIn>;

export const SignalBatch = Type.Object(
  {
    signals: Type.Array(SignalIn, { minItems: 1, maxItems: SIGNAL_LIMITS.maxBatch }),
    /** The sender's clock when it sent the batch; lets the server correct a skewed device clock. */
    sentAt: Type.Optional(Instant),
  },
  { additionalProperties: false },
);
export type SignalBatch = Static<typeof SignalBatch>;

export const SignalRejection = Type.Object({
  index: Type.Integer(),
  id: Type.String(),
  reason: Type.Union([Type.Literal('too_old'), Type.Literal('in_future')]),
});
export type SignalRejection = Static<typeof SignalRejection>;

export const IngestResult = Type.Object({
  /** Ids durably stored (a repeat of an id already held counts once): the client may forget these. */
  acknowledged: Type.Array(Type.String()),
  accepted: Type.Integer(),
  /** Refused for good; retrying will not help, so the client should drop them too. */
  rejected: Type.Array(SignalRejection),
  /** How far the sender's clock was behind the server's (sentAt); applied to every signal. */
  clockOffsetMs: Type.Integer(),
});
export type IngestResult = Static<typeof IngestResult>;

/** A signal as the server keeps it, after tenant scoping and clock correction. */
export interface Signal {
  id: string;
  tenant: string;
  course: string | null;
  user: string;
  at: number; // epoch ms, corrected
  kind: SignalKind;
  activeMs: number;
  source: SignalSource;
}
