import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createToken } from '@caruso/kernel';
import { requireOrSkip } from '@caruso/kernel/testing';
import { BusinessObjects } from '@caruso/objects';
import { DialogueEngine } from '@caruso/dialogue';
import { CommunicationServer, SimulatedTelephony, systemClock } from '@caruso/comms';
import { Monitor } from '@caruso/monitor';
import { ASSEMBLY_ELEMENTS, readAssembly } from '../src/assembly/assembly-file.js';
import { AssemblyStartError, startAssembly, toAgentConfigs, toEntryPoints, toQueueConfigs, toSipOptions } from '../src/assembly/assembly-runtime.js';
import { main } from '../src/main.js';
import { bufferIO } from './io.js';

const fixtures = fileURLToPath(new URL('./fixtures/assembly/', import.meta.url));
const dtd = fileURLToPath(new URL('../../../dtd/assembly.dtd', import.meta.url));

function copyFixtures(): string {
  const dir = mkdtempSync(join(tmpdir(), 'caruso-assembly-'));
  cpSync(fixtures, dir, { recursive: true });
  return dir;
}

describe('the assembly file', () => {
  it('reads a valid assembly, resolving paths and applying environment overrides', () => {
    const { assembly, diagnostics } = readAssembly(join(fixtures, 'crm.assembly.xml'), { TEST_GREETING: 'Goedemorgen', PORT: '9090' });
    expect(diagnostics.map(String)).toEqual([]);
    expect(assembly).toMatchObject({
      name: 'test-crm',
      lang: 'nl',
      description: 'A small assembly for the tests.',
      storageUrl: 'sqlite:./data/crm.db',
      model: { src: join(fixtures, 'model/crm.model.xml'), schema: 'migrate' },
      scripts: { folder: join(fixtures, 'scripts'), watch: false },
      manager: { host: '127.0.0.1', port: 0 },
      http: { port: 9090 },
    });
    expect(assembly!.agents[0]).toEqual({ id: 'anna', skills: { nl: 5, billing: 3 }, queues: [{ queueId: 'general', level: 1 }, { queueId: 'billing', level: 2 }], chats: 3, attributes: {} });
    expect(assembly!.services[0]).toMatchObject({ token: 'test.Greeting', export: 'greetingService', config: { greeting: 'Goedemorgen', language: 'nl' } });
    expect(toQueueConfigs(assembly!)).toEqual([
      { id: 'general', strategy: 'longest-idle', maxWaitMs: 600_000, wrapUpMs: 30_000, ringTimeoutMs: 20_000, overflow: [{ afterMs: 120_000, action: 'move', queueId: 'billing' }] },
      { id: 'billing', strategy: 'round-robin', requiredSkills: [{ skill: 'nl', minLevel: 2 }], overflow: [{ afterMs: 60_000, action: 'widen-skills' }] },
    ]);
  });

  it('lets CARUSO_DB_URL override the storage URL', () => {
    const { assembly } = readAssembly(join(fixtures, 'crm.assembly.xml'), { TEST_GREETING: 'x', CARUSO_DB_URL: 'postgres://u@127.0.0.1:5432/crm' });
    expect(assembly!.storageUrl).toBe('postgres://u@127.0.0.1:5432/crm');
  });

  it('reports every problem as file:line:col and reads nothing', () => {
    const file = join(fixtures, 'broken.assembly.xml');
    const { assembly, diagnostics } = readAssembly(file, {});
    expect(assembly).toBeUndefined();
    const lines = diagnostics.map(String).map((l) => l.replace(file, 'broken.assembly.xml'));
    expect(lines).toEqual([
      'broken.assembly.xml:3:12: error: the storage URL must start with sqlite: or postgres:// (got a URL of another kind)',
      'broken.assembly.xml:4:10: error: file model/missing.model.xml does not exist (relative to the assembly file)',
      "broken.assembly.xml:6:25: error: strategy must be one of ring-all, longest-idle, least-recent, fewest-contacts, round-robin, random, linear, weighted-random, got 'fastest'",
      "broken.assembly.xml:6:44: error: wrap-up must be a number of at least 0, got 'soon'",
      'broken.assembly.xml:7:7: error: an overflow with action="move" needs target="<queue id>"',
      "broken.assembly.xml:9:22: error: unknown queue 'sales' in queues; known: general",
      'broken.assembly.xml:10:5: error: <frobnicate> is not allowed inside <comms>; allowed: queue, agent, ivr, email, chat, campaign, interactions, recording',
      "broken.assembly.xml:13:27: error: the environment variable UNSET_SECRET_FOR_TEST is not set (configuration 'secret' of test.Greeting)",
      "broken.assembly.xml:15:22: error: role must be one of administrator, supervisor, agent, got 'root'",
    ]);
  });

  it('reports a file that is not XML, or not an assembly', () => {
    const dir = mkdtempSync(join(tmpdir(), 'caruso-assembly-'));
    try {
      const bad = join(dir, 'a.xml');
      writeFileSync(bad, '<assembly name="x">\n  <storage>\n</assembly>');
      expect(String(readAssembly(bad).diagnostics[0])).toMatch(/a\.xml:\d+:\d+: error: XML is not well-formed/);
      writeFileSync(bad, '<model name="x"/>');
      expect(String(readAssembly(bad).diagnostics[0])).toMatch(/a\.xml:1:1: error: the root element must be <assembly>/);
      expect(String(readAssembly(join(dir, 'missing.xml')).diagnostics[0])).toMatch(/cannot read the assembly file: ENOENT/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('describes exactly the elements and attributes of dtd/assembly.dtd', () => {
    const text = readFileSync(dtd, 'utf8').replace(/<!--[\s\S]*?-->/g, '');
    const elements = [...text.matchAll(/<!ELEMENT\s+(\S+)/g)].map((m) => m[1]);
    expect(elements.sort()).toEqual(Object.keys(ASSEMBLY_ELEMENTS).sort());
    for (const m of text.matchAll(/<!ATTLIST\s+(\S+)([^>]*)>/g)) {
      const attrs = [...(m[2] as string).matchAll(/^\s*([\w:-]+)\s+(?:CDATA|ID|IDREF|\([^)]*\))\s+(#REQUIRED|#IMPLIED|"[^"]*")/gm)].map((a) => [a[1], a[2] === '#REQUIRED' ? 'required' : 'optional']);
      expect(Object.fromEntries(attrs)).toEqual(ASSEMBLY_ELEMENTS[m[1] as string]!.attributes);
    }
  });

  it('validates the fixtures against the DTD with xmllint', () => {
    const has = spawnSync('xmllint', ['--version']).status === 0;
    if (!requireOrSkip('xmllint', has)) return;
    const r = spawnSync('xmllint', ['--noout', '--dtdvalid', dtd, join(fixtures, 'crm.assembly.xml')], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});

describe('the <sip> element', () => {
  const write = (dir: string, sip: string, ivr = '<ivr number="+31300000000" script="main" queue="general"/>'): string => {
    const file = join(dir, 'sip.assembly.xml');
    writeFileSync(file, `<?xml version="1.0" encoding="UTF-8"?>
<assembly name="sip">
  ${sip}
  <comms>
    <queue id="general"/>
    <agent id="anna" queues="general"/>
    <agent id="bob" queues="general" endpoint="sip:bob@10.0.0.9"/>
    ${ivr}
  </comms>
</assembly>
`);
    return file;
  };

  it('reads phones and trunks with their secrets from the environment, and makes them the SIP adapter’s options', () => {
    const dir = mkdtempSync(join(tmpdir(), 'caruso-assembly-'));
    try {
      writeFileSync(join(dir, 'hold.wav'), 'RIFF');
      const file = write(dir, `<sip host="0.0.0.0" port="5070" advertised-host="203.0.113.10" rtp-ports="20000-20998" ivr="welcome" hold-music="hold.wav" inbound="known">
    <trunk name="provider" host="sip.example.net" transport="tcp" register="true" username="31201234567" password-env="TRUNK_PASSWORD"/>
    <trunk name="pbx" host="10.0.0.2" port="5080" username-env="PBX_USER" password-env="PBX_PASSWORD"/>
    <phone user="anna" password-env="ANNA_SIP_PASSWORD" agent="anna"/>
    <phone user="desk7" password-env="DESK7_SIP_PASSWORD"/>
  </sip>`);
      const env = { TRUNK_PASSWORD: 't-secret', PBX_USER: 'caruso', PBX_PASSWORD: 'p-secret', ANNA_SIP_PASSWORD: 'a-secret', DESK7_SIP_PASSWORD: 'd-secret' };
      const { assembly, diagnostics } = readAssembly(file, env);
      expect(diagnostics.map(String)).toEqual([]);
      expect(assembly!.sip).toEqual({
        host: '0.0.0.0', port: 5070, advertisedHost: '203.0.113.10', rtpPorts: { min: 20000, max: 20998 }, ivr: 'welcome', inbound: 'known', holdMusic: join(dir, 'hold.wav'),
        trunks: [
          { id: 'provider', host: 'sip.example.net', transport: 'tcp', register: true, username: '31201234567', password: 't-secret', assertedIdentity: 'none', privacy: 'none' },
          { id: 'pbx', host: '10.0.0.2', port: 5080, transport: 'udp', register: false, username: 'caruso', password: 'p-secret', assertedIdentity: 'none', privacy: 'none' },
        ],
        phones: [{ user: 'anna', password: 'a-secret', agent: 'anna' }, { user: 'desk7', password: 'd-secret' }],
      });
      // SIP_PORT overrides the file.
      expect(readAssembly(file, { ...env, SIP_PORT: '5099' }).assembly!.sip!.port).toBe(5099);
      const options = toSipOptions(assembly!, {});
      expect(options).toMatchObject({
        host: '0.0.0.0', port: 5070, advertisedHost: '203.0.113.10', rtpPorts: { min: 20000, max: 20998 },
        recordingDir: join(dir, 'data', 'recordings'),
        holdMusic: join(dir, 'hold.wav'),
        inbound: 'known',
        users: [{ username: 'anna', password: 'a-secret' }, { username: 'desk7', password: 'd-secret' }],
      });
      expect(options.trunks![0]).toEqual({ id: 'provider', host: 'sip.example.net', transport: 'tcp', register: true, username: '31201234567', password: 't-secret', assertedIdentity: 'none', privacy: 'none' });
      // Anna's calls ring her phone; Bob keeps the endpoint he names.
      expect(toAgentConfigs(assembly!).map((a) => a.endpoint)).toEqual(['agent:anna', 'sip:bob@10.0.0.9']);
      // The <ivr> of the main number stays; every other number gets the <sip ivr> script.
      expect(toEntryPoints(assembly!)).toEqual([
        { number: '+31300000000', queueId: 'general', script: 'main' },
        { queueId: 'general', script: 'welcome' },
      ]);
      if (!requireOrSkip('xmllint', spawnSync('xmllint', ['--version']).status === 0)) return;
      const r = spawnSync('xmllint', ['--noout', '--dtdvalid', dtd, file], { encoding: 'utf8' });
      expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads a trunk’s identity, auth user, outbound proxy and ringing time (a carrier, a 3CX), and refuses bad ones', () => {
    const dir = mkdtempSync(join(tmpdir(), 'caruso-assembly-'));
    try {
      const file = write(dir, `<sip ring-ms="1500">
    <trunk name="carrier" host="sip.carrier.example" register="true" register-expires="600" username="31201234567" password-env="TRUNK_PASSWORD" domain="carrier.example" from-user="+31201234567" asserted-identity="pai" privacy="id" outbound-proxy="sip:sbc.carrier.example:5060;transport=udp"/>
    <trunk name="3cx" host="pbx.company.example" username="100" auth-username-env="CX_AUTH_ID" password-env="CX_PASSWORD"/>
  </sip>`);
      const { assembly, diagnostics } = readAssembly(file, { TRUNK_PASSWORD: 't', CX_AUTH_ID: 'Xk29Lq', CX_PASSWORD: 'c' });
      expect(diagnostics.map(String)).toEqual([]);
      expect(assembly!.sip!.ringMs).toBe(1500);
      const options = toSipOptions(assembly!, {});
      expect(options).toMatchObject({ ringMs: 1500 });
      expect(options.trunks).toEqual([
        { id: 'carrier', host: 'sip.carrier.example', transport: 'udp', register: true, username: '31201234567', password: 't', assertedIdentity: 'pai', privacy: 'id', domain: 'carrier.example', fromUser: '+31201234567', outboundProxy: 'sip:sbc.carrier.example:5060;transport=udp', registerExpiresSec: 600 },
        { id: '3cx', host: 'pbx.company.example', transport: 'udp', register: false, username: '100', password: 'c', assertedIdentity: 'none', privacy: 'none', authUsername: 'Xk29Lq' },
      ]);
      const good = join(dir, 'carrier.assembly.xml');
      writeFileSync(good, readFileSync(file));
      const bad = write(dir, `<sip ring-ms="-1">
    <trunk name="t" host="h" asserted-identity="p-asserted" privacy="full" outbound-proxy="sip:user@proxy" from-user="a b" auth-username="x" auth-username-env="X" register-expires="10"/>
  </sip>`);
      const lines = readAssembly(bad, { X: 'x' }).diagnostics.map(String).map((l) => l.replace(bad, 'sip.assembly.xml').replace(/:\d+:\d+:/, ':L:C:'));
      expect(lines).toEqual(expect.arrayContaining([
        "sip.assembly.xml:L:C: error: asserted-identity must be one of none, pai, rpid, got 'p-asserted'",
        "sip.assembly.xml:L:C: error: privacy must be one of none, id, got 'full'",
        "sip.assembly.xml:L:C: error: outbound-proxy must be a SIP URI without a user, such as sip:proxy.example.net:5060;transport=udp, got 'sip:user@proxy'",
        "sip.assembly.xml:L:C: error: from-user must be a SIP user (letters, digits, + * # . _ -), got 'a b'",
        'sip.assembly.xml:L:C: error: <trunk name="t"> takes auth-username or auth-username-env, not both',
      ]));
      expect(lines.some((l) => l.includes('register-expires'))).toBe(true);
      expect(lines.some((l) => l.includes('ring-ms'))).toBe(true);
      if (!requireOrSkip('xmllint', spawnSync('xmllint', ['--version']).status === 0)) return;
      const r = spawnSync('xmllint', ['--noout', '--dtdvalid', dtd, good], { encoding: 'utf8' });
      expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('takes the phones from CARUSO_SIP_USERS when <sip> lists none, and keeps an <ivr number="*"> over <sip ivr>', () => {
    const dir = mkdtempSync(join(tmpdir(), 'caruso-assembly-'));
    try {
      const file = write(dir, '<sip ivr="welcome"/>', '<ivr number="*" script="main"/>');
      const { assembly, diagnostics } = readAssembly(file, {});
      expect(diagnostics.map(String)).toEqual([]);
      expect(assembly!.sip).toMatchObject({ host: '127.0.0.1', port: 5060, trunks: [], phones: [] });
      expect(toSipOptions(assembly!, { CARUSO_SIP_USERS: 'anna:x1,bob:x2' }).users).toEqual([{ username: 'anna', password: 'x1' }, { username: 'bob', password: 'x2' }]);
      expect(toEntryPoints(assembly!)).toEqual([{ queueId: 'general', script: 'main' }]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports a missing secret, a registering trunk without a user, a bad port range, duplicates and unknown agents', () => {
    const dir = mkdtempSync(join(tmpdir(), 'caruso-assembly-'));
    try {
      const file = write(dir, `<sip rtp-ports="30000-100">
    <trunk name="provider" host="sip.example.net" register="true" password-env="TRUNK_PASSWORD"/>
    <trunk name="provider" host="sip.example.org" transport="sctp" username="u" username-env="U"/>
    <phone user="anna" password-env="UNSET_PHONE_PASSWORD" agent="carl"/>
    <phone user="anna" password-env="lower_case"/>
  </sip>`);
      const { assembly, diagnostics } = readAssembly(file, { TRUNK_PASSWORD: 'x', U: 'u' });
      expect(assembly).toBeUndefined();
      const lines = diagnostics.map(String).map((l) => l.replace(file, 'sip.assembly.xml').replace(/:\d+:\d+:/, ':L:C:'));
      expect(lines).toEqual([
        "sip.assembly.xml:L:C: error: rtp-ports must be a range of UDP ports such as 20000-29998 (from 1024 up to 65535), got '30000-100'",
        'sip.assembly.xml:L:C: error: a trunk that registers needs username or username-env',
        'sip.assembly.xml:L:C: error: <trunk name="provider"> takes username or username-env, not both',
        "sip.assembly.xml:L:C: error: duplicate trunk 'provider'",
        "sip.assembly.xml:L:C: error: transport must be one of udp, tcp, got 'sctp'",
        'sip.assembly.xml:L:C: error: the environment variable UNSET_PHONE_PASSWORD is not set (password of phone anna)',
        "sip.assembly.xml:L:C: error: unknown agent 'carl'; known: anna, bob",
        "sip.assembly.xml:L:C: error: duplicate phone 'anna'",
        "sip.assembly.xml:L:C: error: password-env names an environment variable (e.g. BILLING_PASSWORD), got 'lower_case'",
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the <monitor> element', () => {
  const write = (dir: string, monitor: string): string => {
    const file = join(dir, 'monitor.assembly.xml');
    writeFileSync(file, `<?xml version="1.0" encoding="UTF-8"?>
<assembly name="monitor">
  <storage url="sqlite:${join(dir, 'crm.db')}"/>
  <manager port="0"/>
  <http port="0"/>
  <comms>
    <queue id="general"/>
    <agent id="anna" queues="general"/>
  </comms>
  <monitor>
    ${monitor}
  </monitor>
</assembly>
`);
    return file;
  };
  const byChannel = { name: 'by-channel', source: 'contacts', groupBy: ['channel'], columns: ['offered', 'abandoned'] };

  it('reads the report definitions of <reports folder> and the daily report files of <daily-reports>, and the monitor runs and writes them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'caruso-assembly-'));
    try {
      mkdirSync(join(dir, 'reports'));
      writeFileSync(join(dir, 'reports', 'channels.json'), JSON.stringify(byChannel));
      writeFileSync(join(dir, 'reports', 'notes.txt'), 'not a definition');
      const file = write(dir, '<reports folder="reports"/>\n    <daily-reports folder="out/daily" at="06:30"/>');
      const { assembly, diagnostics } = readAssembly(file, {});
      expect(diagnostics.map(String)).toEqual([]);
      expect(assembly!.reportDefinitions.map((d) => d.name)).toEqual(['by-channel']);
      expect(assembly!.dailyReports).toEqual({ folder: join(dir, 'out', 'daily'), at: '06:30' });
      const running = await startAssembly(assembly!, { env: {} });
      try {
        expect(running.notStarted).toEqual([]);
        const monitor = running.manager.get(Monitor);
        expect(monitor.reportNames()).toContain('by-channel');
        expect(monitor.reportDefinition('by-channel')).toMatchObject(byChannel);
        expect(() => monitor.reportDefinition('no-such-report')).toThrow(expect.objectContaining({ code: 'CARUSO_MONITOR_UNKNOWN_REPORT' }));
        const result = await monitor.report('by-channel', { from: Date.UTC(2025, 0, 6), to: Date.UTC(2025, 0, 7) });
        expect(result.rows).toEqual([]);
        const written = await monitor.writeDailyReports('2025-01-06');
        expect(written.folder).toBe(join(dir, 'out', 'daily', '2025-01-06'));
        expect(existsSync(join(written.folder, 'index.html'))).toBe(true);
        expect(existsSync(join(written.folder, 'inbound.csv'))).toBe(true);
      } finally {
        await running.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('is valid against the DTD with xmllint', () => {
    if (!requireOrSkip('xmllint', spawnSync('xmllint', ['--version']).status === 0)) return;
    const dir = mkdtempSync(join(tmpdir(), 'caruso-assembly-'));
    try {
      const file = write(dir, '<reports folder="reports"/>\n    <daily-reports folder="out/daily" at="06:30"/>');
      const r = spawnSync('xmllint', ['--noout', '--dtdvalid', dtd, file], { encoding: 'utf8' });
      expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports a bad definition file, a name defined twice and a bad time as file:line:col', () => {
    const dir = mkdtempSync(join(tmpdir(), 'caruso-assembly-'));
    try {
      mkdirSync(join(dir, 'reports'));
      writeFileSync(join(dir, 'reports', 'a.json'), JSON.stringify([byChannel]));
      writeFileSync(join(dir, 'reports', 'b.json'), JSON.stringify(byChannel));
      writeFileSync(join(dir, 'reports', 'c.json'), '{ not json');
      writeFileSync(join(dir, 'reports', 'd.json'), JSON.stringify({ name: 'x', source: 'nowhere', columns: [] }));
      const file = write(dir, '<reports folder="reports"/>\n    <daily-reports folder="out" at="25:00"/>');
      const { assembly, diagnostics } = readAssembly(file, {});
      expect(assembly).toBeUndefined();
      const lines = diagnostics.map(String).map((l) => l.replace(file, 'monitor.assembly.xml').replace(/:\d+:\d+:/, ':L:C:'));
      expect(lines).toHaveLength(4);
      expect(lines[0]).toBe('monitor.assembly.xml:L:C: error: b.json: report by-channel is defined twice in the reports folder');
      expect(lines[1]).toMatch(/^monitor\.assembly\.xml:L:C: error: c\.json: .*JSON/);
      expect(lines[2]).toMatch(/^monitor\.assembly\.xml:L:C: error: d\.json: report definition x: /);
      expect(lines[3]).toMatch(/^monitor\.assembly\.xml:L:C: error: monitor options: reports: at must be HH:MM \(24 h\), got "25:00"/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('routing, announcements and interaction records in <comms>', () => {
  const write = (dir: string, comms: string): string => {
    const file = join(dir, 'routing.assembly.xml');
    writeFileSync(file, `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE assembly SYSTEM "${dtd}">
<assembly name="routing">
  <storage url="sqlite:${join(dir, 'crm.db')}"/>
  <model src="${join(fixtures, 'model', 'crm.model.xml')}"/>
  <manager port="0"/>
  <http port="0"/>
  <comms>
${comms}
  </comms>
</assembly>
`);
    return file;
  };
  const comms = `    <queue id="dutch" agent-expression="contains(languages, 'nl') and seniority &gt;= 2">
      <announce every="30" wait="false" lang="nl" text="U bent nummer {position} in de wachtrij."/>
    </queue>
    <queue id="general"/>
    <queue id="sales"/>
    <queue id="vip"/>
    <agent id="bram" queues="dutch">
      <attribute name="languages" value="en" type="list"/>
      <attribute name="seniority" value="5" type="number"/>
    </agent>
    <agent id="anna" queues="dutch general" selectable="sales">
      <attribute name="languages" value="nl fr" type="list"/>
      <attribute name="seniority" value="3" type="number"/>
      <attribute name="site" value="Gent"/>
      <attribute name="mentor" value="true" type="boolean"/>
    </agent>
    <ivr number="+3120" queue="dutch"/>
    <interactions identify="Customer" phone-field="phone"/>`;

  it('reads agent-expression, <announce>, agent attributes, selectable queues and <interactions> into the server’s options', () => {
    const dir = mkdtempSync(join(tmpdir(), 'caruso-assembly-'));
    try {
      const file = write(dir, comms);
      const { assembly, diagnostics } = readAssembly(file, {});
      expect(diagnostics.map(String)).toEqual([]);
      expect(toQueueConfigs(assembly!)[0]).toEqual({
        id: 'dutch',
        strategy: 'longest-idle',
        agentExpression: "contains(languages, 'nl') and seniority >= 2",
        announce: { everyMs: 30_000, onEntry: true, position: true, expectedWait: false, text: 'U bent nummer {position} in de wachtrij.', language: 'nl' },
      });
      const anna = toAgentConfigs(assembly!).find((a) => a.id === 'anna');
      expect(anna).toMatchObject({ attributes: { languages: ['nl', 'fr'], seniority: 3, site: 'Gent', mentor: true }, selectableQueues: ['sales'] });
      expect(toAgentConfigs(assembly!).find((a) => a.id === 'bram')).not.toHaveProperty('selectableQueues');
      // customer-object defaults to the identify object.
      expect(assembly!.interactions).toEqual({ enabled: true, customerObject: 'Customer', identify: { object: 'Customer', phoneField: 'phone' } });
      const xmllint = requireOrSkip('xmllint', spawnSync('xmllint', ['--version']).status === 0);
      expect(xmllint ? spawnSync('xmllint', ['--noout', '--dtdvalid', dtd, file], { encoding: 'utf8' }).stderr : '').toBe('');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports a bad expression, announcement, attribute, selectable queue or identification as file:line:col', () => {
    const dir = mkdtempSync(join(tmpdir(), 'caruso-assembly-'));
    try {
      const file = write(
        dir,
        `    <queue id="dutch" agent-expression="contains(languages, 'nl') and">
      <announce every="0" position="false" wait="false" lang="dutch language"/>
    </queue>
    <agent id="anna" queues="dutch" selectable="dutch sales">
      <attribute name="seniority" value="senior" type="number"/>
      <attribute name="2fa" value="x"/>
      <attribute name="mentor" value="yes" type="boolean"/>
      <attribute name="site" value="x" type="place"/>
    </agent>
    <interactions identify="Customer"/>`,
      );
      const { assembly, diagnostics } = readAssembly(file, {});
      expect(assembly).toBeUndefined();
      const lines = diagnostics.map(String).map((l) => l.replace(file, 'a.xml'));
      expect(lines).toEqual([
        'a.xml:9:23: error: agent-expression at character 30: the expression ends too early: a value is missing',
        'a.xml:10:7: error: <announce> says neither the position nor the expected wait: give a text, or leave the queue without <announce>',
        "a.xml:10:17: error: every must be a number of at least 1, got '0'",
        "a.xml:10:57: error: lang must be a language tag such as en or nl-BE, got 'dutch language'",
        "a.xml:12:37: error: unknown queue 'sales' in selectable; known: dutch",
        "a.xml:13:35: error: value must be a number for type=\"number\", got 'senior'",
        "a.xml:14:18: error: an attribute name is a name the expressions can read (letters, digits, _), got '2fa'",
        "a.xml:15:32: error: value must be true or false for type=\"boolean\", got 'yes'",
        "a.xml:16:40: error: type must be one of text, number, boolean, list, got 'place'",
        'a.xml:18:19: error: identify needs phone-field, email-field or both: the fields holding the caller number and the e-mail address',
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('routes by the agent expression, announces the place in line, limits the queue choice and links the call to the customer', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'caruso-assembly-'));
    const telephony = new SimulatedTelephony(systemClock);
    const prompts: string[] = [];
    const heard = telephony.onDidPlayPrompt((p) => prompts.push('text' in p.prompt ? p.prompt.text : ''));
    try {
      const { assembly } = readAssembly(write(dir, comms), {});
      const running = await startAssembly(assembly!, { env: {}, telephony });
      try {
        const server = running.manager.get(CommunicationServer);
        const objects = running.manager.get(BusinessObjects);
        const customer = (await objects.repository('Customer').create({ name: 'J. Jansen', phone: '0201234567' })) as { id: unknown };
        expect(server.agentQueues('anna').allowed).toEqual(['dutch', 'general', 'sales']);
        await expect(server.setAgentQueues('anna', [{ queue: 'vip' }])).rejects.toMatchObject({ code: expect.stringMatching(/^CARUSO_COMMS_/) });
        expect(server.agentQueues('bram').allowed).toEqual(['dutch', 'general', 'sales', 'vip']);

        const call = telephony.placeInboundCall({ from: '0201234567', to: '+3120', talkMs: 50 });
        for (let i = 0; i < 100 && prompts.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
        expect(prompts).toEqual(['U bent nummer 1 in de wachtrij.']);
        // Bram has been ready longest, but speaks no Dutch: the call is offered to Anna.
        await server.ready('bram');
        await new Promise((r) => setTimeout(r, 20));
        await server.ready('anna');
        for (let i = 0; i < 100 && server.pendingOffers().length === 0; i++) await new Promise((r) => setTimeout(r, 10));
        expect(server.pendingOffers().map((o) => [o.agentId, o.contactId])).toEqual([['anna', call]]);
        expect(server.agent('bram').state).toBe('ready');

        let history = await server.history('Customer', String(customer.id));
        for (let i = 0; i < 200 && history.length === 0; i++) {
          await new Promise((r) => setTimeout(r, 20));
          history = await server.history('Customer', String(customer.id));
        }
        expect(history).toHaveLength(1);
        expect(history[0]).toMatchObject({ contactId: call, channel: 'call', address: '0201234567', customer: { object: 'Customer', id: String(customer.id) } });
      } finally {
        await running.stop();
      }
    } finally {
      heard.dispose();
      telephony.dispose();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('starting an assembly', () => {
  it('starts storage, business objects with migrated tables, scripts, queues and the assembly’s own services', async () => {
    const dir = copyFixtures();
    const { assembly } = readAssembly(join(dir, 'crm.assembly.xml'), { TEST_GREETING: 'Hallo', TEST_ADMIN_PASSWORD: 'admin-password-123' });
    const running = await startAssembly(assembly!, { env: {} });
    try {
      expect(running.services().map((s) => `${s.tokenId}:${s.state}`).sort()).toEqual([
        'caruso.comms.ContactEventLog:active',
        'caruso.comms.TelephonyAdapter:active',
        'caruso.comms:active',
        'caruso.dialogue.DialogueEngine:active',
        // The front office's role-based policy for business objects in desktop scripts.
        'caruso.dialogue.ObjectAccessPolicy:active',
        'caruso.frontoffice:active',
        'caruso.monitor:active',
        'caruso.objects:active',
        'caruso.storage:active',
        'test.Greeting:active',
      ]);
      expect(existsSync(join(dir, 'data', 'crm.db'))).toBe(true);
      const objects = running.manager.get(BusinessObjects);
      const created = (await objects.repository('Customer').create({ name: 'J. Jansen', phone: '0201234567' })) as { id: unknown };
      expect(created.id).toBeDefined();
      expect(running.manager.get(createToken<{ greet(n: string): string }>('test.Greeting'), { filter: '(language=nl)' }).greet('Anna')).toBe('Hallo, Anna');
      expect(running.manager.get(DialogueEngine)).toBeDefined();
      expect(running.manager.get(CommunicationServer)).toBeDefined();
      expect(running.generatedAccessToken).toMatch(/^[\w-]{20,}$/);
      // The front office serves the application, with the users created on first start.
      expect(running.frontOfficeUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(running.createdUsers).toEqual(['admin', 'anna']);
      expect(running.generatedPasswords.map((u) => u.name)).toEqual(['anna']);
      const login = await fetch(`${running.frontOfficeUrl}/api/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'admin', password: 'admin-password-123' }),
      });
      expect(login.status).toBe(200);
      expect(running.managerUrl).toMatch(/^ws:\/\/127\.0\.0\.1:\d+$/);
    } finally {
      await running.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);

  it('stops what it started and names the service that failed', async () => {
    const dir = copyFixtures();
    const text = readFileSync(join(dir, 'crm.assembly.xml'), 'utf8').replace('export="greetingService"', 'export="notAFunction"');
    writeFileSync(join(dir, 'crm.assembly.xml'), text);
    const { assembly } = readAssembly(join(dir, 'crm.assembly.xml'), { TEST_GREETING: 'Hallo' });
    let err: unknown;
    try {
      await startAssembly(assembly!, { env: {} });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AssemblyStartError);
    expect((err as Error).message).toContain("test.Greeting: ");
    expect((err as Error).message).toContain("has no exported function 'notAFunction'");
    rmSync(dir, { recursive: true, force: true });
  });

  it('caruso start <assembly> prints file:line:col errors and exits 1 for a bad file', async () => {
    const io = bufferIO({});
    expect(await main(['start', join(fixtures, 'broken.assembly.xml')], io)).toBe(1);
    expect(io.err()).toContain('broken.assembly.xml:3:12: error: the storage URL must start with sqlite:');
  });

  it('starts a service marked run="simulate" only with the simulate option, and says so without it', async () => {
    const dir = copyFixtures();
    const text = readFileSync(join(dir, 'crm.assembly.xml'), 'utf8').replace('export="greetingService"', 'export="greetingService" run="simulate"');
    writeFileSync(join(dir, 'crm.assembly.xml'), text);
    try {
      const { assembly } = readAssembly(join(dir, 'crm.assembly.xml'), { TEST_GREETING: 'Hallo' });
      expect(assembly!.services[0]).toMatchObject({ token: 'test.Greeting', run: 'simulate' });
      const quiet = await startAssembly(assembly!, { env: {} });
      try {
        expect(quiet.services().map((s) => s.tokenId)).not.toContain('test.Greeting');
        expect(quiet.notStarted).toEqual([]);
        expect(quiet.simulationOnly).toEqual(['test.Greeting']);
      } finally {
        await quiet.stop();
      }
      const simulated = await startAssembly(assembly!, { env: {}, simulate: true });
      try {
        expect(simulated.services().find((s) => s.tokenId === 'test.Greeting')).toMatchObject({ state: 'active' });
        expect(simulated.simulationOnly).toEqual([]);
      } finally {
        await simulated.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('caruso start <assembly> runs it until Ctrl-C', async () => {
    const built = fileURLToPath(new URL('../dist/main.js', import.meta.url));
    expect(existsSync(built)).toBe(true); // npm test builds before jest runs
    const dir = copyFixtures();
    const child = spawn(process.execPath, [fileURLToPath(new URL('../bin/caruso.js', import.meta.url)), 'start', join(dir, 'crm.assembly.xml')], {
      env: { ...process.env, TEST_GREETING: 'Hoi', CARUSO_LOG_LEVEL: 'silent', CARUSO_ACCESS_TOKEN: 'assembly-test-token-0123' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += String(d)));
    child.stderr.on('data', (d) => (err += String(d)));
    const exited = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    const deadline = Date.now() + 45_000;
    while (!out.includes('Press Ctrl-C')) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`did not start: ${out}\n${err}`);
      await new Promise((r) => setTimeout(r, 25));
    }
    expect(out).toContain("Caruso assembly 'test-crm' running.");
    expect(out).toContain('test.Greeting@1.0.0');
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(out).toContain('stopped.');
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);
});
