import { checkResponses, type RecordedResponse } from '@caruso/frontoffice/testing';

const ERROR = { type: 'object', required: ['error'], additionalProperties: false, properties: { error: { type: 'object', required: ['code', 'message'], properties: { code: { type: 'string' }, message: { type: 'string' } } } } };
const json = (schema: unknown): unknown => ({ content: { 'application/json': { schema } } });
const DOC = {
  openapi: '3.1.0',
  components: { schemas: { Error: ERROR } },
  paths: {
    '/api/things/{id}': {
      get: { 'x-roles': ['agent'], responses: { 200: { description: 'a thing', ...(json({ type: 'object', required: ['name'], additionalProperties: false, properties: { name: { type: ['string', 'null'] } } }) as object) }, 404: { description: 'no such', ...(json(ERROR) as object) } } },
      delete: { 'x-roles': ['agent'], responses: { 204: { description: 'deleted' } } },
    },
    '/api/things/special': { get: { 'x-roles': ['agent'], responses: { 200: { description: 'text', content: { 'text/csv': { schema: { type: 'string' } } } } } } },
    '/api/legacy': { get: { responses: { 200: { description: 'Default Response' } } } },
  },
};
const res = (method: string, url: string, status: number, body: unknown, contentType = 'application/json'): RecordedResponse => ({ method, url, status, contentType, body });

describe('checkResponses (the REST contract of the tests)', () => {
  it('accepts answers that match the document, a null where the schema allows it, and coded 404s of unknown paths', () => {
    const report = checkResponses(DOC, [
      res('GET', '/api/things/7?x=1', 200, { name: null }),
      res('GET', '/api/things/7', 404, { error: { code: 'CARUSO_X', message: 'no' } }),
      res('DELETE', '/api/things/7', 204, ''),
      res('GET', '/api/things/special', 200, 'a,b\n', 'text/csv'),
      res('GET', '/api/nothing/here', 404, { error: { code: 'CARUSO_X', message: 'no' } }),
    ]);
    expect(report).toEqual({ checked: 5, violations: [], unschemed: {} });
  });

  it('reports an undocumented status, a body off its schema, an undocumented content type and a body where none is documented', () => {
    const report = checkResponses(DOC, [
      res('GET', '/api/things/7', 500, { error: { code: 'CARUSO_X', message: 'boom' } }),
      res('GET', '/api/things/7', 200, { name: 1, extra: true }),
      res('GET', '/api/things/7', 200, '<html>', 'text/html'),
      res('DELETE', '/api/things/7', 204, 'surprise', 'text/plain'),
      res('GET', '/api/nothing', 200, {}),
      res('GET', '/api/nothing', 404, { error: 'Not Found', statusCode: 404 }),
    ]);
    expect(report.violations.map((v) => [v.method, v.path, v.status, v.problem.split(':')[0]])).toEqual([
      ['GET', '/api/things/{id}', 500, 'status 500 is not documented (documented'],
      ['GET', '/api/things/{id}', 200, 'body does not match the schema'],
      ['GET', '/api/things/{id}', 200, "content type 'text/html' is not documented (documented"],
      ['DELETE', '/api/things/{id}', 204, 'a body was sent where none is documented'],
      ['GET', '/api/nothing', 200, 'no documented route, and the answer is not 404'],
      ['GET', '/api/nothing', 404, '404 body is not the house error'],
    ]);
  });

  it('prefers a literal path segment to a parameter, as the router does, and counts routes without a schema apart', () => {
    const report = checkResponses(DOC, [res('GET', '/api/things/special', 200, { name: 'x' }), res('GET', '/api/legacy', 200, { any: 1 })]);
    expect(report.violations.map((v) => v.path)).toEqual(['/api/things/special']);
    expect(report.unschemed).toEqual({ 'GET /api/legacy': 1 });
  });
});
