// Shared pieces: hash routing, a polite live region, labelled form controls,
// badges and a small data-loading hook.
import type { ComponentChildren } from 'preact';
import { useEffect, useState, useCallback } from 'preact/hooks';
import { ApiError } from './api.ts';
import { stateLabel, TIER_LABELS } from './format.ts';
import type { Tier } from '../../../shared/policy.ts';

// ---- routing ----

export interface Route {
  path: string[];
  params: URLSearchParams;
}

function parse(): Route {
  const h = location.hash.replace(/^#\/?/, '');
  const [p, q] = h.split('?') as [string, string | undefined];
  return { path: p.split('/').filter(Boolean).map(decodeURIComponent), params: new URLSearchParams(q ?? '') };
}

export function useRoute(): Route {
  const [r, setR] = useState(parse);
  useEffect(() => {
    const on = () => setR(parse());
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return r;
}

export function navigate(hash: string, replace = false): void {
  if (replace) history.replaceState(null, '', hash);
  else location.hash = hash;
  if (replace) dispatchEvent(new HashChangeEvent('hashchange'));
}

/** Replaces the current route's query with these values (keeps the path). */
export function setParams(route: Route, values: Record<string, string | number | undefined | null>): void {
  const p = new URLSearchParams(route.params);
  for (const [k, v] of Object.entries(values)) {
    if (v === undefined || v === null || v === '') p.delete(k);
    else p.set(k, String(v));
  }
  const q = p.toString();
  navigate(`#/${route.path.map(encodeURIComponent).join('/')}${q ? `?${q}` : ''}`, true);
}

// ---- announcements ----

let setMessage: (m: string) => void = () => {};
export function announce(message: string): void {
  setMessage('');
  setTimeout(() => setMessage(message), 30);
}
export function Announcer() {
  const [m, setM] = useState('');
  setMessage = setM;
  return (
    <div class="announcer" role="status" aria-live="polite">
      {m}
    </div>
  );
}

// ---- data ----

export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): { data: T | null; error: string | null; loading: boolean; reload: () => void } {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [n, setN] = useState(0);
  useEffect(() => {
    let live = true;
    setLoading(true);
    load().then(
      (d) => {
        if (!live) return;
        setData(d);
        setError(null);
        setLoading(false);
      },
      (e: unknown) => {
        if (!live) return;
        setError(e instanceof ApiError ? e.message : 'Something went wrong.');
        setLoading(false);
      },
    );
    return () => {
      live = false;
    };
  }, [...deps, n]);
  const reload = useCallback(() => setN((x) => x + 1), []);
  return { data, error, loading, reload };
}

// ---- controls ----

export function Field({ id, label, children, wide }: { id: string; label: string; children: ComponentChildren; wide?: boolean }) {
  return (
    <div class={wide ? 'field wide' : 'field'}>
      <label for={id}>{label}</label>
      {children}
    </div>
  );
}

export function Select({ id, label, value, onChange, options, any }: { id: string; label: string; value: string; onChange: (v: string) => void; options: { value: string; label: string }[]; any?: string }) {
  return (
    <Field id={id} label={label}>
      <select id={id} value={value} onChange={(e) => onChange(e.currentTarget.value)}>
        {any !== undefined && <option value="">{any}</option>}
        {options.map((o) => (
          <option value={o.value} key={o.value}>
            {o.label}
          </option>
        ))}
      </select>
    </Field>
  );
}

export function StateBadge({ state }: { state: string }) {
  return <span class={`badge state-${state}`}>{stateLabel(state)}</span>;
}

export function TierBadge({ tier }: { tier: Tier }) {
  return <span class={`badge tier-${tier}`}>{TIER_LABELS[tier]}</span>;
}

export function ErrorBox({ error }: { error: string | null }) {
  if (!error) return null;
  return (
    <p class="error" role="alert">
      {error}
    </p>
  );
}

/**
 * A sortable column: its key sorts one way (`direction`); when `toggle` is
 * given, clicking again sorts the other way by that key.
 */
export function SortHeader({ label, sortKey, current, onSort, direction = 'ascending', toggle }: { label: string; sortKey: string; current: string; onSort: (k: string) => void; direction?: 'ascending' | 'descending'; toggle?: string }) {
  const active = current === sortKey || (toggle !== undefined && current === toggle);
  const dir = current === sortKey ? direction : direction === 'ascending' ? 'descending' : 'ascending';
  return (
    <th scope="col" aria-sort={active ? dir : undefined}>
      <button type="button" class="sort" onClick={() => onSort(current === sortKey && toggle ? toggle : sortKey)}>
        {label}
        <span aria-hidden="true">{active ? (dir === 'ascending' ? ' ▲' : ' ▼') : ''}</span>
      </button>
    </th>
  );
}

export function Pager({ total, limit, offset, onPage }: { total: number; limit: number; offset: number; onPage: (offset: number) => void }) {
  if (total <= limit && offset === 0) return null;
  const from = total ? offset + 1 : 0;
  const to = Math.min(total, offset + limit);
  return (
    <nav class="pager" aria-label="Pages">
      <button type="button" disabled={offset === 0} onClick={() => onPage(Math.max(0, offset - limit))}>
        ← Previous
      </button>
      <span>
        {from}–{to} of {total}
      </span>
      <button type="button" disabled={to >= total} onClick={() => onPage(offset + limit)}>
        Next →
      </button>
    </nav>
  );
}
