// Schoology is a Drupal site: `Drupal.settings.s_common.user.uid` is the
// signed-in user; course pages live at /course/<section id>/...
import { lmsId, type Reader } from './types.ts';

export const schoology: Reader = (w) => {
  const common = w.Drupal?.settings?.s_common;
  if (!common || typeof common !== 'object') return undefined;
  const u = lmsId(common.user?.uid);
  if (!u || u === '0') return null;
  return { u, c: /^\/course\/(\d+)(\/|$)/.exec(w.location.pathname)?.[1] ?? null };
};
