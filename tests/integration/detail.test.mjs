// GET /calls/{id} over FastCGI, every answer validated against
// docs/openapi.yaml: each seed kind's detail against the simulator's own
// expected detail, include=raw, HEAD and other methods, the route's errors
// (malformed ids, parameters, access, unknown providers, unsupported
// kinds, calls that do not exist, failing, slow and rate-limited
// providers), and the request budget.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as C from '../lib/callnorm.mjs';

const KINDS = ['verbex', 'voicy', 'osvi', 'zudu', 'retell', 'vapi', 'elevenlabs', 'bland', 'twilio'];
// Record keys only the detail carries (the list has them null): they are
// checked against the simulator's expected detail instead.
const DETAIL_ONLY = { elevenlabs: ['from', 'to'] };
const RAW_PARTS = { osvi: ['call', 'transcript', 'recording'], twilio: ['call', 'recordings'] };
const RECORD_KEYS = ['id', 'provider', 'provider_kind', 'native_id', 'type', 'direction', 'status', 'end_reason', 'provider_status', 'from', 'to',
  'agent', 'started_at', 'ended_at', 'duration_ms', 'is_test', 'campaign_id', 'tags', 'metadata'];

describe('GET /calls/{id}', () => {
  let sim, srv, guarded, lean, dir;
  // PATH_INFO as a web server passes it: the id decoded once
  const detail = (server, id, q = '', opts = {}) =>
    server.request('/calls/' + encodeURIComponent(id) + q, { pathInfo: '/calls/' + id, ...opts });
  const problem = (r, status, code) => {
    assert.equal(r.status, status, r.text);
    assert.equal(r.headers['cache-control'], 'private, no-store');
    const b = C.json(r);
    assert.equal(b.code, code, r.text);
    return b;
  };

  before(async () => {
    sim = await C.startSim({ size: 80 });
    dir = C.tmpdir();
    srv = await C.startServer(C.writeConfig(dir, C.simConfig(sim.port, { timeoutMs: 2000 })));
    guarded = await C.startServer(C.writeConfig(dir, C.simConfig(sim.port, { extra: '[access]\nalice = verbex, osvi\n' }), 'guarded.conf'));
    lean = await C.startServer(C.writeConfig(dir, C.simConfig(sim.port, { main: 'max_upstream_requests = 2\nrequest_timeout_ms = 1500', timeoutMs: 800 }), 'lean.conf'));
  });
  after(async () => {
    for (const s of [srv, guarded, lean]) if (s) await s.stop();
    if (sim) await sim.stop();
  });

  for (const kind of KINDS) {
    it(`${kind}: list then detail, as the simulator expects`, async () => {
      const page = C.json(await srv.request(`/calls?provider=${kind}&limit=25`)).data;
      assert.ok(page.length >= 10);
      for (const rec of page) {
        const r = await detail(srv, rec.id);
        assert.equal(r.status, 200, r.text);
        const d = C.json(r).data;
        const want = (await sim.control(`${kind}/detail?id=${encodeURIComponent(rec.native_id)}`)).expected;
        for (const k of RECORD_KEYS) assert.deepEqual(d[k], (DETAIL_ONLY[kind] || []).includes(k) ? want[k] : rec[k], `${rec.id} ${k}`);
        assert.deepEqual(d.transcript, want.transcript, `${rec.id} transcript`);
        assert.equal(d.summary, want.summary);
        assert.equal(d.recording_url, want.recording_url);
        assert.deepEqual(d.cost, want.cost);
        if (!(want.recording_expires_at && want.recording_expires_at.relative_s)) assert.equal(d.recording_expires_at, want.recording_expires_at);
        else assert.ok(d.recording_expires_at !== null);
      }
      const raw = C.json(await detail(srv, page[0].id, '?include=raw')).data.raw;
      assert.deepEqual(Object.keys(raw), RAW_PARTS[kind] ?? ['call']);
      const h = await detail(srv, page[0].id, '', { method: 'HEAD' });
      assert.equal(h.status, 200);
      assert.equal(h.headers['cache-control'], 'private, no-store');
    });
  }

  it('retell: transfer_target turns are the user, cents are dollars, no talk is [] and no connection null', async () => {
    const recs = await sim.dataset('retell');
    const pick = (f) => {
      const r = recs.find((x) => f(x.native));
      assert.ok(r, 'the simulator has such a call');
      return r;
    };
    const full = async (nid) => {
      const r = await detail(srv, 'retell:' + nid, '?include=raw');
      assert.equal(r.status, 200, r.text);
      return C.json(r).data;
    };
    // a transferred call: the transfer target speaks, and is a user
    const tr = pick((n) => n.call_status === 'ended' && ['call_transfer', 'transfer_bridged'].includes(n.disconnection_reason) && n.duration_ms >= 60000);
    const d = await full(tr.native.call_id);
    const turns = d.raw.call.transcript_object;
    assert.ok(turns.some((t) => t.role === 'transfer_target'), 'the answer has transfer_target turns');
    assert.equal(d.transcript.length, turns.length);
    turns.forEach((t, i) => {
      assert.equal(d.transcript[i].role, t.role === 'agent' ? 'agent' : 'user', `turn ${i} (${t.role})`);
      assert.equal(d.transcript[i].text, t.content);
      assert.ok(Math.abs(d.transcript[i].offset_ms - t.words[0].start * 1000) <= 0.5, `turn ${i} offset`);
    });
    // combined_cost is in cents
    assert.deepEqual(d.cost, { amount: d.raw.call.call_cost.combined_cost / 100, currency: 'USD' });
    assert.equal(d.summary, d.raw.call.call_analysis.call_summary);
    // a live call has an empty transcript; one never connected has none
    const live = await full(pick((n) => n.call_status === 'ongoing').native.call_id);
    assert.deepEqual([live.transcript, live.summary, live.cost, live.recording_url], [[], null, null, null]);
    for (const st of ['registered', 'not_connected', 'error']) {
      const none = await full(pick((n) => n.call_status === st).native.call_id);
      assert.equal(none.transcript, null, st);
      assert.equal(none.raw.call.transcript_object, undefined, st);
    }
    // a web call's access_token stays out of raw
    const web = await full(pick((n) => n.call_type === 'web_call' && n.access_token).native.call_id);
    assert.equal(web.raw.call.access_token, undefined);
    assert.equal(web.raw.call.call_type, 'web_call');
  });

  it('vapi: the prompt is no turn, tools are, raw drops the credentials calls carry', async () => {
    const page = C.json(await srv.request('/calls?provider=vapi&limit=100')).data;
    let tools = 0, prompts = 0, keys = 0;
    for (const rec of page) {
      const r = await detail(srv, rec.id, '?include=raw');
      assert.equal(r.status, 200, r.text);
      const d = C.json(r).data;
      const msgs = d.raw.call.artifact?.messages ?? d.raw.call.messages;
      prompts += (msgs ?? []).filter((m) => m.role === 'system').length;
      assert.ok(!(d.transcript ?? []).some((t) => t.role === 'system'), rec.id);
      tools += (d.transcript ?? []).filter((t) => t.role === 'tool').length;
      // the simulator's calls carry provider keys, webhook secrets, a Twilio token
      const text = JSON.stringify(d.raw);
      for (const bad of ['sk-sim-', 'dg-sim-', 'cart-sim-', 'whsec-sim-', 'hook-token-', 'sim-auth-', 'sim-api-secret', 'sim-transport-token', 'tool-secret-']) assert.ok(!text.includes(bad), `${rec.id} raw has ${bad}`);
      keys += /"(credentials|headers|secret|twilioAuthToken|authToken)"/.test(text);
    }
    assert.ok(prompts > 0 && tools > 0, JSON.stringify({ prompts, tools }));
    assert.equal(keys, 0);
    // the native id is one escaped path segment of GET /call/{id}
    await sim.control('vapi/log', 'DELETE');
    problem(await detail(srv, 'vapi:../call?limit=5'), 404, 'CALL_NOT_FOUND');
    const log = await sim.control('vapi/log');
    assert.deepEqual(log.map((e) => e.raw_path), ['/vapi/call/%2E%2E%2Fcall%3Flimit%3D5']);
  });

  it('elevenlabs: the phone numbers only the detail carries follow the direction', async () => {
    const page = C.json(await srv.request('/calls?provider=elevenlabs&limit=40')).data;
    let phones = 0;
    for (const rec of page) {
      assert.equal(rec.from, null);
      assert.equal(rec.to, null);
      const b = C.json(await detail(srv, rec.id, '?include=raw'));
      const pc = b.data.raw.call.metadata.phone_call;
      if (!pc) {
        assert.equal(b.data.from, null);
        assert.equal(b.data.to, null);
        continue;
      }
      phones++;
      assert.equal(b.data.direction, pc.direction);
      const [from, to] = pc.direction === 'inbound' ? [pc.external_number, pc.agent_number] : [pc.agent_number, pc.external_number];
      assert.deepEqual([b.data.from, b.data.to], [from, to], rec.id);
      assert.match(b.data.from, /^\+1\d{10}$/);
      assert.equal(b.data.recording_url, null);
    }
    assert.ok(phones >= 3, 'some phone conversations');
  });

  it('bland: robot, assistant and agent-action roles, offsets from started_at, price in dollars, no dial no transcript', async () => {
    const recs = await sim.dataset('bland');
    const full = async (nid) => {
      const r = await detail(srv, 'bland:' + nid, '?include=raw');
      assert.equal(r.status, 200, r.text);
      return C.json(r).data;
    };
    const us = (t) => {
      const m = /^(.{19})(?:\.(\d{1,6}))?\+00:00$/.exec(t);
      return Date.parse(m[1] + 'Z') * 1000 + Number((m[2] || '').padEnd(6, '0'));
    };
    const seen = new Set();
    let checked = 0;
    for (const rec of recs.filter((x) => x.native.completed === true && x.native.call_length >= 1)) {
      const d = await full(rec.native.call_id);
      const call = d.raw.call;
      assert.equal(d.transcript.length, call.transcripts.length);
      call.transcripts.forEach((t, i) => {
        seen.add(t.user);
        const role = { user: 'user', assistant: 'agent', robot: 'agent', 'agent-action': 'tool' }[t.user];
        assert.deepEqual(d.transcript[i], { role, text: t.text, offset_ms: Math.floor((us(t.created_at) - us(call.started_at) + 500) / 1000) }, `turn ${i}`);
      });
      // the record's start stays created_at (as in lists), not started_at
      assert.equal(d.started_at, new Date(Math.floor(us(call.created_at) / 1000)).toISOString());
      assert.deepEqual(d.cost, { amount: call.price, currency: 'USD' });
      assert.equal(d.summary, call.summary);
      if (++checked >= 8 && seen.size === 4) break;
    }
    assert.deepEqual([...seen].sort(), ['agent-action', 'assistant', 'robot', 'user']);
    // a call never dialed has no transcripts at all, a canceled one an empty list
    const queued = recs.find((x) => ['queued', 'allocated', 'new'].includes(x.native.queue_status));
    assert.ok(queued, 'the simulator has a queued call');
    const q = await full(queued.native.call_id);
    assert.deepEqual([q.transcript, q.summary, q.cost, q.recording_url], [null, null, null, null]);
    const canceled = recs.find((x) => x.native.queue_status === 'canceled' && x.native.completed === false);
    assert.deepEqual((await full(canceled.native.call_id)).transcript, []);
  });

  it('other methods are 405 with Allow, still private', async () => {
    for (const method of ['POST', 'DELETE']) {
      const r = await detail(srv, 'verbex:x', '', { method });
      problem(r, 405, 'METHOD_NOT_ALLOWED');
      assert.equal(r.headers.allow, 'GET, HEAD');
    }
  });

  it('talkover is 501 DETAIL_UNSUPPORTED; unknown calls are 404 CALL_NOT_FOUND', async () => {
    const t = C.json(await srv.request('/calls?provider=talkover&limit=1')).data[0];
    assert.equal(problem(await detail(srv, t.id), 501, 'DETAIL_UNSUPPORTED').provider, 'talkover');
    for (const kind of KINDS) assert.equal(problem(await detail(srv, `${kind}:nope`), 404, 'CALL_NOT_FOUND').provider, kind);
  });

  it('malformed ids and parameters are 400 INVALID_ARGUMENT, unknown providers 404', async () => {
    for (const id of ['nocolon', 'verbex:', ':x', 'verbex:caf\u00e9', 'verbex:a\u0001b', 'verbex:' + 'y'.repeat(294)]) {
      const r = await srv.request('/calls/' + encodeURIComponent(id), { pathInfo: '/calls/' + Buffer.from(id, 'utf8').toString('latin1') });
      const b = problem(r, 400, 'INVALID_ARGUMENT');
      assert.equal(b.errors[0].parameter, 'id', id);
    }
    // no id at all is no call route
    assert.equal(C.json(await srv.request('/calls/')).code, 'NOT_FOUND');
    for (const q of ['?limit=1', '?include=raw&x=1', '?include=all', '?include']) {
      const b = problem(await detail(srv, 'verbex:x', q), 400, 'INVALID_ARGUMENT');
      assert.equal(b.errors.length, 1, q);
    }
    problem(await detail(srv, 'nosuch:x'), 404, 'UNKNOWN_PROVIDER');
  });

  it('access as for lists: 403 without REMOTE_USER, another provider is unknown', async () => {
    const v = C.json(await srv.request('/calls?provider=verbex&limit=1')).data[0];
    const z = C.json(await srv.request('/calls?provider=zudu&limit=1')).data[0];
    problem(await detail(guarded, v.id), 403, 'ACCESS_DENIED');
    problem(await detail(guarded, z.id, '', { remoteUser: 'alice' }), 404, 'UNKNOWN_PROVIDER');
    problem(await detail(guarded, z.id, '', { remoteUser: 'bob' }), 404, 'UNKNOWN_PROVIDER');
    assert.equal((await detail(guarded, v.id, '', { remoteUser: 'alice' })).status, 200);
  });

  it('failing providers fail the detail as on /calls', async () => {
    const v = C.json(await srv.request('/calls?provider=voicy&limit=1')).data[0];
    const cases = [
      [{ mode: 'status:500', count: -1 }, 502, 'PROVIDER_UNAVAILABLE'],
      [{ mode: 'status:401', count: -1 }, 502, 'PROVIDER_AUTH_FAILED'],
      [{ mode: 'malformed', count: -1 }, 502, 'PROVIDER_BAD_RESPONSE'],
      [{ mode: 'status:429', count: -1, retry_after: '1' }, 429, 'PROVIDER_RATE_LIMITED'],
    ];
    for (const [fault, status, code] of cases) {
      await sim.control('voicy/fault', 'POST', fault);
      try {
        const r = await detail(srv, v.id);
        const b = problem(r, status, code);
        assert.equal(b.provider, 'voicy');
        if (status === 429) assert.match(r.headers['retry-after'], /^[0-9]+$/);
      } finally {
        await sim.control('voicy/fault', 'DELETE');
      }
    }
  });

  it('a provider that never answers is 504 PROVIDER_TIMEOUT within the deadline', async () => {
    const o = C.json(await lean.request('/calls?provider=osvi&limit=1')).data[0];
    await sim.control('osvi/fault', 'POST', { mode: 'hang', count: 1 });
    try {
      const t0 = Date.now();
      const r = await detail(lean, o.id);
      problem(r, 504, 'PROVIDER_TIMEOUT');
      assert.ok(Date.now() - t0 < 5000, 'within the deadline');
    } finally {
      await sim.control('osvi/fault', 'DELETE');
    }
  });

  it('metrics count the route and each endpoint read', async () => {
    const before = C.json(await lean.request('/calls?provider=osvi&limit=1')).data[0];
    const m0 = (await lean.request('/metrics')).text;
    const count = (text, re) => text.split('\n').filter((l) => re.test(l)).reduce((a, l) => a + Number(l.split(' ').pop()), 0);
    const route = /^callnorm_requests_total\{route="call",status="200"\}/;
    const up = /^callnorm_upstream_requests_total\{provider="osvi",outcome="ok"\}/;
    assert.equal((await detail(lean, before.id)).status, 200);
    const m1 = (await lean.request('/metrics')).text;
    assert.equal(count(m1, route) - count(m0, route), 1, m1);
    assert.equal(count(m1, up) - count(m0, up), 3, 'three endpoints');
  });

  it('twilio: a 404 on Recordings only nulls the recording; the media URL is on api.twilio.com', async () => {
    const page = C.json(await srv.request('/calls?provider=twilio&limit=100')).data;
    const canceled = page.find((c) => c.provider_status === 'canceled');
    assert.ok(canceled, 'the simulator lists a canceled call');
    const r = await detail(srv, canceled.id, '?include=raw');
    assert.equal(r.status, 200, r.text);
    const d = C.json(r).data;
    assert.equal(d.recording_url, null);
    assert.equal(d.transcript, null);
    assert.equal(d.raw.recordings.code, 20404);
    const done = page.filter((c) => c.provider_status === 'completed' && c.duration_ms > 0);
    assert.ok(done.length > 0);
    for (const c of done) {
      const x = C.json(await detail(srv, c.id, '?include=raw')).data;
      const first = x.raw.recordings.recordings.find((v) => v.status === 'completed');
      assert.equal(x.recording_url, 'https://api.twilio.com' + first.uri.replace(/\.json$/, '.mp3'));
      assert.equal(x.cost.currency, 'USD');
      assert.equal(x.cost.amount, -Number(x.raw.call.price));
    }
  });

  it('max_upstream_requests = 2 still reads all three OSVI endpoints', async () => {
    const o = C.json(await lean.request('/calls?provider=osvi&limit=1')).data[0];
    const r = await detail(lean, o.id);
    assert.equal(r.status, 200, r.text);
    assert.equal(C.json(r).meta.providers[0].upstream_requests, 3);
  });
});
