import { fileURLToPath } from 'node:url';
import { ContactEventLog, VirtualClock } from '@caruso/comms';
import { InMemoryContactEventLog } from '@caruso/comms/testing';
import { createServiceManager, createToken, type HealthStatus } from '@caruso/kernel';
import { checkErrorCatalogue } from '@caruso/kernel/testing';
import { Monitor, MonitorErrors, monitorService, parseAlertDefinitions, type AlertChange } from '@caruso/monitor';

const T0 = Date.UTC(2025, 0, 6, 8, 0, 0);
const Billing = createToken<{ invoice(id: string): string }>('legacy.Billing');

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
}

describe('monitor service with a real service manager', () => {
  it('raises declared alerts to subscribers and clears them: long wait, service level, long pause, unhealthy service', async () => {
    const clock = new VirtualClock(T0);
    const services = createServiceManager();
    const log = new InMemoryContactEventLog();
    let billingHealth: HealthStatus = { status: 'ok' };
    services.register(ContactEventLog, { version: '1.0.0', create: () => log });
    services.register(Billing, { version: '1.0.0', create: () => ({ invoice: (id: string) => `invoice ${id}`, health: () => billingHealth }) });
    services.register(
      Monitor,
      monitorService({
        services,
        clock,
        batchMs: 0,
        evaluateEveryMs: 1_000,
        healthEveryMs: 5_000,
        alerts: [
          { id: 'long-wait', metric: 'queue.longestWaitSeconds', comparison: '>', value: 60, severity: 'critical', message: 'a customer waits {value} s in {subject}' },
          { id: 'low-sl', metric: 'queue.serviceLevel', comparison: '<', value: 0.8 },
          { id: 'long-pause', metric: 'agent.pausedSeconds', comparison: '>', value: 900, forSeconds: 0 },
          { id: 'service-down', metric: 'service.unhealthy', comparison: '=', value: 1, forSeconds: 10 },
        ],
      }),
    );
    await services.start();
    const monitor = services.get(Monitor);
    const changes: AlertChange[] = [];
    const sub = monitor.onDidChangeAlert((c) => changes.push(c));

    log.append({ kind: 'queue-entered', at: clock.now(), contactId: 'c1', queueId: 'support', channel: 'call' });
    log.append({ kind: 'agent-state-changed', at: clock.now(), agentId: 'anna', state: 'paused', fromState: 'ready', reason: 'break' });
    clock.advance(60_000);
    await settle();
    expect(changes).toEqual([]);
    clock.advance(1_000);
    await settle();
    expect(changes.map((c) => [c.type, c.alert.id, c.alert.subject])).toEqual([['raised', 'long-wait', 'support']]);
    expect(changes[0]!.alert).toMatchObject({ severity: 'critical', message: 'a customer waits 61 s in support', since: T0 + 61_000 });

    log.append({ kind: 'connected', at: clock.now(), contactId: 'c1', queueId: 'support', agentId: 'bob', channel: 'call', waitMs: 61_000 });
    await settle();
    expect(changes.slice(1).map((c) => [c.type, c.alert.id])).toEqual([['cleared', 'long-wait'], ['raised', 'low-sl']]);
    expect(monitor.topicValue('alerts')).toEqual({ active: { 'low-sl:support': expect.objectContaining({ value: 0, threshold: 0.8 }) } });

    clock.advance(900_000 - 61_000 + 1_000);
    await settle();
    expect(changes.at(-1)).toMatchObject({ type: 'raised', alert: { id: 'long-pause', subject: 'anna' } });

    // The services topic shows every registration's health and metrics; a service down for 10 s raises an alert.
    services.get(Billing).invoice('7');
    billingHealth = { status: 'down', detail: 'legacy host unreachable' };
    clock.advance(5_000);
    await settle();
    const value = monitor.topicValue('services') as { services: Record<string, { tokenId: string; health: { status: string } | null; calls: number }> };
    const billing = Object.values(value.services).find((s) => s.tokenId === 'legacy.Billing')!;
    expect(billing).toMatchObject({ health: { status: 'down' }, calls: 1 });
    expect(changes.some((c) => c.alert.id === 'service-down')).toBe(false);
    clock.advance(10_000);
    await settle();
    expect(changes.at(-1)).toMatchObject({ type: 'raised', alert: { id: 'service-down', subject: 'legacy.Billing' } });
    billingHealth = { status: 'ok' };
    clock.advance(5_000);
    await settle();
    expect(changes.at(-1)).toMatchObject({ type: 'cleared', alert: { id: 'service-down' } });
    expect(monitor.activeAlerts().map((a) => a.id).sort()).toEqual(['long-pause', 'low-sl']);
    sub.dispose();
    await services.stop();
    log.dispose();
  });

  it('rejects bad alert definitions at registration with a coded error naming the field', () => {
    const bad: Array<[unknown, RegExp]> = [
      [{ id: 'x' }, /list|array/],
      [[{ id: 'x', metric: 'queue.temperature', comparison: '>', value: 1 }], /metric must be one of/],
      [[{ id: 'x', metric: 'queue.waiting', comparison: '~', value: 1 }], /comparison/],
      [[{ id: 'x', metric: 'queue.waiting', comparison: '>', value: '1' }], /value must be a number/],
      [[{ id: 'x', metric: 'queue.waiting', comparison: '>', value: 1, forSeconds: -1 }], /forSeconds/],
      [[{ id: 'x', metric: 'queue.waiting', comparison: '>', value: 1, colour: 'red' }], /unknown field colour/],
      [[{ id: 'x', metric: 'queue.waiting', comparison: '>', value: 1 }, { id: 'x', metric: 'queue.waiting', comparison: '>', value: 2 }], /used twice/],
    ];
    for (const [defs, message] of bad) {
      expect(() => parseAlertDefinitions(defs)).toThrow(message);
      expect(() => monitorService({ alerts: defs })).toThrow(expect.objectContaining({ code: 'CARUSO_MONITOR_INVALID_ALERT' }));
    }
  });

  it('documents every error code in docs/errors.md and documents nothing extra', () => {
    const docs = fileURLToPath(new URL('../../../docs/errors.md', import.meta.url));
    expect(checkErrorCatalogue(MonitorErrors.codes, docs, 'CARUSO_MONITOR_')).toEqual([]);
  });
});
