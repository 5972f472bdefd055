/**
 * The compiled form of a dialogue script: what the parser produces and the session engine runs.
 * Free of Node imports (the browser front office reuses it). Every element keeps its place in the
 * file (`at`) so that run-time problems can still name `file:line:col`.
 */
import type { CompiledExpression, Expr, ScriptValue } from './expression.js';

/** The three channels one script runs on. */
export type Channel = 'agent' | 'web' | 'ivr';
/** Every channel, in the order the documentation lists them. */
export const CHANNELS: readonly Channel[] = ['agent', 'web', 'ivr'];

/** Where something is written. */
export interface SourceRef {
  readonly file: string;
  readonly line: number;
  readonly col: number;
}

/** Answer types of a `<question>`. */
export type QuestionType = 'choice' | 'boolean' | 'text' | 'number' | 'date' | 'digits';
/** Every question type. */
export const QUESTION_TYPES: readonly QuestionType[] = ['choice', 'boolean', 'text', 'number', 'date', 'digits'];

/** Declared types of a `<var>`. */
export type VarType = 'string' | 'number' | 'boolean' | 'date' | 'object' | 'list' | 'any';
/** Every variable type. */
export const VAR_TYPES: readonly VarType[] = ['string', 'number', 'boolean', 'date', 'object', 'list', 'any'];

/** Events a question handles with `<on event>`. */
export type QuestionEvent = 'noinput' | 'nomatch' | 'invalid';
/** Every question event. */
export const QUESTION_EVENTS: readonly QuestionEvent[] = ['noinput', 'nomatch', 'invalid'];

/** A piece of a prompt: literal text or a `<value expr>`. */
export type PromptPart = string | CompiledExpression;

/** A `<prompt>` (or `<help>`): mixed text and values, for one channel and language or for all. */
export interface Prompt {
  readonly channel?: Channel;
  readonly lang?: string;
  readonly parts: readonly PromptPart[];
}

/** A `<var>` declaration. */
export interface VarDecl {
  readonly name: string;
  readonly type: VarType;
  /**
   * `public="true"`: an anonymous web visitor may see the value (in a hand-off answer, in a web
   * prompt). Every other variable stays on the server and with the agent.
   */
  readonly public: boolean;
  readonly expr?: CompiledExpression;
  readonly at: SourceRef;
}

/** Executable content: inside `<next>` and `<on>`. */
export type Executable =
  | { readonly kind: 'assign'; readonly var: string; readonly expr: CompiledExpression; readonly at: SourceRef }
  | {
      readonly kind: 'fetch';
      /** Token id of the data-source service. */
      readonly source: string;
      /** The method called on it (default `fetch`). */
      readonly operation: string;
      readonly key: CompiledExpression;
      readonly into: string;
      /** `anonymous="true"`: runs on the web channel before the visitor is identified. */
      readonly anonymous: boolean;
      readonly at: SourceRef;
      readonly onError?: string;
      readonly errorInto?: string;
    }
  | {
      readonly kind: 'action';
      readonly service: string;
      readonly operation: string;
      readonly params: ReadonlyArray<{ readonly name: string; readonly expr: CompiledExpression }>;
      readonly into?: string;
      /** `anonymous="true"`: runs on the web channel before the visitor is identified. */
      readonly anonymous: boolean;
      readonly at: SourceRef;
      readonly onError?: string;
      readonly errorInto?: string;
    }
  | ObjectFetch
  | ObjectAction
  | { readonly kind: 'log'; readonly expr: CompiledExpression; readonly at: SourceRef }
  | {
      readonly kind: 'if';
      /** `<if cond>`, then each `<elseif cond>`, then `<else>` (no cond). */
      readonly branches: ReadonlyArray<{ readonly cond?: CompiledExpression; readonly body: readonly Executable[] }>;
      readonly at: SourceRef;
    }
  | { readonly kind: 'goto'; readonly target: string; readonly at: SourceRef };

/**
 * How a script handles a failed `<fetch>` or `<action>` (a service that throws; for business
 * objects: a validation error, a record that is gone, a stale version, an access refused).
 */
export interface FailureHandling {
  /** `on-error`: the node to go to instead of failing the step (the rest of the content is skipped). */
  readonly onError?: string;
  /** `error-into`: the variable that gets `{ code, message, fields }` of the failure. */
  readonly errorInto?: string;
}

/** The comparison operators of a `where`. */
/**
 * How a `where` compares a field: the comparison operators, and the text matches `contains(field,
 * text)` and `startsWith(field, text)` (case and accents ignored, as the objects service matches).
 */
export type ObjectComparison = '==' | '!=' | '<' | '<=' | '>' | '>=' | 'in' | 'not in' | 'contains' | 'startsWith';

/**
 * A compiled `where` of `<fetch object>`: conditions on the object's fields (a dotted path names a
 * field of a many-to-one relation's target: `customer.customerNumber`), combined with and, or, not.
 * The value side is an expression over the script's variables, evaluated when the fetch runs.
 */
export type ObjectCondition =
  | { readonly kind: 'and' | 'or'; readonly items: readonly ObjectCondition[] }
  | { readonly kind: 'not'; readonly item: ObjectCondition }
  | { readonly kind: 'field'; readonly path: readonly string[]; readonly op: ObjectComparison; readonly value: Expr; readonly pos: number };

/** `<fetch object where|key into list? order-by? limit?>`: reads business objects through the objects service. */
export interface ObjectFetch extends FailureHandling {
  readonly kind: 'object-fetch';
  readonly object: string;
  /** `where`, as written and compiled (undefined when the fetch is by `key`, or reads every record). */
  readonly where?: { readonly source: CompiledExpression; readonly condition: ObjectCondition | undefined };
  /** `key`: the record's key, or a record read earlier (its key fields are taken). */
  readonly key?: CompiledExpression;
  /** `list="true"`: a list of records (one page); otherwise the first record or null. */
  readonly list: boolean;
  /** `order-by="-dueDate, number"`: field names, `-` for descending. */
  readonly orderBy: readonly string[];
  /** `limit`: most records of a list (1 to 1000; default 100). */
  readonly limit?: number;
  readonly into: string;
  readonly anonymous: boolean;
  readonly at: SourceRef;
}

/** The write operations of `<action object>`. */
export type ObjectWriteOperation = 'create' | 'update' | 'delete';

/** `<action object operation key? into?>` with a `<param>` per field: writes a business object. */
export interface ObjectAction extends FailureHandling {
  readonly kind: 'object-action';
  readonly object: string;
  readonly operation: ObjectWriteOperation;
  /** update/delete: the key, or the record read earlier (then its `$version` is checked too). */
  readonly key?: CompiledExpression;
  /**
   * One per field written. `question`: the question that collected the field (written, or inferred
   * when `expr` is just the variable a question of this script stores its answer in).
   */
  readonly params: ReadonlyArray<{ readonly name: string; readonly expr: CompiledExpression; readonly question?: string; readonly at: SourceRef }>;
  /** `on-invalid="reask"`: a validation error asks the question of the first invalid field again, with the field's message. */
  readonly reask: boolean;
  readonly into?: string;
  readonly anonymous: boolean;
  readonly at: SourceRef;
}

/** A `<next>`: taken when `cond` holds (or always without it); runs `body`, then goes to `target`. */
export interface Transition {
  readonly cond?: CompiledExpression;
  readonly target: string;
  readonly body: readonly Executable[];
  readonly at: SourceRef;
}

/** A `<choice>`. */
export interface Choice {
  readonly value: string;
  readonly label: string;
  readonly dtmf?: string;
}

/** A `<validate>`: the answer is refused with `message` when `cond` does not hold. */
export interface Validation {
  readonly cond: CompiledExpression;
  readonly message: string;
  readonly at: SourceRef;
}

/** An `<on event count?>` handler. */
export interface EventHandler {
  readonly event: QuestionEvent;
  /** Selected when the event's counter is at least this (VoiceXML); default 1. */
  readonly count: number;
  readonly prompts: readonly Prompt[];
  readonly body: readonly Executable[];
  readonly at: SourceRef;
}

interface NodeBase {
  readonly id: string;
  /** The channels the node runs on; on others it is skipped as if unanswered. */
  readonly channels: readonly Channel[];
  readonly at: SourceRef;
}

/** `<question>`. */
export interface QuestionNode extends NodeBase {
  readonly kind: 'question';
  readonly var: string;
  readonly type: QuestionType;
  readonly required: boolean;
  readonly min?: number | string;
  readonly max?: number | string;
  readonly pattern?: string;
  readonly prompts: readonly Prompt[];
  readonly help: readonly Prompt[];
  readonly choices: readonly Choice[];
  readonly validations: readonly Validation[];
  readonly handlers: readonly EventHandler[];
  readonly next: readonly Transition[];
}

/** `<info>`. */
export interface InfoNode extends NodeBase {
  readonly kind: 'info';
  readonly prompts: readonly Prompt[];
  readonly next: readonly Transition[];
}

/** `<decision>`. */
export interface DecisionNode extends NodeBase {
  readonly kind: 'decision';
  readonly next: readonly Transition[];
}

/** `<subscript>`. */
export interface SubscriptNode extends NodeBase {
  readonly kind: 'subscript';
  /** As written. */
  readonly src: string;
  /** The id of the script `src` resolved to (set by the loader). */
  readonly scriptId: string;
  readonly next: readonly Transition[];
}

/** `<handoff>`. */
export interface HandoffNode extends NodeBase {
  readonly kind: 'handoff';
  readonly queue: string;
  readonly skills: readonly string[];
  /** The contact's priority in that queue (`priority="…"`, a whole number; higher first); absent: the entry's own. */
  readonly priority?: number;
  readonly prompts: readonly Prompt[];
}

/** `<end>`. */
export interface EndNode extends NodeBase {
  readonly kind: 'end';
  readonly outcome: string;
  readonly prompts: readonly Prompt[];
}

/** Any node of a script. */
export type ScriptNode = QuestionNode | InfoNode | DecisionNode | SubscriptNode | HandoffNode | EndNode;
/** The node kinds. */
export type NodeKind = ScriptNode['kind'];

/** Metadata from `<meta>`. */
export interface ScriptMeta {
  readonly title?: string;
  readonly description?: string;
  readonly authors: readonly string[];
}

/** One compiled script file. */
export interface CompiledScript {
  readonly id: string;
  readonly version: string;
  readonly file: string;
  readonly start: string;
  readonly lang?: string;
  /** Queue of the default IVR hand-off (after the last noinput/nomatch handler). */
  readonly fallbackQueue: string;
  /** Attempts before the default IVR hand-off when a question has no handler for the event. */
  readonly maxAttempts: number;
  readonly meta: ScriptMeta;
  readonly vars: readonly VarDecl[];
  /** Nodes by id. */
  readonly nodes: ReadonlyMap<string, ScriptNode>;
  /** Node ids in document order. */
  readonly order: readonly string[];
}

/**
 * A script with every subscript it uses, resolved at load time: what a session runs. A session stays
 * on the bundle it started with, so a new version does not change a running conversation.
 */
export interface ScriptBundle {
  readonly main: CompiledScript;
  /** Every script of the bundle by id, the main one included. */
  readonly scripts: ReadonlyMap<string, CompiledScript>;
  /** The source text of every file of the bundle, by script id (for persistence of the version). */
  readonly sources: ReadonlyMap<string, { readonly file: string; readonly text: string }>;
}

/** Initial values handed to a session. */
export type Variables = Record<string, ScriptValue>;
