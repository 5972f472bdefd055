// Local lookup and proxy call vs inversify's container.get() and a direct call, in the same run:
// each figure the median of 9 interleaved rounds (see benchmarks/support/rounds.ts) with its spread.
import 'reflect-metadata';
import { Container } from 'inversify';
import { createServiceManager, createToken } from '@caruso/kernel';
import { defineBenchmark, nsPerOp } from '@caruso/kernel/testing';
import { interleavedRounds, roundsFigure } from '../../../benchmarks/support/rounds.js';

const ROUNDS = 9;

interface Adder {
  add(a: number, b: number): number;
}
const Adder = createToken<Adder>('bench.Adder');

class AdderImpl implements Adder {
  add(a: number, b: number): number {
    return a + b;
  }
}

export default defineBenchmark({
  id: 'kernel.lookup',
  title: 'Service manager: lookup and proxy call (local)',
  async run() {
    const sm = createServiceManager();
    sm.register(Adder, { version: '1.0.0', create: () => new AdderImpl() });
    await sm.start();
    const container = new Container();
    const ID = Symbol('Adder');
    container.bind<Adder>(ID).toConstantValue(new AdderImpl());
    const singleton = Symbol('AdderSingleton');
    container.bind<Adder>(singleton).to(AdderImpl).inSingletonScope();

    const once = (fn: () => unknown, iterations: number) => () => nsPerOp(fn, { iterations, rounds: 1 });
    const lookups = await interleavedRounds(ROUNDS, {
      sm: once(() => sm.get(Adder), 300_000),
      constant: once(() => container.get<Adder>(ID), 300_000),
      singletonClass: once(() => container.get<Adder>(singleton), 300_000),
    });
    const proxy = sm.get(Adder);
    const direct = new AdderImpl();
    let i = 0;
    const calls = await interleavedRounds(ROUNDS, {
      proxy: once(() => proxy.add(i++, 1), 2_000_000),
      direct: once(() => direct.add(i++, 1), 2_000_000),
    });
    await sm.stop();
    const overhead = calls.proxy.median - calls.direct.median;
    const s = lookups.singletonClass;
    return [
      roundsFigure({
        name: 'get() lookup',
        unit: 'ns/op',
        rounds: lookups.sm,
        peer: { name: 'inversify container.get()', rounds: lookups.constant },
        goal: 'faster than inversify',
        met: lookups.sm.median < lookups.constant.median,
        note: `inversify singleton class: ${s.median.toFixed(1)} ns/op (${s.min.toFixed(1)}–${s.max.toFixed(1)})`,
      }),
      roundsFigure({
        name: 'call through the proxy (incl. metrics)',
        unit: 'ns/op',
        rounds: calls.proxy,
        peer: { name: 'direct call', rounds: calls.direct },
        goal: 'overhead < 100 ns',
        met: overhead < 100,
        note: `overhead ${overhead.toFixed(1)} ns per call (difference of the medians)`,
      }),
    ];
  },
});
