// The retell kind: its data set against an independent normalization, the
// status table, pagination_key walks in both orders (the stale key on the
// last page, walks under inserts), typed filter_criteria, and validation.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startSim } from './helpers.mjs';

let sim;
let ds;
before(async () => {
  sim = await startSim(['--seed', '42', '--size', '300']);
  ds = await sim.dataset('retell');
});
after(async () => {
  assert.equal(await sim.stop(), 0);
});

const list = (body, extra) => sim.list('retell', body, extra);

// ---- an independent normalizer, from the native record only ----

const iso = (ms) => (ms === undefined || ms === null ? null : new Date(ms).toISOString());
const n = (v) => (typeof v === 'string' ? v.toLowerCase().replace(/-/g, '_') : v ?? null);

function retellStatus(st, r) {
  r = n(r);
  switch (n(st)) {
    case 'registered': return ['queued', null];
    case 'ongoing': return ['in_progress', null];
    case 'error': return ['failed', 'error'];
    case 'not_connected':
      return { dial_no_answer: ['no_answer', 'no_answer'], dial_busy: ['busy', 'busy'], voicemail_reached: ['voicemail', 'voicemail'] }[r] || ['failed', 'error'];
    case 'ended': {
      if (r === null) return ['completed', null];
      const t = {
        dial_no_answer: ['no_answer', 'no_answer'], dial_busy: ['busy', 'busy'], voicemail_reached: ['voicemail', 'voicemail'],
        user_hangup: ['completed', 'user_hangup'], agent_hangup: ['completed', 'agent_hangup'], call_transfer: ['completed', 'transferred'],
        inactivity: ['completed', 'inactivity'], max_duration_reached: ['completed', 'max_duration'],
        transfer_bridged: ['completed', 'transferred'], manual_stopped: ['completed', 'agent_hangup'], call_take_over: ['completed', 'agent_hangup'],
      };
      if (t[r]) return t[r];
      if (r === 'dial_failed' || /^error_/.test(r) || ['concurrency_limit_reached', 'marked_as_spam', 'scam_detected', 'invalid_destination'].includes(r)) return ['failed', 'error'];
      return ['completed', 'error'];
    }
    default: return ['unknown', null];
  }
}

function normalize(x) {
  const [status, end_reason] = retellStatus(x.call_status, x.disconnection_reason);
  return {
    id: 'retell:' + x.call_id, provider: 'retell', provider_kind: 'retell', native_id: x.call_id,
    type: x.call_type === 'web_call' ? 'web' : 'phone', direction: x.direction ?? null, status, end_reason,
    provider_status: x.call_status, from: x.from_number ?? null, to: x.to_number ?? null,
    agent: { id: x.agent_id, name: x.agent_name ?? null, version: x.agent_version ?? null },
    started_at: iso(x.start_timestamp), ended_at: iso(x.end_timestamp), duration_ms: x.duration_ms ?? null, is_test: null,
    campaign_id: x.batch_call_id ?? null, tags: [], metadata: x.metadata ?? {},
  };
}

test('retell: every expected record matches an independent normalization of its native record', () => {
  assert.equal(ds.length, 300);
  for (const { native, expected } of ds) {
    const { _transcript, ...e } = expected;
    assert.deepEqual(e, normalize(native), native.call_id);
    assert.equal(_transcript, null);
    assert.ok(!('transcript' in native) && !('transcript_object' in native), 'the v3 list carries no transcript');
  }
});

test('retell: a 50-record data set holds every row of the status table', async () => {
  const s = await startSim(['--seed', '7', '--size', '50', '--provider', 'rt=retell']);
  try {
    const d = (await s.dataset('rt')).map((r) => r.native);
    const has = (pred) => d.some(pred);
    for (const st of ['registered', 'not_connected', 'ongoing', 'ended', 'error']) assert.ok(has((x) => x.call_status === st), st);
    const reasons = [
      'user_hangup', 'agent_hangup', 'call_transfer', 'voicemail_reached', 'ivr_reached', 'inactivity', 'max_duration_reached',
      'concurrency_limit_reached', 'no_concurrency_fallback', 'no_valid_payment', 'scam_detected', 'dial_busy', 'dial_failed',
      'dial_no_answer', 'invalid_destination', 'telephony_provider_permission_denied', 'telephony_provider_unavailable',
      'sip_routing_error', 'marked_as_spam', 'user_declined', 'error_llm_websocket_open', 'error_llm_websocket_lost_connection',
      'error_llm_websocket_runtime', 'error_llm_websocket_corrupt_payload', 'error_no_audio_received', 'error_asr', 'error_retell',
      'error_unknown', 'error_user_not_joined', 'registered_call_timeout', 'transfer_bridged', 'transfer_cancelled',
      'manual_stopped', 'call_take_over',
    ];
    for (const r of reasons) assert.ok(has((x) => x.call_status === 'ended' && x.disconnection_reason === r), r);
    assert.ok(has((x) => x.call_status === 'ended' && !('disconnection_reason' in x)));
    for (const r of ['dial_no_answer', 'dial_busy', 'voicemail_reached', 'dial_failed']) {
      assert.ok(has((x) => x.call_status === 'not_connected' && x.disconnection_reason === r), 'not_connected ' + r);
    }
    assert.ok(has((x) => x.call_status === 'not_connected' && !('disconnection_reason' in x)));
    // web calls carry the room's access_token and no numbers or direction
    const web = d.filter((x) => x.call_type === 'web_call');
    assert.ok(web.length > 0 && web.every((x) => typeof x.access_token === 'string' && !('direction' in x) && !('from_number' in x)));
    assert.ok(d.filter((x) => x.call_type === 'phone_call').every((x) => !('access_token' in x) && ['inbound', 'outbound'].includes(x.direction)));
    // registered calls have not started
    assert.ok(d.filter((x) => x.call_status === 'registered').every((x) => !('start_timestamp' in x)));
    assert.ok(has((x) => !('agent_name' in x)) && has((x) => typeof x.batch_call_id === 'string'));
  } finally {
    await s.stop();
  }
});

// started_at ascending, no start first, ties by call_id ascending
function ascIds(pred = () => true) {
  return ds
    .filter((r) => pred(r.native))
    .map((r) => r.native)
    .sort((a, b) => {
      const x = a.start_timestamp ?? -Infinity;
      const y = b.start_timestamp ?? -Infinity;
      if (x !== y) return x < y ? -1 : 1;
      return a.call_id < b.call_id ? -1 : a.call_id > b.call_id ? 1 : 0;
    })
    .map((x) => x.call_id);
}

async function walk(body, max = 1000) {
  const out = [];
  const keys = [];
  let key;
  for (let i = 0; i < max; i++) {
    const r = await list(key === undefined ? body : { ...body, pagination_key: key });
    assert.equal(r.status, 200, r.text);
    const b = r.json();
    assert.ok(Array.isArray(b.items) && typeof b.has_more === 'boolean');
    out.push(...b.items.map((x) => x.call_id));
    keys.push(b.pagination_key);
    if (!b.has_more) return { out, keys, last: b, pages: i + 1, sentKey: key };
    assert.equal(typeof b.pagination_key, 'string');
    key = b.pagination_key;
  }
  throw new Error('walk did not end');
}

test('retell: pagination_key walks in both orders; the last page carries the stale key it was given', async () => {
  const asc = await walk({ sort_order: 'ascending', limit: 7 });
  assert.deepEqual(asc.out, ascIds());
  const desc = await walk({ limit: 11 });
  assert.deepEqual(desc.out, ascIds().reverse());
  for (const w of [asc, desc]) {
    assert.ok(w.pages > 1);
    assert.equal(w.last.pagination_key, w.sentKey, 'the last page repeats the key of the request');
    assert.equal(new Set(w.keys.slice(0, -1)).size, w.pages - 1, 'keys differ while has_more is true');
  }
  // a single page that holds everything still comes with a key
  const one = await list({ limit: 1000 });
  assert.equal(one.json().has_more, false);
  assert.equal(typeof one.json().pagination_key, 'string');
  assert.equal(one.json().items.length, 300);
  // default limit 50; total only when asked
  const d = (await list({})).json();
  assert.equal(d.items.length, 50);
  assert.ok(!('total' in d));
  assert.equal((await list({ include_total: true, limit: 1 })).json().total, 300);
});

test('retell: a walk under inserts returns every call present at its start exactly once', async () => {
  try {
    const before = ascIds();
    const seen = [];
    let key;
    for (let i = 0; i < 100; i++) {
      const b = (await list({ sort_order: 'ascending', limit: 40, ...(key ? { pagination_key: key } : {}) })).json();
      seen.push(...b.items.map((x) => x.call_id));
      if (i < 3) await sim.control('POST', '/retell/insert', { count: 5 });
      if (!b.has_more) break;
      key = b.pagination_key;
    }
    assert.deepEqual(seen.slice(0, before.length), before);
    assert.equal(seen.length, before.length + 15, 'inserted calls start now: they come last');
    assert.equal(new Set(seen).size, seen.length);
    const dseen = [];
    key = undefined;
    for (let i = 0; i < 100; i++) {
      const b = (await list({ limit: 40, ...(key ? { pagination_key: key } : {}) })).json();
      dseen.push(...b.items.map((x) => x.call_id));
      if (i < 3) await sim.control('POST', '/retell/insert', { count: 5 });
      if (!b.has_more) break;
      key = b.pagination_key;
    }
    assert.equal(dseen.length, before.length + 15, 'a descending walk keeps its place');
    assert.equal(new Set(dseen).size, dseen.length);
  } finally {
    await sim.control('POST', '/reset');
  }
});

test('retell: typed filter_criteria', async () => {
  const nat = ds.map((r) => r.native);
  const agents = sim.providers.retell.agents.map((a) => a.id);
  const t = nat.filter((x) => x.start_timestamp).map((x) => x.start_timestamp).sort((a, b) => a - b);
  const lo = t[50];
  const hi = t[200];
  const cases = [
    [{ call_status: { type: 'enum', op: 'in', value: ['ended', 'not_connected'] } }, (x) => ['ended', 'not_connected'].includes(x.call_status)],
    [{ call_type: { type: 'enum', op: 'in', value: ['web_call'] } }, (x) => x.call_type === 'web_call'],
    [{ direction: { type: 'enum', op: 'in', value: ['inbound'] } }, (x) => x.direction === 'inbound'],
    [{ agent: [{ agent_id: agents[0] }, { agent_id: agents[1], version: [1, 2] }] },
      (x) => x.agent_id === agents[0] || (x.agent_id === agents[1] && [1, 2].includes(x.agent_version))],
    [{ start_timestamp: { type: 'number', op: 'ge', value: lo } }, (x) => x.start_timestamp >= lo],
    [{ start_timestamp: { type: 'number', op: 'lt', value: hi } }, (x) => x.start_timestamp !== undefined && x.start_timestamp < hi],
    [{ start_timestamp: { type: 'range', op: 'bt', value: [lo, hi] } }, (x) => x.start_timestamp >= lo && x.start_timestamp <= hi],
    [{ duration_ms: { type: 'number', op: 'le', value: 4000 } }, (x) => x.duration_ms !== undefined && x.duration_ms <= 4000],
    [{ duration_ms: { type: 'range', op: 'bt', value: [10000, 60000] } }, (x) => x.duration_ms >= 10000 && x.duration_ms <= 60000],
    [{ from_number: { type: 'string', op: 'co', value: '+44' } }, (x) => (x.from_number || '').includes('+44')],
    [{ disconnection_reason: { type: 'enum', op: 'in', value: ['dial_no_answer'] } }, (x) => x.disconnection_reason === 'dial_no_answer'],
    [{ call_status: { type: 'enum', op: 'in', value: ['ended'] }, direction: { type: 'enum', op: 'in', value: ['outbound'] } },
      (x) => x.call_status === 'ended' && x.direction === 'outbound'],
  ];
  for (const [fc, pred] of cases) {
    for (const sort_order of ['ascending', 'descending']) {
      const w = await walk({ filter_criteria: fc, sort_order, limit: 23 });
      const exp = ascIds(pred);
      assert.ok(exp.length > 0, JSON.stringify(fc));
      assert.deepEqual(w.out, sort_order === 'ascending' ? exp : exp.reverse(), JSON.stringify(fc) + ' ' + sort_order);
    }
  }
  // unknown filter keys are ignored
  assert.equal((await list({ limit: 1000, filter_criteria: { user_sentiment_x: 1 } })).json().items.length, 300);
});

test('retell: validation answers 400 in the provider shape', async () => {
  const bad = [
    { limit: 0 }, { limit: 1001 }, { limit: 2.5 }, { limit: '10' }, { sort_order: 'asc' }, { skip: -1 },
    { skip: 0, pagination_key: 'x' }, { pagination_key: 'not-a-key' }, { pagination_key: 5 },
    { filter_criteria: [] }, { filter_criteria: { call_status: ['ended'] } },
    { filter_criteria: { call_status: { type: 'enum', op: 'in', value: ['registered'] } } },
    { filter_criteria: { call_status: { type: 'enum', op: 'in', value: [] } } },
    { filter_criteria: { start_timestamp: { lower_threshold: 1 } } },
    { filter_criteria: { start_timestamp: { type: 'number', op: 'gte', value: 1 } } },
    { filter_criteria: { start_timestamp: { type: 'range', op: 'bt', value: [1] } } },
    { filter_criteria: { agent: [{ id: 'x' }] } }, { filter_criteria: { agent_id: 'x', agent: 'y' } },
    { include_total: 'yes' },
  ];
  for (const body of bad) {
    const r = await list(body);
    assert.equal(r.status, 400, JSON.stringify(body));
    assert.equal(r.json().status, 'error');
    assert.equal(typeof r.json().message, 'string');
  }
  const r = await sim.request('POST', sim.providers.retell.path, { headers: sim.providers.retell.auth, rawBody: '{"limit":' });
  assert.equal(r.status, 400);
  // a key is bound to its sort order
  const k = (await list({ limit: 5 })).json().pagination_key;
  assert.equal((await list({ limit: 5, sort_order: 'ascending', pagination_key: k })).status, 400);
  // skip pages by offset
  const s = (await list({ limit: 5, skip: 5 })).json().items.map((x) => x.call_id);
  assert.deepEqual(s, ascIds().reverse().slice(5, 10));
  // auth
  assert.equal((await list({}, { noAuth: true })).status, 401);
  const w = await list({}, { noAuth: true, headers: { Authorization: 'Bearer sim-retell-other' } });
  assert.equal(w.status, 401);
  assert.deepEqual(w.json(), { status: 'error', message: 'API key is missing or invalid.' });
  assert.equal((await list({}, { noAuth: true, headers: { Authorization: 'bearer sim-retell-key' } })).status, 200);
  assert.equal((await sim.request('GET', sim.providers.retell.path, { headers: sim.providers.retell.auth })).status, 405);
});

test('retell: the repeat fault returns the key just sent; wrongtypes and malformed bodies', async () => {
  const p1 = (await list({ limit: 5 })).json();
  const p2 = await list({ limit: 5, pagination_key: p1.pagination_key });
  const k2 = p2.json().pagination_key;
  await sim.control('POST', '/retell/fault', { mode: 'repeat' });
  const p3 = (await list({ limit: 5, pagination_key: k2 })).json();
  assert.equal(p3.pagination_key, k2, 'a repeated key, with has_more true');
  assert.equal(p3.has_more, true);
  await sim.control('POST', '/retell/fault', { mode: 'wrongtypes' });
  const wt = (await list({ limit: 6 })).json();
  assert.ok(Array.isArray(wt.items[0]) && typeof wt.items[1].call_id === 'number');
  await sim.control('POST', '/retell/fault', { mode: 'malformed' });
  const m = await list({ limit: 6 });
  assert.throws(() => JSON.parse(m.text));
  assert.ok(m.text.startsWith('{"items":['));
});

test('retell: oversize and deep bodies keep the provider envelope; empty and status faults', async () => {
  await sim.control('POST', '/retell/fault', { mode: 'oversize', bytes: 2 * 1024 * 1024 });
  const o = await list({}, { timeout: 20000 });
  assert.equal(o.buf.length, 2 * 1024 * 1024);
  const ob = o.json();
  assert.ok(ob.items.length > 100 && ob.has_more === false);
  await sim.control('POST', '/retell/fault', { mode: 'deep', depth: 500 });
  const d = await list({});
  assert.ok(d.text.startsWith('{"items":[' + '['.repeat(500)));
  assert.equal(d.json().has_more, false);
  await sim.control('POST', '/retell/fault', { mode: 'empty' });
  assert.equal((await list({})).buf.length, 0);
  await sim.control('POST', '/retell/fault', { mode: 'status:429', retry_after: '3' });
  const r = await list({});
  assert.equal(r.status, 429);
  assert.equal(r.headers['retry-after'], '3');
  assert.deepEqual(Object.keys(r.json()).sort(), ['message', 'status']);
  assert.equal((await list({})).status, 200, 'fault consumed');
});
