// /openapi.json is a well-formed OpenAPI 3.1 document, documents every route
// of the core API, and carries the very schemas that validate requests.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPlugin, type RunningPlugin } from '../support/plugin.ts';
import { FlagActionBody, FlagListQuery, RaiseFlag, RosterStatus, Flag, FlagList, Me, RaiseFlagResult, ErrorBody } from '../../shared/api.ts';
import { IngestResult, SignalBatch } from '../../shared/signal.ts';

type Json = any;
/**
 * A schema as plain JSON, in the equivalent spellings @fastify/swagger writes:
 * `const: x` as `enum: [x]`, a catch-all `patternProperties` as `additionalProperties`.
 */
const plain = (x: unknown): Json => {
  const norm = (n: Json): Json => {
    if (Array.isArray(n)) return n.map(norm);
    if (!n || typeof n !== 'object') return n;
    const out: Json = {};
    for (const [k, v] of Object.entries<Json>(n)) {
      if (k === 'const') out.enum = [v];
      else if (k === 'patternProperties' && Object.keys(v).length === 1 && v['^.*$']) out.additionalProperties = norm(v['^.*$']);
      else out[k] = norm(v);
    }
    return out;
  };
  return norm(JSON.parse(JSON.stringify(x)));
};

const CORE: [string, string, { body?: unknown; ok: unknown; params?: string[]; query?: unknown }][] = [
  ['get', '/api/v1/me', { ok: Me }],
  ['post', '/api/v1/signals', { body: SignalBatch, ok: IngestResult }],
  ['get', '/api/v1/courses/{courseId}/status', { ok: RosterStatus, params: ['courseId'] }],
  ['post', '/api/v1/flags', { body: RaiseFlag, ok: RaiseFlagResult }],
  ['get', '/api/v1/flags', { ok: FlagList, query: FlagListQuery }],
  ['get', '/api/v1/flags/{flagId}', { ok: Flag, params: ['flagId'] }],
  ['post', '/api/v1/flags/{flagId}/actions', { body: FlagActionBody, ok: Flag, params: ['flagId'] }],
];

describe('/openapi.json', () => {
  let p: RunningPlugin;
  let doc: Json;
  beforeAll(async () => {
    p = await startPlugin({ engine: 'sqlite', listen: false });
    const r = await p.app.inject({ method: 'GET', url: '/openapi.json' });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toMatch(/^application\/json/);
    doc = r.json();
  });
  afterAll(() => p.close());

  it('is OpenAPI 3.1 with the required top-level fields', () => {
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    expect(doc.info).toMatchObject({ title: expect.any(String), version: expect.any(String) });
    expect(typeof doc.paths).toBe('object');
    expect(doc.components.securitySchemes.bearer).toEqual({ type: 'http', scheme: 'bearer' });
    expect(doc.security).toEqual([{ bearer: [] }]);
  });

  it('has well-formed paths, operations, parameters and responses throughout', () => {
    const problems: string[] = [];
    const methods = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);
    const opIds = new Set<string>();
    for (const [path, item] of Object.entries<Json>(doc.paths)) {
      if (!path.startsWith('/')) problems.push(`${path}: must start with /`);
      const templated = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
      for (const [method, op] of Object.entries<Json>(item)) {
        const where = `${method.toUpperCase()} ${path}`;
        if (!methods.has(method)) {
          if (method !== 'parameters' && method !== 'summary' && method !== 'description') problems.push(`${where}: not an HTTP method`);
          continue;
        }
        if (op.operationId) {
          if (opIds.has(op.operationId)) problems.push(`${where}: duplicate operationId`);
          opIds.add(op.operationId);
        }
        const params: Json[] = op.parameters ?? [];
        for (const prm of params) {
          if (!prm.name || !['query', 'header', 'path', 'cookie'].includes(prm.in)) problems.push(`${where}: bad parameter ${JSON.stringify(prm).slice(0, 80)}`);
          if (!prm.schema && !prm.content) problems.push(`${where}: parameter ${prm.name} has no schema`);
          if (prm.in === 'path' && prm.required !== true) problems.push(`${where}: path parameter ${prm.name} must be required`);
        }
        const inPath = params.filter((x) => x.in === 'path').map((x) => x.name).sort();
        if (JSON.stringify(inPath) !== JSON.stringify([...templated].sort())) problems.push(`${where}: path parameters ${inPath} ≠ template ${templated}`);
        if (!op.responses || !Object.keys(op.responses).length) problems.push(`${where}: no responses`);
        for (const [code, res] of Object.entries<Json>(op.responses ?? {})) {
          if (!/^([1-5](\d\d|XX)|default)$/.test(code)) problems.push(`${where}: response key ${code}`);
          if (typeof res.description !== 'string') problems.push(`${where} ${code}: response needs a description`);
        }
        if (op.requestBody && !op.requestBody.content) problems.push(`${where}: requestBody without content`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('uses JSON Schema 2020-12 keywords only, and every $ref resolves', () => {
    const problems: string[] = [];
    const resolve = (ref: string) => ref.replace(/^#\//, '').split('/').reduce<Json>((o, k) => (o === undefined ? undefined : o[k.replace(/~1/g, '/').replace(/~0/g, '~')]), doc);
    const walk = (node: Json, at: string) => {
      if (Array.isArray(node)) return node.forEach((x, i) => walk(x, `${at}/${i}`));
      if (!node || typeof node !== 'object') return;
      if (typeof node.$ref === 'string' && (!node.$ref.startsWith('#/') || resolve(node.$ref) === undefined)) problems.push(`${at}: $ref ${node.$ref} does not resolve`);
      if ('nullable' in node && typeof node.nullable === 'boolean') problems.push(`${at}: nullable is OpenAPI 3.0, not 3.1`);
      for (const k of ['exclusiveMinimum', 'exclusiveMaximum']) if (typeof node[k] === 'boolean') problems.push(`${at}: boolean ${k} is draft-04`);
      for (const [k, v] of Object.entries(node)) walk(v, `${at}/${k}`);
    };
    walk(doc, '#');
    expect(problems).toEqual([]);
  });

  it.each(CORE)('documents %s %s with the schemas that validate it', (method, path, want) => {
    const op = doc.paths[path]?.[method];
    expect(op, `${method} ${path}`).toBeDefined();
    expect(op.summary).toEqual(expect.any(String));
    expect(plain(op.responses['200'].content['application/json'].schema)).toEqual(plain(want.ok));
    for (const code of ['400', '401', '403', '429']) expect(plain(op.responses[code].content['application/json'].schema)).toEqual(plain(ErrorBody));
    if (want.body) {
      expect(op.requestBody.required).toBe(true);
      expect(plain(op.requestBody.content['application/json'].schema)).toEqual(plain(want.body));
    } else expect(op.requestBody).toBeUndefined();
    const params: Json[] = op.parameters ?? [];
    expect(params.filter((x) => x.in === 'path').map((x) => x.name)).toEqual(want.params ?? []);
    if (want.query) {
      const props = (want.query as { properties: Record<string, unknown> }).properties;
      const q = params.filter((x) => x.in === 'query');
      expect(q.map((x) => x.name).sort()).toEqual(Object.keys(props).sort());
      for (const x of q) {
        // The parameter carries the schema's description itself.
        const { description, ...schema } = plain(props[x.name]);
        expect(plain(x.schema)).toEqual(schema);
        if (description) expect(x.description).toBe(description);
      }
    }
  });

  it('documents the limits clients build batches against', () => {
    const batch = doc.paths['/api/v1/signals'].post.requestBody.content['application/json'].schema;
    expect(batch.properties.signals).toMatchObject({ minItems: 1, maxItems: 1000 });
    expect(batch.properties.signals.items.additionalProperties).toBe(false);
    const raise = doc.paths['/api/v1/flags'].post.requestBody.content['application/json'].schema;
    expect(raise.properties.note.maxLength).toBe(2000);
  });

  it('hides the operational endpoints', () => {
    expect(doc.paths['/healthz']).toBeUndefined();
    expect(doc.paths['/openapi.json']).toBeUndefined();
  });
});
