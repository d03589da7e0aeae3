// The FastCGI front end under load it does not see every day: answers of
// 5 and 40 MB (hundreds of 64 KiB records, several sendmsg batches) must
// arrive whole and leave the process serving; accept() failures (out of
// descriptors or memory, signals) are retried with a back-off and logged
// once, and an accept error the process cannot recover from makes it exit
// 1, so that the --workers master replaces it instead of leaving a worker
// that listens and never answers.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { bin, root, tmpdir, writeConfig, simConfig, startServer, startSim, json, waitFor } from '../lib/callnorm.mjs';
import { fcgiRequest, cgiParams } from '../lib/fcgi.mjs';

const asanLib = /(\S*libasan\.so\S*) => (\S+)/.exec(spawnSync('ldd', [bin]).stdout?.toString() || '')?.[2];
const sanEnv = { ASAN_OPTIONS: process.env.ASAN_OPTIONS || '', UBSAN_OPTIONS: process.env.UBSAN_OPTIONS || '' };

let sim, proxy, proxyPort, config;
let padLen = 0; // bytes added to each verbex record's metadata
const children = [];

// The value of promise, or null when ms pass first.
function within(promise, ms) {
  let timer;
  const late = new Promise((r) => { timer = setTimeout(() => r(null), ms); });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

// A record's padding names its call, so that a byte moved from one record
// to another shows.
const padFor = (id, n) => (id + '|').repeat(Math.ceil(n / (id.length + 1))).slice(0, n);

before(async () => {
  sim = await startSim({ seed: 7, size: 1000 });
  // Between callnorm and the simulated verbex: each record's metadata
  // gains a "pad" of padLen bytes, which callnorm passes through in the
  // record and again in its raw copy (include=raw).
  proxy = http.createServer(async (req, res) => {
    try {
      const r = await fetch(sim.base + req.url, { headers: { authorization: req.headers.authorization || '' } });
      const text = await r.text();
      let body = text;
      if (r.status === 200 && padLen > 0) {
        const b = JSON.parse(text);
        for (const c of b.calls) c.metadata = { ...(c.metadata || {}), pad: padFor(c._id, padLen) };
        body = JSON.stringify(b);
      }
      res.writeHead(r.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    } catch (e) {
      res.writeHead(500);
      res.end(String(e));
    }
  });
  await new Promise((r) => proxy.listen(0, '127.0.0.1', r));
  proxyPort = proxy.address().port;
  config = writeConfig(tmpdir(), simConfig(sim.port, { providers: ['verbex'], main: 'request_timeout_ms = 60000\n' })
    .replace(`127.0.0.1:${sim.port}/verbex`, `127.0.0.1:${proxyPort}/verbex`)
    .replace('timeout_ms = 3000', 'timeout_ms = 60000'));
});

after(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  proxy?.closeAllConnections();
  await new Promise((r) => (proxy ? proxy.close(r) : r()));
  await sim?.stop();
});

// -------- big answers --------

test('FastCGI answers of 5 MB and 40 MB arrive whole; the worker goes on serving', { timeout: 600000 }, async () => {
  const server = await startServer(config, { threads: 2, env: sanEnv });
  children.push(server.child);
  let failure;
  try {
    const ids = (await sim.dataset('verbex')).map((r) => r.native._id);
    assert.equal(ids.length, 1000);
    // answers of ~1.9 KB a record as the simulator makes them, and
    // ~2 × pad more with the padded metadata in the record and in raw
    for (const [pad, atLeast] of [[1600, 5e6], [19500, 40e6]]) {
      padLen = pad;
      const url = '/calls?provider=verbex&limit=1000&include=raw';
      const r = await server.raw(url, { timeoutMs: 300000 });
      assert.equal(r.status, 200, r.text.slice(0, 300));
      assert.ok(r.body.length >= atLeast, `answer of ${r.body.length} bytes, wanted ${atLeast}`);
      assert.equal(r.headers['content-length'], String(r.body.length), 'Content-Length matches the bytes that came');
      // the framing spans many batches of records, not one
      assert.ok(r.stdoutRecords >= Math.ceil(r.body.length / 65535), `${r.stdoutRecords} STDOUT records`);
      const b = json(r);
      assert.equal(b.data.length, 1000);
      assert.deepEqual(new Set(b.data.map((c) => c.raw._id)), new Set(ids));
      for (const c of b.data) {
        const want = padFor(c.raw._id, pad);
        assert.equal(c.raw.metadata.pad, want, `raw record ${c.raw._id} whole`);
        assert.equal(c.metadata.pad, want, `record ${c.raw._id} whole`);
      }
      const h = await server.request('/healthz');
      assert.equal(h.status, 200, 'the same process still answers');
      assert.equal(server.child.exitCode, null);
    }
    // and a small answer after the big ones is framed as before
    padLen = 0;
    const small = await server.request('/calls?provider=verbex&limit=3');
    assert.equal(small.status, 200);
    assert.equal(json(small).data.length, 3);
  } catch (e) {
    failure = e;
  }
  padLen = 0;
  const { code, signal } = await server.stop();
  const tail = '\nserver stderr (end):\n' + server.stderr.split('\n').filter((l) => !/ request id=/.test(l)).join('\n').slice(-1500);
  if (failure) {
    failure.message += tail;
    throw failure;
  }
  assert.deepEqual({ code, signal }, { code: 0, signal: null }, tail);
  assert.doesNotMatch(server.stderr, /AddressSanitizer|runtime error/);
});

// -------- accept() failures --------

let shim;
function buildShim() {
  if (shim) return shim;
  shim = path.join(tmpdir(), 'failaccept.so');
  const cc = spawnSync('cc', ['-O2', '-shared', '-fPIC', '-o', shim, path.join(root, 'tests', 'shim', 'failaccept.c'), '-ldl']);
  assert.equal(cc.status, 0, 'building the shim: ' + cc.stderr);
  return shim;
}

// callnorm --listen with the shim preloaded (after libasan, which must
// come first); unlike startServer, it does not wait for an answer.
function launch({ threads, workers, env }) {
  const dir = tmpdir('callnorm-sock-');
  const sock = path.join(dir, 'callnorm.sock');
  const preload = [asanLib, buildShim()].filter(Boolean).join(':');
  const child = spawn(bin, ['-c', config, '--listen', 'unix:' + sock, '--threads', String(threads), '--workers', String(workers)], {
    env: { PATH: process.env.PATH, ...sanEnv, LD_PRELOAD: preload, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  children.push(child);
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return {
    child, sock, exited,
    get stderr() { return stderr; },
    raw: (url, opts = {}) => fcgiRequest({ path: sock }, cgiParams(url), opts),
    stop() { if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM'); return exited; },
  };
}

test('accept() failing with EMFILE, ENFILE, ENOMEM, ENOBUFS and EINTR is retried; logged once', { timeout: 120000 }, async () => {
  const s = launch({ threads: 2, workers: 1, env: { CALLNORM_FAILACCEPT: 'EMFILE:3,EINTR:3,ENFILE:1,ENOMEM:1,ENOBUFS:1' } });
  try {
    await waitFor(() => fs.existsSync(s.sock), 15000, 'the socket');
    // the first connection meets the nine failures, stays queued, and is
    // answered once accept() works again; the old behaviour was to end
    // the thread, and with both gone this waited forever
    const r = await s.raw('/healthz', { timeoutMs: 30000 });
    assert.equal(r.status, 200);
    for (let i = 0; i < 20; i++) assert.equal((await s.raw('/healthz')).status, 200);
    assert.equal(s.child.exitCode, null, 'still running');
    const lines = s.stderr.split('\n').filter((l) => /accept failed/.test(l));
    // nine failures in well under the 10 s the log waits between lines
    assert.equal(lines.length, 1, 'one line for the burst:\n' + s.stderr);
    assert.match(lines[0], /Too many open files; retrying/);
  } finally {
    const { code } = await s.stop();
    assert.equal(code, 0, s.stderr);
  }
});

test('an accept() error that is not transient ends the process with status 1', { timeout: 120000 }, async () => {
  const s = launch({ threads: 2, workers: 1, env: { CALLNORM_FAILACCEPT: 'EBADF:1' } });
  await waitFor(() => fs.existsSync(s.sock), 15000, 'the socket');
  // the connection that meets the error may be refused or answered by the
  // other thread before the process is gone: either is fine
  await s.raw('/healthz', { timeoutMs: 30000 }).catch(() => null);
  const ended = await within(s.exited, 30000);
  assert.ok(ended, 'the process exits instead of listening with no thread to accept:\n' + s.stderr);
  assert.deepEqual(ended, { code: 1, signal: null }, s.stderr);
  assert.match(s.stderr, /FastCGI accept failed: Bad file descriptor; this process stops/);
});

test('--workers: a worker whose accept() fails for good is replaced', { timeout: 120000 }, async () => {
  const flag = path.join(tmpdir(), 'fail-next-accept');
  const s = launch({ threads: 2, workers: 2, env: { CALLNORM_FAILACCEPT: 'EBADF:1', CALLNORM_FAILACCEPT_FLAG: flag } });
  try {
    await waitFor(async () => (await s.raw('/healthz')).status === 200, 15000, 'callnorm to listen');
    const kids = () => spawnSync('pgrep', ['-P', String(s.child.pid)]).stdout.toString().trim().split('\n').filter(Boolean);
    await waitFor(() => kids().length === 2, 10000, 'two workers');
    const before = kids();
    // one accept() in one worker fails with EBADF (the shim takes the
    // flag file away); every request still gets its answer meanwhile
    fs.writeFileSync(flag, '');
    await waitFor(async () => {
      assert.equal((await s.raw('/healthz')).status, 200);
      return !fs.existsSync(flag);
    }, 30000, 'the failed accept');
    await waitFor(() => /exited \(status 256\); replacing it/.test(s.stderr), 30000, 'the master to replace the worker:\n' + s.stderr);
    await waitFor(() => kids().length === 2 && kids().some((k) => !before.includes(k)), 10000, 'a new worker');
    for (let i = 0; i < 20; i++) assert.equal((await s.raw('/healthz')).status, 200);
    assert.match(s.stderr, /accept failed: Bad file descriptor; this process stops/);
  } finally {
    const { code } = await s.stop();
    assert.equal(code, 0, s.stderr);
  }
});

// A connection that has sent nothing yet (libfcgi waits up to 2 s for its
// first bytes before dropping it) when SIGTERM comes: the wait is cut
// short and the process exits 0.  libfcgi's shutdown flag made that
// thread spin for ever instead.
test('SIGTERM while a connection has sent nothing yet: exit 0', { timeout: 120000 }, async () => {
  const server = await startServer(config, { threads: 1, env: sanEnv });
  children.push(server.child);
  const idle = net.connect({ path: server.sock });
  idle.on('error', () => {});
  await new Promise((r) => idle.on('connect', r));
  // the one thread now waits on that connection (where the kernel says)
  const waiting = () => fs.readdirSync(`/proc/${server.child.pid}/task`)
    .some((t) => /poll|select/.test(fs.readFileSync(`/proc/${server.child.pid}/task/${t}/wchan`, 'utf8')));
  await waitFor(waiting, 10000, 'the thread to wait for the first bytes').catch(() => {});
  server.child.kill('SIGTERM');
  const ended = await within(server.exited, 30000);
  idle.destroy();
  assert.ok(ended, 'the process exits after SIGTERM:\n' + server.stderr);
  assert.deepEqual(ended, { code: 0, signal: null }, server.stderr);
});
