import { KernelErrors } from '../errors.js';
import type { PropertyValue, ServiceFilter, ServiceProperties } from '../service-manager.js';
import { globFromParts, globMatch, type Glob } from './glob.js';

/** A compiled property filter. */
export type PropertyPredicate = (properties: ServiceProperties) => boolean;

type Op = '=' | '~=' | '<' | '<=' | '>' | '>=';
type Node =
  | { kind: 'and' | 'or'; items: Node[] }
  | { kind: 'not'; item: Node }
  | { kind: 'present'; key: string }
  | { kind: 'cmp'; key: string; op: Op; value: string; wildcard: Glob | undefined };

const MATCH_ALL: PropertyPredicate = () => true;

/** A canonical string for caching compiled filters and bindings. */
export function filterKey(filter: ServiceFilter | undefined): string {
  if (filter === undefined) return '';
  if (typeof filter === 'string') return filter;
  return JSON.stringify(Object.keys(filter).sort().map((k) => [k, filter[k]]));
}

/** Renders a filter for messages. */
export function describeFilter(filter: ServiceFilter | undefined): string {
  if (filter === undefined) return 'none';
  if (typeof filter === 'string') return filter;
  return `(&${Object.entries(filter).map(([k, v]) => `(${k}=${String(v)})`).join('')})`;
}

class FilterParser {
  private pos = 0;
  constructor(private readonly text: string) {}

  parse(): Node {
    this.skipWs();
    const node = this.filter();
    this.skipWs();
    if (this.pos !== this.text.length) this.fail('unexpected text after the filter');
    return node;
  }

  private fail(reason: string): never {
    throw KernelErrors.CARUSO_KERNEL_INVALID_FILTER({ filter: this.text, position: this.pos, reason });
  }

  private skipWs(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos] as string)) this.pos++;
  }

  private expect(ch: string): void {
    this.skipWs();
    if (this.text[this.pos] !== ch) this.fail(`expected '${ch}'`);
    this.pos++;
  }

  private filter(): Node {
    this.expect('(');
    this.skipWs();
    const c = this.text[this.pos];
    let node: Node;
    if (c === '&' || c === '|') {
      this.pos++;
      const items: Node[] = [];
      this.skipWs();
      while (this.text[this.pos] === '(') {
        items.push(this.filter());
        this.skipWs();
      }
      if (items.length === 0) this.fail(`'${c}' needs at least one filter`);
      node = { kind: c === '&' ? 'and' : 'or', items };
    } else if (c === '!') {
      this.pos++;
      node = { kind: 'not', item: this.filter() };
    } else {
      node = this.item();
    }
    this.expect(')');
    return node;
  }

  private item(): Node {
    const start = this.pos;
    while (this.pos < this.text.length && /[A-Za-z0-9_.\-:]/.test(this.text[this.pos] as string)) this.pos++;
    const key = this.text.slice(start, this.pos);
    if (!key) this.fail('expected a property name');
    this.skipWs();
    let op: Op;
    const two = this.text.slice(this.pos, this.pos + 2);
    if (two === '~=' || two === '<=' || two === '>=') {
      op = two;
      this.pos += 2;
    } else if (this.text[this.pos] === '=' || this.text[this.pos] === '<' || this.text[this.pos] === '>') {
      op = this.text[this.pos] as Op;
      this.pos++;
    } else {
      return this.fail('expected an operator (=, ~=, <, <=, >, >=)');
    }
    let value = '';
    let hasWildcard = false;
    const parts: string[] = [''];
    while (this.pos < this.text.length && this.text[this.pos] !== ')') {
      let ch = this.text[this.pos] as string;
      if (ch === '(') this.fail("unescaped '(' in a value; write \\(");
      if (ch === '\\') {
        this.pos++;
        if (this.pos >= this.text.length) this.fail('dangling escape');
        ch = this.text[this.pos] as string;
        parts[parts.length - 1] += ch;
      } else if (ch === '*') {
        hasWildcard = true;
        parts.push('');
      } else {
        parts[parts.length - 1] += ch;
      }
      value += ch;
      this.pos++;
    }
    if (op === '=' && value === '*' && hasWildcard) return { kind: 'present', key };
    let wildcard: Glob | undefined;
    if (hasWildcard) {
      if (op !== '=' && op !== '~=') this.fail('wildcards work only with = and ~=');
      wildcard = globFromParts(parts, op === '~=');
    }
    return { kind: 'cmp', key, op, value: hasWildcard ? parts.join('*') : value, wildcard };
  }
}

function compareOne(actual: unknown, op: Op, value: string, wildcard: Glob | undefined): boolean {
  // Properties are validated scalars; anything else (a value that slipped through) matches nothing.
  if (typeof actual !== 'string' && typeof actual !== 'number' && typeof actual !== 'boolean') return false;
  if (wildcard) return globMatch(wildcard, String(actual));
  if (typeof actual === 'number') {
    // Number('') and Number(' ') are 0: a blank value is not a number.
    const v = value.trim() === '' ? Number.NaN : Number(value);
    if (Number.isNaN(v)) return false;
    switch (op) {
      case '=':
      case '~=':
        return actual === v;
      case '<':
        return actual < v;
      case '<=':
        return actual <= v;
      case '>':
        return actual > v;
      case '>=':
        return actual >= v;
    }
  }
  if (typeof actual === 'boolean') {
    return (op === '=' || op === '~=') && String(actual) === value.toLowerCase();
  }
  switch (op) {
    case '=':
      return actual === value;
    case '~=':
      return actual.toLowerCase() === value.toLowerCase();
    case '<':
      return actual < value;
    case '<=':
      return actual <= value;
    case '>':
      return actual > value;
    case '>=':
      return actual >= value;
  }
}

/** A property of the registration itself, never one inherited from Object.prototype (`constructor`, `toString` …). */
function own(props: ServiceProperties, key: string): PropertyValue | undefined {
  return Object.hasOwn(props, key) ? props[key] : undefined;
}

function evaluate(node: Node, props: ServiceProperties): boolean {
  switch (node.kind) {
    case 'and':
      return node.items.every((n) => evaluate(n, props));
    case 'or':
      return node.items.some((n) => evaluate(n, props));
    case 'not':
      return !evaluate(node.item, props);
    case 'present':
      return own(props, node.key) !== undefined;
    case 'cmp': {
      const actual = own(props, node.key);
      if (actual === undefined) return false;
      if (Array.isArray(actual)) return actual.some((a: unknown) => compareOne(a, node.op, node.value, node.wildcard));
      return compareOne(actual, node.op, node.value, node.wildcard);
    }
  }
}

const cache = new Map<string, PropertyPredicate>();

/**
 * Compiles a filter to a predicate over service properties. Throws CARUSO_KERNEL_INVALID_FILTER
 * with the position of the problem.
 */
export function compileFilter(filter: ServiceFilter | undefined): PropertyPredicate {
  if (filter === undefined) return MATCH_ALL;
  const key = filterKey(filter);
  const hit = cache.get(key);
  if (hit) return hit;
  let predicate: PropertyPredicate;
  if (typeof filter === 'string') {
    if (filter.length > 4096) throw KernelErrors.CARUSO_KERNEL_INVALID_FILTER({ filter: filter.slice(0, 40) + '…', position: 4096, reason: 'longer than 4096 characters' });
    const ast = new FilterParser(filter).parse();
    predicate = (props) => evaluate(ast, props);
  } else {
    const entries = Object.entries(filter);
    for (const [k, v] of entries) {
      if (!['string', 'number', 'boolean'].includes(typeof v)) {
        throw KernelErrors.CARUSO_KERNEL_INVALID_FILTER({ filter: describeFilter(filter), position: 0, reason: `value of ${k} must be a string, number or boolean` });
      }
    }
    predicate = (props) =>
      entries.every(([k, v]) => {
        const actual = own(props, k);
        return Array.isArray(actual) ? actual.includes(v) : actual === v;
      });
  }
  if (cache.size > 1000) cache.clear();
  cache.set(key, predicate);
  return predicate;
}
