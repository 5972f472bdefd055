import { containPromise, createToken, type HealthStatus, type IDisposable, type ServiceContext, type ServiceDefinition, type ServiceLifecycle, type Token } from '@caruso/kernel';
import {
  ChatChannel,
  CommunicationServer,
  EmailChannel,
  isOpen,
  isTimeZone,
  nextOpening,
  seededRandom,
  TelephonyAdapter,
  type RandomSource,
  type SimulatedCaller,
  type Weekday,
  type WeeklyHours,
} from '@caruso/comms';
import { randomBytes } from 'node:crypto';
import { FrontOffice } from '@caruso/frontoffice';
import { BusinessObjects } from '@caruso/objects';
import { UtilityErrors } from '../errors.js';
import { sendDemoMail } from './demo-mail.js';

/** What the demo load has done so far. */
export interface DemoLoadCounts {
  /** Calls placed on the simulated telephone network (or queued directly without one). */
  readonly call: number;
  readonly email: number;
  readonly chat: number;
  /** Contacts the simulated agents finished (disposition given). */
  readonly handled: number;
}

/** The demo load: what keeps contacts coming (and simulated agents working) while the demo runs. */
export interface DemoLoad {
  /** Contacts generated so far, per channel, and those the simulated agents handled. */
  generated(): DemoLoadCounts;
  /** The ids of the simulated agents it added to the communication server. */
  agents(): readonly string[];
}

/** The token of the demo load. */
export const DemoLoad = createToken<DemoLoad>('utility.DemoLoad');

/**
 * The configuration as an assembly's `<service>` passes it (every value a string). See the README
 * of examples/utility for each setting and its default.
 */
export interface DemoLoadConfig {
  readonly callsPerHour?: string | number;
  readonly emailsPerHour?: string | number;
  readonly chatsPerHour?: string | number;
  readonly seed?: string | number;
  readonly lines?: string;
  readonly keys?: string;
  readonly talkSeconds?: string | number;
  readonly patienceSeconds?: string | number;
  readonly agents?: string | number;
  readonly agentQueues?: string;
  readonly agentSkills?: string;
  readonly wrapUpSeconds?: string | number;
  readonly handleSeconds?: string | number;
  readonly dispositions?: string;
  readonly hours?: string;
  readonly timeZone?: string;
  readonly queues?: string;
  readonly emailQueue?: string;
  readonly chatQueue?: string;
  readonly emailTo?: string;
  readonly campaigns?: string;
  readonly campaignAgents?: string | number;
  readonly campaignQueue?: string;
  readonly campaignDispositions?: string;
  readonly version?: string;
}

const KNOWN = new Set<string>([
  'callsPerHour',
  'emailsPerHour',
  'chatsPerHour',
  'seed',
  'lines',
  'keys',
  'talkSeconds',
  'patienceSeconds',
  'agents',
  'agentQueues',
  'agentSkills',
  'wrapUpSeconds',
  'handleSeconds',
  'dispositions',
  'hours',
  'timeZone',
  'queues',
  'emailQueue',
  'chatQueue',
  'emailTo',
  'campaigns',
  'campaignAgents',
  'campaignQueue',
  'campaignDispositions',
  'version',
]);

const bad = (reason: string): Error => UtilityErrors.CARUSO_UTILITY_BAD_CONFIG({ reason });

function number(name: string, value: string | number | undefined, fallback: number, max: number, integer = false): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (value === '' || !Number.isFinite(n) || n < 0 || n > max || (integer && !Number.isInteger(n))) {
    throw bad(`${name} must be a ${integer ? 'whole ' : ''}number from 0 to ${max}, got '${String(value)}'`);
  }
  return n;
}

const words = (text: string): string[] => text.split(/[\s,]+/).filter(Boolean);

/** `+31300000000*6 +31300000003` → the numbers, each repeated by its weight (drawn uniformly). */
function parseLines(text: string): string[] {
  const out: string[] = [];
  for (const w of words(text)) {
    const m = /^(\+?[0-9]{3,15})(?:\*([1-9][0-9]?))?$/.exec(w);
    if (!m) throw bad(`lines: '${w}' is not a number with an optional *weight (e.g. +31300000000*6)`);
    for (let i = 0; i < Number(m[2] ?? 1); i++) out.push(m[1] as string);
  }
  if (out.length === 0) throw bad('lines must name at least one number');
  return out;
}

function parseSkills(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const w of words(text)) {
    const m = /^([a-z][a-z0-9-]*)=([0-9]{1,2})$/.exec(w);
    if (!m) throw bad(`agentSkills: '${w}' must look like dutch=2`);
    out[m[1] as string] = Number(m[2]);
  }
  return out;
}

/** `always`, or `mon-fri 08:30-17:00, sat 09:00-13:00` in `timeZone`. */
function parseHours(text: string, timeZone: string): WeeklyHours | undefined {
  if (text.trim() === 'always') return undefined;
  if (!isTimeZone(timeZone)) throw bad(`timeZone: '${timeZone}' is not a time zone (e.g. Europe/Amsterdam)`);
  const days: Partial<Record<Weekday, Array<readonly [string, string]>>> = {};
  const order: readonly Weekday[] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
  for (const part of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const m = /^(mon|tue|wed|thu|fri|sat|sun)(?:-(mon|tue|wed|thu|fri|sat|sun))?\s+([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$/.exec(part);
    if (!m) throw bad(`hours: '${part}' must look like "mon-fri 08:30-17:00" (or say "always")`);
    const from = order.indexOf(m[1] as Weekday);
    const to = m[2] === undefined ? from : order.indexOf(m[2] as Weekday);
    for (let i = from; i <= to; i++) (days[order[i] as Weekday] ??= []).push([`${m[3]}:${m[4]}`, `${m[5]}:${m[6]}`]);
  }
  return { timeZone, days };
}

interface Options {
  readonly callsPerHour: number;
  readonly emailsPerHour: number;
  readonly chatsPerHour: number;
  readonly seed: number;
  readonly lines: readonly string[];
  readonly keys: readonly string[];
  readonly talkMs: number;
  readonly patienceMs: number;
  readonly agents: number;
  readonly agentQueues: readonly string[];
  readonly agentSkills: Readonly<Record<string, number>>;
  readonly wrapUpMs: number;
  readonly handleMs: number;
  readonly dispositions: readonly string[];
  readonly hours: WeeklyHours | undefined;
  readonly hoursText: string;
  readonly queues: readonly string[];
  readonly emailQueue: string;
  readonly chatQueue: string;
  readonly emailTo: string;
  readonly campaigns: readonly string[];
  readonly campaignAgents: number;
  readonly campaignQueue: string;
  readonly campaignDispositions: readonly string[];
}

interface Person {
  readonly phone: string | null;
  readonly email: string | null;
  readonly customerNumber: string;
  readonly name: string;
}

const SUBJECTS = [
  'Vraag over mijn jaarnota',
  'Meterstand doorgeven',
  'Verhuizing volgende maand',
  'Termijnbedrag aanpassen',
  'Storing in onze straat',
  'Klacht over de afrekening',
  'Overstappen op groene stroom',
];

/** Exponentially distributed with the given mean (the gaps between Poisson arrivals, talk times). */
function exponential(random: RandomSource, mean: number): number {
  return -Math.log(1 - random()) * mean;
}

/**
 * Keeps the demo contact center alive: calls from demo customers dial the company's numbers on the
 * simulated telephone network (Poisson arrivals; they go through the telephone menu with a key
 * chosen at random, wait with a patience, talk for an exponential time once connected), e-mails
 * arrive over SMTP at the e-mail channel and chats open on the chat channel. Simulated agents
 * (`demo-agent-1` …) take contacts alongside the people logged in at the desktop, and give each a
 * disposition after a short wrap-up, so the queues do not grow forever and the reports have data.
 * Outbound campaigns named in `campaigns` are started; simulated campaign agents take their calls.
 * Contacts carry the customer's number or address, so the desktop's screen pop finds the customer.
 * Note: arrivals happen only within `hours` (by the wall clock), like the company's own traffic.
 */
class TelephoneDemoLoad implements DemoLoad, ServiceLifecycle {
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly counts = { call: 0, email: 0, chat: 0, handled: 0 };
  private readonly random: RandomSource;
  private readonly agentIds: string[] = [];
  private readonly campaignAgentIds = new Set<string>();
  private readonly subscriptions: IDisposable[] = [];
  private people: Person[] = [];
  private writers: Person[] = [];
  private callers: Person[] = [];
  private stopped = false;
  private ctx: ServiceContext | undefined;

  constructor(
    private readonly comms: CommunicationServer,
    private readonly objects: BusinessObjects,
    private readonly telephony: TelephonyAdapter | undefined,
    private readonly options: Options,
  ) {
    this.random = seededRandom(options.seed);
  }

  async start(ctx?: ServiceContext): Promise<void> {
    this.ctx = ctx;
    const rows = await this.objects.repository('Customer').query({ orderBy: ['customerNumber'], limit: 500 });
    this.people = rows.map((r) => ({
      phone: (r['phone'] as string | null) ?? null,
      email: (r['email'] as string | null) ?? null,
      customerNumber: String(r['customerNumber']),
      name: String(r['fullName'] ?? r['lastName'] ?? r['customerNumber']),
    }));
    this.writers = this.people.filter((p) => p.email);
    this.callers = this.people.filter((p) => p.phone);
    await this.startAgents();
    this.answerOnDesktop();
    await this.startCampaigns();
    void this.addUsers().catch((err: unknown) => ctx?.logger.warn({ code: (err as { code?: string }).code }, 'demo agents have no user accounts: the wallboard does not count them'));
    this.schedule('call', this.options.callsPerHour, true);
    this.schedule('email', this.options.emailsPerHour, true);
    this.schedule('chat', this.options.chatsPerHour, true);
    const hours = this.options.hours;
    if (hours && !isOpen(hours, this.comms.now())) {
      // Said at the default log level: a newcomer starting the demo at night otherwise sees nothing happen.
      const next = nextOpening(hours, this.comms.now());
      ctx?.logger.warn(
        { hours: this.options.hoursText, timeZone: hours.timeZone, ...(next === undefined ? {} : { from: new Date(next).toISOString() }) },
        `the demo load is quiet outside its hours (${this.options.hoursText}, ${hours.timeZone})${next === undefined ? '' : `; contacts start coming at ${new Date(next).toISOString()}`}`,
      );
    }
    ctx?.logger.info(
      { callsPerHour: this.options.callsPerHour, emailsPerHour: this.options.emailsPerHour, chatsPerHour: this.options.chatsPerHour, agents: this.agentIds.length, telephony: this.placesCalls() },
      'demo load started',
    );
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const s of this.subscriptions) s.dispose();
    this.subscriptions.length = 0;
    // The simulated agents leave; what they hold goes back in line for the people at the desktop.
    for (const id of this.agentIds) await this.comms.logout(id, { force: true }).catch(() => undefined);
  }

  health(): HealthStatus {
    return this.stopped ? { status: 'down', detail: 'stopped' } : { status: 'ok' };
  }

  generated(): DemoLoadCounts {
    return { ...this.counts };
  }

  agents(): readonly string[] {
    return [...this.agentIds];
  }

  private placesCalls(): boolean {
    return typeof (this.telephony as { placeInboundCall?: unknown } | undefined)?.placeInboundCall === 'function';
  }

  private async startAgents(): Promise<void> {
    const known = new Set(this.comms.agents().map((a) => a.id));
    const exists = (q: string): boolean => this.comms.queues().some((s) => s.queueId === q);
    const queues = this.options.agentQueues.filter(exists);
    const add = async (id: string, serves: readonly string[]): Promise<void> => {
      if (!known.has(id)) await this.comms.addAgent({ id, skills: this.options.agentSkills, queues: serves.map((queueId) => ({ queueId })), capacity: { voice: 1, chat: 1, email: 1 } });
      this.agentIds.push(id);
    };
    for (let i = 1; queues.length > 0 && i <= this.options.agents; i++) await add(`demo-agent-${i}`, queues);
    // Campaign agents serve only the campaign queue: the dialer calls customers for them.
    for (let i = 1; exists(this.options.campaignQueue) && i <= this.options.campaignAgents; i++) {
      await add(`demo-campaign-agent-${i}`, [this.options.campaignQueue]);
      this.campaignAgentIds.add(`demo-campaign-agent-${i}`);
    }
    if (this.agentIds.length === 0) return;
    const mine = new Set(this.agentIds);
    // E-mails and chats are accepted after a moment and finished after the handling time; calls are
    // answered by the simulated telephone (the endpoint picks up) and end when the caller hangs up.
    this.subscriptions.push(
      this.comms.onDidOffer((offer) => {
        if (!mine.has(offer.agentId) || offer.channel === 'call') return;
        this.after(1500 + this.random() * 2000, async () => {
          await this.comms.accept(offer.offerId);
          this.after(exponential(this.random, this.options.handleMs), () => this.comms.complete(offer.contactId, 'agent'));
        });
      }),
      this.comms.onDidChangeAgentState((change) => {
        if (!mine.has(change.agentId) || change.state !== 'wrap-up') return;
        this.after(this.options.wrapUpMs * (0.5 + this.random()), () => this.dispose(change.agentId));
      }),
    );
    for (const id of this.agentIds) await this.comms.ready(id);
  }

  /**
   * The wallboard counts the agents of user accounts: each simulated agent gets one, with a password
   * nobody knows (they are not meant to log in). An account from an earlier start stays as it is.
   * The front office may start after the load (it is not a dependency), so this waits for it.
   */
  private async addUsers(): Promise<void> {
    const services = this.ctx?.services;
    if (!services || this.agentIds.length === 0 || services.find(FrontOffice.id).length === 0) return;
    const frontOffice = await services.whenAvailable(FrontOffice, { timeoutMs: 30_000 });
    for (const id of this.agentIds) {
      if (this.stopped) return;
      await frontOffice.addUser({ name: id, role: 'agent', agentId: id }, randomBytes(18).toString('base64url')).catch((err: unknown) => {
        if ((err as { code?: string }).code !== 'CARUSO_FRONTOFFICE_DUPLICATE_USER') throw err;
      });
    }
  }

  /** A channel of the assembly, looked up when needed: channels may start after the load. */
  private channel<T>(token: Token<T>): T | undefined {
    return this.ctx?.services.tryGet(token);
  }

  /**
   * The simulated telephone answers every agent's phone at once, which suits tests; people at the
   * desktop take a call with *Accept* instead. Their phones ring until they accept (or the ring time
   * runs out: ring-no-answer, the call goes back in line), and a call they accepted stops ringing.
   */
  private answerOnDesktop(): void {
    const phone = this.telephony as unknown as { setEndpoint?: (endpoint: string, b: { answers: boolean }) => void; cancelBridge(callId: string, endpoint: string): void } | undefined;
    if (!phone || typeof phone.setEndpoint !== 'function') return;
    const demo = new Set(this.agentIds);
    const people = this.comms.agents().filter((a) => !demo.has(a.id));
    // The telephony channel's default endpoint of an agent without one configured.
    for (const a of people) phone.setEndpoint(`agent:${a.id}`, { answers: false });
    this.subscriptions.push(
      this.comms.onDidConnect((c) => {
        if (c.channel === 'call' && !demo.has(c.agentId)) phone.cancelBridge(c.contactId, c.endpoint ?? `agent:${c.agentId}`);
      }),
    );
  }

  /**
   * Starts the outbound campaigns named in `campaigns` that are not running yet (the dialer keeps to
   * each campaign's own calling hours). A campaign the server does not know is reported, not fatal.
   */
  private async startCampaigns(): Promise<void> {
    const known = new Map(this.comms.campaigns().map((c) => [c.id, c.status]));
    for (const id of this.options.campaigns) {
      const status = known.get(id);
      if (status === undefined) {
        this.ctx?.logger.warn({ campaign: id }, 'the demo load cannot start a campaign the assembly does not declare');
        continue;
      }
      if (status === 'created' || status === 'paused') await this.comms.startCampaign(id);
    }
  }

  /** The simulated agent gives each contact in wrap-up a disposition (and is ready again). */
  private async dispose(agentId: string): Promise<void> {
    for (const w of this.comms.agentWork(agentId).wrapUps) {
      const codes = this.campaignAgentIds.has(agentId) ? this.options.campaignDispositions : this.options.dispositions;
      const code = codes[Math.floor(this.random() * codes.length)] as string;
      await this.comms.wrapUp(agentId, w.contactId, code, { note: 'Gesimuleerd gesprek (demo)' });
      this.counts.handled++;
    }
  }

  /** Runs `fn` later unless the load stopped; a refused step (a contact gone meanwhile) is harmless. */
  private after(ms: number, fn: () => unknown): void {
    if (this.stopped) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (this.stopped) return;
      void Promise.resolve()
        .then(fn)
        .catch((err: unknown) => this.ctx?.logger.debug({ code: (err as { code?: string }).code }, 'demo load step skipped'));
    }, ms);
    timer.unref();
    this.timers.add(timer);
  }

  private schedule(channel: 'call' | 'email' | 'chat', perHour: number, first = false): void {
    if (perHour <= 0 || this.stopped) return;
    // The first contact of each channel comes within seconds, so that a newcomer sees it soon after start.
    const gap = Math.min(exponential(this.random, 3_600_000 / perHour), first ? 2000 + this.random() * 8000 : Infinity);
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      // The communication server's clock: a demo started with `--at` runs in the hours it says.
      const open = this.options.hours === undefined || isOpen(this.options.hours, this.comms.now());
      containPromise('utility.DemoLoad', (open ? this.arrive(channel) : Promise.resolve()).finally(() => this.schedule(channel, perHour)));
    }, gap);
    timer.unref();
    this.timers.add(timer);
  }

  private pick<T>(list: readonly T[]): T | undefined {
    return list.length ? list[Math.floor(this.random() * list.length)] : undefined;
  }

  private async arrive(channel: 'call' | 'email' | 'chat'): Promise<void> {
    if (this.stopped) return;
    // E-mails come from customers with an address, calls from customers with a number.
    const person = this.pick(channel === 'email' ? this.writers : channel === 'call' ? this.callers : this.people) ?? this.pick(this.people);
    try {
      if (channel === 'call') await this.call(person);
      else if (channel === 'email') await this.mail(person);
      else await this.openChat(person);
      this.counts[channel]++;
    } catch (err) {
      // A full or closed queue, a busy mail listener: the demo goes on with the next arrival.
      this.ctx?.logger.debug({ channel, code: (err as { code?: string }).code }, 'demo contact refused');
    }
  }

  private async call(person: Person | undefined): Promise<void> {
    // The network presents a Dutch caller in the national format (0…), while the records keep E.164
    // (+31…): the screen pop and the customer history find them all the same.
    const stored = person?.phone ?? undefined;
    const phone = stored?.startsWith('+31') ? `0${stored.slice(3)}` : stored;
    if (this.placesCalls()) {
      const caller: SimulatedCaller = {
        ...(phone ? { from: phone } : {}),
        to: this.pick(this.options.lines) as string,
        talkMs: Math.max(this.options.talkMs * 0.1, exponential(this.random, this.options.talkMs)),
        ...(this.options.patienceMs > 0 ? { patienceMs: Math.max(this.options.patienceMs * 0.2, exponential(this.random, this.options.patienceMs)) } : {}),
        keys: [this.pick(this.options.keys) ?? ''],
      };
      (this.telephony as unknown as { placeInboundCall(c: SimulatedCaller): string }).placeInboundCall(caller);
      return;
    }
    // Without the simulated telephone (a real SIP adapter): the call enters a queue directly.
    const data: Record<string, unknown> = { demo: true };
    if (phone) data['caller'] = phone;
    if (person) data['customerNumber'] = person.customerNumber;
    await this.comms.enqueue({ channel: 'call', queueId: this.pick(this.options.queues) as string, data });
  }

  private async mail(person: Person | undefined): Promise<void> {
    const subject = this.pick(SUBJECTS) as string;
    const address = this.channel(EmailChannel)?.address();
    if (address && person?.email) {
      await sendDemoMail(address, {
        from: person.email,
        to: this.options.emailTo,
        subject,
        text: `Beste klantenservice,\n\n${subject}. Mijn klantnummer is ${person.customerNumber}.\n\nMet vriendelijke groet,\n${person.name}\n`,
      });
      return;
    }
    const data: Record<string, unknown> = { demo: true, subject };
    if (person?.email) data['from'] = person.email;
    if (person) data['customerNumber'] = person.customerNumber;
    await this.comms.enqueue({ channel: 'email', queueId: this.options.emailQueue, data });
  }

  private async openChat(person: Person | undefined): Promise<void> {
    const subject = this.pick(SUBJECTS) as string;
    const chat = this.channel(ChatChannel);
    if (chat) {
      await chat.openChat({ ...(person ? { customerName: person.name.slice(0, 200), customerKey: person.customerNumber } : {}), subject, queueId: this.options.chatQueue });
      return;
    }
    const data: Record<string, unknown> = { demo: true, subject };
    if (person?.email) data['from'] = person.email;
    if (person) data['customerNumber'] = person.customerNumber;
    await this.comms.enqueue({ channel: 'chat', queueId: this.options.chatQueue, data });
  }
}

type Dependencies = {
  comms: { token: typeof CommunicationServer };
  objects: { token: typeof BusinessObjects };
  telephony: { token: typeof TelephonyAdapter; optional: true };
};

/**
 * The factory an assembly loads: `<service token="utility.DemoLoad" module="dist/index.js"
 * export="demoLoadService">` with `<config name="callsPerHour" value="60"/>` … Depends on the
 * communication server and the business objects (the customers the contacts come from), and uses
 * the simulated telephony adapter, the e-mail channel, the chat channel and the front office (a user
 * account per simulated agent, so the wallboard counts them) when the assembly has them.
 * Throws CARUSO_UTILITY_BAD_CONFIG for an unknown setting or a bad value.
 */
export function demoLoadService(config: DemoLoadConfig = {}): ServiceDefinition<DemoLoad, Dependencies> {
  if (typeof config !== 'object' || config === null) throw bad('expected a configuration object');
  for (const key of Object.keys(config)) {
    if (!KNOWN.has(key)) throw bad(`unknown setting '${key}' (known: ${[...KNOWN].join(', ')})`);
  }
  const seed = Number(config.seed ?? 1);
  if (!Number.isInteger(seed)) throw bad('seed must be a whole number');
  const queues = words(config.queues ?? 'general billing moves');
  if (queues.length === 0) throw bad('queues must name at least one queue');
  const keys = words(config.keys ?? '0 0 0 0 3 3 3 4 4 1 2').map((k) => (k === '-' ? '' : k));
  if (keys.some((k) => !/^[0-9*#]{0,8}$/.test(k))) throw bad("keys are the menu keys a caller presses, e.g. '0 3 4' ('-' for none)");
  const dispositions = words(config.dispositions ?? 'opgelost opgelost opgelost opgelost terugbellen doorverbonden klacht');
  if (dispositions.length === 0 || dispositions.some((d) => !/^[a-z0-9][a-z0-9_-]{0,63}$/i.test(d))) throw bad('dispositions must be wrap-up codes such as opgelost');
  const timeZone = config.timeZone ?? 'Europe/Amsterdam';
  const campaignDispositions = words(config.campaignDispositions ?? 'campagne-nee campagne-nee campagne-ja');
  if (campaignDispositions.length === 0 || campaignDispositions.some((d) => !/^[a-z0-9][a-z0-9_-]{0,63}$/i.test(d))) throw bad('campaignDispositions must be wrap-up codes such as campagne-ja');
  const options: Options = {
    callsPerHour: number('callsPerHour', config.callsPerHour, 60, 360_000),
    emailsPerHour: number('emailsPerHour', config.emailsPerHour, 12, 360_000),
    chatsPerHour: number('chatsPerHour', config.chatsPerHour, 8, 360_000),
    seed,
    lines: parseLines(config.lines ?? '+31300000000*6 +31300000003'),
    keys,
    talkMs: number('talkSeconds', config.talkSeconds, 150, 86_400) * 1000,
    patienceMs: number('patienceSeconds', config.patienceSeconds, 300, 86_400) * 1000,
    agents: number('agents', config.agents, 3, 50, true),
    agentQueues: words(config.agentQueues ?? 'general billing moves'),
    agentSkills: parseSkills(config.agentSkills ?? 'dutch=2 billing=1 moves=1'),
    wrapUpMs: number('wrapUpSeconds', config.wrapUpSeconds, 8, 3600) * 1000,
    handleMs: number('handleSeconds', config.handleSeconds, 120, 86_400) * 1000,
    dispositions,
    hours: parseHours(config.hours ?? 'mon-fri 08:30-17:00', timeZone),
    hoursText: config.hours ?? 'mon-fri 08:30-17:00',
    queues,
    emailQueue: config.emailQueue ?? 'general',
    chatQueue: config.chatQueue ?? 'general',
    emailTo: config.emailTo ?? 'klantenservice@stadsenergie.example',
    campaigns: words(config.campaigns ?? ''),
    campaignAgents: number('campaignAgents', config.campaignAgents, 0, 50, true),
    campaignQueue: config.campaignQueue ?? 'campaigns',
    campaignDispositions,
  };
  return {
    version: config.version ?? '1.1.0',
    properties: { demo: true },
    dependencies: {
      comms: { token: CommunicationServer },
      objects: { token: BusinessObjects },
      // Started before the communication server, so present when the load is created.
      telephony: { token: TelephonyAdapter, optional: true },
    },
    create: ({ comms, objects, telephony }) => new TelephoneDemoLoad(comms, objects, telephony, options),
  };
}
