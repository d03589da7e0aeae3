// zudu: POST /api/calls — 0-based page numbers, whitelisted sort fields.

import {
  makeAgents, usNumber, isoMs, expectedRecord, cmpStr, isPlainObject, parseJsonBody, isInt, normEnum,
} from '../common.mjs';
import { Rng, hash32 } from '../rng.mjs';
import { makeTranscript, messageCount } from '../text.mjs';
import { turns, seconds, halfUpMs, summary, cents, seedOf, getCallDetail } from '../detail.mjs';

const STATUSES = ['SCHEDULED', 'REGISTERED', 'ONGOING', 'ENDED', 'ERROR'];
const STATUS_SET = new Set(STATUSES);
const TYPES = new Set(['PHONE_CALL', 'WEB_CALL']);
const SORT_BY = new Set(['start_timestamp', 'end_timestamp', 'call_duration', 'call_id', 'created_at']);

const ENDED_REASONS = [
  'dial_no_answer', 'dial_busy', 'voicemail_reached', 'dial_failed', 'error_llm_websocket_open', 'error_unknown',
  'user_hangup', 'agent_hangup', 'call_transfer', 'inactivity', 'max_duration_reached',
];
const REASON_MAP = {
  dial_no_answer: ['no_answer', 'no_answer'],
  dial_busy: ['busy', 'busy'],
  voicemail_reached: ['voicemail', 'voicemail'],
  dial_failed: ['failed', 'error'],
  user_hangup: ['completed', 'user_hangup'],
  agent_hangup: ['completed', 'agent_hangup'],
  call_transfer: ['completed', 'transferred'],
  inactivity: ['completed', 'inactivity'],
  max_duration_reached: ['completed', 'max_duration'],
};
const NO_TALK = new Set(['dial_no_answer', 'dial_busy', 'dial_failed', 'error_llm_websocket_open']);

const variants = [
  { st: 'SCHEDULED', r: null, type: 'PHONE_CALL', tx: false },
  { st: 'REGISTERED', r: null, type: 'PHONE_CALL', tx: false },
  { st: 'ONGOING', r: null, type: 'PHONE_CALL', tx: false },
  { st: 'ERROR', r: 'error_llm_websocket_open', type: 'PHONE_CALL', tx: false },
  { st: 'ERROR', r: 'ERROR_UNKNOWN', type: 'WEB_CALL', tx: false },
  ...ENDED_REASONS.map((r, k) => ({ st: 'ENDED', r: k % 2 ? r.toUpperCase() : r, type: 'PHONE_CALL', tx: true })),
  { st: 'ENDED', r: null, type: 'PHONE_CALL', tx: true },
  { st: 'ENDED', r: 'USER_HANGUP', type: 'WEB_CALL', tx: true },
  { st: 'ENDED', r: 'agent_hangup', type: 'PHONE_CALL', tx: false },
];

const RANDOM = [
  [30, ['ENDED', 'user_hangup']], [20, ['ENDED', 'agent_hangup']], [4, ['ENDED', 'call_transfer']],
  [3, ['ENDED', 'inactivity']], [1, ['ENDED', 'max_duration_reached']], [8, ['ENDED', 'dial_no_answer']],
  [4, ['ENDED', 'dial_busy']], [5, ['ENDED', 'voicemail_reached']], [2, ['ENDED', 'dial_failed']],
  [2, ['ENDED', 'error_unknown']], [1, ['ENDED', 'error_llm_websocket_open']], [3, ['ONGOING', null]],
  [2, ['REGISTERED', null]], [2, ['SCHEDULED', null]], [3, ['ERROR', 'error_unknown']],
];

function randomSpec(rng) {
  const [st, r0] = rng.weighted(RANDOM);
  const r = r0 !== null && rng.chance(0.5) ? r0.toUpperCase() : r0;
  const type = st !== 'SCHEDULED' && rng.chance(0.15) ? 'WEB_CALL' : 'PHONE_CALL';
  return { st, r, type, tx: st === 'ENDED' && rng.chance(0.85) };
}

function setup(ctx) {
  ctx.agents = makeAgents(ctx.name, (rng) => 'agent_' + rng.digits(10));
  const rng = new Rng(hash32('lines|' + ctx.name));
  ctx.lines = [usNumber(rng), usNumber(rng)];
  ctx.org = 'org_' + rng.hex(12);
  ctx.batches = ['batch_' + rng.hex(10), 'batch_' + rng.hex(10)];
}

function build(ctx, rng, spec, i, t0, ins) {
  const c = {
    id: rng.uuid(), nid: 'call_' + rng.hex(24), seed: rng.u32(), st: spec.st, r: spec.r, type: spec.type,
    dir: null, from: null, to: null, agent: rng.int(ctx.agents.length), start: null, end: null, dur: null,
    created: t0, t: t0, tx: false,
  };
  if (spec.type === 'PHONE_CALL') {
    c.dir = spec.st === 'SCHEDULED' || rng.chance(0.6) ? 'OUTBOUND' : 'INBOUND';
    const cust = usNumber(rng);
    const line = rng.pick(ctx.lines);
    c.from = c.dir === 'INBOUND' ? cust : line;
    c.to = c.dir === 'INBOUND' ? line : cust;
  }
  const started = spec.st === 'ONGOING' || spec.st === 'ENDED' || spec.st === 'ERROR';
  if (started) {
    c.start = t0;
    c.created = ins ? t0 : t0 - rng.range(1000, 30000);
  }
  if (spec.st === 'ENDED' || spec.st === 'ERROR') {
    const r = normEnum(spec.r);
    let d;
    if (spec.st === 'ERROR' || NO_TALK.has(r)) d = rng.range(0, 3000);
    else if (r === 'max_duration_reached') d = 1800000;
    else if (r === 'voicemail_reached') d = rng.range(10000, 40000);
    else if (r === 'inactivity') d = rng.range(20000, 120000);
    else d = rng.range(10000, 900000);
    c.dur = d;
    c.end = t0 + d;
  }
  c.tx = spec.tx && c.dur !== null && c.dur >= 10000;
  c.msgs = c.tx ? messageCount(Math.floor(c.dur / 1000)) : 0;
  const meta = {};
  if (c.dir === 'OUTBOUND' && rng.chance(0.3)) meta.batch_call_id = rng.pick(ctx.batches);
  if (rng.chance(0.5)) meta.customer_id = 'cus_' + rng.hex(8);
  c.meta = meta;
  return c;
}

function transcript(c, ctx) {
  return c.tx ? makeTranscript(c.seed, c.msgs, 'Zoe') : null;
}

function native(c, ctx) {
  const o = {
    id: c.id,
    call_id: c.nid,
    agent_id: ctx.agents[c.agent].id,
    organization_id: ctx.org,
    call_status: c.st,
    call_type: c.type,
    direction: c.dir,
    from_number: c.from,
    to_number: c.to,
    created_at: c.created,
    start_timestamp: c.start,
    end_timestamp: c.end,
    call_duration: c.dur,
    disconnection_reason: c.r,
    metadata: c.meta,
  };
  if (c.tx) o.transcript = transcript(c, ctx);
  return o;
}

function mapStatus(st, r) {
  switch (normEnum(st)) {
    case 'scheduled':
      return ['scheduled', null];
    case 'registered':
      return ['queued', null];
    case 'ongoing':
      return ['in_progress', null];
    case 'error':
      return ['failed', 'error'];
    case 'ended': {
      const k = normEnum(r);
      if (k === null || k === undefined) return ['completed', null];
      if (REASON_MAP[k]) return REASON_MAP[k];
      return ['failed', 'error']; // error_* and anything else
    }
    default:
      return ['unknown', null];
  }
}

function expected(c, ctx) {
  const e = expectedRecord(ctx, c.nid);
  e.type = c.type === 'WEB_CALL' ? 'web' : 'phone';
  e.direction = c.dir === null ? null : c.dir.toLowerCase();
  [e.status, e.end_reason] = mapStatus(c.st, c.r);
  e.provider_status = c.st;
  e.from = c.from;
  e.to = c.to;
  e.agent = { id: ctx.agents[c.agent].id, name: null, version: null };
  e.started_at = isoMs(c.start ?? c.created);
  e.ended_at = isoMs(c.end);
  e.duration_ms = c.dur;
  e.metadata = { ...c.meta };
  e._transcript = transcript(c, ctx);
  return e;
}

// ---------- ordering ----------

// A call that has not started (scheduled, registered) sorts on
// start_timestamp by its created_at: the list is then ordered by the same
// instant callnorm calls started_at (start_timestamp, else
// created_at), which is what a merge across providers needs.
const FIELD = {
  start_timestamp: (c) => c.start ?? c.created,
  end_timestamp: (c) => c.end,
  call_duration: (c) => c.dur,
  created_at: (c) => c.created,
};

// Nulls sort as the smallest value; ties by call_id ascending in both orders.
export function comparator(sortBy, order) {
  const sign = order === 'ascending' ? 1 : -1;
  if (sortBy === 'call_id') return (a, b) => sign * cmpStr(a.nid, b.nid);
  const f = FIELD[sortBy];
  return (a, b) => {
    const x = f(a) ?? -Infinity;
    const y = f(b) ?? -Infinity;
    if (x !== y) return x < y ? -sign : sign;
    return cmpStr(a.nid, b.nid);
  };
}

// Base order (ascending); the default list order (created_at descending,
// ties call_id ascending) is exactly its reverse.
function cmpAsc(a, b) {
  if (a.created !== b.created) return a.created < b.created ? -1 : 1;
  return cmpStr(b.nid, a.nid);
}

// ---------- HTTP ----------

const bad = (error) => ({ status: 400, body: { message: 'Invalid request', status: 'error', error } });

function handle(store, req) {
  const ctx = store.ctx;
  if (req.headers['x-api-key'] !== 'sim-' + ctx.name + '-key' || req.headers['x-api-secret'] !== 'sim-' + ctx.name + '-secret') {
    return { status: 401, body: { message: 'Unauthorized', status: 'error', error: 'Invalid API key or secret' } };
  }
  const pb = parseJsonBody(req.bodyText);
  if (!pb.ok) return bad('Request body must be valid JSON');
  const b = pb.value;
  if (!isPlainObject(b)) return bad('Request body must be a JSON object');
  const page = b.page ?? 0;
  if (!isInt(page) || page < 0) return bad('page must be a non-negative integer');
  const limit = b.limit ?? 20;
  if (!isInt(limit) || limit < 1 || limit > 100) return bad('limit must be an integer between 1 and 100');
  const sortBy = b.sort_by ?? 'created_at';
  if (!SORT_BY.has(sortBy)) return bad('sort_by must be one of: start_timestamp, end_timestamp, call_duration, call_id, created_at');
  const order = b.sort_order ?? 'descending';
  if (order !== 'ascending' && order !== 'descending') return bad("sort_order must be 'ascending' or 'descending'");
  const fc = b.filter_criteria ?? {};
  if (!isPlainObject(fc)) return bad('filter_criteria must be an object');
  let statuses = null;
  if (fc.call_status !== undefined && fc.call_status !== null) {
    if (!Array.isArray(fc.call_status) || fc.call_status.some((x) => typeof x !== 'string')) return bad('filter_criteria.call_status must be an array of strings');
    for (const s of fc.call_status) if (!STATUS_SET.has(s.toUpperCase())) return bad(`Invalid call_status: ${s}`);
    if (fc.call_status.length) statuses = new Set(fc.call_status.map((s) => s.toUpperCase()));
  }
  let agents = null;
  if (fc.agent_id !== undefined && fc.agent_id !== null) {
    const a = fc.agent_id;
    if (typeof a === 'string') agents = a === '' ? null : new Set([a]);
    else if (Array.isArray(a) && a.every((x) => typeof x === 'string')) agents = a.length ? new Set(a) : null;
    else return bad('filter_criteria.agent_id must be a string or an array of strings');
  }
  let types = null;
  if (fc.call_type !== undefined && fc.call_type !== null) {
    if (!Array.isArray(fc.call_type) || fc.call_type.some((x) => typeof x !== 'string')) return bad('filter_criteria.call_type must be an array of strings');
    for (const s of fc.call_type) if (!TYPES.has(s.toUpperCase())) return bad(`Invalid call_type: ${s}`);
    if (fc.call_type.length) types = new Set(fc.call_type.map((s) => s.toUpperCase()));
  }
  let lo = null;
  let hi = null;
  let durEcho = null;
  if (fc.duration_ms !== undefined && fc.duration_ms !== null) {
    const d = fc.duration_ms;
    if (!isPlainObject(d)) return bad('filter_criteria.duration_ms must be an object');
    for (const k of ['lower_threshold', 'upper_threshold']) {
      if (d[k] !== undefined && d[k] !== null && !isInt(d[k])) return bad(`filter_criteria.duration_ms.${k} must be an integer`);
    }
    lo = d.lower_threshold ?? null;
    hi = d.upper_threshold ?? null;
    durEcho = {};
    if (lo !== null) durEcho.lower_threshold = lo;
    if (hi !== null) durEcho.upper_threshold = hi;
  }
  let needle = null;
  if (fc.transcript_search !== undefined && fc.transcript_search !== null) {
    if (typeof fc.transcript_search !== 'string') return bad('filter_criteria.transcript_search must be a string');
    if (fc.transcript_search !== '') needle = fc.transcript_search.toLowerCase();
  }
  const sig = JSON.stringify([
    sortBy, order, statuses && [...statuses].sort(), agents && [...agents].sort(), types && [...types].sort(), lo, hi, needle,
  ]);
  const view = store.sortedView(sig, sortBy + '|' + order, comparator(sortBy, order), (c) => {
    if (statuses && !statuses.has(c.st)) return false;
    if (agents && !agents.has(ctx.agents[c.agent].id)) return false;
    if (types && !types.has(c.type)) return false;
    if (lo !== null && (c.dur === null || c.dur < lo)) return false;
    if (hi !== null && (c.dur === null || c.dur > hi)) return false;
    if (needle !== null) {
      const t = store.text(c, () => transcript(c, ctx));
      if (t === null || !t.toLowerCase().includes(needle)) return false;
    }
    return true;
  });
  const n = view.length;
  const totalPages = Math.ceil(n / limit);
  let body = '{"message":"Calls retrieved successfully","status":"success","error":null,"data":{"organization_id":' + JSON.stringify(ctx.org) + ',"calls":[';
  let k = 0;
  const s = page * limit;
  for (let i = s; i < n && k < limit; i++) body += (k++ ? ',' : '') + store.json(view[i]);
  body += '],"pagination":' + JSON.stringify({
    page, limit, total_count: n, total_pages: totalPages, has_next_page: page + 1 < totalPages, has_previous_page: page > 0,
  });
  body += ',"returned_count":' + k + ',"sort_order":' + JSON.stringify(order) + ',"sort_by":' + JSON.stringify(sortBy);
  body += ',"applied_filters":' + JSON.stringify(durEcho ? { duration_ms: durEcho } : {}) + '}}';
  return { status: 200, raw: body };
}

// ---------- one call: GET /api/calls/{callId} ----------

// transcript_object (Retell's shape): the list's conversation, each turn's
// first word starting at seconds from the call's start.
function detailTurns(c) {
  return c.tx ? turns(c.seed, c.msgs, 'Zoe', c.dur) : null;
}

function detailNative(c, ctx) {
  const o = native(c, ctx);
  const t = detailTurns(c);
  o.recording_url = c.dur ? 'https://storage.zudu.ai/recordings/' + c.nid + '.mp4' : null;
  o.public_log_url = 'https://api.zudu.ai/logs/' + c.nid;
  if (t !== null) {
    o.transcript_object = t.map((x) => {
      const w = x.content.split(' ');
      return { role: x.role, content: x.content, words: [{ word: w[0], start: seconds(x.u), end: seconds(x.u + 3000) }] };
    });
    o.transcript_with_tool_calls = [];
  }
  o.call_analysis = c.tx ? { call_summary: summary(c.seed), user_sentiment: 'Neutral', call_successful: true, in_voicemail: false } : null;
  o.call_cost = c.dur ? { combined_cost: cents(c.seed) / 100, product_costs: [{ product: 'llm_usage', cost: cents(c.seed) / 100, unit_price: 0.02 }] } : null;
  o.telephony_identifier = { call_sid: 'CA' + c.id.replace(/-/g, '') };
  return o;
}

function expectedDetail(c, ctx) {
  const e = expected(c, ctx);
  delete e._transcript;
  const t = detailTurns(c);
  e.transcript = t === null ? null : t.map((x) => ({ role: x.role, text: x.content, offset_ms: halfUpMs(x.u) }));
  e.summary = c.tx ? summary(c.seed) : null;
  e.recording_url = c.dur ? 'https://storage.zudu.ai/recordings/' + c.nid + '.mp4' : null;
  e.recording_expires_at = null;
  e.cost = c.dur ? { amount: cents(c.seed) / 100, currency: 'USD' } : null;
  return e;
}

const detail = getCallDetail({
  prefix: '/api/calls/',
  auth: (h, ctx) => h['x-api-key'] === 'sim-' + ctx.name + '-key' && h['x-api-secret'] === 'sim-' + ctx.name + '-secret',
  unauthorized: () => ({ message: 'Unauthorized', status: 'error', error: 'Invalid API key or secret' }),
  notFound: (id) => ({ message: 'Call not found', status: 'error', error: `Call with ID '${id}' does not exist` }),
  body: (c, ctx) => ({ message: 'Call retrieved successfully', status: 'success', error: null, data: detailNative(c, ctx) }),
  expected: expectedDetail,
});

export default {
  detail,
  kind: 'zudu',
  method: 'POST',
  path: '/api/calls',
  wholeSeconds: false,
  setup,
  variants,
  randomSpec,
  insertSpec: randomSpec,
  build,
  native,
  expected,
  cmpAsc,
  orderTime: (c) => Math.max(c.created, c.start ?? -Infinity),
  err: (status, code, message) => ({ message, status: 'error', error: code }),
  unauthorized: () => ({ message: 'Unauthorized', status: 'error', error: 'Invalid API key or secret' }),
  envelope: (store, count) => [
    '{"message":"Calls retrieved successfully","status":"success","error":null,"data":{"organization_id":' + JSON.stringify(store.ctx.org) + ',"calls":[',
    '],"pagination":{"page":0,"limit":100,"total_count":' + count + ',"total_pages":1,"has_next_page":false,"has_previous_page":false},"returned_count":' + count + ',"sort_order":"descending","sort_by":"created_at","applied_filters":{}}}',
  ],
  handle,
};
