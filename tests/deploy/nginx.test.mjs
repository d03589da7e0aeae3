// callnorm behind a real nginx: the shipped nginx/callnorm.conf and
// nginx/callnorm-site.conf, fastcgi_pass to "callnorm --listen unix:".

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it, before, after } from 'node:test';
import * as W from '../lib/webservers.mjs';

const skip = W.missing('nginx');

describe('nginx + callnorm --listen', { skip }, () => {
  const ctx = {};
  const procs = [];

  before(async () => {
    const dir = W.tmpdir('nginx');
    ctx.dir = dir;
    ctx.trap = await W.connectionTrap();
    ctx.sim = await W.startSim({ dir });
    procs.push(ctx.sim);
    const open = W.writeConfig(path.join(dir, 'open.conf'), { simPort: ctx.sim.port });
    const guarded = W.writeConfig(path.join(dir, 'access.conf'), {
      simPort: ctx.sim.port,
      access: { alice: ['verbex', 'zudu'], '*': ['osvi'] },
    });
    ctx.openSock = path.join(dir, 'open.sock');
    ctx.authSock = path.join(dir, 'auth.sock');
    procs.push(await W.startCallnorm({ config: open, socket: ctx.openSock, args: ['--threads', '4'], log: path.join(dir, 'callnorm-open.log') }));
    procs.push(await W.startCallnorm({ config: guarded, socket: ctx.authSock, log: path.join(dir, 'callnorm-auth.log') }));
    const pw = W.htpasswd(path.join(dir, 'htpasswd'), { alice: 'alice-pw', bob: 'bob-pw' });
    ctx.port = await W.freePort();
    ctx.authPort = await W.freePort();
    ctx.downPort = await W.freePort();
    ctx.bareAuthPort = await W.freePort();
    ctx.nginx = await W.startNginx({
      dir,
      servers: [
        { port: ctx.port, snippet: { SOCKET: ctx.openSock } },
        { port: ctx.authPort, site: { PORT: ctx.authPort, HTPASSWD: pw, SOCKET: ctx.authSock } },
        { port: ctx.downPort, snippet: { SOCKET: path.join(dir, 'nobody-listens.sock') } },
        { port: ctx.bareAuthPort, snippet: { SOCKET: ctx.authSock } },
      ],
    });
    procs.push(ctx.nginx);
  });

  after(async () => {
    await W.stopAll(procs.reverse());
    if (ctx.trap) await ctx.trap.close();
    W.removeTmpdirs();
  });

  W.routeTests({ it, assert }, ctx);

  it('the shipped snippet states fastcgi_keep_conn off and HTTP_PROXY ""', () => {
    const text = fs.readFileSync(path.join(W.ROOT, 'nginx/callnorm.conf'), 'utf8');
    assert.match(text, /^\s*fastcgi_keep_conn\s+off;/m);
    assert.match(text, /^\s*fastcgi_param\s+HTTP_PROXY\s+"";/m);
    const t = /^\s*fastcgi_read_timeout\s+(\d+)s;/m.exec(text);
    assert.ok(t && +t[1] * 1000 > 20000, 'fastcgi_read_timeout above the 20 s default deadline');
  });

  it('basic auth feeds REMOTE_USER to [access]', async () => {
    let r = await W.request(ctx.authPort, '/api/providers');
    assert.equal(r.status, 401);
    r = await W.request(ctx.authPort, '/api/providers', { auth: 'alice:wrong' });
    assert.equal(r.status, 401);
    r = await W.request(ctx.authPort, '/api/providers', { auth: 'alice:alice-pw' });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json().data.map((p) => p.name).sort(), ['verbex', 'zudu']);
    r = await W.request(ctx.authPort, '/api/providers', { auth: 'bob:bob-pw' });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json().data.map((p) => p.name), ['osvi']);
    r = await W.request(ctx.authPort, '/api/calls?provider=osvi', { auth: 'alice:alice-pw' });
    W.assertProblem(assert, r, 404, 'UNKNOWN_PROVIDER');
  });

  it('without authentication in front, [access] refuses with 403 ACCESS_DENIED', async () => {
    // The [access] callnorm behind a server block without auth_basic: no
    // REMOTE_USER, whatever headers the client sends.
    const r = await W.request(ctx.bareAuthPort, '/api/providers', {
      headers: { 'Remote-User': 'alice', 'X-Remote-User': 'alice', 'Authorization': 'Basic ' + Buffer.from('alice:alice-pw').toString('base64') },
    });
    W.assertProblem(assert, r, 403, 'ACCESS_DENIED');
  });

  it('nginx answers a JSON 502 problem when callnorm is not there', async () => {
    const r = await W.request(ctx.downPort, '/api/healthz', { headers: { 'X-Request-Id': 'down-1' } });
    assert.equal(r.status, 502);
    assert.match(r.headers['content-type'], /^application\/problem\+json/);
    assert.equal(r.headers['x-request-id'], 'down-1');
    assert.equal(r.headers['cache-control'], 'no-store');
    const b = r.json();
    assert.equal(b.status, 502);
    assert.equal(b.code, 'INTERNAL');
    assert.equal(b.type, 'urn:callnorm:problem:gateway');
    assert.equal(b.request_id, 'down-1');
    const g = await W.request(ctx.downPort, '/api/healthz');
    assert.match(g.headers['x-request-id'], /^[0-9a-f]{32}$/);
    assert.equal(g.json().request_id, g.headers['x-request-id']);
  });
});
