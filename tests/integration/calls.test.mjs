// GET /calls end to end: the real binary over FastCGI against the
// provider simulators.  Every walk is compared with a brute-force
// expectation computed from the simulators' data sets.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { tmpdir, writeConfig, simConfig, startServer, startSim, json, cgi, KINDS } from '../lib/callnorm.mjs';
import { expect, toQueryString, rng, STATUSES } from '../lib/oracle.mjs';
import { loadRecords, randomQuery, walk as walkPages, WINDOWED, REFUSES, servableQuery } from '../lib/walk.mjs';

const ALL = KINDS;
const ASC = ALL.filter((p) => !WINDOWED.includes(p));
const servable = (q) => servableQuery(q, ALL);
let sim, server, config, records, agentsBy = {};

before(async () => {
  sim = await startSim({ seed: 7, size: 90 });
  config = writeConfig(tmpdir(), simConfig(sim.port, { providers: ALL, main: 'max_upstream_requests = 50\n' }));
  server = await startServer(config, { threads: 4 });
  ({ records, agentsBy } = await loadRecords(sim));
});
after(async () => { await server?.stop(); await sim?.stop(); });

function walk(q, opts) {
  return walkPages(server, q, opts);
}

function check(q, got) {
  const want = expect(records, q);
  const ids = (xs) => xs.map((x) => x.id);
  assert.deepEqual(ids(got), ids(want), 'ids and order for ' + toQueryString(q));
  assert.deepEqual(got, want, 'records for ' + toQueryString(q));
}

test('all providers merged, both orders, several limits: exactly the data set', async () => {
  for (const order of ['desc', 'asc']) {
    for (const limit of ['1', '7', '50', '1000']) {
      if (limit === '1' && order === 'asc') continue; // covered below at smaller scale
      const q = servable({ order: [order], limit: [limit] });
      const { out } = await walk(q);
      check(q, out);
    }
  }
});

test('limit=1 walks every call one by one', async () => {
  const q = { provider: ['talkover', 'voicy'], order: ['asc'], limit: ['1'], status: ['completed', 'busy'] };
  const { out, pages } = await walk(q);
  check(q, out);
  assert.equal(pages, Math.max(out.length, 1));
});

test('each provider alone, every filter alone', async () => {
  const t0 = '2026-02-01T00:00:00Z', t1 = '2026-05-01T00:00:00Z';
  for (const p of ALL) {
    const agents = agentsBy[p];
    const filters = [
      {}, { status: ['completed'] }, { status: ['no_answer', 'busy', 'failed'] }, { direction: ['inbound'] },
      { direction: ['outbound'] }, { type: ['phone'] }, { type: ['web'] },
      // a kind whose list carries no agent refuses agent_id (its own suite checks that)
      ...(agents.length ? [{ agent_id: [agents[0]] }, { agent_id: [agents[1], agents[2]] }] : []), { started_after: [t0] }, { started_before: [t1] },
      { started_after: [t0], started_before: [t1] }, { min_duration_ms: ['60000'] }, { max_duration_ms: ['30000'] },
      { phone: ['555'] }, { include_test: ['true'] }, { status: ['unknown'] },
    ];
    if (['verbex', 'zudu', 'vapi'].includes(p)) filters.push({ q: ['refund'] }, { q: ['invoice', 'appointment'] });
    for (const f of filters) {
      if ((REFUSES[p] ?? []).some((x) => x in f)) continue;
      for (const order of WINDOWED.includes(p) ? ['desc'] : ['desc', 'asc']) {
        const q = { provider: [p], order: [order], limit: ['40'], ...f };
        const { out } = await walk(q);
        check(q, out);
      }
    }
  }
});

test('random filter combinations over random provider subsets (property)', async () => {
  const rand = rng(20261121);
  for (let i = 0; i < 40; i++) {
    const q = servable(randomQuery(rand, ALL, agentsBy));
    const { out } = await walk(q);
    check(q, out);
  }
});

test('complete under inserts: new calls arriving between pages cause no duplicate and no gap', async () => {
  for (const order of ['desc', 'asc']) {
    for (const providers of [['talkover', 'osvi'], order === 'asc' ? ASC : ALL]) {
      const q = { provider: providers, order: [order], limit: ['9'] };
      const want = expect(records, q);
      const { out } = await walk(q, {
        between: async (n) => {
          for (const p of providers) await sim.control(`${p}/insert`, 'POST', { count: 1 + (n % 3) });
        },
      });
      assert.deepEqual(out.map((x) => x.id), want.map((x) => x.id), order + ' ' + providers);
      await sim.reset();
    }
  }
});

test('limit may change from page to page', async () => {
  const q = { provider: ['verbex', 'osvi'] };
  const want = expect(records, q);
  const out = [];
  let cursor = null, i = 0;
  do {
    const qq = { ...q, limit: [String([3, 17, 1, 40][i++ % 4])] };
    if (cursor) qq.cursor = [cursor];
    const b = json(await server.request('/calls?' + toQueryString(qq)));
    out.push(...b.data);
    cursor = b.page.next_cursor;
  } while (cursor);
  assert.deepEqual(out.map((x) => x.id), want.map((x) => x.id));
});

test('include=raw attaches the original record', async () => {
  const b = json(await server.request('/calls?provider=osvi&limit=3&include=raw'));
  for (const c of b.data) {
    assert.equal(typeof c.raw, 'object');
    assert.equal(c.raw.call_id, c.native_id);
  }
  const plain = json(await server.request('/calls?provider=osvi&limit=3'));
  assert.ok(!('raw' in plain.data[0]));
});

// Keys that name credentials, at any depth (compared case-insensitively).
const CREDENTIAL = (k) => ['credentials', 'headers', 'access_token'].includes(k.toLowerCase()) ||
  /secret|password|apikey|api_key|authtoken|auth_token/i.test(k);
function credentialPaths(v, at, out) {
  if (Array.isArray(v)) v.forEach((x, i) => credentialPaths(x, `${at}[${i}]`, out));
  else if (v && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      if (CREDENTIAL(k)) out.push(`${at}.${k}`);
      credentialPaths(x, `${at}.${k}`, out);
    }
  }
  return out;
}

test('include=raw never carries a credential, for every kind (the simulators carry some)', async () => {
  let native = 0;
  for (const kind of ALL) {
    for (const r of await sim.dataset(kind)) native += credentialPaths(r.native, kind, []).length;
    const b = json(await server.request(`/calls?provider=${kind}&limit=1000&include=raw&include_test=true`));
    assert.ok(b.data.length > 0, kind);
    const bad = [];
    for (const c of b.data) credentialPaths(c.raw, c.id, bad);
    assert.deepEqual(bad, [], kind);
  }
  // web calls of verbex and retell carry an access_token, vapi's records
  // other services' keys: the filter had something to drop
  assert.ok(native > 0, 'the data sets carry credentials');
});

test('q on a provider without transcripts is UNSUPPORTED_FILTER naming it', async () => {
  const r = await server.request('/calls?q=refund');
  assert.equal(r.status, 400);
  const b = json(r);
  assert.equal(b.code, 'UNSUPPORTED_FILTER');
  for (const p of ['voicy', 'talkover', 'osvi']) assert.ok(b.detail.includes(p), b.detail);
  assert.ok(!b.detail.includes('verbex'));
});

test('cursor misuse: altered, other parameters, other caller, expired', async () => {
  const first = json(await server.request('/calls?limit=5&status=completed'));
  const c = first.page.next_cursor;
  assert.ok(c && c.length < 2048);
  const flip = c.slice(0, 10) + (c[10] === 'A' ? 'B' : 'A') + c.slice(11);
  let r = await server.request('/calls?limit=5&status=completed&cursor=' + flip);
  assert.equal(json(r).code, 'INVALID_CURSOR');
  r = await server.request('/calls?limit=5&status=completed&cursor=notacursor');
  assert.equal(json(r).code, 'INVALID_CURSOR');
  r = await server.request('/calls?limit=5&status=failed&cursor=' + c);
  assert.equal(r.status, 400);
  assert.equal(json(r).code, 'CURSOR_QUERY_MISMATCH');
  r = await server.request('/calls?limit=5&status=completed&cursor=' + c, { remoteUser: 'someone' });
  assert.equal(json(r).code, 'INVALID_CURSOR');
  r = await server.request('/calls?limit=9&status=completed&cursor=' + c);
  assert.equal(r.status, 200, 'limit may change');
  // a server with cursor_ttl=1 expires its cursors
  const short = writeConfig(tmpdir(), simConfig(sim.port, { main: 'cursor_ttl = 1\n' }));
  const s2 = await startServer(short);
  try {
    const c2 = json(await s2.request('/calls?limit=2')).page.next_cursor;
    await new Promise((res) => setTimeout(res, 2100));
    r = await s2.request('/calls?limit=2&cursor=' + c2);
    assert.equal(json(r).code, 'CURSOR_EXPIRED');
  } finally { await s2.stop(); }
});

test('cursors survive CGI and FastCGI alike (same key)', async () => {
  const c = json(await server.request('/calls?limit=4')).page.next_cursor;
  const viaCgi = cgi(config, '/calls?limit=4&cursor=' + c, { headers: { 'X-Request-Id': 'a' } });
  const viaFcgi = await server.request('/calls?limit=4&cursor=' + c, { headers: { 'X-Request-Id': 'a' } });
  assert.equal(viaCgi.status, 200);
  const strip = (t) => { const b = JSON.parse(t); for (const p of b.meta.providers) p.upstream_ms = 0; b.page.next_cursor = null; return b; };
  assert.deepEqual(strip(viaCgi.text), strip(viaFcgi.text));
});

test('a large page leaves FastCGI in 64 KiB records, the same page CGI writes', async () => {
  const url = '/calls?limit=400&include=raw&order=asc';
  const opts = { headers: { 'X-Request-Id': 'big-1' } };
  const f = await server.request(url, opts);
  const c = cgi(config, url, opts);
  assert.equal(f.status, 200, f.text);
  assert.ok(f.body.length > 4 * 65528, 'the page spans several records: ' + f.body.length);
  // sealed cursors differ (fresh nonce) and upstream times vary
  const strip = (t) => { const b = JSON.parse(t); for (const p of b.meta.providers) p.upstream_ms = 0; b.page.next_cursor = null; return b; };
  assert.deepEqual(strip(f.text), strip(c.text));
  assert.equal(Number(f.headers['content-length']), f.body.length);
  // head and body records: at most one more than the 64 KiB records the body needs
  assert.ok(f.stdoutRecords <= Math.ceil(f.body.length / 65528) + 1,
    `${f.stdoutRecords} records for ${f.body.length} bytes`);
  const h = await server.request(url, { ...opts, method: 'HEAD' });
  assert.equal(h.status, 200);
  assert.equal(h.body.length, 0);
  // the same page, but upstream_ms (one per provider) may take more or fewer digits
  const dl = Math.abs(Number(h.headers['content-length']) - f.body.length);
  assert.ok(dl <= 5 * JSON.parse(f.text).meta.providers.length, `HEAD ${h.headers['content-length']} vs GET ${f.body.length}`);
});

test('meta.providers reports pushdown, local filters and request counts', async () => {
  await sim.clearLog();
  const b = json(await server.request('/calls?provider=voicy,osvi&status=completed&agent_id=' + agentsBy.voicy[0] + '&limit=5'));
  const voicy = b.meta.providers.find((p) => p.name === 'voicy');
  assert.equal(voicy.state, 'ok');
  assert.ok(voicy.filters_pushed_down.includes('status'));
  assert.ok(voicy.filters_pushed_down.includes('agent_id'));
  assert.ok(voicy.upstream_requests >= 1);
  const log = await sim.log('voicy');
  assert.equal(log.length, voicy.upstream_requests);
  assert.deepEqual(log[0].body.filter_criteria.agent_id, [agentsBy.voicy[0]]);
  assert.deepEqual([...log[0].body.filter_criteria.call_status].sort(), ['agent_hangup', 'inactivity', 'user_hangup']);
  assert.equal(b.meta.complete, true);
  assert.deepEqual(b.meta.unreachable, []);
});

test('total_count is given only when exact', async () => {
  let b = json(await server.request('/calls?provider=osvi&limit=5'));
  assert.equal(b.page.total_count, records.filter((r) => r.provider === 'osvi').length);
  b = json(await server.request('/calls?provider=osvi&limit=5&min_duration_ms=1000'));
  assert.equal(b.page.total_count, null);
});

test('budget: at most max_upstream_requests per provider per request, resuming exactly', async () => {
  // 600 talkover calls in pages of 100, a local filter that keeps few
  const big = await startSim({ seed: 11, size: 40, args: ['--size', 'talkover=600'] });
  const tight = writeConfig(tmpdir(), simConfig(big.port, { providers: ['talkover'], main: 'max_upstream_requests = 2\n' }));
  const s2 = await startServer(tight);
  try {
    const recs = (await big.dataset('talkover')).map((r) => ({ provider: 'talkover', expected: r.expected }));
    const q = { provider: ['talkover'], max_duration_ms: ['40000'], limit: ['50'] };
    const want = expect(recs, q).map((x) => x.id);
    assert.ok(want.length > 0 && want.length < 50, 'a selective filter: ' + want.length);
    const out = [];
    let cursor = null, pages = 0;
    do {
      const qq = { ...q };
      if (cursor) qq.cursor = [cursor];
      await big.clearLog();
      const b = json(await s2.request('/calls?' + toQueryString(qq)));
      const n = (await big.log('talkover')).length;
      assert.ok(n <= 2, 'at most 2 upstream requests, saw ' + n);
      assert.equal(b.meta.providers[0].upstream_requests, n);
      out.push(...b.data);
      cursor = b.page.next_cursor;
      pages++;
    } while (cursor && pages < 100);
    assert.deepEqual(out.map((x) => x.id), want);
    assert.ok(pages >= 3, 'the budget cut the walk into short pages: ' + pages);
  } finally { await s2.stop(); await big.stop(); }
});

test('calls sharing one start time beyond a request\'s pages: larger pages, then a loud stop', async () => {
  // inserted calls all share one instant: a tie group the budget of two
  // small pages cannot see past (ties go out in id order)
  const ties = await startSim({ seed: 5, size: 12 });
  const cfg = writeConfig(tmpdir(), simConfig(ties.port, { providers: ['zudu', 'voicy'], main: 'max_upstream_requests = 2\n' }));
  const s2 = await startServer(cfg);
  try {
    await ties.control('zudu/insert', 'POST', { count: 150 });
    await new Promise((res) => setTimeout(res, 1100)); // inside the next walk's horizon
    const { records: recs } = await loadRecords(ties);
    for (const order of ['desc', 'asc']) {
      const q = { provider: ['voicy', 'zudu'], order: [order], limit: ['3'] };
      const { out, pages } = await walkPages(s2, q, { maxPages: 400 });
      const want = expect(recs, q);
      assert.deepEqual(out.map((x) => x.id), want.map((x) => x.id), order);
      assert.ok(pages <= want.length / 3 + 20, `${pages} pages for ${want.length} calls`);
    }
    // 450 calls at one instant: more than two pages of Zudu's largest (100)
    await ties.control('zudu/insert', 'POST', { count: 300 });
    await new Promise((res) => setTimeout(res, 1100));
    let cursor = null, r, pages = 0;
    for (;;) {
      r = await s2.request('/calls?provider=zudu&limit=3' + (cursor ? '&cursor=' + cursor : ''));
      if (r.status !== 200 || !json(r).page.has_more || ++pages > 60) break;
      cursor = json(r).page.next_cursor;
    }
    assert.equal(r.status, 502, 'the walk stops loudly instead of looping: ' + r.text.slice(0, 300));
    assert.equal(json(r).code, 'PROVIDER_PAGINATION_STUCK');
    assert.match(json(r).detail, /max_upstream_requests/);
  } finally { await s2.stop(); await ties.stop(); }
});

test('parallel fan-out: five providers at 300 ms answer in well under 600 ms', async () => {
  await sim.control('latency', 'POST', { ms: 300 });
  try {
    await server.request('/calls?limit=5'); // warm connections
    const t0 = Date.now();
    const r = await server.request('/calls?limit=5');
    const dt = Date.now() - t0;
    assert.equal(r.status, 200);
    assert.ok(dt < 550, `took ${dt} ms`);
  } finally { await sim.control('latency', 'POST', { ms: 0 }); }
});

test("provider failures map to the API's error codes", async () => {
  const cases = [
    [{ mode: 'status:401', count: -1 }, 502, 'PROVIDER_AUTH_FAILED', 401],
    [{ mode: 'status:403', count: -1 }, 502, 'PROVIDER_AUTH_FAILED', 403],
    [{ mode: 'status:500', count: -1 }, 502, 'PROVIDER_UNAVAILABLE', 500],
    [{ mode: 'status:429', count: -1, retry_after: '0' }, 429, 'PROVIDER_RATE_LIMITED', 429],
    [{ mode: 'malformed', count: -1 }, 502, 'PROVIDER_BAD_RESPONSE'],
    [{ mode: 'truncated', count: -1 }, 502, 'PROVIDER_BAD_RESPONSE'],
    [{ mode: 'deep', count: -1 }, 502, 'PROVIDER_BAD_RESPONSE'],
    [{ mode: 'wrongtypes', count: -1 }, 502, 'PROVIDER_BAD_RESPONSE'],
    [{ mode: 'empty', count: -1 }, 502, 'PROVIDER_BAD_RESPONSE'],
    [{ mode: 'redirect', count: -1 }, 502, 'PROVIDER_BAD_RESPONSE'],
    [{ mode: 'repeat', count: -1 }, 502, 'PROVIDER_PAGINATION_STUCK'],
  ];
  for (const [fault, status, code, upstream] of cases) {
    await sim.reset();
    if (fault.mode === 'repeat') await server.request('/calls?provider=verbex&limit=2'); // something to repeat
    await sim.control('verbex/fault', 'POST', fault);
    const r = await server.request(fault.mode === 'repeat' ? '/calls?provider=verbex&limit=300' : '/calls?provider=verbex,osvi&limit=5');
    const b = json(r);
    assert.equal(r.status, status, fault.mode + ' ' + r.text);
    assert.equal(b.code, code, fault.mode);
    assert.equal(b.provider, 'verbex');
    if (upstream) assert.equal(b.provider_status, upstream);
    if (code === 'PROVIDER_RATE_LIMITED') assert.match(r.headers['retry-after'], /^\d+$/);
  }
  await sim.reset();
});

test('transient failures are retried within the deadline', async () => {
  await sim.reset();
  await sim.control('zudu/fault', 'POST', { mode: 'status:503', count: 1 });
  await sim.clearLog();
  const r = await server.request('/calls?provider=zudu&limit=5');
  assert.equal(r.status, 200, r.text);
  const b = json(r);
  assert.equal(b.meta.providers[0].upstream_requests, 2);
  await sim.control('zudu/fault', 'POST', { mode: 'status:429', count: 1, retry_after: '1' });
  const t0 = Date.now();
  const r2 = await server.request('/calls?provider=zudu&limit=5');
  assert.equal(r2.status, 200);
  assert.ok(Date.now() - t0 >= 900, 'Retry-After was honoured');
  await sim.reset();
});

test('partial=allow answers with what answered and retries the rest later', async () => {
  await sim.reset();
  const q = { provider: ['osvi', 'voicy'], limit: ['10'], partial: ['allow'] };
  try {
  await sim.control('voicy/fault', 'POST', { mode: 'status:500', count: -1 });
  let r = await server.request('/calls?' + toQueryString(q));
  assert.equal(r.status, 200, r.text);
  let b = json(r);
  assert.equal(b.meta.complete, false);
  assert.deepEqual(b.meta.unreachable, ['voicy']);
  assert.equal(b.meta.providers.find((p) => p.name === 'voicy').error.code, 'PROVIDER_UNAVAILABLE');
  assert.ok(b.data.every((c) => c.provider === 'osvi'));
  const out = [...b.data];
  await sim.control('voicy/fault', 'DELETE');
  let cursor = b.page.next_cursor;
  while (cursor) {
    b = json(await server.request('/calls?' + toQueryString({ ...q, cursor: [cursor] })));
    out.push(...b.data);
    cursor = b.page.next_cursor;
  }
  const want = expect(records, q).map((x) => x.id).sort();
  assert.deepEqual(out.map((x) => x.id).sort(), want, 'every call exactly once after recovery');
  // partial=deny (default) fails the whole request
  await sim.control('voicy/fault', 'POST', { mode: 'status:500', count: -1 });
  r = await server.request('/calls?provider=osvi,voicy&limit=10');
  assert.equal(r.status, 502);
  // every provider failing fails the request even with partial=allow
  await sim.control('osvi/fault', 'POST', { mode: 'status:500', count: -1 });
  r = await server.request('/calls?provider=osvi,voicy&limit=10&partial=allow');
  assert.equal(r.status, 502);
  assert.equal(json(r).providers.length, 2);
  } finally { await sim.reset(); }
});

test('a hanging provider ends in PROVIDER_TIMEOUT within the deadline', async () => {
  const quick = writeConfig(tmpdir(), simConfig(sim.port, { main: 'request_timeout_ms = 1500\n' }));
  const s2 = await startServer(quick);
  try {
    await sim.control('osvi/fault', 'POST', { mode: 'hang', count: -1 });
    const t0 = Date.now();
    const r = await s2.request('/calls?provider=osvi,zudu&limit=5');
    const dt = Date.now() - t0;
    assert.equal(r.status, 504, r.text);
    assert.equal(json(r).code, 'PROVIDER_TIMEOUT');
    assert.ok(dt < 2500, `took ${dt} ms`);
  } finally { await s2.stop(); await sim.reset(); }
});
