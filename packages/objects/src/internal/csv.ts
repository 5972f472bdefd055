/**
 * CSV (RFC 4180): a streaming reader that accepts text in chunks (quoted fields may hold commas,
 * quotes and line breaks) and a writer.
 */

/** One parsed row and the line it starts on (1-based). */
export interface CsvRow {
  readonly line: number;
  readonly cells: string[];
}

/** An incremental CSV reader: `push(chunk)` returns the rows completed so far; `end()` the rest. */
export class CsvReader {
  private cells: string[] = [];
  private cell = '';
  private inQuotes = false;
  private quoteSeen = false;
  private line = 1;
  private rowLine = 1;
  private pendingCR = false;
  private started = false;
  /** Set when a quoted field is not closed at the end of the input. */
  error: { line: number; message: string } | undefined;

  constructor(private readonly maxCell = 1_000_000) {}

  push(chunk: string): CsvRow[] {
    const out: CsvRow[] = [];
    let i = 0;
    if (!this.started && chunk.length > 0) {
      this.started = true;
      if (chunk.charCodeAt(0) === 0xfeff) i = 1; // byte-order mark
    }
    for (; i < chunk.length; i++) {
      const ch = chunk[i] as string;
      if (this.pendingCR) {
        this.pendingCR = false;
        if (ch === '\n') continue;
      }
      if (this.inQuotes) {
        if (ch === '"') {
          if (this.quoteSeen) {
            this.cell += '"';
            this.quoteSeen = false;
          } else this.quoteSeen = true;
          continue;
        }
        if (this.quoteSeen) {
          this.quoteSeen = false;
          this.inQuotes = false;
        } else {
          if (ch === '\n') this.line++;
          this.cell += ch;
          if (this.cell.length > this.maxCell) throw new RangeError(`line ${this.rowLine}: a cell is longer than ${this.maxCell} characters`);
          continue;
        }
      }
      if (ch === '"' && this.cell === '') {
        this.inQuotes = true;
        continue;
      }
      if (ch === ',') {
        this.cells.push(this.cell);
        this.cell = '';
        continue;
      }
      if (ch === '\n' || ch === '\r') {
        if (ch === '\r') this.pendingCR = true;
        this.cells.push(this.cell);
        this.cell = '';
        if (!(this.cells.length === 1 && this.cells[0] === '')) out.push({ line: this.rowLine, cells: this.cells });
        this.cells = [];
        this.line++;
        this.rowLine = this.line;
        continue;
      }
      this.cell += ch;
    }
    return out;
  }

  end(): CsvRow[] {
    if (this.inQuotes && !this.quoteSeen) {
      this.error = { line: this.rowLine, message: 'a quoted field is not closed' };
      return [];
    }
    this.inQuotes = false;
    this.quoteSeen = false;
    if (this.cell === '' && this.cells.length === 0) return [];
    this.cells.push(this.cell);
    const row = { line: this.rowLine, cells: this.cells };
    this.cells = [];
    this.cell = '';
    return [row];
  }
}

/** Parses a whole CSV text. */
export function parseCsv(text: string): CsvRow[] {
  const r = new CsvReader();
  const rows = [...r.push(text), ...r.end()];
  if (r.error) throw new SyntaxError(`line ${r.error.line}: ${r.error.message}`);
  return rows;
}

/** Formats one row, quoting where needed; ends with CRLF as RFC 4180 says. */
export function formatCsvRow(cells: readonly string[]): string {
  return (
    cells
      .map((c) => (/[",\r\n]/.test(c) ? `"${c.replace(/"/g, '""')}"` : c))
      .join(',') + '\r\n'
  );
}
