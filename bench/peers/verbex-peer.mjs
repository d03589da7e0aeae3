// The benchmark's "peer": a straightforward Node.js normalizer for one
// Verbex provider, written the way a team would write it without callnorm.
// Plain Node (no npm packages): fetch the provider page, map every field of
// the call record for Verbex records, answer the page envelope.  No filters but
// `limit` and `cursor`; the cursor is the provider's token in base64url
// (unsealed).  It serves HTTP behind the same nginx as callnorm.
//
//   node bench/peers/verbex-peer.mjs --port N --name NAME --base-url URL --api-key KEY

import http from 'node:http';
import crypto from 'node:crypto';

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
);
const PORT = Number(args.port || 8790);
const NAME = args.name || 'verbex';
const BASE = args['base-url'] || 'http://127.0.0.1:8700/verbex';
const KEY = args['api-key'] || 'sim-verbex-key';

const REASONS = {
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

const word = (s) => (typeof s === 'string' ? s.toLowerCase().replace(/-/g, '_') : null);

function status(st, why) {
  const s = word(st);
  const r = why != null ? REASONS[word(why)] : undefined;
  if (s === 'registered') return ['queued', null];
  if (s === 'ongoing') return ['in_progress', null];
  if (s === 'error') return ['failed', r ? r[1] : 'error'];
  if (s === 'ended') {
    if (why == null) return ['completed', null];
    return r || ['failed', 'error'];
  }
  return ['unknown', null];
}

function iso(v) {
  if (v == null) return null;
  const t = Date.parse(v);
  return Number.isNaN(t) ? null : new Date(t).toISOString();
}

function map(o) {
  const [st, er] = status(o.call_status, o.call_finish_reason);
  const type = word(o.call_type);
  const dir = word(o.direction);
  const secs = o.call_duration_seconds;
  return {
    id: `${NAME}:${o._id}`,
    provider: NAME,
    provider_kind: 'verbex',
    native_id: o._id,
    type: type === 'phone_call' ? 'phone' : type === 'web_call' ? 'web' : null,
    direction: dir === 'inbound' || dir === 'outbound' ? dir : null,
    status: st,
    end_reason: er,
    provider_status: o.call_status ?? null,
    from: o.from_number ?? null,
    to: o.to_number ?? null,
    agent: { id: o.ai_agent_id ?? null, name: o.ai_agent_name ?? null, version: null },
    started_at: iso(o.call_start_time),
    ended_at: iso(o.call_end_time),
    duration_ms: typeof secs === 'number' ? secs * 1000 : null,
    is_test: null,
    campaign_id: null,
    tags: [],
    metadata: o.metadata && typeof o.metadata === 'object' ? o.metadata : {},
  };
}

function problem(res, status, code, detail, rid) {
  const body = JSON.stringify({ type: `urn:callnorm:problem:${code.toLowerCase().replace(/_/g, '-')}`, status, code, detail, request_id: rid });
  res.writeHead(status, { 'content-type': 'application/problem+json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

const server = http.createServer(async (req, res) => {
  const rid = crypto.randomUUID();
  const u = new URL(req.url, 'http://x');
  if (!u.pathname.endsWith('/calls')) return problem(res, 404, 'NOT_FOUND', 'no such route', rid);
  let limit = Number(u.searchParams.get('limit') || 50);
  if (!Number.isInteger(limit) || limit < 1) return problem(res, 400, 'INVALID_ARGUMENT', 'bad limit', rid);
  if (limit > 1000) limit = 1000;
  const up = new URL(BASE + '/v1/calls/');
  up.searchParams.set('page_size', String(limit));
  up.searchParams.set('sort_direction', u.searchParams.get('order') === 'asc' ? 'asc' : 'desc');
  const cur = u.searchParams.get('cursor');
  if (cur) up.searchParams.set('page_token', Buffer.from(cur, 'base64url').toString());
  const t0 = Date.now();
  let page;
  try {
    const r = await fetch(up, { headers: { authorization: `Bearer ${KEY}` } });
    if (r.status !== 200) return problem(res, 502, 'PROVIDER_UNAVAILABLE', `upstream status ${r.status}`, rid);
    page = await r.json();
  } catch (e) {
    return problem(res, 502, 'PROVIDER_UNAVAILABLE', String(e.message), rid);
  }
  const ms = Date.now() - t0;
  const calls = Array.isArray(page.calls) ? page.calls.slice(0, limit) : [];
  const tok = typeof page.next_page_token === 'string' && page.next_page_token ? page.next_page_token : null;
  const next = tok ? Buffer.from(tok).toString('base64url') : null;
  const body = JSON.stringify({
    data: calls.map(map),
    page: { next_cursor: next, has_more: next != null, limit, returned: calls.length, total_count: null },
    meta: {
      request_id: rid, complete: true, unreachable: [],
      providers: [{ name: NAME, kind: 'verbex', state: 'ok', upstream_requests: 1, upstream_ms: ms, filters_pushed_down: [], filters_local: [], error: null }],
    },
  });
  res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), 'x-request-id': rid });
  res.end(body);
});
server.keepAliveTimeout = 65000;
server.listen(PORT, '127.0.0.1', () => process.stdout.write(JSON.stringify({ port: server.address().port, pid: process.pid }) + '\n'));
for (const s of ['SIGTERM', 'SIGINT']) process.on(s, () => server.close(() => process.exit(0)) && setTimeout(() => process.exit(0), 500).unref());
