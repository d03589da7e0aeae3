// Validates every response the tests receive against docs/openapi.yaml:
// the status must be declared for the method and path, the content type
// must be one the response declares, required headers must be present and
// match their schemas, and the body must match the response schema
// (JSON Schema 2020-12, compiled by Ajv from the OpenAPI file).  A
// mismatch throws, which fails the test that made the request.
//
// Each test process counts what it validated and writes the counts on
// exit to $CALLNORM_CONTRACT_DIR (default: a directory named after the
// test runner's pid), where tests/integration/zz-contract-coverage.test.mjs
// reads them.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
export const specPath = path.join(root, 'docs', 'openapi.yaml');
export const summaryDir = process.env.CALLNORM_CONTRACT_DIR ||
  path.join(os.tmpdir(), `callnorm-contract-${process.ppid}`);

let state; // { spec, ajv, compiled: Map }
function load() {
  if (state) return state;
  const require = createRequire(path.join(root, 'tools', 'package.json'));
  let Ajv2020, addFormats, YAML;
  try {
    Ajv2020 = require('ajv/dist/2020').default;
    addFormats = require('ajv-formats').default;
    YAML = require('yaml');
  } catch (e) {
    throw new Error('contract validation needs tools/node_modules: run `npm ci --prefix tools` (scripts/deps test does): ' + e.message);
  }
  const spec = YAML.parse(fs.readFileSync(specPath, 'utf8'));
  // The whole OpenAPI document is one schema resource, so "#/components/…"
  // references resolve inside it; its non-schema keywords are ignored.
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: true });
  addFormats(ajv);
  ajv.addSchema({ ...spec, $id: 'urn:callnorm:openapi' });
  state = { spec, ajv, compiled: new Map() };
  return state;
}

// Follows $ref chains; returns the object and the pointer it lives at.
function resolveRef(spec, obj, at) {
  while (obj && obj.$ref) {
    at = obj.$ref;
    obj = at.slice(2).split('/').map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
      .reduce((o, k) => (o ? o[k] : undefined), spec);
    if (!obj) throw new Error('unresolved $ref ' + at);
  }
  return { obj, at };
}

function validator(schemaPointer) {
  const s = load();
  let v = s.compiled.get(schemaPointer);
  if (!v) {
    v = s.ajv.compile({ $ref: 'urn:callnorm:openapi' + schemaPointer });
    s.compiled.set(schemaPointer, v);
  }
  return v;
}

const counts = {};
let validated = 0;
let written = false;
function record(key) {
  counts[key] = (counts[key] || 0) + 1;
  validated++;
  if (!written) {
    written = true;
    process.on('exit', () => {
      try {
        fs.mkdirSync(summaryDir, { recursive: true });
        fs.writeFileSync(path.join(summaryDir, `${process.pid}.json`),
          JSON.stringify({ file: process.argv[1], validated, counts }));
      } catch { /* the coverage test reports what is missing */ }
    });
  }
}

function fail(what, res, problems) {
  const body = res.text === undefined ? '' : String(res.text).slice(0, 600);
  throw new Error(`response does not match docs/openapi.yaml: ${what}\n  ${problems.join('\n  ')}\n  status ${res.status}, content-type ${res.headers?.['content-type']}\n  body: ${body}`);
}

function fmtErrors(errors) {
  return (errors || []).slice(0, 8).map((e) => `${e.instancePath || '(body)'} ${e.message}${e.params && Object.keys(e.params).length ? ' ' + JSON.stringify(e.params) : ''}`);
}

// res: { status, headers (lower-case names), body (Buffer), text }.
// Returns res; throws on any mismatch.
export function validateResponse(method, url, res) {
  const { spec } = load();
  method = (method || 'GET').toUpperCase();
  const u = new URL(url, 'http://localhost');
  const what = `${method} ${u.pathname}${u.search}`;
  // a templated path ("/calls/{id}") matches one encoded segment per part
  let specPath = u.pathname;
  if (!spec.paths[specPath]) {
    specPath = Object.keys(spec.paths).find((k) => k.includes('{') &&
      new RegExp('^' + k.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{[^}]+\\?\}/g, '[^/]+') + '$').test(u.pathname)) || u.pathname;
  }
  const item = spec.paths[specPath];
  let route, respObj, fallback = false;
  if (!item) {
    route = '(other path)';
    respObj = { $ref: spec['x-callnorm-fallback']['unknown-path'] };
    fallback = true;
  } else if (!item[method.toLowerCase()]) {
    route = specPath + ' (other method)';
    respObj = { $ref: spec['x-callnorm-fallback']['other-method'] };
    fallback = true;
  } else {
    route = specPath;
    respObj = item[method.toLowerCase()].responses[String(res.status)];
    if (!respObj) fail(what, res, [`status ${res.status} is not declared for ${method} ${specPath}`]);
  }
  const esc = (x) => String(x).replace(/~/g, '~0').replace(/\//g, '~1');
  const { obj: resp, at: respAt } = resolveRef(spec, respObj,
    `#/paths/${esc(specPath)}/${method.toLowerCase()}/responses/${res.status}`);
  const problems = [];
  // a fallback response holds one status: the one its problem schema names
  if (fallback) {
    const want = respAt.endsWith('/NotFound') ? 404 : 405;
    if (res.status !== want) problems.push(`expected status ${want} for ${route}, got ${res.status}`);
  }
  // headers
  for (const [name, h0] of Object.entries(resp.headers || {})) {
    const { obj: h, at: hAt } = resolveRef(spec, h0, `${respAt}/headers/${name}`);
    const v = res.headers[name.toLowerCase()];
    if (v === undefined) {
      if (h.required) problems.push(`missing header ${name}`);
      continue;
    }
    const hv = validator(hAt + '/schema');
    if (!hv(v)) problems.push(`header ${name}: ${JSON.stringify(v)}: ${fmtErrors(hv.errors).join('; ')}`);
  }
  // content type
  const ct = res.headers['content-type'] || '';
  const media = ct.split(';')[0].trim().toLowerCase();
  const content = resp.content || {};
  if (!content[media]) problems.push(`content type ${JSON.stringify(ct)} is not one of ${Object.keys(content).join(', ')}`);
  if (media === 'application/json' && !/;\s*charset=utf-8\b/i.test(ct)) problems.push('application/json without charset=utf-8 (docs/api.md)');
  let code = '';
  let body;
  if (method === 'HEAD') {
    if (res.body && res.body.length > 0) problems.push(`HEAD answered with a ${res.body.length}-byte body`);
  } else if (content[media]) {
    const schemaPtr = `${respAt}/content/${esc(media)}/schema`;
    if (media.endsWith('json')) {
      try { body = JSON.parse(res.text); } catch (e) { problems.push('body is not JSON: ' + e.message); }
    } else {
      body = res.text;
    }
    if (body !== undefined) {
      const v = validator(schemaPtr);
      if (!v(body)) problems.push(...fmtErrors(v.errors));
    }
  }
  // what JSON Schema cannot tie to the HTTP layer
  const rid = res.headers['x-request-id'];
  if (body && typeof body === 'object') {
    if (media === 'application/problem+json') {
      code = body.code || '';
      if (body.status !== res.status) problems.push(`problem status ${body.status} is not the HTTP status ${res.status}`);
      if (body.request_id !== rid) problems.push('problem request_id is not X-Request-Id');
    }
    if (body.meta && body.meta.request_id !== rid) problems.push('meta.request_id is not X-Request-Id');
    if (body.page) {
      const link = res.headers.link;
      if (body.page.has_more !== (link !== undefined)) problems.push(`Link header ${link === undefined ? 'missing' : 'present'} with has_more ${body.page.has_more}`);
      if (body.page.returned !== body.data.length) problems.push('page.returned is not data.length');
      if (body.data.length > body.page.limit) problems.push('more records than page.limit');
    }
  }
  if (problems.length) fail(what, res, problems);
  record(`${method} ${route} ${res.status}${code ? ' ' + code : ''}`);
  return res;
}
