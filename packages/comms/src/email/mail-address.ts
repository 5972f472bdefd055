/**
 * Checks of e-mail addresses and header values shared by the outbound and inbound sides.
 * Deliberately strict: a value that could smuggle a header (a line break) is refused.
 */

const ADDR_SPEC = /^[^\s@<>()[\]\\,;:"]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*$/;
const NAMED = /^\s*(?:"[^"\r\n]*"|[^<>"\r\n]*)\s*<([^<>\s]+)>\s*$/;

/** The bare address of `value` (`Anna <anna@x.org>` → `anna@x.org`), lower-cased domain; undefined when it is not an address. */
export function bareAddress(value: string): string | undefined {
  if (/[\r\n]/.test(value) || value.length > 320) return undefined;
  const m = NAMED.exec(value);
  const addr = (m ? m[1]! : value).trim();
  if (!ADDR_SPEC.test(addr)) return undefined;
  const at = addr.lastIndexOf('@');
  return addr.slice(0, at) + '@' + addr.slice(at + 1).toLowerCase();
}

/** The domain part of an address (lower case), or undefined. */
export function domainOf(value: string): string | undefined {
  const a = bareAddress(value);
  return a ? a.slice(a.lastIndexOf('@') + 1) : undefined;
}

/** A Message-ID in its canonical form `<id>`; undefined when `value` is not one. */
export function normalizeMessageId(value: string): string | undefined {
  const v = value.trim();
  if (v.length === 0 || v.length > 998 || /[\s\r\n]/.test(v)) return undefined;
  const inner = v.startsWith('<') && v.endsWith('>') ? v.slice(1, -1) : v;
  if (inner.length === 0 || /[<>]/.test(inner)) return undefined;
  return `<${inner}>`;
}

/** Every Message-ID in a header value such as References (`<a@x> <b@y>`), in order. */
export function messageIdsIn(value: string | readonly string[] | undefined): string[] {
  if (value === undefined) return [];
  const parts = typeof value === 'string' ? [value] : value;
  const out: string[] = [];
  for (const p of parts) {
    const found = p.match(/<[^<>\s]+>/g);
    if (found) out.push(...found);
    else {
      const one = normalizeMessageId(p);
      if (one) out.push(one);
    }
  }
  return out;
}
