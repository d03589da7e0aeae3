// Concurrent requests in opposite orders on one multi-threaded server:
// each request sorts its buffered records in its own order, so every
// page of every walk is in the order it asked for and every walk
// returns exactly the records the data set says, however the threads
// interleave.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { tmpdir, writeConfig, simConfig, startServer, startSim, json, KINDS } from '../lib/callnorm.mjs';
import { expect, toQueryString } from '../lib/oracle.mjs';
import { loadRecords } from '../lib/walk.mjs';

const THREADS = Math.max(4, Number(process.env.CALLNORM_THREADS || 0));
// walks at once, and rounds of them: enough overlap to show a shared
// sort order within seconds
const CONCURRENT = 2 * THREADS;
const ROUNDS = Number(process.env.CALLNORM_RACE_ROUNDS || 6);

let sim, server;
// A corrupted sort can leave a request thread spinning, which a graceful
// stop waits for: a bounded wait, then SIGKILL.
after(async () => {
  if (server) {
    const t = setTimeout(() => server.child.kill('SIGKILL'), 20000);
    await server.stop();
    clearTimeout(t);
  }
  await sim?.stop();
});

// -1, 0, 1 as the order asks: started_at (none first ascending, last
// descending), then provider and id ascending either way.
function cmp(order, a, b) {
  const ta = a.started_at === null ? null : Date.parse(a.started_at);
  const tb = b.started_at === null ? null : Date.parse(b.started_at);
  if (ta !== tb) {
    let c;
    if (ta === null) c = -1;
    else if (tb === null) c = 1;
    else c = ta < tb ? -1 : 1;
    return order === 'asc' ? c : -c;
  }
  if (a.provider !== b.provider) return a.provider < b.provider ? -1 : 1;
  return a.native_id < b.native_id ? -1 : a.native_id > b.native_id ? 1 : 0;
}

// One full walk; every page checked for its order as it arrives.
async function walkChecked(q, label) {
  const out = [];
  let cursor = null;
  for (let n = 0; ; n++) {
    const qq = cursor ? { ...q, cursor: [cursor] } : q;
    const r = await server.request('/calls?' + toQueryString(qq));
    assert.equal(r.status, 200, `${label} page ${n}: ${r.text}`);
    const b = json(r);
    for (let i = 1; i < b.data.length; i++)
      assert.ok(cmp(q.order[0], b.data[i - 1], b.data[i]) < 0,
        `${label} page ${n}: ${b.data[i - 1].id} (${b.data[i - 1].started_at}) then ${b.data[i].id} (${b.data[i].started_at})`);
    if (out.length > 0 && b.data.length > 0)
      assert.ok(cmp(q.order[0], out[out.length - 1], b.data[0]) < 0, `${label}: page ${n} starts out of order`);
    out.push(...b.data);
    if (!b.page.has_more) return out;
    cursor = b.page.next_cursor;
    assert.ok(n < 1000, `${label}: more than 1000 pages`);
  }
}

// 2,000 calls in all, whatever the number of kinds: the same work per
// run as kinds are added (ThreadSanitizer makes every page slow).
const SIZE = Math.max(100, Math.round(2000 / KINDS.length));

test(`asc and desc walks at once on ${THREADS} threads: every page ordered, every walk complete`, { timeout: 360000 }, async () => {
  sim = await startSim({ seed: 77, size: SIZE });
  const config = writeConfig(tmpdir(), simConfig(sim.port, { providers: KINDS }));
  server = await startServer(config, { threads: THREADS });
  const { records } = await loadRecords(sim);
  const queries = [];
  for (const order of ['asc', 'desc'])
    for (const limit of ['100', '250'])
      queries.push({ order: [order], limit: [limit], include_test: ['true'] });
  const want = queries.map((q) => expect(records, q).map((x) => x.id));
  assert.ok(want[0].length >= 1500, `the data set has ${want[0].length} records`);
  for (let round = 0; round < ROUNDS; round++) {
    await Promise.all(Array.from({ length: CONCURRENT }, async (_, i) => {
      const k = i % queries.length;
      const label = `round ${round} walk ${i} ${toQueryString(queries[k])}`;
      const got = (await walkChecked(queries[k], label)).map((x) => x.id);
      assert.equal(got.length, want[k].length, `${label}: ${got.length} of ${want[k].length} records`);
      assert.deepEqual(got, want[k], label);
    }));
  }
  assert.equal(server.child.exitCode, null, 'the server is still running');
});
