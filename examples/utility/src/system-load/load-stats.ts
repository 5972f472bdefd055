/** What the whole-system load saw, reported to the process that started it. */
export interface SystemLoadReport {
  /** Contacts the load generator made, by channel (calls: SIPp calls placed). */
  readonly sent: { readonly call: number; readonly email: number; readonly chat: number };
  /** SIPp's own count of calls that ended well and of calls that failed (per its scenario). */
  readonly sipp: { readonly successful: number; readonly failed: number };
  /** Contacts the agents handled to the end (wrap-up filed), by channel. */
  readonly handled: { readonly call: number; readonly email: number; readonly chat: number };
  /** Offers that reached a desktop: contact, agent, channel and when the /ws/agent frame arrived (ms since the epoch). */
  readonly offers: ReadonlyArray<{ readonly contactId: string; readonly agentId: string; readonly channel: string; readonly at: number }>;
  /** Duration of every REST request the desktops and pollers made, in ms. */
  readonly restMs: readonly number[];
  /** Script steps answered over REST. */
  readonly scriptSteps: number;
  /** RTP packets the agents' phones received. */
  readonly agentRtpPackets: number;
  /** Monitor frames received by the wallboard socket. */
  readonly monitorFrames: number;
  /** Unexpected things, counted by kind, with a few samples. */
  readonly errors: Readonly<Record<string, number>>;
  readonly errorSamples: readonly string[];
  /** Expected refusals (an offer withdrawn before the desktop accepted it …), counted by kind. */
  readonly notes: Readonly<Record<string, number>>;
}

/** Collects the figures of a load run. */
export class LoadStats {
  readonly sent = { call: 0, email: 0, chat: 0 };
  readonly handled = { call: 0, email: 0, chat: 0 };
  readonly sipp = { successful: 0, failed: 0 };
  readonly offers: Array<{ contactId: string; agentId: string; channel: string; at: number }> = [];
  readonly restMs: number[] = [];
  scriptSteps = 0;
  agentRtpPackets = 0;
  monitorFrames = 0;
  private readonly errors = new Map<string, number>();
  private readonly samples: string[] = [];
  private readonly notes = new Map<string, number>();

  /** Counts an unexpected event of `kind`, keeping the first samples of its detail (3 of each kind, 40 in all) with their time. */
  error(kind: string, detail: string): void {
    const n = (this.errors.get(kind) ?? 0) + 1;
    this.errors.set(kind, n);
    if (n <= 3 && this.samples.length < 40) this.samples.push(`${kind}: ${new Date().toISOString().slice(11, 23)} ${detail.slice(0, 300)}`);
  }

  /** Counts an expected refusal of `kind`. */
  note(kind: string): void {
    this.notes.set(kind, (this.notes.get(kind) ?? 0) + 1);
  }

  get errorCount(): number {
    let n = 0;
    for (const v of this.errors.values()) n += v;
    return n;
  }

  report(): SystemLoadReport {
    return {
      sent: { ...this.sent },
      sipp: { ...this.sipp },
      handled: { ...this.handled },
      offers: this.offers,
      restMs: this.restMs,
      scriptSteps: this.scriptSteps,
      agentRtpPackets: this.agentRtpPackets,
      monitorFrames: this.monitorFrames,
      errors: Object.fromEntries(this.errors),
      errorSamples: [...this.samples],
      notes: Object.fromEntries(this.notes),
    };
  }
}
