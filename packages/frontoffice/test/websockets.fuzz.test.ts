// Issue 13, the WebSocket part of the fuzz suite (`npm run test:fuzz`). A whole front office runs in
// a child process (fixtures/fuzz-server-child.mjs) with every WebSocket listener an outside party can
// reach: the front office's /ws/agent, /ws/chat, /ws/monitor, /ws/chat/watch and /ws/chat/customer, the web chat's
// standalone listener, the service manager's remote endpoint and the monitor's standalone listener.
// Batches of mutated frames (random bytes, huge frames, text that is not UTF-8, JSON with wrong types
// and unknown message types, control frames, frames no WebSocket library would write) and mutated
// upgrade requests go to each of them, anonymously and logged in as an agent and a supervisor. After
// each batch the process is still running, answers its session route, and a well-formed socket of
// that listener still works; no answer is a 5xx. Seeded (CARUSO_FUZZ_SEED), so a failure can be
// replayed; bounded in count and time. The figures go to docs/fuzzing.md.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { WebSocket } from 'ws';
import { connectServiceManager, createToken } from '@caruso/kernel';
import { ApiClient, loggedInClient } from '@caruso/frontoffice/testing';
import { FIXTURES } from './fixture.js';

const SEED = Number(process.env['CARUSO_FUZZ_SEED'] ?? 1013);
/** Batches per listener; each batch holds 1 to 16 frames. */
const BATCHES = Number(process.env['CARUSO_FUZZ_WS_BATCHES'] ?? 150);
/** Wall-clock budget of one listener's batches (the batches tried are counted and reported). */
const LISTENER_MS = Number(process.env['CARUSO_FUZZ_WS_MS'] ?? 8_000);
/** The longest a well-formed exchange may take after a batch. */
const PROBE_MS = 5_000;
const PW = 'correct horse battery';

interface Echo {
  echo(x: unknown): unknown;
}
const Echo = createToken<Echo>('fuzz.Echo');

interface Ready {
  readonly url: string;
  readonly chat: string;
  readonly chatToken: string;
  readonly remote: string;
  readonly remoteToken: string;
  readonly monitor: string;
  readonly monitorToken: string;
}

let child: ChildProcess;
let dir: string;
let ready: Ready;
let exited: Promise<number | null>;
let stderr = '';
let anna: ApiClient;
let sam: ApiClient;
let visitor: ApiClient;
const inputs = new Map<string, number>();
const batches = new Map<string, number>();
let fiveXX = 0;
let crashes = 0;

const count = (name: string, n = 1): void => {
  inputs.set(name, (inputs.get(name) ?? 0) + n);
};

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
    }),
  ]);
}

/**
 * Messages each socket received (JSON-parsed), from the moment it opened: a listener's greeting can
 * arrive with the upgrade answer, before the caller of open() gets the socket.
 */
const inboxes = new WeakMap<WebSocket, Record<string, unknown>[]>();

/** Opens a socket and resolves once open; rejects with the HTTP status when the upgrade is refused. */
function open(url: string, headers: Record<string, string>): Promise<WebSocket> {
  return withTimeout(
    new Promise<WebSocket>((resolve, reject) => {
      const ws = new WebSocket(url, { headers });
      const inbox: Record<string, unknown>[] = [];
      inboxes.set(ws, inbox);
      ws.on('message', (data: Buffer) => {
        try {
          const m = JSON.parse(String(data)) as unknown;
          if (m && typeof m === 'object') inbox.push(m as Record<string, unknown>);
        } catch {
          // not JSON: no probe waits for it
        }
        if (inbox.length > 100) inbox.shift();
      });
      ws.on('error', (err) => reject(err));
      ws.once('open', () => resolve(ws));
      ws.once('unexpected-response', (_req, res) => {
        if ((res.statusCode ?? 0) >= 500) fiveXX++;
        reject(new Error(`${url} refused the upgrade with ${res.statusCode}`));
        res.resume();
        ws.terminate();
      });
    }),
    PROBE_MS,
    `opening ${url}`,
  );
}

/** The first message on `ws` (received already or to come) that `match` accepts. */
function next(ws: WebSocket, match: (m: Record<string, unknown>) => boolean, what: string): Promise<Record<string, unknown>> {
  const inbox = inboxes.get(ws) ?? [];
  return withTimeout(
    new Promise((resolve, reject) => {
      const look = (): boolean => {
        const i = inbox.findIndex(match);
        if (i < 0) return false;
        const [m] = inbox.splice(0, i + 1).slice(-1);
        ws.off('message', look);
        resolve(m as Record<string, unknown>);
        return true;
      };
      if (look()) return;
      // Runs after the socket's own listener (registered first) has put the message in the inbox.
      ws.on('message', look);
      ws.once('close', (code) => reject(new Error(`${what}: the socket closed (${code})`)));
    }),
    PROBE_MS,
    what,
  );
}

function closed(ws: WebSocket): Promise<number> {
  return withTimeout(new Promise((resolve) => ws.once('close', (code) => resolve(code))), PROBE_MS, 'close');
}

// ------------------------------------------------------------------------------------ frames

/** A client frame as bytes, masked unless told otherwise; `length` overrides the declared length. */
function rawFrame(o: { fin?: boolean; rsv?: number; opcode: number; masked?: boolean; payload?: Buffer; length?: bigint }): Buffer {
  const payload = o.payload ?? Buffer.alloc(0);
  const masked = o.masked ?? true;
  const len = o.length ?? BigInt(payload.length);
  const head = [((o.fin ?? true) ? 0x80 : 0) | ((o.rsv ?? 0) << 4) | o.opcode];
  const m = masked ? 0x80 : 0;
  let ext = Buffer.alloc(0);
  if (len < 126n) head.push(m | Number(len));
  else if (len < 65536n) {
    head.push(m | 126);
    ext = Buffer.alloc(2);
    ext.writeUInt16BE(Number(len));
  } else {
    head.push(m | 127);
    ext = Buffer.alloc(8);
    ext.writeBigUInt64BE(len);
  }
  const key = Buffer.from([0x12, 0x34, 0x56, 0x78]);
  const body = Buffer.from(payload);
  if (masked) for (let i = 0; i < body.length; i++) body[i] = (body[i] as number) ^ (key[i % 4] as number);
  return Buffer.concat([Buffer.from(head), ext, masked ? key : Buffer.alloc(0), body]);
}

const closePayload = (code: number, reason: Buffer = Buffer.alloc(0)): Buffer => {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(code);
  return Buffer.concat([b, reason]);
};
/** Frames no WebSocket library writes: each must close that connection (1002 and kin), nothing more. */
const RAW: readonly ((b: Buffer) => Buffer)[] = [
  () => rawFrame({ opcode: 0x3 }),
  () => rawFrame({ opcode: 0xb, payload: Buffer.from('x') }),
  (b) => rawFrame({ opcode: 0x1, rsv: 4, payload: b }),
  (b) => rawFrame({ opcode: 0x1, rsv: 3, payload: b }),
  (b) => rawFrame({ opcode: 0x1, masked: false, payload: b }),
  (b) => rawFrame({ opcode: 0x0, payload: b }),
  (b) => rawFrame({ opcode: 0x9, fin: false, payload: b.subarray(0, 10) }),
  () => rawFrame({ opcode: 0x9, payload: Buffer.alloc(126, 1) }),
  () => rawFrame({ opcode: 0x8, payload: Buffer.from([3]) }),
  () => rawFrame({ opcode: 0x8, payload: closePayload(1000, Buffer.from([0xff, 0xfe])) }),
  () => rawFrame({ opcode: 0x2, length: 1n << 63n }),
  () => rawFrame({ opcode: 0x2, length: 1n << 40n }),
  (b) => Buffer.concat([rawFrame({ opcode: 0x1, fin: false, payload: Buffer.from('{"ty') }), rawFrame({ opcode: 0x1, payload: b })]),
  (b) => b,
  () => Buffer.from([0x81]),
  () => Buffer.concat(Array.from({ length: 200 }, () => rawFrame({ opcode: 0x2 }))),
  () => Buffer.concat(Array.from({ length: 200 }, () => rawFrame({ opcode: 0x9, payload: Buffer.from('ping') }))),
  (b) => rawFrame({ opcode: 0x1, payload: Buffer.concat([Buffer.from('{"type":"'), b, Buffer.from('"}')]) }),
];
const CLOSE_CODES = [0, 999, 1000, 1001, 1004, 1005, 1006, 1012, 1015, 2999, 3000, 4401, 4999, 5000, 65535];
const INVALID_UTF8 = [[0xff], [0xc0, 0x80], [0x80], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xe2, 0x82]];
/** Values a field is set to: every JSON type, extremes, and keys that reach prototypes. */
const VALUES: readonly unknown[] = [
  null, true, false, 0, -1, 1.5, 1e308, -1e308, 2 ** 53 + 2, '', ' ', 'x'.repeat(3000), '\u0000', '😀', '\ud800', [], [[]], {}, { a: { b: { c: {} } } },
  '__proto__', 'constructor', 'toString', 'agents', 'agent:anna', 'agent:bob', 'center', 'services', 'alerts', 'campaigns', '*', '../../etc/passwd', '<script>alert(1)</script>',
];
const KEYS = ['type', 'topic', 'token', 'chatId', 'offerId', 'text', 'typing', 'upTo', 'clientId', 'id', 'jsonrpc', 'method', 'params', 'args', 'deadlineMs', '__proto__', 'constructor', 'prototype', 'x'];

type JsonMut =
  | { readonly m: 'set'; readonly key: number; readonly v: number }
  | { readonly m: 'random'; readonly key: number; readonly v: unknown }
  | { readonly m: 'delete'; readonly key: number }
  | { readonly m: 'array' | 'proto' | 'dup-key' | 'nested' };
type FrameSpec =
  | { readonly k: 'json'; readonly t: number; readonly muts: readonly JsonMut[] }
  | { readonly k: 'text'; readonly s: string }
  | { readonly k: 'bytes'; readonly b: Uint8Array; readonly binary: boolean }
  | { readonly k: 'bad-utf8'; readonly t: number; readonly at: number; readonly which: number }
  | { readonly k: 'huge'; readonly size: number; readonly binary: boolean }
  | { readonly k: 'deep'; readonly depth: number }
  | { readonly k: 'control'; readonly op: 'ping' | 'pong'; readonly b: Uint8Array }
  | { readonly k: 'fragments'; readonly t: number; readonly parts: number }
  | { readonly k: 'raw'; readonly which: number; readonly b: Uint8Array }
  | { readonly k: 'close'; readonly code: number; readonly reason: string };

const nat = fc.nat({ max: 10_000 });
const jsonMutArb: fc.Arbitrary<JsonMut> = fc.oneof(
  fc.record({ m: fc.constant('set' as const), key: nat, v: nat }),
  fc.record({ m: fc.constant('random' as const), key: nat, v: fc.jsonValue({ maxDepth: 3 }) }),
  fc.record({ m: fc.constant('delete' as const), key: nat }),
  fc.record({ m: fc.constantFrom('array' as const, 'proto' as const, 'dup-key' as const, 'nested' as const) }),
);
const frameArb: fc.Arbitrary<FrameSpec> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ k: fc.constant('json' as const), t: nat, muts: fc.array(jsonMutArb, { maxLength: 3 }) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('text' as const), s: fc.string({ unit: 'grapheme', maxLength: 200 }) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('bytes' as const), b: fc.uint8Array({ maxLength: 300 }), binary: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('bad-utf8' as const), t: nat, at: nat, which: fc.nat({ max: INVALID_UTF8.length - 1 }) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('huge' as const), size: fc.nat({ max: 3 }), binary: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('deep' as const), depth: fc.constantFrom(10, 1_000, 2_000) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('control' as const), op: fc.constantFrom('ping' as const, 'pong' as const), b: fc.uint8Array({ maxLength: 125 }) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('fragments' as const), t: nat, parts: fc.integer({ min: 2, max: 40 }) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('raw' as const), which: fc.nat({ max: RAW.length - 1 }), b: fc.uint8Array({ maxLength: 64 }) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('close' as const), code: fc.constantFrom(...CLOSE_CODES), reason: fc.string({ maxLength: 130 }) }) },
);
const batchArb = fc.array(frameArb, { minLength: 1, maxLength: 16 });

const pick = <T>(list: readonly T[], i: number): T => list[i % list.length] as T;

function mutateJson(template: unknown, muts: readonly JsonMut[]): string {
  let value: unknown = structuredClone(template);
  let extra = '';
  for (const mut of muts) {
    const obj = value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
    switch (mut.m) {
      case 'set':
        if (obj) obj[pick(KEYS, mut.key)] = pick(VALUES, mut.v);
        else value = pick(VALUES, mut.v);
        break;
      case 'random':
        if (obj) obj[pick(KEYS, mut.key)] = mut.v;
        else value = mut.v;
        break;
      case 'delete':
        if (obj) delete obj[pick(Object.keys(obj).length ? Object.keys(obj) : KEYS, mut.key)];
        break;
      case 'array':
        value = [value, value];
        break;
      case 'nested':
        if (obj) for (const k of Object.keys(obj)) if (obj[k] && typeof obj[k] === 'object') obj[k] = { nested: obj[k] };
        break;
      case 'proto':
        extra = ',"__proto__":{"type":"subscribe","isAdmin":true},"constructor":{"prototype":{"polluted":1}}';
        break;
      case 'dup-key':
        extra = ',"type":"leave","type":"unknown"';
        break;
    }
  }
  const text = JSON.stringify(value) ?? 'null';
  return extra && text.endsWith('}') && text.length > 2 ? text.slice(0, -1) + extra + '}' : text;
}

/** Where the limit of each listener is, so that huge frames land just under and far over it. */
function hugeSize(limit: number, i: number): number {
  return [limit - 64, limit + 1, limit * 4 + 1, 1024 * 1024 + 1][i] as number;
}

async function sendFrame(ws: WebSocket, f: FrameSpec, t: Target): Promise<void> {
  const send = (data: Buffer | string, o: { binary?: boolean; fin?: boolean } = {}): Promise<void> =>
    new Promise((resolve) => {
      if (ws.readyState !== WebSocket.OPEN) return resolve();
      ws.send(data, { binary: o.binary ?? false, fin: o.fin ?? true }, () => resolve());
    });
  const write = (b: Buffer): Promise<void> =>
    new Promise((resolve) => {
      const socket = (ws as unknown as { _socket?: { writable: boolean; write(b: Buffer, cb: () => void): void } })._socket;
      if (ws.readyState !== WebSocket.OPEN || !socket?.writable) return resolve();
      socket.write(b, () => resolve());
    });
  switch (f.k) {
    case 'json':
      return send(mutateJson(pick(t.templates, f.t), f.muts));
    case 'text':
      return send(f.s);
    case 'bytes':
      return send(Buffer.from(f.b), { binary: f.binary });
    case 'bad-utf8': {
      const text = Buffer.from(mutateJson(pick(t.templates, f.t), []));
      const at = f.at % (text.length + 1);
      return send(Buffer.concat([text.subarray(0, at), Buffer.from(INVALID_UTF8[f.which] as number[]), text.subarray(at)]), { binary: false });
    }
    case 'huge': {
      const size = hugeSize(t.limit, f.size);
      const body = JSON.stringify({ ...(pick(t.templates, size) as object), text: 'x'.repeat(Math.max(0, size - 200)) });
      return send(f.binary ? Buffer.alloc(size, 0x41) : body, { binary: f.binary });
    }
    case 'deep':
      return send('['.repeat(f.depth) + ']'.repeat(f.depth));
    case 'control':
      return new Promise((resolve) => {
        if (ws.readyState !== WebSocket.OPEN) return resolve();
        (f.op === 'ping' ? ws.ping.bind(ws) : ws.pong.bind(ws))(Buffer.from(f.b), true, () => resolve());
      });
    case 'fragments': {
      const text = mutateJson(pick(t.templates, f.t), []);
      const step = Math.max(1, Math.ceil(text.length / f.parts));
      for (let i = 0; i < text.length; i += step) await send(text.slice(i, i + step), { fin: i + step >= text.length });
      return;
    }
    case 'raw':
      return write((RAW[f.which] as (b: Buffer) => Buffer)(Buffer.from(f.b)));
    case 'close':
      return write(rawFrame({ opcode: 0x8, payload: closePayload(f.code, Buffer.from(f.reason)) }));
  }
}

// ------------------------------------------------------------------------------------ listeners

interface Target {
  readonly name: string;
  url(): string;
  headers(): Record<string, string>;
  /** The listener's largest frame. */
  readonly limit: number;
  /** Well-formed messages of its protocol, the seeds of the JSON mutations. */
  readonly templates: readonly unknown[];
  /** Sent first on every socket of a batch (authentication), when the batch is to fuzz past it. */
  readonly prelude?: () => unknown;
  /** A well-formed exchange: throws when the listener no longer works. */
  probe(): Promise<void>;
}

const ws = (url: string): string => url.replace(/^http/, 'ws');
const CHAT_TEMPLATES = (chatId: string): unknown[] => [
  { type: 'accept', offerId: 'o-1' },
  { type: 'message', chatId, text: 'hello', clientId: 'c-1' },
  { type: 'typing', chatId, typing: true },
  { type: 'read', chatId, upTo: 1 },
  { type: 'leave', chatId: 'no-such-chat' },
];
const MONITOR_TEMPLATES = ['agents', 'agent:anna', 'center', 'services', 'alerts', 'campaigns'].flatMap((topic) => [
  { type: 'subscribe', topic },
  { type: 'unsubscribe', topic },
]);

/** Opens, says hello (or welcome) and, for the monitor, gets a snapshot of `topic`. */
async function probeSocket(url: string, headers: Record<string, string>, hello: string, topic?: string, auth?: unknown): Promise<void> {
  const socket = await open(url, headers);
  try {
    const greeting = next(socket, (m) => m['type'] === hello, `${url}: ${hello}`);
    if (auth !== undefined) socket.send(JSON.stringify(auth));
    await greeting;
    if (topic !== undefined) {
      const snapshot = next(socket, (m) => m['type'] === 'snapshot' && m['topic'] === topic, `${url}: snapshot of ${topic}`);
      socket.send(JSON.stringify({ type: 'subscribe', topic }));
      await snapshot;
    }
  } finally {
    socket.close();
  }
}

/** The supervisor's chat watch: an unwatch is answered (the socket has no greeting). */
async function probeWatch(url: string, headers: Record<string, string>): Promise<void> {
  const socket = await open(url, headers);
  try {
    const answer = next(socket, (m) => m['type'] === 'unwatched' && m['chatId'] === 'probe', `${url}: unwatched`);
    socket.send(JSON.stringify({ type: 'unwatch', chatId: 'probe' }));
    await answer;
  } finally {
    socket.close();
  }
}

/** A socket the listener must refuse after its first frame, with an error frame and 4401. */
async function probeRefusal(url: string, headers: Record<string, string>, auth: unknown): Promise<void> {
  const socket = await open(url, headers);
  const code = closed(socket);
  const error = next(socket, (m) => m['type'] === 'error', `${url}: refusal`).catch(() => undefined);
  socket.send(JSON.stringify(auth));
  expectOr(await code, 4401, `${url}: close code of a refused auth frame`);
  expectOr((await error)?.['code'], 'CARUSO_COMMS_CHAT_AUTH_FAILED', `${url}: error code of a refused auth frame`);
}

function expectOr(actual: unknown, expected: unknown, what: string): void {
  if (actual !== expected) throw new Error(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
}

function targets(): Target[] {
  const cookie = (c: ApiClient) => () => ({ cookie: c.cookieHeader() });
  return [
    { name: 'front office /ws/agent (agent)', url: () => `${ws(ready.url)}/ws/agent`, headers: cookie(anna), limit: 4096, templates: [{ type: 'accept', offerId: 'o-1' }, { type: 'state', state: 'ready' }, { type: 'ping' }], probe: () => probeSocket(`${ws(ready.url)}/ws/agent`, { cookie: anna.cookieHeader() }, 'hello') },
    { name: 'front office /ws/chat (agent)', url: () => `${ws(ready.url)}/ws/chat`, headers: cookie(anna), limit: 4096, templates: CHAT_TEMPLATES('c-1'), probe: () => probeSocket(`${ws(ready.url)}/ws/chat`, { cookie: anna.cookieHeader() }, 'welcome') },
    { name: 'front office /ws/monitor (agent)', url: () => `${ws(ready.url)}/ws/monitor`, headers: cookie(anna), limit: 4096, templates: MONITOR_TEMPLATES, probe: () => probeSocket(`${ws(ready.url)}/ws/monitor`, { cookie: anna.cookieHeader() }, 'hello', 'agent:anna') },
    { name: 'front office /ws/monitor (supervisor)', url: () => `${ws(ready.url)}/ws/monitor`, headers: cookie(sam), limit: 4096, templates: MONITOR_TEMPLATES, probe: () => probeSocket(`${ws(ready.url)}/ws/monitor`, { cookie: sam.cookieHeader() }, 'hello', 'agents') },
    {
      name: 'front office /ws/chat/watch (supervisor)',
      url: () => `${ws(ready.url)}/ws/chat/watch`,
      headers: cookie(sam),
      limit: 4096,
      templates: [{ type: 'watch', chatId: 'c-1' }, { type: 'note', chatId: 'c-1', text: 'ask for the meter number', clientId: 'n-1' }, { type: 'unwatch', chatId: 'c-1' }],
      probe: () => probeWatch(`${ws(ready.url)}/ws/chat/watch`, { cookie: sam.cookieHeader() }),
    },
    {
      name: 'front office /ws/chat/customer (anonymous visitor)',
      url: () => `${ws(ready.url)}/ws/chat/customer`,
      headers: cookie(visitor),
      limit: 4096,
      templates: [{ type: 'auth', token: 'not-a-token' }, { type: 'auth', token: ready.chatToken }, { type: 'message', text: 'hello' }, { type: 'typing', typing: true }],
      probe: () => probeRefusal(`${ws(ready.url)}/ws/chat/customer`, { cookie: visitor.cookieHeader() }, { type: 'auth', token: 'not-a-token' }),
    },
    {
      name: 'chat listener /chat/customer (anonymous)',
      url: () => `${ready.chat}/chat/customer`,
      headers: () => ({}),
      limit: 64 * 1024,
      templates: [{ type: 'auth', token: 'not-a-token' }, { type: 'auth', token: ready.chatToken }, ...CHAT_TEMPLATES('c-1').slice(1, 4)],
      probe: () => probeRefusal(`${ready.chat}/chat/customer`, {}, { type: 'auth', token: 'not-a-token' }),
    },
    {
      name: 'chat listener /chat/customer (customer of an open chat)',
      url: () => `${ready.chat}/chat/customer`,
      headers: () => ({}),
      limit: 64 * 1024,
      // No `leave`: the chat stays open for the next batches (every other frame type is sent).
      templates: [{ type: 'message', text: 'hello', clientId: 'c-1' }, { type: 'typing', typing: false }, { type: 'read', upTo: 1 }, { type: 'accept', offerId: 'o-1' }],
      prelude: () => ({ type: 'auth', token: ready.chatToken }),
      probe: () => probeSocket(`${ready.chat}/chat/customer`, {}, 'welcome', undefined, { type: 'auth', token: ready.chatToken }),
    },
    {
      name: 'chat listener /chat/agent (anonymous)',
      url: () => `${ready.chat}/chat/agent`,
      headers: () => ({}),
      limit: 64 * 1024,
      templates: [{ type: 'auth', token: 'not-a-token' }, ...CHAT_TEMPLATES('c-1')],
      probe: () => probeRefusal(`${ready.chat}/chat/agent`, {}, { type: 'auth', token: 'not-a-token' }),
    },
    ...(['anonymous', 'authenticated'] as const).map((who): Target => ({
      name: `service manager remote endpoint (${who})`,
      url: () => ready.remote,
      headers: () => ({}),
      limit: 64 * 1024,
      templates: [
        { jsonrpc: '2.0', id: 1, method: 'auth', params: { token: 'not-the-token-0123456789' } },
        { jsonrpc: '2.0', id: 2, method: 'lookup', params: { token: 'fuzz.Echo' } },
        { jsonrpc: '2.0', id: 3, method: 'call', params: { token: 'fuzz.Echo', method: 'echo', args: ['hi'] } },
        { jsonrpc: '2.0', id: 4, method: 'call', params: { token: 'caruso.storage', method: 'close', args: [] } },
        { jsonrpc: '2.0', id: 5, method: 'services' },
        { jsonrpc: '2.0', id: 6, method: 'renew', params: { id: 'r-1' } },
        { jsonrpc: '2.0', id: 7, result: { ok: true } },
        { jsonrpc: '2.0', method: 'event', params: {} },
      ],
      ...(who === 'authenticated' ? { prelude: () => ({ jsonrpc: '2.0', id: 0, method: 'auth', params: { token: ready.remoteToken } }) } : {}),
      probe: async () => {
        const client = await connectServiceManager(ready.remote, { accessToken: ready.remoteToken, connectTimeoutMs: PROBE_MS });
        try {
          expectOr(await withTimeout((await client.get(Echo)).echo(42) as Promise<unknown>, PROBE_MS, 'remote call'), 42, 'remote echo');
        } finally {
          await client.close();
        }
      },
    })),
    {
      name: 'monitor listener (wallboard token)',
      url: () => ready.monitor,
      headers: () => ({ authorization: `Bearer ${ready.monitorToken}` }),
      limit: 64 * 1024,
      templates: MONITOR_TEMPLATES,
      probe: () => probeSocket(ready.monitor, { authorization: `Bearer ${ready.monitorToken}` }, 'hello', 'agents'),
    },
  ];
}

/** Common checks after every batch: the process runs, answers HTTP (no 5xx), and this listener works. */
async function assertStillServing(t: Target): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    crashes = 1;
    throw new Error(`the front office process exited (${child.exitCode ?? child.signalCode}): ${stderr.slice(-2000)}`);
  }
  const session = await withTimeout(anna.get('/api/session'), PROBE_MS, 'GET /api/session');
  if (session.status >= 500) fiveXX++;
  expectOr(session.status, 200, 'GET /api/session after a batch');
  await withTimeout(t.probe(), PROBE_MS * 2, `${t.name}: a well-formed exchange`);
}

async function runBatch(t: Target, frames: readonly FrameSpec[]): Promise<void> {
  let socket: WebSocket | undefined;
  const fresh = async (): Promise<WebSocket> => {
    const s = await open(t.url(), t.headers());
    s.on('error', () => undefined);
    const prelude = t.prelude?.();
    if (prelude !== undefined) {
      const welcome = next(s, (m) => m['type'] === 'welcome' || m['id'] === 0, `${t.name}: authentication`);
      s.send(JSON.stringify(prelude));
      await welcome;
    }
    return s;
  };
  try {
    for (const f of frames) {
      // A bad frame ends its connection: the next one goes on a new socket.
      if (!socket || socket.readyState !== WebSocket.OPEN) {
        socket?.terminate();
        socket = await fresh();
      }
      await sendFrame(socket, f, t);
      count(t.name);
    }
    // Give the listener time to take in the last frames before the checks.
    await new Promise((r) => setTimeout(r, 20));
  } finally {
    socket?.terminate();
  }
}

// ------------------------------------------------------------------------------------ upgrades

interface UpgradeSpec {
  readonly port: number;
  readonly path: number;
  readonly cookie: number;
  readonly extra: readonly number[];
  readonly flips: readonly { readonly at: number; readonly byte: number }[];
  readonly cut: number | undefined;
  readonly after: Uint8Array;
}
const PATHS = ['/ws/agent', '/ws/chat', '/ws/monitor', '/ws/chat/watch', '/ws/chat/customer', '/chat/customer', '/chat/agent', '/', '/ws/../ws/agent', '/ws/agent?x=1#y', '/%00', `/${'a'.repeat(10_000)}`, '*', 'http://127.0.0.1/ws/agent', ''];
const EXTRA_HEADERS = [
  'Origin: http://evil.example',
  'Origin: null',
  'Sec-WebSocket-Version: 8',
  'Sec-WebSocket-Key: x',
  'Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits=0; server_max_window_bits=99',
  'Sec-WebSocket-Protocol: a, , b',
  'Authorization: Bearer wrong-token',
  'Authorization: Basic Zm9vOmJhcg==',
  'Content-Length: 100000',
  'Transfer-Encoding: chunked',
  'Host: ',
  `X-Long: ${'x'.repeat(20_000)}`,
  ...Array.from({ length: 3 }, () => Array.from({ length: 120 }, (_, i) => `X-Many-${i}: y`).join('\r\n')),
];
const upgradeArb: fc.Arbitrary<UpgradeSpec> = fc.record({
  port: fc.nat({ max: 3 }),
  path: fc.nat({ max: PATHS.length - 1 }),
  cookie: fc.nat({ max: 5 }),
  extra: fc.array(fc.nat({ max: EXTRA_HEADERS.length - 1 }), { maxLength: 3 }),
  flips: fc.array(fc.record({ at: fc.nat({ max: 100_000 }), byte: fc.nat({ max: 255 }) }), { maxLength: 3 }),
  cut: fc.option(fc.nat({ max: 100_000 }), { nil: undefined }),
  after: fc.uint8Array({ maxLength: 200 }),
});

/** Sends one upgrade request over a raw socket; resolves with the status of the answer (0: none, closed). */
function upgradeRequest(u: UpgradeSpec): Promise<number> {
  const ports = [ready.url, ready.chat, ready.remote, ready.monitor].map((a) => Number(new URL(a).port));
  const port = ports[u.port] as number;
  const cookies = ['', `Cookie: ${anna.cookieHeader()}`, `Cookie: ${sam.cookieHeader()}`, `Cookie: ${visitor.cookieHeader()}`, 'Cookie: caruso_session=forged; a=b', `Cookie: ${'c'.repeat(9000)}=1`];
  const lines = [
    `GET ${pick(PATHS, u.path)} HTTP/1.1`,
    `Host: 127.0.0.1:${port}`,
    'Upgrade: websocket',
    'Connection: Upgrade',
    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
    'Sec-WebSocket-Version: 13',
    pick(cookies, u.cookie),
    ...u.extra.map((i) => pick(EXTRA_HEADERS, i)),
  ].filter((l) => l !== '');
  let request = Buffer.from(`${lines.join('\r\n')}\r\n\r\n`);
  for (const f of u.flips) request[f.at % request.length] = f.byte;
  if (u.cut !== undefined) request = request.subarray(0, u.cut % (request.length + 1));
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    const finish = (): void => {
      clearTimeout(timer);
      socket.destroy();
      const m = /^HTTP\/1\.1 (\d{3})/.exec(answer);
      resolve(m ? Number(m[1]) : 0);
    };
    const timer = setTimeout(finish, 300);
    socket.on('error', () => undefined);
    socket.on('data', (d: Buffer) => {
      answer += d.toString('latin1');
      if (answer.includes('\r\n\r\n')) {
        // After a 101 the bytes that follow are frames; whatever they are, that is this socket's problem.
        if (answer.startsWith('HTTP/1.1 101') && u.after.length > 0) socket.write(Buffer.from(u.after));
        setTimeout(finish, 20);
      }
    });
    socket.on('close', finish);
    socket.write(request);
  });
}

// ------------------------------------------------------------------------------------ the suite

/** Runs one batch's checks; a failure says how to replay the whole run. */
async function replayable(fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    throw new Error(`${(err as Error).message}\n  replay: CARUSO_FUZZ_SEED=${SEED} npm run test:fuzz (each listener's property runs with that seed plus its index)`, { cause: err });
  }
}

describe('every WebSocket listener under mutated frames and upgrade requests (fuzz, a real child process)', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'caruso-ws-fuzz-'));
    child = spawn(process.execPath, [join(FIXTURES, 'fuzz-server-child.mjs'), `sqlite:${join(dir, 'crm.db')}`, FIXTURES, PW], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    ready = await new Promise<Ready>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`the front office did not start: ${stderr.slice(0, 1000)}`)), 60_000);
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /^ready (.+)$/m.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(JSON.parse(m[1] as string) as Ready);
        }
      });
      child.once('exit', () => reject(new Error(`the front office exited: ${stderr.slice(0, 1000)}`)));
    });
    anna = await loggedInClient(ready.url, 'anna', PW);
    sam = await loggedInClient(ready.url, 'sam', PW);
    visitor = new ApiClient(ready.url);
    expectOr((await visitor.post('/api/self-service/meter/sessions')).status, 201, 'a visitor session');
  }, 90_000);

  afterAll(async () => {
    if (child && child.exitCode === null) child.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
    const perInterface = [...inputs].map(([name, n]) => `${name}: ${n} inputs in ${batches.get(name) ?? 0} batches`).join('; ');
    const total = [...inputs.values()].reduce((a, b) => a + b, 0);
    process.stderr.write(
      `fuzz summary (WebSocket, seed ${SEED}): ${perInterface}; ${total} in all; crashes ${crashes}; 5xx ${fiveXX}\n`,
    );
  });

  it('every listener works before the fuzzing starts (the probes can tell)', async () => {
    for (const t of targets()) await assertStillServing(t);
  }, 60_000);

  const names = [
    'front office /ws/agent (agent)',
    'front office /ws/chat (agent)',
    'front office /ws/monitor (agent)',
    'front office /ws/monitor (supervisor)',
    'front office /ws/chat/watch (supervisor)',
    'front office /ws/chat/customer (anonymous visitor)',
    'chat listener /chat/customer (anonymous)',
    'chat listener /chat/customer (customer of an open chat)',
    'chat listener /chat/agent (anonymous)',
    'service manager remote endpoint (anonymous)',
    'service manager remote endpoint (authenticated)',
    'monitor listener (wallboard token)',
  ];

  it.each(names.map((name, i) => [name, i] as const))('%s: batches of mutated frames never end the process; it answers and a good socket works after each', async (name, i) => {
    const t = targets().find((x) => x.name === name);
    if (!t) throw new Error(`no listener named ${name}`);
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(batchArb, async (frames) => {
        runs++;
        batches.set(name, (batches.get(name) ?? 0) + 1);
        await replayable(async () => {
          await runBatch(t, frames);
          await assertStillServing(t);
        });
      }),
      // Each listener its own sequence of batches (seed + its index). No shrinking: the server is not
      // reset between batches (after a crash every later batch fails too).
      { seed: SEED + i, numRuns: BATCHES, interruptAfterTimeLimit: LISTENER_MS, markInterruptAsFailure: false, endOnFailure: true },
    );
    expectOr(runs >= Math.min(BATCHES, 5), true, `at least ${Math.min(BATCHES, 5)} batches ran (${runs})`);
  }, LISTENER_MS + 60_000);

  it('mutated upgrade requests to every listener: no 5xx, and the process answers after each batch', async () => {
    const name = 'upgrade requests (anonymous and with sessions)';
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(upgradeArb, { minLength: 1, maxLength: 20 }), async (requests) => {
        runs++;
        batches.set(name, (batches.get(name) ?? 0) + 1);
        await replayable(async () => {
          const statuses = await Promise.all(requests.map(upgradeRequest));
          count(name, requests.length);
          const bad = statuses.filter((s) => s >= 500);
          fiveXX += bad.length;
          if (bad.length) throw new Error(`upgrade answered ${bad.join(', ')} to ${JSON.stringify(requests.filter((_, i) => (statuses[i] ?? 0) >= 500))}`);
          await assertStillServing(targets()[0] as Target);
        });
      }),
      { seed: SEED + names.length, numRuns: BATCHES, interruptAfterTimeLimit: LISTENER_MS, markInterruptAsFailure: false, endOnFailure: true },
    );
    expectOr(runs >= Math.min(BATCHES, 5), true, `at least ${Math.min(BATCHES, 5)} batches ran (${runs})`);
  }, LISTENER_MS + 60_000);

  it('the process is still running after all of it, logged no uncaught error, and stops cleanly', async () => {
    expect(inputs.size).toBe(names.length + 1);
    expect(child.exitCode).toBeNull();
    expect(stderr).not.toMatch(/Uncaught|Unhandled|RangeError|TypeError/);
    expect(fiveXX).toBe(0);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 30_000);
});
