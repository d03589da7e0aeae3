// docs/providers.md's capability table is what GET /providers answers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { root, tmpdir, writeConfig, simConfig, cgi, json, KINDS } from '../lib/callnorm.mjs';

function docTable() {
  const text = fs.readFileSync(path.join(root, 'docs', 'providers.md'), 'utf8');
  const m = text.match(/<!-- capabilities:begin -->\n([\s\S]*?)<!-- capabilities:end -->/);
  assert.ok(m, 'docs/providers.md has the capability table markers');
  const rows = m[1].trim().split('\n').map((l) => l.split('|').slice(1, -1).map((c) => c.trim()));
  const kinds = rows[0].slice(1);
  const table = {};
  for (const k of kinds) table[k] = {};
  for (const row of rows.slice(2))
    kinds.forEach((k, i) => { table[k][row[0].replace(/`/g, '')] = row[i + 1]; });
  return table;
}

test('the capability table in docs/providers.md matches GET /providers', () => {
  const doc = docTable();
  const config = writeConfig(tmpdir(), simConfig(9, { providers: KINDS }));
  const live = json(cgi(config, '/providers')).data;
  assert.deepEqual(Object.keys(doc).sort(), live.map((p) => p.kind).sort(), 'one column per kind');
  for (const p of live) {
    const c = p.capabilities;
    const want = {
      pagination: c.pagination,
      max_page_size: String(c.max_page_size),
      native_orders: c.native_orders.join(', '),
    };
    for (const f of [...c.filters_pushed_down, ...c.filters_local, ...c.filters_unsupported]) {
      const push = c.filters_pushed_down.includes(f), local = c.filters_local.includes(f);
      want[f] = push && local ? 'pushed, local' : push ? 'pushed' : local ? 'local' : 'unsupported';
    }
    assert.deepEqual(doc[p.kind], want, p.kind);
  }
});
