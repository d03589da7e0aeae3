// osvi: GET /v1/calls — page numbers, newest first, per_page silently capped.

import {
  makeAgents, inNumber, isoMs, isoIST, expectedRecord, cmpTimeId, parseIso, isDateOnly, parseYmd, IST_OFFSET, DAY,
} from '../common.mjs';
import { Rng, hash32 } from '../rng.mjs';
import { turns, summary, seedOf, signedUrl, idSegment } from '../detail.mjs';
import { messageCount } from '../text.mjs';

const STATUSES = ['picked', 'not_picked', 'failed', 'busy', 'voicemail', 'in_progress'];
const STATUS_SET = new Set(STATUSES);
const MAP = {
  in_progress: ['in_progress', null],
  picked: ['completed', null],
  not_picked: ['no_answer', 'no_answer'],
  busy: ['busy', 'busy'],
  voicemail: ['voicemail', 'voicemail'],
  failed: ['failed', 'error'],
};
const TAGS = [
  { id: 12, name: 'interested', color_code: '#22c55e' },
  { id: 13, name: 'not_interested', color_code: '#ef4444' },
  { id: 14, name: 'callback', color_code: '#f59e0b' },
  { id: 15, name: 'wrong_number', color_code: '#6b7280' },
];
const CAMPAIGNS = [
  [7, [19, 20]],
  [12, [33]],
  [31, [71, 72, 73]],
];

const variants = [
  { st: 'picked', by: 'user', dir: 'outbound' },
  { st: 'picked', by: 'agent', dir: 'inbound' },
  { st: 'picked', by: null, dir: 'outbound' },
  { st: 'in_progress', by: null, dir: 'inbound' },
  { st: 'not_picked', by: null, dir: 'outbound' },
  { st: 'busy', by: null, dir: 'outbound' },
  { st: 'voicemail', by: 'agent', dir: 'outbound' },
  { st: 'failed', by: null, dir: 'inbound' },
  { st: 'picked', by: 'user', dir: null },
  { st: 'not_picked', by: null, dir: null },
];

const RANDOM = [[50, 'picked'], [20, 'not_picked'], [7, 'busy'], [5, 'failed'], [8, 'voicemail'], [3, 'in_progress']];

function randomSpec(rng) {
  const st = rng.weighted(RANDOM);
  const x = rng.next();
  const dir = x < 0.7 ? 'outbound' : x < 0.98 ? 'inbound' : null;
  let by = null;
  if (st === 'picked') by = rng.weighted([[55, 'user'], [40, 'agent'], [5, null]]);
  if (st === 'voicemail') by = 'agent';
  return { st, by, dir };
}

function setup(ctx) {
  ctx.agents = makeAgents(ctx.name, (rng) => 'agent_' + rng.b64(22));
  const rng = new Rng(hash32('lines|' + ctx.name));
  ctx.lines = ['+9111' + rng.digits(8), '+9180' + rng.digits(8)];
}

const REASONS = {
  picked: { user: 'customer-ended-call', agent: 'assistant-ended-call' },
  not_picked: 'customer-did-not-answer',
  busy: 'customer-busy',
  voicemail: 'voicemail',
};

function build(ctx, rng, spec, i, t0) {
  const c = {
    nid: rng.uuid(), t: t0, st: spec.st, dir: spec.dir, by: spec.by, agent: rng.int(ctx.agents.length),
    phone: inNumber(rng), line: rng.chance(0.05) ? null : rng.pick(ctx.lines), picked: null, dur: null,
    reason: null, campaign: null, upload: null, tag: null,
  };
  const answered = spec.st === 'picked' || spec.st === 'in_progress' || spec.st === 'voicemail';
  if (answered) c.picked = t0 + rng.range(2, 25) * 1000;
  if (spec.st === 'picked') c.dur = rng.range(5, 900);
  if (spec.st === 'voicemail') c.dur = rng.range(10, 40);
  if (spec.st === 'picked') c.reason = spec.by ? REASONS.picked[spec.by] : rng.pick(['silence-timed-out', 'exceeded-max-duration']);
  else if (spec.st === 'failed') c.reason = rng.pick(['twilio-failed-to-connect-call', 'pipeline-error-openai-llm-failed']);
  else if (spec.st !== 'in_progress') c.reason = REASONS[spec.st];
  if (spec.dir === 'outbound' && (i < 10 ? i % 2 === 0 : rng.chance(0.6))) {
    const [id, uploads] = rng.pick(CAMPAIGNS);
    c.campaign = id;
    c.upload = rng.pick(uploads);
  }
  if (spec.st === 'picked' && (i < 10 ? i % 3 !== 2 : rng.chance(0.5))) c.tag = rng.pick(TAGS);
  return c;
}

function native(c, ctx) {
  const a = ctx.agents[c.agent];
  return {
    call_id: c.nid,
    agent_uuid: a.id,
    agent_name: a.name,
    phone_number: c.phone,
    from_number: c.line,
    status: c.st,
    call_type: c.dir,
    duration_seconds: c.dur,
    call_ended_by: c.by,
    call_ended_reason: c.reason,
    campaign_id: c.campaign,
    campaign_upload_id: c.upload,
    tag: c.tag,
    created_at: isoIST(c.t),
    call_picked_at: isoIST(c.picked),
  };
}

function expected(c, ctx) {
  const e = expectedRecord(ctx, c.nid);
  const a = ctx.agents[c.agent];
  e.type = 'phone';
  e.direction = c.dir;
  [e.status, e.end_reason] = MAP[c.st] || ['unknown', null];
  if (c.st === 'picked') e.end_reason = c.by === 'user' ? 'user_hangup' : c.by === 'agent' ? 'agent_hangup' : null;
  e.provider_status = c.st;
  // phone_number is the other party, from_number our line; without a
  // call_type the roles are unknown and both stay null.
  if (c.dir === 'outbound') {
    e.from = c.line;
    e.to = c.phone;
  } else if (c.dir === 'inbound') {
    e.from = c.phone;
    e.to = c.line;
  }
  e.agent = { id: a.id, name: a.name, version: null };
  e.started_at = isoMs(c.t);
  e.duration_ms = c.dur === null ? null : c.dur * 1000;
  e.ended_at = c.picked !== null && c.dur !== null ? isoMs(c.picked + c.dur * 1000) : null;
  e.campaign_id = c.campaign === null ? null : String(c.campaign);
  e.tags = c.tag ? [c.tag.name] : [];
  return e;
}

// ---------- HTTP ----------

const INT_RE = /^[+-]?\d+$/;

function lastOf(q, k) {
  const v = q.getAll(k).filter((x) => x.trim() !== '');
  return v.length ? v[v.length - 1].trim() : undefined;
}

// start_date/end_date: a bare date is a whole IST day; a timestamp without
// an offset is read in IST too.
function dateBound(v, upper) {
  if (isDateOnly(v)) {
    const d = parseYmd(v);
    if (Number.isNaN(d)) return NaN;
    return upper ? d - IST_OFFSET + DAY - 1 : d - IST_OFFSET;
  }
  return parseIso(v, 330);
}

function handle(store, req) {
  const ctx = store.ctx;
  if (req.headers['api-token'] !== 'sim-' + ctx.name + '-key') return { status: 401, body: { success: false, error: 'Invalid API token' } };
  const q = req.url.searchParams;
  const errors = [];
  let statuses = null;
  const sv = lastOf(q, 'status');
  if (sv !== undefined) {
    statuses = new Set(sv.split(',').map((x) => x.trim()).filter(Boolean));
    for (const s of statuses) if (!STATUS_SET.has(s)) errors.push(`status must be one of: ${STATUSES.join(', ')}`);
  }
  const intOf = (k) => {
    const v = lastOf(q, k);
    if (v === undefined) return undefined;
    if (!INT_RE.test(v)) {
      errors.push(`${k} must be an integer`);
      return undefined;
    }
    return parseInt(v, 10);
  };
  const campaign = intOf('campaign_id');
  const upload = intOf('campaign_upload_id');
  const page = intOf('page') ?? 1;
  let perPage = intOf('per_page') ?? 25;
  if (page < 1) errors.push('page must be at least 1');
  if (perPage < 1) errors.push('per_page must be at least 1');
  if (perPage > 100) perPage = 100; // documented silent cap
  const callType = lastOf(q, 'call_type');
  if (callType !== undefined && callType !== 'inbound' && callType !== 'outbound') errors.push('call_type must be inbound or outbound');
  const phone = lastOf(q, 'phone_number');
  let sd = null;
  let ed = null;
  const sdv = lastOf(q, 'start_date');
  const edv = lastOf(q, 'end_date');
  if (sdv !== undefined) {
    sd = dateBound(sdv, false);
    if (Number.isNaN(sd)) errors.push('start_date must be a date (YYYY-MM-DD) or an ISO-8601 timestamp');
  }
  if (edv !== undefined) {
    ed = dateBound(edv, true);
    if (Number.isNaN(ed)) errors.push('end_date must be a date (YYYY-MM-DD) or an ISO-8601 timestamp');
  }
  if (errors.length) return { status: 422, body: { success: false, errors: [...new Set(errors)] } };
  const agentUuid = lastOf(q, 'agent_uuid');
  if (agentUuid !== undefined && !ctx.agents.some((a) => a.id === agentUuid)) {
    return { status: 404, body: { success: false, error: 'agent_not_found', details: null } };
  }
  const sig = JSON.stringify([statuses ? [...statuses].sort() : null, agentUuid, campaign, upload, phone, callType, sd, ed]);
  const view = store.view(sig, (c) => {
    if (statuses && !statuses.has(c.st)) return false;
    if (agentUuid !== undefined && ctx.agents[c.agent].id !== agentUuid) return false;
    if (campaign !== undefined && c.campaign !== campaign) return false;
    if (upload !== undefined && c.upload !== upload) return false;
    if (phone !== undefined && !c.phone.includes(phone)) return false;
    if (callType !== undefined && c.dir !== callType) return false;
    if (sd !== null && (c.picked === null || c.picked < sd)) return false;
    if (ed !== null && (c.picked === null || c.picked > ed)) return false;
    return true;
  });
  const n = view.length;
  const skip = (page - 1) * perPage;
  let body = '{"success":true,"data":[';
  let k = 0;
  for (let i = n - 1 - skip; i >= 0 && k < perPage; i--) body += (k++ ? ',' : '') + store.json(view[i]);
  body += '],"meta":' + JSON.stringify({ current_page: page, total_pages: Math.ceil(n / perPage), total_count: n, per_page: perPage }) + '}';
  return { status: 200, raw: body };
}

// ---------- one call: GET /v1/call/{id}, .../transcript, .../recording ----------

const RECORDING_TTL_S = 900; // "expires_in_seconds": 900 in the documentation

const answered = (c) => c.dur !== null;

// The transcript endpoint's turns (Vapi's words: assistant and user); []
// for a call never answered.
function detailTurns(c, ctx) {
  if (!answered(c)) return [];
  return turns(seedOf(c), messageCount(c.dur), ctx.agents[c.agent].name, c.dur * 1000);
}

function callPart(c, ctx) {
  const o = native(c, ctx);
  o.caller_name = null;
  o.retry_count = 0;
  o.summary = c.st === 'picked' ? summary(seedOf(c)) : null;
  o.data_captured = {};
  o.post_call_analysis = null;
  return o;
}

function expectedDetail(c, ctx) {
  const e = expected(c, ctx);
  delete e._transcript;
  e.transcript = detailTurns(c, ctx).map((x) => ({ role: x.role, text: x.content, offset_ms: null }));
  e.summary = c.st === 'picked' ? summary(seedOf(c)) : null;
  e.recording_url = answered(c) ? signedUrl('s3.ap-south-1.amazonaws.com', c.nid, seedOf(c), RECORDING_TTL_S) : null;
  // counted from when the answer arrived: the tests check the window
  e.recording_expires_at = answered(c) ? { relative_s: RECORDING_TTL_S } : null;
  e.cost = null;
  return e;
}

const notFound = (what) => ({ status: 404, body: { success: false, error: what, details: null } });

const detail = {
  match(rest, method) {
    const m = method === 'GET' ? idSegment(rest, '/v1/call/') : null;
    if (!m) return null;
    const part = { '': 'call', '/transcript': 'transcript', '/recording': 'recording' }[m.tail];
    return part ? { id: m.id, part } : null;
  },
  handle(store, req, m) {
    const ctx = store.ctx;
    if (req.headers['api-token'] !== 'sim-' + ctx.name + '-key') return { status: 401, body: { success: false, error: 'Invalid API token' } };
    const c = store.byId.get(m.id);
    if (!c) return notFound('call_not_found');
    if (m.part === 'call') return { status: 200, body: { success: true, data: callPart(c, ctx) } };
    if (m.part === 'transcript') {
      return { status: 200, body: { success: true, data: { call_id: c.nid, transcript: detailTurns(c, ctx).map((x) => ({ role: x.role === 'agent' ? 'assistant' : 'user', content: x.content })) } } };
    }
    if (!answered(c)) return notFound('recording_not_found');
    return { status: 200, body: { success: true, data: { call_id: c.nid, recording_url: signedUrl('s3.ap-south-1.amazonaws.com', c.nid, seedOf(c), RECORDING_TTL_S), expires_in_seconds: RECORDING_TTL_S } } };
  },
  expected: expectedDetail,
};

export default {
  detail,
  kind: 'osvi',
  method: 'GET',
  path: '/v1/calls',
  wholeSeconds: true,
  setup,
  variants,
  randomSpec,
  insertSpec: randomSpec,
  build,
  native,
  expected,
  cmpAsc: cmpTimeId,
  orderTime: (c) => c.t,
  err: (status, code, message) => ({ success: false, error: code, details: null }),
  unauthorized: () => ({ success: false, error: 'Invalid API token' }),
  envelope: (store, count) => [
    '{"success":true,"data":[',
    '],"meta":{"current_page":1,"total_pages":1,"total_count":' + count + ',"per_page":100}}',
  ],
  handle,
};
