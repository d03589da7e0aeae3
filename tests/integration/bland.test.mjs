// The bland kind end to end: offsets walked as pages in both created_at
// orders, complete while calls are inserted (newest-first offsets shift),
// a provider that ignores `from`, what is pushed and what is refused, and
// exact answers over the coarse day and minute filters.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { tmpdir, writeConfig, simConfig, startServer, startSim, json } from '../lib/callnorm.mjs';
import { expect, toQueryString } from '../lib/oracle.mjs';
import { loadRecords, walk } from '../lib/walk.mjs';

let sim, server, records;
before(async () => {
  sim = await startSim({ seed: 23, size: 150, args: ['--provider', 'bland=bland', '--provider', 'osvi=osvi', '--size', 'osvi=60'] });
  const config = writeConfig(tmpdir(), simConfig(sim.port, { providers: ['bland', 'osvi'], main: 'max_upstream_requests = 10\n' }));
  server = await startServer(config, { threads: 2 });
  ({ records } = await loadRecords(sim));
});
after(async () => { await server?.stop(); await sim?.stop(); });

const ids = (xs) => xs.map((x) => x.id);

function check(q, got) {
  const want = expect(records, q);
  assert.deepEqual(ids(got), ids(want), 'ids and order for ' + toQueryString(q));
  assert.deepEqual(got, want, 'records for ' + toQueryString(q));
}

test('both orders, several limits: exactly the data set, with offsets as pages', async () => {
  for (const order of ['desc', 'asc'])
    for (const limit of ['1', '7', '60', '1000']) {
      const q = { provider: ['bland'], order: [order], limit: [limit] };
      if (limit === '1' && order === 'asc') q.status = ['queued', 'canceled']; // a shorter walk one by one
      await sim.clearLog();
      const { out } = await walk(server, q);
      check(q, out);
      // every request: the raw key, from = page x limit, to = from + limit, the order asked
      for (const e of await sim.log('bland')) {
        assert.equal(e.headers.authorization, 'sim-bland-key');
        const from = Number(e.query.from), lim = Number(e.query.limit);
        assert.equal(from % lim, 0, JSON.stringify(e.query));
        assert.equal(Number(e.query.to), from + lim);
        assert.equal(e.query.ascending, order === 'asc' ? 'true' : 'false');
      }
    }
});

test('complete under inserts: no duplicate, no gap, in both orders, bland alone and merged', async () => {
  for (const order of ['desc', 'asc'])
    for (const [providers, limit, count] of [[['bland'], '5', (n) => 1 + (n % 3)], [['bland'], '4', () => 25], [['bland', 'osvi'], '9', (n) => 2 + (n % 2)]]) {
      const q = { provider: providers, order: [order], limit: [limit] };
      const want = expect(records, q); // calls inserted start now: after the walk's horizon
      const { out } = await walk(server, q, {
        between: async (n) => { for (const p of providers) await sim.control(`${p}/insert`, 'POST', { count: count(n) }); },
      });
      assert.deepEqual(ids(out), ids(want), `${order} ${providers} limit ${limit}`);
      await sim.reset();
    }
});

test('a provider that answers the same page whatever the offset is PROVIDER_PAGINATION_STUCK', async () => {
  // page 0 of 21 calls (limit 20, plus one to see the end)
  const first = json(await server.request('/calls?provider=bland&limit=20'));
  assert.equal(first.data.length, 20);
  await sim.control('bland/fault', 'POST', { mode: 'repeat', count: -1 });
  try {
    // the next page resumes in page 0, then asks from=21: page 0 again
    const r = await server.request('/calls?provider=bland&limit=20&cursor=' + first.page.next_cursor);
    assert.equal(r.status, 502, r.text);
    const b = json(r);
    assert.equal(b.code, 'PROVIDER_PAGINATION_STUCK');
    assert.equal(b.provider, 'bland');
    // the same 21 calls for a limit of 41, total_count 150: a gap would
    // follow them, so the page is refused rather than walked past
    const s = await server.request('/calls?provider=bland&limit=40');
    assert.equal(s.status, 502, s.text);
    assert.equal(json(s).code, 'PROVIDER_BAD_RESPONSE');
  } finally {
    await sim.control('bland/fault', 'DELETE');
  }
});

test('agent_id and q are refused for bland, naming it; others may still be asked', async () => {
  for (const f of ['agent_id=x', 'q=refund']) {
    const r = await server.request('/calls?' + f);
    assert.equal(r.status, 400, r.text);
    const b = json(r);
    assert.equal(b.code, 'UNSUPPORTED_FILTER');
    assert.match(b.detail, /bland/);
  }
  const caps = json(await server.request('/providers')).data.find((p) => p.name === 'bland').capabilities;
  assert.deepEqual(caps.filters_unsupported.sort(), ['agent_id', 'q']);
  assert.deepEqual(caps.native_orders, ['desc', 'asc']);
  assert.equal(caps.pagination, 'page0');
  assert.equal(caps.max_page_size, 1000);
});

test('day and minute bounds go out as supersets and the answer is exact', async () => {
  const cases = [
    { started_after: ['2026-03-10T13:45:12.345Z'] },
    { started_before: ['2026-04-02T00:00:00Z'] },
    { started_after: ['2026-02-01T23:59:59.999Z'], started_before: ['2026-02-20T00:00:00.001Z'] },
    { min_duration_ms: ['90000'] },
    { max_duration_ms: ['150000'] },
    { min_duration_ms: ['30000'], max_duration_ms: ['61000'] },
    { status: ['completed', 'voicemail'] },
    { status: ['voicemail'], direction: ['outbound'] },
    { direction: ['inbound'] },
    { status: ['failed', 'unknown'] },
    { phone: ['555'] },
  ];
  for (const f of cases)
    for (const order of ['desc', 'asc']) {
      const q = { provider: ['bland'], order: [order], limit: ['25'], ...f };
      await sim.clearLog();
      const { out } = await walk(server, q);
      check(q, out);
      const e = (await sim.log('bland'))[0];
      if (f.started_after) assert.equal(e.query.start_date, f.started_after[0].slice(0, 10));
      if (f.started_before) assert.equal(e.query.end_date, new Date(Date.parse(f.started_before[0]) - 1).toISOString().slice(0, 10));
      if (f.min_duration_ms && Number(f.min_duration_ms[0]) >= 60000) assert.equal(Number(e.query.duration_gt), Math.floor(f.min_duration_ms[0] / 60000) - 1);
      if (f.max_duration_ms) assert.equal(Number(e.query.duration_lt), Math.floor(f.max_duration_ms[0] / 60000) + 1);
      if (f.status && f.status.every((s) => s === 'completed' || s === 'voicemail')) assert.equal(e.query.completed, 'true');
      else assert.equal(e.query.completed, undefined);
      if (f.direction) assert.equal(e.query.inbound, f.direction[0] === 'inbound' ? 'true' : 'false');
      assert.equal(e.query.phone, undefined);
    }
});

test('statuses the table never yields ask Bland nothing', async () => {
  await sim.clearLog();
  const b = json(await server.request('/calls?provider=bland&status=busy,no_answer,ringing'));
  assert.deepEqual(b.data, []);
  assert.equal(b.page.has_more, false);
  assert.equal((await sim.log('bland')).length, 0);
});

test('total_count is exact without filters, null with a superset filter', async () => {
  const n = records.filter((r) => r.provider === 'bland').length;
  const all = json(await server.request('/calls?provider=bland&limit=5'));
  assert.equal(all.page.total_count, n);
  const some = json(await server.request('/calls?provider=bland&limit=5&status=completed'));
  assert.equal(some.page.total_count, null);
});

test('a wrong key is PROVIDER_AUTH_FAILED with the upstream 401', async () => {
  const config = writeConfig(tmpdir(), simConfig(sim.port, { providers: ['bland'] }).replace('api_key = sim-bland-key', 'api_key = Bearer sim-bland-key'));
  const s = await startServer(config);
  try {
    const r = await s.request('/calls?provider=bland');
    assert.equal(r.status, 502);
    const b = json(r);
    assert.equal(b.code, 'PROVIDER_AUTH_FAILED');
    assert.equal(b.provider_status, 401);
  } finally { await s.stop(); }
});
