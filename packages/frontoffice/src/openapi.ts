/**
 * The OpenAPI 3.1 document of the REST API for a role. The routes come from the schemas declared
 * where each route is registered (@fastify/swagger generates them); this file only cuts them to the
 * role and adds, from the model and the role's rights, one path per business object with the
 * object's own fields: a role sees only the objects, fields and operations it is granted.
 */
import type { FieldDef } from '@caruso/objects';
import type { Application, RoleName } from './common/application.js';
import type { Permissions } from './permissions.js';
import { HOUSE_ERROR, ROLES_KEY } from './internal/route-schemas.js';

/** The schema of a field's value: a field that is not required may be null. */
function fieldSchema(f: FieldDef): Record<string, unknown> {
  const s = valueSchema(f);
  if (f.required) return s;
  const type = s['type'];
  if (type === undefined) return s;
  return { ...s, type: [type, 'null'], ...(Array.isArray(s['enum']) ? { enum: [...(s['enum'] as unknown[]), null] } : {}) };
}

function valueSchema(f: FieldDef): Record<string, unknown> {
  const base: Record<string, unknown> = { title: f.label };
  switch (f.type) {
    case 'id':
    case 'integer':
      return { ...base, type: 'integer' };
    case 'decimal':
      return { ...base, type: 'number' };
    case 'money':
      return { ...base, type: 'object', properties: { amount: { type: 'integer' }, currency: { type: 'string' } } };
    case 'boolean':
      return { ...base, type: 'boolean' };
    case 'date':
      return { ...base, type: 'string', format: 'date' };
    case 'datetime':
      return { ...base, type: 'string', format: 'date-time' };
    case 'enum':
      return { ...base, type: 'string', enum: f.options.map((o) => o.value) };
    case 'email':
      return { ...base, type: 'string', format: 'email' };
    case 'json':
      return base;
    default:
      return { ...base, type: 'string', ...(f.length ? { maxLength: f.length } : {}), ...(f.pattern ? { pattern: `^(?:${f.pattern})$` } : {}) };
  }
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete', 'options', 'head', 'trace'];
const ROLES: readonly RoleName[] = ['administrator', 'supervisor', 'agent', 'anonymous'];

type Operation = { [ROLES_KEY]?: readonly string[]; parameters?: { in: string; name?: string }[] } & Record<string, unknown>;
type PathItem = Record<string, Operation>;
type Media = { content?: Record<string, { schema?: { properties?: Record<string, unknown> } }> };

/** The routes of the generated document that `role` may call (all of them without a role). */
function routesFor(generated: Record<string, unknown>, role: RoleName | undefined): Record<string, PathItem> {
  const paths: Record<string, PathItem> = {};
  for (const [path, item] of Object.entries(structuredClone((generated['paths'] ?? {}) as Record<string, PathItem>))) {
    const kept: PathItem = {};
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      const roles = op[ROLES_KEY];
      if (role !== undefined && roles !== undefined && !roles.includes('anyone') && !roles.includes(role)) continue;
      // Path parameters first, then the query, as a reader expects them.
      if (op.parameters) op.parameters = [...op.parameters.filter((p) => p.in === 'path'), ...op.parameters.filter((p) => p.in !== 'path')];
      // A route with a body schema also takes no body at all (read as {}) unless the schema requires a property.
      const body = op['requestBody'] as { required?: boolean; content?: Record<string, { schema?: { required?: unknown[] } }> } | undefined;
      if (body && !(body.content?.['application/json']?.schema?.required?.length)) body.required = false;
      kept[method] = op;
    }
    if (Object.keys(kept).length) paths[path] = kept;
  }
  return paths;
}

/**
 * A generic object route's operation (`/api/objects/{object}…`) made specific to one object: without
 * the `object` parameter, its record and body schemas those of the object for the role.
 */
function forObject(op: Operation | undefined, label: string, record: (data: Record<string, unknown>) => void, body?: string): Operation | undefined {
  if (!op) return undefined;
  const o = structuredClone(op);
  o['summary'] = `${String(o['summary'] ?? '')} (${label})`;
  if (o.parameters) o.parameters = o.parameters.filter((p) => !(p.in === 'path' && p.name === 'object'));
  for (const [status, r] of Object.entries((o['responses'] ?? {}) as Record<string, Media>)) {
    const props = status.startsWith('2') ? r.content?.['application/json']?.schema?.properties : undefined;
    if (props?.['data']) record(props);
  }
  const rb = o['requestBody'] as { content?: Record<string, { schema?: unknown }> } | undefined;
  if (body && rb?.content?.['application/json']) rb.content['application/json'].schema = { $ref: `#/components/schemas/${body}` };
  return o;
}

/** The paths of the objects `role` may read (the generic object routes made specific) and their schemas. */
function objectPaths(permissions: Permissions, role: RoleName, routes: Record<string, PathItem>, paths: Record<string, PathItem>, schemas: Record<string, unknown>): void {
  const collection = routes['/api/objects/{object}'] ?? {};
  const item = routes['/api/objects/{object}/{id}'] ?? {};
  const timeline = routes['/api/objects/{object}/{id}/timeline'] ?? {};
  const merge = (path: string, method: string, op: Operation | undefined): void => {
    if (op && !paths[path]?.[method]) paths[path] = { ...paths[path], [method]: op };
  };
  const mergeSchema = (name: string, schema: { properties: Record<string, unknown> } & Record<string, unknown>): void => {
    const had = schemas[name] as { properties?: Record<string, unknown> } | undefined;
    // The whole document: the fields any role sees or writes.
    schemas[name] = had ? { ...schema, properties: { ...had.properties, ...schema.properties } } : schema;
  };
  for (const r of permissions.readable(role)) {
    const o = r.object;
    const props: Record<string, unknown> = {};
    for (const f of o.fields) if (r.visible.has(f.name)) props[f.name] = fieldSchema(f);
    if (o.versionColumn) props['$version'] = { type: 'integer', readOnly: true };
    mergeSchema(o.name, { type: 'object', additionalProperties: false, properties: props });
    const input: Record<string, unknown> = {};
    for (const f of o.fields) if (r.writable.has(f.name)) input[f.name] = fieldSchema(f);
    mergeSchema(`${o.name}Input`, { type: 'object', additionalProperties: false, properties: input, required: o.fields.filter((f) => f.required && r.writable.has(f.name)).map((f) => f.name) });
    mergeSchema(`${o.name}Patch`, { type: 'object', additionalProperties: false, properties: { ...input, ...(o.versionColumn ? { $version: { type: 'integer' } } : {}) }, ...(o.versionColumn ? { required: ['$version'] } : {}) });
    const ref = { $ref: `#/components/schemas/${o.name}` };
    const one = (p: Record<string, unknown>): void => void (p['data'] = ref);
    const many = (p: Record<string, unknown>): void => void (p['data'] = { type: 'array', items: ref });
    const base = `/api/objects/${o.name}`;
    merge(base, 'get', forObject(collection['get'], o.label, many));
    if (r.actions.has('create')) merge(base, 'post', forObject(collection['post'], o.label, one, `${o.name}Input`));
    merge(`${base}/{id}`, 'get', forObject(item['get'], o.label, one));
    if (r.actions.has('update')) merge(`${base}/{id}`, 'patch', forObject(item['patch'], o.label, one, `${o.name}Patch`));
    if (r.actions.has('delete')) merge(`${base}/{id}`, 'delete', forObject(item['delete'], o.label, one));
    merge(`${base}/{id}/timeline`, 'get', forObject(timeline['get'], o.label, one));
    // The other routes under an object (history, notes, duplicates, merge, import, export): the same
    // operation under the object's own path, so that `/api/objects/Customer/import` is not read as a record id.
    for (const [path, ops] of Object.entries(routes)) {
      if (!path.startsWith('/api/objects/{object}/') || path === '/api/objects/{object}/{id}' || path === '/api/objects/{object}/{id}/timeline') continue;
      for (const [method, op] of Object.entries(ops)) {
        const roles = op[ROLES_KEY];
        if (roles !== undefined && !roles.includes('anyone') && !roles.includes(role)) continue;
        if (path === '/api/objects/{object}/import' && !(r.actions.has('create') && r.actions.has('update'))) continue;
        merge(`${base}${path.slice('/api/objects/{object}'.length)}`, method, forObject(op, o.label, () => undefined));
      }
    }
  }
}

/**
 * The OpenAPI document: `generated` is @fastify/swagger's (every route with its schema), cut to the
 * routes `role` may call, with a path for each object it may read; or whole without a role (every
 * route, every object with the fields any role sees: the contract tests and request generators read
 * that one).
 */
export function openApiDocument(app: Application, permissions: Permissions, role: RoleName | undefined, generated: Record<string, unknown>): Record<string, unknown> {
  const components = (generated['components'] ?? {}) as Record<string, unknown>;
  const schemas: Record<string, unknown> = { ...((components['schemas'] ?? {}) as Record<string, unknown>), Error: HOUSE_ERROR };
  const paths = routesFor(generated, role);
  const all = role === undefined ? paths : routesFor(generated, undefined);
  for (const r of role === undefined ? ROLES : [role]) objectPaths(permissions, r, all, paths, schemas);
  return {
    openapi: '3.1.0',
    info: {
      title: `${app.name} front office`,
      version: '1.0.0',
      description: `Generated from the schemas of the routes and from the application definition ${app.name} over the model ${app.model}${role === undefined ? ', every route' : `, for the role ${role}`}. Every error answer is { error: { code, message, details } }; a request line with headers over the limit is answered 431 in that shape before any route.`,
    },
    components: { schemas, securitySchemes: { session: { type: 'apiKey', in: 'cookie', name: 'caruso_session' } } },
    security: [{ session: [] }],
    paths,
  };
}
