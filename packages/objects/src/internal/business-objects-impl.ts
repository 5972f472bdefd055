import { Emitter, type Event, type HealthStatus } from '@caruso/kernel';
import type { StorageSession, StorageTransaction } from '@caruso/storage';
import type {
  BusinessObjects,
  DuplicateMatch,
  MergeEvent,
  MergeOptions,
  MergeResult,
  ObjectChangeEvent,
  ObjectRecord,
  RecordKey,
  Repository,
  SearchHit,
  SearchOptions,
} from '../business-objects.js';
import type { Model } from '../common/model.js';
import { ObjectsErrors } from '../errors.js';
import { findDuplicates } from './duplicate-finder.js';
import { searchObjects } from './global-search.js';
import { ModelMapping } from './object-mapping.js';
import { ObjectRepository, type RepositoryContext } from './object-repository.js';
import { mergeRecords } from './record-merger.js';
import { checkMapping } from './schema-planner.js';

/** The emitters of one service, shared by the instances over its transactions. */
interface ObjectEmitters {
  readonly merges: Emitter<MergeEvent>;
  readonly changes: Emitter<ObjectChangeEvent>;
}

/** Whether a session is a transaction (whose writes are committed only when the outermost one is). */
function isTransaction(session: StorageSession): session is StorageTransaction {
  return typeof (session as Partial<StorageTransaction>).afterCommit === 'function';
}

/** The business objects of a model over one storage session. */
export class BusinessObjectsImpl implements BusinessObjects, RepositoryContext {
  private readonly repos = new Map<string, ObjectRepository>();
  readonly mapping: ModelMapping;
  /** Shared by the instances of one service's transactions; disposed by the instance that made them. */
  private readonly emitters: ObjectEmitters;
  private readonly ownsEmitter: boolean;
  readonly onDidMerge: Event<MergeEvent>;
  readonly onDidChange: Event<ObjectChangeEvent>;

  constructor(
    readonly model: Model,
    readonly session: StorageSession,
    readonly now: () => Date = () => new Date(),
    mapping?: ModelMapping,
    emitters?: ObjectEmitters,
  ) {
    this.mapping = mapping ?? new ModelMapping(model, session.dialect);
    this.ownsEmitter = emitters === undefined;
    this.emitters = emitters ?? {
      merges: new Emitter<MergeEvent>({ owner: 'caruso.objects/merge' }),
      changes: new Emitter<ObjectChangeEvent>({ owner: 'caruso.objects/change' }),
    };
    this.onDidMerge = this.emitters.merges.event;
    this.onDidChange = this.emitters.changes.event;
  }

  /** Whether anyone listens to {@link onDidChange} (writers then read what they need for the event). */
  get watchesChanges(): boolean {
    return this.emitters.changes.hasListeners;
  }

  /**
   * Fires a change written through `session`: after the outermost commit when `session` is a
   * transaction (never after a rollback), at once otherwise (the statement committed on its own).
   */
  changed(session: StorageSession, event: ObjectChangeEvent): void {
    if (!this.emitters.changes.hasListeners) return;
    if (isTransaction(session)) session.afterCommit(() => this.emitters.changes.fire(event));
    else this.emitters.changes.fire(event);
  }

  repository(object: string): ObjectRepository {
    let repo = this.repos.get(object);
    if (!repo) {
      repo = new ObjectRepository(this, this.mapping.object(object));
      this.repos.set(object, repo);
    }
    return repo;
  }

  /** The same business objects over another session (a transaction), sharing mapping and events. */
  withSession(session: StorageSession): BusinessObjectsImpl {
    return new BusinessObjectsImpl(this.model, session, this.now, this.mapping, this.emitters);
  }

  transaction<T>(fn: (objects: BusinessObjects) => Promise<T>): Promise<T> {
    return this.session.transaction((trx) => fn(this.withSession(trx)));
  }

  search(text: string, options: SearchOptions = {}): Promise<SearchHit[]> {
    return searchObjects(this.session, this.mapping, text, options);
  }

  async duplicatesOf(object: string, recordOrValues: RecordKey | Readonly<ObjectRecord>): Promise<DuplicateMatch[]> {
    const repo = this.repository(object);
    const om = repo.om;
    let values: Readonly<ObjectRecord>;
    let exclude: unknown[] | undefined;
    if (typeof recordOrValues !== 'object' || om.object.key.every((k) => (recordOrValues as ObjectRecord)[k] !== undefined && (recordOrValues as ObjectRecord)[k] !== null)) {
      const isRecord = typeof recordOrValues === 'object' && Object.keys(recordOrValues).some((k) => !om.object.key.includes(k));
      exclude = om.keyValues(typeof recordOrValues === 'object' ? (om.keyOf(recordOrValues as ObjectRecord) as RecordKey) : recordOrValues);
      if (isRecord) values = recordOrValues as ObjectRecord;
      else {
        const rec = await repo.get(typeof recordOrValues === 'object' ? (om.keyOf(recordOrValues as ObjectRecord) as RecordKey) : recordOrValues);
        if (!rec) throw ObjectsErrors.CARUSO_OBJECTS_NOT_FOUND({ object, key: om.keyText(exclude) });
        values = rec;
      }
    } else values = recordOrValues as ObjectRecord;
    return findDuplicates(this.session, om, values, this.model.defaultCountry, exclude, 10, this.now);
  }

  merge(object: string, keepKey: RecordKey, dropKey: RecordKey, options: MergeOptions = {}): Promise<MergeResult> {
    this.repository(object);
    return this.session.transaction((trx) => mergeRecords(this.withSession(trx), object, keepKey, dropKey, options, (e) => this.emitters.merges.fire(e)));
  }

  async health(): Promise<HealthStatus> {
    try {
      const { errors } = await checkMapping(this.model, this.session);
      if (errors.length) return { status: 'degraded', detail: `${errors.length} mapped table(s) or column(s) are missing; run caruso model migrate` };
      return { status: 'ok', detail: `${this.model.objects.length} object(s)` };
    } catch (err) {
      return { status: 'down', detail: err instanceof Error ? err.message : 'the database is not reachable' };
    }
  }

  /** Ends the events' subscriptions (only the instance that made the emitters does). */
  dispose(): void {
    if (!this.ownsEmitter) return;
    this.emitters.merges.dispose();
    this.emitters.changes.dispose();
  }
}

/** Typing aid: the repository type handed out. */
export type { Repository };
