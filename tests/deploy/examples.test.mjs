// The client examples (docs/examples/) against the stack the demo runs:
// the simulators, callnorm --listen, nginx with the shipped site and its
// password.  Each walks a query to its end and must print every matching
// call exactly once (checked against the simulators' own data), and must
// fail loudly — exit 1, a message naming the problem — on a wrong password
// and on an unreachable server.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, it, before, after } from 'node:test';
import * as W from '../lib/webservers.mjs';

const PY = path.join(W.ROOT, 'docs/examples/fetch_calls.py');
const JS = path.join(W.ROOT, 'docs/examples/fetch-calls.mjs');
const clients = [
  ['python', 'python3', [PY]],
  ['javascript', process.execPath, [JS]],
];

function noPython() {
  return spawnSync('python3', ['--version']).status === 0 ? false : 'python3 is not installed';
}

describe('client examples', { skip: W.missing('nginx') || noPython() }, () => {
  const ctx = {};
  const procs = [];

  before(async () => {
    const dir = W.tmpdir('examples');
    ctx.sim = await W.startSim({ dir });
    procs.push(ctx.sim);
    const conf = W.writeConfig(path.join(dir, 'callnorm.conf'), { simPort: ctx.sim.port });
    const socket = path.join(dir, 'callnorm.sock');
    procs.push(await W.startCallnorm({ config: conf, socket, log: path.join(dir, 'callnorm.log') }));
    const HTPASSWD = W.htpasswd(path.join(dir, 'htpasswd'), W.USERS);
    ctx.port = await W.freePort();
    procs.push(await W.startNginx({ dir, servers: [{ port: ctx.port, site: true, vars: { SOCKET: socket, HTPASSWD } }] }));
    // what the walk must return: completed, non-test calls of every provider
    ctx.want = [];
    for (const name of W.PROVIDERS) {
      for (const r of (await ctx.sim.control('GET', `/${name}/dataset`)).records) {
        // expected is null for what the list never shows (twilio's child legs)
        if (r.expected?.status === 'completed' && r.expected.is_test !== true) ctx.want.push(r.expected.id);
      }
    }
    ctx.want.sort();
  });

  after(() => W.stopAll(procs));

  const run = (cmd, args) => spawnSync(cmd, args, { encoding: 'utf8', timeout: 120000, maxBuffer: 64 << 20 });
  const url = () => `http://127.0.0.1:${ctx.port}/api/calls`;

  for (const [lang, cmd, pre] of clients) {
    it(`${lang}: every completed call once, across pages`, () => {
      const r = run(cmd, [...pre, url(), '--user', 'alice:alice-pw', '--param', 'status=completed', '--param', 'limit=37']);
      assert.equal(r.status, 0, r.stderr);
      const ids = r.stdout.trim().split('\n').map((l) => JSON.parse(l).id);
      assert.ok(ctx.want.length > 37, 'several pages');
      assert.equal(new Set(ids).size, ids.length, 'no call twice');
      assert.deepEqual([...ids].sort(), ctx.want);
    });

    it(`${lang}: a wrong password fails loudly`, () => {
      const r = run(cmd, [...pre, url(), '--user', 'alice:wrong']);
      assert.equal(r.status, 1);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, /HTTP 401/);
    });

    it(`${lang}: an unreachable server fails loudly`, async () => {
      const port = await W.freePort();
      const r = run(cmd, [...pre, `http://127.0.0.1:${port}/api/calls`]);
      assert.equal(r.status, 1);
      assert.match(r.stderr, /refused|ECONNREFUSED/i);
    });
  }
});
