import type { Logger } from '@caruso/kernel';
import { dialectForUrl } from './dialects/index.js';
import { KnexStorageManager } from './internal/knex-storage-manager.js';
import { resolveStorageOptions, type StorageOptions } from './options.js';
import type { StorageManager } from './storage.js';

/**
 * Opens a storage manager: the URL's scheme chooses the dialect, the connection is checked with a
 * trivial query before the promise resolves.
 * @param urlOrOptions a connection URL (`sqlite:./data/crm.db`, `sqlite::memory:`,
 *   `postgres://user:password@host:5432/db`) or {@link StorageOptions}.
 * @throws CARUSO_STORAGE_BAD_URL, CARUSO_STORAGE_UNKNOWN_DIALECT, CARUSO_STORAGE_BAD_OPTIONS,
 *   CARUSO_STORAGE_CONNECTION_FAILED (nothing stays open then).
 * Note: the caller owns the manager and must `close()` it.
 * @example
 * const storage = await createStorage('sqlite:./data/crm.db');
 * try { await storage.knex('customers').insert({ name: 'Ada' }); } finally { await storage.close(); }
 */
export async function createStorage(urlOrOptions: string | StorageOptions): Promise<StorageManager> {
  const manager = newStorageManager(urlOrOptions);
  try {
    await manager.open();
  } catch (err) {
    await manager.close();
    throw err;
  }
  return manager;
}

/** Builds a storage manager without connecting (the service's `start()` opens it). */
export function newStorageManager(urlOrOptions: string | StorageOptions, logger?: Logger): KnexStorageManager {
  const options = resolveStorageOptions(urlOrOptions);
  const driver = dialectForUrl(options.url);
  const log = logger ?? (typeof urlOrOptions === 'object' ? urlOrOptions.logger : undefined);
  return new KnexStorageManager(driver, options, log);
}
