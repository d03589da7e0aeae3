// The get-call endpoints of the simulated seed kinds: the list's data in
// each provider's own detail shape, the provider's not-found answer,
// authentication, the fault modes, and the expected normalized detail the
// control API hands the tests (checked here against the native answer by
// hand-written rules, not by callnorm).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startSim } from './helpers.mjs';

let sim;
before(async () => {
  sim = await startSim(['--seed', '7', '--size', '60']);
});
after(async () => {
  assert.equal(await sim.stop(), 0);
});

const PATHS = {
  verbex: (id) => `/verbex/v1/calls/${encodeURIComponent(id)}`,
  voicy: (id) => `/voicy/functions/v1/call-get/${encodeURIComponent(id)}`,
  osvi: (id, part = '') => `/osvi/v1/call/${encodeURIComponent(id)}${part}`,
  zudu: (id) => `/zudu/api/calls/${encodeURIComponent(id)}`,
};
const NATIVE_ID = { verbex: '_id', voicy: 'call_id', osvi: 'call_id', zudu: 'call_id' };
const get = (kind, p, opts = {}) => sim.request('GET', p, { headers: opts.noAuth ? {} : sim.providers[kind].auth });
const expectedOf = async (kind, id) => (await sim.control('GET', `/${kind}/detail?id=${encodeURIComponent(id)}`)).expected;

test('every listed call is served in full with the same fields', async () => {
  for (const kind of Object.keys(PATHS)) {
    for (const rec of await sim.dataset(kind)) {
      const id = rec.native[NATIVE_ID[kind]];
      const r = await get(kind, PATHS[kind](id));
      assert.equal(r.status, 200, `${kind} ${id}`);
      const b = r.json();
      const call = kind === 'zudu' || kind === 'osvi' ? b.data : b;
      // every field of the list item, unchanged (verbex's messages gain their timing)
      for (const [k, v] of Object.entries(rec.native)) if (k !== 'messages') assert.deepEqual(call[k], v, `${kind} ${id} ${k}`);
      const want = await expectedOf(kind, id);
      for (const [k, v] of Object.entries(rec.expected)) if (k !== '_transcript') assert.deepEqual(want[k], v, `${kind} ${id} expected ${k}`);
    }
  }
});

test("each kind's transcript shape, and the expected turns read from it", async () => {
  // verbex: "(S s - E s) text"; the offset is S seconds rounded half up
  let turns = 0;
  for (const rec of await sim.dataset('verbex')) {
    const b = (await get('verbex', PATHS.verbex(rec.native._id))).json();
    const want = await expectedOf('verbex', rec.native._id);
    if (b.messages === null) {
      assert.equal(want.transcript, null);
      continue;
    }
    assert.equal(want.transcript.length, b.messages.length);
    b.messages.forEach((m, i) => {
      const mm = /^\((\d+(?:\.\d+)?)s - \d+(?:\.\d+)?s\) (.*)$/s.exec(m.content);
      assert.ok(mm, m.content);
      const [int, frac = ''] = mm[1].split('.');
      const tenthsMs = Number(int) * 10000 + Number((frac + '0000').slice(0, 4));
      assert.deepEqual(want.transcript[i], { role: m.role, text: mm[2], offset_ms: Math.floor((tenthsMs + 5) / 10) });
      turns++;
    });
  }
  assert.ok(turns > 20);
  // voicy: caller is the user, function entries are the tool's, with headers to drop
  let tools = 0;
  for (const rec of await sim.dataset('voicy')) {
    const b = (await get('voicy', PATHS.voicy(rec.native.call_id))).json();
    const want = await expectedOf('voicy', rec.native.call_id);
    if (b.transcript === null) {
      assert.equal(want.transcript, null);
      continue;
    }
    b.transcript.forEach((t, i) => {
      const role = t.function_invocation || t.function_result ? 'tool' : t.role === 'caller' ? 'user' : t.role;
      assert.deepEqual(want.transcript[i], { role, text: t.content, offset_ms: t.timestamp_ms });
      if (t.function_invocation) {
        tools++;
        assert.match(t.function_invocation.headers.Authorization, /^Bearer sk_live_crm_/);
      }
    });
    if (b.call_cost) assert.deepEqual(want.cost, { amount: b.call_cost.combined_cost, currency: b.call_cost.currency.toUpperCase() });
  }
  assert.ok(tools > 0, 'some voicy call invokes a function');
  // zudu: words[0].start in seconds
  for (const rec of await sim.dataset('zudu')) {
    const b = (await get('zudu', PATHS.zudu(rec.native.call_id))).json().data;
    const want = await expectedOf('zudu', rec.native.call_id);
    if (!b.transcript_object) {
      assert.equal(want.transcript, null);
      continue;
    }
    b.transcript_object.forEach((t, i) => assert.equal(want.transcript[i].offset_ms, Math.floor((Math.round(t.words[0].start * 10000) + 5) / 10)));
    assert.equal(want.summary, b.call_analysis.call_summary);
  }
});

test('osvi: transcript and recording endpoints; a call without a recording answers 404', async () => {
  let missing = 0, present = 0;
  for (const rec of await sim.dataset('osvi')) {
    const id = rec.native.call_id;
    const t = await get('osvi', PATHS.osvi(id, '/transcript'));
    assert.equal(t.status, 200);
    assert.ok(Array.isArray(t.json().data.transcript));
    const r = await get('osvi', PATHS.osvi(id, '/recording'));
    const want = await expectedOf('osvi', id);
    if (rec.native.duration_seconds === null) {
      assert.equal(r.status, 404);
      assert.deepEqual(r.json(), { success: false, error: 'recording_not_found', details: null });
      assert.equal(want.recording_url, null);
      missing++;
    } else {
      assert.equal(r.status, 200);
      assert.equal(r.json().data.expires_in_seconds, 900);
      assert.equal(want.recording_url, r.json().data.recording_url);
      present++;
    }
  }
  assert.ok(missing > 0 && present > 0);
});

test("unknown calls get each provider's not-found answer; ids are one decoded segment", async () => {
  assert.deepEqual((await get('verbex', PATHS.verbex('nope'))).json(), { detail: 'Call not found' });
  assert.equal((await get('verbex', PATHS.verbex('nope'))).status, 404);
  assert.equal((await get('voicy', PATHS.voicy('nope'))).json().message, 'Call not found');
  assert.equal((await get('osvi', PATHS.osvi('nope', '/recording'))).json().error, 'call_not_found');
  const z = await get('zudu', PATHS.zudu('a/b'));
  assert.equal(z.status, 404);
  assert.equal(z.json().error, "Call with ID 'a/b' does not exist");
  // "%2E%2E" is an id, not a dot segment, and not the list
  const dots = await get('verbex', '/verbex/v1/calls/%2E%2E');
  assert.equal(dots.status, 404);
  assert.deepEqual(dots.json(), { detail: 'Call not found' });
  const log = await sim.control('GET', '/verbex/log');
  assert.equal(log.at(-1).raw_path, '/verbex/v1/calls/%2E%2E');
});

test('authentication and faults apply to the get-call endpoints too', async () => {
  const rec = (await sim.dataset('voicy'))[0];
  assert.equal((await get('voicy', PATHS.voicy(rec.native.call_id), { noAuth: true })).status, 401);
  await sim.control('POST', '/voicy/fault', { mode: 'status:503', count: 1 });
  assert.equal((await get('voicy', PATHS.voicy(rec.native.call_id))).status, 503);
  assert.equal((await get('voicy', PATHS.voicy(rec.native.call_id))).status, 200);
  assert.equal((await sim.control('GET', '/talkover/detail?id=x')).error, 'no_detail');
});

test('twilio: the call and its recordings; the first completed one is the expected media URL', async () => {
  const { accountSid } = await import('../../sim/kinds/twilio.mjs');
  const base = `/twilio/2010-04-01/Accounts/${accountSid('twilio')}/Calls/`;
  let withAudio = 0, canceled = 0;
  for (const rec of await sim.dataset('twilio')) {
    const id = rec.native.sid;
    const c = await get('twilio', base + encodeURIComponent(id) + '.json');
    assert.equal(c.status, 200, id);
    for (const [k, v] of Object.entries(rec.native)) assert.deepEqual(c.json()[k], v, `${id} ${k}`);
    const r = await get('twilio', base + encodeURIComponent(id) + '/Recordings.json');
    const want = await expectedOf('twilio', id);
    assert.equal(want.transcript, null);
    assert.equal(want.summary, null);
    const price = rec.native.price;
    assert.deepEqual(want.cost, price === null ? null : { amount: Math.abs(Number(price)), currency: rec.native.price_unit });
    if (rec.native.status === 'canceled') {
      assert.equal(r.status, 404);
      assert.equal(r.json().code, 20404);
      assert.equal(want.recording_url, null);
      canceled++;
      continue;
    }
    assert.equal(r.status, 200);
    const first = r.json().recordings.find((x) => x.status === 'completed');
    assert.equal(want.recording_url, first ? 'https://api.twilio.com' + first.uri.replace(/\.json$/, '.mp3') : null);
    if (first) withAudio++;
  }
  assert.ok(withAudio > 0 && canceled > 0);
  const nf = await get('twilio', base + 'CAnope.json');
  assert.equal(nf.status, 404);
  assert.equal(nf.json().code, 20404);
});
