// knex ships no typings for its dialect client classes; the storage manager subclasses two of them
// to translate driver errors at the boundary (see dialects/client.ts).
declare module 'knex/lib/dialects/better-sqlite3/index.js' {
  const Client: new (config: unknown) => {
    query(connection: unknown, queryParam: unknown): Promise<unknown>;
    acquireConnection(): Promise<unknown>;
  };
  export default Client;
}
declare module 'knex/lib/dialects/postgres/index.js' {
  const Client: new (config: unknown) => {
    query(connection: unknown, queryParam: unknown): Promise<unknown>;
    acquireConnection(): Promise<unknown>;
  };
  export default Client;
}
