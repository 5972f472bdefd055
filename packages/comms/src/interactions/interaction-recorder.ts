import type { Logger } from '@caruso/kernel';
import type { ContactEvent } from '../contract/contact-event-log.js';
import { InteractionFold, type CustomerRef, type InteractionChange, type InteractionFoldOptions, type InteractionRecord } from './interaction-record.js';
import type { InteractionStore } from './interaction-store.js';

/** Options of an {@link InteractionRecorder}. */
export interface InteractionRecorderOptions extends InteractionFoldOptions {
  readonly store: InteractionStore;
  /** Makes the contact event log durable (records are written only for durable events). */
  readonly flushLog: () => Promise<void>;
  /** Finds the customer of a record without one, by its address (optional). */
  readonly identify?: (record: InteractionRecord) => Promise<CustomerRef | undefined>;
  readonly logger: Logger;
}

/**
 * Keeps the interaction records in step with the contact event log: events are folded as they are
 * appended, and the records are written in order, in batches, once their events are durable. The
 * store's checkpoint says how far the records go; after a restart {@link catchUp} folds the whole
 * log again and writes what the checkpoint does not cover, so an ended contact is never missing.
 */
export class InteractionRecorder {
  private readonly fold: InteractionFold;
  private pending: InteractionChange[] = [];
  private pendingSeq = 0;
  private running: Promise<void> | undefined;
  private failures = 0;

  constructor(private readonly options: InteractionRecorderOptions) {
    this.fold = new InteractionFold(options);
  }

  /**
   * Folds the log read at start (every event, in order) and writes the changes after the store's
   * checkpoint. Call it once, before {@link feed}.
   */
  async catchUp(events: readonly ContactEvent[]): Promise<number> {
    const after = await this.options.store.lastSeq();
    const changes: InteractionChange[] = [];
    let last = after;
    for (const e of events) {
      const c = this.fold.feed(e);
      if (e.seq > after) {
        changes.push(...c);
        last = Math.max(last, e.seq);
      }
    }
    if (changes.length > 0 || last > after) await this.write(changes, last);
    return changes.filter((c) => c.type === 'ended').length;
  }

  /** Folds one appended event; its records are written soon after it is durable. */
  feed(e: ContactEvent): void {
    const changes = this.fold.feed(e);
    if (changes.length === 0) return;
    this.pending.push(...changes);
    this.pendingSeq = Math.max(this.pendingSeq, e.seq);
    this.running ??= this.run();
  }

  /** Resolves once every record folded so far is written (or its write failed and was logged). */
  async settled(): Promise<void> {
    while (this.running) await this.running;
  }

  private async run(): Promise<void> {
    // Let the change that produced the events finish (and flush) first: one batch for many changes.
    await new Promise<void>((r) => setImmediate(r));
    try {
      while (this.pending.length > 0) {
        const batch = this.pending;
        const seq = this.pendingSeq;
        this.pending = [];
        try {
          await this.options.flushLog();
          await this.write(batch, seq);
          this.failures = 0;
        } catch (err) {
          // The events are in the log: a restart writes the records (catchUp). Retry a few times now.
          this.failures++;
          this.options.logger.error({ err, records: batch.length }, 'interaction records could not be written; they are written again after a restart');
          if (this.failures < 3) this.pending.unshift(...batch);
          else this.failures = 0;
        }
      }
    } finally {
      this.running = undefined;
    }
  }

  private async write(changes: readonly InteractionChange[], lastSeq: number): Promise<void> {
    const { store, identify } = this.options;
    await store.apply(changes, lastSeq);
    if (!identify) return;
    for (const c of changes) {
      if (c.type !== 'ended' || c.record.customer || !c.record.address) continue;
      try {
        const customer = await identify(c.record);
        if (customer) await store.linkCustomer(c.record.contactId, c.record.endSeq, customer);
      } catch (err) {
        this.options.logger.warn({ err }, 'the customer of an interaction could not be looked up');
      }
    }
  }
}
