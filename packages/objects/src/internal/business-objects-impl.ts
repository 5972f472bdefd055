import type { HealthStatus } from '@caruso/kernel';
import type { StorageSession } from '@caruso/storage';
import type { BusinessObjects, Repository } from '../business-objects.js';
import type { Model } from '../common/model.js';
import { ModelMapping } from './object-mapping.js';
import { ObjectRepository, type RepositoryContext } from './object-repository.js';
import { checkMapping } from './schema-planner.js';

/** The business objects of a model over one storage session. */
export class BusinessObjectsImpl implements BusinessObjects, RepositoryContext {
  private readonly repos = new Map<string, ObjectRepository>();
  readonly mapping: ModelMapping;

  constructor(
    readonly model: Model,
    readonly session: StorageSession,
    readonly now: () => Date = () => new Date(),
    mapping?: ModelMapping,
  ) {
    this.mapping = mapping ?? new ModelMapping(model, session.dialect);
  }

  repository(object: string): ObjectRepository {
    let repo = this.repos.get(object);
    if (!repo) {
      repo = new ObjectRepository(this, this.mapping.object(object));
      this.repos.set(object, repo);
    }
    return repo;
  }

  transaction<T>(fn: (objects: BusinessObjects) => Promise<T>): Promise<T> {
    return this.session.transaction((trx) => fn(new BusinessObjectsImpl(this.model, trx, this.now, this.mapping)));
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
}

/** Typing aid: the repository type handed out. */
export type { Repository };
