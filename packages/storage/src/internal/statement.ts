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
