import { join } from 'node:path';
import { SimulatedTelephony, VirtualClock } from '@caruso/comms';
import { InMemoryContactEventLog, QueueRouter, TelephonyChannel } from '@caruso/comms/testing';
import { createDialogueEngine, RecordingServices, ScriptStore, StorageSessionStore } from '@caruso/dialogue';
import { forEachDatabase } from '@caruso/storage/testing';
import { DAY, HAND_MADE_SESSIONS, HAND_MADE_SESSIONS_AS_OF, insertDialogueSessions } from '@caruso/monitor/testing';
import { formatReport, ReportCatalogue, runReport, type ReportRequest, type ReportResult } from '@caruso/monitor';

const catalogue = new ReportCatalogue([
  { name: 'sessions-total', source: 'sessions', columns: ['started', 'completed', 'handedOff', 'abandoned', 'inProgress', 'containmentRate', 'avgDurationSeconds'] },
  { name: 'sessions-by-hour', source: 'sessions', groupBy: ['hour'], columns: ['started'] },
  { name: 'sessions-by-result', source: 'sessions', groupBy: ['channel', 'result'], columns: ['started'], options: { abandonAfterSeconds: 120 } },
]);
const period = { from: DAY, to: DAY + 86_400_000, asOf: HAND_MADE_SESSIONS_AS_OF };

describe('dialogue-script reports over the persisted sessions (hand-computed values)', () => {
  forEachDatabase((db) => {
    const run = (name: string, extra: Partial<ReportRequest> = {}): Promise<ReportResult> => runReport(db.storage, catalogue.get(name), { ...period, ...extra });

    it('has no rows before the dialogue engine made its tables', async () => {
      expect((await run('scripts')).rows).toEqual([]);
    });

    describe('with the hand-made sessions', () => {
      beforeAll(async () => {
        await insertDialogueSessions(db.storage, HAND_MADE_SESSIONS);
      });

      it('scripts: started, completed, hand-offs, abandoned, rates, containment and duration per script, version and channel', async () => {
        const r = await run('scripts');
        expect(r.columns).toEqual(['script', 'version', 'channel', 'started', 'completed', 'handedOff', 'fallbacks', 'abandoned', 'inProgress', 'completionRate', 'handoffRate', 'abandonRate', 'containmentRate', 'avgDurationSeconds']);
        expect(r.rows).toEqual([
          { script: 'water-agent', version: '1.0', channel: 'agent', started: 2, completed: 2, handedOff: 0, fallbacks: 0, abandoned: 0, inProgress: 0, completionRate: 1, handoffRate: 0, abandonRate: 0, containmentRate: null, avgDurationSeconds: 210 },
          { script: 'water-ivr', version: '1.0', channel: 'ivr', started: 5, completed: 1, handedOff: 2, fallbacks: 1, abandoned: 2, inProgress: 0, completionRate: 0.2, handoffRate: 0.4, abandonRate: 0.4, containmentRate: 0.2, avgDurationSeconds: 66 },
          { script: 'water-ivr', version: '1.1', channel: 'ivr', started: 2, completed: 1, handedOff: 0, fallbacks: 0, abandoned: 1, inProgress: 0, completionRate: 0.5, handoffRate: 0, abandonRate: 0.5, containmentRate: 0.5, avgDurationSeconds: 105 },
          { script: 'water-web', version: '2.0', channel: 'web', started: 4, completed: 2, handedOff: 0, fallbacks: 0, abandoned: 1, inProgress: 1, completionRate: 0.5, handoffRate: 0, abandonRate: 0.25, containmentRate: expect.closeTo(2 / 3, 10), avgDurationSeconds: 200 },
        ]);
      });

      it('script-abandons: the node where each abandoned session stopped (subscript nodes as sub#node)', async () => {
        expect((await run('script-abandons')).rows).toEqual([
          { script: 'water-ivr', channel: 'ivr', node: 'ask-account', abandoned: 1, avgDurationSeconds: 20 },
          { script: 'water-ivr', channel: 'ivr', node: 'ask-meter', abandoned: 1, avgDurationSeconds: 40 },
          { script: 'water-ivr', channel: 'ivr', node: 'identify#ask-pin', abandoned: 1, avgDurationSeconds: 30 },
          { script: 'water-web', channel: 'web', node: 'ask-amount', abandoned: 1, avgDurationSeconds: 60 },
        ]);
      });

      it('script-outcomes and script-handoffs', async () => {
        expect((await run('script-outcomes')).rows).toEqual([
          { script: 'water-agent', outcome: 'escalated', completed: 1, avgDurationSeconds: 120 },
          { script: 'water-agent', outcome: 'resolved', completed: 1, avgDurationSeconds: 300 },
          { script: 'water-ivr', outcome: 'meter-read', completed: 2, avgDurationSeconds: 150 },
          { script: 'water-web', outcome: 'meter-read', completed: 1, avgDurationSeconds: 240 },
          { script: 'water-web', outcome: 'payment-plan', completed: 1, avgDurationSeconds: 300 },
        ]);
        expect((await run('script-handoffs')).rows).toEqual([{ script: 'water-ivr', channel: 'ivr', queue: 'billing', handedOff: 2, fallbacks: 1, avgDurationSeconds: 75 }]);
      });

      it('totals, by hour of the start, and filtered by channel and script', async () => {
        expect((await run('sessions-total')).rows).toEqual([{ started: 13, completed: 6, handedOff: 2, abandoned: 4, inProgress: 1, containmentRate: 0.4, avgDurationSeconds: (300 + 120 + 330 + 210 + 600) / 12 }]);
        expect((await run('sessions-by-hour')).rows).toEqual([
          { hour: 9, started: 5 },
          { hour: 10, started: 3 },
          { hour: 11, started: 2 },
          { hour: 12, started: 1 },
          { hour: 13, started: 1 },
          { hour: 23, started: 1 },
        ]);
        expect((await run('scripts', { channel: ['web'] })).rows.map((r) => [r['script'], r['started']])).toEqual([['water-web', 4]]);
        expect((await run('scripts', { script: ['water-ivr'] })).rows.map((r) => [r['version'], r['started']])).toEqual([['1.0', 5], ['1.1', 2]]);
        expect((await run('script-handoffs', { queue: ['sales'] })).rows).toEqual([]);
      });

      it('judges idleness at the given time and with the definition\'s abandonAfterSeconds', async () => {
        // An hour after midnight s11 (idle since 23:55) is abandoned too.
        const later = await run('scripts', { channel: ['web'], asOf: HAND_MADE_SESSIONS_AS_OF + 3_600_000 });
        expect(later.rows[0]).toMatchObject({ abandoned: 2, inProgress: 0, containmentRate: 0.5, avgDurationSeconds: 225 });
        // With 2 minutes, judged at 23:56, s11 is still in progress (idle 1 min).
        const r = await run('sessions-by-result', { asOf: DAY + (23 * 60 + 56) * 60_000 });
        expect(r.rows.filter((x) => x['channel'] === 'web')).toEqual([
          { channel: 'web', result: 'abandoned', started: 1 },
          { channel: 'web', result: 'completed', started: 2 },
          { channel: 'web', result: 'in-progress', started: 1 },
        ]);
      });

      it('formats the scripts report as CSV and as an HTML page with a chart', async () => {
        const r = await run('scripts');
        const csv = formatReport(r, 'csv').split('\r\n');
        expect(csv[0]).toBe('script,version,channel,started,completed,handedOff,fallbacks,abandoned,inProgress,completionRate,handoffRate,abandonRate,containmentRate,avgDurationSeconds');
        expect(csv[2]).toBe('water-ivr,1.0,ivr,5,1,2,1,2,0,0.2,0.4,0.4,0.2,66');
        const html = formatReport(r, 'html');
        expect(html).toContain('<svg xmlns="http://www.w3.org/2000/svg"');
        expect(html).toContain('water-ivr / 1.0 / ivr');
      });

      it('rejects filters that do not apply to sessions', async () => {
        await expect(run('scripts', { agent: ['a1'] })).rejects.toMatchObject({ code: 'CARUSO_MONITOR_INVALID_PERIOD' });
        await expect(run('inbound', { script: ['water-ivr'] })).rejects.toMatchObject({ code: 'CARUSO_MONITOR_INVALID_PERIOD' });
        expect(() => new ReportCatalogue([{ name: 'x', source: 'sessions', columns: ['started'], filters: { status: ['gone'] } }])).toThrow(/status gone/);
        expect(() => new ReportCatalogue([{ name: 'x', source: 'sessions', columns: ['started'], filters: { agent: ['a1'] } }])).toThrow(/filtered by channel, script, status or queue/);
      });
    });
  });
});

const METER_SCRIPT = `<?xml version="1.0"?>
<script id="meter" version="3">
  <question id="account" type="text">
    <prompt>Your account number?</prompt>
    <next target="choice"/>
  </question>
  <question id="choice" type="choice">
    <prompt>Read the meter or speak to someone?</prompt>
    <choice value="read" dtmf="1">Read</choice>
    <choice value="agent" dtmf="2">Agent</choice>
    <next cond="choice == 'agent'" target="to-agent"/>
    <next target="done"/>
  </question>
  <handoff id="to-agent" queue="billing"/>
  <end id="done" outcome="meter-read"/>
</script>
`;

describe('dialogue-script reports over sessions run by the real dialogue engine', () => {
  forEachDatabase((db) => {
    it('counts what the engine persisted: completed, handed off, abandoned at the question it stopped on', async () => {
      const sessions = new StorageSessionStore(db.storage);
      await sessions.migrate();
      const scripts = new ScriptStore();
      const published = scripts.publish(join('/scripts', 'meter.xml'), METER_SCRIPT);
      expect(published.diagnostics.filter((d) => d.severity === 'error').map(String)).toEqual([]);
      let now = DAY + 9 * 3_600_000;
      const engine = createDialogueEngine({ scripts, sessions, services: new RecordingServices(), now: () => now });
      try {
        // web: account (10 s), read → completed after 25 s
        await engine.startSession('meter', { channel: 'web', sessionId: 'w1' });
        now += 10_000;
        await engine.answer('w1', '1234');
        now += 15_000;
        await engine.answer('w1', 'read');
        // web: account, then the user leaves at the choice (idle)
        await engine.startSession('meter', { channel: 'web', sessionId: 'w2' });
        now += 5_000;
        await engine.answer('w2', '5678');
        // agent: account, agent → handed off after 20 s
        await engine.startSession('meter', { channel: 'agent', sessionId: 'a1' });
        now += 20_000;
        await engine.answer('a1', '9');
        await engine.answer('a1', 'agent');
      } finally {
        scripts.dispose();
      }
      const period = { from: DAY, to: DAY + 86_400_000, asOf: DAY + 86_400_000 };
      const r = await runReport(db.storage, new ReportCatalogue().get('scripts'), period);
      expect(r.rows).toEqual([
        expect.objectContaining({ script: 'meter', version: '3', channel: 'agent', started: 1, completed: 0, handedOff: 1, abandoned: 0, containmentRate: null, avgDurationSeconds: 20 }),
        expect.objectContaining({ script: 'meter', version: '3', channel: 'web', started: 2, completed: 1, handedOff: 0, abandoned: 1, containmentRate: 0.5, avgDurationSeconds: (25 + 5) / 2 }),
      ]);
      expect((await runReport(db.storage, new ReportCatalogue().get('script-abandons'), period)).rows).toEqual([{ script: 'meter', channel: 'web', node: 'choice', abandoned: 1, avgDurationSeconds: 5 }]);
      expect((await runReport(db.storage, new ReportCatalogue().get('script-handoffs'), period)).rows).toEqual([{ script: 'meter', channel: 'agent', queue: 'billing', handedOff: 1, fallbacks: 0, avgDurationSeconds: 20 }]);
    });
  });
});

describe('script-abandons counts an IVR caller who hangs up at once (simulated telephony, real dialogue engine)', () => {
  forEachDatabase((db) => {
    it('the session ends as abandoned at the question the caller left, before it could go idle', async () => {
      const sessions = new StorageSessionStore(db.storage);
      await sessions.migrate();
      const scripts = new ScriptStore();
      scripts.publish(join('/scripts', 'meter.xml'), METER_SCRIPT);
      const clock = new VirtualClock(DAY + 9 * 3_600_000);
      const log = new InMemoryContactEventLog();
      const router = new QueueRouter({ clock, events: log, idPrefix: 'x' });
      router.addQueue({ id: 'billing' });
      const telephony = new SimulatedTelephony(clock);
      const engine = createDialogueEngine({ scripts, sessions, services: new RecordingServices(), now: () => clock.now() });
      const channel = new TelephonyChannel({ router, telephony, defaultQueueId: 'billing', dialogue: engine, scriptFor: () => 'meter', commit: () => log.flush() });
      try {
        // "Your account number?" (1.2 s), keys 1234# (2 s), "Read the meter or speak to someone?" (2.1 s),
        // then the caller hangs up at 6 s while the choice waits for a key.
        telephony.placeInboundCall({ from: '+3211000001', to: '0800', talkMs: 60_000, patienceMs: 6_000, keys: ['1234#'] });
        const until = clock.now() + 6_000;
        await channel.settled();
        for (let i = 0; i < 100; i++) {
          const next = clock.nextAt();
          if (next === undefined || next > until) break;
          clock.runNext();
          await channel.settled();
        }
        // Judged at the moment of the hang-up: the session moved 0 s ago, so only its status says it was abandoned.
        const period = { from: DAY, to: DAY + 86_400_000, asOf: clock.now() };
        expect((await runReport(db.storage, new ReportCatalogue().get('script-abandons'), period)).rows).toEqual([{ script: 'meter', channel: 'ivr', node: 'choice', abandoned: 1, avgDurationSeconds: 6 }]);
        expect((await runReport(db.storage, new ReportCatalogue().get('scripts'), period)).rows).toEqual([
          expect.objectContaining({ script: 'meter', channel: 'ivr', started: 1, completed: 0, handedOff: 0, abandoned: 1, inProgress: 0, containmentRate: 0 }),
        ]);
      } finally {
        channel.dispose();
        router.dispose();
        telephony.dispose();
        scripts.dispose();
      }
    });
  });
});
