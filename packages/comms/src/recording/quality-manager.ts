import { readFile } from 'node:fs/promises';
import { containPromise, Disposable, silentLogger, type Logger } from '@caruso/kernel';
import { builtInLanguage, RECORDING_ANNOUNCEMENTS } from '../telephony/announcement-texts.js';
import type { ContactEnded, QueueRouter } from '../acd/queue-router.js';
import type { ContactEventLog } from '../contract/contact-event-log.js';
import type { MonitorMode, MonitorOptions, MonitoringSession } from '../contract/quality.js';
import { MONITOR_MODES } from '../contract/quality.js';
import type { TelephonyAdapter, TelephonyEvent } from '../contract/telephony-adapter.js';
import { CommsErrors } from '../errors.js';
import { CallRecorder } from './call-recorder.js';
import { logRecordingChanges } from './recording-events.js';
import type { RecordingEntry, RecordingStore } from './recording-store.js';

/** Call recording settings (CommsServiceOptions.recording). */
export interface RecordingSettings {
  /** The folder recordings are written to (`yyyy/mm/dd/<random id>.wav` below it). */
  readonly folder: string;
  /** 1: both sides mixed (default); 2: the caller left, the agent right. */
  readonly channels?: 1 | 2;
  /** Recordings older than this many days are deleted by a daily sweep (default: kept). */
  readonly retentionDays?: number;
  /** Calls into these queues are recorded. */
  readonly queues?: readonly string[];
  /** Calls of these campaigns are recorded. */
  readonly campaigns?: readonly string[];
  /** Calls these agents take are recorded. */
  readonly agents?: readonly string[];
  /**
   * What the caller hears before the agent joins: one text, or a text per language (`{ en: …, nl: … }`).
   * The language of a call is its data's `language` (set by the IVR), else `language` below, else
   * the first text. Default: an English sentence. An empty text plays nothing.
   */
  readonly announcement?: string | Readonly<Record<string, string>>;
  /** The language of the announcement when a call has none of its own (default: the first text's). */
  readonly language?: string;
}

/** Supervisor monitoring settings (CommsServiceOptions.monitoring). */
export interface MonitoringSettings {
  /** Each supervisor's phone by user name: an endpoint (`agent:<user>` or a registered user), a SIP URI or a number. */
  readonly phones?: Readonly<Record<string, string>>;
  /** How long the supervisor's phone rings (default 30 s). */
  readonly ringTimeoutMs?: number;
}

/** The English recording announcement (the built-in ones per language: RECORDING_ANNOUNCEMENTS). */
export const DEFAULT_ANNOUNCEMENT = RECORDING_ANNOUNCEMENTS['en']!;

const PHONE = /^(?:(?:sips?:)[^\s<>"]{3,200}|(?:agent:|tel:)?[+0-9A-Za-z_.*#@:-]{1,64})$/;
const USER = /^\S{1,200}$/;

interface Session {
  readonly supervisor: string;
  readonly agentId: string;
  readonly contactId: string;
  readonly queueId: string;
  readonly callId: string;
  readonly monitorId: string;
  mode: MonitorMode;
  since: number;
  joined: boolean;
  settle: ((err: Error | undefined) => void) | undefined;
}

/** Options of {@link QualityManager}. */
export interface QualityManagerOptions {
  readonly router: QueueRouter;
  readonly log: ContactEventLog;
  readonly telephony: TelephonyAdapter | undefined;
  /** The line of a contact (the inbound call's id, or the leg dialled for a callback). */
  readonly callOf: (contactId: string) => string;
  readonly now: () => number;
  readonly recording?: RecordingSettings;
  readonly store?: RecordingStore;
  readonly monitoring?: MonitoringSettings;
  readonly logger?: Logger;
}

/**
 * Call recording and supervisor monitoring for the communication server: decides which calls are
 * recorded (by queue, campaign or agent), plays the announcement, feeds the adapter's audio to the
 * {@link CallRecorder} and stops it when the call ends; runs the supervisors' monitoring sessions.
 */
export class QualityManager extends Disposable {
  readonly recorder: CallRecorder | undefined;
  private readonly logger: Logger;
  private readonly announced = new Set<string>();
  /** The first agent connected to each recorded contact (named in the catalogue once the file exists). */
  private readonly agentOfRecording = new Map<string, string>();
  /** Outbound legs (callbacks, manual dials) to record once the customer answers, by call id. */
  private readonly awaitingAnswer = new Map<string, { readonly contactId: string; readonly queueId: string; readonly agentId: string }>();
  private readonly sessions = new Map<string, Session>();
  private readonly byMonitorId = new Map<string, Session>();
  private readonly recordedQueues: ReadonlySet<string>;
  private readonly recordedCampaigns: ReadonlySet<string>;
  private readonly recordedAgents: ReadonlySet<string>;
  private warnedNoTap = false;
  private readonly pending = new Set<Promise<unknown>>();

  constructor(private readonly options: QualityManagerOptions) {
    super();
    this.logger = options.logger ?? silentLogger();
    const r = options.recording;
    this.recordedQueues = new Set(r?.queues ?? []);
    this.recordedCampaigns = new Set(r?.campaigns ?? []);
    this.recordedAgents = new Set(r?.agents ?? []);
    if (r && options.store) {
      const recorder = this.register(new CallRecorder({ folder: r.folder, store: options.store, now: options.now, ...(r.channels ? { channels: r.channels } : {}), ...(r.retentionDays !== undefined ? { retentionDays: r.retentionDays } : {}), logger: this.logger }));
      this.recorder = recorder;
      this.register(logRecordingChanges(recorder, options.log));
      this.register(options.log.onDidAppend((e) => {
        if (e.kind !== 'queue-entered' || e.channel !== 'call' || e.contactId === undefined) return;
        // A manual dial: its customer is not dialled yet (recorded once they answer, see onDidConnect).
        if (e.data?.data?.['manualDial'] === true) return;
        const campaignId = e.data?.data?.['campaignId'];
        if (this.recordedQueues.has(e.queueId!) || (typeof campaignId === 'string' && this.recordedCampaigns.has(campaignId))) this.beginRecording(e.contactId, e.queueId!, undefined);
      }));
      this.register(options.router.onDidOffer((o) => {
        if (o.channel === 'call' && this.recordedAgents.has(o.agentId)) this.beginRecording(o.contactId, o.queueId, o.agentId);
      }));
      this.register(options.router.onDidConnect((c) => {
        if (c.channel !== 'call' && c.channel !== 'callback') return;
        const campaignId = c.data['campaignId'];
        if (!(this.recordedQueues.has(c.queueId) || this.recordedAgents.has(c.agentId) || (typeof campaignId === 'string' && this.recordedCampaigns.has(campaignId)))) return;
        if (c.via !== 'transfer' && (c.channel === 'callback' || c.data['manualDial'] === true)) {
          // A callback or a manual dial: the telephony channel (told first) is dialling the customer
          // now. Recorded once they answer; they hear the announcement then, before the agent.
          if (this.announced.has(c.contactId)) return;
          this.awaitingAnswer.set(this.options.callOf(c.contactId), { contactId: c.contactId, queueId: c.queueId, agentId: c.agentId });
          return;
        }
        this.beginRecording(c.contactId, c.queueId, c.agentId);
      }));
    }
    this.register(options.router.onDidEnd((e) => this.onEnded(e)));
    if (options.telephony) this.register(options.telephony.onDidEvent((e) => this.onTelephony(e)));
  }

  /** Starts the daily retention sweep. */
  startRetention(): void {
    this.recorder?.startRetention();
  }

  /** Resolves when the recordings' writes started so far are done. */
  async settled(): Promise<void> {
    for (let i = 0; i < 100 && this.pending.size > 0; i++) await Promise.allSettled([...this.pending]);
  }

  /** Stops every recording and monitoring session (the server stops). */
  async close(): Promise<void> {
    for (const s of [...this.sessions.values()]) this.endSession(s, 'stopped', true);
    await this.settled();
    await this.recorder?.close();
  }

  /** Runs a recording's write in the background: awaited by {@link settled}, its failure contained and logged. */
  private track(p: Promise<unknown>): void {
    this.pending.add(p);
    const done = (): void => {
      this.pending.delete(p);
    };
    p.then(done, done);
    containPromise('caruso.comms/recording', p);
  }

  // ------------------------------------------------------------------ recording

  private beginRecording(contactId: string, queueId: string, agentId: string | undefined): void {
    const recorder = this.recorder;
    const telephony = this.options.telephony;
    if (!recorder || !telephony) return;
    if (this.announced.has(contactId)) {
      // Recorded since it entered the queue: the agent who takes it is named in the catalogue.
      if (agentId !== undefined) this.nameAgent(contactId, agentId);
      return;
    }
    if (agentId !== undefined) this.agentOfRecording.set(contactId, agentId);
    if (!telephony.tapAudio) {
      if (!this.warnedNoTap) this.logger.warn({ adapter: telephony.name }, 'recording is configured but the telephony adapter cannot record calls (no tapAudio)');
      this.warnedNoTap = true;
      return;
    }
    this.announced.add(contactId);
    const callId = this.options.callOf(contactId);
    const text = this.announcementFor(contactId);
    if (text && (telephony.isActive?.(callId) ?? true)) {
      try {
        // Heard to its end: an agent answering meanwhile is connected after it (bounded by the adapter).
        telephony.playPrompt(callId, text, { interruptible: false, holdsAgent: true });
      } catch (err) {
        this.logger.warn({ err, contact: contactId }, 'the recording announcement could not be played');
      }
    }
    this.track(
      recorder.start({ contactId, queueId, ...(agentId !== undefined ? { agentId } : {}) }).then(
        () => {
          if (!this.announced.has(contactId)) {
            // The call ended while the file was being created.
            this.track(recorder.stop(contactId));
            return;
          }
          const named = this.agentOfRecording.get(contactId);
          if (named !== undefined) this.track(recorder.nameAgent(contactId, named));
          telephony.tapAudio?.(callId, (side, samples) => recorder.push(contactId, side, samples));
        },
        (err: unknown) => this.logger.error({ err, contact: contactId }, 'the call recording could not start; the call goes on unrecorded'),
      ),
    );
  }

  /** The first agent of a recorded contact; named at once when its file exists, else when it does. */
  private nameAgent(contactId: string, agentId: string): void {
    if (this.agentOfRecording.has(contactId)) return;
    this.agentOfRecording.set(contactId, agentId);
    if (this.recorder?.isRecording(contactId)) this.track(this.recorder.nameAgent(contactId, agentId));
  }

  private announcementFor(contactId: string): { readonly text: string; readonly language?: string } | undefined {
    const configured = this.options.recording?.announcement;
    const language = this.options.recording?.language;
    if (typeof configured === 'string') return configured.trim() === '' ? undefined : { text: configured, ...(language ? { language } : {}) };
    // None given: the built-in sentence in the call's language, else the configured one, else English.
    const a = configured ?? RECORDING_ANNOUNCEMENTS;
    const entries = Object.entries(a);
    if (entries.length === 0) return undefined;
    const has = (tag: unknown): string | undefined => {
      if (typeof tag !== 'string') return undefined;
      if (a[tag] !== undefined) return tag;
      const base = configured === undefined ? builtInLanguage(tag) : undefined;
      return base !== undefined && a[base] !== undefined ? base : undefined;
    };
    const pick = has(this.options.router.contact(contactId)?.data['language']) ?? has(language) ?? (configured === undefined ? 'en' : entries[0]![0]);
    const text = a[pick]!;
    return text.trim() === '' ? undefined : { text, language: pick };
  }

  private onEnded(e: ContactEnded): void {
    for (const [callId, w] of this.awaitingAnswer) if (w.contactId === e.contactId) this.awaitingAnswer.delete(callId);
    for (const s of [...this.sessions.values()]) {
      if (s.contactId !== e.contactId) continue;
      this.endSession(s, 'call-ended', true);
      this.track(this.options.log.flush());
    }
    this.agentOfRecording.delete(e.contactId);
    if (!this.announced.delete(e.contactId)) return;
    const recorder = this.recorder;
    if (!recorder) return;
    const callId = this.options.callOf(e.contactId);
    try {
      this.options.telephony?.tapAudio?.(callId, undefined);
    } catch {
      // The call is gone already: nothing taps it.
    }
    this.track(recorder.stop(e.contactId).then(() => this.options.log.flush()).catch((err: unknown) => this.logger.error({ err, contact: e.contactId }, 'the call recording could not be closed')));
  }

  /** Pauses or resumes a contact's recording (see QualityManagement.setRecordingPaused). */
  async setRecordingPaused(contactId: string, paused: boolean, by: string): Promise<void> {
    if (typeof by !== 'string' || !USER.test(by)) throw CommsErrors.CARUSO_COMMS_INVALID_CONTACT({ contact: String(contactId), reason: "'by' must be a user name" });
    if (typeof paused !== 'boolean') throw CommsErrors.CARUSO_COMMS_INVALID_CONTACT({ contact: String(contactId), reason: "'paused' must be true or false" });
    // A recording whose file is still being created: wait for it (a pause right after the answer).
    await this.settled();
    const recorder = this.recorder;
    if (!recorder || typeof contactId !== 'string' || !recorder.isRecording(contactId)) {
      throw CommsErrors.CARUSO_COMMS_CONTACT_STATE({ contact: String(contactId), action: paused ? 'pause its recording' : 'resume its recording', state: 'not being recorded' });
    }
    if (paused) recorder.pause(contactId, by);
    else recorder.resume(contactId, by);
  }

  async recordings(contactId: string): Promise<RecordingEntry[]> {
    if (!this.options.store || typeof contactId !== 'string' || contactId.length === 0 || contactId.length > 300) return [];
    return this.options.store.forContact(contactId);
  }

  async recordingAudio(recordingId: string): Promise<{ readonly entry: RecordingEntry; readonly wav: Uint8Array } | undefined> {
    const store = this.options.store;
    const recorder = this.recorder;
    if (!store || !recorder || typeof recordingId !== 'string' || !/^[0-9a-f-]{36}$/.test(recordingId)) return undefined;
    const entry = await store.get(recordingId);
    if (!entry) return undefined;
    try {
      return { entry, wav: new Uint8Array(await readFile(recorder.pathOf(entry))) };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  // ------------------------------------------------------------------ monitoring

  monitoring(): MonitoringSession[] {
    return [...this.sessions.values()].filter((s) => s.joined).map((s) => ({ supervisor: s.supervisor, agentId: s.agentId, contactId: s.contactId, mode: s.mode, since: s.since }));
  }

  /** Starts a session; resolves when the supervisor's phone joined the call (the event is appended, not yet flushed). */
  async monitor(supervisor: string, agentId: string, mode: MonitorMode, options: MonitorOptions = {}): Promise<void> {
    if (typeof supervisor !== 'string' || !USER.test(supervisor)) throw CommsErrors.CARUSO_COMMS_INVALID_CONTACT({ contact: '(monitor)', reason: 'the supervisor must be a user name' });
    if (!MONITOR_MODES.includes(mode)) throw CommsErrors.CARUSO_COMMS_INVALID_CONTACT({ contact: '(monitor)', reason: `the mode must be one of ${MONITOR_MODES.join(', ')}` });
    const { router, telephony } = this.options;
    const agent = router.agent(agentId);
    const contact = agent.contactIds.map((id) => router.contact(id)).find((c) => c !== undefined && c.state === 'connected' && c.channel === 'call');
    if (!contact) throw CommsErrors.CARUSO_COMMS_AGENT_STATE({ agent: agentId, action: 'be monitored', state: 'not on a call' });
    if (this.sessions.has(supervisor)) throw CommsErrors.CARUSO_COMMS_AGENT_STATE({ agent: supervisor, action: 'monitor another call', state: 'monitoring one (stop it first)' });
    if (!telephony?.monitor) throw CommsErrors.CARUSO_COMMS_CONTACT_STATE({ contact: contact.id, action: 'be monitored', state: `on an adapter that cannot monitor (${telephony?.name ?? 'none'})` });
    const phone = options.phone ?? this.options.monitoring?.phones?.[supervisor];
    if (typeof phone !== 'string' || !PHONE.test(phone)) {
      throw CommsErrors.CARUSO_COMMS_INVALID_CONTACT({ contact: contact.id, reason: phone === undefined ? `no phone is configured for supervisor ${supervisor} (monitoring.phones) and none was given` : 'the phone must be an endpoint, a SIP URI or a number' });
    }
    const callId = this.options.callOf(contact.id);
    const ringTimeoutMs = this.options.monitoring?.ringTimeoutMs ?? 30_000;
    let monitorId: string;
    try {
      monitorId = telephony.monitor(callId, phone, mode, { ringTimeoutMs });
    } catch (err) {
      this.logger.warn({ err, contact: contact.id }, 'the telephony adapter could not dial the supervisor');
      throw CommsErrors.CARUSO_COMMS_CONTACT_STATE({ contact: contact.id, action: 'be monitored', state: `on a line the adapter cannot monitor (${(err as Error).message})` });
    }
    const s: Session = { supervisor, agentId, contactId: contact.id, queueId: contact.queueId, callId, monitorId, mode, since: this.options.now(), joined: false, settle: undefined };
    this.sessions.set(supervisor, s);
    this.byMonitorId.set(monitorId, s);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        if (this.sessions.get(supervisor) !== s || s.joined) return;
        telephony.stopMonitor?.(monitorId);
        this.forget(s);
        reject(CommsErrors.CARUSO_COMMS_CONTACT_STATE({ contact: contact.id, action: 'be monitored', state: "the supervisor's phone did not answer" }));
      }, ringTimeoutMs + 5_000);
      timer.unref?.();
      s.settle = (err) => {
        clearTimeout(timer);
        s.settle = undefined;
        if (err) reject(err);
        else resolve();
      };
    });
  }

  /** Switches a session's mode; resolves once the event is appended. */
  setMonitorMode(supervisor: string, mode: MonitorMode): void {
    if (!MONITOR_MODES.includes(mode)) throw CommsErrors.CARUSO_COMMS_INVALID_CONTACT({ contact: '(monitor)', reason: `the mode must be one of ${MONITOR_MODES.join(', ')}` });
    const s = this.sessions.get(supervisor);
    if (!s || !s.joined) throw CommsErrors.CARUSO_COMMS_CONTACT_STATE({ contact: '(monitor)', action: 'change its monitoring mode', state: `${String(supervisor)} monitors no call` });
    if (s.mode === mode) return;
    this.options.telephony?.setMonitorMode?.(s.monitorId, mode);
    s.mode = mode;
    this.append('monitoring-changed', s);
  }

  stopMonitoring(supervisor: string): void {
    const s = this.sessions.get(supervisor);
    if (s) this.endSession(s, 'stopped', true);
  }

  private onTelephony(e: TelephonyEvent): void {
    if (e.type === 'answered' || e.type === 'hung-up') {
      const w = this.awaitingAnswer.get(e.callId);
      if (!w) return;
      this.awaitingAnswer.delete(e.callId);
      if (e.type === 'answered' && this.options.router.contact(w.contactId)?.state === 'connected') this.beginRecording(w.contactId, w.queueId, w.agentId);
      return;
    }
    if (e.type === 'monitor-joined') {
      const s = this.byMonitorId.get(e.monitorId);
      if (!s || s.joined) return;
      s.joined = true;
      s.since = this.options.now();
      this.append('monitoring-started', s);
      s.settle?.(undefined);
    } else if (e.type === 'monitor-ended') {
      const s = this.byMonitorId.get(e.monitorId);
      if (s) {
        this.endSession(s, e.cause, false);
        // Nobody waits on this change: it is made durable in the background.
        this.track(this.options.log.flush());
      }
    }
  }

  private endSession(s: Session, cause: string, hangUp: boolean): void {
    if (this.sessions.get(s.supervisor) !== s) return;
    this.forget(s);
    if (hangUp) {
      try {
        this.options.telephony?.stopMonitor?.(s.monitorId);
      } catch (err) {
        this.logger.warn({ err, supervisor: s.supervisor }, 'the monitoring leg could not be hung up');
      }
    }
    if (s.joined) this.append('monitoring-stopped', s);
    else s.settle?.(CommsErrors.CARUSO_COMMS_CONTACT_STATE({ contact: s.contactId, action: 'be monitored', state: cause === 'call-ended' ? 'ended' : `the supervisor's phone could not be reached (${cause})` }));
  }

  private forget(s: Session): void {
    this.sessions.delete(s.supervisor);
    this.byMonitorId.delete(s.monitorId);
  }

  private append(kind: 'monitoring-started' | 'monitoring-changed' | 'monitoring-stopped', s: Session): void {
    this.options.log.append({ kind, at: this.options.now(), contactId: s.contactId, agentId: s.agentId, reason: s.mode, queueId: s.queueId, channel: 'call', data: { supervisor: s.supervisor } });
  }
}
