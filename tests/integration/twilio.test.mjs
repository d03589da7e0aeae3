// The twilio kind's own rules, end to end against the simulator: its
// config keys, Basic auth on the account's path, child legs left out,
// whole-GMT-day StartTime supersets, the second walk for calls not yet
// dialed, next_page_uri links that must lead back under base_url (a
// foreign one is never requested), small cursors, creation order with
// start_lag_ms, and order=asc by windows.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { spawnSync } from 'node:child_process';
import { bin, tmpdir, writeConfig, simConfig, startServer, startSim, json } from '../lib/callnorm.mjs';
import { expect } from '../lib/oracle.mjs';
import { loadRecords, walk } from '../lib/walk.mjs';
import { accountSid, apiKeySid } from '../../sim/kinds/twilio.mjs';

let sim, server, records, other, otherHits = 0;
const AC = accountSid('twilio');
before(async () => {
  sim = await startSim({ seed: 7, size: 150, args: ['--provider', 'twilio=twilio', '--provider', 'voicy=voicy'] });
  server = await startServer(writeConfig(tmpdir(), simConfig(sim.port, { providers: ['twilio', 'voicy'] })));
  ({ records } = await loadRecords(sim));
  // a second listener: a next_page_uri pointing here must never be requested
  other = http.createServer((req, res) => { otherHits++; res.end('{"calls":[],"next_page_uri":null}'); });
  await new Promise((r) => other.listen(0, '127.0.0.1', r));
});
after(async () => { await server?.stop(); await sim?.stop(); other?.close(); });

const q1 = (qs) => Object.fromEntries([...new URLSearchParams(qs)].map(([k, v]) => [k, v.split(',')]));
const ids = (xs) => xs.map((x) => x.id);
async function exact(qs, opts = {}) {
  const q = q1(qs);
  const { out } = await walk(server, q, { label: qs, ...opts });
  assert.deepEqual(ids(out), ids(expect(records, q)), qs);
  return out;
}
const checkConfig = (text) => {
  const p = writeConfig(tmpdir(), text);
  return spawnSync(bin, ['-c', p, '--check-config'], { env: { PATH: process.env.PATH, TW_SID: AC } });
};

test('config: account_sid is required and both SIDs are syntax-checked; they take env:', () => {
  const head = '[callnorm]\ncursor_key = test-cursor-key-0123456789abcdef0123\n\n[provider tw]\nkind = twilio\nbase_url = https://api.twilio.com\napi_key = k\n';
  let r = checkConfig(head);
  assert.equal(r.status, 78);
  assert.match(r.stderr.toString(), /:\d+: .*needs 'account_sid'/);
  for (const [line, key] of [['account_sid = AC123', 'account_sid'], ['account_sid = SK' + '0'.repeat(32), 'account_sid'],
    [`account_sid = ${AC}\napi_key_sid = ${AC}`, 'api_key_sid'], ['account_sid = AC' + 'g'.repeat(32), 'account_sid']]) {
    r = checkConfig(head + line + '\n');
    assert.equal(r.status, 78, line);
    assert.match(r.stderr.toString(), new RegExp(`:\\d+: ${key}: must be`), line);
  }
  r = checkConfig(head + 'account_sid = env:TW_SID\napi_key_sid = ' + apiKeySid('x') + '\nstart_lag_ms = 600000\n');
  assert.equal(r.status, 0, r.stderr.toString());
  assert.ok(!r.stdout.toString().includes(AC), 'the SID is never printed');
  // account_sid is a twilio key only
  r = checkConfig('[callnorm]\ncursor_key = test-cursor-key-0123456789abcdef0123\n\n[provider v]\nkind = voicy\nbase_url = https://x.example\napi_key = k\naccount_sid = ' + AC + '\n');
  assert.equal(r.status, 78);
});

test('the request: the account in the path under base_url, Basic auth, whole days, no child legs', async () => {
  await sim.clearLog();
  const b = json(await server.request('/calls?provider=twilio&limit=5&started_after=2026-03-10T15:00:00Z&started_before=2026-05-01T00:00:00Z'));
  const log = await sim.log('twilio');
  assert.ok(log.length >= 1);
  for (const e of log) {
    assert.equal(e.path, `/twilio/2010-04-01/Accounts/${AC}/Calls.json`);
    assert.equal(e.headers.authorization, 'Basic ' + Buffer.from(AC + ':sim-twilio-key').toString('base64'));
  }
  const timed = log.filter((e) => e.query.Status === undefined);
  const queued = log.filter((e) => e.query.Status === 'queued');
  assert.ok(timed.length >= 1 && queued.length >= 1, 'both walks: ' + JSON.stringify(log.map((e) => e.query)));
  for (const e of timed) {
    assert.equal(e.query['StartTime>'], '2026-03-10');
    assert.equal(e.query['StartTime<'], '2026-05-01');
  }
  for (const e of queued) assert.equal(e.query['StartTime>'], undefined);
  assert.deepEqual(b.meta.providers[0].filters_pushed_down, ['started_after', 'started_before']);
  assert.equal(b.page.total_count, null);
});

test('API key: the key SID is the Basic user', async () => {
  const cfg = simConfig(sim.port, { providers: ['twilio'] }).replace(`account_sid = ${AC}\n`, `account_sid = ${AC}\napi_key_sid = ${apiKeySid('twilio')}\n`);
  const s2 = await startServer(writeConfig(tmpdir(), cfg));
  try {
    await sim.clearLog();
    const r = await s2.request('/calls?limit=3');
    assert.equal(r.status, 200, r.text);
    const [e] = await sim.log('twilio');
    assert.equal(e.headers.authorization, 'Basic ' + Buffer.from(apiKeySid('twilio') + ':sim-twilio-key').toString('base64'));
  } finally { await s2.stop(); }
});

test('every call exactly once, newest first, child legs left out, both providers merged', async () => {
  const kids = (await sim.dataset('twilio')).filter((r) => r.native.parent_call_sid !== null);
  assert.ok(kids.length > 5);
  for (const limit of ['7', '50']) {
    const out = await exact(`provider=twilio,voicy&limit=${limit}`);
    for (const k of kids) assert.ok(!out.some((c) => c.native_id === k.native.sid), 'child leg listed');
  }
});

test('day filters are supersets re-checked here; queued calls come from the second walk', async () => {
  const queued = records.filter((r) => r.provider === 'twilio' && r.expected.status === 'queued');
  assert.ok(queued.length >= 2);
  // a range around a queued call's creation (its started_at): it must be returned
  const t = Date.parse(queued[0].expected.started_at);
  const after = new Date(t - 3 * 86400e3 + 1234).toISOString(), before = new Date(t + 2 * 86400e3 - 4321).toISOString();
  const out = await exact(`provider=twilio&limit=4&started_after=${after}&started_before=${before}`);
  assert.ok(out.some((c) => c.native_id === queued[0].expected.native_id), 'the queued call is in its range');
  await exact(`provider=twilio&limit=100&started_after=${after}&status=queued,completed`);
  await exact(`provider=twilio&limit=10&started_before=${before}&status=queued`);
  await exact(`provider=twilio&limit=10&started_after=${after}&status=completed`);
  await exact('provider=twilio&limit=10&started_after=2026-03-01T00:00:00Z&started_before=2026-03-01T00:00:01Z');
});

test('filters: status pushed when one word, the rest local; q unsupported; agent_id matches nothing', async () => {
  await exact('provider=twilio&status=no_answer&limit=20');
  await exact('provider=twilio&status=busy,failed&direction=outbound&limit=20');
  await exact('provider=twilio&direction=inbound&min_duration_ms=60000&max_duration_ms=600000&limit=20');
  await exact('provider=twilio&phone=%2B44&limit=20');
  const u = json(await server.request('/calls?provider=twilio&q=refund'));
  assert.equal(u.code, 'UNSUPPORTED_FILTER');
  assert.match(JSON.stringify(u), /twilio/);
  await sim.clearLog();
  const a = json(await server.request('/calls?provider=twilio&agent_id=agent-1'));
  assert.deepEqual(a.data, []);
  assert.equal((await sim.log('twilio')).length, 0);
});

test('next_page_uri: a same-origin absolute link is followed; a foreign one is never requested', async () => {
  try {
    await sim.control('twilio/next-uri', 'POST', { prefix: `http://127.0.0.1:${sim.port}/twilio` });
    await exact('provider=twilio&limit=30');
    for (const prefix of [`http://127.0.0.1:${other.address().port}/twilio`, `//127.0.0.1:${other.address().port}/twilio`,
      `http://127.0.0.1:${sim.port}/elsewhere`, `https://127.0.0.1:${sim.port}/twilio`]) {
      await sim.control('twilio/next-uri', 'POST', { prefix });
      otherHits = 0;
      // a full first page makes callnorm need the next one
      const r = await server.request('/calls?provider=twilio&limit=20');
      const b = json(r);
      assert.equal(r.status, 502, prefix + ' ' + r.text.slice(0, 300));
      assert.equal(b.code, 'PROVIDER_BAD_RESPONSE');
      assert.equal(b.provider, 'twilio');
      assert.equal(otherHits, 0, 'the foreign link was requested');
    }
  } finally { await sim.control('twilio/next-uri', 'POST', { prefix: null }); }
});

test('cursors carry the PageToken only: small, and resumable across servers', async () => {
  let cursor = null, pages = 0;
  const seen = [];
  do {
    const r = json(await server.request('/calls?provider=twilio,voicy&limit=3' + (cursor ? '&cursor=' + cursor : '')));
    seen.push(...r.data.map((c) => c.id));
    cursor = r.page.next_cursor;
    if (cursor) assert.ok(cursor.length < 2048, 'cursor of ' + cursor.length + ' bytes');
  } while (cursor && ++pages < 5);
  assert.equal(new Set(seen).size, seen.length);
});

test('a provider that repeats its page is PROVIDER_PAGINATION_STUCK', async () => {
  await sim.control('twilio/fault', 'POST', { mode: 'repeat', count: -1 });
  try {
    const r = await server.request('/calls?provider=twilio&limit=300');
    assert.equal(json(r).code, 'PROVIDER_PAGINATION_STUCK');
  } finally { await sim.control('twilio/fault', 'DELETE'); }
});

test('order=asc: windows upward; bounded below, nothing older is read', async () => {
  await exact('provider=twilio&order=asc&limit=25');
  await exact('provider=twilio,voicy&order=asc&limit=10&status=completed,queued');
  await sim.clearLog();
  await exact('provider=twilio&order=asc&limit=20&started_after=2026-05-20T00:00:00Z');
  for (const e of await sim.log('twilio')) {
    if (e.query.Status === 'queued') continue;
    assert.ok(e.query['StartTime>'] >= '2026-05-20', 'read below the bound: ' + JSON.stringify(e.query));
  }
});

test('creation order: a call that starts later than start_lag_ms is still returned exactly once', async () => {
  const now = Date.now();
  // created 20 minutes ago, dialed 15 minutes after that (start_lag_ms is 5)
  const ins = await sim.control('twilio/insert', 'POST', { count: 1, at_ms: now - 20 * 60000, spec: { st: 'completed', lag_ms: 15 * 60000 } });
  const late = ins.records[0].expected;
  const fresh = await sim.control('twilio/insert', 'POST', { count: 3, at_ms: now - 60000, spec: { st: 'completed', lag_ms: 0 } });
  try {
    for (const order of ['desc', 'asc']) {
      const { out } = await walk(server, { provider: ['twilio'], order: [order], limit: ['4'] }, { label: 'late ' + order });
      assert.equal(out.filter((c) => c.id === late.id).length, 1, order + ': the late call exactly once');
      for (const f of fresh.records) assert.equal(out.filter((c) => c.id === f.expected.id).length, 1);
      assert.equal(new Set(ids(out)).size, out.length, order + ': no duplicate');
      const want = new Set(ids(expect([...records, ...[...ins.records, ...fresh.records].map((r) => ({ provider: 'twilio', expected: r.expected }))]
        .filter((r) => r.provider === 'twilio'), { provider: ['twilio'] })));
      assert.deepEqual(new Set(ids(out)), want, order + ': every call');
    }
  } finally { await sim.reset(); }
});
