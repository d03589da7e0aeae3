// callnorm behind a real nginx: the shipped nginx/callnorm.conf (inside
// nginx/callnorm-site.conf), fastcgi_pass to "callnorm --listen unix:".

import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import zlib from 'node:zlib';
import path from 'node:path';
import { describe, it, before, after } from 'node:test';
import * as W from '../lib/webservers.mjs';

const skip = W.missing('nginx');

// The snippet edited as its comment says, for a site without authentication.
function withoutAuth(text) {
  const out = text.replace(
    /^\s*auth_basic\s+"callnorm";\n\s*auth_basic_user_file\s+\S+;\n/m,
    '    auth_basic off;\n    fastcgi_param REMOTE_USER "";\n',
  );
  assert.notEqual(out, text, 'the auth_basic lines of nginx/callnorm.conf');
  return out;
}

// The nginx example of callnorm(8), as a reader would copy it, with the
// test's socket and password file.
function manPageExample({ SOCKET, HTPASSWD }) {
  const man = fs.readFileSync(path.join(W.ROOT, 'docs/callnorm.8'), 'utf8');
  const m = /^and in nginx.*\n\.Bd -literal.*\n([^]*?)\n\.Ed$/m.exec(man);
  assert.ok(m, 'the nginx example of docs/callnorm.8');
  const text = m[1].replace(/\\e/g, '\\');
  assert.ok(text.includes('unix:/run/callnorm/callnorm.sock'), text);
  return text.replaceAll('/run/callnorm/callnorm.sock', SOCKET).replaceAll('/etc/nginx/callnorm.htpasswd', HTPASSWD);
}

describe('nginx + callnorm --listen', { skip }, () => {
  const ctx = { auth: 'carol:carol-pw' };
  const procs = [];

  before(async () => {
    const dir = W.tmpdir('nginx');
    ctx.trap = await W.connectionTrap();
    ctx.sim = await W.startSim({ dir });
    procs.push(ctx.sim);
    const open = W.writeConfig(path.join(dir, 'open.conf'), { simPort: ctx.sim.port });
    const guarded = W.writeConfig(path.join(dir, 'access.conf'), {
      simPort: ctx.sim.port,
      access: W.ACCESS,
    });
    const openSock = path.join(dir, 'open.sock');
    const authSock = path.join(dir, 'access.sock');
    procs.push(await W.startCallnorm({ config: open, socket: openSock, args: ['--threads', '4'], log: path.join(dir, 'callnorm-open.log') }));
    procs.push(await W.startCallnorm({ config: guarded, socket: authSock, log: path.join(dir, 'callnorm-access.log') }));
    const HTPASSWD = W.htpasswd(path.join(dir, 'htpasswd'), W.USERS);
    ctx.port = await W.freePort();
    ctx.authPort = await W.freePort();
    ctx.downPort = await W.freePort();
    ctx.bareAuthPort = await W.freePort();
    ctx.manPort = await W.freePort();
    ctx.nginx = await W.startNginx({
      dir,
      servers: [
        { port: ctx.port, site: true, vars: { SOCKET: openSock, HTPASSWD } },
        { port: ctx.authPort, vars: { SOCKET: authSock, HTPASSWD } },
        { port: ctx.downPort, vars: { SOCKET: path.join(dir, 'nobody-listens.sock'), HTPASSWD } },
        { port: ctx.bareAuthPort, vars: { SOCKET: authSock, HTPASSWD }, edit: withoutAuth },
        { port: ctx.manPort, text: manPageExample({ SOCKET: authSock, HTPASSWD }) },
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
  W.callsTests({ it, assert }, ctx);
  W.accessTests({ it, assert }, ctx);

  it('the shipped snippet states fastcgi_keep_conn off, HTTP_PROXY "" and a read timeout above the deadline', () => {
    const text = fs.readFileSync(path.join(W.ROOT, 'nginx/callnorm.conf'), 'utf8');
    assert.match(text, /^\s*fastcgi_keep_conn\s+off;/m);
    assert.match(text, /^\s*fastcgi_param\s+HTTP_PROXY\s+"";/m);
    const t = /^\s*fastcgi_read_timeout\s+(\d+)s;/m.exec(text);
    assert.ok(t && +t[1] * 1000 > 20000, 'fastcgi_read_timeout above the 20 s default deadline');
  });

  it('the documented no-authentication variant clears REMOTE_USER', async () => {
    // [access] behind a location without auth_basic: no REMOTE_USER, so
    // 403, even when the client sends a user name of its own.
    const r = await W.request(ctx.bareAuthPort, '/api/providers', {
      headers: { 'Remote-User': 'alice', Authorization: 'Basic ' + Buffer.from('alice:anything').toString('base64') },
    });
    W.assertProblem(assert, r, 403, 'ACCESS_DENIED');
    const m = await W.request(ctx.bareAuthPort, '/api/metrics', { auth: 'prometheus:anything' });
    W.assertProblem(assert, m, 403, 'ACCESS_DENIED');
  });

  it("the man page's nginx example checks the password it passes on as REMOTE_USER", async () => {
    // nginx would pass "bob" from any Authorization header: with [access],
    // a copy of the example without auth_basic gives away bob's providers.
    for (const auth of ['bob:anything', 'alice:bob-pw', undefined]) {
      const r = await W.request(ctx.manPort, '/api/providers', { auth });
      assert.equal(r.status, 401, `${auth}: ${r.text}`);
    }
    const r = await W.request(ctx.manPort, '/api/providers', { auth: 'bob:bob-pw' });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json().data.map((p) => p.name), ['osvi']);
  });

  it('Accept-Encoding: gzip gives Content-Encoding: gzip and the same JSON (pages and problems)', async () => {
    const get = (p, headers) => new Promise((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: ctx.port, path: p, agent: false,
        headers: { Authorization: 'Basic ' + Buffer.from(ctx.auth).toString('base64'), ...headers } }, (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end();
    });
    const bad = '/api/calls?' + Array.from({ length: 30 }, (_, i) => `unknown_parameter_${i}=1`).join('&');
    for (const [p, status, type] of [['/api/calls?limit=100', 200, 'application/json'], [bad, 400, 'application/problem+json']]) {
      const plain = await get(p, { 'X-Request-Id': 'gz-plain' });
      const zipped = await get(p, { 'X-Request-Id': 'gz-zipped', 'Accept-Encoding': 'gzip' });
      assert.equal(plain.status, status);
      assert.equal(zipped.status, status);
      assert.ok(plain.body.length > 1024, `${p}: ${plain.body.length} bytes, enough to compress`);
      assert.equal(plain.headers['content-encoding'], undefined);
      assert.match(zipped.headers['content-type'], new RegExp('^' + type.replace('+', '\\+')));
      // nginx compresses 200, 403 and 404 answers only: a 400 problem
      // goes as it is, whatever the client accepts
      assert.equal(zipped.headers['content-encoding'], status === 200 ? 'gzip' : undefined, p);
      if (status === 200) assert.ok(zipped.body.length * 3 < plain.body.length, 'several times smaller on the wire');
      const a = JSON.parse(plain.body.toString('utf8'));
      const b = JSON.parse((status === 200 ? zlib.gunzipSync(zipped.body) : zipped.body).toString('utf8'));
      const strip = (o) => { const c = structuredClone(o); delete c.request_id; if (c.page) delete c.page.next_cursor; if (c.meta) { delete c.meta.request_id; for (const m of c.meta.providers) delete m.upstream_ms; } return c; };
      assert.deepEqual(strip(b), strip(a));
    }
  });

  it('nginx answers a JSON 502 problem when callnorm is not there', async () => {
    const r = await W.request(ctx.downPort, '/api/healthz', { auth: ctx.auth, headers: { 'X-Request-Id': 'down-1' } });
    assert.equal(r.status, 502);
    assert.match(r.headers['content-type'], /^application\/problem\+json/);
    assert.equal(r.headers['x-request-id'], 'down-1');
    assert.equal(r.headers['cache-control'], 'no-store');
    assert.equal(r.headers['x-content-type-options'], 'nosniff');
    const b = r.json();
    assert.deepEqual(
      { type: b.type, title: b.title, status: b.status, code: b.code, request_id: b.request_id },
      { type: 'urn:callnorm:problem:gateway', title: 'Bad gateway', status: 502, code: 'INTERNAL', request_id: 'down-1' },
    );
    const g = await W.request(ctx.downPort, '/api/calls.html', { auth: ctx.auth });
    assert.equal(g.status, 502);
    assert.match(g.headers['content-type'], /^application\/problem\+json/);
    assert.match(g.headers['x-request-id'], /^[0-9a-f]{32}$/);
    assert.equal(g.json().request_id, g.headers['x-request-id']);
  });
});
