/**
 * An assembly for the quality-management tests: the test assembly with call recording and
 * monitoring switched on in the communication server, and a telephony adapter that taps audio.
 *
 * Telephony: the simulated adapter with a real audio tap (`RecordableTelephony`): the recorder of the
 * communication server (QualityManager, CallRecorder) writes real WAV files and catalogue rows from
 * the samples a test pushes. The simulated adapter cannot monitor: monitoring answers its coded 409.
 * Audio over real SIP is the communication server's own tests' (packages/comms/test).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SimulatedTelephony, systemClock, type TelephonyAdapter } from '@caruso/comms';
import { startTestAssembly, type TestAssembly } from '@caruso/frontoffice/testing';
import type { User } from '../src/user-store.js';
import { fixturePath } from './fixture.js';

type AudioTap = Parameters<NonNullable<TelephonyAdapter['tapAudio']>>[1];

/** The simulated telephony with an audio tap: a test pushes each side's samples into the recording. */
export class RecordableTelephony extends SimulatedTelephony {
  private readonly taps = new Map<string, NonNullable<AudioTap>>();

  override tapAudio(callId: string, tap: AudioTap): void {
    if (tap) this.taps.set(callId, tap);
    else this.taps.delete(callId);
  }

  /** Whether the recorder taps the call now. */
  tapped(callId: string): boolean {
    return this.taps.has(callId);
  }

  /** Pushes `ms` of a tone (or silence, hz 0) from one side, in 20 ms frames as RTP delivers them. */
  speak(callId: string, side: 'caller' | 'agent', hz: number, ms: number): void {
    const tap = this.taps.get(callId);
    if (!tap) throw new Error(`call ${callId} is not tapped`);
    for (let t = 0; t < ms; t += 20) {
      const frame = new Int16Array(160);
      if (hz > 0) for (let i = 0; i < frame.length; i++) frame[i] = Math.round(Math.sin((2 * Math.PI * hz * (t * 8 + i)) / 8000) * 8000);
      tap(side, frame);
    }
  }
}

export interface QualityAssembly extends TestAssembly {
  readonly telephony: RecordableTelephony;
  /** The recordings folder. */
  readonly folder: string;
}

export async function startQualityAssembly(db: string, users: readonly (User & { readonly password: string })[], agents: readonly string[]): Promise<QualityAssembly> {
  const folder = mkdtempSync(join(tmpdir(), 'caruso-fo-rec-'));
  const telephony = new RecordableTelephony(systemClock);
  const asm = await startTestAssembly({
    db,
    model: fixturePath('crm.model.xml'),
    application: fixturePath('crm.app.xml'),
    scripts: fixturePath('scripts'),
    queues: [{ id: 'support', wrapUpMs: 600_000 }],
    agents: agents.map((id) => ({ id, queues: [{ queueId: 'support' }] })),
    users,
    telephony,
    recording: { folder, queues: ['support'], announcement: '' },
    monitoring: { phones: Object.fromEntries(users.filter((u) => u.role === 'supervisor').map((u) => [u.name, `sip:${u.name}@127.0.0.1:5099`])), ringTimeoutMs: 2_000 },
    chat: { queueId: 'support', port: 0 },
    email: { queueId: 'support', recipients: ['support@caruso.test'], mailbox: 'Support <support@caruso.test>' },
  });
  return {
    ...asm,
    telephony,
    folder,
    stop: async () => {
      await asm.stop();
      telephony.dispose();
      rmSync(folder, { recursive: true, force: true });
    },
  };
}
