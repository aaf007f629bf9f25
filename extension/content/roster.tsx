// The roster feature on one page: asks for status once per roster (cached
// copy first, then the plugin), paints badges as rows appear, and renders the
// summary and popover. Everything it adds is removed when the page's signal aborts.
import { render } from 'preact';
import type { StudentStatus } from '../../shared/api.ts';
import type { FlagReason } from '../../shared/flags.ts';
import type { CachedStatus, ProblemInfo, RaiseReply, StatusReply } from '../lib/messages.ts';
import type { LmsAdapter, RosterRow } from './lms/types.ts';
import { observeRows, type RowObserver } from './observe.ts';
import { paintBadge, removeBadges } from './overlay/badge.ts';
import { applyFilter, HIDDEN_ATTR, type FilterKey } from './overlay/filter.ts';
import { Popover } from './overlay/popover.tsx';
import { PANEL_CSS } from './overlay/styles.ts';
import { Summary } from './overlay/summary.tsx';

/** Problems that mean "show nothing about these students", as opposed to "show what we have, marked". */
const BLOCKING: ReadonlySet<ProblemInfo['problem']> = new Set(['not_configured', 'not_signed_in', 'not_course_teacher', 'unknown_course']);

export interface RosterDeps {
  status(course: string, mode: 'cache' | 'network'): Promise<StatusReply>;
  raise(course: string, student: string, reason: FlagReason, note: string): Promise<RaiseReply>;
  raiseMany(course: string, students: string[], reason: FlagReason): Promise<RaiseReply[]>;
  loadFlag: Parameters<typeof Popover>[0]['loadFlag'];
  openOptions(): void;
}


function shadowHost(doc: Document, role: 'summary' | 'popover'): { host: HTMLElement; mount: HTMLElement } {
  const host = doc.createElement('div');
  host.setAttribute('data-rosterlens-ui', role);
  const root = host.attachShadow({ mode: 'open' });
  const style = doc.createElement('style');
  style.textContent = PANEL_CSS;
  const mount = doc.createElement('div');
  root.append(style, mount);
  return { host, mount };
}

export function startRoster(adapter: LmsAdapter, course: string, doc: Document, signal: AbortSignal, deps: RosterDeps, onUrlChange: () => void): { ready: Promise<void> } {
  let data: CachedStatus | null = null;
  let problem: ProblemInfo | null = null;
  let refreshing = true;
  let filter: FilterKey | null = null;
  let notice: string | null = null;
  let open: { row: RosterRow; button: HTMLElement } | null = null;
  let byUser = new Map<string, StudentStatus>();

  const summary = shadowHost(doc, 'summary');
  const pop = shadowHost(doc, 'popover');
  pop.host.style.cssText = 'position:absolute;top:0;left:0;width:0;height:0;z-index:2147483646';
  doc.body.appendChild(pop.host);

  const blocked = () => !!problem && BLOCKING.has(problem.problem);

  const placeSummary = (rows: RosterRow[]) => {
    const before = adapter.summaryBefore(doc, rows);
    if (before?.parentNode && summary.host.nextSibling !== before) before.parentNode.insertBefore(summary.host, before);
  };

  const paint = (rows: RosterRow[], all: RosterRow[]) => {
    placeSummary(all);
    if (!data || blocked()) return;
    for (const r of rows) {
      const s = byUser.get(r.user) ?? null;
      // Teachers, TAs and observers the plugin does not list as students are left alone.
      if (!s && r.role === 'staff') continue;
      paintBadge(r, s, { stale: data.stale, onOpen: openPopover });
    }
    if (filter) applyFilter(doc, rows, filter, byUser);
  };

  const observer: RowObserver = observeRows(adapter, course, doc, signal, paint, onUrlChange);

  function openPopover(row: RosterRow, button: HTMLElement) {
    open = { row, button };
    renderUi();
  }
  function closePopover() {
    const b = open?.button;
    open = null;
    renderUi();
    b?.focus();
  }

  const names = () => new Map(observer.rows().map((r) => [r.user, r.name]));

  function renderUi() {
    if (signal.aborted) return;
    render(
      <Summary
        data={blocked() ? null : data}
        problem={problem}
        refreshing={refreshing}
        filter={filter}
        names={names()}
        notice={notice}
        onFilter={(k) => {
          filter = k;
          applyFilter(doc, observer.rows(), k, byUser);
          renderUi();
        }}
        onOpenOptions={deps.openOptions}
        onBulkNeverLoggedIn={async (students) => {
          const r = await deps.raiseMany(course, students, 'never_logged_in');
          void refresh();
          return r;
        }}
        onRetry={() => void refresh()}
      />,
      summary.mount,
    );
    if (open && data && !blocked()) {
      const rect = open.button.getBoundingClientRect();
      const view = doc.defaultView!;
      const left = Math.max(8, Math.min(rect.left + view.scrollX, view.scrollX + view.innerWidth - 356));
      render(
        <Popover
          key={open.row.user}
          name={open.row.name}
          user={open.row.user}
          status={byUser.get(open.row.user) ?? null}
          stale={data.stale}
          top={rect.bottom + view.scrollY + 4}
          left={left}
          onClose={closePopover}
          onRaise={async (reason, note) => {
            const r = await deps.raise(course, open!.row.user, reason, note);
            if (r.ok && 'queued' in r) notice = 'A flag was saved in this browser and will be sent when the plugin is reachable.';
            void refresh();
            return r;
          }}
          loadFlag={deps.loadFlag}
        />,
        pop.mount,
      );
    } else render(null, pop.mount);
  }

  const accept = (reply: StatusReply) => {
    if (reply.ok) {
      data = reply.data;
      problem = null;
    } else if (reply.error.problem !== 'unreachable' || reply.cached || !data) {
      problem = reply.error;
      if (BLOCKING.has(reply.error.problem)) data = null;
      else if (reply.cached) data = reply.cached;
    } else {
      problem = reply.error;
      if (data) data = { ...data, stale: true };
    }
    byUser = new Map((data?.status.students ?? []).map((s) => [s.user, s]));
    if (blocked()) {
      removeBadges(doc);
      for (const r of observer.rows()) r.el.removeAttribute(HIDDEN_ATTR);
    } else observer.repaintAll();
    renderUi();
  };

  async function refresh() {
    refreshing = true;
    renderUi();
    const reply = await deps.status(course, 'network');
    refreshing = false;
    if (!signal.aborted) accept(reply);
  }

  const onDocClick = (e: MouseEvent) => {
    if (open && !e.composedPath().includes(pop.host)) closePopover();
  };
  doc.addEventListener('click', onDocClick);

  signal.addEventListener('abort', () => {
    render(null, summary.mount);
    render(null, pop.mount);
    summary.host.remove();
    pop.host.remove();
    removeBadges(doc);
    for (const r of doc.querySelectorAll(`[${HIDDEN_ATTR}]`)) r.removeAttribute(HIDDEN_ATTR);
    doc.removeEventListener('click', onDocClick);
  }, { once: true });

  renderUi();
  const ready = (async () => {
    const cached = await deps.status(course, 'cache');
    // The cached copy is shown at once; the plugin's answer replaces it when it comes.
    if (cached.ok && !signal.aborted) accept(cached);
    await refresh();
  })();
  return { ready };
}
