// CSV for the dashboard's exports: RFC 4180 quoting, CRLF line ends, a UTF-8
// byte-order mark so spreadsheet programs read names correctly, and cells a
// spreadsheet would run as a formula defused with a leading single quote.

export type Cell = string | number | boolean | null | undefined;

/** Characters that make a spreadsheet treat a cell as a formula (OWASP: = + - @, tab, carriage return). */
const FORMULA_START = /^[=+\-@\t\r]/;

export function csvCell(value: Cell): string {
  if (value === null || value === undefined) return '';
  let s = typeof value === 'number' ? (Number.isFinite(value) ? String(value) : '') : String(value);
  // Numbers are written by us and safe; text may come from a roster or a person.
  if (typeof value === 'string' && FORMULA_START.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv(header: string[], rows: Cell[][]): string {
  const lines = [header.map(csvCell).join(','), ...rows.map((r) => r.map(csvCell).join(','))];
  return `\uFEFF${lines.join('\r\n')}\r\n`;
}
