// Control API: inserts shift page numbers but not keysets, request log,
// latency, reset, unknown paths, shutdown.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { startSim, nativeId, recordsOf, SIM } from './helpers.mjs';

let sim;
before(async () => {
  sim = await startSim(['--seed', '5', '--size', '60']);
});
after(async () => {
  assert.equal(await sim.stop(), 0);
});

const ids = (kind, recs) => recs.map((r) => nativeId(kind, r));

test('insert: talkover and osvi page 2 shift by the inserted count', async () => {
  for (const kind of ['talkover', 'osvi']) {
    const p1 = ids(kind, recordsOf(kind, (await sim.list(kind, { per_page: 10, page: 1 })).json()));
    const p2 = ids(kind, recordsOf(kind, (await sim.list(kind, { per_page: 10, page: 2 })).json()));
    const ins = await sim.control('POST', '/' + kind + '/insert', { count: 5 });
    assert.equal(ins.records.length, 5);
    const newIds = ins.records.map((r) => r.expected.native_id);
    const q1 = ids(kind, recordsOf(kind, (await sim.list(kind, { per_page: 10, page: 1 })).json()));
    const q2 = ids(kind, recordsOf(kind, (await sim.list(kind, { per_page: 10, page: 2 })).json()));
    assert.deepEqual(new Set(q1.slice(0, 5)), new Set(newIds));
    assert.deepEqual(q1.slice(5), p1.slice(0, 5));
    assert.deepEqual(q2, [...p1.slice(5), ...p2.slice(0, 5)]);
    // inserted calls start at wall-clock time (whole seconds) and show in the data set head
    const ds = await sim.dataset(kind);
    assert.equal(ds.length, 65);
    assert.deepEqual(new Set(ds.slice(0, 5).map((r) => r.expected.native_id)), new Set(newIds));
    const t = Date.parse(ins.records[0].expected.started_at);
    assert.ok(Math.abs(Date.now() - t) < 5000);
    assert.equal(t % 1000, 0);
  }
});

test('insert: verbex page token and voicy pagination key stay stable', async () => {
  const v1 = (await sim.list('verbex', { page_size: 10 })).json();
  const v2 = (await sim.list('verbex', { page_size: 10, page_token: v1.next_page_token })).json();
  const vy1 = (await sim.list('voicy', { limit: 10 })).json();
  const key = vy1.calls[9].call_id;
  const vy2 = (await sim.list('voicy', { limit: 10, pagination_key: key })).json();
  await sim.control('POST', '/verbex/insert', { count: 5 });
  await sim.control('POST', '/voicy/insert', { count: 5 });
  const v2b = (await sim.list('verbex', { page_size: 10, page_token: v1.next_page_token })).json();
  assert.deepEqual(ids('verbex', v2b.calls), ids('verbex', v2.calls));
  assert.equal(v2b.total_count, v2.total_count + 5);
  const vy2b = (await sim.list('voicy', { limit: 10, pagination_key: key })).json();
  assert.deepEqual(ids('voicy', vy2b.calls), ids('voicy', vy2.calls));
  // the new calls are at the head of the newest-first order
  const head = (await sim.list('verbex', { page_size: 5 })).json();
  const ds = await sim.dataset('verbex');
  assert.deepEqual(ids('verbex', head.calls), ds.slice(0, 5).map((r) => r.native._id));
  assert.ok(Math.abs(Date.parse(head.calls[0].call_start_time) - Date.now()) < 5000);
  await sim.control('POST', '/reset');
  assert.equal((await sim.dataset('verbex')).length, 60);
});

test('log records the pushdown parameters of list requests', async () => {
  await sim.control('DELETE', '/log');
  await sim.list('talkover', { status: 'completed', per_page: 5, agent_id: 'a1', search: 'x' });
  await sim.list('verbex', { ai_agent_ids: ['a', 'b'], page_size: 3 });
  await sim.list('zudu', { limit: 7, filter_criteria: { call_status: ['ended'] } });
  await sim.list('osvi', {}, { noAuth: true });
  const tl = await sim.control('GET', '/talkover/log');
  assert.equal(tl.length, 1);
  assert.equal(tl[0].method, 'GET');
  assert.equal(tl[0].path, '/talkover/api/v1/calls');
  assert.deepEqual(tl[0].query, { status: 'completed', per_page: '5', agent_id: 'a1', search: 'x' });
  assert.equal(tl[0].body, null);
  assert.equal(tl[0].headers.authorization, 'Bearer sim-talkover-key');
  assert.equal(tl[0].status, 200);
  assert.equal(typeof tl[0].t, 'number');
  const vl = await sim.control('GET', '/verbex/log');
  assert.deepEqual(vl[0].query, { ai_agent_ids: ['a', 'b'], page_size: '3' });
  const zl = await sim.control('GET', '/zudu/log');
  assert.deepEqual(zl[0].body, { limit: 7, filter_criteria: { call_status: ['ended'] } });
  assert.equal(zl[0].method, 'POST');
  assert.equal(zl[0].headers['x-api-secret'], 'sim-zudu-secret');
  const ol = await sim.control('GET', '/osvi/log');
  assert.equal(ol[0].status, 401);
  await sim.control('DELETE', '/log');
  assert.deepEqual(await sim.control('GET', '/talkover/log'), []);
});

test('latency per provider, reset, unknown paths', async () => {
  await sim.control('POST', '/voicy/latency', { ms: 300 });
  const slow = await sim.list('voicy', { limit: 1 });
  assert.ok(slow.ms >= 290, String(slow.ms));
  const fast = await sim.list('talkover', { per_page: 1 });
  assert.ok(fast.ms < 200);
  await sim.control('POST', '/reset');
  const again = await sim.list('voicy', { limit: 1 });
  assert.ok(again.ms < 200);
  const r = await sim.request('GET', '/nope/v1/calls');
  assert.equal(r.status, 404);
  assert.equal(typeof r.json().error, 'string');
  assert.equal((await sim.request('GET', '/_control/nope/dataset')).status, 404);
  assert.equal((await sim.request('GET', '/_control/whatever')).status, 404);
  assert.equal((await sim.request('GET', sim.providers.zudu.path, { headers: sim.providers.zudu.auth })).status, 405);
  const bad = await sim.request('POST', '/_control/zudu/fault', { body: { mode: 'explode' } });
  assert.equal(bad.status, 400);
});

test('--latency-ms, --ready-file and SIGTERM exit 0', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'callnorm-sim-'));
  const ready = path.join(dir, 'ready.json');
  const child = spawn(process.execPath, [SIM, '--port', '0', '--size', '10', '--latency-ms', '150', '--ready-file', ready], { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    for (let i = 0; i < 200 && !fs.existsSync(ready); i++) await new Promise((r) => setTimeout(r, 25));
    const info = JSON.parse(fs.readFileSync(ready, 'utf8'));
    assert.equal(info.pid, child.pid);
    assert.ok(info.port > 0);
    assert.deepEqual(fs.readdirSync(dir), ['ready.json']);
    const { request } = await import('./helpers.mjs');
    const r = await request(info.port, 'GET', '/osvi/v1/calls', { headers: { 'API-Token': 'sim-osvi-key' } });
    assert.equal(r.status, 200);
    assert.ok(r.ms >= 140);
  } finally {
    const code = await new Promise((res) => {
      child.once('exit', (c) => res(c));
      child.kill('SIGTERM');
    });
    assert.equal(code, 0);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
