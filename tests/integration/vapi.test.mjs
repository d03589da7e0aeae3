// vapi's own rules end to end: paging through calls that share a
// createdAt millisecond at page edges, createdAt bounds shifted by
// start_lag_ms, creation order (calls start up to 30 s after creation;
// with --late-starts some start later than the lag), a stuck page, and
// credentials never leaving in `raw`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { tmpdir, writeConfig, simConfig, startServer, startSim, json } from '../lib/callnorm.mjs';
import { expect, toQueryString } from '../lib/oracle.mjs';
import { loadRecords, walk } from '../lib/walk.mjs';


let sim, server, records, agents;
before(async () => {
  sim = await startSim({ seed: 21, size: 10, args: ['--provider', 'vapi=vapi', '--provider', 'verbex=verbex', '--size', 'vapi=260', '--size', 'verbex=60'] });
  const config = writeConfig(tmpdir(), simConfig(sim.port, { providers: ['vapi', 'verbex'], main: 'max_upstream_requests = 50\n' }));
  server = await startServer(config, { threads: 2 });
  ({ records } = await loadRecords(sim));
  agents = (await sim.control('providers')).providers.find((p) => p.name === 'vapi').agents.map((a) => a.id);
});
after(async () => { await server?.stop(); await sim?.stop(); });

const ids = (xs) => xs.map((x) => x.id);
function check(q, out, what = '') {
  const want = expect(records, q);
  assert.deepEqual(ids(out), ids(want), 'ids and order ' + what + toQueryString(q));
  assert.deepEqual(out, want, 'records ' + what + toQueryString(q));
}

test('desc walks with limits that end pages inside tie groups return every call once, in order', async () => {
  for (const limit of ['1', '2', '3', '7', '50', '1000']) {
    const q = { provider: ['vapi'], limit: [limit] };
    const { out } = await walk(server, q);
    check(q, out);
  }
  // merged with another kind
  const q = { limit: ['9'] };
  check(q, (await walk(server, q)).out);
});

test('the upstream requests: Bearer key, createdAtLe with room for the dropped ids', async () => {
  await sim.clearLog();
  const { out } = await walk(server, { provider: ['vapi'], limit: ['4'] });
  assert.equal(out.length, 260);
  const log = await sim.log('vapi');
  assert.ok(log.length >= 2);
  assert.equal(log[0].headers.authorization, 'Bearer sim-vapi-key');
  assert.equal(log[0].query.createdAtLe, undefined);
  // a later request bounds createdAt from above, inclusively, and asks
  // for more than the page when it will drop ids at the bound
  const later = log.filter((e) => e.query.createdAtLe !== undefined);
  assert.ok(later.length >= 2, 'later pages are asked with createdAtLe');
  assert.ok(later.some((e) => Number(e.query.limit) > 5), 'a larger limit at a shared millisecond');
  assert.ok(log.every((e) => Number(e.query.limit) <= 1000));
});

test('filters: agent_id pushed as assistantId, time bounds on createdAt, the rest local', async () => {
  const t0 = '2026-02-01T00:00:00Z', t1 = '2026-04-15T12:00:00Z';
  for (const f of [
    { agent_id: [agents[0]] }, { agent_id: [agents[1], agents[2]] }, { started_after: [t0] }, { started_before: [t1] },
    { started_after: [t0], started_before: [t1] }, { status: ['failed', 'canceled'] }, { status: ['unknown'] },
    { direction: ['outbound'] }, { type: ['web'] }, { phone: ['555'] }, { q: ['refund'] }, { min_duration_ms: ['60000'] },
    { max_duration_ms: ['30000'] }, { include_test: ['true'] },
  ]) {
    const q = { provider: ['vapi'], limit: ['13'], ...f };
    check(q, (await walk(server, q)).out);
  }
  await sim.clearLog();
  const r = json(await server.request(`/calls?provider=vapi&limit=5&agent_id=${agents[0]}&started_after=2026-03-01T00:00:00Z&started_before=2026-03-10T00:00:00Z`));
  assert.deepEqual(r.meta.providers[0].filters_pushed_down, ['agent_id', 'started_after', 'started_before']);
  const e = (await sim.log('vapi'))[0];
  assert.equal(e.query.assistantId, agents[0]);
  assert.equal(e.query.createdAtLt, '2026-03-10T00:00:00.000Z');
  // the default start_lag_ms: created up to five minutes before the bound
  assert.equal(e.query.createdAtGe, '2026-02-28T23:55:00.000Z');
});

test('start_lag_ms moves the lower createdAt bound', async () => {
  const cfg = writeConfig(tmpdir(), simConfig(sim.port, { providers: ['vapi'], extra: '' }).replace('kind = vapi\n', 'kind = vapi\nstart_lag_ms = 60000\n'));
  const s = await startServer(cfg);
  try {
    await sim.clearLog();
    const q = { provider: ['vapi'], started_after: ['2026-03-01T00:00:00Z'], limit: ['20'] };
    check(q, (await walk(s, q)).out);
    assert.equal((await sim.log('vapi'))[0].query.createdAtGe, '2026-02-28T23:59:00.000Z');
  } finally {
    await s.stop();
  }
});

test('calls inserted while a desc walk runs are not returned, and nothing is lost', async () => {
  try {
    const q = { provider: ['vapi'], limit: ['11'] };
    const { out } = await walk(server, q, { between: async () => { await sim.control('vapi/insert', 'POST', { count: 2 }); } });
    check(q, out);
  } finally {
    await sim.reset();
  }
});

test('a provider that ignores createdAtLe and repeats its page is PROVIDER_PAGINATION_STUCK', async () => {
  try {
    // the page to repeat: every call, more than the walk's pages ask for
    await server.request('/calls?provider=vapi&limit=999');
    await sim.control('vapi/fault', 'POST', { mode: 'repeat', count: -1 });
    let cursor = null, r;
    for (let page = 0; page < 10; page++) {
      r = await server.request('/calls?provider=vapi&limit=100' + (cursor ? '&cursor=' + cursor : ''));
      if (r.status !== 200) break;
      cursor = json(r).page.next_cursor;
      assert.ok(cursor, 'the walk goes on until the repeat is seen');
    }
    assert.equal(r.status, 502);
    assert.equal(json(r).code, 'PROVIDER_PAGINATION_STUCK');
  } finally {
    await sim.reset();
  }
});

test('order=asc is served from a newest-first-only list', async () => {
  for (const limit of ['5', '40']) {
    const q = { provider: ['vapi'], order: ['asc'], limit: [limit] };
    check(q, (await walk(server, q)).out);
  }
  for (const f of [{ started_after: ['2026-05-01T00:00:00Z'] }, { started_after: ['2026-02-01T00:00:00Z'], started_before: ['2026-03-01T00:00:00Z'] }, { agent_id: [agents[2]] }]) {
    const q = { order: ['asc'], limit: ['17'], ...f };
    check(q, (await walk(server, q)).out);
  }
  // started_after bounds the walk: nothing created before the bound minus the lag is asked for
  await sim.clearLog();
  await walk(server, { provider: ['vapi'], order: ['asc'], limit: ['25'], started_after: ['2026-05-01T00:00:00Z'] });
  for (const e of await sim.log('vapi')) {
    assert.ok(e.query.createdAtGe !== undefined && Date.parse(e.query.createdAtGe) >= Date.parse('2026-05-01T00:00:00Z') - 300000, JSON.stringify(e.query));
  }
});

test('calls that start later than start_lag_ms after creation come back exactly once', async () => {
  const late = await startSim({ seed: 5, size: 10, args: ['--provider', 'vapi=vapi', '--size', 'vapi=120', '--late-starts', 'vapi=6'] });
  const cfg = writeConfig(tmpdir(), simConfig(late.port, { providers: ['vapi'], main: 'max_upstream_requests = 50\n' }));
  const s = await startServer(cfg);
  try {
    const { records: recs } = await loadRecords(late);
    const lateIds = new Set((await late.dataset('vapi'))
      .filter(({ native: x }) => x.startedAt && Date.parse(x.startedAt) - Date.parse(x.createdAt) > 300000)
      .map((r) => r.expected.id));
    assert.equal(lateIds.size, 6);
    for (const order of ['desc', 'asc']) {
      for (const limit of ['7', '20']) {
        const q = { provider: ['vapi'], order: [order], limit: [limit] };
        const { out } = await walk(s, q);
        const want = expect(recs, q);
        // the same calls, each once; the order is exact except where a
        // late starter sits
        assert.deepEqual(ids(out).slice().sort(), ids(want).slice().sort(), order + ' ' + limit);
        assert.equal(new Set(ids(out)).size, out.length, 'no duplicate');
        const onTime = (xs) => ids(xs).filter((id) => !lateIds.has(id));
        assert.deepEqual(onTime(out), onTime(want), 'the calls that keep the lag in exact order');
      }
    }
  } finally {
    await s.stop();
    await late.stop();
  }
});

test('order=asc one call per page through calls created minutes apart', async () => {
  const q = { provider: ['vapi'], order: ['asc'], limit: ['1'] };
  check(q, (await walk(server, q)).out);
});

test('include=raw never hands out the credentials vapi records carry', async () => {
  const b = json(await server.request('/calls?provider=vapi&include=raw&limit=200'));
  assert.ok(b.data.length > 0);
  const bad = [];
  const visit = (v, path) => {
    if (Array.isArray(v)) return v.forEach((x, i) => visit(x, path + '[' + i + ']'));
    if (!v || typeof v !== 'object') return;
    for (const [k, x] of Object.entries(v)) {
      const lk = k.toLowerCase();
      if (['credentials', 'headers', 'access_token'].includes(lk) || /secret|password|apikey|api_key|authtoken|auth_token/.test(lk)) bad.push(path + '.' + k);
      visit(x, path + '.' + k);
    }
  };
  for (const c of b.data) visit(c.raw, c.id);
  assert.deepEqual(bad, []);
  // the rest of the record is still there
  assert.ok(b.data.every((c) => typeof c.raw.id === 'string' && typeof c.raw.createdAt === 'string'));
});
