import { createServiceManager, type HealthStatus, type ServiceManager } from '@caruso/kernel';
import { StorageManager, storageService } from '@caruso/storage';
import { forEachDatabase } from '@caruso/storage/testing';
import { COMMS_MIGRATIONS, ContactEventLog, contactEventLogService } from '@caruso/comms';

const EVENTS = 'caruso_contact_events';

async function logHealth(services: ServiceManager): Promise<HealthStatus | undefined> {
  const infos = await services.checkHealth();
  return infos.find((i) => i.tokenId === ContactEventLog.id)?.health;
}

/** Polls the service's health every 20 ms until `pred` holds, at most 5 s. */
async function untilHealth(services: ServiceManager, pred: (h: HealthStatus | undefined) => boolean): Promise<HealthStatus | undefined> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const h = await logHealth(services);
    if (pred(h)) return h;
    if (Date.now() > deadline) throw new Error(`timed out; health ${JSON.stringify(h)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('contact event log service: health follows the writes', () => {
  forEachDatabase((db) => {
    it('goes degraded when a write fails, down when writes keep failing, and ok again when the log writes (by itself, on its heartbeat)', async () => {
      const services = createServiceManager();
      services.register(StorageManager, storageService(db.url));
      services.register(ContactEventLog, contactEventLogService({ heartbeatMs: 50 }));
      await services.start();
      try {
        const log = services.get(ContactEventLog);
        log.append({ kind: 'agent-logged-in', at: 1, agentId: 'a1' });
        await log.flush();
        expect(await logHealth(services)).toEqual({ status: 'ok' });

        // The table goes away under the log (as a full disk or a lost volume would fail the writes).
        await db.storage.schema.renameTable(EVENTS, `${EVENTS}_away`);
        log.append({ kind: 'agent-logged-out', at: 2, agentId: 'a1' });
        await expect(log.flush()).rejects.toMatchObject({ code: 'CARUSO_COMMS_EVENT_LOG_FAILED' });
        // The heartbeat's retries fail too, and after three failures the log is down.
        expect((await untilHealth(services, (h) => h?.status !== 'ok'))?.detail).toMatch(/events wait, not acknowledged/);
        expect(await untilHealth(services, (h) => h?.status === 'down')).toMatchObject({ detail: expect.stringMatching(/^the last \d+ writes failed \(CARUSO_STORAGE_UNDEFINED_TABLE\); 1 events wait, not acknowledged$/) });

        // The table is back: the next retry writes the waiting event and the log is ok again.
        await db.storage.schema.renameTable(`${EVENTS}_away`, EVENTS);
        expect(await untilHealth(services, (h) => h?.status === 'ok')).toEqual({ status: 'ok' });
        expect((await log.read()).map((e) => e.kind)).toEqual(['agent-logged-in', 'agent-logged-out']);
      } finally {
        await services.stop();
      }
      // Stopped, it gave its writer lease back.
      expect(await db.storage.knex('caruso_comms_writer_lease').select('host')).toEqual([]);
    });

    it('is refused at start while another process holds the database, naming its host and pid', async () => {
      await db.storage.migrate(COMMS_MIGRATIONS, { scope: 'comms' });
      const now = Date.now();
      await db.storage.knex('caruso_comms_writer_lease').insert({ name: 'contact-events', lease_id: 'other', host: 'pbx-1.example', pid: 777, started_at: now, heartbeat_at: now + 600_000 });
      const services = createServiceManager();
      services.register(StorageManager, storageService(db.url));
      const handle = services.register(ContactEventLog, contactEventLogService());
      try {
        await services.start().catch(() => undefined);
        const err: unknown = await handle.ready.then(() => undefined, (e: unknown) => e);
        expect(err).toMatchObject({ code: 'CARUSO_KERNEL_START_FAILED', cause: { code: 'CARUSO_COMMS_DATABASE_IN_USE', message: expect.stringContaining('host pbx-1.example, pid 777') } });
      } finally {
        await services.stop();
        await db.storage.knex('caruso_comms_writer_lease').delete();
      }
    });
  });
});
