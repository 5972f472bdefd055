import { fileURLToPath } from 'node:url';
import { CarusoError, defineErrors, isCarusoError, KernelErrors } from '@caruso/kernel';
import { checkErrorCatalogue } from '@caruso/kernel/testing';

const docs = fileURLToPath(new URL('../../../docs/errors.md', import.meta.url));

describe('kernel error catalogue', () => {
  it('documents every code in docs/errors.md and documents no code that does not exist', () => {
    expect(checkErrorCatalogue(KernelErrors.codes, docs, 'CARUSO_KERNEL_')).toEqual([]);
  });

  it('fills the message template and keeps code, status and details', () => {
    const err = KernelErrors.CARUSO_KERNEL_SERVICE_NOT_FOUND({ token: 'billing.Invoices', range: '^2', filter: '(a=b)', registered: 'none' }, { details: { x: 1 } });
    expect(err).toBeInstanceOf(CarusoError);
    expect(err.code).toBe('CARUSO_KERNEL_SERVICE_NOT_FOUND');
    expect(err.status).toBe(404);
    expect(err.message).toBe('no active service matches billing.Invoices (range ^2, filter (a=b)); registered: none');
    expect(err.toJSON()).toEqual({ code: 'CARUSO_KERNEL_SERVICE_NOT_FOUND', message: err.message, details: { x: 1 } });
    expect(isCarusoError(err, 'CARUSO_KERNEL_SERVICE_NOT_FOUND')).toBe(true);
    expect(isCarusoError(new Error('x'))).toBe(false);
  });

  it('rejects codes that do not follow CARUSO_<AREA>_<PROBLEM>', () => {
    expect(() => defineErrors({ NOT_A_CODE: { message: 'x' } })).toThrow(/CARUSO_<AREA>_<PROBLEM>/);
  });

  it('defaults the status from the kind of error', () => {
    const E = defineErrors({ CARUSO_TEST_BUG: { message: 'b', kind: 'bug' }, CARUSO_TEST_USER: { message: 'u' } });
    expect(E.CARUSO_TEST_BUG().status).toBe(500);
    expect(E.CARUSO_TEST_USER().status).toBe(400);
  });
});
