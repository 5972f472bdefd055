import { CONTACT_EVENT_KINDS, foldContacts, parseContactEvent } from '@caruso/comms';
import { isCarusoError } from '@caruso/kernel';

function reason(raw: unknown): string {
  try {
    parseContactEvent(raw, 5);
  } catch (err) {
    if (isCarusoError(err)) return err.message;
    throw err;
  }
  throw new Error('parseContactEvent accepted a malformed note');
}

describe('note-added (a supervisor\'s private note)', () => {
  const note = { kind: 'note-added', at: 1_000, contactId: 'chat-1', agentId: 'anna', channel: 'chat', data: { from: 'sam', text: 'Ask for the customer number', private: true } };

  it('is a kind of the contract and parses with its typed data', () => {
    expect(CONTACT_EVENT_KINDS).toContain('note-added');
    const e = parseContactEvent(JSON.parse(JSON.stringify(note)), 5);
    expect(e).toMatchObject({ kind: 'note-added', seq: 5, contactId: 'chat-1', data: { from: 'sam', private: true } });
  });

  it('refuses a note without its author, text, private flag, or with fields of another kind', () => {
    expect(reason({ ...note, data: { text: 'x', private: true } })).toMatch(/data\.from is missing/);
    expect(reason({ ...note, data: { from: 'sam', private: true } })).toMatch(/data\.text is missing/);
    expect(reason({ ...note, data: { from: 'sam', text: 'x', private: false } })).toMatch(/data\.private must be true/);
    expect(reason({ ...note, data: undefined })).toMatch(/data is missing/);
    expect(reason({ ...note, talkMs: 3 })).toMatch(/has no field talkMs/);
  });

  it('changes nothing the fold keeps of the contact (notes are read from the log by contact)', () => {
    const entered = { kind: 'queue-entered', at: 900, seq: 1, contactId: 'chat-1', queueId: 'support', channel: 'chat' };
    const before = foldContacts([parseContactEvent(entered)]).get('chat-1');
    const after = foldContacts([parseContactEvent(entered), parseContactEvent(note, 2)]).get('chat-1');
    expect(after).toEqual(before);
  });
});
