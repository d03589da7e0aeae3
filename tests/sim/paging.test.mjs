// Full paging walks, filters, page-size validation and 401 shapes.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startSim, nativeId, recordsOf } from './helpers.mjs';

let sim;
const ds = {};
before(async () => {
  sim = await startSim(['--seed', '7', '--size', '120']);
  for (const k of ['verbex', 'voicy', 'talkover', 'osvi', 'zudu']) ds[k] = await sim.dataset(k);
});
after(async () => {
  assert.equal(await sim.stop(), 0);
});

const ids = (kind, recs) => recs.map((r) => nativeId(kind, r));
const dsIds = (kind, pred = () => true) => ds[kind].filter(pred).map((r) => nativeId(kind, r.native));
const cmp = (a, b) => (a < b ? -1 : a > b ? 1 : 0);

async function walkVerbex(params) {
  const out = [];
  let token;
  let total;
  for (let guard = 0; guard < 1000; guard++) {
    const r = await sim.list('verbex', { ...params, page_token: token });
    assert.equal(r.status, 200, r.text);
    const b = r.json();
    total = b.total_count;
    out.push(...b.calls);
    if (b.next_page_token === null) break;
    assert.ok(b.calls.length > 0);
    token = b.next_page_token;
  }
  return { out, total };
}

async function walkVoicy(body) {
  const out = [];
  let key;
  let total;
  const limit = body.limit ?? 50;
  for (let guard = 0; guard < 1000; guard++) {
    const r = await sim.list('voicy', { ...body, pagination_key: key });
    assert.equal(r.status, 200, r.text);
    const b = r.json();
    total = b.total_count;
    out.push(...b.calls);
    if (b.calls.length < limit) break;
    key = b.calls[b.calls.length - 1].call_id;
  }
  return { out, total };
}

async function walkPages(kind, params, first = 1) {
  const out = [];
  let meta;
  for (let page = first; page < first + 1000; page++) {
    const r = await sim.list(kind, kind === 'zudu' ? { ...params, page } : { ...params, page });
    assert.equal(r.status, 200, r.text);
    const b = r.json();
    out.push(...recordsOf(kind, b));
    meta = kind === 'talkover' ? b.pagination : kind === 'osvi' ? b.meta : b.data.pagination;
    if (kind === 'talkover' && meta.current_page >= meta.last_page) break;
    if (kind === 'osvi' && meta.current_page >= meta.total_pages) break;
    if (kind === 'zudu' && !meta.has_next_page) break;
  }
  return { out, meta };
}

test('verbex: desc and asc token walks return every record once, in order', async () => {
  const desc = await walkVerbex({ page_size: 7 });
  assert.deepEqual(ids('verbex', desc.out), dsIds('verbex'));
  assert.equal(desc.total, 120);
  const asc = await walkVerbex({ page_size: 11, sort_direction: 'asc' });
  assert.deepEqual(ids('verbex', asc.out), dsIds('verbex').reverse());
  // null start times sort as the earliest instant: last in desc
  const starts = desc.out.map((c) => c.call_start_time);
  const firstNull = starts.indexOf(null);
  assert.ok(firstNull > 0);
  assert.ok(starts.slice(firstNull).every((s) => s === null));
  // a page size equal to the total returns a null token at once
  const one = await sim.list('verbex', { page_size: 120 });
  assert.equal(one.json().next_page_token, null);
  assert.equal(one.json().calls.length, 120);
});

test('verbex: filters', async () => {
  const agents = sim.providers.verbex.agents.map((a) => a.id);
  const pick = [agents[0], agents[2]];
  const r = await walkVerbex({ page_size: 1000, ai_agent_ids: pick });
  assert.deepEqual(ids('verbex', r.out), dsIds('verbex', (x) => pick.includes(x.native.ai_agent_id)));
  // start_time_after inclusive, start_time_before exclusive
  const rec = ds.verbex.find((x) => x.native.call_start_time && x.native.call_start_time.includes('.'));
  const T = rec.native.call_start_time;
  const tm = Date.parse(T);
  const after = await walkVerbex({ page_size: 1000, start_time_after: T });
  assert.ok(ids('verbex', after.out).includes(rec.native._id));
  assert.deepEqual(ids('verbex', after.out), dsIds('verbex', (x) => x.native.call_start_time && Date.parse(x.native.call_start_time) >= tm));
  const before = await walkVerbex({ page_size: 1000, start_time_before: T });
  assert.ok(!ids('verbex', before.out).includes(rec.native._id));
  assert.equal(before.total + after.total, ds.verbex.filter((x) => x.native.call_start_time).length);
  // both bounds with small pages, both orders
  const inWin = (x) => x.native.call_start_time && Date.parse(x.native.call_start_time) >= Date.parse('2026-02-01T00:00:00Z') && Date.parse(x.native.call_start_time) < Date.parse('2026-04-01T00:00:00Z');
  const win = { start_time_after: '2026-02-01T00:00:00Z', start_time_before: '2026-04-01T00:00:00.000Z', ai_agent_ids: agents };
  const wd = await walkVerbex({ ...win, page_size: 3 });
  assert.deepEqual(ids('verbex', wd.out), dsIds('verbex', inWin));
  assert.equal(wd.total, wd.out.length);
  const wa = await walkVerbex({ ...win, page_size: 4, sort_direction: 'asc' });
  assert.deepEqual(ids('verbex', wa.out), dsIds('verbex', inWin).reverse());
  // end_time_after with an offset
  const endAfter = await walkVerbex({ page_size: 1000, end_time_after: '2026-04-01T05:30:00+05:30' });
  assert.deepEqual(ids('verbex', endAfter.out), dsIds('verbex', (x) => x.native.call_end_time && Date.parse(x.native.call_end_time) >= Date.parse('2026-04-01T00:00:00Z')));
  // batch_call_id
  const batched = ds.verbex.find((x) => x.native.metadata && x.native.metadata.batch_call_id);
  const b = batched.native.metadata.batch_call_id;
  const rb = await walkVerbex({ page_size: 5, batch_call_id: b });
  assert.deepEqual(ids('verbex', rb.out), dsIds('verbex', (x) => x.native.metadata?.batch_call_id === b));
});

test('verbex: page_size / sort_direction / datetime violations are 422 FastAPI errors', async () => {
  for (const [params, type] of [
    [{ page_size: 0 }, 'greater_than_equal'],
    [{ page_size: 1001 }, 'less_than_equal'],
    [{ page_size: 'ten' }, 'int_parsing'],
    [{ page_size: '2.5' }, 'int_parsing'],
    [{ sort_direction: 'up' }, 'string_pattern_mismatch'],
    [{ start_time_after: 'yesterday' }, 'datetime_from_date_parsing'],
  ]) {
    const r = await sim.list('verbex', params);
    assert.equal(r.status, 422, JSON.stringify(params));
    const d = r.json().detail;
    assert.ok(Array.isArray(d) && d.length === 1);
    assert.equal(d[0].type, type);
    assert.equal(d[0].loc[0], 'query');
    assert.equal(d[0].loc[1], Object.keys(params)[0]);
    assert.equal(typeof d[0].msg, 'string');
  }
  const bad = await sim.list('verbex', { page_token: '!!notatoken' });
  assert.equal(bad.status, 400);
  assert.deepEqual(Object.keys(bad.json()), ['error', 'message']);
  // missing trailing slash: FastAPI-style 307
  const r = await sim.request('GET', '/verbex/v1/calls?page_size=2', { headers: sim.providers.verbex.auth });
  assert.equal(r.status, 307);
  assert.equal(r.headers.location, '/verbex/v1/calls/?page_size=2');
});

test('voicy: keyset walks (both orders, with and without test calls)', async () => {
  const d = await walkVoicy({ limit: 9 });
  assert.deepEqual(ids('voicy', d.out), dsIds('voicy', (x) => !x.native.is_test_call));
  assert.equal(d.total, ds.voicy.filter((x) => !x.native.is_test_call).length);
  const all = await walkVoicy({ limit: 10, filter_criteria: { include_test_calls: true } });
  assert.deepEqual(ids('voicy', all.out), dsIds('voicy'));
  const asc = await walkVoicy({ limit: 13, sort_order: 'ascending', filter_criteria: { include_test_calls: true } });
  assert.deepEqual(ids('voicy', asc.out), dsIds('voicy').reverse());
  const r = await sim.list('voicy', { pagination_key: '00000000-0000-4000-8000-000000000000' });
  assert.equal(r.status, 400);
  assert.deepEqual(Object.keys(r.json()), ['status', 'message']);
  assert.equal(r.json().status, 'error');
});

test('voicy: filters (status, direction, agent, inclusive thresholds)', async () => {
  const inc = { include_test_calls: true };
  const st = await walkVoicy({ limit: 1000, filter_criteria: { ...inc, call_status: ['user_hangup', 'busy'] } });
  assert.deepEqual(ids('voicy', st.out), dsIds('voicy', (x) => ['user_hangup', 'busy'].includes(x.native.call_status)));
  const dir = await walkVoicy({ limit: 1000, filter_criteria: { ...inc, direction: ['outgoing'] } });
  assert.deepEqual(ids('voicy', dir.out), dsIds('voicy', (x) => x.native.direction === 'outgoing'));
  // agent filter: the record carries no agent id; compare with the agent name
  const a = sim.providers.voicy.agents[1];
  const ag = await walkVoicy({ limit: 1000, filter_criteria: { ...inc, agent_id: [a.id] } });
  assert.ok(ag.out.length > 0);
  assert.deepEqual(ids('voicy', ag.out), dsIds('voicy', (x) => x.native.agent.name === a.name));
  assert.ok(ag.out.every((c) => !('agent_id' in c) && !('id' in c.agent)));
  const T = ds.voicy[20].native.start_timestamp;
  const eq = await walkVoicy({ limit: 1000, filter_criteria: { ...inc, start_timestamp: { lower_threshold: T, upper_threshold: T } } });
  assert.deepEqual(ids('voicy', eq.out), dsIds('voicy', (x) => x.native.start_timestamp === T));
  assert.ok(eq.out.length >= 1);
  const L = ds.voicy[80].native.start_timestamp;
  const H = ds.voicy[10].native.start_timestamp;
  for (const sort_order of ['ascending', 'descending']) {
    const w = await walkVoicy({ limit: 4, sort_order, filter_criteria: { start_timestamp: { lower_threshold: L, upper_threshold: H } } });
    const exp = dsIds('voicy', (x) => !x.native.is_test_call && x.native.start_timestamp >= L && x.native.start_timestamp <= H);
    assert.deepEqual(ids('voicy', w.out), sort_order === 'ascending' ? exp.reverse() : exp);
    assert.equal(w.total, exp.length);
  }
  for (const body of [{ limit: 0 }, { limit: 1001 }, { limit: '5' }, { sort_order: 'newest' }, { filter_criteria: { call_status: 'ended' } }, { filter_criteria: { call_status: ['ended'] } }]) {
    const r = await sim.list('voicy', body);
    assert.equal(r.status, 400, JSON.stringify(body));
    assert.equal(r.json().status, 'error');
  }
  const r = await sim.request('POST', sim.providers.voicy.path, { headers: sim.providers.voicy.auth, rawBody: '{not json' });
  assert.equal(r.status, 400);
});

test('talkover: page walk newest first; filters; 422 validation', async () => {
  const w = await walkPages('talkover', { per_page: 8 });
  assert.deepEqual(ids('talkover', w.out), dsIds('talkover'));
  assert.equal(w.meta.total, 120);
  assert.equal(w.meta.last_page, 15);
  const past = (await sim.list('talkover', { per_page: 8, page: 99 })).json();
  assert.deepEqual(past.data, []);
  assert.deepEqual(past.pagination, { current_page: 99, last_page: 15, per_page: 8, total: 120, from: null, to: null });
  const f = await walkPages('talkover', { per_page: 100, status: 'no-answer', direction: 'outbound' });
  assert.deepEqual(ids('talkover', f.out), dsIds('talkover', (x) => x.native.status === 'no-answer' && x.native.direction === 'outbound'));
  const day = ds.talkover[30].native.created_at.slice(0, 10);
  const dd = await walkPages('talkover', { per_page: 100, date_from: day, date_to: day });
  assert.ok(dd.out.length >= 1);
  assert.deepEqual(ids('talkover', dd.out), dsIds('talkover', (x) => x.native.created_at.startsWith(day)));
  const d1 = ds.talkover[90].native.created_at.slice(0, 10);
  const d2 = ds.talkover[20].native.created_at.slice(0, 10);
  const dw = await walkPages('talkover', { per_page: 6, date_from: d1, date_to: d2 });
  assert.deepEqual(ids('talkover', dw.out), dsIds('talkover', (x) => x.native.created_at.slice(0, 10) >= d1 && x.native.created_at.slice(0, 10) <= d2));
  assert.equal(dw.meta.total, dw.out.length);
  const sidPart = ds.talkover[5].native.sid.slice(4, 14).toUpperCase();
  const s = await walkPages('talkover', { search: sidPart });
  assert.deepEqual(ids('talkover', s.out), [ds.talkover[5].native.id]);
  const num = ds.talkover[6].native.to.slice(2, 9);
  const sn = await walkPages('talkover', { search: num, per_page: 100 });
  assert.deepEqual(ids('talkover', sn.out), dsIds('talkover', (x) => x.native.to.includes(num) || x.native.from.includes(num)));
  // an unencoded '+' arrives as a space, which is trimmed
  const raw = await sim.request('GET', sim.providers.talkover.path + '?per_page=100&search=+1' + num, { headers: sim.providers.talkover.auth });
  assert.deepEqual(ids('talkover', raw.json().data), dsIds('talkover', (x) => x.native.to.includes('1' + num) || x.native.from.includes('1' + num)));
  const ag = sim.providers.talkover.agents[0].id;
  const sa = await walkPages('talkover', { agent_id: ag, per_page: 100 });
  assert.deepEqual(ids('talkover', sa.out), dsIds('talkover', (x) => x.native.agent.id === ag));
  for (const [params, field] of [
    [{ per_page: 101 }, 'per_page'],
    [{ per_page: 0 }, 'per_page'],
    [{ per_page: 'x' }, 'per_page'],
    [{ page: 0 }, 'page'],
    [{ status: 'completed,failed' }, 'status'],
    [{ status: ['completed', 'failed'] }, 'status'],
    [{ direction: 'sideways' }, 'direction'],
    [{ date_from: '2026-1-5' }, 'date_from'],
    [{ date_from: '2026-01-05T00:00:00Z' }, 'date_from'],
  ]) {
    const r = await sim.list('talkover', params);
    assert.equal(r.status, 422, JSON.stringify(params));
    const b = r.json();
    assert.equal(b.success, false);
    assert.equal(b.message, 'The given data was invalid.');
    assert.ok(Array.isArray(b.errors[field]), JSON.stringify(b));
  }
});

test('osvi: page walk newest first; filters; per_page silently capped', async () => {
  const w = await walkPages('osvi', { per_page: 13 });
  assert.deepEqual(ids('osvi', w.out), dsIds('osvi'));
  assert.equal(w.meta.total_count, 120);
  const cap = (await sim.list('osvi', { per_page: 500 })).json();
  assert.equal(cap.meta.per_page, 100);
  assert.equal(cap.data.length, 100);
  assert.equal(cap.meta.total_pages, 2);
  const st = await walkPages('osvi', { per_page: 100, status: 'not_picked,busy' });
  assert.deepEqual(ids('osvi', st.out), dsIds('osvi', (x) => ['not_picked', 'busy'].includes(x.native.status)));
  const nf = await sim.list('osvi', { agent_uuid: 'agent_doesnotexist' });
  assert.equal(nf.status, 404);
  assert.deepEqual(nf.json(), { success: false, error: 'agent_not_found', details: null });
  const a = sim.providers.osvi.agents[1].id;
  const ag = await walkPages('osvi', { per_page: 100, agent_uuid: a, call_type: 'outbound' });
  assert.deepEqual(ids('osvi', ag.out), dsIds('osvi', (x) => x.native.agent_uuid === a && x.native.call_type === 'outbound'));
  const ph = ds.osvi[3].native.phone_number.slice(5, 10);
  const p = await walkPages('osvi', { per_page: 100, phone_number: ph });
  assert.deepEqual(ids('osvi', p.out), dsIds('osvi', (x) => x.native.phone_number.includes(ph)));
  const camp = await walkPages('osvi', { per_page: 100, campaign_id: 7 });
  assert.deepEqual(ids('osvi', camp.out), dsIds('osvi', (x) => x.native.campaign_id === 7));
  // date bounds are inclusive on call_picked_at; bare dates are IST days
  const picked = ds.osvi.find((x) => x.native.call_picked_at).native.call_picked_at; // ...+05:30
  const pd = picked.slice(0, 10);
  const dr = await walkPages('osvi', { per_page: 100, start_date: pd, end_date: pd });
  assert.deepEqual(ids('osvi', dr.out), dsIds('osvi', (x) => x.native.call_picked_at?.startsWith(pd)));
  const exact = await walkPages('osvi', { per_page: 100, start_date: picked, end_date: picked });
  assert.deepEqual(ids('osvi', exact.out), dsIds('osvi', (x) => x.native.call_picked_at === picked));
  const ex2 = await walkPages('osvi', { per_page: 100, start_date: picked.slice(0, 19), end_date: picked.slice(0, 19) });
  assert.deepEqual(ids('osvi', ex2.out), dsIds('osvi', (x) => x.native.call_picked_at === picked));
  for (const params of [{ per_page: 0 }, { per_page: 'abc' }, { page: 0 }, { status: 'picked,bogus' }, { start_date: '12/06/2026' }]) {
    const r = await sim.list('osvi', params);
    assert.equal(r.status, 422, JSON.stringify(params));
    assert.equal(r.json().success, false);
    assert.ok(Array.isArray(r.json().errors));
  }
});

test('zudu: page walks for every sort field and order; filters; 400 on bad limit', async () => {
  const w = await walkPages('zudu', { limit: 9 }, 0);
  assert.deepEqual(ids('zudu', w.out), dsIds('zudu'));
  assert.equal(w.meta.total_count, 120);
  const nat = ds.zudu.map((x) => x.native);
  for (const sortBy of ['start_timestamp', 'end_timestamp', 'call_duration', 'call_id', 'created_at']) {
    for (const order of ['ascending', 'descending']) {
      const r = await walkPages('zudu', { limit: 17, sort_by: sortBy, sort_order: order }, 0);
      const sign = order === 'ascending' ? 1 : -1;
      const exp = nat
        .slice()
        .sort((a, b) => {
          if (sortBy === 'call_id') return sign * cmp(a.call_id, b.call_id);
          // not-yet-started calls sort on start_timestamp by created_at
          const v = (c) => (sortBy === 'start_timestamp' ? c.start_timestamp ?? c.created_at : c[sortBy]);
          const x = v(a) ?? -Infinity;
          const y = v(b) ?? -Infinity;
          return x !== y ? sign * (x < y ? -1 : 1) : cmp(a.call_id, b.call_id);
        })
        .map((x) => x.call_id);
      assert.deepEqual(ids('zudu', r.out), exp, sortBy + ' ' + order);
    }
  }
  const agents = sim.providers.zudu.agents.map((a) => a.id);
  const s1 = await walkPages('zudu', { limit: 100, filter_criteria: { call_status: ['ended', 'Ongoing'], agent_id: agents[0] } }, 0);
  assert.deepEqual(ids('zudu', s1.out), dsIds('zudu', (x) => ['ENDED', 'ONGOING'].includes(x.native.call_status) && x.native.agent_id === agents[0]));
  const s2 = await walkPages('zudu', { limit: 100, filter_criteria: { agent_id: [agents[1], agents[2]], call_type: ['web_call'] } }, 0);
  assert.deepEqual(ids('zudu', s2.out), dsIds('zudu', (x) => [agents[1], agents[2]].includes(x.native.agent_id) && x.native.call_type === 'WEB_CALL'));
  const D = nat.find((x) => x.call_duration > 60000).call_duration;
  const s3 = await sim.list('zudu', { limit: 100, filter_criteria: { duration_ms: { lower_threshold: D, upper_threshold: D } } });
  const b3 = s3.json();
  assert.deepEqual(ids('zudu', b3.data.calls), dsIds('zudu', (x) => x.native.call_duration === D));
  assert.deepEqual(b3.data.applied_filters, { duration_ms: { lower_threshold: D, upper_threshold: D } });
  const s4 = await walkPages('zudu', { limit: 100, filter_criteria: { transcript_search: 'REFUND' } }, 0);
  assert.ok(s4.out.length > 0);
  assert.deepEqual(ids('zudu', s4.out), dsIds('zudu', (x) => (x.native.transcript || '').toLowerCase().includes('refund')));
  for (const body of [{ limit: 0 }, { limit: 101 }, { limit: 2.5 }, { page: -1 }, { sort_by: 'duration' }, { sort_order: 'desc' }, { filter_criteria: { call_status: ['done'] } }]) {
    const r = await sim.list('zudu', body);
    assert.equal(r.status, 400, JSON.stringify(body));
    const e = r.json();
    assert.equal(e.status, 'error');
    assert.equal(typeof e.message, 'string');
    assert.equal(typeof e.error, 'string');
  }
  const past = (await sim.list('zudu', { page: 50, limit: 10 })).json().data;
  assert.deepEqual(past.calls, []);
  assert.equal(past.pagination.has_next_page, false);
  assert.equal(past.pagination.has_previous_page, true);
});

test('401 in each provider shape', async () => {
  const shapes = {
    verbex: (b) => typeof b.error === 'string' && typeof b.message === 'string',
    voicy: (b) => b.status === 'error' && typeof b.message === 'string',
    talkover: (b) => b.success === false && b.message === 'Unauthorized',
    osvi: (b) => b.success === false && b.error === 'Invalid API token',
    zudu: (b) => b.status === 'error' && typeof b.message === 'string' && typeof b.error === 'string',
    bland: (b) => b.data === null && b.errors[0].error === 'AUTH_FAILURE',
    retell: (b) => b.status === 'error' && b.message === 'API key is missing or invalid.',
  };
  for (const kind of Object.keys(shapes)) {
    const none = await sim.list(kind, {}, { noAuth: true });
    assert.equal(none.status, 401, kind);
    assert.ok(shapes[kind](none.json()), kind + ' ' + none.text);
    const wrongHeaders = kind === 'osvi' ? { 'API-Token': 'nope' } : kind === 'zudu' ? { 'X-API-KEY': 'sim-zudu-key', 'X-API-SECRET': 'wrong' } : kind === 'bland' ? { authorization: 'Bearer sim-bland-key' } : { Authorization: 'Bearer sim-other-key' };
    const wrong = await sim.list(kind, {}, { noAuth: true, headers: wrongHeaders });
    assert.equal(wrong.status, 401, kind);
  }
});
