// talkover: GET /api/v1/calls — Laravel-style page numbers, newest first.

import {
  makeAgents, usNumber, formatPhone, isoMs, isoSec, expectedRecord, cmpTimeId, bearerOk, parseYmd, DAY, lowerBound,
} from '../common.mjs';
import { Rng, hash32 } from '../rng.mjs';

const STATUSES = ['initiated', 'ringing', 'answered', 'completed', 'failed', 'busy', 'no-answer'];
const STATUS_SET = new Set(STATUSES);
const MAP = {
  initiated: ['queued', null],
  ringing: ['ringing', null],
  answered: ['in_progress', null],
  completed: ['completed', null],
  failed: ['failed', 'error'],
  busy: ['busy', 'busy'],
  'no-answer': ['no_answer', 'no_answer'],
};

const variants = [
  ...STATUSES.map((st, k) => ({ st, dir: k % 2 ? 'inbound' : 'outbound', test: false })),
  { st: 'completed', dir: 'inbound', test: true },
  { st: 'no-answer', dir: 'outbound', test: true },
];

const RANDOM = [
  [50, 'completed'], [12, 'no-answer'], [6, 'busy'], [5, 'failed'], [4, 'answered'], [3, 'ringing'], [3, 'initiated'],
];

function randomSpec(rng) {
  return { st: rng.weighted(RANDOM), dir: rng.chance(0.55) ? 'outbound' : 'inbound', test: rng.chance(0.08) };
}

function setup(ctx) {
  ctx.agents = makeAgents(ctx.name, (rng) => rng.uuid());
  const rng = new Rng(hash32('lines|' + ctx.name));
  ctx.lines = [usNumber(rng), usNumber(rng)];
}

function build(ctx, rng, spec, i, t0) {
  const c = {
    nid: rng.uuid(), sid: 'CA' + rng.hex(32), t: t0, dir: spec.dir, st: spec.st, test: spec.test,
    agent: rng.int(ctx.agents.length), dur: 0,
  };
  const cust = usNumber(rng);
  const line = rng.pick(ctx.lines);
  c.from = spec.dir === 'inbound' ? cust : line;
  c.to = spec.dir === 'inbound' ? line : cust;
  if (spec.st === 'completed') c.dur = rng.range(10, 1200);
  c.upd = t0 + (spec.st === 'completed' ? c.dur + rng.range(1, 5) : rng.range(0, 60)) * 1000;
  return c;
}

function native(c, ctx) {
  const a = ctx.agents[c.agent];
  return {
    id: c.nid,
    sid: c.sid,
    to: c.to,
    to_formatted: formatPhone(c.to),
    from: c.from,
    from_formatted: formatPhone(c.from),
    is_testing: c.test,
    direction: c.dir,
    status: c.st,
    duration: c.dur,
    agent: { id: a.id, name: a.name, label: a.label },
    created_at: isoSec(c.t),
    updated_at: isoSec(c.upd),
  };
}

function expected(c, ctx) {
  const e = expectedRecord(ctx, c.nid);
  const a = ctx.agents[c.agent];
  e.type = 'phone';
  e.direction = c.dir;
  [e.status, e.end_reason] = MAP[c.st] || ['unknown', null];
  e.provider_status = c.st;
  e.from = c.from;
  e.to = c.to;
  e.agent = { id: a.id, name: a.name, version: null };
  e.started_at = isoMs(c.t);
  const done = c.st === 'completed';
  e.duration_ms = done ? c.dur * 1000 : null;
  e.ended_at = done ? isoMs(c.t + c.dur * 1000) : null;
  e.is_test = c.test;
  return e;
}

// ---------- HTTP ----------

const INT_RE = /^[+-]?\d+$/;
const label = (f) => f.replace(/_/g, ' ');

function handle(store, req) {
  const ctx = store.ctx;
  if (!bearerOk(req.headers, 'sim-' + ctx.name + '-key')) return { status: 401, body: { success: false, message: 'Unauthorized' } };
  const q = req.url.searchParams;
  const errors = {};
  const add = (f, m) => (errors[f] ||= []).push(m);
  // Laravel turns empty strings into null; such parameters are ignored.
  const one = (f) => {
    if (q.has(f + '[]')) {
      add(f, `The ${label(f)} must be a string.`);
      return undefined;
    }
    const v = q.getAll(f).filter((x) => x.trim() !== '');
    if (v.length > 1) {
      add(f, `The ${label(f)} must be a string.`);
      return undefined;
    }
    return v.length ? v[0].trim() : undefined;
  };
  const status = one('status');
  if (status !== undefined && !STATUS_SET.has(status)) add('status', 'The selected status is invalid.');
  const direction = one('direction');
  if (direction !== undefined && direction !== 'inbound' && direction !== 'outbound') add('direction', 'The selected direction is invalid.');
  const agentId = one('agent_id');
  const search = one('search');
  const df = one('date_from');
  const dt = one('date_to');
  let from = null;
  let to = null;
  if (df !== undefined) {
    from = parseYmd(df);
    if (Number.isNaN(from)) add('date_from', 'The date from does not match the format Y-m-d.');
  }
  if (dt !== undefined) {
    to = parseYmd(dt);
    if (Number.isNaN(to)) add('date_to', 'The date to does not match the format Y-m-d.');
  }
  if (from !== null && to !== null && !Number.isNaN(from) && !Number.isNaN(to) && to < from) {
    add('date_to', 'The date to must be a date after or equal to date from.');
  }
  const intParam = (f, def, max) => {
    const v = one(f);
    if (v === undefined) return def;
    if (!INT_RE.test(v)) {
      add(f, `The ${label(f)} must be an integer.`);
      return def;
    }
    const n = parseInt(v, 10);
    if (n < 1) add(f, `The ${label(f)} must be at least 1.`);
    else if (max && n > max) add(f, `The ${label(f)} must not be greater than ${max}.`);
    return n;
  };
  const page = intParam('page', 1, 0);
  const perPage = intParam('per_page', 20, 100);
  if (Object.keys(errors).length) {
    return { status: 422, body: { success: false, message: 'The given data was invalid.', errors } };
  }
  const needle = search === undefined ? null : search.toLowerCase();
  const filtered = status !== undefined || direction !== undefined || agentId !== undefined || needle !== null;
  const sig = JSON.stringify([status, direction, agentId, needle]);
  const view = !filtered
    ? store.base
    : store.view(sig, (c) => {
        if (status !== undefined && c.st !== status) return false;
        if (direction !== undefined && c.dir !== direction) return false;
        if (agentId !== undefined && ctx.agents[c.agent].id !== agentId) return false;
        if (needle !== null && !c.from.includes(needle) && !c.to.includes(needle) && !c.sid.toLowerCase().includes(needle)) return false;
        return true;
      });
  // whole UTC days on created_at (the sort key): binary search
  const lo = from === null ? 0 : lowerBound(view, { t: from, nid: '' }, cmpTimeId);
  const hi = to === null ? view.length : Math.max(lo, lowerBound(view, { t: to + DAY, nid: '' }, cmpTimeId));
  const n = hi - lo;
  const skip = (page - 1) * perPage;
  let body = '{"success":true,"data":[';
  let k = 0;
  for (let i = hi - 1 - skip; i >= lo && k < perPage; i--) body += (k++ ? ',' : '') + store.json(view[i]);
  const lastPage = Math.max(1, Math.ceil(n / perPage));
  const f = k ? skip + 1 : null;
  const t = k ? skip + k : null;
  body += '],"pagination":' + JSON.stringify({ current_page: page, last_page: lastPage, per_page: perPage, total: n, from: f, to: t }) + '}';
  return { status: 200, raw: body };
}

export default {
  kind: 'talkover',
  method: 'GET',
  path: '/api/v1/calls',
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
  err: (status, code, message) => ({ success: false, message }),
  unauthorized: () => ({ success: false, message: 'Unauthorized' }),
  envelope: (store, count) => [
    '{"success":true,"data":[',
    '],"pagination":{"current_page":1,"last_page":1,"per_page":' + Math.max(count, 1) + ',"total":' + count + ',"from":1,"to":' + count + '}}',
  ],
  handle,
};
