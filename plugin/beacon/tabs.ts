// Several tabs of one student must not count the same minutes twice. The tab
// the student last touched holds the clock: it announces itself on a
// BroadcastChannel and every other tab of the origin stops counting until the
// student touches it again. No leader election is needed because only one tab
// can receive input at a time.
export function tabChannel(onOtherClaimed: () => void, name = 'rosterlens-beacon'): () => void {
  if (typeof BroadcastChannel !== 'function') return () => {};
  const ch = new BroadcastChannel(name);
  ch.onmessage = onOtherClaimed;
  return () => ch.postMessage(0);
}
