import { ExpressionError } from './expression-error.js';

/** A token of an expression. */
export interface Token {
  readonly kind: 'num' | 'str' | 'name' | 'op' | 'eof';
  /** The source text of the token. */
  readonly text: string;
  /** The value of a number or a text. */
  readonly value?: string | number;
  readonly pos: number;
}

const TWO_CHAR_OPS = new Set(['==', '!=', '<=', '>=']);
const ONE_CHAR_OPS = new Set(['<', '>', '+', '-', '*', '/', '%', '(', ')', '[', ']', ',', '.', '?', ':']);

const isDigit = (c: string): boolean => c >= '0' && c <= '9';
const isNameStart = (c: string): boolean => (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_' || c === '$';
const isNamePart = (c: string): boolean => isNameStart(c) || isDigit(c);

/** Splits an expression into tokens; the last one is `eof`. Throws {@link ExpressionError}. */
export function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i] as string;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    const start = i;
    if (isDigit(c)) {
      while (isDigit(src[i] ?? '')) i++;
      if (src[i] === '.' && isDigit(src[i + 1] ?? '')) {
        i++;
        while (isDigit(src[i] ?? '')) i++;
      }
      // an exponent only when digits follow, so `2e` stays an error below
      const exp = /^[eE][+-]?[0-9]+/.exec(src.slice(i, i + 8));
      if (exp && !isNamePart(src[i + exp[0].length] ?? '')) i += exp[0].length;
      if (i < src.length && isNameStart(src[i] as string)) {
        throw new ExpressionError('bad-number', `unexpected '${src[i] as string}' after the number ${src.slice(start, i)}`, i);
      }
      const text = src.slice(start, i);
      out.push({ kind: 'num', text, value: Number(text), pos: start });
      continue;
    }
    if (c === "'" || c === '"') {
      i++;
      let value = '';
      for (;;) {
        const d = src[i];
        if (d === undefined || (d === '\\' && i + 1 >= src.length)) {
          throw new ExpressionError('unterminated-text', `the text starting here is not closed: add a ${c}`, start);
        }
        if (d === '\\') {
          const e = src[i + 1] as string;
          value += e === 'n' ? '\n' : e === 't' ? '\t' : e;
          i += 2;
          continue;
        }
        i++;
        if (d === c) break;
        value += d;
      }
      out.push({ kind: 'str', text: src.slice(start, i), value, pos: start });
      continue;
    }
    if (isNameStart(c)) {
      while (i < src.length && isNamePart(src[i] as string)) i++;
      out.push({ kind: 'name', text: src.slice(start, i), pos: start });
      continue;
    }
    const two = src.slice(i, i + 2);
    if (TWO_CHAR_OPS.has(two)) {
      out.push({ kind: 'op', text: two, pos: start });
      i += 2;
      continue;
    }
    if (ONE_CHAR_OPS.has(c)) {
      out.push({ kind: 'op', text: c, pos: start });
      i++;
      continue;
    }
    if (c === '=') throw new ExpressionError('unexpected-character', "'=' is not an operator: compare with '=='", i);
    if (c === '&' || c === '|' || c === '!') {
      throw new ExpressionError('unexpected-character', `'${two === '&&' || two === '||' ? two : c}' is not an operator: use 'and', 'or', 'not' (and '!=' for not equal)`, i);
    }
    throw new ExpressionError('unexpected-character', `unexpected character '${c}'`, i);
  }
  out.push({ kind: 'eof', text: '', pos: src.length });
  return out;
}
