// GET /openapi.json: the description callnorm serves is docs/openapi.json,
// which is docs/openapi.yaml as JSON (tools/openapi-json.mjs keeps them
// equal), in CGI and FastCGI mode, with a security scheme for the web
// server's authentication.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { root, tmpdir, writeConfig, cgi, startServer, json } from '../lib/callnorm.mjs';
import { render } from '../../tools/openapi-json.mjs';

const config = writeConfig(tmpdir(), `[provider verbex]
kind = verbex
base_url = http://127.0.0.1:9/verbex
api_key = k
`);
let server;
before(async () => { server = await startServer(config); });
after(async () => { await server?.stop(); });

const committed = () => fs.readFileSync(path.join(root, 'docs/openapi.json'), 'utf8');

test('docs/openapi.json is docs/openapi.yaml as JSON (run tools/openapi-json.mjs after editing)', () => {
  assert.equal(committed(), render());
});

test('GET /openapi.json serves it, in FastCGI and CGI mode; HEAD without a body', async () => {
  const want = JSON.parse(committed());
  const f = await server.request('/openapi.json');
  assert.equal(f.status, 200);
  assert.match(f.headers['content-type'], /^application\/json/);
  assert.deepEqual(json(f), want);
  const c = cgi(config, '/openapi.json');
  assert.equal(c.status, 200);
  assert.deepEqual(json(c), want);
  const h = await server.request('/openapi.json', { method: 'HEAD' });
  assert.equal(h.status, 200);
  assert.equal(h.text, '');
});

test('the description names the web server\'s authentication', async () => {
  const d = json(await server.request('/openapi.json'));
  assert.equal(d.components.securitySchemes.webServerAuth.type, 'http');
  assert.ok(d.security.some((s) => 'webServerAuth' in s));
});
