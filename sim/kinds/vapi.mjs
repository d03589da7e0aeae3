// vapi: GET /call — a bare JSON array, newest-created first, no paging
// fields: the next page is asked with createdAtLe = the oldest createdAt
// seen (NestJS validation, 400 bodies with a message array).

import {
  makeAgents, usNumber, ukNumber, isoMs, expectedRecord, cmpStr, bearerOk, lowerBound, upperBound, parseIso,
  normEnum,
} from '../common.mjs';
import { Rng, hash32 } from '../rng.mjs';
import { makeMessages, messageCount } from '../text.mjs';
import { turns, seconds, halfUpMs, summary, cents, getCallDetail } from '../detail.mjs';

const TYPES = ['inboundPhoneCall', 'outboundPhoneCall', 'webCall', 'vapi.websocketCall'];

// endedReason values of the status table, and others of Vapi's ~570: errors
// ("error"/"failed" in the word), and neither (completed/error).
const TABLE_REASONS = [
  'customer-ended-call', 'assistant-ended-call', 'assistant-said-end-call-phrase',
  'assistant-ended-call-with-hangup-task', 'assistant-ended-call-after-message-spoken', 'assistant-forwarded-call',
  'silence-timed-out', 'exceeded-max-duration', 'voicemail', 'customer-did-not-answer', 'customer-busy',
  'manually-canceled',
];
const ERROR_REASONS = [
  'pipeline-error-openai-voice-failed', 'call.in-progress.error-vapifault-worker-died', 'twilio-failed-to-connect-call',
  'assistant-request-failed', 'call.start.error-subscription-concurrency-limit-reached', 'assistant-request-returned-error',
];
const OTHER_REASONS = ['customer-ended-call-before-warm-transfer', 'call.forwarding.operator-busy', 'vonage-completed'];

// Reasons after which nobody talked: the call never started (no startedAt).
const NEVER_STARTED = new Set([
  'customer-did-not-answer', 'customer-busy', 'manually-canceled', 'twilio-failed-to-connect-call',
  'assistant-request-failed', 'call.start.error-subscription-concurrency-limit-reached', 'assistant-request-returned-error',
]);

// The vapi rows of the status table.
const WORDS = {
  scheduled: ['scheduled', null], queued: ['queued', null], ringing: ['ringing', null],
  in_progress: ['in_progress', null], forwarding: ['in_progress', null],
};
const REASONS = {
  customer_ended_call: ['completed', 'user_hangup'],
  assistant_ended_call: ['completed', 'agent_hangup'],
  assistant_said_end_call_phrase: ['completed', 'agent_hangup'],
  assistant_forwarded_call: ['completed', 'transferred'],
  silence_timed_out: ['completed', 'inactivity'],
  exceeded_max_duration: ['completed', 'max_duration'],
  voicemail: ['voicemail', 'voicemail'],
  customer_did_not_answer: ['no_answer', 'no_answer'],
  customer_busy: ['busy', 'busy'],
  manually_canceled: ['canceled', null],
};

export function mapStatus(st, r) {
  const s = normEnum(st);
  if (s === 'ended') {
    if (r === null || r === undefined) return ['completed', null];
    const k = normEnum(r);
    if (REASONS[k]) return REASONS[k];
    if (k.startsWith('assistant_ended_call_')) return ['completed', 'agent_hangup'];
    if (k.includes('error') || k.includes('failed')) return ['failed', 'error'];
    return ['completed', 'error'];
  }
  return WORDS[s] || ['unknown', null];
}

const variants = [
  { st: 'scheduled', r: null, type: 'outboundPhoneCall' },
  { st: 'queued', r: null, type: 'outboundPhoneCall' },
  { st: 'ringing', r: null, type: 'inboundPhoneCall' },
  { st: 'in-progress', r: null, type: 'inboundPhoneCall' },
  { st: 'in-progress', r: null, type: 'webCall' },
  { st: 'forwarding', r: null, type: 'outboundPhoneCall' },
  ...TABLE_REASONS.map((r, k) => ({ st: 'ended', r, type: k % 3 === 2 ? 'inboundPhoneCall' : 'outboundPhoneCall' })),
  ...ERROR_REASONS.map((r, k) => ({ st: 'ended', r, type: k % 2 ? 'inboundPhoneCall' : 'outboundPhoneCall' })),
  ...OTHER_REASONS.map((r) => ({ st: 'ended', r, type: 'inboundPhoneCall' })),
  { st: 'ended', r: null, type: 'inboundPhoneCall' },
  { st: 'ended', r: 'customer-ended-call', type: 'webCall' },
  { st: 'ended', r: 'assistant-ended-call', type: 'vapi.websocketCall' },
  { st: 'not-found', r: null, type: 'outboundPhoneCall' },
  { st: 'deletion-failed', r: null, type: 'inboundPhoneCall' },
];

const RANDOM = [
  [30, ['ended', 'customer-ended-call']], [14, ['ended', 'assistant-ended-call']],
  [5, ['ended', 'assistant-said-end-call-phrase']], [4, ['ended', 'assistant-forwarded-call']],
  [3, ['ended', 'silence-timed-out']], [1, ['ended', 'exceeded-max-duration']], [5, ['ended', 'voicemail']],
  [7, ['ended', 'customer-did-not-answer']], [4, ['ended', 'customer-busy']], [2, ['ended', 'manually-canceled']],
  [2, ['ended', 'pipeline-error-openai-voice-failed']], [1, ['ended', 'twilio-failed-to-connect-call']],
  [1, ['ended', 'call.in-progress.error-vapifault-worker-died']], [1, ['ended', 'customer-ended-call-before-warm-transfer']],
  [1, ['ended', null]], [3, ['in-progress', null]], [1, ['forwarding', null]], [2, ['queued', null]],
  [1, ['ringing', null]], [2, ['scheduled', null]],
];

function randomSpec(rng) {
  const [st, r] = rng.weighted(RANDOM);
  const x = rng.next();
  const type = x < 0.45 ? 'outboundPhoneCall' : x < 0.85 ? 'inboundPhoneCall' : x < 0.95 ? 'webCall' : 'vapi.websocketCall';
  return { st, r: type.endsWith('PhoneCall') || !NEVER_STARTED.has(r) ? r : 'customer-ended-call', type };
}

function setup(ctx) {
  ctx.agents = makeAgents(ctx.name, (rng) => rng.uuid());
  const rng = new Rng(hash32('lines|' + ctx.name));
  ctx.lines = [
    { id: rng.uuid(), number: usNumber(rng) },
    { id: rng.uuid(), number: usNumber(rng) },
    { id: rng.uuid(), number: ukNumber(rng) },
  ];
  ctx.org = rng.uuid();
  ctx.campaigns = [rng.uuid(), rng.uuid()];
  ctx.lastCreated = null;
}

const LAG_MAX = 30000; // a call starts within 30 s of its creation
const LATE_MIN = 301000; // late starters: past callnorm's default start_lag_ms
const LATE_MAX = 1200000;

function build(ctx, rng, spec, i, t0, ins) {
  // late starters (--late-starts): calls that were answered and ended
  if (spec.late) spec = { ...spec, st: 'ended', r: 'customer-ended-call', type: 'outboundPhoneCall' };
  const c = {
    seed: rng.u32(), nid: rng.uuid(), st: spec.st, r: spec.r, type: spec.type, agent: rng.int(ctx.agents.length),
    created: t0, start: null, end: null, cust: null, line: null, transientLine: false, late: false,
  };
  const started = spec.st === 'in-progress' || spec.st === 'forwarding' || (spec.st === 'ended' && !NEVER_STARTED.has(spec.r));
  // Ties in createdAt: every 10th call and the next share the previous
  // generated call's millisecond (groups of three), so pages end inside
  // tie groups.  Shared start instants (index % 7 == 6) keep their start.
  const tie = !ins && ctx.lastCreated !== null && (i % 10 === 8 || i % 10 === 9) && i % 7 !== 6;
  if (tie) {
    c.created = ctx.lastCreated;
    if (started) c.start = c.created + rng.int(LAG_MAX + 1);
  } else if (started) {
    c.start = t0;
    c.created = ins ? t0 : t0 - rng.int(LAG_MAX + 1);
  }
  if (spec.late && started) {
    // scheduled ahead, or held in a queue: started long after creation
    c.late = true;
    c.created = c.start - rng.range(LATE_MIN, LATE_MAX);
  }
  if (!ins) ctx.lastCreated = c.created;
  if (spec.st === 'ended') {
    let d;
    const r = spec.r;
    if (NEVER_STARTED.has(r)) d = rng.range(2000, 40000);
    else if (r === 'exceeded-max-duration') d = 600000;
    else if (r === 'silence-timed-out') d = rng.range(30000, 120000);
    else if (r === 'voicemail') d = rng.range(8000, 40000);
    else if (r && (r.includes('error') || r.includes('failed'))) d = rng.range(1000, 20000);
    else d = rng.range(10000, 900000) + rng.int(1000);
    c.end = (c.start ?? c.created) + d;
  }
  if (spec.type.endsWith('PhoneCall')) {
    c.cust = rng.chance(0.9) ? usNumber(rng) : ukNumber(rng);
    c.line = rng.int(ctx.lines.length);
    // a transient phone number (with its Twilio credentials) instead of
    // a saved one: only then does the list carry our number
    c.transientLine = rng.chance(0.35);
  }
  // saved assistant (assistantId) or transient one (assistant.name)
  c.transient = rng.chance(0.2);
  c.campaign = spec.type === 'outboundPhoneCall' && rng.chance(0.3) ? rng.pick(ctx.campaigns) : null;
  const talk = c.start !== null && c.end !== null ? Math.floor((c.end - c.start) / 1000) : 0;
  c.msgs = spec.st === 'in-progress' || spec.st === 'forwarding' ? rng.range(2, 4) : messageCount(talk);
  // older records keep the transcript at the top level, newer ones in artifact
  c.oldStyle = rng.chance(0.2);
  c.updated = (c.end ?? c.start ?? c.created) + rng.int(20000);
  c.cost = c.end !== null ? Math.round(rng.range(1, 400)) / 100 : null;
  c.t = c.start ?? c.created; // the normalized started_at
  return c;
}

function transcript(c, ctx) {
  if (c.msgs <= 0) return null;
  return makeMessages(c.seed, c.msgs, ctx.agents[c.agent].name)
    .map((m) => (m.role === 'agent' ? 'AI: ' : 'User: ') + m.content)
    .join('\n');
}

// The conversation with its timings, [{role, content, u}] (u in tenths of
// ms from the start): the list's turns, and in every third call that
// talked a tool call and its result after the second turn.
function detailTurns(c, ctx) {
  if (c.msgs <= 0) return [];
  const talk = c.start !== null && c.end !== null ? c.end - c.start : 0;
  const t = turns(c.seed, c.msgs, ctx.agents[c.agent].name, talk);
  if (c.seed % 3 === 0 && t.length >= 2) {
    const u = t[1].u;
    t.splice(2, 0, { role: 'tool_calls', content: '', u: u + 3 }, { role: 'tool_call_result', content: '{"found":true,"ref":"' + c.nid.slice(0, 8) + '"}', u: u + 7 });
  }
  return t;
}

// Vapi's messages: the system prompt first (no turn), then the bot's and
// the user's words and the tool entries, at secondsFromStart.
function messages(c, ctx) {
  const t0 = c.start ?? c.created;
  const t = detailTurns(c, ctx);
  if (t.length === 0) return [];
  const out = [{ role: 'system', message: 'You are ' + ctx.agents[c.agent].name + ', a helpful voice assistant.', time: t0, secondsFromStart: 0 }];
  for (const x of t) {
    const time = t0 + Math.floor(x.u / 10);
    if (x.role === 'tool_calls') {
      out.push({ role: x.role, message: '', toolCalls: [{ id: 'call_' + c.nid.slice(0, 8), type: 'function', function: { name: 'lookup_booking', arguments: '{"customer":"Sam"}' } }], time, secondsFromStart: seconds(x.u) });
    } else if (x.role === 'tool_call_result') {
      out.push({ role: x.role, toolCallId: 'call_' + c.nid.slice(0, 8), name: 'lookup_booking', result: x.content, time, secondsFromStart: seconds(x.u) });
    } else {
      const dur = 400 + x.content.length * 55;
      out.push({ role: x.role === 'agent' ? 'bot' : 'user', message: x.content, time, endTime: time + dur, secondsFromStart: seconds(x.u), duration: dur, source: '' });
    }
  }
  return out;
}

// What the call object carries, as the expected detail reads it.
const hasArtifact = (c) => !c.oldStyle && (c.st === 'ended' || c.st === 'in-progress' || c.st === 'forwarding');
const recordingOf = (c) => (c.end !== null && c.start !== null ? 'https://storage.vapi.ai/' + c.nid + '-mono.wav' : null);
const summaryOf = (c) => (c.st === 'ended' && c.start !== null ? summary(c.seed) : null);
const costOf = (c) => (c.cost !== null ? cents(c.seed) / 100 : null);

// What a Vapi call carries of the customer's other services: provider
// keys in `credentials`, webhook secrets and headers, the Twilio token of
// a transient number.  callnorm must never hand these out in `raw`.
function assistantObject(c, ctx) {
  const a = ctx.agents[c.agent];
  return {
    name: a.name,
    model: { provider: 'openai', model: 'gpt-4o', messages: [{ role: 'system', content: 'You are ' + a.name + '.' }], tools: [{ type: 'function', server: { url: 'https://hooks.example.com/tool', secret: 'tool-secret-' + c.nid.slice(0, 8) } }] },
    voice: { provider: '11labs', voiceId: 'burt' },
    credentials: [{ provider: 'openai', apiKey: 'sk-sim-' + c.nid.slice(0, 12) }, { provider: 'deepgram', apiKey: 'dg-sim-' + c.nid.slice(24) }],
    server: { url: 'https://hooks.example.com/vapi', secret: 'whsec-sim-' + c.nid.slice(0, 6), headers: { Authorization: 'Bearer hook-token-' + c.nid.slice(9, 13) } },
    metadata: { team: a.label },
  };
}

function native(c, ctx) {
  const o = { id: c.nid, orgId: ctx.org, type: c.type, status: c.st };
  if (c.st === 'ended' && c.r !== null) o.endedReason = c.r;
  o.createdAt = isoMs(c.created);
  o.updatedAt = isoMs(c.updated);
  if (c.start !== null) o.startedAt = isoMs(c.start);
  if (c.end !== null) o.endedAt = isoMs(c.end);
  if (c.cost !== null) {
    o.cost = costOf(c);
    o.costBreakdown = { transport: 0, stt: 0, llm: 0, tts: 0, vapi: costOf(c), total: costOf(c) };
  }
  if (c.transient) o.assistant = assistantObject(c, ctx);
  else {
    o.assistantId = ctx.agents[c.agent].id;
    o.assistantOverrides = { variableValues: { customerName: 'Sam' }, credentials: [{ provider: 'cartesia', apiKey: 'cart-sim-' + c.nid.slice(0, 10) }] };
  }
  if (c.cust !== null) {
    const line = ctx.lines[c.line];
    o.customer = { number: c.cust, name: 'Customer ' + c.nid.slice(0, 4) };
    if (c.transientLine) {
      o.phoneNumber = { provider: 'twilio', number: line.number, twilioAccountSid: 'AC' + c.nid.replace(/-/g, '').slice(0, 32), twilioAuthToken: 'sim-auth-' + c.nid.slice(0, 16), twilioApiKey: 'SK-sim', twilioApiSecret: 'sim-api-secret' };
    } else o.phoneNumberId = line.id;
    o.phoneCallProvider = 'twilio';
    o.phoneCallProviderId = 'CA' + c.nid.replace(/-/g, '');
    o.phoneCallTransport = 'pstn';
  }
  if (c.campaign !== null) o.campaignId = c.campaign;
  const t = transcript(c, ctx);
  if (c.oldStyle) {
    if (t !== null) o.transcript = t;
    o.messages = messages(c, ctx);
    if (recordingOf(c) !== null) o.recordingUrl = recordingOf(c);
  } else if (hasArtifact(c)) {
    o.artifact = { messages: messages(c, ctx) };
    if (t !== null) o.artifact.transcript = t;
    if (recordingOf(c) !== null) o.artifact.recordingUrl = recordingOf(c);
  }
  if (summaryOf(c) !== null) o.analysis = { summary: summaryOf(c), successEvaluation: 'true' };
  if (c.st === 'scheduled') o.schedulePlan = { earliestAt: isoMs(c.created + 3600000) };
  o.transport = { provider: 'twilio', authToken: 'sim-transport-token' };
  return o;
}

function expected(c, ctx) {
  const e = expectedRecord(ctx, c.nid);
  const phone = c.type.endsWith('PhoneCall');
  e.type = phone ? 'phone' : 'web';
  e.direction = c.type === 'inboundPhoneCall' ? 'inbound' : c.type === 'outboundPhoneCall' ? 'outbound' : null;
  [e.status, e.end_reason] = mapStatus(c.st, c.st === 'ended' ? c.r : null);
  e.provider_status = c.st;
  if (phone) {
    const ours = c.transientLine ? ctx.lines[c.line].number : null;
    e.from = e.direction === 'inbound' ? c.cust : ours;
    e.to = e.direction === 'inbound' ? ours : c.cust;
  }
  e.agent = c.transient ? { id: null, name: ctx.agents[c.agent].name, version: null } : { id: ctx.agents[c.agent].id, name: null, version: null };
  e.started_at = isoMs(c.start ?? c.created);
  e.ended_at = isoMs(c.end);
  e.duration_ms = c.start !== null && c.end !== null ? c.end - c.start : null;
  e.campaign_id = c.campaign;
  // artifact.transcript, else transcript; null: the record has neither
  e._transcript = transcript(c, ctx);
  return e;
}

// ---------- one call: GET /call/{id} ----------

const ROLES = { agent: 'agent', user: 'user', tool_calls: 'tool', tool_call_result: 'tool' };

// The normalized detail: the list's record, the messages without the
// system prompt (offsets half up from tenths of ms), the summary, the
// recording URL, the cost in dollars.
function expectedDetail(c, ctx) {
  const e = expected(c, ctx);
  delete e._transcript;
  e.transcript = c.oldStyle || hasArtifact(c) ? detailTurns(c, ctx).map((x) => ({ role: ROLES[x.role], text: x.content, offset_ms: halfUpMs(x.u) })) : null;
  e.summary = summaryOf(c);
  e.recording_url = recordingOf(c);
  e.recording_expires_at = null;
  e.cost = costOf(c) !== null ? { amount: costOf(c), currency: 'USD' } : null;
  return e;
}

const detail = getCallDetail({
  prefix: '/call/',
  auth: (h, ctx) => bearerOk(h, 'sim-' + ctx.name + '-key'),
  unauthorized: () => UNAUTHORIZED,
  // NestJS's NotFoundException
  notFound: () => ({ message: 'Call not found', error: 'Not Found', statusCode: 404 }),
  body: native,
  expected: expectedDetail,
});

// ---------- ordering ----------

// Base order ascending on (createdAt, id); the list order (newest created
// first, ties by id descending) is exactly its reverse.
function cmpAsc(a, b) {
  if (a.created !== b.created) return a.created < b.created ? -1 : 1;
  return cmpStr(a.nid, b.nid);
}

// ---------- HTTP ----------

const UNAUTHORIZED = {
  message: 'Invalid Key. Hot tip, you may be using the private key instead of the public key, or vice versa.',
  error: 'Unauthorized',
  statusCode: 401,
};
const bad = (messages) => ({ status: 400, body: { message: messages, error: 'Bad Request', statusCode: 400 } });

const DATE_PARAMS = ['createdAtGt', 'createdAtLt', 'createdAtGe', 'createdAtLe', 'updatedAtGt', 'updatedAtLt', 'updatedAtGe', 'updatedAtLe'];
const ALLOWED = new Set(['id', 'assistantId', 'phoneNumberId', 'limit', ...DATE_PARAMS]);
const NUM_RE = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

function handle(store, req) {
  const ctx = store.ctx;
  if (!bearerOk(req.headers, 'sim-' + ctx.name + '-key')) return { status: 401, body: UNAUTHORIZED };
  const q = req.url.searchParams;
  const errs = [];
  const one = {};
  for (const k of new Set(q.keys())) {
    if (!ALLOWED.has(k)) {
      errs.push(`property ${k} should not exist`);
      continue;
    }
    const v = q.getAll(k);
    if (v.length > 1) errs.push(k === 'limit' ? 'limit must be a number conforming to the specified constraints' : `${k} must be a string`);
    else one[k] = v[0];
  }
  let limit = 100;
  if (one.limit !== undefined) {
    if (!NUM_RE.test(one.limit.trim())) errs.push('limit must be a number conforming to the specified constraints');
    else {
      limit = Number(one.limit);
      if (limit > 1000) errs.push('limit must not be greater than 1000');
      else if (limit < 0) errs.push('limit must not be less than 0');
    }
  }
  const dates = {};
  for (const k of DATE_PARAMS) {
    if (one[k] === undefined) continue;
    const t = parseIso(one[k], 0);
    if (Number.isNaN(t)) errs.push(`${k} must be a valid ISO 8601 date string`);
    else dates[k] = t;
  }
  if (errs.length) return bad(errs);
  limit = Math.floor(limit);
  const upd = DATE_PARAMS.slice(4).filter((k) => dates[k] !== undefined);
  const filtered = one.id !== undefined || one.assistantId !== undefined || one.phoneNumberId !== undefined || upd.length > 0;
  const sig = JSON.stringify([one.id ?? null, one.assistantId ?? null, one.phoneNumberId ?? null, upd.map((k) => [k, dates[k]])]);
  const view = !filtered
    ? store.base
    : store.view(sig, (c) => {
        if (one.id !== undefined && c.nid !== one.id) return false;
        if (one.assistantId !== undefined && (c.transient || ctx.agents[c.agent].id !== one.assistantId)) return false;
        if (one.phoneNumberId !== undefined && (c.cust === null || c.transientLine || ctx.lines[c.line].id !== one.phoneNumberId)) return false;
        if (dates.updatedAtGt !== undefined && !(c.updated > dates.updatedAtGt)) return false;
        if (dates.updatedAtLt !== undefined && !(c.updated < dates.updatedAtLt)) return false;
        if (dates.updatedAtGe !== undefined && !(c.updated >= dates.updatedAtGe)) return false;
        if (dates.updatedAtLe !== undefined && !(c.updated <= dates.updatedAtLe)) return false;
        return true;
      });
  // createdAt bounds the sort key: binary search.  Gt/Lt are strict,
  // Ge/Le inclusive (the documentation says so explicitly).
  const at = (t, edge) => (edge === 'lo' ? lowerBound : upperBound)(view, { created: t, nid: edge === 'lo' ? '' : '\uffff' }, cmpAsc);
  let lo = 0;
  let hi = view.length;
  if (dates.createdAtGt !== undefined) lo = Math.max(lo, at(dates.createdAtGt, 'hi'));
  if (dates.createdAtGe !== undefined) lo = Math.max(lo, at(dates.createdAtGe, 'lo'));
  if (dates.createdAtLt !== undefined) hi = Math.min(hi, at(dates.createdAtLt, 'lo'));
  if (dates.createdAtLe !== undefined) hi = Math.min(hi, at(dates.createdAtLe, 'hi'));
  let body = '[';
  let k = 0;
  for (let i = hi - 1; i >= lo && k < limit; i--) body += (k++ ? ',' : '') + store.json(view[i]);
  return { status: 200, raw: body + ']' };
}

export default {
  detail,
  kind: 'vapi',
  method: 'GET',
  path: '/call',
  wholeSeconds: false,
  setup,
  variants,
  randomSpec,
  insertSpec: randomSpec,
  build,
  native,
  expected,
  cmpAsc,
  orderTime: (c) => c.created,
  err: (status, code, message) => ({ message, error: code, statusCode: status }),
  unauthorized: () => UNAUTHORIZED,
  envelope: () => ['[', ']'],
  handle,
};
