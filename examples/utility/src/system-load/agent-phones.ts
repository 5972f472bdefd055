// The agents' phones of the whole-system load: one small in-process SIP user agent per agent (the
// TestPhone of @caruso/comms/testing: real SIP and RTP over UDP on loopback), registered with
// Caruso's registrar with digest credentials, answering the calls Caruso rings them with and, when
// asked, talking back (a 20 ms G.711 stream) while a call is up.
import { TestPhone } from '@caruso/comms/testing';

/** An agent's phone: a TestPhone named after its SIP user, registered with Caruso. */
export class AgentPhone {
  private talking = false;
  /** Calls the phone answered. */
  answered = 0;

  private constructor(readonly user: string, readonly phone: TestPhone, private readonly talkBack: boolean) {}

  /**
   * Opens the phone (its SIP and RTP sockets on loopback) and registers it as `user` with the
   * registrar at `registrarPort`. Rejects when the registrar refuses or does not answer in time.
   */
  static async open(user: string, password: string, registrarPort: number, options: { readonly answerAfterMs: number; readonly talkBack: boolean }): Promise<AgentPhone> {
    const phone = await TestPhone.open(user, { hz: options.talkBack ? 300 : 0, keepAudio: false });
    phone.answerAfterMs = options.answerAfterMs;
    const p = new AgentPhone(user, phone, options.talkBack);
    try {
      await phone.register({ port: registrarPort }, user, password);
    } catch (err) {
      await phone.close();
      throw err;
    }
    return p;
  }

  /**
   * Follows the phone's calls (call it every few hundred ms): talks back while a call is up, counts
   * what it answered and drops the telephone-events and old requests it keeps (a load run would
   * otherwise keep them all; the phone keeps no received audio, it only counts it).
   */
  tick(): void {
    const up = this.phone.connected;
    if (up && !this.talking) {
      this.talking = true;
      this.answered++;
      if (this.talkBack) this.phone.startMedia();
    } else if (!up && this.talking) {
      this.talking = false;
      this.phone.stopMedia();
    }
    this.phone.events.splice(0);
    if (this.phone.requests.length > 200) this.phone.requests.splice(0, this.phone.requests.length - 50);
  }

  /** RTP packets of audio the phone received so far (the received audio itself is not kept). */
  get packetsReceived(): number {
    return this.phone.audioPackets;
  }

  /** Whether a call is up on this phone. */
  get connected(): boolean {
    return this.phone.connected;
  }

  close(): Promise<void> {
    return this.phone.close();
  }
}
