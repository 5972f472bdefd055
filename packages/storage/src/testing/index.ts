/**
 * @caruso/storage/testing: run database tests on SQLite AND a real PostgreSQL.
 * - `forEachDatabase(suite)` / `describeStorageContract(title, suite)`: the same suite on both;
 * - `startPostgres()`: a throw-away PostgreSQL server (initdb into a temporary folder, a free port on
 *   127.0.0.1), or the server of CARUSO_TEST_PG_URL.
 */
export { startPostgres, findPostgresBin, postgresAvailable, type PostgresServer } from './postgres-server.js';
export {
  forEachDatabase,
  describeStorageContract,
  stopSharedPostgres,
  type TestDatabase,
  type ForEachDatabaseOptions,
} from './storage-contract.js';
