import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RoleName } from '../common/application.js';
import { FrontOfficeErrors } from '../errors.js';
import type { Principal } from './sessions.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | undefined;
  }
}

/** The principal of a request when its role is one of `roles`; throws 401/403 otherwise. */
export function need(req: FastifyRequest, roles: readonly RoleName[], action: string): Principal {
  const p = req.principal;
  if (!p) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_AUTH_REQUIRED();
  if (!roles.includes(p.role)) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_FORBIDDEN({ role: p.role, action });
  return p;
}

/** A JSON object body with only the allowed keys, or a 400 naming the others. */
export function body(req: FastifyRequest, allowed: readonly string[]): Record<string, unknown> {
  const b = req.body ?? {};
  if (typeof b !== 'object' || b === null || Array.isArray(b)) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_BAD_REQUEST({ reason: 'the body must be a JSON object' });
  const extra = Object.keys(b).filter((k) => !allowed.includes(k));
  if (extra.length) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_BAD_REQUEST({ reason: `unknown properties ${extra.join(', ')}; allowed: ${allowed.join(', ') || 'none'}` }, { details: { unknown: extra } });
  return b as Record<string, unknown>;
}

export function str(v: unknown, name: string, max = 200, optional = false): string {
  if (v === undefined && optional) return '';
  if (typeof v !== 'string' || v.length > max) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_BAD_REQUEST({ reason: `${name} must be text of at most ${max} characters` });
  return v;
}

export function sendJson(reply: FastifyReply, status: number, data: unknown): FastifyReply {
  return reply.code(status).type('application/json; charset=utf-8').send(data);
}

/**
 * The one byte range a `Range` header asks of `size` bytes (RFC 9110 §14): `[first, last]`
 * inclusive, `'unsatisfiable'` for a range that starts past the end (or the last 0 bytes), or
 * undefined to send everything: no header, another unit, several ranges, or one that cannot be read.
 */
export function byteRange(header: string | undefined, size: number): [number, number] | 'unsatisfiable' | undefined {
  const m = header === undefined ? null : /^bytes=(\d{0,15})-(\d{0,15})$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  if (m[1] === '') {
    // The last n bytes.
    const n = Number(m[2]);
    if (n === 0 || size === 0) return 'unsatisfiable';
    return [Math.max(0, size - n), size - 1];
  }
  const first = Number(m[1]);
  if (m[2] !== '' && Number(m[2]) < first) return undefined;
  if (first >= size) return 'unsatisfiable';
  return [first, m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1)];
}
