// The conference mixer's arithmetic on a hand-driven media clock (the legs are in-process doubles:
// the integration test sip-call-control.int.test.ts mixes real RTP between real phones).
import { ConferenceMixer } from '../../src/telephony/sip/conference-mixer.js';
import type { MixInput, RtpMediaEngine, RtpSession } from '../../src/telephony/sip/rtp-session.js';

class Leg {
  mixInput: MixInput | undefined;
  readonly sent: Int16Array[] = [];
  sendFrame(samples: Int16Array): void {
    this.sent.push(samples);
  }
  /** Feeds `frames` 20 ms frames of a constant value, as received packets would. */
  feed(value: number, frames = 1): void {
    for (let i = 0; i < frames; i++) this.mixInput?.push(new Int16Array(160).fill(value));
  }
}

function setup(count: number): { mixer: ConferenceMixer; legs: Leg[]; step: () => void; stopped: () => boolean } {
  let now = 0;
  let running = false;
  const engine = { now: () => now, runTask: () => { running = true; }, stopTask: () => { running = false; } };
  const mixer = new ConferenceMixer(engine as unknown as RtpMediaEngine);
  const legs = Array.from({ length: count }, () => new Leg());
  mixer.setMembers(legs.map((l) => ({ rtp: l as unknown as RtpSession, heard: true })));
  return {
    mixer, legs,
    step: () => {
      now += 20;
      mixer.tick(now);
    },
    stopped: () => !running,
  };
}

describe('ConferenceMixer', () => {
  it('sends each leg the sum of the others, never its own audio', () => {
    const { legs, step } = setup(3);
    legs.forEach((l, i) => l.feed((i + 1) * 1000, 3));
    step();
    expect(legs.map((l) => l.sent.at(-1)![0])).toEqual([5000, 4000, 3000]);
  });

  it('clips the sum to 16 bits', () => {
    const { legs, step } = setup(3);
    legs[0]!.feed(30000, 3);
    legs[1]!.feed(20000, 3);
    legs[2]!.feed(-30000, 3);
    step();
    expect(legs.map((l) => l.sent.at(-1)![0])).toEqual([-10000, 0, 32767]);
    const fresh = setup(3);
    fresh.legs[0]!.feed(-30000, 3);
    fresh.legs[1]!.feed(-30000, 3);
    fresh.step();
    expect(fresh.legs[2]!.sent.at(-1)![0]).toBe(-32768);
  });

  it('leaves a member that is not heard (a muted agent) out of everyone\'s mix', () => {
    const { mixer, legs, step } = setup(3);
    mixer.setMembers(legs.map((l, i) => ({ rtp: l as unknown as RtpSession, heard: i !== 1 })));
    legs.forEach((l, i) => l.feed((i + 1) * 1000, 3));
    step();
    expect(legs.map((l) => l.sent.at(-1)![0])).toEqual([3000, 4000, 1000]);
  });

  it('waits for 40 ms of a leg before mixing it, and treats a leg that ran dry as silence until it refills', () => {
    const { legs, step } = setup(3);
    legs[0]!.feed(1000);
    step();
    expect(legs[1]!.sent.at(-1)![0]).toBe(0);
    legs[0]!.feed(1000);
    step();
    expect(legs[1]!.sent.at(-1)![0]).toBe(1000);
    step();
    step();
    expect(legs[1]!.sent.at(-1)![0]).toBe(0);
  });

  it('keeps a member\'s buffered audio across a change of members and detaches those that leave', () => {
    const { mixer, legs, step, stopped } = setup(3);
    legs[0]!.feed(1000, 3);
    const input = legs[0]!.mixInput;
    mixer.setMembers(legs.slice(0, 2).map((l) => ({ rtp: l as unknown as RtpSession, heard: true })));
    expect(legs[0]!.mixInput).toBe(input);
    expect(legs[2]!.mixInput).toBeUndefined();
    step();
    expect(legs[1]!.sent.at(-1)![0]).toBe(1000);
    mixer.dispose();
    expect(stopped()).toBe(true);
    expect(legs.map((l) => l.mixInput)).toEqual([undefined, undefined, undefined]);
  });
});
