import { walkExpression, type ExpressionNode, type ParsedExpression } from './ast.js';
import { ExpressionError } from './expression-error.js';
import { expressionFunction } from './functions.js';
import { parseExpression } from './parser.js';
import { compileExpressionPattern } from './values.js';

/**
 * The hook through which a host (a dialogue script, a business-object model, a queue) tells the
 * checker which names an expression may read.
 */
export interface ExpressionResolver {
  /**
   * Checks a name the expression reads (`path[0]` is the root name, the rest its dotted fields).
   * @returns a message when the name is not allowed (`unknown field 'x'`), undefined when it is fine.
   */
  resolveName(path: readonly string[], pos: number): string | undefined;
}

/**
 * Checks a parsed expression without evaluating it: every call names a function of the fixed table
 * with a valid number of arguments, every literal pattern of `matches()` compiles, and (with a
 * resolver) every name read is known. Problems come in source order, parents before children.
 * @returns the problems found, empty when the expression is fine.
 */
export function checkExpression(ast: ExpressionNode, resolver?: ExpressionResolver): ExpressionError[] {
  const problems: ExpressionError[] = [];
  walkExpression(ast, (n) => {
    if (n.type === 'path') {
      const message = resolver?.resolveName(n.path, n.pos);
      if (message !== undefined) problems.push(new ExpressionError('unknown-name', message, n.pos, { name: n.path[0] as string }));
      return;
    }
    if (n.type !== 'call') return;
    const spec = expressionFunction(n.name);
    if (!spec) {
      problems.push(new ExpressionError('unknown-function', `unknown function '${n.name}'`, n.pos, { name: n.name }));
      return;
    }
    const arity = arityProblem(n.name, spec.min, spec.max, n.args.length, n.pos);
    if (arity) problems.push(arity);
    const pattern = n.name === 'matches' ? n.args[1] : undefined;
    if (pattern?.type === 'literal' && typeof pattern.value === 'string') {
      try {
        compileExpressionPattern(pattern.value, pattern.pos);
      } catch (err) {
        problems.push(err as ExpressionError);
      }
    }
  });
  return problems;
}

/** The arity error of a call, or undefined when the count fits. */
export function arityProblem(name: string, min: number, max: number, got: number, pos: number): ExpressionError | undefined {
  if (got >= min && got <= max) return undefined;
  const want = min === max ? `${min}` : `${min} to ${max}`;
  return new ExpressionError('arity', `${name}() takes ${want} argument${max === 1 ? '' : 's'}, got ${got}`, pos, { name, min, max, got });
}

/**
 * Parses and checks an expression in one step; the usual entry point of a host.
 * @throws {@link ExpressionError}: the syntax error, or the first problem {@link checkExpression} finds.
 */
export function compileExpression(source: string, resolver?: ExpressionResolver): ParsedExpression {
  const parsed = parseExpression(source);
  const first = checkExpression(parsed.ast, resolver)[0];
  if (first) throw first;
  return parsed;
}
