// The window.postMessage contract between the LTI tool's page and the
// extension's content script. PAIRING.md describes it for the extension.
export const PAIR_MESSAGE = 'rosterlens:pair';
export const PAIRED_MESSAGE = 'rosterlens:paired';
export const HELLO_MESSAGE = 'rosterlens:hello';

/** What the tool page posts, to its own origin only. */
export interface PairMessage {
  type: typeof PAIR_MESSAGE;
  version: 1;
  /** A bearer credential (`rl_<id>.<secret>`), role teacher, scoped to what the launch proved. */
  token: string;
  /** This plugin server's origin (the tool page's origin), e.g. https://rosterlens.district.org */
  pluginUrl: string;
  /** ISO date-time when the credential expires. */
  expiresAt: string;
  tenant: string;
  /** The LMS's web origin (where the roster pages are). */
  lmsOrigin: string;
  /** Native course ids the launch proved the teacher teaches. */
  courses: string[];
}

/** The extension's answer, posted to the same window and origin. */
export interface PairedMessage {
  type: typeof PAIRED_MESSAGE;
  ok: boolean;
  error?: string;
}
