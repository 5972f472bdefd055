import { type ContactEvent, type ContactEventInput } from '@caruso/comms';
import { InteractionFold, type InteractionChange } from '@caruso/comms/testing';

const s = (sec: number) => Date.UTC(2025, 0, 6, 8) + sec * 1000;

function fold(events: ContactEventInput[], options: ConstructorParameters<typeof InteractionFold>[0] = {}): InteractionChange[] {
  const f = new InteractionFold(options);
  return events.flatMap((e, i) => f.feed({ ...e, seq: i + 1 } as ContactEvent));
}

describe('InteractionFold (contact event log → interaction records)', () => {
  it('a customer linked while connected is on the record; one linked after the end changes it', () => {
    const changes = fold([
      { kind: 'queue-entered', at: s(0), contactId: 'c1', queueId: 'general', channel: 'chat', direction: 'inbound' },
      { kind: 'connected', at: s(5), contactId: 'c1', queueId: 'general', agentId: 'ann', channel: 'chat', waitMs: 5_000 },
      { kind: 'customer-linked', at: s(10), contactId: 'c1', queueId: 'general', agentId: 'ann', channel: 'chat', reason: 'linked', data: { customer: { object: 'Customer', id: '1' } } },
      { kind: 'completed', at: s(60), contactId: 'c1', queueId: 'general', agentId: 'ann', channel: 'chat', reason: 'agent', talkMs: 55_000 },
      { kind: 'customer-linked', at: s(70), contactId: 'c1', queueId: 'general', agentId: 'ann', channel: 'chat', reason: 'linked', data: { customer: { object: 'Customer', id: '2' } } },
      { kind: 'customer-linked', at: s(75), contactId: 'c1', queueId: 'general', agentId: 'ann', channel: 'chat', reason: 'unlinked' },
    ]);
    expect(changes).toEqual([
      { type: 'ended', seq: 4, record: expect.objectContaining({ contactId: 'c1', customer: { object: 'Customer', id: '1' } }) },
      { type: 'customer', seq: 5, contactId: 'c1', customer: { object: 'Customer', id: '2' } },
      { type: 'customer', seq: 6, contactId: 'c1', customer: undefined },
    ]);
  });

  it('a call transferred between queues and agents is one record with the last queue and agent, and the talk of both', () => {
    const changes = fold([
      { kind: 'queue-entered', at: s(0), contactId: 'k1', queueId: 'general', channel: 'call', direction: 'inbound', data: { data: { caller: '+3211' } } },
      { kind: 'connected', at: s(20), contactId: 'k1', queueId: 'general', agentId: 'ann', channel: 'call', waitMs: 20_000 },
      { kind: 'completed', at: s(80), contactId: 'k1', queueId: 'general', agentId: 'ann', channel: 'call', reason: 'transferred', talkMs: 60_000 },
      { kind: 'transferred', at: s(80), contactId: 'k1', queueId: 'billing', channel: 'call', reason: 'agent' },
      { kind: 'connected', at: s(90), contactId: 'k1', queueId: 'billing', agentId: 'bob', channel: 'call', waitMs: 90_000 },
      { kind: 'completed', at: s(120), contactId: 'k1', queueId: 'billing', agentId: 'bob', channel: 'call', reason: 'caller', talkMs: 30_000 },
      { kind: 'disposition', at: s(130), contactId: 'k1', queueId: 'billing', agentId: 'bob', channel: 'call', reason: 'solved', data: { note: 'ok', customer: { object: 'Customer', id: 7 } } },
    ]);
    expect(changes).toEqual([
      {
        type: 'ended',
        seq: 6,
        record: { contactId: 'k1', channel: 'call', direction: 'inbound', address: '+3211', queueId: 'billing', agentId: 'bob', startedAt: s(0), endedAt: s(120), outcome: 'completed', endedBy: 'caller', waitMs: 20_000, talkMs: 90_000, endSeq: 6 },
      },
      { type: 'disposition', seq: 7, contactId: 'k1', disposition: 'solved', note: 'ok', customer: { object: 'Customer', id: '7' } },
    ]);
  });

  it('campaign dials: an unanswered one ends at its result, an answered one when completed, linked to the target record', () => {
    const changes = fold(
      [
        { kind: 'dial-attempt', at: s(0), contactId: 'd1', queueId: 'out', direction: 'outbound', data: { campaignId: 'green', target: '12', attempt: 1 } },
        { kind: 'dial-result', at: s(20), contactId: 'd1', queueId: 'out', reason: 'busy', data: { campaignId: 'green', target: '12' } },
        { kind: 'dial-attempt', at: s(30), contactId: 'd2', queueId: 'out', direction: 'outbound', data: { campaignId: 'green', target: '13', attempt: 1 } },
        { kind: 'dial-result', at: s(35), contactId: 'd2', queueId: 'out', reason: 'answered', data: { campaignId: 'green', target: '13' } },
        { kind: 'queue-entered', at: s(35), contactId: 'd2', queueId: 'out', channel: 'call', direction: 'outbound', data: { data: { campaignId: 'green', target: '13', number: '+3212' } } },
        { kind: 'dial-drop', at: s(37), contactId: 'd2', queueId: 'out', data: { campaignId: 'green', target: '13' } },
        { kind: 'exited', at: s(37), contactId: 'd2', queueId: 'out', channel: 'call', reason: 'timeout', waitMs: 2_000 },
        { kind: 'dial-result', at: s(40), queueId: 'out', reason: 'do-not-call', data: { campaignId: 'green', target: '14' } },
      ],
      { campaignObject: (id) => (id === 'green' ? 'Contract' : undefined) },
    );
    expect(changes.map((c) => c.type === 'ended' && [c.record.contactId, c.record.outcome, c.record.customer, c.record.address ?? null, c.record.direction, c.record.campaignId])).toEqual([
      ['d1', 'busy', { object: 'Contract', id: '12' }, null, 'outbound', 'green'],
      ['d2', 'timeout', { object: 'Contract', id: '13' }, '+3212', 'outbound', 'green'],
    ]);
  });

  it('calls that end in the IVR, or leave a message there, are recorded; a queued call that exits to voicemail once', () => {
    const changes = fold([
      { kind: 'disposition', at: s(10), contactId: 'k1', channel: 'call', reason: 'ivr-end', data: { outcome: 'self-service' } },
      { kind: 'disposition', at: s(12), contactId: 'k2', channel: 'call', reason: 'ivr-hung-up' },
      { kind: 'voicemail-left', at: s(40), contactId: 'vm-k3-1', queueId: 'general', channel: 'call', reason: 'key', data: { callId: 'k3', durationMs: 9_000 } },
      { kind: 'queue-entered', at: s(50), contactId: 'vm-k3-1', queueId: 'voicemail', channel: 'callback', direction: 'outbound', data: { data: { callbackNumber: '+3213', customerKey: '5' } } },
      { kind: 'queue-entered', at: s(60), contactId: 'k4', queueId: 'general', channel: 'call', direction: 'inbound' },
      { kind: 'exited', at: s(90), contactId: 'k4', queueId: 'general', channel: 'call', reason: 'voicemail', waitMs: 30_000 },
      { kind: 'voicemail-left', at: s(100), contactId: 'vm-k4-1', queueId: 'general', channel: 'call', reason: 'voicemail', data: { callId: 'k4' } },
      { kind: 'completed', at: s(100), contactId: 'x9', queueId: 'general', agentId: 'ann', channel: 'call', reason: 'lost-on-restart' },
    ], { customerObject: 'Klant' });
    expect(changes.map((c) => c.type === 'ended' && [c.record.contactId, c.record.outcome, c.record.endedAt])).toEqual([
      ['k1', 'ivr-end', s(10)],
      ['k2', 'ivr-hung-up', s(12)],
      ['k3', 'voicemail', s(40)],
      ['k4', 'voicemail', s(90)],
    ]);
    // The voicemail's callback contact is still open (not ended yet); its customer comes from customerKey.
    const f = new InteractionFold({ customerObject: 'Klant' });
    f.feed({ seq: 1, kind: 'queue-entered', at: s(0), contactId: 'cb', queueId: 'voicemail', channel: 'callback', direction: 'outbound', data: { data: { callbackNumber: '+3213', customerKey: '5' } } });
    const [ended] = f.feed({ seq: 2, kind: 'completed', at: s(60), contactId: 'cb', queueId: 'voicemail', agentId: 'ann', channel: 'callback', reason: 'agent', talkMs: 50_000 });
    expect(ended).toMatchObject({ record: { channel: 'callback', direction: 'outbound', customer: { object: 'Klant', id: '5' }, address: '+3213', endedBy: 'agent' } });
  });
});
