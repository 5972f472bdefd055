import fc from 'fast-check';
import type { Channel, ContactEvent, ContactEventInput, ContactLifeStatus } from '@caruso/comms';

/**
 * A generator of valid contact event logs for property tests: many contacts and agents, their lives
 * interleaved in time, each contact going only through steps a contact really can take (enter a
 * queue, ring, be answered, held, transferred, completed and wrapped up; abandon or exit; a
 * callback scheduled and then due or cancelled; a campaign call dialled and answered or not).
 * The generator keeps its own account of every contact, the expectation the fold is checked against.
 */

/** What the generator says about one contact at the end of its log. */
export interface ExpectedContact {
  readonly id: string;
  readonly status: ContactLifeStatus;
  /** The queue it is in, or was in last. */
  readonly queueId: string | undefined;
  /** Its agent while connected or held. */
  readonly agentId: string | undefined;
  readonly outcome: string | undefined;
  readonly endedBy: 'agent' | 'caller' | undefined;
}

/** A generated log. */
export interface GeneratedLog {
  /** In sequence and time order, numbered from 1. */
  readonly events: readonly ContactEvent[];
  /** Every contact, in the order it was first seen. */
  readonly contacts: readonly ExpectedContact[];
  readonly agents: readonly string[];
  /** The time of the first and the last event. */
  readonly start: number;
  readonly end: number;
}

/** 2025-01-06 08:00 UTC. */
export const LOG_START = Date.UTC(2025, 0, 6, 8);
const MAX_CONTACTS = 40;
const CHANNELS: readonly Channel[] = ['call', 'email', 'chat'];
const EXIT_REASONS = ['timeout', 'full', 'voicemail', 'callback-requested'] as const;
const DIAL_FAILURES = ['busy', 'no-answer', 'machine', 'failed'] as const;

interface SimContact {
  id: string;
  status: ContactLifeStatus;
  channel: Channel;
  queueId: string | undefined;
  agentId: string | undefined;
  enteredAt: number;
  ringAt: number;
  connectedAt: number;
  heldAt: number | undefined;
  holdMs: number;
  outcome: string | undefined;
  endedBy: 'agent' | 'caller' | undefined;
  /** A call of the campaign `spring`. */
  campaign: boolean;
}

interface SimAgent {
  id: string;
  state: 'ready' | 'reserved' | 'busy' | 'wrap-up';
  /** The contact it rings with, talks to, or wraps up. */
  contactId: string | undefined;
  wrapSince: number;
  /** The queue of the contact it wraps up (the contact may have moved on to another). */
  wrapQueue: string;
}

/** Replays a list of choices into a valid log: each choice picks one of the steps possible then. */
export function simulate(agentCount: number, queueCount: number, choices: readonly number[]): GeneratedLog {
  const events: ContactEvent[] = [];
  const contacts = new Map<string, SimContact>();
  const queues = Array.from({ length: queueCount }, (_, i) => `q${i + 1}`);
  const agents: SimAgent[] = Array.from({ length: agentCount }, (_, i) => ({ id: `a${i + 1}`, state: 'ready', contactId: undefined, wrapSince: 0, wrapQueue: '' }));
  let t = LOG_START;
  const emit = (e: ContactEventInput): void => {
    events.push({ ...e, seq: events.length + 1 });
  };
  const agentState = (a: SimAgent, state: SimAgent['state']): void => {
    emit({ kind: 'agent-state-changed', at: t, agentId: a.id, state, fromState: a.state });
    a.state = state;
  };
  for (const a of agents) emit({ kind: 'agent-state-changed', at: t, agentId: a.id, state: 'ready', fromState: 'logged-out' });
  const end = (c: SimContact, status: ContactLifeStatus, outcome: string, endedBy?: 'agent' | 'caller'): void => {
    c.status = status;
    c.outcome = outcome;
    c.endedBy = endedBy;
  };
  const freeRinging = (c: SimContact): void => {
    const a = agents.find((x) => x.contactId === c.id && x.state === 'reserved');
    if (!a) return;
    a.contactId = undefined;
    agentState(a, 'ready');
  };
  const enter = (c: SimContact, queueId: string, direction: 'inbound' | 'outbound', data: Readonly<Record<string, unknown>>): void => {
    c.status = 'queued';
    c.queueId = queueId;
    c.enteredAt = t;
    emit({ kind: 'queue-entered', at: t, contactId: c.id, queueId, channel: c.channel, direction, priority: 0, data: { data } });
  };
  const newContact = (channel: Channel, status: ContactLifeStatus): SimContact => {
    const c: SimContact = { id: `k${contacts.size + 1}`, status, channel, queueId: undefined, agentId: undefined, enteredAt: t, ringAt: 0, connectedAt: 0, heldAt: undefined, holdMs: 0, outcome: undefined, endedBy: undefined, campaign: status === 'dialing' };
    contacts.set(c.id, c);
    return c;
  };
  const finishTalk = (c: SimContact): { talkMs: number; holdMs: number } => {
    if (c.heldAt !== undefined) c.holdMs += t - c.heldAt;
    c.heldAt = undefined;
    const r = { talkMs: t - c.connectedAt - c.holdMs, holdMs: c.holdMs };
    c.holdMs = 0;
    return r;
  };

  for (const choice of choices) {
    t += 1_000 * (1 + (choice % 7));
    const pick = <T>(xs: readonly T[], salt: number): T => xs[Math.floor(choice / salt) % xs.length]!;
    // First an actor (a new contact, a contact not ended, an agent in wrap-up), then one of its
    // steps; a step listed n times is n times as likely, so that lives progress rather than all end early.
    const actors: Array<Array<() => void>> = [];
    let steps: Array<() => void> = [];
    const actor = (): void => {
      steps = [];
      actors.push(steps);
    };
    const weighted = (n: number, step: () => void): void => {
      for (let i = 0; i < n; i++) steps.push(step);
    };
    const all = [...contacts.values()];
    if (contacts.size < MAX_CONTACTS) {
      actor();
      weighted(3, () => {
        const c = newContact(pick(CHANNELS, 7), 'queued');
        enter(c, pick(queues, 11), 'inbound', { caller: `+32${c.id}` });
      });
      steps.push(() => {
        const c = newContact('callback', 'scheduled');
        c.queueId = pick(queues, 11);
        emit({ kind: 'callback-scheduled', at: t, contactId: c.id, queueId: c.queueId, channel: 'callback', reason: 'scheduled', priority: 0, data: { scheduledAt: t + 60_000, callbackNumber: `+33${c.id}`, data: {} } });
      });
      steps.push(() => {
        const c = newContact('call', 'dialing');
        emit({ kind: 'dial-attempt', at: t, contactId: c.id, queueId: queues[0]!, direction: 'outbound', data: { campaignId: 'spring', target: `t-${c.id}`, attempt: 1 } });
      });
    }
    for (const c of all) {
      if (c.status === 'ended' || c.status === 'wrap-up') continue;
      actor();
      switch (c.status) {
        case 'scheduled':
          weighted(2, () => enter(c, c.queueId!, 'outbound', { callbackNumber: `+33${c.id}`, scheduledAt: t }));
          steps.push(() => {
            emit({ kind: 'callback-completed', at: t, contactId: c.id, queueId: c.queueId!, channel: 'callback', reason: 'cancelled' });
            end(c, 'ended', 'cancelled');
          });
          break;
        case 'dialing':
          weighted(2, () => {
            emit({ kind: 'dial-result', at: t, contactId: c.id, queueId: queues[0]!, reason: 'answered', data: { campaignId: 'spring', target: `t-${c.id}` } });
            enter(c, queues[0]!, 'outbound', { campaignId: 'spring', target: `t-${c.id}`, number: `+34${c.id}` });
          });
          steps.push(() => {
            const reason = pick(DIAL_FAILURES, 13);
            emit({ kind: 'dial-result', at: t, contactId: c.id, queueId: queues[0]!, reason, data: { campaignId: 'spring', target: `t-${c.id}` } });
            end(c, 'ended', reason);
          });
          break;
        case 'queued':
        case 'ringing': {
          const q = c.queueId!;
          if (c.status === 'queued') {
            const ready = agents.filter((a) => a.state === 'ready');
            if (ready.length > 0) {
              weighted(6, () => {
                const a = pick(ready, 17);
                emit({ kind: 'offered', at: t, contactId: c.id, queueId: q, agentId: a.id, channel: c.channel });
                a.contactId = c.id;
                agentState(a, 'reserved');
                c.status = 'ringing';
                c.ringAt = t;
              });
            }
          } else {
            const a = agents.find((x) => x.contactId === c.id && x.state === 'reserved')!;
            steps.push(() => {
              if (choice % 2 === 0) emit({ kind: 'ring-no-answer', at: t, contactId: c.id, queueId: q, agentId: a.id, channel: c.channel, ringMs: t - c.ringAt });
              else emit({ kind: 'rejected', at: t, contactId: c.id, queueId: q, agentId: a.id, channel: c.channel, reason: 'rejected', ringMs: t - c.ringAt });
              freeRinging(c);
              c.status = 'queued';
            });
            weighted(6, () => {
              // A campaign call says so, as the router does (the campaign reports count those that reached an agent).
              const tag = c.campaign ? { data: { campaignId: 'spring', target: `t-${c.id}` } } : {};
              emit({ kind: 'connected', at: t, contactId: c.id, queueId: q, agentId: a.id, channel: c.channel, waitMs: t - c.enteredAt, ringMs: t - c.ringAt, ...tag });
              agentState(a, 'busy');
              c.status = 'connected';
              c.agentId = a.id;
              c.connectedAt = t;
            });
          }
          steps.push(() => {
            freeRinging(c);
            emit({ kind: 'abandoned', at: t, contactId: c.id, queueId: q, channel: c.channel, waitMs: t - c.enteredAt });
            end(c, 'ended', 'abandoned');
          });
          steps.push(() => {
            freeRinging(c);
            const reason = pick(EXIT_REASONS, 19);
            emit({ kind: 'exited', at: t, contactId: c.id, queueId: q, channel: c.channel, reason, waitMs: t - c.enteredAt });
            end(c, 'ended', reason);
          });
          break;
        }
        case 'connected':
        case 'held': {
          const a = agents.find((x) => x.id === c.agentId)!;
          const q = c.queueId!;
          if (c.status === 'connected') {
            steps.push(() => {
              emit({ kind: 'held', at: t, contactId: c.id, queueId: q, agentId: a.id, channel: c.channel });
              c.heldAt = t;
              c.status = 'held';
            });
          } else {
            weighted(2, () => {
              const holdMs = t - c.heldAt!;
              c.holdMs += holdMs;
              c.heldAt = undefined;
              emit({ kind: 'retrieved', at: t, contactId: c.id, queueId: q, agentId: a.id, channel: c.channel, holdMs });
              c.status = 'connected';
            });
          }
          // The agent ends it (or the customer does); a wrap-up follows, or the agent is ready at once.
          weighted(3, () => {
            const by = choice % 2 === 0 ? 'agent' : 'caller';
            emit({ kind: 'completed', at: t, contactId: c.id, queueId: q, agentId: a.id, channel: c.channel, reason: by, ...finishTalk(c) });
            end(c, 'wrap-up', 'completed', by);
            a.wrapSince = t;
            a.wrapQueue = q;
            agentState(a, Math.floor(choice / 3) % 3 === 0 ? 'ready' : 'wrap-up');
            if (a.state === 'ready') a.contactId = undefined;
          });
          if (queues.length > 1) {
            weighted(2, () => {
              const to = queues.find((x) => x !== q)!;
              emit({ kind: 'completed', at: t, contactId: c.id, queueId: q, agentId: a.id, channel: c.channel, reason: 'transferred', ...finishTalk(c) });
              emit({ kind: 'transferred', at: t, contactId: c.id, queueId: to, channel: c.channel, reason: 'agent', data: { fromQueueId: q } });
              c.status = 'queued';
              c.queueId = to;
              a.wrapSince = t;
              a.wrapQueue = q;
              agentState(a, 'wrap-up');
            });
          }
          if (c.channel === 'call') {
            steps.push(() => {
              emit({ kind: 'transferred', at: t, contactId: c.id, agentId: a.id, channel: c.channel, reason: 'outside', data: { destination: '+3299' } });
              emit({ kind: 'completed', at: t, contactId: c.id, queueId: q, agentId: a.id, channel: c.channel, reason: 'transferred-out', ...finishTalk(c) });
              end(c, 'wrap-up', 'transferred-out');
              a.wrapSince = t;
              a.wrapQueue = q;
              agentState(a, 'wrap-up');
            });
          }
          break;
        }
        default:
          break;
      }
    }
    for (const a of agents) {
      if (a.state !== 'wrap-up' || a.contactId === undefined) continue;
      const c = contacts.get(a.contactId)!;
      actor();
      steps.push(() => {
        // A disposition first (sometimes), then the wrap-up ends; the contact has ended if it waits no more.
        if (choice % 2 === 0 && c.status === 'wrap-up') emit({ kind: 'disposition', at: t, contactId: c.id, queueId: a.wrapQueue, agentId: a.id, channel: c.channel, reason: 'solved', data: { note: 'ok' } });
        emit({ kind: 'wrap-up-ended', at: t, contactId: c.id, queueId: a.wrapQueue, agentId: a.id, channel: c.channel, wrapMs: t - a.wrapSince });
        if (c.status === 'wrap-up') c.status = 'ended';
        a.contactId = undefined;
        agentState(a, 'ready');
      });
    }
    if (actors.length === 0) continue;
    const chosen = actors[choice % actors.length]!;
    chosen[Math.floor(choice / 64) % chosen.length]!();
  }
  return {
    events,
    contacts: [...contacts.values()].map((c) => ({ id: c.id, status: c.status, queueId: c.queueId, agentId: c.status === 'connected' || c.status === 'held' ? c.agentId : undefined, outcome: c.outcome, endedBy: c.endedBy })),
    agents: agents.map((a) => a.id),
    start: LOG_START,
    end: t,
  };
}

/** Valid logs of 1–4 agents, 1–3 queues and up to `maxSteps` steps. */
export function contactLogs(maxSteps = 120): fc.Arbitrary<GeneratedLog> {
  return fc
    .record({ agents: fc.integer({ min: 1, max: 4 }), queues: fc.integer({ min: 1, max: 3 }), choices: fc.array(fc.nat({ max: 1_000_000 }), { minLength: 1, maxLength: maxSteps, size: 'max' }) })
    .map(({ agents, queues, choices }) => simulate(agents, queues, choices));
}
