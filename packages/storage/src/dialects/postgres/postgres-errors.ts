import type { CarusoError } from '@caruso/kernel';
import { StorageErrors } from '../../errors.js';
import { isErrorLike } from '../../internal/error-shape.js';
import { redact } from '../../internal/url.js';
import type { TranslationContext } from '../dialect.js';

/** The fields of pg's DatabaseError that the translation reads. */
interface PgErrorShape {
  readonly message: string;
  readonly code?: string;
  readonly table?: string;
  readonly column?: string;
  readonly constraint?: string;
  readonly detail?: string;
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);
const NETWORK_MESSAGES = /Connection terminated|connection timeout|not queryable|terminating connection|server closed the connection|Connection ended|timeout expired/i;

function asPgError(err: unknown): PgErrorShape | undefined {
  return isErrorLike(err) ? (err as PgErrorShape) : undefined;
}

/** The driver's own message, without the SQL text that knex puts in front of it. */
function driverMessage(err: PgErrorShape, sql: string | undefined): string {
  if (sql && err.message.startsWith(`${sql} - `)) return err.message.slice(sql.length + 3);
  return err.message;
}

/** The column list of a detail such as `Key (a, b)=(1, 2) already exists.` (values left out). */
function keyColumns(detail: string | undefined): string[] {
  const m = detail ? /^Key \((.+?)\)=\(/.exec(detail) : null;
  return m?.[1] ? m[1].split(',').map((s) => s.trim().replace(/^"(.*)"$/, '$1')) : [];
}

/** Quoted strings replaced, for driver messages that may echo a value (class 22). */
function withoutValues(message: string): string {
  return message.replace(/"(?:[^"]|"")*"/g, '"…"');
}

/** Whether an error means that the connection is gone or cannot be made. */
export function isPgConnectionError(err: unknown): boolean {
  const e = asPgError(err);
  if (!e) return false;
  const code = e.code ?? '';
  return NETWORK_CODES.has(code) || code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03' || NETWORK_MESSAGES.test(e.message);
}

/**
 * Translates a pg error (SQLSTATE in `code`; table, column and constraint in their fields) into a
 * CARUSO_STORAGE_* error. Values in the driver's `detail` never reach the message.
 */
export function translatePgError(err: unknown, ctx: TranslationContext, password: string | undefined): CarusoError | undefined {
  const e = asPgError(err);
  if (!e) return undefined;
  const code = e.code ?? '';
  const dialect = 'postgres';
  const unknown = '?';
  const table = e.table ?? ctx.table ?? unknown;
  const constraint = e.constraint ?? unknown;
  const base = { dialect, driverCode: code, table };
  switch (code) {
    case '23505': {
      const columns = keyColumns(e.detail);
      return StorageErrors.CARUSO_STORAGE_UNIQUE_VIOLATION(
        { table, columns: columns.length ? columns.join(', ') : unknown, constraint },
        { cause: err, details: { ...base, columns, constraint } },
      );
    }
    case '23503': {
      const columns = keyColumns(e.detail);
      const ref = e.detail ? /table "((?:[^"]|"")+)"/.exec(e.detail)?.[1] : undefined;
      const referencing = e.detail ? /still referenced from table/.test(e.detail) : false;
      // Deleting a referenced row: pg names the referencing table; the statement's table is the one acted on.
      const acted = referencing ? (ctx.table ?? table) : table;
      const where =
        ` (columns ${columns.length ? columns.join(', ') : unknown}` +
        (ref ? (referencing ? `, still referenced from ${ref}` : `, references ${ref}`) : '') +
        `, constraint ${constraint})`;
      return StorageErrors.CARUSO_STORAGE_FOREIGN_KEY_VIOLATION(
        { table: acted, where },
        {
          cause: err,
          details: { ...base, table: acted, columns, constraint, ...(ref ? (referencing ? { referencingTable: ref } : { referencedTable: ref }) : {}) },
        },
      );
    }
    case '23502': {
      const column = e.column ?? unknown;
      return StorageErrors.CARUSO_STORAGE_NOT_NULL_VIOLATION({ table, column }, { cause: err, details: { ...base, column } });
    }
    case '23514':
      return StorageErrors.CARUSO_STORAGE_CHECK_VIOLATION({ table, constraint }, { cause: err, details: { ...base, constraint } });
    case '40001':
      return StorageErrors.CARUSO_STORAGE_SERIALIZATION_FAILURE({}, { cause: err, details: base });
    case '40P01':
      return StorageErrors.CARUSO_STORAGE_DEADLOCK({}, { cause: err, details: base });
    case '55P03':
      return StorageErrors.CARUSO_STORAGE_BUSY({ table }, { cause: err, details: base });
    case '57014':
      return StorageErrors.CARUSO_STORAGE_STATEMENT_TIMEOUT({ table }, { cause: err, details: base });
    case '42P01': {
      const t = /relation "((?:[^"]|"")+)" does not exist/.exec(e.message)?.[1] ?? table;
      return StorageErrors.CARUSO_STORAGE_UNDEFINED_TABLE({ table: t, dialect }, { cause: err, details: { ...base, table: t } });
    }
    case '42703': {
      const m = /column "((?:[^"]|"")+)"(?: of relation "((?:[^"]|"")+)")? does not exist/.exec(e.message);
      const column = m?.[1]?.replace(/^\w+\./, '') ?? unknown;
      const t = m?.[2] ?? table;
      return StorageErrors.CARUSO_STORAGE_UNDEFINED_COLUMN({ table: t, column, dialect }, { cause: err, details: { ...base, table: t, column } });
    }
  }
  if (isPgConnectionError(err)) {
    const reason = redact(driverMessage(e, ctx.sql), password);
    return StorageErrors.CARUSO_STORAGE_CONNECTION_LOST({ dialect, reason }, { cause: err, details: base });
  }
  if (code.startsWith('22')) {
    return StorageErrors.CARUSO_STORAGE_INVALID_VALUE(
      { table, reason: withoutValues(driverMessage(e, ctx.sql)) },
      { cause: err, details: { ...base, ...(e.column ? { column: e.column } : {}) } },
    );
  }
  if (/^[0-9A-Z]{5}$/.test(code)) {
    return StorageErrors.CARUSO_STORAGE_QUERY_FAILED(
      { dialect, table, reason: withoutValues(redact(driverMessage(e, ctx.sql), password)), driverCode: code },
      { cause: err, details: base },
    );
  }
  return undefined;
}

/** Translates an error raised while connecting (refused, authentication, unknown database …). */
export function translatePgConnectError(err: unknown, displayUrl: string, password: string | undefined): CarusoError | undefined {
  const e = asPgError(err);
  if (!e) return undefined;
  const code = e.code ?? '';
  const reason = redact(code ? `${e.message} (${code})` : e.message, password);
  return StorageErrors.CARUSO_STORAGE_CONNECTION_FAILED({ url: displayUrl, reason }, { cause: err, details: { dialect: 'postgres', driverCode: code } });
}
