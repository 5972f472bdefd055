import { ContactFigures, foldContact, isDeferredChannel, isOpenContact, type AgentState, type Channel, type ContactEvent, type ContactLife, type FiguresReport } from '@caruso/comms';
import { MonitorErrors } from './errors.js';

/** Options of {@link LiveFigures}. */
export interface LiveFiguresOptions {
  /** Service-level threshold T in ms (default 20,000). */
  readonly thresholdMs?: number;
  /** Abandons within this wait are short (default: T). */
  readonly shortAbandonMs?: number;
  /** Offset of the contact center's local time from UTC, in minutes, for "today" (default 0). */
  readonly utcOffsetMinutes?: number;
  /** Named agent groups (`agents:<group>` topics): group → agent ids. */
  readonly agentGroups?: Readonly<Record<string, readonly string[]>>;
}

/** A contact waiting in a queue (or ringing at an agent). */
export interface WaitingContact {
  readonly contactId: string;
  readonly channel: Channel | null;
  /** When it first entered the contact center: its wait is `at − enteredAt`. */
  readonly enteredAt: number;
  /** True while an offer rings at an agent. */
  readonly offered: boolean;
  /** An e-mail or a callback: it waits for hours by design and counts for no longest wait. */
  readonly deferred: boolean;
}

/** The "so far today" figures of a queue or of the whole center (definitions in docs/figures.md). */
export interface DayFigures {
  readonly offered: number;
  readonly answered: number;
  readonly handled: number;
  readonly abandoned: number;
  readonly shortAbandons: number;
  readonly exited: number;
  readonly exitedByReason: Readonly<Record<string, number>>;
  readonly serviceLevel: { readonly thresholdSeconds: number; readonly ofAnswered: number; readonly ofOffered: number; readonly excludingShortAbandons: number };
  readonly asaSeconds: number;
  readonly ahtSeconds: number;
  readonly abandonRate: number;
}

/** The value of topic `queue:<id>`. */
export interface QueueFigures {
  readonly queueId: string;
  /** Longest wait first. */
  readonly waiting: readonly WaitingContact[];
  /** `enteredAt` of the call or chat waiting longest, or null (e-mails and callbacks are in `waiting` only). */
  readonly longestWaitSince: number | null;
  readonly today: DayFigures;
}

/** One agent's live figures (topic `agent:<id>` and an entry of `agents`). */
export interface AgentFigures {
  readonly agentId: string;
  readonly state: AgentState;
  /** Since when the agent is in `state` (time in state = at − since). */
  readonly since: number;
  /** The pause reason while paused. */
  readonly reason: string | null;
  readonly handledToday: number;
  readonly ringNoAnswerToday: number;
  /** (talk + hold + wrap-up) / handled today, seconds. */
  readonly ahtSecondsToday: number;
  /**
   * The queues the agent chose to serve (`agent-queues-changed`), when they chose since the log began;
   * absent: the queues of the agent's configuration.
   */
  readonly queues?: readonly string[];
}

/** Agents counted by state. */
export interface AgentCounts {
  readonly loggedIn: number;
  readonly ready: number;
  readonly reserved: number;
  readonly busy: number;
  readonly wrapUp: number;
  readonly paused: number;
}

/** The value of topics `agents` and `agents:<group>`. */
export interface AgentBoard {
  readonly counts: AgentCounts;
  readonly pausedByReason: Readonly<Record<string, number>>;
  readonly agents: Readonly<Record<string, AgentFigures>>;
}

/** One campaign's progress. */
export interface CampaignFigures {
  readonly campaignId: string;
  readonly state: 'running' | 'paused' | 'stopped';
  readonly dialled: number;
  readonly answered: number;
  readonly dropped: number;
  /** dropped / answered (0 when nothing was answered). */
  readonly dropRate: number;
  /** Results of dial attempts by result code. */
  readonly results: Readonly<Record<string, number>>;
  /** Numbers not yet dialled (size from `campaign-started` − dialled), or null when the size is unknown. */
  readonly remaining: number | null;
}

/** The value of topic `center`. */
export interface CenterFigures {
  /** The local day these figures cover, `YYYY-MM-DD`. */
  readonly day: string;
  readonly today: DayFigures & { readonly occupancy: number };
  readonly agents: AgentCounts;
  readonly waiting: number;
  /** `enteredAt` of the call or chat waiting longest in any queue, or null. */
  readonly longestWaitSince: number | null;
  readonly voicemailsPending: number;
  readonly callbacksPending: number;
}

interface AgentRec {
  state: AgentState;
  since: number;
  reason: string | null;
  handled: number;
  ringNoAnswer: number;
  handleMs: number;
  queues: readonly string[] | undefined;
}

interface CampaignRec {
  state: 'running' | 'paused' | 'stopped';
  dialled: number;
  answered: number;
  dropped: number;
  results: Record<string, number>;
  size: number | null;
}

const DAY_MS = 86_400_000;
const QUEUE_ID = /^[^\s]{1,128}$/;

function zeroCounts(): { -readonly [K in keyof AgentCounts]: number } {
  return { loggedIn: 0, ready: 0, reserved: 0, busy: 0, wrapUp: 0, paused: 0 };
}

function dayFigures(r: FiguresReport): DayFigures {
  return {
    offered: r.offered,
    answered: r.answered,
    handled: r.handled,
    abandoned: r.abandoned,
    shortAbandons: r.shortAbandons,
    exited: Object.values(r.exited).reduce((s, n) => s + n, 0),
    exitedByReason: r.exited,
    serviceLevel: {
      thresholdSeconds: r.serviceLevel.thresholdSeconds,
      ofAnswered: r.serviceLevel.ofAnswered.value,
      ofOffered: r.serviceLevel.ofOffered.value,
      excludingShortAbandons: r.serviceLevel.excludingShortAbandons.value,
    },
    asaSeconds: r.asaSeconds.value,
    ahtSeconds: r.ahtSeconds.value,
    abandonRate: r.abandonRate.value,
  };
}

/**
 * The live figures, folded from the contact event log only (one event at a time, in log order).
 * Today's counters reuse `ContactFigures` of `@caruso/comms` (one per queue, credited to the queue a
 * contact entered first, and one for the whole center), so they follow docs/figures.md exactly.
 * Values hold times (`enteredAt`, `since`), never durations, so that they change only with events.
 */
export class LiveFigures {
  private readonly thresholdMs: number;
  private readonly shortMs: number;
  private readonly offsetMs: number;
  private readonly groups: ReadonlyMap<string, ReadonlySet<string>>;
  private readonly groupsOf = new Map<string, string[]>();
  private dayStart = -Infinity;
  private center!: ContactFigures;
  private perQueue = new Map<string, ContactFigures>();
  private readonly queues = new Set<string>();
  /** The contacts that entered a queue and have not ended, as the one contact fold says. */
  private readonly contacts = new Map<string, ContactLife>();
  private readonly agents = new Map<string, AgentRec>();
  private readonly campaigns = new Map<string, CampaignRec>();
  private readonly voicemails = new Set<string>();
  private readonly callbacks = new Set<string>();
  private lastAt = 0;
  private lastSeq = 0;

  constructor(options: LiveFiguresOptions = {}) {
    this.thresholdMs = options.thresholdMs ?? 20_000;
    this.shortMs = options.shortAbandonMs ?? this.thresholdMs;
    this.offsetMs = (options.utcOffsetMinutes ?? 0) * 60_000;
    if (!Number.isFinite(this.thresholdMs) || this.thresholdMs < 0) throw MonitorErrors.CARUSO_MONITOR_INVALID_OPTIONS({ reason: 'thresholdMs must be a number ≥ 0' });
    if (!Number.isFinite(this.shortMs) || this.shortMs < 0) throw MonitorErrors.CARUSO_MONITOR_INVALID_OPTIONS({ reason: 'shortAbandonMs must be a number ≥ 0' });
    if (!Number.isFinite(this.offsetMs) || Math.abs(this.offsetMs) > DAY_MS) throw MonitorErrors.CARUSO_MONITOR_INVALID_OPTIONS({ reason: 'utcOffsetMinutes must be within ±1440' });
    const groups = new Map<string, ReadonlySet<string>>();
    for (const [g, ids] of Object.entries(options.agentGroups ?? {})) {
      if (!QUEUE_ID.test(g) || !Array.isArray(ids) || ids.some((x) => typeof x !== 'string')) {
        throw MonitorErrors.CARUSO_MONITOR_INVALID_OPTIONS({ reason: `agent group ${JSON.stringify(g)} must name a list of agent ids` });
      }
      groups.set(g, new Set(ids));
      for (const id of ids) this.groupsOf.set(id, [...(this.groupsOf.get(id) ?? []), g]);
    }
    this.groups = groups;
    this.resetDay(-Infinity);
  }

  /** The start (ms since the epoch) of the local day that contains `t`. */
  startOfDay(t: number): number {
    return Math.floor((t + this.offsetMs) / DAY_MS) * DAY_MS - this.offsetMs;
  }

  /** Sequence number of the last event folded. */
  get seq(): number {
    return this.lastSeq;
  }

  /** Time of the last event folded (or of the last {@link rollOver}). */
  get at(): number {
    return this.lastAt;
  }

  /** The topics whose value exists now (queues and campaigns seen so far, groups configured). */
  topics(): string[] {
    return ['center', 'agents', 'campaigns', ...[...this.groups.keys()].map((g) => `agents:${g}`), ...[...this.queues].map((q) => `queue:${q}`), ...[...this.agents.keys()].map((a) => `agent:${a}`)];
  }

  /** True when `topic` is one this source answers (an unseen queue or agent is valid: it is empty). */
  handles(topic: string): boolean {
    if (topic === 'center' || topic === 'agents' || topic === 'campaigns') return true;
    const [kind, id] = splitTopic(topic);
    if (kind === 'agents') return this.groups.has(id);
    return (kind === 'queue' || kind === 'agent') && QUEUE_ID.test(id);
  }

  /**
   * Starts a new day when `now` is past the current one: today's counters restart from zero (the
   * contacts waiting and the agents' states carry over). Returns the topics that changed.
   */
  rollOver(now: number): string[] {
    const start = this.startOfDay(now);
    if (start <= this.dayStart) return [];
    this.resetDay(start);
    this.lastAt = Math.max(this.lastAt, now);
    return this.topics();
  }

  /** Folds one event; returns the topics whose value changed. */
  add(e: ContactEvent): string[] {
    const dirty = this.rollOver(e.at);
    if (e.seq > this.lastSeq) this.lastSeq = e.seq;
    if (e.at > this.lastAt) this.lastAt = e.at;
    const today = e.at >= this.dayStart;
    const touch = (...topics: string[]): void => {
      for (const t of topics) dirty.push(t);
    };
    const touchAgent = (id: string | undefined): void => {
      if (id === undefined) return;
      touch('agents', `agent:${id}`, ...(this.groupsOf.get(id) ?? []).map((g) => `agents:${g}`));
    };
    const cid = e.contactId;
    // The contact's life, from the one fold: only contacts that entered a queue are followed here.
    const before = cid === undefined ? undefined : this.contacts.get(cid);
    const after = before !== undefined || e.kind === 'queue-entered' ? foldContact(before, e) : undefined;
    if (cid !== undefined && after !== before) {
      if (isOpenContact(after)) this.contacts.set(cid, after!);
      else this.contacts.delete(cid);
      const from = waitingIn(before);
      const to = waitingIn(after);
      if (from !== to || before?.status !== after?.status) {
        if (from !== undefined) touch(`queue:${from}`);
        if (to !== undefined) touch(`queue:${to}`);
      }
    }
    switch (e.kind) {
      case 'queue-entered':
        this.queues.add(e.queueId);
        if (after) this.foldFigures(after, e);
        touch('center');
        break;
      case 'transferred':
        if (!before || e.queueId === undefined) break;
        this.queues.add(e.queueId);
        touch('center');
        break;
      case 'ring-no-answer':
        if (today) {
          this.agent(e.agentId, e.at).ringNoAnswer++;
          touchAgent(e.agentId);
        }
        break;
      case 'connected':
      case 'abandoned':
      case 'exited':
        if (!before) break;
        this.foldFigures(before, e);
        this.endCallback(e.contactId);
        touch('center', `queue:${before.firstQueueId ?? before.queueId}`);
        break;
      case 'completed': {
        if (before) {
          this.foldFigures(before, e);
          touch(`queue:${before.firstQueueId ?? before.queueId}`);
        }
        if (e.reason !== 'transferred') this.endCallback(cid);
        if (today) {
          const a = this.agent(e.agentId, e.at);
          if (e.reason !== 'transferred') a.handled++;
          a.handleMs += (e.talkMs ?? 0) + (e.holdMs ?? 0);
          touchAgent(e.agentId);
        }
        touch('center');
        break;
      }
      case 'wrap-up-ended': {
        this.center.add(e);
        const q = e.queueId === undefined ? undefined : this.perQueue.get(e.queueId);
        q?.add(e);
        if (e.queueId) touch(`queue:${e.queueId}`);
        if (today && e.agentId) {
          this.agent(e.agentId, e.at).handleMs += e.wrapMs ?? 0;
          touchAgent(e.agentId);
        }
        touch('center');
        break;
      }
      case 'agent-state-changed': {
        if (e.agentId === undefined || e.state === undefined) break;
        const a = this.agent(e.agentId, e.at);
        a.state = e.state;
        a.since = e.at;
        a.reason = e.state === 'paused' ? (e.reason ?? null) : null;
        this.center.add(e);
        touchAgent(e.agentId);
        touch('center');
        break;
      }
      case 'agent-queues-changed': {
        // Who serves which queue changes while the agent stays logged in: the wallboard's staffed and
        // available follow it from here.
        const a = this.agent(e.agentId, e.at);
        a.queues = e.data.queues.map((q) => q.queueId);
        touchAgent(e.agentId);
        break;
      }
      case 'agent-logged-in':
      case 'agent-logged-out':
        if (e.agentId !== undefined && !this.agents.has(e.agentId)) {
          this.agent(e.agentId, e.at);
          touchAgent(e.agentId);
        }
        break;
      case 'voicemail-left':
        if (cid !== undefined) {
          this.voicemails.add(cid);
          touch('center');
        }
        break;
      case 'callback-scheduled':
        if (cid !== undefined) {
          this.callbacks.add(cid);
          touch('center');
        }
        break;
      case 'callback-completed':
        if (cid !== undefined) {
          this.endCallback(cid);
          touch('center');
        }
        break;
      case 'campaign-started':
      case 'campaign-paused':
      case 'campaign-stopped':
      case 'dial-attempt':
      case 'dial-result':
      case 'dial-drop': {
        const id = campaignOf(e);
        if (id === undefined) break;
        let k = this.campaigns.get(id);
        if (!k) {
          k = { state: 'running', dialled: 0, answered: 0, dropped: 0, results: {}, size: null };
          this.campaigns.set(id, k);
        }
        if (e.kind === 'campaign-started') {
          k.state = 'running';
          const size = e.data.size;
          if (typeof size === 'number' && Number.isFinite(size) && size >= 0) k.size = size;
        } else if (e.kind === 'campaign-paused') k.state = 'paused';
        else if (e.kind === 'campaign-stopped') k.state = 'stopped';
        else if (e.kind === 'dial-attempt') k.dialled++;
        else if (e.kind === 'dial-result') {
          const r = e.reason ?? 'unknown';
          k.results[r] = (k.results[r] ?? 0) + 1;
          if (r === 'answered') k.answered++;
        } else k.dropped++;
        touch('campaigns');
        break;
      }
      default:
        break;
    }
    return dirty;
  }

  /** The value of a topic (as of the last event). Throws CARUSO_MONITOR_UNKNOWN_TOPIC. */
  value(topic: string): unknown {
    if (!this.handles(topic)) throw MonitorErrors.CARUSO_MONITOR_UNKNOWN_TOPIC({ topic });
    if (topic === 'center') return this.centerValue();
    if (topic === 'agents') return this.board(undefined);
    if (topic === 'campaigns') return this.campaignsValue();
    const [kind, id] = splitTopic(topic);
    if (kind === 'agents') return this.board(this.groups.get(id));
    if (kind === 'queue') return this.queueValue(id);
    return this.agentValue(id, this.agents.get(id));
  }

  /** The queue's figures (an unknown queue is empty). */
  queueValue(queueId: string): QueueFigures {
    const waiting: WaitingContact[] = [];
    for (const [contactId, c] of this.contacts) {
      if (waitingIn(c) === queueId) waiting.push({ contactId, channel: c.channel, enteredAt: c.enteredAt ?? this.lastAt, offered: c.status === 'ringing', deferred: deferred(c.channel) });
    }
    waiting.sort((a, b) => a.enteredAt - b.enteredAt || (a.contactId < b.contactId ? -1 : 1));
    const figures = this.perQueue.get(queueId) ?? this.newFigures();
    const longest = waiting.find((c) => !c.deferred);
    return { queueId, waiting, longestWaitSince: longest?.enteredAt ?? null, today: dayFigures(figures.report(this.lastAt)) };
  }

  centerValue(): CenterFigures {
    let waiting = 0;
    let oldest: number | null = null;
    for (const c of this.contacts.values()) {
      if (waitingIn(c) === undefined || c.enteredAt === undefined) continue;
      waiting++;
      if (!deferred(c.channel) && (oldest === null || c.enteredAt < oldest)) oldest = c.enteredAt;
    }
    const r = this.center.report(this.lastAt);
    const day = new Date(Math.max(0, this.startOfDay(this.lastAt) + this.offsetMs)).toISOString().slice(0, 10);
    return {
      day,
      today: { ...dayFigures(r), occupancy: r.occupancy },
      agents: this.board(undefined).counts,
      waiting,
      longestWaitSince: oldest,
      voicemailsPending: this.voicemails.size,
      callbacksPending: this.callbacks.size,
    };
  }

  /** Every agent seen so far, in the order first seen. */
  agentIds(): string[] {
    return [...this.agents.keys()];
  }

  /** Every queue seen so far. */
  queueIds(): string[] {
    return [...this.queues];
  }

  private board(only: ReadonlySet<string> | undefined): AgentBoard {
    const counts = zeroCounts();
    const paused: Record<string, number> = {};
    const agents: Record<string, AgentFigures> = {};
    for (const [id, a] of this.agents) {
      if (only && !only.has(id)) continue;
      agents[id] = this.agentValue(id, a);
      if (a.state === 'logged-out') continue;
      counts.loggedIn++;
      if (a.state === 'wrap-up') counts.wrapUp++;
      else counts[a.state]++;
      if (a.state === 'paused') {
        const r = a.reason ?? 'unspecified';
        paused[r] = (paused[r] ?? 0) + 1;
      }
    }
    return { counts, pausedByReason: paused, agents };
  }

  private agentValue(agentId: string, a: AgentRec | undefined): AgentFigures {
    if (!a) return { agentId, state: 'logged-out', since: 0, reason: null, handledToday: 0, ringNoAnswerToday: 0, ahtSecondsToday: 0 };
    return {
      agentId,
      state: a.state,
      since: a.since,
      reason: a.reason,
      handledToday: a.handled,
      ringNoAnswerToday: a.ringNoAnswer,
      ahtSecondsToday: a.handled > 0 ? a.handleMs / 1000 / a.handled : 0,
      ...(a.queues === undefined ? {} : { queues: a.queues }),
    };
  }

  private campaignsValue(): { campaigns: Record<string, CampaignFigures> } {
    const campaigns: Record<string, CampaignFigures> = {};
    for (const [id, k] of this.campaigns) {
      campaigns[id] = {
        campaignId: id,
        state: k.state,
        dialled: k.dialled,
        answered: k.answered,
        dropped: k.dropped,
        dropRate: k.answered > 0 ? k.dropped / k.answered : 0,
        results: { ...k.results },
        remaining: k.size === null ? null : Math.max(0, k.size - k.dialled),
      };
    }
    return { campaigns };
  }

  private agent(id: string, at: number): AgentRec {
    let a = this.agents.get(id);
    if (!a) {
      a = { state: 'logged-out', since: at, reason: null, handled: 0, ringNoAnswer: 0, handleMs: 0, queues: undefined };
      this.agents.set(id, a);
    }
    return a;
  }

  /** Today's figures of the whole center and of the queue the contact entered first. */
  private foldFigures(c: ContactLife, e: ContactEvent): void {
    this.center.add(e);
    const first = c.firstQueueId ?? c.queueId ?? '';
    let q = this.perQueue.get(first);
    if (!q) {
      q = this.newFigures();
      this.perQueue.set(first, q);
    }
    q.add(e);
  }

  private endCallback(cid: string | undefined): void {
    if (cid === undefined) return;
    this.callbacks.delete(cid);
    this.voicemails.delete(cid);
  }

  private newFigures(): ContactFigures {
    return new ContactFigures({ thresholdMs: this.thresholdMs, shortAbandonMs: this.shortMs, from: this.dayStart, batches: 0 });
  }

  private resetDay(start: number): void {
    this.dayStart = start;
    this.center = this.newFigures();
    this.perQueue = new Map();
    for (const a of this.agents.values()) {
      a.handled = 0;
      a.ringNoAnswer = 0;
      a.handleMs = 0;
    }
    // Agents already working carry their state into the new day's occupancy.
    for (const [id, a] of this.agents) {
      if (a.state !== 'logged-out') this.center.add({ kind: 'agent-state-changed', at: Math.max(a.since, start), agentId: id, state: a.state });
    }
  }
}

/** Splits `kind:id` (the id may contain colons). */
export function splitTopic(topic: string): [string, string] {
  const i = topic.indexOf(':');
  return i < 0 ? [topic, ''] : [topic.slice(0, i), topic.slice(i + 1)];
}

/** An e-mail or a callback: work that waits for hours by design, so no longest wait counts it. */
function deferred(channel: Channel | null | undefined): boolean {
  return channel !== null && channel !== undefined && isDeferredChannel(channel);
}

/** The queue a contact waits in (queued or ringing), else undefined. */
function waitingIn(c: ContactLife | undefined): string | undefined {
  return c !== undefined && (c.status === 'queued' || c.status === 'ringing') ? c.queueId : undefined;
}

type CampaignEvent = Extract<ContactEvent, { readonly kind: 'campaign-started' | 'campaign-paused' | 'campaign-stopped' | 'dial-attempt' | 'dial-result' | 'dial-drop' }>;

function campaignOf(e: CampaignEvent): string | undefined {
  const id = e.data?.campaignId;
  if (id !== undefined && id.length > 0) return id;
  return e.queueId;
}
