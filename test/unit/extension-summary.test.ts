// @vitest-environment jsdom
// The class summary dates what it shows by the plugin's own clock, and says the
// day as well as the time when a saved copy is not from today.
import { h, render } from 'preact';
import { describe, expect, it } from 'vitest';
import { Summary, type SummaryProps } from '../../extension/content/overlay/summary.tsx';
import { rosterStatus, studentStatus } from '../fixtures/rosters/helpers.ts';

function show(generatedAt: string, fetchedAt: number, stale: boolean): string {
  const status = { ...rosterStatus('1001', [studentStatus('601', 'present_today'), studentStatus('602', 'never_logged_in')]), generatedAt };
  const props: SummaryProps = {
    data: { status, fetchedAt, stale },
    problem: null,
    refreshing: false,
    filter: null,
    names: new Map(),
    notice: null,
    onFilter: () => {},
    onOpenOptions: () => {},
    onBulkNeverLoggedIn: async () => [],
    onRetry: () => {},
  };
  const el = document.createElement('div');
  render(h(Summary, props), el);
  return el.textContent ?? '';
}

describe('the summary’s "as of"', () => {
  it('a fresh answer from today says the time the plugin computed it', () => {
    const at = new Date();
    at.setHours(9, 5, 0, 0);
    const text = show(at.toISOString(), Date.now(), false);
    expect(text).toContain(`updated ${at.toLocaleTimeString([], { hour: 'numeric', minute: '2-digit' })}`);
    expect(text).not.toContain('out of date');
  });

  it('a saved copy from days ago names the day and says it may be out of date', () => {
    const at = new Date(Date.now() - 3 * 86_400_000);
    const text = show(at.toISOString(), at.getTime(), true);
    expect(text).toContain(`saved status from ${at.toLocaleDateString([], { month: 'short', day: 'numeric' })}, `);
    expect(text).toContain('may be out of date');
  });
});
