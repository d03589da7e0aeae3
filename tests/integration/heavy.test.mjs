// Heavy provider answers: the CPU and memory a valid but large body costs.
//
// A fake Zudu answers with transcripts of 3.9 MiB, the most a record may
// carry. The `q` filter searches them in linear time, and the deadline
// holds while callnorm decodes and filters: late work ends in 504
// PROVIDER_TIMEOUT within request_timeout_ms (plus slack), never in a
// late 200.
//
// Five providers each answering a valid body of just under 32 MiB in the
// shape that costs the parser most (binary trees of arrays) fit in the
// request's 512 MiB arena together: the page is a 200, not a 500.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { spawnSync } from 'node:child_process';
import { bin, tmpdir, writeConfig, startServer, json } from '../lib/callnorm.mjs';

const wrapped = (process.env.CALLNORM_WRAP || '').trim() !== '';
const asan = /libasan/.test(spawnSync('ldd', [bin]).stdout?.toString() || '');
// answer, process start, sanitizers and a loaded machine
// (a 31 MiB page is decoded whole before the deadline is looked at again)
const SLACK = wrapped ? 8000 : asan ? 6000 : 3000;

const TEXT = Math.floor(3.9 * 1024 * 1024);
const T0 = Date.UTC(2024, 0, 1);

// Zudu envelope around records; page 0 only, unless `pages` says more.
function zuduBody(records, hasNext) {
  return JSON.stringify({
    message: 'ok', status: 'success', error: null,
    data: {
      calls: records,
      pagination: { page: 0, limit: 100, total_count: records.length, total_pages: 1, has_next_page: hasNext, has_previous_page: false },
    },
  });
}

function bigRecords(n, page, lastText) {
  const recs = [];
  for (let i = 0; i < n; i++) {
    const t = i === n - 1 && lastText ? lastText : 'a'.repeat(TEXT);
    recs.push({
      id: `u-${page}-${i}`, call_id: `call-${page}-${i}`, agent_id: 'agent-1', call_status: 'ENDED',
      call_type: 'PHONE_CALL', direction: 'OUTBOUND', from_number: '+15550000001', to_number: '+15550000002',
      start_timestamp: T0 - (page * n + i) * 1000, end_timestamp: T0 - (page * n + i) * 1000 + 500,
      call_duration: 500, transcript: t,
    });
  }
  return recs;
}

// name -> (page number) -> Buffer body
const routes = new Map();
let fake;

function startFake() {
  return new Promise((resolve) => {
    const s = http.createServer((req, res) => {
      const chunks = [];
      req.on('data', (d) => chunks.push(d));
      req.on('end', () => {
        const name = req.url.split('/')[1];
        const make = routes.get(name);
        if (!make) { res.writeHead(404); res.end('{}'); return; }
        let page = 0;
        try { page = JSON.parse(Buffer.concat(chunks).toString()).page || 0; } catch { /* default */ }
        const body = make(page);
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
        res.end(body);
      });
    });
    s.listen(0, '127.0.0.1', () => resolve(s));
  });
}

function config(names, timeoutMs, extra = '') {
  let text = `[callnorm]\ncursor_key = test-cursor-key-0123456789abcdef0123\nrequest_timeout_ms = ${timeoutMs}\n${extra}\n`;
  for (const n of names) {
    text += `[provider ${n}]\nkind = zudu\nbase_url = http://127.0.0.1:${fake.address().port}/${n}\n` +
      `api_key = k\napi_secret = s\ntimeout_ms = 60000\n`;
  }
  return writeConfig(tmpdir(), text);
}

const servers = [];
before(async () => { fake = await startFake(); });
after(async () => {
  // a server still busy with a late request (the bug this guards
  // against) would keep SIGTERM waiting: it gets SIGKILL after 5 s
  for (const s of servers) {
    const t = setTimeout(() => s.child.kill('SIGKILL'), 5000);
    await s.stop();
    clearTimeout(t);
  }
  await new Promise((r) => fake.close(r));
});

// Gives up well after the deadline + slack, so a late answer fails fast.
async function timed(server, url, deadline) {
  const t = Date.now();
  const res = await server.request(url, { timeoutMs: deadline + SLACK + 10000 });
  return { res, ms: Date.now() - t };
}

// 254 x 'a' and two more letters: absent from "aaa...a", and each costs a
// naive search ~256 comparisons per byte.
const needle = (i) => 'a'.repeat(254) + String.fromCharCode(98 + (i % 25)) + String.fromCharCode(98 + Math.floor(i / 25));

test('q over 8 transcripts of 3.9 MiB: answered in time, never late', async () => {
  // the last record ends in "...aaB": the first needle ("...abb") does
  // not match it, the second ("...acb") neither; "...aab" does, folded.
  const hit = 'a'.repeat(TEXT - 1) + 'B';
  const body = Buffer.from(zuduBody(bigRecords(8, 0, hit), false));
  routes.set('zbig', () => body);
  const deadline = 2000;
  const server = await startServer(config(['zbig'], deadline), { threads: 1 });
  servers.push(server);
  const qs = [needle(0), needle(1), 'a'.repeat(255) + 'b'].map((q) => 'q=' + q).join('&');
  const { res, ms } = await timed(server, `/calls?provider=zbig&${qs}`, deadline);
  const b = json(res);
  assert.ok(ms <= deadline + SLACK, `answered after ${ms} ms (deadline ${deadline} ms): ${res.status}`);
  console.log(`# ${res.status} after ${ms} ms`, res.status === 200 ? `(upstream ${b.meta.providers[0].upstream_ms} ms)` : '');
  if (res.status === 200) {
    assert.deepEqual(b.data.map((c) => c.native_id), ['call-0-7'], 'only the record holding the needle');
  } else {
    // a machine too loaded to decode and search 31 MiB in 2 s
    assert.equal(res.status, 504, res.text.slice(0, 300));
    assert.equal(b.code, 'PROVIDER_TIMEOUT');
  }
});

test('local work that outlasts request_timeout_ms ends in 504 PROVIDER_TIMEOUT', async () => {
  // 30 needles over 31 MiB: about 1 GB of comparisons even in linear
  // time, far more than the 500 ms the request has.
  const body = Buffer.from(zuduBody(bigRecords(8, 0), false));
  routes.set('zslow', () => body);
  const deadline = 500;
  const server = await startServer(config(['zslow'], deadline), { threads: 1 });
  servers.push(server);
  const qs = Array.from({ length: 30 }, (_, i) => 'q=' + needle(i)).join('&');
  const { res, ms } = await timed(server, `/calls?provider=zslow&${qs}`, deadline);
  const b = json(res);
  assert.equal(res.status, 504, `after ${ms} ms: ${res.text.slice(0, 300)}`);
  assert.equal(b.code, 'PROVIDER_TIMEOUT');
  assert.equal(b.provider, 'zslow');
  assert.ok(ms <= deadline + SLACK, `answered after ${ms} ms (deadline ${deadline} ms)`);
  console.log(`# 504 after ${ms} ms: ${b.detail}`);
});

// A full binary tree of two-element arrays, leaves 0: 4 x 2^depth bytes.
function tree(depth) {
  if (depth === 0) return '0';
  const sub = tree(depth - 1);
  return '[' + sub + ',' + sub + ']';
}

test('five bodies of 32 MiB in the densest shape: a 200, not a 500', async () => {
  // one record whose unknown fields hold trees of 16, 8, ... 0.125 MiB
  const rec = JSON.stringify(bigRecords(1, 0)[0]).replace(/"transcript":"a+"/, '"transcript":"hello"');
  const fields = [];
  for (let d = 22; d >= 15; d--) fields.push(`"t${d}":${tree(d)}`);
  const record = rec.slice(0, -1) + ',' + fields.join(',') + '}';
  const body = Buffer.from(zuduBody([JSON.parse('{}')], false).replace('[{}]', '[' + record + ']'));
  assert.ok(body.length > 31.8 * 1024 * 1024 && body.length <= 32 * 1024 * 1024, `body of ${body.length} bytes`);
  const names = ['zm1', 'zm2', 'zm3', 'zm4', 'zm5'];
  for (const n of names) routes.set(n, () => body);
  const server = await startServer(config(names, 60000), { threads: 1 });
  servers.push(server);
  const { res, ms } = await timed(server, `/calls?provider=${names.join(',')}`, 60000);
  console.log(`# ${res.status} after ${ms} ms`);
  assert.equal(res.status, 200, res.text.slice(0, 300));
  const b = json(res);
  assert.equal(b.data.length, 5, 'one call from each provider');
  assert.deepEqual(b.data.map((c) => c.provider).sort(), names);
});
