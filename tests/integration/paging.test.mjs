// Paging at the edges: a provider that hangs under partial=allow, Link
// headers of unusual but valid queries, and cursors that carry long
// provider tokens.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { tmpdir, writeConfig, simConfig, startServer, startSim, json, KINDS } from '../lib/callnorm.mjs';
import { fcgiRequest, cgiParams } from '../lib/fcgi.mjs';
import { validateResponse } from '../lib/contract.mjs';
import { expect, toQueryString } from '../lib/oracle.mjs';
import { loadRecords } from '../lib/walk.mjs';

let sim, records;

before(async () => {
  sim = await startSim({ seed: 11, size: 250 });
  ({ records } = await loadRecords(sim));
});
after(async () => { await sim?.stop(); });

// simConfig with every provider's timeout_ms replaced.
function config({ timeoutMs, main = '' }) {
  const text = simConfig(sim.port, { providers: KINDS, main }).replace(/^timeout_ms = \d+$/gm, `timeout_ms = ${timeoutMs}`);
  return writeConfig(tmpdir(), text);
}

// Follows next_cursor to the end; every page must be 200.
async function rest(server, q, cursor, label) {
  const out = [];
  let pages = 0;
  while (cursor) {
    const r = await server.request('/calls?' + toQueryString({ ...q, cursor: [cursor] }));
    assert.equal(r.status, 200, label + ': ' + r.text);
    const b = json(r);
    out.push(...b.data);
    cursor = b.page.next_cursor;
    assert.ok(++pages < 500, label + ': too many pages');
  }
  return out;
}

// ---- a provider that never answers, under partial=allow ---------------

async function hangCase({ timeoutMs, requestTimeoutMs, q, hung, healthy }) {
  const server = await startServer(config({ timeoutMs, main: `request_timeout_ms = ${requestTimeoutMs}\nmax_upstream_requests = 50\n` }));
  try {
    await sim.reset();
    await sim.control(hung + '/fault', 'POST', { mode: 'hang', count: -1 });
    const t0 = Date.now();
    const r = await server.request('/calls?' + toQueryString(q));
    const dt = Date.now() - t0;
    assert.equal(r.status, 200, r.text);
    const b = json(r);
    assert.equal(b.meta.complete, false);
    assert.deepEqual(b.meta.unreachable, [hung]);
    const hm = b.meta.providers.find((p) => p.name === hung);
    assert.equal(hm.state, 'error');
    assert.equal(hm.error.code, 'PROVIDER_TIMEOUT');
    // one attempt: a timeout is not retried
    assert.equal(hm.upstream_requests, 1);
    const ok = b.meta.providers.find((p) => p.name === healthy);
    assert.equal(ok.state, 'ok', JSON.stringify(ok));
    assert.ok(b.data.length > 0, 'the healthy provider\'s records are there');
    assert.ok(b.data.every((c) => c.provider === healthy));
    assert.equal(b.page.has_more, true);
    // the answer comes when the hung provider's own timeout_ms expires
    // (not after three of them, nor at the overall deadline)
    assert.ok(dt >= timeoutMs - 100, `answered after ${dt} ms, before timeout_ms`);
    // (three attempts would take 3 x timeout_ms and more; the slack is
    // for a loaded machine and sanitizer builds)
    assert.ok(dt < 2.5 * timeoutMs, `answered after ${dt} ms; timeout_ms is ${timeoutMs}`);
    // the cursor keeps the hung provider's place: once it answers again,
    // the walk returns every matching call exactly once
    await sim.control(hung + '/fault', 'DELETE');
    await sim.clearLog();
    const out = [...b.data, ...(await rest(server, q, b.page.next_cursor, 'after recovery'))];
    assert.ok((await sim.log(hung)).length > 0, 'the next page retried the hung provider');
    const want = expect(records, q).map((x) => x.id);
    assert.deepEqual(out.map((x) => x.id).sort(), want.slice().sort(), 'every call exactly once');
  } finally {
    await sim.reset();
    await server.stop();
  }
}

test('partial=allow: a hanging provider costs its timeout_ms once, the others are answered', async () => {
  await hangCase({
    timeoutMs: 3000, requestTimeoutMs: 20000,
    q: { provider: ['osvi', 'zudu'], limit: ['5'], partial: ['allow'] },
    hung: 'osvi', healthy: 'zudu',
  });
});

test('partial=allow: timeout_ms times the attempts past request_timeout_ms does not fail the healthy provider', async () => {
  // Three attempts of 2 s would outlast the 3 s deadline; the healthy
  // provider needs several pages (100 at most per page) after the hang.
  await hangCase({
    timeoutMs: 2000, requestTimeoutMs: 3000,
    q: { provider: ['talkover', 'verbex'], limit: ['240'], partial: ['allow'], order: ['asc'] },
    hung: 'verbex', healthy: 'talkover',
  });
});

// ---- the Link header ----------------------------------------------------

// The next page through the Link must be the next page through
// next_cursor with the original parameters, for any valid query.
async function checkLink(server, qs, label) {
  // QUERY_STRING as given: a web server passes raw bytes (UTF-8, '"')
  // that a URL parser would escape
  const send = async (q) => validateResponse('GET', '/calls?' + q,
    await fcgiRequest({ path: server.sock }, { ...cgiParams('/calls'), QUERY_STRING: q, REQUEST_URI: '/api/calls?' + q }));
  const r = await send(qs);
  assert.equal(r.status, 200, label + ': ' + r.text);
  const b = json(r);
  if (!b.page.has_more) return false;
  const link = r.headers.link;
  assert.ok(link, label + ': a page with has_more has a Link');
  const m = link.match(/^<([^>]*)>; rel="next"$/);
  assert.ok(m, label + ': Link is <url>; rel="next": ' + link);
  const at = m[1].indexOf('/calls?');
  assert.ok(at >= 0, label + ': ' + m[1]);
  const viaLink = await server.request(m[1].slice(at));
  assert.equal(viaLink.status, 200, label + ': following the Link: ' + viaLink.text + '\nLink: ' + link);
  const viaCursor = await send(qs + '&cursor=' + encodeURIComponent(b.page.next_cursor));
  assert.equal(viaCursor.status, 200, label + ': following next_cursor: ' + viaCursor.text);
  const a = json(viaLink), c = json(viaCursor);
  assert.ok(c.data.length > 0, label + ': the next page has records');
  assert.deepEqual(a.data, c.data, label + ': the Link leads to the next page');
  assert.deepEqual({ ...a.page, next_cursor: null }, { ...c.page, next_cursor: null }, label);
  return true;
}

const enc = (s) => encodeURIComponent(s);

test('the Link of unusual valid queries is present and leads to the next page', async () => {
  const server = await startServer(config({ timeoutMs: 5000, main: 'max_upstream_requests = 50\n' }));
  try {
    const prov = await sim.control('providers');
    const voicyAgents = prov.providers.find((p) => p.name === 'voicy').agents.map((a) => a.id);
    // 31 agent_id values of 250 characters (two real ones among them),
    // in spellings the Link must escape or may keep
    // (as many as the 8 KiB query string holds: 31 where they travel raw)
    for (const [ch, how] of [['a', 'raw'], ['+', 'raw'], ['!', 'raw'], ['*', 'raw'], ['é', 'raw'], ['"', 'raw'], ['é', 'pct'], [' ', 'pct'], ['&', 'pct'], ['%', 'pct'], ['/?', 'pct']]) {
      const bytes = Buffer.byteLength(ch);
      const long = (i) => ch.repeat(Math.ceil(250 / bytes)).slice(0, Math.floor(247 / bytes)) + String(i).padStart(3, '0');
      const spell = (v) => (how === 'raw' ? v : enc(v));
      // the 8 KiB limit counts a raw byte a URL must escape as its %XX
      const asUrl = (v) => (how === 'raw' ? v.replace(/[^A-Za-z0-9._~:@!$'()*;/?+-]/gu, enc) : enc(v));
      const head = 'provider=voicy&limit=3&' + voicyAgents.slice(0, 2).map((v) => 'agent_id=' + v + '&').join('');
      const vals = [];
      const size = (vs) => (head + vs.map((v) => 'agent_id=' + asUrl(v)).join('&')).length;
      while (vals.length < 29 && size([...vals, long(vals.length)]) <= 8192) vals.push(long(vals.length));
      const qs = head + vals.map((v) => 'agent_id=' + spell(v)).join('&');
      assert.ok(vals.length >= 9, `${vals.length} values, ${qs.length} bytes`);
      if (/^[a!*+]$/.test(ch)) assert.equal(vals.length, 29);
      assert.ok(await checkLink(server, qs, `agent_id ${how} ${JSON.stringify(ch)} x${vals.length}`), 'has_more for ' + ch);
    }
    // raw UTF-8 of 29 x 250 bytes is 21 KiB once percent-encoded: refused
    // (its Link could not be followed), not answered without a Link
    const rawLong = Array.from({ length: 29 }, (_, i) => 'é'.repeat(122) + String(i).padStart(3, '0'));
    const tooLong = await fcgiRequest({ path: server.sock }, { ...cgiParams('/calls'), QUERY_STRING: 'provider=voicy&' + rawLong.map((v) => 'agent_id=' + v).join('&') });
    assert.equal(tooLong.status, 400, tooLong.text);
    assert.match(json(tooLong).detail, /longer than 8192 bytes/);
    // instants whose UTC form falls outside four-digit years
    for (const qs of [
      'started_after=0000-01-01T00:00:00%2B01:00',
      'started_after=0000-01-01T00:00:00.001%2B23:59',
      'started_before=9999-12-31T23:59:59.999-23:59',
      'started_before=9999-12-31T23:00:00-05:00&started_after=0000-01-01t00:00:00%2B00:30',
      'started_after=1970-01-01T00:00:00Z&started_before=9999-12-31T23:59:59Z',
    ]) assert.ok(await checkLink(server, 'limit=4&' + qs, qs), 'has_more for ' + qs);
  } finally { await server.stop(); }
});

test('property: the Link and next_cursor agree over many parameter combinations', async () => {
  const server = await startServer(config({ timeoutMs: 5000, main: 'max_upstream_requests = 50\n' }));
  try {
    const caps = json(await server.request('/providers')).data;
    const prov = await sim.control('providers');
    const agents = prov.providers.flatMap((p) => p.agents.map((a) => a.id));
    let seed = 12345;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    const pick = (xs) => xs[Math.floor(rand() * xs.length)];
    const some = (xs, n) => Array.from({ length: 1 + Math.floor(rand() * n) }, () => pick(xs));
    // how a parameter's values are spelled: repeated, comma, %2C
    const put = (parts, name, vals, esc = enc) => {
      const how = pick(['repeat', 'comma', 'pct']);
      if (how === 'repeat') for (const v of vals) parts.push(name + '=' + esc(v));
      else parts.push(name + '=' + vals.map(esc).join(how === 'comma' ? ',' : '%2C'));
    };
    const instants = {
      after: ['0000-01-01T00:00:00%2B01:00', '1999-12-31T23:59:59.9999-05:30', '2000-01-01t00:00:00z', '0001-01-01T00:00:00Z', '1970-01-01T00:00:00.000000001%2B00:01'],
      before: ['9999-12-31T23:59:59-05:00', '2999-01-01T00:00:00.5%2B14:00', '9999-12-31T23:59:59.999Z'],
    };
    let checked = 0;
    for (let n = 0; n < 60; n++) {
      const parts = [];
      const used = new Set();
      if (rand() < 0.5) { put(parts, 'status', some(['completed', 'failed', 'no_answer', 'busy', 'unknown', 'completed'], 4)); used.add('status'); }
      if (rand() < 0.3) { put(parts, 'direction', some(['inbound', 'outbound'], 3)); used.add('direction'); }
      if (rand() < 0.3) { put(parts, 'type', some(['phone', 'web'], 3)); used.add('type'); }
      if (rand() < 0.3) {
        const odd = () => pick(['x y', 'a+b', 'é/ü?', "it's(1)*", 'A'.repeat(250), '~-._:@!$;']) + Math.floor(rand() * 1000);
        put(parts, 'agent_id', [...some(agents, 6), ...some([0, 1, 2].map(odd), 3)]);
        used.add('agent_id');
      }
      if (rand() < 0.5) { parts.push('started_after=' + pick(instants.after)); used.add('started_after'); }
      if (rand() < 0.5) { parts.push('started_before=' + pick(instants.before)); used.add('started_before'); }
      if (rand() < 0.3) { parts.push('min_duration_ms=' + pick(['0', '1', '10'])); used.add('min_duration_ms'); }
      if (rand() < 0.3) { parts.push('max_duration_ms=' + pick(['9007199254740991', '86400000', '99999999999999'])); used.add('max_duration_ms'); }
      if (rand() < 0.2) { put(parts, 'phone', some(['+1', '1', '+15550', '0', '555'], 3), (v) => v.replace(/\+/g, '%2B')); used.add('phone'); }
      if (rand() < 0.2) { put(parts, 'q', some(['the', 'a', 'e', 'call back', 'ok'], 3)); used.add('q'); }
      if (rand() < 0.3) { parts.push('include_test=' + pick(['true', 'false'])); }
      if (rand() < 0.5) parts.push('order=' + pick(['asc', 'desc']));
      if (rand() < 0.3) parts.push('include=raw');
      if (rand() < 0.3) parts.push('partial=' + pick(['allow', 'deny']));
      parts.push('limit=' + pick(['1', '2', '5', '17']));
      // only providers that take every filter used
      const ok = caps.filter((p) => !p.capabilities.filters_unsupported.some((f) => used.has(f))).map((p) => p.name);
      if (ok.length === 0) continue;
      if (rand() < 0.7) put(parts, 'provider', some(ok, 4));
      else if (ok.length < caps.length) put(parts, 'provider', ok);
      // shuffled: the Link is canonical whatever the order given
      for (let i = parts.length - 1; i > 0; i--) { const j = Math.floor(rand() * (i + 1)); [parts[i], parts[j]] = [parts[j], parts[i]]; }
      const qs = parts.join('&');
      if (await checkLink(server, qs, qs)) checked++;
    }
    assert.ok(checked >= 20, `only ${checked} queries had a next page`);
  } finally { await server.stop(); }
});

// ---- long provider tokens ------------------------------------------------

test('three Verbex providers with 500-byte page tokens: cursors under 2 KB that page to the end', async () => {
  const names = ['vx-a', 'vx-b', 'vx-c'];
  const sim3 = await startSim({ seed: 5, size: 20, args: names.flatMap((n) => ['--provider', n + '=verbex']) });
  const text = simConfig(sim3.port, { providers: names, kinds: Object.fromEntries(names.map((n) => [n, 'verbex'])) });
  const server = await startServer(writeConfig(tmpdir(), text));
  try {
    const { records: recs } = await loadRecords(sim3);
    for (const n of names) await sim3.control(n + '/token', 'POST', { bytes: 500 });
    const q = { limit: ['3'] };
    const out = [];
    let cursor = null, pages = 0;
    for (;;) {
      const r = await server.request('/calls?' + toQueryString(cursor ? { ...q, cursor: [cursor] } : q));
      assert.equal(r.status, 200, `page ${pages}: ${r.text}`);
      const b = json(r);
      out.push(...b.data);
      if (!b.page.has_more) break;
      cursor = b.page.next_cursor;
      assert.ok(cursor.length < 2048, `a cursor of ${cursor.length} characters`);
      assert.ok(++pages < 100);
    }
    assert.deepEqual(out.map((x) => x.id), expect(recs, q).map((x) => x.id), 'every call once, in order');
    // the providers did hand out (and get back) 500-byte tokens
    const sent = (await sim3.log('vx-a')).flatMap((e) => [].concat(e.query.page_token ?? []));
    assert.ok(sent.length > 0 && sent.every((t) => t.length === 500), 'tokens of ' + [...new Set(sent.map((t) => t.length))]);

    // tokens that are not base64url take their full length: three do not
    // fit, and the answer names a provider (502), never a 500
    await sim3.reset();
    for (const n of names) await sim3.control(n + '/token', 'POST', { bytes: 500, opaque: true });
    // (the first page resumes from the providers' first pages; the
    // tokens come into the cursor once a page of each is consumed)
    for (const extra of [{}, { partial: ['allow'] }]) {
      let c = null, r, n = 0;
      for (;;) {
        r = await server.request('/calls?' + toQueryString({ ...q, ...extra, ...(c ? { cursor: [c] } : {}) }));
        if (r.status !== 200) break;
        c = json(r).page.next_cursor;
        assert.ok(c && ++n < 100, 'the walk ended without reaching the long tokens');
      }
      assert.equal(r.status, 502, r.text);
      const b = json(r);
      assert.equal(b.code, 'PROVIDER_BAD_RESPONSE');
      assert.ok(names.includes(b.provider), r.text);
      assert.match(b.detail, /500 bytes.*do not fit in one cursor/);
    }
    // two of them fit
    const q2 = { limit: ['3'], provider: ['vx-a', 'vx-b'] };
    let c2 = null, got = 0;
    for (;;) {
      const r2 = await server.request('/calls?' + toQueryString(c2 ? { ...q2, cursor: [c2] } : q2));
      assert.equal(r2.status, 200, r2.text);
      const b2 = json(r2);
      got += b2.data.length;
      if (!b2.page.has_more) break;
      c2 = b2.page.next_cursor;
      assert.ok(c2.length < 2048);
    }
    assert.equal(got, expect(recs, q2).length);
  } finally {
    await server.stop();
    await sim3.stop();
  }
});
