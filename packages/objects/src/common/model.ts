/**
 * The business-object model as the runtime sees it, after reading and validating the XML (see
 * docs/objects.md). Plain data, free of Node imports, so that browsers can use it too.
 */
import type { CompiledExpression } from './expression.js';

/** The field types of the model language. */
export type FieldType =
  | 'id'
  | 'string'
  | 'text'
  | 'integer'
  | 'decimal'
  | 'money'
  | 'boolean'
  | 'date'
  | 'datetime'
  | 'enum'
  | 'email'
  | 'phone'
  | 'json';

/** Every field type, in documentation order. */
export const FIELD_TYPES: readonly FieldType[] = [
  'id',
  'string',
  'text',
  'integer',
  'decimal',
  'money',
  'boolean',
  'date',
  'datetime',
  'enum',
  'email',
  'phone',
  'json',
];

/** Where a declaration was written. */
export interface SourceRef {
  readonly file: string;
  readonly line: number;
  readonly col: number;
}

/** One allowed value of an enum field. */
export interface EnumOption {
  readonly value: string;
  readonly label: string;
}

/** A money value: an integer amount in minor units (cents) and an ISO 4217 currency code. */
export interface Money {
  readonly amount: number;
  readonly currency: string;
}

/** A field of an object (or an attribute of a many-to-many link). */
export interface FieldDef {
  readonly name: string;
  /** Stable id: a rename keeps it, so a migration renames the column instead of dropping it. */
  readonly id: string | undefined;
  readonly type: FieldType;
  /** The column (for money: the amount column). */
  readonly column: string;
  readonly label: string;
  readonly required: boolean;
  readonly unique: boolean;
  /** Maximum length of string-like fields. */
  readonly length: number | undefined;
  /** decimal: total digits and digits after the point. */
  readonly precision: number | undefined;
  readonly scale: number | undefined;
  /** Bounds: of the value (numbers, money amount, dates as text) or of the length (strings). */
  readonly min: number | string | undefined;
  readonly max: number | string | undefined;
  /** A regular expression the whole value must match (string-like fields). */
  readonly pattern: string | undefined;
  /** The default for new records, already converted to the field's type. */
  readonly defaultValue: unknown;
  readonly searchable: boolean;
  readonly audited: boolean;
  /** enum: the options, in order. */
  readonly options: readonly EnumOption[];
  /** money: a fixed currency (no currency column), or undefined when a column holds it. */
  readonly currency: string | undefined;
  /** money: the column holding the currency when `currency` is not fixed. */
  readonly currencyColumn: string | undefined;
  /** A computed field's expression. */
  readonly computed: CompiledExpression | undefined;
  /** Whether a computed field is stored (computed on write, filterable) or computed on read. */
  readonly stored: boolean;
  /** Whether the database generates the value (type `id` of a single-field key). */
  readonly generated: boolean;
  readonly origin: SourceRef;
}

/** The kinds of relation. */
export type RelationKind = 'many-to-one' | 'one-to-many' | 'many-to-many';

/** A relation from one object to another. */
export interface RelationDef {
  readonly name: string;
  readonly id: string | undefined;
  readonly kind: RelationKind;
  readonly target: string;
  readonly label: string;
  /** many-to-one: the fields of this object holding the target's key, in key order. */
  readonly fields: readonly string[];
  /** one-to-many: the many-to-one relation of the target that points back. */
  readonly inverse: string | undefined;
  /** many-to-many: the join table. */
  readonly through: string | undefined;
  /** many-to-many: the join-table columns holding this object's key, in key order. */
  readonly sourceColumns: readonly string[];
  /** many-to-many: the join-table columns holding the target's key, in key order. */
  readonly targetColumns: readonly string[];
  /** many-to-many: the link's own fields, stored in the join table. */
  readonly linkFields: readonly FieldDef[];
  /** many-to-many: whether Caruso creates the join table (false for a legacy one). */
  readonly managed: boolean;
  readonly origin: SourceRef;
}

/** A validation rule: when `when` holds (or always), `assert` must not be false. */
export interface RuleDef {
  readonly name: string;
  readonly when: CompiledExpression | undefined;
  readonly assert: CompiledExpression;
  readonly message: string;
  /** The field the violation is reported on (default: none, a record-level violation). */
  readonly field: string | undefined;
  readonly origin: SourceRef;
}

/** A business object mapped onto a table. */
export interface ObjectDef {
  readonly name: string;
  readonly id: string | undefined;
  readonly label: string;
  readonly table: string;
  /** False for an existing (legacy) table: Caruso never creates, alters or drops it. */
  readonly managed: boolean;
  /** The soft-delete column (a datetime), or undefined when deletes are hard. */
  readonly softDeleteColumn: string | undefined;
  /** The optimistic-locking version column (an integer), or undefined. */
  readonly versionColumn: string | undefined;
  /** The primary key's fields, in key order (one or several). */
  readonly key: readonly string[];
  /** Composite unique constraints (single-field ones are `unique` on the field). */
  readonly uniques: readonly (readonly string[])[];
  /** The business key CSV import upserts by (default: the primary key). */
  readonly businessKey: readonly string[] | undefined;
  readonly fields: readonly FieldDef[];
  readonly relations: readonly RelationDef[];
  readonly rules: readonly RuleDef[];
  /**
   * Whether the object takes part in the global search (`searchable="true"`): its searchable fields
   * are searched by {@link BusinessObjects.search}. Absent means false.
   */
  readonly searchable?: boolean;
  /**
   * The fields that hold the name of a record (`nameFields="firstName,lastName"`), compared by
   * duplicate detection and shown as the label of a search hit. Absent: a field `name`, else
   * `firstName` and `lastName`, else none.
   */
  readonly nameFields?: readonly string[];
  readonly origin: SourceRef;
}

/** A validated model. */
export interface Model {
  readonly name: string;
  readonly objects: readonly ObjectDef[];
  /** The files it was read from, the main one first. */
  readonly files: readonly string[];
  /**
   * The country (ISO 3166-1 alpha-2, `NL`) in which phone numbers written without a country code
   * are read (`<model defaultCountry="NL">`, or the service option). Absent: only international
   * numbers are normalised to E.164; national ones are kept as written.
   */
  readonly defaultCountry?: string;
}

/** Finds an object by name. */
export function findObject(model: Model, name: string): ObjectDef | undefined {
  return model.objects.find((o) => o.name === name);
}

/** Finds a field of an object by name. */
export function findField(object: ObjectDef, name: string): FieldDef | undefined {
  return object.fields.find((f) => f.name === name);
}

/** Finds a relation of an object by name. */
export function findRelation(object: ObjectDef, name: string): RelationDef | undefined {
  return object.relations.find((r) => r.name === name);
}

/** `firstName` → `first_name`: the default column and table naming. */
export function snakeCase(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .toLowerCase();
}
