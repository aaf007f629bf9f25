// Content script entry on LMS pages: picks the adapter by URL, runs the roster
// feature with one AbortSignal per page, and starts again on single-page
// navigation (Classroom, Canvas's React pages).
import { adapterFor } from './lms/index.ts';
import { extensionDeps } from './deps.ts';
import { startRoster } from './roster.tsx';

let controller: AbortController | null = null;
let current = '';

function start() {
  if (location.href === current) return;
  current = location.href;
  controller?.abort();
  controller = new AbortController();
  const url = new URL(location.href);
  const adapter = adapterFor(url);
  const course = adapter?.courseId(url, document);
  if (!adapter || !course) {
    watchUrl(controller.signal);
    return;
  }
  startRoster(adapter, course, document, controller.signal, extensionDeps, start);
}

/** On pages that are not rosters only the URL is watched, cheaply, for a move to one. */
function watchUrl(signal: AbortSignal) {
  // Where the Navigation API exists its listener below sees every move; elsewhere DOM changes are the cue.
  if (!(globalThis as { navigation?: EventTarget }).navigation) {
    const mo = new MutationObserver(() => location.href !== current && start());
    mo.observe(document.body, { childList: true, subtree: true });
    signal.addEventListener('abort', () => mo.disconnect(), { once: true });
  }
}

(globalThis as { navigation?: EventTarget }).navigation?.addEventListener('navigatesuccess', () => queueMicrotask(start));
window.addEventListener('popstate', () => queueMicrotask(start));
start();
