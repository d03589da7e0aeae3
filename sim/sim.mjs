#!/usr/bin/env node
// callnorm provider simulator: serves the "list calls" APIs of verbex, voicy,
// talkover, osvi, zudu, retell, twilio, vapi and elevenlabs from one deterministic data set, with a control
// API for latency, faults, inserts and request logs. See sim/README.md.

import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { Store, KINDS } from './store.mjs';
import { applyFault, checkFault, prepareFault } from './faults.mjs';
import { isPlainObject } from './common.mjs';
import { RateLimit, DOCUMENTED } from './ratelimit.mjs';

const NAME_RE = /^[a-z0-9][a-z0-9_-]{0,31}$/;

function usage(msg) {
  if (msg) process.stderr.write('sim: ' + msg + '\n');
  process.stderr.write(
    'usage: node sim/sim.mjs --port N [--host 127.0.0.1] [--seed 42] [--size N|NAME=N ...]\n' +
      '                        [--provider NAME=KIND ...] [--late-starts NAME=N ...] [--latency-ms MS] [--ready-file PATH]\n' +
      '                        [--rate-limits]\n',
  );
  process.exit(2);
}

function parseArgs(argv) {
  const o = { port: 8700, host: '127.0.0.1', seed: '42', size: 200, sizes: {}, late: {}, providers: [], latency: 0, readyFile: null, rateLimits: false };
  for (let i = 0; i < argv.length; i++) {
    let a = argv[i];
    let v;
    const eq = a.indexOf('=');
    if (a.startsWith('--') && eq > 0 && !['--provider', '--size', '--late-starts'].includes(a.slice(0, eq))) {
      v = a.slice(eq + 1);
      a = a.slice(0, eq);
    } else if (a.startsWith('--provider=') || a.startsWith('--size=') || a.startsWith('--late-starts=')) {
      v = a.slice(eq + 1);
      a = a.slice(0, eq);
    }
    const val = () => {
      if (v !== undefined) return v;
      if (i + 1 >= argv.length) usage('missing value for ' + a);
      return argv[++i];
    };
    switch (a) {
      case '--port': {
        const p = val();
        if (!/^\d+$/.test(p) || +p > 65535) usage('bad --port');
        o.port = +p;
        break;
      }
      case '--host':
        o.host = val();
        break;
      case '--seed':
        o.seed = val();
        break;
      case '--size': {
        const s = val();
        const m = /^(?:([a-z0-9][a-z0-9_-]{0,31})=)?(\d+)$/.exec(s);
        if (!m) usage('bad --size ' + s);
        if (m[1]) o.sizes[m[1]] = +m[2];
        else o.size = +m[2];
        break;
      }
      case '--provider': {
        const s = val();
        const m = /^([^=]+)=([a-z]+)$/.exec(s);
        if (!m || !NAME_RE.test(m[1])) usage('bad --provider ' + s + ' (NAME=KIND)');
        if (!KINDS[m[2]]) usage('unknown kind ' + m[2]);
        if (o.providers.some((p) => p.name === m[1])) usage('duplicate provider ' + m[1]);
        o.providers.push({ name: m[1], kind: m[2] });
        break;
      }
      case '--late-starts': {
        const s = val();
        const m = /^([a-z0-9][a-z0-9_-]{0,31})=(\d+)$/.exec(s);
        if (!m) usage('bad --late-starts ' + s + ' (NAME=N)');
        o.late[m[1]] = +m[2];
        break;
      }
      case '--latency-ms': {
        const s = val();
        if (!/^\d+$/.test(s)) usage('bad --latency-ms');
        o.latency = +s;
        break;
      }
      case '--ready-file':
        o.readyFile = val();
        break;
      case '--rate-limits':
        o.rateLimits = true;
        break;
      case '-h':
      case '--help':
        usage();
        break;
      default:
        usage('unknown argument ' + a);
    }
  }
  if (!o.providers.length) o.providers = Object.keys(KINDS).map((k) => ({ name: k, kind: k }));
  for (const n of Object.keys(o.sizes)) if (!o.providers.some((p) => p.name === n)) usage('--size for unknown provider ' + n);
  for (const n of Object.keys(o.late)) if (!o.providers.some((p) => p.name === n)) usage('--late-starts for unknown provider ' + n);
  return o;
}

const opts = parseArgs(process.argv.slice(2));
const t0 = Date.now();
const stores = new Map();
for (const p of opts.providers) {
  const s = new Store({ name: p.name, kind: p.kind, size: opts.sizes[p.name] ?? opts.size, seed: opts.seed, late: opts.late[p.name] ?? 0 });
  s.latencyDefault = opts.latency;
  s.latency = opts.latency;
  s.rateLimit = new RateLimit(p.kind, opts.rateLimits);
  stores.set(p.name, s);
}
process.stderr.write(`sim: generated ${[...stores.values()].map((s) => s.name + '=' + s.size).join(' ')} in ${Date.now() - t0} ms\n`);

// ---------- helpers ----------

function send(res, status, body, headers = {}) {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const buf = Buffer.from(text);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': buf.length, ...headers });
  res.end(buf);
}

function queryObject(sp) {
  const q = {};
  for (const [k, v] of sp) {
    if (Object.prototype.hasOwnProperty.call(q, k)) q[k] = Array.isArray(q[k]) ? [...q[k], v] : [q[k], v];
    else q[k] = v;
  }
  return q;
}

function isLoopback(addr) {
  return !!addr && (addr.startsWith('127.') || addr === '::1' || addr.startsWith('::ffff:127.'));
}

function runHandler(store, req) {
  const r = store.K.handle(store, req);
  return { status: r.status, text: r.raw !== undefined ? r.raw : JSON.stringify(r.body) };
}

// ---------- list endpoints ----------

// The provider's own rate limit (sim/ratelimit.mjs), checked when the
// request arrives, before faults and latency: true when it was refused.
function limited(store, res, entry) {
  const r = store.rateLimit.take(entry.t);
  if (!r) return false;
  entry.status = r.status;
  entry.rate_limited = true;
  send(res, r.status, r.body, r.headers);
  return true;
}

function limitHeaders(store) {
  return store.rateLimit.enabled ? store.rateLimit.headers(Date.now()) : {};
}

async function onList(store, req, res, url, bodyText) {
  let body = null;
  if (bodyText) {
    try {
      body = JSON.parse(bodyText);
    } catch {
      body = null;
    }
  }
  const entry = {
    method: req.method,
    path: url.pathname,
    query: queryObject(url.searchParams),
    body,
    headers: { ...req.headers },
    status: null,
    t: Date.now(),
  };
  store.addLog(entry);
  if (limited(store, res, entry)) return;
  const fault = store.takeFault();
  if (store.latency > 0) await new Promise((r) => setTimeout(r, store.latency));
  if (res.destroyed) return;
  const hreq = { method: req.method, url, headers: req.headers, bodyText };
  if (fault) {
    entry.status = applyFault(fault, {
      store, req, res, redirectPort: redirect.port, normal: () => runHandler(store, hreq),
    });
    return;
  }
  const r = runHandler(store, hreq);
  if (r.status === 200) store.lastPage = r;
  entry.status = r.status;
  send(res, r.status, r.text, limitHeaders(store));
}

// ---------- control API ----------

// A get-call endpoint (the kind's `detail`): logged, faulted and delayed
// like the list.
async function onDetail(store, req, res, url, bodyText, m) {
  const entry = { method: req.method, path: url.pathname, query: queryObject(url.searchParams), body: null, headers: { ...req.headers }, status: null, t: Date.now(), detail: m.part, raw_path: req.url.split('?')[0] };
  store.addLog(entry);
  if (limited(store, res, entry)) return;
  const fault = store.takeFault();
  if (store.latency > 0) await new Promise((r) => setTimeout(r, store.latency));
  if (res.destroyed) return;
  const run = () => {
    const r = store.K.detail.handle(store, { method: req.method, url, headers: req.headers, bodyText }, m);
    return { status: r.status, text: JSON.stringify(r.body) };
  };
  if (fault) {
    entry.status = applyFault(fault, { store, req, res, redirectPort: redirect.port, normal: run });
    return;
  }
  const r = run();
  entry.status = r.status;
  send(res, r.status, r.text, limitHeaders(store));
}

function record(store, c) {
  return '{"native":' + store.json(c) + ',"expected":' + JSON.stringify(store.expected(c)) + '}';
}

async function streamDataset(store, res) {
  const calls = store.defaultOrder();
  res.writeHead(200, { 'Content-Type': 'application/json' });
  let buf = '{"records":[';
  for (let i = 0; i < calls.length; i++) {
    buf += (i ? ',' : '') + record(store, calls[i]);
    if (buf.length > 1 << 20) {
      const ok = res.write(buf);
      buf = '';
      if (!ok) await new Promise((r) => res.once('drain', r));
      if (res.destroyed) return;
    }
  }
  res.end(buf + ']}');
}

function providerInfo(s) {
  const key = 'sim-' + s.name + '-key';
  const auth = s.K.authHeaders
    ? s.K.authHeaders(s.name)
    : s.kind === 'osvi'
      ? { 'API-Token': key }
      : s.kind === 'zudu'
        ? { 'X-API-KEY': key, 'X-API-SECRET': 'sim-' + s.name + '-secret' }
        : { Authorization: 'Bearer ' + key };
  return {
    name: s.name, kind: s.kind, prefix: '/' + s.name, method: s.K.method, path: '/' + s.name + (s.K.pathFor ? s.K.pathFor(s.ctx) : s.K.path),
    size: s.base.length, auth, agents: s.ctx.agents, latency_ms: s.latency, fault: s.fault, rate_limit: s.rateLimit.info(),
    ...(s.K.info ? s.K.info(s.ctx) : {}),
  };
}

function jsonBody(bodyText) {
  if (!bodyText || !bodyText.trim()) return {};
  try {
    return JSON.parse(bodyText);
  } catch {
    return undefined;
  }
}

async function onControl(req, res, url, bodyText) {
  if (!isLoopback(req.socket.remoteAddress)) return send(res, 403, { error: 'forbidden', message: 'control API is loopback only' });
  const parts = url.pathname.split('/').filter(Boolean).slice(1); // after _control
  const m = req.method;
  const b = jsonBody(bodyText);
  if (b === undefined) return send(res, 400, { error: 'bad_request', message: 'body must be JSON' });
  if (parts.length === 1) {
    const [a] = parts;
    if (a === 'providers' && m === 'GET') return send(res, 200, { providers: [...stores.values()].map(providerInfo), redirect_port: redirect.port });
    if (a === 'log' && m === 'DELETE') {
      for (const s of stores.values()) s.log = [];
      return send(res, 200, { ok: true });
    }
    if (a === 'reset' && m === 'POST') {
      for (const s of stores.values()) {
        s.resetState();
        s.rateLimit.reset();
      }
      redirect.hits = 0;
      return send(res, 200, { ok: true });
    }
    if (a === 'latency' && m === 'POST') {
      if (!isPlainObject(b) || !Number.isInteger(b.ms) || b.ms < 0) return send(res, 400, { error: 'bad_request', message: 'ms must be a non-negative integer' });
      for (const s of stores.values()) s.latency = b.ms;
      return send(res, 200, { ok: true, ms: b.ms });
    }
    // every provider whose kind documents a limit
    if (a === 'ratelimit' && m === 'POST') {
      if (!isPlainObject(b) || typeof b.enabled !== 'boolean' || Object.keys(b).length !== 1) return send(res, 400, { error: 'bad_request', message: 'body must be {"enabled": true|false}' });
      const out = {};
      for (const s of stores.values()) {
        if (!DOCUMENTED[s.kind]) continue;
        s.rateLimit.configure(b);
        out[s.name] = s.rateLimit.info();
      }
      return send(res, 200, { ok: true, providers: out });
    }
    if (a === 'redirect-target' && m === 'GET') return send(res, 200, { port: redirect.port, hits: redirect.hits });
    return send(res, 404, { error: 'not_found', path: url.pathname });
  }
  if (parts.length === 2) {
    const [name, what] = parts;
    const s = stores.get(name);
    if (!s) return send(res, 404, { error: 'unknown_provider', name });
    if (what === 'dataset' && m === 'GET') return streamDataset(s, res);
    if (what === 'latency' && m === 'POST') {
      if (!isPlainObject(b) || !Number.isInteger(b.ms) || b.ms < 0) return send(res, 400, { error: 'bad_request', message: 'ms must be a non-negative integer' });
      s.latency = b.ms;
      return send(res, 200, { ok: true, ms: b.ms });
    }
    if (what === 'fault' && m === 'POST') {
      const e = checkFault(b);
      if (e) return send(res, 400, { error: 'bad_request', message: e });
      prepareFault(b);
      s.fault = { ...b, count: b.count ?? 1 };
      return send(res, 200, { ok: true, fault: s.fault });
    }
    if (what === 'fault' && m === 'DELETE') {
      s.fault = null;
      return send(res, 200, { ok: true });
    }
    if (what === 'insert' && m === 'POST') {
      const n = b.count ?? 1;
      if (!Number.isInteger(n) || n < 1 || n > 100000) return send(res, 400, { error: 'bad_request', message: 'count must be an integer from 1 to 100000' });
      const at = b.at_ms ?? Date.now();
      if (!Number.isInteger(at) || (b.spec !== undefined && !isPlainObject(b.spec))) return send(res, 400, { error: 'bad_request', message: 'at_ms must be an integer and spec an object' });
      const added = s.insert(n, at, b.spec ?? null);
      return send(res, 200, '{"records":[' + added.map((c) => record(s, c)).join(',') + ']}');
    }
    if (what === 'token' && m === 'POST') {
      if (s.kind !== 'verbex') return send(res, 400, { error: 'bad_request', message: 'page token length is a verbex option' });
      if (!isPlainObject(b) || !Number.isInteger(b.bytes) || b.bytes < 1 || b.bytes > 100000) return send(res, 400, { error: 'bad_request', message: 'bytes must be an integer from 1 to 100000' });
      s.tokenBytes = { bytes: b.bytes, opaque: b.opaque === true };
      return send(res, 200, { ok: true, token: s.tokenBytes });
    }
    if (what === 'next-uri' && m === 'POST') {
      if (s.kind !== 'twilio') return send(res, 400, { error: 'bad_request', message: 'next_page_uri prefixes are a twilio option' });
      if (!isPlainObject(b) || (b.prefix !== null && typeof b.prefix !== 'string')) return send(res, 400, { error: 'bad_request', message: 'prefix must be a string or null' });
      s.nextUriPrefix = b.prefix;
      return send(res, 200, { ok: true, prefix: s.nextUriPrefix });
    }
    if (what === 'quirk' && m === 'POST') {
      if (!s.K.quirk) return send(res, 400, { error: 'bad_request', message: 'no quirks for kind ' + s.kind });
      const e = s.K.quirk(s, b);
      if (e) return send(res, 400, { error: 'bad_request', message: e });
      return send(res, 200, { ok: true, quirks: s.quirks });
    }
    if (what === 'log' && m === 'GET') return send(res, 200, s.log);
    if (what === 'log' && m === 'DELETE') {
      s.log = [];
      return send(res, 200, { ok: true });
    }
    if (what === 'info' && m === 'GET') return send(res, 200, providerInfo(s));
    if (what === 'ratelimit' && m === 'GET') return send(res, 200, s.rateLimit.info());
    if (what === 'ratelimit' && m === 'POST') {
      const e = s.rateLimit.configure(b);
      if (e) return send(res, 400, { error: 'bad_request', message: e });
      return send(res, 200, { ok: true, ...s.rateLimit.info() });
    }
    // the normalized detail a get-call answer must become: ?id=NATIVE_ID
    if (what === 'detail' && m === 'GET') {
      if (!s.K.detail) return send(res, 404, { error: 'no_detail', kind: s.kind });
      const c = s.byId.get(url.searchParams.get('id') ?? '');
      if (!c) return send(res, 404, { error: 'unknown_call' });
      return send(res, 200, { expected: s.K.detail.expected(c, s.ctx) });
    }
  }
  return send(res, 404, { error: 'not_found', path: url.pathname });
}

// ---------- server ----------

const MAX_BODY = 1 << 20;

function onRequest(req, res) {
  const chunks = [];
  let size = 0;
  let tooBig = false;
  req.on('data', (c) => {
    size += c.length;
    if (size > MAX_BODY) tooBig = true;
    else chunks.push(c);
  });
  req.on('end', () => {
    if (tooBig) return send(res, 413, { error: 'payload_too_large' }, { Connection: 'close' });
    const bodyText = chunks.length ? Buffer.concat(chunks).toString('utf8') : '';
    let url;
    try {
      url = new URL(req.url, 'http://sim.invalid');
    } catch {
      return send(res, 400, { error: 'bad_request' });
    }
    dispatch(req, res, url, bodyText).catch((e) => {
      process.stderr.write('sim: ' + (e && e.stack ? e.stack : e) + '\n');
      if (!res.headersSent) send(res, 500, { error: 'simulator_error' });
      else res.destroy();
    });
  });
}

async function dispatch(req, res, url, bodyText) {
  const p = url.pathname;
  if (p === '/_control' || p.startsWith('/_control/')) return onControl(req, res, url, bodyText);
  const slash = p.indexOf('/', 1);
  const name = slash < 0 ? p.slice(1) : p.slice(1, slash);
  const s = stores.get(name);
  if (s) {
    const rest = slash < 0 ? '' : p.slice(slash);
    // the id segment as sent, before the list: a WHATWG URL resolves an
    // escaped "%2E%2E" or "%2E" as a dot segment, which a provider's HTTP
    // server does not ("/v1/calls/%2E" is no list request)
    const rawPath = req.url.split('?')[0];
    const rawRest = rawPath.startsWith('/' + name + '/') ? rawPath.slice(name.length + 1) : rest;
    const dm = s.K.detail ? s.K.detail.match(rawRest, req.method) : null;
    if (dm) return onDetail(s, req, res, url, bodyText, dm);
    if (s.K.matches ? s.K.matches(rest) : rest === s.K.path) {
      if (req.method !== s.K.method) return send(res, 405, { error: 'method_not_allowed', allow: s.K.method }, { Allow: s.K.method });
      return onList(s, req, res, url, bodyText);
    }
    if (s.kind === 'verbex' && rest === '/v1/calls') {
      // FastAPI redirect_slashes behaviour
      return send(res, 307, 'null', { Location: '/' + name + '/v1/calls/' + url.search });
    }
  }
  return send(res, 404, { error: 'not_found', path: p });
}

const server = http.createServer({ keepAliveTimeout: 65000, requestTimeout: 0 }, onRequest);
server.keepAliveTimeout = 65000;
server.headersTimeout = 66000;
server.requestTimeout = 0;
server.maxConnections = Infinity;
server.maxRequestsPerSocket = 0;

// Target of the `redirect` fault: counts hits and answers an empty page.
const redirect = { port: 0, hits: 0 };
const redirectServer = http.createServer((req, res) => {
  redirect.hits++;
  req.resume();
  send(res, 200, { redirected: true, calls: [], data: [] });
});

function shutdown() {
  server.close();
  redirectServer.close();
  if (server.closeAllConnections) server.closeAllConnections();
  if (redirectServer.closeAllConnections) redirectServer.closeAllConnections();
  process.exit(0);
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
process.on('SIGPIPE', () => {});

redirectServer.listen(0, '127.0.0.1', () => {
  redirect.port = redirectServer.address().port;
  server.listen({ port: opts.port, host: opts.host, backlog: 4096 }, () => {
    const line = JSON.stringify({ port: server.address().port, pid: process.pid });
    process.stdout.write(line + '\n');
    if (opts.readyFile) {
      const tmp = path.join(path.dirname(opts.readyFile), '.' + path.basename(opts.readyFile) + '.' + process.pid + '.tmp');
      fs.writeFileSync(tmp, line + '\n');
      fs.renameSync(tmp, opts.readyFile);
    }
  });
});
server.on('error', (e) => {
  process.stderr.write('sim: ' + e.message + '\n');
  process.exit(1);
});
