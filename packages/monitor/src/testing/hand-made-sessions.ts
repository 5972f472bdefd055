import { DIALOGUE_MIGRATIONS, StorageSessionStore, type Channel, type SessionState, type SessionStatus } from '@caruso/dialogue';
import type { StorageManager } from '@caruso/storage';
import { DAY, at } from './hand-made-log.js';

/**
 * Hand-made dialogue sessions whose script-report figures were computed by hand (docs/reports.md
 * shows the calculation). Times are on {@link DAY}; the reports are run "as of" the next midnight,
 * with the default 30 min after which an idle active session counts as abandoned.
 */

interface SessionSpec {
  readonly id: string;
  readonly script: string;
  readonly version: string;
  readonly channel: Channel;
  readonly start: number;
  readonly last: number;
  readonly status: SessionStatus;
  /** Node where the session stands (`sub#node` for a node of subscript `sub`). */
  readonly node: string;
  readonly outcome?: string;
  readonly handoff?: { readonly queue: string; readonly reason: 'handoff' | 'fallback' };
}

const specs: SessionSpec[] = [
  // water-ivr 1.0 on the IVR: one completed, two hand-offs (one a fallback), two abandoned
  { id: 's1', script: 'water-ivr', version: '1.0', channel: 'ivr', start: at(9), last: at(9, 2), status: 'ended', node: 'done', outcome: 'meter-read' },
  { id: 's2', script: 'water-ivr', version: '1.0', channel: 'ivr', start: at(9, 10), last: at(9, 11, 30), status: 'handoff', node: 'to-agent', handoff: { queue: 'billing', reason: 'handoff' } },
  { id: 's3', script: 'water-ivr', version: '1.0', channel: 'ivr', start: at(9, 20), last: at(9, 20, 40), status: 'active', node: 'ask-meter' },
  { id: 's4', script: 'water-ivr', version: '1.0', channel: 'ivr', start: at(10), last: at(10, 1), status: 'handoff', node: 'ask-meter', handoff: { queue: 'billing', reason: 'fallback' } },
  { id: 's5', script: 'water-ivr', version: '1.0', channel: 'ivr', start: at(10, 30), last: at(10, 30, 20), status: 'active', node: 'ask-account' },
  // water-ivr 1.1: one completed, one abandoned inside the subscript `identify`
  { id: 's6', script: 'water-ivr', version: '1.1', channel: 'ivr', start: at(11), last: at(11, 3), status: 'ended', node: 'done', outcome: 'meter-read' },
  { id: 's7', script: 'water-ivr', version: '1.1', channel: 'ivr', start: at(11, 10), last: at(11, 10, 30), status: 'active', node: 'identify#ask-pin' },
  // water-web 2.0 on the web: two completed, one abandoned, one still in progress at midnight (idle 5 min)
  { id: 's8', script: 'water-web', version: '2.0', channel: 'web', start: at(9), last: at(9, 5), status: 'ended', node: 'done', outcome: 'payment-plan' },
  { id: 's9', script: 'water-web', version: '2.0', channel: 'web', start: at(12), last: at(12, 4), status: 'ended', node: 'done', outcome: 'meter-read' },
  { id: 's10', script: 'water-web', version: '2.0', channel: 'web', start: at(13), last: at(13, 1), status: 'active', node: 'ask-amount' },
  { id: 's11', script: 'water-web', version: '2.0', channel: 'web', start: at(23, 50), last: at(23, 55), status: 'active', node: 'ask-amount' },
  // water-agent 1.0 run by agents
  { id: 's12', script: 'water-agent', version: '1.0', channel: 'agent', start: at(9, 0, 10), last: at(9, 5, 10), status: 'ended', node: 'close', outcome: 'resolved' },
  { id: 's13', script: 'water-agent', version: '1.0', channel: 'agent', start: at(10, 40), last: at(10, 42), status: 'ended', node: 'close', outcome: 'escalated' },
  // outside a one-day period: the minute before, and the next midnight (the end is exclusive)
  { id: 's14', script: 'water-ivr', version: '1.0', channel: 'ivr', start: DAY - 60_000, last: DAY - 30_000, status: 'ended', node: 'done', outcome: 'meter-read' },
  { id: 's15', script: 'water-ivr', version: '1.0', channel: 'ivr', start: at(24), last: at(24, 1), status: 'active', node: 'ask-meter' },
];

function toState(s: SessionSpec): SessionState {
  const [sub, node] = s.node.includes('#') ? (s.node.split('#') as [string, string]) : [s.script, s.node];
  return {
    id: s.id,
    script: s.script,
    version: s.version,
    hash: `hash-${s.script}-${s.version}`,
    channel: s.channel,
    status: s.status,
    vars: {},
    at: { script: sub, node },
    stack: sub === s.script ? [] : [{ script: s.script, node: 'identify-caller' }],
    counters: {},
    history: [],
    ...(s.outcome !== undefined ? { outcome: s.outcome } : {}),
    ...(s.handoff ? { handoff: { queue: s.handoff.queue, skills: [], reason: s.handoff.reason } } : {}),
    revision: 1,
    createdAt: new Date(s.start).toISOString(),
    updatedAt: new Date(s.last).toISOString(),
  };
}

/** The hand-made sessions, as the dialogue engine persists them. */
export const HAND_MADE_SESSIONS: readonly SessionState[] = specs.map(toState);

/** When the hand-made sessions are judged (the next midnight): s11 is then in progress, s3, s5, s7 and s10 abandoned. */
export const HAND_MADE_SESSIONS_AS_OF = DAY + 86_400_000;

/**
 * Persists sessions through the dialogue engine's own {@link StorageSessionStore} (after its
 * migrations), as the engine would have after their last step.
 */
export async function insertDialogueSessions(storage: StorageManager, sessions: readonly SessionState[]): Promise<void> {
  await storage.migrate(DIALOGUE_MIGRATIONS, { scope: 'dialogue' });
  const store = new StorageSessionStore(storage);
  for (const s of sessions) await store.save(s, undefined);
}
