import { containPromise, type HealthStatus, type Logger, type ServiceContext, type ServiceDefinition, type ServiceLifecycle, type Token } from '@caruso/kernel';
import { DialogueEngine } from '@caruso/dialogue';
import { BusinessObjects, type Filter } from '@caruso/objects';
import { StorageManager } from '@caruso/storage';
import { CampaignDialer, type CampaignConfig, type CampaignProgress } from '../campaigns/campaign-dialer.js';
import { CampaignStore } from '../campaigns/campaign-store.js';
import { systemClock, type Clock } from '../contract/clock.js';
import type { AgentWork, CommunicationServer } from '../contract/communication-server.js';
import { ContactEventLog, type ContactEvent } from '../contract/contact-event-log.js';
import { openContacts } from './contact-recovery.js';
import { OutboundMail } from '../email/outbound-mail.js';
import { bareAddress } from '../email/mail-address.js';
import { CommsErrors } from '../errors.js';
import { DIALABLE, validateAgentConfig, validateQueueConfig } from '../internal/validate.js';
import { keepPlaceCallback } from '../acd/keep-place.js';
import type { AgentConfig, ContactSnapshot, ContactSpec, QueueConfig } from '../contract/model.js';
import { QueueRouter, type QueueStatus } from '../acd/queue-router.js';
import { StorageContactEventLog } from '../log/storage-event-log.js';
import { TelephonyAdapter } from '../contract/telephony-adapter.js';
import { TelephonyChannel } from '../telephony/telephony-channel.js';
import { StorageVoicemailStore } from '../telephony/voicemail/storage-voicemail-store.js';
import { customerRefOf, type CustomerRef, type InteractionRecord } from '../interactions/interaction-record.js';
import { InteractionRecorder } from '../interactions/interaction-recorder.js';
import { InteractionStore } from '../interactions/interaction-store.js';
import type { MonitorMode, MonitorOptions, MonitoringSession } from '../contract/quality.js';
import { QualityManager, type MonitoringSettings, type RecordingSettings } from '../recording/quality-manager.js';
import { StorageRecordingStore } from '../recording/storage-recording-store.js';
import type { RecordingEntry } from '../recording/recording-store.js';

export type { MonitoringSettings, RecordingSettings } from '../recording/quality-manager.js';

/** The version of this implementation, as registered. */
export const COMMS_SERVICE_VERSION = '0.2.0';

/**
 * An IVR entry point: calls to `number` first run `script` (a dialogue script, channel `ivr`), then
 * wait in the queue the script hands them to, or in `queueId`.
 */
export interface IvrEntryPoint {
  /** The dialled number (the call's `to`), e.g. `0800-123`; omit it for the entry of every other number. */
  readonly number?: string;
  /** The queue of the call when the script names none (or an unknown one), and without a script. */
  readonly queueId: string;
  /** The dialogue script run first; without it the call is queued at once. Needs the DialogueEngine service. */
  readonly script?: string;
  /**
   * The priority of the calls handed off from this entry point, whichever queue they go to
   * (default: the queue's {@link CommsServiceOptions.queuePriority}, else 0), e.g. an urgent line.
   */
  readonly priority?: number;
}

/** Telephony settings of {@link commsService} (used when a {@link TelephonyAdapter} service is registered). */
export interface TelephonySettings {
  /** Entry points by dialled number; at most one without a number. */
  readonly entryPoints?: readonly IvrEntryPoint[];
  /** Queue of calls no entry point places (default: the entry point without a number, else the first queue). */
  readonly defaultQueueId?: string;
  /** How long the IVR waits for keys, ms (default 5 s). */
  readonly keyTimeoutMs?: number;
  /** Our number shown on callbacks (default `caruso`). */
  readonly callerId?: string;
  /** Attempts of a callback that does not reach the customer (default 3), and the gap between them (default 15 min). */
  readonly callbackAttempts?: number;
  readonly callbackRetryMs?: number;
  /** Texts the channel speaks itself. */
  readonly prompts?: { readonly leaveMessage?: string; readonly messageSaved?: string };
}

/** Voicemail settings of {@link commsService} (messages stored in `caruso_voicemail` through the storage manager). */
export interface VoicemailSettings {
  /** The queue voicemail callbacks wait in when the caller's queue names none (default `voicemail` when configured). */
  readonly queueId?: string;
  /** Longest message, ms (default 120 s). */
  readonly maxMs?: number;
  /**
   * Who gets the notification e-mail (with the recording attached), by the caller's queue; `*` for
   * every other queue. Needs the OutboundMail service; without it the notification is only logged.
   */
  readonly notify?: Readonly<Record<string, string | readonly string[]>>;
}

/** Where a campaign reads its customers: a business-object query (needs the BusinessObjects service). */
export interface CampaignTargetQuery {
  /** The business object, e.g. `Customer`. */
  readonly object: string;
  /** Which records (the objects filter language), e.g. `{ segment: 'residential', optIn: true }`. */
  readonly filter?: Filter;
  /** The field holding the number to dial. Records without a dialable number are skipped (and counted in the log). */
  readonly phoneField: string;
  /** The field holding the customer's IANA time zone (default: the campaign's `timeZone`, else UTC). */
  readonly timeZoneField?: string;
  /** At most this many targets per load (default 100,000). */
  readonly limit?: number;
}

/** A campaign in the options of {@link commsService}. */
export interface CampaignSettings extends CampaignConfig {
  /** The customers to call; read when the campaign is created and by `reloadCampaignTargets`. */
  readonly targets?: CampaignTargetQuery;
  /** Start dialling when the server starts (default false: start it with `startCampaign`). */
  readonly autoStart?: boolean;
}

/** Interaction records (the contact part of the customer's history, table `caruso_interactions`). */
export interface InteractionSettings {
  /** Write interaction records (default true). */
  readonly enabled?: boolean;
  /** The business object of a bare `customerKey` in contact data (e-mail, chat; default `Customer`). */
  readonly customerObject?: string;
  /**
   * Finds the customer of a contact not linked otherwise, by its address, through BusinessObjects:
   * the caller's number in `phoneField`, the sender's address in `emailField`. Linked only when
   * exactly one record matches.
   */
  readonly identify?: { readonly object: string; readonly phoneField?: string; readonly emailField?: string };
}

/** Options of {@link commsService}. */
export interface CommsServiceOptions {
  /** Queues configured at start (before recovery). */
  readonly queues?: readonly QueueConfig[];
  /** Agents configured at start (logged out). */
  readonly agents?: readonly AgentConfig[];
  /** IVR entry points and call handling (when a telephony adapter is registered). */
  readonly telephony?: TelephonySettings;
  /** Voicemail (when a telephony adapter is registered). */
  readonly voicemail?: VoicemailSettings;
  /** Outbound campaigns (need a telephony adapter). Created on first start; kept and resumed after a restart. */
  readonly campaigns?: readonly CampaignSettings[];
  /** Numbers never dialled by a campaign. */
  readonly doNotCall?: readonly string[];
  /** Interaction records of ended contacts (on by default). */
  readonly interactions?: InteractionSettings;
  /**
   * The priority of a contact entering a queue when whoever queues it gives none, by queue id
   * (default 0). The router serves the highest priority first, also across the queues an agent
   * serves; ageing adds to it while a contact waits. A contact moved by an overflow keeps its own.
   */
  readonly queuePriority?: Readonly<Record<string, number>>;
  /**
   * Call recording (table `caruso_recordings`, files in `folder`): calls into the queues, of the
   * campaigns and taken by the agents named are recorded from their answer to their end, after the
   * announcement; needs a telephony adapter that can record (`tapAudio`).
   */
  readonly recording?: RecordingSettings;
  /** Supervisor monitoring (listen, whisper, barge) through the supervisors' phones. */
  readonly monitoring?: MonitoringSettings;
  /** Default: the system clock. */
  readonly clock?: Clock;
}


/**
 * The queue configuration the router takes: the `label` is for people (desktop, wallboard,
 * reports) and stays out of the routing configuration.
 */
function routedQueue(q: QueueConfig): QueueConfig {
  if (typeof q !== 'object' || q === null || !('label' in q)) return q;
  const { label: _label, ...routed } = q;
  return routed;
}

function invalidOption(field: string, reason: string): Error {
  return CommsErrors.CARUSO_COMMS_INVALID_OPTIONS({ field, reason });
}

/** Checks the options before anything starts (CARUSO_COMMS_INVALID_QUEUE / _AGENT / _OPTIONS). */
function validateOptions(o: CommsServiceOptions): void {
  if (typeof o !== 'object' || o === null) throw invalidOption('options', 'must be an object');
  for (const q of o.queues ?? []) validateQueueConfig(routedQueue(q));
  for (const a of o.agents ?? []) validateAgentConfig(a);
  const queues = new Set((o.queues ?? []).map((q) => q.id));
  const known = (id: string): boolean => queues.size === 0 || queues.has(id);
  for (const q of o.queues ?? []) {
    if (q.label !== undefined && (typeof q.label !== 'string' || q.label.trim() === '' || q.label.length > 200)) throw CommsErrors.CARUSO_COMMS_INVALID_QUEUE({ queue: q.id, reason: "'label' must be a text of at most 200 characters" });
  }
  const priority = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v);
  for (const [q, p] of Object.entries(o.queuePriority ?? {})) {
    if (!known(q)) throw invalidOption(`queuePriority.${q}`, 'names no configured queue');
    if (!priority(p)) throw invalidOption(`queuePriority.${q}`, 'must be a number');
  }
  const t = o.telephony;
  if (t !== undefined) {
    const numbers = new Set<string>();
    for (const [i, e] of (t.entryPoints ?? []).entries()) {
      const at = `telephony.entryPoints[${i}]`;
      if (typeof e !== 'object' || e === null) throw invalidOption(at, 'must be { number?, queueId, script? }');
      if (typeof e.queueId !== 'string' || !known(e.queueId)) throw invalidOption(`${at}.queueId`, `names no configured queue (${JSON.stringify(e.queueId)})`);
      if (e.script !== undefined && (typeof e.script !== 'string' || e.script.length === 0)) throw invalidOption(`${at}.script`, 'must name a dialogue script');
      if (e.priority !== undefined && !priority(e.priority)) throw invalidOption(`${at}.priority`, 'must be a number');
      const key = e.number ?? '*';
      if (typeof key !== 'string' || key.length === 0) throw invalidOption(`${at}.number`, 'must be a number (or left out for every other number)');
      if (numbers.has(key)) throw invalidOption(`${at}.number`, `${e.number === undefined ? 'the entry without a number' : JSON.stringify(key)} is given twice`);
      numbers.add(key);
    }
    if (t.defaultQueueId !== undefined && (typeof t.defaultQueueId !== 'string' || !known(t.defaultQueueId))) throw invalidOption('telephony.defaultQueueId', 'names no configured queue');
    for (const f of ['keyTimeoutMs', 'callbackRetryMs'] as const) {
      const v = t[f];
      if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v) || v <= 0)) throw invalidOption(`telephony.${f}`, 'must be a positive number of ms');
    }
    if (t.callbackAttempts !== undefined && (!Number.isInteger(t.callbackAttempts) || t.callbackAttempts < 1)) throw invalidOption('telephony.callbackAttempts', 'must be an integer ≥ 1');
    if (t.callerId !== undefined && (typeof t.callerId !== 'string' || !DIALABLE.test(t.callerId))) throw invalidOption('telephony.callerId', 'must be a number');
  }
  const v = o.voicemail;
  if (v !== undefined) {
    if (v.queueId !== undefined && (typeof v.queueId !== 'string' || !known(v.queueId))) throw invalidOption('voicemail.queueId', 'names no configured queue');
    if (v.maxMs !== undefined && (typeof v.maxMs !== 'number' || !Number.isFinite(v.maxMs) || v.maxMs <= 0)) throw invalidOption('voicemail.maxMs', 'must be a positive number of ms');
    for (const [q, to] of Object.entries(v.notify ?? {})) {
      if (q !== '*' && !known(q)) throw invalidOption(`voicemail.notify.${q}`, 'names no configured queue');
      const all: readonly unknown[] = Array.isArray(to) ? to : [to];
      if (all.length === 0 || all.some((a) => typeof a !== 'string' || !bareAddress(a))) throw invalidOption(`voicemail.notify.${q}`, 'is not an e-mail address (or a list of them)');
    }
  }
  const ids = new Set<string>();
  for (const [i, c] of (o.campaigns ?? []).entries()) {
    const at = `campaigns[${i}]`;
    if (typeof c !== 'object' || c === null) throw invalidOption(at, 'must be a campaign');
    if (ids.has(c.id)) throw invalidOption(`${at}.id`, `${JSON.stringify(c.id)} is given twice`);
    ids.add(c.id);
    const q = c.targets;
    if (q !== undefined) {
      if (typeof q.object !== 'string' || q.object.length === 0) throw invalidOption(`${at}.targets.object`, 'must name a business object');
      if (typeof q.phoneField !== 'string' || q.phoneField.length === 0) throw invalidOption(`${at}.targets.phoneField`, 'must name a field');
      if (q.timeZoneField !== undefined && (typeof q.timeZoneField !== 'string' || q.timeZoneField.length === 0)) throw invalidOption(`${at}.targets.timeZoneField`, 'must name a field');
      if (q.filter !== undefined && (typeof q.filter !== 'object' || q.filter === null || Array.isArray(q.filter))) throw invalidOption(`${at}.targets.filter`, 'must be a filter object');
      if (q.limit !== undefined && (!Number.isInteger(q.limit) || q.limit < 1)) throw invalidOption(`${at}.targets.limit`, 'must be a positive integer');
    }
  }
  const rec = o.recording;
  if (rec !== undefined) {
    if (typeof rec !== 'object' || rec === null) throw invalidOption('recording', 'must be an object');
    if (typeof rec.folder !== 'string' || rec.folder.trim() === '') throw invalidOption('recording.folder', 'must name a folder');
    if (rec.channels !== undefined && rec.channels !== 1 && rec.channels !== 2) throw invalidOption('recording.channels', 'must be 1 or 2');
    if (rec.retentionDays !== undefined && (!Number.isInteger(rec.retentionDays) || rec.retentionDays < 1)) throw invalidOption('recording.retentionDays', 'must be a whole number of days ≥ 1');
    for (const q of rec.queues ?? []) if (typeof q !== 'string' || !known(q)) throw invalidOption('recording.queues', `names no configured queue (${JSON.stringify(q)})`);
    for (const f of ['campaigns', 'agents'] as const) {
      const list: unknown = rec[f];
      if (list !== undefined && (!Array.isArray(list) || list.some((x) => typeof x !== 'string' || x.length === 0))) throw invalidOption(`recording.${f}`, 'must be a list of ids');
    }
    const a: unknown = rec.announcement;
    if (a !== undefined && typeof a !== 'string' && (typeof a !== 'object' || a === null || Array.isArray(a) || Object.values(a).some((t) => typeof t !== 'string'))) {
      throw invalidOption('recording.announcement', 'must be a text or a text per language');
    }
    if (rec.language !== undefined && (typeof rec.language !== 'string' || !/^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$/.test(rec.language))) throw invalidOption('recording.language', 'must be a language tag such as en or nl-BE');
  }
  const mon = o.monitoring;
  if (mon !== undefined) {
    if (typeof mon !== 'object' || mon === null) throw invalidOption('monitoring', 'must be an object');
    for (const [who, phone] of Object.entries(mon.phones ?? {})) if (typeof phone !== 'string' || phone.length === 0 || phone.length > 200) throw invalidOption(`monitoring.phones.${who}`, 'must be a phone (endpoint, SIP URI or number)');
    if (mon.ringTimeoutMs !== undefined && (typeof mon.ringTimeoutMs !== 'number' || !Number.isFinite(mon.ringTimeoutMs) || mon.ringTimeoutMs <= 0)) throw invalidOption('monitoring.ringTimeoutMs', 'must be a positive number of ms');
  }
  for (const n of o.doNotCall ?? []) if (typeof n !== 'string' || !DIALABLE.test(n)) throw invalidOption('doNotCall', `holds ${JSON.stringify(n)}, not a number`);
  const i = o.interactions;
  if (i !== undefined) {
    if (typeof i !== 'object' || i === null) throw invalidOption('interactions', 'must be an object');
    if (i.enabled !== undefined && typeof i.enabled !== 'boolean') throw invalidOption('interactions.enabled', 'must be true or false');
    if (i.customerObject !== undefined && (typeof i.customerObject !== 'string' || i.customerObject.length === 0)) throw invalidOption('interactions.customerObject', 'must name a business object');
    const id = i.identify;
    if (id !== undefined) {
      if (typeof id !== 'object' || id === null || typeof id.object !== 'string' || id.object.length === 0) throw invalidOption('interactions.identify.object', 'must name a business object');
      if (id.phoneField === undefined && id.emailField === undefined) throw invalidOption('interactions.identify', 'needs a phoneField or an emailField');
      for (const f of ['phoneField', 'emailField'] as const) if (id[f] !== undefined && (typeof id[f] !== 'string' || id[f].length === 0)) throw invalidOption(`interactions.identify.${f}`, 'must name a field');
    }
  }
}

/** What commsService depends on (optional ones may be missing). */
export interface CommsDependencies {
  readonly storage: StorageManager;
  readonly log: ContactEventLog | undefined;
  readonly telephony: TelephonyAdapter | undefined;
  readonly dialogue: DialogueEngine | undefined;
  readonly mail: OutboundMail | undefined;
  readonly objects: BusinessObjects | undefined;
}

/** The log the server writes to: the registered service, or its own table when none is registered. */
interface OwnedLog {
  readonly log: ContactEventLog;
  readonly dispose?: () => void;
}

const PAGE = 1_000;

/**
 * The value at a field path of a record with its relations loaded: `phone`, or `customer.phone`
 * through a relation (for a to-many relation, the first related record that has a value).
 */
function pathValue(record: unknown, path: string): unknown {
  let values: unknown[] = [record];
  for (const name of path.split('.')) {
    const next: unknown[] = [];
    for (const v of values) {
      if (typeof v !== 'object' || v === null) continue;
      const x = (v as Record<string, unknown>)[name];
      if (Array.isArray(x)) next.push(...x);
      else if (x !== undefined && x !== null) next.push(x);
    }
    values = next;
  }
  return values[0];
}

/** Every event of the log, in order. Note: this reads the whole log; a checkpoint table is future work for very long logs. */
async function readAll(log: ContactEventLog): Promise<ContactEvent[]> {
  const events: ContactEvent[] = [];
  for (let after = 0; ; ) {
    const page = await log.read({ afterSeq: after, limit: 5_000 });
    if (page.length === 0) break;
    events.push(...page);
    after = page[page.length - 1]!.seq;
  }
  return events;
}

/** How long the server waits for an optional dependency that is registered but not yet active. */
const OPTIONAL_WAIT_MS = 8_000;

async function settleOptional<T>(ctx: ServiceContext, token: Token<T>, current: T | undefined): Promise<T | undefined> {
  if (current !== undefined) return current;
  const coming = ctx.services.find(token.id).some((i) => i.state === 'registered' || i.state === 'starting');
  if (!coming) return ctx.services.tryGet(token);
  try {
    return await ctx.services.whenAvailable(token, { timeoutMs: OPTIONAL_WAIT_MS });
  } catch (err) {
    ctx.logger.warn({ err, token: token.id }, 'an optional dependency did not start in time; the communication server goes on without it');
    return ctx.services.tryGet(token);
  }
}

class CommsServer implements CommunicationServer, ServiceLifecycle {
  private router: QueueRouter | undefined;
  private events: OwnedLog | undefined;
  private channel: TelephonyChannel | undefined;
  private dialer: CampaignDialer | undefined;
  private logger: Logger | undefined;
  private readonly clock: Clock;
  /** The queues' labels (QueueConfig.label), shown with their status; the router does not keep them. */
  private readonly labels = new Map<string, string>();
  private interactionStore: InteractionStore | undefined;
  private voicemailStore: StorageVoicemailStore | undefined;
  private recorder: InteractionRecorder | undefined;
  private recorderSub: { dispose(): void } | undefined;
  private quality: QualityManager | undefined;

  private deps: CommsDependencies;

  constructor(deps: CommsDependencies, private readonly options: CommsServiceOptions) {
    this.deps = deps;
    this.clock = options.clock ?? systemClock;
  }

  async start(ctx: ServiceContext): Promise<void> {
    this.logger = ctx.logger;
    // The kernel does not wait for optional dependencies: one registered but still starting would be
    // missed (and the server would, say, write its own event log). Wait for those that are coming.
    const d = this.deps;
    this.deps = {
      storage: d.storage,
      log: await settleOptional(ctx, ContactEventLog, d.log),
      telephony: await settleOptional(ctx, TelephonyAdapter, d.telephony),
      dialogue: await settleOptional(ctx, DialogueEngine, d.dialogue),
      mail: await settleOptional(ctx, OutboundMail, d.mail),
      objects: await settleOptional(ctx, BusinessObjects, d.objects),
    };
    const { deps, options } = this;
    if ((options.campaigns?.length ?? 0) > 0 && !deps.telephony) {
      throw invalidOption('campaigns', 'need a telephony adapter: register one under caruso.comms.TelephonyAdapter');
    }
    for (const [i, c] of (options.campaigns ?? []).entries()) {
      if (c.targets && !deps.objects) throw invalidOption(`campaigns[${i}].targets`, 'reads business objects, but no caruso.objects service is registered');
    }
    if (options.interactions?.identify && !deps.objects) throw invalidOption('interactions.identify', 'reads business objects, but no caruso.objects service is registered');
    let owned: StorageContactEventLog | undefined;
    const log: ContactEventLog = deps.log ?? (owned = await StorageContactEventLog.open(deps.storage, { logger: ctx.logger }));
    if (owned) ctx.logger.info('no ContactEventLog service is registered; the communication server keeps its own (register contactEventLogService() to share it with the monitor)');
    const router = new QueueRouter({ clock: this.clock, events: log, logger: ctx.logger });
    const parts: Array<{ dispose(): void }> = [router];
    try {
      for (const q of options.queues ?? []) {
        router.addQueue(routedQueue(q));
        if (q.label !== undefined) this.labels.set(q.id, q.label);
      }
      for (const a of options.agents ?? []) router.addAgent(a);
      const history = await readAll(log);
      if (options.interactions?.enabled !== false) {
        const store = await InteractionStore.open(deps.storage);
        const recorder = this.openRecorder(store, log, ctx.logger);
        const written = await recorder.catchUp(history);
        if (written > 0) ctx.logger.info({ written }, 'interaction records written for contacts that ended before the last stop');
        this.interactionStore = store;
        this.recorder = recorder;
        this.recorderSub = log.onDidAppend((e) => recorder.feed(e));
        parts.push(this.recorderSub);
        // Two customer records merged into one: the history of the dropped one moves to the kept one.
        const objects = deps.objects;
        if (objects?.onDidMerge) {
          parts.push(objects.onDidMerge((m) => {
            // A composite key reads as its parts joined with `:` (as in the interaction records).
            const text = (k: unknown): string => (typeof k === 'object' && k !== null ? Object.values(k).map(String).join(':') : String(k));
            containPromise('caruso.comms/interactions', this.relinkCustomer({ object: m.object, id: text(m.dropKey) }, { object: m.object, id: text(m.keepKey) }).then(
              (n) => ctx.logger.info({ object: m.object, relinked: n }, 'merged customer: its interaction records follow'),
            ));
          }));
        }
      }
      await this.recover(router, log, ctx.logger, history);
      if (deps.telephony) {
        this.channel = await this.openTelephony(router, log, deps.telephony, ctx.logger);
        parts.push(this.channel);
        if ((options.campaigns?.length ?? 0) > 0 || (options.doNotCall?.length ?? 0) > 0) {
          this.dialer = await CampaignDialer.open({ store: await CampaignStore.open(deps.storage), router, telephony: deps.telephony, clock: this.clock, logger: ctx.logger });
          parts.push(this.dialer);
          this.router = router;
          await this.configureCampaigns(this.dialer);
        }
      }
      const channel = this.channel;
      const quality = new QualityManager({
        router,
        log,
        telephony: deps.telephony,
        callOf: (contactId) => channel?.callOf(contactId) ?? contactId,
        now: () => this.clock.now(),
        ...(options.recording ? { recording: options.recording, store: await StorageRecordingStore.open(deps.storage) } : {}),
        ...(options.monitoring ? { monitoring: options.monitoring } : {}),
        logger: ctx.logger,
      });
      parts.push(quality);
      this.quality = quality;
      if (options.recording && !deps.telephony) ctx.logger.warn('recording is configured but no telephony adapter is registered: nothing is recorded');
      quality.startRetention();
      await log.flush();
    } catch (err) {
      this.router = undefined;
      this.channel = undefined;
      this.dialer = undefined;
      this.quality = undefined;
      for (const p of parts.reverse()) p.dispose();
      await this.recorder?.settled();
      this.recorder = undefined;
      this.recorderSub = undefined;
      this.interactionStore = undefined;
      this.voicemailStore = undefined;
      owned?.dispose();
      throw err;
    }
    this.router = router;
    this.events = { log, ...(owned ? { dispose: () => owned.dispose() } : {}) };
  }

  async stop(): Promise<void> {
    const events = this.events;
    const dialer = this.dialer;
    const quality = this.quality;
    this.quality = undefined;
    // Running recordings are closed and catalogued, monitoring legs hung up (their events logged).
    if (quality) {
      try {
        await quality.close();
      } catch (err) {
        this.logger?.error({ err }, 'recordings could not all be closed');
      }
      quality.dispose();
    }
    dialer?.dispose();
    this.channel?.dispose();
    this.router?.dispose();
    this.dialer = undefined;
    this.channel = undefined;
    this.router = undefined;
    this.events = undefined;
    // The storage manager closes after us: the dialer's writes still running finish first.
    await dialer?.settled();
    if (!events) return;
    try {
      await events.log.flush();
    } finally {
      // Also when the flush fails: the recorder must not stay subscribed to a shared log after stop.
      this.recorderSub?.dispose();
      await this.recorder?.settled();
      this.recorderSub = undefined;
      this.recorder = undefined;
      this.interactionStore = undefined;
      this.voicemailStore = undefined;
      events.dispose?.();
    }
  }

  private openRecorder(store: InteractionStore, log: ContactEventLog, logger: Logger): InteractionRecorder {
    const { options, deps } = this;
    const campaignObjects = new Map((options.campaigns ?? []).filter((c) => c.targets).map((c) => [c.id, c.targets!.object]));
    const id = options.interactions?.identify;
    const objects = deps.objects;
    const identify =
      id && objects
        ? async (r: InteractionRecord): Promise<CustomerRef | undefined> => {
            const field = r.address!.includes('@') ? id.emailField : id.phoneField;
            if (!field) return undefined;
            const repo = objects.repository(id.object);
            const found = await repo.query({ where: { [field]: r.address! }, limit: 2 });
            if (found.length !== 1) return undefined;
            return { object: id.object, id: repo.object.key.map((f) => String(found[0]![f])).join(':') };
          }
        : undefined;
    return new InteractionRecorder({
      store,
      flushLog: () => log.flush(),
      logger,
      ...(options.interactions?.customerObject === undefined ? {} : { customerObject: options.interactions.customerObject }),
      campaignObject: (campaignId) => campaignObjects.get(campaignId),
      ...(identify ? { identify } : {}),
    });
  }

  health(): HealthStatus {
    if (!this.router || !this.events) return { status: 'down', detail: 'not started' };
    return { status: 'ok', detail: `${this.router.queueIds().length} queue(s), ${this.router.agentIds().length} agent(s)${this.channel ? ', telephony' : ''}` };
  }

  /**
   * Brings the contact center back after a stop or a crash, idempotently: every change it makes is an
   * event, and a second start over the same log finds nothing left to change (rule 10).
   * - Chats, e-mails and callbacks that were waiting go back in line in their order, writing nothing.
   * - A call that was waiting lost its line with the process: it is closed once (`exited`,
   *   `lost-on-restart`) and a callback to the caller's number takes its place in line (same queue,
   *   priority and age). A call without a caller number is only closed.
   * - A contact that was connected is closed (`completed`, `lost-on-restart`).
   * - Agents come back logged out; scheduled callbacks are re-armed.
   */
  private async recover(router: QueueRouter, log: ContactEventLog, logger: Logger, events: readonly ContactEvent[]): Promise<void> {
    const { waiting, connected, scheduled, ringing, places } = openContacts(events);
    // Each agent's last queue choice (setAgentQueues) holds again.
    const choices = new Map<string, unknown>();
    const loggedIn = new Set<string>();
    for (const e of events) {
      if (e.agentId === undefined) continue;
      if (e.kind === 'agent-queues-changed') choices.set(e.agentId, e.data.queues);
      else if (e.kind === 'agent-logged-in') loggedIn.add(e.agentId);
      else if (e.kind === 'agent-logged-out') loggedIn.delete(e.agentId);
    }
    const agents = new Set(router.agentIds());
    for (const [agentId, queues] of choices) {
      if (!agents.has(agentId) || !Array.isArray(queues)) continue;
      try {
        router.setAgentQueues(agentId, queues.map((q: { queueId?: unknown; level?: unknown }) => ({ queue: String(q.queueId), ...(typeof q.level === 'number' ? { level: q.level } : {}) })), { restore: true });
      } catch (err) {
        logger.warn({ err, agent: agentId }, "an agent's queue choice names a queue no longer configured or allowed; the configured queues hold");
      }
    }
    const now = this.clock.now();
    // An offer that was ringing died with the process: it ends in the log, so the live figures and the
    // reports see the contact waiting again, not ringing at an agent who is gone.
    for (const r of ringing) {
      // How long it rang before the process died is not known: ringMs 0.
      log.append({ kind: 'rejected', at: now, contactId: r.spec.id!, queueId: r.spec.queueId, agentId: r.agentId, channel: r.spec.channel, reason: 'lost-on-restart', ringMs: 0 });
    }
    const queues = new Set(router.queueIds());
    const backInLine: ContactSpec[] = [];
    for (const c of connected) {
      const id = c.spec.id!;
      if ((c.spec.channel === 'chat' || c.spec.channel === 'email') && queues.has(c.spec.queueId)) {
        // A chat or an e-mail outlives the process (the customer reconnects, the message is stored):
        // its agent's desk is gone, so it goes back in line in its place.
        log.append({ kind: 'transferred', at: now, contactId: id, queueId: c.spec.queueId, agentId: c.connectedTo!, channel: c.spec.channel, reason: 'lost-on-restart' });
        backInLine.push(c.spec);
        continue;
      }
      // A call's line died with the process: the contact is closed in the log as such.
      log.append({ kind: 'completed', at: now, contactId: id, queueId: c.spec.queueId, agentId: c.connectedTo!, channel: c.spec.channel, reason: 'lost-on-restart' });
    }
    // Agents whose desktops were connected to the process that died log in again.
    for (const agentId of loggedIn) log.append({ kind: 'agent-logged-out', at: now, agentId });
    let recovered = 0;
    let lostCalls = 0;
    let callbacks = 0;
    // The router puts each in its place by priority and age, and contacts of the same age in the order
    // they entered: the order a later start reads back from the log.
    const placeIn = (spec: ContactSpec): number => places.get(spec.id!) ?? 0;
    const inLine = [...waiting, ...backInLine].sort((a, b) => placeIn(a) - placeIn(b));
    let failed = 0;
    const scheduledIds = new Set(scheduled.flatMap((s) => (s.id === undefined ? [] : [s.id])));
    for (const spec of inLine) {
      if (!queues.has(spec.queueId)) {
        logger.warn({ queue: spec.queueId }, 'a waiting contact names a queue that is no longer configured; it stays in the log only');
        continue;
      }
      // One contact the router refuses (rule 9) is said and left in the log; the others still come back.
      try {
        if (spec.channel !== 'call') {
          router.enqueue(spec, { restore: true });
          recovered++;
          continue;
        }
        const id = spec.id!;
        const enteredAt = spec.enteredAt ?? now;
        const caller = spec.data?.['caller'];
        const dialable = typeof caller === 'string' && DIALABLE.test(caller) && !/^anonymous$/i.test(caller);
        // The callback is made and checked before anything is written, so the log never holds a call
        // closed for a callback that could not be queued. Its id is new to the log: no contact still
        // open (or a callback due later) shares it, and one too long for an id gets a fresh one.
        const callback = dialable
          ? keepPlaceCallback(
              { ...spec, id, priority: spec.priority ?? 0, enteredAt },
              caller,
              (taken) => places.has(taken) || scheduledIds.has(taken) || router.contact(taken) !== undefined,
              { reason: 'lost-on-restart' },
            )
          : undefined;
        log.append({ kind: 'exited', at: now, contactId: id, queueId: spec.queueId, channel: 'call', reason: 'lost-on-restart', waitMs: now - enteredAt });
        lostCalls++;
        if (callback === undefined) continue;
        log.append({ kind: 'callback-scheduled', at: now, contactId: callback.id!, queueId: spec.queueId, channel: 'callback', reason: 'keep-place', data: { originalContactId: id } });
        try {
          router.enqueue(callback);
        } catch (err) {
          // Closed in the log too, so no later start or figure counts it as pending.
          log.append({ kind: 'callback-completed', at: now, contactId: callback.id!, queueId: spec.queueId, channel: 'callback', reason: 'cancelled' });
          throw err;
        }
        callbacks++;
      } catch (err) {
        failed++;
        logger.error({ err, contact: spec.id, queue: spec.queueId }, 'a waiting contact could not be put back in line (or its callback not queued); it stays in the log');
      }
    }
    let rearmed = 0;
    for (const s of scheduled) {
      try {
        router.scheduleCallback(s, { restore: true });
        rearmed++;
      } catch (err) {
        logger.warn({ err, queue: s.queueId }, 'a scheduled callback could not be re-armed; it stays in the log only');
      }
    }
    logger.info({ recovered, failed, backInLine: backInLine.length, closed: connected.length - backInLine.length, lostCalls, callbacks, scheduled: rearmed, agentsLoggedOut: loggedIn.size }, 'communication server recovered its contacts');
  }

  private async openTelephony(router: QueueRouter, log: ContactEventLog, telephony: TelephonyAdapter, logger: Logger): Promise<TelephonyChannel> {
    const { options, deps } = this;
    const t = options.telephony ?? {};
    const entries = t.entryPoints ?? [];
    const byNumber = new Map(entries.filter((e) => e.number !== undefined).map((e) => [e.number!, e]));
    const fallback = entries.find((e) => e.number === undefined);
    const defaultQueueId = t.defaultQueueId ?? fallback?.queueId ?? router.queueIds()[0];
    if (defaultQueueId === undefined) throw invalidOption('queues', 'a telephony adapter is registered but no queue is configured for its calls');
    for (const e of entries) if (e.script && !deps.dialogue) logger.warn({ script: e.script }, 'an IVR entry point names a script but no DialogueEngine service is registered; its calls are queued at once');
    const entryOf = (to: string) => byNumber.get(to) ?? fallback;
    const notify = options.voicemail?.notify ?? {};
    const voicemail = await StorageVoicemailStore.open(deps.storage);
    this.voicemailStore = voicemail;
    const queueIds = new Set(router.queueIds());
    const vmQueue = options.voicemail?.queueId ?? (queueIds.has('voicemail') ? 'voicemail' : undefined);
    return new TelephonyChannel({
      router,
      telephony,
      defaultQueueId,
      queueFor: ({ to }) => entryOf(to)?.queueId,
      scriptFor: ({ to }) => entryOf(to)?.script,
      ...(deps.dialogue ? { dialogue: deps.dialogue } : {}),
      voicemail,
      ...(vmQueue === undefined ? {} : { voicemailQueueId: vmQueue }),
      ...(options.voicemail?.maxMs === undefined ? {} : { voicemailMaxMs: options.voicemail.maxMs }),
      ...(deps.mail ? { mail: deps.mail } : {}),
      notifyTo: (queueId) => notify[queueId] ?? notify['*'],
      priorityFor: (queueId, call) => (call ? entryOf(call.to)?.priority : undefined) ?? options.queuePriority?.[queueId],
      hoursOf: (queueId) => options.queues?.find((q) => q.id === queueId)?.openingHours,
      ...(t.keyTimeoutMs === undefined ? {} : { keyTimeoutMs: t.keyTimeoutMs }),
      ...(t.callerId === undefined ? {} : { callerId: t.callerId }),
      ...(t.callbackAttempts === undefined ? {} : { callbackAttempts: t.callbackAttempts }),
      ...(t.callbackRetryMs === undefined ? {} : { callbackRetryMs: t.callbackRetryMs }),
      ...(t.prompts === undefined ? {} : { prompts: t.prompts }),
      commit: () => log.flush(),
      logger,
    });
  }

  /** Creates the configured campaigns not yet stored, loads their targets, and starts those marked so. */
  private async configureCampaigns(dialer: CampaignDialer): Promise<void> {
    const { options } = this;
    if (options.doNotCall?.length) await dialer.addDoNotCall(options.doNotCall);
    const existing = new Set(dialer.campaignIds());
    for (const c of options.campaigns ?? []) {
      const { targets, autoStart, ...config } = c;
      if (existing.has(c.id)) continue; // created on an earlier start: its stored state (and targets) win
      await dialer.createCampaign(config);
      if (targets) await this.loadTargets(dialer, c.id, targets);
      if (autoStart) await dialer.startCampaign(c.id);
    }
  }

  private async loadTargets(dialer: CampaignDialer, campaignId: string, q: CampaignTargetQuery): Promise<number> {
    const objects = this.deps.objects;
    if (!objects) throw invalidOption(`campaign ${campaignId} targets`, 'reads business objects, but no caruso.objects service is registered');
    const repo = objects.repository(q.object);
    const keyFields = repo.object.key;
    const limit = q.limit ?? 100_000;
    const targets: Array<{ key: string; number: string; timeZone?: string }> = [];
    let skipped = 0;
    // A field through relations (`customer.phone`) loads those relations with the records.
    const include = [...new Set([q.phoneField, q.timeZoneField].filter((f): f is string => f !== undefined && f.includes('.')).map((f) => f.slice(0, f.lastIndexOf('.'))))];
    for (let offset = 0; offset < limit; offset += PAGE) {
      const page = await repo.query({ ...(q.filter ? { where: q.filter } : {}), ...(include.length ? { include } : {}), limit: Math.min(PAGE, limit - offset), offset });
      for (const r of page) {
        const number = pathValue(r, q.phoneField);
        const tz = q.timeZoneField === undefined ? undefined : pathValue(r, q.timeZoneField);
        if (typeof number !== 'string' || !DIALABLE.test(number.replace(/[\s()]/g, ''))) {
          skipped++;
          continue;
        }
        targets.push({ key: keyFields.map((f) => String(r[f])).join(':'), number: number.replace(/[\s()]/g, ''), ...(typeof tz === 'string' && tz.length > 0 ? { timeZone: tz } : {}) });
      }
      if (page.length < PAGE) break;
    }
    const added = targets.length ? await dialer.addTargets(campaignId, targets) : 0;
    this.logger?.info({ campaign: campaignId, object: q.object, added, skipped }, 'campaign targets loaded from business objects');
    return added;
  }

  private get r(): QueueRouter {
    if (!this.router) throw CommsErrors.CARUSO_COMMS_EVENT_LOG_FAILED({ reason: 'the communication server is not started' });
    return this.router;
  }

  private get d(): CampaignDialer {
    if (!this.dialer) {
      if (!this.router) throw CommsErrors.CARUSO_COMMS_EVENT_LOG_FAILED({ reason: 'the communication server is not started' });
      throw CommsErrors.CARUSO_COMMS_UNKNOWN_CAMPAIGN({ campaign: '(none: no campaigns are configured, or no telephony adapter is registered)' });
    }
    return this.dialer;
  }

  /** Waits for a change made outside the router (the dialer), then makes its events durable. */
  private async durable<T>(p: Promise<T>): Promise<T> {
    const result = await p;
    await this.events!.log.flush();
    return result;
  }

  /** Runs a change, then makes its events durable before resolving. */
  private async change<T>(fn: (r: QueueRouter) => T): Promise<T> {
    return this.durable(Promise.resolve(fn(this.r)));
  }

  addQueue = async (c: QueueConfig): Promise<void> => {
    await this.change((r) => r.addQueue(routedQueue(c)));
    if (typeof c.label === 'string' && c.label.trim() !== '') this.labels.set(c.id, c.label);
  };
  addAgent = (c: AgentConfig) => this.change((r) => r.addAgent(c));
  login: CommunicationServer['login'] = (id, o) =>
    this.change((r) => {
      if (o?.queues !== undefined) {
        r.agent(id);
        r.setAgentQueues(id, o.queues);
      }
      r.login(id);
    });
  now = (): number => this.clock.now();
  setAgentQueues: CommunicationServer['setAgentQueues'] = (id, queues) => this.change((r) => r.setAgentQueues(id, queues));
  agentQueues: CommunicationServer['agentQueues'] = (id) => this.r.agentQueues(id);
  logout = (id: string, o?: { readonly force?: boolean }) => this.change((r) => r.logout(id, o));
  pause = (id: string, reason: string) => this.change((r) => r.pause(id, reason));
  resume = (id: string) => this.change((r) => r.resume(id));
  ready = (id: string) =>
    this.change((r) => {
      const a = r.agent(id);
      if (a.state === 'logged-out') r.login(id);
      else if (a.state === 'paused' || a.pauseReason !== undefined) r.resume(id);
      r.finishWrapUp(id);
    });
  finishWrapUp = (id: string) => this.change((r) => r.finishWrapUp(id));
  wrapUp: CommunicationServer['wrapUp'] = async (agentId, contactId, disposition, options) => {
    const r = this.r;
    const customer = options?.customer === undefined ? undefined : customerRefOf(options.customer);
    if (options?.customer !== undefined && (!customer || customer.object.length > 100 || customer.id.length > 200)) {
      throw CommsErrors.CARUSO_COMMS_INVALID_CONTACT({ contact: String(contactId), reason: 'the customer must be { object, id } (object at most 100, id at most 200 characters)' });
    }
    // The router logs the one disposition event; for a campaign call it carries the campaign and
    // target (remembered when the call ended), and the dialer only keeps the code with the target.
    const logged = await this.change(() => r.wrapUp(agentId, contactId, disposition, options?.note, customer));
    const campaignId = logged.data?.campaignId;
    const target = logged.data?.target;
    if (this.dialer && typeof campaignId === 'string' && typeof target === 'string' && !(await this.dialer.keepDisposition(campaignId, target, disposition))) {
      this.logger?.warn({ campaign: campaignId, contact: contactId }, 'disposition of a campaign call whose target the dialer does not know; logged, not kept with a target');
    }
  };
  enqueue: CommunicationServer['enqueue'] = (spec) => this.change((r) => r.enqueue(this.withQueuePriority(spec)));

  /** A contact without a priority of its own gets its queue's ({@link CommsServiceOptions.queuePriority}). */
  private withQueuePriority(spec: ContactSpec): ContactSpec {
    const p = typeof spec === 'object' && spec !== null && spec.priority === undefined ? this.options.queuePriority?.[spec.queueId] : undefined;
    return p === undefined ? spec : { ...spec, priority: p };
  }
  accept = (id: string, options?: { readonly agentId?: string }) => this.change((r) => r.accept(id, options));
  reject = (id: string, reason?: string) => this.change((r) => r.reject(id, reason));
  complete = (id: string, by?: 'agent' | 'caller') => this.change((r) => r.complete(id, by));
  hangUp = async (id: string): Promise<void> => {
    const channel = this.r.contact(id)?.channel;
    await this.change((r) => r.complete(id, 'agent'));
    if (this.channel && (channel === 'call' || channel === 'callback')) this.channel.hangUpLine(id);
  };
  abandon = (id: string) => this.change((r) => r.abandon(id));
  exit: CommunicationServer['exit'] = (id, reason) => this.change((r) => r.exit(id, reason));
  hold = (id: string) => this.change((r) => r.hold(id));
  retrieve = (id: string) => this.change((r) => r.retrieve(id));
  transferToQueue = (id: string, queueId: string) => this.change((r) => r.transferToQueue(id, queueId));
  transferToAgent = (id: string, agentId: string) => this.change((r) => r.transferToAgent(id, agentId));
  transferToNumber = (id: string, destination: string) => this.change((r) => r.transferToNumber(id, destination));
  conference: CommunicationServer['conference'] = (id, party) => this.change((r) => r.conference(id, party));
  leaveConference = (id: string, agentId: string) => this.change((r) => r.leaveConference(id, agentId));
  mute = (id: string, muted: boolean) => this.change((r) => r.mute(id, muted));
  sendDtmf = (id: string, digits: string) => this.change((r) => r.sendDtmf(id, digits));
  consult: CommunicationServer['consult'] = (id, party) => this.change((r) => r.consult(id, party));
  completeConsult: CommunicationServer['completeConsult'] = (id, outcome) => this.change((r) => r.completeConsult(id, outcome));
  cancelConsult = (id: string) => this.change((r) => r.cancelConsult(id));
  setCustomer: CommunicationServer['setCustomer'] = (id, customer) => this.change((r) => r.setCustomer(id, customer));
  customerOf: CommunicationServer['customerOf'] = (id) => this.r.customerOf(id);
  dial: CommunicationServer['dial'] = (agentId, spec) => this.change((r) => r.dial(agentId, spec));
  requestCallback: CommunicationServer['requestCallback'] = (id, number) => this.change((r) => r.requestCallback(id, number));
  scheduleCallback: CommunicationServer['scheduleCallback'] = (spec) => this.change((r) => r.scheduleCallback(spec));
  cancelScheduledCallback = (id: string) => this.change((r) => r.cancelScheduledCallback(id));
  scheduledCallbacks: CommunicationServer['scheduledCallbacks'] = () => this.r.scheduledCallbacks();
  contact: CommunicationServer['contact'] = (id) => this.r.contact(id);
  agent: CommunicationServer['agent'] = (id) => this.r.agent(id);
  agents: CommunicationServer['agents'] = () => this.r.agentIds().map((id) => this.r.agent(id));
  agentWork = (agentId: string): AgentWork => {
    const r = this.r;
    const agent = r.agent(agentId);
    return {
      agent,
      offers: r.pendingOffers(agentId),
      contacts: agent.contactIds.map((id) => r.contact(id)).filter((c): c is ContactSnapshot => c !== undefined),
      wrapUps: r.wrapUpsOf(agentId),
    };
  };
  waiting: CommunicationServer['waiting'] = (id) => this.r.waiting(id);
  queueStatus: CommunicationServer['queueStatus'] = (id) => this.withLabel(this.r.queueStatus(id));
  queues: CommunicationServer['queues'] = () => this.r.queueIds().map((id) => this.withLabel(this.r.queueStatus(id)));

  /** A queue's status with its label (QueueConfig.label), when it has one, for the pages that show queues. */
  private withLabel(s: QueueStatus): QueueStatus & { readonly label?: string } {
    const label = this.labels.get(s.queueId);
    return label === undefined ? s : { ...s, label };
  }
  position: CommunicationServer['position'] = (id) => this.r.position(id);
  pendingOffers: CommunicationServer['pendingOffers'] = (id) => this.r.pendingOffers(id);
  campaigns = (): CampaignProgress[] => {
    const dialer = this.dialer;
    if (!dialer) return this.r && [];
    return dialer.campaignIds().map((id) => dialer.progress(id));
  };
  campaignProgress = (id: string): CampaignProgress => this.d.progress(id);
  // The campaign's state is in its store, and its event (campaign-started …) durable in the log,
  // before the change resolves (rule 4; the event was only buffered before).
  startCampaign = (id: string): Promise<void> => this.durable(this.d.startCampaign(id));
  pauseCampaign = (id: string): Promise<void> => this.durable(this.d.pauseCampaign(id));
  stopCampaign = (id: string): Promise<void> => this.durable(this.d.stopCampaign(id));
  reloadCampaignTargets = async (id: string): Promise<number> => {
    const dialer = this.d;
    dialer.progress(id);
    const q = this.options.campaigns?.find((c) => c.id === id)?.targets;
    if (!q) throw CommsErrors.CARUSO_COMMS_INVALID_CAMPAIGN({ campaign: id, reason: 'it has no business-object query in the options (targets)' });
    return this.loadTargets(dialer, id, q);
  };
  addDoNotCall = (numbers: readonly string[]): Promise<void> => this.d.addDoNotCall(numbers);
  history: CommunicationServer['history'] = async (object, id, options) => {
    if (typeof object !== 'string' || object.length === 0 || (typeof id !== 'string' && typeof id !== 'number')) {
      throw CommsErrors.CARUSO_COMMS_INVALID_CONTACT({ contact: '(history)', reason: 'history needs a business object and a record key' });
    }
    return this.interactions({ customer: { object, id: String(id) }, ...(options?.limit === undefined ? {} : { limit: options.limit }) });
  };
  voicemails: CommunicationServer['voicemails'] = async () => {
    void this.r;
    return (await this.voicemailStore?.list()) ?? [];
  };
  voicemail: CommunicationServer['voicemail'] = async (id) => {
    void this.r;
    if (typeof id !== 'string' || id.length === 0 || id.length > 200) return undefined;
    return this.voicemailStore?.get(id);
  };
  relinkCustomer: CommunicationServer['relinkCustomer'] = async (from, to) => {
    const a = customerRefOf(from);
    const b = customerRefOf(to);
    if (!a || !b) throw CommsErrors.CARUSO_COMMS_INVALID_CONTACT({ contact: '(relink)', reason: 'from and to must be { object, id }' });
    void this.r;
    const store = this.interactionStore;
    if (!store) return 0;
    await this.recorder?.settled();
    return store.relinkCustomer(a, b);
  };
  interactions: CommunicationServer['interactions'] = async (query = {}) => {
    void this.r;
    const store = this.interactionStore;
    if (!store) return [];
    await this.recorder?.settled();
    return store.query(query);
  };
  private get q(): QualityManager {
    void this.r;
    return this.quality!;
  }
  setRecordingPaused = async (contactId: string, paused: boolean, by: string): Promise<void> => {
    await this.q.setRecordingPaused(contactId, paused, by);
    await this.events!.log.flush();
  };
  recordings = (contactId: string): Promise<RecordingEntry[]> => this.q.recordings(contactId);
  recordingAudio = (recordingId: string): Promise<{ readonly entry: RecordingEntry; readonly wav: Uint8Array } | undefined> => this.q.recordingAudio(recordingId);
  monitor = async (supervisor: string, agentId: string, mode: MonitorMode, options?: MonitorOptions): Promise<void> => {
    await this.q.monitor(supervisor, agentId, mode, options);
    await this.events!.log.flush();
  };
  setMonitorMode = async (supervisor: string, mode: MonitorMode): Promise<void> => {
    this.q.setMonitorMode(supervisor, mode);
    await this.events!.log.flush();
  };
  stopMonitoring = async (supervisor: string): Promise<void> => {
    this.q.stopMonitoring(supervisor);
    await this.events!.log.flush();
  };
  monitoring = (): MonitoringSession[] => this.q.monitoring();
  onDidOffer: CommunicationServer['onDidOffer'] = (l) => this.r.onDidOffer(l);
  onDidWithdrawOffer: CommunicationServer['onDidWithdrawOffer'] = (l) => this.r.onDidWithdrawOffer(l);
  onDidConnect: CommunicationServer['onDidConnect'] = (l) => this.r.onDidConnect(l);
  onDidExit: CommunicationServer['onDidExit'] = (l) => this.r.onDidExit(l);
  onDidEnd: CommunicationServer['onDidEnd'] = (l) => this.r.onDidEnd(l);
  onDidChangeAgentState: CommunicationServer['onDidChangeAgentState'] = (l) => this.r.onDidChangeAgentState(l);
}

type CommsDependencySpecs = {
  storage: { token: typeof StorageManager };
  log: { token: typeof ContactEventLog; optional: true };
  telephony: { token: typeof TelephonyAdapter; optional: true };
  dialogue: { token: typeof DialogueEngine; optional: true };
  mail: { token: typeof OutboundMail; optional: true };
  objects: { token: typeof BusinessObjects; optional: true };
};

/**
 * The communication server as a service: register it under the {@link CommunicationServer} token.
 *
 * Dependencies: the storage manager (voicemail and campaign tables); optionally the contact event log
 * (`caruso.comms.ContactEventLog`, see `contactEventLogService()`: register it so that the monitor and
 * the channels read the same log; without it the server keeps its own), a telephony adapter
 * (`caruso.comms.TelephonyAdapter`: calls, IVR, voicemail, callbacks dialled, campaigns), the dialogue
 * engine (IVR scripts), OutboundMail (voicemail notifications) and BusinessObjects (campaign targets).
 *
 * On start the contacts that were waiting go back in their queues in their order, scheduled
 * callbacks are re-armed and running campaigns resume.
 * @throws CARUSO_COMMS_INVALID_QUEUE, CARUSO_COMMS_INVALID_AGENT or CARUSO_COMMS_INVALID_OPTIONS at once for bad options.
 * @example
 * services.register(ContactEventLog, contactEventLogService());
 * services.register(TelephonyAdapter, simulatedTelephonyService());
 * services.register(CommunicationServer, commsService({
 *   queues: [{ id: 'support' }, { id: 'voicemail' }],
 *   agents: [{ id: 'anna', queues: [{ queueId: 'support' }] }],
 *   telephony: { entryPoints: [{ number: '0800-123', queueId: 'support', script: 'main-menu' }] },
 *   voicemail: { notify: { '*': 'team@example.com' } },
 * }));
 */
export function commsService(options: CommsServiceOptions = {}): ServiceDefinition<CommunicationServer, CommsDependencySpecs> {
  validateOptions(options);
  return {
    version: COMMS_SERVICE_VERSION,
    dependencies: {
      storage: { token: StorageManager },
      log: { token: ContactEventLog, optional: true },
      telephony: { token: TelephonyAdapter, optional: true },
      dialogue: { token: DialogueEngine, optional: true },
      mail: { token: OutboundMail, optional: true },
      objects: { token: BusinessObjects, optional: true },
    },
    create: (deps) => new CommsServer(deps, options),
  };
}
