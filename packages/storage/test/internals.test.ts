import { fileURLToPath } from 'node:url';
import { StorageErrors } from '@caruso/storage';
import { checkErrorCatalogue } from '@caruso/kernel/testing';

const docs = fileURLToPath(new URL('../../../docs/errors.md', import.meta.url));

describe('storage error catalogue', () => {
  it('documents every code in docs/errors.md and documents no code that does not exist', () => {
    expect(checkErrorCatalogue(StorageErrors.codes, docs, 'CARUSO_STORAGE_')).toEqual([]);
  });

  it('gives conflicts 409 and unavailability 503', () => {
    expect(StorageErrors.CARUSO_STORAGE_UNIQUE_VIOLATION().status).toBe(409);
    expect(StorageErrors.CARUSO_STORAGE_CONNECTION_LOST().status).toBe(503);
    expect(StorageErrors.CARUSO_STORAGE_CLOSED().kind).toBe('cancel');
  });
});
