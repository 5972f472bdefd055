import { defineErrors } from '@caruso/kernel';

/** Every error the business-object modeller raises. Each code is documented in docs/errors.md. */
export const ObjectsErrors = defineErrors({
  CARUSO_OBJECTS_INVALID_MODEL: {
    message: 'the model {file} has {count} error(s); first: {first}',
  },
  CARUSO_OBJECTS_MODEL_UNREADABLE: {
    message: 'cannot read the model file {file}: {reason}',
  },
  CARUSO_OBJECTS_UNKNOWN_OBJECT: {
    message: 'the model has no object {object}; known objects: {known}',
    status: 404,
  },
  CARUSO_OBJECTS_UNKNOWN_RELATION: {
    message: '{object} has no relation {relation}; known relations: {known}',
  },
  CARUSO_OBJECTS_VALIDATION_FAILED: {
    message: '{object}: {count} field(s) are not valid: {summary}',
    status: 422,
  },
  CARUSO_OBJECTS_NOT_FOUND: {
    message: '{object} {key} does not exist (or is deleted)',
    status: 404,
  },
  CARUSO_OBJECTS_CONFLICT: {
    message: '{object} {key} was changed by someone else (version {expected} expected, {actual} found); reload it and apply the change again',
    status: 409,
  },
  CARUSO_OBJECTS_BAD_KEY: {
    message: '{object}: {reason}; the key is {key}',
  },
  CARUSO_OBJECTS_BAD_QUERY: {
    message: '{object}: invalid query at {path}: {reason}',
  },
  CARUSO_OBJECTS_SCHEMA_MISMATCH: {
    message: 'the database does not match the model: {problems}',
  },
  CARUSO_OBJECTS_LOSSY_SCHEMA_CHANGE: {
    message: 'the migration was refused: {count} column type change(s) could lose data; first: {first}',
  },
  CARUSO_OBJECTS_BAD_CSV: {
    message: '{file}:{line}: {reason}',
  },
  CARUSO_OBJECTS_IMPORT_REJECTED: {
    message: 'import of {object} rejected: {rejected} of {total} row(s) are invalid, nothing was written; first: {first}',
    status: 422,
  },
  CARUSO_OBJECTS_BAD_OPTIONS: {
    message: 'invalid business-object options: {reason}',
  },
});

/** The union of the package's error codes. */
export type ObjectsErrorCode = (typeof ObjectsErrors.codes)[number];

/** One violated constraint of a write, as listed in the `details.violations` of CARUSO_OBJECTS_VALIDATION_FAILED. */
export interface FieldViolation {
  /** The field (or `$record` for a rule not tied to a field). */
  readonly field: string;
  /** What failed: `required`, `type`, `length`, `min`, `max`, `pattern`, `enum`, `unique`, `rule:<name>`, `read-only`, `unknown-field`. */
  readonly code: string;
  /** A sentence for the user; never contains the offending value. */
  readonly message: string;
}
