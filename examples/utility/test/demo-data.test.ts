import { demoDataFingerprint, eanCheckDigit, generateDemoData } from '../src/index.js';

describe('the demo-data generator', () => {
  it('is deterministic: the same seed gives the same data, another seed other data', () => {
    const a = generateDemoData({ customers: 500, seed: 11 });
    const b = generateDemoData({ customers: 500, seed: 11 });
    const c = generateDemoData({ customers: 500, seed: 12 });
    expect(demoDataFingerprint(a)).toBe(demoDataFingerprint(b));
    expect(demoDataFingerprint(a)).not.toBe(demoDataFingerprint(c));
    expect(a.customers[0]).toEqual(b.customers[0]);
  });

  it('gives thousands of customers with connections, contracts, readings and invoices by default', () => {
    const d = generateDemoData();
    expect(d.customers).toHaveLength(3000);
    expect(d.connections.length).toBeGreaterThan(3000);
    expect(d.contracts).toHaveLength(d.connections.length);
    expect(d.readings).toHaveLength(d.connections.length * 3);
    expect(d.billing.accounts).toHaveLength(3000);
    expect(d.billing.invoices).toHaveLength(3000 * 6);
    expect(new Set(d.connections.map((c) => c['ean'])).size).toBe(d.connections.length);
  });

  it('makes EAN codes with a valid GS1 check digit', () => {
    for (const c of generateDemoData({ customers: 50 }).connections) {
      const ean = c['ean'] as string;
      expect(ean).toMatch(/^871[0-9]{15}$/);
      expect(ean.slice(17)).toBe(eanCheckDigit(ean.slice(0, 17)));
    }
    expect(eanCheckDigit('87123456789012345')).toBe('1');
  });

  it('keeps each account balance equal to the open amounts of its invoices', () => {
    const d = generateDemoData({ customers: 200, seed: 3 });
    const cents = (m: string | undefined): number => Math.round(Number((m ?? '0').split(' ')[0]) * 100);
    for (const a of d.billing.accounts) {
      const open = d.billing.invoices.filter((i) => i['accountNo'] === a['accountNo']).reduce((s, i) => s + cents(i['open']), 0);
      expect(cents(a['balance'])).toBe(open);
    }
  });

  it('refuses a nonsensical customer count', () => {
    expect(() => generateDemoData({ customers: 0 })).toThrow(RangeError);
  });
});
