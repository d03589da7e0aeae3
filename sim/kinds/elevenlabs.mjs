// elevenlabs: GET /v1/convai/conversations — opaque cursor + has_more,
// newest first by start time only, whole-second start times.

import { makeAgents, isoMs, expectedRecord, cmpTimeId, lowerBound, tkey, usNumber } from '../common.mjs';
import { Rng, hash32 } from '../rng.mjs';
import { turns, seconds, halfUpMs, cents, getCallDetail } from '../detail.mjs';

export const STATUSES = ['initiated', 'in-progress', 'processing', 'done', 'failed'];
const STATUS_SET = new Set(STATUSES);
// The elevenlabs status table (docs/providers-elevenlabs.md).
const MAP = {
  initiated: ['queued', null],
  'in-progress': ['in_progress', null],
  processing: ['completed', null],
  done: ['completed', null],
  failed: ['failed', 'error'],
};
// Statuses after which the conversation is over: ended_at is known.
const OVER = new Set(['processing', 'done', 'failed']);

export const PHONE_SOURCES = ['twilio', 'sip_trunk', 'exotel', 'genesys', 'vonage', 'plivo', 'telnyx'];
export const WEB_SOURCES = ['widget', 'react_sdk', 'js_sdk', 'swift_sdk', 'android_sdk', 'flutter_sdk', 'web'];
// Sources that are neither (null type); ABSENT leaves the key out.
const ABSENT = '(absent)';
export const OTHER_SOURCES = ['whatsapp', 'twilio_sms', 'unknown', ABSENT];
const ALL_SOURCES = [...PHONE_SOURCES, ...WEB_SOURCES, ...OTHER_SOURCES];
const SOURCE_SET = new Set(ALL_SOURCES.filter((s) => s !== ABSENT));

function typeOf(src) {
  if (PHONE_SOURCES.includes(src)) return 'phone';
  if (WEB_SOURCES.includes(src)) return 'web';
  return null;
}

const TERMINATIONS = {
  done: ['Call ended by remote party', 'end_call tool was called.', 'Client disconnected: 1000', 'Maximum duration exceeded'],
  processing: ['Call ended by remote party', 'Client disconnected: 1000'],
  failed: ['Error while connecting to the LLM', 'Twilio call failed: no-answer', 'Agent initialization failed'],
};

// The first records cover every status, every initiation source (and none),
// both directions and none, and a record without version_id.
const variants = [
  ...STATUSES.map((st, k) => ({ st, src: k % 2 ? 'twilio' : 'widget', dir: k % 2 ? 'inbound' : null, ver: true })),
  ...ALL_SOURCES.map((src, k) => ({ st: 'done', src, dir: typeOf(src) === 'phone' ? (k % 2 ? 'outbound' : 'inbound') : null, ver: true })),
  { st: 'done', src: 'sip_trunk', dir: 'outbound', ver: false },
  { st: 'failed', src: 'twilio', dir: 'outbound', ver: true },
];

const RANDOM_ST = [[80, 'done'], [5, 'failed'], [5, 'processing'], [5, 'in-progress'], [5, 'initiated']];
const RANDOM_SRC = [[30, 'twilio'], [10, 'sip_trunk'], [3, 'telnyx'], [2, 'plivo'], [25, 'widget'], [10, 'react_sdk'], [5, 'js_sdk'], [3, 'web'], [3, 'whatsapp'], [2, 'unknown'], [2, ABSENT]];

function randomSpec(rng) {
  const src = rng.weighted(RANDOM_SRC);
  const dir = typeOf(src) === 'phone' ? (rng.chance(0.5) ? 'inbound' : 'outbound') : null;
  return { st: rng.weighted(RANDOM_ST), src, dir, ver: rng.chance(0.9) };
}

const B32 = '0123456789abcdefghjkmnpqrstvwxyz';
function ulidish(rng) {
  let s = '';
  for (let k = 0; k < 26; k++) s += B32[rng.int(32)];
  return s;
}

function setup(ctx) {
  ctx.agents = makeAgents(ctx.name, (rng) => 'agent_' + ulidish(rng));
  const rng = new Rng(hash32('versions|' + ctx.name));
  for (const a of ctx.agents) {
    a.versions = [0, 1].map(() => 'agtvrsn_' + ulidish(rng));
    a.branch = 'agtbrch_' + ulidish(rng);
  }
}

function build(ctx, rng, spec, i, t0) {
  const c = {
    nid: 'conv_' + ulidish(rng), t: t0, st: spec.st, src: spec.src, dir: spec.dir,
    agent: rng.int(ctx.agents.length), dur: 0, seed: rng.u32(),
  };
  const a = ctx.agents[c.agent];
  c.ver = spec.ver ? a.versions[rng.int(2)] : null;
  c.branch = spec.ver && rng.chance(0.5) ? a.branch : null;
  if (c.st === 'in-progress') c.dur = rng.range(5, 300);
  else if (c.st === 'processing' || c.st === 'done') c.dur = rng.range(10, 900);
  else if (c.st === 'failed') c.dur = rng.range(0, 60);
  c.msgs = c.st === 'initiated' ? 0 : Math.max(1, Math.floor(c.dur / 12));
  c.success = c.st === 'done' ? rng.pick(['success', 'success', 'failure', 'unknown']) : 'unknown';
  c.term = TERMINATIONS[c.st] ? rng.pick(TERMINATIONS[c.st]) : '';
  c.lang = rng.pick(['en', 'en', 'en', 'es', 'de', 'hi']);
  return c;
}

function native(c, ctx) {
  const a = ctx.agents[c.agent];
  const o = {
    agent_id: a.id,
    branch_id: c.branch,
    version_id: c.ver,
    agent_name: a.name,
    conversation_id: c.nid,
    start_time_unix_secs: Math.floor(c.t / 1000),
    call_duration_secs: c.dur,
    message_count: c.msgs,
    status: c.st,
    call_successful: c.success,
    transcript_summary: c.st === 'done' ? 'The caller asked about ' + a.label.toLowerCase() + '.' : null,
    call_summary_title: c.st === 'done' ? a.label + ' request' : null,
    termination_reason: c.term,
    main_language: c.lang,
    tool_names: c.st === 'done' && c.seed % 3 === 0 ? ['end_call'] : [],
    rating: null,
  };
  if (c.src !== ABSENT) o.conversation_initiation_source = c.src;
  if (c.dir !== null) o.direction = c.dir;
  return o;
}

function expected(c, ctx) {
  const e = expectedRecord(ctx, c.nid);
  const a = ctx.agents[c.agent];
  e.type = typeOf(c.src);
  e.direction = c.dir;
  [e.status, e.end_reason] = MAP[c.st] || ['unknown', null];
  e.provider_status = c.st;
  e.agent = { id: a.id, name: a.name, version: c.ver };
  e.started_at = isoMs(c.t);
  e.duration_ms = c.dur * 1000;
  e.ended_at = OVER.has(c.st) ? isoMs(c.t + c.dur * 1000) : null;
  return e;
}

// ---------- HTTP ----------

function err(code, message) {
  return { detail: { status: code, message } };
}
const unauthorized = () => err('invalid_api_key', 'Invalid API key');

function envelope() {
  return ['{"conversations":[', '],"next_cursor":null,"has_more":false}'];
}

// The cursor: base64url of the last listed conversation's (start, id);
// the next page starts right after it in newest-first order.
function encodeCursor(c) {
  return Buffer.from(JSON.stringify({ s: Math.floor(c.t / 1000), id: c.nid })).toString('base64url');
}
function decodeCursor(s) {
  try {
    if (!/^[A-Za-z0-9_-]+$/.test(s)) return null;
    const o = JSON.parse(Buffer.from(s, 'base64url').toString('utf8'));
    if (!o || typeof o.id !== 'string' || !Number.isInteger(o.s)) return null;
    return { t: o.s * 1000, nid: o.id };
  } catch {
    return null;
  }
}

const INT_RE = /^[+-]?\d+$/;

function handle(store, req) {
  const ctx = store.ctx;
  const key = req.headers['xi-api-key'];
  if (key === undefined) {
    return { status: 401, body: err('needs_authorization', 'Neither authorization header nor xi-api-key received, please provide one.') };
  }
  if (key !== 'sim-' + ctx.name + '-key') return { status: 401, body: unauthorized() };
  const q = req.url.searchParams;
  const last = (k) => {
    const v = q.getAll(k);
    return v.length ? v[v.length - 1] : undefined;
  };
  // FastAPI validation: a list of problems, 422.
  const detail = [];
  const int = (k, lo, hi) => {
    const v = last(k);
    if (v === undefined) return undefined;
    if (!INT_RE.test(v.trim())) {
      detail.push({ type: 'int_parsing', loc: ['query', k], msg: 'Input should be a valid integer, unable to parse string as an integer', input: v });
      return undefined;
    }
    const n = parseInt(v, 10);
    if (lo !== undefined && n < lo) detail.push({ type: 'greater_than_equal', loc: ['query', k], msg: 'Input should be greater than or equal to ' + lo, input: v, ctx: { ge: lo } });
    else if (hi !== undefined && n > hi) detail.push({ type: 'less_than_equal', loc: ['query', k], msg: 'Input should be less than or equal to ' + hi, input: v, ctx: { le: hi } });
    return n;
  };
  let pageSize = int('page_size', 1, 100) ?? 30;
  const after = int('call_start_after_unix');
  const before = int('call_start_before_unix');
  const minDur = int('call_duration_min_secs');
  const maxDur = int('call_duration_max_secs');
  const excl = q.getAll('exclude_statuses');
  for (const s of excl) {
    if (!STATUS_SET.has(s)) {
      detail.push({ type: 'enum', loc: ['query', 'exclude_statuses'], msg: "Input should be 'initiated', 'in-progress', 'processing', 'done' or 'failed'", input: s });
    }
  }
  const src = last('conversation_initiation_source');
  if (src !== undefined && !SOURCE_SET.has(src)) {
    detail.push({ type: 'enum', loc: ['query', 'conversation_initiation_source'], msg: 'Input should be a known conversation initiation source', input: src });
  }
  const succ = last('call_successful');
  if (succ !== undefined && !['success', 'failure', 'unknown'].includes(succ)) {
    detail.push({ type: 'enum', loc: ['query', 'call_successful'], msg: "Input should be 'success', 'failure' or 'unknown'", input: succ });
  }
  if (detail.length) return { status: 422, body: { detail } };

  const cur = last('cursor');
  let pos = null;
  if (cur !== undefined && cur !== '') {
    pos = decodeCursor(cur);
    if (!pos) return { status: 400, body: err('invalid_cursor', 'The cursor is invalid') };
  }
  // quirk first_page_default: the first page ignores page_size (as a
  // documentation issue reports) and holds the default 30
  if (store.quirks.first_page_default && !pos) pageSize = 30;
  const agentId = last('agent_id');
  const exclSet = new Set(excl);
  // The documentation does not say whether the bounds are inclusive: the
  // simulator takes the strictest reading, every bound exclusive.
  const filtered = agentId !== undefined || exclSet.size || src !== undefined || succ !== undefined || minDur !== undefined || maxDur !== undefined;
  const sig = JSON.stringify([agentId ?? null, [...exclSet].sort(), src ?? null, succ ?? null, minDur ?? null, maxDur ?? null]);
  const view = !filtered
    ? store.base
    : store.view(sig, (c) => {
        if (agentId !== undefined && ctx.agents[c.agent].id !== agentId) return false;
        if (exclSet.has(c.st)) return false;
        if (src !== undefined && c.src !== src) return false;
        if (succ !== undefined && c.success !== succ) return false;
        if (minDur !== undefined && !(c.dur > minDur)) return false;
        if (maxDur !== undefined && !(c.dur < maxDur)) return false;
        return true;
      });
  // start bounds are on the sort key: binary search (whole seconds)
  let lo = 0;
  let hi = view.length;
  if (after !== undefined) lo = lowerBound(view, { t: (after + 1) * 1000, nid: '' }, cmpTimeId);
  if (before !== undefined) hi = Math.max(lo, lowerBound(view, { t: before * 1000, nid: '' }, cmpTimeId));
  // newest first: ties by conversation_id descending (the reverse of cmpAsc)
  const e = pos ? Math.max(lo, Math.min(hi, lowerBound(view, pos, cmpTimeId))) : hi;
  const s = Math.max(lo, e - pageSize);
  const page = [];
  for (let i = e - 1; i >= s; i--) page.push(view[i]);
  const more = s > lo;
  // The last page still carries a cursor (the provider's stale one, which
  // only has_more=false tells apart); an empty page echoes the request's.
  const next = page.length ? encodeCursor(page[page.length - 1]) : cur !== undefined && cur !== '' ? cur : null;
  let body = '{"conversations":[';
  for (let i = 0; i < page.length; i++) body += (i ? ',' : '') + store.json(page[i]);
  body += '],"next_cursor":' + JSON.stringify(next) + ',"has_more":' + more + '}';
  return { status: 200, raw: body };
}

// ---------- one conversation: GET /v1/convai/conversations/{id} ----------

// The detail moves the start, the duration and the initiation source into
// `metadata` and adds what the list lacks: metadata.phone_call with our
// number (agent_number) and the other party's (external_number) for phone
// conversations, the transcript, the analysis and the fiat cost (USD).
// Audio is another endpoint: no recording URL.

// Our number: one per agent; theirs: one per conversation.
function agentNumber(ctx, c) {
  return usNumber(new Rng(hash32('number|' + ctx.name + '|' + c.agent)));
}
function externalNumber(c) {
  return usNumber(new Rng(c.seed ^ 0x9e37));
}
// A conversation with a phone_call block: a phone source with a direction.
const hasPhone = (c) => typeOf(c.src) === 'phone' && c.dir !== null;
// The fiat cost in cents, or null: some conversations carry none.
const fiatCents = (c) => (c.dur > 0 && c.seed % 5 !== 0 ? cents(c.seed) : null);
// A closing end_call tool turn (no message) on conversations that used it.
const toolTurn = (c) => c.st === 'done' && c.seed % 3 === 0;

// [{role, content, u}] with u in tenths of ms; the tool turn (content
// null) at the call's last second.
function detailTurns(c, ctx) {
  const t = c.msgs ? turns(c.seed, c.msgs, ctx.agents[c.agent].name, c.dur * 1000) : [];
  if (toolTurn(c)) t.push({ role: 'agent', content: null, u: c.dur * 10000 });
  return t;
}

function detailNative(c, ctx) {
  const l = native(c, ctx);
  const m = {
    start_time_unix_secs: l.start_time_unix_secs,
    accepted_time_unix_secs: l.start_time_unix_secs,
    call_duration_secs: l.call_duration_secs,
    cost: c.dur > 0 ? cents(c.seed) * 11 : null,
    termination_reason: l.termination_reason,
    main_language: l.main_language,
    text_only: false,
  };
  const fc = fiatCents(c);
  if (fc !== null) m.cost_fiat = fc / 100;
  if (c.src !== ABSENT) m.conversation_initiation_source = c.src;
  if (hasPhone(c)) {
    m.phone_call = c.src === 'sip_trunk'
      ? { direction: c.dir, phone_number_id: 'phnum_' + c.agent, agent_number: agentNumber(ctx, c), external_number: externalNumber(c), type: 'sip_trunking', call_sid: 'sip-' + c.nid }
      : { direction: c.dir, phone_number_id: 'phnum_' + c.agent, agent_number: agentNumber(ctx, c), external_number: externalNumber(c), type: 'twilio', call_sid: 'CA' + c.nid.slice(5), stream_sid: 'MZ' + c.nid.slice(5) };
  }
  return {
    agent_id: l.agent_id,
    agent_name: l.agent_name,
    version_id: l.version_id,
    branch_id: l.branch_id,
    conversation_id: c.nid,
    status: c.st,
    user_id: null,
    transcript: detailTurns(c, ctx).map((x) => {
      const o = { role: x.role, message: x.content, time_in_call_secs: seconds(x.u) };
      if (x.content === null) o.tool_calls = [{ type: 'system', tool_name: 'end_call', params_as_json: '{}' }];
      return o;
    }),
    metadata: m,
    analysis: c.st === 'initiated' ? null : { call_successful: c.success, transcript_summary: l.transcript_summary, call_summary_title: l.call_summary_title, evaluation_criteria_results: {}, data_collection_results: {} },
    has_audio: c.dur > 0,
    has_user_audio: c.dur > 0,
    has_response_audio: c.dur > 0,
  };
}

function expectedDetail(c, ctx) {
  const e = expected(c, ctx);
  if (hasPhone(c)) {
    const ours = agentNumber(ctx, c);
    const theirs = externalNumber(c);
    e.from = c.dir === 'inbound' ? theirs : ours;
    e.to = c.dir === 'inbound' ? ours : theirs;
  }
  e.transcript = detailTurns(c, ctx).map((x) => ({ role: x.role, text: x.content ?? '', offset_ms: halfUpMs(x.u) }));
  e.summary = c.st === 'done' ? 'The caller asked about ' + ctx.agents[c.agent].label.toLowerCase() + '.' : null;
  e.recording_url = null;
  e.recording_expires_at = null;
  const fc = fiatCents(c);
  e.cost = fc === null ? null : { amount: fc / 100, currency: 'USD' };
  return e;
}

const detail = getCallDetail({
  prefix: '/v1/convai/conversations/',
  auth: (h, ctx) => h['xi-api-key'] === 'sim-' + ctx.name + '-key',
  unauthorized: (h) => h['xi-api-key'] === undefined
    ? err('needs_authorization', 'Neither authorization header nor xi-api-key received, please provide one.')
    : unauthorized(),
  notFound: (id) => err('conversation_not_found', 'Conversation ' + id + ' not found'),
  body: detailNative,
  expected: expectedDetail,
});

// POST /_control/NAME/quirk {"first_page_default": true|false}
function quirk(store, b) {
  if (!b || typeof b !== 'object' || Array.isArray(b)) return 'body must be a JSON object';
  for (const [k, v] of Object.entries(b)) {
    if (k !== 'first_page_default') return 'unknown quirk ' + k;
    if (typeof v !== 'boolean') return k + ' must be true or false';
    store.quirks[k] = v;
  }
  return null;
}

export default {
  detail,
  kind: 'elevenlabs',
  quirk,
  method: 'GET',
  path: '/v1/convai/conversations',
  wholeSeconds: true,
  idKey: 'conversation_id',
  authHeaders: (name) => ({ 'xi-api-key': 'sim-' + name + '-key' }),
  records: (body) => body && body.conversations,
  setup,
  variants,
  randomSpec,
  insertSpec: randomSpec,
  build,
  native,
  expected,
  cmpAsc: cmpTimeId,
  orderTime: (c) => tkey(c.t),
  err: (status, code, message) => err(code, message),
  unauthorized,
  envelope,
  handle,
};
