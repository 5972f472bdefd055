// Campaign control for supervisors: the REST API (roles, unknown campaign, actions the state does not
// allow) on SQLite and PostgreSQL, and the wallboard's campaign panel in a real Chromium.
import { chromium, type Browser } from 'playwright-core';
import { forEachDatabase } from '@caruso/storage/testing';
import { ApiClient, loggedInClient, startTestAssembly, type TestAssembly, type TestAssemblyOptions } from '@caruso/frontoffice/testing';
import { fixturePath } from './fixture.js';

const PW = 'correct horse battery';

function options(db: string): TestAssemblyOptions {
  return {
    db,
    model: fixturePath('crm.model.xml'),
    application: fixturePath('crm.app.xml'),
    scripts: fixturePath('scripts'),
    queues: [{ id: 'support', wrapUpMs: 600_000 }, { id: 'outbound' }],
    agents: [{ id: 'anna', queues: [{ queueId: 'support' }] }],
    users: [
      { name: 'anna', role: 'agent', agentId: 'anna', password: PW },
      { name: 'sam', role: 'supervisor', agentId: undefined, password: PW },
    ],
    monitor: { thresholdMs: 20_000 },
    // A campaign without targets: it can be started, paused and stopped, and dials nobody.
    campaigns: [{ id: 'renewals', queueId: 'outbound', mode: 'progressive' }],
  };
}

const loggedIn = (url: string, name: string): Promise<ApiClient> => loggedInClient(url, name, PW);

describe('campaign control in the front office', () => {
  forEachDatabase((db) => {
    let asm: TestAssembly | undefined;
    afterAll(async () => {
      await asm?.stop();
    });

    it('a supervisor starts, pauses and stops a campaign; agents and visitors are refused; bad requests change nothing', async () => {
      asm = await startTestAssembly(options(await db.freshDatabase()));
      const [sam, anna] = [await loggedIn(asm.url, 'sam'), await loggedIn(asm.url, 'anna')];
      const list = await sam.get('/api/campaigns');
      expect(list.status).toBe(200);
      expect((list.body as { data: unknown[] }).data).toEqual([expect.objectContaining({ id: 'renewals', status: 'created', targets: 0 })]);

      expect((await anna.get('/api/campaigns')).status).toBe(403);
      expect((await anna.post('/api/campaigns/renewals/start', {})).status).toBe(403);
      expect((await new ApiClient(asm.url).get('/api/campaigns')).status).toBe(401);
      const unknown = await sam.post('/api/campaigns/winter/start', {});
      expect(unknown.status).toBe(404);
      expect(unknown.body).toMatchObject({ error: { code: 'CARUSO_COMMS_UNKNOWN_CAMPAIGN' } });
      expect((await sam.post('/api/campaigns/renewals/restart', {})).status).toBe(400);
      expect((await sam.post('/api/campaigns/re%20newals/start', {})).status).toBe(400);
      expect(asm.comms.campaignProgress('renewals').status).toBe('created');

      const started = await sam.post('/api/campaigns/renewals/start', {});
      expect(started.status).toBe(200);
      expect(started.body).toMatchObject({ data: { id: 'renewals', status: 'running' } });
      expect((await sam.post('/api/campaigns/renewals/pause', {})).body).toMatchObject({ data: { status: 'paused' } });
      expect((await sam.post('/api/campaigns/renewals/stop', {})).body).toMatchObject({ data: { status: 'stopped' } });
      const again = await sam.post('/api/campaigns/renewals/start', {});
      expect(again.status).toBe(409);
      expect(again.body).toMatchObject({ error: { code: 'CARUSO_COMMS_CAMPAIGN_STATE' } });
      expect(asm.comms.campaignProgress('renewals').status).toBe('stopped');
      // The changes are in the event log (durable before the answer).
      const kinds = (await asm.events.read()).filter((e) => e.kind.startsWith('campaign-')).map((e) => e.kind);
      expect(kinds).toEqual(['campaign-started', 'campaign-paused', 'campaign-stopped']);
      // The OpenAPI document of a supervisor describes the endpoints; an agent's does not.
      const doc = (await sam.get('/api/openapi.json')).body as { paths: Record<string, unknown> };
      expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/campaigns', '/api/campaigns/{id}/{action}']));
      expect(Object.keys(((await anna.get('/api/openapi.json')).body as { paths: Record<string, unknown> }).paths)).not.toContain('/api/campaigns');
      await asm.stop();
      asm = undefined;
    }, 30_000);
  });

  describe('in Chromium (SQLite)', () => {
    let asm: TestAssembly | undefined;
    let browser: Browser | undefined;
    afterAll(async () => {
      await browser?.close();
      await asm?.stop();
    });

    it('the wallboard’s campaign control starts and pauses the campaign, keyboard first', async () => {
      asm = await startTestAssembly(options('sqlite::memory:'));
      browser = await chromium.launch({
        executablePath: '/usr/bin/chromium',
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
        timeout: 20_000,
      });
      const ctx = await browser.newContext({ viewport: { width: 1280, height: 720 } });
      const page = await ctx.newPage();
      page.setDefaultTimeout(8000);
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      // The monitor's figures are held back until the campaign control is drawn and marked, as on a
      // loaded server where they come after the page's first reads.
      let release: () => void = () => undefined;
      const held = new Promise<void>((resolve) => (release = resolve));
      await page.routeWebSocket(/\/ws\/monitor/, async (ws) => {
        await held;
        ws.connectToServer();
      });
      await page.goto(`${asm.url}/login`);
      await page.getByLabel('User name').fill('sam');
      await page.getByLabel('Password').fill(PW);
      await page.getByRole('button', { name: 'Log in' }).click();
      await page.waitForURL('**/wallboard');
      const control = page.getByRole('region', { name: 'Campaign control' });
      await control.getByText('renewals: created').waitFor();
      // The control drawn before the monitor's first figures is the one after them: a button focused
      // meanwhile keeps its focus.
      await page.evaluate("document.querySelector('caruso-campaign-control').dataset.mark = 'before'");
      release();
      await page.locator('#wb-monitor section').first().waitFor();
      expect(await page.evaluate("document.querySelector('caruso-campaign-control').dataset.mark ?? null")).toBe('before');
      await control.getByRole('button', { name: 'Start renewals' }).focus();
      await page.keyboard.press('Enter');
      await control.getByText('renewals: running').waitFor();
      expect(asm.comms.campaignProgress('renewals').status).toBe('running');
      await control.getByRole('button', { name: 'Pause renewals' }).click();
      await control.getByText('renewals: paused').waitFor();
      expect(asm.comms.campaignProgress('renewals').status).toBe('paused');
      expect(await control.getByRole('button').allTextContents()).toEqual(['Start', 'Stop']);
      expect(errors).toEqual([]);
      await ctx.close();
    }, 45_000);
  });
});
