/**
 * The REST API over the business objects: list (filter, sort, limit/offset or cursor, search),
 * read, create, change (with the version read: 409 with the current record on a conflict), delete,
 * and a record's timeline (field changes from the audit history and the contacts wrapped up).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { CarusoError, isCarusoError } from '@caruso/kernel';
import type { CommunicationServer } from '@caruso/comms';
import type { BusinessObjects, Filter, ObjectRecord, RecordKey, SortKey } from '@caruso/objects';
import { FrontOfficeErrors } from './errors.js';
import { need } from './internal/http.js';
import { ANY, closed, errors, INT, nullable, params, routeSchema, text, type JsonSchema } from './internal/route-schemas.js';
import { Permissions, type ObjectRights } from './permissions.js';

const STAFF = ['administrator', 'supervisor', 'agent'] as const;
const NAME = /^[A-Za-z][A-Za-z0-9_]*$/;

export interface ObjectsApiDeps {
  readonly objects: BusinessObjects;
  readonly permissions: Permissions;
  /** The communication server: its interaction store is the customer's history of contacts. */
  readonly comms: () => CommunicationServer;
  /** The front office's users by agent id (a contact's agent is shown by the user's name). */
  readonly usersByAgent: () => Promise<ReadonlyMap<string, string>>;
}

function rightsFor(deps: ObjectsApiDeps, req: FastifyRequest, action: 'read' | 'create' | 'update' | 'delete'): { rights: ObjectRights; actor: string } {
  const p = need(req, STAFF, `${action} records`);
  const object = (req.params as { object: string }).object;
  const rights = deps.permissions.on(p.role, object);
  // An object the role has no grant on does not exist for it.
  if (!rights || !rights.actions.has('read')) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_NOT_FOUND({ what: `object ${object}` });
  if (!rights.actions.has(action)) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_FORBIDDEN({ role: p.role, action: `${action} ${object} records` });
  return { rights, actor: `user:${p.name}` };
}

/** The record key from the URL, typed like the key field. */
export function parseKey(rights: ObjectRights, id: string): RecordKey {
  const o = rights.object;
  if (o.key.length !== 1) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_BAD_REQUEST({ reason: `${o.name} has a composite key; the REST API reaches objects with a single key` });
  const f = o.fields.find((x) => x.name === o.key[0]);
  if (f && (f.type === 'id' || f.type === 'integer')) {
    if (!/^\d{1,15}$/.test(id)) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_NOT_FOUND({ what: `${o.name} ${id}` });
    return Number(id);
  }
  if (id.length > 200) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_NOT_FOUND({ what: `${o.name} record` });
  return id;
}

/** Checks that a filter names only visible fields (and and/or/not); the repository checks operators and values. */
function checkFilter(rights: ObjectRights, f: unknown, depth = 0): Filter {
  if (depth > 8) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_BAD_REQUEST({ reason: 'the filter nests too deep' });
  if (typeof f !== 'object' || f === null || Array.isArray(f)) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_BAD_REQUEST({ reason: 'a filter is a JSON object of field names to conditions' });
  for (const [k, v] of Object.entries(f)) {
    if (k === 'and' || k === 'or') {
      if (!Array.isArray(v)) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_BAD_REQUEST({ reason: `${k} takes a list of filters` });
      for (const x of v) checkFilter(rights, x, depth + 1);
    } else if (k === 'not') checkFilter(rights, v, depth + 1);
    else if (!NAME.test(k) || !rights.visible.has(k)) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_BAD_REQUEST({ reason: `cannot filter on ${k.slice(0, 60)}: not a field of ${rights.object.name}` });
  }
  return f as Filter;
}

function checkSort(rights: ObjectRights, text: string): SortKey[] {
  return text.split(',').filter((s) => s !== '').map((s) => {
    // `field`, `-field`, or `field:asc` / `field:desc`.
    const m = /^(-?)([^:]*)(?::(asc|desc))?$/.exec(s);
    const name = m?.[2] ?? '';
    if (!m || (m[1] === '-' && m[3] !== undefined) || !NAME.test(name) || !rights.visible.has(name)) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_BAD_REQUEST({ reason: `cannot sort by ${s.slice(0, 60)}: not a field of ${rights.object.name} (field, -field, field:asc or field:desc)` });
    return m[1] === '-' || m[3] === 'desc' ? `-${name}` : name;
  });
}

function intParam(v: unknown, name: string, min: number, max: number, fallback: number): number {
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (typeof v !== 'string' || !/^\d+$/.test(v) || n < min || n > max) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_BAD_REQUEST({ reason: `${name} must be a whole number from ${min} to ${max}` });
  return n;
}

/** The fields of a write body, refusing unknown and non-writable ones (every one named). */
function writeData(rights: ObjectRights, raw: unknown, allowVersion: boolean): { data: ObjectRecord; version: number | undefined } {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_BAD_REQUEST({ reason: 'the body must be a JSON object of field values' });
  const data: ObjectRecord = {};
  const refused: string[] = [];
  let version: number | undefined;
  for (const [k, v] of Object.entries(raw)) {
    if (k === '$version' && allowVersion) {
      if (!Number.isInteger(v)) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_BAD_REQUEST({ reason: '$version must be a whole number' });
      version = v as number;
    } else if (rights.writable.has(k)) data[k] = v;
    else refused.push(k.slice(0, 60));
  }
  if (refused.length) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_UNKNOWN_FIELD({ object: rights.object.name, fields: refused.join(', ') }, { details: { fields: refused } });
  return { data, version };
}

/** Rethrows a conflict with the current record cut down to what the role sees. */
function projectConflict(rights: ObjectRights, err: unknown): never {
  if (isCarusoError(err, 'CARUSO_OBJECTS_CONFLICT')) {
    const d = err.details as { current?: ObjectRecord } | undefined;
    const current = d?.current ? Permissions.project(rights, d.current) : undefined;
    throw new CarusoError(err.code, err.message, err.status, err.kind, { current }, { cause: err });
  }
  throw err;
}

const OBJECT_PARAMS = params(['object'], 100);
const RECORD_PARAMS = params(['object', 'id'], 200);
/** A record cut to the fields the role sees; the document's components name each object's own fields. */
const RECORD: JsonSchema = { type: 'object', description: 'the fields the role may see (see the components of the object), and $version when the object is versioned' };
const ONE = (description: string): JsonSchema => ({ description, ...closed({ data: RECORD }) });
/** Body of a create or change: field values; the components `<Object>Input` and `<Object>Patch` list each object's writable fields. */
const FIELDS_BODY: JsonSchema = { type: 'object', description: 'field values by name: only the fields the role may write (a PATCH also $version); others are refused with CARUSO_FRONTOFFICE_UNKNOWN_FIELD naming each' };
const LIST_QUERY: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    filter: { type: 'string', description: 'JSON filter: field names to conditions (eq ne lt lte gt gte in nin between contains startsWith endsWith isNull), and/or/not' },
    sort: { type: 'string', description: 'comma-separated fields: field or field:asc, -field or field:desc for descending' },
    limit: { type: 'string', description: 'page size, 1 to 500 (default 25)' },
    offset: { type: 'string', description: 'records to skip, 0 to 1000000' },
    cursor: { type: 'string', description: 'nextCursor of the previous page' },
    search: { type: 'string', maxLength: 200 },
  },
};
const ROLES = [...STAFF];

export function registerObjectsApi(app: FastifyInstance, deps: ObjectsApiDeps): void {
  app.get('/api/objects/:object', {
    schema: routeSchema('List records of an object: filter, sort, page (limit and offset, or cursor), search', ROLES, {
      params: OBJECT_PARAMS,
      querystring: LIST_QUERY,
      response: { 200: { description: 'a page', ...closed({ data: { type: 'array', items: RECORD }, total: INT, limit: INT, offset: INT, nextCursor: nullable('string') }) }, ...errors([404, 'no such object for this role']) },
    }),
  }, async (req) => {
    const { rights } = rightsFor(deps, req, 'read');
    const q = req.query as Record<string, unknown>;
    const known = ['filter', 'sort', 'limit', 'offset', 'cursor', 'search'];
    const extra = Object.keys(q).filter((k) => !known.includes(k));
    if (extra.length) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_BAD_REQUEST({ reason: `unknown query parameters ${extra.join(', ')}` });
    let where: Filter | undefined;
    if (q['filter'] !== undefined) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(String(q['filter']));
      } catch {
        throw FrontOfficeErrors.CARUSO_FRONTOFFICE_BAD_REQUEST({ reason: 'filter must be JSON, e.g. {"segment":"business"}' });
      }
      where = checkFilter(rights, parsed);
    }
    const orderBy = q['sort'] === undefined ? undefined : checkSort(rights, String(q['sort']));
    const limit = intParam(q['limit'], 'limit', 1, 500, 25);
    let offset = intParam(q['offset'], 'offset', 0, 1_000_000, 0);
    if (q['cursor'] !== undefined) {
      const m = /^o(\d{1,9})$/.exec(Buffer.from(String(q['cursor']), 'base64url').toString());
      if (!m) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_BAD_REQUEST({ reason: 'cursor is not one this server gave' });
      offset = Number(m[1]);
    }
    const search = q['search'] === undefined || q['search'] === '' ? undefined : String(q['search']);
    if (search !== undefined && search.length > 200) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_BAD_REQUEST({ reason: 'search is at most 200 characters' });
    const repo = deps.objects.repository(rights.object.name);
    const [rows, total] = await Promise.all([
      repo.query({ ...(where ? { where } : {}), ...(search ? { search } : {}), ...(orderBy ? { orderBy } : {}), limit, offset }),
      repo.count(where, search ? { search } : {}),
    ]);
    const next = offset + rows.length < total ? Buffer.from(`o${offset + rows.length}`).toString('base64url') : null;
    return { data: rows.map((r) => Permissions.project(rights, r)), total, limit, offset, nextCursor: next };
  });

  app.get('/api/objects/:object/:id', {
    schema: routeSchema('Read a record', ROLES, { params: RECORD_PARAMS, response: { 200: ONE('the record'), ...errors([404, 'no such object or record for this role']) } }),
  }, async (req) => {
    const { rights } = rightsFor(deps, req, 'read');
    const key = parseKey(rights, (req.params as { id: string }).id);
    const rec = await deps.objects.repository(rights.object.name).get(key);
    if (!rec) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_NOT_FOUND({ what: `${rights.object.name} ${String(key)}` });
    return { data: Permissions.project(rights, rec) };
  });

  app.post('/api/objects/:object', {
    schema: routeSchema('Create a record', ROLES, {
      params: OBJECT_PARAMS,
      body: FIELDS_BODY,
      response: { 201: ONE('created'), ...errors([404, 'no such object for this role'], 409, [422, 'validation failed: details.violations lists every field error']) },
    }),
  }, async (req, reply) => {
    const { rights, actor } = rightsFor(deps, req, 'create');
    const { data } = writeData(rights, req.body, false);
    const rec = await deps.objects.repository(rights.object.name).create(data, { actor });
    return reply.code(201).send({ data: Permissions.project(rights, rec) });
  });

  app.patch('/api/objects/:object/:id', {
    schema: routeSchema('Change a record with the $version read', ROLES, {
      params: RECORD_PARAMS,
      body: FIELDS_BODY,
      response: { 200: ONE('changed'), ...errors([404, 'no such object or record for this role'], [409, 'conflict: details.current is the current record'], [422, 'validation failed: details.violations lists every field error'], 428) },
    }),
  }, async (req) => {
    const { rights, actor } = rightsFor(deps, req, 'update');
    const key = parseKey(rights, (req.params as { id: string }).id);
    const { data, version } = writeData(rights, req.body, true);
    if (rights.object.versionColumn && version === undefined) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_VERSION_REQUIRED({ object: rights.object.name });
    const rec = await deps.objects
      .repository(rights.object.name)
      .update(key, data, { actor, ...(version === undefined ? {} : { expectedVersion: version }) })
      .catch((e: unknown) => projectConflict(rights, e));
    return { data: Permissions.project(rights, rec) };
  });

  app.delete('/api/objects/:object/:id', {
    schema: routeSchema('Delete a record (with the version read, when given)', ROLES, {
      params: RECORD_PARAMS,
      querystring: { type: 'object', additionalProperties: false, properties: { version: { type: 'string', description: 'the $version read, a whole number' } } },
      response: { 204: { description: 'deleted', type: 'null' }, ...errors([404, 'no such object or record for this role'], [409, 'conflict: details.current is the current record, or other records still refer to it']) },
    }),
  }, async (req, reply) => {
    const { rights, actor } = rightsFor(deps, req, 'delete');
    const key = parseKey(rights, (req.params as { id: string }).id);
    const v = (req.query as Record<string, unknown>)['version'];
    const expected = v === undefined ? undefined : intParam(v, 'version', 0, Number.MAX_SAFE_INTEGER, 0);
    await deps.objects
      .repository(rights.object.name)
      .delete(key, { actor, ...(expected === undefined ? {} : { expectedVersion: expected }) })
      .catch((e: unknown) => projectConflict(rights, e));
    return reply.code(204).send();
  });

  app.get('/api/objects/:object/:id/timeline', {
    schema: routeSchema('The activity timeline of a record: field changes and the contacts of the communication server\'s interaction history, newest first', ROLES, {
      params: RECORD_PARAMS,
      response: {
        200: {
          description: 'the entries, newest first',
          ...closed({
            entries: {
              type: 'array',
              items: {
                oneOf: [
                  closed({ kind: { const: 'change' }, at: text(), actor: nullable('string'), action: text(), field: nullable('string'), oldValue: ANY, newValue: ANY }),
                  closed({ kind: { const: 'contact' }, at: text(), actor: nullable('string'), channel: text(), direction: text(), outcome: text(), code: text(), notes: text(), contactId: text() }),
                ],
              },
            },
          }),
        },
        ...errors([404, 'no such object or record for this role'], 503),
      },
    }),
  }, async (req) => {
    const { rights } = rightsFor(deps, req, 'read');
    const key = parseKey(rights, (req.params as { id: string }).id);
    const repo = deps.objects.repository(rights.object.name);
    if (!(await repo.get(key))) throw FrontOfficeErrors.CARUSO_FRONTOFFICE_NOT_FOUND({ what: `${rights.object.name} ${String(key)}` });
    // The contacts come from the one customer history: the communication server's interaction store.
    const [history, contacts, users] = await Promise.all([repo.history(key), deps.comms().history(rights.object.name, String(key)), deps.usersByAgent()]);
    const entries = [
      ...history.filter((h) => h.field === null || rights.visible.has(h.field)).map((h) => ({ kind: 'change' as const, at: h.at, actor: h.actor, action: h.action, field: h.field, oldValue: h.oldValue, newValue: h.newValue })),
      ...contacts.map((c) => ({
        kind: 'contact' as const,
        at: new Date(c.endedAt).toISOString(),
        actor: c.agentId === undefined ? null : (users.get(c.agentId) ?? c.agentId),
        channel: c.channel,
        direction: c.direction,
        outcome: c.outcome,
        code: c.disposition ?? c.outcome,
        notes: c.note ?? '',
        contactId: c.contactId,
      })),
    ].sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0));
    return { entries };
  });
}
