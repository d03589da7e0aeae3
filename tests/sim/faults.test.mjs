// Every fault mode of POST /_control/NAME/fault.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import zlib from 'node:zlib';
import { startSim, rawRequest, request, recordsOf } from './helpers.mjs';

let sim;
before(async () => {
  sim = await startSim(['--seed', '9', '--size', '40']);
});
after(async () => {
  assert.equal(await sim.stop(), 0);
});

const fault = (name, f) => sim.control('POST', '/' + name + '/fault', f);

const SHAPES = {
  verbex: (b) => typeof b.error === 'string' && typeof b.message === 'string',
  voicy: (b) => b.status === 'error' && typeof b.message === 'string',
  talkover: (b) => b.success === false && typeof b.message === 'string',
  osvi: (b) => b.success === false && typeof b.error === 'string',
  zudu: (b) => b.status === 'error' && typeof b.message === 'string' && 'error' in b,
  bland: (b) => b.data === null && typeof b.errors[0].error === 'string' && typeof b.errors[0].message === 'string',
  retell: (b) => b.status === 'error' && typeof b.message === 'string',
};

function raw(name, opts = {}) {
  const p = sim.providers[name];
  const body = p.method === 'POST' ? opts.body ?? {} : null;
  return rawRequest(sim.port, p.method, p.path + (opts.query || ''), p.auth, body, opts.timeout);
}

test('status faults answer in the provider error shape, then clear', async () => {
  for (const name of Object.keys(SHAPES)) {
    for (const code of [500, 502, 503, 401, 403, 404, 429]) {
      await fault(name, { mode: 'status:' + code });
      const r = await sim.list(name, {});
      assert.equal(r.status, code, name + ' ' + code);
      assert.ok(SHAPES[name](r.json()), name + ' ' + code + ' ' + r.text);
      if (code === 429) assert.equal(r.headers['retry-after'], '1');
      assert.equal((await sim.list(name, {})).status, 200, 'fault consumed');
    }
  }
  await fault('talkover', { mode: 'status:429', retry_after: '2' });
  assert.equal((await sim.list('talkover', {})).headers['retry-after'], '2');
  const date = new Date(Date.now() + 3000).toUTCString();
  await fault('talkover', { mode: 'status:429', retry_after: date });
  assert.equal((await sim.list('talkover', {})).headers['retry-after'], date);
});

test('count: N requests, -1 until cleared', async () => {
  await fault('osvi', { mode: 'status:503', count: 2 });
  assert.equal((await sim.list('osvi', {})).status, 503);
  assert.equal((await sim.list('osvi', {})).status, 503);
  assert.equal((await sim.list('osvi', {})).status, 200);
  await fault('osvi', { mode: 'status:500', count: -1 });
  for (let i = 0; i < 4; i++) assert.equal((await sim.list('osvi', {})).status, 500);
  await sim.control('DELETE', '/osvi/fault');
  assert.equal((await sim.list('osvi', {})).status, 200);
  const log = await sim.control('GET', '/osvi/log');
  assert.deepEqual(log.slice(-8).map((e) => e.status), [503, 503, 200, 500, 500, 500, 500, 200]);
});

test('malformed and empty bodies', async () => {
  await fault('verbex', { mode: 'malformed' });
  const m = await sim.list('verbex', {});
  assert.equal(m.status, 200);
  assert.throws(() => JSON.parse(m.text));
  await fault('zudu', { mode: 'empty' });
  const e = await sim.list('zudu', {});
  assert.equal(e.status, 200);
  assert.equal(e.buf.length, 0);
  assert.equal(e.headers['content-length'], '0');
});

test('truncated: Content-Length promises more than is sent, then the connection closes', async () => {
  await fault('talkover', { mode: 'truncated' });
  const r = await raw('talkover');
  assert.equal(r.status, 200);
  const cl = parseInt(r.headers['content-length'], 10);
  assert.ok(r.body.length > 0 && r.body.length < cl, `${r.body.length} < ${cl}`);
  assert.equal(r.error, null);
});

test('reset: the socket is destroyed mid-body', async () => {
  await fault('voicy', { mode: 'reset' });
  const r = await raw('voicy', { body: { limit: 20 } });
  const cl = parseInt(r.headers['content-length'], 10);
  assert.ok(r.body.length < cl);
  await fault('voicy', { mode: 'reset' });
  await assert.rejects(sim.list('voicy', { limit: 20 }));
});

test('oversize: chunked body of the requested size without Content-Length (and 40 MiB by default)', async () => {
  await fault('verbex', { mode: 'oversize', bytes: 3 * 1024 * 1024 });
  const r = await raw('verbex', { timeout: 20000 });
  assert.equal(r.status, 200);
  assert.equal(r.headers['content-length'], undefined);
  assert.equal(r.headers['transfer-encoding'], 'chunked');
  const small = await sim.request('GET', '/_control/providers'); // server still fine
  assert.equal(small.status, 200);
  await fault('verbex', { mode: 'oversize', bytes: 3 * 1024 * 1024 });
  const v = await sim.list('verbex', {}, { timeout: 20000 });
  assert.equal(v.buf.length, 3 * 1024 * 1024);
  const body = v.json();
  assert.ok(body.calls.length > 100);
  await fault('osvi', { mode: 'oversize' });
  const big = await sim.list('osvi', {}, { timeout: 30000 });
  assert.equal(big.buf.length, 40 * 1024 * 1024);
  assert.equal(big.headers['content-length'], undefined);
});

test('gzipbomb: a small gzip body that inflates to the requested size', async () => {
  await fault('talkover', { mode: 'gzipbomb', bytes: 8 * 1024 * 1024 });
  const r = await raw('talkover', { timeout: 20000 });
  assert.equal(r.status, 200);
  assert.equal(r.headers['content-encoding'], 'gzip');
  assert.ok(r.body.length < 64 * 1024, 'on the wire: ' + r.body.length);
  const inflated = zlib.gunzipSync(r.body);
  assert.equal(inflated.length, 8 * 1024 * 1024);
  assert.equal(inflated.toString('latin1').trim(), '');
  assert.equal((await sim.list('talkover', {})).status, 200, 'fault consumed');
});

test('headers: the right body behind thousands of headers', async () => {
  await fault('zudu', { mode: 'headers', count_headers: 3000 });
  const r = await raw('zudu', { body: { limit: 5 } });
  assert.equal(r.status, 200);
  const fillers = Object.keys(r.headers).filter((h) => h.startsWith('x-filler-'));
  assert.equal(fillers.length, 3000);
  assert.equal(JSON.parse(r.body.toString()).data.calls.length, 5);
});

test('deep: JSON nested 10,000 levels', async () => {
  await fault('zudu', { mode: 'deep' });
  const r = await sim.list('zudu', {});
  assert.equal(r.status, 200);
  let depth = 0;
  let max = 0;
  for (const ch of r.text) {
    if (ch === '[' || ch === '{') max = Math.max(max, ++depth);
    else if (ch === ']' || ch === '}') depth--;
  }
  assert.equal(depth, 0);
  assert.ok(max >= 10000);
});

test('wrongtypes: valid envelope, records of the wrong types', async () => {
  for (const name of Object.keys(SHAPES)) {
    await fault(name, { mode: 'wrongtypes' });
    const r = await sim.list(name, {});
    assert.equal(r.status, 200);
    const recs = recordsOf(name, r.json());
    assert.ok(Array.isArray(recs) && recs.length > 1);
    assert.ok(Array.isArray(recs[0]), 'a record as an array');
    const rec = recs[1];
    const idKey = name === 'verbex' ? '_id' : name === 'talkover' ? 'id' : 'call_id';
    assert.equal(typeof rec[idKey], 'number', name);
  }
  await fault('voicy', { mode: 'wrongtypes' });
  const v = recordsOf('voicy', (await sim.list('voicy', {})).json());
  assert.equal(typeof v[1].start_timestamp, 'string');
});

test('redirect: 302 to another loopback port', async () => {
  const before = (await sim.control('GET', '/redirect-target')).hits;
  await fault('talkover', { mode: 'redirect' });
  const r = await sim.list('talkover', { per_page: 3 });
  assert.equal(r.status, 302);
  const loc = new URL(r.headers.location);
  assert.equal(loc.hostname, '127.0.0.1');
  assert.notEqual(Number(loc.port), sim.port);
  assert.equal(Number(loc.port), sim.redirectPort);
  const f = await request(Number(loc.port), 'GET', loc.pathname + loc.search);
  assert.equal(f.status, 200);
  assert.equal((await sim.control('GET', '/redirect-target')).hits, before + 1);
});

test('hang: the request is accepted and never answered', async () => {
  await fault('osvi', { mode: 'hang' });
  const t0 = Date.now();
  await assert.rejects(sim.list('osvi', {}, { timeout: 400 }), /timeout/);
  assert.ok(Date.now() - t0 >= 390);
  assert.equal((await sim.list('osvi', {})).status, 200);
});

test('trickle: the correct body, one byte every 200 ms', async () => {
  await fault('voicy', { mode: 'trickle' });
  const filter = { filter_criteria: { agent_id: ['no-such-agent'] } };
  const r = await sim.list('voicy', filter, { timeout: 20000 });
  assert.equal(r.status, 200);
  assert.deepEqual(r.json(), { calls: [], total_count: 0 });
  const n = r.buf.length;
  assert.ok(r.ms >= (n - 1) * 200 - 50, `${r.ms} ms for ${n} bytes`);
  // faster variant used by other suites
  await fault('talkover', { mode: 'trickle', interval_ms: 2, chunk_bytes: 64 });
  const t = await sim.list('talkover', { per_page: 5 });
  const normal = await sim.list('talkover', { per_page: 5 });
  assert.equal(t.text, normal.text);
});

test('repeat: the previous page again (verbex echoes the token it was given)', async () => {
  const p1 = (await sim.list('verbex', { page_size: 5 })).json();
  await fault('verbex', { mode: 'repeat' });
  const p2 = (await sim.list('verbex', { page_size: 5, page_token: p1.next_page_token })).json();
  assert.deepEqual(p2, p1);
  assert.equal(p2.next_page_token, p1.next_page_token);
  const t1 = await sim.list('talkover', { per_page: 5, page: 1 });
  await fault('talkover', { mode: 'repeat' });
  const t2 = await sim.list('talkover', { per_page: 5, page: 2 });
  assert.equal(t2.text, t1.text);
  const t3 = (await sim.list('talkover', { per_page: 5, page: 2 })).json();
  assert.equal(t3.pagination.current_page, 2);
});
