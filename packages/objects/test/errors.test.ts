import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkErrorCatalogue } from '@caruso/kernel/testing';
import { ObjectsErrors } from './helpers.js';

const docs = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'docs', 'errors.md');

describe('ObjectsErrors catalogue', () => {
  it('documents every code in docs/errors.md and documents nothing extra', () => {
    expect(checkErrorCatalogue(ObjectsErrors.codes, docs, 'CARUSO_OBJECTS_')).toEqual([]);
  });

  it('gives conflicts 409, validation 422 and not-found 404', () => {
    expect(ObjectsErrors.CARUSO_OBJECTS_CONFLICT().status).toBe(409);
    expect(ObjectsErrors.CARUSO_OBJECTS_VALIDATION_FAILED().status).toBe(422);
    expect(ObjectsErrors.CARUSO_OBJECTS_NOT_FOUND().status).toBe(404);
  });
});
