// GET /calls/{id} behind a real nginx: ids as a browser or curl sends them
// (percent-encoded, decoded once by nginx into PATH_INFO), each seed kind
// read from the list and then in full, and the normalized transcript
// checked against the simulator's own data; the errors of the route, its
// Cache-Control, and that recording URLs and transcripts stay out of the
// log.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it, before, after } from 'node:test';
import * as W from '../lib/webservers.mjs';

const skip = W.missing('nginx');
const DETAIL_KINDS = ['verbex', 'voicy', 'osvi', 'zudu', 'retell', 'vapi', 'elevenlabs', 'bland', 'twilio'];
// Record keys only the detail carries (null in the list): checked against
// the simulator alone.
const DETAIL_ONLY = { elevenlabs: ['from', 'to'] };
const RECORD_KEYS = ['id', 'provider', 'provider_kind', 'native_id', 'type', 'direction', 'status', 'end_reason', 'provider_status', 'from', 'to',
  'agent', 'started_at', 'ended_at', 'duration_ms', 'is_test', 'campaign_id', 'tags', 'metadata'];

function assertPrivate(r) {
  assert.equal(r.headers['cache-control'], 'private, no-store', `Cache-Control of ${r.status} ${r.text.slice(0, 200)}`);
  assert.match(r.headers['x-request-id'] || '', W.RID_RE);
}

function assertDetailProblem(r, status, code) {
  assert.equal(r.status, status, r.text);
  assert.match(r.headers['content-type'] || '', /^application\/problem\+json/);
  assertPrivate(r);
  const b = r.json();
  assert.equal(b.code, code, r.text);
  assert.equal(b.status, status);
  assert.equal(b.request_id, r.headers['x-request-id']);
  return b;
}

describe('GET /calls/{id} through nginx', { skip }, () => {
  const ctx = { auth: 'carol:carol-pw' };
  const procs = [];
  const seen = { urls: [], texts: [] };
  const get = (p, o = {}) => W.request(ctx.port, p, { auth: ctx.auth, ...o });
  const detailPath = (id, q = '') => '/api/calls/' + encodeURIComponent(id) + q;

  before(async () => {
    const dir = W.tmpdir('detail');
    ctx.dir = dir;
    ctx.sim = await W.startSim({ dir });
    procs.push(ctx.sim);
    const open = W.writeConfig(path.join(dir, 'open.conf'), { simPort: ctx.sim.port });
    const guarded = W.writeConfig(path.join(dir, 'access.conf'), { simPort: ctx.sim.port, access: W.ACCESS });
    const openSock = path.join(dir, 'open.sock');
    const authSock = path.join(dir, 'access.sock');
    ctx.log = path.join(dir, 'callnorm-open.log');
    procs.push(await W.startCallnorm({ config: open, socket: openSock, args: ['--threads', '4'], log: ctx.log }));
    procs.push(await W.startCallnorm({ config: guarded, socket: authSock, log: path.join(dir, 'callnorm-access.log') }));
    const HTPASSWD = W.htpasswd(path.join(dir, 'htpasswd'), W.USERS);
    ctx.port = await W.freePort();
    ctx.authPort = await W.freePort();
    ctx.nginx = await W.startNginx({
      dir,
      servers: [
        { port: ctx.port, vars: { SOCKET: openSock, HTPASSWD } },
        { port: ctx.authPort, vars: { SOCKET: authSock, HTPASSWD } },
      ],
    });
    procs.push(ctx.nginx);
  });

  after(async () => {
    await W.stopAll(procs.reverse());
    W.removeTmpdirs();
  });

  // The simulator's normalized detail for a native id (its own data, not
  // callnorm's driver).
  const expectedOf = async (name, nid) => (await ctx.sim.control('GET', `/${name}/detail?id=${encodeURIComponent(nid)}`)).expected;

  for (const kind of DETAIL_KINDS) {
    it(`${kind}: every call of a list page, then in full, matches the list and the simulator`, async () => {
      const list = await get(`/api/calls?provider=${kind}&limit=40`);
      assert.equal(list.status, 200, list.text);
      const calls = list.json().data;
      assert.ok(calls.length >= 20, `${kind}: ${calls.length} calls`);
      let withTurns = 0;
      let withRecording = 0;
      for (const rec of calls) {
        const t0 = Date.now();
        const r = await get(detailPath(rec.id));
        const t1 = Date.now();
        assert.equal(r.status, 200, `${rec.id}: ${r.text.slice(0, 300)}`);
        assertPrivate(r);
        const body = r.json();
        const d = body.data;
        // the call record exactly as the list maps it
        for (const k of RECORD_KEYS) if (!(DETAIL_ONLY[kind] || []).includes(k)) assert.deepEqual(d[k], rec[k], `${rec.id}: ${k}`);
        const want = await expectedOf(kind, rec.native_id);
        for (const k of RECORD_KEYS) assert.deepEqual(d[k], want[k], `${rec.id}: ${k} (simulator)`);
        assert.deepEqual(d.transcript, want.transcript, `${rec.id}: transcript`);
        assert.equal(d.summary, want.summary, `${rec.id}: summary`);
        assert.equal(d.recording_url, want.recording_url, `${rec.id}: recording_url`);
        assert.deepEqual(d.cost, want.cost, `${rec.id}: cost`);
        if (want.recording_expires_at && want.recording_expires_at.relative_s) {
          // counted from when the answer arrived: between our send and receive
          const at = Date.parse(d.recording_expires_at);
          const s = want.recording_expires_at.relative_s * 1000;
          assert.match(d.recording_expires_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
          assert.ok(at >= t0 + s - 1000 && at <= t1 + s + 1000, `${rec.id}: expires ${d.recording_expires_at} not ${s} ms after ${t0}..${t1}`);
        } else assert.equal(d.recording_expires_at, want.recording_expires_at, `${rec.id}: recording_expires_at`);
        assert.equal(d.raw, undefined, 'raw only when asked for');
        const meta = body.meta;
        assert.equal(meta.request_id, r.headers['x-request-id']);
        assert.equal(meta.providers.length, 1);
        assert.equal(meta.providers[0].name, kind);
        assert.equal(meta.providers[0].state, 'ok');
        assert.equal(meta.providers[0].upstream_requests, { osvi: 3, twilio: 2 }[kind] ?? 1);
        if (d.transcript && d.transcript.length) withTurns++;
        if (d.recording_url) {
          withRecording++;
          seen.urls.push(d.recording_url);
        }
        for (const t of d.transcript || []) if (t.text.length > 25) seen.texts.push(t.text);
      }
      // twilio keeps no transcript: every one is null (checked against the simulator above)
      if (kind === 'twilio') assert.equal(withTurns, 0);
      else assert.ok(withTurns > 0, `${kind}: some call has a transcript`);
      // elevenlabs: the audio is another endpoint, never read
      if (kind === 'elevenlabs') assert.equal(withRecording, 0);
      else assert.ok(withRecording > 0, `${kind}: some call has a recording`);
    });
  }

  it('osvi asks for the call, its transcript and its recording, and a missing recording is null', async () => {
    await ctx.sim.control('DELETE', '/osvi/log');
    const list = (await get('/api/calls?provider=osvi&limit=60&status=no_answer')).json().data;
    assert.ok(list.length > 0);
    const r = await get(detailPath(list[0].id));
    assert.equal(r.status, 200, r.text);
    const d = r.json().data;
    assert.equal(d.recording_url, null);
    assert.equal(d.recording_expires_at, null);
    assert.deepEqual(d.transcript, []);
    const log = await ctx.sim.control('GET', '/osvi/log');
    const parts = log.filter((e) => e.detail).map((e) => e.detail).sort();
    assert.deepEqual(parts, ['call', 'recording', 'transcript']);
    // in parallel: every part was asked for before the first was answered
    const ts = log.filter((e) => e.detail).map((e) => e.t);
    assert.ok(Math.max(...ts) - Math.min(...ts) < 1000, 'the parts are requested together');
  });

  it('include=raw carries each endpoint as sent, minus credentials, in lists and in details', async () => {
    // verbex web calls carry an access_token, voicy function calls the
    // headers they sent
    const ds = await W.request(ctx.sim.port, '/_control/verbex/dataset');
    const web = ds.json().records.find((x) => x.native.access_token);
    assert.ok(web, 'the simulator has a verbex web call with an access_token');
    const r = await get(detailPath('verbex:' + web.native._id, '?include=raw'));
    assert.equal(r.status, 200, r.text);
    const raw = r.json().data.raw;
    assert.deepEqual(Object.keys(raw), ['call']);
    assert.equal(raw.call._id, web.native._id);
    assert.equal(raw.call.access_token, undefined);
    assert.ok(!r.text.includes(web.native.access_token), 'the token is nowhere in the answer');
    const list = await get('/api/calls?provider=verbex&type=web&include=raw&limit=1000');
    assert.equal(list.status, 200, list.text);
    const page = list.json().data;
    assert.ok(page.length > 0);
    for (const c of page) assert.equal(c.raw.access_token, undefined, c.id);
    assert.ok(!list.text.includes('"access_token"'), 'no access_token in the list');
    assert.ok(page.some((c) => c.native_id === web.native._id));

    const vl = (await get('/api/calls?provider=voicy&limit=60')).json().data;
    let tools = 0;
    for (const c of vl) {
      const v = await get(detailPath(c.id, '?include=raw&include=raw'));
      assert.equal(v.status, 200, v.text);
      assert.ok(!v.text.includes('"headers"') && !v.text.includes('sk_live_crm_'), `${c.id}: no headers in raw`);
      const d = v.json().data;
      if ((d.transcript || []).some((t) => t.role === 'tool')) {
        tools++;
        assert.ok(d.raw.call.transcript.some((t) => t.function_invocation && t.function_invocation.url), 'the rest of the invocation stays');
      }
    }
    assert.ok(tools > 0, 'some voicy call used a tool');

    const ol = (await get('/api/calls?provider=osvi&limit=5')).json().data;
    const o = await get(detailPath(ol[0].id, '?include=raw'));
    assert.deepEqual(Object.keys(o.json().data.raw), ['call', 'transcript', 'recording']);
    assert.equal(o.json().data.raw.call.success, true, 'envelopes included');
  });

  it('talkover answers 501 DETAIL_UNSUPPORTED naming the provider, without asking it', async () => {
    await ctx.sim.control('DELETE', '/talkover/log');
    const list = (await get('/api/calls?provider=talkover&limit=1')).json().data;
    await ctx.sim.control('DELETE', '/talkover/log');
    const r = await get(detailPath(list[0].id));
    const b = assertDetailProblem(r, 501, 'DETAIL_UNSUPPORTED');
    assert.equal(b.provider, 'talkover');
    assert.deepEqual(await ctx.sim.control('GET', '/talkover/log'), []);
  });

  it('a call the provider does not have is 404 CALL_NOT_FOUND, each in its own way', async () => {
    for (const kind of DETAIL_KINDS) {
      const r = await get(detailPath(`${kind}:no-such-call`));
      const b = assertDetailProblem(r, 404, 'CALL_NOT_FOUND');
      assert.equal(b.provider, kind);
    }
  });

  it("an id's '/', '.', '..' and '?' stay inside one upstream path segment", async () => {
    await ctx.sim.control('DELETE', '/verbex/log');
    const cases = [
      ['verbex:abc/def', '/verbex/v1/calls/abc%2Fdef'],
      ['verbex:..', '/verbex/v1/calls/%2E%2E'],
      ['verbex:.', '/verbex/v1/calls/%2E'],
      ['verbex:../_control', '/verbex/v1/calls/%2E%2E%2F_control'],
      ['verbex:x?page_size=1#y', '/verbex/v1/calls/x%3Fpage_size%3D1%23y'],
      ['verbex:100%', '/verbex/v1/calls/100%25'],
    ];
    for (const [id, upstream] of cases) {
      await ctx.sim.control('DELETE', '/verbex/log');
      const r = await get(detailPath(id));
      assertDetailProblem(r, 404, 'CALL_NOT_FOUND');
      const log = await ctx.sim.control('GET', '/verbex/log');
      assert.deepEqual(log.map((e) => e.raw_path), [upstream], id);
    }
    // nginx resolves a decoded ".." segment itself: this one never
    // reaches callnorm as a call id
    await ctx.sim.control('DELETE', '/log');
    const r = await get(detailPath('verbex:x/../../_control/providers'));
    assert.equal(r.status, 404, r.text);
    assert.equal(r.json().code, 'NOT_FOUND');
    assert.deepEqual((await ctx.sim.control('GET', '/verbex/log')).filter((e) => e.detail), []);
  });

  it('malformed ids and any parameter but include=raw are 400 INVALID_ARGUMENT', async () => {
    await ctx.sim.control('DELETE', '/log');
    const bad = [
      '/api/calls/nocolon',
      '/api/calls/verbex%3A',
      '/api/calls/%3Aabc',
      '/api/calls/:',
      '/api/calls/verbex:caf%C3%A9',
      '/api/calls/verbex:%FF',
      '/api/calls/verbex:a%01b',
      '/api/calls/verbex:a%7Fb',
      '/api/calls/verbex:a%09b',
      '/api/calls/verbex:' + 'x'.repeat(294),
      '/api/calls/verbex:x?limit=5',
      '/api/calls/verbex:x?include=transcript',
      '/api/calls/verbex:x?include=',
      '/api/calls/verbex:x?include=raw&provider=verbex',
    ];
    for (const p of bad) {
      const b = assertDetailProblem(await get(p), 400, 'INVALID_ARGUMENT');
      assert.ok(Array.isArray(b.errors) && b.errors.length === 1, p);
    }
    // no id at all is no call route
    const none = await get('/api/calls/');
    assert.equal(none.status, 404);
    assert.equal(none.json().code, 'NOT_FOUND');
    // 300 bytes is still an id
    assertDetailProblem(await get('/api/calls/verbex:' + 'x'.repeat(293)), 404, 'CALL_NOT_FOUND');
    const providers = await ctx.sim.control('GET', '/providers');
    for (const p of providers.providers) {
      const log = await ctx.sim.control('GET', `/${p.name}/log`);
      assert.deepEqual(log.filter((e) => e.detail && e.raw_path.includes('x'.repeat(294))), [], 'a refused id is never sent');
    }
  });

  it('unknown providers, and providers the caller may not read, are 404 UNKNOWN_PROVIDER', async () => {
    assertDetailProblem(await get(detailPath('nosuch:abc')), 404, 'UNKNOWN_PROVIDER');
    const osvi = (await get('/api/calls?provider=osvi&limit=1')).json().data[0];
    // alice reads verbex and zudu; carol ('*') reads osvi
    assertDetailProblem(await W.request(ctx.authPort, detailPath(osvi.id), { auth: 'alice:alice-pw' }), 404, 'UNKNOWN_PROVIDER');
    const ok = await W.request(ctx.authPort, detailPath(osvi.id), { auth: 'carol:carol-pw' });
    assert.equal(ok.status, 200, ok.text);
    assertPrivate(ok);
  });

  it('a failing endpoint fails the detail as a list would fail (502, provider named), still private', async () => {
    const list = (await get('/api/calls?provider=osvi&limit=1')).json().data;
    await ctx.sim.control('POST', '/osvi/fault', { mode: 'status:500', count: -1 });
    try {
      const r = await get(detailPath(list[0].id));
      const b = assertDetailProblem(r, 502, 'PROVIDER_UNAVAILABLE');
      assert.equal(b.provider, 'osvi');
      assert.equal(b.provider_status, 500);
      assert.equal(b.providers[0].code, 'PROVIDER_UNAVAILABLE');
    } finally {
      await ctx.sim.control('DELETE', '/osvi/fault');
    }
    await ctx.sim.control('POST', '/zudu/fault', { mode: 'status:401', count: -1 });
    try {
      const z = (await get('/api/calls?provider=zudu&limit=1'));
      assert.equal(z.status, 502);
      const r = await get(detailPath('zudu:call_x'));
      assertDetailProblem(r, 502, 'PROVIDER_AUTH_FAILED');
    } finally {
      await ctx.sim.control('DELETE', '/zudu/fault');
    }
    const h = await get(detailPath(list[0].id), { method: 'HEAD' });
    assert.equal(h.status, 200);
    assertPrivate(h);
    const m = await get(detailPath(list[0].id), { method: 'POST', body: '' });
    assert.equal(m.status, 405);
    assertPrivate(m);
  });

  it('recording URLs and transcripts never reach the log', async () => {
    assert.ok(seen.urls.length > 10 && seen.texts.length > 10, `${seen.urls.length} URLs, ${seen.texts.length} turns seen`);
    // the log lines of every detail above are written by now
    await W.waitFor('callnorm to log the details', () => fs.readFileSync(ctx.log, 'utf8').includes('route=/calls/{id}'), {});
    const log = fs.readFileSync(ctx.log, 'utf8');
    for (const u of seen.urls) {
      assert.ok(!log.includes(u), `the log holds ${u}`);
      const q = u.indexOf('?');
      if (q > 0) assert.ok(!log.includes(u.slice(q + 1)), 'nor its signature');
    }
    for (const t of seen.texts) assert.ok(!log.includes(t), `the log holds "${t}"`);
    assert.ok(!log.includes('/calls/verbex:'), 'the log names the route, not the id');
  });
});
