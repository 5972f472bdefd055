/**
 * @caruso/objects: the business-object modeller's runtime. Business objects declared in XML
 * (dtd/model.dtd) mapped onto tables; typed repositories with validation, optimistic locking, audit,
 * soft delete, relations, CSV import and export. See docs/objects.md.
 */
export * from './errors.js';
export * from './common/model.js';
export * from './common/expression.js';
export * from './common/values.js';
export { readModel, resolveImport, type ModelLoader, type ModelReadResult, type ReadModelOptions } from './common/model-reader.js';
export * from './model-file.js';
export * from './business-objects.js';
export { diffModels, formatChange, type ModelChange, type ModelChangeKind } from './common/model-diff.js';
export { businessObjectsService, OBJECTS_SERVICE_VERSION, type BusinessObjectsServiceOptions } from './objects-service.js';
export { planMigration, applyMigration, planSql, checkMapping, MODEL_STATE_TABLE, type MigrationPlan, type MigrationStep, type SchemaRefusal } from './internal/schema-planner.js';
export { AUDIT_TABLE } from './internal/object-repository.js';
export { BusinessObjectsImpl } from './internal/business-objects-impl.js';
export { introspectModel } from './internal/introspector.js';
export { importCsv, exportCsv, type CsvImportOptions, type CsvImportReport, type CsvExportOptions, type RejectedRow } from './internal/csv-import.js';
export { parseCsv, formatCsvRow, CsvReader, type CsvRow } from './internal/csv.js';
