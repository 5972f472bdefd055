// Regression: the standalone monitor listener and the hub had no 'error' listener on their sockets,
// so one frame over the listener's limit (or text that is not UTF-8) from an authenticated client
// ended the process with an unhandled 'error' event. Now only that connection is closed.
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import { VirtualClock } from '@caruso/comms';
import { InMemoryContactEventLog } from '@caruso/comms/testing';
import { AccessList } from '@caruso/kernel';
import { MonitorHub, MonitorRuntime, type MonitorListener } from '@caruso/monitor';
import { TestClient } from './helpers.js';

const T0 = Date.UTC(2025, 0, 6, 8, 0, 0);
const SUPERVISOR = 'supervisor-token-0123456789';
const ANNA = 'anna-agent-token-0123456789';
const access = new AccessList([
  { principal: 'boss', secret: SUPERVISOR, lookup: ['caruso.monitor'], call: ['caruso.monitor'] },
  { principal: 'anna', secret: ANNA, lookup: ['caruso.monitor'] },
]);

/** Sends one frame and resolves with the close code the server gave. */
function closeCodeAfter(ws: WebSocket, payload: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the server did not close the connection')), 5_000);
    ws.on('error', () => undefined);
    ws.once('close', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
    ws.send(payload, { binary: false });
  });
}

describe('monitor listener under hostile frames', () => {
  let log: InMemoryContactEventLog;
  let monitor: MonitorRuntime;
  let listener: MonitorListener;

  beforeEach(async () => {
    log = new InMemoryContactEventLog();
    monitor = new MonitorRuntime(log, undefined, { clock: new VirtualClock(T0), batchMs: 0 });
    await monitor.start();
    listener = await monitor.listen({ port: 0, accessList: access });
  });

  afterEach(async () => {
    await monitor.dispose();
    log.dispose();
  });

  it.each([
    ['a supervisor', SUPERVISOR],
    ['an agent', ANNA],
  ])('closes the connection of %s with 1009 for a 100 KiB frame; the others go on', async (_who, token) => {
    const bystander = await TestClient.connect(listener.url, SUPERVISOR);
    const attacker = await TestClient.connect(listener.url, token);
    expect(await closeCodeAfter(attacker.ws, Buffer.alloc(100 * 1024, 'x'))).toBe(1009);
    bystander.send({ type: 'subscribe', topic: 'center' });
    await bystander.until((m) => m.some((x) => x.type === 'snapshot'));
    const fresh = await TestClient.connect(listener.url, token);
    await fresh.close();
    await bystander.close();
  });

  it('closes the connection with 1007 for a text frame that is not UTF-8', async () => {
    const attacker = await TestClient.connect(listener.url, SUPERVISOR);
    expect(await closeCodeAfter(attacker.ws, Buffer.from([0x7b, 0xff, 0xfe, 0x7d]))).toBe(1007);
    const fresh = await TestClient.connect(listener.url, SUPERVISOR);
    fresh.send({ type: 'subscribe', topic: 'center' });
    await fresh.until((m) => m.some((x) => x.type === 'snapshot'));
    await fresh.close();
  });
});

describe('MonitorHub given a socket by an embedder that set no error listener', () => {
  it('closes that socket with 1009 on a frame over the server\'s limit and keeps serving the others', async () => {
    const hub = new MonitorHub({ handles: (t) => t === 'center', value: () => ({ waiting: 0 }), seq: 0, at: T0 }, { batchMs: 0 });
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, maxPayload: 1024 });
    wss.on('connection', (ws) => hub.attach(ws, { name: 'boss', role: 'supervisor' }));
    await new Promise((r) => wss.once('listening', r));
    const url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/`;
    try {
      const bystander = await TestClient.connect(url);
      const attacker = await TestClient.connect(url);
      expect(await closeCodeAfter(attacker.ws, Buffer.alloc(100 * 1024, 'x'))).toBe(1009);
      bystander.send({ type: 'subscribe', topic: 'center' });
      await bystander.until((m) => m.some((x) => x.type === 'snapshot'));
      await bystander.close();
    } finally {
      hub.dispose();
      await new Promise((r) => wss.close(r));
    }
  });
});
