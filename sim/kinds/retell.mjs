// retell: POST /v3/list-calls — opaque pagination_key + has_more, typed
// filter_criteria, sort by start_timestamp in either order.

import {
  makeAgents, usNumber, ukNumber, isoMs, expectedRecord, cmpStr, bearerOk, lowerBound, upperBound,
  isPlainObject, parseJsonBody, isInt, normEnum,
} from '../common.mjs';
import { Rng, hash32 } from '../rng.mjs';
import { messageCount } from '../text.mjs';
import { turns, seconds, halfUpMs, summary, seedOf, getCallDetail } from '../detail.mjs';

// call_status values the list can carry, and those filter_criteria.call_status
// accepts (the SDK's CallStatus filter has no `registered`).
const STATUSES = ['registered', 'not_connected', 'ongoing', 'ended', 'error'];
const FILTER_STATUSES = new Set(['not_connected', 'ongoing', 'ended', 'error']);
const TYPES = new Set(['web_call', 'phone_call']);
const DIRS = new Set(['inbound', 'outbound']);

// disconnection_reason, as the SDK's enum lists it (34 values).
export const REASONS = [
  'user_hangup', 'agent_hangup', 'call_transfer', 'voicemail_reached', 'ivr_reached', 'inactivity',
  'max_duration_reached', 'concurrency_limit_reached', 'no_concurrency_fallback', 'no_valid_payment', 'scam_detected',
  'dial_busy', 'dial_failed', 'dial_no_answer', 'invalid_destination', 'telephony_provider_permission_denied',
  'telephony_provider_unavailable', 'sip_routing_error', 'marked_as_spam', 'user_declined', 'error_llm_websocket_open',
  'error_llm_websocket_lost_connection', 'error_llm_websocket_runtime', 'error_llm_websocket_corrupt_payload',
  'error_no_audio_received', 'error_asr', 'error_retell', 'error_unknown', 'error_user_not_joined',
  'registered_call_timeout', 'transfer_bridged', 'transfer_cancelled', 'manual_stopped', 'call_take_over',
];
const REASON_SET = new Set(REASONS);

// The normalized table for an `ended` call (zudu's ENDED words plus
// Retell's own); error_* is a prefix; any other reason is completed/error.
const ENDED = {
  dial_no_answer: ['no_answer', 'no_answer'],
  dial_busy: ['busy', 'busy'],
  voicemail_reached: ['voicemail', 'voicemail'],
  dial_failed: ['failed', 'error'],
  user_hangup: ['completed', 'user_hangup'],
  agent_hangup: ['completed', 'agent_hangup'],
  call_transfer: ['completed', 'transferred'],
  inactivity: ['completed', 'inactivity'],
  max_duration_reached: ['completed', 'max_duration'],
  transfer_bridged: ['completed', 'transferred'],
  manual_stopped: ['completed', 'agent_hangup'],
  call_take_over: ['completed', 'agent_hangup'],
  concurrency_limit_reached: ['failed', 'error'],
  marked_as_spam: ['failed', 'error'],
  scam_detected: ['failed', 'error'],
  invalid_destination: ['failed', 'error'],
};
const NOT_CONNECTED = {
  dial_no_answer: ['no_answer', 'no_answer'],
  dial_busy: ['busy', 'busy'],
  voicemail_reached: ['voicemail', 'voicemail'],
};

export function mapStatus(st, r) {
  const k = normEnum(r ?? null);
  switch (normEnum(st)) {
    case 'registered':
      return ['queued', null];
    case 'ongoing':
      return ['in_progress', null];
    case 'error':
      return ['failed', 'error'];
    case 'ended':
      if (k === null) return ['completed', null];
      if (ENDED[k]) return ENDED[k];
      if (k.startsWith('error_')) return ['failed', 'error'];
      return ['completed', 'error'];
    case 'not_connected':
      return (k !== null && NOT_CONNECTED[k]) || ['failed', 'error'];
    default:
      return ['unknown', null];
  }
}

// The first records: every status, every disconnection reason of an ended
// call, the not_connected reasons and a not_connected without one, web and
// phone calls, a call without agent_name.
const variants = [
  { st: 'registered', r: null, type: 'phone_call' },
  { st: 'registered', r: null, type: 'web_call' },
  { st: 'ongoing', r: null, type: 'phone_call' },
  { st: 'ongoing', r: null, type: 'web_call' },
  { st: 'error', r: 'error_retell', type: 'phone_call' },
  { st: 'error', r: null, type: 'web_call' },
  { st: 'not_connected', r: 'dial_no_answer', type: 'phone_call' },
  { st: 'not_connected', r: 'dial_busy', type: 'phone_call' },
  { st: 'not_connected', r: 'voicemail_reached', type: 'phone_call' },
  { st: 'not_connected', r: 'dial_failed', type: 'phone_call' },
  { st: 'not_connected', r: 'invalid_destination', type: 'phone_call' },
  { st: 'not_connected', r: null, type: 'phone_call' },
  { st: 'ended', r: null, type: 'phone_call' },
  { st: 'ended', r: null, type: 'web_call', noName: true },
  ...REASONS.map((r, k) => ({ st: 'ended', r, type: k % 5 === 4 ? 'web_call' : 'phone_call' })),
];

const RANDOM = [
  [30, ['ended', 'user_hangup']], [22, ['ended', 'agent_hangup']], [4, ['ended', 'call_transfer']],
  [2, ['ended', 'transfer_bridged']], [3, ['ended', 'inactivity']], [1, ['ended', 'max_duration_reached']],
  [5, ['ended', 'voicemail_reached']], [2, ['ended', 'error_llm_websocket_lost_connection']],
  [1, ['ended', 'error_unknown']], [1, ['ended', 'manual_stopped']], [1, ['ended', 'ivr_reached']],
  [1, ['ended', 'concurrency_limit_reached']], [1, ['ended', null]], [7, ['not_connected', 'dial_no_answer']],
  [3, ['not_connected', 'dial_busy']], [2, ['not_connected', 'dial_failed']], [3, ['ongoing', null]],
  [2, ['registered', null]], [2, ['error', 'error_retell']],
];

function randomSpec(rng) {
  const [st, r] = rng.weighted(RANDOM);
  const type = st !== 'not_connected' && rng.chance(0.15) ? 'web_call' : 'phone_call';
  return { st, r, type, noName: rng.chance(0.05) };
}

// Inserted calls have started: a registered call (no start_timestamp)
// sorts as the earliest instant, behind any walk already under way.
function insertSpec(rng) {
  for (;;) {
    const s = randomSpec(rng);
    if (s.st !== 'registered') return s;
  }
}

function setup(ctx) {
  ctx.agents = makeAgents(ctx.name, (rng) => 'agent_' + rng.hex(26));
  const rng = new Rng(hash32('lines|' + ctx.name));
  ctx.lines = [usNumber(rng), usNumber(rng), ukNumber(rng)];
  ctx.batches = ['batch_call_' + rng.hex(16), 'batch_call_' + rng.hex(16)];
}

function build(ctx, rng, spec, i, t0) {
  const c = {
    nid: rng.hex(32), st: spec.st, r: spec.r, type: spec.type, dir: null, from: null, to: null,
    agent: rng.int(ctx.agents.length), version: rng.range(0, 6), noName: !!spec.noName, t: t0, end: null, dur: null,
    batch: null, token: null, meta: {}, cost: null,
  };
  if (spec.type === 'phone_call') {
    c.dir = spec.st === 'not_connected' || rng.chance(0.55) ? 'outbound' : 'inbound';
    const cust = rng.chance(0.8) ? usNumber(rng) : ukNumber(rng);
    const line = rng.pick(ctx.lines);
    c.from = c.dir === 'inbound' ? cust : line;
    c.to = c.dir === 'inbound' ? line : cust;
    if (c.dir === 'outbound' && rng.chance(0.3)) c.batch = rng.pick(ctx.batches);
  } else {
    c.token = 'eyJhbGciOiJIUzI1NiJ9.' + rng.b64(40);
  }
  // registered: a call id is issued, nothing has started yet
  if (spec.st === 'registered') c.t = null;
  if (spec.st === 'ended' || spec.st === 'not_connected' || spec.st === 'error') {
    const r = spec.r;
    let d;
    if (spec.st === 'not_connected') d = r === 'dial_no_answer' ? rng.range(15000, 45000) : rng.range(0, 4000);
    else if (spec.st === 'error' || (r && r.startsWith('error_'))) d = rng.range(0, 5000);
    else if (r === 'max_duration_reached') d = 3600000;
    else if (r === 'voicemail_reached') d = rng.range(8000, 40000);
    else if (r === 'inactivity') d = rng.range(30000, 180000);
    else d = rng.range(5000, 1200000);
    c.dur = d;
    c.end = t0 + d;
    if (spec.st === 'ended') c.cost = rng.range(1, 9000) / 10;
  }
  if (rng.chance(0.5)) c.meta.customer_id = 'cus_' + rng.hex(10);
  if (rng.chance(0.2)) c.meta.priority = rng.pick(['high', 'normal']);
  return c;
}

function native(c, ctx) {
  const a = ctx.agents[c.agent];
  const o = { call_type: c.type };
  if (c.type === 'web_call') o.access_token = c.token;
  o.call_id = c.nid;
  o.agent_id = a.id;
  o.agent_version = c.version;
  if (!c.noName) o.agent_name = a.name;
  o.call_status = c.st;
  if (c.type === 'phone_call') {
    o.direction = c.dir;
    o.from_number = c.from;
    o.to_number = c.to;
  }
  if (c.batch !== null) o.batch_call_id = c.batch;
  o.metadata = c.meta;
  o.retell_llm_dynamic_variables = { customer_name: 'Sam' };
  o.data_storage_setting = 'everything';
  if (c.t !== null) o.start_timestamp = c.t;
  if (c.end !== null) o.end_timestamp = c.end;
  if (c.dur !== null) o.duration_ms = c.dur;
  if (c.r !== null) o.disconnection_reason = c.r;
  if (c.cost !== null) {
    o.call_cost = { combined_cost: c.cost, total_duration_seconds: Math.ceil(c.dur / 1000) };
    o.recording_url = 'https://dxc03zgurdly9.cloudfront.net/' + c.nid + '/recording.wav';
    o.public_log_url = 'https://dxc03zgurdly9.cloudfront.net/' + c.nid + '/public.log';
  }
  return o;
}

function expected(c, ctx) {
  const e = expectedRecord(ctx, c.nid);
  const a = ctx.agents[c.agent];
  e.type = c.type === 'web_call' ? 'web' : 'phone';
  e.direction = c.dir;
  [e.status, e.end_reason] = mapStatus(c.st, c.r);
  e.provider_status = c.st;
  e.from = c.from;
  e.to = c.to;
  e.agent = { id: a.id, name: c.noName ? null : a.name, version: c.version };
  e.started_at = isoMs(c.t);
  e.ended_at = isoMs(c.end);
  e.duration_ms = c.dur;
  e.campaign_id = c.batch;
  e.metadata = { ...c.meta };
  return e;
}

// ---------- ordering ----------

// start_timestamp ascending; a call without one (registered) sorts as the
// earliest; ties by call_id ascending.  Descending is the exact reverse.
function cmpAsc(a, b) {
  const x = a.t ?? -Infinity;
  const y = b.t ?? -Infinity;
  if (x !== y) return x < y ? -1 : 1;
  return cmpStr(a.nid, b.nid);
}

// pagination_key: opaque to clients; here the walk order and the sort key
// of the last call returned, so a key keeps its place while calls arrive.
function makeKey(order, c) {
  return Buffer.from(JSON.stringify([order === 'ascending' ? 'a' : 'd', c.t, c.nid])).toString('base64url');
}

function readKey(s) {
  try {
    const v = JSON.parse(Buffer.from(s, 'base64url').toString('utf8'));
    if (!Array.isArray(v) || v.length !== 3 || !['a', 'd'].includes(v[0])) return null;
    if (v[1] !== null && !isInt(v[1])) return null;
    if (typeof v[2] !== 'string') return null;
    return { order: v[0] === 'a' ? 'ascending' : 'descending', t: v[1], nid: v[2] };
  } catch {
    return null;
  }
}

// ---------- filters ----------

const NUM_OPS = {
  eq: (x, v) => x === v, ne: (x, v) => x !== v, gt: (x, v) => x > v, ge: (x, v) => x >= v, lt: (x, v) => x < v,
  le: (x, v) => x <= v,
};
const STR_OPS = {
  eq: (x, v) => x === v, ne: (x, v) => x !== v, sw: (x, v) => x.startsWith(v), ew: (x, v) => x.endsWith(v),
  co: (x, v) => x.includes(v),
};

// Each returns {pred} or {err}; a call without the field matches no
// condition on it.
function numberFilter(f, name) {
  if (!isPlainObject(f)) return { err: `filter_criteria.${name} must be an object` };
  if (f.type === 'number') {
    if (!NUM_OPS[f.op]) return { err: `filter_criteria.${name}.op must be one of eq, ne, gt, ge, lt, le` };
    if (typeof f.value !== 'number' || !Number.isFinite(f.value)) return { err: `filter_criteria.${name}.value must be a number` };
    const op = NUM_OPS[f.op];
    return { pred: (x) => x !== null && op(x, f.value), sig: [f.type, f.op, f.value] };
  }
  if (f.type === 'range') {
    if (f.op !== 'bt') return { err: `filter_criteria.${name}.op must be bt` };
    const v = f.value;
    if (!Array.isArray(v) || v.length !== 2 || v.some((x) => typeof x !== 'number' || !Number.isFinite(x))) {
      return { err: `filter_criteria.${name}.value must be [lower_bound, upper_bound]` };
    }
    return { pred: (x) => x !== null && x >= v[0] && x <= v[1], sig: [f.type, v[0], v[1]] };
  }
  return { err: `filter_criteria.${name}.type must be number or range` };
}

function stringFilter(f, name) {
  if (!isPlainObject(f) || f.type !== 'string') return { err: `filter_criteria.${name} must be a string filter` };
  if (!STR_OPS[f.op]) return { err: `filter_criteria.${name}.op must be one of eq, ne, sw, ew, co` };
  if (typeof f.value !== 'string') return { err: `filter_criteria.${name}.value must be a string` };
  const op = STR_OPS[f.op];
  return { pred: (x) => x !== null && op(x, f.value), sig: [f.op, f.value] };
}

function enumFilter(f, name, allowed) {
  if (!isPlainObject(f) || f.type !== 'enum' || f.op !== 'in') return { err: `filter_criteria.${name} must be {"type":"enum","op":"in","value":[...]}` };
  if (!Array.isArray(f.value) || f.value.length === 0 || f.value.some((x) => typeof x !== 'string')) {
    return { err: `filter_criteria.${name}.value must be a non-empty array of strings` };
  }
  for (const x of f.value) if (allowed && !allowed.has(x)) return { err: `Invalid ${name}: ${x}` };
  const set = new Set(f.value);
  return { pred: (x) => x !== null && set.has(x), sig: [...set].sort() };
}

function agentFilter(v) {
  if (!Array.isArray(v) || v.length === 0) return { err: 'filter_criteria.agent must be a non-empty array' };
  const want = [];
  for (const a of v) {
    if (!isPlainObject(a) || typeof a.agent_id !== 'string') return { err: 'filter_criteria.agent[].agent_id must be a string' };
    if (a.version !== undefined && (!Array.isArray(a.version) || a.version.some((x) => !isInt(x)))) {
      return { err: 'filter_criteria.agent[].version must be an array of integers' };
    }
    want.push({ id: a.agent_id, versions: a.version ? new Set(a.version) : null });
  }
  return {
    pred: (id, version) => want.some((w) => w.id === id && (!w.versions || w.versions.has(version))),
    sig: want.map((w) => [w.id, w.versions && [...w.versions].sort()]),
  };
}

// The fields filter_criteria can test, read from the generated call.
function fields(c, ctx) {
  return {
    start_timestamp: c.t, end_timestamp: c.end, duration_ms: c.dur, call_status: c.st, call_type: c.type,
    direction: c.dir, from_number: c.from, to_number: c.to, batch_call_id: c.batch, disconnection_reason: c.r,
    call_id: c.nid, combined_cost: c.cost,
  };
}

function compileFilters(fc) {
  const preds = [];
  const sig = [];
  const add = (name, r, proj) => {
    if (r.err) return r.err;
    preds.push((c, ctx) => r.pred(proj ? proj(c, ctx) : fields(c, ctx)[name]));
    sig.push([name, r.sig]);
    return null;
  };
  const checks = [
    ['start_timestamp', numberFilter], ['end_timestamp', numberFilter], ['duration_ms', numberFilter],
    ['combined_cost', numberFilter], ['from_number', stringFilter], ['to_number', stringFilter],
    ['batch_call_id', stringFilter],
  ];
  for (const [name, fn] of checks) {
    if (fc[name] === undefined || fc[name] === null) continue;
    const e = add(name, fn(fc[name], name));
    if (e) return { err: e };
  }
  const enums = [
    ['call_status', FILTER_STATUSES], ['call_type', TYPES], ['direction', DIRS], ['disconnection_reason', REASON_SET],
  ];
  for (const [name, allowed] of enums) {
    if (fc[name] === undefined || fc[name] === null) continue;
    const e = add(name, enumFilter(fc[name], name, allowed));
    if (e) return { err: e };
  }
  if (fc.call_id !== undefined && fc.call_id !== null) {
    const r = isPlainObject(fc.call_id) && fc.call_id.type === 'enum' ? enumFilter(fc.call_id, 'call_id', null) : stringFilter(fc.call_id, 'call_id');
    const e = add('call_id', r);
    if (e) return { err: e };
  }
  if (fc.agent !== undefined && fc.agent !== null) {
    const r = agentFilter(fc.agent);
    if (r.err) return { err: r.err };
    preds.push((c, ctx) => r.pred(ctx.agents[c.agent].id, c.version));
    sig.push(['agent', r.sig]);
  }
  return { preds, sig };
}

// ---------- HTTP ----------

const bad = (message) => ({ status: 400, body: { status: 'error', message } });

function handle(store, req) {
  const ctx = store.ctx;
  if (!bearerOk(req.headers, 'sim-' + ctx.name + '-key')) {
    return { status: 401, body: { status: 'error', message: 'API key is missing or invalid.' } };
  }
  const pb = parseJsonBody(req.bodyText);
  if (!pb.ok) return bad('Invalid JSON in request body');
  const b = pb.value;
  if (!isPlainObject(b)) return bad('Request body must be a JSON object');
  let limit = 50;
  if (b.limit !== undefined && b.limit !== null) {
    if (!isInt(b.limit) || b.limit < 1 || b.limit > 1000) return bad('limit must be an integer between 1 and 1000');
    limit = b.limit;
  }
  let order = 'descending';
  if (b.sort_order !== undefined && b.sort_order !== null) {
    if (b.sort_order !== 'ascending' && b.sort_order !== 'descending') return bad('sort_order must be one of ascending, descending');
    order = b.sort_order;
  }
  const hasSkip = b.skip !== undefined && b.skip !== null;
  const hasKey = b.pagination_key !== undefined && b.pagination_key !== null;
  if (hasSkip && hasKey) return bad('skip and pagination_key cannot be used together');
  let skip = 0;
  if (hasSkip) {
    if (!isInt(b.skip) || b.skip < 0) return bad('skip must be a non-negative integer');
    skip = b.skip;
  }
  let key = null;
  if (hasKey) {
    if (typeof b.pagination_key !== 'string') return bad('pagination_key must be a string');
    key = readKey(b.pagination_key);
    if (!key) return bad('Invalid pagination_key');
    if (key.order !== order) return bad('pagination_key was issued for another sort_order');
  }
  if (b.include_total !== undefined && b.include_total !== null && typeof b.include_total !== 'boolean') {
    return bad('include_total must be a boolean');
  }
  const fc = b.filter_criteria ?? {};
  if (!isPlainObject(fc)) return bad('filter_criteria must be an object');
  const f = compileFilters(fc);
  if (f.err) return bad(f.err);
  const view = store.view(JSON.stringify(f.sig), (c) => f.preds.every((p) => p(c, ctx)));
  const n = view.length;
  const out = [];
  let more;
  if (order === 'ascending') {
    const s = key ? upperBound(view, key, cmpAsc) : Math.min(n, skip);
    const e = Math.min(n, s + limit);
    for (let i = s; i < e; i++) out.push(view[i]);
    more = e < n;
  } else {
    const e = key ? lowerBound(view, key, cmpAsc) : Math.max(0, n - skip);
    const s = Math.max(0, e - limit);
    for (let i = e - 1; i >= s; i--) out.push(view[i]);
    more = s > 0;
  }
  // The last page still carries a key: the one the client sent when there
  // was one (stale), else that of the page's last call.  Only has_more
  // says whether to go on.
  let next = null;
  if (more || !hasKey) next = out.length ? makeKey(order, out[out.length - 1]) : null;
  else next = b.pagination_key;
  let body = '{"items":[';
  for (let i = 0; i < out.length; i++) body += (i ? ',' : '') + store.json(out[i]);
  body += '],"has_more":' + more;
  if (next !== null) body += ',"pagination_key":' + JSON.stringify(next);
  if (b.include_total === true) body += ',"total":' + n;
  body += '}';
  return { status: 200, raw: body };
}

// ---------- one call: GET /v2/get-call/{call_id} ----------

// The get-call answer is the call object itself: the list item plus what
// the v3 list leaves out (transcripts, the analysis).  A call that ended
// after some talk has a conversation; any other ended or ongoing call an
// empty transcript_object; one that never connected (registered,
// not_connected, error) none at all.
const TRANSFERS = new Set(['call_transfer', 'transfer_bridged']);

function talked(c) {
  return c.st === 'ended' && c.dur >= 5000 && !(c.r && c.r.startsWith('error_'));
}

// [{role, content, u}] (u: tenths of ms from the start), or [] / null.
// After a transfer the caller's last third is the transfer target
// speaking: Retell's `transfer_target` role, a user to callnorm.
function detailTurns(c, ctx) {
  if (!talked(c)) return c.st === 'ended' || c.st === 'ongoing' ? [] : null;
  const seed = seedOf(c);
  const t = turns(seed, messageCount(Math.floor(c.dur / 1000)), ctx.agents[c.agent].name, c.dur);
  if (TRANSFERS.has(c.r)) {
    const from = Math.ceil((t.length * 2) / 3);
    for (let k = from; k < t.length; k++) if (t[k].role === 'user') t[k].role = 'transfer_target';
  }
  return t;
}

export const detailRole = (role) => (role === 'transfer_target' ? 'user' : role);

function detailNative(c, ctx) {
  const o = native(c, ctx);
  const t = detailTurns(c, ctx);
  if (t !== null) {
    o.transcript = t.map((x) => (x.role === 'agent' ? 'Agent: ' : 'User: ') + x.content).join('\n');
    o.transcript_object = t.map((x) => {
      const w = x.content.split(' ');
      return { role: x.role, content: x.content, words: [{ word: w[0], start: seconds(x.u), end: seconds(x.u + 2500) }] };
    });
    o.transcript_with_tool_calls = o.transcript_object;
  }
  if (talked(c)) {
    o.call_analysis = { call_summary: summary(seedOf(c)), in_voicemail: c.r === 'voicemail_reached', user_sentiment: 'Neutral', call_successful: true, custom_analysis_data: {} };
  }
  return o;
}

// What callnorm must answer: the list's record plus the detail's members,
// from the generated values (combined_cost is in cents).
function expectedDetail(c, ctx) {
  const e = expected(c, ctx);
  delete e._transcript;
  const t = detailTurns(c, ctx);
  e.transcript = t === null ? null : t.map((x) => ({ role: detailRole(x.role), text: x.content, offset_ms: halfUpMs(x.u) }));
  e.summary = talked(c) ? summary(seedOf(c)) : null;
  e.recording_url = c.cost !== null ? 'https://dxc03zgurdly9.cloudfront.net/' + c.nid + '/recording.wav' : null;
  e.recording_expires_at = null;
  e.cost = c.cost !== null ? { amount: c.cost / 100, currency: 'USD' } : null;
  return e;
}

const detail = getCallDetail({
  prefix: '/v2/get-call/',
  auth: (h, ctx) => bearerOk(h, 'sim-' + ctx.name + '-key'),
  unauthorized: () => ({ status: 'error', message: 'API key is missing or invalid.' }),
  notFound: () => ({ status: 'error', message: 'Call not found' }),
  body: detailNative,
  expected: expectedDetail,
});

export default {
  detail,
  kind: 'retell',
  method: 'POST',
  path: '/v3/list-calls',
  wholeSeconds: false,
  setup,
  variants,
  randomSpec,
  insertSpec,
  build,
  native,
  expected,
  cmpAsc,
  orderTime: (c) => c.t ?? -Infinity,
  err: (status, code, message) => ({ status: 'error', message }),
  unauthorized: () => ({ status: 'error', message: 'API key is missing or invalid.' }),
  envelope: (store, count) => ['{"items":[', '],"has_more":false}'],
  handle,
};
