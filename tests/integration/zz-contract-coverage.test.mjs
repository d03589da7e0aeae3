// Runs last (file order): every response the other integration test files
// received was validated against docs/openapi.yaml by tests/lib/contract.mjs;
// this checks, from the counts those processes wrote, that the validation
// covered enough: many responses, every route with GET and HEAD, 405 and
// 404, and every problem code of the API that a test can provoke.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { summaryDir } from '../lib/contract.mjs';

// INTERNAL (500) is the one code no test can provoke from outside: it
// means a bug or exhausted memory.  Its schema is validated whenever a
// response carries it.
const CODES = ['INVALID_ARGUMENT', 'INVALID_CURSOR', 'CURSOR_EXPIRED', 'CURSOR_QUERY_MISMATCH',
  'UNSUPPORTED_FILTER', 'ACCESS_DENIED', 'UNKNOWN_PROVIDER', 'NOT_FOUND', 'METHOD_NOT_ALLOWED',
  'CALL_NOT_FOUND', 'DETAIL_UNSUPPORTED',
  'PROVIDER_RATE_LIMITED', 'PROVIDER_AUTH_FAILED', 'PROVIDER_BAD_RESPONSE', 'PROVIDER_UNAVAILABLE',
  'PROVIDER_PAGINATION_STUCK', 'PROVIDER_TIMEOUT'];

function summaries() {
  let files = [];
  try { files = fs.readdirSync(summaryDir).filter((f) => f.endsWith('.json')); } catch { /* none */ }
  return files.map((f) => JSON.parse(fs.readFileSync(path.join(summaryDir, f), 'utf8')));
}

test('responses validated against docs/openapi.yaml cover every route and problem code', (t) => {
  const all = summaries();
  const files = new Set(all.map((s) => path.basename(s.file)));
  if (!files.has('contract.test.mjs')) {
    // run alone (node --test on this one file): nothing to add up
    t.skip('run with the whole tests/integration/ directory (scripts/test does)');
    return;
  }
  const counts = {};
  let total = 0;
  for (const s of all) {
    total += s.validated;
    for (const [k, v] of Object.entries(s.counts)) counts[k] = (counts[k] || 0) + v;
  }
  try {
    const keys = Object.keys(counts);
    const seen = (re) => keys.filter((k) => re.test(k)).reduce((a, k) => a + counts[k], 0);
    const summary = keys.sort().map((k) => `${counts[k]}\t${k}`).join('\n');
    t.diagnostic(`${total} responses validated in ${all.length} test files`);
    for (const line of summary.split("\n")) t.diagnostic(line);
    assert.ok(total >= 500, `only ${total} responses validated`);
    assert.ok(seen(/^GET \/calls 200$/) >= 100, 'successful /calls pages');
    for (const r of ['/calls', '/calls/{id}', '/providers', '/healthz', '/metrics']) {
      assert.ok(seen(new RegExp(`^GET ${r} 200$`)) >= 1, 'GET ' + r);
      assert.ok(seen(new RegExp(`^HEAD ${r} 200$`)) >= 1, 'HEAD ' + r);
      assert.ok(seen(new RegExp(`^[A-Z]+ ${r} \\(other method\\) 405 METHOD_NOT_ALLOWED$`)) >= 1, '405 on ' + r);
    }
    for (const code of CODES) assert.ok(seen(new RegExp(` ${code}$`)) >= 1, 'no response with ' + code + ' was validated');
  } finally {
    if (!process.env.CALLNORM_CONTRACT_DIR) fs.rmSync(summaryDir, { recursive: true, force: true });
  }
});
