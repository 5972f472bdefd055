import { walkExpression, type ExpressionNode, type ParsedExpression } from './ast.js';
import { ExpressionError } from './expression-error.js';
import { expressionFunction, expressionResultType, type ExpressionType } from './functions.js';
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
    n.args.forEach((arg, i) => {
      const why = argumentProblem(spec.args?.[i], spec.choices?.[i], arg);
      if (why) problems.push(new ExpressionError('argument-type', `${n.name}() argument ${i + 1}: ${why}`, arg.pos, { name: n.name, index: i }));
    });
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

const DAY_RE = /^\d{4}-\d{2}-\d{2}$/;
const DATETIME_RE = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$|^\d{2}:\d{2}(:\d{2})?$/;

/** What the checker can tell of an argument's type without evaluating it: a literal's or a call's. */
function staticType(n: ExpressionNode): { type: ExpressionType; literal?: ExpressionNode & { type: 'literal' } } {
  if (n.type === 'literal') {
    const v = n.value;
    if (v === null) return { type: 'any', literal: n };
    return { type: typeof v === 'string' ? 'text' : typeof v === 'number' ? 'number' : typeof v === 'boolean' ? 'boolean' : Array.isArray(v) ? 'list' : 'any', literal: n };
  }
  if (n.type === 'list') return { type: 'list' };
  if (n.type === 'call') return { type: expressionResultType(n.name) };
  if (n.type === 'unary') return { type: n.op === 'not' ? 'boolean' : 'number' };
  if (n.type === 'binary' && ['==', '!=', '<', '<=', '>', '>=', 'in', 'not in'].includes(n.op)) return { type: 'boolean' };
  return { type: 'any' };
}

/** Why an argument cannot have the type the function declares (or be one of its choices); undefined when it may. */
function argumentProblem(want: ExpressionType | undefined, choices: readonly string[] | undefined, arg: ExpressionNode): string | undefined {
  const got = staticType(arg);
  if (got.type === 'any') return undefined;
  const text = got.literal && typeof got.literal.value === 'string' ? got.literal.value : undefined;
  if (choices && text !== undefined && !choices.includes(text)) return `'${text}' is not one of ${choices.map((c) => `'${c}'`).join(', ')}`;
  if (!want || want === 'any') return undefined;
  const numeric = text !== undefined && text.trim() !== '' && Number.isFinite(Number(text));
  const bad = `needs ${want === 'text' ? 'a text' : want === 'datetime' ? 'a date and time' : want === 'money' ? 'a number or a money value' : `a ${want}`}, got ${got.literal ? (text !== undefined ? `the text '${text}'` : String(got.literal.value)) : `${got.type === 'list' ? 'a list' : got.type === 'datetime' ? 'a date and time' : `a ${got.type}`}`}`;
  switch (want) {
    case 'number':
    case 'money':
      return got.type === 'number' || numeric ? undefined : bad;
    case 'date':
      if (text !== undefined) return DAY_RE.test(text) || DATETIME_RE.test(text) ? undefined : `${bad} (write YYYY-MM-DD)`;
      return got.type === 'date' || got.type === 'datetime' || got.type === 'text' ? undefined : bad;
    case 'datetime':
      if (text !== undefined) return DATETIME_RE.test(text) ? undefined : `${bad} (write YYYY-MM-DDTHH:MM or HH:MM)`;
      return got.type === 'date' || got.type === 'datetime' || got.type === 'text' ? undefined : bad;
    case 'text':
      return got.type === 'list' ? bad : undefined;
    case 'boolean':
      return got.type === 'boolean' ? undefined : bad;
    case 'list':
      return got.type === 'list' || got.type === 'text' ? undefined : bad;
  }
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
