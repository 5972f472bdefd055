/**
 * The front office's HTTP server (fastify): sessions and users, the REST API, the desktop and
 * self-service endpoints, WebSocket channels, the OpenAPI document, the pages and their assets.
 */
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import { WebSocketServer, type WebSocket } from 'ws';
import { DisposableStore, isCarusoError, silentLogger, type Logger } from '@caruso/kernel';
import type { ChatChannel, CommunicationServer, EmailChannel } from '@caruso/comms';
import type { DialogueEngine } from '@caruso/dialogue';
import type { Monitor, MonitorPrincipal } from '@caruso/monitor';
import type { BusinessObjects } from '@caruso/objects';
import { registerCallbacksApi } from './api-callbacks.js';
import { registerCampaignsApi } from './api-campaigns.js';
import { registerChannelsApi } from './api-channels.js';
import { registerDesktopApi, wallboardFigures } from './api-desktop.js';
import { registerSelfServiceApi, startSelfService } from './api-self-service.js';
import { registerObjectsApi } from './api-objects.js';
import { registerReportsApi } from './api-reports.js';
import type { Application, RoleName } from './common/application.js';
import { FrontOfficeErrors } from './errors.js';
import { body, need, str } from './internal/http.js';
import { csrfMatches, LoginLimiter, parseCookies, SessionRegistry, type Principal } from './internal/sessions.js';
import { openApiDocument } from './openapi.js';
import { applicationForRole, pageHtml } from './pages.js';
import { Permissions } from './permissions.js';
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
  readonly logger?: Logger;
  /** Largest accepted request body in bytes. Default 64 KiB. */
  readonly bodyLimit?: number;
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
}

const SESSION_COOKIE = 'caruso_session';
/** Largest WebSocket frame a browser may send to the front office (its messages are small JSON). */
const WS_MAX_PAYLOAD = 4096;
const VISITOR_COOKIE = 'caruso_visitor';
const ASSETS_DIR = fileURLToPath(new URL('../assets/', import.meta.url));
const CONTENT_TYPES: Readonly<Record<string, string>> = { js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8', json: 'application/json; charset=utf-8', svg: 'image/svg+xml' };
const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cache-control': 'no-store',
};

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
  const bodyLimit = options.bodyLimit ?? 64 * 1024;
  const disposables = new DisposableStore();
  const fastify = Fastify({ bodyLimit, logger: false, return503OnClosing: true, routerOptions: { ignoreTrailingSlash: true } });
  let url = '';

  const cookie = (name: string, value: string, maxAge: number): string =>
    `${name}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAge}${options.secureCookies ? '; Secure' : ''}`;

  fastify.decorateRequest('principal', undefined);
  fastify.addHook('onRequest', async (req, reply) => {
    void reply.headers(SECURITY_HEADERS);
    const cookies = parseCookies(req.headers.cookie);
    req.principal = (await sessions.get(cookies[SESSION_COOKIE])) ?? (await sessions.get(cookies[VISITOR_COOKIE]));
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
    if (code === 'FST_ERR_CTP_BODY_TOO_LARGE') mapped = FrontOfficeErrors.CARUSO_FRONTOFFICE_BODY_TOO_LARGE({ limit: bodyLimit });
    else if (code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') mapped = FrontOfficeErrors.CARUSO_FRONTOFFICE_UNSUPPORTED_MEDIA();
    else if (code === 'FST_ERR_VALIDATION' && err.validationContext !== 'body') {
      // A path or query parameter broke the route's schema: say which and how.
      mapped = FrontOfficeErrors.CARUSO_FRONTOFFICE_BAD_REQUEST({ reason: err.message.slice(0, 300) }, { details: { in: err.validationContext } });
    } else if (code.startsWith('FST_ERR_CTP') || code === 'FST_ERR_VALIDATION' || (err.statusCode === 400 && err instanceof SyntaxError)) {
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

  // ---- sessions and users --------------------------------------------------------------------
  fastify.post('/api/session', async (req, reply) => {
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
    const old = parseCookies(req.headers.cookie)[SESSION_COOKIE];
    await sessions.delete(old);
    const { token, principal } = await sessions.create({ kind: 'user', name: user.name, role: user.role, agentId: user.agentId });
    void reply.header('set-cookie', cookie(SESSION_COOKIE, token, Math.floor((options.sessionTtlMs ?? 8 * 3600_000) / 1000)));
    return { user: { name: user.name, role: user.role, agentId: user.agentId ?? null }, csrf: principal.csrf };
  });
  fastify.get('/api/session', async (req) => {
    const p = need(req, ['administrator', 'supervisor', 'agent', 'anonymous'], 'have a session');
    return { user: { name: p.name, role: p.role, agentId: p.agentId ?? null }, csrf: p.csrf };
  });
  fastify.delete('/api/session', async (req, reply) => {
    need(req, ['administrator', 'supervisor', 'agent'], 'log out');
    await sessions.delete(parseCookies(req.headers.cookie)[SESSION_COOKIE]);
    void reply.header('set-cookie', cookie(SESSION_COOKIE, '', 0));
    return reply.code(204).send();
  });
  fastify.get('/api/users', async (req) => {
    need(req, ['administrator'], 'manage users');
    return { data: await store.users() };
  });
  fastify.post('/api/users', async (req, reply) => {
    need(req, ['administrator'], 'manage users');
    const b = body(req, ['name', 'role', 'agentId', 'password']);
    const role = str(b['role'], 'role', 20) as Exclude<RoleName, 'anonymous'>;
    const agentId = b['agentId'] === undefined ? undefined : str(b['agentId'], 'agentId', 64);
    const user = await store.addUser({ name: str(b['name'], 'name', 64), role, agentId }, str(b['password'], 'password', 200));
    return reply.code(201).send({ data: user });
  });
  fastify.get('/api/app', async (req) => {
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
    return { ...applicationForRole(app, permissions, p.role), serverTime };
  });
  fastify.get('/api/openapi.json', async (req) => {
    const p = need(req, ['administrator', 'supervisor', 'agent'], 'read the API description');
    return openApiDocument(app, permissions, p.role);
  });

  // ---- self-service start (creates the visitor's session) -------------------------------------
  fastify.post('/api/self-service/:name/sessions', async (req, reply) => {
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
  registerObjectsApi(fastify, { objects, permissions, comms: options.comms, usersByAgent });
  const chat = (): ChatChannel | undefined => options.chat?.();
  const email = (): EmailChannel | undefined => options.email?.();
  const desktopDeps = { app, objects, permissions, store, comms: options.comms, dialogue: options.dialogue, agentIds, logger, chat, channels: () => ({ chat: chat() !== undefined, email: email() !== undefined }) };
  registerDesktopApi(fastify, desktopDeps);
  registerSelfServiceApi(fastify, desktopDeps);
  registerChannelsApi(fastify, { comms: options.comms, chat, email });
  registerCallbacksApi(fastify, { app, objects, permissions, comms: options.comms });
  registerCampaignsApi(fastify, { comms: options.comms, logger });
  fastify.get('/api/wallboard', async (req) => {
    need(req, ['supervisor', 'administrator'], 'see the wallboard');
    return { ...(await wallboardFigures({ app, comms: options.comms, agentIds }, options.queues ?? [])), monitor: options.monitor?.() !== undefined };
  });

  registerReportsApi(fastify, { monitor: () => options.monitor?.() });

  // ---- pages and assets -----------------------------------------------------------------------
  fastify.get('/assets/*', async (req, reply) => {
    const name = (req.params as { '*': string })['*'];
    const a = assets.get(name);
    if (!a) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_NOT_FOUND({ what: 'asset' });
    return reply.type(a.type).header('cache-control', 'no-cache').send(a.body);
  });
  const page = (name: string) => async (_req: unknown, reply: import('fastify').FastifyReply) => reply.type('text/html; charset=utf-8').send(pageHtml(name, app.lang));
  fastify.get('/', async (req, reply) => {
    const p = req.principal;
    const home = !p || p.kind === 'visitor' ? '/login' : p.role === 'agent' ? '/desktop' : p.role === 'supervisor' ? '/wallboard' : `/lists/${app.lists[0]?.name ?? ''}`;
    return reply.redirect(home);
  });
  fastify.get('/login', page('login'));
  fastify.get('/desktop', page('desktop'));
  fastify.get('/wallboard', page('wallboard'));
  fastify.get('/dashboards/:name', page('wallboard'));
  fastify.get('/users', page('users'));
  fastify.get('/callbacks', page('callbacks'));
  fastify.get('/lists/:name', page('list'));
  fastify.get('/records/:name/:id', page('record'));
  fastify.get('/self-service/:name', page('self-service'));

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
  const agentSockets = new Map<string, Set<WebSocket>>();
  const send = (ws: WebSocket, msg: unknown): void => {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(msg));
  };
  // The agents' desks only. The wallboard's live figures come from the monitor's topics (/ws/monitor,
  // folded from the contact event log): one live feed, no polling of the router here.
  let subscribed = false;
  const subscribe = (): void => {
    if (subscribed) return;
    subscribed = true;
    const comms = options.comms();
    disposables.add(comms.onDidOffer((o) => {
      for (const ws of agentSockets.get(o.agentId) ?? []) send(ws, { type: 'offer', offer: o });
    }));
    disposables.add(comms.onDidWithdrawOffer(({ offer, reason }) => {
      for (const ws of agentSockets.get(offer.agentId) ?? []) send(ws, { type: 'withdrawn', offerId: offer.offerId, reason });
    }));
    disposables.add(comms.onDidChangeAgentState((c) => {
      const sockets = agentSockets.get(c.agentId);
      if (sockets?.size) {
        // The contacts the agent has now: a phone that answered by itself connected the offer on screen.
        const contactIds = comms.agent(c.agentId).contactIds;
        for (const ws of sockets) send(ws, { type: 'state', state: c.state, reason: c.reason ?? null, contactIds });
      }
    }));
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
      (p) => upgrade(req, socket, head, p),
      (err: unknown) => {
        logger.warn({ err: (err as Error).message }, 'session lookup failed for a WebSocket');
        refuse(socket, 503, 'Service Unavailable');
      },
    );
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
      ws.on('message', () => undefined);
      const set = agentSockets.get(id) ?? new Set<WebSocket>();
      set.add(ws);
      agentSockets.set(id, set);
      ws.on('close', () => set.delete(ws));
      send(ws, { type: 'hello', agent: options.comms().agent(id), offers: options.comms().pendingOffers(id) });
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
      await fastify.listen({ port, host });
      const addr = fastify.server.address();
      url = typeof addr === 'object' && addr ? `http://${host}:${addr.port}` : `http://${host}:${port}`;
      return url;
    },
    async close(): Promise<void> {
      disposables.dispose();
      for (const ws of wss.clients) ws.terminate();
      wss.close();
      await fastify.close();
    },
  };
}
