// callnorm under a real Apache httpd with mod_fcgid: the shipped
// apache/fcgid.conf (and apache/auth.conf).  Apache starts the callnorm
// processes itself, with the listening socket on fd 0.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it, before, after } from 'node:test';
import * as W from '../lib/webservers.mjs';

const skip = W.missing('fcgid');

// callnorm processes serving requests, by pid, from Apache's error log.
function servingPids(log) {
  return new Set([...log.matchAll(/callnorm\[(\d+)\]: request /g)].map((m) => m[1]));
}

describe('Apache + mod_fcgid', { skip }, () => {
  const ctx = {};
  const procs = [];

  before(async () => {
    const dir = W.tmpdir('fcgid');
    ctx.dir = dir;
    ctx.trap = await W.connectionTrap();
    ctx.sim = await W.startSim({ dir });
    procs.push(ctx.sim);
    const CALLNORM = W.callnormBin();
    const open = W.writeConfig(path.join(dir, 'open.conf'), { simPort: ctx.sim.port });
    const guarded = W.writeConfig(path.join(dir, 'access.conf'), { simPort: ctx.sim.port, access: W.ACCESS });
    const htpasswd = W.htpasswd(path.join(dir, 'htpasswd'), W.USERS);
    ctx.port = await W.freePort();
    ctx.authPort = await W.freePort();
    ctx.recyclePort = await W.freePort();
    // An env: secret: passed with FcgidInitialEnv as apache/fcgid.conf
    // shows, and forgotten.
    const withEnv = W.writeConfig(path.join(dir, 'env.conf'), { simPort: ctx.sim.port });
    fs.writeFileSync(withEnv, fs.readFileSync(withEnv, 'utf8').replace('api_key = sim-verbex-key', 'api_key = env:CALLNORM_VERBEX_KEY'));
    const withoutEnv = path.join(dir, 'noenv.conf');
    fs.writeFileSync(withoutEnv, fs.readFileSync(withEnv, 'utf8').replace('env:CALLNORM_VERBEX_KEY', 'env:CALLNORM_FORGOTTEN_KEY'));
    ctx.envPort = await W.freePort();
    ctx.noEnvPort = await W.freePort();
    ctx.apache = await W.startApache({
      dir,
      mode: 'fcgid',
      vhosts: [
        { port: ctx.port, vars: { CALLNORM, CONFIG: open } },
        { port: ctx.authPort, vars: { CALLNORM, CONFIG: guarded }, auth: htpasswd },
        // The shipped settings, with processes recycled every 5 requests.
        { port: ctx.recyclePort, vars: { CALLNORM, CONFIG: open }, extra: '  FcgidMaxRequestsPerProcess 5' },
        { port: ctx.envPort, vars: { CALLNORM, CONFIG: withEnv }, extra: '  FcgidInitialEnv CALLNORM_VERBEX_KEY sim-verbex-key' },
        { port: ctx.noEnvPort, vars: { CALLNORM, CONFIG: withoutEnv } },
      ],
    });
    procs.push(ctx.apache);
  });

  after(async () => {
    await W.stopAll(procs.reverse());
    if (ctx.trap) await ctx.trap.close();
    W.removeTmpdirs();
  });

  W.routeTests({ it, assert }, ctx);
  W.callsTests({ it, assert }, ctx);
  W.accessTests({ it, assert }, ctx);

  it('FcgidIOTimeout and FcgidBusyTimeout stay above the 20 s deadline', () => {
    const text = fs.readFileSync(path.join(W.ROOT, 'apache/fcgid.conf'), 'utf8');
    assert.ok(+/^FcgidIOTimeout\s+(\d+)/m.exec(text)[1] > 20);
    assert.ok(+/^FcgidBusyTimeout\s+(\d+)/m.exec(text)[1] > 20);
  });

  it('an env: secret passed with FcgidInitialEnv reaches callnorm', async () => {
    const r = await W.request(ctx.envPort, '/api/calls?provider=verbex&limit=3');
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json().data.length, 3);
  });

  it('an env: secret not passed: the error log names the variable and FcgidInitialEnv', async () => {
    const r = await W.request(ctx.noEnvPort, '/api/healthz');
    assert.equal(r.status, 500);
    await W.waitFor('the cause in the error log', () => /environment variable CALLNORM_FORGOTTEN_KEY is not set/.test(ctx.apache.errorLog()), { timeout: 20000 });
    const log = ctx.apache.errorLog();
    assert.match(log, /noenv\.conf:\d+: api_key: environment variable CALLNORM_FORGOTTEN_KEY is not set/);
    assert.match(log, /noenv\.conf is not valid: not serving; under mod_fcgid, .*FcgidInitialEnv NAME VALUE/);
  });

  it('processes recycled every 5 requests: 50 sequential requests all answer 200', async () => {
    const before = servingPids(ctx.apache.errorLog());
    for (let i = 0; i < 50; i++) {
      const p = i % 2 ? '/api/providers' : '/api/calls?limit=5&provider=talkover,voicy';
      const r = await W.request(ctx.recyclePort, p);
      assert.equal(r.status, 200, `request ${i}: ${r.text}`);
    }
    // Apache writes its children's stderr to the error log a little later.
    let fresh = [];
    await W
      .waitFor('10 processes in the error log', () => {
        fresh = [...servingPids(ctx.apache.errorLog())].filter((p) => !before.has(p));
        return fresh.length >= 10;
      })
      .catch(() => {});
    assert.ok(fresh.length >= 10, `50 requests served by ${fresh.length} processes`);
  });
});
