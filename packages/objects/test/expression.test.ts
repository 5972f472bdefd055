import { checkExpression, evaluate, ExpressionSyntaxError, parseExpression, recordEnvironment } from './helpers.js';

const run = (src: string, record: Record<string, unknown> = {}): unknown =>
  evaluate(parseExpression(src), recordEnvironment(record, () => new Date('2024-05-01T10:00:00Z')));

describe('expression language', () => {
  it('follows operator precedence and evaluates arithmetic, comparison and logic', () => {
    expect(run('1 + 2 * 3')).toBe(7);
    expect(run('(1 + 2) * 3')).toBe(9);
    expect(run('10 % 4 - -1')).toBe(3);
    expect(run('a > 2 and b == "x" or c', { a: 3, b: 'x', c: false })).toBe(true);
    expect(run('not a < 2', { a: 3 })).toBe(true);
    expect(run('x ? "yes" : "no"', { x: 0 })).toBe('no');
    expect(run("status in ['open', 'new']", { status: 'new' })).toBe(true);
    expect(run("status not in ['open', 'new']", { status: 'new' })).toBe(false);
  });

  it('concatenates text and reads nested values of money and json fields', () => {
    expect(run("first + ' ' + last", { first: 'Ada', last: 'Lovelace' })).toBe('Ada Lovelace');
    expect(run('balance.amount / 100', { balance: { amount: 1250, currency: 'EUR' } })).toBe(12.5);
    expect(run('prefs.channel.name', { prefs: null })).toBeNull();
  });

  it('propagates null through arithmetic and ordering but compares null with ==', () => {
    expect(run('a + 1', { a: null })).toBeNull();
    expect(run('a < 3', {})).toBeNull();
    expect(run('a == null', {})).toBe(true);
    expect(run('1 / 0')).toBeNull();
    expect(run('a and false', {})).toBe(false);
    expect(run('a or true', {})).toBe(true);
  });

  it('offers date, text and number functions', () => {
    expect(run('today()')).toBe('2024-05-01');
    expect(run("daysBetween('2024-01-01', d)", { d: '2024-03-01' })).toBe(60);
    expect(run("addDays('2024-02-28', 2)")).toBe('2024-03-01');
    expect(run("year('2023-07-04') * 100 + month('2023-07-04')")).toBe(202307);
    expect(run("upper(trim(' ab ')) + lower('C') + len('four')")).toBe('ABc4');
    expect(run("coalesce(a, b, 'none')", { b: '' })).toBe('none');
    expect(run('round(2.345, 2) + abs(-1) + max(1, 5, 3) + min(4, 2)')).toBe(10.35);
    expect(run("matches(zip, '[0-9]{4} ?[A-Z]{2}')", { zip: '1234 AB' })).toBe(true);
    expect(run("contains(s, 'b') and startsWith(s, 'a') and endsWith(s, 'c')", { s: 'abc' })).toBe(true);
    expect(run("isEmpty(a) and not isEmpty('x')", { a: '' })).toBe(true);
  });

  it('never reaches JavaScript globals or prototypes', () => {
    expect(run('constructor', {})).toBeNull();
    expect(run('a.constructor.name', { a: {} })).toBeNull();
    expect(run('__proto__', {})).toBeNull();
    expect(checkExpression(parseExpression('toString(a)'), new Set(['a'])).map((p) => p.message)).toEqual(["unknown function 'toString'"]);
    expect(run('toString(1)')).toBeNull();
  });

  it('reports syntax errors with their offset', () => {
    const at = (src: string): [string, number] => {
      try {
        parseExpression(src);
      } catch (e) {
        if (e instanceof ExpressionSyntaxError) return [e.message, e.at];
      }
      throw new Error('no syntax error');
    };
    expect(at('a +')).toEqual(['unexpected end of expression', 3]);
    expect(at("'open")).toEqual(['unterminated string', 0]);
    expect(at('a # b')).toEqual(["unexpected character '#'", 2]);
    expect(at('f(1, 2')).toEqual(["expected ')' but found the end of the expression", 6]);
    expect(at('('.repeat(100) + '1' + ')'.repeat(100))[0]).toBe('expression is nested too deeply');
  });

  it('checks references and arity against the model', () => {
    const problems = checkExpression(parseExpression('len(a, b) + c'), new Set(['a', 'b']));
    expect(problems.map((p) => p.message)).toEqual(['len() takes 1 argument(s), got 2', "unknown field 'c'"]);
  });
});
