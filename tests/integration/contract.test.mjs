// docs/openapi.yaml against the real binary: every route, method and
// problem code of the API is asked for here, so the validation hook in
// tests/lib/contract.mjs (run on every response) sees each of them at
// least once, whatever the other test files do.  The hook fails the test
// on any mismatch; these tests add the checks that need the request.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { tmpdir, writeConfig, simConfig, startServer, startSim, json, cgi, KINDS } from '../lib/callnorm.mjs';
import { validateResponse } from '../lib/contract.mjs';

let sim, server, config, access;
before(async () => {
  sim = await startSim({ seed: 11, size: 40 });
  const dir = tmpdir();
  config = writeConfig(dir, simConfig(sim.port, { providers: KINDS, main: 'request_timeout_ms = 1500\ncursor_ttl = 1\n' }));
  access = writeConfig(dir, simConfig(sim.port, { extra: '[access]\nalice = verbex, zudu\n' }), 'access.conf');
  server = await startServer(config, { threads: 4 });
});
after(async () => { await server?.stop(); await sim?.stop(); });

const ROUTES = ['/calls', '/providers', '/healthz', '/metrics'];

test('GET and HEAD on every route; HEAD has no body and the same headers', async () => {
  for (const r of ROUTES) {
    const g = await server.request(r + (r === '/calls' ? '?limit=3' : ''));
    const h = await server.request(r + (r === '/calls' ? '?limit=3' : ''), { method: 'HEAD' });
    assert.equal(g.status, 200, r + ' ' + g.text);
    assert.equal(h.status, 200, r);
    assert.equal(h.body.length, 0);
    assert.equal(h.headers['content-type'], g.headers['content-type']);
    if (r === '/calls') assert.ok(g.headers.link && h.headers.link);
  }
  // CGI too
  assert.equal(cgi(config, '/providers', { method: 'HEAD' }).status, 200);
});

test('other methods are 405 with Allow on every route; unknown paths 404', async () => {
  for (const r of ROUTES)
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
      const res = await server.request(r, { method });
      assert.equal(res.status, 405);
      assert.equal(res.headers.allow, 'GET, HEAD');
    }
  for (const p of ['/', '/call', '/calls/', '/CALLS', '/healthz/x', '/metrics.txt'])
    assert.equal((await server.request(p)).status, 404, p);
  assert.equal((await server.request('/nope', { method: 'POST' })).status, 404);
});

test('X-Request-Id: kept when valid, made otherwise, and repeated in the body', async () => {
  const kept = await server.request('/calls?limit=1', { headers: { 'X-Request-Id': 'abc.DEF_1-2' } });
  assert.equal(kept.headers['x-request-id'], 'abc.DEF_1-2');
  assert.equal(json(kept).meta.request_id, 'abc.DEF_1-2');
  const made = await server.request('/calls?limit=0', { headers: { 'X-Request-Id': 'x'.repeat(65) } });
  assert.match(made.headers['x-request-id'], /^[0-9a-f]{32}$/);
  assert.equal(json(made).request_id, made.headers['x-request-id']);
});

test('every 400 code, with errors[] for INVALID_ARGUMENT', async () => {
  const bad = { limit: '0', min_duration_ms: '-1', started_after: '2026-01-01T00:00:00', status: 'done', foo: '1', direction: '', order: 'up', include: 'all', partial: 'maybe', phone: 'abc', include_test: 'yes', type: 'fax' };
  const r = await server.request('/calls?' + new URLSearchParams(bad));
  const b = json(r);
  assert.equal(b.code, 'INVALID_ARGUMENT');
  assert.deepEqual(b.errors.map((e) => e.parameter).sort(), Object.keys(bad).sort());
  assert.equal(json(await server.request('/calls?q=' + 'a'.repeat(9000))).code, 'INVALID_ARGUMENT');
  assert.equal(json(await server.request('/calls?q=refund')).code, 'UNSUPPORTED_FILTER');
  assert.equal(json(await server.request('/calls?cursor=AAAA')).code, 'INVALID_CURSOR');
  const first = json(await server.request('/calls?limit=2&provider=verbex'));
  const c = first.page.next_cursor;
  assert.equal(json(await server.request('/calls?limit=2&provider=zudu&cursor=' + c)).code, 'CURSOR_QUERY_MISMATCH');
  await new Promise((res) => setTimeout(res, 2100)); // cursor_ttl = 1
  assert.equal(json(await server.request('/calls?limit=2&provider=verbex&cursor=' + c)).code, 'CURSOR_EXPIRED');
});

test('ACCESS_DENIED and UNKNOWN_PROVIDER, over CGI', () => {
  for (const route of ['/calls', '/providers']) {
    const r = cgi(access, route);
    assert.equal(r.status, 403);
    assert.equal(json(r).code, 'ACCESS_DENIED');
  }
  assert.equal(json(cgi(access, '/calls?provider=osvi', { remoteUser: 'alice' })).code, 'UNKNOWN_PROVIDER');
  assert.equal(json(cgi(access, '/providers', { remoteUser: 'alice' })).data.length, 2);
  assert.equal(json(cgi(config, '/calls?provider=nope')).code, 'UNKNOWN_PROVIDER');
});

test('every provider failure code, for one provider and for several', async () => {
  const one = [
    ['status:401', 502, 'PROVIDER_AUTH_FAILED'],
    ['status:503', 502, 'PROVIDER_UNAVAILABLE'],
    ['malformed', 502, 'PROVIDER_BAD_RESPONSE'],
    ['status:429', 429, 'PROVIDER_RATE_LIMITED'],
    ['hang', 504, 'PROVIDER_TIMEOUT'],
  ];
  try {
    for (const [mode, status, code] of one) {
      await sim.reset();
      await sim.control('zudu/fault', 'POST', { mode, count: -1, retry_after: '0' });
      const r = await server.request('/calls?provider=zudu,verbex&limit=3');
      assert.equal(r.status, status, mode + ' ' + r.text);
      const b = json(r);
      assert.equal(b.code, code);
      assert.equal(b.provider, 'zudu');
      assert.deepEqual(b.providers.map((p) => p.provider), ['zudu']);
      // several providers failing: providers[] has each, no top-level provider
      await sim.control('verbex/fault', 'POST', { mode, count: -1, retry_after: '0' });
      const r2 = await server.request('/calls?provider=zudu,verbex&limit=3');
      assert.equal(r2.status, status, mode + ' ' + r2.text);
      const b2 = json(r2);
      assert.equal(b2.code, code);
      assert.equal(b2.provider, undefined);
      assert.deepEqual(b2.providers.map((p) => p.provider).sort(), ['verbex', 'zudu']);
      if (status === 429) assert.match(r2.headers['retry-after'], /^\d+$/);
    }
    // mixed failures: 502 with each provider's own code
    await sim.reset();
    await sim.control('zudu/fault', 'POST', { mode: 'status:401', count: -1 });
    await sim.control('verbex/fault', 'POST', { mode: 'hang', count: -1 });
    const m = await server.request('/calls?provider=zudu,verbex&limit=3');
    assert.equal(m.status, 502, m.text);
    assert.deepEqual(json(m).providers.map((p) => p.code).sort(), ['PROVIDER_AUTH_FAILED', 'PROVIDER_TIMEOUT']);
    // PROVIDER_PAGINATION_STUCK
    await sim.reset();
    await server.request('/calls?provider=verbex&limit=2');
    await sim.control('verbex/fault', 'POST', { mode: 'repeat', count: -1 });
    assert.equal(json(await server.request('/calls?provider=verbex&limit=300')).code, 'PROVIDER_PAGINATION_STUCK');
    // partial=allow: 200 with the failed provider's error object
    await sim.reset();
    await sim.control('zudu/fault', 'POST', { mode: 'status:403', count: -1 });
    const p = await server.request('/calls?provider=zudu,verbex&limit=3&partial=allow');
    assert.equal(p.status, 200, p.text);
    const pm = json(p).meta;
    assert.deepEqual(pm.unreachable, ['zudu']);
    const z = pm.providers.find((x) => x.name === 'zudu');
    assert.equal(z.state, 'error');
    assert.deepEqual(z.error, { ...z.error, code: 'PROVIDER_AUTH_FAILED', provider_status: 403 });
  } finally { await sim.reset(); }
});

test('the validator itself rejects what breaks the contract', async () => {
  const good = await server.raw('/calls?limit=2');
  validateResponse('GET', '/calls?limit=2', good);
  const mutate = (f) => {
    const b = json(good);
    f(b);
    const body = Buffer.from(JSON.stringify(b));
    return { ...good, body, text: body.toString() };
  };
  const cases = {
    'unknown status': mutate((b) => { b.data[0].status = 'done'; }),
    'missing key': mutate((b) => { delete b.data[0].metadata; }),
    'extra key': mutate((b) => { b.data[0].extra = 1; }),
    'time without ms': mutate((b) => { b.data[0].started_at = '2026-01-01T00:00:00Z'; }),
    'cursor with has_more false': mutate((b) => { b.page.has_more = false; }),
    'bad provider state': mutate((b) => { b.meta.providers[0].state = 'fine'; }),
    'wrong content type': { ...good, headers: { ...good.headers, 'content-type': 'text/html' } },
    'no X-Request-Id': { ...good, headers: { ...good.headers, 'x-request-id': undefined } },
    'undeclared status': { ...good, status: 418 },
  };
  for (const [name, res] of Object.entries(cases))
    assert.throws(() => validateResponse('GET', '/calls?limit=2', res), /does not match docs\/openapi.yaml/, name);
  const nf = await server.raw('/nope');
  assert.throws(() => validateResponse('GET', '/nope', { ...nf, status: 400 }), /expected status 404/);
});
