// bland: GET /v1/calls — index offsets from/to with limit, total_count,
// created_at order either way (`ascending`), raw key in `authorization`.

import { usNumber, isoMs, expectedRecord, cmpStr, parseYmd, DAY, lowerBound } from '../common.mjs';
import { Rng, hash32 } from '../rng.mjs';
import { messageCount } from '../text.mjs';
import { turns, halfUpMs, summary, cents, seedOf, getCallDetail } from '../detail.mjs';

// queue_status words the data set uses (Bland's examples show both
// "complete" and "completed"); case and '-' vary as the API's do.
const variants = [
  { qs: 'complete', done: true, ab: 'human', err: null, inb: false },
  { qs: 'completed', done: true, ab: 'human', err: null, inb: true },
  { qs: 'complete', done: true, ab: 'voicemail', err: null, inb: false },
  { qs: 'canceled', done: false, ab: null, err: null, inb: false },
  { qs: 'canceled', done: true, ab: 'human', err: null, inb: false }, // row order: canceled wins
  { qs: 'error', done: false, ab: null, err: 'Invalid phone number', inb: false },
  { qs: 'failed', done: false, ab: null, err: null, inb: false },
  { qs: 'complete', done: false, ab: 'no-answer', err: 'Call failed to connect', inb: false },
  { qs: 'queued', done: false, ab: null, err: null, inb: false },
  { qs: 'allocated', done: false, ab: null, err: null, inb: false },
  { qs: 'new', done: false, ab: null, err: null, inb: undefined },
  { qs: 'started', done: false, ab: null, err: null, inb: true },
  { qs: 'In-Progress', done: false, ab: null, err: null, inb: true },
  { qs: 'complete', done: false, ab: null, err: null, inb: false }, // unknown
  { qs: 'COMPLETED', done: true, ab: 'Voicemail', err: null, inb: null },
  { qs: 'paused', done: false, ab: null, err: null, inb: false }, // outside the table: unknown
];

const RANDOM = [
  [50, ['complete', true, 'human', null]],
  [15, ['completed', true, 'human', null]],
  [8, ['complete', true, 'voicemail', null]],
  [5, ['canceled', false, null, null]],
  [4, ['error', false, null, 'Invalid phone number']],
  [3, ['failed', false, null, null]],
  [4, ['complete', false, 'no-answer', 'Call failed to connect']],
  [2, ['queued', false, null, null]],
  [1, ['allocated', false, null, null]],
  [1, ['new', false, null, null]],
  [2, ['started', false, null, null]],
  [2, ['in_progress', false, null, null]],
  [1, ['complete', false, null, null]],
];

function randomSpec(rng) {
  const [qs, done, ab, err] = rng.weighted(RANDOM);
  return { qs, done, ab, err, inb: rng.chance(0.3) };
}

function setup(ctx) {
  ctx.agents = []; // Bland's list carries no agent
  const rng = new Rng(hash32('lines|' + ctx.name));
  ctx.lines = [usNumber(rng), usNumber(rng)];
  ctx.batches = ['b' + rng.hex(7) + '-' + rng.hex(4) + '-gen-batch', 'b' + rng.hex(7) + '-' + rng.hex(4) + '-gen-batch'];
  ctx.campaigns = ['cmp_' + rng.hex(12), 'cmp_' + rng.hex(12)];
}

const norm = (v) => (typeof v === 'string' ? v.toLowerCase().replace(/-/g, '_') : v);

function build(ctx, rng, spec, i, t0) {
  const c = {
    nid: rng.uuid(), t: t0, us: t0 % 1000 === 0 && i % 7 === 6 ? 0 : rng.int(1000), qs: spec.qs, done: spec.done,
    ab: spec.ab, err: spec.err, inb: spec.inb, len: null, batch: null, campaign: null,
  };
  const cust = usNumber(rng);
  const line = rng.pick(ctx.lines);
  // Bland's own example shows a number without '+': some records do that
  const bare = (n) => (rng.chance(0.2) ? n.slice(2) : n);
  c.from = spec.inb ? bare(cust) : line;
  c.to = spec.inb ? line : bare(cust);
  const n = norm(spec.qs);
  if (spec.done) c.len = rng.range(5, 180000) / 10000; // minutes, up to 4 decimals
  else if (n === 'canceled' || n === 'error' || n === 'failed' || n === 'complete') c.len = 0;
  else if (n === 'started' || n === 'in_progress') c.len = rng.chance(0.5) ? null : rng.range(1, 3000) / 1000;
  if (i % 5 === 1 && c.len) c.len += 1 / 7; // a long float: rounded to the nearest ms
  if (rng.chance(0.4)) c.batch = rng.pick(ctx.batches);
  if (rng.chance(0.3)) c.campaign = rng.pick(ctx.campaigns);
  return c;
}

// "2023-12-21T23:25:14.801193+00:00", as Python's isoformat() writes it:
// no fraction at all when the microseconds are zero.
function createdAt(c) {
  const s = new Date(c.t).toISOString().slice(0, 19);
  const micro = (c.t % 1000) * 1000 + c.us;
  return s + (micro ? '.' + String(micro).padStart(6, '0') : '') + '+00:00';
}

function native(c) {
  const o = {
    call_id: c.nid,
    created_at: createdAt(c),
    call_length: c.len,
    to: c.to,
    from: c.from,
    completed: c.done,
    queue_status: c.qs,
    error_message: c.err,
    answered_by: c.ab,
    batch_id: c.batch,
    campaign_id: c.campaign,
  };
  if (c.inb !== undefined) o.inbound = c.inb;
  return o;
}

// The bland status table, first matching row wins.
function status(c) {
  const q = norm(c.qs);
  if (q === 'canceled') return ['canceled', null];
  if (c.done === true && norm(c.ab) === 'voicemail') return ['voicemail', 'voicemail'];
  if (c.done === true) return ['completed', null];
  if (q === 'error' || q === 'failed' || (typeof c.err === 'string' && c.err !== '')) return ['failed', 'error'];
  if (q === 'queued' || q === 'allocated' || q === 'new') return ['queued', null];
  if (q === 'started' || q === 'in_progress') return ['in_progress', null];
  return ['unknown', null];
}

function expected(c, ctx) {
  const e = expectedRecord(ctx, c.nid);
  e.type = 'phone';
  e.direction = c.inb === true ? 'inbound' : c.inb === false ? 'outbound' : null;
  [e.status, e.end_reason] = status(c);
  e.provider_status = c.qs;
  e.from = c.from;
  e.to = c.to;
  e.started_at = isoMs(c.t); // created_at, microseconds cut to milliseconds
  e.duration_ms = c.len === null ? null : Math.round(c.len * 60000);
  e.ended_at = c.done === true && e.duration_ms !== null ? isoMs(c.t + e.duration_ms) : null;
  e.campaign_id = c.campaign ?? c.batch;
  return e;
}

// created_at to the microsecond, then call_id.
function cmpAsc(a, b) {
  if (a.t !== b.t) return a.t < b.t ? -1 : 1;
  if (a.us !== b.us) return a.us < b.us ? -1 : 1;
  return cmpStr(a.nid, b.nid);
}

// ---------- HTTP ----------

const INT_RE = /^\d+$/;
const NUM_RE = /^\d+(\.\d+)?$/;
const MAX_LIMIT = 1000;

const AUTH_FAILURE = () => ({ data: null, errors: [{ error: 'AUTH_FAILURE', message: 'Invalid or missing API key.' }] });
const fail = (status, error, message) => ({ status, body: { data: null, errors: [{ error, message }] } });

function lastOf(q, k) {
  const v = q.getAll(k);
  return v.length ? v[v.length - 1] : undefined;
}

function boolOf(v) {
  if (v === undefined) return undefined;
  const l = v.toLowerCase();
  if (l === 'true') return true;
  if (l === 'false') return false;
  return null;
}

function handle(store, req) {
  const ctx = store.ctx;
  // the raw key, no scheme
  if (req.headers['authorization'] !== 'sim-' + ctx.name + '-key') {
    return { status: 401, body: AUTH_FAILURE() };
  }
  const q = req.url.searchParams;
  const ints = {};
  for (const k of ['from', 'to', 'limit']) {
    const v = lastOf(q, k);
    if (v === undefined) continue;
    if (!INT_RE.test(v)) return fail(400, 'INVALID_' + k.toUpperCase(), `${k} must be a non-negative integer`);
    ints[k] = parseInt(v, 10);
  }
  const limit = ints.limit ?? MAX_LIMIT;
  if (limit < 1 || limit > MAX_LIMIT) return fail(400, 'INVALID_LIMIT', `limit must be between 1 and ${MAX_LIMIT}`);
  const from = ints.from ?? 0;
  if (ints.to !== undefined && ints.to < from) return fail(400, 'INVALID_RANGE', 'to must not be less than from');
  const asc = boolOf(lastOf(q, 'ascending'));
  if (asc === null) return fail(400, 'INVALID_ASCENDING', 'ascending must be true or false');
  const sortBy = lastOf(q, 'sort_by');
  if (sortBy !== undefined && sortBy !== 'created_at') return fail(400, 'INVALID_SORT_BY', 'sort_by must be created_at');
  const bools = {};
  for (const k of ['completed', 'inbound']) {
    bools[k] = boolOf(lastOf(q, k));
    if (bools[k] === null) return fail(400, 'INVALID_' + k.toUpperCase(), `${k} must be true or false`);
  }
  const durs = {};
  for (const k of ['duration_gt', 'duration_lt']) {
    const v = lastOf(q, k);
    if (v === undefined) continue;
    if (!NUM_RE.test(v)) return fail(400, 'INVALID_' + k.toUpperCase(), `${k} must be a number of minutes`);
    durs[k] = Number(v);
  }
  const days = {};
  for (const k of ['start_date', 'end_date', 'created_at']) {
    const v = lastOf(q, k);
    if (v === undefined) continue;
    days[k] = parseYmd(v);
    if (Number.isNaN(days[k])) return fail(400, 'INVALID_DATE', `${k} must be a date (YYYY-MM-DD)`);
  }
  if (days.created_at !== undefined && (days.start_date !== undefined || days.end_date !== undefined)) {
    return fail(400, 'INVALID_DATE', "created_at can't be used with start_date or end_date");
  }
  const eq = {};
  for (const k of ['from_number', 'to_number', 'batch_id', 'campaign_id', 'answered_by']) eq[k] = lastOf(q, k);
  // whole UTC days on created_at, both ends inclusive
  let lo = -Infinity;
  let hi = Infinity;
  if (days.created_at !== undefined) [lo, hi] = [days.created_at, days.created_at + DAY];
  if (days.start_date !== undefined) lo = days.start_date;
  if (days.end_date !== undefined) hi = days.end_date + DAY;
  const sig = JSON.stringify([bools, durs, eq]);
  const filtered = Object.values(bools).some((v) => v !== undefined) || Object.keys(durs).length ||
    Object.values(eq).some((v) => v !== undefined);
  const view = !filtered
    ? store.base
    : store.view(sig, (c) => {
        if (bools.completed !== undefined && c.done !== bools.completed) return false;
        if (bools.inbound !== undefined && c.inb !== bools.inbound) return false;
        if (durs.duration_gt !== undefined && !(c.len !== null && c.len > durs.duration_gt)) return false;
        if (durs.duration_lt !== undefined && !(c.len !== null && c.len < durs.duration_lt)) return false;
        if (eq.from_number !== undefined && c.from !== eq.from_number) return false;
        if (eq.to_number !== undefined && c.to !== eq.to_number) return false;
        if (eq.batch_id !== undefined && c.batch !== eq.batch_id) return false;
        if (eq.campaign_id !== undefined && c.campaign !== eq.campaign_id) return false;
        if (eq.answered_by !== undefined && c.ab !== eq.answered_by) return false;
        return true;
      });
  // the day bounds are on the sort key: binary search
  const a = lo === -Infinity ? 0 : lowerBound(view, { t: lo, us: -1, nid: '' }, cmpAsc);
  const b = hi === Infinity ? view.length : Math.max(a, lowerBound(view, { t: hi, us: -1, nid: '' }, cmpAsc));
  const n = b - a;
  // offsets count in the requested order: newest first shifts under inserts
  const end = Math.min(n, ints.to ?? Infinity, from + limit);
  let body = '{"total_count":' + n + ',"count":' + Math.max(0, end - from) + ',"calls":[';
  let k = 0;
  for (let i = from; i < end; i++) body += (k++ ? ',' : '') + store.json(view[asc ? a + i : b - 1 - i]);
  body += ']}';
  return { status: 200, raw: body };
}

// ---------- one call: GET /v1/calls/{call_id} ----------

// The answer is the call object: the list item plus started_at (when the
// call connected, after its creation), transcripts[], summary,
// recording_url and price (dollars).  A call that completed after some
// talk has a conversation; one still going, or over without talk, an
// empty transcripts[]; one never dialed (queued, allocated, new) none.
const talked = (c) => c.done === true && c.len !== null && c.len * 60000 >= 5000;
const dialed = (c) => !['queued', 'allocated', 'new'].includes(norm(c.qs));

// Microseconds since the epoch: created_at's, and started_at's (a ring of
// 0.2 .. 3 s after creation), for calls that were dialed.
const createdUs = (c) => c.t * 1000 + c.us;
const startedUs = (c) => (dialed(c) ? createdUs(c) + 200000 + new Rng(seedOf(c) ^ 0x57a7).int(2800000) : null);
const pad = (n, w) => String(n).padStart(w, '0');
const isoUs = (us) => new Date(Math.floor(us / 1000)).toISOString().slice(0, 19) + '.' + pad(us % 1000000, 6) + '+00:00';

// [{user, text, u}] (u: tenths of ms from started_at), or [] / null.  The
// agent is "assistant" on some calls and "robot" on others; every fifth
// turn of the agent's is an agent-action (what it did, not said).
function detailTurns(c) {
  if (!talked(c)) return dialed(c) ? [] : null;
  const seed = seedOf(c);
  const agent = seed % 2 === 0 ? 'assistant' : 'robot';
  const t = turns(seed, messageCount(Math.floor(c.len * 60)), 'Blandy', Math.round(c.len * 60000));
  return t.map((x, k) => ({
    user: x.role === 'user' ? 'user' : k % 10 === 8 ? 'agent-action' : agent,
    text: x.role === 'agent' && k % 10 === 8 ? 'Looked up the account: ' + x.content : x.content,
    u: x.u,
  }));
}

export const detailRole = (w) => ({ user: 'user', assistant: 'agent', robot: 'agent', 'agent-action': 'tool' })[w];

function detailNative(c) {
  const o = native(c);
  const st = startedUs(c);
  const t = detailTurns(c);
  o.started_at = st === null ? null : isoUs(st);
  // when the call would be cut off by max_duration: not its end
  o.max_duration = 30;
  o.end_at = st === null ? null : isoUs(st + 30 * 60000000);
  if (t !== null) {
    o.transcripts = t.map((x, k) => ({ id: 1000 * (seedOf(c) % 1000) + k, created_at: isoUs(st + x.u * 100), text: x.text, user: x.user }));
    o.concatenated_transcript = t.map((x) => x.user + ': ' + x.text).join(' \n ');
  }
  o.summary = talked(c) ? summary(seedOf(c)) : null;
  o.recording_url = talked(c) ? 'https://server.aws.dialpad.com/recordings/' + c.nid + '.mp3' : null;
  o.price = c.done === true ? cents(seedOf(c)) / 100 : null;
  o.variables = { now: isoUs(createdUs(c)), from: c.from, to: c.to };
  return o;
}

// What callnorm must answer: the list's record plus the detail's members,
// from the generated integers (offsets from tenths of ms, price from cents).
function expectedDetail(c, ctx) {
  const e = expected(c, ctx);
  const t = detailTurns(c);
  e.transcript = t === null ? null : t.map((x) => ({ role: detailRole(x.user), text: x.text, offset_ms: halfUpMs(x.u) }));
  e.summary = talked(c) ? summary(seedOf(c)) : null;
  e.recording_url = talked(c) ? 'https://server.aws.dialpad.com/recordings/' + c.nid + '.mp3' : null;
  e.recording_expires_at = null;
  e.cost = c.done === true ? { amount: cents(seedOf(c)) / 100, currency: 'USD' } : null;
  return e;
}

const detail = getCallDetail({
  prefix: '/v1/calls/',
  auth: (headers, ctx) => headers['authorization'] === 'sim-' + ctx.name + '-key',
  unauthorized: AUTH_FAILURE,
  notFound: () => ({ data: null, errors: [{ error: 'CALL_NOT_FOUND', message: 'Call not found' }] }),
  body: detailNative,
  expected: expectedDetail,
});

export default {
  detail,
  kind: 'bland',
  method: 'GET',
  path: '/v1/calls',
  wholeSeconds: false,
  setup,
  variants,
  randomSpec,
  insertSpec: randomSpec,
  build,
  native,
  expected,
  cmpAsc,
  orderTime: (c) => c.t,
  authHeaders: (name) => ({ authorization: 'sim-' + name + '-key' }),
  err: (status, code, message) => ({ data: null, errors: [{ error: code.toUpperCase(), message }] }),
  unauthorized: AUTH_FAILURE,
  envelope: (store, count) => ['{"total_count":' + count + ',"count":' + count + ',"calls":[', ']}'],
  handle,
};
