// Data set: determinism, expected records, status table coverage,
// shared instants, and an independent re-derivation of every expected
// record from its native record.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startSim, nativeId } from './helpers.mjs';

// the kinds whose records this file re-derives (others have a file of their own)
const KINDS = ['verbex', 'voicy', 'talkover', 'osvi', 'zudu', 'bland', 'vapi', 'elevenlabs'];
let sim;
const ds = {};
before(async () => {
  sim = await startSim(['--seed', '42', '--size', '50']);
  for (const k of KINDS) ds[k] = await sim.dataset(k);
});
after(async () => {
  await sim.stop();
});

const RECORD_KEYS = [
  'id', 'provider', 'provider_kind', 'native_id', 'type', 'direction', 'status', 'end_reason', 'provider_status', 'from',
  'to', 'agent', 'started_at', 'ended_at', 'duration_ms', 'is_test', 'campaign_id', 'tags', 'metadata', '_transcript',
];
const STATUSES = ['scheduled', 'queued', 'ringing', 'in_progress', 'completed', 'no_answer', 'busy', 'voicemail', 'failed', 'canceled', 'unknown'];
const END_REASONS = ['user_hangup', 'agent_hangup', 'transferred', 'inactivity', 'max_duration', 'voicemail', 'no_answer', 'busy', 'error', null];
const TS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

test('determinism: same seed and size give identical bytes; another seed differs', async () => {
  const a = await startSim(['--seed', '42', '--size', '50']);
  const b = await startSim(['--seed', '43', '--size', '50']);
  try {
    for (const k of KINDS) {
      const x = (await sim.request('GET', '/_control/' + k + '/dataset')).text;
      const y = (await a.request('GET', '/_control/' + k + '/dataset')).text;
      const z = (await b.request('GET', '/_control/' + k + '/dataset')).text;
      assert.equal(x, y, k);
      assert.notEqual(x, z, k);
    }
  } finally {
    await a.stop();
    await b.stop();
  }
});

test('expected records carry every record key with valid values', () => {
  for (const k of KINDS) {
    assert.equal(ds[k].length, 50);
    const seen = new Set();
    for (const { native, expected: e } of ds[k]) {
      assert.deepEqual(Object.keys(e), RECORD_KEYS, k);
      assert.equal(e.provider, k);
      assert.equal(e.provider_kind, k);
      assert.equal(e.native_id, nativeId(k, native));
      assert.equal(e.id, k + ':' + e.native_id);
      assert.ok(!seen.has(e.id), 'duplicate id ' + e.id);
      seen.add(e.id);
      assert.ok(['phone', 'web', null].includes(e.type));
      assert.ok([null, 'inbound', 'outbound'].includes(e.direction));
      assert.ok(STATUSES.includes(e.status), e.status);
      assert.ok(END_REASONS.includes(e.end_reason), e.end_reason);
      assert.equal(typeof e.provider_status, 'string');
      assert.deepEqual(Object.keys(e.agent), ['id', 'name', 'version']);
      for (const t of [e.started_at, e.ended_at]) assert.ok(t === null || TS.test(t), t);
      assert.ok(e.duration_ms === null || Number.isInteger(e.duration_ms));
      assert.ok(e.is_test === null || typeof e.is_test === 'boolean');
      assert.ok(e.campaign_id === null || typeof e.campaign_id === 'string');
      assert.ok(Array.isArray(e.tags));
      assert.ok(e.metadata && typeof e.metadata === 'object' && !Array.isArray(e.metadata));
      if (e.started_at) {
        const t = Date.parse(e.started_at);
        assert.ok(t >= Date.UTC(2026, 0, 1) && t < Date.UTC(2026, 5, 30), e.started_at);
      }
    }
  }
});

// ---- independent normalizer, from the native record only ----

const iso = (ms) => (ms === null || ms === undefined ? null : new Date(ms).toISOString());
const n = (v) => (typeof v === 'string' ? v.toLowerCase().replace(/-/g, '_') : v);

function verbexStatus(st, r) {
  const R = {
    user_ended_call: ['completed', 'user_hangup'], agent_ended_call: ['completed', 'agent_hangup'],
    call_transferred: ['completed', 'transferred'], inactivity_timeout: ['completed', 'inactivity'],
    maximum_duration_exceeded: ['completed', 'max_duration'], no_answer: ['no_answer', 'no_answer'],
    line_busy: ['busy', 'busy'], voicemail_detected: ['voicemail', 'voicemail'], answering_machine_detected: ['voicemail', 'voicemail'],
  };
  st = n(st);
  r = n(r);
  if (st === 'registered') return ['queued', null];
  if (st === 'ongoing') return ['in_progress', null];
  if (st === 'error') return ['failed', r ? (R[r] ? R[r][1] : 'error') : 'error'];
  if (st === 'ended') return r ? R[r] || ['failed', 'error'] : ['completed', null];
  return ['unknown', null];
}

const EL_PHONE = ['twilio', 'sip_trunk', 'exotel', 'genesys', 'vonage', 'plivo', 'telnyx'];
const EL_WEB = ['widget', 'react_sdk', 'js_sdk', 'swift_sdk', 'android_sdk', 'flutter_sdk', 'web'];
const EL_STATUS = { initiated: ['queued', null], in_progress: ['in_progress', null], processing: ['completed', null], done: ['completed', null], failed: ['failed', 'error'] };

function normalize(kind, x) {
  const e = {
    id: null, provider: kind, provider_kind: kind, native_id: nativeId(kind, x), type: 'phone', direction: null,
    status: null, end_reason: null, provider_status: null, from: null, to: null, agent: { id: null, name: null, version: null },
    started_at: null, ended_at: null, duration_ms: null, is_test: null, campaign_id: null, tags: [], metadata: {},
  };
  e.id = kind + ':' + e.native_id;
  if (kind === 'verbex') {
    e.type = x.call_type === 'web_call' ? 'web' : 'phone';
    e.direction = x.direction ?? null;
    [e.status, e.end_reason] = verbexStatus(x.call_status, x.call_finish_reason);
    e.provider_status = x.call_status;
    e.from = x.from_number ?? null;
    e.to = x.to_number ?? null;
    e.agent = { id: x.ai_agent_id, name: x.ai_agent_name, version: null };
    e.started_at = x.call_start_time === null ? null : iso(Date.parse(x.call_start_time));
    e.ended_at = x.call_end_time === null ? null : iso(Date.parse(x.call_end_time));
    e.duration_ms = x.call_duration_seconds === null ? null : x.call_duration_seconds * 1000;
    e.metadata = x.metadata || {};
  } else if (kind === 'voicy') {
    const M = {
      initiated: ['queued', null], ringing: ['ringing', null], ongoing: ['in_progress', null], user_hangup: ['completed', 'user_hangup'],
      agent_hangup: ['completed', 'agent_hangup'], inactivity: ['completed', 'inactivity'], error_inactivity: ['failed', 'inactivity'],
      error: ['failed', 'error'], busy: ['busy', 'busy'], no_answer: ['no_answer', 'no_answer'], canceled: ['canceled', null],
    };
    e.type = x.call_type === 'web_call' ? 'web' : 'phone';
    e.direction = { incoming: 'inbound', outgoing: 'outbound' }[x.direction];
    [e.status, e.end_reason] = M[n(x.call_status)];
    e.provider_status = x.call_status;
    e.from = x.from_number;
    e.to = x.to_number;
    e.agent = { id: null, name: x.agent.name, version: x.agent.version };
    e.started_at = iso(x.start_timestamp);
    e.duration_ms = x.duration_ms;
    e.ended_at = x.start_timestamp !== null && x.duration_ms !== null ? iso(x.start_timestamp + x.duration_ms) : null;
    e.is_test = x.is_test_call;
  } else if (kind === 'talkover') {
    const M = {
      initiated: ['queued', null], ringing: ['ringing', null], answered: ['in_progress', null], completed: ['completed', null],
      failed: ['failed', 'error'], busy: ['busy', 'busy'], no_answer: ['no_answer', 'no_answer'],
    };
    e.direction = x.direction;
    [e.status, e.end_reason] = M[n(x.status)];
    e.provider_status = x.status;
    e.from = x.from;
    e.to = x.to;
    e.agent = { id: x.agent.id, name: x.agent.name, version: null };
    const t = Date.parse(x.created_at);
    e.started_at = iso(t);
    if (n(x.status) === 'completed') {
      e.duration_ms = x.duration * 1000;
      e.ended_at = iso(t + x.duration * 1000);
    }
    e.is_test = x.is_testing;
  } else if (kind === 'osvi') {
    const M = {
      in_progress: ['in_progress', null], picked: ['completed', null], not_picked: ['no_answer', 'no_answer'],
      busy: ['busy', 'busy'], voicemail: ['voicemail', 'voicemail'], failed: ['failed', 'error'],
    };
    e.direction = x.call_type;
    [e.status, e.end_reason] = M[n(x.status)];
    if (n(x.status) === 'picked') e.end_reason = { user: 'user_hangup', agent: 'agent_hangup' }[x.call_ended_by] ?? null;
    e.provider_status = x.status;
    if (x.call_type === 'outbound') [e.from, e.to] = [x.from_number, x.phone_number];
    if (x.call_type === 'inbound') [e.from, e.to] = [x.phone_number, x.from_number];
    e.agent = { id: x.agent_uuid, name: x.agent_name, version: null };
    e.started_at = iso(Date.parse(x.created_at));
    e.duration_ms = x.duration_seconds === null ? null : x.duration_seconds * 1000;
    e.ended_at = x.call_picked_at && x.duration_seconds !== null ? iso(Date.parse(x.call_picked_at) + x.duration_seconds * 1000) : null;
    e.campaign_id = x.campaign_id === null ? null : String(x.campaign_id);
    e.tags = x.tag ? [x.tag.name] : [];
  } else if (kind === 'elevenlabs') {
    const src = x.conversation_initiation_source;
    e.type = EL_PHONE.includes(src) ? 'phone' : EL_WEB.includes(src) ? 'web' : null;
    e.direction = x.direction ?? null;
    [e.status, e.end_reason] = EL_STATUS[n(x.status)] || ['unknown', null];
    e.provider_status = x.status;
    e.agent = { id: x.agent_id, name: x.agent_name, version: x.version_id };
    const t = x.start_time_unix_secs * 1000;
    e.started_at = iso(t);
    e.duration_ms = x.call_duration_secs * 1000;
    e.ended_at = ['processing', 'done', 'failed'].includes(n(x.status)) ? iso(t + e.duration_ms) : null;
  } else if (kind === 'zudu') {
    const R = {
      dial_no_answer: ['no_answer', 'no_answer'], dial_busy: ['busy', 'busy'], voicemail_reached: ['voicemail', 'voicemail'],
      dial_failed: ['failed', 'error'], user_hangup: ['completed', 'user_hangup'], agent_hangup: ['completed', 'agent_hangup'],
      call_transfer: ['completed', 'transferred'], inactivity: ['completed', 'inactivity'], max_duration_reached: ['completed', 'max_duration'],
    };
    const S = { scheduled: ['scheduled', null], registered: ['queued', null], ongoing: ['in_progress', null], error: ['failed', 'error'] };
    e.type = n(x.call_type) === 'web_call' ? 'web' : 'phone';
    e.direction = x.direction ? x.direction.toLowerCase() : null;
    const st = n(x.call_status);
    const r = n(x.disconnection_reason);
    [e.status, e.end_reason] = st === 'ended' ? (r ? R[r] || ['failed', 'error'] : ['completed', null]) : S[st];
    e.provider_status = x.call_status;
    e.from = x.from_number;
    e.to = x.to_number;
    e.agent = { id: x.agent_id, name: null, version: null };
    e.started_at = iso(x.start_timestamp ?? x.created_at);
    e.ended_at = iso(x.end_timestamp);
    e.duration_ms = x.call_duration;
    e.metadata = x.metadata || {};
  } else if (kind === 'bland') {
    // the row-ordered status table over queue_status/completed/answered_by/error_message
    const q = n(x.queue_status);
    if (q === 'canceled') [e.status, e.end_reason] = ['canceled', null];
    else if (x.completed === true && n(x.answered_by) === 'voicemail') [e.status, e.end_reason] = ['voicemail', 'voicemail'];
    else if (x.completed === true) [e.status, e.end_reason] = ['completed', null];
    else if (q === 'error' || q === 'failed' || x.error_message) [e.status, e.end_reason] = ['failed', 'error'];
    else if (['queued', 'allocated', 'new'].includes(q)) [e.status, e.end_reason] = ['queued', null];
    else if (['started', 'in_progress'].includes(q)) [e.status, e.end_reason] = ['in_progress', null];
    else [e.status, e.end_reason] = ['unknown', null];
    e.direction = x.inbound === true ? 'inbound' : x.inbound === false ? 'outbound' : null;
    e.provider_status = x.queue_status;
    e.from = x.from;
    e.to = x.to;
    // microseconds and +00:00: the instant, cut to the millisecond
    const m = /^(.{19})(?:\.(\d{3})\d*)?\+00:00$/.exec(x.created_at);
    const t = Date.parse(m[1] + '.' + (m[2] || '000') + 'Z');
    e.started_at = iso(t);
    e.duration_ms = typeof x.call_length === 'number' ? Math.round(x.call_length * 60 * 1000) : null;
    e.ended_at = x.completed === true && e.duration_ms !== null ? iso(t + e.duration_ms) : null;
    e.campaign_id = x.campaign_id || x.batch_id || null;
  } else if (kind === 'vapi') {
    const T = { inboundphonecall: ['phone', 'inbound'], outboundphonecall: ['phone', 'outbound'], webcall: ['web', null], 'vapi.websocketcall': ['web', null] };
    [e.type, e.direction] = T[x.type.toLowerCase()];
    e.provider_status = x.status;
    [e.status, e.end_reason] = vapiStatus(x.status, x.endedReason);
    const cust = x.customer?.number ?? null, ours = x.phoneNumber?.number ?? null;
    if (e.direction === 'inbound') [e.from, e.to] = [cust, ours];
    if (e.direction === 'outbound') [e.from, e.to] = [ours, cust];
    e.agent = { id: x.assistantId ?? null, name: x.assistant?.name ?? null, version: null };
    e.started_at = iso(Date.parse(x.startedAt ?? x.createdAt));
    e.ended_at = x.endedAt ? iso(Date.parse(x.endedAt)) : null;
    e.duration_ms = x.startedAt && x.endedAt ? Date.parse(x.endedAt) - Date.parse(x.startedAt) : null;
    e.campaign_id = x.campaignId ?? null;
  }
  return e;
}

function vapiStatus(st, r) {
  const W = { scheduled: 'scheduled', queued: 'queued', ringing: 'ringing', in_progress: 'in_progress', forwarding: 'in_progress' };
  if (n(st) !== 'ended') return [W[n(st)] ?? 'unknown', null];
  if (r === undefined || r === null) return ['completed', null];
  const k = n(r);
  const R = {
    customer_ended_call: ['completed', 'user_hangup'], assistant_ended_call: ['completed', 'agent_hangup'],
    assistant_said_end_call_phrase: ['completed', 'agent_hangup'], assistant_forwarded_call: ['completed', 'transferred'],
    silence_timed_out: ['completed', 'inactivity'], exceeded_max_duration: ['completed', 'max_duration'], voicemail: ['voicemail', 'voicemail'],
    customer_did_not_answer: ['no_answer', 'no_answer'], customer_busy: ['busy', 'busy'], manually_canceled: ['canceled', null],
  };
  if (R[k]) return R[k];
  if (/^assistant_ended_call_/.test(k)) return ['completed', 'agent_hangup'];
  return /error|failed/.test(k) ? ['failed', 'error'] : ['completed', 'error'];
}

test('every expected record matches an independent normalization of its native record', () => {
  for (const k of KINDS) {
    for (const { native, expected } of ds[k]) {
      const { _transcript, ...e } = expected;
      assert.deepEqual(e, normalize(k, native), k + ' ' + nativeId(k, native));
      if (k === 'verbex') assert.equal(_transcript, native.messages === null ? null : native.messages.map((m) => m.content).join('\n'));
      else if (k === 'zudu') assert.equal(_transcript, native.transcript ?? null);
      else if (k === 'vapi') assert.equal(_transcript, native.artifact?.transcript ?? native.transcript ?? null);
      else assert.equal(_transcript, null);
    }
  }
});

test('the status table: every provider value occurs in a 50-record data set', () => {
  const has = (k, pred) => ds[k].some((r) => pred(r.native, r.expected));
  const verbexReasons = [
    'user_ended_call', 'agent_ended_call', 'call_transferred', 'voicemail_detected', 'inactivity_timeout', 'answering_machine_detected',
    'maximum_duration_exceeded', 'concurrent_call_limit_reached', 'invalid_payment', 'potential_scam_detected', 'inbound_webhook_error',
    'line_busy', 'call_failed', 'no_answer', 'llm_websocket_initialization_error', 'llm_websocket_connection_lost', 'llm_websocket_runtime_error',
    'llm_websocket_payload_corruption', 'frontend_payload_corruption', 'twilio_service_error', 'twilio_error', 'no_audio_input',
    'speech_recognition_error', 'verbex_service_error', 'pia_platform_internal_error', 'unknown_error', 'user_connection_failure',
    'registered_call_timed_out',
  ];
  for (const st of ['registered', 'ongoing', 'ended', 'error']) assert.ok(has('verbex', (x) => x.call_status === st), st);
  for (const r of verbexReasons) assert.ok(has('verbex', (x) => x.call_finish_reason === r && x.call_status === 'ended'), r);
  assert.ok(has('verbex', (x) => x.call_status === 'ended' && x.call_finish_reason === null));
  assert.ok(has('verbex', (x) => x.call_status === 'error' && x.call_finish_reason === null));
  assert.ok(has('verbex', (x) => x.call_status === 'error' && x.call_finish_reason !== null));
  assert.ok(has('verbex', (x) => x.call_type === 'web_call') && has('verbex', (x) => x.call_type === 'phone_call'));
  assert.ok(has('verbex', (x) => x.call_start_time === null));
  for (const st of ['initiated', 'ringing', 'ongoing', 'user_hangup', 'agent_hangup', 'inactivity', 'error_inactivity', 'error', 'busy', 'no_answer', 'canceled']) {
    assert.ok(has('voicy', (x) => x.call_status === st), st);
  }
  assert.ok(has('voicy', (x) => x.is_test_call) && has('voicy', (x) => x.call_type === 'web_call' && x.direction === 'incoming'));
  for (const st of ['initiated', 'ringing', 'answered', 'completed', 'failed', 'busy', 'no-answer']) assert.ok(has('talkover', (x) => x.status === st), st);
  assert.ok(has('talkover', (x) => x.is_testing));
  for (const st of ['in_progress', 'picked', 'not_picked', 'busy', 'voicemail', 'failed']) assert.ok(has('osvi', (x) => x.status === st), st);
  for (const by of ['user', 'agent', null]) assert.ok(has('osvi', (x) => x.status === 'picked' && x.call_ended_by === by), 'picked/' + by);
  assert.ok(has('osvi', (x) => x.call_type === null) && has('osvi', (x) => x.call_picked_at === null));
  assert.ok(has('osvi', (x) => x.tag !== null) && has('osvi', (x) => x.campaign_id !== null));
  for (const st of ['SCHEDULED', 'REGISTERED', 'ONGOING', 'ENDED', 'ERROR']) assert.ok(has('zudu', (x) => x.call_status === st), st);
  for (const r of ['dial_no_answer', 'dial_busy', 'voicemail_reached', 'dial_failed', 'user_hangup', 'agent_hangup', 'call_transfer', 'inactivity', 'max_duration_reached']) {
    assert.ok(has('zudu', (x) => x.call_status === 'ENDED' && n(x.disconnection_reason) === r), r);
  }
  assert.ok(has('zudu', (x) => x.call_status === 'ENDED' && /^error_/.test(n(x.disconnection_reason) || '')));
  assert.ok(has('zudu', (x) => x.disconnection_reason && x.disconnection_reason === x.disconnection_reason.toUpperCase()));
  assert.ok(has('zudu', (x) => x.disconnection_reason && x.disconnection_reason === x.disconnection_reason.toLowerCase()));
  assert.ok(has('zudu', (x) => x.start_timestamp === null) && has('zudu', (x) => x.call_type === 'WEB_CALL'));
  assert.ok(has('zudu', (x) => typeof x.transcript === 'string') && has('zudu', (x) => x.call_status === 'ENDED' && !('transcript' in x)));
  const bl = (q, done, ab, err) => has('bland', (x) => x.queue_status === q && x.completed === done && (ab === undefined || x.answered_by === ab) && (err === undefined || !!x.error_message === err));
  assert.ok(bl('canceled', false) && bl('canceled', true), 'canceled, with completed either way');
  assert.ok(bl('complete', true, 'voicemail') && bl('COMPLETED', true, 'Voicemail'), 'voicemail');
  assert.ok(bl('complete', true, 'human') && bl('completed', true, 'human'), 'complete and completed');
  assert.ok(bl('error', false) && bl('failed', false) && bl('complete', false, undefined, true), 'failed rows');
  for (const q of ['queued', 'allocated', 'new', 'started', 'In-Progress']) assert.ok(bl(q, false), q);
  assert.ok(bl('complete', false, null, false), 'complete with completed false: unknown');
  assert.ok(has('bland', (x) => !('inbound' in x)) && has('bland', (x) => x.inbound === null), 'direction unknown');
  assert.ok(has('bland', (x) => !/^\+/.test(x.to) || !/^\+/.test(x.from)), 'a number without +');
  assert.ok(has('bland', (x) => x.call_length === null) && has('bland', (x) => x.call_length === 0), 'no or zero call_length');
  assert.ok(has('bland', (x) => x.campaign_id !== null) && has('bland', (x) => x.campaign_id === null && x.batch_id !== null), 'campaign, else batch');
  assert.ok(has('bland', (x) => /:\d{2}\+00:00$/.test(x.created_at)) && has('bland', (x) => /\.\d{6}\+00:00$/.test(x.created_at)), 'created_at with and without a fraction');
  for (const s of ['canceled', 'voicemail', 'completed', 'failed', 'queued', 'in_progress', 'unknown']) assert.ok(has('bland', (x, e) => e.status === s), 'bland ' + s);
  for (const st of ['scheduled', 'queued', 'ringing', 'in-progress', 'forwarding', 'ended', 'not-found', 'deletion-failed']) {
    assert.ok(has('vapi', (x) => x.status === st), st);
  }
  for (const r of [
    'customer-ended-call', 'assistant-ended-call', 'assistant-said-end-call-phrase', 'assistant-ended-call-with-hangup-task',
    'assistant-forwarded-call', 'silence-timed-out', 'exceeded-max-duration', 'voicemail', 'customer-did-not-answer',
    'customer-busy', 'manually-canceled',
  ]) assert.ok(has('vapi', (x) => x.status === 'ended' && x.endedReason === r), r);
  assert.ok(has('vapi', (x) => x.status === 'ended' && x.endedReason === undefined), 'ended without a reason');
  assert.ok(has('vapi', (x, e) => /error|failed/.test(x.endedReason || '') && e.status === 'failed'), 'error reasons');
  assert.ok(has('vapi', (x, e) => x.endedReason && e.status === 'completed' && e.end_reason === 'error'), 'other reasons');
  for (const t of ['inboundPhoneCall', 'outboundPhoneCall', 'webCall', 'vapi.websocketCall']) assert.ok(has('vapi', (x) => x.type === t), t);
  assert.ok(has('vapi', (x) => x.assistant && !x.assistantId) && has('vapi', (x) => x.phoneNumber) && has('vapi', (x) => x.campaignId));
  for (const st of ['initiated', 'in-progress', 'processing', 'done', 'failed']) assert.ok(has('elevenlabs', (x) => x.status === st), st);
  for (const src of [...EL_PHONE, ...EL_WEB, 'whatsapp', 'twilio_sms', 'unknown']) assert.ok(has('elevenlabs', (x) => x.conversation_initiation_source === src), src);
  assert.ok(has('elevenlabs', (x) => !('conversation_initiation_source' in x)));
  assert.ok(has('elevenlabs', (x) => x.version_id === null) && has('elevenlabs', (x) => !('direction' in x)));
  // every normalized status and end reason except `unknown` is produced somewhere
  const st = new Set();
  const er = new Set();
  for (const k of KINDS) for (const r of ds[k]) (st.add(r.expected.status), er.add(r.expected.end_reason));
  for (const s of STATUSES.filter((x) => x !== 'unknown')) assert.ok(st.has(s), s);
  for (const r of END_REASONS) assert.ok(er.has(r), String(r));
});

test('identical start instants across providers and within a provider', () => {
  const sets = KINDS.map((k) => new Set(ds[k].map((r) => r.expected.started_at).filter(Boolean)));
  const common = [...sets[0]].filter((t) => sets.every((s) => s.has(t)));
  assert.ok(common.length >= 1, 'no instant shared by all providers');
  for (const k of KINDS) {
    const all = ds[k].map((r) => r.expected.started_at).filter(Boolean);
    assert.ok(new Set(all).size < all.length, k + ' has no repeated instant');
  }
  // whole seconds where the native format carries no fraction
  for (const k of ['talkover', 'osvi', 'elevenlabs']) for (const r of ds[k]) assert.ok(r.expected.started_at.endsWith('.000Z'));
  assert.ok(ds.osvi.every((r) => r.native.created_at.endsWith('+05:30')));
});

test('size per provider and custom provider names', async () => {
  const s = await startSim(['--provider', 'vx1=verbex', '--provider', 'vx2=verbex', '--size', '30', '--size', 'vx2=5', '--seed', '42']);
  try {
    assert.deepEqual(Object.keys(s.providers), ['vx1', 'vx2']);
    assert.equal(s.providers.vx1.auth.Authorization, 'Bearer sim-vx1-key');
    const a = await s.dataset('vx1');
    const b = await s.dataset('vx2');
    assert.equal(a.length, 30);
    assert.equal(b.length, 5);
    assert.equal(a[0].expected.provider, 'vx1');
    assert.equal(a[0].expected.provider_kind, 'verbex');
    assert.notEqual(a[0].native._id, b[0].native._id);
    const r = await s.request('GET', '/vx2/v1/calls/', { headers: { Authorization: 'Bearer sim-vx2-key' } });
    assert.equal(r.json().total_count, 5);
    const w = await s.request('GET', '/vx2/v1/calls/', { headers: { Authorization: 'Bearer sim-vx1-key' } });
    assert.equal(w.status, 401);
    assert.equal((await s.request('GET', '/verbex/v1/calls/')).status, 404);
  } finally {
    assert.equal(await s.stop(), 0);
  }
});
