/**
 * The expression language of computed fields and validation rules: a thin adapter over the one
 * expression language of the kernel (`@caruso/kernel/expression`, reference in docs/expressions.md).
 * It keeps the names this package has always exported; the grammar, the functions and the rules
 * all live in the kernel. Like the kernel it imports nothing from Node (it runs in the browser).
 *
 * Objects policy: {@link parseExpression} checks only the syntax; {@link checkExpression} checks
 * names against the model's fields (a resolver passed to the kernel checker), functions and arity;
 * {@link evaluate} never throws: an expression that fails on a record (a wrong type, a division by
 * zero, a bad date) gives null, so a computed field is null and a rule is not violated.
 */
import {
  checkExpression as checkKernelExpression,
  EXPRESSION_FUNCTIONS,
  evaluateExpression,
  ExpressionError,
  parseExpression as parseKernelExpression,
  referencedExpressionNames,
  type BinaryOperator,
  type ExpressionErrorKind,
  type ExpressionFunction,
  type ExpressionNode,
  type ExpressionValue,
} from '@caruso/kernel';

/** A node of a parsed expression; `pos` is the offset in the source text. */
export type Expr = ExpressionNode;
/** The binary operators. */
export type BinaryOp = BinaryOperator;

/** A syntax error of an expression, with the offset where it was found. */
export class ExpressionSyntaxError extends ExpressionError {
  override readonly name = 'ExpressionSyntaxError';
  constructor(message: string, at: number, kind: ExpressionErrorKind = 'unexpected-token', details: Readonly<Record<string, string | number>> = {}) {
    super(kind, message, at, details);
  }
  /** Offset in the expression text (0-based); the same as `offset`. */
  get at(): number {
    return this.offset;
  }
}

/** A parsed expression with its source and the field names it reads. */
export interface CompiledExpression {
  readonly source: string;
  readonly ast: Expr;
  /** The first segment of every field reference, sorted and unique. */
  readonly references: readonly string[];
}

/** The functions of the language, by the name an expression calls (the kernel's fixed table). */
export const FUNCTIONS: Readonly<Record<string, ExpressionFunction>> = EXPRESSION_FUNCTIONS;

/**
 * The wording model diagnostics have always used for these problems (model-reader tests and
 * existing tooling match it); every other problem keeps the kernel's message.
 */
function modelMessage(e: ExpressionError): string {
  const d = e.details;
  switch (e.kind) {
    case 'unexpected-end':
      return 'unexpected end of expression';
    case 'unterminated-text':
      return 'unterminated string';
    case 'missing-token':
      return `expected '${String(d['expected'])}' but found ${String(d['found'])}`;
    case 'too-deep':
      return 'expression is nested too deeply';
    case 'arity':
      return `${String(d['name'])}() takes ${d['min'] === d['max'] ? String(d['min']) : `${String(d['min'])} to ${String(d['max'])}`} argument(s), got ${String(d['got'])}`;
    default:
      return e.message;
  }
}

/**
 * Parses an expression. Throws {@link ExpressionSyntaxError} (with the offset) for bad syntax.
 * @param source the expression text, at most 4096 characters.
 */
export function parseExpression(source: string): CompiledExpression {
  try {
    const { ast } = parseKernelExpression(source);
    return { source, ast, references: [...new Set(referencedExpressionNames(ast).map((r) => r.name))].sort() };
  } catch (err) {
    if (err instanceof ExpressionError) throw new ExpressionSyntaxError(modelMessage(err), err.offset, err.kind, err.details);
    throw err;
  }
}

/** A problem found by {@link checkExpression}. */
export interface ExpressionProblem {
  readonly message: string;
  readonly at: number;
}

/**
 * Checks that every reference is one of `names` and every call names a known function with a valid
 * number of arguments. Returns the problems (empty when fine).
 */
export function checkExpression(expr: CompiledExpression, names: ReadonlySet<string>): ExpressionProblem[] {
  const fields = { resolveName: (path: readonly string[]) => (names.has(path[0] as string) ? undefined : `unknown field '${path[0] as string}'`) };
  return checkKernelExpression(expr.ast, fields).map((p) => ({ message: modelMessage(p), at: p.offset }));
}

/** What an evaluation reads: the record's values and the clock. */
export interface EvalEnvironment {
  /** The value of a top-level name (a field of the record); undefined reads as null. */
  lookup(name: string): unknown;
  /** The current time (injectable for tests). */
  now(): Date;
}

/** Creates an environment over a plain record. */
export function recordEnvironment(record: Readonly<Record<string, unknown>>, now: () => Date = () => new Date()): EvalEnvironment {
  return { lookup: (name) => (Object.hasOwn(record, name) ? record[name] : null), now };
}

/**
 * Evaluates a parsed expression with the kernel's rules (docs/expressions.md). Never throws: an
 * expression that fails on these values (a wrong type, a division by zero, a bad date, an unknown
 * function) gives null.
 */
export function evaluate(expr: CompiledExpression | Expr, env: EvalEnvironment): unknown {
  const ast = 'ast' in expr ? expr.ast : expr;
  try {
    // record values are JSON-like (money and json fields are plain objects)
    return evaluateExpression(ast, { lookup: (name) => env.lookup(name) as ExpressionValue | undefined, now: () => env.now().getTime() });
  } catch {
    return null;
  }
}
