import { fileURLToPath } from 'node:url';
import { checkErrorCatalogue } from '@caruso/kernel/testing';
import { CommsErrors } from '@caruso/comms';

describe('CommsErrors', () => {
  it('documents every code in docs/errors.md and documents nothing extra', () => {
    const docs = fileURLToPath(new URL('../../../docs/errors.md', import.meta.url));
    expect(checkErrorCatalogue(CommsErrors.codes, docs, 'CARUSO_COMMS_')).toEqual([]);
  });
});
