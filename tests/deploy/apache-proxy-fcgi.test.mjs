// callnorm --listen behind a real Apache httpd with mod_proxy_fcgi: the
// shipped apache/proxy_fcgi.conf.

import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it, before, after } from 'node:test';
import * as W from '../lib/webservers.mjs';

const skip = W.missing('proxy_fcgi');

describe('Apache + mod_proxy_fcgi + callnorm --listen', { skip }, () => {
  const ctx = {};
  const procs = [];

  before(async () => {
    const dir = W.tmpdir('proxyfcgi');
    ctx.trap = await W.connectionTrap();
    ctx.sim = await W.startSim({ dir });
    procs.push(ctx.sim);
    const open = W.writeConfig(path.join(dir, 'open.conf'), { simPort: ctx.sim.port });
    const SOCKET = path.join(dir, 'callnorm.sock');
    procs.push(await W.startCallnorm({ config: open, socket: SOCKET, args: ['--threads', '4'], log: path.join(dir, 'callnorm.log') }));
    ctx.port = await W.freePort();
    procs.push(await W.startApache({ dir, mode: 'proxy_fcgi', vhosts: [{ port: ctx.port, vars: { SOCKET } }] }));
  });

  after(async () => {
    await W.stopAll(procs.reverse());
    if (ctx.trap) await ctx.trap.close();
    W.removeTmpdirs();
  });

  W.routeTests({ it, assert }, ctx);
  W.callsTests({ it, assert }, ctx);
});
