// voicy: POST /functions/v1/call-list — keyset on the last call_id (exclusive).

import {
  makeAgents, usNumber, isoMs, expectedRecord, cmpTimeId, bearerOk, lowerBound, upperBound,
  isPlainObject, parseJsonBody, isInt,
} from '../common.mjs';
import { Rng, hash32 } from '../rng.mjs';
import { turns, halfUpMs, summary, cents, seedOf, signedUrl, idSegment } from '../detail.mjs';
import { messageCount } from '../text.mjs';

const STATUSES = [
  'initiated', 'ringing', 'ongoing', 'user_hangup', 'agent_hangup', 'inactivity', 'error_inactivity', 'busy',
  'no_answer', 'error', 'canceled',
];
const STATUS_SET = new Set(STATUSES);

const MAP = {
  initiated: ['queued', null],
  ringing: ['ringing', null],
  ongoing: ['in_progress', null],
  user_hangup: ['completed', 'user_hangup'],
  agent_hangup: ['completed', 'agent_hangup'],
  inactivity: ['completed', 'inactivity'],
  error_inactivity: ['failed', 'inactivity'],
  error: ['failed', 'error'],
  busy: ['busy', 'busy'],
  no_answer: ['no_answer', 'no_answer'],
  canceled: ['canceled', null],
};

const variants = [
  ...STATUSES.map((st, k) => ({ st, type: 'phone', dir: k % 2 ? 'incoming' : 'outgoing', test: false })),
  { st: 'user_hangup', type: 'web', dir: 'incoming', test: false },
  { st: 'agent_hangup', type: 'phone', dir: 'outgoing', test: true },
  { st: 'user_hangup', type: 'web', dir: 'incoming', test: true },
];

const RANDOM = [
  [35, 'user_hangup'], [25, 'agent_hangup'], [5, 'inactivity'], [2, 'error_inactivity'], [8, 'no_answer'],
  [4, 'busy'], [3, 'error'], [3, 'canceled'], [3, 'ongoing'], [2, 'ringing'], [2, 'initiated'],
];

function randomSpec(rng) {
  const st = rng.weighted(RANDOM);
  const type = rng.chance(0.15) ? 'web' : 'phone';
  const dir = type === 'web' ? 'incoming' : rng.chance(0.5) ? 'incoming' : 'outgoing';
  return { st, type, dir, test: rng.chance(0.1) };
}

function setup(ctx) {
  ctx.agents = makeAgents(ctx.name, (rng) => rng.uuid());
  const rng = new Rng(hash32('lines|' + ctx.name));
  ctx.lines = [usNumber(rng), usNumber(rng)];
}

function build(ctx, rng, spec, i, t0) {
  const c = {
    nid: rng.uuid(), t: t0, type: spec.type, dir: spec.dir, st: spec.st, test: spec.test,
    agent: rng.int(ctx.agents.length), version: rng.range(1, 4), from: null, to: null, dur: null,
  };
  if (spec.type === 'phone') {
    const cust = usNumber(rng);
    const line = rng.pick(ctx.lines);
    c.from = spec.dir === 'incoming' ? cust : line;
    c.to = spec.dir === 'incoming' ? line : cust;
  }
  switch (spec.st) {
    case 'initiated':
    case 'ringing':
    case 'ongoing':
      c.dur = null;
      break;
    case 'busy':
    case 'no_answer':
    case 'canceled':
      c.dur = 0;
      break;
    case 'error':
      c.dur = rng.chance(0.5) ? 0 : rng.range(500, 20000);
      break;
    case 'inactivity':
    case 'error_inactivity':
      c.dur = rng.range(20000, 120000);
      break;
    default:
      c.dur = rng.range(10000, 900000);
  }
  return c;
}

function native(c, ctx) {
  const a = ctx.agents[c.agent];
  return {
    call_id: c.nid,
    call_type: c.type === 'web' ? 'web_call' : 'phone_call',
    call_status: c.st,
    agent: { name: a.name, version: c.version },
    from_number: c.from,
    to_number: c.to,
    direction: c.dir,
    start_timestamp: c.t,
    duration_ms: c.dur,
    is_test_call: c.test,
  };
}

function expected(c, ctx) {
  const e = expectedRecord(ctx, c.nid);
  e.type = c.type;
  e.direction = c.dir === 'incoming' ? 'inbound' : 'outbound';
  [e.status, e.end_reason] = MAP[c.st] || ['unknown', null];
  e.provider_status = c.st;
  e.from = c.from;
  e.to = c.to;
  e.agent = { id: null, name: ctx.agents[c.agent].name, version: c.version };
  e.started_at = isoMs(c.t);
  e.duration_ms = c.dur;
  e.ended_at = c.t !== null && c.dur !== null ? isoMs(c.t + c.dur) : null;
  e.is_test = c.test;
  return e;
}

// ---------- HTTP ----------

const bad = (message) => ({ status: 400, body: { status: 'error', message } });

function strArray(v, name, allowed) {
  if (v === undefined || v === null) return { ok: true, v: null };
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) return { ok: false, msg: `filter_criteria.${name} must be an array of strings` };
  if (allowed) for (const x of v) if (!allowed.has(x)) return { ok: false, msg: `Invalid ${name} value: ${x}` };
  return { ok: true, v: v.length ? new Set(v) : null };
}

const DIRS = new Set(['incoming', 'outgoing']);

function handle(store, req) {
  const ctx = store.ctx;
  if (!bearerOk(req.headers, 'sim-' + ctx.name + '-key')) return { status: 401, body: { status: 'error', message: 'Invalid API key' } };
  const pb = parseJsonBody(req.bodyText);
  if (!pb.ok) return bad('Invalid JSON body');
  const b = pb.value;
  if (!isPlainObject(b)) return bad('Request body must be a JSON object');
  let limit = 50;
  if (b.limit !== undefined && b.limit !== null) {
    if (!isInt(b.limit) || b.limit < 1 || b.limit > 1000) return bad('limit must be an integer between 1 and 1000');
    limit = b.limit;
  }
  let order = 'descending';
  if (b.sort_order !== undefined && b.sort_order !== null) {
    if (b.sort_order !== 'ascending' && b.sort_order !== 'descending') return bad("sort_order must be 'ascending' or 'descending'");
    order = b.sort_order;
  }
  const fc = b.filter_criteria ?? {};
  if (!isPlainObject(fc)) return bad('filter_criteria must be an object');
  const ag = strArray(fc.agent_id, 'agent_id');
  if (!ag.ok) return bad(ag.msg);
  const cs = strArray(fc.call_status, 'call_status', STATUS_SET);
  if (!cs.ok) return bad(cs.msg);
  const dr = strArray(fc.direction, 'direction', DIRS);
  if (!dr.ok) return bad(dr.msg);
  let lo = null;
  let hi = null;
  if (fc.start_timestamp !== undefined && fc.start_timestamp !== null) {
    const st = fc.start_timestamp;
    if (!isPlainObject(st)) return bad('filter_criteria.start_timestamp must be an object');
    for (const k of ['lower_threshold', 'upper_threshold']) {
      if (st[k] !== undefined && st[k] !== null && !isInt(st[k])) return bad(`filter_criteria.start_timestamp.${k} must be an integer (Unix milliseconds)`);
    }
    lo = st.lower_threshold ?? null;
    hi = st.upper_threshold ?? null;
  }
  let incTest = false;
  if (fc.include_test_calls !== undefined && fc.include_test_calls !== null) {
    if (typeof fc.include_test_calls !== 'boolean') return bad('filter_criteria.include_test_calls must be a boolean');
    incTest = fc.include_test_calls;
  }
  let key = null;
  if (b.pagination_key !== undefined && b.pagination_key !== null) {
    if (typeof b.pagination_key !== 'string') return bad('pagination_key must be a string');
    key = store.byId.get(b.pagination_key);
    if (!key) return bad('Invalid pagination_key: call not found');
  }
  const agentIds = ag.v;
  const sig = JSON.stringify([
    agentIds ? [...agentIds].sort() : null, cs.v ? [...cs.v].sort() : null, dr.v ? [...dr.v].sort() : null, incTest,
  ]);
  const view = store.view(sig, (c) => {
    if (!incTest && c.test) return false;
    if (agentIds && !agentIds.has(ctx.agents[c.agent].id)) return false;
    if (cs.v && !cs.v.has(c.st)) return false;
    if (dr.v && !dr.v.has(c.dir)) return false;
    return true;
  });
  // thresholds bound the sort key (both inclusive): binary search
  const from = lo === null ? 0 : lowerBound(view, { t: lo, nid: '' }, cmpTimeId);
  const to = hi === null ? view.length : Math.max(from, upperBound(view, { t: hi, nid: '\uffff' }, cmpTimeId));
  const n = to - from;
  let body = '{"calls":[';
  let k = 0;
  if (order === 'ascending') {
    const s = key ? Math.max(from, upperBound(view, key, cmpTimeId)) : from;
    const e = Math.min(to, s + limit);
    for (let i = s; i < e; i++) body += (k++ ? ',' : '') + store.json(view[i]);
  } else {
    const e = key ? Math.min(to, lowerBound(view, key, cmpTimeId)) : to;
    const s = Math.max(from, e - limit);
    for (let i = e - 1; i >= s; i--) body += (k++ ? ',' : '') + store.json(view[i]);
  }
  body += '],"total_count":' + n + '}';
  return { status: 200, raw: body };
}

// ---------- one call: GET /functions/v1/call-get/{call_id} ----------

// transcript[]: agent and caller turns with timestamp_ms; every third
// answered call looks an order up, a system entry with function_invocation
// (whose headers carry a credential) and one with function_result.
function detailTranscript(c, ctx) {
  if (c.dur === null) return null;
  if (c.dur === 0) return [];
  const seed = seedOf(c);
  const t = turns(seed, messageCount(Math.floor(c.dur / 1000)), ctx.agents[c.agent].name, c.dur);
  const out = t.map((x) => ({ role: x.role === 'user' ? 'caller' : 'agent', content: x.content, timestamp_ms: halfUpMs(x.u), _role: x.role }));
  if (seed % 3 === 0 && out.length >= 3) {
    const at = out[1].timestamp_ms + 1;
    out.splice(2, 0,
      { role: 'system', content: 'Function call: lookup_order', timestamp_ms: at, _role: 'tool',
        function_invocation: { invocation_id: 'inv-' + c.nid, node_name: 'lookup_order', method: 'POST', url: 'https://crm.example.com/api/orders/lookup',
          request_body: { customer_id: 'CUST-1' }, headers: { Authorization: 'Bearer sk_live_crm_' + (seed >>> 0).toString(16), 'Content-Type': 'application/json' } } },
      { role: 'system', content: 'Function result: lookup_order', timestamp_ms: at + 242, _role: 'tool',
        function_result: { invocation_id: 'inv-' + c.nid, node_name: 'lookup_order', status_code: 200, response_body: { status: 'shipped' }, duration_ms: 242 } });
  }
  return out;
}

function detailNative(c, ctx) {
  const o = native(c, ctx);
  const seed = seedOf(c);
  const t = detailTranscript(c, ctx);
  o.transcript = t === null ? null : t.map(({ _role, ...x }) => x);
  o.detected_gender = null;
  o.recording_url = c.dur ? signedUrl('storage.voicy.co', c.nid, seed, 3600) : null;
  o.summary = c.dur ? summary(seed) : null;
  o.vars_provided = {};
  o.call_cost = c.dur ? { combined_cost: cents(seed) / 100, currency: 'usd' } : null;
  return o;
}

function expectedDetail(c, ctx) {
  const e = expected(c, ctx);
  delete e._transcript;
  const seed = seedOf(c);
  const t = detailTranscript(c, ctx);
  e.transcript = t === null ? null : t.map((x) => ({ role: x._role, text: x.content, offset_ms: x.timestamp_ms }));
  e.summary = c.dur ? summary(seed) : null;
  e.recording_url = c.dur ? signedUrl('storage.voicy.co', c.nid, seed, 3600) : null;
  e.recording_expires_at = null; // "expires in 1 h" is documented, not in the answer
  e.cost = c.dur ? { amount: cents(seed) / 100, currency: 'USD' } : null;
  return e;
}

const detail = {
  match(rest, method) {
    const m = method === 'GET' ? idSegment(rest, '/functions/v1/call-get/') : null;
    return m && m.tail === '' ? { id: m.id, part: 'call' } : null;
  },
  handle(store, req, m) {
    if (!bearerOk(req.headers, 'sim-' + store.ctx.name + '-key')) return { status: 401, body: { status: 'error', message: 'Invalid API key' } };
    const c = store.byId.get(m.id);
    if (!c) return { status: 404, body: { status: 'error', message: 'Call not found' } };
    return { status: 200, body: detailNative(c, store.ctx) };
  },
  expected: expectedDetail,
};

export default {
  detail,
  kind: 'voicy',
  method: 'POST',
  path: '/functions/v1/call-list',
  wholeSeconds: false,
  setup,
  variants,
  randomSpec,
  insertSpec: randomSpec,
  build,
  native,
  expected,
  cmpAsc: cmpTimeId,
  orderTime: (c) => c.t,
  err: (status, code, message) => ({ status: 'error', message }),
  unauthorized: () => ({ status: 'error', message: 'Invalid API key' }),
  envelope: (store, count) => ['{"calls":[', '],"total_count":' + count + '}'],
  handle,
};
