// Retell's own rules end to end: only has_more ends a walk (the last page
// carries a stale pagination_key, even the one just sent), a repeated key
// is PROVIDER_PAGINATION_STUCK, q is UNSUPPORTED_FILTER, the typed
// filters reach the provider (ranges widened), queued is checked here
// because the provider's status filter cannot name it, and calls without
// a start sort first in ascending order.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { tmpdir, writeConfig, simConfig, startServer, startSim, json } from '../lib/callnorm.mjs';
import { expect, toQueryString } from '../lib/oracle.mjs';
import { loadRecords, walk } from '../lib/walk.mjs';

let sim, server, records, agentsBy;
before(async () => {
  sim = await startSim({ seed: 11, size: 120 });
  server = await startServer(writeConfig(tmpdir(), simConfig(sim.port, { providers: ['retell', 'voicy'] })));
  ({ records, agentsBy } = await loadRecords(sim));
});
after(async () => { await server?.stop(); await sim?.stop(); });

const ids = (xs) => xs.map((x) => x.id);
const fc = (e) => e.body?.filter_criteria ?? {};

test('pagination_key walks in both orders: every call once, in order', async () => {
  for (const order of ['desc', 'asc']) {
    for (const limit of ['7', '50']) {
      await sim.clearLog();
      const q = { provider: ['retell'], order: [order], limit: [limit] };
      const { out } = await walk(server, q);
      assert.deepEqual(ids(out), ids(expect(records, q)), toQueryString(q));
      const log = await sim.log('retell');
      assert.ok(log.length > 1 || limit === '50', 'several pages: ' + toQueryString(q));
      assert.ok(log.every((e) => e.body.sort_order === (order === 'asc' ? 'ascending' : 'descending')));
      assert.ok(log.every((e) => e.body.limit >= 1 && e.body.limit <= 1000 && !('skip' in e.body)));
    }
  }
});

test('calls without a start (registered) come first in ascending order, last in descending', async () => {
  const noStart = records.filter((r) => r.provider === 'retell' && r.expected.started_at === null).map((r) => r.expected.id);
  assert.ok(noStart.length > 0);
  const asc = (await walk(server, { provider: ['retell'], order: ['asc'], limit: ['100'] })).out;
  assert.deepEqual(ids(asc.slice(0, noStart.length)).sort(), [...noStart].sort());
  const desc = (await walk(server, { provider: ['retell'], order: ['desc'], limit: ['100'] })).out;
  assert.deepEqual(ids(desc.slice(-noStart.length)).sort(), [...noStart].sort());
});

test('merged with another provider under inserts: no duplicate, no gap', async () => {
  try {
    for (const order of ['desc', 'asc']) {
      const q = { provider: ['retell', 'voicy'], order: [order], limit: ['9'] };
      const want = expect(records, q);
      const { out } = await walk(server, q, {
        between: async (n) => { for (const p of q.provider) await sim.control(`${p}/insert`, 'POST', { count: 1 + (n % 3) }); },
      });
      assert.deepEqual(ids(out), ids(want), order);
      await sim.reset();
    }
  } finally {
    await sim.reset();
  }
});

test('q is UNSUPPORTED_FILTER naming retell', async () => {
  const r = await server.request('/calls?provider=retell&q=refund');
  assert.equal(r.status, 400);
  const b = json(r);
  assert.equal(b.code, 'UNSUPPORTED_FILTER');
  assert.match(b.detail, /retell \(q\)/);
});

test('status: queued is checked here, the others go out as call_status words', async () => {
  await sim.clearLog();
  let q = { provider: ['retell'], status: ['queued'], limit: ['100'] };
  let r = await walk(server, q);
  assert.deepEqual(ids(r.out), ids(expect(records, q)));
  assert.ok(r.out.length > 0);
  assert.ok(!r.last.meta.providers[0].filters_pushed_down.includes('status'));
  assert.ok(!('call_status' in fc((await sim.log('retell'))[0])));
  for (const [status, words] of [
    [['completed'], ['ended']], [['no_answer', 'busy'], ['ended', 'not_connected']], [['failed'], ['error', 'ended', 'not_connected']],
  ]) {
    await sim.clearLog();
    q = { provider: ['retell'], status, limit: ['100'] };
    r = await walk(server, q);
    assert.deepEqual(ids(r.out), ids(expect(records, q)), status.join());
    assert.ok(r.out.length > 0, status.join());
    assert.deepEqual(fc((await sim.log('retell'))[0]).call_status, { type: 'enum', op: 'in', value: words });
  }
});

test('two bounds go out as a widened bt range and come back exact', async () => {
  const t0 = '2026-02-01T00:00:00.000Z', t1 = '2026-05-01T00:00:00.000Z';
  await sim.clearLog();
  const q = { provider: ['retell'], started_after: [t0], started_before: [t1], min_duration_ms: ['10000'], max_duration_ms: ['600000'], limit: ['25'] };
  const { out } = await walk(server, q);
  assert.deepEqual(ids(out), ids(expect(records, q)));
  assert.ok(out.length > 0);
  const f = fc((await sim.log('retell'))[0]);
  assert.deepEqual(f.start_timestamp, { type: 'range', op: 'bt', value: [Date.parse(t0) - 1, Date.parse(t1)] });
  assert.deepEqual(f.duration_ms, { type: 'range', op: 'bt', value: [9999, 600001] });
  // agents, direction and type together
  await sim.clearLog();
  const q2 = { provider: ['retell'], agent_id: agentsBy.retell.slice(0, 2), direction: ['outbound'], type: ['phone'], order: ['asc'] };
  const r2 = await walk(server, q2);
  assert.deepEqual(ids(r2.out), ids(expect(records, q2)));
  assert.ok(r2.out.length > 0);
});

test('the repeat fault (the key just sent, has_more true) is PROVIDER_PAGINATION_STUCK', async () => {
  const b1 = json(await server.request('/calls?provider=retell&limit=2'));
  assert.ok(b1.page.has_more);
  await sim.control('retell/fault', 'POST', { mode: 'repeat', count: -1 });
  try {
    // the second page asks with the key of the first; the fault answers the
    // last page served again, which carries that very key
    let r, code;
    for (let i = 0; i < 5 && !code; i++) {
      r = await server.request('/calls?provider=retell&limit=2&cursor=' + b1.page.next_cursor);
      if (r.status !== 200) code = json(r).code;
    }
    assert.equal(code, 'PROVIDER_PAGINATION_STUCK', r.text);
    assert.equal(r.status, 502);
  } finally {
    await sim.control('retell/fault', 'DELETE');
  }
});

// A fake Retell whose pages are scripted: what it answers for a request
// with no key, and for each key.
function startFake(pages) {
  const seen = [];
  return new Promise((resolve) => {
    const s = http.createServer((req, res) => {
      const chunks = [];
      req.on('data', (d) => chunks.push(d));
      req.on('end', () => {
        const body = JSON.parse(Buffer.concat(chunks).toString() || '{}');
        seen.push(body);
        const text = JSON.stringify(pages[body.pagination_key ?? ''] ?? { status: 'error', message: 'Invalid pagination_key' });
        res.writeHead(pages[body.pagination_key ?? ''] ? 200 : 400, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
        res.end(text);
      });
    });
    s.listen(0, '127.0.0.1', () => resolve({ s, seen }));
  });
}

function fakeConfig(port) {
  return writeConfig(tmpdir(), '[callnorm]\ncursor_key = test-cursor-key-0123456789abcdef0123\n\n' +
    `[provider rt]\nkind = retell\nbase_url = http://127.0.0.1:${port}/rt\napi_key = k\ntimeout_ms = 3000\n`);
}

const call = (id, t) => ({ call_id: id, call_type: 'phone_call', call_status: 'ended', direction: 'inbound', start_timestamp: t, agent_id: 'a', agent_version: 1 });

test('a scripted Retell: the stale key of the last page is not followed; a repeated key is stuck', async () => {
  const T = Date.UTC(2026, 0, 10);
  const { s, seen } = await startFake({
    '': { items: [call('c3', T + 3), call('c2', T + 2)], has_more: true, pagination_key: 'K1' },
    K1: { items: [call('c1', T + 1)], has_more: false, pagination_key: 'K1' },
  });
  const srv = await startServer(fakeConfig(s.address().port));
  try {
    const b = json(await srv.request('/calls?limit=10'));
    assert.deepEqual(b.data.map((c) => c.native_id), ['c3', 'c2', 'c1']);
    assert.equal(b.page.has_more, false);
    assert.deepEqual(seen.map((x) => x.pagination_key ?? null), [null, 'K1'], 'two requests, the stale key never sent again');
    assert.equal(seen[0].limit, 11);
    assert.equal(seen[0].sort_order, 'descending');
  } finally {
    await srv.stop();
    await new Promise((r) => s.close(r));
  }
  const stuck = await startFake({
    '': { items: [call('c3', Date.UTC(2026, 0, 10))], has_more: true, pagination_key: 'K1' },
    K1: { items: [call('c2', Date.UTC(2026, 0, 9))], has_more: true, pagination_key: 'K1' },
  });
  const srv2 = await startServer(fakeConfig(stuck.s.address().port));
  try {
    const r = await srv2.request('/calls?limit=10');
    assert.equal(r.status, 502);
    assert.equal(json(r).code, 'PROVIDER_PAGINATION_STUCK');
    assert.equal(json(r).provider, 'rt');
  } finally {
    await srv2.stop();
    await new Promise((r) => stuck.s.close(r));
  }
  const nokey = await startFake({ '': { items: [call('c3', Date.UTC(2026, 0, 10))], has_more: true } });
  const srv3 = await startServer(fakeConfig(nokey.s.address().port));
  try {
    const r = await srv3.request('/calls?limit=10');
    assert.equal(r.status, 502);
    assert.equal(json(r).code, 'PROVIDER_BAD_RESPONSE');
  } finally {
    await srv3.stop();
    await new Promise((r) => nokey.s.close(r));
  }
});
