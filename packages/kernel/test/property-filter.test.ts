// Regression tests of property filters found by a code review: catastrophic backtracking in
// wildcards, inherited object members taken for properties, blank numbers equal to 0, and a
// registry left half-switched when a binding could not be moved.
import { performance } from 'node:perf_hooks';
import { ensureNoDisposablesLeaked } from '@caruso/kernel/testing';
import { AccessList, createServiceManager, createToken, type ServiceManager } from '@caruso/kernel';

interface Greeter {
  greet(name: string): string;
}
const Greeter = createToken<Greeter>('test.Greeter');

describe('property filters', () => {
  ensureNoDisposablesLeaked({ beforeEach, afterEach, afterAll });
  let sm: ServiceManager;
  beforeEach(async () => {
    sm = createServiceManager({ startTimeoutMs: 500, drainTimeoutMs: 200 });
    sm.register(Greeter, {
      version: '1.0.0',
      properties: { name: 'a'.repeat(40), region: 'NL', n: 0, tags: ['x', 'y'] },
      create: () => ({ greet: (n: string) => `hi ${n}` }),
    });
    await sm.start();
  });
  afterEach(async () => {
    await sm.stop();
  });

  const ids = (filter: string | Record<string, string | number | boolean>): string[] => sm.find('test.Greeter', { filter }).map((s) => s.version);

  describe('wildcards (ReDoS)', () => {
    it('matches a value against many wildcards in linear time, not by backtracking', () => {
      // As a regular expression (^a.*a.*…b$) this takes seconds on 40 characters and doubles with each one more.
      const evil = `(name=${'a*'.repeat(10)}b)`;
      const t0 = performance.now();
      expect(ids(evil)).toEqual([]);
      expect(ids(`(name~=${'A*'.repeat(10)}b)`)).toEqual([]);
      expect(performance.now() - t0).toBeLessThan(100);
    });

    it('still matches wildcards at the start, middle and end, case-insensitively with ~=', () => {
      expect(ids('(name=a*)')).toEqual(['1.0.0']);
      expect(ids('(name=*a)')).toEqual(['1.0.0']);
      expect(ids('(name=a*a*a)')).toEqual(['1.0.0']);
      expect(ids(`(name=${'a'.repeat(20)}*${'a'.repeat(20)})`)).toEqual(['1.0.0']);
      expect(ids(`(name=${'a'.repeat(21)}*${'a'.repeat(20)})`)).toEqual([]); // the parts may not overlap
      expect(ids('(name=a***a)')).toEqual(['1.0.0']); // repeated * collapse
      expect(ids('(region=n*)')).toEqual([]);
      expect(ids('(region~=n*)')).toEqual(['1.0.0']);
      expect(ids('(tags=*y)')).toEqual(['1.0.0']);
      expect(ids('(name=b*)')).toEqual([]);
      expect(ids('(region=N\\*)')).toEqual([]); // an escaped * is a character
    });

    it('matches access-list patterns without regular expressions too', () => {
      const list = new AccessList([{ principal: 'p', secret: 'secret-0123456789abcdef', call: ['billing.*', '*.Public', 'a*b*c'] }]);
      expect(list.allows('p', 'call', 'billing.Invoices')).toBe(true);
      expect(list.allows('p', 'call', 'crm.Public')).toBe(true);
      expect(list.allows('p', 'call', 'axxbyyc')).toBe(true);
      expect(list.allows('p', 'call', 'crm.Private')).toBe(false);
      expect(list.allows('p', 'call', 'billingXInvoices')).toBe(false);
      const evil = new AccessList([{ principal: 'p', secret: 'secret-0123456789abcdef', call: [`${'a*'.repeat(10)}b`] }]);
      const t0 = performance.now();
      expect(evil.allows('p', 'call', 'a'.repeat(40))).toBe(false);
      expect(performance.now() - t0).toBeLessThan(100);
    });
  });

  describe('inherited members are not properties', () => {
    it.each(['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf'])('%s is neither present nor equal to anything', (key) => {
      expect(ids(`(${key}=*)`)).toEqual([]);
      expect(ids(`(${key}=x*)`)).toEqual([]);
      expect(ids(`(${key}~=function*)`)).toEqual([]);
      expect(ids(`(!(${key}=*))`)).toEqual(['1.0.0']);
      expect(ids(`(${key}>=a)`)).toEqual([]);
      expect(ids({ [key]: 'x' })).toEqual([]);
      expect(sm.tryGet(Greeter, { filter: `(${key}=*)` })).toBeUndefined();
    });

    it('does not cache a binding for a lookup that matched nothing', () => {
      const internals = sm as unknown as { bindingCache: Map<string, unknown> };
      const before = internals.bindingCache.size;
      for (let i = 0; i < 20; i++) expect(sm.tryGet(Greeter, { filter: `(missing=${i})` })).toBeUndefined();
      expect(() => sm.get(Greeter, { filter: '(constructor=*)' })).toThrow(expect.objectContaining({ code: 'CARUSO_KERNEL_SERVICE_NOT_FOUND' }));
      expect(internals.bindingCache.size).toBe(before);
      // A lookup that succeeds is still cached (stable proxies).
      expect(sm.get(Greeter, { filter: '(region=NL)' })).toBe(sm.get(Greeter, { filter: '(region=NL)' }));
    });
  });

  it('does not take a blank number for 0', () => {
    expect(ids('(n=0)')).toEqual(['1.0.0']);
    expect(ids('(n=)')).toEqual([]);
    expect(ids('(n= )')).toEqual([]);
    expect(ids('(n<=)')).toEqual([]);
    expect(ids('(n>= )')).toEqual([]);
  });

  it('moves every proxy on a replacement even when the new implementation cannot be listed (reselect is robust)', async () => {
    const proxy = sm.get(Greeter);
    const target = { greet: (n: string) => `v2 ${n}` };
    const v2 = sm.register(Greeter, {
      version: '2.0.0',
      properties: { name: 'a'.repeat(40), region: 'NL', n: 0, tags: ['x', 'y'] },
      // An implementation whose members cannot be enumerated (a foreign proxy object).
      create: () =>
        new Proxy(target, {
          ownKeys() {
            throw new Error('not enumerable');
          },
        }),
    });
    await v2.ready;
    expect(proxy.greet('Ann')).toBe('v2 Ann');
    for (let i = 0; i < 100 && sm.find('test.Greeter').length > 1; i++) await new Promise((r) => setTimeout(r, 10)); // v1 drains
    expect(sm.find('test.Greeter').map((s) => `${s.version}:${s.state}`)).toEqual(['2.0.0:active']);
  });
});
