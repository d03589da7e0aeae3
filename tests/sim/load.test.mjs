// The simulator must not be the bottleneck of a benchmark.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startSim } from './helpers.mjs';

let sim;
before(async () => {
  sim = await startSim(['--seed', '1', '--size', '2000', '--latency-ms', '200']);
});
after(async () => {
  assert.equal(await sim.stop(), 0);
});

function get(agent, port, path, headers) {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, headers, agent }, (res) => {
      let n = 0;
      res.on('data', (c) => (n += c.length));
      res.on('end', () => resolve({ status: res.statusCode, bytes: n }));
    });
    req.setTimeout(10000, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

// One at a time they would take 200 s; concurrently, one latency plus the
// cost of serving them (generous, for a loaded 2-core machine).
test('1,000 concurrent requests with 200 ms latency complete in a few seconds', async () => {
  const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });
  const kinds = ['talkover', 'osvi', 'verbex'];
  const t0 = Date.now();
  const all = [];
  for (let i = 0; i < 1000; i++) {
    const p = sim.providers[kinds[i % 3]];
    const q = p.kind === 'verbex' ? '?page_size=20' : '?per_page=20&page=' + (1 + (i % 50));
    all.push(get(agent, sim.port, p.path + q, p.auth));
  }
  const res = await Promise.all(all);
  const ms = Date.now() - t0;
  agent.destroy();
  assert.ok(res.every((r) => r.status === 200 && r.bytes > 100));
  assert.ok(ms < 4000, `took ${ms} ms`);
  assert.ok(ms >= 195);
});

test('sequential throughput without latency', async () => {
  await sim.control('POST', '/latency', { ms: 0 });
  const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  const p = sim.providers.zudu;
  const body = JSON.stringify({ limit: 50, page: 3 });
  const t0 = Date.now();
  let done = 0;
  const worker = async () => {
    while (done < 2000) {
      done++;
      await new Promise((resolve, reject) => {
        const req = http.request({ host: '127.0.0.1', port: sim.port, path: p.path, method: 'POST', agent, headers: { ...p.auth, 'Content-Type': 'application/json', 'Content-Length': body.length } }, (res) => {
          res.resume();
          res.on('end', resolve);
        });
        req.on('error', reject);
        req.end(body);
      });
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  const ms = Date.now() - t0;
  agent.destroy();
  assert.ok(ms < 5000, `2000 requests took ${ms} ms`);
});
