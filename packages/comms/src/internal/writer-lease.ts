import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { containPromise, safeInterval, type IDisposable, type Logger } from '@caruso/kernel';
import type { Migration, StorageManager, StorageSession } from '@caruso/storage';
import { CommsErrors } from '../errors.js';

/** The table of writer leases: one row per leased resource (today only the contact event log). */
export const WRITER_LEASE_TABLE = 'caruso_comms_writer_lease';

/** The migration that creates {@link WRITER_LEASE_TABLE} (appended to the comms scope). */
export const WRITER_LEASE_MIGRATION: Migration = {
  id: '0003-writer-lease',
  up: async (trx) => {
    await trx.schema.createTable(WRITER_LEASE_TABLE, (t) => {
      t.string('name', 64).primary();
      t.string('lease_id', 64).notNullable();
      t.string('host', 255).notNullable();
      t.integer('pid').notNullable();
      t.bigInteger('started_at').notNullable();
      t.bigInteger('heartbeat_at').notNullable();
    });
  },
  down: async (trx) => {
    await trx.schema.dropTable(WRITER_LEASE_TABLE);
  },
};

/** Who holds a lease. */
export interface LeaseHolder {
  readonly host: string;
  readonly pid: number;
  /** When it took the lease (ms since the epoch, its clock). */
  readonly startedAt: number;
  /** Its last heartbeat (ms since the epoch, its clock). */
  readonly heartbeatAt: number;
}

/** Options of {@link WriterLease.acquire}. */
export interface WriterLeaseOptions {
  /** The holder renews its heartbeat this often (default 5,000 ms). */
  readonly heartbeatMs?: number;
  /** A lease whose heartbeat is older than this may be taken over (default 30,000 ms). */
  readonly staleMs?: number;
  readonly logger: Logger;
  /** Called when the lease was lost to another process, and when it was taken again. */
  readonly onChange?: (held: boolean) => void;
  /** Called on every heartbeat tick, after the heartbeat (the log retries a failed flush there). */
  readonly onTick?: () => void;
}

interface Row {
  name: string;
  lease_id: string;
  host: string;
  pid: number | string;
  started_at: number | string;
  heartbeat_at: number | string;
}

const HOST = hostname();
const ATTEMPTS = 5;

// Leases held by this process, by lease id, with how many logs share each: several logs of one
// process on one database share the lease (their numbers are kept apart by renumbering on a clash).
const held = new Map<string, number>();

function holderOf(r: Row): LeaseHolder {
  return { host: r.host, pid: Number(r.pid), startedAt: Number(r.started_at), heartbeatAt: Number(r.heartbeat_at) };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function isUniqueViolation(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 'CARUSO_STORAGE_UNIQUE_VIOLATION';
}

type Claim = { readonly leaseId: string; readonly shared: boolean } | { readonly refused: LeaseHolder };

/**
 * One writer per database: a row naming the process (host, pid) that writes a resource, renewed by
 * a heartbeat timer (never by the writes themselves). A second process is refused while the
 * holder's heartbeat is fresh; a lease whose holder died (same host, no such pid) or whose heartbeat
 * is older than `staleMs` is taken over. A holder that finds its row taken has lost the lease: it
 * must stop writing (see {@link WriterLease.held}); its heartbeat timer takes the lease again once
 * it is free.
 */
export class WriterLease implements IDisposable {
  private leaseId: string;
  private heldNow = true;
  private lostTo: LeaseHolder | undefined;
  private confirmedAt: number;
  private timer: ReturnType<typeof setInterval> | undefined;
  private ticking = false;
  private released = false;
  private readonly staleMs: number;

  private constructor(
    private readonly storage: StorageManager,
    private readonly name: string,
    leaseId: string,
    private readonly options: WriterLeaseOptions,
  ) {
    this.leaseId = leaseId;
    this.confirmedAt = Date.now();
    this.staleMs = options.staleMs ?? 30_000;
    this.timer = safeInterval('comms.event-log.lease', () => this.tick(), options.heartbeatMs ?? 5_000);
    this.timer.unref();
  }

  /**
   * Takes the lease of `name` for this process. Throws CARUSO_COMMS_DATABASE_IN_USE naming the
   * holder when another live process holds it.
   */
  static async acquire(storage: StorageManager, name: string, options: WriterLeaseOptions): Promise<WriterLease> {
    const c = await claim(storage, name, options.staleMs ?? 30_000);
    if ('refused' in c) throw inUse(c.refused, options.staleMs ?? 30_000);
    return new WriterLease(storage, name, c.leaseId, options);
  }

  /** Whether this process holds the lease (as far as the last heartbeat knows). */
  get held(): boolean {
    return this.heldNow && !this.released;
  }

  /** Who took the lease, when it was lost. */
  get holder(): LeaseHolder | undefined {
    return this.lostTo;
  }

  /** The error for a write refused because the lease is lost. */
  lostError(): Error {
    return inUse(this.lostTo ?? { host: 'unknown', pid: 0, startedAt: 0, heartbeatAt: 0 }, this.staleMs);
  }

  /**
   * Whether a write should confirm the lease in its own transaction first: only when no heartbeat
   * confirmed it for half the stale time (the process was paused, or its timers starved), so that a
   * process another one took the lease from never writes. Costs nothing otherwise.
   */
  needsConfirm(now = Date.now()): boolean {
    return now - this.confirmedAt > this.staleMs / 2;
  }

  /** Renews the heartbeat inside `session` (a write's transaction); false when the lease was lost. */
  async confirm(session: StorageSession): Promise<boolean> {
    const now = Date.now();
    const n = await session.knex(WRITER_LEASE_TABLE).where({ name: this.name, lease_id: this.leaseId }).update({ heartbeat_at: now });
    if (Number(n) === 1) {
      this.confirmedAt = now;
      return true;
    }
    const row = (await session.knex(WRITER_LEASE_TABLE).where({ name: this.name }).first()) as Row | undefined;
    this.lose(row ? holderOf(row) : undefined);
    return false;
  }

  /** Stops the heartbeat and gives the lease up (the row is deleted when no other log of this process shares it). */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    const id = this.leaseId;
    if (!this.heldNow) return;
    const left = (held.get(id) ?? 1) - 1;
    if (left > 0) {
      held.set(id, left);
      return;
    }
    held.delete(id);
    await this.storage.knex(WRITER_LEASE_TABLE).where({ name: this.name, lease_id: id }).delete();
  }

  // Another process took the row: stop writing until it is free again (the heartbeat retries).
  private lose(holder: LeaseHolder | undefined): void {
    if (!this.heldNow) return;
    this.heldNow = false;
    this.lostTo = holder;
    this.options.logger.error({ holder: holder ? { host: holder.host, pid: holder.pid } : null }, 'the contact event log lost its writer lease to another process; it writes nothing until the lease is free');
    const n = (held.get(this.leaseId) ?? 1) - 1;
    if (n > 0) held.set(this.leaseId, n);
    else held.delete(this.leaseId);
    this.options.onChange?.(false);
  }

  dispose(): void {
    containPromise('comms.event-log.lease', this.release().catch((err: unknown) => this.options.logger.warn({ err }, 'the writer lease could not be released; it goes stale')), 'release');
  }

  private tick(): void {
    if (this.ticking || this.released) return;
    this.ticking = true;
    const run = this.beat()
      .catch((err: unknown) => this.options.logger.warn({ err }, 'writer lease heartbeat failed'))
      .finally(() => {
        this.ticking = false;
        if (!this.released) this.options.onTick?.();
      });
    containPromise('comms.event-log.lease', run, 'heartbeat');
  }

  private async beat(): Promise<void> {
    if (this.heldNow) {
      if (await this.confirm(this.storage)) return;
      if (this.released) return;
    }
    const c = await claim(this.storage, this.name, this.staleMs);
    if ('refused' in c) {
      this.lostTo = c.refused;
      return;
    }
    if (this.released) {
      // Released meanwhile: give back what was just taken.
      const left = (held.get(c.leaseId) ?? 1) - 1;
      if (left > 0) held.set(c.leaseId, left);
      else {
        held.delete(c.leaseId);
        await this.storage.knex(WRITER_LEASE_TABLE).where({ name: this.name, lease_id: c.leaseId }).delete();
      }
      return;
    }
    this.leaseId = c.leaseId;
    this.heldNow = true;
    this.lostTo = undefined;
    this.confirmedAt = Date.now();
    this.options.logger.info('the contact event log took its writer lease again');
    this.options.onChange?.(true);
  }
}

function inUse(h: LeaseHolder, staleMs: number): Error {
  return CommsErrors.CARUSO_COMMS_DATABASE_IN_USE({
    host: h.host,
    pid: h.pid,
    since: new Date(h.startedAt).toISOString(),
    ago: Math.max(0, Math.round((Date.now() - h.heartbeatAt) / 1000)),
    stale: Math.round(staleMs / 1000),
  });
}

// One attempt after another (bounded): read the row, then insert it or take it over with a
// compare-and-set on the lease id, so that of two processes racing only one wins.
async function claim(storage: StorageManager, name: string, staleMs: number): Promise<Claim> {
  let last: LeaseHolder | undefined;
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const row = (await storage.knex(WRITER_LEASE_TABLE).where({ name }).first()) as Row | undefined;
    const now = Date.now();
    const leaseId = randomUUID();
    const mine = { lease_id: leaseId, host: HOST, pid: process.pid, started_at: now, heartbeat_at: now };
    if (!row) {
      try {
        await storage.knex(WRITER_LEASE_TABLE).insert({ name, ...mine });
        held.set(leaseId, 1);
        return { leaseId, shared: false };
      } catch (err) {
        if (isUniqueViolation(err)) continue;
        throw err;
      }
    }
    const h = holderOf(row);
    last = h;
    const here = h.host === HOST;
    if (here && h.pid === process.pid && held.has(row.lease_id)) {
      held.set(row.lease_id, held.get(row.lease_id)! + 1);
      return { leaseId: row.lease_id, shared: true };
    }
    // Free: its heartbeat is stale, or its holder on this host is gone (a pid of this process whose
    // lease no log here holds is a previous life of this process, e.g. pid 1 in a restarted container).
    const free = now - h.heartbeatAt > staleMs || (here && (h.pid === process.pid || !alive(h.pid)));
    if (!free) return { refused: h };
    const n = await storage.knex(WRITER_LEASE_TABLE).where({ name, lease_id: row.lease_id }).update(mine);
    if (Number(n) === 1) {
      held.set(leaseId, 1);
      return { leaseId, shared: false };
    }
  }
  return { refused: last ?? { host: 'unknown', pid: 0, startedAt: 0, heartbeatAt: 0 } };
}
