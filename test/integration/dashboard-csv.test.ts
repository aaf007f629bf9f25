// CSV exports: RFC 4180 quoting and formula-injection guards, checked on the
// encoder and on real exports of roster data that a hostile import could carry.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { csvCell, toCsv } from '../../plugin/dashboard/csv.ts';
import { engines } from '../support/plugin.ts';
import { dashWorld, parseCsv, signIn, type DashWorld } from './dashboard-support.ts';
import * as uiApi from '../../plugin/dashboard/ui/api.ts';
import * as uiFormat from '../../plugin/dashboard/ui/format.ts';
import { CSRF_HEADER, DASHBOARD_API } from '../../shared/dashboard-api.ts';
import { HEADLINE_LABELS } from '../../shared/status.ts';
import { TIERS } from '../../shared/policy.ts';

describe('dashboard UI constants', () => {
  it('match the shared contract the UI repeats to keep its bundle small', () => {
    expect(uiApi.DASHBOARD_API).toBe(DASHBOARD_API);
    expect(uiApi.CSRF_HEADER).toBe(CSRF_HEADER);
    expect(uiFormat.TIERS).toEqual(TIERS);
    for (const [k, v] of Object.entries(HEADLINE_LABELS)) expect(uiFormat.headlineLabel(k)).toBe(v);
  });
});

describe('csv encoder', () => {
  it('quotes commas, quotes and line breaks, and doubles quotes', () => {
    expect(csvCell('plain')).toBe('plain');
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('two\nlines')).toBe('"two\nlines"');
    expect(csvCell('cr\r\nlf')).toBe('"cr\r\nlf"');
    expect(csvCell(null)).toBe('');
    expect(csvCell(undefined)).toBe('');
    expect(csvCell(12.5)).toBe('12.5');
    expect(csvCell(Number.NaN)).toBe('');
  });

  it('defuses cells a spreadsheet would run as formulas', () => {
    expect(csvCell('=1+1')).toBe("'=1+1");
    expect(csvCell('+1')).toBe("'+1");
    expect(csvCell('-2')).toBe("'-2");
    expect(csvCell('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvCell('\t=1')).toBe("'\t=1");
    expect(csvCell('=HYPERLINK("http://x","y")')).toBe(`"'=HYPERLINK(""http://x"",""y"")"`);
    expect(csvCell('a=b')).toBe('a=b');
  });

  it('writes a BOM, a header and CRLF rows that parse back', () => {
    const text = toCsv(['A', 'B'], [['x,y', '=z'], [1, null]]);
    expect(text.startsWith('\uFEFFA,B\r\n')).toBe(true);
    expect(text.endsWith('\r\n')).toBe(true);
    expect(parseCsv(text)).toEqual([['A', 'B'], ['x,y', "'=z"], ['1', '']]);
  });
});

describe.each(engines())('csv exports (%s)', (engine) => {
  let w: DashWorld;
  const hostile = { id: '7777', given: '=HYPERLINK("http://evil.example","Click")', family: 'O"Brien, Jr.\nthe second' };

  beforeAll(async () => {
    w = await dashWorld(engine);
    await w.plugin.store.applyRoster(
      w.district.tenant,
      {
        schools: [],
        people: [{ id: hostile.id, sisId: '+S7777', ltiSub: null, role: 'student', givenName: hostile.given, familyName: hostile.family, grade: '10', school: 'sch-north', groups: [] }],
        courses: [],
        enrollments: [{ course: '101', person: hostile.id, role: 'student', startDay: null, endDay: null }],
        source: 'oneroster',
      },
      w.clock.now,
    );
  });
  afterAll(async () => {
    await w?.plugin.close();
  });

  it('exports a hostile roster name as inert, correctly quoted text', async () => {
    const north = await signIn(w.plugin.url, w.tokens.north);
    const r = await north.get('/api/v1/dashboard/lists/never-logged-in?format=csv');
    expect(r.status).toBe(200);
    const rows = parseCsv(r.text);
    const header = rows[0]!;
    const row = rows.find((x) => x[header.indexOf('Student ID')] === hostile.id)!;
    expect(row).toBeDefined();
    expect(row[header.indexOf('Student')]).toBe(`'${hostile.given} ${hostile.family}`);
    expect(row[header.indexOf('SIS ID')]).toBe("'+S7777");
    expect(row[header.indexOf('Course')]).toBe('Algebra I (Period 2)');
    // Every row has as many cells as the header: quoting kept the commas and line breaks inside the cell.
    for (const x of rows) expect(x).toHaveLength(header.length);
    // No cell starts a formula.
    for (const x of rows.slice(1)) for (const c of x) expect(c).not.toMatch(/^[=+\-@]/);
  });

  it('never exports that student to another school', async () => {
    const south = await signIn(w.plugin.url, w.tokens.south);
    for (const list of ['never-logged-in', 'not-seen?includeNever=true', 'chronic']) {
      const r = await south.get(`/api/v1/dashboard/lists/${list}${list.includes('?') ? '&' : '?'}format=csv`);
      expect(r.status).toBe(200);
      expect(r.text).not.toContain(hostile.id);
      expect(r.text).not.toContain('North High School');
      const ids = new Set(w.district.courses.filter((c) => c.school === 'sch-north').flatMap((c) => c.students));
      for (const x of parseCsv(r.text).slice(1)) for (const c of x) expect(ids.has(c)).toBe(false);
    }
  });
});
