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
