import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServiceManager, createToken, type ServiceManager } from '@caruso/kernel';
import { DialogueEngine, dialogueEngineService } from '@caruso/dialogue';
import { StorageManager, storageService } from '@caruso/storage';
import { fixture } from './helpers/load.js';

interface MailSender {
  send(params: { to: string; subject: string }): Promise<{ queued: number }>;
}
interface Customers {
  fetch(phone: string): { name: string } | null;
}
const MailSender = createToken<MailSender>('mail.Sender');
const Customers = createToken<Customers>('crm.Customers');

describe('DialogueEngine registered with the service manager', () => {
  let dir: string;
  let manager: ServiceManager;
  const sent: Array<{ to: string; subject: string }> = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'caruso-dialogue-sm-'));
    copyFileSync(fixture('fault-report.xml'), join(dir, 'fault-report.xml'));
    writeFileSync(
      join(dir, 'orphan.xml'),
      `<script id="orphan" version="1"><question id="q" type="text"><prompt>Q</prompt><next target="e"><action service="erp.Missing" operation="cancel"><param name="id" expr="q"/></action></next></question><end id="e" outcome="o"/></script>`,
    );
    manager = createServiceManager();
    manager.register(StorageManager, storageService(`sqlite:${join(dir, 'crm.db')}`));
    manager.register(MailSender, {
      version: '1.0.0',
      create: () => ({
        async send(params: { to: string; subject: string }) {
          sent.push(params);
          return { queued: sent.length };
        },
      }),
    });
    manager.register(Customers, { version: '2.0.0', create: () => ({ fetch: (phone: string) => (phone === '+3211' ? { name: 'Carla' } : null) }) });
    manager.register(DialogueEngine, dialogueEngineService({ folder: dir, watch: false }));
    await manager.start();
  });

  afterAll(async () => {
    await manager.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is found by its token, fetches data and runs actions through real registered services', async () => {
    const engine = manager.get(DialogueEngine);
    expect(engine.scripts().map((s) => s.id)).toEqual(['fault-report', 'orphan']);
    const v = await engine.startSession('fault-report', { channel: 'agent', vars: { caller: '+3211' } });
    const q = await engine.answer(v.sessionId, undefined);
    expect(q.step.prompt).toBe('Hello Carla, what kind of fault is it?');
    await engine.answer(v.sessionId, 'power');
    const h = await engine.answer(v.sessionId, 'yes');
    expect(sent).toEqual([{ to: 'emergency@example.com', subject: 'Danger reported by Carla' }]);
    expect(h.step).toMatchObject({ kind: 'handoff', queue: 'emergencies' });
    expect((await engine.state(v.sessionId)).status).toBe('handoff');
    const info = manager.list().find((s) => s.tokenId === DialogueEngine.id);
    expect(info).toMatchObject({ state: 'active', version: '1.0.0' });
    expect((await manager.checkHealth()).find((s) => s.tokenId === DialogueEngine.id)?.health).toEqual({ status: 'ok', detail: '2 script(s) loaded' });
  });

  it('reports an action on an unregistered service as a coded error and keeps the session', async () => {
    const engine = manager.get(DialogueEngine);
    const v = await engine.startSession('orphan', { channel: 'web', identity: { field: 'customerNumber', key: 'K1' } });
    const before = await engine.state(v.sessionId);
    const err = await engine.answer(v.sessionId, '42').then(
      () => undefined,
      (e: unknown) => e as { code: string; message: string; cause?: { code?: string } },
    );
    expect(err?.code).toBe('CARUSO_DIALOGUE_SERVICE_FAILED');
    expect(err?.message).toMatch(/action erp\.Missing\.cancel failed/);
    expect(err?.cause?.code).toBe('CARUSO_KERNEL_SERVICE_NOT_FOUND');
    expect(await engine.state(v.sessionId)).toEqual(before);
  });
});
