const IDENT = String.raw`(?:"[^"]+"|\x60[^\x60]+\x60|\[[^\]]+\]|[A-Za-z_][A-Za-z0-9_$]*)`;
const TARGET = new RegExp(
  String.raw`^\s*(?:with\s[\s\S]*?\)\s*)?(?:insert\s+(?:or\s+\w+\s+)?into|update(?:\s+or\s+\w+)?|delete\s+from|replace\s+into)\s+(?:only\s+)?(${IDENT}(?:\s*\.\s*${IDENT})?)`,
  'i',
);

function unquote(part: string): string {
  const p = part.trim();
  if ((p.startsWith('"') && p.endsWith('"')) || (p.startsWith('`') && p.endsWith('`')) || (p.startsWith('[') && p.endsWith(']'))) {
    return p.slice(1, -1);
  }
  return p;
}

/**
 * The table a statement writes to, read from its SQL text (`insert into "t"`, `update t`,
 * `delete from "s"."t"`), or undefined. Used to name the table in translated errors when the
 * driver does not (SQLite's foreign-key errors).
 */
export function targetTable(sql: string | undefined): string | undefined {
  if (!sql) return undefined;
  const m = TARGET.exec(sql);
  if (!m || !m[1]) return undefined;
  const parts = m[1].split(/\s*\.\s*(?=["`[A-Za-z_])/).map(unquote);
  return parts[parts.length - 1];
}

const KIND = /^\s*(?:with\b[\s\S]*?\)\s*)?(select|insert|update|delete|replace|create|alter|drop|pragma|begin|commit|rollback|savepoint|release|set|show|truncate|vacuum|analyze|explain)\b/i;
const DDL_TARGET = new RegExp(
  String.raw`^\s*(?:create|alter|drop)\s+(?:unique\s+)?(?:table|index|view)\s+(?:if\s+(?:not\s+)?exists\s+)?(?:only\s+)?(${IDENT}(?:\s*\.\s*${IDENT})?)`,
  'i',
);
const FROM = new RegExp(String.raw`\bfrom\s+(${IDENT}(?:\s*\.\s*${IDENT})?)`, 'i');

function lastPart(name: string): string {
  const parts = name.split(/\s*\.\s*(?=["`[A-Za-z_])/).map(unquote);
  return parts[parts.length - 1] as string;
}

/**
 * What a statement is, without its text: its kind and the table it is about, e.g. `insert into
 * customers`, `select from items`, `create table orders`, `savepoint`. Used wherever a statement must
 * be named in an error or a log line: SQL text may hold literal values, so it never goes there itself.
 */
export function describeStatement(sql: string | undefined): string {
  if (!sql) return 'statement';
  const kind = KIND.exec(sql)?.[1]?.toLowerCase();
  if (!kind) return 'statement';
  let table = targetTable(sql);
  if (!table && (kind === 'create' || kind === 'alter' || kind === 'drop')) {
    const m = DDL_TARGET.exec(sql);
    if (m?.[1]) table = lastPart(m[1]);
  }
  if (!table && kind === 'select') {
    const m = FROM.exec(sql);
    if (m?.[1]) table = lastPart(m[1]);
  }
  const verb = { insert: 'insert into', replace: 'replace into', delete: 'delete from', select: 'select from' }[kind] ?? kind;
  return table ? `${verb} ${table}` : kind;
}

/** Quoted strings of a driver message replaced: messages may echo literal values of the SQL text. */
export function withoutQuoted(message: string): string {
  return message.replace(/"(?:[^"]|"")*"/g, '"…"').replace(/'(?:[^']|'')*'/g, "'…'");
}

/** `Key (email)=(ada@example.org) already exists.` → `Key (email)=(…) already exists.` */
function withoutKeyValues(detail: string): string {
  return detail.replace(/\)=\((?:[^()]|\([^()]*\))*\)/g, ')=(…)');
}

/**
 * Removes SQL text and values from a driver error in place, before it travels on as the `cause` of
 * a translated error (where loggers print its message and stack). knex puts the whole SQL text in
 * front of the driver's message; pg's `detail` repeats key values and `where` / `internalQuery`
 * may quote statements. What stays: the statement's kind and table, and the driver's own message.
 */
export function scrubDriverError(err: unknown, sql: string | undefined): void {
  if (typeof err !== 'object' || err === null) return;
  const e = err as { message?: unknown; stack?: unknown; name?: unknown; detail?: unknown; where?: unknown; internalQuery?: unknown; scrubbed?: boolean };
  if (e.scrubbed || typeof e.message !== 'string') return;
  let msg = e.message;
  if (sql) {
    if (msg.startsWith(`${sql} - `)) msg = msg.slice(sql.length + 3);
    if (msg.includes(sql)) msg = msg.split(sql).join('(statement)');
  }
  msg = `${describeStatement(sql)}: ${withoutQuoted(msg)}`;
  try {
    const frames = typeof e.stack === 'string' ? e.stack.split('\n').filter((l) => /^\s+at /.test(l)) : [];
    e.message = msg;
    e.stack = [`${typeof e.name === 'string' ? e.name : 'Error'}: ${msg}`, ...frames].join('\n');
    if (typeof e.detail === 'string') e.detail = withoutKeyValues(e.detail);
    if (e.where !== undefined) e.where = undefined;
    if (e.internalQuery !== undefined) e.internalQuery = undefined;
    Object.defineProperty(e, 'scrubbed', { value: true, enumerable: false });
  } catch {
    // A frozen foreign error: it keeps its text, the translated error never carried it anyway.
  }
}
