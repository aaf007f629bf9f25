// @vitest-environment jsdom
// The roster feature on each LMS fixture, with the service worker replaced by
// fakes: badges per student keyed by user id, staff rows left alone, rows
// added or re-rendered later badged again, one status request per roster,
// filters, the bulk action's list, and every "cannot show" state in words.
import { afterEach, describe, expect, it } from 'vitest';
import type { StatusReply, RaiseReply } from '../../extension/lib/messages.ts';
import { canvas } from '../../extension/content/lms/canvas.ts';
import { classroom } from '../../extension/content/lms/classroom.ts';
import { moodle } from '../../extension/content/lms/moodle.ts';
import { schoology } from '../../extension/content/lms/schoology.ts';
import type { LmsAdapter } from '../../extension/content/lms/types.ts';
import { startRoster, type RosterDeps } from '../../extension/content/roster.tsx';
import { flagBrief, loadFixture, rosterStatus, studentStatus } from '../fixtures/rosters/helpers.ts';

type Fixture = 'canvas' | 'moodle' | 'schoology' | 'classroom';

let controller: AbortController | null = null;
afterEach(() => controller?.abort());

async function until<T>(get: () => T | null | undefined | false): Promise<T> {
  for (;;) {
    const v = get();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 0));
  }
}

function fakeDeps(network: StatusReply, cache: StatusReply = { ok: false, error: { problem: 'unreachable', message: 'none' }, cached: null }) {
  const calls = { cache: 0, network: 0, raised: [] as { student: string; reason: string; note: string }[], many: [] as string[][] };
  const deps: RosterDeps = {
    status: async (_c, mode) => {
      calls[mode] += 1;
      return mode === 'cache' ? cache : network;
    },
    raise: async (_c, student, reason, note): Promise<RaiseReply> => {
      calls.raised.push({ student, reason, note });
      return { ok: true, queued: true, clientRequestId: 'rl-x' };
    },
    raiseMany: async (_c, students) => {
      calls.many.push(students);
      return students.map(() => ({ ok: true, queued: true, clientRequestId: 'rl-x' }) as RaiseReply);
    },
    loadFlag: async () => ({ ok: false, error: { problem: 'unreachable', message: 'x' } }),
    openOptions: () => {},
  };
  return { deps, calls };
}

const ok = (course: string, students: ReturnType<typeof studentStatus>[], stale = false): StatusReply => ({ ok: true, data: { status: rosterStatus(course, students), fetchedAt: Date.now(), stale }, source: 'network' });

const badgeOf = (user: string) => document.querySelector<HTMLElement>(`[data-rosterlens-badge][data-user="${user}"]`);
const badgeText = (user: string) => badgeOf(user)?.shadowRoot?.querySelector('button')?.textContent ?? null;
const summaryRoot = () => document.querySelector<HTMLElement>('[data-rosterlens-ui="summary"]')!.shadowRoot!;

async function run(fixture: Fixture, adapter: LmsAdapter, course: string, network: StatusReply, cache?: StatusReply) {
  loadFixture(fixture);
  controller = new AbortController();
  const f = fakeDeps(network, cache);
  const { ready } = startRoster(adapter, course, document, controller.signal, f.deps, () => {});
  await ready;
  return f;
}

const CASES: { fixture: Fixture; adapter: LmsAdapter; course: string; students: string[]; staff: string[]; addRow: () => string }[] = [
  {
    fixture: 'canvas', adapter: canvas, course: '1001', students: ['601', '602', '603'], staff: ['501', '502', '701'],
    addRow: () => {
      // Infinite scroll appends the next page of Backbone rows.
      document.querySelector('tbody.collectionViewItems')!.insertAdjacentHTML('beforeend', '<tr id="user_604" class="rosterUser al-hover-container StudentEnrollment"><td class="center"></td><td class="roster_user_name-cell"><a href="/courses/1001/users/604" class="roster_user_name student_context_card_trigger">Diego Silva</a></td><td></td></tr>');
      return '604';
    },
  },
  {
    fixture: 'moodle', adapter: moodle, course: '42', students: ['7', '8', '10'], staff: ['3', '9'],
    addRow: () => {
      // Paging replaces the table inside the dynamic region.
      const region = document.querySelector('[data-region="core_table/dynamic"]')!;
      const html = region.innerHTML.replace('</tbody>', '<tr id="user-index-participants-42_r9"><td class="cell c0"></td><th class="cell c1" scope="row"><a href="https://moodle.district.example/user/view.php?id=11&amp;course=42">Emma Rossi</a></th><td class="cell c2"></td><td class="cell c3"><span data-itemtype="user_roles" data-value="[&quot;5&quot;]">Student</span></td></tr></tbody>');
      region.innerHTML = html;
      return '11';
    },
  },
  {
    fixture: 'schoology', adapter: schoology, course: '3344556677', students: ['9911', '9912', '9913'], staff: ['8801'],
    addRow: () => {
      document.querySelector('table.enrollment-user-list tbody')!.insertAdjacentHTML('beforeend', '<tr class="enrollment-row"><td class="user-pic"></td><td class="user-name"><a href="/user/9914">Farah Haddad</a></td><td></td></tr>');
      return '9914';
    },
  },
  {
    fixture: 'classroom', adapter: classroom, course: '567890123', students: ['104857600123', '104857600124', '104857600125'], staff: [],
    addRow: () => {
      document.querySelector('[jsname="students"]')!.insertAdjacentHTML('beforeend', '<div class="ZoT1D ukxlBd" role="listitem" data-current-student-id="104857600126"><span class="y4ihN">Gabe Lopez</span></div>');
      return '104857600126';
    },
  },
];

describe.each(CASES)('$fixture roster', ({ fixture, adapter, course, students, staff, addRow }) => {
  const headlines = ['never_logged_in', 'absent_today', 'present_today'] as const;
  const statuses = () => students.map((u, i) => studentStatus(u, headlines[i % 3]!));

  it('paints one badge per student with words, from a single status request; staff rows get none', async () => {
    const { calls } = await run(fixture, adapter, course, ok(course, statuses()));
    await until(() => badgeOf(students[2]!));
    expect(students.map(badgeText)).toEqual(['Never logged in', 'Not seen today', 'Present today']);
    for (const s of staff) expect(badgeOf(s)).toBeNull();
    if (fixture === 'classroom') expect(document.querySelector('[data-current-student-id="111000111"] [data-rosterlens-badge]')).toBeNull();
    expect(calls.network).toBe(1);
    const button = badgeOf(students[0]!)!.shadowRoot!.querySelector('button')!;
    expect(button.getAttribute('aria-label')).toMatch(/^Ana Diaz: Never logged in\. RosterLens details$/);
    expect(summaryRoot().textContent).toContain('Never logged in: 1');
  });

  it('badges rows the LMS adds later, and re-applies a badge the LMS re-rendered away', async () => {
    const extra = studentStatus('x', 'partial_today');
    const all = [...statuses()];
    const { calls } = await run(fixture, adapter, course, ok(course, [...all, { ...extra, user: fixture === 'canvas' ? '604' : fixture === 'moodle' ? '11' : fixture === 'schoology' ? '9914' : '104857600126' }]));
    await until(() => badgeOf(students[0]!));
    const added = addRow();
    expect(await until(() => badgeText(added))).toBe('Partial today');
    // Re-render: the LMS rebuilds the row's cells from its template, dropping our node.
    const host = badgeOf(students[1]!)!;
    const anchor = host.parentElement!;
    anchor.innerHTML = anchor.innerHTML.replace(/<span data-rosterlens-badge[^>]*><\/span>/, '');
    await until(() => badgeOf(students[1]!) && badgeOf(students[1]!) !== host);
    expect(badgeText(students[1]!)).toBe('Not seen today');
    expect(calls.network).toBe(1);
  });

  it('marks a person the plugin does not know as such, unless the page says they are staff', async () => {
    await run(fixture, adapter, course, ok(course, statuses().slice(1)));
    expect(await until(() => badgeText(students[0]!))).toBe('Not in RosterLens');
    for (const s of staff) expect(badgeOf(s)).toBeNull();
  });
});

describe('states and actions (Canvas fixture)', () => {
  const course = '1001';
  const base = () => [studentStatus('601', 'never_logged_in'), studentStatus('602', 'never_logged_in', { flag: flagBrief({ reason: 'never_logged_in' }) }), studentStatus('603', 'not_seen')];

  for (const [problem, words] of [
    ['not_course_teacher', 'not a teacher of this course'],
    ['unknown_course', 'does not know this course'],
    ['not_signed_in', 'not signed in'],
    ['not_configured', 'not set up'],
    ['unreachable', 'cannot be reached'],
  ] as const) {
    it(`says "${words}" and shows no badges when the answer is ${problem}`, async () => {
      await run('canvas', canvas, course, { ok: false, error: { problem, message: 'x' }, cached: null });
      const alert = await until(() => summaryRoot().querySelector(`[data-problem="${problem}"]`));
      expect(alert.textContent).toContain(words);
      expect(document.querySelector('[data-rosterlens-badge]')).toBeNull();
    });
  }

  it('shows the cached copy at once and keeps it, marked stale, when the plugin is unreachable', async () => {
    const cached: StatusReply = { ok: true, data: { status: rosterStatus(course, base()), fetchedAt: Date.now() - 3_600_000, stale: true }, source: 'cache' };
    await run('canvas', canvas, course, { ok: false, error: { problem: 'unreachable', message: 'x' }, cached: cached.data }, cached);
    expect(await until(() => badgeText('603'))).toBe('Not seen 6 school days');
    const b = badgeOf('603')!.shadowRoot!.querySelector('button')!;
    expect(b.className).toContain('stale');
    expect(b.getAttribute('aria-label')).toContain('may be out of date');
    expect(summaryRoot().textContent).toContain('may be out of date');
    expect(summaryRoot().querySelector('[data-problem="unreachable"]')).not.toBeNull();
  });

  it('filters the LMS rows to one state from the summary, and shows everyone again', async () => {
    await run('canvas', canvas, course, ok(course, base()));
    await until(() => badgeOf('603'));
    summaryRoot().querySelector<HTMLButtonElement>('[data-filter="not_seen"]')!.click();
    const hidden = () => [...document.querySelectorAll('tr[data-rosterlens-hidden]')].map((r) => r.id);
    expect(hidden()).toEqual(['user_501', 'user_502', 'user_601', 'user_602', 'user_701']);
    expect(summaryRoot().querySelector('[data-filter="not_seen"]')!.getAttribute('aria-pressed')).toBe('true');
    summaryRoot().querySelector<HTMLButtonElement>('[data-filter="not_seen"]')!.click();
    expect(hidden()).toEqual([]);
  });

  it('flags every never-logged-in student without a flag after a confirmation that lists them by name', async () => {
    const { calls } = await run('canvas', canvas, course, ok(course, base()));
    await until(() => badgeOf('601'));
    summaryRoot().querySelector<HTMLButtonElement>('[data-action="bulk-never"]')!.click();
    const dialog = await until(() => summaryRoot().querySelector('[data-dialog="bulk-never"]'));
    expect([...dialog.querySelectorAll('li')].map((li) => li.textContent)).toEqual(['Ana Diaz']);
    expect(calls.many).toEqual([]);
    dialog.querySelector<HTMLButtonElement>('[data-action="confirm-bulk"]')!.click();
    await until(() => calls.many.length);
    expect(calls.many).toEqual([['601']]);
  });

  it('opens the detail popover from a badge and raises a flag with reason and note', async () => {
    const { calls } = await run('canvas', canvas, course, ok(course, base()));
    badgeOf('603')!.shadowRoot!.querySelector('button')!.click();
    const pop = await until(() => document.querySelector('[data-rosterlens-ui="popover"]')?.shadowRoot?.querySelector('[role="dialog"]'));
    expect(pop.textContent).toContain('Chloe Kim');
    expect(pop.textContent).toContain('School days since seen6');
    expect(pop.textContent).toContain('2 of 30 days enrolled');
    const form = pop.querySelector('form[data-form="raise"]') as HTMLFormElement;
    expect((form.querySelector('select') as HTMLSelectElement).value).toBe('frequently_absent');
    const note = form.querySelector('textarea')!;
    note.value = 'Called home, no answer';
    note.dispatchEvent(new Event('input', { bubbles: true }));
    // Preact applies the state change on its next render.
    await new Promise((r) => setTimeout(r, 0));
    form.dispatchEvent(new Event('submit', { bubbles: true, cancelable: true }));
    await until(() => calls.raised.length);
    expect(calls.raised).toEqual([{ student: '603', reason: 'frequently_absent', note: 'Called home, no answer' }]);
    expect((await until(() => pop.querySelector('[data-outcome]'))).textContent).toContain('will be sent once it is back');
  });

  it('shows a colleague’s open flag and offers to add to it', async () => {
    await run('canvas', canvas, course, ok(course, base()));
    badgeOf('602')!.shadowRoot!.querySelector('button')!.click();
    expect(badgeText('602')).toBe('Never logged in· Flag open');
    const pop = await until(() => document.querySelector('[data-rosterlens-ui="popover"]')?.shadowRoot?.querySelector('[role="dialog"]'));
    expect(pop.querySelector('[data-region="flag"]')!.textContent).toContain('Never logged in — Open');
    expect(pop.querySelector('[data-region="flag"]')!.textContent).toContain('Raised by 9002');
    expect(pop.querySelector('form[data-form="join"]')).not.toBeNull();
  });

  it('removes everything it added when the page is left', async () => {
    await run('canvas', canvas, course, ok(course, base()));
    await until(() => badgeOf('601'));
    controller!.abort();
    expect(document.querySelector('[data-rosterlens-badge], [data-rosterlens-ui], [data-rosterlens-row]')).toBeNull();
  });
});
