import type { ServiceContext, ServiceDefinition } from '@caruso/kernel';
import { StorageManager } from '@caruso/storage';
import { BusinessObjects } from './business-objects.js';
import type { Model } from './common/model.js';
import { isPhoneCountry } from './common/phone.js';
import { ObjectsErrors } from './errors.js';
import { BusinessObjectsImpl } from './internal/business-objects-impl.js';
import { applyMigration, checkMapping } from './internal/schema-planner.js';
import { loadModelFile } from './model-file.js';

/** The version of this implementation, as registered with the service manager. */
export const OBJECTS_SERVICE_VERSION = '0.1.0';

/** Options of {@link businessObjectsService}. */
export interface BusinessObjectsServiceOptions {
  /** The model, or the path of its file. */
  readonly model: Model | string;
  /**
   * What to do with the schema at start: `migrate` creates and alters the managed tables (in one
   * transaction), `check` only verifies that every mapped table and column exists (fails the start
   * otherwise). Default `check`.
   */
  readonly schema?: 'migrate' | 'check';
  /**
   * The country (ISO 3166-1 alpha-2, e.g. `NL`) in which phone numbers without a country code are
   * read; every phone field is stored in E.164. Overrides the model's `defaultCountry`.
   */
  readonly defaultCountry?: string;
  /** The clock (tests). */
  readonly now?: () => Date;
}

const DEPENDENCIES = { storage: { token: StorageManager } } as const;

/**
 * The service definition of the business objects: register it under the {@link BusinessObjects}
 * token; it depends on the StorageManager.
 * @example
 * manager.register(StorageManager, storageService('sqlite:./data/crm.db'));
 * manager.register(BusinessObjects, businessObjectsService({ model: './model/crm.model.xml', schema: 'migrate' }));
 */
export function businessObjectsService(options: BusinessObjectsServiceOptions): ServiceDefinition<BusinessObjects, typeof DEPENDENCIES> {
  if (typeof options !== 'object' || options === null || (typeof options.model !== 'string' && typeof options.model !== 'object')) {
    throw ObjectsErrors.CARUSO_OBJECTS_BAD_OPTIONS({ reason: 'model must be a model or the path of a model file' });
  }
  if (options.schema !== undefined && options.schema !== 'migrate' && options.schema !== 'check') {
    throw ObjectsErrors.CARUSO_OBJECTS_BAD_OPTIONS({ reason: `schema must be 'migrate' or 'check', not ${String(options.schema)}` });
  }
  if (options.defaultCountry !== undefined && (typeof options.defaultCountry !== 'string' || !isPhoneCountry(options.defaultCountry))) {
    throw ObjectsErrors.CARUSO_OBJECTS_BAD_OPTIONS({ reason: `defaultCountry must be a country code such as NL (ISO 3166-1 alpha-2), not ${String(options.defaultCountry)}` });
  }
  const loaded = typeof options.model === 'string' ? loadModelFile(options.model) : options.model;
  const model: Model = options.defaultCountry !== undefined ? { ...loaded, defaultCountry: options.defaultCountry } : loaded;
  return {
    version: OBJECTS_SERVICE_VERSION,
    properties: { model: model.name },
    dependencies: DEPENDENCIES,
    create: ({ storage }) => {
      const objects = new BusinessObjectsImpl(model, storage, options.now);
      return Object.assign(objects, {
        stop(): void {
          objects.dispose();
        },
        async start(ctx: ServiceContext): Promise<void> {
          if (options.schema === 'migrate') {
            const plan = await applyMigration(model, storage);
            ctx.logger.info({ steps: plan.steps.length, warnings: plan.warnings.length, unreadablePhones: plan.unreadablePhones.length }, 'business-object schema migrated');
            for (const w of plan.warnings) ctx.logger.warn({ warning: w }, 'schema warning');
          } else {
            const { errors } = await checkMapping(model, storage);
            if (errors.length) {
              throw ObjectsErrors.CARUSO_OBJECTS_SCHEMA_MISMATCH({ problems: errors.map((e) => e.message).join('; ') });
            }
          }
        },
      });
    },
  };
}
