// The tenant's attendance policy. Every number a district might argue about is
// here, with the defaults the attendance guidance uses.
import { Type, type Static } from 'typebox';

export const PRESENCE_RULES = ['engaged_half_day', 'logged_in'] as const;
export type PresenceRule = (typeof PRESENCE_RULES)[number];

export const TIERS = ['satisfactory', 'at_risk', 'moderate_chronic', 'severe_chronic'] as const;
export type Tier = (typeof TIERS)[number];

export const Policy = Type.Object(
  {
    rule: Type.Enum(PRESENCE_RULES),
    /** engaged_half_day: share of the day's instructional minutes that makes a day present. */
    engagedFraction: Type.Number({ exclusiveMinimum: 0, maximum: 1 }),
    /**
     * Minutes of one course's instructional day. Null: the school day's minutes
     * (a self-contained class). Set it (e.g. 55) where courses are periods.
     */
    courseMinutes: Type.Union([Type.Integer({ minimum: 1, maximum: 1440 }), Type.Null()]),
    /** How much a partial day counts as absence when computing the absence rate (0 = none, 1 = a full absence). */
    partialAbsenceWeight: Type.Number({ minimum: 0, maximum: 1 }),
    /** Absence-rate boundaries: at_risk from, moderate chronic from, severe chronic from. */
    tiers: Type.Object(
      {
        atRisk: Type.Number({ minimum: 0, maximum: 1 }),
        moderate: Type.Number({ minimum: 0, maximum: 1 }),
        severe: Type.Number({ minimum: 0, maximum: 1 }),
      },
      { additionalProperties: false },
    ),
    /** A student unseen for this many school days is called out on the roster ("not seen"). */
    notSeenAlertDays: Type.Integer({ minimum: 1, maximum: 60 }),
    /** Instructional minutes of a school day when the calendar does not say. */
    defaultDayMinutes: Type.Integer({ minimum: 1, maximum: 1440 }),
  },
  { additionalProperties: false },
);
export type Policy = Static<typeof Policy>;

export const DEFAULT_POLICY: Policy = {
  rule: 'engaged_half_day',
  engagedFraction: 0.5,
  courseMinutes: null,
  partialAbsenceWeight: 0.5,
  tiers: { atRisk: 0.05, moderate: 0.1, severe: 0.2 },
  notSeenAlertDays: 3,
  defaultDayMinutes: 360,
};

/** The "logged in at all" preset, for districts whose rule is any sign of life that day. */
export const LOGGED_IN_POLICY: Policy = { ...DEFAULT_POLICY, rule: 'logged_in' };

export function validatePolicyOrder(p: Policy): string | null {
  const { atRisk, moderate, severe } = p.tiers;
  if (!(atRisk <= moderate && moderate <= severe)) return 'tier boundaries must rise: atRisk <= moderate <= severe';
  return null;
}

export function tierFor(absenceRate: number, policy: Policy): Tier {
  const t = policy.tiers;
  if (absenceRate >= t.severe) return 'severe_chronic';
  if (absenceRate >= t.moderate) return 'moderate_chronic';
  if (absenceRate >= t.atRisk) return 'at_risk';
  return 'satisfactory';
}
