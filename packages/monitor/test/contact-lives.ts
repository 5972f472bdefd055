import fc from 'fast-check';
import type { AgentState, Channel, ContactEvent, ContactEventInput, ContactLifeStatus } from '@caruso/comms';

/**
 * A generator of valid contact event logs for property tests: many contacts and agents, their lives
 * interleaved in time, each contact going only through the steps the router (acd/queue-router.ts),
 * the telephony channel (telephony/telephony-channel.ts), the dialer and the recovery after a restart
 * really take, with the events they really append, in their order:
 * - inbound calls, chats and e-mails: through the IVR or not (the IVR may end the call, the caller
 *   hang up in it, or choose to leave a message), entering a queue, ringing, answered, held,
 *   conferenced (another agent or an outside party), transferred to another queue, to one agent or
 *   out of the contact center, completed and wrapped up with or without a disposition; moved to
 *   another queue while waiting (overflow); abandoned or exited (a time-out, a full queue, a
 *   voicemail, after hours with a voicemail action, a callback that keeps the caller's place);
 * - callbacks: scheduled for a time and due or cancelled, kept-place callbacks, callbacks of voice
 *   messages; when an agent takes one the channel dials the customer (an attempt, its result, the
 *   customer reached, or not reached and tried again later or given up);
 * - campaign calls dialled and answered, dropped or not reached, a do-not-call number, a
 *   supervisor's disposition of a target;
 * - agents logging in, pausing with a reason and resuming;
 * - a restart (the process died): calls connected are closed as lost, chats and e-mails connected go
 *   back in line, waiting calls are closed as lost and become callbacks that keep their place, every
 *   agent is logged out; agents log in again later;
 * - quality management on calls: a recording started, paused and resumed by the agent, stopped when
 *   the agent's part ends; supervisors monitoring a call (listen, whisper, barge), switching mode and
 *   leaving (a restart loses both without an event).
 * The generator keeps its own account of every contact, the expectation the fold is checked against,
 * and of the figures the fold does not hold (see {@link GeneratedLog.truth}).
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
  readonly queues: readonly string[];
  /** The time of the first and the last event. */
  readonly start: number;
  readonly end: number;
  /** The generator's own account of facts a contact's life does not hold (for the report checks). */
  readonly truth: {
    /** Voice messages left: message id, the queue it was left in, its length, when, and whether a notification was sent. */
    readonly messages: ReadonlyArray<{ readonly id: string; readonly queueId: string; readonly at: number; readonly durationMs: number; readonly notifiedAt: number[] }>;
  };
}

/** 2025-01-06 08:00 UTC (a Monday). */
export const LOG_START = Date.UTC(2025, 0, 6, 8);
/** Starts of generated logs: a Monday morning, and a Sunday just before midnight (so that hours, days and weekdays change within a log). */
export const LOG_STARTS: readonly number[] = [LOG_START, Date.UTC(2025, 0, 5, 23, 52)];
const MAX_CONTACTS = 40;
const CHANNELS: readonly Channel[] = ['call', 'email', 'chat'];
const EXIT_REASONS = ['timeout', 'full', 'voicemail', 'callback-requested'] as const;
const DIAL_FAILURES = ['busy', 'no-answer', 'machine', 'failed'] as const;
const PAUSE_REASONS = ['break', 'training'] as const;
const DISPOSITIONS = ['solved', 'sale', 'call-back-later'] as const;
const SUPERVISORS = ['sara', 'tom'] as const;
const MONITOR_MODES = ['listen', 'whisper', 'barge'] as const;
/** The telephony channel's `callbackAttempts` (3 by default; 2 here, so that callbacks given up occur often enough). */
const CALLBACK_ATTEMPTS = 2;

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
  /** A callback: its number and attempt; the leg to the customer (`dialing` after the attempt, `answered`, `reached` once bridged). */
  callback: { number: string; attempt: number; base: string; leg: 'none' | 'dialing' | 'answered' | 'reached'; data: Record<string, unknown> } | undefined;
  /** Agents in a conference on it. */
  conferees: string[];
  /** The caller's number (a call), for a callback that keeps the place after a restart. */
  caller: string | undefined;
  /** Its recording now (a call is recorded at most once). */
  recording: 'off' | 'on' | 'paused';
  recorded: boolean;
  /** The supervisor monitoring it now, and the mode. */
  monitor: { supervisor: string; mode: string } | undefined;
}

interface SimAgent {
  id: string;
  state: AgentState;
  /** The contact it rings with, talks to, or wraps up. */
  contactId: string | undefined;
  /** The contact it joined in a conference. */
  conferenceOf: string | undefined;
  wrapSince: number;
  /** The queue of the contact it wraps up (the contact may have moved on to another). */
  wrapQueue: string;
}

/** Replays a list of choices into a valid log: each choice picks one of the steps possible then. */
export function simulate(agentCount: number, queueCount: number, choices: readonly number[], start = LOG_START): GeneratedLog {
  const events: ContactEvent[] = [];
  const contacts = new Map<string, SimContact>();
  const messages: Array<{ id: string; queueId: string; at: number; durationMs: number; notifiedAt: number[] }> = [];
  const queues = Array.from({ length: queueCount }, (_, i) => `q${i + 1}`);
  const agents: SimAgent[] = Array.from({ length: agentCount }, (_, i) => ({ id: `a${i + 1}`, state: 'logged-out', contactId: undefined, conferenceOf: undefined, wrapSince: 0, wrapQueue: '' }));
  let t = start;
  let calls = 0;
  const emit = (e: ContactEventInput): void => {
    events.push({ ...e, seq: events.length + 1 });
  };
  const agentState = (a: SimAgent, state: AgentState, reason?: string): void => {
    emit({ kind: 'agent-state-changed', at: t, agentId: a.id, state, fromState: a.state, ...(reason === undefined ? {} : { reason }) });
    a.state = state;
  };
  const login = (a: SimAgent): void => {
    emit({ kind: 'agent-logged-in', at: t, agentId: a.id });
    agentState(a, 'ready');
  };
  for (const a of agents) login(a);
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
  const newContact = (channel: Channel, status: ContactLifeStatus, id = `k${contacts.size + 1}`): SimContact => {
    const c: SimContact = {
      id, status, channel, queueId: undefined, agentId: undefined, enteredAt: t, ringAt: 0, connectedAt: 0, heldAt: undefined, holdMs: 0, outcome: undefined, endedBy: undefined,
      campaign: status === 'dialing', callback: undefined, conferees: [], caller: undefined, recording: 'off', recorded: false, monitor: undefined,
    };
    contacts.set(c.id, c);
    return c;
  };
  const enter = (c: SimContact, queueId: string, direction: 'inbound' | 'outbound', data: Readonly<Record<string, unknown>>, extra: { waitMs?: number; priority?: number } = {}): void => {
    c.status = 'queued';
    c.queueId = queueId;
    c.enteredAt = t - (extra.waitMs ?? 0);
    emit({ kind: 'queue-entered', at: t, contactId: c.id, queueId, channel: c.channel, direction, priority: extra.priority ?? 0, ...(extra.waitMs === undefined ? {} : { waitMs: extra.waitMs }), data: { data } });
  };
  /** A callback contact entering its queue (the router's enqueue of channel `callback`). */
  const enterCallback = (c: SimContact, queueId: string, data: Record<string, unknown>, number: string, extra: { waitMs?: number; priority?: number } = {}): void => {
    const attempt = typeof data['attempt'] === 'number' ? data['attempt'] : 1;
    c.callback = { number, attempt, base: typeof data['callbackId'] === 'string' ? data['callbackId'] : c.id, leg: 'none', data };
    enter(c, queueId, 'outbound', data, extra);
  };
  const finishTalk = (c: SimContact): { talkMs: number; holdMs: number } => {
    if (c.heldAt !== undefined) c.holdMs += t - c.heldAt;
    c.heldAt = undefined;
    const r = { talkMs: t - c.connectedAt - c.holdMs, holdMs: c.holdMs };
    c.holdMs = 0;
    return r;
  };
  /** The router's releaseConferees: after the contact's own completion, each conferenced agent leaves. */
  const releaseConferees = (c: SimContact, q: string): void => {
    for (const id of c.conferees) {
      const b = agents.find((x) => x.id === id)!;
      emit({ kind: 'conferenced', at: t, contactId: c.id, queueId: q, agentId: b.id, channel: c.channel, reason: 'left' });
      b.conferenceOf = undefined;
      agentState(b, 'ready');
    }
    c.conferees = [];
  };
  /** The agent starts the wrap-up of a contact it ended (or is ready at once: a queue without wrap-up time). */
  const startWrap = (a: SimAgent, c: SimContact, q: string, wrap: boolean): void => {
    a.wrapSince = t;
    a.wrapQueue = q;
    a.contactId = wrap ? c.id : undefined;
    agentState(a, wrap ? 'wrap-up' : 'ready');
  };
  /** A voice message left on a call (`reason`: the exit reason, or `key` in the IVR), and its callback contact. */
  const leaveMessage = (callId: string, q: string, reason: string, caller: string, choice: number): void => {
    const id = `vm-${callId}`;
    const durationMs = 3_000 + (choice % 5) * 1_000;
    emit({ kind: 'voicemail-left', at: t, contactId: id, queueId: q, channel: 'call', reason, talkMs: durationMs, data: { callId, durationMs, bytes: durationMs * 16 } });
    messages.push({ id, queueId: q, at: t, durationMs, notifiedAt: [] });
    const vmQueue = queues[queues.length - 1]!;
    const cb = newContact('callback', 'queued', id);
    enterCallback(cb, vmQueue, { caller, callbackNumber: caller, voicemailId: id, originalContactId: callId }, caller);
  };
  /** A waiting call whose caller asked to be called back: the callback keeps the place (requestCallback). */
  const keepPlace = (c: SimContact): SimContact => {
    const q = c.queueId!;
    const cb = newContact('callback', 'scheduled', `${c.id}-cb`);
    emit({ kind: 'callback-scheduled', at: t, contactId: cb.id, queueId: q, channel: 'callback', reason: 'keep-place', data: { originalContactId: c.id } });
    return cb;
  };

  /** The agent's part of a call ends: its recording stops, a supervisor monitoring it leaves. */
  const endQuality = (c: SimContact, q: string, agentId: string): void => {
    if (c.recording !== 'off') {
      emit({ kind: 'recording-stopped', at: t, contactId: c.id, queueId: q, agentId, channel: c.channel, data: { recordingId: `r-${c.id}`, durationMs: 1_000, pausedMs: 0 } });
      c.recording = 'off';
    }
    if (c.monitor) {
      emit({ kind: 'monitoring-stopped', at: t, contactId: c.id, agentId, reason: c.monitor.mode, queueId: q, channel: c.channel, data: { supervisor: c.monitor.supervisor } });
      c.monitor = undefined;
    }
  };

  for (const choice of choices) {
    // Now and then a long pause (the contact center is quiet), so that logs span hours, and rarely a
    // day and a half or two (an e-mail waits until the day after next; agents stay logged in).
    t += choice % 397 === 0 ? 1_000 * (129_600 + (choice % 43_200)) : choice % 41 === 0 ? 1_000 * (600 + (choice % 1_800)) : 1_000 * (1 + (choice % 7));
    const pick = <T>(xs: readonly T[], salt: number): T => xs[Math.floor(choice / salt) % xs.length]!;
    // First an actor (a new contact, a contact not ended, an agent), then one of its steps; a step
    // listed n times is n times as likely, so that lives progress rather than all end early.
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
    const anyLoggedIn = agents.some((a) => a.state !== 'logged-out');
    if (contacts.size < MAX_CONTACTS) {
      actor();
      weighted(3, () => {
        const c = newContact(pick(CHANNELS, 7), 'queued');
        if (c.channel === 'call') c.caller = `+32${c.id}`;
        enter(c, pick(queues, 11), 'inbound', c.channel === 'call' ? { caller: c.caller, dialled: '+3210' } : { from: `${c.id}@example.com` });
      });
      // A call through the IVR: handed to a queue with the collected variables, ended by the script,
      // the caller hanging up in it, or the caller choosing to leave a message.
      steps.push(() => {
        const c = newContact('call', 'queued');
        c.caller = `+35${c.id}`;
        const q = pick(queues, 11);
        const base = { caller: c.caller, dialled: '+3211', ivrSessionId: `s-${c.id}` };
        switch (Math.floor(choice / 13) % 4) {
          case 0:
            enter(c, q, 'inbound', { ...base, account: '42' });
            return;
          case 1:
            emit({ kind: 'disposition', at: t, contactId: c.id, channel: 'call', reason: 'ivr-end', data: { outcome: 'balance-told' } });
            end(c, 'ended', 'ivr-end');
            return;
          case 2:
            emit({ kind: 'disposition', at: t, contactId: c.id, channel: 'call', reason: 'ivr-hung-up' });
            end(c, 'ended', 'ivr-hung-up');
            return;
          default:
            end(c, 'ended', 'voicemail');
            c.queueId = q;
            leaveMessage(c.id, q, 'key', c.caller, choice);
        }
      });
      steps.push(() => {
        const c = newContact('callback', 'scheduled');
        c.queueId = pick(queues, 11);
        c.callback = { number: `+33${c.id}`, attempt: 1, base: c.id, leg: 'none', data: {} };
        emit({ kind: 'callback-scheduled', at: t, contactId: c.id, queueId: c.queueId, channel: 'callback', reason: 'scheduled', priority: 0, data: { scheduledAt: t + 60_000, callbackNumber: c.callback.number, data: {} } });
      });
      steps.push(() => {
        const c = newContact('call', 'dialing', `d${++calls}`);
        emit({ kind: 'dial-attempt', at: t, contactId: c.id, queueId: queues[0]!, direction: 'outbound', data: { campaignId: 'spring', target: `t-${c.id}`, attempt: 1 } });
      });
    }
    // The dialer's events without a contact: a number on the do-not-call list, a supervisor's code for a target.
    if (choice % 4 === 0) actor();
    steps.push(() => emit({ kind: 'dial-result', at: t, queueId: queues[0]!, reason: 'do-not-call', data: { campaignId: 'spring', target: `t-dnc${choice % 5}` } }));
    steps.push(() => emit({ kind: 'disposition', at: t, queueId: queues[0]!, reason: pick(DISPOSITIONS, 3), data: { campaignId: 'spring', target: `t-x${choice % 5}` } }));
    for (const c of all) {
      if (c.status === 'ended' || c.status === 'wrap-up') continue;
      actor();
      switch (c.status) {
        case 'scheduled':
          // Due: the router enqueues it with its data, its number and its time.
          weighted(2, () => enterCallback(c, c.queueId!, { ...c.callback!.data, callbackNumber: c.callback!.number, scheduledAt: t }, c.callback!.number, {}));
          steps.push(() => {
            emit({ kind: 'callback-completed', at: t, contactId: c.id, queueId: c.queueId!, channel: 'callback', reason: 'cancelled' });
            end(c, 'ended', 'cancelled');
          });
          break;
        case 'dialing':
          weighted(2, () => {
            emit({ kind: 'dial-result', at: t, contactId: c.id, queueId: queues[0]!, reason: 'answered', data: { campaignId: 'spring', target: `t-${c.id}` } });
            enter(c, queues[0]!, 'outbound', { campaignId: 'spring', target: `t-${c.id}`, number: `+34${c.id}` }, { priority: 100 });
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
            if (c.campaign) {
              // No agent took the answered campaign call within the drop time: the dialer drops it.
              steps.push(() => {
                emit({ kind: 'dial-drop', at: t, contactId: c.id, queueId: q, data: { campaignId: 'spring', target: `t-${c.id}` } });
                emit({ kind: 'exited', at: t, contactId: c.id, queueId: q, channel: c.channel, reason: 'timeout', waitMs: t - c.enteredAt });
                end(c, 'ended', 'timeout');
              });
            }
            if (queues.length > 1) {
              // The queue's overflow rule (or a supervisor) moves it on; it keeps its age.
              steps.push(() => {
                const to = pick(queues.filter((x) => x !== q), 23);
                emit({ kind: 'transferred', at: t, contactId: c.id, queueId: to, channel: c.channel, reason: 'overflow', data: { fromQueueId: q } });
                c.queueId = to;
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
              if (c.callback) {
                // The telephony channel dials the customer for the agent.
                c.callback.leg = 'dialing';
                emit({ kind: 'callback-attempted', at: t, contactId: c.id, queueId: q, agentId: a.id, channel: 'callback', data: { attempt: c.callback.attempt } });
              }
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
            if (reason === 'callback-requested' && c.caller !== undefined && choice % 3 !== 0) {
              // The caller keeps the place: the callback is logged first, then the call exits, then the callback enters.
              const cb = keepPlace(c);
              emit({ kind: 'exited', at: t, contactId: c.id, queueId: q, channel: c.channel, reason, waitMs: t - c.enteredAt });
              end(c, 'ended', reason);
              enterCallback(cb, q, { caller: c.caller, callbackNumber: c.caller, originalContactId: c.id }, c.caller!, { waitMs: t - c.enteredAt });
              return;
            }
            emit({ kind: 'exited', at: t, contactId: c.id, queueId: q, channel: c.channel, reason, waitMs: t - c.enteredAt });
            end(c, 'ended', reason);
            if (reason === 'voicemail' && c.channel === 'call' && c.caller !== undefined) leaveMessage(c.id, q, reason, c.caller, choice);
          });
          if (c.channel === 'call' && c.caller !== undefined && c.status === 'queued') {
            // After hours, the queue's action sends the caller to voicemail.
            steps.push(() => {
              emit({ kind: 'exited', at: t, contactId: c.id, queueId: q, channel: c.channel, reason: 'after-hours', waitMs: t - c.enteredAt, data: { action: 'voicemail' } });
              end(c, 'ended', 'after-hours');
              leaveMessage(c.id, q, 'after-hours', c.caller!, choice);
            });
          }
          break;
        }
        case 'connected':
        case 'held': {
          const a = agents.find((x) => x.id === c.agentId)!;
          const q = c.queueId!;
          const wrap = Math.floor(choice / 3) % 3 !== 0;
          if (c.callback?.leg === 'dialing') {
            // The customer's phone answers (the channel bridges the agent in), or the dial fails.
            weighted(2, () => {
              emit({ kind: 'dial-result', at: t, contactId: c.id, queueId: q, agentId: a.id, channel: 'callback', reason: 'answered' });
              c.callback!.leg = 'answered';
            });
            weighted(2, () => {
              const result = pick(DIAL_FAILURES, 29);
              const cb = c.callback!;
              emit({ kind: 'dial-result', at: t, contactId: c.id, queueId: q, agentId: a.id, channel: 'callback', reason: result });
              if (cb.attempt >= CALLBACK_ATTEMPTS) {
                emit({ kind: 'callback-completed', at: t, contactId: c.id, queueId: q, agentId: a.id, channel: 'callback', reason: 'unreached', data: { attempts: cb.attempt, lastResult: result } });
              } else {
                const next = newContact('callback', 'scheduled', `${cb.base}-a${cb.attempt + 1}`);
                next.queueId = q;
                const data = { ...cb.data, attempt: cb.attempt + 1, callbackId: cb.base, lastResult: result };
                next.callback = { number: cb.number, attempt: cb.attempt + 1, base: cb.base, leg: 'none', data };
                emit({ kind: 'callback-scheduled', at: t, contactId: next.id, queueId: q, channel: 'callback', reason: 'scheduled', priority: 0, data: { scheduledAt: t + 900_000, callbackNumber: cb.number, data } });
              }
              // The agent is freed: the router completes the contact.
              emit({ kind: 'completed', at: t, contactId: c.id, queueId: q, agentId: a.id, channel: c.channel, reason: 'agent', ...finishTalk(c) });
              endQuality(c, q, a.id);
              end(c, 'wrap-up', result);
              cb.leg = 'none';
              startWrap(a, c, q, wrap);
            });
            break;
          }
          if (c.callback?.leg === 'answered') {
            weighted(3, () => {
              emit({ kind: 'callback-completed', at: t, contactId: c.id, queueId: q, agentId: a.id, channel: 'callback', reason: 'reached' });
              c.callback!.leg = 'reached';
            });
            break;
          }
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
          const voice = c.channel === 'call' || c.channel === 'callback';
          if (voice) {
            // A conference: another agent free to talk joins (and leaves again), or an outside party.
            const free = agents.filter((x) => x.state === 'ready' && x.id !== a.id);
            if (free.length > 0 && c.status === 'connected') {
              steps.push(() => {
                const b = pick(free, 31);
                emit({ kind: 'conferenced', at: t, contactId: c.id, queueId: q, agentId: b.id, channel: c.channel, reason: 'joined' });
                c.conferees.push(b.id);
                b.conferenceOf = c.id;
                agentState(b, 'busy');
              });
            }
            if (c.status === 'connected' && choice % 5 === 0) {
              steps.push(() => emit({ kind: 'conferenced', at: t, contactId: c.id, queueId: q, agentId: a.id, channel: c.channel, reason: 'joined', data: { party: '+3288' } }));
            }
            for (const id of c.conferees) {
              steps.push(() => {
                const b = agents.find((x) => x.id === id)!;
                emit({ kind: 'conferenced', at: t, contactId: c.id, queueId: q, agentId: b.id, channel: c.channel, reason: 'left' });
                c.conferees = c.conferees.filter((x) => x !== id);
                b.conferenceOf = undefined;
                agentState(b, 'ready');
              });
            }
          }
          if (voice) {
            if (c.recording === 'off' && !c.recorded) {
              steps.push(() => {
                emit({ kind: 'recording-started', at: t, contactId: c.id, queueId: q, agentId: a.id, channel: c.channel, data: { recordingId: `r-${c.id}` } });
                c.recording = 'on';
                c.recorded = true;
              });
            } else if (c.recording !== 'off') {
              steps.push(() => {
                const paused = c.recording === 'paused';
                emit({ kind: paused ? 'recording-resumed' : 'recording-paused', at: t, contactId: c.id, queueId: q, agentId: a.id, reason: 'agent', channel: c.channel, data: { recordingId: `r-${c.id}` } });
                c.recording = paused ? 'on' : 'paused';
              });
            }
            if (!c.monitor) {
              steps.push(() => {
                c.monitor = { supervisor: pick(SUPERVISORS, 41), mode: pick(MONITOR_MODES, 43) };
                emit({ kind: 'monitoring-started', at: t, contactId: c.id, agentId: a.id, reason: c.monitor.mode, queueId: q, channel: c.channel, data: { supervisor: c.monitor.supervisor } });
              });
            } else {
              const m = c.monitor;
              steps.push(() => {
                m.mode = pick(MONITOR_MODES.filter((x) => x !== m.mode), 47);
                emit({ kind: 'monitoring-changed', at: t, contactId: c.id, agentId: a.id, reason: m.mode, queueId: q, channel: c.channel, data: { supervisor: m.supervisor } });
              });
              steps.push(() => {
                emit({ kind: 'monitoring-stopped', at: t, contactId: c.id, agentId: a.id, reason: m.mode, queueId: q, channel: c.channel, data: { supervisor: m.supervisor } });
                c.monitor = undefined;
              });
            }
          }
          // The agent ends it (or the customer does); a wrap-up follows, or the agent is ready at once.
          weighted(3, () => {
            const by = choice % 2 === 0 ? 'agent' : 'caller';
            emit({ kind: 'completed', at: t, contactId: c.id, queueId: q, agentId: a.id, channel: c.channel, reason: by, ...finishTalk(c) });
            endQuality(c, q, a.id);
            releaseConferees(c, q);
            end(c, 'wrap-up', 'completed', by);
            startWrap(a, c, q, wrap);
          });
          // Transfers: to another queue (it waits again), to one agent free now, out of the contact center.
          // A callback is not transferred (the channel would dial the customer again).
          if (queues.length > 1 && c.channel !== 'callback') {
            weighted(2, () => {
              const to = pick(queues.filter((x) => x !== q), 37);
              emit({ kind: 'completed', at: t, contactId: c.id, queueId: q, agentId: a.id, channel: c.channel, reason: 'transferred', ...finishTalk(c) });
              endQuality(c, q, a.id);
              releaseConferees(c, q);
              // The router's transferToQueue starts no wrap-up: the agent is free before the contact moves.
              startWrap(a, c, q, false);
              emit({ kind: 'transferred', at: t, contactId: c.id, queueId: to, channel: c.channel, reason: 'agent', data: { fromQueueId: q } });
              c.status = 'queued';
              c.queueId = to;
            });
          }
          const other = agents.filter((x) => x.state === 'ready' && x.id !== a.id && !c.conferees.includes(x.id));
          if (other.length > 0 && c.channel !== 'callback') {
            steps.push(() => {
              const b = pick(other, 43);
              emit({ kind: 'completed', at: t, contactId: c.id, queueId: q, agentId: a.id, channel: c.channel, reason: 'transferred', ...finishTalk(c) });
              endQuality(c, q, a.id);
              releaseConferees(c, q);
              startWrap(a, c, q, wrap);
              emit({ kind: 'transferred', at: t, contactId: c.id, queueId: q, agentId: b.id, channel: c.channel, reason: 'to-agent' });
              emit({ kind: 'offered', at: t, contactId: c.id, queueId: q, agentId: b.id, channel: c.channel });
              b.contactId = c.id;
              agentState(b, 'reserved');
              c.status = 'ringing';
              c.ringAt = t;
            });
          }
          if (voice) {
            steps.push(() => {
              emit({ kind: 'transferred', at: t, contactId: c.id, agentId: a.id, channel: c.channel, reason: 'outside', data: { destination: '+3299' } });
              emit({ kind: 'completed', at: t, contactId: c.id, queueId: q, agentId: a.id, channel: c.channel, reason: 'transferred-out', ...finishTalk(c) });
              endQuality(c, q, a.id);
              releaseConferees(c, q);
              end(c, 'wrap-up', 'transferred-out');
              startWrap(a, c, q, wrap);
            });
          }
          break;
        }
        default:
          break;
      }
    }
    for (const a of agents) {
      if (a.state === 'wrap-up' && a.contactId !== undefined) {
        const c = contacts.get(a.contactId)!;
        actor();
        steps.push(() => {
          // A disposition (sometimes; it ends the wrap-up), or the wrap-up time runs out.
          if (choice % 2 === 0) {
            emit({ kind: 'disposition', at: t, contactId: c.id, queueId: a.wrapQueue, agentId: a.id, channel: c.channel, reason: pick(DISPOSITIONS, 5), data: { note: 'ok', ...(c.campaign ? { campaignId: 'spring', target: `t-${c.id}` } : {}) } });
          }
          emit({ kind: 'wrap-up-ended', at: t, contactId: c.id, queueId: a.wrapQueue, agentId: a.id, channel: c.channel, wrapMs: t - a.wrapSince });
          if (c.status === 'wrap-up') c.status = 'ended';
          a.contactId = undefined;
          agentState(a, 'ready');
        });
      }
      if (a.state === 'ready' && choice % 4 === 1) {
        actor();
        steps.push(() => agentState(a, 'paused', pick(PAUSE_REASONS, 47)));
      }
      if (a.state === 'paused') {
        actor();
        weighted(2, () => agentState(a, 'ready'));
      }
      if (a.state === 'logged-out') {
        actor();
        steps.push(() => login(a));
      }
    }
    // Voice messages not yet notified: the notification mail goes out.
    for (const m of messages) {
      if (m.notifiedAt.length > 0) continue;
      actor();
      steps.push(() => {
        emit({ kind: 'voicemail-notified', at: t, contactId: m.id, queueId: m.queueId, channel: 'call', data: { messageId: `<${m.id}@mail>` } });
        m.notifiedAt.push(t);
      });
    }
    // The process dies and starts again. Not while an offer rings or the dialer waits for a result:
    // the recovery logs nothing that ends such an offer or dial (the contact is put back in line, the
    // dial's result is never logged), so the fold would still show it ringing at the old agent, or dialling.
    if (anyLoggedIn && !all.some((c) => c.status === 'ringing' || c.status === 'dialing') && choice % 3 === 0) {
      actor();
      steps.push(() => {
        for (const c of all) {
          if (c.status !== 'connected' && c.status !== 'held') continue;
          const q = c.queueId!;
          if (c.channel === 'chat' || c.channel === 'email') {
            emit({ kind: 'transferred', at: t, contactId: c.id, queueId: q, agentId: c.agentId!, channel: c.channel, reason: 'lost-on-restart' });
            c.status = 'queued';
            c.heldAt = undefined;
            c.holdMs = 0;
          } else {
            emit({ kind: 'completed', at: t, contactId: c.id, queueId: q, agentId: c.agentId!, channel: c.channel, reason: 'lost-on-restart' });
            end(c, 'wrap-up', 'lost-on-restart');
          }
          c.conferees = [];
          // The process died: the recording and the monitoring end without an event.
          c.recording = 'off';
          c.monitor = undefined;
          if (c.callback) c.callback.leg = 'none';
        }
        for (const a of agents) {
          if (a.state === 'logged-out') continue;
          emit({ kind: 'agent-logged-out', at: t, agentId: a.id });
          a.state = 'logged-out';
          a.contactId = undefined;
          a.conferenceOf = undefined;
        }
        for (const c of all) {
          if (c.status !== 'queued' || c.channel !== 'call') continue;
          const q = c.queueId!;
          emit({ kind: 'exited', at: t, contactId: c.id, queueId: q, channel: 'call', reason: 'lost-on-restart', waitMs: t - c.enteredAt });
          end(c, 'ended', 'lost-on-restart');
          // A campaign call has no caller's number in its data: no callback.
          if (c.caller === undefined) continue;
          const cb = keepPlace(c);
          enterCallback(cb, q, { caller: c.caller, callbackNumber: c.caller, originalContactId: c.id, reason: 'lost-on-restart' }, c.caller, { waitMs: t - c.enteredAt });
        }
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
    queues,
    start,
    end: t,
    truth: { messages },
  };
}

/** Valid logs of 1–4 agents, 1–3 queues and up to `maxSteps` steps. */
export function contactLogs(maxSteps = 120): fc.Arbitrary<GeneratedLog> {
  return fc
    .record({
      agents: fc.integer({ min: 1, max: 4 }),
      queues: fc.integer({ min: 1, max: 3 }),
      start: fc.constantFrom(...LOG_STARTS),
      choices: fc.array(fc.nat({ max: 1_000_000 }), { minLength: 1, maxLength: maxSteps, size: 'max' }),
    })
    .map(({ agents, queues, start, choices }) => simulate(agents, queues, choices, start));
}
