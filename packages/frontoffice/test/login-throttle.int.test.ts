// Regression (issue 13): the log-in limit per address let anyone lock out everyone behind one address
// (a shared office NAT): 200 log-ins with random names, then the right passwords of real agents were
// refused for 15 minutes. Now the per-address limit counts and refuses only names that are no user,
// and a name's own failures lock that name only. Every test client here shares 127.0.0.1.
import { StorageManager } from '@caruso/storage';
import { forEachDatabase } from '@caruso/storage/testing';
import { ApiClient, startTestAssembly, type TestAssembly, type TestAssemblyOptions } from '@caruso/frontoffice/testing';
import { fixturePath } from './fixture.js';

const PW = 'correct horse battery';
const MAX = 2;
/** Long enough for 200 log-ins on a slow machine (each failure with a real name costs a scrypt). */
const LONG_WINDOW_MS = 120_000;
const SHORT_WINDOW_MS = 8_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function options(db: string, loginWindowMs: number): TestAssemblyOptions {
  return {
    db,
    model: fixturePath('crm.model.xml'),
    application: fixturePath('crm.app.xml'),
    scripts: fixturePath('scripts'),
    agents: [{ id: 'anna', queues: [{ queueId: 'support' }] }, { id: 'bram', queues: [{ queueId: 'support' }] }],
    users: [
      { name: 'anna', role: 'agent', agentId: 'anna', password: PW },
      { name: 'bram', role: 'agent', agentId: 'bram', password: PW },
    ],
    server: { maxLoginFailures: MAX, loginWindowMs },
  };
}

describe('log-in throttling behind one address', () => {
  forEachDatabase((db) => {
    let asm: TestAssembly | undefined;
    afterEach(async () => {
      await asm?.stop();
      asm = undefined;
    });

    const rows = async (key: string): Promise<number> =>
      ((await asm!.manager.get(StorageManager).knex('caruso_fo_login_failures').where({ key }).select('key')) as unknown[]).length;

    it('lets known users with the right password in after 200 log-ins with random names from their address', async () => {
      asm = await startTestAssembly(options(await db.freshDatabase(), LONG_WINDOW_MS));
      const attacker = new ApiClient(asm.url);
      const statuses = new Map<number, number>();
      for (let i = 0; i < 200; i++) {
        const s = (await attacker.login(`nobody-${i}-${Math.random().toString(36).slice(2, 8)}`, 'guess guess guess')).status;
        statuses.set(s, (statuses.get(s) ?? 0) + 1);
      }
      // The address is limited for names that are no user: 10 × MAX failures, then 429.
      expect(statuses).toEqual(new Map([[401, 10 * MAX], [429, 200 - 10 * MAX]]));
      expect(await rows('a:127.0.0.1')).toBe(10 * MAX);
      // Two real agents behind the same address still get in.
      expect((await new ApiClient(asm.url).login('anna', PW)).status).toBe(200);
      expect((await new ApiClient(asm.url).login('bram', PW)).status).toBe(200);
      // A wrong password of a real user is counted on that name only; while the address is limited it
      // is answered like a made-up name (429), so the answers do not tell which names exist.
      const r = await new ApiClient(asm.url).login('bram', 'wrong password!');
      expect(r.status).toBe(429);
      expect(await rows('u:bram')).toBe(1);
      expect(await rows('a:127.0.0.1')).toBe(10 * MAX);
      expect((await new ApiClient(asm.url).login('bram', PW)).status).toBe(200);
      expect(await rows('u:bram')).toBe(0);
      // A name that is no user stays refused with 429, also from another client on that address.
      expect((await new ApiClient(asm.url).login('nobody-else', 'guess guess guess')).status).toBe(429);
    }, 180_000);

    it('locks a name after its own failures and only that name: another user behind the address gets in', async () => {
      asm = await startTestAssembly(options(await db.freshDatabase(), SHORT_WINDOW_MS));
      const guesser = new ApiClient(asm.url);
      for (let i = 0; i < MAX; i++) expect((await guesser.login('anna', `wrong password ${i}`)).status).toBe(401);
      const locked = await new ApiClient(asm.url).login('anna', PW);
      expect(locked.status).toBe(429);
      expect((locked.body as { error: { code: string } }).error.code).toBe('CARUSO_FRONTOFFICE_TOO_MANY_ATTEMPTS');
      expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
      expect((await new ApiClient(asm.url).login('bram', PW)).status).toBe(200);
      // Failures of real names do not count against the address.
      expect(await rows('a:127.0.0.1')).toBe(0);
      expect(await rows('u:anna')).toBe(MAX);
      // An unknown name is locked the same way after its failures (no hint which names exist).
      for (let i = 0; i < MAX; i++) expect((await guesser.login('annie', `wrong password ${i}`)).status).toBe(401);
      expect((await guesser.login('annie', PW)).status).toBe(429);
      // The window frees anna; her right password then clears her failures.
      await sleep(SHORT_WINDOW_MS + 300);
      expect((await new ApiClient(asm.url).login('anna', PW)).status).toBe(200);
      expect(await rows('u:anna')).toBe(0);
    }, 120_000);
  });
});
