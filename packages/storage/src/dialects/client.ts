import { isCarusoError } from '@caruso/kernel';
import { scrubDriverError } from '../internal/statement.js';

/** The part of knex's (untyped) dialect client class that the storage manager overrides. */
export interface KnexClientBase {
  query(connection: unknown, queryParam: unknown): Promise<unknown>;
  acquireConnection(): Promise<unknown>;
}

/** A knex dialect client class. */
export type KnexClientClass = new (config: unknown) => KnexClientBase;

/** What the boundary knows about a failed statement. */
export interface StatementContext {
  /** The SQL text with placeholders (never the bound values). */
  readonly sql: string | undefined;
}

/** Hooks of the translating client. */
export interface ClientHooks {
  /** Throws CARUSO_STORAGE_CLOSED when the manager is closed. */
  checkOpen(): void;
  /** Translates a driver error of a statement. */
  translate(err: unknown, ctx: StatementContext): Error;
  /** Translates an error raised while acquiring a connection. */
  translateAcquire(err: unknown): Error;
  /** Sees the SQL text of every statement before it runs (never the values). */
  beforeStatement?(sql: string | undefined): void;
}

function sqlOf(queryParam: unknown): string | undefined {
  if (typeof queryParam === 'string') return queryParam;
  if (typeof queryParam === 'object' && queryParam !== null) {
    const sql = (queryParam as { sql?: unknown }).sql;
    return typeof sql === 'string' ? sql : undefined;
  }
  return undefined;
}

/**
 * Subclasses a knex dialect client so that every statement (also inside transactions, whose
 * clients knex derives from this prototype) and every connection acquisition translates driver
 * errors into CARUSO_STORAGE_* errors: the boundary of rule "translate driver codes at the boundary".
 */
export function translatingClient(Base: KnexClientClass, hooks: ClientHooks): KnexClientClass {
  return class TranslatingClient extends Base {
    override query(connection: unknown, queryParam: unknown): Promise<unknown> {
      const sql = sqlOf(queryParam);
      hooks.beforeStatement?.(sql);
      return super.query(connection, queryParam).catch((err: unknown) => {
        if (isCarusoError(err)) throw err;
        const translated = hooks.translate(err, { sql });
        // The driver's error stays as the cause: without the SQL text and values knex and pg put in it.
        scrubDriverError(err, sql);
        throw translated;
      });
    }

    override async acquireConnection(): Promise<unknown> {
      hooks.checkOpen();
      try {
        return await super.acquireConnection();
      } catch (err) {
        throw isCarusoError(err) ? err : hooks.translateAcquire(err);
      }
    }
  };
}
