// bland: index offsets (from inclusive, to exclusive, limit), total_count,
// ascending=true/false on created_at, offsets that shift under inserts
// newest first, the filters, 400s, and the raw-key 401.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startSim } from './helpers.mjs';

let sim;
let ds;
before(async () => {
  sim = await startSim(['--seed', '11', '--size', '90', '--provider', 'bland=bland', '--provider', 'bl2=bland', '--size', 'bl2=40']);
  ds = await sim.dataset('bland');
});
after(async () => {
  assert.equal(await sim.stop(), 0);
});

const ids = (b) => b.calls.map((c) => c.call_id);
const dsIds = (pred = () => true) => ds.filter((r) => pred(r.native)).map((r) => r.native.call_id);
const list = async (name, params) => {
  const r = await sim.list(name, params);
  assert.equal(r.status, 200, r.text);
  return r.json();
};

// from += limit until total_count is reached or a page comes back empty
async function walk(name, params, limit) {
  const out = [];
  let total;
  for (let from = 0; from < 100000; from += limit) {
    const b = await list(name, { ...params, from, to: from + limit, limit });
    total = b.total_count;
    assert.equal(b.count, b.calls.length);
    out.push(...ids(b));
    if (b.calls.length === 0 || from + b.calls.length >= b.total_count) break;
  }
  return { out, total };
}

test('offset walks: newest first by default, ascending=true the reverse, every call once', async () => {
  const d = await walk('bland', {}, 7);
  assert.deepEqual(d.out, dsIds());
  assert.equal(d.total, 90);
  const a = await walk('bland', { ascending: 'true' }, 13);
  assert.deepEqual(a.out, dsIds().reverse());
  const f = await walk('bland', { ascending: 'false' }, 90);
  assert.deepEqual(f.out, dsIds());
  // created_at order, to the microsecond
  const t = ds.map((r) => r.native.created_at);
  for (let i = 1; i < t.length; i++) assert.ok(Date.parse(t[i - 1]) >= Date.parse(t[i]), t[i - 1] + ' ' + t[i]);
});

test('from is inclusive, to exclusive, limit caps the range; the default limit is 1000', async () => {
  // the documentation's own example, scaled: from=150&to=200 returns 50 results
  assert.deepEqual(ids(await list('bland', { from: 10, to: 15 })), dsIds().slice(10, 15));
  assert.deepEqual(ids(await list('bland', { from: 10, to: 60, limit: 4 })), dsIds().slice(10, 14));
  assert.deepEqual(ids(await list('bland', { from: 85 })), dsIds().slice(85));
  const all = await list('bland', {});
  assert.equal(all.calls.length, 90);
  const past = await list('bland', { from: 500, limit: 10 });
  assert.deepEqual(past, { total_count: 90, count: 0, calls: [] });
  assert.equal((await list('bland', { from: 3, to: 3 })).calls.length, 0);
});

test('inserts: newest-first offsets shift by the inserted count, ascending ones stay', async () => {
  const d1 = ids(await list('bl2', { from: 10, to: 20 }));
  const a1 = ids(await list('bl2', { from: 10, to: 20, ascending: 'true' }));
  const ins = await sim.control('POST', '/bl2/insert', { count: 3 });
  const newIds = ins.records.map((r) => r.native.call_id);
  const head = ids(await list('bl2', { from: 0, to: 3 }));
  assert.deepEqual(new Set(head), new Set(newIds));
  const d2 = ids(await list('bl2', { from: 13, to: 23 }));
  assert.deepEqual(d2, d1);
  assert.deepEqual(ids(await list('bl2', { from: 10, to: 20, ascending: 'true' })), a1);
  const tail = await list('bl2', { from: 40, ascending: 'true' });
  assert.deepEqual(new Set(ids(tail)), new Set(newIds));
  assert.equal(tail.total_count, 43);
  // inserted calls are created now, with microseconds
  const t = Date.parse(ins.records[0].native.created_at);
  assert.ok(Math.abs(Date.now() - t) < 5000);
  assert.match(ins.records[0].native.created_at, /\+00:00$/);
});

test('a newest-first walk with inserts between pages repeats calls but skips none', async () => {
  const before = (await sim.dataset('bl2')).map((r) => r.native.call_id);
  const seen = [];
  for (let from = 0, k = 0; from < 1000; from += 6, k++) {
    const b = await list('bl2', { from, to: from + 6 });
    seen.push(...ids(b));
    if (b.calls.length === 0 || from + b.calls.length >= b.total_count) break;
    if (k % 2 === 0) await sim.control('POST', '/bl2/insert', { count: 2 });
  }
  const got = new Set(seen);
  for (const id of before) assert.ok(got.has(id), 'gap at ' + id);
  assert.ok(seen.length > got.size, 'offsets shifted: some calls came twice');
  await sim.control('POST', '/reset');
});

test('filters: completed, inbound, numbers, batch, campaign, answered_by', async () => {
  const f = async (params, pred) => assert.deepEqual((await walk('bland', params, 1000)).out, dsIds(pred), JSON.stringify(params));
  await f({ completed: 'true' }, (x) => x.completed === true);
  await f({ completed: 'false' }, (x) => x.completed === false);
  await f({ inbound: 'true' }, (x) => x.inbound === true);
  await f({ inbound: 'false' }, (x) => x.inbound === false);
  const x0 = ds.find((r) => r.native.batch_id !== null).native;
  await f({ batch_id: x0.batch_id }, (x) => x.batch_id === x0.batch_id);
  const c0 = ds.find((r) => r.native.campaign_id !== null).native;
  await f({ campaign_id: c0.campaign_id }, (x) => x.campaign_id === c0.campaign_id);
  await f({ from_number: ds[4].native.from }, (x) => x.from === ds[4].native.from);
  await f({ to_number: ds[4].native.to }, (x) => x.to === ds[4].native.to);
  await f({ answered_by: 'voicemail' }, (x) => x.answered_by === 'voicemail');
  const b = await list('bland', { completed: 'true', limit: 5 });
  assert.equal(b.total_count, dsIds((x) => x.completed === true).length);
  assert.equal(b.count, 5);
});

test('duration_gt / duration_lt: minutes, strict', async () => {
  const lens = ds.map((r) => r.native.call_length).filter((v) => v > 0).sort((a, b) => a - b);
  const mid = lens[Math.floor(lens.length / 2)];
  const gt = (await walk('bland', { duration_gt: String(mid) }, 1000)).out;
  assert.deepEqual(gt, dsIds((x) => x.call_length !== null && x.call_length > mid));
  assert.ok(!gt.includes(ds.find((r) => r.native.call_length === mid).native.call_id), 'strictly greater');
  const lt = (await walk('bland', { duration_lt: '0.5' }, 1000)).out;
  assert.deepEqual(lt, dsIds((x) => x.call_length !== null && x.call_length < 0.5));
  assert.ok(lt.length > 0);
});

test('start_date / end_date: whole UTC days on created_at, both inclusive; created_at one day', async () => {
  const day = (r) => r.native.created_at.slice(0, 10);
  const d1 = day(ds[60]);
  const d2 = day(ds[20]);
  const w = await walk('bland', { start_date: d1, end_date: d2 }, 9);
  assert.deepEqual(w.out, dsIds((x) => x.created_at.slice(0, 10) >= d1 && x.created_at.slice(0, 10) <= d2));
  assert.equal(w.total, w.out.length);
  const one = await walk('bland', { start_date: d1, end_date: d1 }, 50);
  assert.ok(one.out.length >= 1);
  assert.deepEqual(one.out, dsIds((x) => x.created_at.startsWith(d1)));
  assert.deepEqual((await walk('bland', { created_at: d1 }, 50)).out, one.out);
  assert.deepEqual((await walk('bland', { start_date: d1, ascending: 'true' }, 50)).out, dsIds((x) => x.created_at.slice(0, 10) >= d1).reverse());
  assert.deepEqual((await walk('bland', { end_date: d2 }, 50)).out, dsIds((x) => x.created_at.slice(0, 10) <= d2));
});

test('400 on bad parameters, in the errors shape', async () => {
  for (const [params, code] of [
    [{ limit: 0 }, 'INVALID_LIMIT'],
    [{ limit: 1001 }, 'INVALID_LIMIT'],
    [{ limit: 'x' }, 'INVALID_LIMIT'],
    [{ from: -1 }, 'INVALID_FROM'],
    [{ from: 5, to: 2 }, 'INVALID_RANGE'],
    [{ ascending: 'yes' }, 'INVALID_ASCENDING'],
    [{ sort_by: 'call_length' }, 'INVALID_SORT_BY'],
    [{ completed: '1' }, 'INVALID_COMPLETED'],
    [{ duration_gt: 'abc' }, 'INVALID_DURATION_GT'],
    [{ start_date: '2026-01-05T00:00:00Z' }, 'INVALID_DATE'],
    [{ end_date: '2026-13-01' }, 'INVALID_DATE'],
    [{ created_at: '2026-01-05', start_date: '2026-01-01' }, 'INVALID_DATE'],
  ]) {
    const r = await sim.list('bland', params);
    assert.equal(r.status, 400, JSON.stringify(params));
    const b = r.json();
    assert.equal(b.data, null);
    assert.equal(b.errors[0].error, code, JSON.stringify(params));
  }
});

test('auth: the raw key in authorization; a Bearer prefix is refused', async () => {
  assert.deepEqual(sim.providers.bland.auth, { authorization: 'sim-bland-key' });
  for (const headers of [{}, { authorization: 'Bearer sim-bland-key' }, { authorization: 'sim-bl2-key' }]) {
    const r = await sim.list('bland', {}, { noAuth: true, headers });
    assert.equal(r.status, 401);
    assert.deepEqual(r.json().errors.map((e) => e.error), ['AUTH_FAILURE']);
  }
  const ok = await sim.list('bland', { limit: 1 }, { noAuth: true, headers: { Authorization: 'sim-bland-key' } });
  assert.equal(ok.status, 200);
});
