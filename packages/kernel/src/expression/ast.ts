/**
 * The tree a parsed expression becomes. Every node carries `pos`, its offset (0-based, in
 * characters) inside the source text, so a caller can turn a problem into `file:line:col`.
 */

/** A value an expression reads or computes: JSON-like data. */
export type ExpressionValue =
  | string
  | number
  | boolean
  | null
  | readonly ExpressionValue[]
  | { readonly [key: string]: ExpressionValue };

/** The binary operators, `and` and `or` included. */
export type BinaryOperator = 'or' | 'and' | '==' | '!=' | '<' | '<=' | '>' | '>=' | 'in' | 'not in' | '+' | '-' | '*' | '/' | '%';

/** A node of a parsed expression. */
export type ExpressionNode =
  | { readonly type: 'literal'; readonly value: ExpressionValue; readonly pos: number }
  /** A name and its dotted fields: `customer.address.city`, `tags.0`. */
  | { readonly type: 'path'; readonly path: readonly string[]; readonly pos: number }
  /** A list literal: `['open', 'new']`. */
  | { readonly type: 'list'; readonly items: readonly ExpressionNode[]; readonly pos: number }
  | { readonly type: 'unary'; readonly op: '-' | 'not'; readonly arg: ExpressionNode; readonly pos: number }
  | { readonly type: 'binary'; readonly op: BinaryOperator; readonly left: ExpressionNode; readonly right: ExpressionNode; readonly pos: number }
  /** `test ? then : otherwise`; `pos` is the offset of the `?`. */
  | { readonly type: 'conditional'; readonly test: ExpressionNode; readonly then: ExpressionNode; readonly otherwise: ExpressionNode; readonly pos: number }
  | { readonly type: 'call'; readonly name: string; readonly args: readonly ExpressionNode[]; readonly pos: number };

/** A parsed expression with its source text. */
export interface ParsedExpression {
  readonly source: string;
  readonly ast: ExpressionNode;
}

/** Calls `visit` on `node` and on every node below it, parents before children, left to right. */
export function walkExpression(node: ExpressionNode, visit: (node: ExpressionNode) => void): void {
  visit(node);
  switch (node.type) {
    case 'list':
      for (const item of node.items) walkExpression(item, visit);
      return;
    case 'unary':
      walkExpression(node.arg, visit);
      return;
    case 'binary':
      walkExpression(node.left, visit);
      walkExpression(node.right, visit);
      return;
    case 'conditional':
      walkExpression(node.test, visit);
      walkExpression(node.then, visit);
      walkExpression(node.otherwise, visit);
      return;
    case 'call':
      for (const arg of node.args) walkExpression(arg, visit);
      return;
    case 'literal':
    case 'path':
      return;
  }
}

/** The root names (first segment of every path) an expression reads, in source order, with their offsets. */
export function referencedExpressionNames(node: ExpressionNode): Array<{ name: string; pos: number }> {
  const out: Array<{ name: string; pos: number }> = [];
  walkExpression(node, (n) => {
    if (n.type === 'path') out.push({ name: n.path[0] as string, pos: n.pos });
  });
  return out;
}
