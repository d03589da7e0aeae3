// The responder as a process: CGI and FastCGI modes, routes, errors,
// config checking, serving modes and signals.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { bin, tmpdir, writeConfig, cgi, startServer, waitFor, json } from '../lib/callnorm.mjs';
import { fcgiRequest, cgiParams } from '../lib/fcgi.mjs';

const dir = tmpdir();
const secretKey = 'sk-very-secret-verbex-key-123';
const config = writeConfig(dir, `[callnorm]
cursor_key = 0123456789abcdef0123456789abcdef
[provider verbex]
kind = verbex
base_url = http://127.0.0.1:9/verbex
api_key = ${secretKey}
[provider zudu]
kind = zudu
base_url = http://127.0.0.1:9/zudu
api_key = k
api_secret = s
`);
const accessConfig = writeConfig(dir, fs.readFileSync(config, 'utf8') + `[access]
alice = verbex, zudu
* = zudu
`, 'access.conf');

let server;
before(async () => { server = await startServer(config, { threads: 4 }); });
after(async () => { await server?.stop(); });

const RID = { 'X-Request-Id': 'fixed-id-1' };

test('healthz answers in CGI and FastCGI mode with byte-identical bodies', async () => {
  const c = cgi(config, '/healthz', { headers: RID });
  const f = await server.request('/healthz', { headers: RID });
  assert.equal(c.status, 200);
  assert.equal(f.status, 200);
  assert.deepEqual(json(c), { status: 'ok' });
  assert.equal(c.headers['content-type'], 'application/json; charset=utf-8');
  assert.ok(c.body.equals(f.body));
});

test('CGI and FastCGI give identical bodies for every route and error', async () => {
  for (const url of ['/providers', '/nope', '/calls?limit=0&foo=1', '/calls?cursor=garbage', '/calls?provider=nope', '/calls?q=refund']) {
    const c = cgi(config, url, { headers: RID });
    const f = await server.request(url, { headers: RID });
    assert.equal(c.status, f.status, url);
    assert.ok(c.body.equals(f.body), url + '\n' + c.text + '\n' + f.text);
  }
});

test('every response carries the hardening headers and X-Request-Id', async () => {
  for (const url of ['/healthz', '/nope', '/calls?limit=x']) {
    const r = await server.request(url);
    assert.equal(r.headers['cache-control'], 'no-store');
    assert.equal(r.headers['x-content-type-options'], 'nosniff');
    assert.match(r.headers['x-request-id'], /^[0-9a-f]{32}$/);
    assert.equal(Number(r.headers['content-length']), r.body.length);
  }
});

test('a valid X-Request-Id is kept, an invalid one replaced', async () => {
  let r = await server.request('/healthz', { headers: { 'X-Request-Id': 'abc-123_x.y' } });
  assert.equal(r.headers['x-request-id'], 'abc-123_x.y');
  r = await server.request('/nope', { headers: { 'X-Request-Id': 'abc-123_x.y' } });
  assert.equal(json(r).request_id, 'abc-123_x.y');
  r = await server.request('/healthz', { headers: { 'X-Request-Id': 'has space' } });
  assert.match(r.headers['x-request-id'], /^[0-9a-f]{32}$/);
  r = await server.request('/healthz', { headers: { 'X-Request-Id': 'x'.repeat(65) } });
  assert.match(r.headers['x-request-id'], /^[0-9a-f]{32}$/);
});

test('unknown routes are 404 NOT_FOUND problems', async () => {
  for (const p of ['/', '/call', '/calls/', '/healthz/x', '/CALLS']) {
    const r = await server.request(p);
    assert.equal(r.status, 404, p);
    assert.equal(r.headers['content-type'], 'application/problem+json');
    const b = json(r);
    assert.equal(b.code, 'NOT_FOUND');
    assert.equal(b.status, 404);
    assert.equal(b.type, 'urn:callnorm:problem:not-found');
    assert.equal(b.request_id, r.headers['x-request-id']);
  }
});

test('other methods are 405 with Allow', async () => {
  for (const m of ['POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH']) {
    const r = await server.request('/calls', { method: m });
    assert.equal(r.status, 405, m);
    assert.equal(r.headers.allow, 'GET, HEAD');
    assert.equal(json(r).code, 'METHOD_NOT_ALLOWED');
  }
});

test('HEAD has the GET headers and no body', async () => {
  const g = await server.request('/providers', { headers: RID });
  const h = await server.request('/providers', { method: 'HEAD', headers: RID });
  assert.equal(h.status, 200);
  assert.equal(h.body.length, 0);
  assert.equal(h.headers['content-length'], g.headers['content-length']);
  const c = cgi(config, '/healthz', { method: 'HEAD' });
  assert.equal(c.status, 200);
  assert.equal(c.body.length, 0);
});

test('/providers lists providers with capabilities', async () => {
  const b = json(await server.request('/providers'));
  assert.deepEqual(b.data.map((p) => p.name), ['verbex', 'zudu']);
  for (const p of b.data) {
    assert.ok(Array.isArray(p.capabilities.filters_pushed_down));
    assert.ok(Array.isArray(p.capabilities.filters_local));
    assert.ok(Array.isArray(p.capabilities.filters_unsupported));
    assert.deepEqual(p.capabilities.orders, ['desc', 'asc']);
  }
});

test('/calls rejects bad parameters with one error per parameter', async () => {
  const r = await server.request('/calls?limit=0&foo=1&status=weird&status=completed&order=up');
  assert.equal(r.status, 400);
  const b = json(r);
  assert.equal(b.code, 'INVALID_ARGUMENT');
  assert.deepEqual(b.errors.map((e) => e.parameter).sort(), ['foo', 'limit', 'order', 'status']);
  const long = await server.request('/calls?q=' + 'a'.repeat(8200));
  assert.equal(long.status, 400);
  assert.equal(json(long).code, 'INVALID_ARGUMENT');
});

test('/calls: unknown providers are 404, unsupported filters 400', async () => {
  let r = await server.request('/calls?provider=ghost');
  assert.equal(r.status, 404);
  assert.equal(json(r).code, 'UNKNOWN_PROVIDER');
  r = await server.request('/calls?cursor=@@@');
  assert.equal(r.status, 400);
  assert.equal(json(r).code, 'INVALID_CURSOR');
});

test('[access] decides what a caller may read', async () => {
  const s = await startServer(accessConfig);
  try {
    let r = await s.request('/providers');
    assert.equal(r.status, 403);
    assert.equal(json(r).code, 'ACCESS_DENIED');
    r = await s.request('/calls');
    assert.equal(json(r).code, 'ACCESS_DENIED');
    r = await s.request('/providers', { remoteUser: 'alice' });
    assert.deepEqual(json(r).data.map((p) => p.name), ['verbex', 'zudu']);
    r = await s.request('/providers', { remoteUser: 'mallory' });
    assert.deepEqual(json(r).data.map((p) => p.name), ['zudu']);
    r = await s.request('/calls?provider=verbex', { remoteUser: 'mallory' });
    assert.equal(r.status, 404);
    assert.equal(json(r).code, 'UNKNOWN_PROVIDER');
  } finally { await s.stop(); }
});

test('/metrics is Prometheus text', async () => {
  await server.request('/healthz');
  const r = await server.request('/metrics');
  assert.equal(r.status, 200);
  assert.match(r.headers['content-type'], /^text\/plain; version=0.0.4/);
  assert.match(r.text, /# TYPE callnorm_requests_total counter/);
  assert.match(r.text, /callnorm_requests_total\{route="healthz",status="200"\} [1-9]/);
  assert.match(r.text, /callnorm_requests_in_flight 1/);
});

test('one log line per request, never a secret', async () => {
  const r = await server.request('/calls?provider=verbex&limit=x');
  const id = r.headers['x-request-id'];
  const mine = () => server.stderr.split('\n').filter((l) => l.includes(`request id=${id} `));
  await waitFor(() => mine().length === 1, 2000, 'the log line');
  assert.match(mine()[0], /request id=[0-9a-f]{32} method=GET route=\/calls status=400 ms=\d+/);
  assert.ok(!server.stderr.includes(secretKey));
});

test('--check-config: 78 with FILE:LINE for each kind of problem, 0 when valid', () => {
  const cases = [
    ['[provider a]\nkind = verbex\nbase_url = https://x\napi_key = k\ncolor = red\n', 5, /unknown key/],
    ['[provider a]\nkind = verbex\nbase_url = https://x\napi_key = k\n[other]\n', 5, /unknown section/],
    ['[provider a]\nkind = verbex\nkind = verbex\nbase_url = https://x\napi_key = k\n', 3, /duplicate key/],
    ['[provider a]\nbase_url = https://x\napi_key = k\n', 1, /no 'kind'/],
    ['[provider a]\nkind = verbex\nbase_url = http://example.com\napi_key = k\n', 3, /https/],
    ['[provider a]\nkind = verbex\nbase_url = https://x\napi_key = env:CALLNORM_TEST_UNSET\n', 4, /CALLNORM_TEST_UNSET is not set/],
  ];
  for (const [text, line, re] of cases) {
    const p = writeConfig(dir, text, 'check.conf');
    const r = spawnSync(bin, ['-c', p, '--check-config'], { env: { PATH: process.env.PATH } });
    assert.equal(r.status, 78, text);
    const err = r.stderr.toString();
    assert.ok(err.includes(`${p}:${line}: `), err);
    assert.match(err, re);
  }
  const ok = spawnSync(bin, ['-c', config, '--check-config']);
  assert.equal(ok.status, 0);
  assert.match(ok.stdout.toString(), /OK/);
  assert.ok(!ok.stdout.toString().includes(secretKey));
  const env = spawnSync(bin, ['--check-config'], { env: { PATH: process.env.PATH, CALLNORM_CONFIG: config } });
  assert.equal(env.status, 0, 'CALLNORM_CONFIG is used');
});

test('--check-config: every duplicate key or section is 78 with FILE:LINE and the first line', () => {
  const prov = '[provider a]\nkind = verbex\nbase_url = https://x\napi_key = k\n';
  const users = Array.from({ length: 40 }, (_, i) => `user${String(i + 1).padStart(2, '0')} = a\n`).join('');
  const long = 'u'.repeat(60);
  const cases = [
    // lines 1-4 provider, 5 [access], users 1..40 on lines 6..45, the 33rd again on 46
    [prov + '[access]\n' + users + 'user33 = a\n', 46, /duplicate key 'user33' \(first at line 38\)/],
    [prov + `[access]\n${long} = a\nbob = a\n${long} = a\n`, 8, new RegExp(`duplicate key '${long}' \\(first at line 6\\)`)],
    ['[callnorm]\ncursor_ttl = 5\ncursor_ttl = 5\n' + prov, 3, /duplicate key 'cursor_ttl' \(first at line 2\)/],
    [prov + 'timeout_ms = 100\ntimeout_ms = 100\n', 6, /duplicate key 'timeout_ms' \(first at line 5\)/],
    [prov + prov, 5, /duplicate section \[provider a\] \(first at line 1\)/],
    ['[callnorm]\n[callnorm]\n' + prov, 2, /duplicate section \[callnorm\] \(first at line 1\)/],
    [prov + '[access]\n* = a\n[access]\nbob = a\n', 7, /duplicate section \[access\] \(first at line 5\)/],
  ];
  for (const [text, line, re] of cases) {
    const p = writeConfig(dir, text, 'dup.conf');
    const r = spawnSync(bin, ['-c', p, '--check-config'], { env: { PATH: process.env.PATH } });
    const err = r.stderr.toString();
    assert.equal(r.status, 78, text + err);
    assert.ok(err.includes(`${p}:${line}: `), err);
    assert.match(err, re);
  }
});

test('serving modes refuse an invalid config with 78', () => {
  const p = writeConfig(dir, '[bogus]\n', 'bad.conf');
  const r = spawnSync(bin, ['-c', p, '--listen', 'unix:' + path.join(dir, 's.sock')]);
  assert.equal(r.status, 78);
  const c = spawnSync(bin, ['-c', p], { env: { PATH: process.env.PATH, REQUEST_METHOD: 'GET', PATH_INFO: '/healthz' } });
  assert.equal(c.status, 78);
});

test('--version', () => {
  const r = spawnSync(bin, ['--version']);
  assert.equal(r.status, 0);
  assert.match(r.stdout.toString(), /^callnorm \d+\.\d+\.\d+/);
});

test('the unix socket is created 0660', () => {
  const mode = fs.statSync(server.sock).mode & 0o777;
  assert.equal(mode, 0o660);
});

test('FastCGI on an inherited socket (fd 0), as mod_fcgid and systemd do', async () => {
  const sock = path.join(tmpdir(), 'fd0.sock');
  // spawn-fcgi binds the socket and execs callnorm with it on fd 0
  const child = spawn('spawn-fcgi', ['-n', '-s', sock, '--', bin, '-c', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  const exited = new Promise((r) => child.on('exit', (code) => r(code)));
  try {
    await waitFor(async () => (await fcgiRequest({ path: sock }, cgiParams('/healthz'))).status === 200, 10000, 'fd 0 server');
    const r = await fcgiRequest({ path: sock }, cgiParams('/healthz'));
    assert.deepEqual(json(r), { status: 'ok' });
  } finally {
    child.kill('SIGTERM');
  }
  assert.equal(await exited, 0);
});

test('--workers: pre-forked processes share the socket; a dead worker is replaced', async () => {
  const s = await startServer(config, { workers: 2, threads: 2 });
  try {
    const seen = new Set();
    for (let i = 0; i < 40; i++) {
      const r = await s.request('/healthz');
      assert.equal(r.status, 200);
    }
    // find the workers: children of the master
    const kids = () => spawnSync('pgrep', ['-P', String(s.child.pid)]).stdout.toString().trim().split('\n').filter(Boolean);
    await waitFor(() => kids().length === 2, 5000, 'two workers');
    const [victim] = kids();
    process.kill(Number(victim), 'SIGKILL');
    await waitFor(() => kids().length === 2 && !kids().includes(victim), 5000, 'a replacement worker');
    for (let i = 0; i < 20; i++) seen.add((await s.request('/healthz')).status);
    assert.deepEqual([...seen], [200]);
  } finally {
    const { code } = await s.stop();
    assert.equal(code, 0);
  }
});

test('SIGTERM, SIGINT and SIGUSR1 each stop the server with exit 0', async () => {
  for (const sig of ['SIGTERM', 'SIGINT', 'SIGUSR1']) {
    const s = await startServer(config, { threads: 3 });
    const { code, signal } = await s.stop(sig);
    assert.equal(signal, null, sig);
    assert.equal(code, 0, sig);
  }
});

test('SIGPIPE from a client that went away does not kill the server', async () => {
  const net = await import('node:net');
  for (let i = 0; i < 5; i++) {
    const c = net.connect({ path: server.sock });
    await new Promise((r) => c.on('connect', r));
    c.write(Buffer.from([1, 1, 0, 1, 0, 8, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0]));
    c.destroy();
  }
  const r = await server.request('/healthz');
  assert.equal(r.status, 200);
});

test('FastCGI roles other than responder are refused', async () => {
  for (const role of [2, 3]) {
    const r = await fcgiRequest({ path: server.sock }, cgiParams('/healthz'), { role });
    assert.equal(r.status, 403, 'role ' + role);
    assert.equal(r.body.length, 0);
  }
  assert.equal((await server.request('/healthz')).status, 200);
});

test('the server process leaves no core dump (it holds provider keys)', () => {
  const limits = fs.readFileSync(`/proc/${server.child.pid}/limits`, 'utf8');
  assert.match(limits, /Max core file size\s+0\s+0/);
});
