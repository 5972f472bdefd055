import { CONTACT_EVENTS_TABLE, COMMS_MIGRATIONS, type ContactEvent } from '@caruso/comms';
import { contactEventRow } from '@caruso/comms/testing';
import type { StorageManager } from '@caruso/storage';

/**
 * Writes events straight into the contact event log's table in bulk (multi-row inserts in one
 * transaction), after applying its migrations: for hand-made logs in tests and for benchmarks.
 * Note: bypasses the router and the log's own numbering; give every event its `seq`.
 */
export async function insertContactEvents(storage: StorageManager, events: readonly ContactEvent[]): Promise<void> {
  await storage.migrate(COMMS_MIGRATIONS, { scope: 'comms' });
  const rows = events.map(contactEventRow);
  // 18 columns × 50 rows keeps under every database's limit of bound parameters.
  await storage.transaction(async (trx) => {
    for (let i = 0; i < rows.length; i += 50) await trx.knex(CONTACT_EVENTS_TABLE).insert(rows.slice(i, i + 50));
  });
}
