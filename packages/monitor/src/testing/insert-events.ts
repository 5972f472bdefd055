import { CONTACT_EVENTS_TABLE, COMMS_MIGRATIONS, type ContactEvent } from '@caruso/comms';
import type { StorageManager } from '@caruso/storage';

/**
 * Writes events straight into the contact event log's table in bulk (multi-row inserts in one
 * transaction), after applying its migrations: for hand-made logs in tests and for benchmarks.
 * Note: bypasses the router and the log's own numbering; give every event its `seq`.
 */
export async function insertContactEvents(storage: StorageManager, events: readonly ContactEvent[]): Promise<void> {
  await storage.migrate(COMMS_MIGRATIONS, { scope: 'comms' });
  const rows = events.map((e) => ({
    seq: e.seq,
    at: e.at,
    kind: e.kind,
    contact_id: e.contactId ?? null,
    queue_id: e.queueId ?? null,
    agent_id: e.agentId ?? null,
    channel: e.channel ?? null,
    direction: e.direction ?? null,
    reason: e.reason ?? null,
    state: e.state ?? null,
    from_state: e.fromState ?? null,
    wait_ms: e.waitMs ?? null,
    ring_ms: e.ringMs ?? null,
    talk_ms: e.talkMs ?? null,
    hold_ms: e.holdMs ?? null,
    wrap_ms: e.wrapMs ?? null,
    priority: e.priority ?? null,
    data: e.data === undefined ? null : JSON.stringify(e.data),
  }));
  // 18 columns × 50 rows keeps under every database's limit of bound parameters.
  await storage.transaction(async (trx) => {
    for (let i = 0; i < rows.length; i += 50) await trx.knex(CONTACT_EVENTS_TABLE).insert(rows.slice(i, i + 50));
  });
}
