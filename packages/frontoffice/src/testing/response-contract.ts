/**
 * The REST contract check of the tests: every response an {@link ApiClient} receives is recorded,
 * then held against the OpenAPI document generated from the routes' schemas: its status must be
 * documented for the route and method, its content type too, and its body must validate (ajv).
 */
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';

/** One response as a test client received it. */
export interface RecordedResponse {
  readonly method: string;
  /** The path requested, with its query. */
  readonly url: string;
  readonly status: number;
  /** The media type without parameters (`application/json`), or '' when none was sent. */
  readonly contentType: string;
  /** The body: parsed JSON, else the text. */
  readonly body: unknown;
}

/** A response that does not match the document. */
export interface ContractViolation {
  readonly method: string;
  /** The documented path it matched (`/api/objects/{object}`), or the path requested when none. */
  readonly path: string;
  readonly status: number;
  readonly problem: string;
}

/** What {@link checkResponses} found. */
export interface ContractReport {
  /** Responses held against the document. */
  readonly checked: number;
  readonly violations: readonly ContractViolation[];
  /** Routes answered that have no schema yet (`POST /api/x/{id}`), with how many responses. */
  readonly unschemed: Readonly<Record<string, number>>;
}

const sinks = new Set<(r: RecordedResponse) => void>();

/** Called by the test client for every response it receives. */
export function reportResponse(r: RecordedResponse): void {
  for (const s of sinks) s(r);
}

/** Starts recording the responses of every test client; `stop()` ends it. */
export function recordResponses(): { readonly responses: readonly RecordedResponse[]; stop(): void } {
  const responses: RecordedResponse[] = [];
  const sink = (r: RecordedResponse): void => {
    responses.push(r);
  };
  sinks.add(sink);
  return { responses, stop: () => void sinks.delete(sink) };
}

type Operation = { 'x-roles'?: unknown; responses?: Record<string, { content?: Record<string, { schema?: unknown }> }> };

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

function decoded(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** The documented path of a request path: literal segments win over parameters, as in the router. */
function matchPath(paths: readonly string[], path: string): string | undefined {
  const segs = path.replace(/\/+$/, '').split('/');
  let best: { path: string; score: number[] } | undefined;
  for (const p of paths) {
    const ps = p.replace(/\/+$/, '').split('/');
    const wildcard = ps[ps.length - 1] === '{*}' || ps[ps.length - 1] === '*';
    if (wildcard ? segs.length < ps.length : segs.length !== ps.length) continue;
    const score: number[] = [];
    let ok = true;
    for (let i = 0; i < ps.length && ok; i++) {
      const t = ps[i]!;
      if (wildcard && i === ps.length - 1) score.push(0);
      else if (/^\{[^}]+\}$/.test(t)) ok = segs[i] !== '' && score.push(1) > 0;
      else ok = decoded(segs[i]!) === t && score.push(2) > 0;
    }
    if (!ok) continue;
    if (!best || score.join() > best.score.join()) best = { path: p, score };
  }
  return best?.path;
}

/** Holds `responses` against `document` (the whole document: every route). */
export function checkResponses(document: Record<string, unknown>, responses: readonly RecordedResponse[]): ContractReport {
  const ajv = new Ajv({ strict: false, allErrors: false, validateFormats: true });
  addFormats(ajv);
  // References into the document's components resolve against the document itself.
  ajv.addSchema({ $id: 'openapi', components: document['components'] ?? {} });
  const compiled = new Map<string, ValidateFunction>();
  const validator = (schema: unknown): ValidateFunction => {
    const key = JSON.stringify(schema);
    let v = compiled.get(key);
    if (!v) {
      v = ajv.compile(JSON.parse(key.replaceAll('"#/components/', '"openapi#/components/')) as object);
      compiled.set(key, v);
    }
    return v;
  };
  const paths = (document['paths'] ?? {}) as Record<string, Record<string, Operation>>;
  const houseError = ((document['components'] as { schemas?: Record<string, unknown> } | undefined)?.schemas ?? {})['Error'];
  const names = Object.keys(paths);
  const violations: ContractViolation[] = [];
  const unschemed: Record<string, number> = {};
  let checked = 0;
  for (const r of responses) {
    checked++;
    const requested = r.url.split('?')[0] ?? r.url;
    const path = matchPath(names, requested);
    const op = path === undefined ? undefined : paths[path]?.[r.method.toLowerCase()];
    const v = (problem: string): void => void violations.push({ method: r.method, path: path ?? requested, status: r.status, problem });
    if (!op) {
      // No route: the not-found handler answers, in the house shape.
      if (r.status !== 404) v('no documented route, and the answer is not 404');
      else if (houseError && !validator(houseError)(r.body)) v(`404 body is not the house error: ${ajv.errorsText(validator(houseError).errors)}`);
      continue;
    }
    if (op['x-roles'] === undefined) {
      const k = `${r.method} ${path}`;
      unschemed[k] = (unschemed[k] ?? 0) + 1;
      continue;
    }
    const documented = op.responses?.[String(r.status)] ?? op.responses?.[`${String(r.status)[0]}XX`] ?? op.responses?.['default'];
    if (!documented) {
      v(`status ${r.status} is not documented (documented: ${Object.keys(op.responses ?? {}).join(', ')})`);
      continue;
    }
    if (!documented.content) {
      if (r.body !== '' && r.body !== undefined) v('a body was sent where none is documented');
      continue;
    }
    const media = documented.content[r.contentType];
    if (!media) {
      v(`content type '${r.contentType}' is not documented (documented: ${Object.keys(documented.content).join(', ')})`);
      continue;
    }
    if (media.schema !== undefined) {
      const validate = validator(media.schema);
      if (!validate(r.body)) v(`body does not match the schema: ${ajv.errorsText(validate.errors, { dataVar: 'body' }).slice(0, 400)}`);
    }
  }
  return { checked, violations, unschemed };
}
