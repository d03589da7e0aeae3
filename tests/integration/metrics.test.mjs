// GET /metrics: Prometheus text format checked by promtool, the families
// callnorm(8) documents, and one view across --workers.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { tmpdir, writeConfig, simConfig, startServer, startSim, waitFor } from '../lib/callnorm.mjs';

let sim, config;
before(async () => {
  sim = await startSim({ seed: 5, size: 30 });
  config = writeConfig(tmpdir(), simConfig(sim.port));
});
after(async () => { await sim?.stop(); });

// {name: [{labels, value}]}
function parse(text) {
  const out = {};
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = line.match(/^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/);
    assert.ok(m, 'sample line: ' + line);
    const labels = {};
    for (const l of (m[2] || '').matchAll(/([a-zA-Z_]+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2];
    (out[m[1]] ||= []).push({ labels, value: Number(m[3]) });
  }
  return out;
}
const get = (fam, name, labels) => (fam[name] || []).find((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value ?? 0;

test('promtool accepts /metrics after every kind of traffic', async () => {
  const s = await startServer(config);
  try {
    await s.request('/calls?limit=5');
    await s.request('/calls?limit=0');
    await s.request('/nope');
    await s.request('/providers', { method: 'POST' });
    await sim.control('zudu/fault', 'POST', { mode: 'status:401', count: -1 });
    await s.request('/calls?limit=5');
    await sim.reset();
    const m = await s.request('/metrics');
    assert.equal(m.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
    const r = spawnSync('promtool', ['check', 'metrics'], { input: m.body });
    assert.ifError(r.error); // promtool comes with Debian's prometheus package (scripts/deps)
    assert.equal(r.status, 0, 'promtool check metrics: ' + r.stdout + r.stderr);
    const fam = parse(m.text);
    assert.equal(get(fam, 'callnorm_requests_total', { route: 'calls', status: '200' }), 1);
    assert.equal(get(fam, 'callnorm_requests_total', { route: 'calls', status: '400' }), 1);
    assert.equal(get(fam, 'callnorm_requests_total', { route: 'calls', status: '502' }), 1);
    assert.equal(get(fam, 'callnorm_requests_total', { route: 'other', status: '404' }), 1);
    assert.equal(get(fam, 'callnorm_requests_total', { route: 'providers', status: '405' }), 1);
    assert.equal(get(fam, 'callnorm_requests_in_flight', {}), 1, 'the /metrics request itself');
    assert.ok(get(fam, 'callnorm_upstream_requests_total', { provider: 'zudu', outcome: 'PROVIDER_AUTH_FAILED' }) >= 1);
    for (const p of ['verbex', 'voicy', 'talkover', 'osvi', 'zudu']) {
      assert.ok(get(fam, 'callnorm_upstream_requests_total', { provider: p, outcome: 'ok' }) >= 1, p);
      const buckets = fam.callnorm_upstream_duration_seconds_bucket.filter((b) => b.labels.provider === p);
      assert.equal(buckets.at(-1).labels.le, '+Inf');
      for (let i = 1; i < buckets.length; i++) assert.ok(buckets[i].value >= buckets[i - 1].value, 'cumulative buckets');
      assert.equal(buckets.at(-1).value, get(fam, 'callnorm_upstream_duration_seconds_count', { provider: p }));
      const all = fam.callnorm_upstream_requests_total.filter((x) => x.labels.provider === p).reduce((a, x) => a + x.value, 0);
      assert.equal(get(fam, 'callnorm_upstream_duration_seconds_count', { provider: p }), all, 'one latency sample per upstream request');
      const conns = get(fam, 'callnorm_upstream_connections_total', { provider: p });
      assert.ok(conns >= 1 && conns <= all, `${p}: ${conns} connections for ${all} requests`);
    }
  } finally { await s.stop(); }
});

test('requests in flight are counted while they run', async () => {
  const s = await startServer(config, { threads: 4 });
  try {
    // upstream latency long enough for a loaded machine to see them
    // (under the providers' timeout_ms of 3 s)
    await sim.control('verbex/latency', 'POST', { ms: 2500 });
    const slow = [s.request('/calls?provider=verbex&limit=2'), s.request('/calls?provider=verbex&limit=3')];
    // both slow requests and this /metrics request itself
    await waitFor(async () => get(parse((await s.request('/metrics')).text), 'callnorm_requests_in_flight', {}) === 3, 2300, 'three requests in flight');
    await Promise.all(slow);
    assert.equal(get(parse((await s.request('/metrics')).text), 'callnorm_requests_in_flight', {}), 1);
  } finally { await sim.reset(); await s.stop(); }
});

test('--workers 2: counters add up across workers, every worker answers the same totals', async () => {
  // one thread per worker and slow upstreams: parallel requests can only
  // be served in parallel by both workers
  const s = await startServer(config, { threads: 1, workers: 2 });
  try {
    await sim.control('verbex/latency', 'POST', { ms: 400 });
    const n = 8;
    const t0 = Date.now();
    const rs = await Promise.all(Array.from({ length: n }, (_, i) => s.request(`/calls?provider=verbex&limit=${i + 1}`)));
    const dt = Date.now() - t0;
    assert.ok(rs.every((r) => r.status === 200));
    assert.ok(dt < n * 400 * 0.8, `both workers served (${dt} ms for ${n} requests of 400 ms)`);
    await sim.reset();
    // several /metrics answers, from whichever worker accepts: all agree
    for (let i = 0; i < 6; i++) {
      const fam = parse((await s.request('/metrics')).text);
      assert.equal(get(fam, 'callnorm_requests_total', { route: 'calls', status: '200' }), n);
      assert.equal(get(fam, 'callnorm_upstream_requests_total', { provider: 'verbex', outcome: 'ok' }), n);
      assert.equal(get(fam, 'callnorm_upstream_duration_seconds_count', { provider: 'verbex' }), n);
      assert.equal(get(fam, 'callnorm_requests_total', { route: 'metrics', status: '200' }), i);
    }
  } finally { await sim.reset(); await s.stop(); }
});

test('with [access], /metrics follows the rules of /providers', async () => {
  // alice may read verbex only; admin every provider; carol (no line, no
  // "*") none.
  const guarded = writeConfig(tmpdir(), simConfig(sim.port, { extra: '[access]\nalice = verbex\nadmin = verbex, voicy, talkover, osvi, zudu\n' }));
  const s = await startServer(guarded);
  try {
    // traffic on every provider, so each has counters of its own
    assert.equal((await s.request('/calls?limit=5', { remoteUser: 'admin' })).status, 200);
    for (const method of ['GET', 'HEAD']) {
      for (const remoteUser of [undefined, '', 'carol']) {
        const r = await s.request('/metrics', { method, remoteUser });
        assert.equal(r.status, 403, `${method} as ${JSON.stringify(remoteUser)}: ${r.text}`);
        if (method === 'GET') assert.equal(JSON.parse(r.text).code, 'ACCESS_DENIED');
        // the problem's own text never names a provider either
        for (const p of ['verbex', 'voicy', 'talkover', 'osvi', 'zudu']) assert.ok(!r.text.includes(p), r.text);
      }
    }
    const a = await s.request('/metrics', { remoteUser: 'alice' });
    assert.equal(a.status, 200, a.text);
    const chk = spawnSync('promtool', ['check', 'metrics'], { input: a.body });
    assert.ifError(chk.error);
    assert.equal(chk.status, 0, 'promtool check metrics: ' + chk.stdout + chk.stderr);
    for (const p of ['voicy', 'talkover', 'osvi', 'zudu']) assert.ok(!a.text.includes(p), `alice's /metrics names ${p}`);
    const fam = parse(a.text);
    assert.ok(get(fam, 'callnorm_upstream_requests_total', { provider: 'verbex', outcome: 'ok' }) >= 1);
    assert.ok(get(fam, 'callnorm_upstream_duration_seconds_count', { provider: 'verbex' }) >= 1);
    // process-wide series, without a provider label, are shown
    assert.equal(get(fam, 'callnorm_requests_total', { route: 'calls', status: '200' }), 1);
    assert.equal(get(fam, 'callnorm_requests_total', { route: 'metrics', status: '403' }), 6);
    assert.equal(get(fam, 'callnorm_requests_in_flight', {}), 1);
    // the scraper's identity: a user who may read every provider sees all
    const all = parse((await s.request('/metrics', { remoteUser: 'admin' })).text);
    const named = [...new Set(all.callnorm_upstream_requests_total.map((x) => x.labels.provider))].sort();
    assert.deepEqual(named, ['osvi', 'talkover', 'verbex', 'voicy', 'zudu']);
  } finally { await s.stop(); }
});
