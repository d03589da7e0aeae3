// The elevenlabs kind end to end against its simulator: cursor walks that
// end on has_more alone (the last page's stale cursor is never followed),
// a repeated cursor, whole-second bounds pushed one second wider and
// re-checked, status pushed as exclusions, the filters it refuses, and
// ascending order through time windows without reading the whole history.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { spawnSync } from 'node:child_process';
import { bin, root, tmpdir, writeConfig, simConfig, startServer, startSim, json } from '../lib/callnorm.mjs';
import { expect, toQueryString } from '../lib/oracle.mjs';
import { loadRecords, walk } from '../lib/walk.mjs';


let sim, server, records;
const P = 'el';

before(async () => {
  // 250 conversations: three pages of 100 upstream
  sim = await startSim({ seed: 17, size: 250, args: ['--provider', `${P}=elevenlabs`] });
  const cfg = simConfig(sim.port, { providers: [P], kinds: { [P]: 'elevenlabs' }, main: 'max_upstream_requests = 50\n' });
  server = await startServer(writeConfig(tmpdir(), cfg));
  ({ records } = await loadRecords(sim));
});
after(async () => { await server?.stop(); await sim?.stop(); });

const ids = (xs) => xs.map((x) => x.id);
function check(q, out) {
  const want = expect(records, q);
  assert.deepEqual(ids(out), ids(want), 'ids and order for ' + toQueryString(q));
  assert.deepEqual(out, want, 'records for ' + toQueryString(q));
}

test('newest first: every conversation once, in order, at several limits', async () => {
  for (const limit of ['1', '7', '99', '100', '101', '1000']) {
    const q = { provider: [P], limit: [limit] };
    if (limit === '1') q.status = ['failed']; // a one-by-one walk, kept short
    const { out } = await walk(server, q);
    check(q, out);
  }
});

test('has_more=false ends the walk: the stale last cursor is never sent', async () => {
  await sim.clearLog();
  const b = json(await server.request(`/calls?provider=${P}&limit=1000`));
  assert.equal(b.data.length, 250);
  assert.equal(b.page.has_more, false);
  const log = await sim.log(P);
  assert.equal(log.length, 3, 'three pages of 100, then the end');
  // the simulator's last page carries a cursor; callnorm does not follow it
  const last = await sim.control(`${P}/log`);
  assert.equal(last[2].status, 200);
  const cursors = log.map((e) => e.query.cursor ?? null);
  assert.equal(cursors[0], null);
  assert.equal(new Set(cursors).size, 3);
  assert.ok(log.every((e) => e.query.page_size === '100' && e.headers['xi-api-key'] === `sim-${P}-key`));
});

test('a cursor the provider sends back unchanged is PROVIDER_PAGINATION_STUCK', async () => {
  await sim.reset();
  await server.request(`/calls?provider=${P}&limit=5`); // something to repeat
  await sim.control(`${P}/fault`, 'POST', { mode: 'repeat', count: -1 });
  try {
    const r = await server.request(`/calls?provider=${P}&limit=300`);
    assert.equal(r.status, 502, r.text);
    assert.equal(json(r).code, 'PROVIDER_PAGINATION_STUCK');
    assert.equal(json(r).provider, P);
  } finally { await sim.reset(); }
});

test('time bounds: whole seconds, pushed one second wider, re-checked to the millisecond', async () => {
  // a second that several conversations share, and bounds inside it
  const bySec = new Map();
  for (const r of records) {
    const s = r.expected.started_at;
    bySec.set(s, (bySec.get(s) || 0) + 1);
  }
  const tie = [...bySec.entries()].find(([, n]) => n > 1)[0];
  const t = Date.parse(tie);
  for (const [after, before] of [
    [t, t + 1], [t + 1, t + 1000], [t - 1, t + 1], [t + 500, t + 600000], [t - 86400000, t],
  ]) {
    const q = { provider: [P], limit: ['100'], started_after: [new Date(after).toISOString()], started_before: [new Date(before).toISOString()] };
    await sim.clearLog();
    const { out } = await walk(server, q);
    check(q, out);
    const e = (await sim.log(P))[0];
    assert.equal(e.query.call_start_after_unix, String(Math.floor(after / 1000) - 1), toQueryString(q));
    assert.equal(e.query.call_start_before_unix, String(Math.ceil(before / 1000) + 1), toQueryString(q));
  }
  // the edge conversation is in exactly when its millisecond is
  const q = { provider: [P], limit: ['100'], started_after: [tie] };
  const { out } = await walk(server, q);
  assert.ok(out.some((c) => c.started_at === tie));
  check(q, out);
});

test('status goes out as exclusions; durations one second wider; the answer is exact', async () => {
  for (const f of [
    { status: ['completed'] }, { status: ['queued', 'failed'] }, { status: ['in_progress'] }, { status: ['unknown'] },
    { min_duration_ms: ['60500'] }, { max_duration_ms: ['30000'] }, { min_duration_ms: ['0'], max_duration_ms: ['999'] },
    { agent_id: [records[0].expected.agent.id] }, { agent_id: [records[0].expected.agent.id, records[1].expected.agent.id] },
    { type: ['phone'] }, { type: ['web'] }, { direction: ['inbound'] }, { direction: ['outbound'] },
  ]) {
    const q = { provider: [P], limit: ['60'], ...f };
    const { out } = await walk(server, q);
    check(q, out);
  }
  await sim.clearLog();
  await server.request(`/calls?provider=${P}&status=completed&min_duration_ms=60500&max_duration_ms=120000&limit=5`);
  const e = (await sim.log(P))[0];
  assert.deepEqual([].concat(e.query.exclude_statuses), ['initiated', 'in-progress', 'failed']);
  assert.equal(e.query.call_duration_min_secs, '60');
  assert.equal(e.query.call_duration_max_secs, '121');
});

test('a status ElevenLabs never has asks it nothing', async () => {
  await sim.clearLog();
  const b = json(await server.request(`/calls?provider=${P}&status=busy,voicemail`));
  assert.deepEqual(b.data, []);
  assert.equal((await sim.log(P)).length, 0);
});

test('phone and q are UNSUPPORTED_FILTER naming the provider', async () => {
  for (const f of ['phone=%2B1555', 'q=refund']) {
    const r = await server.request(`/calls?provider=${P}&${f}`);
    assert.equal(r.status, 400, f);
    assert.equal(json(r).code, 'UNSUPPORTED_FILTER');
    assert.ok(json(r).detail.includes(P), json(r).detail);
  }
});

test('records: agent version ids, null phone numbers, ended_at only once over', async () => {
  const b = json(await server.request(`/calls?provider=${P}&limit=250&include=raw`));
  for (const c of b.data) {
    assert.equal(c.from, null);
    assert.equal(c.to, null);
    assert.equal(c.agent.version, c.raw.version_id ?? null);
    const over = ['processing', 'done', 'failed'].includes(c.raw.status);
    assert.equal(c.ended_at === null, !over, c.id);
  }
  assert.ok(b.data.some((c) => typeof c.agent.version === 'string'));
});

test('conversations starting during a newest-first walk: no duplicate, no gap', async () => {
  try {
    const q = { provider: [P], limit: ['9'] };
    const want = expect(records, q);
    const { out } = await walk(server, q, { between: async (n) => { await sim.control(`${P}/insert`, 'POST', { count: 1 + (n % 3) }); } });
    assert.deepEqual(ids(out), ids(want));
  } finally { await sim.reset(); }
});

test('a first page larger than asked for (page_size ignored) keeps the walk exact', async () => {
  try {
    await sim.control(`${P}/quirk`, 'POST', { first_page_default: true });
    for (const limit of ['3', '10', '29']) {
      const q = { provider: [P], limit: [limit] };
      const { out } = await walk(server, q);
      check(q, out);
    }
  } finally { await sim.reset(); }
});

test('401 from ElevenLabs is PROVIDER_AUTH_FAILED', async () => {
  const cfg = simConfig(sim.port, { providers: [P], kinds: { [P]: 'elevenlabs' } }).replace(`sim-${P}-key`, 'wrong');
  const s2 = await startServer(writeConfig(tmpdir(), cfg));
  try {
    const r = await s2.request(`/calls?provider=${P}`);
    assert.equal(r.status, 502);
    assert.equal(json(r).code, 'PROVIDER_AUTH_FAILED');
    assert.equal(json(r).provider_status, 401);
  } finally { await s2.stop(); }
});

test('provider failures in the ElevenLabs shapes map to the documented codes', async () => {
  const cases = [
    [{ mode: 'status:403' }, 502, 'PROVIDER_AUTH_FAILED', 403],
    [{ mode: 'status:429', retry_after: '0' }, 429, 'PROVIDER_RATE_LIMITED', 429],
    [{ mode: 'status:503' }, 502, 'PROVIDER_UNAVAILABLE', 503],
    [{ mode: 'status:404' }, 502, 'PROVIDER_BAD_RESPONSE', 404],
    [{ mode: 'malformed' }, 502, 'PROVIDER_BAD_RESPONSE'],
    [{ mode: 'wrongtypes' }, 502, 'PROVIDER_BAD_RESPONSE'],
    [{ mode: 'truncated' }, 502, 'PROVIDER_BAD_RESPONSE'],
    [{ mode: 'deep' }, 502, 'PROVIDER_BAD_RESPONSE'],
    [{ mode: 'redirect' }, 502, 'PROVIDER_BAD_RESPONSE'],
  ];
  try {
    for (const [fault, status, code, upstream] of cases) {
      await sim.control(`${P}/fault`, 'POST', { count: -1, ...fault });
      const r = await server.request(`/calls?provider=${P}&limit=5`);
      assert.equal(r.status, status, fault.mode + ' ' + r.text);
      assert.equal(json(r).code, code, fault.mode);
      assert.equal(json(r).provider, P);
      if (upstream) assert.equal(json(r).provider_status, upstream, fault.mode);
    }
  } finally { await sim.reset(); }
});

test('one call in full is one GET of the conversation; an unknown one is CALL_NOT_FOUND', async () => {
  await sim.clearLog();
  const nid = records[0].expected.native_id;
  const r = await server.request(`/calls/${P}:${nid}`);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.headers['cache-control'], 'private, no-store');
  assert.equal(json(r).data.id, `${P}:${nid}`);
  const log = await sim.log(P);
  assert.equal(log.length, 1);
  assert.equal(log[0].method, 'GET');
  assert.equal(log[0].path, `/${P}/v1/convai/conversations/${nid}`);
  assert.equal(log[0].headers['xi-api-key'], `sim-${P}-key`);
  const nf = await server.request(`/calls/${P}:conv_no_such`);
  assert.equal(nf.status, 404, nf.text);
  assert.equal(json(nf).code, 'CALL_NOT_FOUND');
  assert.equal(json(nf).provider, P);
});

test('start_lag_ms and api_secret are refused on elevenlabs', () => {
  for (const extra of ['start_lag_ms = 1000\n', 'api_secret = s\n']) {
    const cfg = simConfig(sim.port, { providers: [P], kinds: { [P]: 'elevenlabs' } }).replace('timeout_ms = 3000\n', 'timeout_ms = 3000\n' + extra);
    const p = writeConfig(tmpdir(), cfg);
    const r = spawnSync(bin, ['-c', p, '--check-config'], { env: { PATH: process.env.PATH } });
    assert.equal(r.status, 78, extra + r.stderr);
  }
  assert.ok(fs.existsSync(root + '/docs/providers-elevenlabs.md'));
});

test('ascending: every conversation once, oldest first, at several limits', async () => {
  for (const limit of ['7', '100', '1000']) {
    const q = { provider: [P], order: ['asc'], limit: [limit] };
    const { out } = await walk(server, q);
    check(q, out);
  }
  for (const f of [{ status: ['completed'] }, { started_after: [records[120].expected.started_at] },
    { started_after: ['2026-02-01T00:00:00.500Z'], started_before: ['2026-03-01T00:00:00.500Z'] }]) {
    const q = { provider: [P], order: ['asc'], limit: ['20'], ...f };
    const { out } = await walk(server, q);
    check(q, out);
  }
});

test('ascending from started_after does not read the whole history', async () => {
  // a large account, a bound near its newest end
  const big = await startSim({ seed: 23, size: 5000, args: ['--provider', `${P}=elevenlabs`] });
  const cfg = simConfig(big.port, { providers: [P], kinds: { [P]: 'elevenlabs' }, main: 'max_upstream_requests = 50\n' });
  const s2 = await startServer(writeConfig(tmpdir(), cfg));
  try {
    const { records: recs } = await loadRecords(big);
    const after = recs[40].expected.started_at; // the 41 newest
    const q = { provider: [P], order: ['asc'], limit: ['100'], started_after: [after] };
    await big.clearLog();
    const { out } = await walk(s2, q);
    assert.deepEqual(ids(out), ids(expect(recs, q)));
    const log = await big.log(P);
    // the whole history is 50 pages of 100: a bounded walk reads a few
    console.log(`# ${log.length} upstream requests for ${out.length} of ${recs.length} conversations`);
    assert.ok(log.length <= 10, `${log.length} upstream requests`);
    assert.ok(log.every((e) => Number(e.query.call_start_after_unix) >= Math.floor(Date.parse(after) / 1000) - 1));
  } finally { await s2.stop(); await big.stop(); }
});

test('ascending while conversations start: no duplicate, no gap', async () => {
  try {
    const q = { provider: [P], order: ['asc'], limit: ['11'] };
    const want = expect(records, q);
    const { out } = await walk(server, q, { between: async (n) => { await sim.control(`${P}/insert`, 'POST', { count: 1 + (n % 2) }); } });
    assert.deepEqual(ids(out), ids(want));
  } finally { await sim.reset(); }
});
