import { fileURLToPath } from 'node:url';
import { checkErrorCatalogue } from '@caruso/kernel/testing';
import { FrontOfficeErrors } from '@caruso/frontoffice';

describe('front-office error catalogue', () => {
  it('documents every code in docs/errors.md and documents no code that does not exist', () => {
    const docs = fileURLToPath(new URL('../../../docs/errors.md', import.meta.url));
    expect(checkErrorCatalogue(FrontOfficeErrors.codes, docs, 'CARUSO_FRONTOFFICE_')).toEqual([]);
  });
});
