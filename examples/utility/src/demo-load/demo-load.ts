import { createToken, type HealthStatus, type ServiceContext, type ServiceDefinition, type ServiceLifecycle } from '@caruso/kernel';
import { CommunicationServer, type Channel } from '@caruso/comms';
import { BusinessObjects } from '@caruso/objects';
import { UtilityErrors } from '../errors.js';

/** The demo load: what keeps contacts coming while the demo runs. */
export interface DemoLoad {
  /** Contacts generated so far, per channel. */
  generated(): Readonly<Record<'call' | 'email' | 'chat', number>>;
}

/** The token of the demo load. */
export const DemoLoad = createToken<DemoLoad>('utility.DemoLoad');

/**
 * The configuration as an assembly's `<service>` passes it (every value a string): `callsPerHour`
 * (default 120), `emailsPerHour` (30), `chatsPerHour` (20), `seed` (1), `queues` (a space-separated
 * list of queues the calls spread over, default `general billing moves`), `emailQueue` and `chatQueue`
 * (default `general`).
 */
export interface DemoLoadConfig {
  readonly callsPerHour?: string | number;
  readonly emailsPerHour?: string | number;
  readonly chatsPerHour?: string | number;
  readonly seed?: string | number;
  readonly queues?: string;
  readonly emailQueue?: string;
  readonly chatQueue?: string;
  readonly version?: string;
}

const KNOWN = new Set(['callsPerHour', 'emailsPerHour', 'chatsPerHour', 'seed', 'queues', 'emailQueue', 'chatQueue', 'version']);

function rate(name: string, value: string | number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n > 360_000) throw UtilityErrors.CARUSO_UTILITY_BAD_CONFIG({ reason: `${name} must be a number from 0 to 360000 per hour` });
  return n;
}

/** A small deterministic generator (mulberry32): the same seed gives the same sequence of contacts. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

interface Options {
  readonly callsPerHour: number;
  readonly emailsPerHour: number;
  readonly chatsPerHour: number;
  readonly seed: number;
  readonly queues: readonly string[];
  readonly emailQueue: string;
  readonly chatQueue: string;
}

/**
 * Puts calls, e-mails and chats from demo customers into the queues with Poisson arrivals, so that
 * the wallboard shows a living contact center. Contacts carry the customer's number or address, so
 * the agent desktop's screen pop finds the customer.
 * Note: calls enter the queues directly (as after the telephone menu); they do not pass through a
 * telephony adapter or the IVR.
 */
class QueueDemoLoad implements DemoLoad, ServiceLifecycle {
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly counts = { call: 0, email: 0, chat: 0 };
  private readonly random: () => number;
  private people: Array<{ phone: string | null; email: string | null; customerNumber: string }> = [];
  private stopped = false;

  constructor(private readonly comms: CommunicationServer, private readonly objects: BusinessObjects, private readonly options: Options) {
    this.random = seeded(options.seed);
  }

  async start(ctx?: ServiceContext): Promise<void> {
    const rows = await this.objects.repository('Customer').query({ orderBy: ['customerNumber'], limit: 500 });
    this.people = rows.map((r) => ({ phone: (r['phone'] as string | null) ?? null, email: (r['email'] as string | null) ?? null, customerNumber: String(r['customerNumber']) }));
    this.schedule('call', this.options.callsPerHour);
    this.schedule('email', this.options.emailsPerHour);
    this.schedule('chat', this.options.chatsPerHour);
    ctx?.logger.info({ callsPerHour: this.options.callsPerHour, emailsPerHour: this.options.emailsPerHour, chatsPerHour: this.options.chatsPerHour, customers: this.people.length }, 'demo load started');
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  health(): HealthStatus {
    return this.stopped ? { status: 'down', detail: 'stopped' } : { status: 'ok' };
  }

  generated(): Readonly<Record<'call' | 'email' | 'chat', number>> {
    return { ...this.counts };
  }

  private schedule(channel: 'call' | 'email' | 'chat', perHour: number): void {
    if (perHour <= 0 || this.stopped) return;
    const gap = -Math.log(1 - this.random()) * (3_600_000 / perHour);
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void this.arrive(channel).finally(() => this.schedule(channel, perHour));
    }, gap);
    timer.unref();
    this.timers.add(timer);
  }

  private async arrive(channel: Channel): Promise<void> {
    if (this.stopped) return;
    const person = this.people.length ? this.people[Math.floor(this.random() * this.people.length)] : undefined;
    const queueId =
      channel === 'email' ? this.options.emailQueue : channel === 'chat' ? this.options.chatQueue : (this.options.queues[Math.floor(this.random() * this.options.queues.length)] as string);
    const data: Record<string, unknown> = { demo: true };
    if (channel === 'call' && person?.phone) data['caller'] = person.phone;
    if (channel !== 'call' && person?.email) data['from'] = person.email;
    if (person) data['customerNumber'] = person.customerNumber;
    try {
      await this.comms.enqueue({ channel, queueId, data });
      this.counts[channel as 'call' | 'email' | 'chat']++;
    } catch {
      // A full or closed queue refuses the contact; the demo goes on with the next arrival.
    }
  }
}

/**
 * The factory an assembly loads: `<service token="utility.DemoLoad" module="dist/index.js"
 * export="demoLoadService">` with `<config name="callsPerHour" value="240"/>` … Depends on the
 * communication server and the business objects (the customers the contacts come from).
 */
export function demoLoadService(config: DemoLoadConfig = {}): ServiceDefinition<DemoLoad, { comms: { token: typeof CommunicationServer }; objects: { token: typeof BusinessObjects } }> {
  if (typeof config !== 'object' || config === null) throw UtilityErrors.CARUSO_UTILITY_BAD_CONFIG({ reason: 'expected a configuration object' });
  for (const key of Object.keys(config)) {
    if (!KNOWN.has(key)) throw UtilityErrors.CARUSO_UTILITY_BAD_CONFIG({ reason: `unknown setting '${key}' (known: ${[...KNOWN].join(', ')})` });
  }
  const seed = Number(config.seed ?? 1);
  if (!Number.isInteger(seed)) throw UtilityErrors.CARUSO_UTILITY_BAD_CONFIG({ reason: 'seed must be a whole number' });
  const queues = (config.queues ?? 'general billing moves').split(/\s+/).filter(Boolean);
  if (queues.length === 0) throw UtilityErrors.CARUSO_UTILITY_BAD_CONFIG({ reason: 'queues must name at least one queue' });
  const options: Options = {
    callsPerHour: rate('callsPerHour', config.callsPerHour, 120),
    emailsPerHour: rate('emailsPerHour', config.emailsPerHour, 30),
    chatsPerHour: rate('chatsPerHour', config.chatsPerHour, 20),
    seed,
    queues,
    emailQueue: config.emailQueue ?? 'general',
    chatQueue: config.chatQueue ?? 'general',
  };
  return {
    version: config.version ?? '1.0.0',
    properties: { demo: true },
    dependencies: { comms: { token: CommunicationServer }, objects: { token: BusinessObjects } },
    create: ({ comms, objects }) => new QueueDemoLoad(comms, objects, options),
  };
}
