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
  retell: (id) => `/retell/v2/get-call/${encodeURIComponent(id)}`,
  vapi: (id) => `/vapi/call/${encodeURIComponent(id)}`,
  bland: (id) => `/bland/v1/calls/${encodeURIComponent(id)}`,
};
const NATIVE_ID = { verbex: '_id', voicy: 'call_id', osvi: 'call_id', zudu: 'call_id', retell: 'call_id', vapi: 'id', bland: 'call_id' };
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
  // retell: the answer is the call itself; transfer_target is a user,
  // combined_cost cents; no transcript_object for a call never connected
  let targets = 0;
  const seenTx = new Set();
  for (const rec of await sim.dataset('retell')) {
    const b = (await get('retell', PATHS.retell(rec.native.call_id))).json();
    const want = await expectedOf('retell', rec.native.call_id);
    seenTx.add(b.transcript_object === undefined ? 'absent' : b.transcript_object.length ? 'turns' : 'empty');
    if (b.transcript_object === undefined) {
      assert.equal(want.transcript, null);
      assert.ok(['registered', 'not_connected', 'error'].includes(b.call_status), b.call_status);
    } else {
      assert.equal(want.transcript.length, b.transcript_object.length);
      b.transcript_object.forEach((t, i) => {
        if (t.role === 'transfer_target') targets++;
        const role = t.role === 'agent' ? 'agent' : ['user', 'transfer_target'].includes(t.role) ? 'user' : null;
        const offset = Math.floor((Math.round(t.words[0].start * 10000) + 5) / 10);
        assert.deepEqual(want.transcript[i], { role, text: t.content, offset_ms: offset });
      });
    }
    assert.equal(want.summary, b.call_analysis ? b.call_analysis.call_summary : null);
    assert.equal(want.recording_url, b.recording_url ?? null);
    assert.deepEqual(want.cost, b.call_cost ? { amount: b.call_cost.combined_cost / 100, currency: 'USD' } : null);
  }
  assert.ok(targets > 0, 'some retell call was transferred mid-conversation');
  assert.deepEqual([...seenTx].sort(), ['absent', 'empty', 'turns']);
  // bland: the call itself; the speaker in `user`, offsets are created_at
  // less the call's started_at (microseconds), price in dollars
  const us = (t) => {
    const m = /^(.{19})(?:\.(\d{1,6}))?\+00:00$/.exec(t);
    return Date.parse(m[1] + 'Z') * 1000 + Number((m[2] || '').padEnd(6, '0'));
  };
  const BLAND_ROLES = { user: 'user', assistant: 'agent', robot: 'agent', 'agent-action': 'tool' };
  const words = new Set();
  const seenBland = new Set();
  for (const rec of await sim.dataset('bland')) {
    const b = (await get('bland', PATHS.bland(rec.native.call_id))).json();
    const want = await expectedOf('bland', rec.native.call_id);
    seenBland.add(b.transcripts === undefined ? 'absent' : b.transcripts.length ? 'turns' : 'empty');
    if (b.transcripts === undefined) assert.equal(want.transcript, null);
    else {
      assert.equal(want.transcript.length, b.transcripts.length);
      b.transcripts.forEach((t, i) => {
        words.add(t.user);
        assert.match(t.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00$/);
        const offset = Math.floor((us(t.created_at) - us(b.started_at) + 500) / 1000);
        assert.deepEqual(want.transcript[i], { role: BLAND_ROLES[t.user], text: t.text, offset_ms: offset });
      });
    }
    if (b.started_at !== null) assert.ok(us(b.started_at) > us(b.created_at), 'a call starts after its creation');
    assert.equal(want.summary, b.summary);
    assert.equal(want.recording_url, b.recording_url);
    assert.deepEqual(want.cost, b.price === null ? null : { amount: b.price, currency: 'USD' });
  }
  assert.deepEqual([...words].sort(), ['agent-action', 'assistant', 'robot', 'user']);
  assert.deepEqual([...seenBland].sort(), ['absent', 'empty', 'turns']);
});

test('vapi: artifact.messages, else messages; the system prompt is no turn; tools; dollars', async () => {
  const ROLE = { bot: 'agent', user: 'user', tool_calls: 'tool', tool_call_result: 'tool' };
  let tools = 0, old = 0, none = 0, systems = 0;
  for (const rec of await sim.dataset('vapi')) {
    const b = (await get('vapi', PATHS.vapi(rec.native.id))).json();
    const want = await expectedOf('vapi', rec.native.id);
    const msgs = b.artifact?.messages ?? b.messages;
    if (!b.artifact) old += b.messages !== undefined;
    if (msgs === undefined) {
      assert.equal(want.transcript, null);
      none++;
    } else {
      const spoken = msgs.filter((m) => m.role !== 'system');
      systems += msgs.length - spoken.length;
      assert.equal(want.transcript.length, spoken.length);
      spoken.forEach((m, i) => {
        assert.ok(ROLE[m.role], m.role);
        const [int, frac = ''] = String(m.secondsFromStart).split('.');
        assert.ok(frac.length <= 4, String(m.secondsFromStart));
        const tenthsMs = Number(int) * 10000 + Number((frac + '0000').slice(0, 4));
        const text = m.role === 'tool_call_result' ? m.result : m.message;
        assert.deepEqual(want.transcript[i], { role: ROLE[m.role], text, offset_ms: Math.floor((tenthsMs + 5) / 10) });
        tools += m.role === 'tool_calls';
      });
    }
    assert.equal(want.summary, b.analysis?.summary ?? null);
    assert.equal(want.recording_url, b.artifact?.recordingUrl ?? b.recordingUrl ?? null);
    assert.deepEqual(want.cost, b.cost === undefined ? null : { amount: b.cost, currency: 'USD' });
  }
  assert.ok(tools > 0 && old > 0 && none > 0 && systems > 0, JSON.stringify({ tools, old, none, systems }));
  const nf = await get('vapi', PATHS.vapi('nope'));
  assert.equal(nf.status, 404);
  assert.deepEqual(nf.json(), { message: 'Call not found', error: 'Not Found', statusCode: 404 });
  const first = (await sim.dataset('vapi'))[0];
  assert.equal((await get('vapi', PATHS.vapi(first.native.id), { noAuth: true })).status, 401);
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
  const rt = await get('retell', PATHS.retell('a/b'));
  assert.equal(rt.status, 404);
  assert.deepEqual(rt.json(), { status: 'error', message: 'Call not found' });
  const bl = await get('bland', PATHS.bland('a/b'));
  assert.equal(bl.status, 404);
  assert.equal(bl.json().errors[0].error, 'CALL_NOT_FOUND');
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
  const rr = (await sim.dataset('retell'))[0];
  assert.equal((await get('retell', PATHS.retell(rr.native.call_id), { noAuth: true })).status, 401);
  await sim.control('POST', '/retell/fault', { mode: 'status:500', count: 1 });
  assert.equal((await get('retell', PATHS.retell(rr.native.call_id))).status, 500);
  assert.equal((await get('retell', PATHS.retell(rr.native.call_id))).status, 200);
  const br = (await sim.dataset('bland'))[0];
  assert.equal((await get('bland', PATHS.bland(br.native.call_id), { noAuth: true })).status, 401);
  await sim.control('POST', '/bland/fault', { mode: 'status:502', count: 1 });
  assert.equal((await get('bland', PATHS.bland(br.native.call_id))).status, 502);
  assert.equal((await get('bland', PATHS.bland(br.native.call_id))).status, 200);
  assert.equal((await sim.control('GET', '/talkover/detail?id=x')).error, 'no_detail');
});

test('elevenlabs: the list item with start, duration and source moved into metadata, phone numbers, turns and the fiat cost', async () => {
  const path = (id) => `/elevenlabs/v1/convai/conversations/${encodeURIComponent(id)}`;
  const MOVED = ['start_time_unix_secs', 'call_duration_secs', 'conversation_initiation_source', 'termination_reason', 'main_language'];
  let phones = 0, costs = 0, noCost = 0, tools = 0;
  for (const rec of await sim.dataset('elevenlabs')) {
    const id = rec.native.conversation_id;
    const r = await get('elevenlabs', path(id));
    assert.equal(r.status, 200, id);
    const b = r.json();
    for (const k of ['agent_id', 'agent_name', 'version_id', 'branch_id', 'conversation_id', 'status']) assert.deepEqual(b[k], rec.native[k], `${id} ${k}`);
    for (const k of MOVED) assert.deepEqual(b.metadata[k], rec.native[k], `${id} metadata.${k}`);
    assert.equal(b.analysis === null ? null : b.analysis.transcript_summary, rec.native.status === 'initiated' ? null : rec.native.transcript_summary);
    const want = await expectedOf('elevenlabs', id);
    // the list's record, but for the numbers only the detail has
    for (const [k, v] of Object.entries(rec.expected)) if (k !== 'from' && k !== 'to') assert.deepEqual(want[k], v, `${id} expected ${k}`);
    const pc = b.metadata.phone_call;
    if (pc) {
      phones++;
      assert.equal(pc.direction, rec.native.direction);
      assert.deepEqual([want.from, want.to], pc.direction === 'inbound' ? [pc.external_number, pc.agent_number] : [pc.agent_number, pc.external_number]);
    } else assert.deepEqual([want.from, want.to], [null, null]);
    assert.ok(Array.isArray(b.transcript));
    assert.equal(want.transcript.length, b.transcript.length);
    b.transcript.forEach((t, i) => {
      const tenthsMs = Math.round(t.time_in_call_secs * 10000);
      assert.deepEqual(want.transcript[i], { role: t.role, text: t.message ?? '', offset_ms: Math.floor((tenthsMs + 5) / 10) });
      if (t.message === null) tools++;
    });
    assert.equal(want.recording_url, null);
    if (b.metadata.cost_fiat === undefined) {
      noCost++;
      assert.equal(want.cost, null);
    } else {
      costs++;
      assert.deepEqual(want.cost, { amount: b.metadata.cost_fiat, currency: 'USD' });
    }
  }
  assert.ok(phones > 0 && costs > 0 && noCost > 0 && tools > 0, `${phones} ${costs} ${noCost} ${tools}`);
  const nf = await get('elevenlabs', path('conv_nope'));
  assert.equal(nf.status, 404);
  assert.equal(nf.json().detail.status, 'conversation_not_found');
  assert.equal((await get('elevenlabs', path('conv_nope'), { noAuth: true })).status, 401);
  const first = (await sim.dataset('elevenlabs'))[0].native.conversation_id;
  await sim.control('POST', '/elevenlabs/fault', { mode: 'status:503', count: 1 });
  assert.equal((await get('elevenlabs', path(first))).status, 503);
  assert.equal((await get('elevenlabs', path(first))).status, 200);
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
