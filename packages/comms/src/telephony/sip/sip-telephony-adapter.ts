import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { mkdir, readFile } from 'node:fs/promises';
import { networkInterfaces, tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { containFault, containPromise, Disposable, Emitter, safeInterval, safeTimeout, silentLogger, toDisposable, type HealthStatus, type Logger } from '@caruso/kernel';
import { SIP_FAULTS } from './sip-faults.js';
import { CommsErrors } from '../../errors.js';
import type { AudioTap, Prompt, PromptOptions, Recording, TelephonyAdapter, TelephonyEvent } from '../../contract/telephony-adapter.js';
import type { MonitorMode } from '../../contract/quality.js';
import type { G711PayloadType } from './g711.js';
import { ConferenceMixer } from './conference-mixer.js';
import { RtpMediaEngine, type RtpSession } from './rtp-session.js';
import { answerDirection, buildSdp, chooseCodec, parseSdp, readSdp, type MediaDirection, type SdpMediaLine } from './sdp.js';
import { DigestAuthenticator, digestAuthorization } from './sip-digest.js';
import { routeRequest, routeSetOf } from './sip-dialog.js';
import {
  cseqOf, header, headerValues, paramOf, parseSipUri, randomToken, uriOf,
  type SipHeader, type SipParseLimits, type SipRequest, type SipResponse,
} from './sip-message.js';
import { SipRegistrar } from './sip-registrar.js';
import { SipStack, type AckTimeout, type IncomingRequest, type SipAddress } from './sip-stack.js';
import { SipTrunkRegistration, type TrunkRegistrationStatus } from './sip-trunk-registration.js';
import { parseWav, readWav, tone, writeWav } from './wav-file.js';

/** A SIP trunk: a provider or the company's PBX, reached by address and/or credentials. */
export interface SipTrunk {
  readonly id: string;
  readonly host: string;
  /** Default 5060. */
  readonly port?: number;
  /** Default `udp`. */
  readonly transport?: 'udp' | 'tcp';
  /** Credentials Caruso answers the trunk's digest challenges with. */
  readonly username?: string;
  readonly password?: string;
  /**
   * Register with the trunk (REGISTER with `username`@`host`, answered challenges, refreshed before it
   * runs out, retried when it fails). Default false: a trunk that sends to a fixed address needs none.
   */
  readonly register?: boolean;
  /** Binding time asked for, s (default 3600). */
  readonly registerExpiresSec?: number;
  /**
   * The user name of the digest answers when it differs from `username` (3CX's "Authentication ID",
   * many carriers' "auth user"). Default `username`.
   */
  readonly authUsername?: string;
  /**
   * The SIP domain of the account: the host of our From on calls through the trunk, of the address of
   * record we register and of the REGISTER's Request-URI. Default `host`.
   */
  readonly domain?: string;
  /**
   * The user part of our From on calls through the trunk (the account or the main number, as the trunk
   * wants it). Default: the caller ID of the call (`originate`'s callerId), else `username`.
   */
  readonly fromUser?: string;
  /**
   * How the caller ID of a call is asserted to the trunk: `pai` adds P-Asserted-Identity (RFC 3325),
   * `rpid` adds Remote-Party-ID (older Asterisk and Cisco gear), `none` (default) adds neither.
   */
  readonly assertedIdentity?: 'none' | 'pai' | 'rpid';
  /**
   * `id` withholds the caller ID from the callee (RFC 3323 `Privacy: id`): From becomes
   * `"Anonymous" <sip:anonymous@anonymous.invalid>` and the asserted identity, if any, carries the
   * number for the carrier only. Default `none`.
   */
  readonly privacy?: 'none' | 'id';
  /**
   * A proxy every request to this trunk goes through (`host`, `host:port` or a SIP URI): the INVITE
   * and REGISTER are sent there with a Route header to it (loose routing). Default: straight to `host`.
   */
  readonly outboundProxy?: string;
}

/** Credentials of an agent's phone that registers with Caruso. */
export interface SipUserCredentials {
  readonly username: string;
  readonly password: string;
}

/** Options of a {@link SipTelephonyAdapter}. */
export interface SipTelephonyOptions {
  /** Adapter name in messages (default `sip`). */
  readonly name?: string;
  /** Address to bind SIP and RTP to (default `0.0.0.0`; tests: `127.0.0.1`). */
  readonly host?: string;
  /** Address written into Contact, Via and SDP (default: `host`, or the first external IPv4 address). */
  readonly advertisedHost?: string;
  /** UDP and TCP port (default: `SIP_PORT` or 5060; 0 picks a free port). */
  readonly port?: number;
  /** RTP port range (default 20000–29998); RTCP uses the port after each RTP port. */
  readonly rtpPorts?: { readonly min: number; readonly max: number };
  /** Average gap between RTCP reports per leg, ms (default 5000). */
  readonly rtcpIntervalMs?: number;
  /** Realm of the registrar's challenges (default `caruso`). */
  readonly realm?: string;
  /** Agents' phones allowed to register (default: `CARUSO_SIP_USERS`, `user:password,user2:password2`). */
  readonly users?: readonly SipUserCredentials[];
  /** Trunks; the first one carries calls to numbers (`tel:`, digits) unless `trunk:<id>:<number>` names another. */
  readonly trunks?: readonly SipTrunk[];
  /** Folder of prompt files named by relative paths (default: the working directory). */
  readonly promptDir?: string;
  /** Folder recordings are written to (default: the system's temporary folder). */
  readonly recordingDir?: string;
  /** Most calls at once; more INVITEs get 503 (default 500). */
  readonly maxCalls?: number;
  /**
   * Most INVITEs from one source address (IP, any port) that are pending at once: not yet answered,
   * or answered and not yet acknowledged. More get 503 with Retry-After (default 20; like Kamailio's
   * pike). The trunks' addresses are exempt; raise it for a PBX that is not listed as a trunk.
   */
  readonly maxPendingInvitesPerSource?: number;
  /** Most TCP connections from one address (default 32; more are closed at once). */
  readonly maxTcpConnectionsPerSource?: number;
  /**
   * Most SIP server transactions kept at once (default 100,000, about 100 MB); past it INVITEs get
   * 503 and other requests are answered without keeping state.
   */
  readonly maxServerTransactions?: number;
  /**
   * A caller from whom no RTP or RTCP arrived for this long while the call is up (answered, not on
   * hold, and the caller is to send) is gone: the call is ended with BYE and reported hung up with
   * cause `media-timeout`, ms (default 60,000; 0 switches it off). Phones send RTCP every few seconds
   * even when silence suppression stops their RTP.
   */
  readonly mediaTimeoutMs?: number;
  /**
   * An inbound call that the application has neither answered nor ended this long after
   * `call-offered` is refused with 480 and reported hung up (by `local`, cause `no-answer`), so that
   * its INVITE transaction, RTP port and pending place end, ms (default 120,000, as Kamailio's
   * fr_inv_timer; 0 switches it off). The TelephonyChannel answers at once; this is a safety net.
   */
  readonly answerTimeoutMs?: number;
  /**
   * Who may call in. `any` (default): every caller that reaches the port, as a company's own number
   * on its PBX. `known`: only the trunks' addresses (their hosts resolved when the adapter starts)
   * and phones registered with Caruso; any other INVITE gets 403 Forbidden and starts nothing. Use
   * `known` when the SIP port is reachable from the internet.
   */
  readonly inbound?: 'any' | 'known';
  /** Codecs offered, in order (default µ-law then A-law). */
  readonly codecs?: readonly G711PayloadType[];
  /** Speech synthesis for text prompts (default: espeak-ng and sox, 8 kHz mono). */
  readonly synthesize?: (text: string, language: string | undefined) => Promise<Int16Array>;
  /** Played to the caller while on hold (loops). */
  readonly holdMusic?: string;
  readonly limits?: SipParseLimits;
  /**
   * RFC 3261 T1, ms (default 500). Transactions end after 64×T1 (32 s by default): an answered call
   * whose caller never acknowledges the 200 is ended with BYE then, and its RTP ports are released.
   */
  readonly t1Ms?: number;
  /** First wait before a failed trunk registration is tried again, ms (default 30 s, doubling up to 5 min). */
  readonly registerRetryMs?: number;
  /**
   * How long an inbound call rings (180 Ringing, sent when the INVITE arrives) before `answer` sends
   * the 200, ms (default 0: answered as soon as the application answers). A caller can cancel while it
   * rings (200 to the CANCEL, 487 to the INVITE); prompts asked for meanwhile start with the 200.
   */
  readonly ringMs?: number;
  /**
   * The smallest session interval (RFC 4028 Session-Expires) we accept, s; a smaller one gets 422 with
   * Min-SE (default 90, the RFC's floor; tests use less).
   */
  readonly minSessionExpiresSec?: number;
  readonly logger?: Logger;
}

type LegState = 'offered' | 'early' | 'confirmed' | 'ended';

/** Where an outbound leg goes: Request-URI, first hop, credentials, trunk, preloaded route. */
interface Target {
  readonly uri: string;
  readonly dest: SipAddress;
  readonly auth: { readonly username: string; readonly password: string } | undefined;
  /** A registered phone: requests inside the dialog go to the address it registered from. */
  readonly symmetric: boolean;
  readonly trunk: SipTrunk | undefined;
  /** Route header values put on the INVITE (an outbound proxy). */
  readonly route: readonly string[];
}

/**
 * What an outbound leg on the agent's side is for: ringing or talking to the agent (`bridge`; the
 * call's `bridged` leg), a consultation (`consult`), or a conferenced party (`conference`). A
 * consulted party that takes the call over becomes the `bridge` leg.
 */
type LegPurpose = 'bridge' | 'consult' | 'conference' | 'monitor';

/** A supervisor's phone in a call (see `monitor`): who hears it depends on the mode. */
interface MonitorLeg {
  readonly id: string;
  readonly leg: Leg;
  mode: MonitorMode;
}

interface Leg {
  readonly call: SipCall;
  readonly role: 'caller' | 'agent';
  purpose: LegPurpose;
  sipCallId: string;
  localTag: string;
  remoteTag: string;
  /** Our From (outbound) or To (inbound) value, without tag. */
  localUri: string;
  /** Their From (inbound) or To (outbound) value, without tag. */
  remoteUri: string;
  /** The far end's Contact (RFC 3261 §12): the Request-URI of requests inside the dialog. */
  remoteTarget: string;
  /**
   * The route set (§12.1): Route header values of requests inside the dialog. Before the dialog exists
   * (an outbound INVITE and its CANCEL) it holds the preloaded route to an outbound proxy.
   */
  routeSet: string[];
  /**
   * Requests inside a dialog without a route set go to `dest` (where the far end's requests come from,
   * or the address its registration came from) instead of its Contact: phones behind NAT.
   */
  symmetric: boolean;
  /** The first hop of the INVITE (the trunk, the outbound proxy, the phone), or where the caller's INVITE came from. */
  dest: SipAddress;
  /** The trunk an outbound leg goes through, and the trunks to try next when it fails (408, 5xx, no answer). */
  trunk: SipTrunk | undefined;
  fallbacks: readonly Target[];
  /** Identity headers of an outbound INVITE (P-Asserted-Identity, Remote-Party-ID, Privacy). */
  identity: SipHeader[];
  /** The caller ID the leg was started with (`originate`), kept for a retry on another trunk. */
  readonly callerId: string | undefined;
  localSeq: number;
  state: LegState;
  rtp: RtpSession | undefined;
  readonly sessionId: number;
  sdpVersion: number;
  direction: MediaDirection;
  invite: IncomingRequest | undefined;
  sentInvite: SipRequest | undefined;
  endpoint: string;
  ringTimer: NodeJS.Timeout | undefined;
  ringingSent: boolean;
  cancelled: boolean;
  auth: { readonly username: string; readonly password: string } | undefined;
  authTried: boolean;
  /** The m-lines of the last offer and our stream's index among them, repeated in every answer (RFC 3264 §6). */
  mirror: { readonly media: readonly SdpMediaLine[]; readonly index: number } | undefined;
  /** For an inbound INVITE: the source address it counts against while it is pending. */
  pendingSource: string | undefined;
  /** A delayed offer (INVITE without SDP): our 200 carried the offer, the ACK must carry the answer. */
  awaitingAnswer: 'initial' | 'update' | undefined;
  /** The session timer (RFC 4028) of an inbound dialog: interval, s, and who refreshes it. */
  session: { expires: number; refresher: 'uac' | 'uas'; require: boolean } | undefined;
}

/** Figures of a SIP adapter for metrics pages and health. */
export interface SipAdapterMetrics {
  /** Calls in progress. */
  readonly calls: number;
  /** Inbound INVITEs not yet answered or not yet acknowledged, and the addresses they come from. */
  readonly pendingInvites: number;
  readonly pendingSources: number;
  /** INVITEs refused with 503 because their source had too many pending. */
  readonly refusedPendingLimit: number;
  /** Calls ended with BYE because the caller never acknowledged the 200 (64×T1). */
  readonly ackTimeouts: number;
  /** Calls ended with BYE because no RTP or RTCP came from the caller for `mediaTimeoutMs`. */
  readonly mediaTimeouts: number;
  /** RTP ports in use (each leg holds an RTP port and the RTCP port after it) and the size of the range. */
  readonly rtpPortsInUse: number;
  readonly rtpPortsTotal: number;
  /** Packets and clock ticks whose handling threw (contained and logged; each one is a bug). */
  readonly packetErrors: number;
  /** Messages and media datagrams that could not be sent. */
  readonly sendErrors: number;
  /** SIP messages received, and those refused as malformed. */
  readonly received: number;
  readonly malformed: number;
  /** Open TCP connections, and those closed at once (too many in all, or from one address). */
  readonly tcpConnections: number;
  readonly refusedConnections: number;
  /** Open SIP transactions, and requests answered without one because the table was full. */
  readonly transactions: number;
  readonly statelessAnswers: number;
}

interface Collect {
  readonly maxDigits: number;
  readonly terminator: string | undefined;
  digits: string;
  timer: NodeJS.Timeout;
}

interface SipCall {
  readonly id: string;
  readonly direction: 'inbound' | 'outbound';
  caller: Leg | undefined;
  readonly agents: Map<string, Leg>;
  bridged: Leg | undefined;
  answered: boolean;
  ended: boolean;
  typeAhead: string;
  collect: Collect | undefined;
  prompt: { readonly id: string; readonly interruptible: boolean } | undefined;
  recording: { readonly id: string; readonly timer: NodeJS.Timeout; readonly startedAt: number } | undefined;
  held: boolean;
  /** The customer's phone holds the call (its re-INVITE sendonly, inactive or 0.0.0.0). */
  customerHeld: boolean;
  /**
   * We put the customer on hold (re-INVITE sendonly, hold music): their audio is out of the relay or
   * mix. Not set when the agent's phone holds from its side (its re-INVITE): its own stream is relayed.
   */
  onHold: boolean;
  originateTimer: NodeJS.Timeout | undefined;
  /** An inbound call the application does not answer in `answerTimeoutMs` is refused. */
  answerTimer: NodeJS.Timeout | undefined;
  /** When the INVITE was offered to the application (for `ringMs`). */
  readonly offeredAt: number;
  /** `answer` was called during the `ringMs` window: the 200 waits for this timer. */
  ringing: NodeJS.Timeout | undefined;
  /** Work that waits for the 200 (prompts asked for while the call still rings). */
  afterAnswer: Array<() => void>;
  /** Session timer (RFC 4028) of the caller's dialog: a refresh we send, or the end when none arrives. */
  sessionTimer: NodeJS.Timeout | undefined;
  /** The agent's side is muted: the customer does not hear it (relayed as silence, or left out of the mix). */
  muted: boolean;
  /** The consultation leg of an attended transfer, ringing or answered. */
  consult: Leg | undefined;
  /** Conferenced parties by the name they were added with. */
  readonly conference: Map<string, Leg>;
  /** Mixes the legs while three or more talk. */
  mixer: ConferenceMixer | undefined;
  /** Call recording: receives the customer's and the agent's decoded audio while they are connected. */
  tap: AudioTap | undefined;
  /** Supervisors' phones monitoring the call, by monitoring id. */
  readonly monitors: Map<string, MonitorLeg>;
  /** A prompt the agent's connection waits for (`playPrompt` with `holdsAgent`). */
  announcement: Announcement | undefined;
}

/** A prompt that holds the agent's connection back until it has finished (or its bound passed). */
interface Announcement {
  readonly promptId: string;
  timer: NodeJS.Timeout | undefined;
  /** Connections of agents who answered while it played. */
  readonly waiters: Array<() => void>;
}

/** How long a held-back agent waits for an announcement that is still being loaded or synthesised, ms. */
const ANNOUNCEMENT_LOAD_MS = 5_000;
/** How long past an announcement's own length a held-back agent waits, ms. */
const ANNOUNCEMENT_GRACE_MS = 1_000;

/** How long a conferenced party's phone rings before the attempt is given up, ms. */
const CONFERENCE_RING_MS = 30_000;
const DTMF_DIGITS = /^[0-9*#A-D]{1,32}$/i;

const ALLOW = 'INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, NOTIFY, REFER, REGISTER';
/** The SIP extensions we support (RFC 3261 §8.2.2.3): a Require naming any other gets 420. */
const SUPPORTED = 'timer';
const DTMF_PT = 101;
const NO_BODY = Buffer.alloc(0);

/**
 * The SIP and RTP telephony adapter: a back-to-back user agent that anchors every call's media.
 * Inbound INVITEs (from a trunk, a PBX or any SIP client) become `call-offered`; prompts are played
 * from WAV files or synthesized text, digits arrive as RFC 4733 events or SIP INFO, recordings are
 * written as WAV, and `bridge` rings an agent's registered phone, a SIP URI or a number through a
 * trunk, then relays the two legs' RTP. Agents' phones register with digest authentication.
 */
export class SipTelephonyAdapter extends Disposable implements TelephonyAdapter {
  readonly name: string;
  private readonly _onDidEvent = this.register(new Emitter<TelephonyEvent>({ owner: 'caruso.comms/telephony' }));
  readonly onDidEvent = this._onDidEvent.event;
  private readonly _onDidChangeTrunkRegistration = this.register(new Emitter<TrunkRegistrationStatus>());
  /** A trunk registration changed state or was refreshed. */
  readonly onDidChangeTrunkRegistration = this._onDidChangeTrunkRegistration.event;
  readonly stack: SipStack;
  readonly media: RtpMediaEngine;
  readonly registrar = new SipRegistrar();
  private readonly auth: DigestAuthenticator;
  private readonly calls = new Map<string, SipCall>();
  private readonly legs = new Map<string, Leg>();
  private readonly audio = new Map<string, Promise<Int16Array>>();
  private readonly logger: Logger;
  private readonly host: string;
  private readonly advertised: string;
  private readonly users: Map<string, string>;
  private readonly codecs: readonly G711PayloadType[];
  private readonly registrations: SipTrunkRegistration[] = [];
  /** The trunks' addresses, when only known peers may call in. */
  private readonly trunkAddresses = new Set<string>();
  private readonly configuredPort: number;
  /** Pending inbound INVITEs by source address (see `maxPendingInvitesPerSource`). */
  private readonly pendingBySource = new Map<string, number>();
  private refusedPendingLimit = 0;
  private mediaTimeouts = 0;
  private seq = 0;
  /**
   * Begins every call id. Call ids are contact ids in the event log, so they must never repeat: not
   * after a restart (numbering starts again) and not between processes sharing a database.
   */
  private readonly idPrefix = `s-${randomUUID().slice(0, 8)}-`;

  constructor(private readonly options: SipTelephonyOptions = {}) {
    super();
    this.name = options.name ?? 'sip';
    this.logger = (options.logger ?? silentLogger()).child({ svc: 'comms.sip' });
    this.host = options.host ?? '0.0.0.0';
    this.advertised = options.advertisedHost ?? (this.host === '0.0.0.0' ? externalAddress() : this.host);
    const port = options.port ?? (process.env['SIP_PORT'] !== undefined ? Number(process.env['SIP_PORT']) : 5060);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw CommsErrors.CARUSO_COMMS_SIP_INVALID_OPTIONS({ reason: `port ${String(port)} is not a port number` });
    this.configuredPort = port;
    const rtp = options.rtpPorts ?? { min: 20000, max: 29998 };
    if (!(Number.isInteger(rtp.min) && Number.isInteger(rtp.max) && rtp.min > 0 && rtp.max < 65535 && rtp.min < rtp.max)) throw CommsErrors.CARUSO_COMMS_SIP_INVALID_OPTIONS({ reason: `rtpPorts ${rtp.min}-${rtp.max} is not a range of ports` });
    for (const t of options.trunks ?? []) {
      if (!t.id || !t.host) throw CommsErrors.CARUSO_COMMS_SIP_INVALID_OPTIONS({ reason: `trunk ${t.id || '(no id)'} needs an id and a host` });
      if (t.register && !t.username) throw CommsErrors.CARUSO_COMMS_SIP_INVALID_OPTIONS({ reason: `trunk ${t.id} registers, so it needs a username` });
      const problem = trunkProblem(t);
      if (problem) throw CommsErrors.CARUSO_COMMS_SIP_INVALID_OPTIONS({ reason: `trunk ${t.id}: ${problem}` });
    }
    for (const k of ['maxPendingInvitesPerSource', 'maxTcpConnectionsPerSource', 'maxServerTransactions'] as const) {
      const v = options[k];
      if (v !== undefined && !(Number.isInteger(v) && v >= 1)) throw CommsErrors.CARUSO_COMMS_SIP_INVALID_OPTIONS({ reason: `${k} ${String(v)} is not a whole number of 1 or more` });
    }
    for (const k of ['mediaTimeoutMs', 'answerTimeoutMs', 'ringMs'] as const) {
      const v = options[k];
      if (v !== undefined && !(Number.isFinite(v) && v >= 0)) {
        throw CommsErrors.CARUSO_COMMS_SIP_INVALID_OPTIONS({ reason: `${k} ${String(v)} is not a number of milliseconds (0 switches it off)` });
      }
    }
    if (options.minSessionExpiresSec !== undefined && !(Number.isInteger(options.minSessionExpiresSec) && options.minSessionExpiresSec >= 1)) {
      throw CommsErrors.CARUSO_COMMS_SIP_INVALID_OPTIONS({ reason: `minSessionExpiresSec ${String(options.minSessionExpiresSec)} is not a whole number of seconds of 1 or more` });
    }
    if (options.t1Ms !== undefined && !(Number.isFinite(options.t1Ms) && options.t1Ms >= 1)) {
      throw CommsErrors.CARUSO_COMMS_SIP_INVALID_OPTIONS({ reason: `t1Ms ${String(options.t1Ms)} is not a positive number of milliseconds` });
    }
    this.users = new Map((options.users ?? usersFromEnvironment()).map((u) => [u.username, u.password]));
    for (const [u, p] of this.users) if (!u || !p) throw CommsErrors.CARUSO_COMMS_SIP_INVALID_OPTIONS({ reason: `user ${u || '(empty)'} needs a name and a password` });
    this.codecs = options.codecs?.length ? options.codecs : [0, 8];
    this.auth = new DigestAuthenticator(options.realm ?? 'caruso', (u) => this.users.get(u));
    this.stack = this.register(new SipStack({
      host: this.host, port, advertisedHost: this.advertised, logger: this.logger,
      ...(options.limits ? { limits: options.limits } : {}), ...(options.t1Ms ? { t1Ms: options.t1Ms } : {}),
      ...(options.maxTcpConnectionsPerSource === undefined ? {} : { maxTcpConnectionsPerSource: options.maxTcpConnectionsPerSource }),
      ...(options.maxServerTransactions === undefined ? {} : { maxServerTransactions: options.maxServerTransactions }),
    }));
    this.media = this.register(new RtpMediaEngine({
      host: this.host, minPort: rtp.min, maxPort: rtp.max, logger: this.logger,
      ...(options.rtcpIntervalMs === undefined ? {} : { rtcpIntervalMs: options.rtcpIntervalMs }),
    }));
    this.register(this.stack.onDidRequest((r) => this.onRequest(r)));
    this.register(this.stack.onDidStrayResponse((res) => this.onStrayResponse(res)));
    this.register(this.stack.onDidAckTimeout((t) => this.onAckTimeout(t)));
  }

  /** Binds the SIP port (UDP and TCP). */
  async start(): Promise<void> {
    try {
      await this.stack.listen();
    } catch (err) {
      // Nothing stays open after a failed start (the service manager does not stop a service that never started).
      this.dispose();
      throw CommsErrors.CARUSO_COMMS_SIP_LISTEN_FAILED({ address: `${this.host}:${this.configuredPort}`, reason: (err as Error).message }, { cause: err });
    }
    this.logger.info({ port: this.stack.port }, 'SIP adapter listening');
    const mediaTimeout = this.options.mediaTimeoutMs ?? 60_000;
    if (mediaTimeout > 0) {
      const every = safeInterval(SIP_FAULTS, () => this.checkMedia(mediaTimeout), Math.max(20, Math.min(5000, mediaTimeout / 4)));
      every.unref();
      this.register(toDisposable(() => clearInterval(every)));
    }
    // The trunks' addresses: with `inbound: 'known'` the only callers besides registered phones (so
    // they are resolved before the first call), and in any case exempt from the pending-INVITE limit.
    const resolving = this.resolveTrunks();
    if (this.options.inbound === 'known') await resolving;
    for (const t of this.options.trunks ?? []) {
      if (!t.register || !t.username) continue;
      const proxy = t.outboundProxy ? outboundProxyOf(t.outboundProxy, t.transport ?? 'udp') : undefined;
      const reg = this.register(new SipTrunkRegistration(this.stack, {
        trunkId: t.id, dest: proxy?.dest ?? { transport: t.transport ?? 'udp', host: t.host, port: t.port ?? 5060 }, domain: t.domain ?? t.host,
        username: t.username, password: t.password, logger: this.logger,
        ...(t.authUsername === undefined ? {} : { authUsername: t.authUsername }),
        ...(proxy ? { route: proxy.route } : {}),
        ...(t.registerExpiresSec === undefined ? {} : { expiresSec: t.registerExpiresSec }),
        ...(this.options.registerRetryMs === undefined ? {} : { retryMs: this.options.registerRetryMs }),
      }));
      this.register(reg.onDidChange((s) => this._onDidChangeTrunkRegistration.fire(s)));
      this.registrations.push(reg);
      reg.start();
    }
  }

  private async resolveTrunks(): Promise<void> {
    for (const t of this.options.trunks ?? []) {
      if (isIP(t.host)) {
        this.trunkAddresses.add(t.host);
        continue;
      }
      try {
        for (const a of await lookup(t.host, { all: true })) this.trunkAddresses.add(a.address);
      } catch (err) {
        this.logger.warn({ err, trunk: t.id }, this.options.inbound === 'known'
          ? 'the trunk host does not resolve: its calls in are refused until a restart'
          : 'the trunk host does not resolve: its INVITEs count against the pending limit like any caller\'s');
      }
    }
  }

  /** The registration of every trunk that registers. */
  trunkRegistrations(): TrunkRegistrationStatus[] {
    return this.registrations.map((r) => r.status);
  }

  /**
   * Down when the SIP port is not bound; degraded while a trunk that registers is not registered or
   * while more than 90 % of the RTP port range is in use. `checks.rtp` tells the range's use.
   */
  health(): HealthStatus {
    const m = this.metrics();
    const used = m.rtpPortsTotal > 0 ? m.rtpPortsInUse / m.rtpPortsTotal : 1;
    const range = this.media.portRange;
    const rtp: HealthStatus = {
      status: used > 0.9 ? 'degraded' : 'ok',
      detail: `${m.rtpPortsInUse} of ${m.rtpPortsTotal} RTP ports in use (${Math.round(used * 100)} % of rtpPorts ${range.min}-${range.max})`,
    };
    const checks = { rtp };
    if (this.stack.port === 0) return { status: 'down', detail: 'the SIP port is not bound', checks };
    const unregistered = this.registrations.filter((r) => r.status.state !== 'registered').map((r) => r.status.trunk);
    if (unregistered.length) return { status: 'degraded', detail: `not registered with trunk ${unregistered.join(', ')}`, checks };
    if (rtp.status !== 'ok') return { status: 'degraded', detail: `RTP ports nearly exhausted: ${rtp.detail ?? ''}`, checks };
    return { status: 'ok', detail: `${this.calls.size} calls, ${this.registrar.users.length} phones registered, ${rtp.detail ?? ''}`, checks };
  }

  /** Figures for metrics pages: calls, pending INVITEs, refusals, time-outs, the RTP range's use, contained errors. */
  metrics(): SipAdapterMetrics {
    let pending = 0;
    for (const n of this.pendingBySource.values()) pending += n;
    const st = this.stack.stats;
    return {
      calls: this.calls.size, pendingInvites: pending, pendingSources: this.pendingBySource.size, refusedPendingLimit: this.refusedPendingLimit,
      ackTimeouts: st.ackTimeouts, mediaTimeouts: this.mediaTimeouts, rtpPortsInUse: this.media.openSessions * this.media.portsPerSession,
      rtpPortsTotal: this.media.capacity * this.media.portsPerSession, packetErrors: st.packetErrors + this.media.packetErrors,
      sendErrors: st.sendErrors + this.media.sendErrors, received: st.received, malformed: st.malformed,
      tcpConnections: this.stack.tcpConnections, refusedConnections: st.refusedConnections,
      transactions: this.stack.openTransactions, statelessAnswers: st.statelessAnswers,
    };
  }

  /** Hangs up every call, removes the trunk registrations and closes the sockets. */
  async stop(): Promise<void> {
    for (const call of [...this.calls.values()]) this.end(call, 'local', 'shutdown');
    await Promise.all(this.registrations.map((r) => r.unregister()));
    // Let the BYEs leave before the socket closes.
    await new Promise((r) => setTimeout(r, 20));
    this.dispose();
  }

  /** The bound SIP port. */
  get port(): number {
    return this.stack.port;
  }

  /** Calls in progress. */
  get activeCalls(): number {
    return this.calls.size;
  }

  /** Whether the call is still up. */
  isActive(callId: string): boolean {
    return this.calls.has(callId);
  }

  /** The media figures of a call's legs (for monitoring and the benchmark). */
  mediaStats(callId: string): { readonly caller?: RtpSession['stats']; readonly agent?: RtpSession['stats'] } {
    const call = this.calls.get(callId);
    return { ...(call?.caller?.rtp ? { caller: call.caller.rtp.stats } : {}), ...(call?.bridged?.rtp ? { agent: call.bridged.rtp.stats } : {}) };
  }

  /** The audio of a finished recording as WAV bytes. */
  async readRecording(recording: Recording): Promise<Uint8Array> {
    return readFile(recording.uri);
  }

  private get minSessionExpires(): number {
    return this.options.minSessionExpiresSec ?? 90;
  }

  /** Session-Expires (and Require: timer when the far end supports it) for a 2xx of the caller's dialog. */
  private sessionTimerHeaders(leg: Leg): SipHeader[] {
    const s = leg.session;
    if (!s) return [];
    return [{ name: 'session-expires', value: `${s.expires};refresher=${s.refresher}` }, ...(s.require ? [{ name: 'require', value: 'timer' }] : [])];
  }

  /**
   * (Re)starts the session timer of an inbound dialog (RFC 4028 §10): when we refresh, a re-INVITE at
   * half the interval; when the far end refreshes and no refresh comes, a BYE shortly before the
   * interval ends (the smaller of 32 s and a third of it).
   */
  private startSessionTimer(leg: Leg): void {
    const call = leg.call;
    const s = leg.session;
    // Only the caller's dialog has a session timer: an agent phone's re-INVITE leaves it alone.
    if (!s) return;
    if (call.sessionTimer) clearTimeout(call.sessionTimer);
    call.sessionTimer = undefined;
    if (leg.state !== 'confirmed' || call.ended) return;
    if (s.refresher === 'uas') {
      call.sessionTimer = safeTimeout(SIP_FAULTS, () => this.refreshSession(leg), (s.expires * 1000) / 2);
    } else {
      call.sessionTimer = safeTimeout(SIP_FAULTS, () => {
        if (call.ended || leg.state !== 'confirmed') return;
        this.logger.warn({ callId: call.id, expires: s.expires }, 'the session was not refreshed in time (RFC 4028): the call is ended with BYE');
        this.bye(leg);
        this.end(call, 'remote', 'session-expired');
      }, (s.expires - Math.min(32, s.expires / 3)) * 1000);
    }
    call.sessionTimer.unref();
  }

  /** Our session refresh: a re-INVITE with the session as it is; a refresh that fails ends the call. */
  private refreshSession(leg: Leg): void {
    const call = leg.call;
    if (call.ended || leg.state !== 'confirmed' || !leg.rtp || !leg.session) return;
    this.inDialog(leg, 'INVITE', [
      ...this.contactHeaders('application/sdp', leg.dest.transport), { name: 'supported', value: SUPPORTED },
      { name: 'session-expires', value: `${leg.session.expires};refresher=uac` },
    ], this.sdpFor(leg), (res) => {
      if (res.status < 200 || call.ended) return;
      if (res.status < 300) {
        this.ackInDialog(leg, res);
        this.startSessionTimer(leg);
        return;
      }
      // 491 (glare) and the like leave the session; anything else means the far end is gone (§10).
      if (res.status === 491) {
        call.sessionTimer = safeTimeout(SIP_FAULTS, () => this.refreshSession(leg), 2000);
        return;
      }
      this.logger.warn({ callId: call.id, status: res.status }, 'the session refresh failed: the call is ended with BYE');
      this.bye(leg);
      this.end(call, 'remote', 'session-expired');
    });
  }

  private emit(e: TelephonyEvent): void {
    this._onDidEvent.fire(e);
  }

  private need(callId: string): SipCall {
    const c = this.calls.get(callId);
    if (!c || c.ended) throw CommsErrors.CARUSO_COMMS_UNKNOWN_CALL({ call: callId, adapter: this.name });
    return c;
  }

  // ---------------------------------------------------------------- commands

  /**
   * Answers an inbound call with 200 OK. With `ringMs` the 200 waits until the call has rung that long
   * (180 Ringing is sent when the INVITE arrives), so that a caller can still cancel; prompts asked
   * for meanwhile start once it is answered.
   */
  answer(callId: string): void {
    const call = this.need(callId);
    const leg = call.caller;
    if (call.answered || call.ringing || !leg?.invite || !leg.rtp) return;
    const wait = (this.options.ringMs ?? 0) - (Date.now() - call.offeredAt);
    if (wait > 0) {
      call.ringing = safeTimeout(SIP_FAULTS, () => {
        call.ringing = undefined;
        if (!call.ended) this.sendAnswer(call);
      }, wait);
      return;
    }
    this.sendAnswer(call);
  }

  private sendAnswer(call: SipCall): void {
    const leg = call.caller;
    if (call.answered || !leg?.invite || !leg.rtp) return;
    call.answered = true;
    if (call.answerTimer) clearTimeout(call.answerTimer);
    call.answerTimer = undefined;
    leg.rtp.heardNow();
    // A delayed offer (an INVITE without SDP): the 200 carries our offer of every codec, the ACK the answer.
    const body = leg.awaitingAnswer ? this.sdpFor(leg, this.codecs) : this.sdpFor(leg);
    leg.invite.respond(200, 'OK', {
      toTag: leg.localTag, body,
      headers: [...this.contactHeaders('application/sdp', leg.dest.transport), { name: 'supported', value: SUPPORTED }, ...this.sessionTimerHeaders(leg)],
    });
    leg.invite = undefined;
    leg.state = 'confirmed';
    this.startSessionTimer(leg);
    this.emit({ type: 'answered', callId: call.id });
    const waiting = call.afterAnswer;
    call.afterAnswer = [];
    for (const run of waiting) run();
  }

  playPrompt(callId: string, prompt: Prompt, options: PromptOptions = {}): string {
    const call = this.need(callId);
    const promptId = `p${++this.seq}`;
    call.prompt = { id: promptId, interruptible: options.interruptible ?? true };
    let held: Announcement | undefined;
    if (options.holdsAgent) {
      // An agent answering while it plays waits for it (bounded: the load, then its length + 1 s).
      if (call.announcement) this.releaseAnnouncement(call, call.announcement);
      const a: Announcement = { promptId, timer: undefined, waiters: [] };
      a.timer = safeTimeout(SIP_FAULTS, () => this.releaseAnnouncement(call, a), ANNOUNCEMENT_LOAD_MS);
      call.announcement = a;
      held = a;
    }
    const finished = (interrupted: boolean) => {
      if (call.prompt?.id === promptId) call.prompt = undefined;
      if (held) this.releaseAnnouncement(call, held);
      if (!call.ended) this.emit({ type: 'prompt-finished', callId, promptId, interrupted });
    };
    this.loadPrompt(prompt).then(
      (samples) => {
        const play = () => {
          if (call.ended || call.prompt?.id !== promptId || !call.caller?.rtp) {
            if (held) this.releaseAnnouncement(call, held);
            return;
          }
          if (held?.timer) {
            clearTimeout(held.timer);
            const a = held;
            a.timer = safeTimeout(SIP_FAULTS, () => this.releaseAnnouncement(call, a), Math.ceil(samples.length / 8) + ANNOUNCEMENT_GRACE_MS);
          }
          call.caller.rtp.play(samples, finished);
        };
        // A prompt asked for while the call still rings (`ringMs`) starts with the 200, not before.
        if (call.ringing) call.afterAnswer.push(play);
        else play();
      },
      (err: unknown) => {
        this.logger.warn({ err, callId }, 'prompt could not be played');
        finished(false);
      },
    );
    return promptId;
  }

  /** Lets the agents held back by an announcement be connected (once; harmless for one released). */
  private releaseAnnouncement(call: SipCall, a: Announcement): void {
    if (call.announcement !== a) return;
    call.announcement = undefined;
    if (a.timer) clearTimeout(a.timer);
    a.timer = undefined;
    for (const run of a.waiters.splice(0)) run();
  }

  collectDtmf(callId: string, options: { readonly maxDigits: number; readonly timeoutMs: number; readonly terminator?: string }): void {
    const call = this.need(callId);
    if (call.collect) clearTimeout(call.collect.timer);
    const collect: Collect = {
      maxDigits: Math.max(1, options.maxDigits), terminator: options.terminator, digits: '',
      timer: safeTimeout(SIP_FAULTS, () => this.finishCollect(call, true), options.timeoutMs),
    };
    call.collect = collect;
    if (!call.typeAhead) return;
    // Keys pressed ahead are taken after this call returns: `dtmf-collected` must not fire before
    // the caller of collectDtmf has started waiting for it (the IVR does so right after the call).
    queueMicrotask(() => {
      if (call.collect !== collect || call.ended) return;
      const ahead = call.typeAhead;
      call.typeAhead = '';
      for (const d of ahead) if (call.collect === collect) this.onDigit(call, d);
    });
  }

  private finishCollect(call: SipCall, timedOut: boolean): void {
    const c = call.collect;
    if (!c) return;
    clearTimeout(c.timer);
    call.collect = undefined;
    this.emit({ type: 'dtmf-collected', callId: call.id, digits: timedOut && !c.digits ? '' : c.digits, timedOut: timedOut && !c.digits });
  }

  private onDigit(call: SipCall, digit: string): void {
    if (call.ended) return;
    if (call.recording && digit === '#') {
      containPromise(SIP_FAULTS, this.finishRecording(call));
      return;
    }
    if (call.prompt?.interruptible) call.caller?.rtp?.stopPlayback(true);
    const c = call.collect;
    if (!c) {
      if (call.typeAhead.length < 32) call.typeAhead += digit;
      return;
    }
    if (digit === c.terminator) return this.finishCollect(call, false);
    c.digits += digit;
    if (c.digits.length >= c.maxDigits) this.finishCollect(call, false);
  }

  record(callId: string, options: { readonly maxMs: number; readonly beep?: boolean }): void {
    const call = this.need(callId);
    const rtp = call.caller?.rtp;
    if (!rtp || call.recording) return;
    const startRecording = () => {
      if (call.ended) return;
      rtp.startRecording();
      call.recording = { id: `r${++this.seq}`, startedAt: Date.now(), timer: safeTimeout(SIP_FAULTS, () => this.finishRecording(call), options.maxMs) };
    };
    if (options.beep ?? true) {
      call.prompt = undefined;
      rtp.play(tone(1000, 250), () => startRecording());
    } else startRecording();
  }

  /** Ends the recording; resolves once `recording-finished` has fired (or the write failed). */
  private finishRecording(call: SipCall): Promise<void> {
    const r = call.recording;
    const rtp = call.caller?.rtp;
    if (!r || !rtp) return Promise.resolve();
    clearTimeout(r.timer);
    call.recording = undefined;
    const samples = rtp.stopRecording();
    const dir = this.options.recordingDir ?? tmpdir();
    const uri = join(dir, `caruso-${call.id}-${r.id}.wav`);
    return mkdir(dir, { recursive: true })
      .then(() => writeWav(uri, samples))
      .then(
        () => {
          const recording = { recordingId: r.id, durationMs: Math.round(samples.length / 8), uri, mimeType: 'audio/wav' };
          this.emit({ type: 'recording-finished', callId: call.id, recording });
        },
        (err: unknown) => this.logger.error({ err, callId: call.id }, 'recording could not be written'),
      );
  }

  bridge(callId: string, endpoint: string, options: { readonly ringTimeoutMs: number }): void {
    const call = this.need(callId);
    if (call.agents.has(endpoint) || call.bridged) return;
    const [target, ...fallbacks] = this.routes(endpoint);
    if (!target) {
      queueMicrotask(() => this.emit({ type: 'bridge-failed', callId, endpoint, cause: 'failed' }));
      return;
    }
    const leg = this.newLeg(call, 'agent', target, endpoint, undefined, fallbacks);
    call.agents.set(endpoint, leg);
    leg.ringTimer = safeTimeout(SIP_FAULTS, () => {
      leg.ringTimer = undefined;
      if (leg.state === 'ended' || leg.state === 'confirmed') return;
      this.cancelLeg(leg);
      this.emit({ type: 'bridge-failed', callId, endpoint, cause: 'no-answer' });
    }, options.ringTimeoutMs);
    this.invite(leg, call.caller?.rtp?.codec).catch((err: unknown) => {
      this.logger.warn({ err, callId }, 'agent leg could not be started');
      this.dropAgentLeg(leg);
      this.emit({ type: 'bridge-failed', callId, endpoint, cause: 'failed' });
    });
  }

  cancelBridge(callId: string, endpoint: string): void {
    const leg = this.calls.get(callId)?.agents.get(endpoint);
    if (!leg || leg.state === 'confirmed') return;
    this.cancelLeg(leg);
  }

  transfer(callId: string, destination: string): void {
    const call = this.need(callId);
    const leg = call.caller;
    const target = this.resolve(destination);
    if (!leg || leg.state !== 'confirmed' || !target) {
      queueMicrotask(() => this.emit({ type: 'hung-up', callId, by: 'local', cause: 'transfer-failed' }));
      this.end(call, 'local', 'transfer-failed', false);
      return;
    }
    this.inDialog(leg, 'REFER', [{ name: 'refer-to', value: `<${target.uri}>` }, { name: 'referred-by', value: `<sip:caruso@${this.advertised}>` }], NO_BODY, (res) => {
      if (res.status < 200) return;
      if (res.status < 300) {
        this.emit({ type: 'transferred', callId, destination });
        this.end(call, undefined, 'transferred');
      } else {
        this.logger.info({ callId, status: res.status }, 'transfer refused by the caller\'s side');
      }
    });
  }

  hold(callId: string): void {
    this.setHold(this.need(callId), true);
  }

  unhold(callId: string): void {
    this.setHold(this.need(callId), false);
  }

  /**
   * Puts the customer on hold (re-INVITE sendonly, hold music) or back (re-INVITE sendrecv); `held`
   * or `unheld` follows the 2xx unless `announce` is false (a completed attended transfer).
   */
  private setHold(call: SipCall, held: boolean, announce = true): void {
    const leg = call.caller;
    if (!leg || leg.state !== 'confirmed' || call.held === held) return;
    call.held = held;
    call.onHold = held;
    leg.direction = held ? 'sendonly' : 'sendrecv';
    leg.sdpVersion++;
    if (!held) {
      leg.rtp?.stopPlayback(true);
      leg.rtp?.heardNow();
    }
    this.rewire(call);
    if (held && this.options.holdMusic) this.loopHoldMusic(call);
    this.inDialog(leg, 'INVITE', this.contactHeaders('application/sdp', leg.dest.transport), this.sdpFor(leg), (res) => {
      if (res.status >= 200 && res.status < 300) {
        const contact = header(res, 'contact');
        if (contact) leg.remoteTarget = uriOf(contact);
        this.ackInDialog(leg, res);
        if (announce && !call.ended) this.emit({ type: held ? 'held' : 'unheld', callId: call.id, by: 'agent' });
      }
    });
  }

  /**
   * Connects the legs that talk: the customer (unless on hold), the agent, the conferenced parties
   * and an answered consultation. Two of them are relayed packet by packet; three or more are mixed
   * (see ConferenceMixer); a muted agent is relayed as silence or left out of the mix.
   */
  private rewire(call: SipCall): void {
    if (call.ended) return;
    const talking = (l: Leg | undefined): l is Leg => l !== undefined && l.rtp !== undefined && l.state !== 'ended' && !l.cancelled;
    const agent = call.bridged;
    const members: Leg[] = [];
    if (talking(call.caller) && !call.onHold) members.push(call.caller);
    if (talking(agent) && agent.state === 'confirmed') members.push(agent);
    for (const p of call.conference.values()) if (talking(p) && p.state === 'confirmed') members.push(p);
    if (talking(call.consult) && call.consult.state === 'confirmed') members.push(call.consult);
    const monitors = [...call.monitors.values()].filter((m) => talking(m.leg) && m.leg.state === 'confirmed');
    const monitorLegs = monitors.map((m) => m.leg);
    for (const l of [call.caller, ...call.agents.values(), agent, ...call.conference.values(), call.consult, ...[...call.monitors.values()].map((m) => m.leg)]) {
      if (!l?.rtp) continue;
      l.rtp.relayTo(undefined);
      l.rtp.silenced = false;
      l.rtp.tap = undefined;
    }
    // Recording: what the customer and the agent send, once the agent is connected (not the wait in
    // the queue before it).
    const tap = call.tap;
    if (tap && agent && members.includes(agent)) {
      if (call.caller && members.includes(call.caller)) call.caller.rtp!.tap = (samples) => tap('caller', samples);
      if (agent && members.includes(agent)) agent.rtp!.tap = (samples) => tap('agent', samples);
    }
    if (members.length + monitors.length >= 3 && members.length > 0) {
      call.mixer ??= new ConferenceMixer(this.media);
      // Recording in a mix: the agent's side is what the customer hears (the agent, a barging
      // supervisor, conferenced parties; never a supervisor who listens or whispers).
      const customer = tap && agent && members.includes(agent) && call.caller && members.includes(call.caller) ? call.caller : undefined;
      if (customer) agent!.rtp!.tap = undefined;
      const hears = customer && tap ? (samples: Int16Array) => tap('agent', samples) : undefined;
      // Who hears whom: a muted agent is heard by the supervisors only; a supervisor who listens by
      // nobody, one who whispers by the agent alone, one who barges by everybody.
      const supervisors = monitorLegs.map((l) => l.rtp!);
      call.mixer.setMembers([
        ...members.map((l) => ({
          ...(call.muted && l === agent ? { rtp: l.rtp!, heard: supervisors.length > 0, audience: supervisors } : { rtp: l.rtp!, heard: true }),
          ...(l === customer && hears ? { tap: hears } : {}),
        })),
        ...monitors.map((m) => ({ rtp: m.leg.rtp!, heard: m.mode !== 'listen', ...(m.mode === 'barge' ? {} : { audience: m.mode === 'whisper' && agent?.rtp && members.includes(agent) ? [agent.rtp] : [] }) })),
      ]);
      return;
    }
    call.mixer?.dispose();
    call.mixer = undefined;
    if (members.length < 2) return;
    const [a, b] = members as [Leg, Leg];
    a.rtp!.relayTo(b.rtp);
    b.rtp!.relayTo(a.rtp);
    // Muted: the customer no longer hears the agent (the agent still hears the customer).
    if (call.muted && agent && members.includes(agent) && call.caller && members.includes(call.caller)) agent.rtp!.silenced = true;
  }

  private loopHoldMusic(call: SipCall): void {
    const file = this.options.holdMusic;
    if (!file) return;
    this.loadPrompt({ file }).then((samples) => {
      const again = (): void => {
        if (call.onHold && !call.ended) call.caller?.rtp?.play(samples, (interrupted) => { if (!interrupted) again(); });
      };
      again();
    }, (err: unknown) => this.logger.warn({ err }, 'hold music could not be played'));
  }

  /**
   * Mutes the agent's side: the customer hears silence instead of the agent (the packets keep their
   * timing), or in a conference the agent is left out of the mix; the agent still hears everyone.
   * Then `muted`. The flag stays with the call until the agent's leg is replaced (a transfer).
   */
  mute(callId: string, muted: boolean): void {
    const call = this.need(callId);
    if (call.muted !== muted) {
      call.muted = muted;
      this.rewire(call);
    }
    queueMicrotask(() => {
      if (!call.ended) this.emit({ type: 'muted', callId, muted });
    });
  }

  /**
   * Sends DTMF keys to the customer's leg: RFC 4733 telephone-events with the payload type the
   * customer's SDP gave (each key 100 ms, its end packet three times, 60 ms between keys), or dual
   * tones in the audio when the customer's side takes no telephone-events. Then `dtmf-sent`.
   * Note: throws CARUSO_COMMS_INVALID_CONTACT for anything but 1–32 of 0-9 * # A-D, and
   * CARUSO_COMMS_CONTACT_STATE before the customer's leg is answered; either way nothing is sent.
   */
  sendDtmf(callId: string, digits: string): void {
    const call = this.need(callId);
    if (typeof digits !== 'string' || !DTMF_DIGITS.test(digits)) {
      // The digits are not echoed: they may be an account number or a PIN.
      const length = typeof digits === 'string' ? digits.length : 0;
      throw CommsErrors.CARUSO_COMMS_INVALID_CONTACT({ contact: callId, reason: `DTMF digits must be 1 to 32 of 0-9, *, #, A-D (got ${length} characters)` });
    }
    const leg = call.caller;
    if (!leg?.rtp || leg.state !== 'confirmed') throw CommsErrors.CARUSO_COMMS_CONTACT_STATE({ contact: callId, action: 'send DTMF', state: 'the customer\'s leg is not answered' });
    leg.rtp.sendDigits(digits.toUpperCase(), () => {
      if (!call.ended) this.emit({ type: 'dtmf-sent', callId, count: digits.length });
    });
  }

  /**
   * Adds a party to the call (an agent endpoint, a SIP URI or a number through a trunk). Once it
   * answers, the customer, the agent and the parties are mixed (three or more legs); when one leaves
   * and two remain, they are relayed again. A party that cannot be reached is logged, no event.
   */
  conference(callId: string, party: string): void {
    const call = this.need(callId);
    if (call.conference.has(party) || call.bridged?.endpoint === party) return;
    const target = this.resolve(party);
    if (!target) {
      this.logger.warn({ callId }, 'conference: no route to the party (no registered phone, SIP URI or trunk)');
      return;
    }
    const leg = this.newLeg(call, 'agent', target, party);
    leg.purpose = 'conference';
    call.conference.set(party, leg);
    leg.ringTimer = safeTimeout(SIP_FAULTS, () => {
      leg.ringTimer = undefined;
      if (leg.state !== 'early' || leg.cancelled) return;
      this.cancelLeg(leg);
      this.partyLeft(leg, 'no-answer', false);
    }, CONFERENCE_RING_MS);
    this.invite(leg, call.caller?.rtp?.codec).catch((err: unknown) => {
      this.logger.warn({ err, callId }, 'the conference leg could not be started');
      this.partyLeft(leg, 'failed');
    });
  }

  /**
   * Hangs up a conferenced party (or stops it ringing). Given the agent's endpoint while parties are
   * connected, the agent's leg leaves and the first party takes its place. Harmless for a party that
   * is not in the call.
   */
  leaveConference(callId: string, party: string): void {
    const call = this.need(callId);
    const leg = call.conference.get(party);
    if (leg) return this.hangUpParty(leg);
    const agent = call.bridged;
    if (agent?.endpoint === party && [...call.conference.values()].some((p) => p.state === 'confirmed')) {
      this.bye(agent);
      this.promoteParty(call);
    }
  }

  /**
   * Call recording: while the customer and the agent are connected, each one's decoded audio is handed
   * to `tap` frame by frame (see TelephonyAdapter.tapAudio); undefined removes it. Harmless for a call
   * that is gone.
   */
  tapAudio(callId: string, tap: AudioTap | undefined): void {
    const call = this.calls.get(callId);
    if (!call || call.ended) return;
    call.tap = tap;
    this.rewire(call);
  }

  /**
   * Supervisor monitoring: rings `phone` (a registered phone, a SIP URI or a number through a trunk)
   * and, once it answers, mixes it into the call: `listen` hears the customer and the agent and is
   * heard by nobody, `whisper` is heard by the agent only, `barge` by everybody. Then `monitor-joined`,
   * and `monitor-ended` when it cannot be reached, hangs up, is stopped or the call ends.
   */
  monitor(callId: string, phone: string, mode: MonitorMode, options: { readonly ringTimeoutMs: number }): string {
    const call = this.need(callId);
    const id = `mon-${randomUUID()}`;
    const target = this.resolve(phone);
    if (!target) {
      queueMicrotask(() => {
        if (!call.ended) this.emit({ type: 'monitor-ended', callId, monitorId: id, cause: 'failed' });
      });
      return id;
    }
    const leg = this.newLeg(call, 'agent', target, phone);
    leg.purpose = 'monitor';
    call.monitors.set(id, { id, leg, mode });
    leg.ringTimer = safeTimeout(SIP_FAULTS, () => {
      leg.ringTimer = undefined;
      if (leg.state !== 'early' || leg.cancelled) return;
      this.cancelLeg(leg);
      this.partyLeft(leg, 'no-answer', false);
    }, Math.max(1_000, options.ringTimeoutMs));
    this.invite(leg, call.caller?.rtp?.codec).catch((err: unknown) => {
      this.logger.warn({ err, callId }, 'the monitoring leg could not be started');
      this.partyLeft(leg, 'failed');
    });
    return id;
  }

  /** Switches who hears a supervisor (see {@link monitor}) at once, without a new INVITE. */
  setMonitorMode(monitorId: string, mode: MonitorMode): void {
    for (const call of this.calls.values()) {
      const m = call.monitors.get(monitorId);
      if (!m) continue;
      m.mode = mode;
      this.rewire(call);
      return;
    }
  }

  /** Hangs up a supervisor's phone (then `monitor-ended` with `stopped`). Harmless for one gone. */
  stopMonitor(monitorId: string): void {
    for (const call of this.calls.values()) {
      const m = call.monitors.get(monitorId);
      if (!m) continue;
      call.monitors.delete(monitorId);
      if (m.leg.state === 'confirmed') this.bye(m.leg);
      else this.cancelLeg(m.leg);
      this.rewire(call);
      queueMicrotask(() => this.emit({ type: 'monitor-ended', callId: call.id, monitorId, cause: 'stopped' }));
      return;
    }
  }

  /**
   * Attended transfer, first step: the customer goes on hold (re-INVITE sendonly, hold music) and a
   * new leg rings `party`; once it answers (`consult-answered`) the agent and the party are relayed.
   * `consult-failed` when it is busy, does not answer, fails or hangs up.
   * Note: throws CARUSO_COMMS_CONTACT_STATE while a consultation runs or when the customer is not
   * talking to an agent.
   */
  consult(callId: string, party: string, options: { readonly ringTimeoutMs: number }): void {
    const call = this.need(callId);
    if (call.consult) throw CommsErrors.CARUSO_COMMS_CONTACT_STATE({ contact: callId, action: 'start a consultation', state: 'a consultation is in progress' });
    const caller = call.caller;
    if (caller?.state !== 'confirmed' || call.bridged?.state !== 'confirmed') {
      throw CommsErrors.CARUSO_COMMS_CONTACT_STATE({ contact: callId, action: 'start a consultation', state: 'the customer is not talking to an agent' });
    }
    const target = this.resolve(party);
    this.setHold(call, true);
    if (!target) {
      queueMicrotask(() => {
        if (!call.ended) this.emit({ type: 'consult-failed', callId, party, cause: 'failed' });
      });
      return;
    }
    const leg = this.newLeg(call, 'agent', target, party);
    leg.purpose = 'consult';
    call.consult = leg;
    leg.ringTimer = safeTimeout(SIP_FAULTS, () => {
      leg.ringTimer = undefined;
      if (leg.state !== 'early' || leg.cancelled) return;
      this.cancelLeg(leg);
      this.partyLeft(leg, 'no-answer', false);
    }, options.ringTimeoutMs);
    this.invite(leg, caller.rtp?.codec).catch((err: unknown) => {
      this.logger.warn({ err, callId }, 'the consultation leg could not be started');
      this.partyLeft(leg, 'failed');
    });
  }

  /**
   * Attended transfer, second step. `transfer`: the customer is taken off hold and relayed to the
   * party, the agent's leg gets a BYE, then `transferred` (the party's leg is the agent's side from
   * then on). `conference`: the customer is taken off hold and the three are mixed. `cancel`: the
   * party's leg is hung up (or stops ringing); the customer stays on hold.
   * Note: throws CARUSO_COMMS_CONTACT_STATE without a consultation, or for `transfer` and
   * `conference` before the party answered.
   */
  endConsult(callId: string, outcome: 'transfer' | 'conference' | 'cancel'): void {
    const call = this.need(callId);
    const leg = call.consult;
    if (!leg) throw CommsErrors.CARUSO_COMMS_CONTACT_STATE({ contact: callId, action: `end a consultation (${String(outcome)})`, state: 'no consultation is in progress' });
    if (outcome === 'cancel') return this.hangUpParty(leg);
    if (outcome !== 'transfer' && outcome !== 'conference') {
      throw CommsErrors.CARUSO_COMMS_CONTACT_STATE({ contact: callId, action: `end a consultation (${String(outcome)})`, state: 'a consultation ends with transfer, conference or cancel' });
    }
    if (leg.state !== 'confirmed') throw CommsErrors.CARUSO_COMMS_CONTACT_STATE({ contact: callId, action: `end a consultation (${outcome})`, state: 'the consulted party has not answered' });
    call.consult = undefined;
    if (outcome === 'conference') {
      leg.purpose = 'conference';
      call.conference.set(leg.endpoint, leg);
      this.setHold(call, false);
      this.rewire(call);
      return;
    }
    const agent = call.bridged;
    if (agent && call.agents.get(agent.endpoint) === agent) call.agents.delete(agent.endpoint);
    leg.purpose = 'bridge';
    call.agents.set(leg.endpoint, leg);
    call.bridged = leg;
    call.muted = false;
    if (agent) this.bye(agent);
    this.setHold(call, false, false);
    this.rewire(call);
    queueMicrotask(() => {
      if (!call.ended) this.emit({ type: 'transferred', callId, destination: leg.endpoint });
    });
  }

  /** A consulted or conferenced party answered. */
  private partyAnswered(leg: Leg): void {
    const call = leg.call;
    if (leg.purpose === 'monitor') {
      const m = [...call.monitors.values()].find((x) => x.leg === leg);
      if (!m) return this.bye(leg);
      this.rewire(call);
      this.emit({ type: 'monitor-joined', callId: call.id, monitorId: m.id });
      return;
    }
    if (call.consult !== leg && call.conference.get(leg.endpoint) !== leg) return this.bye(leg);
    this.rewire(call);
    if (leg.purpose === 'consult') this.emit({ type: 'consult-answered', callId: call.id, party: leg.endpoint });
    else this.logger.info({ callId: call.id, legs: call.mixer?.size ?? 2 }, 'a conferenced party answered');
  }

  /**
   * A consulted or conferenced party could not be reached or hung up: it leaves the call (its leg is
   * released at once unless `release` is false: a cancelled INVITE waits for its 487).
   */
  private partyLeft(leg: Leg, cause: 'busy' | 'no-answer' | 'failed' | 'hung-up', release = true): void {
    const call = leg.call;
    if (leg.purpose === 'monitor') {
      const m = [...call.monitors.values()].find((x) => x.leg === leg);
      if (m) call.monitors.delete(m.id);
      if (release) this.dropAgentLeg(leg);
      if (call.ended || !m) return;
      this.rewire(call);
      this.emit({ type: 'monitor-ended', callId: call.id, monitorId: m.id, cause });
      return;
    }
    const wasConsult = call.consult === leg;
    if (wasConsult) call.consult = undefined;
    if (call.conference.get(leg.endpoint) === leg) call.conference.delete(leg.endpoint);
    if (release) this.dropAgentLeg(leg);
    if (call.ended) return;
    this.rewire(call);
    if (wasConsult) this.emit({ type: 'consult-failed', callId: call.id, party: leg.endpoint, cause });
    else this.logger.info({ callId: call.id, cause }, 'a conferenced party left or could not be reached');
  }

  /** We hang up a consulted or conferenced party (BYE, or CANCEL while it rings). */
  private hangUpParty(leg: Leg): void {
    const call = leg.call;
    if (call.consult === leg) call.consult = undefined;
    if (call.conference.get(leg.endpoint) === leg) call.conference.delete(leg.endpoint);
    if (leg.state === 'confirmed') this.bye(leg);
    else this.cancelLeg(leg);
    this.rewire(call);
  }

  /** The agent left a conference: the first connected party becomes the agent's side of the call. */
  private promoteParty(call: SipCall): void {
    const party = [...call.conference.values()].find((p) => p.state === 'confirmed');
    if (party) {
      call.conference.delete(party.endpoint);
      party.purpose = 'bridge';
      call.agents.set(party.endpoint, party);
      call.bridged = party;
      call.muted = false;
      this.logger.info({ callId: call.id }, 'the agent left the conference; a party took its place');
    }
    this.rewire(call);
  }

  hangUp(callId: string, cause?: string): void {
    const call = this.calls.get(callId);
    if (!call || call.ended) return;
    this.end(call, 'local', cause);
  }

  /** Whether {@link originate} has a route to the destination: a SIP URI, a number through a trunk, or a registered phone. */
  canReach(destination: string): boolean {
    return this.resolve(destination) !== undefined;
  }

  originate(destination: string, options: { readonly callerId: string; readonly timeoutMs: number }): string {
    const id = `${this.idPrefix}${++this.seq}`;
    const call = this.newCall(id, 'outbound');
    const [target, ...fallbacks] = this.routes(destination);
    if (!target) {
      queueMicrotask(() => {
        this.emit({ type: 'originate-result', callId: id, result: 'failed' });
        this.end(call, undefined, 'no-route');
      });
      return id;
    }
    const leg = this.newLeg(call, 'caller', target, destination, options.callerId, fallbacks);
    call.caller = leg;
    call.originateTimer = safeTimeout(SIP_FAULTS, () => {
      if (leg.state === 'confirmed' || call.ended) return;
      this.cancelLeg(leg);
      this.emit({ type: 'originate-result', callId: id, result: 'no-answer' });
      this.end(call, undefined, 'no-answer');
    }, options.timeoutMs);
    this.invite(leg, undefined).catch((err: unknown) => {
      this.logger.warn({ err }, 'outbound call could not be started');
      this.emit({ type: 'originate-result', callId: id, result: 'failed' });
      this.end(call, undefined, 'failed');
    });
    return id;
  }

  // ---------------------------------------------------------------- calls and legs

  private newCall(id: string, direction: 'inbound' | 'outbound'): SipCall {
    const call: SipCall = {
      id, direction, caller: undefined, agents: new Map(), bridged: undefined, answered: false, ended: false,
      typeAhead: '', collect: undefined, prompt: undefined, recording: undefined, held: false, customerHeld: false, onHold: false, originateTimer: undefined, answerTimer: undefined,
      offeredAt: Date.now(), ringing: undefined, afterAnswer: [], sessionTimer: undefined,
      muted: false, consult: undefined, conference: new Map(), mixer: undefined, tap: undefined, monitors: new Map(), announcement: undefined,
    };
    this.calls.set(id, call);
    return call;
  }

  private newLeg(call: SipCall, role: 'caller' | 'agent', target: Target, endpoint: string, callerId?: string, fallbacks: readonly Target[] = []): Leg {
    const leg: Leg = {
      call, role, purpose: 'bridge', sipCallId: '', localTag: '', remoteTag: '', localUri: '', remoteUri: '', remoteTarget: '',
      routeSet: [], symmetric: false, dest: target.dest, trunk: undefined, fallbacks, identity: [], callerId,
      localSeq: 1, state: 'early', rtp: undefined, sessionId: Date.now() % 1e9, sdpVersion: 1, direction: 'sendrecv',
      invite: undefined, sentInvite: undefined, endpoint, ringTimer: undefined, ringingSent: false, cancelled: false, auth: undefined, authTried: false,
      mirror: undefined, pendingSource: undefined, awaitingAnswer: undefined, session: undefined,
    };
    this.aim(leg, target);
    return leg;
  }

  /**
   * Points an outbound leg (not yet answered) at `target`: a new Call-ID and tag, the target's
   * Request-URI, first hop, credentials and preloaded route, and our identity towards its trunk
   * (From, P-Asserted-Identity or Remote-Party-ID, Privacy). Used again for a retry on the next trunk.
   */
  private aim(leg: Leg, target: Target): void {
    if (leg.sipCallId) this.legs.delete(leg.sipCallId);
    leg.sipCallId = `${randomUUID()}@caruso`;
    leg.localTag = randomToken(6);
    leg.remoteTag = '';
    leg.remoteUri = `<${target.uri}>`;
    leg.remoteTarget = target.uri;
    leg.routeSet = [...target.route];
    leg.symmetric = target.symmetric;
    leg.dest = target.dest;
    leg.trunk = target.trunk;
    leg.auth = target.auth;
    leg.authTried = false;
    leg.localSeq = 1;
    const id = outboundIdentity(target.trunk, leg.callerId, this.advertised);
    leg.localUri = id.from;
    leg.identity = id.headers;
    this.legs.set(leg.sipCallId, leg);
  }

  /** Contact (with `;transport=tcp` for a leg over TCP, so that the far end comes back on TCP) and Allow. */
  private contactHeaders(contentType?: string, transport: 'udp' | 'tcp' = 'udp'): SipHeader[] {
    const h: SipHeader[] = [{ name: 'contact', value: `<sip:caruso@${this.advertised}:${this.stack.port}${transport === 'tcp' ? ';transport=tcp' : ''}>` }, { name: 'allow', value: ALLOW }];
    if (contentType) h.push({ name: 'content-type', value: contentType });
    return h;
  }

  private sdpFor(leg: Leg, codecs: readonly G711PayloadType[] | undefined = undefined): Buffer {
    const rtp = leg.rtp!;
    const pts = codecs ?? (leg.state === 'early' && leg.role === 'agent' ? this.codecs : [rtp.codec]);
    return Buffer.from(buildSdp({
      host: this.advertised, port: rtp.port, sessionId: leg.sessionId, version: leg.sdpVersion, payloadTypes: pts,
      dtmfPayloadType: rtp.dtmfPayloadType ?? DTMF_PT, direction: leg.direction, ...(leg.mirror ? { mirror: leg.mirror } : {}),
    }));
  }

  /** Where an endpoint or destination is: a registered user, a SIP URI, or a number via a trunk. */
  private resolve(endpoint: string): Target | undefined {
    return this.routes(endpoint)[0];
  }

  /**
   * Every way to an endpoint, the first one first. A number (`+31…`, `tel:…`) goes through the first
   * trunk, and the others follow in order for a retry when a trunk fails (408, 5xx, no answer);
   * `trunk:<id>:<number>` goes through that trunk only. A SIP URI at a trunk's host and port is
   * reached through that trunk (its credentials, identity and outbound proxy). `agent:<user>` or a
   * bare user name is a phone registered with us.
   */
  private routes(endpoint: string): Target[] {
    const trunks = this.options.trunks ?? [];
    if (/^sips?:/i.test(endpoint)) {
      const u = parseSipUri(endpoint);
      if (!u) return [];
      const transport = u.params['transport']?.toLowerCase() === 'tcp' ? 'tcp' : 'udp';
      const port = u.port ?? 5060;
      const trunk = trunks.find((t) => t.host === u.host && (t.port ?? 5060) === port);
      if (trunk) return [this.viaTrunk(trunk, endpoint)];
      return [{ uri: endpoint, dest: { transport, host: u.host, port }, auth: undefined, symmetric: false, trunk: undefined, route: [] }];
    }
    const trunkRef = /^trunk:([^:]+):(.+)$/.exec(endpoint);
    if (trunkRef) {
      const trunk = trunks.find((t) => t.id === trunkRef[1]);
      return trunk ? [this.viaTrunk(trunk, trunkUri(trunk, trunkRef[2]!))] : [];
    }
    const number = /^(?:tel:)?(\+?[\d*#]{1,32})$/.exec(endpoint)?.[1];
    if (number !== undefined) return trunks.map((t) => this.viaTrunk(t, trunkUri(t, number)));
    const user = endpoint.replace(/^agent:/, '');
    const binding = this.registrar.lookup(user)[0];
    if (!binding) return [];
    return [{ uri: binding.contact, dest: binding.source, auth: undefined, symmetric: true, trunk: undefined, route: [] }];
  }

  private viaTrunk(trunk: SipTrunk, uri: string): Target {
    const transport = trunk.transport ?? 'udp';
    const proxy = trunk.outboundProxy ? outboundProxyOf(trunk.outboundProxy, transport) : undefined;
    const auth = trunk.password !== undefined && (trunk.authUsername ?? trunk.username) ? { username: (trunk.authUsername ?? trunk.username)!, password: trunk.password } : undefined;
    return {
      uri, auth, symmetric: false, trunk,
      dest: proxy?.dest ?? { transport, host: trunk.host, port: trunk.port ?? 5060 },
      route: proxy ? [proxy.route] : [],
    };
  }

  private async invite(leg: Leg, preferred: G711PayloadType | undefined): Promise<void> {
    leg.rtp = await this.media.open();
    this.wireMedia(leg);
    if (leg.state === 'ended' || leg.cancelled) {
      this.dropAgentLeg(leg);
      return;
    }
    const codecs = preferred === undefined ? this.codecs : [preferred, ...this.codecs.filter((c) => c !== preferred)];
    this.sendInvite(leg, this.sdpFor(leg, codecs), []);
  }

  private sendInvite(leg: Leg, sdp: Buffer, extra: SipHeader[]): void {
    const req = this.stack.request({
      method: 'INVITE', uri: leg.remoteTarget, body: sdp,
      headers: [
        ...leg.routeSet.map((value) => ({ name: 'route', value })),
        { name: 'max-forwards', value: '70' },
        { name: 'from', value: `${leg.localUri};tag=${leg.localTag}` },
        { name: 'to', value: leg.remoteUri },
        { name: 'call-id', value: leg.sipCallId },
        { name: 'cseq', value: `${leg.localSeq} INVITE` },
        ...leg.identity,
        ...this.contactHeaders('application/sdp', leg.dest.transport),
        { name: 'supported', value: SUPPORTED },
        ...extra,
      ],
    }, leg.dest, (res) => this.onInviteResponse(leg, res, sdp));
    leg.sentInvite = req;
  }

  private onInviteResponse(leg: Leg, res: SipResponse, sdp: Buffer): void {
    const call = leg.call;
    if (res.status < 200) {
      if (res.status > 100 && leg.role === 'agent' && leg.purpose === 'bridge' && !leg.ringingSent && !leg.cancelled) {
        leg.ringingSent = true;
        this.emit({ type: 'bridge-ringing', callId: call.id, endpoint: leg.endpoint });
      }
      return;
    }
    if (res.status < 300) {
      const first = leg.state !== 'confirmed';
      if (first) {
        // The dialog is made by this 2xx (§12.1.2): its To tag, its Contact as the remote target, and
        // its Record-Route in reverse order as the route set.
        leg.remoteTag = paramOf(header(res, 'to') ?? '', 'tag') ?? '';
        const contact = header(res, 'contact');
        if (contact) leg.remoteTarget = uriOf(contact);
        leg.routeSet = routeSetOf(res, 'uac');
      }
      this.ackInDialog(leg, res);
      if (!first) return;
      leg.state = 'confirmed';
      this.clearRing(leg);
      if (leg.cancelled || call.ended || (leg.role === 'agent' && leg.purpose === 'bridge' && call.bridged && call.bridged !== leg)) {
        this.bye(leg);
        return;
      }
      const answer = parseSdp(res.body.toString('latin1'));
      const codec = answer && chooseCodec(answer, this.codecs);
      if (!answer || codec === undefined || !leg.rtp) {
        this.bye(leg);
        this.legFailed(leg, 'failed');
        return;
      }
      leg.rtp.useSdpAddress(answer);
      leg.rtp.codec = codec;
      leg.rtp.dtmfPayloadType = answer.dtmfPayloadType;
      if (leg.role === 'caller') {
        if (call.originateTimer) clearTimeout(call.originateTimer);
        call.answered = true;
        this.emit({ type: 'originate-result', callId: call.id, result: 'answered' });
        this.emit({ type: 'answered', callId: call.id });
        return;
      }
      if (leg.purpose !== 'bridge') return this.partyAnswered(leg);
      if (!leg.ringingSent) {
        leg.ringingSent = true;
        this.emit({ type: 'bridge-ringing', callId: call.id, endpoint: leg.endpoint });
      }
      this.connect(call, leg);
      return;
    }
    if ((res.status === 401 || res.status === 407) && leg.auth && !leg.authTried && !leg.cancelled) {
      const challenge = header(res, res.status === 401 ? 'www-authenticate' : 'proxy-authenticate') ?? '';
      const value = digestAuthorization(challenge, { method: 'INVITE', uri: leg.remoteTarget }, leg.auth);
      if (value) {
        leg.authTried = true;
        leg.localSeq++;
        this.sendInvite(leg, sdp, [{ name: res.status === 401 ? 'authorization' : 'proxy-authorization', value }]);
        return;
      }
    }
    // A trunk that does not answer or fails (408, 5xx) is not the callee's answer: the next trunk is tried.
    const next = leg.fallbacks[0];
    if (next && !leg.cancelled && !call.ended && (res.status === 408 || (res.status >= 500 && res.status < 600))) {
      this.logger.warn({ callId: call.id, trunk: leg.trunk?.id, status: res.status, next: next.trunk?.id }, 'trunk failed: the call is tried on the next trunk');
      leg.fallbacks = leg.fallbacks.slice(1);
      this.aim(leg, next);
      this.sendInvite(leg, sdp, []);
      return;
    }
    this.clearRing(leg);
    const cause = res.status === 486 || res.status === 600 ? 'busy' : res.status === 408 || res.status === 480 || res.status === 487 ? 'no-answer' : 'failed';
    leg.state = 'ended';
    if (!leg.cancelled) this.legFailed(leg, cause);
    else this.dropAgentLeg(leg);
  }

  private legFailed(leg: Leg, cause: 'busy' | 'no-answer' | 'failed'): void {
    const call = leg.call;
    if (leg.role === 'agent' && leg.purpose !== 'bridge') return this.partyLeft(leg, cause);
    if (leg.role === 'agent') {
      this.dropAgentLeg(leg);
      if (!call.ended) this.emit({ type: 'bridge-failed', callId: call.id, endpoint: leg.endpoint, cause });
      return;
    }
    if (call.ended) return;
    if (call.originateTimer) clearTimeout(call.originateTimer);
    this.emit({ type: 'originate-result', callId: call.id, result: cause });
    this.end(call, undefined, cause);
  }

  private connect(call: SipCall, leg: Leg): void {
    const caller = call.caller;
    if (!caller?.rtp || !leg.rtp) return;
    const announcement = call.announcement;
    if (announcement && !call.bridged) {
      // The customer hears the recording announcement to its end first; the agent hears silence.
      announcement.waiters.push(() => {
        if (call.ended || call.bridged) return;
        if (leg.state !== 'confirmed' || leg.cancelled) {
          // The agent hung up while waiting: as if the phone had not answered.
          if (call.agents.get(leg.endpoint) === leg) this.dropAgentLeg(leg);
          this.emit({ type: 'bridge-failed', callId: call.id, endpoint: leg.endpoint, cause: 'failed' });
          return;
        }
        this.connect(call, leg);
      });
      return;
    }
    call.bridged = leg;
    caller.rtp.stopPlayback(true);
    if (call.collect) {
      clearTimeout(call.collect.timer);
      call.collect = undefined;
    }
    this.rewire(call);
    this.emit({ type: 'bridged', callId: call.id, endpoint: leg.endpoint });
  }

  private clearRing(leg: Leg): void {
    if (leg.ringTimer) clearTimeout(leg.ringTimer);
    leg.ringTimer = undefined;
  }

  private cancelLeg(leg: Leg): void {
    this.clearRing(leg);
    if (leg.cancelled || leg.state === 'ended') return;
    leg.cancelled = true;
    if (leg.state === 'confirmed') {
      this.bye(leg);
      return;
    }
    const inv = leg.sentInvite;
    if (!inv) return; // the INVITE is not out yet; `invite()` sees `cancelled`
    const via = header(inv, 'via') ?? '';
    const branch = paramOf(via, 'branch') ?? this.stack.newBranch();
    const headers = inv.headers.filter((h) => h.name === 'from' || h.name === 'to' || h.name === 'call-id' || h.name === 'max-forwards' || h.name === 'route');
    headers.push({ name: 'cseq', value: `${cseqOf(inv).seq} CANCEL` });
    this.stack.request({ method: 'CANCEL', uri: inv.uri, headers, body: NO_BODY }, leg.dest, () => undefined, branch);
    if (leg.role === 'agent' && leg.call.agents.get(leg.endpoint) === leg) leg.call.agents.delete(leg.endpoint);
  }

  private dropAgentLeg(leg: Leg): void {
    this.clearRing(leg);
    leg.state = 'ended';
    if (leg.call.agents.get(leg.endpoint) === leg) leg.call.agents.delete(leg.endpoint);
    if (leg.call.bridged === leg) leg.call.bridged = undefined;
    if (leg.call.consult === leg) leg.call.consult = undefined;
    if (leg.call.conference.get(leg.endpoint) === leg) leg.call.conference.delete(leg.endpoint);
    leg.rtp?.dispose();
    this.legs.delete(leg.sipCallId);
  }

  /** Request-URI, Route headers and next hop of a request inside the leg's dialog (RFC 3261 §12.2.1.1). */
  private dialogRoute(leg: Leg): { uri: string; routes: SipHeader[]; dest: SipAddress } {
    const r = routeRequest(leg.remoteTarget, leg.routeSet, leg.dest, leg.symmetric);
    return { uri: r.uri, routes: r.routes.map((value) => ({ name: 'route', value })), dest: r.dest };
  }

  private inDialog(leg: Leg, method: string, headers: SipHeader[], body: Buffer, onResponse: (res: SipResponse) => void): void {
    leg.localSeq++;
    const route = this.dialogRoute(leg);
    this.stack.request({
      method, uri: route.uri, body,
      headers: [
        ...route.routes,
        { name: 'max-forwards', value: '70' },
        { name: 'from', value: `${leg.localUri};tag=${leg.localTag}` },
        { name: 'to', value: leg.remoteTag ? `${leg.remoteUri};tag=${leg.remoteTag}` : leg.remoteUri },
        { name: 'call-id', value: leg.sipCallId },
        { name: 'cseq', value: `${leg.localSeq} ${method}` },
        ...headers,
      ],
    }, route.dest, onResponse);
  }

  private ackInDialog(leg: Leg, res: SipResponse): void {
    const cseq = cseqOf(res).seq;
    const route = this.dialogRoute(leg);
    this.stack.send({
      kind: 'request', method: 'ACK', uri: route.uri, body: NO_BODY,
      headers: [
        { name: 'via', value: this.stack.via(route.dest.transport, this.stack.newBranch()) },
        ...route.routes,
        { name: 'max-forwards', value: '70' },
        { name: 'from', value: `${leg.localUri};tag=${leg.localTag}` },
        { name: 'to', value: header(res, 'to') ?? leg.remoteUri },
        { name: 'call-id', value: leg.sipCallId },
        { name: 'cseq', value: `${cseq} ACK` },
      ],
    }, route.dest);
  }

  private bye(leg: Leg): void {
    if (leg.state === 'ended') return;
    const wasConfirmed = leg.state === 'confirmed';
    leg.state = 'ended';
    if (wasConfirmed) this.inDialog(leg, 'BYE', [], NO_BODY, () => undefined);
    if (leg.role === 'agent') this.dropAgentLeg(leg);
  }

  /** Ends a call: every leg is released and `hung-up` fires unless `by` is undefined. */
  private end(call: SipCall, by: 'remote' | 'agent' | 'local' | undefined, cause?: string, announce = true): void {
    if (call.ended) return;
    // A caller who hangs up ends the voicemail: `recording-finished` comes before `hung-up`.
    const recorded = call.recording ? this.finishRecording(call) : undefined;
    call.ended = true;
    if (call.collect) clearTimeout(call.collect.timer);
    call.collect = undefined;
    if (call.originateTimer) clearTimeout(call.originateTimer);
    if (call.answerTimer) clearTimeout(call.answerTimer);
    if (call.ringing) clearTimeout(call.ringing);
    if (call.sessionTimer) clearTimeout(call.sessionTimer);
    call.afterAnswer = [];
    call.mixer?.dispose();
    call.mixer = undefined;
    const monitors = [...call.monitors.values()];
    call.monitors.clear();
    call.tap = undefined;
    if (call.announcement?.timer) clearTimeout(call.announcement.timer);
    call.announcement = undefined;
    const others = [...call.agents.values(), ...call.conference.values(), ...(call.consult ? [call.consult] : []), ...(call.bridged ? [call.bridged] : []), ...monitors.map((m) => m.leg)];
    for (const leg of new Set(others)) {
      if (leg.state === 'confirmed') this.bye(leg);
      else this.cancelLeg(leg);
      this.dropAgentLeg(leg);
    }
    const caller = call.caller;
    if (caller) {
      this.settle(caller);
      if (caller.invite && by !== 'remote') {
        const status = cause === 'busy' ? 486 : 480;
        caller.invite.respond(status, status === 486 ? 'Busy Here' : 'Temporarily Unavailable', { toTag: caller.localTag });
        caller.invite = undefined;
        caller.state = 'ended';
      } else if (by !== 'remote') {
        if (caller.state === 'confirmed') this.bye(caller);
        else this.cancelLeg(caller);
      }
      caller.state = 'ended';
      caller.rtp?.dispose();
      // The dialog lingers briefly so that a retransmitted BYE still finds it.
      safeTimeout(SIP_FAULTS, () => this.legs.delete(caller.sipCallId), 2000).unref();
    }
    this.calls.delete(call.id);
    for (const m of monitors) this.emit({ type: 'monitor-ended', callId: call.id, monitorId: m.id, cause: 'call-ended' });
    if (!by || !announce) return;
    const hungUp: TelephonyEvent = { type: 'hung-up', callId: call.id, by, ...(cause !== undefined ? { cause } : {}) };
    if (recorded) containPromise(SIP_FAULTS, recorded.then(() => this.emit(hungUp)));
    else this.emit(hungUp);
  }

  // ---------------------------------------------------------------- inbound requests

  private onRequest(r: IncomingRequest): void {
    const req = r.request;
    // An extension we do not support in Require is refused with 420 and Unsupported (RFC 3261 §8.2.2.3).
    if (req.method !== 'ACK' && req.method !== 'CANCEL') {
      const unsupported = headerValues(req, 'require').filter((o) => !SUPPORTED.split(', ').includes(o.toLowerCase()));
      if (unsupported.length) return void r.respond(420, 'Bad Extension', { headers: [{ name: 'unsupported', value: unsupported.join(', ') }] });
    }
    const toTag = paramOf(header(req, 'to') ?? '', 'tag');
    const leg = this.legs.get(header(req, 'call-id') ?? '');
    switch (req.method) {
      case 'INVITE':
        if (toTag) return leg ? this.onReInvite(leg, r) : void r.respond(481, 'Call/Transaction Does Not Exist');
        // Another INVITE of a call we have (another branch: a fork that came round, or a forgery) is a
        // merged request (RFC 3261 §8.2.2.2). It is answered, so that its transaction ends.
        if (leg) return void r.respond(482, 'Loop Detected');
        return void this.onInvite(r).catch((err: unknown) => {
          this.logger.error({ err }, 'inbound INVITE failed');
          r.respond(500, 'Server Internal Error');
        });
      case 'ACK':
        if (leg && leg.state === 'offered') leg.state = 'confirmed';
        if (leg) this.settle(leg);
        if (leg?.awaitingAnswer) this.onAckAnswer(leg, req);
        return;
      case 'BYE':
        if (!leg || leg.state === 'ended') return void r.respond(481, 'Call/Transaction Does Not Exist');
        r.respond(200, 'OK');
        return this.onBye(leg);
      case 'CANCEL':
        return this.onCancel(r, leg);
      case 'OPTIONS':
        return void r.respond(200, 'OK', { headers: [...this.contactHeaders(), { name: 'accept', value: 'application/sdp' }] });
      case 'REGISTER':
        return this.onRegister(r);
      case 'INFO':
        if (!leg) return void r.respond(481, 'Call/Transaction Does Not Exist');
        r.respond(200, 'OK');
        return this.onInfo(leg, req);
      case 'NOTIFY':
        return void r.respond(leg ? 200 : 481, leg ? 'OK' : 'Call/Transaction Does Not Exist');
      default:
        return void r.respond(501, 'Not Implemented', { headers: [{ name: 'allow', value: ALLOW }] });
    }
  }

  private async onInvite(r: IncomingRequest): Promise<void> {
    const req = r.request;
    if (this.options.inbound === 'known' && !this.trunkAddresses.has(r.source.host) && !this.registrar.isBoundFrom(r.source)) {
      this.logger.warn({ source: `${r.source.host}:${r.source.port}` }, 'INVITE from an address that is neither a trunk nor a registered phone refused');
      r.respond(403, 'Forbidden');
      return;
    }
    // Like Kamailio's pike: one address may not hold more than a few INVITEs half-way (unanswered or un-ACKed).
    const limit = this.options.maxPendingInvitesPerSource ?? 20;
    if ((this.pendingBySource.get(r.source.host) ?? 0) >= limit && !this.trunkAddresses.has(r.source.host)) {
      this.refusedPendingLimit++;
      if (this.refusedPendingLimit === 1 || this.refusedPendingLimit % 100 === 0) {
        this.logger.warn({ source: r.source.host, limit, refused: this.refusedPendingLimit }, 'INVITE refused: too many pending INVITEs from one address');
      }
      r.respond(503, 'Service Unavailable', { headers: [{ name: 'retry-after', value: String(Math.max(1, Math.ceil((64 * this.stack.timerT1) / 1000))) }] });
      return;
    }
    if (this.calls.size >= (this.options.maxCalls ?? 500)) {
      r.respond(503, 'Service Unavailable', { headers: [{ name: 'retry-after', value: '5' }] });
      return;
    }
    const type = (header(req, 'content-type') ?? 'application/sdp').split(';')[0]!.trim().toLowerCase();
    if (req.body.length > 0 && type !== 'application/sdp') {
      r.respond(415, 'Unsupported Media Type', { headers: [{ name: 'accept', value: 'application/sdp' }] });
      return;
    }
    // Session timers (RFC 4028): an interval below our minimum gets 422 with Min-SE.
    const session = sessionTimerOf(req, this.minSessionExpires);
    if (session === 'too-small') {
      r.respond(422, 'Session Interval Too Small', { headers: [{ name: 'min-se', value: String(this.minSessionExpires) }] });
      return;
    }
    // The offer is checked before anything is kept: a malformed one is a 400, one we cannot take a 488.
    // An INVITE without a body is a delayed offer: we offer in the 200 and the ACK answers.
    const delayed = req.body.length === 0;
    const reading = readSdp(req.body.toString('latin1'));
    if (reading.kind === 'malformed' && !delayed) {
      r.respond(400, `Bad Request (SDP: ${reading.reason.replace(/[\r\n]/g, ' ').slice(0, 80)})`);
      return;
    }
    const offer = reading.kind === 'audio' ? reading.audio : undefined;
    const codec = delayed ? this.codecs[0]! : offer && chooseCodec(offer, this.codecs);
    if (!delayed && (!offer || codec === undefined)) {
      const why = reading.kind === 'declined' ? 'the audio stream is declined (port 0)' : reading.kind === 'ipv6-only' ? 'IPv4 audio is needed' : 'G.711 (PCMU or PCMA) audio is needed';
      r.respond(488, 'Not Acceptable Here', { headers: [{ name: 'warning', value: `304 caruso "${why}"` }] });
      return;
    }
    r.respond(100, 'Trying');
    const id = `${this.idPrefix}${++this.seq}`;
    const call = this.newCall(id, 'inbound');
    const from = header(req, 'from') ?? '';
    const to = header(req, 'to') ?? '';
    const leg: Leg = {
      call, role: 'caller', purpose: 'bridge', sipCallId: header(req, 'call-id') ?? '', localTag: randomToken(6), remoteTag: paramOf(from, 'tag') ?? '',
      localUri: stripTag(to), remoteUri: stripTag(from), remoteTarget: uriOf(header(req, 'contact') ?? from), dest: r.source,
      routeSet: routeSetOf(req, 'uas'), symmetric: true, trunk: undefined, fallbacks: [], identity: [], callerId: undefined,
      localSeq: 1, state: 'offered', rtp: undefined, sessionId: Date.now() % 1e9, sdpVersion: 1, direction: offer ? answerOf(offer) : 'sendrecv',
      invite: r, sentInvite: undefined, endpoint: '', ringTimer: undefined, ringingSent: false, cancelled: false, auth: undefined, authTried: false,
      mirror: offer ? { media: offer.media, index: offer.index } : undefined, pendingSource: undefined, awaitingAnswer: delayed ? 'initial' : undefined,
      session: session === undefined ? undefined : { ...session },
    };
    call.caller = leg;
    this.legs.set(leg.sipCallId, leg);
    leg.pendingSource = r.source.host;
    this.pendingBySource.set(r.source.host, (this.pendingBySource.get(r.source.host) ?? 0) + 1);
    try {
      leg.rtp = await this.media.open();
    } catch (err) {
      this.logger.warn({ err }, 'no RTP port for an inbound call');
      this.settle(leg);
      this.legs.delete(leg.sipCallId);
      this.calls.delete(id);
      r.respond(503, 'Service Unavailable');
      return;
    }
    if (call.ended) {
      leg.rtp.dispose();
      return;
    }
    // 0.0.0.0 (an old-style hold) is no destination: media goes where the caller's packets come from.
    if (offer && offer.host !== '0.0.0.0') leg.rtp.useSdpAddress(offer);
    leg.rtp.codec = codec!;
    leg.rtp.dtmfPayloadType = offer ? offer.dtmfPayloadType : DTMF_PT;
    this.wireMedia(leg);
    // The call rings until the application answers (at once, or after `ringMs`): a CANCEL meanwhile
    // gets 200, and the INVITE 487.
    r.respond(180, 'Ringing', { toTag: leg.localTag, headers: this.contactHeaders(undefined, leg.dest.transport) });
    const fromUser = parseSipUri(uriOf(from))?.user ?? 'anonymous';
    const toUser = parseSipUri(req.uri)?.user ?? parseSipUri(uriOf(to))?.user ?? '';
    const answerTimeout = this.options.answerTimeoutMs ?? 120_000;
    if (answerTimeout > 0) {
      call.answerTimer = safeTimeout(SIP_FAULTS, () => {
        call.answerTimer = undefined;
        if (call.answered || call.ended) return;
        this.logger.warn({ callId: id, waitedMs: answerTimeout }, 'an inbound call was not answered in time: refused with 480');
        this.end(call, 'local', 'no-answer');
      }, answerTimeout);
      call.answerTimer.unref();
    }
    this.emit({ type: 'call-offered', callId: id, from: fromUser, to: toUser });
  }

  /** Ends the calls whose caller has been silent (no RTP, no RTCP) for `timeoutMs` while it should send. */
  private checkMedia(timeoutMs: number): void {
    try {
      const now = this.media.now();
      for (const call of [...this.calls.values()]) {
        const leg = call.caller;
        if (call.ended || call.held || !leg?.rtp || leg.state !== 'confirmed' || !call.answered) continue;
        // The caller holds us (we only receive, or nothing): a held phone may send no RTP at all.
        if (leg.direction !== 'sendrecv') continue;
        if (now - leg.rtp.lastHeardAt <= timeoutMs) continue;
        this.mediaTimeouts++;
        this.logger.info({ callId: call.id, silentMs: Math.round(now - leg.rtp.lastHeardAt) }, 'no RTP or RTCP from the caller: the call is ended with BYE');
        this.bye(leg);
        this.end(call, 'remote', 'media-timeout');
      }
    } catch (err) {
      containFault(SIP_FAULTS, 'timer', err);
    }
  }

  /** An inbound INVITE is no longer pending (ACKed, refused or ended): it stops counting against its source. */
  private settle(leg: Leg): void {
    const source = leg.pendingSource;
    if (source === undefined) return;
    leg.pendingSource = undefined;
    const n = (this.pendingBySource.get(source) ?? 1) - 1;
    if (n > 0) this.pendingBySource.set(source, n);
    else this.pendingBySource.delete(source);
  }

  /**
   * The caller never acknowledged our 200 within 64×T1: the session is ended with a BYE (RFC 3261
   * §13.3.1.4), its RTP ports are released, and the call is reported hung up (cause `no-ack`).
   */
  private onAckTimeout(t: AckTimeout): void {
    const leg = this.legs.get(t.callId);
    if (!leg || leg.state === 'ended') return;
    this.logger.warn({ callId: leg.call.id, source: t.source.host }, 'no ACK for the 200 within 64×T1: the call is ended with BYE');
    leg.state = 'confirmed';
    const call = leg.call;
    if (leg.role === 'caller') {
      this.bye(leg);
      this.end(call, 'remote', 'no-ack');
      return;
    }
    const wasBridged = call.bridged === leg;
    this.bye(leg);
    if (wasBridged) this.end(call, 'agent', 'no-ack');
  }

  private wireMedia(leg: Leg): void {
    const rtp = leg.rtp;
    if (!rtp) return;
    rtp.onDidDtmf((d) => {
      if (leg.role === 'caller') this.onDigit(leg.call, d);
    });
  }

  /**
   * The ACK that answers the offer of our 200 (a delayed offer, RFC 3261 §13.2.1): its codec must be
   * one we offered. An initial call whose ACK has no usable answer is ended with BYE; a re-INVITE's
   * keeps the session as it was.
   */
  private onAckAnswer(leg: Leg, ack: SipRequest): void {
    const kind = leg.awaitingAnswer;
    leg.awaitingAnswer = undefined;
    const answer = ack.body.length > 0 ? parseSdp(ack.body.toString('latin1')) : undefined;
    const codec = answer && chooseCodec(answer, this.codecs);
    if (!answer || codec === undefined || !leg.rtp) {
      if (kind !== 'initial') return;
      this.logger.warn({ callId: leg.call.id }, 'the ACK carries no usable SDP answer to our offer: the call is ended with BYE');
      this.bye(leg);
      this.end(leg.call, 'remote', 'no-sdp-answer');
      return;
    }
    if (answer.host !== '0.0.0.0') leg.rtp.useSdpAddress(answer);
    leg.rtp.codec = codec;
    leg.rtp.dtmfPayloadType = answer.dtmfPayloadType;
    leg.direction = answerOf(answer);
  }

  private onReInvite(leg: Leg, r: IncomingRequest): void {
    if (!leg.rtp || leg.state === 'ended') return void r.respond(481, 'Call/Transaction Does Not Exist');
    const body = r.request.body;
    const reading = readSdp(body.toString('latin1'));
    // A refused re-INVITE leaves the session as it was (RFC 3261 §14.2).
    if (body.length > 0 && reading.kind === 'malformed') return void r.respond(400, `Bad Request (SDP: ${reading.reason.replace(/[\r\n]/g, ' ').slice(0, 80)})`);
    if (body.length > 0 && reading.kind !== 'audio') return void r.respond(488, 'Not Acceptable Here');
    const offer = reading.kind === 'audio' ? reading.audio : undefined;
    // Never answer with a codec that was not offered (RFC 3264 §6.1): no G.711 in the new offer is a 488.
    const codec = offer && chooseCodec(offer, this.codecs);
    if (offer && codec === undefined) {
      return void r.respond(488, 'Not Acceptable Here', { headers: [{ name: 'warning', value: '304 caruso "G.711 (PCMU or PCMA) audio is needed"' }] });
    }
    const refresh = sessionTimerOf(r.request, this.minSessionExpires);
    if (refresh === 'too-small') return void r.respond(422, 'Session Interval Too Small', { headers: [{ name: 'min-se', value: String(this.minSessionExpires) }] });
    // A re-INVITE is a target refresh (§12.2.2): its Contact is the far end's new remote target.
    const contact = header(r.request, 'contact');
    if (contact) leg.remoteTarget = uriOf(contact);
    if (offer && codec !== undefined) {
      if (offer.host !== '0.0.0.0') leg.rtp.useSdpAddress(offer);
      leg.rtp.codec = codec;
      leg.direction = answerOf(offer);
      leg.rtp.heardNow();
      leg.mirror = { media: offer.media, index: offer.index };
      leg.sdpVersion++;
    } else if (body.length === 0) {
      // A re-INVITE without SDP asks for our offer (in the 200); the ACK carries the answer.
      leg.awaitingAnswer = 'update';
    }
    if (refresh && leg.session) leg.session = refresh;
    r.respond(200, 'OK', {
      toTag: leg.localTag, body: leg.awaitingAnswer === 'update' ? this.sdpFor(leg, this.codecs) : this.sdpFor(leg),
      headers: [...this.contactHeaders('application/sdp', leg.dest.transport), { name: 'supported', value: SUPPORTED }, ...this.sessionTimerHeaders(leg)],
    });
    // Any re-INVITE refreshes the session (RFC 4028 §10).
    this.startSessionTimer(leg);
    if (!offer) return;
    const held = offer.direction === 'sendonly' || offer.direction === 'inactive' || offer.host === '0.0.0.0';
    if (leg === leg.call.caller) {
      // The customer put the call on hold (or back) from their phone.
      if (held !== leg.call.customerHeld) {
        leg.call.customerHeld = held;
        this.emit({ type: held ? 'held' : 'unheld', callId: leg.call.id, by: 'customer' });
      }
      return;
    }
    if (leg.role !== 'agent' || leg.call.bridged !== leg) return;
    // The agent put the customer on hold (or back) from the phone.
    if (held !== leg.call.held) {
      leg.call.held = held;
      this.emit({ type: held ? 'held' : 'unheld', callId: leg.call.id, by: 'agent' });
    }
  }

  private onBye(leg: Leg): void {
    const call = leg.call;
    if (leg.role === 'agent' && leg.purpose !== 'bridge') {
      leg.state = 'ended';
      return this.partyLeft(leg, 'hung-up');
    }
    if (leg.role === 'agent' && call.bridged === leg && [...call.conference.values()].some((p) => p.state === 'confirmed')) {
      // The agent left a conference: the customer and the parties go on talking.
      leg.state = 'ended';
      this.dropAgentLeg(leg);
      this.promoteParty(call);
      return;
    }
    if (leg.role === 'agent') {
      const wasBridged = call.bridged === leg;
      leg.state = 'ended';
      this.dropAgentLeg(leg);
      if (wasBridged) this.end(call, 'agent', 'agent-hung-up');
      return;
    }
    leg.state = 'ended';
    this.end(call, 'remote', 'caller-hung-up');
  }

  private onCancel(r: IncomingRequest, leg: Leg | undefined): void {
    if (!leg || leg.role !== 'caller' || !leg.invite) return void r.respond(481, 'Call/Transaction Does Not Exist');
    r.respond(200, 'OK');
    leg.invite.respond(487, 'Request Terminated', { toTag: leg.localTag });
    leg.invite = undefined;
    this.end(leg.call, 'remote', 'caller-cancelled');
  }

  private onInfo(leg: Leg, req: SipRequest): void {
    const type = (header(req, 'content-type') ?? '').toLowerCase();
    const body = req.body.toString('latin1');
    let digit: string | undefined;
    if (type.startsWith('application/dtmf-relay')) digit = /Signal\s*=\s*([0-9*#A-D])/i.exec(body)?.[1];
    else if (type.startsWith('application/dtmf')) digit = /^\s*([0-9*#A-D]|1[01])\s*$/i.exec(body)?.[1];
    if (digit === '10') digit = '*';
    if (digit === '11') digit = '#';
    if (digit && leg.role === 'caller') this.onDigit(leg.call, digit.toUpperCase());
  }

  private onRegister(r: IncomingRequest): void {
    const req = r.request;
    const result = this.auth.verify(header(req, 'authorization'), 'REGISTER');
    if (!result || result === 'stale') {
      r.respond(401, 'Unauthorized', { headers: [{ name: 'www-authenticate', value: this.auth.challenge(result === 'stale') }] });
      return;
    }
    const aor = parseSipUri(uriOf(header(req, 'to') ?? ''));
    if (aor?.user !== result.user) {
      r.respond(403, 'Forbidden');
      return;
    }
    const defaultExpires = Number(header(req, 'expires') ?? '3600');
    const contacts = headerValues(req, 'contact');
    if (contacts.length === 1 && contacts[0] === '*') this.registrar.unbindAll(result.user);
    for (const c of contacts) {
      if (c === '*') continue;
      const expires = Math.min(Number(paramOf(c, 'expires') ?? defaultExpires), 3600);
      this.registrar.bind(result.user, uriOf(c), r.source, Number.isFinite(expires) ? expires : 3600);
    }
    const now = Date.now();
    const bound = this.registrar.lookup(result.user).map((b) => ({ name: 'contact', value: `<${b.contact}>;expires=${Math.round((b.expiresAt - now) / 1000)}` }));
    r.respond(200, 'OK', { headers: bound });
    this.logger.info({ user: result.user, bindings: bound.length }, 'phone registered');
  }

  private onStrayResponse(res: SipResponse): void {
    // A retransmitted 2xx to an INVITE whose transaction is gone: ACK it again.
    if (cseqOf(res).method !== 'INVITE' || res.status < 200 || res.status >= 300) return;
    const leg = this.legs.get(header(res, 'call-id') ?? '');
    if (leg) this.ackInDialog(leg, res);
  }

  // ---------------------------------------------------------------- audio

  private loadPrompt(prompt: Prompt): Promise<Int16Array> {
    const key = 'file' in prompt ? `f:${prompt.file}` : `t:${prompt.language ?? ''}:${prompt.text}`;
    let p = this.audio.get(key);
    if (!p) {
      if ('file' in prompt) {
        const path = isAbsolute(prompt.file) ? prompt.file : join(this.options.promptDir ?? process.cwd(), prompt.file);
        p = readWav(path);
      } else p = (this.options.synthesize ?? synthesizeWithEspeak)(prompt.text, prompt.language);
      this.audio.set(key, p);
      p.catch(() => this.audio.delete(key));
      if (this.audio.size > 500) this.audio.delete(this.audio.keys().next().value!);
    }
    return p;
  }
}

/** What is wrong with a trunk's options, or undefined. */
function trunkProblem(t: SipTrunk): string | undefined {
  if (t.port !== undefined && !(Number.isInteger(t.port) && t.port >= 1 && t.port <= 65535)) return `port ${String(t.port)} is not a port number`;
  if (t.transport !== undefined && t.transport !== 'udp' && t.transport !== 'tcp') return `transport ${String(t.transport)} is not udp or tcp`;
  const token = /^[A-Za-z0-9\-_.!~*'()&=+$,;?/%]+$/;
  for (const k of ['username', 'authUsername', 'fromUser'] as const) {
    const v = t[k];
    if (v !== undefined && !token.test(v)) return `${k} ${JSON.stringify(v.slice(0, 40))} is not a SIP user name`;
  }
  if (t.domain !== undefined && !/^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])$/.test(t.domain)) return `domain ${JSON.stringify(t.domain.slice(0, 60))} is not a host name`;
  if (t.assertedIdentity !== undefined && !['none', 'pai', 'rpid'].includes(t.assertedIdentity)) return `assertedIdentity ${String(t.assertedIdentity)} is not none, pai or rpid`;
  if (t.privacy !== undefined && t.privacy !== 'none' && t.privacy !== 'id') return `privacy ${String(t.privacy)} is not none or id`;
  if (t.outboundProxy !== undefined && !outboundProxyOf(t.outboundProxy, 'udp')) return `outboundProxy ${JSON.stringify(t.outboundProxy.slice(0, 60))} is not a host, host:port or SIP URI without a user`;
  return undefined;
}

/** Our answer's direction to an offer: its mirror, and `c=0.0.0.0` (old-style hold, RFC 3264 §8.4) as hold. */
function answerOf(offer: { readonly host: string; readonly direction: MediaDirection }): MediaDirection {
  if (offer.host === '0.0.0.0') return offer.direction === 'sendrecv' || offer.direction === 'sendonly' ? 'recvonly' : 'inactive';
  return answerDirection(offer.direction);
}

/** The session timer asked for by an INVITE (RFC 4028): none, too small (422), or its interval and refresher. */
function sessionTimerOf(req: SipRequest, minSe: number): Leg['session'] | 'too-small' | undefined {
  const value = header(req, 'session-expires');
  if (!value) return undefined;
  const expires = Number(value.split(';')[0]!.trim());
  if (!Number.isInteger(expires) || expires < 1) return undefined;
  if (expires < minSe) return 'too-small';
  const supports = [...headerValues(req, 'supported'), ...headerValues(req, 'require')].some((o) => o.toLowerCase() === 'timer');
  // A UAC without timer support cannot refresh: we do (§9).
  return { expires, refresher: supports && paramOf(value, 'refresher')?.toLowerCase() !== 'uas' ? 'uac' : 'uas', require: supports };
}

/** `sip:<number>@<trunk host>:<port>` (with `;transport=tcp` for a TCP trunk). */
function trunkUri(trunk: SipTrunk, number: string): string {
  return `sip:${encodeUser(number)}@${trunk.host}:${trunk.port ?? 5060}${trunk.transport === 'tcp' ? ';transport=tcp' : ''}`;
}

/** The first hop and Route value of a trunk's outbound proxy (`host`, `host:port` or a SIP URI). */
export function outboundProxyOf(proxy: string, transport: 'udp' | 'tcp'): { readonly dest: SipAddress; readonly route: string } | undefined {
  const uri = /^sips?:/i.test(proxy) ? proxy : `sip:${proxy}`;
  const u = parseSipUri(uri);
  if (!u || u.user !== undefined) return undefined;
  const t = u.params['transport']?.toLowerCase() === 'tcp' ? 'tcp' : u.params['transport']?.toLowerCase() === 'udp' ? 'udp' : transport;
  const route = `<sip:${u.host}${u.port ? `:${u.port}` : ''}${t === 'tcp' ? ';transport=tcp' : ''};lr>`;
  return { dest: { transport: t, host: u.host.replace(/^\[|\]$/g, ''), port: u.port ?? 5060 }, route };
}

/**
 * Our identity on an outbound leg (RFC 3325, RFC 3323): From, and the headers that assert the caller
 * ID to a trunk. Without a trunk: `<sip:<caller ID or caruso>@<advertised host>>`.
 */
export function outboundIdentity(trunk: SipTrunk | undefined, callerId: string | undefined, advertised: string): { readonly from: string; readonly headers: SipHeader[] } {
  if (!trunk) return { from: `<sip:${encodeUser(callerId ?? 'caruso')}@${advertised}>`, headers: [] };
  const domain = trunk.domain ?? trunk.host;
  const presented = callerId ?? trunk.fromUser ?? trunk.username ?? 'caruso';
  const hidden = trunk.privacy === 'id';
  const from = hidden ? '"Anonymous" <sip:anonymous@anonymous.invalid>' : `<sip:${encodeUser(trunk.fromUser ?? presented)}@${domain}>`;
  const asserted = `<sip:${encodeUser(presented)}@${domain}>`;
  const headers: SipHeader[] = [];
  if (trunk.assertedIdentity === 'pai') headers.push({ name: 'p-asserted-identity', value: asserted });
  if (trunk.assertedIdentity === 'rpid') headers.push({ name: 'remote-party-id', value: `${asserted};party=calling;screen=yes;privacy=${hidden ? 'full' : 'off'}` });
  if (hidden) headers.push({ name: 'privacy', value: 'id' });
  return { from, headers };
}

function stripTag(value: string): string {
  return value.replace(/;\s*tag=[^;]*/i, '');
}

function encodeUser(user: string): string {
  return user.replace(/[^A-Za-z0-9\-_.!~*'()&=+$,;?/]/g, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

function externalAddress(): string {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}

/** `CARUSO_SIP_USERS=anna:secret,bob:other` → credentials. */
export function usersFromEnvironment(value = process.env['CARUSO_SIP_USERS']): SipUserCredentials[] {
  if (!value) return [];
  return value.split(',').map((pair) => {
    const at = pair.indexOf(':');
    return { username: pair.slice(0, at < 0 ? pair.length : at).trim(), password: at < 0 ? '' : pair.slice(at + 1) };
  });
}

/** Text to 8 kHz speech with espeak-ng, resampled by sox. */
export function synthesizeWithEspeak(text: string, language: string | undefined): Promise<Int16Array> {
  return new Promise((resolve, reject) => {
    const espeak = execFile('espeak-ng', ['-v', language ?? 'en', '--stdout', '--', text], { encoding: 'buffer', maxBuffer: 32 * 1024 * 1024 }, (err) => {
      if (err) reject(CommsErrors.CARUSO_COMMS_SIP_BAD_AUDIO({ file: 'espeak-ng', reason: err.message }, { cause: err }));
    });
    const sox = execFile('sox', ['-t', 'wav', '-', '-r', '8000', '-c', '1', '-b', '16', '-t', 'wav', '-'], { encoding: 'buffer', maxBuffer: 32 * 1024 * 1024 }, (err, stdout) => {
      if (err) return reject(CommsErrors.CARUSO_COMMS_SIP_BAD_AUDIO({ file: 'sox', reason: err.message }, { cause: err }));
      try {
        resolve(parseWav(stdout, 'synthesized speech'));
      } catch (e) {
        reject(e);
      }
    });
    espeak.stdout?.pipe(sox.stdin!);
  });
}
