/**
 * What went wrong in an expression. `kind` is stable (callers may branch on it or render their own
 * wording); `message` is for people; `offset` is where (0-based, in characters).
 */
export type ExpressionErrorKind =
  // syntax
  | 'empty'
  | 'too-long'
  | 'too-deep'
  | 'unexpected-character'
  | 'unterminated-text'
  | 'bad-number'
  | 'unexpected-token'
  | 'unexpected-end'
  | 'missing-token'
  | 'chained-comparison'
  | 'field-name-expected'
  // static checks
  | 'unknown-function'
  | 'arity'
  | 'argument-type'
  | 'invalid-pattern'
  | 'unknown-name'
  // evaluation
  | 'type'
  | 'division-by-zero'
  | 'bad-date';

/** A syntax, check or evaluation error of an expression. */
export class ExpressionError extends Error {
  override readonly name: string = 'ExpressionError';
  constructor(
    /** The kind of problem (stable). */
    readonly kind: ExpressionErrorKind,
    message: string,
    /** Where in the expression the problem is (0-based). */
    readonly offset: number,
    /** Details of the problem, by kind: `missing-token` has `expected` and `found`; `arity` has `name`, `min`, `max`, `got`; `too-deep` and `too-long` have `limit`. */
    readonly details: Readonly<Record<string, string | number>> = {},
  ) {
    super(message);
  }
}
