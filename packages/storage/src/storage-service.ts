import type { ServiceDefinition } from '@caruso/kernel';
import { dialectForUrl } from './dialects/index.js';
import { newStorageManager } from './create-storage.js';
import { resolveStorageOptions, type StorageOptions } from './options.js';
import type { StorageManager } from './storage.js';

/** The version of this storage-manager implementation, as registered with the service manager. */
export const STORAGE_SERVICE_VERSION = '0.1.0';

/** Options of {@link storageService}: the storage options plus what the registration carries. */
export interface StorageServiceOptions extends StorageOptions {
  /** Extra registration properties (`dialect` is always set), e.g. `{ role: 'legacy-billing' }`. */
  readonly properties?: Readonly<Record<string, string | number | boolean>>;
  /** Ranking among several storage managers. Default 0. */
  readonly ranking?: number;
}

/**
 * The storage manager as a service: register it with the service manager under the
 * {@link StorageManager} token. `start()` opens the connection and checks it with a trivial query
 * (a bad URL or an unreachable database fails the start with a coded error), `stop()` closes it
 * gracefully, `health()` runs a trivial query. The options are validated here, before registration.
 * Note: consumers receive a proxy; they must not call `close()` on it, the service manager stops it.
 * @example
 * services.register(StorageManager, storageService({ url: 'sqlite:./data/crm.db' }));
 */
export function storageService(urlOrOptions: string | StorageServiceOptions): ServiceDefinition<StorageManager> {
  const resolved = resolveStorageOptions(
    typeof urlOrOptions === 'string'
      ? urlOrOptions
      : Object.fromEntries(Object.entries(urlOrOptions).filter(([k]) => k !== 'properties' && k !== 'ranking')),
  );
  const dialect = dialectForUrl(resolved.url).name;
  const extra = typeof urlOrOptions === 'string' ? {} : (urlOrOptions.properties ?? {});
  const ranking = typeof urlOrOptions === 'string' ? 0 : (urlOrOptions.ranking ?? 0);
  return {
    version: STORAGE_SERVICE_VERSION,
    properties: { ...extra, dialect },
    ranking,
    create: () => {
      const { properties: _p, ranking: _r, ...storageOptions } = typeof urlOrOptions === 'string' ? { url: urlOrOptions } : urlOrOptions;
      return newStorageManager(storageOptions);
    },
  };
}
