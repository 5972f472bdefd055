import { ContactFigures, type ContactEventInput } from '@caruso/comms';

const s = (n: number) => n * 1_000;

/** A hand-built log: four contacts that count, and every kind of event that must not skew them. */
const events: ContactEventInput[] = [
  // A: answered after 10 s, 60 s talk, 5 s wrap-up, then a disposition.
  { kind: 'queue-entered', at: 0, contactId: 'A', queueId: 'q', channel: 'call' },
  // B: answered after 30 s; a colleague joins and leaves a conference; transferred out of the centre.
  { kind: 'queue-entered', at: 0, contactId: 'B', queueId: 'q', channel: 'call' },
  // E: answered after 5 s, transferred to another queue after 10 s, answered again, 20 s more talk.
  { kind: 'queue-entered', at: 0, contactId: 'E', queueId: 'q', channel: 'call' },
  { kind: 'queue-entered', at: s(5), contactId: 'C', queueId: 'q', channel: 'call' },
  { kind: 'connected', at: s(5), contactId: 'E', queueId: 'q', agentId: 'z', channel: 'call', waitMs: s(5) },
  { kind: 'connected', at: s(10), contactId: 'A', queueId: 'q', agentId: 'x', channel: 'call', waitMs: s(10) },
  { kind: 'completed', at: s(15), contactId: 'E', queueId: 'q', agentId: 'z', channel: 'call', reason: 'transferred', talkMs: s(10), holdMs: 0 },
  { kind: 'transferred', at: s(15), contactId: 'E', queueId: 'q2', channel: 'call', reason: 'agent' },
  { kind: 'queue-entered', at: s(15), contactId: 'E', queueId: 'q2', channel: 'call', waitMs: s(15) },
  // C hangs up after 20 s (a short abandon at a 20 s threshold).
  { kind: 'abandoned', at: s(25), contactId: 'C', queueId: 'q', channel: 'call', waitMs: s(20) },
  { kind: 'connected', at: s(30), contactId: 'B', queueId: 'q', agentId: 'y', channel: 'call', waitMs: s(30) },
  { kind: 'connected', at: s(30), contactId: 'E', queueId: 'q2', agentId: 'w', channel: 'call', waitMs: s(30) },
  { kind: 'conferenced', at: s(40), contactId: 'B', queueId: 'q', agentId: 'v', channel: 'call', reason: 'joined' },
  { kind: 'conferenced', at: s(50), contactId: 'B', queueId: 'q', agentId: 'v', channel: 'call', reason: 'left' },
  { kind: 'completed', at: s(50), contactId: 'E', queueId: 'q2', agentId: 'w', channel: 'call', reason: 'agent', talkMs: s(20), holdMs: 0 },
  { kind: 'completed', at: s(70), contactId: 'A', queueId: 'q', agentId: 'x', channel: 'call', reason: 'agent', talkMs: s(60), holdMs: 0 },
  { kind: 'completed', at: s(70), contactId: 'B', queueId: 'q', agentId: 'y', channel: 'call', reason: 'transferred-out', talkMs: s(40), holdMs: 0 },
  { kind: 'transferred', at: s(70), contactId: 'B', agentId: 'y', channel: 'call', reason: 'outside', data: { destination: '+3212' } },
  { kind: 'wrap-up-ended', at: s(75), contactId: 'A', queueId: 'q', agentId: 'x', channel: 'call', wrapMs: s(5) },
  // Noise: dispositions (with and without a queue or contact), the dialer's events, callbacks.
  { kind: 'disposition', at: s(72), contactId: 'A', queueId: 'q', agentId: 'x', channel: 'call', reason: 'solved' },
  { kind: 'disposition', at: s(73), contactId: 'B', channel: 'call', reason: 'ivr-end' },
  { kind: 'disposition', at: s(74), reason: 'sale', data: { campaignId: 'c', target: 'k1' } },
  { kind: 'dial-attempt', at: s(80), contactId: 'D', queueId: 'q', channel: 'call' },
  { kind: 'dial-result', at: s(85), contactId: 'D', queueId: 'q', channel: 'call', reason: 'no-answer' },
  { kind: 'dial-drop', at: s(86), contactId: 'D2', queueId: 'q', data: { campaignId: 'c' } },
  { kind: 'callback-scheduled', at: s(90), contactId: 'cb', queueId: 'q', channel: 'callback', reason: 'scheduled', data: { scheduledAt: s(900) } },
];

describe('ContactFigures on a hand-computed log', () => {
  it('counts transfers, transfers out and conferences once, and is not skewed by dispositions, dial or callback events', () => {
    const f = new ContactFigures({ thresholdMs: s(20), batches: 0 });
    for (const e of events) f.add(e);
    const r = f.report();
    // Offered A, B, C, E; answered A (10 s), B (30 s), E (5 s); C abandoned at 20 s.
    expect(r).toMatchObject({ offered: 4, answered: 3, handled: 3, abandoned: 1, shortAbandons: 1, exited: {} });
    // Within 20 s: A and E.
    expect(r.serviceLevel.ofAnswered.value).toBeCloseTo(2 / 3, 12);
    expect(r.serviceLevel.ofOffered.value).toBeCloseTo(2 / 4, 12);
    expect(r.serviceLevel.excludingShortAbandons.value).toBeCloseTo(2 / 3, 12);
    // ASA (10 + 30 + 5) / 3 = 15 s; AHT: talk 60 + 40 + (10 + 20) = 130 s and wrap 5 s over 3 handled = 45 s.
    expect(r.asaSeconds.value).toBeCloseTo(15, 12);
    expect(r.ahtSeconds.value).toBeCloseTo(45, 12);
    expect(r.abandonRate.value).toBeCloseTo(1 / 4, 12);
    expect(r.probabilityOfWait.value).toBe(1);
  });

  it('gives the same figures with the noise taken out', () => {
    const noise = new Set(['disposition', 'dial-attempt', 'dial-result', 'dial-drop', 'callback-scheduled', 'conferenced', 'transferred']);
    const all = new ContactFigures({ thresholdMs: s(20), batches: 0 });
    const clean = new ContactFigures({ thresholdMs: s(20), batches: 0 });
    for (const e of events) {
      all.add(e);
      if (!noise.has(e.kind)) clean.add(e);
    }
    expect(all.report()).toEqual(clean.report());
  });
});
