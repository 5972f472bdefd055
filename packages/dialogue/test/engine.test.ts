import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isCarusoError } from '@caruso/kernel';
import { createDialogueEngine, MemorySessionStore, RecordingServices, ScriptStore, StorageSessionStore, type ScriptChange, type SessionStore } from '@caruso/dialogue';
import { createStorage, type StorageManager } from '@caruso/storage';
import { fixture } from './helpers/load.js';
import { versionedScript } from './helpers/scripts.js';

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    if (isCarusoError(err)) return err.code;
    throw err;
  }
  return 'no error';
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'caruso-dialogue-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function storeWith(...versions: Array<[string, string]>): ScriptStore {
  const store = new ScriptStore();
  for (const [v, greeting] of versions) {
    const change = store.publish(join(dir, 'greet.xml'), versionedScript(v, greeting));
    expect(change.type).toBe('published');
  }
  return store;
}

describe('DialogueEngine (memory session store)', () => {
  it('starts, answers, goes back and resumes a session by id', async () => {
    const scripts = storeWith(['1', 'Hello']);
    const engine = createDialogueEngine({ scripts, sessions: new MemorySessionStore(), services: new RecordingServices() });
    const v = await engine.startSession('greet', { channel: 'web', sessionId: 'web-1' });
    expect(v).toMatchObject({ sessionId: 'web-1', revision: 1, status: 'active', script: 'greet', version: '1', step: { node: 'name', prompt: 'Hello, what is your name?' } });
    const a = await engine.answer('web-1', 'Ann', { revision: 1 });
    expect(a.step.prompt).toBe('Favourite colour, Ann?');
    expect(await code(engine.answer('web-1', 'red', { revision: 1 }))).toBe('CARUSO_DIALOGUE_SESSION_CONFLICT');
    const b = await engine.back('web-1');
    expect(b.step.node).toBe('name');
    const r = await engine.resume('web-1');
    expect(r.step).toEqual(b.step);
    expect(r.revision).toBe(b.revision);
    await engine.answer('web-1', 'Bo');
    const end = await engine.answer('web-1', 'blue');
    expect(end).toMatchObject({ status: 'ended', step: { kind: 'end', outcome: 'greeted-v1' } });
    expect((await engine.state('web-1')).vars).toEqual({ name: 'Bo', color: 'blue' });
    expect(engine.scripts()).toEqual([{ id: 'greet', file: join(dir, 'greet.xml'), latest: '1', versions: ['1'], identifiedDataAccess: [], variables: expect.any(Array) }]);
    scripts.dispose();
  });

  it('refuses unknown scripts and sessions with coded errors', async () => {
    const scripts = storeWith(['1', 'Hi']);
    const engine = createDialogueEngine({ scripts, sessions: new MemorySessionStore(), services: new RecordingServices() });
    expect(await code(engine.startSession('nope', { channel: 'web' }))).toBe('CARUSO_DIALOGUE_SCRIPT_NOT_FOUND');
    expect(await code(engine.startSession('greet', { channel: 'web', version: '9' }))).toBe('CARUSO_DIALOGUE_SCRIPT_NOT_FOUND');
    expect(await code(engine.answer('missing', 'x'))).toBe('CARUSO_DIALOGUE_SESSION_NOT_FOUND');
    expect(await code(engine.startSession('greet', { channel: 'phone' as 'web' }))).toBe('CARUSO_DIALOGUE_INVALID_CHANNEL');
    scripts.dispose();
  });

  it('runs concurrent answers to one session one after the other', async () => {
    const scripts = storeWith(['1', 'Hi']);
    const engine = createDialogueEngine({ scripts, sessions: new MemorySessionStore(), services: new RecordingServices() });
    await engine.startSession('greet', { channel: 'agent', sessionId: 's' });
    const [x, y] = await Promise.all([engine.answer('s', 'Ann'), engine.answer('s', 'red')]);
    expect([x.step.node, y.step.kind]).toEqual(['color', 'end']);
    scripts.dispose();
  });

  it('abandon ends an active session at once where it stands; a finished session is left as it is', async () => {
    const scripts = storeWith(['1', 'Hi']);
    let now = Date.UTC(2025, 0, 6, 9);
    const sessions = new MemorySessionStore();
    const engine = createDialogueEngine({ scripts, sessions, services: new RecordingServices(), now: () => now });
    await engine.startSession('greet', { channel: 'web', sessionId: 'w' });
    now += 10_000;
    await engine.answer('w', 'Ann');
    now += 5_000;
    const gone = await engine.abandon('w');
    expect(gone).toMatchObject({ status: 'abandoned', revision: 3, step: { kind: 'end', node: 'color', prompt: '', outcome: '', canGoBack: false } });
    const state = await engine.state('w');
    expect(state).toMatchObject({ status: 'abandoned', at: { script: 'greet', node: 'color' }, vars: { name: 'Ann' }, updatedAt: new Date(now).toISOString() });
    expect(await sessions.listActive()).toEqual([]);
    expect(await code(engine.answer('w', 'red'))).toBe('CARUSO_DIALOGUE_SESSION_ENDED');
    expect(await code(engine.back('w'))).toBe('CARUSO_DIALOGUE_CANNOT_GO_BACK');
    // Again, or on a session that ended: unchanged.
    expect((await engine.abandon('w')).revision).toBe(3);
    await engine.startSession('greet', { channel: 'agent', sessionId: 'a' });
    await engine.answer('a', 'Bo');
    await engine.answer('a', 'blue');
    expect(await engine.abandon('a')).toMatchObject({ status: 'ended', revision: 3, step: { outcome: 'greeted-v1' } });
    expect(await code(engine.abandon('missing'))).toBe('CARUSO_DIALOGUE_SESSION_NOT_FOUND');
    scripts.dispose();
  });

  it('a session saved without an actor adopts the one a step names; one with its actor keeps it', async () => {
    const scripts = storeWith(['1', 'Hello']);
    const sessions = new MemorySessionStore();
    const engine = createDialogueEngine({ scripts, sessions, services: new RecordingServices() });
    await engine.startSession('greet', { channel: 'agent', sessionId: 'older' });
    expect((await engine.state('older')).actor).toBeUndefined();
    const anna = { kind: 'agent', id: 'anna', roles: ['agent'] } as const;
    await engine.answer('older', 'Ann', { actor: anna });
    expect((await engine.state('older')).actor).toEqual(anna);
    // A failed step adopts nothing (nothing is saved).
    await engine.startSession('greet', { channel: 'agent', sessionId: 'stale' });
    expect(await code(engine.answer('stale', 'Ann', { revision: 7, actor: anna }))).toBe('CARUSO_DIALOGUE_SESSION_CONFLICT');
    expect((await engine.state('stale')).actor).toBeUndefined();
    await engine.startSession('greet', { channel: 'agent', sessionId: 'named', actor: { kind: 'agent', id: 'bert', roles: ['supervisor'] } });
    await engine.answer('named', 'Bo', { actor: anna });
    await engine.back('named', { actor: anna });
    expect((await engine.state('named')).actor).toEqual({ kind: 'agent', id: 'bert', roles: ['supervisor'] });
    scripts.dispose();
  });

  it('keeps a session on the version it started with when a new version is published', async () => {
    const scripts = storeWith(['1', 'Hello']);
    const engine = createDialogueEngine({ scripts, sessions: new MemorySessionStore(), services: new RecordingServices() });
    await engine.startSession('greet', { channel: 'web', sessionId: 'old' });
    scripts.publish(join(dir, 'greet.xml'), versionedScript('2', 'Welcome'));
    const fresh = await engine.startSession('greet', { channel: 'web', sessionId: 'new' });
    expect(fresh).toMatchObject({ version: '2', step: { prompt: 'Welcome, what is your name?' } });
    await engine.answer('old', 'Ann');
    expect((await engine.answer('old', 'red')).step.outcome).toBe('greeted-v1');
    expect((await engine.startSession('greet', { channel: 'web', version: '1' })).version).toBe('1');
    expect(scripts.list()[0]).toMatchObject({ latest: '2', versions: ['1', '2'] });
    scripts.dispose();
  });
});

describe('ScriptStore', () => {
  it('loads a folder, reports files with errors and keeps the good ones', () => {
    writeFileSync(join(dir, 'greet.xml'), versionedScript('1', 'Hi'));
    writeFileSync(join(dir, 'broken.xml'), '<script id="b" version="1"><end id="e"/></script>');
    const store = ScriptStore.loadFolder(dir);
    expect(store.list().map((s) => s.id)).toEqual(['greet']);
    expect(store.diagnostics().map(String)).toEqual([`${join(dir, 'broken.xml')}:1:28: error: <end> needs the attribute 'outcome'`]);
    store.dispose();
  });

  it('loads the fixture folder with its subscripts', () => {
    const store = ScriptStore.loadFolder(join(fixture('move-home.xml'), '..'));
    expect(store.list().map((s) => `${s.id}@${s.latest}`)).toEqual(expect.arrayContaining(['fault-report@1', 'move-home@2']));
    expect(store.get('move-home')?.bundle.scripts.has('address')).toBe(true);
    store.dispose();
  });

  it('throws a coded error for a folder that cannot be read', () => {
    expect(() => ScriptStore.loadFolder(join(dir, 'nope'))).toThrow(expect.objectContaining({ code: 'CARUSO_DIALOGUE_SCRIPT_FOLDER' }));
  });

  it('reloads a changed file and keeps the previous version when the new text has errors', async () => {
    writeFileSync(join(dir, 'greet.xml'), versionedScript('1', 'Hi'));
    const store = ScriptStore.loadFolder(dir, { watch: true });
    const next = (): Promise<ScriptChange> =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no change seen within 5 s')), 5000);
        const sub = store.onDidChange((c) => {
          clearTimeout(timer);
          sub.dispose();
          resolve(c);
        });
      });
    let seen = next();
    writeFileSync(join(dir, 'greet.xml'), versionedScript('2', 'Hey'));
    expect(await seen).toMatchObject({ type: 'published', script: 'greet', version: '2' });
    seen = next();
    writeFileSync(join(dir, 'greet.xml'), versionedScript('3', 'Yo').replace('target="bye"/>\n  </question>\n  <end', 'target="gone"/>\n  </question>\n  <end'));
    const rejected = await seen;
    expect(rejected.type).toBe('rejected');
    expect(rejected.diagnostics.map(String).join('\n')).toMatch(/target="gone" names no node/);
    expect(store.list()[0]).toMatchObject({ latest: '2', versions: ['1', '2'] });
    store.dispose();
  });
});

describe('DialogueEngine on SQLite: persistence and resume across a restart', () => {
  async function open(file: string): Promise<{ storage: StorageManager; sessions: SessionStore }> {
    const storage = await createStorage(`sqlite:${file}`);
    const sessions = new StorageSessionStore(storage);
    await sessions.migrate();
    return { storage, sessions };
  }

  it('persists every step and resumes on the pinned version after the database is closed and reopened', async () => {
    const db = join(dir, 'crm.db');
    let { storage, sessions } = await open(db);
    let scripts = storeWith(['1', 'Hello']);
    let engine = createDialogueEngine({ scripts, sessions, services: new RecordingServices() });
    await engine.startSession('greet', { channel: 'agent', sessionId: 'call-1' });
    await engine.answer('call-1', 'Ann');
    await storage.close();
    scripts.dispose();

    // restart: only version 2 is in the folder now
    ({ storage, sessions } = await open(db));
    scripts = storeWith(['2', 'Welcome']);
    engine = createDialogueEngine({ scripts, sessions, services: new RecordingServices() });
    const resumed = await engine.resume('call-1');
    expect(resumed).toMatchObject({ version: '1', revision: 2, step: { node: 'color', prompt: 'Favourite colour, Ann?' } });
    const back = await engine.back('call-1');
    expect(back.step.prompt).toBe('Hello, what is your name?');
    await engine.answer('call-1', 'Bo');
    expect((await engine.answer('call-1', 'red')).step.outcome).toBe('greeted-v1');
    expect(await sessions.listActive()).toEqual([]);
    await engine.startSession('greet', { channel: 'web', sessionId: 'web-2' });
    expect(await sessions.listActive()).toEqual(['web-2']);
    expect(await code(sessions.save({ ...(await engine.state('web-2')) }, 99))).toBe('CARUSO_DIALOGUE_SESSION_CONFLICT');
    await sessions.delete('web-2');
    expect(await sessions.load('web-2')).toBeUndefined();
    await storage.close();
    scripts.dispose();
  });

  it('changes nothing when an answer fails', async () => {
    const { storage, sessions } = await open(join(dir, 'x.db'));
    const scripts = new ScriptStore();
    scripts.publish(join(dir, 'a.xml'), `<script id="a" version="1"><question id="q" type="text"><prompt>Q</prompt><next target="e"><action service="erp.Orders" operation="cancel"/></next></question><end id="e" outcome="o"/></script>`);
    const engine = createDialogueEngine({
      scripts,
      sessions,
      services: { fetch: () => null, action: () => Promise.reject(new Error('down')) },
    });
    await engine.startSession('a', { channel: 'agent', sessionId: 'f' });
    const before = await sessions.load('f');
    expect(await code(engine.answer('f', 'x'))).toBe('CARUSO_DIALOGUE_SERVICE_FAILED');
    expect(await sessions.load('f')).toEqual(before);
    await storage.close();
    scripts.dispose();
  });
});
