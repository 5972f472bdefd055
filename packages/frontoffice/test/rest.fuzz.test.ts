// Issue 13, the REST part of the fuzz suite (`npm run test:fuzz`): requests generated from the OpenAPI
// document the front office generates from its routes' schemas. A whole front office runs in a child
// process (fixtures/fuzz-server-child.mjs). For every operation of the document, as the roles that may
// call it and anonymously, fast-check makes path parameters, queries and bodies: values of the
// schema's types, of the wrong types, extreme strings (long, traversal, control characters, prototype
// keys), unknown properties and bodies that are not JSON. After each batch the process still runs and
// answers its session route; no answer is a 5xx (but a documented 503 saying a part is not in this
// assembly); every answer matches the document (status, content
// type, body: the REST contract check). Seeded (CARUSO_FUZZ_SEED), bounded in count and time; the
// figures go to docs/fuzzing.md.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { ApiClient, checkResponses, loggedInClient, recordResponses } from '@caruso/frontoffice/testing';
import { FIXTURES } from './fixture.js';

const SEED = Number(process.env['CARUSO_FUZZ_SEED'] ?? 1013);
/** Requests per operation and caller. */
const RUNS = Number(process.env['CARUSO_FUZZ_REST_RUNS'] ?? 30);
/** Wall-clock budget of the whole REST fuzz. */
const BUDGET_MS = Number(process.env['CARUSO_FUZZ_REST_MS'] ?? 45_000);
const PW = 'correct horse battery';

interface Schema {
  readonly type?: string | readonly string[];
  readonly properties?: Readonly<Record<string, Schema>>;
  readonly items?: Schema;
  readonly enum?: readonly unknown[];
  readonly maxLength?: number;
}
interface Parameter {
  readonly name: string;
  readonly in: 'path' | 'query' | 'header' | 'cookie';
  readonly schema?: Schema;
}
interface Operation {
  readonly parameters?: readonly Parameter[];
  readonly requestBody?: { readonly content?: Readonly<Record<string, { readonly schema?: Schema }>> };
}

let child: ChildProcess;
let dir: string;
let url: string;
let exited: Promise<number | null>;
let stderr = '';
const tried = new Map<string, number>();
let fiveXX = 0;
let checked = 0;

/** Strings an attacker tries in any text field. */
const nastyString = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.constantFrom('', ' ', '../../etc/passwd', '..%2f..%2fetc%2fpasswd', '__proto__', 'constructor', 'toString', '%00', '\u0000', '\ud800', "' OR 1=1 --", '<script>alert(1)</script>', '${7*7}', '{{7*7}}', 'NaN', '-1', '1e309', 'null', 'true'),
  fc.string({ minLength: 300, maxLength: 5_000 }),
  fc.string({ unit: 'binary', maxLength: 60 }),
);

/** A value for a schema: mostly of its type, sometimes of another type entirely. */
function valueOf(schema: Schema | undefined, depth = 0): fc.Arbitrary<unknown> {
  const anyJson = fc.jsonValue({ maxDepth: 2 });
  if (!schema || depth > 3) return fc.oneof(anyJson, nastyString);
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  const typed: fc.Arbitrary<unknown> =
    schema.enum && schema.enum.length > 0
      ? fc.constantFrom(...schema.enum)
      : type === 'integer'
        ? fc.oneof(fc.integer(), fc.constantFrom(0, -1, 2 ** 31, 2 ** 53, Number.MAX_SAFE_INTEGER))
        : type === 'number'
          ? fc.double()
          : type === 'boolean'
            ? fc.boolean()
            : type === 'array'
              ? fc.array(valueOf(schema.items, depth + 1), { maxLength: 5 })
              : type === 'object'
                ? objectOf(schema, depth + 1)
                : nastyString;
  return fc.oneof({ weight: 4, arbitrary: typed }, { weight: 1, arbitrary: anyJson }, { weight: 1, arbitrary: nastyString });
}

/** An object with some of the schema's properties (and now and then one it does not know). */
function objectOf(schema: Schema, depth: number): fc.Arbitrary<Record<string, unknown>> {
  const props = Object.entries(schema.properties ?? {});
  const known = props.length
    ? fc.record(Object.fromEntries(props.map(([k, s]) => [k, valueOf(s, depth)])), { requiredKeys: [] })
    : fc.constant({} as Record<string, unknown>);
  return fc.tuple(known, fc.option(fc.dictionary(nastyString, fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 }), { freq: 4 })).map(([a, b]) => ({ ...(b ?? {}), ...a }));
}

/** Any generated value as text (objects as JSON: some have no prototype to convert them). */
function text(v: unknown): string {
  return v !== null && typeof v === 'object' ? JSON.stringify(v) : String(v);
}

/** Percent-encodes any string, lone surrogates included (as U+FFFD: a URL carries UTF-8 only). */
function enc(v: string): string {
  try {
    return encodeURIComponent(v);
  } catch {
    return encodeURIComponent(v.replace(/[\ud800-\udfff]/g, '\ufffd'));
  }
}

/** One request for an operation: its path filled in, a query, and a body (JSON, or raw text that is not). */
function requestOf(path: string, op: Operation): fc.Arbitrary<{ path: string; body?: unknown; raw?: string }> {
  const params = op.parameters ?? [];
  const inPath = params.filter((p) => p.in === 'path');
  const inQuery = params.filter((p) => p.in === 'query');
  const bodySchema = op.requestBody?.content?.['application/json']?.schema;
  return fc
    .record({
      path: fc.tuple(...inPath.map((p) => fc.oneof(valueOf(p.schema).map(text), nastyString))).map((vals) => {
        let filled = path;
        // A path parameter is never empty here: `/x//y` or a trailing `/` reach the router's own
        // edge cases (an empty last parameter), not the route.
        inPath.forEach((p, i) => (filled = filled.replace(`{${p.name}}`, enc(text(vals[i] ?? '')) || '0')));
        return filled;
      }),
      query: fc.array(fc.tuple(fc.oneof(fc.constantFrom(...(inQuery.length ? inQuery.map((p) => p.name) : ['q'])), nastyString), fc.oneof(nastyString, fc.integer().map(String))), { maxLength: 4 }),
      body: fc.oneof(
        { weight: 5, arbitrary: bodySchema ? objectOf(bodySchema, 0) : fc.jsonValue({ maxDepth: 2 }) },
        { weight: 1, arbitrary: fc.constant(undefined) },
      ),
      raw: fc.option(fc.oneof(fc.constantFrom('{', '{"a":', '[1,2', 'null', '""', '\u0000'), fc.string({ maxLength: 200 })), { freq: 6 }),
    })
    .map(({ path: p, query, body, raw }) => {
      const qs = query.map(([k, v]) => `${enc(k)}=${enc(v)}`).join('&');
      const full = qs ? `${p}?${qs}` : p;
      return raw !== null ? { path: full, raw } : body === undefined ? { path: full } : { path: full, body };
    });
}

async function stillServing(): Promise<void> {
  expect(child.exitCode).toBeNull();
  const r = await fetch(`${url}/api/session`);
  expect(r.status).toBeLessThan(500);
}

describe('REST fuzz: requests generated from the OpenAPI document', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'caruso-rest-fuzz-'));
    child = spawn(process.execPath, [join(FIXTURES, 'fuzz-server-child.mjs'), `sqlite:${join(dir, 'crm.db')}`, FIXTURES, PW], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    url = await new Promise<string>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`the front office did not start: ${stderr.slice(0, 1000)}`)), 60_000);
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /^ready (.+)$/m.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve((JSON.parse(m[1] as string) as { url: string }).url);
        }
      });
      child.once('exit', () => reject(new Error(`the front office exited: ${stderr.slice(0, 1000)}`)));
    });
  }, 90_000);

  afterAll(async () => {
    if (child && child.exitCode === null) child.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
    const total = [...tried.values()].reduce((a, b) => a + b, 0);
    process.stderr.write(`fuzz summary (REST, seed ${SEED}): ${[...tried].map(([k, n]) => `${k}: ${n}`).join('; ')}; ${total} requests in all, ${checked} checked against the document; 5xx ${fiveXX}; exited ${child?.exitCode ?? 'no'}\n`);
  });

  it('answers every generated request below 500, true to the document, and keeps serving', async () => {
    const started = Date.now();
    const callers: Array<[string, ApiClient]> = [
      ['anonymous', new ApiClient(url)],
      ['agent', await loggedInClient(url, 'anna', PW)],
      ['supervisor', await loggedInClient(url, 'sam', PW)],
    ];
    // The document is cut to the caller's role: the agent's and the supervisor's together hold every
    // route these callers reach (the administrator's own routes are not in this fixture).
    type Doc = { paths: Record<string, Record<string, Operation>> } & Record<string, unknown>;
    const agentDoc = (await callers[1]![1].get('/api/openapi.json')).body as Doc;
    const supervisorDoc = (await callers[2]![1].get('/api/openapi.json')).body as Doc;
    const merged: Doc = { ...supervisorDoc, paths: { ...agentDoc.paths } };
    for (const [p, ms] of Object.entries(supervisorDoc.paths)) merged.paths[p] = { ...(merged.paths[p] ?? {}), ...ms };
    const paths = Object.entries(merged.paths);
    expect(paths.length).toBeGreaterThan(20);
    const recording = recordResponses();
    try {
      let op = 0;
      for (const [path, methods] of paths) {
        for (const [method, operation] of Object.entries(methods)) {
          // Log-out would end the callers' sessions; it is exercised by the sessions tests.
          if (path === '/api/session' && method === 'delete') continue;
          for (const [who, client] of callers) {
            if (Date.now() - started > BUDGET_MS) break;
            const samples = fc.sample(requestOf(path, operation), { numRuns: RUNS, seed: SEED + op++ });
            for (const r of samples) {
              // A GET carries no body (fetch refuses one): its parameters are fuzzed instead.
              const bodiless = method === 'get' || method === 'head';
              const res = await client.request(method.toUpperCase(), r.path, bodiless ? undefined : r.body, !bodiless && r.raw !== undefined ? { raw: r.raw } : {});
              tried.set(who, (tried.get(who) ?? 0) + 1);
              // A 503 in the house shape says a part is not in this assembly (no e-mail channel here): a
              // documented answer, checked against the document below. Any other 5xx is a failure.
              const unavailable = res.status === 503 && /_UNAVAILABLE$/.test(String((res.body as { error?: { code?: unknown } } | undefined)?.error?.code ?? ''));
              if (res.status >= 500 && !unavailable) fiveXX++;
              const verdict = res.status < 500 || unavailable ? 'answered' : `${res.status} ${JSON.stringify(res.body).slice(0, 300)}`;
              expect({ method, path: r.path, verdict }).toEqual({ method, path: r.path, verdict: 'answered' });
            }
          }
          await stillServing();
        }
      }
    } finally {
      recording.stop();
    }
    // Every answer is true to the document: its status documented for the route, its body valid.
    const report = checkResponses(merged, recording.responses);
    checked = report.checked;
    expect({ checked: report.checked > 0, violations: report.violations.slice(0, 5), unschemed: report.unschemed }).toEqual({ checked: true, violations: [], unschemed: {} });
    expect(fiveXX).toBe(0);
    await stillServing();
  }, 120_000);
});
