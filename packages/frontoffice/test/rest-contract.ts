import { checkResponses, recordResponses, type ContractReport, type TestAssembly } from '@caruso/frontoffice/testing';

/** Routes that have no schema yet, named so that the list only shrinks (every route has one now). */
export const ROUTES_WITHOUT_SCHEMA: readonly string[] = [];

/**
 * Records every response of the suite's test clients from its `beforeAll` on (call it before the
 * suite's own `beforeAll`). The function it returns holds them against the assembly's whole
 * OpenAPI document: call it in the suite's last test, so that it sees every response.
 */
export function restContract(): (asm: TestAssembly | undefined) => ContractReport {
  let recording: ReturnType<typeof recordResponses> | undefined;
  beforeAll(() => {
    recording = recordResponses();
  });
  afterAll(() => recording?.stop());
  return (asm) => {
    if (!asm || !recording) throw new Error('the assembly did not start');
    const report = checkResponses(asm.openApi(), recording.responses);
    expect(report.violations).toEqual([]);
    expect(Object.keys(report.unschemed).filter((k) => !ROUTES_WITHOUT_SCHEMA.includes(k))).toEqual([]);
    expect(report.checked).toBeGreaterThan(0);
    return report;
  };
}
