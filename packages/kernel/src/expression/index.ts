/**
 * The expression language of Caruso: dialogue-script conditions and values, computed fields and
 * validation rules of business objects, queue agent expressions. A tokenizer, a parser to a tree
 * with source offsets, a static checker with a resolver hook for names, and an evaluator over a
 * fixed table of functions. No eval, no `new Function`, no vm, and no Node imports: the browser
 * front office evaluates the same expressions (import it from `@caruso/kernel/expression`).
 * The reference is docs/expressions.md.
 */
export { walkExpression, referencedExpressionNames, type BinaryOperator, type ExpressionNode, type ExpressionValue, type ParsedExpression } from './ast.js';
export { ExpressionError, type ExpressionErrorKind } from './expression-error.js';
export { parseExpression, MAX_EXPRESSION_DEPTH, MAX_EXPRESSION_LENGTH } from './parser.js';
export { checkExpression, compileExpression, type ExpressionResolver } from './checker.js';
export { evaluateExpression, type ExpressionContext } from './evaluator.js';
export { EXPRESSION_FUNCTIONS, expressionFunction, expressionResultType, type ExpressionFunction, type ExpressionType, type FunctionContext } from './functions.js';
export { compileExpressionPattern, describeExpressionValue, expressionEquals, formatExpressionValue, isExpressionTruthy, MAX_PATTERN_LENGTH } from './values.js';
