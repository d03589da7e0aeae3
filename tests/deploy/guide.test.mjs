// docs/usage.md runs as written: its `sh` blocks, verbatim and in order,
// as root, in a copy of the source tree.  They install into and configure
// the machine's own paths, so they run isolated (tests/lib/scratchroot.mjs:
// overlays over /etc, /usr, /run, /var and /tmp, a loopback of their own
// for the guide's ports 8700 and 8080, no process left behind).  The `sh packages` block needs the
// network, so it is checked instead: every package it names is installed.
// Then the calls the guide fetched are compared with the simulators' own
// data, and the guide's fetch script must fail loudly on a wrong password.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it, before } from 'node:test';
import { cannotIsolate, copyTree, runIsolated, sections } from '../lib/scratchroot.mjs';

const top = path.resolve(process.env.top_srcdir || path.join(import.meta.dirname, '../..'));
const guide = fs.readFileSync(path.join(top, 'docs/usage.md'), 'utf8');

// The fenced blocks whose info string starts with "sh", in order.
function blocks(text) {
  const out = [];
  const re = /^```sh( [a-z]+)?\n([\s\S]*?)^```$/gm;
  let m;
  while ((m = re.exec(text)) !== null) out.push({ tag: (m[1] || '').trim(), body: m[2] });
  return out;
}

const MARK = '::callnorm-guide::';

describe('docs/usage.md', () => {
  const all = blocks(guide);
  const packages = all.filter((b) => b.tag === 'packages');
  const steps = all.filter((b) => b.tag === '');

  it('has its install, configuration, nginx and paging steps as runnable sh blocks', () => {
    assert.equal(packages.length, 1, 'one packages block');
    assert.ok(steps.length >= 8, `sh blocks: ${steps.length}`);
  });

  it('names only packages that are installed (the packages block, checked)', () => {
    const words = packages[0].body.replace(/\\\n/g, ' ').split(/\s+/);
    const names = words.slice(words.indexOf('-y') + 1).filter((w) => w && !w.startsWith('-'));
    assert.ok(names.includes('nginx-light') && names.includes('jq'), names.join(' '));
    for (const p of names) {
      if (p === 'nodejs' && spawnSync('node', ['--version']).status === 0) continue;
      const r = spawnSync('dpkg-query', ['-W', '-f=${Status}', p], { encoding: 'utf8' });
      assert.match(r.stdout || '', /install ok installed/, `package ${p} is installed`);
    }
  });

  describe('the sh blocks, verbatim', { skip: cannotIsolate() }, () => {
    const res = {};

    before(() => {
      const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'callnorm-guide-'));
      fs.chmodSync(scratch, 0o755);
      const tree = path.join(scratch, 'tree');
      copyTree(top, tree);
      const script = [
        'set -euo pipefail',
        ...steps.map((b) => b.body),
        // what the guide produced, for the checks below
        `echo '${MARK}calls'; cat calls.jsonl`,
        `echo '${MARK}wrong'; if sh fetch-all.sh 'http://127.0.0.1:8080/api/calls?limit=5' alice:wrong > wrong.jsonl 2> wrong.err; then echo 0; else echo $?; fi; cat wrong.err`,
        `echo '${MARK}verbex'; curl -fsS http://127.0.0.1:8700/_control/verbex/dataset`,
        `echo; echo '${MARK}zudu'; curl -fsS http://127.0.0.1:8700/_control/zudu/dataset`,
        'echo',
      ].join('\n');
      fs.writeFileSync(path.join(scratch, 'guide.sh'), script);
      const r = runIsolated(path.join(scratch, 'guide.sh'), tree);
      Object.assign(res, r, sections(r.stdout, MARK));
      if (!process.env.CALLNORM_KEEP_TMP) fs.rmSync(scratch, { recursive: true, force: true });
    });

    it('every block succeeds', () => {
      assert.equal(res.status, 0, `the guide failed:\n${res.stdout.slice(-3000)}\n${res.stderr.slice(-3000)}`);
    });

    it('the fetch script returns every completed call since 2026-01-01 once, from both providers', () => {
      const got = res.calls.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
      const want = [];
      for (const [sim, name] of [['verbex', 'support'], ['zudu', 'sales']]) {
        for (const r of JSON.parse(res[sim]).records) {
          const e = r.expected;
          if (e.status !== 'completed' || e.is_test === true) continue;
          if (e.started_at === null || Date.parse(e.started_at) < Date.parse('2026-01-01T00:00:00Z')) continue;
          want.push(`${name}:${e.native_id}`);
        }
      }
      assert.ok(want.length > 0, 'the data set has matching calls');
      const ids = got.map((c) => c.id);
      assert.equal(new Set(ids).size, ids.length, 'no call twice');
      assert.deepEqual([...ids].sort(), want.sort());
    });

    it('the fetch script fails loudly on a wrong password', () => {
      const [status, ...msg] = res.wrong.trim().split('\n');
      assert.notEqual(Number(status), 0, `exit status ${status}`);
      assert.match(msg.join('\n'), /401/);
    });
  });
});
