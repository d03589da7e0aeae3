// Provider integers at the edge of int64: a page-numbered provider that
// reports a total of 2^63 - 1 makes a backward walk (talkover lists
// newest first, so order=asc walks its pages from the last) start at
// page 2^63 - 1. The list offsets of that page do not fit in int64: the
// answer is PROVIDER_BAD_RESPONSE, not a wrapped offset (or, under
// UBSan, a crash).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { tmpdir, writeConfig, startServer, json } from '../lib/callnorm.mjs';

const INT64_MAX = '9223372036854775807';

// A talkover upstream: every page holds three calls; `perPage(page)` is
// the page size it says it applied. JSON numbers beyond 2^53 are written
// as text, so they reach callnorm exactly.
function fakeTalkover(perPage) {
  const seen = [];
  const srv = http.createServer((req, res) => {
    const u = new URL(req.url, 'http://x');
    const page = u.searchParams.get('page') || '1';
    seen.push(page);
    const calls = [0, 1, 2].map((i) => JSON.stringify({
      id: `c${page}-${i}`, sid: `CA${i}`, to: '+15550001111', from: '+15552223333',
      is_testing: false, direction: 'outbound', status: 'completed', duration: 30,
      agent: { id: 'ag-1', name: 'Agent' }, created_at: `2024-01-01T00:00:0${3 - i}Z`,
    }));
    const body = `{"success":true,"data":[${calls.join(',')}],"pagination":{"current_page":${page},` +
      `"last_page":${INT64_MAX},"per_page":${perPage(page)},"total":${INT64_MAX}}}`;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(body);
  });
  return new Promise((resolve) => srv.listen(0, '127.0.0.1', () => resolve({ srv, port: srv.address().port, seen })));
}

const started = [];
after(async () => {
  for (const { server, up } of started) {
    await server.stop();
    await new Promise((r) => up.srv.close(r));
  }
});

async function run(perPage) {
  const up = await fakeTalkover(perPage);
  const config = writeConfig(tmpdir(), '[callnorm]\ncursor_key = test-cursor-key-0123456789abcdef0123\nrequest_timeout_ms = 5000\n\n' +
    `[provider talkover]\nkind = talkover\nbase_url = http://127.0.0.1:${up.port}/talkover\napi_key = k\ntimeout_ms = 3000\n`);
  const server = await startServer(config);
  started.push({ server, up });
  const r = await server.request('/calls?provider=talkover&order=asc&limit=5');
  return { r, up, server };
}

test('total 2^63 - 1, one call a page: the offsets of the last page overflow, PROVIDER_BAD_RESPONSE', async () => {
  const { r, up, server } = await run(() => 1);
  assert.equal(r.status, 502, r.text);
  assert.equal(json(r).code, 'PROVIDER_BAD_RESPONSE', r.text);
  assert.equal(json(r).provider, 'talkover', r.text);
  // it did go to the last page: the arithmetic was reached
  assert.deepEqual(up.seen, ['1', INT64_MAX]);
  assert.equal(server.child.exitCode, null, 'the server is still running');
});

test('total 2^63 - 1, the page size grows on the last page: (page - 1) * per_page overflows, PROVIDER_BAD_RESPONSE', async () => {
  const { r, up, server } = await run((page) => (page === '1' ? 1 : 100));
  assert.equal(r.status, 502, r.text);
  assert.equal(json(r).code, 'PROVIDER_BAD_RESPONSE', r.text);
  assert.deepEqual(up.seen, ['1', INT64_MAX]);
  assert.equal(server.child.exitCode, null, 'the server is still running');
});
