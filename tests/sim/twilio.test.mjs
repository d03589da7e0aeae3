// The twilio simulator kind: HTTP Basic against the account in the path,
// PageToken paging through next_page_uri, whole-GMT-day StartTime filters
// with the operator in the parameter name, child legs, the status table,
// and an independent normalization of every expected record.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startSim, request } from './helpers.mjs';

let sim, p, ds;
const DAY = 86400000;
before(async () => {
  sim = await startSim(['--seed', '42', '--size', '60', '--provider', 'twilio=twilio', '--provider', 'tw2=twilio']);
  p = sim.providers.twilio;
  ds = await sim.dataset('twilio');
});
after(async () => {
  await sim.stop();
});

const basic = (user, pass) => 'Basic ' + Buffer.from(user + ':' + pass).toString('base64');
const get = (path, headers = p.auth) => request(sim.port, 'GET', path, { headers });
const list = (params = {}) => sim.list('twilio', params);
const sids = (b) => b.calls.map((c) => c.sid);
// a root-relative next_page_uri, requested under the provider's prefix
const follow = (uri) => get('/twilio' + uri);

test('the endpoint carries the account SID; Basic auth by account SID or API key SID', async () => {
  assert.match(p.account_sid, /^AC[0-9a-f]{32}$/);
  assert.match(p.api_key_sid, /^SK[0-9a-f]{32}$/);
  assert.equal(p.path, `/twilio/2010-04-01/Accounts/${p.account_sid}/Calls.json`);
  assert.equal((await get(p.path)).status, 200);
  assert.equal((await get(p.path, { Authorization: basic(p.api_key_sid, 'sim-twilio-key') })).status, 200);
  for (const h of [{}, { Authorization: basic(p.account_sid, 'wrong') }, { Authorization: basic('ACnope', 'sim-twilio-key') },
    { Authorization: 'Bearer sim-twilio-key' }, { Authorization: basic(sim.providers.tw2.account_sid, 'sim-tw2-key') }]) {
    const r = await get(p.path, h);
    assert.equal(r.status, 401, JSON.stringify(h));
    assert.deepEqual(r.json(), {
      code: 20003, detail: 'Your AccountSid or AuthToken was incorrect.', message: 'Authenticate',
      more_info: 'https://www.twilio.com/docs/errors/20003', status: 401,
    });
  }
  // another account's list with this account's credentials: not found
  const other = await get(`/twilio/2010-04-01/Accounts/${sim.providers.tw2.account_sid}/Calls.json`);
  assert.equal(other.status, 404);
  assert.equal(other.json().code, 20404);
  assert.equal((await get('/twilio/2010-04-01/Accounts/' + p.account_sid + '/Calls')).status, 404);
});

test('PageSize: default 50, 1 to 1000, anything else a 400 with code 20001', async () => {
  const all = await list({ PageSize: 1000 });
  assert.equal(all.json().calls.length, 60);
  assert.equal((await list()).json().calls.length, 50);
  assert.equal((await list()).json().page_size, 50);
  for (const v of ['0', '1001', 'x', '-1', '2.5']) {
    const r = await list({ PageSize: v });
    assert.equal(r.status, 400, v);
    assert.equal(r.json().code, 20001);
    assert.equal(r.json().status, 400);
  }
});

test('newest created first; next_page_uri carries PageToken and the filters; null on the last page', async () => {
  const order = ds.map((r) => r.native);
  for (let i = 1; i < order.length; i++) {
    const a = Date.parse(order[i - 1].date_created), b = Date.parse(order[i].date_created);
    assert.ok(a > b || (a === b && order[i - 1].sid > order[i].sid), 'date_created desc, sid desc');
  }
  for (const size of [1, 7, 20, 30, 60]) {
    let r = (await list({ PageSize: size })).json();
    const got = [...sids(r)];
    let pages = 1;
    while (r.next_page_uri !== null) {
      assert.match(r.next_page_uri, new RegExp(`^/2010-04-01/Accounts/${p.account_sid}/Calls\\.json\\?PageSize=${size}&Page=${pages}&PageToken=PACA[0-9a-f]{32}$`));
      r = (await follow(r.next_page_uri)).json();
      assert.equal(r.page, pages);
      got.push(...sids(r));
      pages++;
    }
    assert.deepEqual(got, order.map((c) => c.sid), 'size ' + size);
    // a last page that is exactly full already says there is no next one
    assert.equal(pages, Math.ceil(60 / size));
  }
  const f = (await list({ Status: 'completed', 'StartTime>': '2026-01-01', PageSize: 3 })).json();
  assert.match(f.next_page_uri, /\?Status=completed&StartTime%3E=2026-01-01&PageSize=3&Page=1&PageToken=PA/);
  assert.equal(f.first_page_uri.split('?')[1], 'Status=completed&StartTime%3E=2026-01-01&PageSize=3&Page=0');
});

test('PageToken: a keyset position that survives inserts; a token not issued is a 400 (21481)', async () => {
  await sim.control('POST', '/reset');
  const p1 = (await list({ PageSize: 10 })).json();
  const p2 = sids((await follow(p1.next_page_uri)).json());
  await sim.control('POST', '/twilio/insert', { count: 5 });
  assert.deepEqual(sids((await follow(p1.next_page_uri)).json()), p2);
  const head = (await list({ PageSize: 5 })).json();
  const ins = (await sim.dataset('twilio')).slice(0, 5).map((r) => r.native.sid);
  assert.deepEqual(sids(head), ins);
  for (const t of ['PAnot-a-token', 'PA' + 'CA' + '0'.repeat(32), p1.calls[0].sid, '']) {
    const r = await list({ PageToken: t });
    assert.equal(r.status, 400, t);
    assert.equal(r.json().code, 21481);
  }
  await sim.control('POST', '/reset');
});

test('StartTime filters: whole GMT days on start_time, the operator in the name, never a call not yet dialed', async () => {
  const all = ds.map((r) => r.native);
  const st = (c) => (c.start_time === null ? null : Date.parse(c.start_time));
  const want = (pred) => all.filter((c) => pred(st(c))).map((c) => c.sid);
  const D = '2026-03-01', d = Date.UTC(2026, 2, 1);
  const qs = async (q) => sids((await get(p.path + '?' + q + '&PageSize=1000')).json());
  assert.deepEqual(await qs(`StartTime%3E=${D}`), want((t) => t !== null && t >= d));
  assert.deepEqual(await qs(`StartTime%3C=${D}`), want((t) => t !== null && t <= d));
  assert.deepEqual(await qs(`StartTime=${D}`), want((t) => t !== null && t >= d && t < d + DAY));
  // the shared instant 2026-03-01T00:00:00Z starts exactly at midnight: the
  // only calls that ">=D and <=D" can return
  const both = await qs(`StartTime%3E=${D}&StartTime%3C=${D}`);
  assert.deepEqual(both, want((t) => t === d));
  assert.ok(both.length >= 1);
  // the time of day of a date-time value is ignored
  assert.deepEqual(await qs(`StartTime%3E=2026-03-01T18:00:00Z`), want((t) => t !== null && t >= d));
  const queued = all.filter((c) => c.status === 'queued');
  assert.ok(queued.length >= 1 && queued.every((c) => c.start_time === null));
  const q = await qs(`StartTime%3E=2000-01-01`);
  for (const c of queued) assert.ok(!q.includes(c.sid), 'queued call matched a StartTime filter');
  assert.equal(q.length, all.length - queued.length);
  // EndTime on end_time, which only completed calls carry
  assert.deepEqual(await qs(`EndTime%3E=2000-01-01`), all.filter((c) => c.end_time !== null).map((c) => c.sid));
  for (const bad of ['StartTime=%3E%3D2026-03-01', 'StartTime=%3E2026-03-01', 'StartTime%3E=tomorrow', 'StartTime%3C=2026-13-01', 'Status=ended', 'Status=no_answer']) {
    const r = await get(p.path + '?' + bad);
    assert.equal(r.status, 400, bad);
    assert.equal(r.json().code, 20001, bad);
  }
});

test('Status, To, From and ParentCallSid filters; child legs are listed with their parent_call_sid', async () => {
  const all = ds.map((r) => r.native);
  for (const s of ['queued', 'ringing', 'in-progress', 'completed', 'busy', 'no-answer', 'canceled', 'failed']) {
    assert.deepEqual(sids((await list({ Status: s, PageSize: 1000 })).json()), all.filter((c) => c.status === s).map((c) => c.sid), s);
  }
  const c0 = all.find((c) => c.to.startsWith('+'));
  assert.deepEqual(sids((await list({ To: c0.to, PageSize: 1000 })).json()), all.filter((c) => c.to === c0.to).map((c) => c.sid));
  assert.deepEqual(sids((await list({ From: c0.from, PageSize: 1000 })).json()), all.filter((c) => c.from === c0.from).map((c) => c.sid));
  const kids = ds.filter((r) => r.native.parent_call_sid !== null);
  assert.ok(kids.length >= 2);
  for (const k of kids) {
    assert.equal(k.expected, null, 'callnorm leaves child legs out');
    assert.deepEqual(sids((await list({ ParentCallSid: k.native.parent_call_sid })).json()), [k.native.sid]);
  }
});

test('next_page_uri prefix control (absolute and foreign links)', async () => {
  const r0 = await sim.request('POST', '/_control/twilio/next-uri', { body: { prefix: 'http://127.0.0.1:1/elsewhere' } });
  assert.equal(r0.status, 200);
  const r = (await list({ PageSize: 2 })).json();
  assert.ok(r.next_page_uri.startsWith('http://127.0.0.1:1/elsewhere/2010-04-01/Accounts/'));
  assert.equal((await sim.request('POST', '/_control/twilio/next-uri', { body: { prefix: 7 } })).status, 400);
  await sim.control('POST', '/reset');
  assert.ok((await list({ PageSize: 2 })).json().next_page_uri.startsWith('/2010-04-01/'));
});

// ---- an independent normalization, from the native record and the kind's tables ----

const STATUS = {
  queued: ['queued', null], ringing: ['ringing', null], in_progress: ['in_progress', null], completed: ['completed', null],
  busy: ['busy', 'busy'], no_answer: ['no_answer', 'no_answer'], canceled: ['canceled', null], failed: ['failed', 'error'],
};
const iso = (s) => (s === null ? null : new Date(Date.parse(s)).toISOString());
function normalize(x) {
  const [status, reason] = STATUS[x.status.toLowerCase().replace(/-/g, '_')] ?? ['unknown', null];
  return {
    id: 'twilio:' + x.sid, provider: 'twilio', provider_kind: 'twilio', native_id: x.sid, type: 'phone',
    direction: x.direction === 'inbound' ? 'inbound' : x.direction.startsWith('outbound-') ? 'outbound' : null,
    status, end_reason: reason, provider_status: x.status, from: x.from, to: x.to,
    agent: { id: null, name: null, version: null },
    started_at: iso(x.start_time ?? x.date_created), ended_at: iso(x.end_time),
    duration_ms: x.duration === null || x.duration === '' ? null : parseInt(x.duration, 10) * 1000,
    is_test: null, campaign_id: null, tags: [], metadata: {}, _transcript: null,
  };
}

test('every expected record matches an independent normalization; the whole status table occurs', () => {
  for (const { native, expected } of ds) {
    if (native.parent_call_sid !== null) continue;
    assert.deepEqual(expected, normalize(native), native.sid);
    assert.match(native.date_created, /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} \+0000$/);
    assert.ok(native.price === null || /^-\d+\.\d+$/.test(native.price));
    assert.equal(native.price_unit, 'USD');
  }
  const has = (pred) => ds.some((r) => pred(r.native));
  for (const s of Object.keys(STATUS)) assert.ok(has((x) => x.status.replace(/-/g, '_') === s), s);
  for (const d of ['inbound', 'outbound-api', 'outbound-dial', 'trunking-terminating', 'trunking-originating']) assert.ok(has((x) => x.direction === d), d);
  for (const dur of ['0', null, '']) assert.ok(has((x) => x.status !== 'completed' && x.duration === dur), String(dur));
  assert.ok(has((x) => x.from.startsWith('client:')));
  // start_time follows date_created: sometimes at once, sometimes seconds later
  assert.ok(has((x) => x.start_time !== null && x.start_time === x.date_created));
  assert.ok(has((x) => x.start_time !== null && Date.parse(x.start_time) > Date.parse(x.date_created)));
  assert.ok(ds.every((r) => r.native.start_time === null || Date.parse(r.native.start_time) - Date.parse(r.native.date_created) <= 20000));
});

test('faults keep the provider shape: 429 code 20429, wrongtypes reshapes calls[]', async () => {
  await sim.control('POST', '/twilio/fault', { mode: 'status:429' });
  const r = await list();
  assert.equal(r.status, 429);
  assert.equal(r.headers['retry-after'], '1');
  assert.equal(r.json().code, 20429);
  await sim.control('POST', '/twilio/fault', { mode: 'wrongtypes' });
  const w = (await list({ PageSize: 4 })).json();
  assert.ok(Array.isArray(w.calls[0]));
  assert.ok(Array.isArray(w.calls[1].sid));
  await sim.control('POST', '/twilio/fault', { mode: 'status:401' });
  assert.equal((await list()).json().code, 20003);
});
