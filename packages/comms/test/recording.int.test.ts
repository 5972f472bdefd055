// Tones are multiples of 50 Hz, so a 20 ms frame holds whole cycles and frames join without a phase jump.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { forEachDatabase } from '@caruso/storage/testing';
import { CallRecorder, CallRecording, StorageRecordingStore, foldContacts, logRecordingChanges, parseContactEvent, readRecording, type ContactEventInput, type RecordingChange } from '@caruso/comms';
import { has, InMemoryContactEventLog, writeWav } from '@caruso/comms/testing';
import { requireOrSkip } from '@caruso/kernel/testing';

/** `ms` of a sine of `hz` at 8 kHz. */
function sine(hz: number, ms: number, level = 0.3): Int16Array {
  const out = new Int16Array(ms * 8);
  for (let i = 0; i < out.length; i++) out[i] = Math.round(Math.sin((2 * Math.PI * hz * i) / 8000) * level * 32767);
  return out;
}

/** Relative power of `hz` in a stretch (Goertzel), 0..~1. */
function power(samples: Int16Array, hz: number): number {
  const k = 2 * Math.cos((2 * Math.PI * hz) / 8000);
  let s1 = 0;
  let s2 = 0;
  let energy = 0;
  for (const x of samples) {
    const s0 = x / 32768 + k * s1 - s2;
    s2 = s1;
    s1 = s0;
    energy += (x / 32768) ** 2;
  }
  const p = s1 * s1 + s2 * s2 - k * s1 * s2;
  return energy === 0 ? 0 : p / (energy * samples.length / 2);
}

function rms(samples: Int16Array): number {
  let sum = 0;
  for (const x of samples) sum += x * x;
  return samples.length === 0 ? 0 : Math.sqrt(sum / samples.length);
}

/** Pushes `samples` in 20 ms frames, as RTP would deliver them. */
function feed(rec: { push(side: 'caller' | 'agent', s: Int16Array): void }, side: 'caller' | 'agent', samples: Int16Array): void {
  for (let i = 0; i < samples.length; i += 160) rec.push(side, samples.subarray(i, i + 160));
}

describe('CallRecording', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'caruso-rec-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('holds the tones each side sent, in order, mixed into one channel', async () => {
    const rec = await CallRecording.start({ file: join(dir, 'a.wav') });
    // 0-500 ms: the caller's 400 Hz while the agent is silent; 500-1000 ms: the agent's 1000 Hz.
    for (let t = 0; t < 1000; t += 20) {
      rec.push('caller', t < 500 ? sine(400, 20) : new Int16Array(160));
      rec.push('agent', t < 500 ? new Int16Array(160) : sine(1000, 20));
    }
    const summary = await rec.stop();
    expect(summary.durationMs).toBe(1000);
    const audio = await readRecording(join(dir, 'a.wav'));
    expect(audio.channels).toHaveLength(1);
    const first = audio.channels[0]!.subarray(800, 3200);
    const second = audio.channels[0]!.subarray(4800, 7200);
    expect(power(first, 400)).toBeGreaterThan(0.8);
    expect(power(first, 1000)).toBeLessThan(0.05);
    expect(power(second, 1000)).toBeGreaterThan(0.8);
    expect(power(second, 400)).toBeLessThan(0.05);
  });

  it('writes G.711 A-law WAV (8 KB a second a channel) that sox reads as such; older 16-bit recordings still read', async () => {
    const rec = await CallRecording.start({ file: join(dir, 'law.wav') });
    for (let t = 0; t < 1000; t += 20) {
      rec.push('caller', sine(400, 20));
      rec.push('agent', new Int16Array(160));
    }
    const summary = await rec.stop();
    // One byte a sample: 8,000 bytes for a second, plus the 58-byte header.
    expect(summary.bytes).toBe(8000);
    const file = readFileSync(join(dir, 'law.wav'));
    expect(file.length).toBe(58 + 8000);
    expect({ format: file.readUInt16LE(20), bits: file.readUInt16LE(34), sampleRate: file.readUInt32LE(24), byteRate: file.readUInt32LE(28), fact: file.toString('latin1', 38, 42), frames: file.readUInt32LE(46) }).toEqual({ format: 6, bits: 8, sampleRate: 8000, byteRate: 8000, fact: 'fact', frames: 8000 });
    // A file whose format chunk is cut short is refused with the coded error.
    writeFileSync(join(dir, 'short.wav'), file.subarray(0, 30));
    await expect(readRecording(join(dir, 'short.wav'))).rejects.toMatchObject({ code: 'CARUSO_COMMS_SIP_BAD_AUDIO' });
    const audio = await readRecording(join(dir, 'law.wav'));
    expect(power(audio.channels[0]!.subarray(800, 7200), 400)).toBeGreaterThan(0.8);
    // A recording written before (8 kHz 16-bit PCM, 44-byte header) is read as it was.
    writeWav(join(dir, 'old.wav'), Int16Array.from({ length: 800 }, (_, i) => (i % 2 === 0 ? 1000 : -1000)));
    const read = await readRecording(join(dir, 'old.wav'));
    expect({ ms: read.durationMs, first: read.channels[0]![0], second: read.channels[0]![1] }).toEqual({ ms: 100, first: 1000, second: -1000 });
  });

  if (requireOrSkip('sox', has('sox', ['--version']))) {
    it('is read by sox as 8-bit A-law of the length recorded', async () => {
      const rec = await CallRecording.start({ file: join(dir, 'sox.wav') });
      for (let t = 0; t < 1000; t += 20) rec.push('caller', sine(400, 20));
      await rec.stop();
      const info = execFileSync('soxi', [join(dir, 'sox.wav')], { encoding: 'utf8' });
      expect(info).toMatch(/Sample Encoding: 8-bit A-law/);
      expect(info).toMatch(/Duration\s*: 00:00:01\.00/);
    });
  }

  it('keeps the sides apart in two channels (caller left, agent right)', async () => {
    const rec = await CallRecording.start({ file: join(dir, 'b.wav'), channels: 2 });
    for (let t = 0; t < 400; t += 20) {
      rec.push('caller', sine(400, 20));
      rec.push('agent', sine(1000, 20));
    }
    await rec.stop();
    const audio = await readRecording(join(dir, 'b.wav'));
    expect(audio.channels).toHaveLength(2);
    expect(power(audio.channels[0]!, 400)).toBeGreaterThan(0.8);
    expect(power(audio.channels[0]!, 1000)).toBeLessThan(0.05);
    expect(power(audio.channels[1]!, 1000)).toBeGreaterThan(0.8);
  });

  it('writes a paused stretch as silence and keeps the timeline', async () => {
    let now = 0;
    const rec = await CallRecording.start({ file: join(dir, 'c.wav'), now: () => now });
    const step = (hz: number, ms: number) => {
      for (let t = 0; t < ms; t += 20) {
        rec.push('caller', sine(hz, 20));
        rec.push('agent', new Int16Array(160));
        now += 20;
      }
    };
    step(400, 300);
    rec.pause();
    step(700, 400); // the card number: never written
    rec.resume();
    step(400, 300);
    const summary = await rec.stop();
    expect(summary.pausedMs).toBe(400);
    expect(summary.durationMs).toBe(1000);
    const s = (await readRecording(join(dir, 'c.wav'))).channels[0]!;
    // 100 ms of jitter allowance either side of the pause: silence, A-law's smallest step (±8 of 32,768) at most.
    expect(rms(s.subarray(400 * 8, 600 * 8))).toBeLessThanOrEqual(8);
    expect(power(s.subarray(0, 240 * 8), 400)).toBeGreaterThan(0.8);
    expect(power(s.subarray(800 * 8, 1000 * 8), 400)).toBeGreaterThan(0.8);
    expect(power(s, 700)).toBeLessThan(0.01);
  });

  it('writes one side with silence for the other when that side sends nothing (hold, mute)', async () => {
    const rec = await CallRecording.start({ file: join(dir, 'd.wav') });
    feed(rec, 'caller', sine(400, 1000));
    const summary = await rec.stop();
    expect(summary.durationMs).toBe(1000);
    expect(power((await readRecording(join(dir, 'd.wav'))).channels[0]!, 400)).toBeGreaterThan(0.8);
  });

  it('never overwrites an existing file', async () => {
    const rec = await CallRecording.start({ file: join(dir, 'e.wav') });
    await rec.stop();
    await expect(CallRecording.start({ file: join(dir, 'e.wav') })).rejects.toThrow(/EEXIST/);
  });

  it('keeps what was recorded when the process is killed during the call', async () => {
    // A child process records 1.5 s with 200 ms blocks, says so, and is killed with SIGKILL.
    const moduleUrl = pathToFileURL(fileURLToPath(new URL('../dist/recording/call-recording.js', import.meta.url))).href;
    const file = join(dir, 'killed.wav');
    const code = `
      const { CallRecording } = await import(${JSON.stringify(moduleUrl)});
      const rec = await CallRecording.start({ file: ${JSON.stringify(file)}, flushEveryMs: 200 });
      const tone = new Int16Array(160).map((_, i) => Math.round(Math.sin(2 * Math.PI * 400 * i / 8000) * 10000));
      for (let i = 0; i < 75; i++) { rec.push('caller', tone); rec.push('agent', new Int16Array(160)); }
      setTimeout(() => process.stdout.write('recorded\\n'), 300);
      setInterval(() => {}, 1000);
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
    child.on('error', () => undefined);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the recording child said nothing within 20 s')), 20_000);
      child.stdout.on('data', (b: Buffer) => {
        if (b.toString().includes('recorded')) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const audio = await readRecording(file);
    // Everything up to the last full 200 ms block: at least 1.4 s of the 1.5 s.
    expect(audio.durationMs).toBeGreaterThanOrEqual(1400);
    expect(power(audio.channels[0]!.subarray(0, 8000), 400)).toBeGreaterThan(0.8);
  }, 30_000);
});

describe('CallRecorder', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'caruso-recorder-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  forEachDatabase((db) => {
    it('catalogues recordings, their pauses and their end, with file names free of personal data', async () => {
      const store = await StorageRecordingStore.open(db.storage);
      let now = Date.UTC(2026, 11, 7, 10, 0, 0);
      const folder = join(dir, db.dialect, 'a');
      const recorder = new CallRecorder({ folder, store, now: () => now });
      const changes: RecordingChange[] = [];
      recorder.onDidChange((c) => changes.push(c));
      const contactId = 'sip-+31205551234-anna';
      const entry = await recorder.start({ contactId, queueId: 'billing', agentId: 'anna' });
      expect(await recorder.start({ contactId })).toEqual(entry);
      feed(recorder.push.bind(recorder, contactId) as never, 'caller', new Int16Array(0));
      for (let i = 0; i < 50; i++) {
        recorder.push(contactId, 'caller', sine(400, 20));
        recorder.push(contactId, 'agent', new Int16Array(160));
        now += 20;
      }
      expect(recorder.pause(contactId, 'anna')).toBe(true);
      expect(recorder.pause(contactId, 'anna')).toBe(false);
      now += 2000;
      expect(recorder.resume(contactId, 'anna')).toBe(true);
      const done = await recorder.stop(contactId);
      expect(done).toMatchObject({ contactId, queueId: 'billing', agentId: 'anna', durationMs: 1000, pausedMs: 2000 });
      expect(await recorder.stop(contactId)).toBeUndefined();
      expect(changes.map((c) => [c.kind, c.by])).toEqual([['started', 'system'], ['paused', 'anna'], ['resumed', 'anna'], ['stopped', 'system']]);
      const listed = await store.forContact(contactId);
      expect(listed).toHaveLength(1);
      // One second of A-law audio: one byte a sample.
      expect(listed[0]).toMatchObject({ id: entry.id, endedAt: now, bytes: 8_000 });
      expect(listed[0]!.file).toBe(`2026/12/07/${entry.id}.wav`);
      const path = recorder.pathOf(listed[0]!);
      expect(existsSync(path)).toBe(true);
      expect(relative(folder, path)).not.toMatch(/31205551234|anna|billing/);
      expect(statSync(path).size).toBe(58 + 8_000);
      recorder.dispose();
    });

    it('deletes by retention only the recordings older than the period, and logs none of the rest', async () => {
      const store = await StorageRecordingStore.open(db.storage);
      let now = Date.UTC(2026, 0, 1);
      const folder = join(dir, db.dialect, 'b');
      const recorder = new CallRecorder({ folder, store, now: () => now, retentionDays: 30 });
      const made: Array<{ id: string; day: number }> = [];
      for (const day of [0, 10, 29, 31, 45]) {
        now = Date.UTC(2026, 0, 1) + day * 86_400_000;
        const e = await recorder.start({ contactId: `ret-${db.dialect}-${day}` });
        recorder.push(`ret-${db.dialect}-${day}`, 'caller', sine(400, 100));
        await recorder.stop(`ret-${db.dialect}-${day}`);
        made.push({ id: e.id, day });
      }
      // Day 60: recordings of days 0, 10 and 29 are more than 30 days old.
      now = Date.UTC(2026, 0, 1) + 60 * 86_400_000;
      expect(await recorder.sweep()).toBe(3);
      for (const m of made) {
        const kept = m.day > 29;
        expect(Boolean(await store.get(m.id))).toBe(kept);
      }
      const files = readdirSync(folder, { recursive: true }).map(String).filter((f) => f.endsWith('.wav'));
      expect(files.sort()).toEqual(made.filter((m) => m.day > 29).map((m) => expect.stringContaining(m.id)));
      expect(await recorder.sweep()).toBe(0);
      recorder.dispose();
    });

    it('never deletes a recording that is still running, however old', async () => {
      const store = await StorageRecordingStore.open(db.storage);
      let now = Date.UTC(2026, 0, 1);
      const recorder = new CallRecorder({ folder: join(dir, db.dialect, 'c'), store, now: () => now, retentionDays: 1 });
      const e = await recorder.start({ contactId: `long-${db.dialect}` });
      now += 5 * 86_400_000;
      expect(await recorder.sweep()).toBe(0);
      expect(await store.get(e.id)).toBeDefined();
      await recorder.close();
      expect(await recorder.sweep()).toBe(1);
      recorder.dispose();
    });
  });
});

describe('recording and monitoring in the contact event log', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'caruso-rec-log-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes start, pause, resume and stop as typed events the fold reads', async () => {
    const log = new InMemoryContactEventLog();
    let now = 1_000_000;
    const store = { begin: async () => undefined, finish: async () => undefined } as unknown as ConstructorParameters<typeof CallRecorder>[0]['store'];
    const recorder = new CallRecorder({ folder: dir, store, now: () => now });
    const sub = logRecordingChanges(recorder, log);
    log.append({ kind: 'queue-entered', at: now, contactId: 'c1', queueId: 'billing', channel: 'call' });
    log.append({ kind: 'connected', at: now, contactId: 'c1', queueId: 'billing', agentId: 'anna', channel: 'call', waitMs: 0 });
    const entry = await recorder.start({ contactId: 'c1', queueId: 'billing', agentId: 'anna' });
    const states: string[] = [];
    const state = async () => foldContacts(await log.read()).get('c1')!.recording;
    states.push(await state());
    recorder.pause('c1', 'anna');
    now += 1500;
    states.push(await state());
    recorder.resume('c1', 'anna');
    states.push(await state());
    log.append({ kind: 'completed', at: now, contactId: 'c1', queueId: 'billing', agentId: 'anna', channel: 'call', reason: 'caller', talkMs: 1500 });
    await recorder.stop('c1');
    states.push(await state());
    expect(states).toEqual(['on', 'paused', 'on', 'off']);
    const events = (await log.read()).filter((e) => e.kind.startsWith('recording-'));
    expect(events.map((e) => [e.kind, e.agentId, e.reason])).toEqual([
      ['recording-started', 'anna', undefined],
      ['recording-paused', 'anna', 'agent'],
      ['recording-resumed', 'anna', 'agent'],
      ['recording-stopped', 'anna', undefined],
    ]);
    expect(events[3]!.data).toEqual({ recordingId: entry.id, durationMs: 0, pausedMs: 1500 });
    for (const e of events) expect(parseContactEvent(JSON.parse(JSON.stringify(e)))).toEqual(e);
    sub.dispose();
    recorder.dispose();
  });

  it('folds supervisors monitoring a contact, their mode changes and their leaving, also after the call ended', async () => {
    const log = new InMemoryContactEventLog();
    const base = { contactId: 'c2', agentId: 'bram', queueId: 'moves', channel: 'call' as const };
    const events: ContactEventInput[] = [
      { kind: 'queue-entered', at: 1, contactId: 'c2', queueId: 'moves', channel: 'call' },
      { kind: 'connected', at: 2, ...base, waitMs: 1 },
      { kind: 'monitoring-started', at: 3, ...base, reason: 'listen', data: { supervisor: 'sara' } },
      { kind: 'monitoring-started', at: 4, ...base, reason: 'listen', data: { supervisor: 'tom' } },
      { kind: 'monitoring-changed', at: 5, ...base, reason: 'whisper', data: { supervisor: 'sara' } },
    ];
    for (const e of events) log.append(e);
    expect(foldContacts(await log.read()).get('c2')!.monitors).toEqual({ sara: 'whisper', tom: 'listen' });
    log.append({ kind: 'monitoring-stopped', at: 6, ...base, reason: 'listen', data: { supervisor: 'tom' } });
    log.append({ kind: 'completed', at: 7, ...base, reason: 'caller', talkMs: 5 });
    log.append({ kind: 'monitoring-stopped', at: 8, ...base, reason: 'barge', data: { supervisor: 'sara' } });
    expect(foldContacts(await log.read()).get('c2')!.monitors).toEqual({});
    for (const e of await log.read()) expect(parseContactEvent(JSON.parse(JSON.stringify(e)))).toEqual(e);
    expect(() => parseContactEvent({ seq: 1, at: 1, kind: 'monitoring-started', contactId: 'c', agentId: 'a', reason: 'listen', data: {} })).toThrow(/data.supervisor is missing/);
  });
});
