/**
 * CSV import and export of an object's records (docs/crm-api.md): a preview, the modes of the
 * business objects' import (all or nothing, skip bad rows; duplicates skipped), a progress job for a
 * long import, and an export of the fields the role may read.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { isCarusoError } from '@caruso/kernel';
import { exportCsv, importCsv, parseCsv, type BusinessObjects, type BusinessObjectsImpl, type CsvImportReport, type Filter } from '@caruso/objects';
import { FrontOfficeErrors } from './errors.js';
import { need } from './internal/http.js';
import { BOOL, closed, errors, INT, params, routeSchema, text, type JsonSchema } from './internal/route-schemas.js';
import type { Permissions, ObjectRights } from './permissions.js';

/** Largest CSV body of an import. */
export const MAX_IMPORT_BYTES = 10 * 1024 * 1024;
/** An import of more data rows than this answers 202 with a job to follow. */
const SYNC_ROWS = 1_000;
/** Finished jobs are kept this long (ms), at most this many. */
const JOB_TTL_MS = 3_600_000;
const MAX_JOBS = 100;
const MANAGERS = ['supervisor', 'administrator'] as const;

export interface ImportApiDeps {
  readonly objects: BusinessObjects;
  readonly permissions: Permissions;
  readonly audit: (actor: string, action: string, target: string | null, detail?: Record<string, unknown>) => Promise<void>;
}

interface ImportJob {
  readonly owner: string;
  total: number;
  doneRows: number;
  done: boolean;
  result?: Record<string, unknown>;
  error?: Record<string, unknown>;
  finishedAt?: number;
}

const ROW = closed({ row: INT, status: { enum: ['created', 'updated', 'skipped', 'error', 'duplicate'] }, message: text(), key: {} });
const RESULT: JsonSchema = closed({ rows: { type: 'array', items: ROW }, created: INT, updated: INT, errors: INT, duplicates: INT, preview: BOOL });

function resultOf(r: CsvImportReport): Record<string, unknown> {
  return {
    rows: r.rows.map((x) => ({ row: x.row, status: x.status, message: x.message, key: x.key ?? null })),
    created: r.created,
    updated: r.updated,
    errors: r.rows.filter((x) => x.status === 'error').length,
    duplicates: r.duplicates,
    preview: r.preview,
  };
}

export function registerImportApi(fastify: FastifyInstance, deps: ImportApiDeps): void {
  // The business objects' CSV functions take the implementation; the service proxy forwards every member of it.
  const impl = deps.objects as unknown as BusinessObjectsImpl;
  const jobs = new Map<string, ImportJob>();
  fastify.addContentTypeParser('text/csv', { parseAs: 'string', bodyLimit: MAX_IMPORT_BYTES }, (_req, payload, done) => done(null, payload));

  const rightsOf = (req: FastifyRequest, action: 'read' | 'import'): { rights: ObjectRights; name: string } => {
    const p = need(req, action === 'read' ? ['administrator', 'supervisor', 'agent'] : MANAGERS, action === 'read' ? 'export records' : 'import records');
    const object = (req.params as { object: string }).object;
    const rights = deps.permissions.on(p.role, object);
    if (!rights || !rights.actions.has('read')) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_NOT_FOUND({ what: `object ${object.slice(0, 100)}` });
    if (action === 'import' && (!rights.actions.has('create') || !rights.actions.has('update'))) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_FORBIDDEN({ role: p.role, action: `import ${rights.object.name} records (needs create and update)` });
    return { rights, name: p.name };
  };
  const sweep = (): void => {
    const now = Date.now();
    for (const [id, j] of jobs) if (j.finishedAt !== undefined && now - j.finishedAt > JOB_TTL_MS) jobs.delete(id);
  };

  fastify.post('/api/objects/:object/import', {
    bodyLimit: MAX_IMPORT_BYTES,
    schema: routeSchema('Import CSV rows (text/csv, a header of field names, at most 10 MB): a preview, all or nothing or skipping bad rows, duplicates skipped; more than 1,000 rows answer 202 with a job', [...MANAGERS], {
      params: params(['object'], 100),
      querystring: { type: 'object', additionalProperties: false, properties: { mode: { enum: ['skip-bad-rows', 'all-or-nothing'] }, preview: { enum: ['true', 'false'] }, duplicates: { enum: ['skip', 'ignore'] } } },
      body: { type: 'string', description: 'the CSV text' },
      response: {
        200: { description: 'the per-row report', ...RESULT },
        202: { description: 'a long import runs on: follow GET /api/imports/:jobId', ...closed({ jobId: text() }) },
        ...errors([404, 'no such object for this role'], [422, 'all or nothing and a row was bad: details has the report; nothing was written']),
      },
    }),
  }, async (req, reply) => {
    const { rights, name } = rightsOf(req, 'import');
    const q = req.query as Record<string, string | undefined>;
    if (typeof req.body !== 'string' || req.body.trim() === '') throw FrontOfficeErrors.CARUSO_FRONTOFFICE_BAD_REQUEST({ reason: 'send the CSV text as text/csv with a header row' });
    const csv = req.body;
    // Only fields the role may write (and the key to match by).
    let header: string[];
    try {
      header = (parseCsv(csv.slice(0, 64 * 1024).split(/\r?\n/)[0] ?? '')[0]?.cells ?? []).map((h) => h.trim());
    } catch {
      throw FrontOfficeErrors.CARUSO_FRONTOFFICE_BAD_REQUEST({ reason: 'the header row is not valid CSV' });
    }
    const refused = header.filter((h) => !rights.writable.has(h) && !rights.object.key.includes(h));
    if (refused.length) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_UNKNOWN_FIELD({ object: rights.object.name, fields: refused.join(', ').slice(0, 300) }, { details: { fields: refused.slice(0, 50) } });
    const options = {
      mode: q['mode'] === 'skip-bad-rows' ? ('skip-bad-rows' as const) : ('all-or-nothing' as const),
      preview: q['preview'] === 'true',
      duplicates: q['duplicates'] === 'ignore' ? ('ignore' as const) : ('skip' as const),
      actor: `import:user:${name}`,
      file: 'upload.csv',
    };
    const lines = csv.split('\n').length - 1;
    const audit = async (r: CsvImportReport): Promise<void> => {
      if (r.preview) return;
      await deps.audit(name, 'records.import', rights.object.name, { created: r.created, updated: r.updated, mode: options.mode });
    };
    if (lines <= SYNC_ROWS) {
      const r = await importCsv(impl, rights.object.name, csv, options);
      await audit(r);
      return resultOf(r);
    }
    sweep();
    if (jobs.size >= MAX_JOBS) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_BAD_REQUEST({ reason: 'too many imports are kept; try again later' });
    const jobId = randomUUID();
    const job: ImportJob = { owner: name, total: lines, doneRows: 0, done: false };
    jobs.set(jobId, job);
    void importCsv(impl, rights.object.name, csv, { ...options, onProgress: (d, t) => { job.doneRows = d; if (t !== undefined) job.total = t; } }).then(
      async (r) => {
        job.result = resultOf(r);
        job.doneRows = r.total;
        job.total = r.total;
        await audit(r).catch(() => undefined);
      },
      (err: unknown) => {
        job.error = isCarusoError(err) ? { code: err.code, message: err.message } : { code: 'CARUSO_FRONTOFFICE_INTERNAL', message: 'the import failed' };
      },
    ).finally(() => {
      job.done = true;
      job.finishedAt = Date.now();
    });
    return reply.code(202).send({ jobId });
  });

  fastify.get('/api/imports/:jobId', {
    schema: routeSchema('The progress of a long import (its owner)', [...MANAGERS], {
      params: params(['jobId'], 40),
      response: { 200: { description: 'progress, and the report once done', ...closed({ done: BOOL, total: INT, processed: INT, result: RESULT, error: closed({ code: text(), message: text() }) }, ['result', 'error']) }, ...errors(404) },
    }),
  }, async (req) => {
    const p = need(req, MANAGERS, 'import records');
    const job = jobs.get((req.params as { jobId: string }).jobId);
    if (!job || job.owner !== p.name) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_NOT_FOUND({ what: 'import' });
    return { done: job.done, total: job.total, processed: job.doneRows, ...(job.result ? { result: job.result } : {}), ...(job.error ? { error: job.error } : {}) };
  });

  fastify.get('/api/objects/:object/export', {
    schema: routeSchema('Export records as CSV: the fields the role may read, filtered like the list (formula-like cells protected)', ['administrator', 'supervisor', 'agent'], {
      params: params(['object'], 100),
      querystring: { type: 'object', additionalProperties: false, properties: { format: { enum: ['csv'] }, filter: { type: 'string', maxLength: 4000 } } },
      response: { 200: { description: 'the CSV file', content: { 'text/csv': { schema: { type: 'string' } } } }, ...errors([404, 'no such object for this role']) },
    }),
  }, async (req, reply) => {
    const { rights } = rightsOf(req, 'read');
    const q = req.query as Record<string, string | undefined>;
    let where: Filter | undefined;
    if (q['filter'] !== undefined && q['filter'] !== '') {
      try {
        where = JSON.parse(q['filter']) as Filter;
      } catch {
        throw FrontOfficeErrors.CARUSO_FRONTOFFICE_BAD_REQUEST({ reason: 'filter must be JSON, e.g. {"segment":"business"}' });
      }
      if (typeof where !== 'object' || where === null || Array.isArray(where) || Object.keys(where).some((k) => !['and', 'or', 'not'].includes(k) && !rights.visible.has(k))) {
        throw FrontOfficeErrors.CARUSO_FRONTOFFICE_BAD_REQUEST({ reason: 'the filter names fields the role does not see' });
      }
    }
    const fields = rights.object.fields.filter((f) => rights.visible.has(f.name) && !f.computed).map((f) => f.name);
    const chunks: string[] = [];
    await exportCsv(impl, rights.object.name, (c) => void chunks.push(c), { fields, safeFormulas: true, ...(where ? { where } : {}) });
    return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${rights.object.name}.csv"`).send(chunks.join(''));
  });
}
