// Graceful stop: SIGTERM while a request waits on a slow provider (the
// simulator delays every answer by 2 s).  The request in flight completes
// with 200, then callnorm exits 0: what systemd and mod_fcgid rely on.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it, before, after } from 'node:test';
import * as W from '../lib/webservers.mjs';

const SLOW = '/api/calls?limit=5&provider=verbex';

// The exit status of PROC, or 'still running' after MS (a limit, not a
// delay: the timer is cleared as soon as PROC exits).
async function exitWithin(proc, ms) {
  let t;
  const limit = new Promise((resolve) => {
    t = setTimeout(() => resolve('still running'), ms);
  });
  const r = await Promise.race([proc.exited, limit]);
  clearTimeout(t);
  return r;
}

// Resolves once callnorm's request for SLOW has reached the simulator (which
// logs it before its 2 s delay): the request is then in flight.
async function upstreamStarted(sim, before) {
  await W.waitFor('the slow request upstream', async () => (await sim.control('GET', '/verbex/log')).length > before);
}

describe('SIGTERM during a slow request', { skip: W.missing('nginx') }, () => {
  const ctx = {};
  const procs = [];

  before(async () => {
    const dir = W.tmpdir('sigterm');
    ctx.dir = dir;
    ctx.sim = await W.startSim({ dir });
    procs.push(ctx.sim);
    await ctx.sim.control('POST', '/latency', { ms: 2000 });
    ctx.config = W.writeConfig(path.join(dir, 'callnorm.conf'), { simPort: ctx.sim.port });
    ctx.SOCKET = path.join(dir, 'callnorm.sock');
    ctx.HTPASSWD = W.htpasswd(path.join(dir, 'htpasswd'), W.USERS);
    ctx.port = await W.freePort();
  });

  after(async () => {
    await W.stopAll(procs.reverse());
    W.removeTmpdirs();
  });

  for (const args of [['--threads', '1'], ['--threads', '4'], ['--workers', '2', '--threads', '2'], [], ['--workers', '2']]) {
    it(`callnorm --listen ${args.join(' ')} behind nginx finishes the request, then exits 0`, async () => {
      const cn = await W.startCallnorm({ config: ctx.config, socket: ctx.SOCKET, args, log: path.join(ctx.dir, 'callnorm.log') });
      procs.push(cn);
      const ng = await W.startNginx({ dir: W.mkdir(path.join(ctx.dir, 'nginx-' + args.join(''))), servers: [{ port: ctx.port, vars: { SOCKET: ctx.SOCKET, HTPASSWD: ctx.HTPASSWD } }] });
      procs.push(ng);
      try {
        const t0 = Date.now();
        const seen = (await ctx.sim.control('GET', '/verbex/log')).length;
        const pending = W.request(ctx.port, SLOW, { auth: 'carol:carol-pw' });
        await upstreamStarted(ctx.sim, seen);
        process.kill(cn.pid, 'SIGTERM');
        const r = await pending;
        assert.equal(r.status, 200, r.text);
        assert.equal(r.json().data.length, 5);
        assert.ok(Date.now() - t0 >= 1900, 'the answer waited for the slow provider');
        const exit = await exitWithin(cn, 60000);
        assert.deepEqual(exit, { code: 0, signal: null }, cn.out);
        // Nobody serves the socket any more: nginx's JSON 502.
        const gone = await W.request(ctx.port, '/api/healthz', { auth: 'carol:carol-pw' });
        assert.equal(gone.status, 502);
        assert.equal(gone.json().code, 'INTERNAL');
      } finally {
        await ng.stop();
        await cn.stop('SIGKILL');
      }
    });
  }
});

describe('SIGTERM to a mod_fcgid process during a slow request', { skip: W.missing('fcgid') }, () => {
  const procs = [];
  after(async () => {
    await W.stopAll(procs.reverse());
    W.removeTmpdirs();
  });

  // The next request must not queue on the socket of the process that is
  // stopping: callnorm stops listening as soon as no thread can accept.
  it('the request in flight completes with 200 and Apache starts a new process', async () => {
    const dir = W.tmpdir('fcgid-sigterm');
    const sim = await W.startSim({ dir });
    procs.push(sim);
    await sim.control('POST', '/latency', { ms: 2000 });
    const CALLNORM = W.callnormBin();
    const CONFIG = W.writeConfig(path.join(dir, 'callnorm.conf'), { simPort: sim.port });
    const port = await W.freePort();
    const ap = await W.startApache({ dir, mode: 'fcgid', vhosts: [{ port, vars: { CALLNORM, CONFIG } }] });
    procs.push(ap);
    // FcgidMinProcessesPerClass 1: one process, after a first request.
    assert.equal((await W.request(port, '/api/healthz')).status, 200);
    const seen = (await sim.control('GET', '/verbex/log')).length;
    const pending = W.request(port, SLOW);
    await upstreamStarted(sim, seen);
    const pids = fs
      .readdirSync('/proc')
      .filter((p) => /^\d+$/.test(p))
      .filter((p) => {
        try {
          return fs.readlinkSync(`/proc/${p}/exe`) === CALLNORM && fs.readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1].split(' ')[3] === String(ap.pid);
        } catch {
          return false;
        }
      });
    assert.ok(pids.length >= 1, 'a callnorm process in Apache’s process group');
    for (const p of pids) process.kill(+p, 'SIGTERM');
    const r = await pending;
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json().data.length, 5);
    await sim.control('POST', '/latency', { ms: 0 });
    const again = await W.request(port, '/api/providers');
    assert.equal(again.status, 200, again.text);
  });
});
