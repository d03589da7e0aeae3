// Hostile providers, failing memory and signals (docs/hardening.md).
//
// Every fault the simulator can inject ends in its documented error within
// request_timeout_ms; 1,000 requests through a representative mix of
// faults leak no file descriptor and leave VmRSS flat; every allocation
// of a representative /calls request is failed in turn (CALLNORM_FAIL_ALLOC)
// and each run answers a clean 500 INTERNAL or the normal answer; SIGTERM
// during a slow upstream request finishes it and exits 0 under valgrind.
//
// Under CALLNORM_WRAP (valgrind, see scripts/test) the loops are thinned:
// 1,000 repetitions become 20 and the allocation loop takes every 60th N.
import { test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { bin, root, tmpdir, writeConfig, simConfig, startServer, startSim, json, waitFor } from '../lib/callnorm.mjs';
import { fcgiRequest, fcgiAbandon, cgiParams, parseCgi } from '../lib/fcgi.mjs';

const wrapped = (process.env.CALLNORM_WRAP || '').trim() !== '';
const asan = /libasan/.test(spawnSync('ldd', [bin]).stdout?.toString() || '');
// request_timeout_ms of the server under test.  Under valgrind every
// instruction is emulated and the deadline covers decoding too, so a
// 32 MiB body or a four-provider page needs the time of a slower machine.
const DEADLINE = wrapped ? 8000 : 1500;
const PROVIDER_TIMEOUT = wrapped ? 20000 : 3000; // timeout_ms of each provider
const SLACK = wrapped ? 4000 : asan ? 1500 : 1000; // answer, startup, valgrind, a loaded CI machine
const REPS = wrapped ? 20 : 1000;

// Extra simulated providers, one fault each, for the repetition loop.
const EXTRA = { vx401: 'verbex', vx404: 'verbex', vxredir: 'verbex', vxempty: 'verbex' };
const ALL = ['verbex', 'voicy', 'talkover', 'osvi', 'zudu', 'retell', 'bland', 'vapi', 'elevenlabs', 'twilio', ...Object.keys(EXTRA)];

let sim, server, config, deadPort;

async function closedPort() {
  const s = net.createServer();
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  const port = s.address().port;
  await new Promise((r) => s.close(r));
  return port;
}

before(async () => {
  const args = [];
  for (const n of ALL) args.push('--provider', `${n}=${EXTRA[n] || n}`);
  sim = await startSim({ seed: 11, size: 40, args });
  deadPort = await closedPort();
  const dead = `[provider dead]\nkind = osvi\nbase_url = http://127.0.0.1:${deadPort}/dead\napi_key = k\ntimeout_ms = 3000\n`;
  config = writeConfig(tmpdir(), simConfig(sim.port, { providers: ALL, kinds: EXTRA, extra: dead, main: `request_timeout_ms = ${DEADLINE}\n`, timeoutMs: PROVIDER_TIMEOUT }));
  server = await startServer(config, { threads: 1 });
});
after(async () => { await server?.stop(); await sim?.stop(); });
// a failed test must not leave its faults to the next one
afterEach(async () => { await sim?.reset(); });

const HEALTHY = '/calls?provider=verbex,voicy,talkover,osvi,zudu&limit=3';
const fdCount = (pid) => fs.readdirSync(`/proc/${pid}/fd`).length;
const rssKb = (pid) => Number(fs.readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/)[1]);

// [name, provider, fault (null: none), HTTP status, code, provider_status
// (BODY: the fault came after a 200, which is not named)]
const BODY = 'after-200';
const MATRIX = [
  ['connection refused', 'dead', null, 502, 'PROVIDER_UNAVAILABLE'],
  ['hang', 'verbex', { mode: 'hang' }, 504, 'PROVIDER_TIMEOUT'],
  ['trickle', 'verbex', { mode: 'trickle', chunk_bytes: 1, interval_ms: 200 }, 504, 'PROVIDER_TIMEOUT'],
  ['reset mid-body', 'verbex', { mode: 'reset' }, 502, 'PROVIDER_UNAVAILABLE', BODY],
  ['truncated body', 'verbex', { mode: 'truncated' }, 502, 'PROVIDER_BAD_RESPONSE', BODY],
  ['oversize body (40 MiB, chunked)', 'verbex', { mode: 'oversize' }, 502, 'PROVIDER_BAD_RESPONSE', BODY],
  ['oversize body (32 MiB + 1)', 'zudu', { mode: 'oversize', bytes: 32 * 1024 * 1024 + 1 }, 502, 'PROVIDER_BAD_RESPONSE', BODY],
  ['gzip bomb (64 MiB inflated)', 'verbex', { mode: 'gzipbomb' }, 502, 'PROVIDER_BAD_RESPONSE', BODY],
  ['header flood (400 KB of headers)', 'zudu', { mode: 'headers' }, 502, 'PROVIDER_BAD_RESPONSE', BODY],
  ['deep nesting', 'voicy', { mode: 'deep' }, 502, 'PROVIDER_BAD_RESPONSE', BODY],
  ['wrong types', 'talkover', { mode: 'wrongtypes' }, 502, 'PROVIDER_BAD_RESPONSE', BODY],
  ['malformed JSON', 'osvi', { mode: 'malformed' }, 502, 'PROVIDER_BAD_RESPONSE', BODY],
  ['empty body', 'zudu', { mode: 'empty' }, 502, 'PROVIDER_BAD_RESPONSE', BODY],
  ['401', 'verbex', { mode: 'status:401' }, 502, 'PROVIDER_AUTH_FAILED', 401],
  ['403', 'zudu', { mode: 'status:403' }, 502, 'PROVIDER_AUTH_FAILED', 403],
  ['404', 'verbex', { mode: 'status:404' }, 502, 'PROVIDER_BAD_RESPONSE', 404],
  ['429', 'voicy', { mode: 'status:429', retry_after: '0' }, 429, 'PROVIDER_RATE_LIMITED', 429],
  ['500', 'talkover', { mode: 'status:500' }, 502, 'PROVIDER_UNAVAILABLE', 500],
  ['502', 'osvi', { mode: 'status:502' }, 502, 'PROVIDER_UNAVAILABLE', 502],
  ['503', 'zudu', { mode: 'status:503', retry_after: '0' }, 502, 'PROVIDER_UNAVAILABLE', 503],
  ['redirect to another port', 'verbex', { mode: 'redirect' }, 502, 'PROVIDER_BAD_RESPONSE', 302],
  ['wrong types (retell)', 'retell', { mode: 'wrongtypes' }, 502, 'PROVIDER_BAD_RESPONSE', BODY],
  ['deep nesting (retell)', 'retell', { mode: 'deep' }, 502, 'PROVIDER_BAD_RESPONSE', BODY],
  ['401 (retell)', 'retell', { mode: 'status:401' }, 502, 'PROVIDER_AUTH_FAILED', 401],
  ['wrong types (bland)', 'bland', { mode: 'wrongtypes' }, 502, 'PROVIDER_BAD_RESPONSE', BODY],
  ['truncated body (bland)', 'bland', { mode: 'truncated' }, 502, 'PROVIDER_BAD_RESPONSE', BODY],
  ['401 (bland)', 'bland', { mode: 'status:401' }, 502, 'PROVIDER_AUTH_FAILED', 401],
  ['wrong types (vapi)', 'vapi', { mode: 'wrongtypes' }, 502, 'PROVIDER_BAD_RESPONSE', BODY],
  ['truncated body (vapi)', 'vapi', { mode: 'truncated' }, 502, 'PROVIDER_BAD_RESPONSE', BODY],
  ['401 (vapi)', 'vapi', { mode: 'status:401' }, 502, 'PROVIDER_AUTH_FAILED', 401],
  ['wrong types (elevenlabs)', 'elevenlabs', { mode: 'wrongtypes' }, 502, 'PROVIDER_BAD_RESPONSE', BODY],
  ['truncated body (elevenlabs)', 'elevenlabs', { mode: 'truncated' }, 502, 'PROVIDER_BAD_RESPONSE', BODY],
  ['401 (elevenlabs)', 'elevenlabs', { mode: 'status:401' }, 502, 'PROVIDER_AUTH_FAILED', 401],
  ['wrong types (twilio)', 'twilio', { mode: 'wrongtypes' }, 502, 'PROVIDER_BAD_RESPONSE', BODY],
  ['truncated body (twilio)', 'twilio', { mode: 'truncated' }, 502, 'PROVIDER_BAD_RESPONSE', BODY],
  ['401 (twilio)', 'twilio', { mode: 'status:401' }, 502, 'PROVIDER_AUTH_FAILED', 401],
];

function checkProblem(r, status, code, provider, providerStatus, what) {
  assert.equal(r.status, status, what + ': ' + r.text.slice(0, 300));
  assert.equal(r.headers['content-type'], 'application/problem+json', what);
  assert.equal(r.headers['cache-control'], 'no-store', what);
  assert.equal(r.headers['x-content-type-options'], 'nosniff', what);
  const b = json(r);
  assert.equal(b.code, code, what);
  assert.equal(b.status, status, what);
  assert.equal(b.provider, provider, what);
  if (providerStatus && providerStatus !== BODY) assert.equal(b.provider_status, providerStatus, what);
  else assert.equal(b.provider_status, undefined, what);
  if (status === 429) assert.match(r.headers['retry-after'] || '', /^\d+$/, what);
}

test('every simulator fault ends in its documented error within the deadline, leaking no fd', async () => {
  const pid = server.child.pid;
  await sim.reset();
  await server.request(HEALTHY); // warm: every provider's connection
  const fd0 = fdCount(pid);
  const redirectHits = (await sim.control('redirect-target')).hits;
  for (const [what, provider, fault, status, code, ps] of MATRIX) {
    await sim.reset();
    if (fault) await sim.control(`${provider}/fault`, 'POST', { count: -1, ...fault });
    const other = provider === 'osvi' ? 'zudu' : 'osvi';
    const t0 = Date.now();
    const r = await server.request(`/calls?provider=${provider},${other}&limit=5`);
    const dt = Date.now() - t0;
    checkProblem(r, status, code, provider, ps, what);
    assert.ok(dt <= DEADLINE + SLACK, `${what}: answered after ${dt} ms`);
  }
  await sim.reset();
  assert.equal((await sim.control('redirect-target')).hits, redirectHits, 'a redirect was followed');
  // the process still answers, and holds no more descriptors than before
  assert.equal((await server.request(HEALTHY)).status, 200);
  const fd1 = fdCount(pid);
  assert.ok(fd1 <= fd0 + 2, `descriptors ${fd0} -> ${fd1}`);
});

test(`${REPS} requests through a mix of faults: no fd leaked, VmRSS flat`, { timeout: 120000 }, async () => {
  const pid = server.child.pid;
  await sim.reset();
  const faults = {
    verbex: { mode: 'truncated' }, voicy: { mode: 'deep', depth: 2000 }, talkover: { mode: 'wrongtypes' },
    osvi: { mode: 'malformed' }, vx401: { mode: 'status:401' }, vx404: { mode: 'status:404' },
    vxredir: { mode: 'redirect' }, vxempty: { mode: 'empty' },
  };
  for (const [p, f] of Object.entries(faults)) await sim.control(`${p}/fault`, 'POST', { count: -1, ...f });
  const cases = [
    // four broken providers and one good one: 200, partial
    ['/calls?provider=verbex,voicy,talkover,osvi,zudu&partial=allow&limit=5', (r) => {
      assert.equal(r.status, 200, r.text.slice(0, 300));
      const b = json(r);
      assert.equal(b.meta.complete, false);
      assert.deepEqual(b.meta.unreachable.sort(), ['osvi', 'talkover', 'verbex', 'voicy']);
      assert.equal(b.data.length, 5);
    }],
    ['/calls?provider=vx401,zudu&limit=5', (r) => checkProblem(r, 502, 'PROVIDER_AUTH_FAILED', 'vx401', 401, '401')],
    ['/calls?provider=vxredir&limit=5', (r) => checkProblem(r, 502, 'PROVIDER_BAD_RESPONSE', 'vxredir', 302, 'redirect')],
    ['/calls?provider=vx404,zudu&limit=5', (r) => checkProblem(r, 502, 'PROVIDER_BAD_RESPONSE', 'vx404', 404, '404')],
    ['/calls?provider=vxempty,zudu&limit=5', (r) => checkProblem(r, 502, 'PROVIDER_BAD_RESPONSE', 'vxempty', BODY, 'empty')],
    ['/calls?provider=zudu&limit=20&status=completed', (r) => assert.equal(r.status, 200)],
  ];
  const round = async (i) => {
    const [url, check] = cases[i % cases.length];
    check(await server.request(url));
  };
  const warm = Math.min(100, REPS / 2);
  for (let i = 0; i < warm; i++) await round(i);
  const fd0 = fdCount(pid), rss0 = rssKb(pid);
  for (let i = warm; i < REPS; i++) await round(i);
  const fd1 = fdCount(pid), rss1 = rssKb(pid);
  await sim.reset();
  test.diagnostic?.(`fds ${fd0} -> ${fd1}, VmRSS ${rss0} -> ${rss1} kB over ${REPS - warm} requests`);
  console.log(`# fds ${fd0} -> ${fd1}, VmRSS ${rss0} -> ${rss1} kB over ${REPS - warm} requests`);
  assert.ok(fd1 <= fd0 + 2, `descriptors ${fd0} -> ${fd1}`);
  // ASan's quarantine and valgrind's shadow memory grow by design.
  if (!asan && !wrapped) assert.ok(rss1 - rss0 < 5 * 1024, `VmRSS ${rss0} -> ${rss1} kB`);
});

test('oversize bodies, repeated: memory returns to a bound', { timeout: 120000 }, async () => {
  // A server of its own with a roomy deadline: reading 32 MiB under a
  // sanitizer on a busy machine can take longer than the matrix's 1.5 s,
  // and this test is about memory, not time.
  const roomy = writeConfig(tmpdir(), simConfig(sim.port, { providers: ['verbex'], main: `request_timeout_ms = ${wrapped ? 60000 : 20000}\n`, timeoutMs: wrapped ? 60000 : 3000 }));
  const big = await startServer(roomy, { threads: 1 });
  const pid = big.child.pid;
  await sim.reset();
  await sim.control('verbex/fault', 'POST', { mode: 'oversize', count: -1 });
  const reps = wrapped ? 2 : 8;
  const rss = [];
  try {
    for (let i = 0; i < reps; i++) {
      const r = await big.request('/calls?provider=verbex&limit=5');
      checkProblem(r, 502, 'PROVIDER_BAD_RESPONSE', 'verbex', BODY, 'oversize');
      assert.match(json(r).detail, /over 32 MiB/);
      rss.push(rssKb(pid));
    }
  } finally { await sim.reset(); await big.stop(); }
  console.log(`# VmRSS after each oversize body: ${rss.join(' ')} kB`);
  // One 32 MiB buffer may stay with the allocator; eight must not add up.
  if (!asan && !wrapped) assert.ok(rss[reps - 1] - rss[1] < 40 * 1024, `VmRSS ${rss.join(' ')}`);
});

test('a web server that goes away before the answer: logged undelivered, next request served', async () => {
  await sim.control('verbex/latency', 'POST', { ms: 300 });
  const before = (server.stderr.match(/ undelivered/g) || []).length;
  await fcgiAbandon({ path: server.sock }, cgiParams('/calls?provider=verbex&limit=40', { headers: { 'X-Request-Id': 'gone-1' } }));
  await waitFor(async () => /id=gone-1 .* undelivered/.test(server.stderr), 5000, 'the undelivered log line');
  assert.equal((server.stderr.match(/ undelivered/g) || []).length, before + 1);
  await sim.control('verbex/latency', 'POST', { ms: 0 });
  const r = await server.request('/calls?provider=verbex&limit=2');
  assert.equal(r.status, 200);
  assert.equal(server.child.exitCode, null);
});

test('proxy settings from the environment (httpoxy) never reach libcurl', async () => {
  let hits = 0;
  const trap = net.createServer((c) => { hits++; c.destroy(); });
  await new Promise((r) => trap.listen(0, '127.0.0.1', r));
  const proxy = `http://127.0.0.1:${trap.address().port}`;
  try {
    const env = { HTTP_PROXY: proxy, http_proxy: proxy, HTTPS_PROXY: proxy, https_proxy: proxy, ALL_PROXY: proxy, all_proxy: proxy };
    const r = await cgiAsync('/calls?provider=verbex,zudu&limit=3', { env });
    assert.equal(r.status, 200, r.text.slice(0, 300));
    assert.equal(hits, 0);
  } finally { trap.close(); }
});

test('a provider key with CR LF (env:) is refused at startup, naming the key only', () => {
  const dir = tmpdir();
  const conf = writeConfig(dir, '[callnorm]\ncursor_key = test-cursor-key-0123456789abcdef0123\n[provider v]\nkind = verbex\nbase_url = https://api.verbex.ai\napi_key = env:CN_TEST_KEY\n');
  const r = spawnSync(bin, ['-c', conf, '--check-config'], { env: { PATH: process.env.PATH, CN_TEST_KEY: 'abc\r\nX-Injected: 1' } });
  assert.equal(r.status, 78);
  assert.match(r.stderr.toString(), /:6: api_key: contains a control character/);
  assert.doesNotMatch(r.stderr.toString(), /abc|Injected/);
});

// One CGI run, asynchronous so that several can run at once.
function cgiAsync(url, { env = {}, timeoutMs = 60000 } = {}) {
  const wrap = (process.env.CALLNORM_WRAP || '').split(' ').filter(Boolean);
  const argv = [...wrap, bin];
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), {
      env: { PATH: process.env.PATH, ASAN_OPTIONS: process.env.ASAN_OPTIONS || '', UBSAN_OPTIONS: process.env.UBSAN_OPTIONS || '', CALLNORM_CONFIG: config, ...cgiParams(url), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out = [];
    let err = '';
    child.stdout.on('data', (d) => out.push(d));
    child.stderr.on('data', (d) => { err += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const stdout = Buffer.concat(out);
      let res;
      try { res = parseCgi(stdout); } catch (e) { res = { status: 0, headers: {}, text: stdout.toString(), parseError: e.message }; }
      resolve({ ...res, exitCode: code, signal, stderr: err });
    });
  });
}

test('malloc-failure loop: failing the Nth allocation of a /calls request, for every N', { timeout: 300000 }, async () => {
  await sim.reset();
  const url = '/calls?provider=verbex,voicy,osvi,zudu&status=completed,no_answer&started_after=2026-01-01T00:00:00Z&limit=7';
  const norm = (b) => JSON.stringify({ data: b.data, has_more: b.page.has_more, returned: b.page.returned });
  const base = await cgiAsync(url);
  assert.equal(base.status, 200, base.text.slice(0, 300));
  assert.ok(base.headers.link, 'the representative request has a next page');
  const want = norm(json(base));
  const step = wrapped ? 60 : 1;
  const width = wrapped ? 1 : 3;
  const seen = { internal: 0, normal: 0 };
  let reachedEnd = false, n = 1;
  const one = async (k) => {
    const r = await cgiAsync(url, { env: { CALLNORM_FAIL_ALLOC: String(k) }, timeoutMs: wrapped ? 120000 : 20000 });
    const what = `CALLNORM_FAIL_ALLOC=${k}`;
    assert.equal(r.signal, null, `${what}: killed by ${r.signal} (hang or crash)\n${r.stderr.slice(-2000)}`);
    assert.equal(r.exitCode, 0, `${what}: exit ${r.exitCode}\n${r.stderr.slice(-3000)}`);
    assert.ok(!r.parseError, `${what}: ${r.parseError}`);
    assert.doesNotMatch(r.stderr, /AddressSanitizer|LeakSanitizer|runtime error/, what);
    if (r.status === 500) {
      assert.equal(r.headers['content-type'], 'application/problem+json', what);
      assert.equal(json(r).code, 'INTERNAL', what);
      assert.equal(r.headers['content-length'], String(r.body.length), what);
      seen.internal++;
    } else {
      assert.equal(r.status, 200, `${what}: ${r.text.slice(0, 300)}`);
      assert.equal(norm(json(r)), want, `${what}: a 200 must be the normal answer`);
      assert.ok(r.headers.link, `${what}: the 200 lost its Link header`);
      seen.normal++;
    }
    if (/CALLNORM_FAIL_ALLOC=\d+ not reached/.test(r.stderr)) reachedEnd = true;
    else assert.match(r.stderr, /CALLNORM_FAIL_ALLOC=\d+ failed/, what);
  };
  while (!reachedEnd) {
    assert.ok(n < 100000, 'the request never stopped allocating');
    const batch = [];
    for (let i = 0; i < width; i++, n += step) batch.push(one(n));
    await Promise.all(batch);
  }
  console.log(`# malloc-failure loop: ${n - 1} allocation sites tried (step ${step}): ${seen.internal} x 500 INTERNAL, ${seen.normal} x normal answer`);
  assert.ok(seen.internal > 0);
});

// Library allocations: an LD_PRELOAD shim (tests/shim/failmalloc.c) fails
// the Nth malloc/calloc/realloc of the whole process, libcurl, libcrypto
// and libfcgi included. Not under ASan or valgrind, which own malloc.
test('library allocations: failing the Nth malloc of the whole process, sampled', { skip: asan || wrapped, timeout: 300000 }, async () => {
  await sim.reset();
  const shim = path.join(tmpdir(), 'failmalloc.so');
  const cc = spawnSync('cc', ['-O2', '-shared', '-fPIC', '-o', shim, path.join(root, 'tests', 'shim', 'failmalloc.c')]);
  assert.equal(cc.status, 0, 'building the shim: ' + cc.stderr);
  const url = '/calls?provider=verbex,voicy,osvi,zudu&status=completed,no_answer&started_after=2026-01-01T00:00:00Z&limit=7';
  const norm = (b) => JSON.stringify({ data: b.data, has_more: b.page.has_more, returned: b.page.returned });
  const count = await cgiAsync(url, { env: { LD_PRELOAD: shim, CALLNORM_FAILMALLOC_COUNT: '1' } });
  assert.equal(count.status, 200, count.text.slice(0, 300));
  const want = norm(json(count));
  const total = Number(/failmalloc: (\d+) calls/.exec(count.stderr)?.[1]);
  assert.ok(total > 1000, 'the shim counted the allocations: ' + count.stderr.slice(-300));
  // about 1,000 runs over every stretch of the run: start-up, libcrypto and
  // libcurl set-up, the fan-out, parsing, the answer
  const step = Math.max(1, Math.floor(total / 1000)) | 1;
  const seen = { normal: 0, internal: 0, refused: 0 };
  for (let n = 1; n <= total; n += step * 2) {
    const batch = [n, n + step].filter((k) => k <= total).map(async (k) => {
      const r = await cgiAsync(url, { env: { LD_PRELOAD: shim, CALLNORM_FAILMALLOC_AT: String(k) }, timeoutMs: 20000 });
      const what = `CALLNORM_FAILMALLOC_AT=${k} of ${total}`;
      assert.equal(r.signal, null, `${what}: killed by ${r.signal} (crash or hang)\n${r.stderr.slice(-1500)}`);
      if (r.exitCode !== 0) {
        // start-up could not finish: nothing was answered, and it says so
        assert.equal(r.text, '', `${what}: exit ${r.exitCode} after writing`);
        assert.match(r.stderr, /out of memory|cannot initialise/, what);
        seen.refused++;
        return;
      }
      assert.ok(!r.parseError, `${what}: ${r.parseError}`);
      assert.equal(r.headers['content-length'], String(r.body.length), what);
      if (r.status === 500) {
        assert.equal(json(r).code, 'INTERNAL', what);
        seen.internal++;
      } else {
        assert.equal(r.status, 200, `${what}: ${r.text.slice(0, 300)}`);
        assert.equal(norm(json(r)), want, `${what}: a 200 must be the normal answer`);
        seen.normal++;
      }
    });
    await Promise.all(batch);
  }
  console.log(`# library allocation failures: ${total} calls, every ${step}th failed in turn: ${seen.normal} normal, ${seen.internal} x 500, ${seen.refused} start-ups refused`);
  assert.ok(seen.internal + seen.refused > 0, 'some failures must have been felt');
});

test('SIGTERM during a slow upstream request: 200, exit 0, valgrind-clean', { timeout: 120000 }, async () => {
  // valgrind cannot run an ASan binary: there LeakSanitizer checks the exit
  const vg = asan || wrapped ? [] : ['valgrind', '-q', '--error-exitcode=99', '--leak-check=full', '--errors-for-leak-kinds=definite', '--show-leak-kinds=definite'];
  const wrap = wrapped ? (process.env.CALLNORM_WRAP || '').split(' ').filter(Boolean) : vg;
  const dir = tmpdir('callnorm-sig-');
  const sock = path.join(dir, 'callnorm.sock');
  // a deadline long enough for valgrind's pace
  const slowConfig = writeConfig(dir, simConfig(sim.port, { providers: ['zudu'], main: 'request_timeout_ms = 20000\n' }));
  const argv = [...wrap, bin, '-c', slowConfig, '--listen', 'unix:' + sock, '--threads', '2'];
  const child = spawn(argv[0], argv.slice(1), { env: { PATH: process.env.PATH, ASAN_OPTIONS: process.env.ASAN_OPTIONS || '' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  child.stdout.on('data', () => {});
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  try {
    await waitFor(async () => (await fcgiRequest({ path: sock }, cgiParams('/healthz'))).status === 200, 60000, 'callnorm to listen');
    await sim.reset();
    await sim.control('zudu/latency', 'POST', { ms: 1200 });
    const t0 = Date.now();
    const pending = fcgiRequest({ path: sock }, cgiParams('/calls?provider=zudu&limit=5'), { timeoutMs: 60000 });
    await new Promise((r) => setTimeout(r, 400));
    child.kill('SIGTERM');
    const r = await pending;
    assert.equal(r.status, 200, r.text.slice(0, 300));
    assert.equal(json(r).data.length, 5);
    assert.ok(Date.now() - t0 >= 1100, 'the answer waited for the slow provider');
    const exit = await Promise.race([exited, new Promise((res) => setTimeout(() => res('still running'), 60000).unref())]);
    assert.deepEqual(exit, { code: 0, signal: null }, stderr.slice(-4000));
    assert.doesNotMatch(stderr, /definitely lost|Invalid (read|write)|uninitialised/, stderr.slice(-4000));
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await sim.reset();
  }
});

// Last: the server that went through every fault above stops cleanly
// (under CALLNORM_WRAP=valgrind, its exit code is valgrind's verdict).
test('the server that saw every fault exits 0 on SIGTERM', async () => {
  const exit = await server.stop('SIGTERM');
  assert.deepEqual(exit, { code: 0, signal: null }, server.stderr.slice(-4000));
});
