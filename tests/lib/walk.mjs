// Following a /calls query page by page, and the records a simulator's
// data set says it must return.
import assert from 'node:assert/strict';
import { json } from './callnorm.mjs';
import { toQueryString, STATUSES } from './oracle.mjs';

// Every record of every provider of the simulator, with the call record
// record the simulator derived independently, and each provider's agents.
export async function loadRecords(sim) {
  const prov = await sim.control('providers');
  const records = [], agentsBy = {};
  for (const p of prov.providers) {
    const byName = new Map(p.agents.map((a) => [a.name, a.id]));
    agentsBy[p.name] = p.agents.map((a) => a.id);
    for (const r of await sim.dataset(p.name)) {
      if (r.expected === null) continue; // not listed by callnorm (twilio's child legs)
      // voicy list records carry no agent id: the oracle knows it by name
      const agentId = p.kind === 'voicy' ? byName.get(r.expected.agent.name) ?? null : r.expected.agent.id;
      records.push({ provider: p.name, expected: r.expected, agentId });
    }
  }
  return { records, agentsBy };
}

// Every page of q, checking the envelope and Link of each; between(n)
// runs after page n (to change the data under the walk).
// limitFor(n), when given, picks the limit of page n (limits may change
// from page to page).
export async function walk(server, q, { maxPages = 2000, between, label = '', limitFor } = {}) {
  const out = [];
  let cursor = null, pages = 0, last;
  const limits = q.limit ?? ['50'];
  for (;;) {
    const qq = { ...q, limit: limitFor ? [String(limitFor(pages))] : limits };
    if (cursor) qq.cursor = [cursor];
    const r = await server.request('/calls?' + toQueryString(qq));
    assert.equal(r.status, 200, r.text + (label ? '\n' + label : ''));
    const b = json(r);
    if (process.env.CALLNORM_WALK_TRACE) {
      const m = b.meta ? b.meta.providers.map((p) => `${p.name}:${p.upstream_requests}`).join(',') : '';
      process.stderr.write(`walk page ${pages} limit=${qq.limit} status=${r.status} got=${b.data ? b.data.map((x) => x.id.slice(0, 14) + '@' + (x.started_at || '-').slice(5, 19)).join(' ') : b.code} ${m}\n`);
    }
    last = b;
    out.push(...b.data);
    assert.equal(b.page.returned, b.data.length);
    assert.equal(b.page.next_cursor === null, !b.page.has_more);
    if (b.page.has_more) assert.match(r.headers.link, /^<[^>]*[?&]cursor=[A-Za-z0-9_-]+[^>]*>; rel="next"$/);
    else assert.equal(r.headers.link, undefined);
    if (!b.page.has_more) break;
    cursor = b.page.next_cursor;
    if (++pages > maxPages) throw new Error(`more than ${maxPages} pages: ${label || toQueryString(q)}; last page ${JSON.stringify(b.page)}`);
    if (between) await between(pages);
  }
  return { out, last, pages: pages + 1 };
}

// A random /calls query over a random subset of providers: every filter
// with some probability, both orders, limits from 1 to 100.
export function randomQuery(rand, all, agentsBy) {
  const pick = (xs) => xs[Math.floor(rand() * xs.length)];
  const some = (xs, max) => [...new Set(Array.from({ length: 1 + Math.floor(rand() * max) }, () => pick(xs)))];
  const providers = some(all, 4);
  const q = { provider: providers, order: [pick(['asc', 'desc'])], limit: [pick(['1', '3', '10', '25', '100'])] };
  if (rand() < 0.4) q.status = some(STATUSES, 3);
  if (rand() < 0.3) q.direction = [pick(['inbound', 'outbound'])];
  if (rand() < 0.2) q.type = [pick(['phone', 'web'])];
  if (rand() < 0.3) q.started_after = [new Date(Date.UTC(2026, 0, 1) + rand() * 120 * 864e5).toISOString()];
  if (rand() < 0.3) q.started_before = [new Date(Date.UTC(2026, 2, 1) + rand() * 120 * 864e5).toISOString()];
  if (rand() < 0.2) q.min_duration_ms = [String(Math.floor(rand() * 200000))];
  if (rand() < 0.2) q.max_duration_ms = [String(Math.floor(rand() * 400000))];
  if (rand() < 0.15) q.phone = [pick(['555', '+1', '01', '9'])];
  if (rand() < 0.3) q.include_test = [pick(['true', 'false'])];
  if (rand() < 0.2) q.agent_id = providers.flatMap((p) => (agentsBy[p] ?? []).slice(0, 1));
  // a provider without agents (its list carries none) cannot take agent_id
  if (q.agent_id && (q.agent_id.length === 0 || providers.some((p) => !(agentsBy[p] ?? []).length))) delete q.agent_id;
  // limit=1 across many providers is slow to walk: narrow it
  if (q.limit[0] === '1' && providers.length > 2) q.status = ['completed'];
  return q;
}

// Kinds whose order=asc ascending walks leave out (none: newest-first-only
// kinds are served by the engine's windowed walk).
export const WINDOWED = [];
// The filters a kind refuses with UNSUPPORTED_FILTER (tested on their own).
export const REFUSES = { elevenlabs: ['phone', 'q'], voicy: ['q'], talkover: ['q'], osvi: ['q'], bland: ['q'], retell: ['q'], twilio: ['q'] };

// q narrowed to what every provider it names (default: all) serves.
export function servableQuery(q, all) {
  for (const p of q.provider ?? all) for (const f of REFUSES[p] ?? []) delete q[f];
  if (q.order?.[0] === 'asc') q.provider = (q.provider ?? all).filter((p) => !WINDOWED.includes(p));
  if (q.provider?.length === 0) q.provider = [all[0]];
  return q;
}
