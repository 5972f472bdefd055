import type { BinaryOperator, ExpressionNode, ParsedExpression } from './ast.js';
import { ExpressionError } from './expression-error.js';
import { tokenize, type Token } from './tokenizer.js';

/** Longest expression accepted, in characters (protects the parser from hostile input). */
export const MAX_EXPRESSION_LENGTH = 4096;
/** Deepest nesting accepted (parentheses, calls, lists, `not`, unary minus, `? :`). */
export const MAX_EXPRESSION_DEPTH = 64;

const KEYWORDS = new Set(['and', 'or', 'not', 'in', 'true', 'false', 'null']);
const COMPARISONS = new Set(['==', '!=', '<', '<=', '>', '>=']);

function describeToken(t: Token): string {
  if (t.kind === 'eof') return 'the end of the expression';
  if (t.kind === 'str') return `string '${t.value as string}'`;
  return `'${t.text}'`;
}

class Parser {
  private i = 0;
  private depth = 0;
  constructor(private readonly toks: Token[]) {}

  private peek(ahead = 0): Token {
    return (this.toks[this.i + ahead] ?? this.toks[this.toks.length - 1]) as Token;
  }
  private next(): Token {
    const t = this.peek();
    if (t.kind !== 'eof') this.i++;
    return t;
  }
  private isOp(text: string): boolean {
    const t = this.peek();
    return t.kind === 'op' && t.text === text;
  }
  private isWord(text: string, ahead = 0): boolean {
    const t = this.peek(ahead);
    return t.kind === 'name' && t.text === text;
  }
  private expect(text: string, message: string): void {
    if (this.isOp(text)) {
      this.next();
      return;
    }
    const t = this.peek();
    throw new ExpressionError('missing-token', message, t.pos, { expected: text, found: describeToken(t) });
  }
  private nest<T>(pos: number, f: () => T): T {
    if (++this.depth > MAX_EXPRESSION_DEPTH) {
      throw new ExpressionError('too-deep', `the expression is nested more than ${MAX_EXPRESSION_DEPTH} levels deep`, pos, { limit: MAX_EXPRESSION_DEPTH });
    }
    try {
      return f();
    } finally {
      this.depth--;
    }
  }

  parseAll(): ExpressionNode {
    if (this.peek().kind === 'eof') throw new ExpressionError('empty', 'the expression is empty', 0);
    const e = this.conditional();
    const rest = this.peek();
    if (rest.kind !== 'eof') {
      throw new ExpressionError('unexpected-token', `unexpected '${rest.text}' after a complete expression (missing 'and'/'or' or an operator?)`, rest.pos);
    }
    return e;
  }

  private conditional(): ExpressionNode {
    const test = this.or();
    if (!this.isOp('?')) return test;
    const q = this.next();
    return this.nest(q.pos, () => {
      const then = this.conditional();
      this.expect(':', `missing ':' for the '?' at column ${q.pos + 1} of the expression`);
      const otherwise = this.conditional();
      return { type: 'conditional', test, then, otherwise, pos: q.pos };
    });
  }
  private or(): ExpressionNode {
    let left = this.and();
    while (this.isWord('or')) {
      const pos = this.next().pos;
      left = { type: 'binary', op: 'or', left, right: this.and(), pos };
    }
    return left;
  }
  private and(): ExpressionNode {
    let left = this.not();
    while (this.isWord('and')) {
      const pos = this.next().pos;
      left = { type: 'binary', op: 'and', left, right: this.not(), pos };
    }
    return left;
  }
  private not(): ExpressionNode {
    if (this.isWord('not')) {
      const pos = this.next().pos;
      return this.nest(pos, () => ({ type: 'unary', op: 'not', arg: this.not(), pos }));
    }
    return this.compare();
  }
  /** The comparison operator at the cursor, without consuming it. */
  private comparison(): { op: BinaryOperator; pos: number; width: number } | undefined {
    const t = this.peek();
    if (t.kind === 'op' && COMPARISONS.has(t.text)) return { op: t.text as BinaryOperator, pos: t.pos, width: 1 };
    if (this.isWord('in')) return { op: 'in', pos: t.pos, width: 1 };
    if (this.isWord('not') && this.isWord('in', 1)) return { op: 'not in', pos: t.pos, width: 2 };
    return undefined;
  }
  private compare(): ExpressionNode {
    const left = this.sum();
    const c = this.comparison();
    if (!c) return left;
    for (let k = 0; k < c.width; k++) this.next();
    const right = this.sum();
    const again = this.comparison();
    if (again) throw new ExpressionError('chained-comparison', "comparisons cannot be chained: combine them with 'and'", again.pos);
    return { type: 'binary', op: c.op, left, right, pos: c.pos };
  }
  private sum(): ExpressionNode {
    let left = this.product();
    while (this.isOp('+') || this.isOp('-')) {
      const t = this.next();
      left = { type: 'binary', op: t.text as BinaryOperator, left, right: this.product(), pos: t.pos };
    }
    return left;
  }
  private product(): ExpressionNode {
    let left = this.unary();
    while (this.isOp('*') || this.isOp('/') || this.isOp('%')) {
      const t = this.next();
      left = { type: 'binary', op: t.text as BinaryOperator, left, right: this.unary(), pos: t.pos };
    }
    return left;
  }
  private unary(): ExpressionNode {
    if (this.isOp('-')) {
      const pos = this.next().pos;
      return this.nest(pos, () => ({ type: 'unary', op: '-', arg: this.unary(), pos }));
    }
    return this.primary();
  }
  /** Comma-separated expressions up to `close` (the opening token is consumed already). */
  private items(pos: number, close: string, missing: string): ExpressionNode[] {
    return this.nest(pos, () => {
      const out: ExpressionNode[] = [];
      if (!this.isOp(close)) {
        for (;;) {
          out.push(this.conditional());
          if (!this.isOp(',')) break;
          this.next();
        }
      }
      this.expect(close, missing);
      return out;
    });
  }
  private primary(): ExpressionNode {
    const t = this.next();
    switch (t.kind) {
      case 'num':
        return { type: 'literal', value: t.value as number, pos: t.pos };
      case 'str':
        return { type: 'literal', value: t.value as string, pos: t.pos };
      case 'eof':
        throw new ExpressionError('unexpected-end', 'the expression ends too early: a value is missing', t.pos);
      case 'op':
        if (t.text === '(') {
          const inner = this.nest(t.pos, () => this.conditional());
          this.expect(')', `missing ')' for the '(' at column ${t.pos + 1} of the expression`);
          return inner;
        }
        if (t.text === '[') return { type: 'list', items: this.items(t.pos, ']', `missing ']' to close the list at column ${t.pos + 1} of the expression`), pos: t.pos };
        throw new ExpressionError('unexpected-token', `unexpected '${t.text}': a value is expected here`, t.pos);
      case 'name': {
        if (t.text === 'true' || t.text === 'false') return { type: 'literal', value: t.text === 'true', pos: t.pos };
        if (t.text === 'null') return { type: 'literal', value: null, pos: t.pos };
        if (KEYWORDS.has(t.text)) throw new ExpressionError('unexpected-token', `unexpected '${t.text}': a value is expected here`, t.pos);
        if (this.isOp('(')) {
          this.next();
          return { type: 'call', name: t.text, args: this.items(t.pos, ')', `missing ')' to close the call of ${t.text}`), pos: t.pos };
        }
        const path = [t.text];
        while (this.isOp('.')) {
          this.next();
          const p = this.next();
          // `tags.0` reads an item of a list
          if ((p.kind !== 'name' && p.kind !== 'num') || (p.kind === 'num' && !/^[0-9]+$/.test(p.text))) {
            throw new ExpressionError('field-name-expected', `a field name is expected after '.'`, p.pos);
          }
          path.push(p.text);
        }
        return { type: 'path', path, pos: t.pos };
      }
    }
  }
}

/**
 * Parses an expression into a tree. Only the syntax is checked here: function names, arity,
 * literal patterns and names are checked by {@link checkExpression}.
 * @param source the expression text (XML entities already decoded), at most {@link MAX_EXPRESSION_LENGTH} characters.
 * @throws {@link ExpressionError} with the offset of the problem.
 */
export function parseExpression(source: string): ParsedExpression {
  if (source.length > MAX_EXPRESSION_LENGTH) {
    throw new ExpressionError('too-long', `the expression is longer than ${MAX_EXPRESSION_LENGTH} characters`, 0, { limit: MAX_EXPRESSION_LENGTH });
  }
  return { source, ast: new Parser(tokenize(source)).parseAll() };
}
