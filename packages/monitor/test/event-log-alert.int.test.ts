import { ContactEventLog, contactEventLogService } from '@caruso/comms';
import { createServiceManager, type ServiceInfo } from '@caruso/kernel';
import { AlertBoard, BUILT_IN_ALERTS, Monitor, monitorService, type AlertChange, type AlertInputs } from '@caruso/monitor';
import { StorageManager, storageService } from '@caruso/storage';
import { forEachDatabase } from '@caruso/storage/testing';
import { LiveFigures } from '@caruso/monitor';

const EVENTS = 'caruso_contact_events';

/** Polls `pred` every 20 ms, at most 5 s. */
async function until(pred: () => boolean): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('built-in alert event-log-failing', () => {
  forEachDatabase((db) => {
    it('is raised when the contact event log cannot write, with its health detail, and cleared when it writes again', async () => {
      const services = createServiceManager();
      services.register(StorageManager, storageService(db.url));
      services.register(ContactEventLog, contactEventLogService({ heartbeatMs: 50 }));
      // No alert declared: the event log's alert is built in.
      services.register(Monitor, monitorService({ services, healthEveryMs: 50, evaluateEveryMs: 50 }));
      await services.start();
      const changes: AlertChange[] = [];
      const monitor = services.get(Monitor);
      const sub = monitor.onDidChangeAlert((c) => changes.push(c));
      try {
        const log = services.get(ContactEventLog);
        log.append({ kind: 'agent-logged-in', at: Date.now(), agentId: 'a1' });
        await log.flush();
        await new Promise((r) => setTimeout(r, 200));
        expect(monitor.activeAlerts()).toEqual([]);

        await db.storage.schema.renameTable(EVENTS, `${EVENTS}_away`);
        log.append({ kind: 'agent-logged-out', at: Date.now(), agentId: 'a1' });
        await expect(log.flush()).rejects.toMatchObject({ code: 'CARUSO_COMMS_EVENT_LOG_FAILED' });
        await until(() => changes.some((c) => c.type === 'raised'));
        expect(changes[0]!.alert).toMatchObject({
          key: `event-log-failing:${ContactEventLog.id}`,
          id: 'event-log-failing',
          subject: ContactEventLog.id,
          severity: 'critical',
          message: expect.stringMatching(/^the contact event log cannot write, changes are not acknowledged: .*write.* failed \(CARUSO_STORAGE_UNDEFINED_TABLE\); 1 events wait, not acknowledged$/),
        });
        expect(monitor.topicValue('alerts')).toEqual({ active: { [`event-log-failing:${ContactEventLog.id}`]: expect.objectContaining({ severity: 'critical' }) } });

        await db.storage.schema.renameTable(`${EVENTS}_away`, EVENTS);
        await until(() => changes.some((c) => c.type === 'cleared'));
        expect(changes.map((c) => `${c.type} ${c.alert.id}`)).toEqual(['raised event-log-failing', 'cleared event-log-failing']);
        expect(monitor.activeAlerts()).toEqual([]);
      } finally {
        sub.dispose();
        await services.stop();
      }
    });
  });
});

describe('AlertBoard built-in alerts', () => {
  const T = Date.UTC(2025, 0, 6, 8);
  const info = (status: 'ok' | 'degraded' | 'down', detail?: string): ServiceInfo =>
    ({
      id: `${ContactEventLog.id}@0.1.0#1`,
      tokenId: ContactEventLog.id,
      version: '0.1.0',
      properties: {},
      ranking: 0,
      state: 'active',
      origin: 'local',
      registeredSeq: 1,
      health: { status, ...(detail === undefined ? {} : { detail }) },
      metrics: { calls: 0, errors: 0, inFlight: 0, latency: { boundsMs: [], counts: [] } },
    }) as unknown as ServiceInfo;
  const inputs = (s: ServiceInfo): AlertInputs => ({ live: new LiveFigures(), services: [s], campaigns: {} });

  it('evaluates event-log-failing without any declared alert, and a declared one of the same id replaces it', () => {
    const board = new AlertBoard([]);
    expect(board.definitions).toEqual(BUILT_IN_ALERTS);
    expect(board.evaluate(inputs(info('ok')), T)).toEqual([]);
    const [raised] = board.evaluate(inputs(info('degraded', 'a write failed (x)')), T);
    expect(raised).toMatchObject({ type: 'raised', alert: { id: 'event-log-failing', message: 'the contact event log cannot write, changes are not acknowledged: a write failed (x)' } });
    expect(board.evaluate(inputs(info('ok')), T + 1).map((c) => c.type)).toEqual(['cleared']);

    const quieter = new AlertBoard([{ id: 'event-log-failing', metric: 'service.unhealthy', subject: ContactEventLog.id, comparison: '>=', value: 1, forSeconds: 60, severity: 'warning' }]);
    expect(quieter.definitions).toHaveLength(1);
    expect(quieter.evaluate(inputs(info('down')), T)).toEqual([]);
    expect(quieter.evaluate(inputs(info('down')), T + 60_000)).toMatchObject([{ type: 'raised', alert: { severity: 'warning' } }]);
    expect(new AlertBoard([], { builtIn: false }).definitions).toEqual([]);
  });
});
