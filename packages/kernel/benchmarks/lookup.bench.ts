// Local lookup and proxy call vs inversify's container.get() and a direct call, in the same run.
import 'reflect-metadata';
import { Container } from 'inversify';
import { createServiceManager, createToken } from '@caruso/kernel';
import { compareNsPerOp, defineBenchmark } from '@caruso/kernel/testing';

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

    const lookups = compareNsPerOp(
      {
        'sm.get()': () => sm.get(Adder),
        'inversify container.get() (constant)': () => container.get<Adder>(ID),
        'inversify container.get() (singleton class)': () => container.get<Adder>(singleton),
      },
      { iterations: 300_000, rounds: 9 },
    );
    const proxy = sm.get(Adder);
    const direct = new AdderImpl();
    let i = 0;
    const calls = compareNsPerOp(
      {
        'proxy call': () => proxy.add(i++, 1),
        'direct call': () => direct.add(i++, 1),
      },
      { iterations: 2_000_000, rounds: 9 },
    );
    await sm.stop();
    const overhead = calls['proxy call']! - calls['direct call']!;
    return [
      {
        name: 'get() lookup',
        value: lookups['sm.get()']!,
        unit: 'ns/op',
        peer: { name: 'inversify container.get()', value: lookups['inversify container.get() (constant)']! },
        goal: 'faster than inversify',
        met: lookups['sm.get()']! < lookups['inversify container.get() (constant)']!,
        note: `inversify singleton class: ${lookups['inversify container.get() (singleton class)']!.toFixed(1)} ns/op`,
      },
      {
        name: 'call through the proxy (incl. metrics)',
        value: calls['proxy call']!,
        unit: 'ns/op',
        peer: { name: 'direct call', value: calls['direct call']! },
        goal: 'overhead < 100 ns',
        met: overhead < 100,
        note: `overhead ${overhead.toFixed(1)} ns per call`,
      },
    ];
  },
});
