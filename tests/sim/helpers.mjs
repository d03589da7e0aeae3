// Shared helpers for the simulator tests: start/stop a simulator child
// process and speak HTTP to it.

import { spawn } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const SIM = path.join(ROOT, 'sim', 'sim.mjs');

export async function startSim(args = []) {
  const child = spawn(process.execPath, [SIM, '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  const line = await new Promise((resolve, reject) => {
    let out = '';
    const onData = (d) => {
      out += d;
      const nl = out.indexOf('\n');
      if (nl >= 0) {
        child.stdout.off('data', onData);
        resolve(out.slice(0, nl));
      }
    };
    child.stdout.on('data', onData);
    child.on('exit', (code) => reject(new Error('simulator exited with ' + code + ': ' + err)));
  });
  const ready = JSON.parse(line);
  const sim = {
    child,
    port: ready.port,
    pid: ready.pid,
    stderr: () => err,
    async stop() {
      if (child.exitCode !== null) return child.exitCode;
      const done = new Promise((r) => child.once('exit', (code) => r(code)));
      child.kill('SIGTERM');
      return done;
    },
    request: (method, p, opts = {}) => request(ready.port, method, p, opts),
    control: async (method, p, body) => {
      const r = await request(ready.port, method, '/_control' + p, { body });
      return r.json();
    },
  };
  const info = await sim.control('GET', '/providers');
  sim.providers = Object.fromEntries(info.providers.map((p) => [p.name, p]));
  sim.redirectPort = info.redirect_port;
  // list request for provider NAME: GET with a query object or POST with a JSON body
  sim.list = (name, params = {}, extra = {}) => {
    const p = sim.providers[name];
    const headers = extra.noAuth ? {} : { ...p.auth };
    Object.assign(headers, extra.headers || {});
    if (p.method === 'GET') {
      const qs = toQuery(params);
      return request(ready.port, 'GET', p.path + (qs ? '?' + qs : ''), { headers, timeout: extra.timeout });
    }
    return request(ready.port, 'POST', p.path, { headers, body: params, timeout: extra.timeout });
  };
  sim.dataset = async (name) => (await sim.control('GET', '/' + name + '/dataset')).records;
  return sim;
}

export function toQuery(params) {
  const sp = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null) continue;
    if (Array.isArray(v)) for (const x of v) sp.append(k, String(x));
    else sp.append(k, String(v));
  }
  return sp.toString();
}

const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });

export function request(port, method, p, { headers = {}, body, timeout = 10000, rawBody } = {}) {
  return new Promise((resolve, reject) => {
    const h = { ...headers };
    let payload = null;
    if (rawBody !== undefined) payload = Buffer.from(rawBody);
    else if (body !== undefined) {
      payload = Buffer.from(JSON.stringify(body));
      h['Content-Type'] = 'application/json';
    }
    if (payload) h['Content-Length'] = payload.length;
    const t0 = Date.now();
    const req = http.request({ host: '127.0.0.1', port, method, path: p, headers: h, agent }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const buf = Buffer.concat(chunks);
        resolve({
          status: res.statusCode,
          headers: res.headers,
          buf,
          text: buf.toString('utf8'),
          ms: Date.now() - t0,
          json() {
            return JSON.parse(buf.toString('utf8'));
          },
        });
      });
      res.on('error', reject);
      res.on('aborted', () => reject(new Error('aborted')));
    });
    req.setTimeout(timeout, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    if (payload) req.write(payload);
    req.end();
  });
}

// Raw HTTP/1.1 exchange over a fresh socket: returns everything read until
// the peer closes, plus the socket error (if any).
export function rawRequest(port, method, p, headers = {}, body = null, timeout = 10000) {
  return new Promise((resolve) => {
    const sock = net.connect(port, '127.0.0.1');
    const chunks = [];
    let error = null;
    let lines = `${method} ${p} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n`;
    for (const [k, v] of Object.entries(headers)) lines += `${k}: ${v}\r\n`;
    const payload = body === null ? null : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
    if (payload) lines += `Content-Type: application/json\r\nContent-Length: ${payload.length}\r\n`;
    sock.write(lines + '\r\n');
    if (payload) sock.write(payload);
    const timer = setTimeout(() => {
      error = new Error('timeout');
      sock.destroy();
    }, timeout);
    sock.on('data', (d) => chunks.push(d));
    sock.on('error', (e) => (error = e));
    sock.on('close', () => {
      clearTimeout(timer);
      const all = Buffer.concat(chunks);
      const sep = all.indexOf('\r\n\r\n');
      const headText = sep >= 0 ? all.subarray(0, sep).toString() : all.toString();
      const hdrs = {};
      for (const l of headText.split('\r\n').slice(1)) {
        const i = l.indexOf(':');
        if (i > 0) hdrs[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
      }
      const status = parseInt(headText.split(' ')[1], 10);
      resolve({ status, headers: hdrs, body: sep >= 0 ? all.subarray(sep + 4) : Buffer.alloc(0), error });
    });
  });
}

export const KIND_NAMES = ['verbex', 'voicy', 'talkover', 'osvi', 'zudu', 'bland', 'twilio', 'vapi', 'elevenlabs'];

export function nativeId(kind, rec) {
  if (kind === 'verbex') return rec._id;
  if (kind === 'talkover' || kind === 'vapi') return rec.id;
  if (kind === 'twilio') return rec.sid;
  if (kind === 'elevenlabs') return rec.conversation_id;
  return rec.call_id;
}

// Records of a list response body.
export function recordsOf(kind, body) {
  if (Array.isArray(body)) return body; // a bare array (vapi)
  if (kind === 'verbex' || kind === 'voicy' || kind === 'twilio') return body.calls;
  if (kind === 'zudu') return body.data.calls;
  if (kind === 'bland') return body.calls;
  if (kind === 'retell') return body.items;
  if (kind === 'elevenlabs') return body.conversations;
  return body.data;
}
