import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { AccessList, createServiceManager, createToken, RemoteEndpoint, type Logger, type ServiceDefinition, type ServiceInfo, type ServiceManager } from '@caruso/kernel';
import { StorageManager, storageService } from '@caruso/storage';
import { BusinessObjects, businessObjectsService } from '@caruso/objects';
import { DialogueEngine, dialogueEngineService } from '@caruso/dialogue';
import {
  ChatChannel,
  chatChannel,
  CommunicationServer,
  commsService,
  ContactEventLog,
  contactEventLogService,
  EmailChannel,
  emailChannel,
  OutboundMail,
  simulatedTelephonyService,
  SimulatedTelephony,
  SipTelephonyAdapter,
  sipTelephonyService,
  systemClock,
  telephonyWithSimulationService,
  smtpRelayMail,
  TelephonyAdapter,
  usersFromEnvironment,
  type AgentConfig,
  type IvrEntryPoint,
  type SipTelephonyOptions,
  type CampaignSettings,
  type Clock,
  type OverflowRule,
  type QueueAction,
  type QueueConfig,
  type RecordingSettings,
  type RoutingStrategy,
  type VoicemailSettings,
  type Weekday,
  type WeeklyHours,
} from '@caruso/comms';
import { Monitor, monitorService, type AlertDefinition } from '@caruso/monitor';
import { FrontOffice, frontOfficeService } from '@caruso/frontoffice';
import type { Assembly, AssemblyRecording } from './assembly-file.js';

/** A running assembly. */
export interface RunningAssembly {
  readonly manager: ServiceManager;
  readonly endpoint: RemoteEndpoint;
  /** Remote endpoint address. */
  readonly managerUrl: string;
  /** The administrator access token when it was generated for this run (print it once). */
  readonly generatedAccessToken: string | undefined;
  /** Parts of the assembly this version declares but does not start (said at start-up). */
  readonly notStarted: readonly string[];
  /** The services marked `run="simulate"` left out because the assembly runs without simulation. */
  readonly simulationOnly: readonly string[];
  /** The front office's address, when the assembly has an application. */
  readonly frontOfficeUrl: string | undefined;
  /** Where phones and trunks reach the SIP adapter (`sip:<host>:<port>`), when the assembly has `<sip>`. */
  readonly sipAddress: string | undefined;
  /** Users created on this start whose password was generated (print once; they are not stored in clear). */
  readonly generatedPasswords: ReadonlyArray<{ readonly name: string; readonly role: string; readonly password: string }>;
  /** Users created on this start. */
  readonly createdUsers: readonly string[];
  /** Every service with its state. */
  services(): ServiceInfo[];
  /** Stops everything in reverse dependency order. */
  stop(): Promise<void>;
}

/** Options of {@link startAssembly}. */
export interface StartAssemblyOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly logger?: Logger;
  /** Start time-out per service (default 30 s: migrations of a large model take time). */
  readonly startTimeoutMs?: number;
  /** The clock of the communication server and the monitor (tests pin opening hours with it). Default: the system clock. */
  readonly clock?: Clock;
  /**
   * The simulated telephony adapter to use (tests keep it to place calls). Default: a new one. With
   * `<sip>` it is used only with {@link simulate}, beside the SIP adapter.
   */
  readonly telephony?: SimulatedTelephony;
  /**
   * Simulation (`caruso start --simulate`): the services marked `run="simulate"` (load generators)
   * start too, and with `<sip>` the simulated telephone network runs beside the SIP adapter
   * (TelephonyWithSimulation): real callers get the IVR, simulated calls keep coming.
   */
  readonly simulate?: boolean;
}

/** Error thrown when a service of the assembly cannot start; names every failed service. */
export class AssemblyStartError extends Error {
  override readonly name = 'AssemblyStartError';
  constructor(readonly failures: ReadonlyArray<{ readonly token: string; readonly message: string }>) {
    super(`the assembly did not start:\n${failures.map((f) => `  ${f.token}: ${f.message}`).join('\n')}`);
  }
}

const STRATEGIES: readonly RoutingStrategy[] = ['ring-all', 'longest-idle', 'least-recent', 'fewest-contacts', 'round-robin', 'random', 'linear', 'weighted-random'];

/** Translates the assembly's queues (seconds, DTD names) into the router's configuration. */
export function toQueueConfigs(assembly: Assembly): QueueConfig[] {
  return assembly.queues.map((q) => {
    const overflow: OverflowRule[] = q.overflow.map((o) => {
      const afterMs = o.afterS * 1000;
      if (o.action === 'widen') return { afterMs, action: 'widen-skills' };
      if (o.action === 'move') return { afterMs, action: 'move', queueId: o.target as string };
      return { afterMs, action: o.action };
    });
    const strategy = STRATEGIES.find((s) => s === q.strategy) ?? 'longest-idle';
    const afterHours: QueueAction | undefined = q.hours
      ? q.hours.afterHours === 'queue' && q.hours.target
        ? { action: 'queue', queueId: q.hours.target }
        : q.hours.afterHours === 'voicemail'
          ? { action: 'voicemail' }
          : { action: 'message', prompt: 'We are closed. Please call again during opening hours.' }
      : undefined;
    return {
      id: q.id,
      ...(q.label === undefined ? {} : { label: q.label }),
      ...(q.voicemailQueue === undefined ? {} : { voicemailQueueId: q.voicemailQueue }),
      ...(q.hours ? { openingHours: toWeeklyHours(q.hours.timezone, q.hours.open), afterHours: afterHours as QueueAction } : {}),
      strategy,
      ...(q.skills.length ? { requiredSkills: q.skills.map((s) => ({ skill: s.name, minLevel: s.level })) } : {}),
      ...(q.ageing === undefined ? {} : { ageingPerSecond: q.ageing }),
      ...(q.maxWaitS === undefined ? {} : { maxWaitMs: q.maxWaitS * 1000 }),
      ...(q.maxLength === undefined ? {} : { maxLength: q.maxLength }),
      ...(q.wrapUpS === undefined ? {} : { wrapUpMs: q.wrapUpS * 1000 }),
      ...(q.ringTimeoutS === undefined ? {} : { ringTimeoutMs: q.ringTimeoutS * 1000 }),
      ...(q.maxNoAnswer === undefined ? {} : { maxNoAnswer: q.maxNoAnswer }),
      ...(overflow.length ? { overflow } : {}),
      ...(q.agentExpression === undefined ? {} : { agentExpression: q.agentExpression }),
      ...(q.announce === undefined
        ? {}
        : {
            announce: {
              ...(q.announce.everyS === undefined ? {} : { everyMs: q.announce.everyS * 1000 }),
              onEntry: q.announce.onEntry,
              position: q.announce.position,
              expectedWait: q.announce.expectedWait,
              ...(q.announce.text === undefined ? {} : { text: q.announce.text }),
              ...(q.announce.language === undefined ? {} : { language: q.announce.language }),
            },
          }),
    };
  });
}

const WEEKDAYS: readonly Weekday[] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

/** `mon-fri` / `sat,sun` day lists and HH:MM ranges into the router's weekly hours. */
export function toWeeklyHours(timeZone: string, open: ReadonlyArray<{ readonly days: string; readonly from: string; readonly until: string }>): WeeklyHours {
  const days: Partial<Record<Weekday, Array<readonly [string, string]>>> = {};
  for (const o of open) {
    for (const part of o.days.split(',')) {
      const [a, b] = part.split('-') as [Weekday, Weekday | undefined];
      const from = WEEKDAYS.indexOf(a);
      const to = b === undefined ? from : WEEKDAYS.indexOf(b);
      for (let i = from; i <= to; i++) (days[WEEKDAYS[i] as Weekday] ??= []).push([o.from, o.until]);
    }
  }
  return { timeZone, days };
}

/** `mon-fri 10:00-20:00` (a campaign's calling hours) into weekly hours without a time zone. */
function callingHours(text: string): Omit<WeeklyHours, 'timeZone'> {
  const m = /^(\S+)\s+(\d\d:\d\d)-(\d\d:\d\d)$/.exec(text.trim());
  if (!m) throw new Error(`calling hours must look like "mon-fri 10:00-20:00", got '${text}'`);
  return { days: toWeeklyHours('UTC', [{ days: m[1] as string, from: m[2] as string, until: m[3] as string }]).days };
}

/** `<comms><recording>` in the communication server's terms. */
export function toRecordingSettings(r: AssemblyRecording): RecordingSettings {
  return {
    folder: r.folder,
    channels: r.channels,
    ...(r.retentionDays === undefined ? {} : { retentionDays: r.retentionDays }),
    ...(r.announcement === undefined ? {} : { announcement: r.announcement }),
    ...(r.language === undefined ? {} : { language: r.language }),
    queues: r.queues,
    agents: r.agents,
    campaigns: r.campaigns,
  };
}

/** The SIP phones of the users who have one (`<user phone>`), dialled when they monitor a call. */
export function supervisorPhones(assembly: Assembly): Record<string, string> | undefined {
  const phones = Object.fromEntries(assembly.users.filter((u) => u.phone !== undefined).map((u) => [u.name, u.phone as string]));
  return Object.keys(phones).length ? phones : undefined;
}

/** The assembly's campaigns in the communication server's terms. */
function toCampaigns(assembly: Assembly): CampaignSettings[] {
  return assembly.campaigns.map((c) => {
    let filter: unknown;
    if (c['filter'] !== undefined) {
      try {
        filter = JSON.parse(c['filter']);
      } catch {
        throw new Error(`campaign ${c['id']}: filter must be a JSON filter of the objects query language, e.g. {"status":"active"}`);
      }
    }
    return {
      id: c['id'] as string,
      queueId: c['queue'] as string,
      mode: (c['mode'] ?? 'progressive') as CampaignSettings['mode'],
      script: c['script'] as string,
      ...(c['max-drop-rate'] === undefined ? {} : { maxDropRate: Number(c['max-drop-rate']) }),
      ...(c['hours'] === undefined ? {} : { callingHours: callingHours(c['hours']) }),
      ...(c['timezone'] === undefined ? {} : { timeZone: c['timezone'] }),
      targets: { object: c['object'] as string, phoneField: c['phone-field'] as string, ...(filter === undefined ? {} : { filter: filter as never }) },
    } as CampaignSettings;
  });
}

/** The assembly's alerts in the monitor's terms. */
function toAlerts(assembly: Assembly): AlertDefinition[] {
  const ops = { gt: '>', ge: '>=', lt: '<', le: '<=' } as const;
  return assembly.alerts.map((a) => ({
    id: a['id'] as string,
    metric: a['metric'] as AlertDefinition['metric'],
    comparison: ops[a['op'] as keyof typeof ops],
    value: Number(a['value']),
    ...(a['for'] === undefined ? {} : { forSeconds: Number(a['for']) }),
    ...(a['queue'] === undefined ? {} : { subject: a['queue'] }),
    ...(a['severity'] === undefined ? {} : { severity: a['severity'] as 'info' | 'warning' | 'critical' }),
  }));
}

/**
 * Translates the assembly's agents into the router's configuration. An agent without an endpoint
 * whose phone the `<sip>` element lists (`<phone agent="…">`) rings that phone (`agent:<user>`).
 */
export function toAgentConfigs(assembly: Assembly): AgentConfig[] {
  const phoneOf = new Map((assembly.sip?.phones ?? []).filter((p) => p.agent !== undefined).map((p) => [p.agent as string, p.user]));
  return assembly.agents.map((a) => {
    const endpoint = a.endpoint ?? (phoneOf.has(a.id) ? `agent:${phoneOf.get(a.id) as string}` : undefined);
    return {
      id: a.id,
      skills: a.skills,
      queues: a.queues.map((m) => ({ queueId: m.queueId, level: m.level })),
      capacity: { voice: 1, ...(a.chats === undefined ? {} : { chat: a.chats }), ...(a.emails === undefined ? {} : { email: a.emails }) },
      ...(endpoint === undefined ? {} : { endpoint }),
      ...(Object.keys(a.attributes).length ? { attributes: a.attributes } : {}),
      ...(a.selectable === undefined ? {} : { selectableQueues: a.selectable }),
    };
  });
}

/**
 * The IVR entry points by dialled number. `<ivr number="*">` answers every other number; without
 * one, `<sip ivr="script">` does (in the first queue, or the queue of the script's hand-off).
 */
export function toEntryPoints(assembly: Assembly): IvrEntryPoint[] {
  const entries: IvrEntryPoint[] = assembly.ivr.map((i) => ({
    ...(i.number === '*' ? {} : { number: i.number }),
    queueId: i.queue ?? assembly.queues[0]?.id ?? '',
    ...(i.script === undefined ? {} : { script: i.script }),
    ...(i.priority === undefined ? {} : { priority: i.priority }),
  }));
  const sipIvr = assembly.sip?.ivr;
  if (sipIvr !== undefined && !entries.some((e) => e.number === undefined)) entries.push({ queueId: assembly.queues[0]?.id ?? '', script: sipIvr });
  return entries;
}

/**
 * The SIP adapter's options from `<sip>`: phones (their passwords read from the environment by the
 * reader; without `<phone>` elements, CARUSO_SIP_USERS), trunks, ports, and recordings under the
 * assembly's data folder.
 */
export function toSipOptions(assembly: Assembly, env: NodeJS.ProcessEnv, logger?: Logger): SipTelephonyOptions {
  const sip = assembly.sip;
  if (!sip) throw new Error('the assembly has no <sip> element');
  return {
    host: sip.host,
    port: sip.port,
    ...(sip.advertisedHost === undefined ? {} : { advertisedHost: sip.advertisedHost }),
    ...(sip.rtpPorts === undefined ? {} : { rtpPorts: sip.rtpPorts }),
    ...(sip.prompts === undefined ? {} : { promptDir: sip.prompts }),
    ...(sip.holdMusic === undefined ? {} : { holdMusic: sip.holdMusic }),
    recordingDir: join(assembly.dataDir, 'recordings'),
    inbound: sip.inbound,
    users: sip.phones.length ? sip.phones.map((p) => ({ username: p.user, password: p.password })) : usersFromEnvironment(env['CARUSO_SIP_USERS']),
    trunks: sip.trunks.map((t) => ({
      id: t.id,
      host: t.host,
      transport: t.transport,
      register: t.register,
      ...(t.port === undefined ? {} : { port: t.port }),
      ...(t.username === undefined ? {} : { username: t.username }),
      ...(t.password === undefined ? {} : { password: t.password }),
      assertedIdentity: t.assertedIdentity,
      privacy: t.privacy,
      ...(t.authUsername === undefined ? {} : { authUsername: t.authUsername }),
      ...(t.domain === undefined ? {} : { domain: t.domain }),
      ...(t.fromUser === undefined ? {} : { fromUser: t.fromUser }),
      ...(t.outboundProxy === undefined ? {} : { outboundProxy: t.outboundProxy }),
      ...(t.registerExpiresSec === undefined ? {} : { registerExpiresSec: t.registerExpiresSec }),
    })),
    ...(sip.ringMs === undefined ? {} : { ringMs: sip.ringMs }),
    ...(logger ? { logger } : {}),
  };
}

/** The priority of each queue that declares one (`<queue priority>`), for the communication server. */
export function toQueuePriorities(assembly: Assembly): Record<string, number> {
  return Object.fromEntries(assembly.queues.filter((q) => q.priority !== undefined).map((q) => [q.id, q.priority as number]));
}

/**
 * Voicemail: on when a queue takes messages (voicemail="true", an overflow to voicemail or after-hours
 * voicemail); the callbacks wait in a queue literally named `voicemail` when there is one and the
 * queue names no `voicemail-queue`; `voicemail-notify` addresses per queue.
 */
export function toVoicemailSettings(assembly: Assembly): VoicemailSettings | undefined {
  const takes = assembly.queues.some((q) => q.voicemail || q.hours?.afterHours === 'voicemail' || q.overflow.some((o) => o.action === 'voicemail'));
  const notify = Object.fromEntries(assembly.queues.filter((q) => q.voicemailNotify?.length).map((q) => [q.id, q.voicemailNotify as readonly string[]]));
  if (!takes && Object.keys(notify).length === 0) return undefined;
  const shared = assembly.queues.find((q) => q.id === 'voicemail')?.id;
  return { ...(shared ? { queueId: shared } : {}), ...(Object.keys(notify).length ? { notify } : {}) };
}

/** Lists what the assembly declares that this version does not start yet, so start-up can say so. */
function unsupportedParts(assembly: Assembly): string[] {
  const out: string[] = [];
  if (assembly.users.length && !assembly.application) out.push('<user> (users belong to the front office: add <application>)');
  return out;
}

/**
 * Starts an assembly: a service manager with the storage manager, the business objects, the
 * dialogue engine, the communication server and the assembly's own services (legacy wrappers),
 * then its remote endpoint. When a service cannot start, everything started is stopped again and
 * an {@link AssemblyStartError} names the failures.
 */
export async function startAssembly(assembly: Assembly, options: StartAssemblyOptions = {}): Promise<RunningAssembly> {
  const env = options.env ?? process.env;
  const logger = options.logger;
  const manager = createServiceManager({ ...(logger ? { logger } : {}), startTimeoutMs: options.startTimeoutMs ?? 30_000 });
  // The simulated network beside the SIP adapter, when this function made it (disposed on stop).
  let ownedSimulation: SimulatedTelephony | undefined;
  const stopAll = async (): Promise<void> => {
    try {
      await manager.stop();
    } finally {
      ownedSimulation?.dispose();
    }
  };
  mkdirSync(assembly.dataDir, { recursive: true });

  const handles = [manager.register(StorageManager, storageService({ url: assembly.storageUrl, baseDir: assembly.dir, ...(assembly.storagePoolMax === undefined ? {} : { pool: { max: assembly.storagePoolMax } }), ...(logger ? { logger } : {}) }))];
  if (assembly.model) {
    const m = assembly.model;
    handles.push(manager.register(BusinessObjects, businessObjectsService({ model: m.src, schema: m.schema, ...(m.defaultCountry === undefined ? {} : { defaultCountry: m.defaultCountry }) })) as never);
  }
  if (assembly.scripts) {
    // Expressions format numbers, money and dates in the company's language (a script's own xml:lang
    // wins) and times in its time zone: that of its opening hours, when a queue has them.
    const timeZone = assembly.queues.find((q) => q.hours !== undefined)?.hours?.timezone;
    handles.push(manager.register(DialogueEngine, dialogueEngineService({ folder: assembly.scripts.folder, watch: assembly.scripts.watch, ...(assembly.lang ? { locale: assembly.lang } : {}), ...(timeZone ? { timeZone } : {}) })) as never);
  }
  let generated: string | undefined;
  const accessList =
    AccessList.fromEnvironment(env) ??
    new AccessList([{ principal: 'admin', secret: env['CARUSO_ACCESS_TOKEN'] ?? (generated = randomBytes(24).toString('base64url')), lookup: ['*'], call: ['*'], register: ['*'] }]);
  const failures: Array<{ token: string; message: string }> = [];
  if (assembly.queues.length || assembly.agents.length || assembly.application) {
    // The communication server and its channels, each a service: the contact event log (read by
    // the monitor too), telephony (the SIP adapter with <sip>, else the simulated one), mail, e-mail, chat.
    handles.push(manager.register(ContactEventLog, contactEventLogService()) as never);
    handles.push(
      manager.register(
        TelephonyAdapter,
        assembly.sip
          ? options.simulate
            ? telephonyWithSimulationService(() => new SipTelephonyAdapter(toSipOptions(assembly, env, logger)), options.telephony ?? (ownedSimulation = new SimulatedTelephony(options.clock ?? systemClock)))
            : sipTelephonyService(toSipOptions(assembly, env, logger))
          : simulatedTelephonyService({ ...(options.telephony ? { telephony: options.telephony } : {}), ...(options.clock ? { clock: options.clock } : {}) }),
      ) as never,
    );
    const voicemail = toVoicemailSettings(assembly);
    const queuePriority = toQueuePriorities(assembly);
    try {
      handles.push(
        manager.register(
          CommunicationServer,
          commsService({
            queues: toQueueConfigs(assembly),
            agents: toAgentConfigs(assembly),
            telephony: { entryPoints: toEntryPoints(assembly) },
            ...(voicemail ? { voicemail } : {}),
            ...(Object.keys(queuePriority).length ? { queuePriority } : {}),
            campaigns: toCampaigns(assembly),
            ...(assembly.interactions ? { interactions: assembly.interactions } : {}),
            ...(assembly.recording ? { recording: toRecordingSettings(assembly.recording) } : {}),
            ...(supervisorPhones(assembly) ? { monitoring: { phones: supervisorPhones(assembly)! } } : {}),
            ...(options.clock ? { clock: options.clock } : {}),
          }),
        ) as never,
      );
    } catch (err) {
      failures.push({ token: CommunicationServer.id, message: (err as Error).message });
    }
    const email = assembly.email;
    if (email) {
      if (email['relay-host']) {
        const user = email['relay-user-env'] ? env[email['relay-user-env']] : undefined;
        const pass = email['relay-pass-env'] ? env[email['relay-pass-env']] : undefined;
        handles.push(
          manager.register(
            OutboundMail,
            smtpRelayMail({
              host: email['relay-host'],
              ...(email['relay-port'] ? { port: Number(email['relay-port']) } : {}),
              ...(user && pass ? { auth: { user, pass } } : {}),
              from: email['address'] ?? `caruso@${email['relay-host']}`,
            }),
          ) as never,
        );
      }
      handles.push(
        manager.register(
          EmailChannel,
          emailChannel({
            queueId: email['queue'] as string,
            port: Number(env['CARUSO_SMTP_PORT'] ?? email['smtp-port'] ?? 2525),
            ...(email['address'] ? { recipients: [email['address']], mailbox: email['address'] } : {}),
            // Checked a whole number when the assembly was read.
            ...(email['priority'] === undefined ? {} : { priority: Number(email['priority']) }),
          }),
        ) as never,
      );
    }
    if (assembly.chat) {
      // Agents on the standalone chat listener authenticate with an access token whose principal is
      // their agent id (CARUSO_CHAT_AGENTS, the same JSON form as CARUSO_ACCESS_LIST), or with the
      // manager's access tokens.
      const agentAccess = AccessList.fromEnvironment(env, 'CARUSO_CHAT_AGENTS') ?? accessList;
      handles.push(
        manager.register(
          ChatChannel,
          chatChannel({
            queueId: assembly.chat.queue,
            port: Number(env['CARUSO_CHAT_PORT'] ?? assembly.chat.port ?? 8081),
            authenticateAgent: (t: string) => agentAccess.authenticate(t),
          }),
        ) as never,
      );
    }
    handles.push(
      manager.register(
        Monitor,
        monitorService({
          services: manager,
          alerts: toAlerts(assembly),
          reportDefinitions: assembly.reportDefinitions,
          ...(assembly.dailyReports ? { reports: assembly.dailyReports } : {}),
          ...(options.clock ? { clock: options.clock } : {}),
        }),
      ) as never,
    );
  }
  if (assembly.application) {
    if (!assembly.model || !assembly.scripts) {
      await stopAll();
      throw new AssemblyStartError([{ token: FrontOffice.id, message: 'the front office needs the assembly to declare <model> and <scripts>' }]);
    }
    handles.push(manager.register(FrontOffice, frontOfficeService({ application: assembly.application, host: assembly.http.host, port: assembly.http.port, services: manager })) as never);
  }
  for (const s of assembly.services) {
    if (s.run === 'simulate' && !options.simulate) continue;
    try {
      const mod = (await import(pathToFileURL(s.module).href)) as Record<string, unknown>;
      const factory = mod[s.export];
      if (typeof factory !== 'function') throw new Error(`${s.module} has no exported function '${s.export}'`);
      const def = (factory as (config: Readonly<Record<string, string>>) => ServiceDefinition<unknown>)(s.config);
      if (typeof def !== 'object' || def === null || typeof def.create !== 'function') throw new Error(`'${s.export}' of ${s.module} must return a service definition`);
      handles.push(manager.register(createToken<unknown>(s.token), s.version ? { ...def, version: s.version } : def) as never);
    } catch (err) {
      failures.push({ token: s.token, message: (err as Error).message });
    }
  }
  await manager.start();
  for (const h of handles) {
    const info = h.info();
    if (info.state !== 'active') {
      const reason = await h.ready.then(
        () => 'not active',
        (e: unknown) => (e as Error).message,
      );
      failures.push({ token: info.tokenId, message: reason });
    }
  }
  if (failures.length) {
    await stopAll();
    throw new AssemblyStartError(failures);
  }

  // Users: created on the first start only. A password comes from the variable the assembly names,
  // or is generated and printed once; an existing user is left as it is.
  const generatedPasswords: Array<{ name: string; role: string; password: string }> = [];
  const createdUsers: string[] = [];
  if (assembly.application) {
    const frontOffice = manager.get(FrontOffice);
    for (const u of assembly.users) {
      const password = u.password ?? randomBytes(12).toString('base64url');
      try {
        await frontOffice.addUser({ name: u.name, role: u.role, agentId: u.agent }, password);
        createdUsers.push(u.name);
        if (u.password === undefined) generatedPasswords.push({ name: u.name, role: u.role, password });
      } catch (err) {
        if ((err as { code?: string }).code === 'CARUSO_FRONTOFFICE_DUPLICATE_USER') continue;
        await stopAll();
        throw new AssemblyStartError([{ token: `user ${u.name}`, message: (err as Error).message }]);
      }
    }
  }

  let endpoint: RemoteEndpoint;
  try {
    endpoint = await RemoteEndpoint.listen(manager, { host: assembly.manager.host, port: assembly.manager.port, accessList, ...(logger ? { logger } : {}) });
  } catch (err) {
    await stopAll();
    throw err;
  }
  return {
    manager,
    endpoint,
    managerUrl: endpoint.url,
    generatedAccessToken: generated,
    notStarted: unsupportedParts(assembly),
    simulationOnly: options.simulate ? [] : assembly.services.filter((s) => s.run === 'simulate').map((s) => s.token),
    frontOfficeUrl: assembly.application ? manager.get(FrontOffice).url : undefined,
    sipAddress: assembly.sip ? `sip:${assembly.sip.advertisedHost ?? assembly.sip.host}:${(manager.get(TelephonyAdapter) as unknown as { readonly port: number }).port}` : undefined,
    generatedPasswords,
    createdUsers,
    services: () => manager.list(),
    async stop() {
      await endpoint.close();
      await stopAll();
    },
  };
}
