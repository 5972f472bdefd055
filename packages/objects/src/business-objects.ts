/**
 * The business-object modeller's contract: repositories of the objects of a model, reached by other
 * components through the service manager under the {@link BusinessObjects} token. Implementations
 * live in `internal/`.
 */
import { createToken, type Event, type HealthStatus } from '@caruso/kernel';
import type { Model, ObjectDef } from './common/model.js';

/**
 * The key of a record: the value for a single-field key (`42`), or an object of the key fields for a
 * composite key (`{ company: 'NL01', accountNo: 1234 }`).
 */
export type RecordKey = string | number | Readonly<Record<string, string | number>>;

/**
 * A record: field names to values (money as `{ amount, currency }` in minor units, dates as
 * `YYYY-MM-DD`, datetimes as ISO 8601 text, json as data). Versioned objects add `$version`; objects
 * with soft delete add `$deletedAt` (null unless deleted). Included relations appear under their
 * names; the records of a many-to-many relation carry the link's fields in `$link`.
 */
export type ObjectRecord = Record<string, unknown>;

/** A value in a filter. Money fields compare their amount in minor units. */
export type FilterValue = string | number | boolean | null;

/**
 * The condition on one field: a value (equality; `null` means "is empty"), or operators. Text fields:
 * `eq ne in nin contains startsWith endsWith lt lte gt gte isNull`; numbers, money, dates:
 * `eq ne in nin lt lte gt gte between isNull`; booleans: `eq ne isNull`; json: `isNull`.
 * `contains`, `startsWith` and `endsWith` ignore case.
 */
export type FieldCondition =
  | FilterValue
  | {
      readonly eq?: FilterValue;
      readonly ne?: FilterValue;
      readonly lt?: FilterValue;
      readonly lte?: FilterValue;
      readonly gt?: FilterValue;
      readonly gte?: FilterValue;
      readonly in?: readonly FilterValue[];
      readonly nin?: readonly FilterValue[];
      readonly between?: readonly [FilterValue, FilterValue];
      readonly contains?: string;
      readonly startsWith?: string;
      readonly endsWith?: string;
      readonly isNull?: boolean;
    };

/**
 * A filter: field names to conditions (all must hold), combined with `and`, `or`, `not`. A relation's
 * name takes a filter on the related object: it holds when at least one related record matches,
 * e.g. `{ contracts: { product: 'gas' } }`. Every name is checked against the model; an unknown field
 * or operator throws CARUSO_OBJECTS_BAD_QUERY.
 */
export interface Filter {
  readonly and?: readonly Filter[];
  readonly or?: readonly Filter[];
  readonly not?: Filter;
  readonly [field: string]: FieldCondition | Filter | readonly Filter[] | undefined;
}

/** A sort key: a field name (`'-name'` sorts descending) or an object. */
export type SortKey = string | { readonly field: string; readonly direction?: 'asc' | 'desc' };

/** Options of reads. */
export interface ReadOptions {
  /**
   * Relations to load with the records, as paths (`'contracts'`, `'contracts.customer'`). Each
   * relation costs one query per level, whatever the number of records (no N+1).
   */
  readonly include?: readonly string[];
  /** Include soft-deleted records. Default false. */
  readonly withDeleted?: boolean;
}

/** A query. */
export interface Query extends ReadOptions {
  readonly where?: Filter;
  /**
   * Words to find in the searchable fields (case-insensitive): every word must occur in at least
   * one searchable field. At most 8 words of at most 100 characters.
   */
  readonly search?: string;
  /** Sorting; the key is always appended last so that pages are stable. */
  readonly orderBy?: readonly SortKey[];
  /**
   * Page size, 1 to 10 000. Default {@link DEFAULT_QUERY_LIMIT} (100).
   * Note: a query without a limit still returns at most 100 records; the result's `hasMore` says
   * whether records were left out.
   */
  readonly limit?: number;
  /** Records to skip. Default 0. */
  readonly offset?: number;
  /** Also count every matching record into the result's `total` (one more query). Default false. */
  readonly withTotal?: boolean;
}

/** The page size of {@link Repository.query} when the query names none. */
export const DEFAULT_QUERY_LIMIT = 100;

/**
 * The records of one page of {@link Repository.query}: an ordinary array of records (so
 * `const [first] = await repo.query(…)` and `.map` work) that also says how the page relates to
 * everything that matched. The page facts are non-enumerable properties: JSON of the result is the
 * array of records alone, so copy them into a response explicitly.
 */
export interface QueryResult extends Array<ObjectRecord> {
  /** Whether more records match after this page: rows were left out by the limit. */
  readonly hasMore: boolean;
  /** The page size that applied (the query's, or {@link DEFAULT_QUERY_LIMIT}). */
  readonly limit: number;
  /** The records skipped before this page. */
  readonly offset: number;
  /** The `offset` of the next page, or null when this page is the last. */
  readonly nextOffset: number | null;
  /** Every matching record, when the query asked for it with `withTotal: true`; otherwise undefined. */
  readonly total: number | undefined;
}

/** A measure of an aggregate query. */
export interface Measure {
  readonly fn: 'count' | 'sum' | 'avg' | 'min' | 'max';
  /** The field measured (not needed for `count`). Money sums add amounts in minor units. */
  readonly field?: string;
}

/** A group-by query for reports. */
export interface AggregateQuery {
  readonly where?: Filter;
  readonly search?: string;
  readonly withDeleted?: boolean;
  /** Fields to group by (none: one row over everything). */
  readonly groupBy?: readonly string[];
  /** Named measures, e.g. `{ customers: { fn: 'count' }, total: { fn: 'sum', field: 'balance' } }`. */
  readonly measures: Readonly<Record<string, Measure>>;
  /** Sort by group fields or measure names (`'-total'`). */
  readonly orderBy?: readonly SortKey[];
  readonly limit?: number;
}

/** Options of writes. */
export interface WriteOptions {
  /** Who makes the change, recorded in the audit history (e.g. `agent:42`). Never a secret. */
  readonly actor?: string;
}

/** Options of {@link Repository.update} and {@link Repository.delete}. */
export interface VersionedWriteOptions extends WriteOptions {
  /**
   * The version the caller read (optimistic locking). When it is not the current one the write
   * fails with CARUSO_OBJECTS_CONFLICT carrying the current record. Default: `$version` of the
   * changes, else no check against what the caller saw.
   */
  readonly expectedVersion?: number;
}

/** Options of {@link Repository.delete}. */
export interface DeleteOptions extends VersionedWriteOptions {
  /** Remove the row even when the object has soft delete. Default false. */
  readonly hard?: boolean;
}

/** One entry of a record's audit history. */
export interface AuditEntry {
  /** ISO 8601 time of the change. */
  readonly at: string;
  readonly actor: string | null;
  readonly action: 'create' | 'update' | 'delete' | 'restore' | 'merge';
  /** The field changed (null for delete, restore and merge). */
  readonly field: string | null;
  /** The value before; null for a merge. */
  readonly oldValue: unknown;
  /** The value after; for a merge `{ from: key }` on the kept record, `{ into: key }` on the dropped one. */
  readonly newValue: unknown;
  /** Set on entries of a record that was merged into this one: the key (as text) it had. */
  readonly mergedFrom?: string;
}

/** A related record of a many-to-many relation, with the link's own fields. */
export interface Link {
  readonly target: ObjectRecord;
  readonly attributes: Readonly<Record<string, unknown>>;
}

/**
 * The repository of one business object. Every write validates first and writes nothing when any
 * check fails (CARUSO_OBJECTS_VALIDATION_FAILED lists every violation with its field).
 */
export interface Repository {
  /** The object's definition. */
  readonly object: ObjectDef;
  /**
   * Creates a record. Missing fields take their defaults; stored computed fields are computed.
   * @returns the record as stored (with its generated key and `$version` 1).
   */
  create(data: Readonly<ObjectRecord>, options?: WriteOptions): Promise<ObjectRecord>;
  /** Reads a record by key; undefined when there is none (or it is soft-deleted). */
  get(key: RecordKey, options?: ReadOptions): Promise<ObjectRecord | undefined>;
  /**
   * Changes some fields of a record. On a versioned object the version is checked and increased.
   * Throws CARUSO_OBJECTS_NOT_FOUND, CARUSO_OBJECTS_CONFLICT (details: `{ current }`), or
   * CARUSO_OBJECTS_VALIDATION_FAILED.
   */
  update(key: RecordKey, changes: Readonly<ObjectRecord>, options?: VersionedWriteOptions): Promise<ObjectRecord>;
  /** Deletes a record (soft when the object declares it, unless `hard`). */
  delete(key: RecordKey, options?: DeleteOptions): Promise<void>;
  /** Brings a soft-deleted record back. */
  restore(key: RecordKey, options?: WriteOptions): Promise<ObjectRecord>;
  /**
   * Finds records, one page at a time (default page size {@link DEFAULT_QUERY_LIMIT}).
   * Note: read `hasMore` (or `nextOffset`) of the result: a query without a limit returns at most
   * 100 records and leaves the rest out. `withTotal: true` also counts every match into `total`.
   */
  query(query?: Query): Promise<QueryResult>;
  /** Counts the records matching a filter (and search words). */
  count(where?: Filter, options?: { readonly search?: string; readonly withDeleted?: boolean }): Promise<number>;
  /** Group-by aggregates for reports: one row per group with the group fields and the measures. */
  aggregate(query: AggregateQuery): Promise<Record<string, unknown>[]>;
  /** The audit history of a record, oldest first. */
  history(key: RecordKey): Promise<AuditEntry[]>;
  /** Links a record to a target through a many-to-many relation, with the link's fields (upsert). */
  link(key: RecordKey, relation: string, target: RecordKey, attributes?: Readonly<Record<string, unknown>>): Promise<void>;
  /** Removes a many-to-many link; returns whether it existed. */
  unlink(key: RecordKey, relation: string, target: RecordKey): Promise<boolean>;
  /** The targets linked through a many-to-many relation, with the link's fields. */
  links(key: RecordKey, relation: string): Promise<Link[]>;
}

/** Options of {@link BusinessObjects.search}. */
export interface SearchOptions {
  /** The objects to search (each must be marked searchable). Default: every searchable object. */
  readonly objects?: readonly string[];
  /** At most this many hits, 1 to 200. Default 20. */
  readonly limit?: number;
  /**
   * What the caller may read of an object: false (skip it), true (every field), or the names of the
   * fields it may see (only those are searched and shown in the label). Default: everything.
   */
  readonly readable?: (object: string) => boolean | readonly string[];
}

/** One hit of {@link BusinessObjects.search}. */
export interface SearchHit {
  /** The record's object (its type, to show with the hit). */
  readonly object: string;
  readonly key: RecordKey;
  /** For people: the name fields of the record, else its first searchable text, else its key. */
  readonly label: string;
  /** The field that matched best (null when only the words together matched across fields). */
  readonly field: string | null;
  /** 100 exact (a key, number, e-mail or name equal to the text), 50 prefix, 20 contains, 10 every word in some field. */
  readonly score: number;
}

/** A record that duplicates another, as found by {@link BusinessObjects.duplicatesOf}. */
export interface DuplicateMatch {
  readonly key: RecordKey;
  readonly record: ObjectRecord;
  /** Why: the same normalised phone number, the same e-mail address (ignoring case), a similar name. */
  readonly reasons: readonly ('phone' | 'email' | 'name')[];
}

/** Options of {@link BusinessObjects.merge}. */
export interface MergeOptions {
  /** Who merges, recorded in both records' change history. */
  readonly actor?: string;
}

/** What {@link BusinessObjects.merge} did. */
export interface MergeResult {
  /** The kept record after the merge. */
  readonly record: ObjectRecord;
  /** The related records moved to the kept record, per relation. */
  readonly moved: readonly { readonly object: string; readonly relation: string; readonly count: number }[];
  /** The fields of the kept record that were empty and took the dropped record's value. */
  readonly filled: readonly string[];
}

/** Fired by {@link BusinessObjects.onDidMerge} once a merge is committed. */
export interface MergeEvent {
  readonly object: string;
  readonly keepKey: RecordKey;
  readonly dropKey: RecordKey;
}

/** What every {@link ObjectChangeEvent} says. */
interface ObjectChangeBase {
  /** The object written (`Customer`). */
  readonly object: string;
  /** The record's key (for a merge: the kept record's). */
  readonly key: RecordKey;
  /** The key as text: a single key's value (`42`), a composite key as `company=NL01,accountNo=7`. */
  readonly id: string;
  /** Who wrote (`WriteOptions.actor`), null when the writer named nobody. */
  readonly actor: string | null;
}

/** A record was created (by `create` or an import). */
export interface ObjectCreated extends ObjectChangeBase {
  readonly kind: 'created';
  /** The record as stored (computed fields that are not stored may be missing after an import). */
  readonly after: ObjectRecord;
  /** The record's version (1) on a versioned object, else null. */
  readonly version: number | null;
}

/** A record was changed (by `update`, `restore`, an import or a merge filling the kept record). */
export interface ObjectUpdated extends ObjectChangeBase {
  readonly kind: 'updated';
  /** The record before the change. */
  readonly before: ObjectRecord;
  readonly after: ObjectRecord;
  /** The fields whose value changed (`$deletedAt` for a restore). */
  readonly changed: readonly string[];
  /** The version after the change on a versioned object, else null. */
  readonly version: number | null;
}

/** A record was deleted (softly when the object has soft delete and the delete was not `hard`). */
export interface ObjectDeleted extends ObjectChangeBase {
  readonly kind: 'deleted';
  readonly soft: boolean;
}

/** A record was merged into another one ({@link BusinessObjects.merge}); `key` is the kept record's. */
export interface ObjectMerged extends ObjectChangeBase {
  readonly kind: 'merged';
  /** The dropped record's key and its text. */
  readonly dropKey: RecordKey;
  readonly dropId: string;
  /** The kept record after the merge. */
  readonly after: ObjectRecord;
  /** The kept record's version after the merge on a versioned object, else null. */
  readonly version: number | null;
}

/**
 * A committed write of a business-object record, fired by {@link BusinessObjects.onDidChange}: a
 * discriminated union by `kind`.
 */
export type ObjectChangeEvent = ObjectCreated | ObjectUpdated | ObjectDeleted | ObjectMerged;

/**
 * The business objects of a model over one database: a repository per object.
 * @example
 * const objects = services.get(BusinessObjects);
 * const customers = objects.repository('Customer');
 * const ada = await customers.create({ firstName: 'Ada', lastName: 'Lovelace', email: 'ada@example.org' });
 * const page = await customers.query({ where: { segment: 'business' }, orderBy: ['-lastName'], limit: 20, include: ['contracts'] });
 */
export interface BusinessObjects {
  /** The model. */
  readonly model: Model;
  /** The repository of an object; throws CARUSO_OBJECTS_UNKNOWN_OBJECT for a name not in the model. */
  repository(object: string): Repository;
  /**
   * Runs `fn` in one transaction: every repository it reaches through its argument writes in that
   * transaction; a throw rolls everything back. Nested calls use savepoints.
   */
  transaction<T>(fn: (objects: BusinessObjects) => Promise<T>): Promise<T>;
  /** Whether the database is reachable and the tables of the model exist. */
  health(): Promise<HealthStatus>;
  /**
   * The global search: the records of the objects marked `searchable="true"` whose searchable fields
   * match `text` (ignoring case), the best first: an exact match (also of the key, and of a phone
   * number typed in any format) before a prefix, before a contains, before "every word somewhere".
   * Throws CARUSO_OBJECTS_BAD_QUERY for an unknown or unsearchable object in `objects`, text over 100
   * characters, or a bad limit.
   * Note: pass `readable` so that a user finds only what they may read.
   */
  search(text: string, options?: SearchOptions): Promise<SearchHit[]>;
  /**
   * The stored records that duplicate a record (by its key) or the given values: the same phone
   * number (normalised to E.164), the same e-mail address (ignoring case), or a similar name (the
   * object's nameFields, folded, Levenshtein distance ≤ 1 under 8 characters, ≤ 2 otherwise). The
   * record itself is never listed. Phone and e-mail matches come first; at most 10.
   */
  duplicatesOf(object: string, recordOrValues: RecordKey | Readonly<ObjectRecord>): Promise<DuplicateMatch[]>;
  /**
   * Merges the record `dropKey` into `keepKey`, in one transaction: every related record (a
   * many-to-one relation of any object pointing at the dropped record, and many-to-many links) moves
   * to the kept one; the kept record's empty fields take the dropped record's values; the merge is
   * recorded in both change histories (the kept record's `history` includes the dropped record's
   * entries); the dropped record is deleted, softly when the object has soft delete. Fires
   * {@link onDidMerge} after the commit.
   * Note: records outside the model that name the dropped record (interaction records of comms) are
   * not touched here: their owners listen to {@link onDidMerge}.
   */
  merge(object: string, keepKey: RecordKey, dropKey: RecordKey, options?: MergeOptions): Promise<MergeResult>;
  /** Fires after a merge is committed, so that other components relink what they keep about the dropped record. */
  readonly onDidMerge: Event<MergeEvent>;
  /**
   * Fires once for every record written, after the write is committed: by a repository (`create`,
   * `update`, `restore`, `delete`, whoever calls it: a route, a dialogue script's action, a service
   * wrapper), by a CSV import (one event per created or updated row) and by a merge (the moves and
   * deletes inside it fire their own events, then one `merged`). Inside {@link transaction} the events
   * wait for the outermost commit and never fire when it rolls back; a preview writes nothing and
   * fires nothing.
   * Note: a listener runs synchronously in the writer's turn: start asynchronous work without awaiting
   * it. A listener that throws is logged and counted (the kernel's Emitter), never seen by the writer
   * or the other listeners. Links (`link`, `unlink`) and the related records a merge moves by SQL fire
   * nothing. An `update` reads the record before it when someone listens (one more query).
   */
  readonly onDidChange: Event<ObjectChangeEvent>;
}

/** The token of the business objects. */
export const BusinessObjects = createToken<BusinessObjects>('caruso.objects');
