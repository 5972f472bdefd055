import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { silentLogger, type AccessList, type Logger } from '@caruso/kernel';
import type { MonitorPrincipal } from './common/protocol.js';
import { MonitorErrors } from './errors.js';
import type { MonitorHub } from './monitor-hub.js';

/** The token id of the monitor, also what access-list grants name. */
export const MONITOR_TOKEN_ID = 'caruso.monitor';

/** Options of {@link listenMonitor}. */
export interface MonitorListenerOptions {
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Default 7071; 0 picks a free port. */
  readonly port?: number;
  /** Who may connect: clients send `Authorization: Bearer <access token>` on the upgrade request. */
  readonly accessList: AccessList;
  /**
   * The role of an authenticated principal. Default: `supervisor` when the access list lets it
   * `call` `caruso.monitor`, else `agent` (with the principal's name as agent id) when it may
   * `lookup` `caruso.monitor`, else refused.
   */
  readonly principalOf?: (name: string) => MonitorPrincipal | undefined;
  readonly logger?: Logger;
}

/** A running standalone listener. */
export interface MonitorListener {
  readonly port: number;
  /** `ws://host:port/`. */
  readonly url: string;
  /** Closes the listener and every connection. */
  close(): Promise<void>;
}

function refuse(socket: Duplex, status: number, code: string, message: string): void {
  const body = JSON.stringify({ code, message });
  socket.end(`HTTP/1.1 ${status} ${status === 401 ? 'Unauthorized' : 'Forbidden'}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}

/**
 * A standalone WebSocket listener for tools and tests: authenticates each connection with a kernel
 * access token and hands it to the hub.
 */
export async function listenMonitor(hub: MonitorHub, options: MonitorListenerOptions): Promise<MonitorListener> {
  const logger = options.logger ?? silentLogger();
  const host = options.host ?? '127.0.0.1';
  const principalOf =
    options.principalOf ??
    ((name: string): MonitorPrincipal | undefined =>
      options.accessList.allows(name, 'call', MONITOR_TOKEN_ID)
        ? { name, role: 'supervisor' }
        : options.accessList.allows(name, 'lookup', MONITOR_TOKEN_ID)
          ? { name, role: 'agent', agentId: name }
          : undefined);
  const server = createServer((_req, res) => {
    res.writeHead(426, { 'Content-Type': 'application/json' }).end(JSON.stringify({ code: 'CARUSO_MONITOR_INVALID_MESSAGE', message: 'connect with a WebSocket' }));
  });
  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  wss.on('error', (err) => logger.error({ err: err.message }, 'monitor WebSocket server error'));
  // A connection reset or a malformed request line is that client's problem, never the process's.
  server.on('clientError', (err: Error & { code?: string }, socket: Duplex) => {
    logger.info({ code: err.code }, 'monitor listener: bad client request');
    socket.destroy();
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', (err: Error & { code?: string }) => logger.info({ code: err.code }, 'monitor upgrade socket failed'));
    const auth = req.headers.authorization;
    const token = typeof auth === 'string' && auth.startsWith('Bearer ') ? auth.slice(7) : undefined;
    const name = options.accessList.authenticate(token);
    if (name === undefined) {
      const err = MonitorErrors.CARUSO_MONITOR_AUTH_FAILED({ reason: token === undefined ? 'no bearer token' : 'unknown access token' });
      logger.info({ remote: req.socket.remoteAddress }, 'monitor connection refused');
      refuse(socket, 401, err.code, err.message);
      return;
    }
    const principal = principalOf(name);
    if (!principal) {
      const err = MonitorErrors.CARUSO_MONITOR_FORBIDDEN({ principal: name, role: 'none', topic: '*' });
      refuse(socket, 403, err.code, err.message);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      // First of all: a frame over the limit or not UTF-8 closes this socket (1009 / 1007), logged.
      ws.on('error', (err: Error & { code?: string }) => logger.warn({ principal: name, code: err.code, err: err.message }, 'monitor connection closed after a bad frame'));
      try {
        hub.attach(ws, principal);
      } catch (err) {
        logger.warn({ principal: name, err: (err as Error).message }, 'monitor refused a socket');
        ws.close(1011, 'monitor unavailable');
      }
    });
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 7071, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
  server.on('error', (err) => logger.error({ err: err.message }, 'monitor listener error'));
  return {
    port,
    url: `ws://${host}:${port}/`,
    close: async () => {
      for (const c of wss.clients) c.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
