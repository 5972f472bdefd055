/**
 * The front office's HTTP server (fastify): sessions and users, the REST API, the desktop and
 * self-service endpoints, WebSocket channels, the OpenAPI document, the pages and their assets.
 */
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';
import fastifySwagger from '@fastify/swagger';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifySchemaCompiler } from 'fastify';
import { WebSocketServer, type WebSocket } from 'ws';
import { DisposableStore, isCarusoError, silentLogger, type CarusoError, type Logger } from '@caruso/kernel';
import type { ChatChannel, CommunicationServer, ContactEventLog, EmailChannel, OutboundMail, VoicemailStore } from '@caruso/comms';
import type { DialogueEngine } from '@caruso/dialogue';
import type { Monitor, MonitorPrincipal } from '@caruso/monitor';
import type { BusinessObjects } from '@caruso/objects';
import { ADMIN_USER, registerAdminApi } from './api-admin.js';
import { queueLabels, scriptLabels } from './app-labels.js';
import { registerCallbacksApi } from './api-callbacks.js';
import { registerCrmApi } from './api-crm.js';
import { registerImportApi } from './api-import.js';
import type { Account } from './crm-store.js';
import { FollowUps } from './follow-ups.js';
import { registerCampaignsApi } from './api-campaigns.js';
import { registerChannelsApi } from './api-channels.js';
import { registerDesktopApi, wallboardFigures } from './api-desktop.js';
import { registerDesktopCallsApi } from './api-desktop-calls.js';
import { autoLink, DeskViews, registerDesktopStateApi } from './api-desktop-state.js';
import { registerSelfServiceApi, startSelfService } from './api-self-service.js';
import { registerObjectsApi } from './api-objects.js';
import { registerReportsApi } from './api-reports.js';
import { attachChatWatch, QualityDesk, registerQualityApi } from './api-quality.js';
import type { AppResponse } from './common/api-types.js';
import type { Application, RoleName } from './common/application.js';
import { FrontOfficeErrors } from './errors.js';
import { body, need, str } from './internal/http.js';
import { bodyOf, closed, commonErrorStatuses, DATE_TIME, errors, INT, NO_BODY, NO_CONTENT, params, ROLES_KEY, routeSchema, SESSION_USER, SESSION_VIEW, STRINGS, text, type JsonSchema } from './internal/route-schemas.js';
import { csrfMatches, LoginLimiter, parseCookies, SessionRegistry, type Principal } from './internal/sessions.js';
import { AgentPresence, type AgentPresenceOptions } from './internal/agent-presence.js';
import { openApiDocument } from './openapi.js';
import { applicationForRole, pageHtml } from './pages.js';
import { Permissions, SUPERVISING } from './permissions.js';
import type { FrontOfficeStore } from './user-store.js';

export interface FrontOfficeServerOptions {
  readonly app: Application;
  readonly objects: BusinessObjects;
  readonly store: FrontOfficeStore;
  readonly comms: () => CommunicationServer;
  readonly dialogue: () => DialogueEngine;
  /** The live monitor when one is registered: its hub is mounted at `/ws/monitor`. */
  readonly monitor?: () => Monitor | undefined;
  /** The web-chat channel when one is registered: agents' desks reach its hub at `/ws/chat`. */
  readonly chat?: () => ChatChannel | undefined;
  /** The e-mail channel when one is registered: e-mail contacts are read and answered in the desktop. */
  readonly email?: () => EmailChannel | undefined;
  /** The outbound mail service, for self-service one-time codes (`<identify code>`). */
  readonly mail?: () => OutboundMail | undefined;
  readonly logger?: Logger;
  /** Largest accepted request body in bytes. Default 64 KiB. */
  readonly bodyLimit?: number;
  /** Largest request line plus headers in bytes (more is answered 431). Default 16 KiB, Node's own. */
  readonly maxHeaderSize?: number;
  /** Set the Secure flag on cookies (behind HTTPS). Default false. */
  readonly secureCookies?: boolean;
  /** Session lifetime without activity. Default 8 hours. */
  readonly sessionTtlMs?: number;
  /**
   * How long a session read from the database is trusted before it is read again (a log-out in
   * another front-office process on the same database takes effect within it). Default 5 s.
   */
  readonly sessionRevalidateMs?: number;
  /**
   * Failed log-ins allowed per user name within `loginWindowMs`; then that name is refused (429)
   * until the window has moved on. An address is allowed ten times as many failures with names that
   * are no user, then such names are refused from it; users that exist are never refused because of
   * their address (a call center shares one address behind NAT). Default 5.
   */
  readonly maxLoginFailures?: number;
  readonly loginWindowMs?: number;
  /** Extra queues shown on the wallboard. */
  readonly queues?: readonly string[];
  /** The contact event log when one is registered: every change of a contact tells its agents' desktops (`desktop-changed`). */
  readonly events?: () => ContactEventLog | undefined;
  /** The desktop's heartbeat and the grace periods of the disconnect rules (docs/desktop-api.md). */
  readonly presence?: AgentPresenceOptions;
  /** The voicemail store when it is reachable: a record's history then links each voicemail's audio. */
  readonly voicemails?: () => Pick<VoicemailStore, 'get' | 'list'> | undefined;
}

/** Routes a user who must change the password may still call (the rest answer 403 until they do). */
const WHILE_PASSWORD_CHANGE = new Set(['GET /api/session', 'DELETE /api/session', 'POST /api/session', 'POST /api/me/password', 'GET /api/i18n/:lang', 'GET /api/app']);
/** How long an account's state (active, password change required) is trusted before it is read again. */
const ACCOUNT_CACHE_MS = 5_000;

const SESSION_COOKIE = 'caruso_session';
/** Longest path parameter (a record id, a name); a longer one is answered 414. */
const MAX_PARAM_LENGTH = 100;
/** Largest WebSocket frame a browser may send to the front office (its messages are small JSON). */
const WS_MAX_PAYLOAD = 4096;
const VISITOR_COOKIE = 'caruso_visitor';
const ASSETS_DIR = fileURLToPath(new URL('../assets/', import.meta.url));
// Served from assets/ (read once at start): the bundle web/build.mjs writes into assets/js/ with its
// source map (`.js.map`, JSON), the stylesheet, the translations and images. Nothing else is served.
const CONTENT_TYPES: Readonly<Record<string, string>> = { js: 'text/javascript; charset=utf-8', map: 'application/json; charset=utf-8', css: 'text/css; charset=utf-8', json: 'application/json; charset=utf-8', svg: 'image/svg+xml' };
const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cache-control': 'no-store',
};

/** A user as the users routes show it (never the password). */
const USER = ADMIN_USER;

// ajv-formats is CommonJS: its default export is the module object under NodeNext.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

/** The 400 answer of a request that broke its route's schema: what, where, and for unknown names which are allowed. */
function schemaViolation(err: FastifyError): CarusoError {
  const part = err.validationContext ?? 'body';
  const where = part === 'querystring' ? 'query' : part === 'params' ? 'path' : part;
  const errs = (err.validation ?? []) as unknown as readonly { keyword: string; instancePath: string; message?: string; params: Record<string, unknown>; parentSchema?: { properties?: object } }[];
  const unknown = errs.filter((e) => e.keyword === 'additionalProperties').map((e) => `${e.instancePath ? `${e.instancePath.slice(1)}.` : ''}${String(e.params['additionalProperty']).slice(0, 60)}`);
  if (unknown.length) {
    const first = errs.find((e) => e.keyword === 'additionalProperties');
    const allowed = Object.keys(first?.parentSchema?.properties ?? {});
    const noun = part === 'querystring' ? 'query parameters' : 'properties';
    return FrontOfficeErrors.CARUSO_FRONTOFFICE_BAD_REQUEST({ reason: `unknown ${noun} ${unknown.join(', ')}; allowed: ${allowed.join(', ') || 'none'}` }, { details: { unknown } });
  }
  const first = errs[0];
  const at = first?.instancePath ? first.instancePath.slice(1).replace(/\//g, '.') : '';
  const field = first?.keyword === 'required' ? [at, String(first.params['missingProperty'])].filter((x) => x !== '').join('.') : at;
  const what = first ? `${field ? `${field} ` : ''}${first.keyword === 'required' ? 'is required' : (first.message ?? 'is not valid')}` : err.message;
  return FrontOfficeErrors.CARUSO_FRONTOFFICE_BAD_REQUEST({ reason: `${where === 'body' ? 'the body' : `the ${where}`}: ${what}`.slice(0, 300) }, { details: { in: where, ...(field ? { field } : {}) } });
}

function loadAssets(): Map<string, { body: Buffer; type: string }> {
  const out = new Map<string, { body: Buffer; type: string }>();
  const walk = (dir: string, prefix: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) walk(`${dir}${e.name}/`, `${prefix}${e.name}/`);
      else {
        const ext = e.name.split('.').pop() ?? '';
        const type = CONTENT_TYPES[ext];
        if (type) out.set(`${prefix}${e.name}`, { body: readFileSync(`${dir}${e.name}`), type });
      }
    }
  };
  walk(ASSETS_DIR, '');
  return out;
}

/** A running front office. */
export interface FrontOfficeServer {
  readonly fastify: FastifyInstance;
  /** `http://host:port` once listening. */
  readonly url: string;
  listen(port: number, host: string): Promise<string>;
  /** The OpenAPI document cut to `role`, or whole (every route) without one. Note: only once the server is ready (listening). */
  openApi(role?: RoleName): Record<string, unknown>;
  close(): Promise<void>;
}

export function createFrontOfficeServer(options: FrontOfficeServerOptions): FrontOfficeServer {
  const logger = options.logger ?? silentLogger();
  const { app, objects, store } = options;
  const permissions = new Permissions(objects.model, app);
  const sessions = new SessionRegistry(store, { ttlMs: options.sessionTtlMs ?? 8 * 3600_000, ...(options.sessionRevalidateMs !== undefined ? { revalidateMs: options.sessionRevalidateMs } : {}) });
  // Per user name a few failures. Per address more, and only for names that are no user: one client
  // trying random names must not lock out the real agents who share its address (an office NAT).
  const userLimiter = new LoginLimiter(store, options.maxLoginFailures ?? 5, options.loginWindowMs ?? 15 * 60_000);
  const addressLimiter = new LoginLimiter(store, (options.maxLoginFailures ?? 5) * 10, options.loginWindowMs ?? 15 * 60_000);
  const assets = loadAssets();
  if (!assets.has('js/main.js')) logger.warn({ dir: ASSETS_DIR }, 'the pages\' bundle js/main.js is missing: run `npm run build` (web/build.mjs)');
  const bodyLimit = options.bodyLimit ?? 64 * 1024;
  const maxHeaderSize = options.maxHeaderSize ?? 16 * 1024;
  const disposables = new DisposableStore();
  const presence = new AgentPresence(options.comms, logger, options.presence ?? {});
  const chat = (): ChatChannel | undefined => options.chat?.();
  const email = (): EmailChannel | undefined => options.email?.();
  // GET /api/desktop says which channels the desktop answers, as GET /api/agent does.
  const deskViews = new DeskViews({
    app, objects, permissions, store, comms: options.comms, dialogue: options.dialogue, presence, logger,
    chat, channels: () => ({ chat: chat() !== undefined, email: email() !== undefined }),
  });
  const crm = store.crm();
  // Quality management: recordings, monitoring, chat watch and private notes (api-quality.ts).
  const qualityDeps = {
    comms: options.comms, events: () => options.events?.(), chat, logger,
    toAgent: (agentId: string, frame: object) => presence.sendTo(agentId, frame),
    audit: (actor: string, action: string, target: string | null, detail?: Record<string, unknown>) => crm.audit(actor, action, target, detail),
  };
  const quality = new QualityDesk(qualityDeps);
  const labelSources = { lang: app.lang, comms: options.comms, dialogue: options.dialogue, logger };
  const audit = (actor: string, action: string, target: string | null, detail?: Record<string, unknown>): Promise<void> => crm.audit(actor, action, target, detail);
  const followUps = new FollowUps({
    app, objects, store: crm, comms: options.comms, logger,
    userExists: (name) => store.userExists(name),
    agentOf: async (name) => (await store.users()).find((u) => u.name === name)?.agentId,
  });
  // Account state per user name, read again after ACCOUNT_CACHE_MS (or at once after a change here).
  const accounts = new Map<string, { account: Account | undefined; at: number }>();
  const accountOf = async (name: string): Promise<Account | undefined> => {
    const c = accounts.get(name);
    if (c && Date.now() - c.at < ACCOUNT_CACHE_MS) return c.account;
    const account = await crm.account(name);
    if (accounts.size > 10_000) accounts.clear();
    accounts.set(name, { account, at: Date.now() });
    return account;
  };
  const houseError = (err: { status: number; toJSON(): unknown }): string => JSON.stringify({ error: err.toJSON() });
  const fastify = Fastify({
    bodyLimit,
    logger: false,
    // While closing, the onRequest hook answers 503 itself, in the house shape (fastify's own has not).
    return503OnClosing: false,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: MAX_PARAM_LENGTH },
    // Answers the router gives before a route runs, in the house shape too.
    frameworkErrors: (err, req, reply) => {
      const e =
        err.code === 'FST_ERR_MAX_PARAM_LENGTH'
          ? FrontOfficeErrors.CARUSO_FRONTOFFICE_URI_TOO_LONG({ max: MAX_PARAM_LENGTH })
          : err.code === 'FST_ERR_BAD_URL'
            ? FrontOfficeErrors.CARUSO_FRONTOFFICE_BAD_REQUEST({ reason: 'the URL is not valid (bad percent-encoding)' })
            : FrontOfficeErrors.CARUSO_FRONTOFFICE_INTERNAL({ id: randomUUID() });
      void (reply as FastifyReply).headers(SECURITY_HEADERS).code(e.status).type('application/json; charset=utf-8').send(houseError(e));
    },
    // Node's HTTP parser answers a request it cannot read before fastify sees it (431 for a request
    // line and headers over maxHeaderSize, 408 on a timeout, 400 for bytes that are no HTTP): the
    // same house body as every other error, then the connection closes.
    clientErrorHandler: (err: Error & { code?: string }, socket) => {
      if (err.code === 'ECONNRESET' || socket.destroyed) return;
      const e =
        err.code === 'HPE_HEADER_OVERFLOW'
          ? FrontOfficeErrors.CARUSO_FRONTOFFICE_HEADERS_TOO_LARGE({ limit: maxHeaderSize })
          : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
            ? FrontOfficeErrors.CARUSO_FRONTOFFICE_REQUEST_TIMEOUT()
            : FrontOfficeErrors.CARUSO_FRONTOFFICE_BAD_REQUEST({ reason: 'the request is not valid HTTP' });
      const payload = houseError(e);
      if (socket.writable) {
        socket.write(`HTTP/1.1 ${e.status} ${STATUS_CODES[e.status] ?? ''}\r\nConnection: close\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(payload)}\r\n\r\n${payload}`);
      }
      socket.destroy();
    },
    http: { maxHeaderSize },
  });
  // Bodies are validated without coercion and nothing is removed (a string stays a string, an unknown
  // property is refused and named); path and query parameters arrive as text and are coerced to the
  // schema's types, repeated query parameters to arrays.
  const bodyAjv = new Ajv({ allErrors: true, coerceTypes: false, removeAdditional: false, useDefaults: false, strict: false, verbose: true });
  const textAjv = new Ajv({ allErrors: true, coerceTypes: 'array', removeAdditional: false, useDefaults: false, strict: false, verbose: true });
  addFormats(bodyAjv);
  addFormats(textAjv);
  const compileValidator: FastifySchemaCompiler<JsonSchema> = ({ schema, httpPart }) => {
    if (httpPart !== 'body') return textAjv.compile(schema) as ReturnType<FastifySchemaCompiler<JsonSchema>>;
    const validate = bodyAjv.compile(schema);
    // A request without a body is an empty one: the routes read it as {}.
    const check = (data: unknown): boolean => {
      const ok = data === null || data === undefined || validate(data);
      check.errors = ok ? null : (validate.errors ?? null);
      return ok;
    };
    check.errors = null as typeof validate.errors | null;
    return check as ReturnType<FastifySchemaCompiler<JsonSchema>>;
  };
  fastify.setValidatorCompiler(compileValidator);
  // Responses are sent as the handler made them; their schemas are the documented contract that the
  // tests check, not a filter that would silently drop what a schema forgot.
  fastify.setSerializerCompiler(() => (data) => JSON.stringify(data));
  // Every route's schema names the error answers any route of its kind can give (see route-schemas.ts).
  fastify.addHook('onRoute', (route) => {
    const schema = route.schema as Record<string, unknown> | undefined;
    if (!schema || route.method === 'HEAD') return;
    const method = Array.isArray(route.method) ? String(route.method[0]) : String(route.method);
    const roles = schema[ROLES_KEY] as readonly string[] | undefined;
    const common = commonErrorStatuses(method, schema['params'] !== undefined, schema['querystring'] !== undefined, roles !== undefined && !roles.includes('anyone'));
    route.schema = { ...schema, response: { ...errors(...common), ...(schema['response'] as object | undefined) } };
  });
  void fastify.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: `${app.name} front office`, version: '1.0.0', description: 'Generated from the schemas of the routes.' },
      components: { securitySchemes: { session: { type: 'apiKey', in: 'cookie', name: SESSION_COOKIE } } },
    },
  });
  let url = '';

  const cookie = (name: string, value: string, maxAge: number): string =>
    `${name}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAge}${options.secureCookies ? '; Secure' : ''}`;

  fastify.decorateRequest('principal', undefined);
  let closing = false;
  fastify.addHook('onRequest', async (req, reply) => {
    void reply.headers(SECURITY_HEADERS);
    if (closing) {
      void reply.header('connection', 'close');
      throw FrontOfficeErrors.CARUSO_FRONTOFFICE_CLOSING();
    }
    const cookies = parseCookies(req.headers.cookie);
    req.principal = (await sessions.get(cookies[SESSION_COOKIE])) ?? (await sessions.get(cookies[VISITOR_COOKIE]));
    if (req.principal?.kind === 'user') {
      const account = await accountOf(req.principal.name);
      // A deactivated user's session is no session (its rows are deleted too).
      if (account && !account.active) req.principal = undefined;
      else if (account?.mustChangePassword && req.url.startsWith('/api/') && !WHILE_PASSWORD_CHANGE.has(`${req.method} ${req.routeOptions.url ?? ''}`)) {
        throw FrontOfficeErrors.CARUSO_FRONTOFFICE_PASSWORD_CHANGE_REQUIRED();
      }
    }
    if (req.method !== 'GET' && req.method !== 'HEAD' && req.principal && !csrfMatches(req.principal, req.headers['x-csrf-token'])) {
      throw FrontOfficeErrors.CARUSO_FRONTOFFICE_CSRF();
    }
  });

  fastify.setErrorHandler((err: FastifyError, req, reply) => {
    if (isCarusoError(err)) {
      if (err.kind === 'bug') logger.error({ code: err.code, url: req.routeOptions.url }, 'request failed');
      if (err.code === 'CARUSO_FRONTOFFICE_TOO_MANY_ATTEMPTS') void reply.header('retry-after', String((err.details as { seconds?: number } | undefined)?.seconds ?? 60));
      return reply.code(err.status).send({ error: err.toJSON() });
    }
    const code = err.code ?? '';
    let mapped;
    if (code === 'FST_ERR_CTP_BODY_TOO_LARGE') mapped = FrontOfficeErrors.CARUSO_FRONTOFFICE_BODY_TOO_LARGE({ limit: req.routeOptions.bodyLimit ?? bodyLimit });
    else if (code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') mapped = FrontOfficeErrors.CARUSO_FRONTOFFICE_UNSUPPORTED_MEDIA();
    else if (code === 'FST_ERR_VALIDATION') mapped = schemaViolation(err);
    else if (code.startsWith('FST_ERR_CTP') || code === 'FST_ERR_VALIDATION' || (err.statusCode === 400 && err instanceof SyntaxError)) {
      mapped = FrontOfficeErrors.CARUSO_FRONTOFFICE_BAD_REQUEST({ reason: 'the body is not valid JSON' });
    } else {
      const id = randomUUID();
      logger.error({ err: { message: err.message, code: err.code }, id, url: req.routeOptions.url }, 'unexpected error');
      mapped = FrontOfficeErrors.CARUSO_FRONTOFFICE_INTERNAL({ id });
    }
    return reply.code(mapped.status).send({ error: mapped.toJSON() });
  });
  fastify.setNotFoundHandler((req, reply) => {
    const e = FrontOfficeErrors.CARUSO_FRONTOFFICE_NOT_FOUND({ what: `${req.method} ${req.url.split('?')[0]?.slice(0, 100)}` });
    return reply.code(404).send({ error: e.toJSON() });
  });

  // Every route is registered in this plugin, after @fastify/swagger: the document sees each schema.
  void fastify.register(async (fastify) => {
  // ---- sessions and users --------------------------------------------------------------------
  fastify.post('/api/session', {
    schema: routeSchema('Log in: sets an HttpOnly session cookie and returns the CSRF token to send as x-csrf-token', 'anyone', {
      body: bodyOf({ username: text(64), password: text(200) }, ['username', 'password']),
      response: { 200: { description: 'logged in', ...closed({ user: SESSION_USER, csrf: text() }) }, ...errors(401, [403, 'the x-csrf-token header of the session already held is missing or wrong'], 429) },
    }),
  }, async (req, reply) => {
    const b = body(req, ['username', 'password']);
    const username = str(b['username'], 'username', 64);
    const password = str(b['password'], 'password', 200);
    const userKey = [`u:${username.toLowerCase()}`];
    const addressKey = [`a:${req.ip}`];
    const tooMany = (wait: number): Error => FrontOfficeErrors.CARUSO_FRONTOFFICE_TOO_MANY_ATTEMPTS({ seconds: wait }, { details: { seconds: wait } });
    // The name's own failures, whether or not it is a user (the answer must not tell which names exist).
    const nameWait = await userLimiter.retryAfter(userKey);
    if (nameWait > 0) throw tooMany(nameWait);
    // Names that are no user are limited per address too, and refused there before the costly
    // password check; a user that exists is never refused because of the address it shares.
    const addressWait = await addressLimiter.retryAfter(addressKey);
    const known = await store.userExists(username);
    if (!known && addressWait > 0) throw tooMany(addressWait);
    const user = await store.authenticate(username, password);
    if (!user) {
      await userLimiter.fail(userKey);
      if (!known) await addressLimiter.fail(addressKey);
      // While the address is limited, a real name's wrong password gets the same answer as a name
      // that is no user, so that the answers do not tell which names exist.
      if (addressWait > 0) throw tooMany(addressWait);
      throw FrontOfficeErrors.CARUSO_FRONTOFFICE_LOGIN_FAILED();
    }
    await userLimiter.succeed(userKey);
    await crm.setAccount(user.name, { lastLogin: Date.now() });
    accounts.delete(user.name);
    const old = parseCookies(req.headers.cookie)[SESSION_COOKIE];
    await sessions.delete(old);
    const { token, principal } = await sessions.create({ kind: 'user', name: user.name, role: user.role, agentId: user.agentId });
    void reply.header('set-cookie', cookie(SESSION_COOKIE, token, Math.floor((options.sessionTtlMs ?? 8 * 3600_000) / 1000)));
    return { user: { name: user.name, role: user.role, agentId: user.agentId ?? null }, csrf: principal.csrf };
  });
  fastify.get('/api/session', {
    schema: routeSchema('The user of the session (a self-service visitor too) and its CSRF token', ['administrator', 'supervisor', 'agent', 'anonymous'], {
      response: { 200: { description: 'the session', ...closed({ user: SESSION_USER, csrf: text() }) } },
    }),
  }, async (req) => {
    const p = need(req, ['administrator', 'supervisor', 'agent', 'anonymous'], 'have a session');
    return { user: { name: p.name, role: p.role, agentId: p.agentId ?? null }, csrf: p.csrf };
  });
  fastify.delete('/api/session', {
    schema: routeSchema('Log out: the session ends and its cookie is cleared', ['administrator', 'supervisor', 'agent'], { response: { 204: NO_CONTENT } }),
  }, async (req, reply) => {
    need(req, ['administrator', 'supervisor', 'agent'], 'log out');
    await sessions.delete(parseCookies(req.headers.cookie)[SESSION_COOKIE]);
    void reply.header('set-cookie', cookie(SESSION_COOKIE, '', 0));
    return reply.code(204).send();
  });
  fastify.get('/api/users', {
    schema: routeSchema('The users of the front office (never their passwords)', ['administrator'], { response: { 200: { description: 'the users by name', ...closed({ data: { type: 'array', items: USER } }) } } }),
  }, async (req) => {
    need(req, ['administrator'], 'manage users');
    const state = await crm.accounts();
    return {
      data: (await store.users()).map((u) => {
        const a = state.get(u.name);
        return { name: u.name, role: u.role, ...(u.agentId !== undefined ? { agentId: u.agentId } : {}), active: a?.active ?? true, mustChangePassword: a?.mustChangePassword ?? false, lastLogin: a?.lastLogin ?? null };
      }),
    };
  });
  fastify.post('/api/users', {
    schema: routeSchema('Add a user', ['administrator'], {
      body: bodyOf({ name: text(64), role: { type: 'string', maxLength: 20, enum: ['administrator', 'supervisor', 'agent'] }, agentId: text(64), password: text(200) }, ['name', 'role', 'password']),
      response: { 201: { description: 'the user added', ...closed({ data: USER }) }, ...errors(409, [422, 'the password is too short']) },
    }),
  }, async (req, reply) => {
    need(req, ['administrator'], 'manage users');
    const b = body(req, ['name', 'role', 'agentId', 'password']);
    const role = str(b['role'], 'role', 20) as Exclude<RoleName, 'anonymous'>;
    const agentId = b['agentId'] === undefined ? undefined : str(b['agentId'], 'agentId', 64);
    const user = await store.addUser({ name: str(b['name'], 'name', 64), role, agentId }, str(b['password'], 'password', 200));
    await audit(req.principal?.name ?? '', 'user.add', user.name, { role: user.role, agentId: user.agentId ?? null });
    return reply.code(201).send({ data: { name: user.name, role: user.role, ...(user.agentId !== undefined ? { agentId: user.agentId } : {}), active: true, mustChangePassword: false, lastLogin: null } });
  });
  fastify.get('/api/app', {
    schema: routeSchema('The application definition cut to the role (objects, fields, lists, records, desktop, dashboards) and the server\'s time', ['administrator', 'supervisor', 'agent'], {
      response: {
        200: {
          description: 'what the pages of this role draw',
          type: 'object',
          additionalProperties: false,
          required: ['name', 'lang', 'navigation', 'lists', 'records', 'objects', 'desktop', 'dashboards', 'serverTime', 'queues', 'scripts'],
          properties: {
            name: text(), lang: text(), navigation: { type: 'array' }, lists: { type: 'array' }, records: { type: 'array' }, objects: { type: 'array', items: { type: 'object' } }, desktop: { type: 'object' }, dashboards: { type: 'array' },
            serverTime: { type: 'integer', description: 'milliseconds since the epoch by the communication server\'s clock' },
            queues: { type: 'array', description: 'the queues of the communication server with the names people read', items: closed({ id: text(), label: text() }) },
            scripts: { type: 'array', description: 'the dialogue scripts with their titles', items: closed({ id: text(), label: text() }) },
            phoneCountry: { type: 'string', description: 'the country whose phone numbers the pages show in national format (the model\'s defaultCountry); absent: every number in international format' },
          },
        },
      },
    }),
  }, async (req) => {
    const p = need(req, ['administrator', 'supervisor', 'agent'], 'use the front office');
    // The server's time by the communication server's clock: report periods ("today") follow it,
    // also when a demonstration runs the server at another moment (caruso start --at).
    let serverTime: number;
    try {
      serverTime = options.comms().now();
    } catch {
      // No communication server yet: the wall clock (the page reads it again on its next load).
      serverTime = Date.now();
    }
    const phoneCountry = options.objects.model.defaultCountry;
    const resp: AppResponse = { ...applicationForRole(app, permissions, p.role), serverTime, queues: queueLabels(labelSources), scripts: scriptLabels(labelSources), ...(phoneCountry ? { phoneCountry } : {}) };
    return resp;
  });
  fastify.get('/api/openapi.json', {
    schema: routeSchema('This document, cut to the role: the routes it may call and the objects, fields and operations it is granted', ['administrator', 'supervisor', 'agent'], {
      response: { 200: { description: 'an OpenAPI 3.1 document', type: 'object', required: ['openapi', 'info', 'paths'], properties: { openapi: { type: 'string' }, info: { type: 'object' }, paths: { type: 'object' }, components: { type: 'object' } } } },
    }),
  }, async (req) => {
    const p = need(req, ['administrator', 'supervisor', 'agent'], 'read the API description');
    return openApiDocument(app, permissions, p.role, fastify.swagger() as unknown as Record<string, unknown>);
  });

  // ---- self-service start (creates the visitor's session) -------------------------------------
  fastify.post('/api/self-service/:name/sessions', {
    schema: routeSchema('Start the script of a self-service page (the first call also starts the visitor\'s session and sets its cookie)', 'anyone', {
      params: params(['name'], 100),
      body: NO_BODY,
      response: { 201: { description: 'the session of the script with the visitor\'s CSRF token', ...closed({ ...(SESSION_VIEW['properties'] as Record<string, JsonSchema>), csrf: text() }) }, ...errors([403, 'a staff session is open (log out first) or the x-csrf-token header is wrong'], 404, [429, 'the visitor has 20 script sessions already'], 422, 503) },
    }),
  }, async (req, reply) => {
    body(req, []);
    let visitor = req.principal;
    if (visitor && visitor.kind !== 'visitor') throw FrontOfficeErrors.CARUSO_FRONTOFFICE_FORBIDDEN({ role: visitor.role, action: 'start self-service sessions (log out first)' });
    if (!visitor) {
      const created = await sessions.create({ kind: 'visitor', name: `visitor:${randomUUID()}`, role: 'anonymous', agentId: undefined });
      visitor = created.principal;
      void reply.header('set-cookie', cookie(VISITOR_COOKIE, created.token, 2 * 3600));
    }
    const v = await startSelfService({ app, dialogue: options.dialogue }, (req.params as { name: string }).name, visitor, (p, id) => sessions.addScriptSession(p, id));
    return reply.code(201).send({ ...v, csrf: visitor.csrf });
  });

  const agentIds = async (): Promise<string[]> => (await store.users()).map((u) => u.agentId).filter((x): x is string => x !== undefined);
  const usersByAgent = async (): Promise<ReadonlyMap<string, string>> => new Map((await store.users()).flatMap((u) => (u.agentId === undefined ? [] : [[u.agentId, u.name] as const])));
  registerObjectsApi(fastify, {
    objects, permissions, comms: options.comms, usersByAgent,
  });
  registerCrmApi(fastify, {
    app, objects, permissions, store: crm, comms: options.comms, chat, email, events: () => options.events?.(), voicemails: () => options.voicemails?.(), usersByAgent, followUps, audit,
  });
  registerAdminApi(fastify, { users: store, crm, forget: (name) => accounts.delete(name) });
  // The follow-up rules listen to the business objects' changes themselves (every writer, not only these routes).
  registerImportApi(fastify, { objects, permissions, audit });
  const desktopDeps = { app, objects, permissions, store, comms: options.comms, dialogue: options.dialogue, agentIds, logger, chat, channels: () => ({ chat: chat() !== undefined, email: email() !== undefined }) };
  registerDesktopApi(fastify, desktopDeps);
  registerDesktopStateApi(fastify, { ...desktopDeps, presence }, deskViews);
  registerDesktopCallsApi(fastify, { ...desktopDeps, presence }, deskViews);
  registerSelfServiceApi(fastify, { ...desktopDeps, ...(options.mail ? { mail: options.mail } : {}) });
  registerChannelsApi(fastify, { comms: options.comms, chat, email });
  registerCallbacksApi(fastify, { app, objects, permissions, comms: options.comms });
  registerCampaignsApi(fastify, { comms: options.comms, logger });
  fastify.get('/api/wallboard', {
    schema: routeSchema('The wallboard\'s figures now and who serves which queue; the live figures are the monitor\'s topics over /ws/monitor', ['supervisor', 'administrator'], {
      response: {
        200: {
          description: 'the figures by the server\'s clock',
          ...closed({
            at: DATE_TIME,
            agents: { type: 'object', additionalProperties: INT },
            agentList: { type: 'array', items: closed({ id: text(), state: text(), reason: text() }, ['reason']) },
            queues: { type: 'array', items: closed({ queueId: text(), waiting: INT, staffed: INT, available: INT, longestWaitMs: { type: 'number' } }) },
            waiting: INT,
            members: { type: 'object', additionalProperties: STRINGS },
            monitor: { type: 'boolean', description: 'whether a monitor is registered (the live figures come from it)' },
          }),
        },
        ...errors(503),
      },
    }),
  }, async (req) => {
    need(req, ['supervisor', 'administrator'], 'see the wallboard');
    return { ...(await wallboardFigures({ app, comms: options.comms, agentIds }, options.queues ?? [])), monitor: options.monitor?.() !== undefined };
  });

  registerReportsApi(fastify, { monitor: () => options.monitor?.() });
  registerQualityApi(fastify, qualityDeps, quality);

  // ---- pages and assets -----------------------------------------------------------------------
  fastify.get('/assets/*', {
    schema: routeSchema('The pages\' scripts, styles and images', 'anyone', {
      tags: ['pages'],
      params: { type: 'object', properties: { '*': { type: 'string' } } },
      response: { 200: { description: 'the file', content: { 'text/javascript': { schema: { type: 'string' } }, 'text/css': { schema: { type: 'string' } }, 'application/json': { schema: {} }, 'image/svg+xml': { schema: { type: 'string' } } } }, ...errors(404) },
    }),
  }, async (req, reply) => {
    const name = (req.params as { '*': string })['*'];
    const a = assets.get(name);
    if (!a) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_NOT_FOUND({ what: 'asset' });
    return reply.type(a.type).header('cache-control', 'no-cache').send(a.body);
  });
  const page = (name: string) => async (_req: unknown, reply: import('fastify').FastifyReply) => reply.type('text/html; charset=utf-8').send(pageHtml(name, app.lang));
  const PAGE = (summary: string, withParams: readonly string[] = []): { schema: JsonSchema } => ({
    schema: routeSchema(summary, 'anyone', { tags: ['pages'], ...(withParams.length ? { params: params(withParams, 100) } : {}), response: { 200: { description: 'the page; its data comes from the API', content: { 'text/html': { schema: { type: 'string' } } } } } }),
  });
  fastify.get('/', { schema: routeSchema('The home page of the session\'s role', 'anyone', { tags: ['pages'], response: { 302: { description: 'to the log-in page, the desktop, the wallboard or the first list', type: 'null' } } }) }, async (req, reply) => {
    const p = req.principal;
    const home = !p || p.kind === 'visitor' ? '/login' : p.role === 'agent' ? '/desktop' : p.role === 'supervisor' ? '/wallboard' : `/lists/${app.lists[0]?.name ?? ''}`;
    return reply.redirect(home);
  });
  fastify.get('/login', PAGE('The log-in page'), page('login'));
  fastify.get('/desktop', PAGE('The agent desktop'), page('desktop'));
  fastify.get('/wallboard', PAGE('The supervisor wallboard'), page('wallboard'));
  fastify.get('/dashboards/:name', PAGE('A dashboard', ['name']), page('wallboard'));
  fastify.get('/users', PAGE('The users page (administrators)'), page('users'));
  fastify.get('/callbacks', PAGE('The scheduled callbacks'), page('callbacks'));
  fastify.get('/lists/:name', PAGE('A list of records', ['name']), page('list'));
  fastify.get('/records/:name/:id', PAGE('A record page', ['name', 'id']), page('record'));
  const selfServicePage = PAGE('A self-service page', ['name']);
  // A name that is no path segment once decoded (empty, `..`, with a slash) reaches no route: 404.
  Object.assign(selfServicePage.schema['response'] as Record<string, unknown>, errors([404, 'a name that reaches no page once decoded']));
  fastify.get('/self-service/:name', selfServicePage, page('self-service'));
  });

  // ---- WebSocket channels ---------------------------------------------------------------------
  const wss = new WebSocketServer({ noServer: true, maxPayload: WS_MAX_PAYLOAD });
  wss.on('error', (err) => logger.error({ err: err.message }, 'WebSocket server error'));
  // What one client sends is that connection's problem: a frame over the limit (ws closes with 1009),
  // text that is not UTF-8 (1007) or bytes that are no frame (1002) end that socket, are logged here,
  // and never reach the process as an unhandled 'error' event. Attached first, before any handler.
  const guard = (ws: WebSocket, path: string | undefined, p: Principal): WebSocket => {
    ws.on('error', (err: Error & { code?: string }) => {
      logger.warn({ path, principal: p.name, code: err.code, err: err.message }, 'WebSocket connection closed after a bad frame');
    });
    return ws;
  };
  // The agents' desks only. The wallboard's live figures come from the monitor's topics (/ws/monitor,
  // folded from the contact event log): one live feed, no polling of the router here.
  let subscribed = false;
  const subscribe = (): void => {
    if (subscribed) return;
    const comms = options.comms();
    subscribed = true;
    disposables.add(comms.onDidOffer((o) => {
      presence.sendTo(o.agentId, { type: 'offer', offer: o });
      presence.desktopChanged([o.agentId]);
    }));
    disposables.add(comms.onDidWithdrawOffer(({ offer, reason }) => {
      presence.sendTo(offer.agentId, { type: 'withdrawn', offerId: offer.offerId, reason });
      presence.desktopChanged([offer.agentId]);
    }));
    disposables.add(comms.onDidChangeAgentState((c) => {
      if (presence.connected(c.agentId)) {
        // The contacts the agent has now: a phone that answered by itself connected the offer on screen.
        const contactIds = comms.agent(c.agentId).contactIds;
        presence.sendTo(c.agentId, { type: 'state', state: c.state, reason: c.reason ?? null, contactIds });
        presence.desktopChanged([c.agentId]);
      }
      presence.stateChanged(c.agentId);
    }));
    // The right customer without the page: a contact whose address (or a value a script collected, for a
    // `by="field"` screen pop) finds exactly one record is linked to it.
    disposables.add(comms.onDidConnect((c) => {
      autoLink({ app, objects, permissions, store, comms: options.comms, dialogue: options.dialogue, logger }, c.contactId).then(
        () => presence.desktopChanged(deskViews.agentsOf(c.contactId, [c.agentId])),
        () => undefined,
      );
    }));
    // Anything that happens to a contact (held, muted, linked, consulted, ended …) changes its agents' desks.
    const log = options.events?.();
    if (log) {
      disposables.add(log.onDidAppend((e) => {
        const f = e as { readonly contactId?: string; readonly agentId?: string };
        presence.desktopChanged(f.contactId !== undefined ? deskViews.agentsOf(f.contactId, f.agentId !== undefined ? [f.agentId] : []) : f.agentId !== undefined ? [f.agentId] : []);
      }));
    }
  };

  // A visitor's chat socket: its first frame carries the chat-session token of a chat this visitor
  // opened (a hand-off of one of their script sessions); then the chat channel's hub drives it.
  const customerChat = (ws: WebSocket, hub: ChatChannel, p: Principal): void => {
    const deny = (reason: string): void => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ type: 'error', code: 'CARUSO_COMMS_CHAT_AUTH_FAILED', message: `the chat connection was refused: ${reason}` }));
      ws.close(4401, 'unauthenticated');
    };
    const timer = setTimeout(() => deny('no auth frame in time'), 5_000);
    ws.once('close', () => clearTimeout(timer));
    let first: Buffer | undefined;
    // Frames the page sends right after its auth frame wait until the hub has the socket.
    const early: [Buffer, boolean][] = [];
    const hold = (data: Buffer, isBinary: boolean): void => {
      if (first === undefined) {
        first = data;
        start(data);
      } else if (early.length < 20) early.push([data, isBinary]);
    };
    ws.on('message', hold);
    const start = (data: Buffer): void => {
      clearTimeout(timer);
      void (async () => {
        let frame: { type?: unknown; token?: unknown } | undefined;
        try {
          frame = JSON.parse(String(data)) as typeof frame;
        } catch {
          frame = undefined;
        }
        const principal = frame?.type === 'auth' && typeof frame.token === 'string' ? hub.authenticateCustomer(frame.token) : undefined;
        const handoff = principal?.kind === 'customer' ? await store.chatHandoff(principal.chatId) : undefined;
        if (!principal || !handoff || !p.scriptSessions.has(handoff.scriptSession)) return deny('unknown or ended chat, or not this visitor\'s');
        ws.off('message', hold);
        hub.attach(ws, principal);
        for (const [d, isBinary] of early.splice(0)) ws.emit('message', d, isBinary);
      })().catch((err: unknown) => {
        logger.warn({ err: (err as Error).message }, 'visitor chat socket failed');
        deny('unavailable');
      });
    };
  };
  const refuse = (socket: Duplex, status: number, text: string): void => {
    socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  };
  fastify.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => undefined);
    // Self-service visitors reach only their own chat; everything else needs a staff session.
    const cookieName = (req.url ?? '').split('?')[0] === '/ws/chat/customer' ? VISITOR_COOKIE : SESSION_COOKIE;
    sessions.get(parseCookies(req.headers.cookie)[cookieName]).then(
      async (p) => {
        // A deactivated user, or one who must change the password first, gets no live socket either.
        const account = p?.kind === 'user' ? await accountOf(p.name) : undefined;
        if (account && (!account.active || account.mustChangePassword)) return refuse(socket, 403, 'Forbidden');
        return upgrade(req, socket, head, p);
      },
    ).catch((err: unknown) => {
      logger.warn({ err: (err as Error).message }, 'session lookup failed for a WebSocket');
      refuse(socket, 503, 'Service Unavailable');
    });
  });
  const upgrade = (req: IncomingMessage, socket: Duplex, head: Buffer, p: Principal | undefined): void => {
    const path = (req.url ?? '').split('?')[0];
    const origin = req.headers.origin;
    // Browsers always send Origin on WebSocket requests: another site's page must not ride on the cookie.
    if (origin !== undefined && origin !== `http://${req.headers.host}` && origin !== `https://${req.headers.host}`) return refuse(socket, 403, 'Forbidden');
    if (!p) return refuse(socket, 401, 'Unauthorized');
    if (path === '/ws/monitor') {
      // The monitor's own hub: supervisors (and administrators) see every topic, agents only their own.
      const principal: MonitorPrincipal | undefined =
        p.role === 'supervisor' || p.role === 'administrator' ? { name: p.name, role: 'supervisor' } : p.role === 'agent' && p.agentId !== undefined ? { name: p.name, role: 'agent', agentId: p.agentId } : undefined;
      if (!principal) return refuse(socket, 403, 'Forbidden');
      const monitor = options.monitor?.();
      if (!monitor) return refuse(socket, 503, 'Service Unavailable');
      wss.handleUpgrade(req, socket, head, (ws) => {
        guard(ws, path, p);
        try {
          const attached = monitor.attach(ws, principal);
          ws.on('close', () => attached.dispose());
        } catch (err) {
          logger.warn({ err: (err as Error).message }, 'monitor refused a socket');
          ws.close(1011, 'monitor unavailable');
        }
      });
      return;
    }
    if (path === '/ws/chat/customer') {
      if (p.kind !== 'visitor') return refuse(socket, 403, 'Forbidden');
      const hub = chat();
      if (!hub) return refuse(socket, 503, 'Service Unavailable');
      wss.handleUpgrade(req, socket, head, (ws) => customerChat(guard(ws, path, p), hub, p));
      return;
    }
    if (path === '/ws/chat/watch') {
      // Supervisors watch live chats read-only and write private notes to the agent (api-quality.ts).
      if (!SUPERVISING.includes(p.role) || p.kind !== 'user') return refuse(socket, 403, 'Forbidden');
      const hub = chat();
      if (!hub) return refuse(socket, 503, 'Service Unavailable');
      wss.handleUpgrade(req, socket, head, (ws) => attachChatWatch(guard(ws, path, p), p, quality, hub, logger));
      return;
    }
    if (path === '/ws/chat') {
      // The chat channel's hub, on this server: the agent session is the principal (no chat token).
      if (p.role !== 'agent' || p.agentId === undefined) return refuse(socket, 403, 'Forbidden');
      const hub = chat();
      if (!hub) return refuse(socket, 503, 'Service Unavailable');
      const agentId = p.agentId;
      wss.handleUpgrade(req, socket, head, (ws) => {
        guard(ws, path, p);
        try {
          hub.attach(ws, { kind: 'agent', agentId });
        } catch (err) {
          logger.warn({ err: (err as Error).message }, 'chat hub refused a socket');
          ws.close(1011, 'chat unavailable');
        }
      });
      return;
    }
    if (path !== '/ws/agent') return refuse(socket, 404, 'Not Found');
    if (p.role !== 'agent' || p.agentId === undefined) return refuse(socket, 403, 'Forbidden');
    const id = p.agentId;
    try {
      subscribe();
    } catch (err) {
      logger.warn({ err: (err as Error).message }, 'communication server unavailable for live updates');
      return refuse(socket, 503, 'Service Unavailable');
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      guard(ws, path, p);
      // Heartbeats, and the agent's presence follows its desktop sockets (internal/agent-presence.ts).
      presence.attach(ws, id);
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ type: 'hello', agent: options.comms().agent(id), offers: options.comms().pendingOffers(id) }));
    });
  };

  return {
    fastify,
    get url() {
      return url;
    },
    async listen(port: number, host: string): Promise<string> {
      // Sessions that expired while the front office was down go now.
      await sessions.sweep();
      try {
        // Automatic customer links and the disconnect rules run whether or not a desktop is open.
        subscribe();
      } catch (err) {
        logger.warn({ err: (err as Error).message }, 'communication server unavailable: desktop updates start with the first desktop socket');
      }
      followUps.start();
      await fastify.listen({ port, host });
      const addr = fastify.server.address();
      url = typeof addr === 'object' && addr ? `http://${host}:${addr.port}` : `http://${host}:${port}`;
      return url;
    },
    openApi(role?: RoleName): Record<string, unknown> {
      return openApiDocument(app, permissions, role, fastify.swagger() as unknown as Record<string, unknown>);
    },
    async close(): Promise<void> {
      closing = true;
      presence.dispose();
      followUps.dispose();
      disposables.dispose();
      for (const ws of wss.clients) ws.terminate();
      wss.close();
      await fastify.close();
    },
  };
}
