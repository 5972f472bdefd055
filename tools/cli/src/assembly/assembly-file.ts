import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { ALERT_METRICS, checkDailyReportsOptions, readReportFolder, ReportCatalogue, type DailyReportsOptions, type ReportDefinition } from '@caruso/monitor';
import { findObject, isPhoneCountry, type ObjectDef } from '@caruso/objects';
import { readApplicationFile } from '@caruso/frontoffice';
import { BUILT_IN_LANGUAGES, builtInLanguage } from '@caruso/comms';
import { didYouMean, fieldPathProblem, loadModelQuietly, loadScriptFolder, shownPath, unknownObject } from './assembly-checks.js';
import { attributePosition, childElements, DiagnosticSink, ExpressionError, parseExpression, parseXml, textContent, XmlDiagnostic, type SourcePosition, type XmlElement } from '@caruso/kernel';

/**
 * The assembly file (dtd/assembly.dtd) read into a plain description. Reading never starts
 * anything: every problem comes back as a `file:line:col` diagnostic.
 */

/** A queue as the assembly declares it (durations in seconds). */
export interface AssemblyQueue {
  readonly id: string;
  /** The name people read (`label`, e.g. Verhuizingen); absent: the id. */
  readonly label?: string;
  /** The priority of every contact entering the queue (`priority`, default 0; higher is served first, also across queues). */
  readonly priority?: number;
  /** The queue this queue's voicemail callbacks wait in (`voicemail-queue`; default: the queue itself). */
  readonly voicemailQueue?: string;
  /** Who gets an e-mail with each voicemail left in this queue (`voicemail-notify`, addresses separated by spaces or commas). */
  readonly voicemailNotify?: readonly string[];
  readonly strategy: string;
  readonly wrapUpS?: number;
  readonly ringTimeoutS?: number;
  readonly maxNoAnswer?: number;
  readonly maxWaitS?: number;
  readonly maxLength?: number;
  readonly ageing?: number;
  readonly voicemail: boolean;
  readonly callbacks: boolean;
  readonly skills: ReadonlyArray<{ readonly name: string; readonly level: number }>;
  readonly overflow: ReadonlyArray<{ readonly afterS: number; readonly action: 'widen' | 'move' | 'voicemail' | 'callback'; readonly target?: string }>;
  readonly hours?: {
    readonly timezone: string;
    readonly afterHours: 'voicemail' | 'message' | 'queue';
    readonly target?: string;
    readonly open: ReadonlyArray<{ readonly days: string; readonly from: string; readonly until: string }>;
  };
  /** An expression over agent attributes every agent of the queue must satisfy (docs/expressions.md). */
  readonly agentExpression?: string;
  /** What a waiting caller hears about their place in line (`<announce>`). */
  readonly announce?: {
    readonly everyS?: number;
    readonly onEntry: boolean;
    readonly position: boolean;
    readonly expectedWait: boolean;
    readonly text?: string;
    readonly language?: string;
  };
}

/** A typed agent attribute (`<attribute name value type>`). */
export type AssemblyAttributeValue = string | number | boolean | readonly string[];

/** An agent as the assembly declares it. */
export interface AssemblyAgent {
  readonly id: string;
  readonly user?: string;
  readonly skills: Readonly<Record<string, number>>;
  readonly queues: ReadonlyArray<{ readonly queueId: string; readonly level: number }>;
  readonly chats?: number;
  readonly emails?: number;
  readonly endpoint?: string;
  /** Queues the agent may also choose at login (`selectable`); absent: every queue. */
  readonly selectable?: readonly string[];
  /** Free attributes read by the queues' agent expressions. */
  readonly attributes: Readonly<Record<string, AssemblyAttributeValue>>;
}

/** `<comms><interactions>`: the interaction records of ended contacts (the customer's history). */
export interface AssemblyInteractions {
  readonly enabled: boolean;
  readonly customerObject?: string;
  /** Finds the customer of an unlinked contact by caller number / sender address. */
  readonly identify?: { readonly object: string; readonly phoneField?: string; readonly emailField?: string };
}

/** `<comms><recording>`: call recording (files in `folder`, catalogue in the database). */
export interface AssemblyRecording {
  /** Absolute path of the recordings folder. */
  readonly folder: string;
  readonly channels: 1 | 2;
  readonly retentionDays?: number;
  /** The announcement: one text, or a text per language (`<announcement lang text>`). */
  readonly announcement?: string | Readonly<Record<string, string>>;
  readonly language?: string;
  /** What is recorded: queues, campaigns and agents with `record="true"`. */
  readonly queues: readonly string[];
  readonly campaigns: readonly string[];
  readonly agents: readonly string[];
}

/** A service to load from a module. */
export interface AssemblyService {
  readonly token: string;
  /** Absolute path of the module. */
  readonly module: string;
  readonly export: string;
  readonly version?: string;
  /** `simulate`: started only by `caruso start --simulate` (a load generator); default `always`. */
  readonly run: 'always' | 'simulate';
  /** Configuration values (secrets already read from the environment). */
  readonly config: Readonly<Record<string, string>>;
  readonly position: SourcePosition;
}

/** A user created on first start. */
export interface AssemblyUser {
  readonly name: string;
  readonly role: 'administrator' | 'supervisor' | 'agent';
  readonly displayName?: string;
  /** The password from the environment, when the variable is set. */
  readonly password?: string;
  readonly passwordEnv?: string;
  readonly agent?: string;
  /** The user's SIP phone (`phone`): what the server dials when this supervisor monitors a call. */
  readonly phone?: string;
}

/** A trunk of the SIP adapter (credentials already read from the environment). */
export interface AssemblySipTrunk {
  readonly id: string;
  readonly host: string;
  readonly port?: number;
  readonly transport: 'udp' | 'tcp';
  /** Whether Caruso registers with the trunk. */
  readonly register: boolean;
  readonly username?: string;
  readonly password?: string;
  /** The digest user when it differs from the account (3CX, many carriers). */
  readonly authUsername?: string;
  /** The domain of From and the request URI (default: the trunk's host). */
  readonly domain?: string;
  /** The user part of From on calls out (default: the account). */
  readonly fromUser?: string;
  /** The identity header sent on calls out. */
  readonly assertedIdentity: 'none' | 'pai' | 'rpid';
  /** `id`: calls out are anonymous in From, with `Privacy: id`. */
  readonly privacy: 'none' | 'id';
  /** A SIP URI every request to this trunk is sent through. */
  readonly outboundProxy?: string;
  readonly registerExpiresSec?: number;
}

/** An agent's phone account on the SIP adapter's registrar (password read from the environment). */
export interface AssemblySipPhone {
  readonly user: string;
  readonly password: string;
  /** The agent this phone rings for (the agent's endpoint becomes `agent:<user>` unless it names one). */
  readonly agent?: string;
}

/** The SIP adapter of an assembly. */
export interface AssemblySip {
  readonly host: string;
  readonly port: number;
  readonly advertisedHost?: string;
  readonly rtpPorts?: { readonly min: number; readonly max: number };
  /** The dialogue script answering calls to numbers that no `<ivr>` entry names. */
  readonly ivr?: string;
  /** Folder of prompt files. */
  readonly prompts?: string;
  /** A WAV file played to a caller on hold, in a loop (`hold-music`). */
  readonly holdMusic?: string;
  /** Who may call in: `any` caller, or only the `known` trunks and registered phones. */
  readonly inbound: 'any' | 'known';
  /** Ringing before an inbound call is answered, in ms (a CANCEL meanwhile ends it cleanly). */
  readonly ringMs?: number;
  readonly trunks: readonly AssemblySipTrunk[];
  readonly phones: readonly AssemblySipPhone[];
}

/** The whole assembly, paths resolved against the assembly file's folder. */
export interface Assembly {
  readonly file: string;
  readonly dir: string;
  readonly name: string;
  readonly version?: string;
  readonly lang?: string;
  readonly description?: string;
  readonly dataDir: string;
  readonly storageUrl: string;
  /** The most database connections at once (`<storage pool-max>`, PostgreSQL; SQLite uses one). */
  readonly storagePoolMax?: number;
  readonly model?: {
    readonly src: string;
    readonly schema: 'migrate' | 'check';
    /** The country (ISO 3166-1 alpha-2) of phone numbers written without a country code (`default-country`); overrides the model's. */
    readonly defaultCountry?: string;
  };
  readonly scripts?: { readonly folder: string; readonly watch: boolean };
  readonly application?: string;
  readonly manager: { readonly host: string; readonly port: number };
  readonly http: { readonly host: string; readonly port: number };
  readonly sip?: AssemblySip;
  readonly queues: readonly AssemblyQueue[];
  readonly agents: readonly AssemblyAgent[];
  /** IVR entry points; `priority`: the priority of the calls handed off from this entry point (over the queue's). */
  readonly ivr: ReadonlyArray<{ readonly number: string; readonly script?: string; readonly queue?: string; readonly priority?: number }>;
  readonly email?: Readonly<Record<string, string>>;
  readonly chat?: { readonly queue: string; readonly port?: number };
  readonly interactions?: AssemblyInteractions;
  readonly recording?: AssemblyRecording;
  readonly campaigns: ReadonlyArray<Readonly<Record<string, string>>>;
  readonly alerts: ReadonlyArray<Readonly<Record<string, string>>>;
  /** The company's report definitions, read from the `*.json` files of `<monitor><reports folder>`. */
  readonly reportDefinitions: readonly ReportDefinition[];
  /** `<monitor><daily-reports>`: where and when the daily report files are written. */
  readonly dailyReports?: DailyReportsOptions;
  readonly services: readonly AssemblyService[];
  readonly users: readonly AssemblyUser[];
}

/** What {@link readAssembly} returns. */
export interface AssemblyReadResult {
  readonly assembly: Assembly | undefined;
  readonly diagnostics: XmlDiagnostic[];
}

interface ElementRule {
  readonly attributes: Readonly<Record<string, 'required' | 'optional'>>;
  readonly children: readonly string[];
  readonly text?: boolean;
}

/** The element table; a test keeps it in step with dtd/assembly.dtd. */
export const ASSEMBLY_ELEMENTS: Readonly<Record<string, ElementRule>> = {
  assembly: { attributes: { name: 'required', version: 'optional', 'xml:lang': 'optional', data: 'optional' }, children: ['description', 'storage', 'model', 'scripts', 'application', 'manager', 'http', 'sip', 'comms', 'monitor', 'service', 'user'] },
  description: { attributes: {}, children: [], text: true },
  storage: { attributes: { url: 'optional', 'url-env': 'optional', 'pool-max': 'optional' }, children: [] },
  model: { attributes: { src: 'required', schema: 'optional', 'default-country': 'optional' }, children: [] },
  scripts: { attributes: { folder: 'required', watch: 'optional' }, children: [] },
  application: { attributes: { src: 'required' }, children: [] },
  manager: { attributes: { host: 'optional', port: 'optional' }, children: [] },
  http: { attributes: { host: 'optional', port: 'optional' }, children: [] },
  sip: { attributes: { host: 'optional', port: 'optional', 'advertised-host': 'optional', 'rtp-ports': 'optional', ivr: 'optional', prompts: 'optional', 'hold-music': 'optional', inbound: 'optional', 'ring-ms': 'optional' }, children: ['trunk', 'phone'] },
  trunk: {
    attributes: {
      name: 'required', host: 'required', port: 'optional', transport: 'optional', register: 'optional', 'register-expires': 'optional', username: 'optional', 'username-env': 'optional', 'password-env': 'optional',
      'auth-username': 'optional', 'auth-username-env': 'optional', domain: 'optional', 'from-user': 'optional', 'asserted-identity': 'optional', privacy: 'optional', 'outbound-proxy': 'optional',
    },
    children: [],
  },
  phone: { attributes: { user: 'required', 'password-env': 'required', agent: 'optional' }, children: [] },
  comms: { attributes: {}, children: ['queue', 'agent', 'ivr', 'email', 'chat', 'campaign', 'interactions', 'recording'] },
  recording: { attributes: { folder: 'required', channels: 'optional', 'retention-days': 'optional', announcement: 'optional', lang: 'optional' }, children: ['announcement'] },
  announcement: { attributes: { lang: 'required', text: 'required' }, children: [] },
  queue: {
    attributes: {
      id: 'required', strategy: 'optional', 'wrap-up': 'optional', 'ring-timeout': 'optional', 'max-no-answer': 'optional', 'max-wait': 'optional', 'max-length': 'optional', ageing: 'optional', voicemail: 'optional', callbacks: 'optional',
      'agent-expression': 'optional', label: 'optional', priority: 'optional', 'voicemail-queue': 'optional', 'voicemail-notify': 'optional', record: 'optional',
    },
    children: ['skill', 'overflow', 'hours', 'announce'],
  },
  announce: { attributes: { every: 'optional', 'on-entry': 'optional', position: 'optional', wait: 'optional', text: 'optional', lang: 'optional' }, children: [] },
  skill: { attributes: { name: 'required', level: 'optional' }, children: [] },
  overflow: { attributes: { after: 'required', action: 'required', target: 'optional' }, children: [] },
  hours: { attributes: { timezone: 'optional', 'after-hours': 'optional', target: 'optional' }, children: ['open'] },
  open: { attributes: { days: 'required', from: 'required', until: 'required' }, children: [] },
  agent: { attributes: { id: 'required', user: 'optional', skills: 'optional', queues: 'required', selectable: 'optional', chats: 'optional', emails: 'optional', endpoint: 'optional', record: 'optional' }, children: ['attribute'] },
  attribute: { attributes: { name: 'required', value: 'required', type: 'optional' }, children: [] },
  ivr: { attributes: { number: 'required', script: 'optional', queue: 'optional', priority: 'optional' }, children: [] },
  email: { attributes: { queue: 'required', 'smtp-port': 'optional', address: 'optional', 'relay-host': 'optional', 'relay-port': 'optional', 'relay-user-env': 'optional', 'relay-pass-env': 'optional', priority: 'optional' }, children: [] },
  chat: { attributes: { queue: 'required', port: 'optional' }, children: [] },
  interactions: { attributes: { enabled: 'optional', 'customer-object': 'optional', identify: 'optional', 'phone-field': 'optional', 'email-field': 'optional' }, children: [] },
  campaign: {
    attributes: { id: 'required', object: 'required', filter: 'optional', 'phone-field': 'required', script: 'required', queue: 'required', mode: 'optional', 'max-drop-rate': 'optional', hours: 'optional', timezone: 'optional', record: 'optional' },
    children: [],
  },
  monitor: { attributes: {}, children: ['alert', 'reports', 'daily-reports'] },
  alert: { attributes: { id: 'required', metric: 'required', queue: 'optional', op: 'required', value: 'required', for: 'optional', severity: 'optional' }, children: [] },
  reports: { attributes: { folder: 'required' }, children: [] },
  'daily-reports': { attributes: { folder: 'required', at: 'optional' }, children: [] },
  service: { attributes: { token: 'required', module: 'required', export: 'optional', version: 'optional', run: 'optional' }, children: ['config'] },
  config: { attributes: { name: 'required', value: 'optional', env: 'optional', path: 'optional' }, children: [] },
  user: { attributes: { name: 'required', role: 'required', 'display-name': 'optional', 'password-env': 'optional', agent: 'optional', phone: 'optional' }, children: [] },
};

const ENUMS: Readonly<Record<string, readonly string[]>> = {
  'model.schema': ['migrate', 'check'],
  'scripts.watch': ['true', 'false'],
  'queue.strategy': ['ring-all', 'longest-idle', 'least-recent', 'fewest-contacts', 'round-robin', 'random', 'linear', 'weighted-random'],
  'queue.voicemail': ['true', 'false'],
  'queue.callbacks': ['true', 'false'],
  'queue.record': ['true', 'false'],
  'agent.record': ['true', 'false'],
  'campaign.record': ['true', 'false'],
  'recording.channels': ['1', '2'],
  'overflow.action': ['widen', 'move', 'voicemail', 'callback'],
  'hours.after-hours': ['voicemail', 'message', 'queue'],
  'announce.on-entry': ['true', 'false'],
  'announce.position': ['true', 'false'],
  'announce.wait': ['true', 'false'],
  'attribute.type': ['text', 'number', 'boolean', 'list'],
  'interactions.enabled': ['true', 'false'],
  'campaign.mode': ['preview', 'progressive', 'predictive'],
  'alert.op': ['gt', 'ge', 'lt', 'le'],
  'alert.severity': ['info', 'warning', 'critical'],
  'user.role': ['administrator', 'supervisor', 'agent'],
  'trunk.transport': ['udp', 'tcp'],
  'sip.inbound': ['any', 'known'],
  'trunk.register': ['true', 'false'],
  'trunk.asserted-identity': ['none', 'pai', 'rpid'],
  'trunk.privacy': ['none', 'id'],
  'service.run': ['always', 'simulate'],
};

const ENV_NAME = /^[A-Z_][A-Z0-9_]*$/;

/**
 * Reads and checks an assembly file. Environment variables override the file where the DTD says
 * so (CARUSO_DB_URL, CARUSO_MANAGER_PORT, PORT, SIP_PORT) and supply every secret.
 */
export function readAssembly(file: string, env: NodeJS.ProcessEnv = process.env): AssemblyReadResult {
  const path = resolve(file);
  const sink = new DiagnosticSink(file);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    sink.error(undefined, `cannot read the assembly file: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    return { assembly: undefined, diagnostics: sink.sorted() };
  }
  const parsed = parseXml(text, file);
  if (!parsed.root) return { assembly: undefined, diagnostics: parsed.diagnostics };
  const root = parsed.root;
  if (root.name !== 'assembly') {
    sink.error(root.position, `the root element must be <assembly>, not <${root.name}>`);
    return { assembly: undefined, diagnostics: sink.sorted() };
  }
  checkStructure(root, sink);
  // Problems found in the files the assembly names (scripts, application), each under its own file.
  const extra: XmlDiagnostic[] = [];
  const dir = dirname(path);
  const rel = (p: string): string => (isAbsolute(p) ? p : resolve(dir, p));
  const one = (parent: XmlElement | undefined, name: string): XmlElement | undefined => (parent ? childElements(parent, name)[0] : undefined);
  const attr = (el: XmlElement | undefined, name: string): string | undefined => el?.attributes[name];

  const num = (el: XmlElement | undefined, name: string, opts: { min?: number; integer?: boolean } = {}): number | undefined => {
    const v = attr(el, name);
    if (v === undefined || !el) return undefined;
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n) || (opts.integer && !Number.isInteger(n)) || (opts.min !== undefined && n < opts.min)) {
      sink.error(attributePosition(el, name), `${name} must be ${opts.integer ? 'a whole number' : 'a number'}${opts.min !== undefined ? ` of at least ${opts.min}` : ''}, got '${v}'`);
      return undefined;
    }
    return n;
  };
  const port = (el: XmlElement | undefined, fromEnv: string | undefined, envName: string, fallback: number): number => {
    if (fromEnv !== undefined) {
      const n = Number(fromEnv);
      if (!Number.isInteger(n) || n < 0 || n > 65535) {
        sink.error(undefined, `the environment variable ${envName} must be a port number (0-65535), got '${fromEnv}'`);
        return fallback;
      }
      return n;
    }
    const n = num(el, 'port', { integer: true, min: 0 });
    if (n !== undefined && n > 65535) sink.error(attributePosition(el!, 'port'), `port must be at most 65535, got ${n}`);
    return n ?? fallback;
  };
  const envAttr = (el: XmlElement, name: string): string | undefined => {
    const v = attr(el, name);
    if (v !== undefined && !ENV_NAME.test(v)) sink.error(attributePosition(el, name), `${name} names an environment variable (e.g. BILLING_PASSWORD), got '${v}'`);
    return v;
  };
  const mustExist = (el: XmlElement, name: string, kind: 'file' | 'folder'): string | undefined => {
    const v = attr(el, name);
    if (v === undefined) return undefined;
    const p = rel(v);
    const ok = existsSync(p) && (kind === 'folder' ? statSync(p).isDirectory() : statSync(p).isFile());
    if (!ok) sink.error(attributePosition(el, name), `${kind} ${v} does not exist (relative to the assembly file)`);
    return p;
  };

  const dataDir = rel(attr(root, 'data') ?? './data');
  const storageEl = one(root, 'storage');
  const urlEnvName = storageEl ? envAttr(storageEl, 'url-env') : undefined;
  const storageUrl = env[urlEnvName ?? 'CARUSO_DB_URL'] ?? attr(storageEl, 'url') ?? `sqlite:${resolve(dataDir, 'caruso.db')}`;
  if (!/^(sqlite:|postgres:\/\/|postgresql:\/\/)/.test(storageUrl)) {
    sink.error(storageEl ? attributePosition(storageEl, 'url') : undefined, `the storage URL must start with sqlite: or postgres:// (got a URL of another kind)`);
  }

  const storagePoolMax = num(storageEl, 'pool-max', { integer: true, min: 1 });
  if (storagePoolMax !== undefined && storagePoolMax > 1000 && storageEl) sink.error(attributePosition(storageEl, 'pool-max'), `pool-max must be at most 1000, got '${storagePoolMax}'`);

  const modelEl = one(root, 'model');
  const defaultCountry = modelEl ? attr(modelEl, 'default-country') : undefined;
  if (modelEl && defaultCountry !== undefined && !(/^[A-Z]{2}$/.test(defaultCountry) && isPhoneCountry(defaultCountry))) {
    sink.error(attributePosition(modelEl, 'default-country'), `default-country must be a country code such as NL, BE or DE (ISO 3166-1 alpha-2, capitals), got '${defaultCountry}'`);
  }
  const model = modelEl
    ? { src: mustExist(modelEl, 'src', 'file') ?? '', schema: (attr(modelEl, 'schema') ?? 'migrate') as 'migrate' | 'check', ...(defaultCountry === undefined ? {} : { defaultCountry }) }
    : undefined;
  const scriptsEl = one(root, 'scripts');
  const scripts = scriptsEl ? { folder: mustExist(scriptsEl, 'folder', 'folder') ?? '', watch: attr(scriptsEl, 'watch') === 'true' } : undefined;
  const appEl = one(root, 'application');
  const application = appEl ? mustExist(appEl, 'src', 'file') : undefined;
  const managerEl = one(root, 'manager');
  const httpEl = one(root, 'http');
  const sipEl = one(root, 'sip');

  const commsEl = one(root, 'comms');
  const queueIds = new Set<string>();
  const queues: AssemblyQueue[] = [];
  for (const q of commsEl ? childElements(commsEl, 'queue') : []) {
    const id = attr(q, 'id') ?? '';
    if (queueIds.has(id)) sink.error(attributePosition(q, 'id'), `duplicate queue id '${id}'`);
    queueIds.add(id);
  }
  const unknownQueue = (v: string, where = ''): string => `unknown queue '${v}'${where}${queueIds.size ? didYouMean(v, queueIds) : '; the assembly declares no <queue>'}`;
  const checkQueueRef = (el: XmlElement, name: string): string | undefined => {
    const v = attr(el, name);
    if (v !== undefined && !queueIds.has(v)) sink.error(attributePosition(el, name), unknownQueue(v));
    return v;
  };
  for (const q of commsEl ? childElements(commsEl, 'queue') : []) {
    const hoursEl = one(q, 'hours');
    const hours = hoursEl
      ? {
          timezone: attr(hoursEl, 'timezone') ?? 'Europe/Amsterdam',
          afterHours: (attr(hoursEl, 'after-hours') ?? 'voicemail') as 'voicemail' | 'message' | 'queue',
          ...(checkQueueRef(hoursEl, 'target') === undefined ? {} : { target: attr(hoursEl, 'target') as string }),
          open: childElements(hoursEl, 'open').map((o) => {
            for (const t of ['from', 'until']) {
              const v = attr(o, t) ?? '';
              if (!/^([01]\d|2[0-3]):[0-5]\d$/.test(v)) sink.error(attributePosition(o, t), `${t} must be a time HH:MM, got '${v}'`);
            }
            const days = attr(o, 'days') ?? '';
            if (!/^(mon|tue|wed|thu|fri|sat|sun)(-(mon|tue|wed|thu|fri|sat|sun))?(,(mon|tue|wed|thu|fri|sat|sun)(-(mon|tue|wed|thu|fri|sat|sun))?)*$/.test(days)) {
              sink.error(attributePosition(o, 'days'), `days must be like mon-fri or sat,sun, got '${days}'`);
            }
            return { days, from: attr(o, 'from') ?? '', until: attr(o, 'until') ?? '' };
          }),
        }
      : undefined;
    if (hours) {
      try {
        new Intl.DateTimeFormat('en', { timeZone: hours.timezone });
      } catch {
        sink.error(attributePosition(hoursEl!, 'timezone'), `unknown time zone '${hours.timezone}' (use an IANA name such as Europe/Amsterdam)`);
      }
    }
    const opt = <T>(k: string, v: T | undefined): Record<string, T> => (v === undefined ? {} : { [k]: v });
    const agentExpression = attr(q, 'agent-expression');
    if (agentExpression !== undefined) {
      try {
        parseExpression(agentExpression);
      } catch (err) {
        const at = err instanceof ExpressionError ? ` at character ${err.offset + 1}` : '';
        sink.error(attributePosition(q, 'agent-expression'), `agent-expression${at}: ${(err as Error).message}`);
      }
    }
    const announceEl = one(q, 'announce');
    let announce: AssemblyQueue['announce'];
    if (announceEl) {
      const text = attr(announceEl, 'text');
      const lang = attr(announceEl, 'lang');
      if (text !== undefined && (text.trim() === '' || text.length > 500)) sink.error(attributePosition(announceEl, 'text'), 'text must say something, in at most 500 characters');
      if (lang !== undefined && !/^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/.test(lang)) sink.error(attributePosition(announceEl, 'lang'), `lang must be a language tag such as en or nl-BE, got '${lang}'`);
      else if (lang !== undefined && text === undefined && builtInLanguage(lang) === undefined) {
        // Without a text the built-in sentences are spoken: they must exist in that language.
        sink.error(attributePosition(announceEl, 'lang'), `there are no built-in announcement sentences in '${lang}' (only ${BUILT_IN_LANGUAGES.join(', ')}): give them in text="…" with {position} and {minutes}`);
      }
      const flag = (name: string): boolean => attr(announceEl, name) !== 'false';
      if (text === undefined && !flag('position') && !flag('wait')) sink.error(announceEl.position, '<announce> says neither the position nor the expected wait: give a text, or leave the queue without <announce>');
      const everyS = num(announceEl, 'every', { min: 1 });
      announce = { ...opt('everyS', everyS), onEntry: flag('on-entry'), position: flag('position'), expectedWait: flag('wait'), ...opt('text', text), ...opt('language', lang) };
    }
    const label = attr(q, 'label');
    if (label !== undefined && (label.trim() === '' || label.length > 80)) sink.error(attributePosition(q, 'label'), 'label must say something, in at most 80 characters');
    const priority = num(q, 'priority', { integer: true });
    const voicemailQueue = checkQueueRef(q, 'voicemail-queue');
    const notifyText = attr(q, 'voicemail-notify');
    const voicemailNotify = notifyText === undefined ? undefined : notifyText.split(/[\s,]+/).filter(Boolean);
    for (const a of voicemailNotify ?? []) {
      if (!/^[^\s@<>()",;]+@[^\s@<>()",;]+\.[^\s@<>()",;]+$/.test(a)) sink.error(attributePosition(q, 'voicemail-notify'), `voicemail-notify holds e-mail addresses separated by spaces, got '${a}'`);
    }
    if (notifyText !== undefined && voicemailNotify?.length === 0) sink.error(attributePosition(q, 'voicemail-notify'), 'voicemail-notify needs at least one e-mail address');
    const takesVoicemail =
      attr(q, 'voicemail') === 'true' || childElements(q, 'overflow').some((o) => attr(o, 'action') === 'voicemail') || (hoursEl !== undefined && (attr(hoursEl, 'after-hours') ?? 'voicemail') === 'voicemail');
    if ((voicemailQueue !== undefined || voicemailNotify !== undefined) && !takesVoicemail) {
      sink.warning(attributePosition(q, voicemailQueue !== undefined ? 'voicemail-queue' : 'voicemail-notify'), `queue ${attr(q, 'id') ?? ''} takes no voicemail (voicemail="true", an overflow or after-hours voicemail): its voicemail settings have no effect`);
    }
    queues.push({
      id: attr(q, 'id') ?? '',
      ...opt('label', label),
      ...opt('priority', priority),
      ...opt('voicemailQueue', voicemailQueue),
      ...opt('voicemailNotify', voicemailNotify),
      strategy: attr(q, 'strategy') ?? 'longest-idle',
      ...opt('wrapUpS', num(q, 'wrap-up', { min: 0 })),
      ...opt('ringTimeoutS', num(q, 'ring-timeout', { min: 1 })),
      ...opt('maxNoAnswer', num(q, 'max-no-answer', { min: 0, integer: true })),
      ...opt('maxWaitS', num(q, 'max-wait', { min: 1 })),
      ...opt('maxLength', num(q, 'max-length', { min: 1, integer: true })),
      ...opt('ageing', num(q, 'ageing', { min: 0 })),
      voicemail: attr(q, 'voicemail') === 'true',
      callbacks: attr(q, 'callbacks') === 'true',
      skills: childElements(q, 'skill').map((s) => ({ name: attr(s, 'name') ?? '', level: num(s, 'level', { min: 0 }) ?? 1 })),
      overflow: childElements(q, 'overflow').map((o) => {
        const action = attr(o, 'action') as 'widen' | 'move' | 'voicemail' | 'callback';
        const target = checkQueueRef(o, 'target');
        if (action === 'move' && target === undefined) sink.error(o.position, `an overflow with action="move" needs target="<queue id>"`);
        return { afterS: num(o, 'after', { min: 0 }) ?? 0, action, ...(target === undefined ? {} : { target }) };
      }),
      ...(hours ? { hours } : {}),
      ...opt('agentExpression', agentExpression),
      ...opt('announce', announce),
    } as AssemblyQueue);
  }

  const agentIds = new Set<string>();
  const agents: AssemblyAgent[] = (commsEl ? childElements(commsEl, 'agent') : []).map((a) => {
    const id = attr(a, 'id') ?? '';
    if (agentIds.has(id)) sink.error(attributePosition(a, 'id'), `duplicate agent id '${id}'`);
    agentIds.add(id);
    const skills: Record<string, number> = {};
    for (const pair of (attr(a, 'skills') ?? '').split(/\s+/).filter(Boolean)) {
      const m = /^([A-Za-z][\w-]*)=(\d+(?:\.\d+)?)$/.exec(pair);
      if (!m) sink.error(attributePosition(a, 'skills'), `skills are name=level pairs separated by spaces (e.g. "nl=5 billing=3"), got '${pair}'`);
      else skills[m[1] as string] = Number(m[2]);
    }
    const memberships = (attr(a, 'queues') ?? '').split(/\s+/).filter(Boolean).map((entry) => {
      const [queueId = '', level = '1'] = entry.split(':');
      if (!queueIds.has(queueId)) sink.error(attributePosition(a, 'queues'), unknownQueue(queueId, ' in queues'));
      if (!/^\d+$/.test(level)) sink.error(attributePosition(a, 'queues'), `a queue level must be a whole number, got '${entry}'`);
      return { queueId, level: Number(level) };
    });
    if (memberships.length === 0) sink.error(attributePosition(a, 'queues'), 'an agent serves at least one queue');
    const selectableText = attr(a, 'selectable');
    const selectable = selectableText === undefined ? undefined : selectableText.split(/\s+/).filter(Boolean);
    for (const queueId of selectable ?? []) if (!queueIds.has(queueId)) sink.error(attributePosition(a, 'selectable'), unknownQueue(queueId, ' in selectable'));
    const attributes: Record<string, AssemblyAttributeValue> = {};
    for (const el of childElements(a, 'attribute')) {
      const name = attr(el, 'name') ?? '';
      const value = attr(el, 'value') ?? '';
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) sink.error(attributePosition(el, 'name'), `an attribute name is a name the expressions can read (letters, digits, _), got '${name}'`);
      else if (name in attributes) sink.error(attributePosition(el, 'name'), `attribute ${name} is given twice for agent ${id}`);
      const type = attr(el, 'type') ?? 'text';
      if (type === 'number') {
        const n = Number(value);
        if (value.trim() === '' || !Number.isFinite(n)) sink.error(attributePosition(el, 'value'), `value must be a number for type="number", got '${value}'`);
        attributes[name] = n;
      } else if (type === 'boolean') {
        if (value !== 'true' && value !== 'false') sink.error(attributePosition(el, 'value'), `value must be true or false for type="boolean", got '${value}'`);
        attributes[name] = value === 'true';
      } else if (type === 'list') attributes[name] = value.split(/\s+/).filter(Boolean);
      else attributes[name] = value;
    }
    const out: AssemblyAgent = {
      id,
      skills,
      queues: memberships,
      attributes,
      ...(selectable === undefined ? {} : { selectable }),
      ...(attr(a, 'user') === undefined ? {} : { user: attr(a, 'user') as string }),
      ...(num(a, 'chats', { min: 0, integer: true }) === undefined ? {} : { chats: num(a, 'chats') as number }),
      ...(num(a, 'emails', { min: 0, integer: true }) === undefined ? {} : { emails: num(a, 'emails') as number }),
      ...(attr(a, 'endpoint') === undefined ? {} : { endpoint: attr(a, 'endpoint') as string }),
    };
    return out;
  });

  const plain = (el: XmlElement): Record<string, string> => ({ ...el.attributes });
  const ivr = (commsEl ? childElements(commsEl, 'ivr') : []).map((i) => {
    checkQueueRef(i, 'queue');
    if (attr(i, 'script') === undefined && attr(i, 'queue') === undefined) sink.error(i.position, '<ivr> needs a script, a queue, or both');
    const priority = num(i, 'priority', { integer: true });
    return {
      number: attr(i, 'number') ?? '',
      ...(priority === undefined ? {} : { priority }),
      ...(attr(i, 'script') === undefined ? {} : { script: attr(i, 'script') as string }),
      ...(attr(i, 'queue') === undefined ? {} : { queue: attr(i, 'queue') as string }),
    };
  });
  const emailEl = one(commsEl, 'email');
  if (emailEl) {
    checkQueueRef(emailEl, 'queue');
    envAttr(emailEl, 'relay-user-env');
    envAttr(emailEl, 'relay-pass-env');
    num(emailEl, 'priority', { integer: true });
  }
  const chatEl = one(commsEl, 'chat');
  if (chatEl) checkQueueRef(chatEl, 'queue');
  const interactionsEl = one(commsEl, 'interactions');
  let interactions: AssemblyInteractions | undefined;
  if (interactionsEl) {
    const objectName = (name: string): string | undefined => {
      const v = attr(interactionsEl, name);
      if (v !== undefined && !/^[A-Za-z][A-Za-z0-9_]*$/.test(v)) sink.error(attributePosition(interactionsEl, name), `${name} names a business object of the model, got '${v}'`);
      return v;
    };
    const customerObject = objectName('customer-object');
    const identifyObject = objectName('identify');
    const phoneField = attr(interactionsEl, 'phone-field');
    const emailField = attr(interactionsEl, 'email-field');
    if (identifyObject !== undefined && phoneField === undefined && emailField === undefined) {
      sink.error(attributePosition(interactionsEl, 'identify'), 'identify needs phone-field, email-field or both: the fields holding the caller number and the e-mail address');
    }
    if (identifyObject === undefined && (phoneField !== undefined || emailField !== undefined)) {
      sink.error(attributePosition(interactionsEl, phoneField !== undefined ? 'phone-field' : 'email-field'), 'phone-field and email-field belong to identify="<business object>"');
    }
    if (identifyObject !== undefined && !model) sink.error(attributePosition(interactionsEl, 'identify'), 'identify reads business objects: the assembly needs a <model>');
    // A bare customerKey (a chat's, an e-mail's) names a record of the object callers are identified
    // as, unless customer-object says otherwise: a company whose customers are Residents needs no second word.
    const customerOf = customerObject ?? identifyObject;
    interactions = {
      enabled: attr(interactionsEl, 'enabled') !== 'false',
      ...(customerOf === undefined ? {} : { customerObject: customerOf }),
      ...(identifyObject === undefined
        ? {}
        : { identify: { object: identifyObject, ...(phoneField === undefined ? {} : { phoneField }), ...(emailField === undefined ? {} : { emailField }) } }),
    };
  }
  const recordingEl = one(commsEl, 'recording');
  let recording: AssemblyRecording | undefined;
  const recordedBy = (name: 'queue' | 'agent' | 'campaign'): string[] => {
    const ids: string[] = [];
    for (const el of commsEl ? childElements(commsEl, name) : []) {
      if (attr(el, 'record') !== 'true') continue;
      if (!recordingEl) sink.error(attributePosition(el, 'record'), 'record="true" needs <recording folder="…"> inside <comms>: where the recordings are written');
      ids.push(attr(el, 'id') ?? '');
    }
    return ids;
  };
  const recorded = { queues: recordedBy('queue'), agents: recordedBy('agent'), campaigns: recordedBy('campaign') };
  if (recordingEl) {
    const langTag = /^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/;
    const folder = attr(recordingEl, 'folder') ?? '';
    if (folder.trim() === '') sink.error(attributePosition(recordingEl, 'folder'), 'folder must name the folder the recordings are written to');
    const retentionDays = num(recordingEl, 'retention-days', { integer: true, min: 1 });
    const lang = attr(recordingEl, 'lang');
    if (lang !== undefined && !langTag.test(lang)) sink.error(attributePosition(recordingEl, 'lang'), `lang must be a language tag such as en or nl-BE, got '${lang}'`);
    const text = attr(recordingEl, 'announcement');
    if (text !== undefined && text.length > 500) sink.error(attributePosition(recordingEl, 'announcement'), 'announcement must be at most 500 characters (an empty text plays nothing)');
    const texts: Record<string, string> = {};
    for (const a of childElements(recordingEl, 'announcement')) {
      const l = attr(a, 'lang') ?? '';
      const t = attr(a, 'text') ?? '';
      if (!langTag.test(l)) sink.error(attributePosition(a, 'lang'), `lang must be a language tag such as en or nl-BE, got '${l}'`);
      else if (l in texts || (text !== undefined && l === (lang ?? ''))) sink.error(attributePosition(a, 'lang'), `the announcement in '${l}' is given twice`);
      if (t.trim() === '' || t.length > 500) sink.error(attributePosition(a, 'text'), 'text must say something, in at most 500 characters');
      texts[l] = t;
    }
    if (Object.keys(texts).length > 0 && text !== undefined && lang === undefined) {
      sink.error(attributePosition(recordingEl, 'announcement'), 'with <announcement> texts per language, give the language of this one in lang');
    }
    if (lang !== undefined && langTag.test(lang) && text === undefined && Object.keys(texts).length === 0 && builtInLanguage(lang) === undefined) {
      // Without a text of its own the built-in announcement is spoken: it must exist in that language.
      sink.error(attributePosition(recordingEl, 'lang'), `there is no built-in recording announcement in '${lang}' (only ${BUILT_IN_LANGUAGES.join(', ')}): give it in announcement="…"`);
    }
    const announcement = Object.keys(texts).length > 0 ? { ...(text !== undefined ? { [lang as string]: text } : {}), ...texts } : text;
    if (recorded.queues.length + recorded.agents.length + recorded.campaigns.length === 0) {
      sink.warning(recordingEl.position, 'nothing is recorded: mark queues, agents or campaigns with record="true"');
    }
    recording = {
      folder: rel(folder),
      channels: attr(recordingEl, 'channels') === '2' ? 2 : 1,
      ...(retentionDays === undefined ? {} : { retentionDays }),
      ...(announcement === undefined ? {} : { announcement }),
      ...(lang === undefined ? {} : { language: lang }),
      ...recorded,
    };
  }
  const campaigns = (commsEl ? childElements(commsEl, 'campaign') : []).map((c) => {
    checkQueueRef(c, 'queue');
    const filter = attr(c, 'filter');
    if (filter !== undefined) {
      try {
        const parsed: unknown = JSON.parse(filter);
        if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
      } catch {
        sink.error(attributePosition(c, 'filter'), `filter must be a JSON filter of the objects query language, e.g. {"status":"active"}`);
      }
    }
    const hours = attr(c, 'hours');
    if (hours !== undefined && !/^(mon|tue|wed|thu|fri|sat|sun)(-(mon|tue|wed|thu|fri|sat|sun))?(,(mon|tue|wed|thu|fri|sat|sun)(-(mon|tue|wed|thu|fri|sat|sun))?)*\s+([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$/.test(hours)) {
      sink.error(attributePosition(c, 'hours'), `hours must look like "mon-fri 10:00-20:00", got '${hours}'`);
    }
    const rate = num(c, 'max-drop-rate', { min: 0 });
    if (rate !== undefined && rate > 1) sink.error(attributePosition(c, 'max-drop-rate'), `max-drop-rate is a fraction from 0 to 1 (e.g. 0.03), got ${rate}`);
    return plain(c);
  });

  const monitorEl = one(root, 'monitor');
  const alerts = (monitorEl ? childElements(monitorEl, 'alert') : []).map((a) => {
    const metric = attr(a, 'metric') ?? '';
    if (!(ALERT_METRICS as readonly string[]).includes(metric)) {
      sink.error(attributePosition(a, 'metric'), `unknown alert metric '${metric}'; one of ${ALERT_METRICS.join(', ')}`);
    }
    num(a, 'value');
    num(a, 'for', { min: 0 });
    return plain(a);
  });
  // The company's report definitions: every *.json file of the folder, one definition or a list each.
  const reportsEl = one(monitorEl, 'reports');
  const reportsFolder = reportsEl ? mustExist(reportsEl, 'folder', 'folder') : undefined;
  let reportDefinitions: readonly ReportDefinition[] = [];
  if (reportsEl && reportsFolder !== undefined && existsSync(reportsFolder) && statSync(reportsFolder).isDirectory()) {
    const read = readReportFolder(reportsFolder);
    reportDefinitions = read.definitions;
    for (const p of read.problems) sink.error(attributePosition(reportsEl, 'folder'), `${p.file}: ${p.message}`);
  }
  // The daily report files (written by the monitor, which checks the options the same way when it starts).
  const dailyEl = one(monitorEl, 'daily-reports');
  const dailyAt = dailyEl ? attr(dailyEl, 'at') : undefined;
  const dailyReports: DailyReportsOptions | undefined = dailyEl ? { folder: rel(attr(dailyEl, 'folder') ?? ''), ...(dailyAt === undefined ? {} : { at: dailyAt }) } : undefined;
  if (dailyEl && dailyReports) {
    try {
      checkDailyReportsOptions(dailyReports, new ReportCatalogue(reportDefinitions));
    } catch (err) {
      sink.error(attributePosition(dailyEl, dailyAt === undefined ? 'folder' : 'at'), (err as Error).message);
    }
  }

  const services: AssemblyService[] = (root ? childElements(root, 'service') : []).map((s) => {
    const token = attr(s, 'token') ?? '';
    if (!/^[A-Za-z][A-Za-z0-9_-]*(\.[A-Za-z][A-Za-z0-9_-]*)*$/.test(token)) sink.error(attributePosition(s, 'token'), `token must be a dotted name such as billing.Invoices, got '${token}'`);
    const version = attr(s, 'version');
    if (version !== undefined && !/^\d+\.\d+\.\d+(-[\w.]+)?$/.test(version)) sink.error(attributePosition(s, 'version'), `version must be a semver version such as 1.0.0, got '${version}'`);
    const module = mustExist(s, 'module', 'file') ?? '';
    const config: Record<string, string> = {};
    for (const c of childElements(s, 'config')) {
      const name = attr(c, 'name') ?? '';
      const given = ['value', 'env', 'path'].filter((k) => attr(c, k) !== undefined);
      if (given.length !== 1) {
        sink.error(c.position, `<config name="${name}"> takes exactly one of value, env or path`);
        continue;
      }
      if (attr(c, 'value') !== undefined) config[name] = attr(c, 'value') as string;
      else if (attr(c, 'path') !== undefined) config[name] = rel(attr(c, 'path') as string);
      else {
        const envName = envAttr(c, 'env') as string;
        const v = env[envName];
        if (v === undefined) sink.error(attributePosition(c, 'env'), `the environment variable ${envName} is not set (configuration '${name}' of ${token})`);
        else config[name] = v;
      }
    }
    const run = attr(s, 'run') === 'simulate' ? 'simulate' : 'always';
    return { token, module, export: attr(s, 'export') ?? 'default', ...(version === undefined ? {} : { version }), run, config, position: s.position };
  });

  const sip = sipEl ? readSip(sipEl) : undefined;
  function readSip(el: XmlElement): AssemblySip {
    const secret = (e: XmlElement, name: string, what: string): string | undefined => {
      const envName = envAttr(e, name);
      if (envName === undefined || !ENV_NAME.test(envName)) return undefined;
      const v = env[envName];
      if (v === undefined || v === '') sink.error(attributePosition(e, name), `the environment variable ${envName} is not set (${what})`);
      return v;
    };
    const trunkIds = new Set<string>();
    const trunks = childElements(el, 'trunk').map((t): AssemblySipTrunk => {
      const id = attr(t, 'name') ?? '';
      if (trunkIds.has(id)) sink.error(attributePosition(t, 'name'), `duplicate trunk '${id}'`);
      trunkIds.add(id);
      if (attr(t, 'username') !== undefined && attr(t, 'username-env') !== undefined) sink.error(t.position, `<trunk name="${id}"> takes username or username-env, not both`);
      const username = attr(t, 'username') ?? secret(t, 'username-env', `user name of trunk ${id}`);
      const password = secret(t, 'password-env', `password of trunk ${id}`);
      const register = attr(t, 'register') === 'true';
      if (register && username === undefined && attr(t, 'username-env') === undefined) sink.error(attributePosition(t, 'register'), `a trunk that registers needs username or username-env`);
      const p = num(t, 'port', { integer: true, min: 1 });
      if (p !== undefined && p > 65535) sink.error(attributePosition(t, 'port'), `port must be at most 65535, got ${p}`);
      if (attr(t, 'auth-username') !== undefined && attr(t, 'auth-username-env') !== undefined) sink.error(t.position, `<trunk name="${id}"> takes auth-username or auth-username-env, not both`);
      const authUsername = attr(t, 'auth-username') ?? secret(t, 'auth-username-env', `auth user of trunk ${id}`);
      const registerExpires = num(t, 'register-expires', { integer: true, min: 60 });
      const domain = attr(t, 'domain');
      const fromUser = attr(t, 'from-user');
      const outboundProxy = attr(t, 'outbound-proxy');
      if (outboundProxy !== undefined && !/^sips?:[^@\s]+$/.test(outboundProxy)) sink.error(attributePosition(t, 'outbound-proxy'), `outbound-proxy must be a SIP URI without a user, such as sip:proxy.example.net:5060;transport=udp, got '${outboundProxy}'`);
      if (fromUser !== undefined && !/^[A-Za-z0-9+*#._-]+$/.test(fromUser)) sink.error(attributePosition(t, 'from-user'), `from-user must be a SIP user (letters, digits, + * # . _ -), got '${fromUser}'`);
      return {
        id, host: attr(t, 'host') ?? '', transport: (attr(t, 'transport') ?? 'udp') as 'udp' | 'tcp', register,
        ...(p === undefined ? {} : { port: p }), ...(username === undefined ? {} : { username }), ...(password === undefined ? {} : { password }),
        assertedIdentity: (attr(t, 'asserted-identity') ?? 'none') as 'none' | 'pai' | 'rpid',
        privacy: (attr(t, 'privacy') ?? 'none') as 'none' | 'id',
        ...(authUsername === undefined ? {} : { authUsername }),
        ...(domain === undefined ? {} : { domain }),
        ...(fromUser === undefined ? {} : { fromUser }),
        ...(outboundProxy === undefined ? {} : { outboundProxy }),
        ...(registerExpires === undefined ? {} : { registerExpiresSec: registerExpires }),
      };
    });
    const phoneUsers = new Set<string>();
    const phones = childElements(el, 'phone').map((ph): AssemblySipPhone => {
      const user = attr(ph, 'user') ?? '';
      if (!/^[A-Za-z0-9][\w.+-]*$/.test(user)) sink.error(attributePosition(ph, 'user'), `user must be a phone login of letters, digits, '.', '_', '+' or '-', got '${user}'`);
      if (phoneUsers.has(user)) sink.error(attributePosition(ph, 'user'), `duplicate phone '${user}'`);
      phoneUsers.add(user);
      const agent = attr(ph, 'agent');
      if (agent !== undefined && !agentIds.has(agent)) sink.error(attributePosition(ph, 'agent'), `unknown agent '${agent}'${didYouMean(agent, agentIds)}`);
      return { user, password: secret(ph, 'password-env', `password of phone ${user}`) ?? '', ...(agent === undefined ? {} : { agent }) };
    });
    const ringMs = num(el, 'ring-ms', { integer: true, min: 0 });
    let rtpPorts: { min: number; max: number } | undefined;
    const range = attr(el, 'rtp-ports');
    if (range !== undefined) {
      const m = /^(\d{1,5})-(\d{1,5})$/.exec(range);
      const min = Number(m?.[1]);
      const max = Number(m?.[2]);
      if (!m || min < 1024 || max > 65535 || max - min < 2) sink.error(attributePosition(el, 'rtp-ports'), `rtp-ports must be a range of UDP ports such as 20000-29998 (from 1024 up to 65535), got '${range}'`);
      else rtpPorts = { min, max };
    }
    return {
      host: attr(el, 'host') ?? '127.0.0.1',
      port: port(el, env['SIP_PORT'], 'SIP_PORT', 5060),
      ...(attr(el, 'advertised-host') === undefined ? {} : { advertisedHost: attr(el, 'advertised-host') as string }),
      ...(rtpPorts ? { rtpPorts } : {}),
      ...(attr(el, 'ivr') === undefined ? {} : { ivr: attr(el, 'ivr') as string }),
      ...(attr(el, 'prompts') === undefined ? {} : { prompts: mustExist(el, 'prompts', 'folder') ?? '' }),
      ...(attr(el, 'hold-music') === undefined ? {} : { holdMusic: mustExist(el, 'hold-music', 'file') ?? '' }),
      inbound: attr(el, 'inbound') === 'known' ? 'known' : 'any',
      ...(ringMs === undefined ? {} : { ringMs }),
      trunks,
      phones,
    };
  }

  const userNames = new Set<string>();
  const users: AssemblyUser[] = childElements(root, 'user').map((u) => {
    const name = attr(u, 'name') ?? '';
    if (userNames.has(name)) sink.error(attributePosition(u, 'name'), `duplicate user '${name}'`);
    userNames.add(name);
    const passwordEnv = envAttr(u, 'password-env');
    const agent = attr(u, 'agent');
    const phone = attr(u, 'phone');
    if (phone !== undefined && !/^(?:sips?:[^\s<>"]{3,200}|(?:agent:|tel:)?[+0-9A-Za-z_.*#@:-]{1,64})$/.test(phone)) {
      sink.error(attributePosition(u, 'phone'), `phone must be the user's SIP phone (a registered user, a sip: URI or a number), got '${phone}'`);
    }
    if (agent !== undefined && !agentIds.has(agent)) sink.error(attributePosition(u, 'agent'), `unknown agent '${agent}'${didYouMean(agent, agentIds)}`);
    const password = passwordEnv ? env[passwordEnv] : undefined;
    return {
      name,
      role: attr(u, 'role') as AssemblyUser['role'],
      ...(attr(u, 'display-name') === undefined ? {} : { displayName: attr(u, 'display-name') as string }),
      ...(passwordEnv === undefined ? {} : { passwordEnv }),
      ...(password === undefined ? {} : { password }),
      ...(agent === undefined ? {} : { agent }),
      ...(phone === undefined ? {} : { phone }),
    };
  });

  // What the assembly names elsewhere must exist: scripts, business objects and fields, and the
  // application's own references (queues, scripts, objects, reports, its language).
  for (const a of monitorEl ? childElements(monitorEl, 'alert') : []) checkQueueRef(a, 'queue');
  const scriptFolder = scripts && !sink.hasErrors ? loadScriptFolder(scripts.folder) : undefined;
  if (scriptsEl && scriptFolder && scriptFolder.files === 0) sink.error(attributePosition(scriptsEl, 'folder'), `no dialogue scripts (*.xml) found in ${attr(scriptsEl, 'folder') ?? ''}`);
  const scriptIds = new Set(scriptFolder?.bundles.keys() ?? []);
  const checkScriptRef = (el: XmlElement, name: string): void => {
    const v = attr(el, name);
    // Without <scripts> nothing is checked: the communication server queues such calls at once (and says so).
    if (v === undefined || !scriptFolder || scriptFolder.files === 0) return;
    if (!scriptIds.has(v)) sink.error(attributePosition(el, name), `unknown dialogue script '${v}' in ${attr(scriptsEl, 'folder') ?? ''}${didYouMean(v, scriptIds)}`);
  };
  for (const i of commsEl ? childElements(commsEl, 'ivr') : []) checkScriptRef(i, 'script');
  for (const c of commsEl ? childElements(commsEl, 'campaign') : []) checkScriptRef(c, 'script');
  if (sipEl) checkScriptRef(sipEl, 'ivr');
  // A script's hand-off names a queue of this assembly (`voicemail` leaves a message when a queue takes voicemail).
  if (scriptFolder && queueIds.size > 0) {
    const voicemail = queues.some((q) => q.voicemail || q.hours?.afterHours === 'voicemail' || q.overflow.some((o) => o.action === 'voicemail'));
    const seen = new Set<string>();
    for (const bundle of scriptFolder.bundles.values()) {
      for (const script of bundle.scripts.values()) {
        if (seen.has(script.id)) continue;
        seen.add(script.id);
        for (const node of script.nodes.values()) {
          if (node.kind !== 'handoff' || node.queue === '' || queueIds.has(node.queue) || (node.queue === 'voicemail' && voicemail)) continue;
          extra.push(new XmlDiagnostic(shownPath(node.at.file), node.at.line, node.at.col, 'error', `the hand-off ${node.id} names ${unknownQueue(node.queue)} (queues of ${shownPath(path)})`, 'unknown-queue'));
        }
      }
    }
  }
  const modelDef = model && existsSync(model.src) && statSync(model.src).isFile() ? loadModelQuietly(model.src) : undefined;
  if (modelDef) {
    const objectRef = (el: XmlElement, name: string): ObjectDef | undefined => {
      const v = attr(el, name);
      if (v === undefined) return undefined;
      const o = findObject(modelDef, v);
      if (!o) sink.error(attributePosition(el, name), unknownObject(modelDef, v));
      return o;
    };
    const fieldRef = (el: XmlElement, o: ObjectDef | undefined, name: string): void => {
      const v = attr(el, name);
      if (!o || v === undefined) return;
      const problem = fieldPathProblem(modelDef, o, v);
      if (problem) sink.error(attributePosition(el, name), `${name}: ${problem}`);
    };
    for (const c of commsEl ? childElements(commsEl, 'campaign') : []) fieldRef(c, objectRef(c, 'object'), 'phone-field');
    if ((emailEl || chatEl) && attr(interactionsEl ?? root, 'customer-object') === undefined && attr(interactionsEl ?? root, 'identify') === undefined && !findObject(modelDef, 'Customer')) {
      // Without either, a chat's or an e-mail's customerKey is read as a Customer, which this model has not.
      sink.warning((interactionsEl ?? commsEl ?? root).position, `e-mails and chats name their customer as a Customer record, and the model has no object Customer: set <interactions customer-object="…"> (or identify="…") to the object your customers are`);
    }
    if (interactionsEl) {
      objectRef(interactionsEl, 'customer-object');
      const o = objectRef(interactionsEl, 'identify');
      fieldRef(interactionsEl, o, 'phone-field');
      fieldRef(interactionsEl, o, 'email-field');
    }
  }
  if (appEl && application !== undefined && modelDef && !sink.hasErrors && existsSync(application)) {
    const r = readApplicationFile(application, {
      model: modelDef,
      queues: queueIds,
      reports: new Set(new ReportCatalogue(reportDefinitions).names()),
      ...(scriptFolder ? { scripts: scriptIds, identifiedDataAccess: scriptFolder.identifiedDataAccess } : {}),
    });
    for (const d of r.diagnostics) extra.push(new XmlDiagnostic(d.file === application ? shownPath(application) : d.file, d.line, d.col, d.severity, d.message, d.code));
  }

  const assembly: Assembly = {
    file: path,
    dir,
    name: attr(root, 'name') ?? '',
    ...(attr(root, 'version') === undefined ? {} : { version: attr(root, 'version') as string }),
    ...(attr(root, 'xml:lang') === undefined ? {} : { lang: attr(root, 'xml:lang') as string }),
    ...(one(root, 'description') ? { description: textContent(one(root, 'description') as XmlElement) } : {}),
    dataDir,
    storageUrl,
    ...(storagePoolMax === undefined || storagePoolMax > 1000 ? {} : { storagePoolMax }),
    ...(model ? { model } : {}),
    ...(scripts ? { scripts } : {}),
    ...(application ? { application } : {}),
    manager: { host: env['CARUSO_MANAGER_HOST'] ?? attr(managerEl, 'host') ?? '127.0.0.1', port: port(managerEl, env['CARUSO_MANAGER_PORT'], 'CARUSO_MANAGER_PORT', 7070) },
    http: { host: attr(httpEl, 'host') ?? '127.0.0.1', port: port(httpEl, env['PORT'], 'PORT', 8080) },
    ...(sip ? { sip } : {}),
    queues,
    agents,
    ivr,
    ...(emailEl ? { email: plain(emailEl) } : {}),
    ...(chatEl ? { chat: { queue: attr(chatEl, 'queue') as string, ...(num(chatEl, 'port', { integer: true, min: 0 }) === undefined ? {} : { port: num(chatEl, 'port') as number }) } } : {}),
    ...(interactions ? { interactions } : {}),
    ...(recording ? { recording } : {}),
    campaigns,
    alerts,
    reportDefinitions,
    ...(dailyReports ? { dailyReports } : {}),
    services,
    users,
  };
  const diagnostics = [...parsed.diagnostics, ...sink.sorted(), ...extra.sort(XmlDiagnostic.compare)];
  return { assembly: diagnostics.some((d) => d.severity === 'error') ? undefined : assembly, diagnostics };
}

/** Checks elements, attributes, required attributes, enumerations and text against the table. */
function checkStructure(el: XmlElement, sink: DiagnosticSink): void {
  const rule = ASSEMBLY_ELEMENTS[el.name];
  if (!rule) {
    sink.error(el.position, `unknown element <${el.name}>`);
    return;
  }
  for (const [name] of Object.entries(el.attributes)) {
    if (!(name in rule.attributes)) {
      const known = Object.keys(rule.attributes);
      sink.error(attributePosition(el, name), `<${el.name}> has no attribute ${name}${known.length ? `; it takes ${known.join(', ')}` : ''}`);
    }
  }
  for (const [name, need] of Object.entries(rule.attributes)) {
    if (need === 'required' && el.attributes[name] === undefined) sink.error(el.position, `<${el.name}> needs the attribute ${name}`);
    const allowed = ENUMS[`${el.name}.${name}`];
    const v = el.attributes[name];
    if (allowed && v !== undefined && !allowed.includes(v)) sink.error(attributePosition(el, name), `${name} must be one of ${allowed.join(', ')}, got '${v}'`);
  }
  const singles = new Set(['description', 'storage', 'model', 'scripts', 'application', 'manager', 'http', 'sip', 'comms', 'monitor', 'hours', 'announce', 'email', 'chat', 'interactions', 'recording', 'reports', 'daily-reports']);
  const seen = new Set<string>();
  for (const child of el.children) {
    if (child.kind === 'text') {
      if (!rule.text && child.text.trim() !== '') sink.error(child.position, `text is not allowed inside <${el.name}>`);
      continue;
    }
    if (!rule.children.includes(child.name)) {
      sink.error(child.position, `<${child.name}> is not allowed inside <${el.name}>${rule.children.length ? `; allowed: ${rule.children.join(', ')}` : ''}`);
      continue;
    }
    if (singles.has(child.name) && seen.has(child.name)) sink.error(child.position, `<${child.name}> may appear only once inside <${el.name}>`);
    seen.add(child.name);
    checkStructure(child, sink);
  }
}
