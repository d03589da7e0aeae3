// vapi: a bare array newest-created first; paging by createdAtLe with the
// ids already seen at the boundary millisecond dropped; ties at page
// edges; NestJS validation; creation/start lag; credentials in records.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startSim } from './helpers.mjs';

let sim;
let ds;
before(async () => {
  sim = await startSim(['--seed', '9', '--provider', 'vapi=vapi', '--size', '150']);
  ds = await sim.dataset('vapi');
});
after(async () => {
  assert.equal(await sim.stop(), 0);
});

const ms = (s) => Date.parse(s);
const ids = (recs) => recs.map((r) => r.id);

// The walk the research describes, written here from scratch: ask with
// createdAtLe = the oldest createdAt seen, drop the ids already returned
// at that millisecond, stop at a short page.  Each page asks for `base`
// more than the ids it will drop (or exactly `base` with fixed: true).
async function walk(params, base, { name = 'vapi', fixed = false } = {}) {
  const out = [];
  let bound = null;
  let seenAt = new Set();
  for (let guard = 0; guard < 5000; guard++) {
    const limit = fixed ? base : Math.min(1000, base + seenAt.size);
    const q = { ...params, limit };
    if (bound !== null) q.createdAtLe = new Date(bound).toISOString();
    const r = await sim.list(name, q);
    assert.equal(r.status, 200, r.text);
    const page = r.json();
    assert.ok(Array.isArray(page));
    const fresh = page.filter((c) => !(ms(c.createdAt) === bound && seenAt.has(c.id)));
    if (page.length === limit) assert.ok(fresh.length > 0, 'a full page adds a new id');
    out.push(...fresh);
    if (page.length < limit) break;
    const oldest = ms(page[page.length - 1].createdAt);
    const at = new Set(oldest === bound ? seenAt : []);
    for (const c of page) if (ms(c.createdAt) === oldest) at.add(c.id);
    bound = oldest;
    seenAt = at;
  }
  return out;
}

test('the list is newest-created first, ties by id descending, as the data set', async () => {
  const r = await sim.list('vapi', { limit: 1000 });
  const page = r.json();
  assert.deepEqual(ids(page), ds.map((x) => x.native.id));
  for (let i = 1; i < page.length; i++) {
    const a = page[i - 1], b = page[i];
    assert.ok(ms(a.createdAt) > ms(b.createdAt) || (a.createdAt === b.createdAt && a.id > b.id), i);
  }
  // no paging fields anywhere: a bare array
  assert.equal(r.text[0], '[');
});

test('createdAtLe paging with the boundary ids dropped returns every call once, for every page size', async () => {
  const all = ds.map((x) => x.native.id);
  for (const limit of [1, 2, 3, 4, 5, 7, 10, 33, 100]) {
    const got = await walk({}, limit);
    assert.deepEqual(ids(got), all, 'limit ' + limit);
  }
  // a fixed limit no larger than a tie group can get stuck on it
  await assert.rejects(walk({}, 1, { fixed: true }), /a full page adds a new id/);
});

test('pages end inside groups of calls created in the same millisecond', async () => {
  // a group of three sharing one createdAt exists, and a limit cuts it
  const created = ds.map((x) => x.native.createdAt);
  const groups = created.filter((t, i) => i > 4 && created[i - 1] === t && created[i - 2] === t && created[i - 3] !== t);
  assert.ok(groups.length >= 3, 'groups of three calls sharing a millisecond');
  const at = created.indexOf(groups[0]);
  assert.ok(at >= 3);
  const limit = at + 1; // the first page ends on the group's first call
  const p1 = (await sim.list('vapi', { limit })).json();
  assert.equal(p1[p1.length - 1].createdAt, groups[0]);
  const p2 = (await sim.list('vapi', { limit, createdAtLe: groups[0] })).json();
  // the boundary millisecond comes back whole: the call already seen, then the two others
  assert.deepEqual(p2.slice(0, 3).map((c) => c.createdAt), [groups[0], groups[0], groups[0]]);
  assert.equal(p2[0].id, p1[p1.length - 1].id);
  // walking with createdAtLt instead (strict) skips the rest of the group
  const lt = (await sim.list('vapi', { limit, createdAtLt: groups[0] })).json();
  assert.ok(!lt.some((c) => c.createdAt === groups[0]));
});

test('createdAt and updatedAt bounds: Gt/Lt strict, Ge/Le inclusive', async () => {
  const t = ds[40].native.createdAt;
  const T = ms(t);
  const by = (pred) => ds.filter((x) => pred(ms(x.native.createdAt))).map((x) => x.native.id);
  const get = async (q) => ids((await sim.list('vapi', { limit: 1000, ...q })).json());
  assert.deepEqual(await get({ createdAtGt: t }), by((c) => c > T));
  assert.deepEqual(await get({ createdAtGe: t }), by((c) => c >= T));
  assert.deepEqual(await get({ createdAtLt: t }), by((c) => c < T));
  assert.deepEqual(await get({ createdAtLe: t }), by((c) => c <= T));
  // an offset instead of Z, and a date only
  assert.deepEqual(await get({ createdAtGe: '2026-03-01T05:30:00+05:30', createdAtLt: '2026-04-01' }),
    by((c) => c >= Date.UTC(2026, 2, 1) && c < Date.UTC(2026, 3, 1)));
  const u = ds[10].native.updatedAt;
  assert.deepEqual(await get({ updatedAtGe: u }), ds.filter((x) => ms(x.native.updatedAt) >= ms(u)).map((x) => x.native.id));
  assert.deepEqual(await get({ updatedAtLt: u }), ds.filter((x) => ms(x.native.updatedAt) < ms(u)).map((x) => x.native.id));
});

test('assistantId, phoneNumberId and id filters', async () => {
  const agents = sim.providers.vapi.agents.map((a) => a.id);
  const get = async (q) => ids((await sim.list('vapi', { limit: 1000, ...q })).json());
  const a = await get({ assistantId: agents[1] });
  assert.ok(a.length > 0);
  assert.deepEqual(a, ds.filter((x) => x.native.assistantId === agents[1]).map((x) => x.native.id));
  const line = ds.find((x) => x.native.phoneNumberId).native.phoneNumberId;
  assert.deepEqual(await get({ phoneNumberId: line }), ds.filter((x) => x.native.phoneNumberId === line).map((x) => x.native.id));
  assert.deepEqual(await get({ id: ds[7].native.id }), [ds[7].native.id]);
  // a filtered walk pages the same way
  assert.deepEqual(ids(await walk({ assistantId: agents[0] }, 3)), ds.filter((x) => x.native.assistantId === agents[0]).map((x) => x.native.id));
});

test('limit: default 100, at most 1000; NestJS 400 bodies list every problem', async () => {
  assert.equal((await sim.list('vapi', {})).json().length, 100);
  assert.equal((await sim.list('vapi', { limit: 1000 })).json().length, 150);
  for (const [q, msg] of [
    [{ limit: 1001 }, 'limit must not be greater than 1000'],
    [{ limit: 'ten' }, 'limit must be a number conforming to the specified constraints'],
    [{ limit: -1 }, 'limit must not be less than 0'],
    [{ createdAtLe: 'yesterday' }, 'createdAtLe must be a valid ISO 8601 date string'],
    [{ cursor: 'x' }, 'property cursor should not exist'],
    [{ sortOrder: 'ASC' }, 'property sortOrder should not exist'],
    [{ limit: [5, 6] }, 'limit must be a number conforming to the specified constraints'],
  ]) {
    const r = await sim.list('vapi', q);
    assert.equal(r.status, 400, JSON.stringify(q));
    assert.deepEqual(r.json(), { message: [msg], error: 'Bad Request', statusCode: 400 });
  }
  const two = (await sim.list('vapi', { limit: 2000, page: 2 })).json();
  assert.equal(two.message.length, 2);
});

test('401 in Vapi\'s shape for a missing or wrong key', async () => {
  for (const extra of [{ noAuth: true }, { noAuth: true, headers: { Authorization: 'Bearer sim-other-key' } }]) {
    const r = await sim.list('vapi', {}, extra);
    assert.equal(r.status, 401);
    const b = r.json();
    assert.equal(b.statusCode, 401);
    assert.equal(b.error, 'Unauthorized');
    assert.equal(typeof b.message, 'string');
  }
});

test('calls start within 30 s of creation; not started calls have no startedAt', () => {
  for (const { native: x } of ds) {
    if (x.startedAt === undefined) continue;
    const lag = ms(x.startedAt) - ms(x.createdAt);
    assert.ok(lag >= 0 && lag <= 30000, x.id + ' lag ' + lag);
  }
  for (const st of ['scheduled', 'queued', 'ringing']) assert.ok(ds.some((x) => x.native.status === st && x.native.startedAt === undefined), st);
  assert.ok(ds.some((x) => x.native.status === 'ended' && x.native.startedAt === undefined && x.native.endedAt), 'ended without a start');
  // the lag reorders: some call created later started earlier than another
  const byStart = ds.filter((x) => x.native.startedAt).map((x) => x.native);
  let inversions = 0;
  for (let i = 1; i < byStart.length; i++) if (ms(byStart[i].startedAt) > ms(byStart[i - 1].startedAt)) inversions++;
  assert.ok(inversions > 0, 'start order differs from creation order somewhere');
});

test('--late-starts: calls that started more than 5 minutes after creation', async () => {
  const s = await startSim(['--seed', '9', '--provider', 'v=vapi', '--size', '40', '--late-starts', 'v=3']);
  try {
    const late = (await s.dataset('v')).filter((x) => x.native.startedAt && ms(x.native.startedAt) - ms(x.native.createdAt) > 300000);
    assert.equal(late.length, 3);
    for (const x of late) {
      assert.equal(x.expected.started_at, new Date(ms(x.native.startedAt)).toISOString());
      assert.ok(ms(x.native.startedAt) - ms(x.native.createdAt) <= 1200000);
    }
  } finally {
    assert.equal(await s.stop(), 0);
  }
});

test('records carry other services\' credentials at several depths', () => {
  const keys = new Set();
  const visit = (v, depth) => {
    if (Array.isArray(v)) return v.forEach((x) => visit(x, depth + 1));
    if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) (keys.add(k + '@' + Math.min(depth, 3)), visit(x, depth + 1));
  };
  for (const { native } of ds) visit(native, 0);
  for (const k of ['credentials@1', 'headers@2', 'secret@2', 'apiKey@3', 'twilioAuthToken@1', 'authToken@1']) assert.ok(keys.has(k), k);
  assert.ok(ds.some((x) => x.native.assistant?.credentials?.length === 2));
  assert.ok(ds.some((x) => x.native.phoneNumber?.twilioApiSecret));
});

test('transcripts: artifact.transcript on newer records, top-level transcript on older ones', () => {
  assert.ok(ds.some((x) => typeof x.native.artifact?.transcript === 'string' && x.native.transcript === undefined));
  assert.ok(ds.some((x) => typeof x.native.transcript === 'string' && x.native.artifact === undefined));
  for (const { native: x, expected: e } of ds) assert.equal(e._transcript, x.artifact?.transcript ?? x.transcript ?? null);
});

test('inserts land at the head of the list and share their millisecond', async () => {
  try {
    const added = (await sim.control('POST', '/vapi/insert', { count: 3 })).records;
    assert.equal(added.length, 3);
    assert.equal(new Set(added.map((x) => x.native.createdAt)).size, 1);
    const head = (await sim.list('vapi', { limit: 3 })).json();
    assert.deepEqual(new Set(ids(head)), new Set(added.map((x) => x.native.id)));
    // a walk begun before the insert, resumed with createdAtLe, never sees them
    const rest = await walk({ createdAtLt: added[0].native.createdAt }, 9);
    assert.deepEqual(ids(rest), ds.map((x) => x.native.id));
  } finally {
    await sim.control('POST', '/reset');
  }
});

test('faults on a bare array: wrongtypes, malformed, deep, repeat', async () => {
  try {
    await sim.control('POST', '/vapi/fault', { mode: 'wrongtypes' });
    const w = (await sim.list('vapi', { limit: 4 })).json();
    assert.ok(Array.isArray(w[0]) && typeof w[1].id === 'number');
    await sim.control('POST', '/vapi/fault', { mode: 'malformed' });
    const m = await sim.list('vapi', {});
    assert.equal(m.status, 200);
    assert.throws(() => m.json());
    assert.equal(m.text[0], '[');
    await sim.control('POST', '/vapi/fault', { mode: 'deep', depth: 100 });
    assert.equal((await sim.list('vapi', {})).text, '[' + '['.repeat(100) + ']'.repeat(100) + ']');
    const first = (await sim.list('vapi', { limit: 5 })).text;
    await sim.control('POST', '/vapi/fault', { mode: 'repeat' });
    assert.equal((await sim.list('vapi', { limit: 5, createdAtLe: ds[4].native.createdAt })).text, first);
    await sim.control('POST', '/vapi/fault', { mode: 'status:401' });
    assert.equal((await sim.list('vapi', {})).json().statusCode, 401);
    await sim.control('POST', '/vapi/fault', { mode: 'status:429' });
    const r = await sim.list('vapi', {});
    assert.equal(r.status, 429);
    assert.equal(r.json().statusCode, 429);
  } finally {
    await sim.control('POST', '/reset');
  }
});
