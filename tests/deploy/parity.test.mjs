// The same requests through nginx + FastCGI (--listen), Apache + mod_fcgid
// and Apache + mod_cgi give the same answers, request ids aside; and a
// cursor from one deployment pages on through the others (they share one
// configuration, so one cursor_key).

import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it, before, after } from 'node:test';
import * as W from '../lib/webservers.mjs';

const skip = W.missing('nginx') || W.missing('fcgid') || W.missing('cgi');
const AUTH = 'carol:carol-pw';

// What may differ between two answers to the same request: ids, timings,
// and the sealed cursor (whose contents are the same, its bytes not).
function normalize(r) {
  const link = (r.headers.link || '').replace(/cursor=[A-Za-z0-9_-]+/, 'cursor=…');
  let body = r.text;
  if (/json/.test(r.headers['content-type'] || '')) {
    const b = JSON.parse(r.text);
    delete b.request_id;
    if (b.meta) {
      delete b.meta.request_id;
      for (const p of b.meta.providers || []) delete p.upstream_ms;
    }
    // a detail's relative expiry counts from when its answer arrived
    if (b.data && !Array.isArray(b.data) && 'recording_expires_at' in b.data) b.data.recording_expires_at = b.data.recording_expires_at && '…';
    if (b.page && b.page.next_cursor) b.page.next_cursor = '…';
    body = b;
  }
  return {
    status: r.status,
    type: r.headers['content-type'],
    allow: r.headers.allow,
    link,
    cache: r.headers['cache-control'],
    body,
  };
}

describe('nginx, mod_fcgid and mod_cgi answer alike', { skip }, () => {
  const ctx = {};
  const procs = [];

  before(async () => {
    const dir = W.tmpdir('parity');
    ctx.sim = await W.startSim({ dir });
    procs.push(ctx.sim);
    const CALLNORM = W.callnormBin();
    const CONFIG = W.writeConfig(path.join(dir, 'callnorm.conf'), { simPort: ctx.sim.port });
    const HTPASSWD = W.htpasswd(path.join(dir, 'htpasswd'), W.USERS);
    const SOCKET = path.join(dir, 'callnorm.sock');
    procs.push(await W.startCallnorm({ config: CONFIG, socket: SOCKET, args: ['--threads', '2'], log: path.join(dir, 'callnorm.log') }));
    ctx.ports = { nginx: await W.freePort(), fcgid: await W.freePort(), cgi: await W.freePort() };
    const nd = path.join(dir, 'nginx');
    const fd = path.join(dir, 'fcgid');
    const cd = path.join(dir, 'cgi');
    for (const d of [nd, fd, cd]) W.mkdir(d);
    procs.push(await W.startNginx({ dir: nd, servers: [{ port: ctx.ports.nginx, vars: { SOCKET, HTPASSWD } }] }));
    procs.push(await W.startApache({ dir: fd, mode: 'fcgid', vhosts: [{ port: ctx.ports.fcgid, vars: { CALLNORM, CONFIG }, auth: HTPASSWD }] }));
    procs.push(await W.startApache({ dir: cd, mode: 'cgi', vhosts: [{ port: ctx.ports.cgi, vars: { CALLNORM, CONFIG }, auth: HTPASSWD }] }));
  });

  after(async () => {
    await W.stopAll(procs.reverse());
    W.removeTmpdirs();
  });

  const requests = [
    '/api/healthz',
    '/api/providers',
    '/api/calls?limit=25',
    '/api/calls?limit=10&provider=voicy,talkover&order=asc',
    '/api/calls?limit=5&direction=inbound',
    '/api/calls?limit=0',
    '/api/calls?cursor=not-a-cursor',
    '/api/calls?provider=nope',
    '/api/nope',
  ];
  for (const p of requests) {
    it(`GET ${p}`, async () => {
      const got = {};
      for (const [name, port] of Object.entries(ctx.ports)) got[name] = normalize(await W.request(port, p, { auth: AUTH }));
      assert.deepEqual(got.fcgid, got.nginx, 'mod_fcgid vs nginx');
      assert.deepEqual(got.cgi, got.nginx, 'mod_cgi vs nginx');
    });
  }

  it('GET /api/calls/{id}: one call in full, and the route\'s errors', async () => {
    const ids = [];
    for (const kind of ['verbex', 'voicy', 'talkover', 'osvi', 'zudu']) {
      const r = await W.request(ctx.ports.nginx, `/api/calls?provider=${kind}&limit=2`, { auth: AUTH });
      for (const c of r.json().data) ids.push(c.id);
    }
    const paths = [
      ...ids.map((id) => '/api/calls/' + encodeURIComponent(id)),
      '/api/calls/' + encodeURIComponent(ids[0]) + '?include=raw',
      '/api/calls/' + ids[2], // ':' as is
      '/api/calls/verbex%3A..',
      '/api/calls/verbex:nope',
      '/api/calls/nocolon',
      '/api/calls/verbex:caf%C3%A9',
      '/api/calls/verbex:x?limit=1',
      '/api/calls/nosuch:x',
    ];
    for (const p of paths) {
      const got = {};
      for (const [name, port] of Object.entries(ctx.ports)) got[name] = normalize(await W.request(port, p, { auth: AUTH }));
      assert.equal(got.nginx.cache, 'private, no-store', p);
      assert.deepEqual(got.fcgid, got.nginx, 'mod_fcgid vs nginx: ' + p);
      assert.deepEqual(got.cgi, got.nginx, 'mod_cgi vs nginx: ' + p);
    }
  });

  it('POST /api/calls', async () => {
    const got = {};
    for (const [name, port] of Object.entries(ctx.ports))
      got[name] = normalize(await W.request(port, '/api/calls', { method: 'POST', body: 'x=1', auth: AUTH }));
    assert.equal(got.nginx.status, 405);
    assert.deepEqual(got.fcgid, got.nginx);
    assert.deepEqual(got.cgi, got.nginx);
  });

  it('a cursor from one deployment pages on through the others', async () => {
    const q = '/api/calls?limit=7&provider=verbex,zudu';
    const chain = async (ports) => {
      const pages = [];
      let url = q;
      for (const port of ports) {
        const r = await W.request(port, url, { auth: AUTH });
        assert.equal(r.status, 200, r.text);
        const b = r.json();
        pages.push(b.data.map((c) => c.id));
        url = W.nextLink(r);
        assert.ok(url);
      }
      return pages;
    };
    const { nginx, fcgid, cgi } = ctx.ports;
    const mixed = await chain([nginx, fcgid, cgi, nginx]);
    const plain = await chain([nginx, nginx, nginx, nginx]);
    assert.deepEqual(mixed, plain);
    assert.equal(new Set(plain.flat()).size, 28);
  });
});
