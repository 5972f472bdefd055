import type { ContactEvent, ContactEventInput } from '@caruso/comms';

/**
 * The hand-made contact event log whose report figures were computed by hand (docs/reports.md shows
 * the calculation); the tests of every report run on it, on SQLite and PostgreSQL.
 */

/** 2025-01-06 (a Monday), UTC. */
export const DAY = Date.UTC(2025, 0, 6);
/** hh:mm:ss on DAY. */
export const at = (h: number, m = 0, s = 0): number => DAY + ((h * 60 + m) * 60 + s) * 1000;

const events: ContactEventInput[] = [
  // agents (states)
  { kind: 'agent-state-changed', at: at(8), agentId: 'a1', state: 'ready', fromState: 'logged-out' },
  { kind: 'agent-state-changed', at: at(8, 30), agentId: 'a2', state: 'ready', fromState: 'logged-out' },
  // c1: billing call, answered after 10 s by a1, talk 290 s + hold 10 s, wrap-up 30 s
  { kind: 'queue-entered', at: at(9), contactId: 'c1', queueId: 'billing', channel: 'call', direction: 'inbound' },
  { kind: 'connected', at: at(9, 0, 10), contactId: 'c1', queueId: 'billing', agentId: 'a1', channel: 'call', waitMs: 10_000 },
  { kind: 'agent-state-changed', at: at(9, 0, 10), agentId: 'a1', state: 'busy', fromState: 'ready' },
  { kind: 'completed', at: at(9, 5, 10), contactId: 'c1', queueId: 'billing', agentId: 'a1', channel: 'call', reason: 'agent', talkMs: 290_000, holdMs: 10_000 },
  { kind: 'agent-state-changed', at: at(9, 5, 10), agentId: 'a1', state: 'wrap-up', fromState: 'busy' },
  { kind: 'wrap-up-ended', at: at(9, 5, 40), contactId: 'c1', queueId: 'billing', agentId: 'a1', channel: 'call', wrapMs: 30_000 },
  { kind: 'agent-state-changed', at: at(9, 5, 40), agentId: 'a1', state: 'ready', fromState: 'wrap-up' },
  // c2: billing call, answered after 30 s by a2, talk 120 s, wrap-up 10 s
  { kind: 'queue-entered', at: at(9, 10), contactId: 'c2', queueId: 'billing', channel: 'call', direction: 'inbound' },
  { kind: 'connected', at: at(9, 10, 30), contactId: 'c2', queueId: 'billing', agentId: 'a2', channel: 'call', waitMs: 30_000 },
  { kind: 'agent-state-changed', at: at(9, 10, 30), agentId: 'a2', state: 'busy', fromState: 'ready' },
  { kind: 'completed', at: at(9, 12, 30), contactId: 'c2', queueId: 'billing', agentId: 'a2', channel: 'call', reason: 'caller', talkMs: 120_000, holdMs: 0 },
  { kind: 'agent-state-changed', at: at(9, 12, 30), agentId: 'a2', state: 'wrap-up', fromState: 'busy' },
  { kind: 'wrap-up-ended', at: at(9, 12, 40), contactId: 'c2', queueId: 'billing', agentId: 'a2', channel: 'call', wrapMs: 10_000 },
  { kind: 'agent-state-changed', at: at(9, 12, 40), agentId: 'a2', state: 'ready', fromState: 'wrap-up' },
  // c3: billing call, abandoned after 5 s (a short abandon); rang at a1 without answer
  { kind: 'queue-entered', at: at(9, 20), contactId: 'c3', queueId: 'billing', channel: 'call', direction: 'inbound' },
  { kind: 'ring-no-answer', at: at(9, 20, 2), contactId: 'c3', queueId: 'billing', agentId: 'a1', channel: 'call', ringMs: 2_000 },
  { kind: 'abandoned', at: at(9, 20, 5), contactId: 'c3', queueId: 'billing', channel: 'call', waitMs: 5_000 },
  // a2 pauses for a break 10:00–10:15
  { kind: 'agent-state-changed', at: at(10), agentId: 'a2', state: 'paused', fromState: 'ready', reason: 'break' },
  // c4: billing e-mail, abandoned after 40 s
  { kind: 'queue-entered', at: at(10), contactId: 'c4', queueId: 'billing', channel: 'email', direction: 'inbound' },
  { kind: 'abandoned', at: at(10, 0, 40), contactId: 'c4', queueId: 'billing', channel: 'email', waitMs: 40_000 },
  { kind: 'agent-state-changed', at: at(10, 15), agentId: 'a2', state: 'ready', fromState: 'paused' },
  // c5: sales call, times out after 60 s
  { kind: 'queue-entered', at: at(10, 30), contactId: 'c5', queueId: 'sales', channel: 'call', direction: 'inbound' },
  { kind: 'exited', at: at(10, 31), contactId: 'c5', queueId: 'sales', channel: 'call', reason: 'timeout', waitMs: 60_000 },
  // c6: sales chat, answered by a1 after 15 s, transferred to billing, answered there by a2 after 165 s in all
  { kind: 'queue-entered', at: at(10, 40), contactId: 'c6', queueId: 'sales', channel: 'chat', direction: 'inbound' },
  { kind: 'connected', at: at(10, 40, 15), contactId: 'c6', queueId: 'sales', agentId: 'a1', channel: 'chat', waitMs: 15_000 },
  { kind: 'completed', at: at(10, 42, 15), contactId: 'c6', queueId: 'sales', agentId: 'a1', channel: 'chat', reason: 'transferred', talkMs: 120_000, holdMs: 0 },
  { kind: 'transferred', at: at(10, 42, 15), contactId: 'c6', queueId: 'billing', channel: 'chat', reason: 'agent', data: { fromQueueId: 'sales' } },
  { kind: 'wrap-up-ended', at: at(10, 42, 25), contactId: 'c6', queueId: 'sales', agentId: 'a1', channel: 'chat', wrapMs: 10_000 },
  { kind: 'connected', at: at(10, 42, 45), contactId: 'c6', queueId: 'billing', agentId: 'a2', channel: 'chat', waitMs: 165_000 },
  { kind: 'completed', at: at(10, 44, 45), contactId: 'c6', queueId: 'billing', agentId: 'a2', channel: 'chat', reason: 'agent', talkMs: 120_000, holdMs: 0 },
  { kind: 'wrap-up-ended', at: at(10, 45), contactId: 'c6', queueId: 'billing', agentId: 'a2', channel: 'chat', wrapMs: 15_000 },
  // voicemail and callbacks
  { kind: 'voicemail-left', at: at(11), contactId: 'v1', queueId: 'billing', channel: 'call', talkMs: 30_000 },
  { kind: 'voicemail-notified', at: at(11, 0, 1), contactId: 'v1', queueId: 'billing' },
  { kind: 'voicemail-left', at: at(11, 10), contactId: 'v2', queueId: 'billing', channel: 'call', talkMs: 50_000 },
  { kind: 'callback-completed', at: at(11, 30), contactId: 'v1', queueId: 'billing', reason: 'voicemail', waitMs: 1_800_000 },
  { kind: 'callback-scheduled', at: at(11), contactId: 'cb1', queueId: 'sales', channel: 'callback' },
  { kind: 'callback-attempted', at: at(11, 5), contactId: 'cb1', queueId: 'sales', channel: 'callback' },
  { kind: 'callback-completed', at: at(11, 10), contactId: 'cb1', queueId: 'sales', reason: 'answered', waitMs: 600_000 },
  { kind: 'callback-scheduled', at: at(11, 20), contactId: 'cb2', queueId: 'sales', channel: 'callback' },
  // a campaign and dispositions
  { kind: 'campaign-started', at: at(11, 40), data: { campaignId: 'spring', size: 100 } },
  ...[1, 2, 3, 4].map((i): ContactEventInput => ({ kind: 'dial-attempt', at: at(11, 41, i), contactId: `o${i}`, direction: 'outbound', data: { campaignId: 'spring' } })),
  { kind: 'dial-result', at: at(11, 42, 1), contactId: 'o1', reason: 'answered', data: { campaignId: 'spring' } },
  { kind: 'dial-result', at: at(11, 42, 2), contactId: 'o2', reason: 'busy', data: { campaignId: 'spring' } },
  { kind: 'dial-result', at: at(11, 42, 3), contactId: 'o3', reason: 'answered', data: { campaignId: 'spring' } },
  { kind: 'dial-result', at: at(11, 42, 4), contactId: 'o4', reason: 'no-answer', data: { campaignId: 'spring' } },
  { kind: 'dial-drop', at: at(11, 42, 5), contactId: 'o3', data: { campaignId: 'spring' } },
  // spring's answered o1 reaches a1 after 2 s and is wrapped up with a sale; a supervisor marks o2's target a wrong number
  { kind: 'connected', at: at(11, 42, 3), contactId: 'o1', queueId: 'outbound', agentId: 'a1', channel: 'call', waitMs: 2_000, data: { campaignId: 'spring', target: 't1' } },
  { kind: 'disposition', at: at(11, 45), contactId: 'o1', queueId: 'outbound', agentId: 'a1', channel: 'call', reason: 'sale', data: { campaignId: 'spring', target: 't1' } },
  { kind: 'disposition', at: at(11, 46), queueId: 'outbound', reason: 'wrong-number', data: { campaignId: 'spring', target: 't2' } },
  // a second campaign: p1 answered, reaches a2 and is wrapped up (no interest), p2 not answered
  { kind: 'campaign-started', at: at(11, 43), data: { campaignId: 'summer', size: 2 } },
  { kind: 'dial-attempt', at: at(11, 43, 1), contactId: 'p1', direction: 'outbound', data: { campaignId: 'summer' } },
  { kind: 'dial-attempt', at: at(11, 43, 2), contactId: 'p2', direction: 'outbound', data: { campaignId: 'summer' } },
  { kind: 'dial-result', at: at(11, 43, 31), contactId: 'p1', reason: 'answered', data: { campaignId: 'summer' } },
  { kind: 'dial-result', at: at(11, 43, 32), contactId: 'p2', reason: 'no-answer', data: { campaignId: 'summer' } },
  { kind: 'connected', at: at(11, 43, 33), contactId: 'p1', queueId: 'outbound', agentId: 'a2', channel: 'call', waitMs: 2_000, data: { campaignId: 'summer', target: 'u1' } },
  { kind: 'disposition', at: at(11, 47), contactId: 'p1', queueId: 'outbound', agentId: 'a2', channel: 'call', reason: 'no-interest', data: { campaignId: 'summer', target: 'u1' } },
  { kind: 'disposition', at: at(11, 50), contactId: 'c1', agentId: 'a1', reason: 'sale' },
  { kind: 'disposition', at: at(11, 51), contactId: 'c2', agentId: 'a2', reason: 'sale' },
  { kind: 'disposition', at: at(11, 52), contactId: 'c6', agentId: 'a2', reason: 'no-interest' },
  // a1 lunch 12:00–13:00; a2 logs out at 12:00; a1 at 17:00
  { kind: 'agent-state-changed', at: at(12), agentId: 'a1', state: 'paused', fromState: 'ready', reason: 'lunch' },
  { kind: 'agent-state-changed', at: at(12), agentId: 'a2', state: 'logged-out', fromState: 'ready' },
  { kind: 'agent-state-changed', at: at(13), agentId: 'a1', state: 'ready', fromState: 'paused' },
  { kind: 'agent-state-changed', at: at(17), agentId: 'a1', state: 'logged-out', fromState: 'ready' },
  // c7: the next day, outside a one-day period
  { kind: 'queue-entered', at: at(33), contactId: 'c7', queueId: 'billing', channel: 'call', direction: 'inbound' },
  { kind: 'connected', at: at(33, 0, 5), contactId: 'c7', queueId: 'billing', agentId: 'a1', channel: 'call', waitMs: 5_000 },
];

/** The hand-made log, in time order, numbered from 1. */
export const HAND_MADE_LOG: readonly ContactEvent[] = [...events].sort((a, b) => a.at - b.at).map((e, i) => ({ ...e, seq: i + 1 }));
