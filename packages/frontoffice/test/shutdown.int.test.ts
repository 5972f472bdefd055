import { connect, type Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestAssembly, type TestAssembly } from '@caruso/frontoffice/testing';
import { fixturePath } from './fixture.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('front office shutting down', () => {
  let dir: string;
  let asm: TestAssembly | undefined;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'caruso-fo-shutdown-'));
  });
  afterAll(async () => {
    await asm?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers a request that arrives while it closes with 503 in the house shape, and closes the connection', async () => {
    asm = await startTestAssembly({ db: `sqlite:${join(dir, 'crm.db')}`, model: fixturePath('crm.model.xml'), application: fixturePath('crm.app.xml'), scripts: fixturePath('scripts') });
    const { hostname, port } = new URL(asm.url);
    // A request whose headers are not complete yet keeps its connection open through the close.
    const socket: Socket = connect(Number(port), hostname);
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    socket.write('GET /api/session HTTP/1.1\r\nHost: localhost\r\n');
    let text = '';
    socket.on('data', (d: Buffer) => (text += d.toString()));
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    const stopping = asm.stop();
    asm = undefined;
    await sleep(300);
    socket.write('\r\n');
    await closed;
    await stopping;
    const [head = '', body = ''] = text.split('\r\n\r\n');
    expect(head.split('\r\n')[0]).toBe('HTTP/1.1 503 Service Unavailable');
    expect(head.toLowerCase()).toContain('connection: close');
    expect(JSON.parse(body)).toEqual({ error: { code: 'CARUSO_FRONTOFFICE_CLOSING', message: 'the front office is shutting down; send the request again in a moment' } });
  }, 30_000);
});
