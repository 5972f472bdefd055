import type { CarusoError } from '@caruso/kernel';
import { StorageErrors } from '../../errors.js';
import { isErrorLike } from '../../internal/error-shape.js';
import { withoutQuoted } from '../../internal/statement.js';
import type { TranslationContext } from '../dialect.js';

interface SqliteErrorShape {
  readonly code: string;
  readonly message: string;
}

function isSqliteError(err: unknown): err is SqliteErrorShape {
  if (!isErrorLike(err)) return false;
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && code.startsWith('SQLITE_');
}

/** The driver's own message, without the SQL text that knex puts in front of it. */
function driverMessage(err: SqliteErrorShape, sql: string | undefined): string {
  if (sql && err.message.startsWith(`${sql} - `)) return err.message.slice(sql.length + 3);
  const i = err.message.lastIndexOf(' - ');
  return i >= 0 ? err.message.slice(i + 3) : err.message;
}

/** `t.a, t.b` → table t, columns a, b. */
function splitColumns(list: string): { table: string | undefined; columns: string[] } {
  let table: string | undefined;
  const columns: string[] = [];
  for (const item of list.split(',').map((s) => s.trim()).filter(Boolean)) {
    const dot = item.lastIndexOf('.');
    if (dot > 0) {
      table ??= item.slice(0, dot);
      columns.push(item.slice(dot + 1));
    } else {
      columns.push(item);
    }
  }
  return { table, columns };
}

const RETRY_CODES = /^SQLITE_(BUSY|LOCKED)/;
const OPEN_CODES = /^SQLITE_(CANTOPEN|NOTADB|CORRUPT|PERM|AUTH)/;

/**
 * Translates a better-sqlite3 error (its `code` is SQLite's extended result code, e.g.
 * SQLITE_CONSTRAINT_UNIQUE) into a CARUSO_STORAGE_* error, naming the table and columns that
 * SQLite's message names, else the table the statement writes to.
 */
export function translateSqliteError(err: unknown, ctx: TranslationContext): CarusoError | undefined {
  if (!isSqliteError(err)) return undefined;
  const msg = driverMessage(err, ctx.sql);
  const code = err.code;
  const dialect = 'sqlite';
  const unknown = '?';
  // ON DELETE RESTRICT is enforced like a trigger (SQLITE_CONSTRAINT_TRIGGER) with the same message.
  const fk = code === 'SQLITE_CONSTRAINT_FOREIGNKEY' || (code.startsWith('SQLITE_CONSTRAINT') && /FOREIGN KEY constraint failed/.test(msg));
  switch (fk ? 'SQLITE_CONSTRAINT_FOREIGNKEY' : code) {
    case 'SQLITE_CONSTRAINT_UNIQUE':
    case 'SQLITE_CONSTRAINT_PRIMARYKEY': {
      const m = /UNIQUE constraint failed: (.+)$/.exec(msg);
      const idx = m?.[1] && /^index '(.+)'$/.exec(m[1]);
      const { table, columns } = m?.[1] && !idx ? splitColumns(m[1]) : { table: undefined, columns: [] };
      const t = table ?? ctx.table ?? unknown;
      const constraint = idx ? (idx[1] as string) : code === 'SQLITE_CONSTRAINT_PRIMARYKEY' ? 'primary key' : 'unique';
      return StorageErrors.CARUSO_STORAGE_UNIQUE_VIOLATION(
        { table: t, columns: columns.length ? columns.join(', ') : unknown, constraint },
        { cause: err, details: { dialect, driverCode: code, table: t, columns, constraint } },
      );
    }
    case 'SQLITE_CONSTRAINT_NOTNULL': {
      const m = /NOT NULL constraint failed: (.+)$/.exec(msg);
      const { table, columns } = m?.[1] ? splitColumns(m[1]) : { table: undefined, columns: [] };
      const t = table ?? ctx.table ?? unknown;
      const column = columns[0] ?? unknown;
      return StorageErrors.CARUSO_STORAGE_NOT_NULL_VIOLATION(
        { table: t, column },
        { cause: err, details: { dialect, driverCode: code, table: t, column } },
      );
    }
    case 'SQLITE_CONSTRAINT_CHECK': {
      const m = /CHECK constraint failed: (.+)$/.exec(msg);
      const constraint = m?.[1]?.trim() ?? unknown;
      const t = ctx.table ?? unknown;
      return StorageErrors.CARUSO_STORAGE_CHECK_VIOLATION(
        { table: t, constraint },
        { cause: err, details: { dialect, driverCode: code, table: t, constraint } },
      );
    }
    case 'SQLITE_CONSTRAINT_FOREIGNKEY': {
      // SQLite names neither the column nor the constraint; the statement's target table is all we know.
      const t = ctx.table ?? unknown;
      return StorageErrors.CARUSO_STORAGE_FOREIGN_KEY_VIOLATION(
        { table: t, where: '' },
        { cause: err, details: { dialect, driverCode: code, table: t } },
      );
    }
    case 'SQLITE_CONSTRAINT_DATATYPE': {
      const m = /in (?:\w+ )?column ([^\s]+)$/.exec(msg);
      const { table, columns } = m?.[1] ? splitColumns(m[1]) : { table: undefined, columns: [] };
      const t = table ?? ctx.table ?? unknown;
      return StorageErrors.CARUSO_STORAGE_INVALID_VALUE(
        { table: t, reason: `a value does not have the type of column ${columns[0] ?? unknown}` },
        { cause: err, details: { dialect, driverCode: code, table: t, column: columns[0] } },
      );
    }
  }
  if (RETRY_CODES.test(code)) {
    const t = ctx.table ?? unknown;
    return StorageErrors.CARUSO_STORAGE_BUSY({ table: t }, { cause: err, details: { dialect, driverCode: code, table: t } });
  }
  if (OPEN_CODES.test(code)) {
    return StorageErrors.CARUSO_STORAGE_CONNECTION_LOST({ dialect, reason: msg }, { cause: err, details: { dialect, driverCode: code } });
  }
  let m = /no such table: (\S+)/.exec(msg);
  if (m?.[1]) {
    const table = m[1].replace(/^main\./, '');
    return StorageErrors.CARUSO_STORAGE_UNDEFINED_TABLE({ table, dialect }, { cause: err, details: { dialect, driverCode: code, table } });
  }
  m = /table (\S+) has no column named (\S+)/.exec(msg);
  if (m?.[1] && m[2]) {
    return StorageErrors.CARUSO_STORAGE_UNDEFINED_COLUMN(
      { table: m[1], column: m[2], dialect },
      { cause: err, details: { dialect, driverCode: code, table: m[1], column: m[2] } },
    );
  }
  m = /no such column: (\S+)/.exec(msg);
  if (m?.[1]) {
    const { table, columns } = splitColumns(m[1]);
    const t = table ?? ctx.table ?? unknown;
    return StorageErrors.CARUSO_STORAGE_UNDEFINED_COLUMN(
      { table: t, column: columns[0] ?? m[1], dialect },
      { cause: err, details: { dialect, driverCode: code, table: t, column: columns[0] ?? m[1] } },
    );
  }
  const t = ctx.table ?? unknown;
  return StorageErrors.CARUSO_STORAGE_QUERY_FAILED(
    // A syntax error quotes the SQL near it, which may be a literal value.
    { dialect, table: t, reason: withoutQuoted(msg), driverCode: code },
    { cause: err, details: { dialect, driverCode: code, table: t } },
  );
}

/** Translates an error raised while opening the database file. */
export function translateSqliteOpenError(err: unknown, displayUrl: string): CarusoError | undefined {
  if (!isErrorLike(err)) return undefined;
  const code = (err as { code?: unknown }).code;
  const msg = err.message;
  return StorageErrors.CARUSO_STORAGE_CONNECTION_FAILED(
    { url: displayUrl, reason: typeof code === 'string' ? `${msg} (${code})` : msg },
    { cause: err, details: { dialect: 'sqlite', driverCode: code } },
  );
}
