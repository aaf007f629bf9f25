// Reads a CSV file row by row with its line number, so every import can say
// exactly which line is wrong. Progress goes to the caller for large files.
import { createReadStream, statSync } from 'node:fs';
import { parse } from 'csv-parse';

export interface CsvRow {
  line: number;
  values: Record<string, string>;
}

export interface RowError {
  file: string;
  line: number;
  message: string;
}

export class ImportRejected extends Error {
  constructor(readonly errors: RowError[]) {
    super(`import rejected: ${errors.length} error(s); nothing was written`);
  }
}

export async function* readCsv(path: string, onProgress?: (bytes: number, total: number) => void): AsyncGenerator<CsvRow> {
  const total = statSync(path).size;
  const stream = createReadStream(path);
  let read = 0;
  stream.on('data', (chunk) => {
    read += chunk.length;
    onProgress?.(read, total);
  });
  const parser = stream.pipe(
    parse({ columns: (h: string[]) => h.map((c) => c.trim().replace(/^\uFEFF/, '')), bom: true, skip_empty_lines: true, relax_column_count: false, info: true, trim: true }),
  );
  for await (const rec of parser as AsyncIterable<{ record: Record<string, string>; info: { lines: number } }>) {
    yield { line: rec.info.lines, values: rec.record };
  }
}

/** A malformed CSV (unclosed quote, wrong column count) is a row error too, not a crash. */
export function csvErrorToRowError(file: string, err: unknown): RowError {
  const e = err as { lines?: number; message?: string };
  return { file, line: e.lines ?? 0, message: `unreadable CSV: ${e.message ?? String(err)}` };
}
