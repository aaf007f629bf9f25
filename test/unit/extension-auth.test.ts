// @vitest-environment jsdom
// A credential the plugin refused is said on the roster page for what it is
// (expired, withdrawn, not recognised), with the way to the options, and no
// student data. The API client's side is in extension-api.test.ts.
import { afterEach, describe, expect, it } from 'vitest';
import { canvas } from '../../extension/content/lms/canvas.ts';
import { startRoster, type RosterDeps } from '../../extension/content/roster.tsx';
import { loadFixture } from '../fixtures/rosters/helpers.ts';

async function until<T>(get: () => T | null | undefined | false): Promise<T> {
  for (;;) {
    const v = get();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 0));
  }
}

describe('the roster page says which', () => {
  let controller: AbortController | null = null;
  afterEach(() => controller?.abort());

  for (const [reason, words] of [
    ['credential_expired', 'credential has expired'],
    ['credential_revoked', 'was withdrawn'],
    ['credential_unknown', 'does not recognise'],
  ] as const) {
    it(`${reason}: "${words}", a way to the options, and no badges`, async () => {
      const doc = loadFixture('canvas');
      let opened = 0;
      const deps: RosterDeps = {
        status: async () => ({ ok: false, error: { problem: 'not_signed_in', reason, message: 'x' }, cached: null }),
        raise: async () => ({ ok: false, error: { problem: 'not_signed_in', message: 'x' } }),
        raiseMany: async () => [],
        loadFlag: async () => ({ ok: false, error: { problem: 'not_signed_in', message: 'x' } }),
        openOptions: () => void (opened += 1),
      };
      controller = new AbortController();
      startRoster(canvas, '1001', doc, controller.signal, deps, () => {});
      const root = () => document.querySelector('[data-rosterlens-ui="summary"]')!.shadowRoot!;
      const alert = await until(() => root().querySelector<HTMLElement>(`[data-problem="not_signed_in"][data-reason="${reason}"]`));
      expect(alert.textContent).toContain(words);
      alert.querySelector<HTMLButtonElement>('button')!.click();
      expect(opened).toBe(1);
      expect(document.querySelector('[data-rosterlens-badge]')).toBeNull();
    });
  }
});
