// verbex: GET /v1/calls/ — opaque keyset page tokens, FastAPI validation.

import {
  makeAgents, usNumber, isoPy, isoMs, expectedRecord, cmpTimeId, parseIso, bearerOk,
  lowerBound, upperBound, tkey,
} from '../common.mjs';
import { Rng, hash32 } from '../rng.mjs';
import { makeMessages, messageCount } from '../text.mjs';
import { turns, seconds, halfUpMs, getCallDetail } from '../detail.mjs';

const PHONE_REASONS = [
  'user_ended_call', 'agent_ended_call', 'call_transferred', 'voicemail_detected', 'inactivity_timeout',
  'answering_machine_detected', 'maximum_duration_exceeded', 'concurrent_call_limit_reached', 'invalid_payment',
  'potential_scam_detected', 'inbound_webhook_error', 'line_busy', 'call_failed', 'no_answer',
  'llm_websocket_initialization_error', 'llm_websocket_connection_lost', 'llm_websocket_runtime_error',
  'llm_websocket_payload_corruption', 'frontend_payload_corruption', 'twilio_service_error', 'no_audio_input',
  'speech_recognition_error', 'verbex_service_error', 'unknown_error', 'user_connection_failure',
  'registered_call_timed_out',
];
const WEB_REASONS = [
  'user_ended_call', 'agent_ended_call', 'call_transferred', 'inactivity_timeout', 'maximum_duration_exceeded',
  'concurrent_call_limit_reached', 'invalid_payment', 'potential_scam_detected', 'inbound_webhook_error', 'line_busy',
  'call_failed', 'no_answer', 'llm_websocket_initialization_error', 'llm_websocket_connection_lost',
  'llm_websocket_runtime_error', 'llm_websocket_payload_corruption', 'twilio_error', 'no_audio_input',
  'speech_recognition_error', 'pia_platform_internal_error', 'unknown_error', 'user_connection_failure',
];
const WEB_SET = new Set(WEB_REASONS);

// Reasons after which there was a conversation (duration > 0).
const TALK = new Set([
  null, 'user_ended_call', 'agent_ended_call', 'call_transferred', 'inactivity_timeout', 'maximum_duration_exceeded',
  'voicemail_detected', 'answering_machine_detected', 'potential_scam_detected', 'llm_websocket_connection_lost',
  'llm_websocket_runtime_error', 'llm_websocket_payload_corruption', 'frontend_payload_corruption', 'no_audio_input',
  'speech_recognition_error',
]);

// verbex finish reason -> end_reason (and status for `ended`).
const REASON_MAP = {
  user_ended_call: ['completed', 'user_hangup'],
  agent_ended_call: ['completed', 'agent_hangup'],
  call_transferred: ['completed', 'transferred'],
  inactivity_timeout: ['completed', 'inactivity'],
  maximum_duration_exceeded: ['completed', 'max_duration'],
  no_answer: ['no_answer', 'no_answer'],
  line_busy: ['busy', 'busy'],
  voicemail_detected: ['voicemail', 'voicemail'],
  answering_machine_detected: ['voicemail', 'voicemail'],
};

const variants = [
  { st: 'registered', r: null, type: 'phone' },
  { st: 'registered', r: null, type: 'web' },
  { st: 'ongoing', r: null, type: 'phone' },
  { st: 'ongoing', r: null, type: 'web' },
  ...PHONE_REASONS.map((r) => ({ st: 'ended', r, type: 'phone' })),
  { st: 'ended', r: 'twilio_error', type: 'web' },
  { st: 'ended', r: 'pia_platform_internal_error', type: 'web' },
  { st: 'ended', r: null, type: 'phone' },
  { st: 'ended', r: 'user_ended_call', type: 'web' },
  { st: 'error', r: 'call_failed', type: 'phone' },
  { st: 'error', r: null, type: 'phone' },
  { st: 'error', r: 'llm_websocket_runtime_error', type: 'web' },
];

const RANDOM = [
  [30, ['ended', 'user_ended_call']],
  [15, ['ended', 'agent_ended_call']],
  [5, ['ended', 'call_transferred']],
  [8, ['ended', 'no_answer']],
  [4, ['ended', 'line_busy']],
  [4, ['ended', 'voicemail_detected']],
  [1, ['ended', 'answering_machine_detected']],
  [3, ['ended', 'inactivity_timeout']],
  [1, ['ended', 'maximum_duration_exceeded']],
  [2, ['ended', null]],
  [2, ['ended', 'call_failed']],
  [1, ['ended', 'llm_websocket_connection_lost']],
  [1, ['ended', 'unknown_error']],
  [1, ['ended', 'user_connection_failure']],
  [3, ['error', 'call_failed']],
  [1, ['error', null]],
  [3, ['ongoing', null]],
  [2, ['registered', null]],
];

function randomSpec(rng) {
  const [st, r0] = rng.weighted(RANDOM);
  const type = rng.chance(0.2) ? 'web' : 'phone';
  const r = type === 'web' && r0 !== null && !WEB_SET.has(r0) ? 'user_ended_call' : r0;
  return { st, r, type };
}

function insertSpec(rng) {
  let s;
  do s = randomSpec(rng);
  while (s.st === 'registered');
  return s;
}

function setup(ctx) {
  ctx.agents = makeAgents(ctx.name, (rng) => rng.uuid());
  const rng = new Rng(hash32('lines|' + ctx.name));
  ctx.lines = [usNumber(rng), usNumber(rng), usNumber(rng)];
  ctx.batches = [0, 1, 2].map(() => 'batch_' + rng.hex(16));
}

function objectId(rng, sec) {
  return rng.hexBytes(12, sec);
}

function build(ctx, rng, spec, i, t0) {
  const { st, r, type } = spec;
  const c = { seed: rng.u32(), nid: '', t: null, type, dir: null, st, r, agent: rng.int(ctx.agents.length) };
  const started = st !== 'registered';
  c.t = started ? t0 : null;
  const created = started ? t0 : t0 - 60000;
  c.nid = objectId(rng, Math.floor(created / 1000));
  if (type === 'phone') {
    c.dir = rng.chance(0.5) ? 'inbound' : 'outbound';
    const cust = usNumber(rng);
    const line = rng.pick(ctx.lines);
    c.from = c.dir === 'inbound' ? cust : line;
    c.to = c.dir === 'inbound' ? line : cust;
  }
  // timing
  c.end = null;
  c.dur = null;
  if (st === 'ended' || (st === 'error' && r !== null)) {
    let d = 0;
    if (TALK.has(r)) {
      if (r === 'maximum_duration_exceeded') d = 1800;
      else if (r === 'inactivity_timeout') d = rng.range(20, 120);
      else if (r === 'voicemail_detected' || r === 'answering_machine_detected') d = rng.range(8, 40);
      else d = rng.range(15, 900);
    }
    c.dur = d;
    c.end = c.t + d * 1000 + rng.int(1000);
  }
  // messages: null (never connected), partial (ongoing) or by talk time
  if (st === 'registered') c.msgs = -1;
  else if (st === 'ongoing') c.msgs = rng.range(2, 4);
  else c.msgs = messageCount(c.dur || 0);
  // metadata
  c.batch = c.dir === 'outbound' && rng.chance(0.4) ? rng.pick(ctx.batches) : null;
  if (c.batch || rng.chance(0.6)) {
    c.meta = { customer_id: 'cus_' + rng.hex(8), source: rng.pick(['crm', 'web', 'import']) };
    if (c.batch) c.meta.batch_call_id = c.batch;
  } else c.meta = null;
  c.dyn = rng.chance(0.3) ? { customer_name: rng.pick(['Maria', 'James', 'Priya', 'Chen']) } : null;
  c.override = rng.chance(0.05) ? ctx.agents[(c.agent + 1) % ctx.agents.length].id : null;
  c.token = type === 'web' ? 'wct_' + rng.hex(40) : null;
  return c;
}

function messages(c, ctx) {
  if (c.msgs < 0) return null;
  return makeMessages(c.seed, c.msgs, ctx.agents[c.agent].name);
}

function native(c, ctx) {
  const a = ctx.agents[c.agent];
  const o = {
    _id: c.nid,
    call_type: c.type === 'web' ? 'web_call' : 'phone_call',
    ai_agent_id: a.id,
    ai_agent_name: a.name,
    override_ai_agent_id: c.override,
    call_status: c.st,
    call_finish_reason: c.r,
  };
  if (c.type === 'phone') {
    o.from_number = c.from;
    o.to_number = c.to;
    o.direction = c.dir;
  }
  o.call_start_time = isoPy(c.t);
  o.call_end_time = isoPy(c.end);
  o.call_duration_seconds = c.dur;
  o.metadata = c.meta;
  o.pia_llm_dynamic_data = c.dyn;
  o.messages = messages(c, ctx);
  o.recorded_call_audio_url = c.dur ? 'https://storage.verbex.ai/recordings/' + c.nid + '.mp3' : null;
  o.access_token = c.token;
  return o;
}

function mapStatus(st, r) {
  switch (st) {
    case 'registered':
      return ['queued', null];
    case 'ongoing':
      return ['in_progress', null];
    case 'error':
      return ['failed', r === null ? 'error' : REASON_MAP[r] ? REASON_MAP[r][1] : 'error'];
    case 'ended':
      if (r === null) return ['completed', null];
      return REASON_MAP[r] || ['failed', 'error'];
    default:
      return ['unknown', null];
  }
}

function expected(c, ctx) {
  const e = expectedRecord(ctx, c.nid);
  const a = ctx.agents[c.agent];
  e.type = c.type;
  e.direction = c.dir;
  [e.status, e.end_reason] = mapStatus(c.st, c.r);
  e.provider_status = c.st;
  if (c.type === 'phone') {
    e.from = c.from;
    e.to = c.to;
  }
  e.agent = { id: a.id, name: a.name, version: null };
  e.started_at = isoMs(c.t);
  e.ended_at = isoMs(c.end);
  e.duration_ms = c.dur === null ? null : c.dur * 1000;
  e.metadata = c.meta ? { ...c.meta } : {};
  const m = messages(c, ctx);
  e._transcript = m === null ? null : m.map((x) => x.content).join('\n');
  return e;
}

// ---------- HTTP ----------

function err(code, message) {
  return { error: code, message };
}

function envelope(store, count) {
  return ['{"calls":[', '],"next_page_token":null,"total_count":' + count + '}'];
}

// pad (POST /_control/NAME/token {bytes, opaque}): tokens of `bytes`
// characters (one less when bytes % 4 == 1, which base64url cannot
// reach), still base64url of the key with a filler field; or with
// `opaque` the plain token, a '.' and filler.
function encodeToken(c, pad) {
  const tok = Buffer.from(JSON.stringify({ t: c.t, id: c.nid })).toString('base64url');
  if (!pad || pad.bytes <= tok.length + 8) return tok;
  if (pad.opaque) return tok + '.' + '~'.repeat(pad.bytes - tok.length - 1);
  const m = Math.floor(pad.bytes * 3 / 4); // JSON bytes for that many characters
  const empty = JSON.stringify({ t: c.t, id: c.nid, p: '' });
  return Buffer.from(JSON.stringify({ t: c.t, id: c.nid, p: 'x'.repeat(Math.max(0, m - empty.length)) })).toString('base64url');
}
function decodeToken(s) {
  try {
    s = s.replace(/\.~*$/, '');
    if (!/^[A-Za-z0-9_-]+$/.test(s)) return null;
    const o = JSON.parse(Buffer.from(s, 'base64url').toString('utf8'));
    if (!o || typeof o.id !== 'string' || !(o.t === null || typeof o.t === 'number')) return null;
    return { t: o.t, nid: o.id };
  } catch {
    return null;
  }
}

const INT_RE = /^[+-]?\d+$/;

function handle(store, req) {
  const ctx = store.ctx;
  if (!bearerOk(req.headers, 'sim-' + ctx.name + '-key')) {
    return { status: 401, body: err('unauthorized', 'Invalid or missing API key') };
  }
  const q = req.url.searchParams;
  const last = (k) => {
    const v = q.getAll(k);
    return v.length ? v[v.length - 1] : undefined;
  };
  const detail = [];
  let pageSize = 100;
  const ps = last('page_size');
  if (ps !== undefined) {
    if (!INT_RE.test(ps.trim())) {
      detail.push({ type: 'int_parsing', loc: ['query', 'page_size'], msg: 'Input should be a valid integer, unable to parse string as an integer', input: ps });
    } else {
      pageSize = parseInt(ps, 10);
      if (pageSize < 1) detail.push({ type: 'greater_than_equal', loc: ['query', 'page_size'], msg: 'Input should be greater than or equal to 1', input: ps, ctx: { ge: 1 } });
      else if (pageSize > 1000) detail.push({ type: 'less_than_equal', loc: ['query', 'page_size'], msg: 'Input should be less than or equal to 1000', input: ps, ctx: { le: 1000 } });
    }
  }
  let dir = 'desc';
  const sd = last('sort_direction');
  if (sd !== undefined) {
    if (sd !== 'asc' && sd !== 'desc') {
      detail.push({ type: 'string_pattern_mismatch', loc: ['query', 'sort_direction'], msg: "String should match pattern '^(asc|desc)$'", input: sd, ctx: { pattern: '^(asc|desc)$' } });
    } else dir = sd;
  }
  const times = {};
  for (const k of ['start_time_before', 'start_time_after', 'end_time_before', 'end_time_after']) {
    const v = last(k);
    if (v === undefined) continue;
    const t = parseIso(v, 0);
    if (Number.isNaN(t)) {
      detail.push({ type: 'datetime_from_date_parsing', loc: ['query', k], msg: 'Input should be a valid datetime or date, invalid character in year', input: v });
    } else times[k] = t;
  }
  if (detail.length) return { status: 422, body: { detail } };

  let key = null;
  const tok = last('page_token');
  if (tok !== undefined && tok !== '') {
    key = decodeToken(tok);
    if (!key) return { status: 400, body: err('invalid_page_token', 'The page_token is invalid or malformed') };
  }
  const agents = q.getAll('ai_agent_ids');
  const batch = last('batch_call_id');
  const agentSet = agents.length ? new Set(agents) : null;
  // start_time_* bound the sort key: applied by binary search, not by a scan
  const ea = times.end_time_after;
  const eb = times.end_time_before;
  const filtered = agentSet || batch !== undefined || ea !== undefined || eb !== undefined;
  const sig = JSON.stringify([agents.slice().sort(), batch ?? null, ea ?? null, eb ?? null]);
  const view = !filtered
    ? store.base
    : store.view(sig, (c) => {
        if (agentSet && !agentSet.has(ctx.agents[c.agent].id)) return false;
        if (batch !== undefined && c.batch !== batch) return false;
        if (ea !== undefined && (c.end === null || c.end < ea)) return false;
        if (eb !== undefined && (c.end === null || c.end >= eb)) return false;
        return true;
      });
  let lo = 0;
  let hi = view.length;
  const sa = times.start_time_after;
  const sb = times.start_time_before;
  if (sa !== undefined || sb !== undefined) lo = lowerBound(view, { t: -Number.MAX_VALUE, nid: '' }, cmpTimeId); // no null starts
  if (sa !== undefined) lo = Math.max(lo, lowerBound(view, { t: sa, nid: '' }, cmpTimeId));
  if (sb !== undefined) hi = Math.max(lo, lowerBound(view, { t: sb, nid: '' }, cmpTimeId));
  const n = hi - lo;
  const page = [];
  let more;
  if (dir === 'asc') {
    const s = key ? Math.max(lo, upperBound(view, key, cmpTimeId)) : lo;
    const e = Math.min(hi, s + pageSize);
    for (let i = s; i < e; i++) page.push(view[i]);
    more = e < hi;
  } else {
    const e = key ? Math.min(hi, lowerBound(view, key, cmpTimeId)) : hi;
    const s = Math.max(lo, e - pageSize);
    for (let i = e - 1; i >= s; i--) page.push(view[i]);
    more = s > lo;
  }
  const next = more && page.length ? encodeToken(page[page.length - 1], store.tokenBytes) : null;
  let body = '{"calls":[';
  for (let i = 0; i < page.length; i++) body += (i ? ',' : '') + store.json(page[i]);
  body += '],"next_page_token":' + JSON.stringify(next) + ',"total_count":' + n + '}';
  return { status: 200, raw: body };
}

// ---------- one call: GET /v1/calls/{call_id} ----------

// The list's messages, each with its "(start - end)" timing prefix.
function detailTurns(c, ctx) {
  if (c.msgs < 0) return null;
  return turns(c.seed, c.msgs, ctx.agents[c.agent].name, c.dur ? c.dur * 1000 : null);
}

function detailNative(c, ctx) {
  const o = native(c, ctx);
  const t = detailTurns(c, ctx);
  o.messages = t === null ? null : t.map((x) => ({ role: x.role, content: `(${seconds(x.u)}s - ${seconds(x.u + 12345)}s) ${x.content}` }));
  return o;
}

function expectedDetail(c, ctx) {
  const e = expected(c, ctx);
  delete e._transcript;
  const t = detailTurns(c, ctx);
  e.transcript = t === null ? null : t.map((x) => ({ role: x.role, text: x.content, offset_ms: halfUpMs(x.u) }));
  e.summary = null;
  e.recording_url = c.dur ? 'https://storage.verbex.ai/recordings/' + c.nid + '.mp3' : null;
  e.recording_expires_at = null;
  e.cost = null;
  return e;
}

const detail = getCallDetail({
  prefix: '/v1/calls/',
  auth: (h, ctx) => bearerOk(h, 'sim-' + ctx.name + '-key'),
  unauthorized: () => err('unauthorized', 'Invalid or missing API key'),
  // FastAPI's HTTPException(404)
  notFound: () => ({ detail: 'Call not found' }),
  body: detailNative,
  expected: expectedDetail,
});

export default {
  detail,
  kind: 'verbex',
  method: 'GET',
  path: '/v1/calls/',
  wholeSeconds: false,
  setup,
  variants,
  randomSpec,
  insertSpec,
  build,
  native,
  expected,
  cmpAsc: cmpTimeId,
  orderTime: (c) => tkey(c.t),
  err: (status, code, message) => err(code, message),
  unauthorized: () => err('unauthorized', 'Invalid or missing API key'),
  envelope,
  handle,
};
