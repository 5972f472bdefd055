// Regression: one WebSocket frame over the front office's 4 KiB limit, sent by a logged-in agent on
// /ws/agent (or a supervisor on /ws/monitor), ended the whole process with an unhandled 'error'
// event (RangeError: Max payload size exceeded). Now that connection alone is closed (1009 for a
// frame too big, 1007 for text that is not UTF-8) and the server goes on.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { ApiClient, loggedInClient, startTestAssembly, type TestAssembly } from '@caruso/frontoffice/testing';
import { FIXTURES, fixturePath } from './fixture.js';

const PW = 'correct horse battery';
const USERS = [
  { name: 'anna', role: 'agent' as const, agentId: 'anna', password: PW },
  { name: 'sam', role: 'supervisor' as const, agentId: undefined, password: PW },
];

/** Opens a socket with `cookie` and resolves once it is open. */
function open(url: string, path: string, cookie: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${url.replace(/^http/, 'ws')}${path}`, { headers: { cookie } });
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`${path} refused with ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

/** Sends `payload` as one frame and resolves with the close code the server gave. */
function closeCodeAfter(ws: WebSocket, payload: Buffer, binary: boolean): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the server did not close the connection')), 5_000);
    // The client sees the server's abrupt end as an error too; only the close code matters here.
    ws.on('error', () => undefined);
    ws.once('close', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
    ws.send(payload, { binary });
  });
}

const HUGE = Buffer.alloc(100 * 1024, 'x');
/** A text frame whose bytes are not UTF-8. */
const NOT_UTF8 = Buffer.from([0x7b, 0xff, 0xfe, 0x7d]);

describe('front office WebSocket channels under hostile frames', () => {
  let asm: TestAssembly;
  let anna: ApiClient;
  let sam: ApiClient;
  beforeAll(async () => {
    asm = await startTestAssembly({
      db: 'sqlite::memory:',
      model: fixturePath('crm.model.xml'),
      application: fixturePath('crm.app.xml'),
      scripts: fixturePath('scripts'),
      agents: [{ id: 'anna', queues: [{ queueId: 'support' }] }],
      users: USERS,
      monitor: { thresholdMs: 20_000 },
      chat: { queueId: 'support' },
    });
    anna = await loggedInClient(asm.url, 'anna', PW);
    sam = await loggedInClient(asm.url, 'sam', PW);
  }, 60_000);

  afterAll(async () => {
    await asm?.stop();
  });

  /** The server still answers HTTP and opens a fresh socket for the same user. */
  async function stillServing(client: ApiClient, path: string): Promise<void> {
    expect((await client.get('/api/session')).status).toBe(200);
    const again = await open(asm.url, path, client.cookieHeader());
    again.close();
  }

  const cases: [string, () => ApiClient][] = [
    ['/ws/agent', () => anna],
    ['/ws/chat', () => anna],
    ['/ws/monitor', () => anna],
    ['/ws/monitor', () => sam],
  ];

  it.each(cases)('closes %s with 1009 when one frame is over the limit, and goes on serving', async (path, who) => {
    const ws = await open(asm.url, path, who().cookieHeader());
    expect(await closeCodeAfter(ws, HUGE, false)).toBe(1009);
    await stillServing(who(), path);
  });

  it.each(cases)('closes %s with 1007 when a text frame is not UTF-8, and goes on serving', async (path, who) => {
    const ws = await open(asm.url, path, who().cookieHeader());
    expect(await closeCodeAfter(ws, NOT_UTF8, false)).toBe(1007);
    await stillServing(who(), path);
  });

  it('closes a visitor\'s /ws/chat/customer with 1009 on a frame over the limit, before and instead of its auth frame', async () => {
    const visitor = new ApiClient(asm.url);
    expect((await visitor.post('/api/self-service/meter/sessions')).status).toBe(201);
    const ws = await open(asm.url, '/ws/chat/customer', visitor.cookieHeader());
    expect(await closeCodeAfter(ws, HUGE, true)).toBe(1009);
    expect((await visitor.get('/api/session')).status).toBe(200);
  });

  it('closes a socket that sends a malformed frame (a reserved opcode) with 1002 and goes on serving', async () => {
    const ws = await open(asm.url, '/ws/agent', anna.cookieHeader());
    const closed = new Promise<number>((resolve) => {
      ws.on('error', () => undefined);
      ws.once('close', (code) => resolve(code));
    });
    // FIN + opcode 0x3 (reserved), masked, empty payload: not a WebSocket frame at all.
    (ws as unknown as { _socket: { write(b: Buffer): void } })._socket.write(Buffer.from([0x83, 0x80, 0, 0, 0, 0]));
    expect(await closed).toBe(1002);
    await stillServing(anna, '/ws/agent');
  });
});

describe('a front-office process under hostile frames (a real child process)', () => {
  let child: ChildProcess;
  let dir: string;
  let url: string;
  let stderr = '';
  let exited: Promise<number | null>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'caruso-frames-'));
    child = spawn(process.execPath, [join(FIXTURES, 'hostile-frames-child.mjs'), `sqlite:${join(dir, 'crm.db')}`, FIXTURES, PW], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    url = await new Promise<string>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`the front office did not start: ${stderr.slice(0, 500)}`)), 60_000);
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /^url (\S+)$/m.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(m[1] as string);
        }
      });
      child.once('exit', () => reject(new Error(`the front office exited: ${stderr.slice(0, 500)}`)));
    });
  }, 90_000);

  afterAll(async () => {
    if (child.exitCode === null) child.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps running and serving after a 100 KiB frame from an agent and from a supervisor', async () => {
    const anna = await loggedInClient(url, 'anna', PW);
    const sam = await loggedInClient(url, 'sam', PW);
    for (const [path, who] of [['/ws/agent', anna], ['/ws/monitor', anna], ['/ws/monitor', sam]] as const) {
      expect(await closeCodeAfter(await open(url, path, who.cookieHeader()), HUGE, false)).toBe(1009);
    }
    // Time for an uncaught exception to end the process, had there been one.
    await new Promise((r) => setTimeout(r, 300));
    expect(child.exitCode).toBeNull();
    expect((await anna.get('/api/session')).status).toBe(200);
    (await open(url, '/ws/agent', anna.cookieHeader())).close();
    expect(stderr).not.toMatch(/Uncaught|Unhandled|RangeError/);
    // And it still stops cleanly.
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 60_000);
});
