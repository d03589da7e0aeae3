// Running callnorm: reload on SIGHUP, the start and stop lines, the
// per-request line, --check-config --probe, the unix socket's owner,
// group and mode, and error messages that say what to do.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { bin, cgi, json, simConfig, startServer, startSim, tmpdir, waitFor, writeConfig } from '../lib/callnorm.mjs';

let sim;
let dir;

before(async () => {
  sim = await startSim({ size: 60 });
  dir = tmpdir();
});
after(async () => { await sim.stop(); });

const names = async (s) => json(await s.request('/providers')).data.map((p) => p.name);

// The pids whose parent is pid (from /proc).
function childrenOf(pid) {
  const out = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(d));
    } catch { /* gone */ }
  }
  return out;
}
const alive = (pid) => { try { process.kill(pid, 0); return true; } catch { return false; } };

for (const workers of [1, 2]) {
  test(`SIGHUP with --workers ${workers}: a new provider shows, a slow request in flight still completes`, async () => {
    const conf = writeConfig(dir, simConfig(sim.port, { providers: ['verbex'] }), `reload-${workers}.conf`);
    const s = await startServer(conf, { workers, threads: 2 });
    try {
      assert.deepEqual(await names(s), ['verbex']);
      await sim.control('verbex/latency', 'POST', { ms: 1500 });
      const slow = s.request('/calls?provider=verbex&limit=3');
      await new Promise((r) => setTimeout(r, 300)); // it is upstream now
      fs.writeFileSync(conf, simConfig(sim.port, { providers: ['voicy'] }));
      s.child.kill('SIGHUP');
      await waitFor(async () => (await names(s)).join() === 'voicy', 10000, 'the new provider');
      const r = await slow;
      assert.equal(r.status, 200, r.text);
      assert.equal(json(r).data.length, 3);
      assert.ok(json(r).data.every((c) => c.provider === 'verbex'), 'served with the configuration it started with');
      assert.match(s.stderr, /reloaded: callnorm \S+, mode fastcgi, .*providers: voicy \(voicy\)/);
      assert.equal(s.child.exitCode, null, 'the server is still running');

      // an invalid one: FILE:LINE in the log, the old one keeps serving
      fs.writeFileSync(conf, simConfig(sim.port, { providers: ['talkover'] }) + 'bogus_key = 1\n');
      const lines = simConfig(sim.port, { providers: ['talkover'] }).split('\n').length;
      s.child.kill('SIGHUP');
      const where = new RegExp(`${conf.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:${lines}: `);
      await waitFor(() => where.test(s.stderr), 10000, 'FILE:LINE of the invalid configuration');
      assert.match(s.stderr, /is not valid; the configuration in use stays/);
      assert.deepEqual(await names(s), ['voicy']);
      assert.equal((await s.request('/calls?limit=2')).status, 200);
    } finally {
      await sim.control('verbex/latency', 'POST', { ms: 0 });
      const { code } = await s.stop();
      assert.equal(code, 0, s.stderr);
    }
  });
}

test('killing the --workers master with SIGKILL leaves no worker alive', async () => {
  const conf = writeConfig(dir, simConfig(sim.port, { providers: ['verbex'] }), 'kill.conf');
  const s = await startServer(conf, { workers: 3, threads: 1 });
  let workers = [];
  await waitFor(() => (workers = childrenOf(s.child.pid)).length === 3, 10000, 'three workers');
  s.child.kill('SIGKILL');
  await s.exited;
  await waitFor(() => workers.every((p) => !alive(p)), 10000, 'the workers to exit after their master');
});

test('a line at start and at stop; each request line names the caller and the problem code, never a secret', async () => {
  const conf = writeConfig(dir, simConfig(sim.port, { providers: ['verbex', 'zudu'] }), 'lines.conf');
  const s = await startServer(conf, { workers: 1, threads: 3 });
  const threads = Math.max(3, Number(process.env.CALLNORM_THREADS || 0)); // as startServer
  await s.request('/calls?provider=ghost', { remoteUser: 'alice' });
  await s.request('/calls?limit=2');
  await s.request('/healthz', { remoteUser: 'evil name\nforged' });
  await sim.control('verbex/latency', 'POST', { ms: 1200 });
  const slow = s.request('/calls?provider=verbex&limit=2');
  await new Promise((r) => setTimeout(r, 300));
  const { code } = await s.stop('SIGTERM');
  await sim.control('verbex/latency', 'POST', { ms: 0 });
  assert.equal(code, 0);
  assert.equal((await slow).status, 200, 'drained, not cut');
  const log = s.stderr;
  assert.match(log, new RegExp(`serving: callnorm \\d+\\.\\d+\\.\\d+, mode fastcgi, listen unix:${s.sock.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}, 1 worker\\(s\\) x ${threads} thread\\(s\\), providers: verbex \\(verbex\\), zudu \\(zudu\\)`));
  assert.match(log, /request id=\S+ method=GET route=\/calls status=404 .* user=alice problem=UNKNOWN_PROVIDER/);
  assert.match(log, /route=\/calls status=200 .*upstream=verbex:1,zudu:1 user=-(?! problem)/);
  assert.match(log, /route=\/healthz status=200 .* user=evil\?name\?forged\n/);
  assert.match(log, /SIGTERM: stopping; 1 request\(s\) in flight to finish/);
  const served = log.split('\n').filter((l) => / request id=/.test(l)).length;
  assert.ok(served >= 5, 'four requests and the start-up /healthz');
  assert.match(log, new RegExp(`stopped: 1 request\\(s\\) in flight finished, ${served} served in all`));
  for (const secret of ['sim-verbex-key', 'sim-zudu-key', 'sim-zudu-secret', 'test-cursor-key']) assert.ok(!log.includes(secret), secret);
  assert.ok(!/recording|transcript/.test(log), 'no record content');
});

test('--check-config --probe: OK, auth failed and unreachable, per provider; non-zero when one fails', async () => {
  const good = writeConfig(dir, simConfig(sim.port, { providers: ['verbex', 'voicy', 'talkover', 'osvi', 'zudu'] }), 'probe-good.conf');
  await sim.clearLog();
  let r = spawnSync(bin, ['-c', good, '--check-config', '--probe'], { env: { PATH: process.env.PATH }, encoding: 'utf8', timeout: 60000 });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  for (const k of ['verbex', 'voicy', 'talkover', 'osvi', 'zudu']) assert.match(r.stdout, new RegExp(`probe ${k} \\(${k}\\): OK in \\d+ ms`));
  // the probe asks for the smallest page the driver can ask for
  const logged = await sim.log('verbex');
  assert.equal(logged.length, 1, 'one request');
  assert.equal(logged[0].query.page_size, '1');
  assert.equal(logged[0].headers.authorization, 'Bearer sim-verbex-key');

  // a free port: bound, then closed
  const closed = await new Promise((res) => { const srv = net.createServer().listen(0, '127.0.0.1', () => { const p = srv.address().port; srv.close(() => res(p)); }); });
  const bad = simConfig(sim.port, { providers: ['verbex', 'osvi'] }).replace('api_key = sim-verbex-key', 'api_key = wrong-key') +
    `[provider gone]\nkind = talkover\nbase_url = http://127.0.0.1:${closed}/talkover\napi_key = k\n`;
  r = spawnSync(bin, ['-c', writeConfig(dir, bad, 'probe-bad.conf'), '--check-config', '--probe'], { env: { PATH: process.env.PATH }, encoding: 'utf8', timeout: 60000 });
  assert.equal(r.status, 1, r.stdout + r.stderr);
  assert.match(r.stdout, /probe verbex \(verbex\): auth failed in \d+ ms, HTTP 401/);
  assert.match(r.stdout, /probe osvi \(osvi\): OK in \d+ ms/);
  assert.match(r.stdout, /probe gone \(talkover\): unreachable/);
  assert.ok(!r.stdout.includes('wrong-key'), 'never the key');

  // slow: an answer after half of timeout_ms or more
  await sim.control('osvi/latency', 'POST', { ms: 700 });
  try {
    const slow = simConfig(sim.port, { providers: ['osvi'], timeoutMs: 1000 });
    r = spawnSync(bin, ['-c', writeConfig(dir, slow, 'probe-slow.conf'), '--check-config', '--probe'], { env: { PATH: process.env.PATH }, encoding: 'utf8', timeout: 60000 });
    assert.match(r.stdout, /probe osvi \(osvi\): slow in (\d+) ms \(timeout_ms 1000\)/);
    assert.ok(Number(/slow in (\d+) ms/.exec(r.stdout)[1]) >= 700);
    assert.equal(r.status, 0, 'slow is reported, not a failure');
  } finally { await sim.control('osvi/latency', 'POST', { ms: 0 }); }
  assert.equal(spawnSync(bin, ['-c', good, '--probe']).status, 64, '--probe goes with --check-config');
});

test('--listen-group and --listen-mode set the unix socket\'s group and mode; the default stays 0660', async (t) => {
  if (process.getuid() !== 0) { t.skip('needs root to create a group'); return; }
  const group = 'cnsock' + process.pid % 100000;
  execFileSync('groupadd', [group]);
  try {
    const gid = Number(execFileSync('getent', ['group', group], { encoding: 'utf8' }).split(':')[2]);
    const conf = writeConfig(dir, simConfig(sim.port, { providers: ['verbex'] }), 'sock.conf');
    let s = await startServer(conf, { args: ['--listen-group', group, '--listen-mode', '0640'] });
    try {
      const st = fs.statSync(s.sock);
      assert.equal(st.mode & 0o777, 0o640);
      assert.equal(st.gid, gid);
    } finally { await s.stop(); }
    s = await startServer(conf);
    try {
      const st = fs.statSync(s.sock);
      assert.equal(st.mode & 0o777, 0o660);
      assert.equal(st.gid, process.getgid());
    } finally { await s.stop(); }
    const sock = path.join(tmpdir(), 'x.sock');
    let r = spawnSync(bin, ['-c', conf, '--listen', 'unix:' + sock, '--listen-group', 'no-such-group-here']);
    assert.equal(r.status, 1);
    assert.match(r.stderr.toString(), /--listen-group: no group 'no-such-group-here'/);
    r = spawnSync(bin, ['-c', conf, '--listen', '127.0.0.1:1', '--listen-mode', '0600']);
    assert.equal(r.status, 1);
    assert.match(r.stderr.toString(), /unix: sockets only/);
    assert.equal(spawnSync(bin, ['-c', conf, '--listen', 'unix:' + sock, '--listen-mode', '999']).status, 64);
  } finally { execFileSync('groupdel', [group]); }
});

test('a bare + in started_after or phone: the detail says to send %2B', () => {
  const conf = writeConfig(dir, simConfig(sim.port), 'errors.conf');
  for (const q of ['phone=+15550100', 'started_after=2026-06-12T09:30:04+05:30']) {
    const r = cgi(conf, '/calls?' + q);
    assert.equal(r.status, 400);
    const e = json(r).errors[0];
    assert.equal(e.parameter, q.split('=')[0]);
    assert.match(e.detail, /%2B/);
  }
  // (a kind whose list has numbers: some kinds refuse phone outright)
  assert.equal(cgi(conf, '/calls?limit=1&provider=verbex&phone=%2B15550100').status, 200);
});

test('a malformed or truncated cursor says so; a mismatch names the bound parameters', () => {
  const conf = writeConfig(dir, simConfig(sim.port), 'cursor.conf');
  const first = json(cgi(conf, '/calls?limit=2&provider=verbex'));
  const c = first.page.next_cursor;
  let r = json(cgi(conf, '/calls?limit=2&provider=verbex&cursor=' + c.slice(0, -6)));
  assert.equal(r.code, 'INVALID_CURSOR');
  assert.match(r.detail, /truncated/);
  r = json(cgi(conf, '/calls?limit=2&provider=verbex&cursor=' + encodeURIComponent(c.slice(0, 20) + '*' + c.slice(21))));
  assert.equal(r.code, 'INVALID_CURSOR');
  assert.match(r.detail, /malformed/);
  r = json(cgi(conf, '/calls?limit=2&provider=verbex&cursor=' + c, { remoteUser: 'someone-else' }));
  assert.equal(r.code, 'INVALID_CURSOR');
  assert.doesNotMatch(r.detail, /truncated|malformed/);
  assert.match(r.detail, /another caller/);
  r = json(cgi(conf, '/calls?limit=2&provider=zudu&cursor=' + c));
  assert.equal(r.code, 'CURSOR_QUERY_MISMATCH');
  assert.match(r.detail, /provider, status.*started_after.*only limit may change/);
  assert.equal(cgi(conf, '/calls?limit=3&provider=verbex&cursor=' + c).status, 200, 'limit may change');
});

test('an inverted or empty time range is a warning in meta; a normal one has none', () => {
  const conf = writeConfig(dir, simConfig(sim.port), 'range.conf');
  for (const [a, b] of [['2026-02-01T00:00:00Z', '2026-01-01T00:00:00Z'], ['2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z']]) {
    const r = cgi(conf, `/calls?started_after=${a}&started_before=${b}`);
    assert.equal(r.status, 200);
    const body = json(r);
    assert.equal(body.data.length, 0);
    assert.equal(body.meta.warnings.length, 1);
    assert.match(body.meta.warnings[0], /started_after is not before started_before/);
  }
  const ok = json(cgi(conf, '/calls?started_after=2020-01-01T00:00:00Z&started_before=2030-01-01T00:00:00Z&limit=1'));
  assert.equal(ok.meta.warnings, undefined);
});

test('an authenticated user with no [access] line and no * is 403 ACCESS_DENIED, not an empty page', () => {
  const conf = writeConfig(dir, simConfig(sim.port, { providers: ['verbex', 'zudu'] }) + '[access]\nalice = verbex\n', 'access.conf');
  for (const route of ['/calls', '/providers', '/metrics']) {
    const r = cgi(conf, route, { remoteUser: 'bob' });
    assert.equal(r.status, 403, route);
    assert.equal(json(r).code, 'ACCESS_DENIED');
    assert.match(json(r).detail, /may read no provider/);
  }
  assert.equal(cgi(conf, '/calls?limit=1', { remoteUser: 'alice' }).status, 200);
});

test('--check-config: a value followed by # comment hints at comments; timeout_ms >= request_timeout_ms is a warning', () => {
  const base = simConfig(sim.port, { providers: ['verbex'] });
  const p = writeConfig(dir, base.replace('timeout_ms = 3000', 'timeout_ms = 3000 # per request'), 'comment.conf');
  const line = base.split('\n').findIndex((l) => l === 'timeout_ms = 3000') + 1;
  let r = spawnSync(bin, ['-c', p, '--check-config'], { encoding: 'utf8' });
  assert.equal(r.status, 78);
  assert.match(r.stderr, new RegExp(`comment\\.conf:${line}: timeout_ms must be .*comments take a line of their own`));
  const w = writeConfig(dir, base.replace('timeout_ms = 3000', 'timeout_ms = 5000'), 'warn.conf');
  const sect = base.split('\n').findIndex((l) => l === '[provider verbex]') + 1;
  r = spawnSync(bin, ['-c', w, '--check-config'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, new RegExp(`warn\\.conf:${sect}: warning: \\[provider verbex\\] timeout_ms \\(5000\\) is not below request_timeout_ms \\(5000\\)`));
  r = spawnSync(bin, ['-c', writeConfig(dir, base, 'fine.conf'), '--check-config'], { encoding: 'utf8' });
  assert.equal(r.stderr, '');
});
