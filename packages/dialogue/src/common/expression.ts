/**
 * The expression language of dialogue scripts (`cond` and `expr` attributes, queue agent
 * expressions in comms): a thin adapter over the one expression language of the kernel
 * (`@caruso/kernel/expression`, reference in docs/expressions.md). It keeps the names this package
 * has always exported; the grammar, the functions and the rules all live in the kernel.
 *
 * Dialogue policy: {@link parseExpression} also runs the static checks (unknown function, arity,
 * literal patterns), so a script with a bad expression does not load; names are checked by the
 * script parser against the declared variables ({@link referencedVariables}); an evaluation error
 * (a wrong type, a division by zero) is thrown with its offset.
 */
import {
  compileExpression,
  compileExpressionPattern,
  evaluateExpression,
  expressionEquals,
  formatExpressionValue,
  isExpressionTruthy,
  MAX_EXPRESSION_LENGTH as KERNEL_MAX_EXPRESSION_LENGTH,
  MAX_PATTERN_LENGTH as KERNEL_MAX_PATTERN_LENGTH,
  referencedExpressionNames,
  type BinaryOperator,
  type ExpressionContext,
  type ExpressionNode,
  type ExpressionValue,
  type ParsedExpression,
} from '@caruso/kernel';

export { ExpressionError } from '@caruso/kernel';

/** A value an expression computes or a script variable holds. */
export type ScriptValue = ExpressionValue;
/** A node of a parsed expression; `pos` is its offset inside the source text. */
export type Expr = ExpressionNode;
/** The binary operators. */
export type BinaryOp = BinaryOperator;
/** A parsed and checked expression with its source text. */
export type CompiledExpression = ParsedExpression;
/** What the evaluator reads: the variables and the clock (milliseconds since the epoch). */
export type EvalContext = ExpressionContext;

/** Longest expression accepted, in characters. */
export const MAX_EXPRESSION_LENGTH = KERNEL_MAX_EXPRESSION_LENGTH;
/** Longest regular expression accepted by `matches` and `pattern`. */
export const MAX_PATTERN_LENGTH = KERNEL_MAX_PATTERN_LENGTH;

/**
 * Parses and checks an expression. Throws {@link ExpressionError} with the offset of the problem.
 * @param source the text of a `cond` or `expr` attribute (entities already decoded).
 */
export function parseExpression(source: string): CompiledExpression {
  return compileExpression(source);
}

/** Compiles a pattern (anchored, cached); throws {@link ExpressionError} when it is invalid or too long. */
export function compilePattern(pattern: string, pos: number): RegExp {
  return compileExpressionPattern(pattern, pos);
}

/** The root names (first path segment) an expression reads, with their offsets. */
export function referencedVariables(e: Expr, out: Array<{ name: string; pos: number }> = []): Array<{ name: string; pos: number }> {
  out.push(...referencedExpressionNames(e));
  return out;
}

/**
 * Evaluates a parsed expression. Unset variables and missing fields read as `null`. Throws
 * {@link ExpressionError} for a type error (e.g. `'a' * 2`), with the offset of the operator.
 */
export function evaluate(e: Expr, ctx: EvalContext): ScriptValue {
  return evaluateExpression(e, ctx);
}

/** Deep equality of two values (numbers, texts, booleans, null, lists, objects). */
export const equals: (a: ScriptValue | undefined, b: ScriptValue | undefined) => boolean = expressionEquals;

/** Truthiness used by `cond`, `and`, `or`, `not`: false, null, 0, '' and empty lists are false. */
export const truthy: (v: ScriptValue | undefined) => boolean = isExpressionTruthy;

/** Formats a value for a prompt (`<value expr>`): null as empty, numbers plainly, objects as JSON. */
export const formatValue: (v: ScriptValue) => string = formatExpressionValue;
