import { Emitter, type IDisposable } from '@caruso/kernel';
import type { ContactEvent, ContactEventInput, ContactEventLog, ReadEventsOptions } from '../contract/contact-event-log.js';

/**
 * A contact event log held in memory: for tests, the simulator and the embedded demo.
 * Note: nothing survives the process; use the storage-backed log in production.
 */
export class InMemoryContactEventLog implements ContactEventLog, IDisposable {
  private readonly events: ContactEvent[] = [];
  private seq = 0;
  private readonly _onDidAppend = new Emitter<ContactEvent>();
  readonly onDidAppend = this._onDidAppend.event;

  /** @param options.keep false to keep no events (only listeners see them), for very long simulations. */
  constructor(private readonly options: { readonly keep?: boolean } = {}) {}

  append(event: ContactEventInput): ContactEvent {
    const e: ContactEvent = { ...event, seq: ++this.seq };
    if (this.options.keep !== false) this.events.push(e);
    if (this._onDidAppend.hasListeners) this._onDidAppend.fire(e);
    return e;
  }

  async flush(): Promise<void> {}

  async read(options: ReadEventsOptions = {}): Promise<ContactEvent[]> {
    const after = options.afterSeq ?? 0;
    const limit = options.limit ?? 10_000;
    const out: ContactEvent[] = [];
    for (const e of this.events) {
      if (e.seq <= after || (options.contactId !== undefined && e.contactId !== options.contactId)) continue;
      out.push(e);
      if (out.length >= limit) break;
    }
    return out;
  }

  get lastSeq(): number {
    return this.seq;
  }

  dispose(): void {
    this._onDidAppend.dispose();
  }
}
