/**
 * Masks the password of a connection URL so that it can be shown in messages and logs:
 * `postgres://crm:s3cret@db/crm` → `postgres://crm:***@db/crm`. Works on text that does not parse as
 * a URL too (it masks whatever sits between `user:` and the last `@` of the authority).
 */
export function maskUrl(url: string): string {
  const m = /^([A-Za-z][A-Za-z0-9+.-]*:\/\/)([^/?#]*)(.*)$/s.exec(url);
  if (!m) return url;
  const [, scheme, authority, rest] = m as unknown as [string, string, string, string];
  const at = authority.lastIndexOf('@');
  if (at < 0) return url;
  const userinfo = authority.slice(0, at);
  const colon = userinfo.indexOf(':');
  if (colon < 0) return url;
  return `${scheme}${userinfo.slice(0, colon)}:***${authority.slice(at)}${rest}`;
}

/** Removes every occurrence of `secret` from `text` (for driver messages that might echo it). */
export function redact(text: string, secret: string | undefined): string {
  return secret ? text.split(secret).join('***') : text;
}
