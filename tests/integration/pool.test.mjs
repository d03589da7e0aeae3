// The request-thread pool: without --threads it grows past its initial
// size while slow requests keep every thread busy and shrinks back once
// idle; --threads N stays at N.  Seen in two independent ways: the
// callnorm_threads gauges of /metrics and the kernel's count of the
// process's tasks (/proc/PID/task).  No assertion depends on how fast
// the machine is: every wait is for a state, with a generous deadline.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { tmpdir, writeConfig, simConfig, startServer, startSim, waitFor } from '../lib/callnorm.mjs';

const INITIAL = 8; // docs/deploy.md: the pool's floor without --threads
const SLOW = 24; // requests at once, three times the floor
const LATENCY = 1500; // ms the simulator waits before each list answer

let sim, config;
before(async () => {
  sim = await startSim({ seed: 3, size: 20 });
  config = writeConfig(tmpdir(), simConfig(sim.port, { providers: ['verbex'], timeoutMs: 20000, main: 'request_timeout_ms = 30000' }));
});
after(async () => { await sim?.stop(); });

const gauge = (text, name) => {
  const m = text.match(new RegExp(`^${name} (\\d+)$`, 'm'));
  assert.ok(m, name + ' in /metrics');
  return Number(m[1]);
};
const tasks = (pid) => fs.readdirSync(`/proc/${pid}/task`).length;

async function threads(s) {
  const r = await s.raw('/metrics');
  assert.equal(r.status, 200);
  const text = r.body.toString();
  return { threads: gauge(text, 'callnorm_threads'), idle: gauge(text, 'callnorm_threads_idle') };
}

test('without --threads the pool grows under slow concurrent requests and shrinks back when idle', { timeout: 240000 }, async () => {
  const s = await startServer(config, { threads: 0, args: ['--thread-idle', '1'] });
  try {
    assert.match(s.stderr, new RegExp(`1 worker\\(s\\) x ${INITIAL}\\.\\.\\d+ thread\\(s\\)`));
    await waitFor(async () => (await threads(s)).threads === INITIAL, 60000, `${INITIAL} threads at the start`);
    const floorTasks = tasks(s.child.pid);
    assert.ok(floorTasks >= INITIAL + 1, `${floorTasks} tasks: the request threads and the main one`);

    await sim.control('verbex/latency', 'POST', { ms: LATENCY });
    let most = 0, mostTasks = 0;
    const slow = Array.from({ length: SLOW }, () => s.request('/calls?provider=verbex&limit=2'));
    // every slow request is being answered at once: only a grown pool
    // can hold them (the /metrics request itself needs one more thread)
    await waitFor(async () => {
      const r = await s.raw('/metrics');
      const text = r.body.toString();
      most = Math.max(most, gauge(text, 'callnorm_threads'));
      mostTasks = Math.max(mostTasks, tasks(s.child.pid));
      return gauge(text, 'callnorm_requests_in_flight') >= SLOW + 1;
    }, 120000, `${SLOW} requests in flight at once`);
    const answers = await Promise.all(slow);
    await sim.control('verbex/latency', 'POST', { ms: 0 });
    for (const a of answers) assert.equal(a.status, 200);
    assert.ok(most >= SLOW + 1, `the pool grew to ${most} threads`);
    assert.ok(mostTasks >= SLOW + 2, `the kernel counted ${mostTasks} tasks`);

    // idle: each thread beyond the floor retires after --thread-idle
    await waitFor(async () => (await threads(s)).threads === INITIAL, 120000, 'the pool to shrink to its floor');
    await waitFor(() => tasks(s.child.pid) <= floorTasks, 60000, 'the retired threads to be gone');
    // all but the /metrics thread wait (a thread whose accept just timed
    // out is between two waits for a moment)
    await waitFor(async () => { const t = await threads(s); return t.threads === INITIAL && t.idle >= INITIAL - 1; }, 60000, 'the floor, idle');

    // it grows again, and a stop lets every request of a grown pool finish
    await sim.control('verbex/latency', 'POST', { ms: LATENCY });
    const again = Array.from({ length: SLOW }, () => s.request('/calls?provider=verbex&limit=2'));
    await waitFor(async () => gauge((await s.raw('/metrics')).body.toString(), 'callnorm_requests_in_flight') >= SLOW + 1, 120000, 'the second round in flight');
    s.child.kill('SIGTERM');
    const done = await Promise.all(again);
    const { code } = await s.exited;
    for (const a of done) assert.equal(a.status, 200, 'drained, not cut');
    assert.equal(code, 0);
    // the slow ones, and maybe a thread between two requests
    const busy = Number(s.stderr.match(/SIGTERM: stopping; (\d+) request\(s\) in flight to finish/)?.[1]);
    assert.ok(busy >= SLOW, `${busy} in flight at the stop`);
    const served = s.stderr.split('\n').filter((l) => / request id=/.test(l)).length;
    assert.match(s.stderr, new RegExp(`stopped: ${busy} request\\(s\\) in flight finished, ${served} served in all`));
  } finally {
    await sim.control('verbex/latency', 'POST', { ms: 0 });
    await s.stop();
  }
});

test('--threads N is a fixed pool: N threads however many requests wait', { timeout: 120000 }, async () => {
  const n = Math.max(3, Number(process.env.CALLNORM_THREADS || 0));
  const s = await startServer(config, { threads: n });
  try {
    assert.match(s.stderr, new RegExp(`1 worker\\(s\\) x ${n} thread\\(s\\)`));
    await sim.control('verbex/latency', 'POST', { ms: 300 });
    const load = Array.from({ length: 3 * n }, () => s.request('/calls?provider=verbex&limit=2'));
    const seen = [];
    for (let i = 0; i < 5; i++) seen.push((await threads(s)).threads);
    for (const a of await Promise.all(load)) assert.equal(a.status, 200);
    assert.deepEqual(seen, seen.map(() => n));
  } finally {
    await sim.control('verbex/latency', 'POST', { ms: 0 });
    await s.stop();
  }
});
