// The simulated ElevenLabs conversations list: cursor walks, the stale
// cursor on the last page, exclusive second-granular bounds, filters,
// validation and auth, inserts under a walk, and the repeat fault.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startSim } from './helpers.mjs';

let sim;
let ds;
before(async () => {
  sim = await startSim(['--provider', 'el=elevenlabs', '--seed', '7', '--size', '230']);
  ds = await sim.dataset('el');
});
after(async () => {
  assert.equal(await sim.stop(), 0);
});

const list = (params) => sim.list('el', params);
// newest first by start second, ties by conversation_id descending
const dsIds = (pred = () => true) => ds.filter((r) => pred(r.native)).map((r) => r.native.conversation_id);

async function walk(params, max = 100) {
  const out = [];
  const cursors = [];
  let cursor;
  for (let i = 0; i < max; i++) {
    const r = await list({ ...params, cursor });
    assert.equal(r.status, 200, r.text);
    const b = r.json();
    out.push(...b.conversations.map((c) => c.conversation_id));
    cursors.push(b.next_cursor);
    if (!b.has_more) return { out, cursors, last: b };
    cursor = b.next_cursor;
  }
  throw new Error('walk did not end');
}

test('the default order is newest first by start second, ties by id descending', () => {
  for (let i = 1; i < ds.length; i++) {
    const a = ds[i - 1].native;
    const b = ds[i].native;
    assert.ok(a.start_time_unix_secs > b.start_time_unix_secs ||
      (a.start_time_unix_secs === b.start_time_unix_secs && a.conversation_id > b.conversation_id), i);
  }
  const secs = ds.map((r) => r.native.start_time_unix_secs);
  assert.ok(new Set(secs).size < secs.length, 'ties within a second');
});

test('a cursor walk returns every conversation once; has_more=false ends it, with a stale cursor', async () => {
  const w = await walk({ page_size: 100 });
  assert.deepEqual(w.out, dsIds());
  assert.equal(w.cursors.length, 3);
  // the last page still carries a cursor: only has_more says it is the end
  assert.equal(typeof w.last.next_cursor, 'string');
  const again = (await list({ page_size: 100, cursor: w.last.next_cursor })).json();
  assert.deepEqual(again, { conversations: [], next_cursor: w.last.next_cursor, has_more: false });
});

test('page_size: default 30, at most 100; violations are FastAPI 422 lists', async () => {
  assert.equal((await list({})).json().conversations.length, 30);
  assert.equal((await list({ page_size: 100 })).json().conversations.length, 100);
  for (const v of ['0', '101', 'x', '1.5']) {
    const r = await list({ page_size: v });
    assert.equal(r.status, 422, v);
    const d = r.json().detail;
    assert.ok(Array.isArray(d) && d[0].loc.join('.') === 'query.page_size', r.text);
  }
  for (const k of ['call_start_after_unix', 'call_start_before_unix', 'call_duration_min_secs']) {
    assert.equal((await list({ [k]: 'soon' })).status, 422, k);
  }
  assert.equal((await list({ exclude_statuses: 'ended' })).status, 422);
  assert.equal((await list({ cursor: 'not a cursor!' })).status, 400);
});

test('start bounds are whole seconds and exclusive on both sides', async () => {
  const mid = ds[60].native.start_time_unix_secs;
  const lo = ds[120].native.start_time_unix_secs;
  const w = await walk({ page_size: 100, call_start_after_unix: lo, call_start_before_unix: mid });
  assert.deepEqual(w.out, dsIds((x) => x.start_time_unix_secs > lo && x.start_time_unix_secs < mid));
  assert.ok(!w.out.includes(ds[60].native.conversation_id));
  assert.ok(!w.out.includes(ds[120].native.conversation_id));
  // one second wider on each side takes both edges in
  const w2 = await walk({ page_size: 100, call_start_after_unix: lo - 1, call_start_before_unix: mid + 1 });
  assert.ok(w2.out.includes(ds[60].native.conversation_id) && w2.out.includes(ds[120].native.conversation_id));
});

test('filters: agent_id, exclude_statuses (repeated), durations (exclusive), initiation source', async () => {
  const agent = ds[3].native.agent_id;
  assert.deepEqual((await walk({ page_size: 100, agent_id: agent })).out, dsIds((x) => x.agent_id === agent));
  const ex = ['done', 'initiated'];
  assert.deepEqual((await walk({ page_size: 100, exclude_statuses: ex })).out, dsIds((x) => !ex.includes(x.status)));
  assert.deepEqual((await walk({ page_size: 100, call_duration_min_secs: 100, call_duration_max_secs: 400 })).out,
    dsIds((x) => x.call_duration_secs > 100 && x.call_duration_secs < 400));
  assert.deepEqual((await walk({ page_size: 100, conversation_initiation_source: 'twilio' })).out,
    dsIds((x) => x.conversation_initiation_source === 'twilio'));
  // parameters the API does not know are ignored, as FastAPI does
  assert.deepEqual((await walk({ page_size: 100, direction: 'inbound' })).out, dsIds());
});

test('401 without or with a wrong xi-api-key, in the provider shape', async () => {
  const none = await sim.list('el', {}, { noAuth: true });
  assert.equal(none.status, 401);
  assert.equal(none.json().detail.status, 'needs_authorization');
  const bad = await sim.list('el', {}, { noAuth: true, headers: { 'xi-api-key': 'wrong' } });
  assert.equal(bad.status, 401);
  assert.deepEqual(bad.json(), { detail: { status: 'invalid_api_key', message: 'Invalid API key' } });
  const bearer = await sim.list('el', {}, { noAuth: true, headers: { Authorization: 'Bearer sim-el-key' } });
  assert.equal(bearer.status, 401);
});

test('inserts land at the head; a cursor keeps its place', async () => {
  const p1 = (await list({ page_size: 20 })).json();
  const p2 = (await list({ page_size: 20, cursor: p1.next_cursor })).json();
  const ins = (await sim.control('POST', '/el/insert', { count: 3 })).records;
  assert.equal(ins.length, 3);
  const p2b = (await list({ page_size: 20, cursor: p1.next_cursor })).json();
  assert.deepEqual(p2b.conversations.map((c) => c.conversation_id), p2.conversations.map((c) => c.conversation_id));
  const head = (await list({ page_size: 3 })).json();
  assert.deepEqual(head.conversations.map((c) => c.conversation_id).sort(), ins.map((r) => r.native.conversation_id).sort());
  for (const r of ins) assert.equal(r.native.start_time_unix_secs * 1000, Date.parse(r.expected.started_at));
  await sim.control('POST', '/reset');
});

test('repeat fault: the page again, with the cursor the client just sent', async () => {
  const p1 = (await list({ page_size: 5 })).json();
  await sim.control('POST', '/el/fault', { mode: 'repeat' });
  const p2 = (await list({ page_size: 5, cursor: p1.next_cursor })).json();
  assert.equal(p2.next_cursor, p1.next_cursor);
  assert.equal(p2.has_more, true);
});

test('quirk first_page_default: the first page ignores page_size, later pages do not', async () => {
  assert.equal((await sim.control('POST', '/el/quirk', { first_page_default: true })).ok, true);
  const p1 = (await list({ page_size: 5 })).json();
  assert.equal(p1.conversations.length, 30);
  const p2 = (await list({ page_size: 5, cursor: p1.next_cursor })).json();
  assert.equal(p2.conversations.length, 5);
  assert.equal((await sim.request('POST', '/_control/el/quirk', { body: { nope: 1 } })).status, 400);
  await sim.control('POST', '/reset');
  assert.equal((await list({ page_size: 5 })).json().conversations.length, 5);
});
