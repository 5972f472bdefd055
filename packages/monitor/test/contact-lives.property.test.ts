import fc from 'fast-check';
import { contactOfEvent, foldContact, foldContacts, openContacts, parseContactEvent, type ContactEvent, type ContactLife } from '@caruso/comms';
import { contactLogs, type GeneratedLog } from './contact-lives.js';

// Property tests of the one contact fold (@caruso/comms) against generated contact lives. They live
// with the monitor because the report properties (reports-fold.property.int.test.ts) share the
// generator, and a package's tests import other packages only through their public entries.

/** A fixed seed (fast-check prints it with a failure); another one: CARUSO_PROPERTY_SEED=<n>. */
const SEED = Number(process.env['CARUSO_PROPERTY_SEED'] ?? 20_250_106);
const RUNS = { seed: SEED, numRuns: 80 };

/** Every step the generator can take, as the kind and reason of an event it writes for it. */
const PATHS = [
  'queue-entered:', 'offered:', 'ring-no-answer:', 'rejected:rejected', 'connected:', 'held:', 'retrieved:', 'conferenced:joined', 'conferenced:left',
  'transferred:agent', 'transferred:overflow', 'transferred:to-agent', 'transferred:outside', 'transferred:lost-on-restart',
  'completed:agent', 'completed:caller', 'completed:transferred', 'completed:transferred-out', 'completed:lost-on-restart', 'wrap-up-ended:',
  'abandoned:', 'exited:timeout', 'exited:full', 'exited:voicemail', 'exited:callback-requested', 'exited:after-hours', 'exited:lost-on-restart',
  'disposition:ivr-end', 'disposition:ivr-hung-up', 'disposition:solved', 'voicemail-left:key', 'voicemail-left:voicemail', 'voicemail-left:after-hours',
  'voicemail-notified:', 'callback-scheduled:scheduled', 'callback-scheduled:keep-place', 'callback-attempted:', 'callback-completed:reached',
  'callback-completed:unreached', 'callback-completed:cancelled', 'dial-attempt:', 'dial-result:answered', 'dial-result:busy', 'dial-result:do-not-call',
  'dial-drop:', 'agent-logged-in:', 'agent-logged-out:', 'agent-state-changed:break',
];

/** Splits a log into each contact's own events (in order), keyed by contact. */
function perContact(events: readonly ContactEvent[]): Map<string, ContactEvent[]> {
  const by = new Map<string, ContactEvent[]>();
  for (const e of events) {
    const id = contactOfEvent(e);
    if (id === undefined) continue;
    by.set(id, [...(by.get(id) ?? []), e]);
  }
  return by;
}

/** Merges streams in an order given by `picks`, keeping each stream's own order. */
function interleave(streams: readonly (readonly ContactEvent[])[], picks: readonly number[]): ContactEvent[] {
  const rest = streams.map((s) => [...s]).filter((s) => s.length > 0);
  const out: ContactEvent[] = [];
  let i = 0;
  while (rest.length > 0) {
    const k = (picks[i++ % Math.max(1, picks.length)] ?? 0) % rest.length;
    out.push(rest[k]!.shift()!);
    if (rest[k]!.length === 0) rest.splice(k, 1);
  }
  return out;
}

/**
 * Whether the fold takes an event into a life (its `seq`): notes of the channel about a contact
 * (a notification sent, a conference, a message left on a call that had exited) change nothing the life holds.
 */
function folded(e: ContactEvent): boolean {
  if (e.kind === 'voicemail-notified' || e.kind === 'conferenced') return false;
  if (e.kind === 'voicemail-left') return e.reason === 'key';
  return true;
}

const sameLives = (a: ReadonlyMap<string, ContactLife>, b: ReadonlyMap<string, ContactLife>): void => {
  expect(new Map([...a].sort(([x], [y]) => (x < y ? -1 : 1)))).toEqual(new Map([...b].sort(([x], [y]) => (x < y ? -1 : 1))));
};

describe('the contact fold over generated contact lives', () => {
  it('generates every path of a life: each kind of step appears in a bounded sample of logs', () => {
    const seen = new Set<string>();
    for (const log of fc.sample(contactLogs(), { seed: SEED, numRuns: 200 })) for (const e of log.events) seen.add(`${e.kind}:${e.reason ?? ''}`);
    expect(PATHS.filter((p) => !seen.has(p))).toEqual([]);
  });

  it('generates only events that satisfy the typed contract', () => {
    fc.assert(
      fc.property(contactLogs(), (log: GeneratedLog) => {
        for (const e of log.events) expect(parseContactEvent(JSON.parse(JSON.stringify(e)))).toEqual(e);
      }),
      { seed: SEED, numRuns: 30 },
    );
  });

  it('is deterministic: one event at a time or all at once, twice, the same lives', () => {
    expect.hasAssertions();
    fc.assert(
      fc.property(contactLogs(), (log) => {
        const all = foldContacts(log.events);
        sameLives(all, foldContacts(log.events));
        const stepwise = new Map<string, ContactLife>();
        for (const e of log.events) {
          const id = contactOfEvent(e);
          if (id === undefined) continue;
          const next = foldContact(stepwise.get(id), e);
          if (next !== undefined) stepwise.set(id, next);
        }
        sameLives(all, stepwise);
      }),
      RUNS,
    );
  });

  it("respects each contact's order only: any interleaving of the contacts' own event streams folds to the same lives", () => {
    expect.hasAssertions();
    fc.assert(
      fc.property(contactLogs(), fc.array(fc.nat(), { minLength: 1, maxLength: 50 }), (log, picks) => {
        const shuffled = interleave([...perContact(log.events).values()], picks);
        const lives = foldContacts(shuffled);
        const expected = foldContacts(log.events);
        // Positions in the line (enteredSeq) follow the seq numbers, which travel with the events.
        sameLives(lives, expected);
      }),
      RUNS,
    );
  });

  it('folds each contact to where the generator left it: status, queue, agent, outcome and who ended it', () => {
    fc.assert(
      fc.property(contactLogs(), (log) => {
        const lives = foldContacts(log.events);
        expect(lives.size).toBe(log.contacts.length);
        for (const c of log.contacts) {
          const life = lives.get(c.id);
          const withAgent = c.status === 'connected' || c.status === 'held';
          const inQueue = c.queueId !== undefined && c.status !== 'dialing';
          const last = [...log.events].reverse().find((e) => contactOfEvent(e) === c.id && folded(e));
          expect({
            id: life?.id, status: life?.status, outcome: life?.outcome, endedBy: life?.endedBy, ended: life?.endedAt !== undefined, seq: life?.seq,
            agentId: withAgent ? life?.agentId : undefined, queueId: inQueue ? life?.queueId : undefined,
          }).toEqual({
            id: c.id, status: c.status, outcome: c.outcome, endedBy: c.endedBy, ended: c.outcome !== undefined, seq: last?.seq,
            agentId: withAgent ? c.agentId : undefined, queueId: inQueue ? c.queueId : undefined,
          });
        }
      }),
      RUNS,
    );
  });

  it('recovery (openContacts) finds exactly the contacts left waiting, connected or scheduled, waiting ones in the order they entered', () => {
    fc.assert(
      fc.property(contactLogs(), (log) => {
        const open = openContacts(log.events);
        const ids = (pred: (s: string) => boolean): string[] => log.contacts.filter((c) => pred(c.status)).map((c) => c.id);
        const firstEntry = (id: string): number => log.events.find((e) => e.kind === 'queue-entered' && e.contactId === id)!.seq;
        expect(open.waiting.map((s) => s.id)).toEqual(ids((s) => s === 'queued' || s === 'ringing').sort((a, b) => firstEntry(a) - firstEntry(b)));
        expect(new Set(open.connected.map((c) => `${c.spec.id}@${c.connectedTo}`))).toEqual(
          new Set(log.contacts.filter((c) => c.status === 'connected' || c.status === 'held').map((c) => `${c.id}@${c.agentId}`)),
        );
        expect(new Set(open.scheduled.map((s) => s.id))).toEqual(new Set(ids((s) => s === 'scheduled')));
        for (const spec of open.waiting) expect(spec.queueId).toBe(log.contacts.find((c) => c.id === spec.id)?.queueId);
      }),
      RUNS,
    );
  });
});
