/**
 * The wallboard's agents, waiting contacts and queues from the monitor's topics over /ws/monitor:
 * `agents` (each agent's state) and `queue:<id>` (the contacts in line, ringing ones marked `offered`).
 * Who serves which queue is the server's (`members` of GET /api/wallboard), read again when an agent
 * logs in or out. The longest wait runs on the server's clock, drawn every second while someone
 * waits: no figure is polled.
 */
import { api } from '../shared/api.js';
import { MonitorFeed } from '../shared/monitor.js';
import type { WallboardFigures } from '../shared/types.js';

/** What the wallboard draws. */
export type Figures = Pick<WallboardFigures, 'agents' | 'queues' | 'waiting'>;

const AGENT_STATES = ['ready', 'reserved', 'busy', 'wrap-up', 'paused', 'logged-out'] as const;

interface AgentsTopic {
  readonly agents?: Readonly<Record<string, { readonly state?: string; readonly queues?: readonly string[] } | undefined>>;
}
interface QueueTopic {
  /** `deferred`: an e-mail or a callback, which waits for hours by design and counts for no longest wait (the server says which). */
  readonly waiting: readonly { readonly offered?: boolean; readonly enteredAt: number; readonly deferred?: boolean }[];
}

export class LiveFigures {
  private roster: WallboardFigures;
  private readonly feed: MonitorFeed;
  private readonly timer: number;
  /** The agents logged in as last drawn (a change reads the roster again). */
  private loggedIn: string | undefined;
  private rereading = false;

  constructor(first: WallboardFigures, private readonly clockOffset: number, private readonly draw: (f: Figures) => void) {
    this.roster = first;
    this.feed = new MonitorFeed(() => ['agents', ...this.roster.queues.map((q) => `queue:${q.queueId}`)], () => this.changed());
    this.timer = window.setInterval(() => {
      if (!document.hidden && this.roster.queues.some((q) => this.queue(q.queueId)?.waiting.some((c) => !c.offered))) this.draw(this.figures());
    }, 1000);
    window.addEventListener('pagehide', () => this.close(), { once: true });
  }

  close(): void {
    window.clearInterval(this.timer);
    this.feed.close();
  }

  private get agents(): AgentsTopic | undefined {
    return this.feed.values.get('agents') as AgentsTopic | undefined;
  }

  private queue(id: string): QueueTopic | undefined {
    return this.feed.values.get(`queue:${id}`) as QueueTopic | undefined;
  }

  private stateOf(id: string): string {
    return this.agents?.agents?.[id]?.state ?? 'logged-out';
  }

  figures(): Figures {
    const now = Date.now() + this.clockOffset;
    const roster = this.roster;
    const topic = this.agents;
    const agents: Record<string, number> = Object.fromEntries(AGENT_STATES.map((st) => [st, 0]));
    if (topic) for (const a of roster.agentList) agents[this.stateOf(a.id)] = (agents[this.stateOf(a.id)] ?? 0) + 1;
    const queues = roster.queues.map((q) => {
      const v = this.queue(q.queueId);
      if (!v || !topic) return q;
      const waiting = v.waiting.filter((c) => !c.offered);
      // An agent's queue choice made while logged in comes with the agents topic (from the event log).
      const queuesOf = (id: string): readonly string[] => topic.agents?.[id]?.queues ?? roster.members[id] ?? [];
      const ids = new Set([...Object.keys(roster.members), ...Object.keys(topic.agents ?? {})]);
      const serving = [...ids].filter((id) => queuesOf(id).includes(q.queueId)).map((id) => this.stateOf(id));
      return {
        queueId: q.queueId,
        waiting: waiting.length,
        staffed: serving.filter((st) => st !== 'logged-out').length,
        available: serving.filter((st) => st === 'ready').length,
        longestWaitMs: Math.max(0, now - waiting.reduce((m, c) => (c.deferred ? m : Math.min(m, c.enteredAt)), now)),
      };
    });
    return { agents: topic ? agents : roster.agents, queues, waiting: queues.reduce((n, q) => n + q.waiting, 0) };
  }

  private changed(): void {
    this.draw(this.figures());
    // Logging in (with a choice of queues) or out changes who serves which queue: read it again.
    const topic = this.agents;
    const sig = topic ? Object.keys(topic.agents ?? {}).filter((id) => this.stateOf(id) !== 'logged-out').sort().join(',') : undefined;
    if (sig !== undefined && this.loggedIn !== undefined && sig !== this.loggedIn) this.reread();
    if (sig !== undefined) this.loggedIn = sig;
  }

  private reread(): void {
    if (this.rereading) return;
    this.rereading = true;
    api<WallboardFigures | null>('GET', '/api/wallboard').then((f) => {
      this.rereading = false;
      if (!f) return;
      this.roster = f;
      this.feed.subscribe();
      this.draw(this.figures());
    }, () => {
      this.rereading = false;
    });
  }
}
