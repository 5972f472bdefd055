// The demo load goes by the communication server's clock: started "at" a Monday morning it brings
// contacts whatever the wall clock says, started "at" a Sunday night it stays quiet (caruso start
// --simulate --at). Between them the two cases fail at any hour if the load read the wall clock.
// Needs `npx tsc -b` first (dist/ is loaded).
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ContactEventLog, shiftedClock, SimulatedTelephony } from '@caruso/comms';
import { createStorage } from '@caruso/storage';
import type { Assembly } from '../../../tools/cli/src/assembly/assembly-file.js';
import { startAssembly } from '../../../tools/cli/src/assembly/assembly-runtime.js';
import { simulationMoment } from '../../../tools/cli/src/commands/start.js';
import { generateDemoData } from '../src/index.js';
import { root, utilityAssemblyOn } from './utility-assembly-setup.js';

/** The next `weekday` (1 = Monday … 7 = Sunday) at `hourUtc`:00 UTC, at least a day ahead. */
function next(weekday: number, hourUtc: number): number {
  const d = new Date();
  d.setUTCHours(hourUtc, 0, 0, 0);
  const today = d.getUTCDay() === 0 ? 7 : d.getUTCDay();
  d.setUTCDate(d.getUTCDate() + (((weekday - today + 7) % 7) || 7));
  return d.getTime();
}

async function contactsWithin(moment: number, ms: number): Promise<{ contacts: number; clockNow: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'caruso-demo-clock-'));
  const url = `sqlite:${join(dir, 'utility.db')}`;
  const storage = await createStorage(url);
  const clock = shiftedClock(moment);
  const telephony = new SimulatedTelephony(clock);
  try {
    const env = { CARUSO_DB_URL: url, PORT: '0', CARUSO_MANAGER_PORT: '0', SIP_PORT: '0', CARUSO_SMTP_PORT: '0', CARUSO_CHAT_PORT: '0' };
    const a = await utilityAssemblyOn(storage, dir, generateDemoData({ customers: 40, seed: 8 }), env);
    const load = a.services.find((s) => s.token === 'utility.DemoLoad');
    if (!load) throw new Error('assembly.xml no longer declares the utility.DemoLoad service');
    // The assembly's own hours (weekdays 08:30–17:00 Amsterdam), sped-up rates, no campaign.
    const fast = { ...load.config, callsPerHour: '7200', emailsPerHour: '0', chatsPerHour: '0', lines: '+31300000003', talkSeconds: '1', patienceSeconds: '0', campaigns: '' };
    const assembly: Assembly = { ...a, users: [], services: a.services.map((s) => (s === load ? { ...s, config: fast } : s)) };
    const running = await startAssembly(assembly, { env, clock, telephony, simulate: true });
    try {
      await new Promise((r) => setTimeout(r, ms));
      const events = await running.manager.get(ContactEventLog).read();
      return { contacts: events.filter((e) => e.kind === 'queue-entered').length, clockNow: clock.now() };
    } finally {
      await running.stop();
    }
  } finally {
    telephony.dispose();
    await storage.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('the demo load on a shifted clock (SQLite)', () => {
  beforeAll(() => {
    if (!existsSync(join(root, 'dist/index.js'))) throw new Error('examples/utility/dist is missing: run `npx tsc -b` first');
  });

  it('brings contacts when the server’s clock says Monday 10:00 in Amsterdam, and none at Sunday 03:00', async () => {
    const monday = await contactsWithin(next(1, 9), 3_000);
    expect(monday.contacts).toBeGreaterThan(0);
    const sunday = await contactsWithin(next(7, 2), 3_000);
    expect(sunday.contacts).toBe(0);
  }, 60_000);

  it('--at office-hours: no shift while the queues are open, else half an hour after they open', () => {
    const assembly = { queues: [{ id: 'general', hours: { timezone: 'Europe/Amsterdam', afterHours: 'voicemail', open: [{ days: 'mon-fri', from: '08:00', until: '18:00' }] } }] } as unknown as Assembly;
    expect(simulationMoment('office-hours', assembly, next(3, 10))).toBeUndefined(); // Wednesday 11:00 or 12:00 in Amsterdam
    const saturday = next(6, 12);
    const moment = simulationMoment('office-hours', assembly, saturday)!;
    // The Monday after, 08:30 Amsterdam time (07:30 UTC in winter, 06:30 in summer).
    expect(new Date(moment).getUTCDay()).toBe(1);
    expect(moment - saturday).toBeLessThan(3 * 86_400_000);
    expect(new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Amsterdam', hour: '2-digit', minute: '2-digit' }).format(moment)).toBe('08:30');
    expect(simulationMoment('2026-11-30T10:00+01:00', assembly)).toBe(Date.UTC(2026, 10, 30, 9, 0));
    expect(simulationMoment(undefined, assembly)).toBeUndefined();
    expect(() => simulationMoment('tomorrow', assembly)).toThrow(/--at takes an ISO date-time/);
    expect(simulationMoment('office-hours', { queues: [] } as unknown as Assembly)).toBeUndefined();
  });
});
