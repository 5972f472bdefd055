import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { requireOrSkip } from '@caruso/kernel/testing';
import { commsService } from '@caruso/comms';
import { readAssembly } from '../src/assembly/assembly-file.js';
import { supervisorPhones, toRecordingSettings } from '../src/assembly/assembly-runtime.js';

const dtd = fileURLToPath(new URL('../../../dtd/assembly.dtd', import.meta.url));

function write(dir: string, comms: string, users = ''): string {
  const file = join(dir, 'recording.assembly.xml');
  writeFileSync(file, `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE assembly SYSTEM "${dtd}">
<assembly name="recording">
  <comms>
${comms}
  </comms>
${users}
</assembly>
`);
  return file;
}

describe('<recording> and <user phone> in the assembly', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'caruso-assembly-rec-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads the recording folder, channels, retention, announcements per language and what is recorded into the server’s options', () => {
    const file = write(
      dir,
      `    <queue id="sales" record="true"/>
    <queue id="support"/>
    <agent id="anna" queues="support" record="true"/>
    <agent id="bram" queues="sales"/>
    <recording folder="recordings" channels="2" retention-days="90" announcement="This call is recorded." lang="en">
      <announcement lang="nl" text="Dit gesprek wordt opgenomen."/>
    </recording>`,
      `  <user name="sue" role="supervisor" phone="sip:sue@10.0.0.7"/>
  <user name="tom" role="supervisor"/>`,
    );
    const { assembly, diagnostics } = readAssembly(file, {});
    expect(diagnostics.map(String)).toEqual([]);
    const settings = toRecordingSettings(assembly!.recording!);
    expect(settings).toEqual({
      folder: join(dir, 'recordings'),
      channels: 2,
      retentionDays: 90,
      announcement: { en: 'This call is recorded.', nl: 'Dit gesprek wordt opgenomen.' },
      language: 'en',
      queues: ['sales'],
      agents: ['anna'],
      campaigns: [],
    });
    expect(supervisorPhones(assembly!)).toEqual({ sue: 'sip:sue@10.0.0.7' });
    // The communication server takes them as they are.
    expect(() => commsService({ queues: [{ id: 'sales' }, { id: 'support' }], recording: settings, monitoring: { phones: supervisorPhones(assembly!)! } })).not.toThrow();
    const xmllint = requireOrSkip('xmllint', spawnSync('xmllint', ['--version']).status === 0);
    expect(xmllint ? spawnSync('xmllint', ['--noout', '--dtdvalid', dtd, file], { encoding: 'utf8' }).stderr : '').toBe('');
  });

  it('one announcement without languages, channels 1 by default, and no retention', () => {
    const file = write(dir, `    <queue id="sales" record="true"/>
    <recording folder="/var/rec" announcement=""/>`);
    const { assembly, diagnostics } = readAssembly(file, {});
    expect(diagnostics.map(String)).toEqual([]);
    expect(toRecordingSettings(assembly!.recording!)).toEqual({ folder: '/var/rec', channels: 1, announcement: '', queues: ['sales'], agents: [], campaigns: [] });
  });

  it('reports bad values as file:line:col and reads nothing', () => {
    const file = write(
      dir,
      `    <queue id="sales" record="yes"/>
    <agent id="anna" queues="sales" record="true"/>
    <recording folder="rec" channels="3" retention-days="0.5" announcement="Recorded." lang="english">
      <announcement lang="nl" text=" "/>
      <announcement lang="nl" text="Opgenomen."/>
    </recording>`,
      '  <user name="sue" role="supervisor" phone="my phone"/>',
    );
    const { assembly, diagnostics } = readAssembly(file, {});
    expect(assembly).toBeUndefined();
    expect(diagnostics.map(String).map((l) => l.replace(file, 'a.xml'))).toEqual([
      "a.xml:5:23: error: record must be one of true, false, got 'yes'",
      "a.xml:7:29: error: channels must be one of 1, 2, got '3'",
      "a.xml:7:42: error: retention-days must be a whole number of at least 1, got '0.5'",
      "a.xml:7:88: error: lang must be a language tag such as en or nl-BE, got 'english'",
      'a.xml:8:31: error: text must say something, in at most 500 characters',
      "a.xml:9:21: error: the announcement in 'nl' is given twice",
      "a.xml:12:38: error: phone must be the user's SIP phone (a registered user, a sip: URI or a number), got 'my phone'",
    ]);
  });

  it('speaks the built-in announcements only in their languages: another language needs its own text', () => {
    // nl and nl-BE have built-in sentences (the recording's and the queue's position and wait).
    let file = write(dir, `    <queue id="sales" record="true"><announce lang="nl-BE"/></queue>
    <recording folder="rec" lang="nl"/>`);
    let r = readAssembly(file, {});
    expect(r.diagnostics.map(String)).toEqual([]);
    // French has none: without a text, both are errors at their lang.
    file = write(dir, `    <queue id="sales" record="true"><announce lang="fr"/></queue>
    <recording folder="rec" lang="fr"/>`);
    r = readAssembly(file, {});
    expect(r.assembly).toBeUndefined();
    expect(r.diagnostics.map(String).map((l) => l.replace(file, 'a.xml'))).toEqual([
      "a.xml:5:47: error: there are no built-in announcement sentences in 'fr' (only en, nl): give them in text=\"…\" with {position} and {minutes}",
      "a.xml:6:29: error: there is no built-in recording announcement in 'fr' (only en, nl): give it in announcement=\"…\"",
    ]);
    // With texts of their own, French is fine.
    file = write(dir, `    <queue id="sales" record="true"><announce lang="fr" text="Vous êtes le numéro {position}."/></queue>
    <recording folder="rec" lang="fr" announcement="Cet appel est enregistré."/>`);
    expect(readAssembly(file, {}).diagnostics.map(String)).toEqual([]);
  });

  it('refuses record="true" without <recording>, and warns of a <recording> that records nothing', () => {
    let file = write(dir, '    <queue id="sales" record="true"/>');
    let r = readAssembly(file, {});
    expect(r.assembly).toBeUndefined();
    expect(r.diagnostics.map(String).map((l) => l.replace(file, 'a.xml'))).toEqual(['a.xml:5:23: error: record="true" needs <recording folder="…"> inside <comms>: where the recordings are written']);
    file = write(dir, `    <queue id="sales"/>
    <recording folder="rec"/>`);
    r = readAssembly(file, {});
    expect(r.assembly?.recording).toMatchObject({ queues: [], agents: [], campaigns: [] });
    expect(r.diagnostics.map(String).map((l) => l.replace(file, 'a.xml'))).toEqual(['a.xml:6:5: warning: nothing is recorded: mark queues, agents or campaigns with record="true"']);
  });
});
