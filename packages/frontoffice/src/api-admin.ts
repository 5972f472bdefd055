/**
 * Administration (docs/crm-api.md): users' role, agent id and active flag, a password reset that
 * requires a change at the next log-in, one's own password change, the audit of administrative
 * actions, and the texts of the front office in a language.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import type { RoleName } from './common/application.js';
import type { CrmStore } from './crm-store.js';
import { FrontOfficeErrors } from './errors.js';
import { body, need, str } from './internal/http.js';
import { hashPassword, verifyPassword } from './internal/passwords.js';
import { BOOL, bodyOf, closed, errors, INT, NO_CONTENT, nullable, params, routeSchema, text } from './internal/route-schemas.js';
import { MIN_PASSWORD_LENGTH, type FrontOfficeStore } from './user-store.js';

const STAFF = ['administrator', 'supervisor', 'agent'] as const;
const ROLE_ENUM = { type: 'string', enum: ['administrator', 'supervisor', 'agent'] };
const I18N_DIR = fileURLToPath(new URL('../assets/i18n/', import.meta.url));

export interface AdminApiDeps {
  readonly users: FrontOfficeStore;
  readonly crm: CrmStore;
  /** Forgets what the session registry and the account cache hold of a user (their sessions went). */
  readonly forget: (name: string) => void;
}

/** A user as the administration shows it (never the password). */
export const ADMIN_USER = closed({ name: text(), role: ROLE_ENUM, agentId: text(), active: BOOL, mustChangePassword: BOOL, lastLogin: nullable('integer') }, ['agentId', 'active', 'mustChangePassword', 'lastLogin']);

/** The texts of a language: its file over English, key by key (nested objects merged). */
export function i18nBundle(lang: string): Record<string, unknown> | undefined {
  const read = (l: string): Record<string, unknown> | undefined => {
    try {
      return JSON.parse(readFileSync(`${I18N_DIR}${l}.json`, 'utf8')) as Record<string, unknown>;
    } catch {
      return undefined;
    }
  };
  const merge = (base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> => {
    const out: Record<string, unknown> = { ...base };
    for (const [k, v] of Object.entries(over)) {
      const b = base[k];
      out[k] = v && typeof v === 'object' && !Array.isArray(v) && b && typeof b === 'object' && !Array.isArray(b) ? merge(b as Record<string, unknown>, v as Record<string, unknown>) : v;
    }
    return out;
  };
  const en = read('en') ?? {};
  if (lang === 'en') return en;
  const own = read(lang);
  return own ? merge(en, own) : undefined;
}

export function i18nLanguages(): string[] {
  try {
    return readdirSync(I18N_DIR).filter((f) => /^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?\.json$/.test(f)).map((f) => f.slice(0, -5)).sort();
  } catch {
    return ['en'];
  }
}

export function registerAdminApi(fastify: FastifyInstance, deps: AdminApiDeps): void {
  const adminOnly = ['administrator'] as const;
  const userOf = async (name: string): Promise<Record<string, unknown>> => {
    const u = (await deps.users.users()).find((x) => x.name === name);
    if (!u) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_NOT_FOUND({ what: 'user' });
    const a = await deps.crm.account(name);
    return { name: u.name, role: u.role, ...(u.agentId !== undefined ? { agentId: u.agentId } : {}), active: a?.active ?? true, mustChangePassword: a?.mustChangePassword ?? false, lastLogin: a?.lastLogin ?? null };
  };

  fastify.patch('/api/users/:name', {
    schema: routeSchema('Change a user\'s role, agent id or active flag; deactivating ends their sessions', adminOnly, {
      params: params(['name'], 64),
      body: bodyOf({ role: ROLE_ENUM, active: BOOL, agentId: { type: ['string', 'null'], maxLength: 64 } }),
      response: { 200: { description: 'the user', ...closed({ data: ADMIN_USER }) }, ...errors(404, [409, 'the last active administrator cannot be demoted or deactivated']) },
    }),
  }, async (req) => {
    const p = need(req, adminOnly, 'manage users');
    const name = str((req.params as { name: string }).name, 'name', 64);
    const before = await userOf(name);
    const b = body(req, ['role', 'active', 'agentId']);
    const role = b['role'] as RoleName | undefined;
    const active = b['active'] as boolean | undefined;
    // The last active administrator stays one: someone must be able to administer.
    if (before['role'] === 'administrator' && ((role !== undefined && role !== 'administrator') || active === false)) {
      const accounts = await deps.crm.accounts();
      const admins = (await deps.users.users()).filter((u) => u.role === 'administrator' && accounts.get(u.name)?.active !== false);
      if (admins.length <= 1) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_BAD_REQUEST({ reason: 'the last active administrator cannot be demoted or deactivated' });
    }
    await deps.crm.setAccount(name, { ...(role !== undefined ? { role } : {}), ...(active !== undefined ? { active } : {}), ...(b['agentId'] !== undefined ? { agentId: (b['agentId'] as string | null) === '' ? null : (b['agentId'] as string | null) } : {}) });
    if (active === false || role !== undefined) {
      // A deactivated user is logged out; a new role takes effect at the next log-in.
      await deps.crm.deleteSessionsOf(name);
      deps.forget(name);
    }
    const after = await userOf(name);
    await deps.crm.audit(p.name, 'user.change', name, { before: { role: before['role'], active: before['active'], agentId: before['agentId'] ?? null }, after: { role: after['role'], active: after['active'], agentId: after['agentId'] ?? null } });
    return { data: after };
  });

  fastify.post('/api/users/:name/reset-password', {
    schema: routeSchema('Reset a user\'s password: a temporary password, to be changed at the next log-in; their sessions end', adminOnly, {
      params: params(['name'], 64),
      body: { type: 'object', additionalProperties: false, properties: {}, description: 'no input' },
      response: { 200: { description: 'the temporary password (shown once)', ...closed({ temporaryPassword: text() }) }, ...errors(404) },
    }),
  }, async (req) => {
    const p = need(req, adminOnly, 'manage users');
    body(req, []);
    const name = str((req.params as { name: string }).name, 'name', 64);
    await userOf(name);
    const temporaryPassword = randomBytes(12).toString('base64url');
    await deps.crm.setAccount(name, { passwordHash: await hashPassword(temporaryPassword), mustChangePassword: true });
    await deps.crm.deleteSessionsOf(name);
    deps.forget(name);
    await deps.crm.audit(p.name, 'user.reset-password', name);
    return { temporaryPassword };
  });

  fastify.post('/api/me/password', {
    schema: routeSchema('Change one\'s own password (the current one, and a new one of at least 10 characters)', [...STAFF], {
      body: bodyOf({ current: text(200), next: text(200) }, ['current', 'next']),
      response: { 204: NO_CONTENT, ...errors([403, 'the current password is not right'], [422, 'the new password is too short or the same']) },
    }),
  }, async (req, reply) => {
    const p = need(req, STAFF, 'change a password');
    const b = body(req, ['current', 'next']);
    const current = str(b['current'], 'current', 200);
    const next = str(b['next'], 'next', 200);
    const hash = await deps.crm.passwordHash(p.name);
    if (!hash || !(await verifyPassword(current, hash))) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_WRONG_PASSWORD();
    if (next.length < MIN_PASSWORD_LENGTH || next === current) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_WEAK_PASSWORD({ min: MIN_PASSWORD_LENGTH }, { details: { same: next === current } });
    await deps.crm.setAccount(p.name, { passwordHash: await hashPassword(next), mustChangePassword: false });
    deps.forget(p.name);
    await deps.crm.audit(p.name, 'me.password', p.name);
    return reply.code(204).send();
  });

  fastify.get('/api/audit', {
    schema: routeSchema('The administrative actions, newest first (who, what, when, whom)', adminOnly, {
      querystring: { type: 'object', additionalProperties: false, properties: { limit: { type: 'string', description: '1 to 500, default 100' }, before: { type: 'string', description: 'the id of the last entry of the previous page' } } },
      response: { 200: { description: 'the entries', ...closed({ entries: { type: 'array', items: closed({ id: INT, at: INT, actor: text(), action: text(), target: nullable('string'), detail: {} }) }, next: nullable('string') }) } },
    }),
  }, async (req) => {
    need(req, adminOnly, 'read the audit');
    const q = req.query as Record<string, string | undefined>;
    const num = (v: string | undefined, name: string, max: number, fallback: number | undefined): number | undefined => {
      if (v === undefined || v === '') return fallback;
      if (!/^\d{1,12}$/.test(v) || Number(v) < 1 || Number(v) > max) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_BAD_REQUEST({ reason: `${name} must be a whole number from 1 to ${max}` });
      return Number(v);
    };
    const limit = num(q['limit'], 'limit', 500, 100) as number;
    const rows = await deps.crm.auditLog(limit, num(q['before'], 'before', 1e12, undefined));
    const entries = rows.map((r) => {
      let detail: unknown = null;
      try {
        detail = r.detail === null ? null : JSON.parse(r.detail);
      } catch {
        detail = null;
      }
      return { ...r, detail };
    });
    return { entries, next: rows.length === limit ? String(rows[rows.length - 1]?.id) : null };
  });

  fastify.get('/api/i18n/:lang', {
    schema: routeSchema('The texts of the front office in a language, English where it has none (errors.<CODE> translate error codes)', 'anyone', {
      params: params(['lang'], 16),
      response: { 200: { description: 'the texts by key', type: 'object' }, ...errors([404, 'no texts for this language']) },
    }),
  }, async (req) => {
    const lang = (req.params as { lang: string }).lang;
    const bundle = /^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$/.test(lang) ? i18nBundle(lang) : undefined;
    if (!bundle) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_UNKNOWN_LANGUAGE({ lang: lang.slice(0, 16), languages: i18nLanguages().join(', ') });
    return bundle;
  });
}
