// The providers' own rate limits (voicy 60/min, talkover 100/min): off
// unless enabled; when on, a sliding window over the accepted requests'
// receive times, 429 with Retry-After and the X-RateLimit headers, and
// the request log keeps every request with its receive time.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startSim } from './helpers.mjs';

let sim;
before(async () => {
  sim = await startSim(['--seed', '7', '--size', '40']);
});
after(async () => {
  assert.equal(await sim.stop(), 0);
});

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const log = (name) => sim.control('GET', '/' + name + '/log');

test('off by default: 70 voicy requests in a row are all answered', async () => {
  await sim.control('POST', '/reset');
  assert.deepEqual((await sim.control('GET', '/voicy/ratelimit')), { enabled: false, limit: 60, window_ms: 60000, refused: 0 });
  for (let i = 0; i < 70; i++) {
    const r = await sim.list('voicy', { limit: 1 });
    assert.equal(r.status, 200);
    assert.equal(r.headers['x-ratelimit-limit'], undefined);
  }
});

test('enabled for all: the documented limits; the next request is 429 with Retry-After and headers', async () => {
  await sim.control('POST', '/reset');
  const on = await sim.control('POST', '/ratelimit', { enabled: true });
  assert.deepEqual(on.providers.voicy, { enabled: true, limit: 60, window_ms: 60000, refused: 0 });
  assert.deepEqual(on.providers.talkover, { enabled: true, limit: 100, window_ms: 60000, refused: 0 });
  // kinds that document no limit are left alone
  assert.equal(on.providers.verbex, undefined);
  for (const [name, n, params] of [['voicy', 60, { limit: 1 }], ['talkover', 100, { per_page: 1 }]]) {
    for (let i = 0; i < n; i++) {
      const r = await sim.list(name, params);
      assert.equal(r.status, 200, `${name} request ${i + 1}`);
      assert.equal(r.headers['x-ratelimit-limit'], String(n));
      assert.equal(r.headers['x-ratelimit-remaining'], String(n - i - 1));
    }
    const r = await sim.list(name, params);
    assert.equal(r.status, 429);
    const entries = await log(name);
    assert.equal(entries.length, n + 1);
    // the wait until the first request leaves the minute, from the log's times
    const wait = entries[0].t + 60000 - entries[n].t;
    assert.equal(r.headers['retry-after'], String(Math.max(1, Math.ceil(wait / 1000))));
    assert.equal(r.headers['x-ratelimit-remaining'], '0');
    assert.equal(r.headers['x-ratelimit-reset'], String(Math.ceil((entries[0].t + 60000) / 1000)));
    assert.equal(entries[n].status, 429);
    assert.equal(entries[n].rate_limited, true);
    if (name === 'voicy') assert.deepEqual(r.json(), { error: 'Rate limit exceeded' });
    else assert.deepEqual(r.json(), { success: false, error: { code: 'RATE_LIMIT_EXCEEDED', message: 'Too many requests' } });
  }
  // another provider of no documented limit is still answered
  assert.equal((await sim.list('verbex', { page_size: 1 })).status, 200);
  // reset: back to the startup state (off)
  await sim.control('POST', '/reset');
  assert.equal((await sim.list('voicy', { limit: 1 })).status, 200);
  assert.equal((await sim.control('GET', '/voicy/ratelimit')).enabled, false);
});

test('the window slides: every answer is what replaying the log gives', async () => {
  await sim.control('POST', '/reset');
  const N = 3;
  const W = 400;
  const set = await sim.control('POST', '/voicy/ratelimit', { enabled: true, limit: N, window_ms: W });
  assert.equal(set.ok, true);
  const got = [];
  const end = Date.now() + 1800;
  // bursts and gaps, some requests in parallel
  for (let k = 0; Date.now() < end; k++) {
    const burst = 1 + (k % 3);
    const rs = await Promise.all(Array.from({ length: burst }, () => sim.list('voicy', { limit: 1 })));
    got.push(...rs.map((r) => r.status));
    await sleep(40 + ((k * 37) % 90));
  }
  const entries = await log('voicy');
  assert.equal(entries.length, got.length);
  // replay in arrival order (the log's order): accepted iff fewer than N
  // accepted ones lie in (t - W, t]
  const acc = [];
  let refused = 0;
  for (const e of entries) {
    const inWin = acc.filter((a) => a > e.t - W).length;
    const want = inWin < N ? 200 : 429;
    assert.equal(e.status, want, `request at ${e.t}: ${inWin} accepted in the window before it`);
    if (want === 200) acc.push(e.t);
    else refused++;
  }
  assert.ok(refused > 0 && acc.length > N, `the run must both pass and refuse (${acc.length} accepted, ${refused} refused)`);
  assert.deepEqual(got.filter((s) => s === 429).length, refused);
  assert.equal((await sim.control('GET', '/voicy/ratelimit')).refused, refused);
});

test('detail requests count and are refused too', async () => {
  await sim.control('POST', '/reset');
  await sim.control('POST', '/voicy/ratelimit', { enabled: true, limit: 2, window_ms: 60000 });
  const id = (await sim.list('voicy', { limit: 1 })).json().calls[0].call_id;
  const auth = sim.providers.voicy.auth;
  const d1 = await sim.request('GET', '/voicy/functions/v1/call-get/' + id, { headers: auth });
  assert.equal(d1.status, 200);
  const d2 = await sim.request('GET', '/voicy/functions/v1/call-get/' + id, { headers: auth });
  assert.equal(d2.status, 429);
  assert.ok(Number(d2.headers['retry-after']) >= 1);
  const entries = await log('voicy');
  assert.deepEqual(entries.map((e) => e.status), [200, 200, 429]);
  assert.equal(entries[2].detail !== undefined, true);
});

test('refused requests take no fault and see no latency', async () => {
  await sim.control('POST', '/reset');
  await sim.control('POST', '/voicy/ratelimit', { enabled: true, limit: 1, window_ms: 60000 });
  assert.equal((await sim.list('voicy', { limit: 1 })).status, 200);
  await sim.control('POST', '/voicy/fault', { mode: 'status:500', count: 1 });
  await sim.control('POST', '/voicy/latency', { ms: 500 });
  const r = await sim.list('voicy', { limit: 1 });
  assert.equal(r.status, 429);
  assert.ok(r.ms < 400, `answered after ${r.ms} ms`);
  assert.equal((await sim.control('GET', '/voicy/info')).fault.count, 1);
});

test('control: bad bodies are 400; a kind without a documented limit needs one', async () => {
  await sim.control('POST', '/reset');
  const bad = [
    ['/ratelimit', { enabled: 'yes' }],
    ['/ratelimit', { enabled: true, limit: 5 }],
    ['/voicy/ratelimit', { enabled: true, limit: 0 }],
    ['/voicy/ratelimit', { enabled: true, window_ms: 1.5 }],
    ['/voicy/ratelimit', [1]],
    ['/verbex/ratelimit', { enabled: true }],
  ];
  for (const [p, b] of bad) {
    const r = await sim.request('POST', '/_control' + p, { body: b });
    assert.equal(r.status, 400, p + ' ' + JSON.stringify(b));
  }
  const r = await sim.control('POST', '/verbex/ratelimit', { enabled: true, limit: 1, window_ms: 60000 });
  assert.equal(r.enabled, true);
  assert.equal((await sim.list('verbex', { page_size: 1 })).status, 200);
  assert.equal((await sim.list('verbex', { page_size: 1 })).status, 429);
  await sim.control('POST', '/reset');
  assert.equal((await sim.list('verbex', { page_size: 1 })).status, 200);
});

test('--rate-limits enables the documented limits at startup (and reset keeps them)', async () => {
  const s2 = await startSim(['--seed', '7', '--size', '10', '--provider', 'vy=voicy', '--provider', 'vx=verbex', '--rate-limits']);
  try {
    assert.deepEqual(s2.providers.vy.rate_limit, { enabled: true, limit: 60, window_ms: 60000, refused: 0 });
    assert.equal(s2.providers.vx.rate_limit.enabled, false);
    await s2.control('POST', '/reset');
    assert.equal((await s2.control('GET', '/vy/ratelimit')).enabled, true);
    const rs = [];
    for (let i = 0; i < 61; i++) rs.push((await s2.list('vy', { limit: 1 })).status);
    assert.deepEqual(rs.slice(0, 60), Array(60).fill(200));
    assert.equal(rs[60], 429);
  } finally {
    assert.equal(await s2.stop(), 0);
  }
});
