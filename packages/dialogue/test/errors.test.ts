import { fileURLToPath } from 'node:url';
import { DialogueErrors } from '@caruso/dialogue';
import { checkErrorCatalogue } from '@caruso/kernel/testing';

const docs = fileURLToPath(new URL('../../../docs/errors.md', import.meta.url));

describe('dialogue error catalogue', () => {
  it('documents every code in docs/errors.md and documents no code that does not exist', () => {
    expect(checkErrorCatalogue(DialogueErrors.codes, docs, 'CARUSO_DIALOGUE_')).toEqual([]);
  });

  it('gives conflicts and missing sessions their HTTP status', () => {
    expect(DialogueErrors.CARUSO_DIALOGUE_SESSION_CONFLICT({ session: 's', actual: 2, expected: 1 }).status).toBe(409);
    expect(DialogueErrors.CARUSO_DIALOGUE_SESSION_NOT_FOUND({ session: 's' }).status).toBe(404);
  });
});
