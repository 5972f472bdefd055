/**
 * @caruso/objects: the business-object modeller's runtime. Business objects declared in XML
 * (dtd/model.dtd) mapped onto tables; typed repositories with validation, optimistic locking, audit,
 * soft delete, relations, CSV import and export. See docs/objects.md.
 */
export {
  DEFAULT_QUERY_LIMIT,
  BusinessObjects,
  type RecordKey,
  type ObjectRecord,
  type FilterValue,
  type FieldCondition,
  type Filter,
  type SortKey,
  type ReadOptions,
  type Query,
  type QueryResult,
  type Measure,
  type AggregateQuery,
  type WriteOptions,
  type VersionedWriteOptions,
  type DeleteOptions,
  type AuditEntry,
  type Link,
  type Repository,
  type SearchOptions,
  type SearchHit,
  type DuplicateMatch,
  type MergeOptions,
  type MergeResult,
  type MergeEvent,
  type ObjectChangeEvent,
  type ObjectCreated,
  type ObjectUpdated,
  type ObjectDeleted,
  type ObjectMerged,
} from './business-objects.js';
export { formatPhone, normalizePhone, isPhoneCountry, type NormalizedPhone } from './common/phone.js';
export { ObjectsErrors, type ObjectsErrorCode, type FieldViolation } from './errors.js';
export { readModelFile, loadModelFile, requireModel } from './model-file.js';
export {
  businessObjectsService,
  OBJECTS_SERVICE_VERSION,
  type BusinessObjectsServiceOptions,
} from './objects-service.js';
export {
  parseExpression,
  checkExpression,
  recordEnvironment,
  evaluate,
  ExpressionSyntaxError,
  FUNCTIONS,
  type Expr,
  type BinaryOp,
  type CompiledExpression,
  type ExpressionProblem,
  type EvalEnvironment,
} from './common/expression.js';
export { diffModels, formatChange, type ModelChange, type ModelChangeKind } from './common/model-diff.js';
export {
  readModel,
  resolveImport,
  type ModelLoader,
  type ModelReadResult,
  type ReadModelOptions,
} from './common/model-reader.js';
export {
  findObject,
  findField,
  findRelation,
  snakeCase,
  FIELD_TYPES,
  type FieldType,
  type SourceRef,
  type EnumOption,
  type Money,
  type FieldDef,
  type RelationKind,
  type RelationDef,
  type RuleDef,
  type ObjectDef,
  type Model,
} from './common/model.js';
export {
  defaultLength,
  isTextual,
  isNumeric,
  formatMinorUnits,
  coerceValue,
  coerceText,
  formatText,
  checkConstraints,
  normalizeValue,
  type Coerced,
} from './common/values.js';
export { BusinessObjectsImpl } from './internal/business-objects-impl.js';
export {
  importCsv,
  exportCsv,
  type CsvImportOptions,
  type CsvImportReport,
  type CsvImportMode,
  type ImportRowReport,
  type ImportRowStatus,
  type CsvExportOptions,
  type RejectedRow,
} from './internal/csv-import.js';
export { parseCsv, formatCsvRow, CsvReader, type CsvRow } from './internal/csv.js';
export { introspectModel } from './internal/introspector.js';
export { AUDIT_TABLE } from './internal/object-repository.js';
export {
  planMigration,
  applyMigration,
  planSql,
  checkMapping,
  MODEL_STATE_TABLE,
  type MigrationPlan,
  type MigrationStep,
  type SchemaRefusal,
  type UnreadablePhone,
} from './internal/schema-planner.js';
