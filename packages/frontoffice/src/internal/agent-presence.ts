/**
 * The agents' desktop sockets (`/ws/agent`) and what their presence means for the communication
 * server: heartbeats, a dropped silent socket, and the disconnect rules of docs/desktop-api.md.
 *
 * - The page sends `{type:'ping'}` every `heartbeatMs`; the server answers `{type:'pong', at}` and
 *   also pings at the protocol level. A socket that sent nothing (no frame, no pong) for `silentMs`
 *   is dropped.
 * - When an agent's LAST desktop socket is gone: a ready (or ringing) agent is paused `disconnected`
 *   after `readyGraceMs` (a reload that comes back sooner changes nothing), or at once when that
 *   socket was dropped for its silence (a cable pulled, a laptop asleep: it was silent `silentMs`
 *   already, so the agent is paused within `silentMs` and a sweep, 10 + 3⅓ s); an agent with contacts
 *   keeps them (nothing is re-queued) and is paused `disconnected` after `disconnectGraceMs`, the
 *   contacts still theirs; an agent whose wrap-up ends into ready meanwhile is paused then.
 * - When a desktop socket of an agent paused `disconnected` opens again, the agent resumes.
 *
 * Only agents that had a desktop socket since the start are watched: an agent driven by the API or
 * a phone alone is never paused by this. The pause and the resume go through the communication
 * server (its log records the agent state changes) and are logged here too.
 */
import { performance } from 'node:perf_hooks';
import type { WebSocket } from 'ws';
import { safeInterval, safeTimeout, type Logger } from '@caruso/kernel';
import type { CommunicationServer } from '@caruso/comms';

/** The pause reason of an agent whose desktop is gone. */
export const DISCONNECTED = 'disconnected';

/** Timers of the presence rules (ms). */
export interface AgentPresenceOptions {
  /** How often the page sends its heartbeat (`{type:'ping'}`); told to the page in `GET /api/desktop`. Default 10 s. */
  readonly heartbeatMs?: number;
  /** A socket silent this long (no frame, no pong) is dropped. Default 10 s. */
  readonly silentMs?: number;
  /** A ready agent without a desktop is paused `disconnected` after this long. Default 5 s. */
  readonly readyGraceMs?: number;
  /** An agent with contacts and without a desktop is paused `disconnected` after this long. Default 120 s. */
  readonly disconnectGraceMs?: number;
}

export const PRESENCE_DEFAULTS = { heartbeatMs: 10_000, silentMs: 10_000, readyGraceMs: 5_000, disconnectGraceMs: 120_000 } as const;

interface Gone {
  readonly at: number;
  /** How long a ready agent may be without a desktop: 0 when the last socket was dropped for its silence. */
  readonly readyGraceMs: number;
  readonly timers: ReturnType<typeof setTimeout>[];
}

const OWNER = 'frontoffice.agent-presence';

export class AgentPresence {
  readonly heartbeatMs: number;
  readonly silentMs: number;
  readonly readyGraceMs: number;
  readonly disconnectGraceMs: number;
  private readonly sockets = new Map<string, Set<WebSocket>>();
  private readonly lastHeard = new Map<WebSocket, number>();
  /** When the last sweep ran (performance.now()). */
  private lastSweep = performance.now();
  /** Sockets dropped for their silence: their agent was gone for `silentMs` already. */
  private readonly silenced = new WeakSet<WebSocket>();
  private readonly gone = new Map<string, Gone>();
  private readonly pendingChange = new Map<string, ReturnType<typeof setTimeout>>();
  private readonly sweep: ReturnType<typeof setInterval>;
  private disposed = false;

  constructor(
    private readonly comms: () => CommunicationServer,
    private readonly logger: Logger,
    options: AgentPresenceOptions = {},
  ) {
    this.heartbeatMs = positive(options.heartbeatMs, PRESENCE_DEFAULTS.heartbeatMs);
    this.silentMs = positive(options.silentMs, PRESENCE_DEFAULTS.silentMs);
    this.readyGraceMs = positive(options.readyGraceMs, PRESENCE_DEFAULTS.readyGraceMs);
    this.disconnectGraceMs = positive(options.disconnectGraceMs, PRESENCE_DEFAULTS.disconnectGraceMs);
    // One sweep for every socket: a protocol ping, and the silent ones dropped.
    this.sweep = safeInterval(OWNER, () => this.checkSockets(), Math.max(20, Math.floor(Math.min(this.heartbeatMs, this.silentMs) / 3)));
    this.sweep.unref?.();
  }

  /** Takes a desktop socket of an agent: heartbeats, and the agent's presence follows it. */
  attach(ws: WebSocket, agentId: string): void {
    const set = this.sockets.get(agentId) ?? new Set<WebSocket>();
    set.add(ws);
    this.sockets.set(agentId, set);
    this.lastHeard.set(ws, performance.now());
    ws.on('pong', () => this.lastHeard.set(ws, performance.now()));
    ws.on('message', (data: Buffer) => {
      this.lastHeard.set(ws, performance.now());
      let frame: unknown;
      try {
        frame = JSON.parse(String(data));
      } catch {
        return;
      }
      if (frame && typeof frame === 'object' && (frame as { type?: unknown }).type === 'ping') this.send(ws, { type: 'pong', at: this.now() });
    });
    ws.on('close', () => this.detach(ws, agentId));
    this.back(agentId);
  }

  /** Sends a frame to every desktop socket of an agent. */
  sendTo(agentId: string, frame: unknown): void {
    for (const ws of this.sockets.get(agentId) ?? []) this.send(ws, frame);
  }

  /** Whether the agent has a desktop socket open now. */
  connected(agentId: string): boolean {
    return (this.sockets.get(agentId)?.size ?? 0) > 0;
  }

  /** Something on these agents' desks changed: their pages get `{type:'desktop-changed'}` (coalesced). */
  desktopChanged(agentIds: Iterable<string>): void {
    for (const id of agentIds) {
      if (!this.connected(id) || this.pendingChange.has(id)) continue;
      const t = safeTimeout(OWNER, () => {
        this.pendingChange.delete(id);
        this.sendTo(id, { type: 'desktop-changed' });
      }, 25);
      this.pendingChange.set(id, t);
    }
  }

  /** An agent's state changed: one without a desktop may have to pause now (a wrap-up ended into ready). */
  stateChanged(agentId: string): void {
    if (this.gone.has(agentId)) this.enforce(agentId);
  }

  dispose(): void {
    this.disposed = true;
    clearInterval(this.sweep);
    for (const g of this.gone.values()) for (const t of g.timers) clearTimeout(t);
    for (const t of this.pendingChange.values()) clearTimeout(t);
    this.gone.clear();
    this.pendingChange.clear();
  }

  private now(): number {
    try {
      return this.comms().now();
    } catch {
      return Date.now();
    }
  }

  private send(ws: WebSocket, frame: unknown): void {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(frame));
  }

  private checkSockets(): void {
    const now = performance.now();
    // A server that stalled (a long collection, a big import on a small machine) for half the silence
    // window has not read the pongs waiting for it: nobody is dropped for that, this time.
    const stalled = now - this.lastSweep > this.silentMs / 2;
    this.lastSweep = now;
    for (const set of this.sockets.values()) {
      for (const ws of set) {
        if (!stalled && now - (this.lastHeard.get(ws) ?? now) > this.silentMs) {
          this.logger.info({ silentMs: this.silentMs }, 'desktop socket dropped: no heartbeat');
          this.silenced.add(ws);
          ws.terminate();
        } else if (ws.readyState === ws.OPEN) {
          ws.ping();
        }
      }
    }
  }

  private detach(ws: WebSocket, agentId: string): void {
    this.lastHeard.delete(ws);
    const set = this.sockets.get(agentId);
    if (!set) return;
    set.delete(ws);
    if (set.size > 0 || this.disposed) return;
    this.sockets.delete(agentId);
    const at = performance.now();
    // A reload comes back within the grace; a socket dropped for its silence was gone long enough.
    const readyGrace = this.silenced.has(ws) ? 0 : this.readyGraceMs;
    const timers = [safeTimeout(OWNER, () => this.enforce(agentId), readyGrace), safeTimeout(OWNER, () => this.enforce(agentId), this.disconnectGraceMs)];
    for (const t of timers) t.unref?.();
    this.gone.set(agentId, { at, readyGraceMs: readyGrace, timers });
  }

  /** A desktop socket of the agent opened: cancel the pending pause, resume a `disconnected` pause. */
  private back(agentId: string): void {
    const g = this.gone.get(agentId);
    if (g) for (const t of g.timers) clearTimeout(t);
    this.gone.delete(agentId);
    let agent;
    try {
      agent = this.comms().agent(agentId);
    } catch {
      return;
    }
    // Paused with contacts the agent shows busy: the pause reason tells.
    if (agent.pauseReason === DISCONNECTED) {
      this.comms().resume(agentId).then(
        () => this.logger.info({ agentId }, 'agent resumed: the desktop is back'),
        (err: unknown) => this.logger.warn({ agentId, code: (err as { code?: string }).code }, 'agent could not be resumed after the desktop came back'),
      );
    }
  }

  /** The disconnect rules for an agent without a desktop socket. */
  private enforce(agentId: string): void {
    const g = this.gone.get(agentId);
    if (!g || this.connected(agentId) || this.disposed) return;
    let agent;
    try {
      agent = this.comms().agent(agentId);
    } catch {
      return;
    }
    const elapsed = performance.now() - g.at;
    const idle = agent.state === 'ready' || agent.state === 'reserved';
    const pause = (idle && elapsed >= g.readyGraceMs - 1) || ((agent.state === 'busy' || agent.state === 'wrap-up') && elapsed >= this.disconnectGraceMs - 1);
    if (!pause) return;
    this.comms().pause(agentId, DISCONNECTED).then(
      () => this.logger.info({ agentId, state: agent.state, contacts: agent.contactIds.length }, 'agent paused: no desktop connected'),
      (err: unknown) => this.logger.warn({ agentId, code: (err as { code?: string }).code }, 'agent without a desktop could not be paused'),
    );
  }
}

function positive(v: number | undefined, fallback: number): number {
  return v !== undefined && Number.isFinite(v) && v > 0 ? v : fallback;
}
