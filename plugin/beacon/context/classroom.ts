// Google Classroom allows no custom script, so this runs only where a district
// injects the beacon itself (a managed extension). Course URLs are /c/<id> or
// /u/<n>/c/<id>, the id being the numeric course id in base64url. The account
// id is read from WIZ_global_data.S06Grb, the key Google's Wiz apps use for the
// signed-in Gaia id (= the Classroom API's userId); if that key is missing or
// not numeric the page yields nothing rather than a guess.
import { type Reader } from './types.ts';

export const classroom: Reader = (w) => {
  if (w.location.hostname !== 'classroom.google.com') return undefined;
  const u = w.WIZ_global_data?.S06Grb;
  if (typeof u !== 'string' || !/^\d{1,40}$/.test(u)) return null;
  const seg = /^(?:\/u\/\d+)?\/c\/([A-Za-z0-9_-]+)/.exec(w.location.pathname)?.[1];
  let c: string | null = null;
  try {
    const id = seg && atob(seg.replace(/-/g, '+').replace(/_/g, '/'));
    if (id && /^\d{1,40}$/.test(id)) c = id;
  } catch {
    // not base64: not a course id we understand
  }
  return { u, c };
};
