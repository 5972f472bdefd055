import { StorageErrors } from '../errors.js';
import { maskUrl } from '../internal/url.js';
import type { Dialect } from '../storage.js';
import type { DialectDriver } from './dialect.js';
import { postgresDialect } from './postgres/index.js';
import { sqliteDialect } from './sqlite/index.js';

/** The dialect map: the one place that lists the databases (knex's lib/dialects/index.ts). */
const DIALECTS: Readonly<Record<Dialect, DialectDriver>> = {
  sqlite: sqliteDialect,
  postgres: postgresDialect,
};

/** URL scheme → dialect, derived from the map. */
const BY_SCHEME: ReadonlyMap<string, DialectDriver> = new Map(
  Object.values(DIALECTS).flatMap((d) => d.schemes.map((s) => [s, d] as const)),
);

/** The schemes the storage manager understands, e.g. for help texts. */
export const KNOWN_SCHEMES: readonly string[] = [...BY_SCHEME.keys()];

/**
 * Chooses the dialect from a connection URL's scheme. Throws CARUSO_STORAGE_BAD_URL when there is
 * no scheme, CARUSO_STORAGE_UNKNOWN_DIALECT when the scheme names a database we do not speak.
 */
export function dialectForUrl(url: string): DialectDriver {
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(url.trim());
  if (!m?.[1]) {
    throw StorageErrors.CARUSO_STORAGE_BAD_URL({ url: maskUrl(url), reason: 'it has no scheme' });
  }
  const scheme = m[1].toLowerCase();
  const dialect = BY_SCHEME.get(scheme);
  if (!dialect) {
    throw StorageErrors.CARUSO_STORAGE_UNKNOWN_DIALECT({ dialect: scheme, url: maskUrl(url), known: KNOWN_SCHEMES.join(', ') });
  }
  return dialect;
}

/** The dialect of a name; CARUSO_STORAGE_UNKNOWN_DIALECT for any other name. */
export function dialectByName(name: string): DialectDriver {
  const d = (DIALECTS as Readonly<Record<string, DialectDriver>>)[name];
  if (!d) throw StorageErrors.CARUSO_STORAGE_UNKNOWN_DIALECT({ dialect: name, url: '(none)', known: Object.keys(DIALECTS).join(', ') });
  return d;
}
