import * as kernel from '@caruso/kernel';
import {
  checkExpression,
  compileExpression,
  evaluateExpression,
  EXPRESSION_FUNCTIONS,
  ExpressionError,
  parseExpression,
  referencedExpressionNames,
  type ExpressionValue,
} from '@caruso/kernel/expression';

const NOW = Date.UTC(2024, 2, 15, 10, 30, 0); // 2024-03-15T10:30:00Z
const vars: Record<string, ExpressionValue> = {
  n: 7,
  s: 'Hello',
  t: true,
  f: false,
  z: null,
  list: ['a', 'b'],
  customer: { name: 'Ann', address: { city: 'Gent' }, tags: ['vip'] },
};
const ev = (src: string, values: Record<string, ExpressionValue> = vars): ExpressionValue =>
  evaluateExpression(compileExpression(src).ast, { lookup: (k) => values[k], now: () => NOW });
/** The error `f` throws (fails the test when it throws none or another kind of error). */
const errorOf = (f: () => unknown): ExpressionError => {
  try {
    f();
  } catch (err) {
    if (err instanceof ExpressionError) return err;
    throw err;
  }
  throw new Error('no ExpressionError was thrown');
};

describe('expression language (kernel): entry points', () => {
  it('is re-exported from the main entry of @caruso/kernel', () => {
    expect(kernel.evaluateExpression).toBe(evaluateExpression);
    expect(kernel.parseExpression).toBe(parseExpression);
  });
});

describe('expression language (kernel): literals and names', () => {
  it.each<[string, ExpressionValue]>([
    ["'text'", 'text'],
    ['"double"', 'double'],
    ["'it\\'s'", "it's"],
    ["'a\\nb\\tc'", 'a\nb\tc'],
    ['42', 42],
    ['3.25', 3.25],
    ['1e3', 1000],
    ['2.5E-1', 0.25],
    ['true', true],
    ['false', false],
    ['null', null],
    ["['a', 1, null]", ['a', 1, null]],
    ['[]', []],
  ])('reads the literal %s', (src, value) => expect(ev(src)).toEqual(value));

  it('reads names and dotted paths, missing ones as null, list items by index', () => {
    expect(ev('n')).toBe(7);
    expect(ev('customer.address.city')).toBe('Gent');
    expect(ev('customer.tags.0')).toBe('vip');
    expect(ev('customer.tags.1')).toBeNull();
    expect(ev('customer.phone')).toBeNull();
    expect(ev('unknown.deeper')).toBeNull();
    expect(ev('s.length')).toBeNull();
    expect(ev('list.length')).toBeNull();
    expect(ev('$x', { $x: 1 })).toBe(1);
  });

  it('never reaches JavaScript prototypes', () => {
    expect(ev('customer.constructor')).toBeNull();
    expect(ev('customer.__proto__')).toBeNull();
    expect(ev('customer.name.constructor')).toBeNull();
  });
});

describe('expression language (kernel): operators', () => {
  it.each<[string, ExpressionValue]>([
    ['n == 7', true],
    ["s == 'Hello'", true],
    ["n == '7'", false],
    ['z == null', true],
    ['missing == null', true],
    ["customer == customer", true],
    ["[1, 'a'] == [1, 'a']", true],
    ['n != 8', true],
    ['z != null', false],
    ['n < 8', true],
    ['n <= 7', true],
    ['n > 7', false],
    ['n >= 7', true],
    ["'abc' < 'abd'", true],
    ['false < true', true],
    ["n < 'x'", false],
    ['z < 3', null],
    ['3 >= z', null],
    ["'b' in list", true],
    ["'c' in list", false],
    ["'ell' in s", true],
    ['z in list', false],
    ["'a' in z", null],
    ["'b' not in list", false],
    ["'c' not in list", true],
    ["'x' not in z", null],
    ['t and f', false],
    ['t and 1', true],
    ['t or f', true],
    ["f or ''", false],
    ['z and f', false],
    ['z and t', null],
    ['z or t', true],
    ['z or f', null],
    ['not f', true],
    ['not z', true],
    ['not list', false],
    ['not []', true],
    ['1 + 2 * 3', 7],
    ['(1 + 2) * 3', 9],
    ['10 - 4 - 3', 3],
    ['7 / 2', 3.5],
    ['7 % 3', 1],
    ['-n + 1', -6],
    ['- -n', 7],
    ['-z', null],
    ["s + ' ' + n", 'Hello 7'],
    ["'a' + null", 'a'],
    ["'x' + true", 'xtrue'],
    ['z + 1', null],
    ['1 - z', null],
    ['z * 2', null],
    ['z / 2', null],
    ['z % 2', null],
    ["t ? 'yes' : 'no'", 'yes'],
    ["0 ? 'yes' : 'no'", 'no'],
    ["z ? 'yes' : 'no'", 'no'],
    ["f ? 1 : t ? 2 : 3", 2],
    ['n > 5 and n < 10 or false', true],
    ['not n < 2', true],
    ["n > 5 ? 'big' : 'small'", 'big'],
  ])('%s gives %p', (src, value) => expect(ev(src)).toEqual(value));

  it('short-circuits and, or and ? : (the other side is not evaluated)', () => {
    expect(ev("f and 'x' * 2")).toBe(false);
    expect(ev("t or 'x' * 2")).toBe(true);
    expect(ev("t ? 1 : 'x' * 2")).toBe(1);
    expect(ev("f ? 'x' * 2 : 2")).toBe(2);
  });

  it.each<[string, number, RegExp]>([
    ['s * 2', 2, /'\*' needs two numbers, got the text 'Hello' and number 2/],
    ['n + 1 - s', 6, /'-' needs two numbers/],
    ['n / 0', 2, /division by zero/],
    ['n % 0', 2, /division by zero/],
    ['t + 1', 2, /'\+' adds numbers or joins texts, got boolean true and number 1/],
    ['-s', 0, /'-' needs a number, got the text 'Hello'/],
    ['1 in 2', 2, /'in' needs a list or a text on its right, got number 2/],
    ['1 in s', 2, /'in' looks for a text in a text, got number 1/],
    ["round('x')", 0, /round\(\) needs a number, got the text 'x'/],
    ["daysBetween('15/03/2024', today())", 0, /a date must be written YYYY-MM-DD/],
    ["addDays('2024-02-31', 1)", 0, /2024-02-31 is not a date/],
  ])('%s fails at run time at offset %p', (src, offset, message) => {
    const err = errorOf(() => ev(src));
    expect(err.offset).toBe(offset);
    expect(err.message).toMatch(message);
  });
});

describe('expression language (kernel): functions', () => {
  const table: Array<[string, ExpressionValue]> = [
    ['len(s)', 5],
    ['len(list)', 2],
    ['len(customer)', 3],
    ['len(null)', 0],
    ['len(123)', 3],
    ['lower(s)', 'hello'],
    ['lower(null)', null],
    ['upper(s)', 'HELLO'],
    ['upper(z)', null],
    ["trim('  x ')", 'x'],
    ['trim(null)', null],
    ["concat(s, ' ', n, null, '!')", 'Hello 7!'],
    ['substr(s, 1)', 'ello'],
    ['substr(s, 1, 3)', 'ell'],
    ['substr(s, -2)', 'lo'],
    ['substr(s, 1, 0)', ''],
    ['substr(null, 1)', null],
    ["contains(s, 'ell')", true],
    ["contains(list, 'b')", true],
    ["contains(list, 'c')", false],
    ["contains(null, 'c')", null],
    ["startsWith(s, 'He')", true],
    ["startsWith(z, 'He')", null],
    ["endsWith(s, 'lo')", true],
    ["endsWith(s, 'x')", false],
    ["matches('1234 AB', '[0-9]{4} ?[A-Z]{2}')", true],
    ["matches('12', '[0-9]{4}')", false],
    ["matches(z, '[0-9]{4}')", null],
    ['empty(z)', true],
    ["empty('  ')", true],
    ['empty(list)', false],
    ['empty([])', true],
    ['empty(customer)', false],
    ["isEmpty('')", true],
    ["isEmpty('x')", false],
    ["coalesce(z, customer.phone, '', 5)", 5],
    ['coalesce(z)', null],
    ["coalesce(z, '')", ''],
    ["coalesce('', z, 'x')", 'x'],
    ["coalesce('', z)", null],
    ["number('12.5')", 12.5],
    ['number(3)', 3],
    ["number('x')", null],
    ['string(12)', '12'],
    ['string(null)', ''],
    ["string(['a'])", '["a"]'],
    ['round(2.5)', 3],
    ['round(-2.5)', -3],
    ['round(3.14159, 2)', 3.14],
    ['round(2.345, 2)', 2.35],
    ['round(1250, -2)', 1300],
    ["round('2.5')", 3],
    ['round(z)', null],
    ['floor(2.7)', 2],
    ['ceil(2.1)', 3],
    ['abs(-4)', 4],
    ['abs(z)', null],
    ['min(3, 1, 2)', 1],
    ['max(3, 1, 2)', 3],
    ['max(3, z)', null],
    ['today()', '2024-03-15'],
    ['now()', '2024-03-15T10:30:00.000Z'],
    ["year('2023-07-04')", 2023],
    ["month('2023-07-04')", 7],
    ["day('2023-07-04T23:59:00Z')", 4],
    ['year(z)', null],
    ["daysBetween('2024-03-01', '2024-03-15')", 14],
    ["daysBetween('2024-03-15', '2024-03-01')", -14],
    ["daysBetween('2024-02-28', today())", 16],
    ["daysBetween(z, today())", null],
    ["addDays('2024-02-28', 2)", '2024-03-01'],
    ["addDays('2024-03-01', -1)", '2024-02-29'],
    ['addDays(z, 1)', null],
    // formatting, in the default locale (en); see the describe block on formatting for nl
    ['formatNumber(1234.5)', '1,234.5'],
    ['formatNumber(1234.5, 2)', '1,234.50'],
    ['formatMoney(1122.2)', '€1,122.20'],
    ['formatDate(today())', 'Mar 15, 2024'],
    ["formatTime('14:30')", '2:30 PM'],
    ['formatDateTime(z)', null],
  ];
  it.each(table)('%s gives %p', (src, value) => expect(ev(src)).toEqual(value));

  it('tests every function of the fixed table above', () => {
    const called = new Set(table.map(([src]) => /^[a-zA-Z]+/.exec(src)?.[0]));
    expect(Object.keys(EXPRESSION_FUNCTIONS).filter((name) => !called.has(name))).toEqual([]);
    for (const spec of Object.values(EXPRESSION_FUNCTIONS)) expect(spec.doc).toMatch(/^[a-zA-Z]+\(/);
  });
});

describe('expression language (kernel): syntax errors carry the offset', () => {
  it.each<[string, number, string, RegExp]>([
    ['', 0, 'empty', /empty/],
    ['n ==', 4, 'unexpected-end', /ends too early/],
    ['n = 1', 2, 'unexpected-character', /'=' is not an operator: compare with '=='/],
    ['a && b', 2, 'unexpected-character', /'&&' is not an operator: use 'and'/],
    ['a || b', 2, 'unexpected-character', /'\|\|' is not an operator/],
    ['!a', 0, 'unexpected-character', /'!' is not an operator/],
    ["'open", 0, 'unterminated-text', /not closed: add a '/],
    ['"ends\\', 0, 'unterminated-text', /not closed/],
    ['(1 + 2', 6, 'missing-token', /missing '\)' for the '\(' at column 1/],
    ['len(1, 2', 8, 'missing-token', /missing '\)' to close the call of len/],
    ['[1, 2', 5, 'missing-token', /missing '\]' to close the list/],
    ['t ? 1', 5, 'missing-token', /missing ':' for the '\?' at column 3/],
    ['1 < 2 < 3', 6, 'chained-comparison', /cannot be chained/],
    ['1 == 2 in list', 7, 'chained-comparison', /cannot be chained/],
    ['n n', 2, 'unexpected-token', /unexpected 'n' after a complete expression/],
    [') + 1', 0, 'unexpected-token', /unexpected '\)': a value is expected/],
    ['1 + and', 4, 'unexpected-token', /unexpected 'and'/],
    ['a.', 2, 'field-name-expected', /field name is expected/],
    ['a.1.5', 2, 'field-name-expected', /field name is expected/],
    ['12abc', 2, 'bad-number', /after the number 12/],
    ['x # 1', 2, 'unexpected-character', /unexpected character '#'/],
  ])('%p fails at offset %p (%s)', (src, offset, kind, message) => {
    const err = errorOf(() => parseExpression(src));
    expect([err.offset, err.kind]).toEqual([offset, kind]);
    expect(err.message).toMatch(message);
  });

  it('limits nesting depth and length', () => {
    for (const deep of ['('.repeat(100) + '1' + ')'.repeat(100), 'not '.repeat(100) + 't', '-'.repeat(100) + '1', 'len('.repeat(100) + ')'.repeat(100)]) {
      const err = errorOf(() => parseExpression(deep));
      expect([err.kind, err.message]).toEqual(['too-deep', 'the expression is nested more than 64 levels deep']);
    }
    expect(() => parseExpression('('.repeat(60) + '1' + ')'.repeat(60))).not.toThrow();
    const long = errorOf(() => parseExpression('1+'.repeat(3000) + '1'));
    expect([long.kind, long.offset, long.message]).toEqual(['too-long', 0, 'the expression is longer than 4096 characters']);
  });

  it('reports missing-token details (what was expected and what was found)', () => {
    expect(errorOf(() => parseExpression('f(1, 2')).details).toEqual({ expected: ')', found: 'the end of the expression' });
    expect(errorOf(() => parseExpression("f(1 'x'")).details).toEqual({ expected: ')', found: "string 'x'" });
  });
});

describe('expression language (kernel): static checks', () => {
  const problems = (src: string, known?: string[]): Array<[string, number, string]> =>
    checkExpression(
      parseExpression(src).ast,
      known && { resolveName: (path) => (known.includes(path[0] as string) ? undefined : `unknown field '${path[0] as string}'`) },
    ).map((p) => [p.kind, p.offset, p.message]);

  it('reports unknown functions, wrong arity and invalid literal patterns in source order', () => {
    expect(problems("foo(1) + len(1, 2) + today(1) + round() + matches(s, '(')")).toEqual([
      ['unknown-function', 0, "unknown function 'foo'"],
      ['arity', 9, 'len() takes 1 argument, got 2'],
      ['arity', 21, 'today() takes 0 arguments, got 1'],
      ['arity', 32, 'round() takes 1 to 2 arguments, got 0'],
      ['invalid-pattern', 53, expect.stringMatching(/^invalid pattern: /) as unknown as string],
    ]);
    expect(problems(`matches(s, '${'a'.repeat(201)}')`)).toEqual([['invalid-pattern', 11, 'invalid pattern: it is longer than 200 characters']]);
  });

  it('does not take inherited properties for functions', () => {
    expect(problems('toString(1) + constructor(2)').map((p) => p[2])).toEqual(["unknown function 'toString'", "unknown function 'constructor'"]);
    expect(errorOf(() => ev('toString(1)')).kind).toBe('unknown-function');
  });

  it('asks the resolver about every name read', () => {
    expect(problems('a.b + len(c) > 2 and not d', ['a', 'd'])).toEqual([['unknown-name', 10, "unknown field 'c'"]]);
    expect(problems('a + b', ['a', 'b'])).toEqual([]);
  });

  it('compileExpression throws the first problem', () => {
    const err = errorOf(() => compileExpression('x + y', { resolveName: (p) => `no ${p[0] as string}` }));
    expect([err.kind, err.offset, err.message]).toEqual(['unknown-name', 0, 'no x']);
  });

  it('checks arity at run time when the expression was not checked', () => {
    expect(errorOf(() => evaluateExpression(parseExpression('len(1, 2)').ast, { lookup: () => null, now: () => NOW })).kind).toBe('arity');
  });

  it('lists the names an expression reads, with their offsets', () => {
    expect(referencedExpressionNames(parseExpression("a.b + len(c) > 2 and not d ? [e] : f").ast)).toEqual([
      { name: 'a', pos: 0 },
      { name: 'c', pos: 10 },
      { name: 'd', pos: 25 },
      { name: 'e', pos: 30 },
      { name: 'f', pos: 35 },
    ]);
  });
});

describe('expression language (kernel): runs in the browser', () => {
  it('imports nothing but its own files (no Node modules, no packages)', async () => {
    const { readdir, readFile } = await import('node:fs/promises');
    const dir = new URL('../src/expression/', import.meta.url);
    const files = (await readdir(dir)).filter((f) => f.endsWith('.ts'));
    expect(files.length).toBeGreaterThan(3);
    for (const file of files) {
      const source = await readFile(new URL(file, dir), 'utf8');
      const imports = [...source.matchAll(/from '([^']+)'/g)].map((m) => m[1]);
      expect({ file, foreign: imports.filter((i) => !i?.startsWith('./')) }).toEqual({ file, foreign: [] });
      const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
      expect(code).not.toMatch(/\beval\(|new Function|\bvm\b|require\(|\bimport\(/);
    }
  });
});

describe('expression language (kernel): reference', () => {
  it('docs/expressions.md documents every function of the table', async () => {
    const { readFile } = await import('node:fs/promises');
    const doc = await readFile(new URL('../../../docs/expressions.md', import.meta.url), 'utf8');
    expect(Object.keys(EXPRESSION_FUNCTIONS).filter((name) => !doc.includes(`\`${name}(`))).toEqual([]);
  });
});

describe('expression language (kernel): formatting in the locale', () => {
  const money = { amount: 112220, currency: 'EUR' };
  const fmt = (src: string, locale?: string, values: Record<string, ExpressionValue> = { money, z: null, d: '2024-03-15', at: '2024-03-15T10:30:00Z' }): ExpressionValue =>
    evaluateExpression(compileExpression(src).ast, { lookup: (k) => values[k], now: () => NOW, locale: () => locale, timeZone: () => 'Europe/Amsterdam' });

  it.each([
    ['formatMoney(1122.2)', 'nl-NL', '€ 1.122,20'],
    ['formatMoney(money)', 'nl-NL', '€ 1.122,20'],
    ['formatMoney(money)', 'en', '€1,122.20'],
    ["formatMoney(1500, 'jpy')", 'en', '¥1,500'],
    ['formatMoney(-5)', 'nl', '€ -5,00'],
    ['formatNumber(1234.5)', 'nl', '1.234,5'],
    ['formatNumber(1234.5, 2)', 'nl-NL', '1.234,50'],
    ['formatNumber(2, 0)', 'nl', '2'],
    ["formatDate(d, 'short')", 'nl', '15-03-2024'],
    ['formatDate(d)', 'nl', '15 mrt 2024'],
    ["formatDate(d, 'long')", 'nl', '15 maart 2024'],
    ["formatDate(d, 'full')", 'en', 'Friday, March 15, 2024'],
    ["formatTime('14:30')", 'nl', '14:30'],
    ['formatTime(at)', 'nl', '11:30'],
    ["formatDateTime(at, 'short')", 'nl', '15-03-2024, 11:30'],
    ['formatDateTime(at)', 'en', 'Mar 15, 2024, 11:30:00 AM'],
    ['formatMoney(z)', 'nl', null],
    ['formatDate(z)', 'nl', null],
  ])('%s in %s gives %p', (src, locale, want) => expect(fmt(src, locale)).toEqual(want));

  it('falls back to en without a locale or with one that is not a language tag', () => {
    expect(fmt('formatNumber(1234.5)')).toBe('1,234.5');
    expect(fmt('formatNumber(1234.5)', 'not a tag!')).toBe('1,234.5');
  });

  it('refuses values it cannot format when it runs, at the call', () => {
    expect(errorOf(() => fmt("formatMoney(money, 'euro')", 'nl'))).toMatchObject({ kind: 'type', offset: 0 });
    expect(errorOf(() => fmt('formatDate(x)', 'nl', { x: '15/03/2024' }))).toMatchObject({ kind: 'bad-date' });
    expect(errorOf(() => evaluateExpression(parseExpression("formatTime('25:00')").ast, { lookup: () => null, now: () => NOW })).message).toBe('25:00 is not a time of day');
  });

  it('the checker knows their argument and result types', () => {
    const problems = (src: string): string[] => checkExpression(parseExpression(src).ast).map((e) => `${e.kind}@${e.offset}: ${e.message}`);
    expect(problems("formatNumber('abc')")).toEqual(["argument-type@13: formatNumber() argument 1: needs a number, got the text 'abc'"]);
    expect(problems('formatNumber(formatDate(today()))')).toEqual(['argument-type@13: formatNumber() argument 1: needs a number, got a text']);
    expect(problems("formatDate(d, 'tiny')")).toEqual(["argument-type@14: formatDate() argument 2: 'tiny' is not one of 'short', 'medium', 'long', 'full'"]);
    expect(problems("formatDate('15-03-2024')")).toEqual(["argument-type@11: formatDate() argument 1: needs a date, got the text '15-03-2024' (write YYYY-MM-DD)"]);
    expect(problems('formatMoney(true)')).toEqual(['argument-type@12: formatMoney() argument 1: needs a number or a money value, got true']);
    expect(problems("formatMoney(x.amount, 'EUR') + formatDate(today(), 'short') + formatNumber('12')")).toEqual([]);
  });
});
