// Signal ids: unique, and sorted by creation time when compared as strings,
// so the queue's key order is its age order and "drop the oldest" is a key range.
export function signalId(t: number): string {
  const r = crypto.getRandomValues(new Uint32Array(3));
  // Nine base-36 digits of epoch ms cover years 1970–5188 at a fixed width.
  return t.toString(36).padStart(9, '0') + '-' + Array.from(r, (n) => n.toString(36)).join('');
}
