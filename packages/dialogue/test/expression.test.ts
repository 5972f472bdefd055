import { EXPRESSION_FUNCTIONS } from '@caruso/kernel/expression';
import { evaluate, ExpressionError, parseExpression, referencedVariables, type ScriptValue } from '@caruso/dialogue';

const NOW = Date.UTC(2024, 2, 15, 10, 30, 0); // 2024-03-15T10:30:00Z
const vars: Record<string, ScriptValue> = {
  n: 7,
  s: 'Hello',
  t: true,
  f: false,
  z: null,
  list: ['a', 'b'],
  customer: { name: 'Ann', address: { city: 'Gent' }, tags: ['vip'] },
};
const ev = (src: string): ScriptValue => evaluate(parseExpression(src).ast, { lookup: (k) => vars[k], now: () => NOW });
const syntaxError = (src: string): ExpressionError => {
  try {
    parseExpression(src);
  } catch (err) {
    if (err instanceof ExpressionError) return err;
    throw err;
  }
  throw new Error(`no error for ${src}`);
};

describe('expression language: literals and variables', () => {
  it.each([
    ["'text'", 'text'],
    ['"double"', 'double'],
    ["'it\\'s'", "it's"],
    ['42', 42],
    ['3.25', 3.25],
    ['true', true],
    ['false', false],
    ['null', null],
  ])('reads the literal %s', (src, value) => expect(ev(src)).toEqual(value));

  it('reads variables and dotted paths, missing ones as null', () => {
    expect(ev('n')).toBe(7);
    expect(ev('customer.address.city')).toBe('Gent');
    expect(ev('customer.tags.0')).toBe('vip');
    expect(ev('customer.phone')).toBeNull();
    expect(ev('unknown.deeper')).toBeNull();
    expect(ev('s.length')).toBeNull();
  });
});

describe('expression language: operators', () => {
  it.each([
    ['n == 7', true],
    ["s == 'Hello'", true],
    ["n == '7'", false],
    ['n != 8', true],
    ['n < 8', true],
    ['n <= 7', true],
    ['n > 7', false],
    ['n >= 7', true],
    ["'abc' < 'abd'", true],
    ["n < 'x'", false],
    ['z == null', true],
    ["customer == customer", true],
    ['t and f', false],
    ['t or f', true],
    ['not f', true],
    ['not z', true],
    ['1 + 2 * 3', 7],
    ['(1 + 2) * 3', 9],
    ['10 - 4 - 3', 3],
    ['7 / 2', 3.5],
    ['7 % 3', 1],
    ['-n + 1', -6],
    ["s + ' ' + n", 'Hello 7'],
    ["'a' + null", 'a'],
    ['n > 5 and n < 10 or false', true],
  ])('%s gives %p', (src, value) => expect(ev(src)).toEqual(value));

  it('short-circuits and/or (the right side is not evaluated)', () => {
    expect(ev("f and 'x' * 2")).toBe(false);
    expect(ev("t or 'x' * 2")).toBe(true);
  });

  it('reports a type error at run time with the offset of the operator', () => {
    expect(() => ev("s * 2")).toThrow(ExpressionError);
    const err = (() => {
      try {
        ev('n + 1 - s');
      } catch (e) {
        return e as ExpressionError;
      }
      return undefined;
    })();
    expect(err?.offset).toBe(6);
    expect(err?.message).toMatch(/'-' needs two numbers/);
    expect(() => ev('n / 0')).toThrow(/division by zero/);
    expect(() => ev('t + 1')).toThrow(/'\+' adds numbers or joins texts/);
  });
});

describe('expression language: functions', () => {
  it.each([
    ['len(s)', 5],
    ['len(list)', 2],
    ['len(null)', 0],
    ['lower(s)', 'hello'],
    ['upper(s)', 'HELLO'],
    ["trim('  x ')", 'x'],
    ["contains(s, 'ell')", true],
    ["contains(list, 'b')", true],
    ["contains(list, 'c')", false],
    ["startsWith(s, 'He')", true],
    ["endsWith(s, 'lo')", true],
    ["matches('1234 AB', '[0-9]{4} ?[A-Z]{2}')", true],
    ["matches('12', '[0-9]{4}')", false],
    ['empty(z)', true],
    ["empty('  ')", true],
    ['empty(list)', false],
    ['empty(customer)', false],
    ['round(2.5)', 3],
    ['round(-2.5)', -3],
    ['round(3.14159, 2)', 3.14],
    ['floor(2.7)', 2],
    ['ceil(2.1)', 3],
    ['abs(-4)', 4],
    ['min(3, 1, 2)', 1],
    ['max(3, 1, 2)', 3],
    ["number('12.5')", 12.5],
    ["number('x')", null],
    ['string(12)', '12'],
    ['coalesce(z, customer.phone, 5)', 5],
    ['today()', '2024-03-15'],
    ['now()', '2024-03-15T10:30:00.000Z'],
    ["daysBetween('2024-03-01', '2024-03-15')", 14],
    ["daysBetween('2024-03-15', '2024-03-01')", -14],
    ["daysBetween('2024-02-28', today())", 16],
    ["addDays('2024-02-28', 2)", '2024-03-01'],
    ["concat('K', 10, null, 'x')", 'K10x'],
    ["substr('K100002', 1, 3)", '100'],
    ["isEmpty('  ')", true],
    ["year('2024-03-15')", 2024],
    ["month('2024-03-15')", 3],
    ["day('2024-03-15')", 15],
    ['formatNumber(1234.5, 2)', '1,234.50'],
    ["formatMoney(customer.name == 'Ann' ? 1122.2 : 0)", '€1,122.20'],
    ["formatDate('2024-03-15', 'long')", 'March 15, 2024'],
    ["formatTime('09:05')", '9:05 AM'],
    ['formatDateTime(z)', null],
  ])('%s gives %p', (src, value) => expect(ev(src)).toEqual(value));

  it('covers every function of the shared expression language in the table above', () => {
    const tested = ['len', 'lower', 'upper', 'trim', 'contains', 'startsWith', 'endsWith', 'matches', 'empty', 'round', 'floor', 'ceil', 'abs', 'min', 'max', 'number', 'string', 'coalesce', 'today', 'now', 'daysBetween', 'addDays', 'concat', 'substr', 'isEmpty', 'year', 'month', 'day', 'formatNumber', 'formatMoney', 'formatDate', 'formatTime', 'formatDateTime'];
    expect(Object.keys(EXPRESSION_FUNCTIONS).sort()).toEqual(tested.sort());
  });

  it('rejects a bad date at run time', () => {
    expect(() => ev("daysBetween('15/03/2024', today())")).toThrow(/YYYY-MM-DD/);
  });
});

describe('expression language: syntax errors carry the offset', () => {
  it.each([
    ['', 0, /empty/],
    ['n ==', 4, /ends too early/],
    ['n = 1', 2, /'=' is not an operator/],
    ['a && b', 2, /use 'and'/],
    ["'open", 0, /not closed/],
    ['(1 + 2', 6, /missing '\)'/],
    ['foo(1)', 0, /unknown function 'foo'/],
    ['len(1, 2)', 0, /len\(\) takes 1 argument, got 2/],
    ['today(1)', 0, /takes 0 arguments/],
    ['1 < 2 < 3', 6, /cannot be chained/],
    ['n n', 2, /unexpected 'n' after a complete expression/],
    ['a.', 2, /field name is expected/],
    ['12abc', 2, /after the number/],
    ['x # 1', 2, /unexpected character '#'/],
    ["matches(s, '(')", 11, /invalid pattern/],
    [') + 1', 0, /unexpected '\)'/],
  ])('%p fails at offset %p', (src, offset, message) => {
    const err = syntaxError(src);
    expect(err.offset).toBe(offset);
    expect(err.message).toMatch(message);
  });

  it('limits nesting depth and length', () => {
    expect(syntaxError('('.repeat(100) + '1' + ')'.repeat(100)).message).toMatch(/nested more than/);
    expect(syntaxError('1+'.repeat(3000) + '1').message).toMatch(/longer than/);
  });

  it('lists the variables an expression reads, with their offsets', () => {
    expect(referencedVariables(parseExpression("a.b + len(c) > 2 and not d").ast)).toEqual([
      { name: 'a', pos: 0 },
      { name: 'c', pos: 10 },
      { name: 'd', pos: 25 },
    ]);
  });
});
