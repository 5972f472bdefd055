import { Container, ContainerModule, inject, injectable } from 'inversify';
import { ensureNoDisposablesLeaked } from '@caruso/kernel/testing';
import {
  bindServices,
  createServiceManager,
  createToken,
  isCarusoError,
  serviceIdentifier,
  type ServiceLookup,
  type ServiceManager,
} from '@caruso/kernel';

interface Tariffs {
  pricePerUnit(): number;
  version(): string;
}
const Tariffs = createToken<Tariffs>('test.Tariffs');

interface Quotes {
  quote(units: number): string;
}
const Quotes = createToken<Quotes>('test.Quotes');

function tariffs(version: string, price: number, properties: Record<string, string> = {}) {
  return { version, properties, drainTimeoutMs: 500, create: (): Tariffs => ({ pricePerUnit: () => price, version: () => version }) };
}

/** Static wiring inside a component: a helper class the container builds. */
@injectable()
class Rounding {
  cents(amount: number): number {
    return Math.round(amount * 100);
  }
}

/** A component's class whose constructor receives a service of another component. */
@injectable()
class QuoteDesk implements Quotes {
  constructor(
    @inject(serviceIdentifier(Tariffs)) private readonly tariffs: Tariffs,
    @inject(Rounding) private readonly rounding: Rounding,
  ) {}

  quote(units: number): string {
    return `${this.rounding.cents(units * this.tariffs.pricePerUnit())} ct (tariffs ${this.tariffs.version()})`;
  }
}

/** The container of the Quotes component, wired from the service manager through a ContainerModule. */
function quoteContainer(services: Pick<ServiceLookup, 'get'>): Container {
  const container = new Container();
  container.load(new ContainerModule((options) => bindServices(options, services, [Tariffs])));
  container.bind(Rounding).toSelf().inSingletonScope();
  container.bind(QuoteDesk).toSelf().inSingletonScope();
  return container;
}

describe('the inversify bridge (bindServices)', () => {
  ensureNoDisposablesLeaked({ beforeEach, afterEach, afterAll });
  let sm: ServiceManager;

  beforeEach(async () => {
    sm = createServiceManager();
    sm.register(Tariffs, tariffs('1.0.0', 0.25));
    await sm.start();
  });

  afterEach(async () => {
    await sm.stop();
  });

  it('injects a service of another component into an injectable class’s constructor', () => {
    const desk = quoteContainer(sm).get(QuoteDesk);
    expect(desk.quote(10)).toBe('250 ct (tariffs 1.0.0)');
  });

  it('injects the manager’s live proxy: the object built once follows a hot replacement', async () => {
    const desk = quoteContainer(sm).get(QuoteDesk);
    expect(desk.quote(4)).toBe('100 ct (tariffs 1.0.0)');
    const v2 = sm.register(Tariffs, tariffs('2.0.0', 0.5));
    await v2.ready;
    // Version 1 still drains (a pinned proxy would keep answering from it); the injected one moved on.
    expect(desk.quote(4)).toBe('200 ct (tariffs 2.0.0)');
  });

  it('builds a registered service from a container, and the service follows its dependency’s replacement', async () => {
    sm.register(Quotes, {
      version: '1.0.0',
      dependencies: { tariffs: { token: Tariffs } },
      create: () => quoteContainer(sm).get(QuoteDesk),
    });
    await sm.whenAvailable(Quotes, { timeoutMs: 2000 });
    const quotes = sm.get(Quotes);
    expect(quotes.quote(2)).toBe('50 ct (tariffs 1.0.0)');
    await sm.register(Tariffs, tariffs('1.1.0', 1)).ready;
    expect(quotes.quote(2)).toBe('200 ct (tariffs 1.1.0)');
    expect(sm.find(Quotes.id).map((s) => s.state)).toEqual(['active']);
  });

  it('binds a filtered lookup under its own identifier', async () => {
    await sm.register(Tariffs, { ...tariffs('1.0.0', 9), properties: { market: 'business' }, replaces: false }).ready;
    const Business = Symbol('business tariffs');
    const container = new Container();
    bindServices(container, sm, [Tariffs, { token: Tariffs, options: { filter: '(market=business)' }, id: Business }]);
    expect(container.get<Tariffs>(Business).pricePerUnit()).toBe(9);
    expect(container.get(serviceIdentifier(Tariffs)).pricePerUnit()).toBe(0.25);
  });

  it('names the token when nothing matches, at the time the class is built', () => {
    const container = new Container();
    bindServices(container, sm, [Quotes]);
    let err: unknown;
    try {
      container.get(serviceIdentifier(Quotes));
    } catch (e) {
      err = e;
    }
    expect(isCarusoError(err, 'CARUSO_KERNEL_SERVICE_NOT_FOUND')).toBe(true);
    expect((err as Error).message).toContain('test.Quotes');
  });

  it('refuses an identifier bound twice, and binds nothing', () => {
    const container = new Container();
    expect(() => bindServices(container, sm, [Tariffs, { token: Tariffs, options: { range: '^1' } }])).toThrow(
      /bound twice \(token 'test\.Tariffs'\)/,
    );
    expect(container.isBound(serviceIdentifier(Tariffs))).toBe(false);
  });

  it('gives one identifier per token id, also for a second token object of the same contract', () => {
    expect(serviceIdentifier(createToken<Tariffs>('test.Tariffs'))).toBe(serviceIdentifier(Tariffs));
    expect(serviceIdentifier(Quotes)).not.toBe(serviceIdentifier(Tariffs));
  });
});
