import { CsvReader, formatCsvRow, parseCsv } from './helpers.js';

describe('CSV reader and writer (RFC 4180)', () => {
  it('reads quoted cells with commas, quotes and line breaks, and CRLF or LF endings', () => {
    const rows = parseCsv('\ufeffa,b,c\r\n"x, y","say ""hi""","two\nlines"\nlast,,\n\n');
    expect(rows).toEqual([
      { line: 1, cells: ['a', 'b', 'c'] },
      { line: 2, cells: ['x, y', 'say "hi"', 'two\nlines'] },
      { line: 4, cells: ['last', '', ''] },
    ]);
  });

  it('gives the same rows whatever the chunk boundaries are', () => {
    const text = 'id,name\r\n1,"A ""quoted"", name"\r\n2,plain\r\n3,"multi\r\nline"';
    const whole = parseCsv(text);
    for (let size = 1; size <= 7; size++) {
      const r = new CsvReader();
      const rows = [];
      for (let i = 0; i < text.length; i += size) rows.push(...r.push(text.slice(i, i + size)));
      rows.push(...r.end());
      expect(rows).toEqual(whole);
    }
  });

  it('reports a quoted cell that is never closed', () => {
    expect(() => parseCsv('a\n"open')).toThrow('line 2: a quoted field is not closed');
  });

  it('round-trips what it writes', () => {
    const cells = ['plain', 'with, comma', 'with "quote"', 'with\nbreak', ''];
    expect(parseCsv(formatCsvRow(cells))[0]!.cells).toEqual(cells);
  });
});
