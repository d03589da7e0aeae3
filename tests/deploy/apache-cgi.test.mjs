// callnorm as a plain CGI program under a real Apache httpd with mod_cgi:
// the shipped apache/cgi.conf (and apache/auth.conf), and the shared
// hosting variant apache/callnorm.htaccess.

import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it, before, after } from 'node:test';
import * as W from '../lib/webservers.mjs';

const skip = W.missing('cgi');

describe('Apache + mod_cgi (cgi.conf)', { skip }, () => {
  const ctx = {};
  const procs = [];

  before(async () => {
    const dir = W.tmpdir('cgi');
    ctx.trap = await W.connectionTrap();
    ctx.sim = await W.startSim({ dir });
    procs.push(ctx.sim);
    const CALLNORM = W.callnormBin();
    const open = W.writeConfig(path.join(dir, 'open.conf'), { simPort: ctx.sim.port });
    const guarded = W.writeConfig(path.join(dir, 'access.conf'), { simPort: ctx.sim.port, access: W.ACCESS });
    const htpasswd = W.htpasswd(path.join(dir, 'htpasswd'), W.USERS);
    ctx.port = await W.freePort();
    ctx.authPort = await W.freePort();
    procs.push(
      await W.startApache({
        dir,
        mode: 'cgi',
        vhosts: [
          { port: ctx.port, vars: { CALLNORM, CONFIG: open } },
          { port: ctx.authPort, vars: { CALLNORM, CONFIG: guarded }, auth: htpasswd },
        ],
      }),
    );
  });

  after(async () => {
    await W.stopAll(procs.reverse());
    if (ctx.trap) await ctx.trap.close();
    W.removeTmpdirs();
  });

  W.routeTests({ it, assert }, ctx);
  W.callsTests({ it, assert }, ctx);
  W.accessTests({ it, assert }, ctx);
});

describe('Apache + mod_cgi (callnorm.htaccess)', { skip }, () => {
  // The binary as DIR/api.cgi next to the .htaccess, DIR = /svc.
  const ctx = { prefix: '/svc/api', linkPath: '/svc/api.cgi/calls' };
  const procs = [];

  before(async () => {
    const dir = W.tmpdir('htaccess');
    ctx.trap = await W.connectionTrap();
    ctx.sim = await W.startSim({ dir });
    procs.push(ctx.sim);
    const open = W.writeConfig(path.join(dir, 'open.conf'), { simPort: ctx.sim.port });
    ctx.port = await W.freePort();
    procs.push(await W.startApache({ dir, mode: 'htaccess', vhosts: [{ port: ctx.port, vars: { CONFIG: open } }] }));
  });

  after(async () => {
    await W.stopAll(procs.reverse());
    if (ctx.trap) await ctx.trap.close();
    W.removeTmpdirs();
  });

  W.routeTests({ it, assert }, ctx);

  it('answers at DIR/api.cgi/... too, and never serves the binary', async () => {
    const r = await W.request(ctx.port, '/svc/api.cgi/healthz');
    assert.equal(r.status, 200);
    assert.deepEqual(r.json(), { status: 'ok' });
    const idx = await W.request(ctx.port, '/svc/');
    assert.notEqual(idx.status, 200);
  });
});
