// twilio: GET /2010-04-01/Accounts/{AccountSid}/Calls.json — HTTP Basic,
// PageToken paging through next_page_uri, newest-created first, whole-GMT-
// day StartTime/EndTime filters whose operator lives in the parameter name.

import {
  usNumber, ukNumber, formatPhone, isoMs, expectedRecord, cmpTimeId, lowerBound, DAY, parseYmd, parseIso,
} from '../common.mjs';
import { Rng, hash32 } from '../rng.mjs';
import { idSegment } from '../detail.mjs';

export const API_VERSION = '2010-04-01';
const STATUSES = ['queued', 'ringing', 'in-progress', 'completed', 'busy', 'no-answer', 'canceled', 'failed'];
const STATUS_SET = new Set(STATUSES);
// The status table of the twilio kind: provider value -> [status, end_reason].
const MAP = {
  queued: ['queued', null],
  ringing: ['ringing', null],
  'in-progress': ['in_progress', null],
  completed: ['completed', null],
  busy: ['busy', 'busy'],
  'no-answer': ['no_answer', 'no_answer'],
  canceled: ['canceled', null],
  failed: ['failed', 'error'],
};
const DIRECTIONS = ['inbound', 'outbound-api', 'outbound-dial', 'trunking-terminating', 'trunking-originating'];
const DIR_MAP = { inbound: 'inbound', 'outbound-api': 'outbound', 'outbound-dial': 'outbound' };

// Deterministic credentials per provider name: the account SID, an API
// key SID, and the secret (auth token or key secret) both authenticate with.
function sid(prefix, what, name) {
  return prefix + new Rng(hash32(what + '|' + name)).hex(32);
}
export const accountSid = (name) => sid('AC', 'account', name);
export const apiKeySid = (name) => sid('SK', 'apikey', name);
export const secret = (name) => 'sim-' + name + '-key';
export const listPath = (name) => `/${API_VERSION}/Accounts/${accountSid(name)}/Calls.json`;

// The first records enumerate every status, direction, leg kind and
// duration form.
const variants = [
  ...STATUSES.map((st, k) => ({ st, dir: k % 2 ? 'inbound' : 'outbound-api', child: false })),
  { st: 'completed', dir: 'outbound-dial', child: false },
  { st: 'completed', dir: 'trunking-terminating', child: false },
  { st: 'no-answer', dir: 'trunking-originating', child: false },
  { st: 'completed', dir: 'outbound-dial', child: true },
  { st: 'no-answer', dir: 'outbound-dial', child: true },
  { st: 'completed', dir: 'inbound', child: false, client: true },
  { st: 'busy', dir: 'outbound-api', child: false, dur: null },
  { st: 'failed', dir: 'outbound-api', child: false, dur: '' },
  { st: 'queued', dir: 'outbound-api', child: false },
  { st: 'canceled', dir: 'inbound', child: false, dur: null },
];

const RANDOM = [
  [50, 'completed'], [10, 'no-answer'], [6, 'busy'], [5, 'failed'], [4, 'in-progress'], [3, 'ringing'], [3, 'queued'], [3, 'canceled'],
];

function randomSpec(rng) {
  const st = rng.weighted(RANDOM);
  const child = rng.chance(0.1);
  const dir = child ? 'outbound-dial' : rng.weighted([[45, 'inbound'], [40, 'outbound-api'], [8, 'outbound-dial'], [4, 'trunking-terminating'], [3, 'trunking-originating']]);
  return { st, dir, child };
}

function setup(ctx) {
  ctx.agents = []; // Twilio calls carry no agent
  ctx.accountSid = accountSid(ctx.name);
  ctx.apiKeySid = apiKeySid(ctx.name);
  const rng = new Rng(hash32('lines|' + ctx.name));
  ctx.lines = [usNumber(rng), usNumber(rng), ukNumber(rng)];
  ctx.lineSids = ctx.lines.map(() => 'PN' + rng.hex(32));
}

function build(ctx, rng, spec, i, t0) {
  const c = { nid: 'CA' + rng.hex(32), t: t0, st: spec.st, dir: spec.dir, child: spec.child };
  // A call is created, then dialed: start_time follows date_created by a
  // few seconds of queueing, or not at all while it is still queued.  The
  // shared and repeated instants keep no lag, so starts tie too.
  let lag = i % 7 === 6 || i % 11 === 10 || rng.chance(0.4) ? 0 : rng.range(1, 20) * 1000;
  if (Number.isInteger(spec.lag_ms)) lag = spec.lag_ms; // insert {"spec":{"lag_ms":N}}
  c.start = spec.st === 'queued' ? null : t0 + lag;
  c.end = null;
  c.dur = null; // the native string, or null
  if (spec.st === 'completed') {
    const d = rng.range(5, 1200);
    c.dur = String(d);
    c.end = c.start + d * 1000;
  } else if (['busy', 'no-answer', 'failed', 'canceled'].includes(spec.st)) {
    c.dur = spec.dur !== undefined ? spec.dur : rng.chance(0.7) ? '0' : null;
  }
  c.upd = (c.end ?? c.start ?? t0) + rng.range(0, 3) * 1000;
  const line = rng.int(ctx.lines.length);
  const cust = spec.client ? 'client:agent_' + rng.hex(6) : rng.chance(0.8) ? usNumber(rng) : ukNumber(rng);
  c.line = line;
  const inbound = spec.dir === 'inbound' || spec.dir === 'trunking-originating';
  c.from = inbound ? cust : ctx.lines[line];
  c.to = inbound ? ctx.lines[line] : cust;
  c.parent = spec.child ? 'CA' + rng.hex(32) : null;
  c.answeredBy = spec.st === 'completed' && spec.dir === 'outbound-api' ? rng.pick(['human', 'machine_start', null]) : null;
  c.price = spec.st === 'completed' ? '-0.0' + String(rng.range(1000, 9999)) : null;
  c.queueTime = String(lag);
  return c;
}

const DOW = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MON = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
// "Tue, 31 Aug 2010 20:36:28 +0000" (RFC 2822, GMT, as Twilio writes it)
export function rfc2822(ms) {
  if (ms === null || ms === undefined) return null;
  const d = new Date(ms);
  const p = (n) => String(n).padStart(2, '0');
  return `${DOW[d.getUTCDay()]}, ${p(d.getUTCDate())} ${MON[d.getUTCMonth()]} ${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}

function fmt(n) {
  return n.startsWith('+') ? formatPhone(n) : n;
}

function native(c, ctx) {
  const base = `/${API_VERSION}/Accounts/${ctx.accountSid}/Calls/${c.nid}`;
  return {
    account_sid: ctx.accountSid,
    annotation: null,
    answered_by: c.answeredBy,
    api_version: API_VERSION,
    caller_name: null,
    date_created: rfc2822(c.t),
    date_updated: rfc2822(c.upd),
    direction: c.dir,
    duration: c.dur,
    end_time: rfc2822(c.end),
    forwarded_from: null,
    from: c.from,
    from_formatted: fmt(c.from),
    group_sid: null,
    parent_call_sid: c.parent,
    phone_number_sid: c.dir === 'inbound' ? ctx.lineSids[c.line] : null,
    price: c.price,
    price_unit: 'USD',
    sid: c.nid,
    start_time: rfc2822(c.start),
    status: c.st,
    subresource_uris: {
      notifications: base + '/Notifications.json',
      recordings: base + '/Recordings.json',
      payments: base + '/Payments.json',
      events: base + '/Events.json',
      siprec: base + '/Siprec.json',
      streams: base + '/Streams.json',
      user_defined_message_subscriptions: base + '/UserDefinedMessageSubscriptions.json',
      user_defined_messages: base + '/UserDefinedMessages.json',
    },
    to: c.to,
    to_formatted: fmt(c.to),
    trunk_sid: c.dir.startsWith('trunking') ? 'TK' + c.nid.slice(2) : null,
    uri: base + '.json',
    queue_time: c.queueTime,
  };
}

// The normalized record, from the generated call and the kind's mapping
// tables.  Child legs (a parent_call_sid) are not listed by callnorm:
// null.
function expected(c, ctx) {
  return c.child ? null : expectedCall(c, ctx);
}

// The record a call maps to, child leg or not (a detail answers either).
function expectedCall(c, ctx) {
  const e = expectedRecord(ctx, c.nid);
  e.type = 'phone';
  e.direction = DIR_MAP[c.dir] ?? null;
  [e.status, e.end_reason] = MAP[c.st] || ['unknown', null];
  e.provider_status = c.st;
  e.from = c.from;
  e.to = c.to;
  e.started_at = isoMs(c.start ?? c.t);
  e.ended_at = isoMs(c.end);
  e.duration_ms = c.dur === null || c.dur === '' ? null : Number(c.dur) * 1000;
  return e;
}

// ---------- HTTP ----------

const MORE = (code) => 'https://www.twilio.com/docs/errors/' + code;
function err(status, code, message) {
  return { code, message, more_info: MORE(code), status };
}
const CODES = { 400: 20001, 401: 20003, 403: 20403, 404: 20404, 429: 20429, 500: 20500, 502: 20500, 503: 20503 };
const unauthorized = () => ({ code: 20003, detail: 'Your AccountSid or AuthToken was incorrect.', message: 'Authenticate', more_info: MORE(20003), status: 401 });

function basicAuth(headers) {
  const h = headers['authorization'];
  if (typeof h !== 'string') return null;
  const m = /^basic\s+([A-Za-z0-9+/=]+)$/i.exec(h.trim());
  if (!m) return null;
  const s = Buffer.from(m[1], 'base64').toString('utf8');
  const i = s.indexOf(':');
  return i < 0 ? null : { user: s.slice(0, i), pass: s.slice(i + 1) };
}

const PATH_RE = /^\/2010-04-01\/Accounts\/([^/]+)\/Calls\.json$/;
const INT_RE = /^\d+$/;
const TOKEN_RE = /^PA(CA[0-9a-f]{32})$/;

// A day filter's value: YYYY-MM-DD, or a date-time whose time of day is
// ignored (the GMT day it falls on): ms of that day's midnight, or NaN.
function dayOf(v) {
  const d = parseYmd(v);
  if (!Number.isNaN(d)) return d;
  const t = parseIso(v, 0);
  return Number.isNaN(t) ? NaN : Math.floor(t / DAY) * DAY;
}

// {eq, ge, le} day bounds of StartTime / EndTime ("StartTime>" is >=).
function dayFilter(q, name, bad) {
  const out = {};
  for (const [suffix, key] of [['', 'eq'], ['>', 'ge'], ['<', 'le']]) {
    const vs = q.getAll(name + suffix);
    if (!vs.length) continue;
    const v = vs[vs.length - 1];
    const d = dayOf(v);
    if (Number.isNaN(d)) bad(name + suffix, v);
    else out[key] = d;
  }
  return out;
}

// Whether instant t (null: never set) passes a day filter.
function inDays(t, f) {
  if (f.eq === undefined && f.ge === undefined && f.le === undefined) return true;
  if (t === null) return false;
  if (f.eq !== undefined && (t < f.eq || t >= f.eq + DAY)) return false;
  if (f.ge !== undefined && t < f.ge) return false;
  // "on or before midnight of this date": up to and including D 00:00:00
  if (f.le !== undefined && t > f.le) return false;
  return true;
}

function enc(s) {
  return encodeURIComponent(s);
}

function handle(store, req) {
  const ctx = store.ctx;
  const cred = basicAuth(req.headers);
  if (!cred || cred.pass !== secret(ctx.name) || (cred.user !== ctx.accountSid && cred.user !== ctx.apiKeySid)) {
    return { status: 401, body: unauthorized() };
  }
  const m = PATH_RE.exec(req.url.pathname.slice(req.url.pathname.indexOf('/' + API_VERSION + '/')));
  if (!m || m[1] !== ctx.accountSid) {
    return { status: 404, body: err(404, 20404, `The requested resource ${req.url.pathname.replace('/' + ctx.name, '')} was not found`) };
  }
  const q = req.url.searchParams;
  const last = (k) => {
    const v = q.getAll(k);
    return v.length ? v[v.length - 1] : undefined;
  };
  let problem = null;
  const bad = (param, v) => (problem ||= err(400, 20001, `Invalid ${param}: ${v}`));
  // the operator belongs in the name: "StartTime=>2026-06-01" is an error
  for (const k of ['StartTime', 'EndTime']) {
    for (const v of q.getAll(k)) if (/^[<>]/.test(v) || /^=/.test(v)) bad(k, v);
  }
  const start = dayFilter(q, 'StartTime', bad);
  const end = dayFilter(q, 'EndTime', bad);
  const status = last('Status');
  if (status !== undefined && !STATUS_SET.has(status)) bad('Status', status);
  let pageSize = 50;
  const ps = last('PageSize');
  if (ps !== undefined) {
    if (!INT_RE.test(ps) || +ps < 1 || +ps > 1000) problem ||= err(400, 20001, 'PageSize must be an integer from 1 to 1000');
    else pageSize = +ps;
  }
  let page = 0;
  const pg = last('Page');
  if (pg !== undefined) {
    if (!INT_RE.test(pg)) bad('Page', pg);
    else page = +pg;
  }
  if (problem) return { status: 400, body: problem };
  let key = null;
  const tok = last('PageToken');
  if (tok !== undefined) {
    const t = TOKEN_RE.exec(tok);
    const c = t ? store.byId.get(t[1]) : undefined;
    if (!c) return { status: 400, body: err(400, 21481, 'Invalid PageToken. Be sure you are requesting the provided paging urls') };
    key = { t: c.t, nid: c.nid };
  }
  const to = last('To');
  const from = last('From');
  const parent = last('ParentCallSid');
  const filtered = [to, from, parent, status].some((x) => x !== undefined) || Object.keys(start).length || Object.keys(end).length;
  const sig = JSON.stringify([to, from, parent, status, start, end]);
  const view = !filtered
    ? store.base
    : store.view(sig, (c) => {
        if (to !== undefined && c.to !== to) return false;
        if (from !== undefined && c.from !== from) return false;
        if (parent !== undefined && c.parent !== parent) return false;
        if (status !== undefined && c.st !== status) return false;
        return inDays(c.start, start) && inDays(c.end, end);
      });
  // newest created first: walk the ascending view downwards from the key
  const e = key ? lowerBound(view, key, cmpTimeId) : view.length;
  const s = Math.max(0, e - pageSize);
  let body = '{"calls":[';
  for (let i = e - 1, k = 0; i >= s; i--, k++) body += (k ? ',' : '') + store.json(view[i]);
  // the filters as sent (names in the API's spelling), for the page URIs
  const keep = [];
  for (const [k, v] of q) if (!['PageSize', 'Page', 'PageToken'].includes(k)) keep.push(enc(k) + '=' + enc(v));
  const path = listPath(ctx.name);
  const uri = (extra) => path + '?' + [...keep, ...extra].join('&');
  const next = s > 0 && e > s ? uri(['PageSize=' + pageSize, 'Page=' + (page + 1), 'PageToken=PA' + view[s].nid]) : null;
  const prefix = store.nextUriPrefix || '';
  const n = e - s;
  body += '],' + [
    '"end":' + (page * pageSize + Math.max(n, 1) - 1),
    '"first_page_uri":' + JSON.stringify(uri(['PageSize=' + pageSize, 'Page=0'])),
    '"next_page_uri":' + JSON.stringify(next === null ? null : prefix + next),
    '"page":' + page,
    '"page_size":' + pageSize,
    '"previous_page_uri":' + JSON.stringify(page > 0 ? uri(['PageSize=' + pageSize, 'Page=' + (page - 1)]) : null),
    '"start":' + page * pageSize,
    '"uri":' + JSON.stringify(path + req.url.search),
  ].join(',') + '}';
  return { status: 200, raw: body };
}

function envelope(store, count) {
  const path = listPath(store.ctx.name);
  return [
    '{"calls":[',
    '],"end":' + Math.max(count - 1, 0) + ',"first_page_uri":"' + path + '?PageSize=' + Math.max(count, 1) + '&Page=0","next_page_uri":null,"page":0,"page_size":' +
      Math.max(count, 1) + ',"previous_page_uri":null,"start":0,"uri":"' + path + '"}',
  ];
}

// ---------- one call: GET .../Calls/{sid}.json, .../Calls/{sid}/Recordings.json ----------

const MEDIA_HOST = 'https://api.twilio.com';
const recSid = (c, k) => 'RE' + new Rng(hash32('recording|' + k + '|' + c.nid)).hex(32);
const hasAudio = (c) => c.st === 'completed' && c.dur !== null && c.dur !== '0';

// A call's recordings, newest first as Twilio lists them: an answered
// call has one completed recording, every other one also a recording
// still processing ahead of it (callnorm takes the first completed).
function recordings(c, ctx) {
  if (!hasAudio(c)) return [];
  const rec = (k, status) => ({
    account_sid: ctx.accountSid, api_version: API_VERSION, call_sid: c.nid, channels: 1,
    conference_sid: null, date_created: rfc2822(c.end), date_updated: rfc2822(c.end), start_time: rfc2822(c.start),
    duration: status === 'completed' ? c.dur : '-1', encryption_details: null, error_code: null,
    price: null, price_unit: 'USD', sid: recSid(c, k), source: 'RecordVerb', status,
    uri: `/${API_VERSION}/Accounts/${ctx.accountSid}/Recordings/${recSid(c, k)}.json`,
  });
  const out = [rec(0, 'completed')];
  if (hash32('processing|' + c.nid) % 2) out.unshift(rec(1, 'processing'));
  return out;
}

function expectedDetail(c, ctx) {
  const e = expectedCall(c, ctx);
  e.transcript = null;
  e.summary = null;
  e.recording_url = hasAudio(c) ? `${MEDIA_HOST}/${API_VERSION}/Accounts/${ctx.accountSid}/Recordings/${recSid(c, 0)}.mp3` : null;
  e.recording_expires_at = null;
  // price is "-0.0" and four digits: that many hundred-thousandths
  e.cost = c.price === null ? null : { amount: Number(c.price.slice(4)) / 100000, currency: 'USD' };
  return e;
}

const detail = {
  match(rest, method) {
    if (method !== 'GET') return null;
    const m = idSegment(rest, '/' + API_VERSION + '/Accounts/');
    if (!m || !m.tail.startsWith('/Calls/')) return null;
    const call = idSegment(m.tail, '/Calls/');
    if (!call) return null;
    if (call.tail === '' && call.id.endsWith('.json')) return { account: m.id, id: call.id.slice(0, -5), part: 'call' };
    if (call.tail === '/Recordings.json') return { account: m.id, id: call.id, part: 'recordings' };
    return null;
  },
  handle(store, req, m) {
    const ctx = store.ctx;
    const cred = basicAuth(req.headers);
    if (!cred || cred.pass !== secret(ctx.name) || (cred.user !== ctx.accountSid && cred.user !== ctx.apiKeySid)) {
      return { status: 401, body: unauthorized() };
    }
    const c = m.account === ctx.accountSid ? store.byId.get(m.id) : undefined;
    const notFound = () => ({ status: 404, body: err(404, 20404, `The requested resource ${req.url.pathname.replace('/' + ctx.name, '')} was not found`) });
    if (!c) return notFound();
    if (m.part === 'call') return { status: 200, body: native(c, ctx) };
    // a canceled call's recordings answer 404: that part alone is null
    if (c.st === 'canceled') return notFound();
    const uri = `/${API_VERSION}/Accounts/${ctx.accountSid}/Calls/${c.nid}/Recordings.json?PageSize=50&Page=0`;
    return { status: 200, body: { recordings: recordings(c, ctx), end: 0, first_page_uri: uri, next_page_uri: null, page: 0, page_size: 50, previous_page_uri: null, start: 0, uri } };
  },
  expected: expectedDetail,
};

export default {
  detail,
  kind: 'twilio',
  method: 'GET',
  path: '/2010-04-01/Accounts/{AccountSid}/Calls.json',
  pathFor: (ctx) => listPath(ctx.name),
  // every account's list path reaches the handler, which answers 404 for
  // an account that is not this one
  matches: (rest) => /^\/2010-04-01\/Accounts\/[^/]+\/Calls\.json$/.test(rest),
  authHeaders: (name) => ({ Authorization: 'Basic ' + Buffer.from(accountSid(name) + ':' + secret(name)).toString('base64') }),
  info: (ctx) => ({ account_sid: ctx.accountSid, api_key_sid: ctx.apiKeySid }),
  wholeSeconds: true,
  setup,
  variants,
  randomSpec,
  insertSpec: randomSpec,
  build,
  native,
  expected,
  // the list order is date_created (t), newest first, ties by sid
  cmpAsc: cmpTimeId,
  orderTime: (c) => c.t,
  err: (status, code, message) => err(status, CODES[status] || 20500, message),
  unauthorized,
  envelope,
  handle,
};
