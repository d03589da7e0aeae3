// Starting the built callnorm binary and the simulators for tests.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fcgiRequest, cgiParams, parseCgi } from './fcgi.mjs';
import { validateResponse } from './contract.mjs';
import { KINDS as SIM_KINDS } from '../../sim/store.mjs';
import { accountSid as twilioAccountSid } from '../../sim/kinds/twilio.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
export const root = path.resolve(here, '..', '..');
// Every kind the simulator serves (one provider each, named after it):
// the suites that run every kind iterate over these.
export const KINDS = Object.keys(SIM_KINDS).sort();
export const KIND_NAMES = Object.keys(SIM_KINDS);
export const bin = process.env.CALLNORM_BIN || path.join(root, 'build', 'src', 'callnorm');
// Prefix for running callnorm under valgrind or similar (space separated).
const wrap = (process.env.CALLNORM_WRAP || '').split(' ').filter(Boolean);
// The least number of threads of every server (the ThreadSanitizer run
// sets 4): it raises the default and any smaller count a test asks for.
const minThreads = Number(process.env.CALLNORM_THREADS || 0);

// A sanitizer's report (ASan, LSan, TSan, UBSan) in a callnorm's stderr:
// the test that started it fails, even when every answer looked right.
const REPORT = /^(?:WARNING|ERROR|SUMMARY): \w*Sanitizer\b|^\S+:\d+:\d+: runtime error: /m;
const reported = [];
process.on('exit', () => {
  if (reported.length === 0) return;
  process.stderr.write(`callnorm sanitizer report(s):\n${reported.join('\n')}\n`);
  process.exitCode = 1;
});
// A sanitizer's options reach callnorm, whose environment is otherwise
// only what each test gives it.
export const sanitizerEnv = Object.fromEntries(['ASAN_OPTIONS', 'LSAN_OPTIONS', 'TSAN_OPTIONS', 'UBSAN_OPTIONS']
  .filter((k) => process.env[k] !== undefined).map((k) => [k, process.env[k]]));
function checkReport(what, stderr) {
  const m = REPORT.exec(stderr);
  if (!m) return;
  const text = `${what}: ${stderr.slice(Math.max(0, m.index - 200), m.index + 4000)}`;
  reported.push(text);
  throw new Error('sanitizer report from ' + text);
}

// Removed when the test process exits, however the test ended.
const made = [];
process.on('exit', () => {
  for (const d of made) fs.rmSync(d, { recursive: true, force: true });
});
export function tmpdir(prefix = 'callnorm-') {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  made.push(d);
  return d;
}

export function writeConfig(dir, text, name = 'callnorm.conf') {
  const p = path.join(dir, name);
  fs.writeFileSync(p, text);
  return p;
}

// main: "key = value" lines for [callnorm]; they replace the defaults.
export function simConfig(simPort, { providers = KIND_NAMES, kinds = {}, extra = '', main = '', timeoutMs = 3000 } = {}) {
  const keys = { cursor_key: 'test-cursor-key-0123456789abcdef0123', request_timeout_ms: '5000' };
  for (const line of main.split('\n')) {
    const m = line.match(/^\s*([a-z_]+)\s*=\s*(.*?)\s*$/);
    if (m) keys[m[1]] = m[2];
  }
  let text = '[callnorm]\n' + Object.entries(keys).map(([k, v]) => `${k} = ${v}\n`).join('') + '\n';
  for (const name of providers) {
    const kind = kinds[name] || name;
    text += `[provider ${name}]\nkind = ${kind}\nbase_url = http://127.0.0.1:${simPort}/${name}\napi_key = sim-${name}-key\n`;
    if (kind === 'zudu') text += `api_secret = sim-${name}-secret\n`;
    if (kind === 'twilio') text += `account_sid = ${twilioAccountSid(name)}\n`;
    text += `timeout_ms = ${timeoutMs}\n`;
  }
  return text + extra;
}

// One CGI request: the binary reads the environment, answers on stdout.
export function cgi(config, url, opts = {}) {
  const params = cgiParams(url, opts);
  const env = { PATH: process.env.PATH, ...sanitizerEnv, CALLNORM_CONFIG: config, ...params, ...(opts.env || {}) };
  const args = [...wrap, bin];
  const r = spawnSync(args[0], args.slice(1), { env, input: '', maxBuffer: 256 << 20, timeout: 60000 });
  if (r.error) throw r.error;
  checkReport(`CGI ${url}`, r.stderr.toString());
  const res = parseCgi(r.stdout);
  // every response must match docs/openapi.yaml (throws otherwise)
  validateResponse(opts.method, url, res);
  return { ...res, exitCode: r.status, stderr: r.stderr.toString() };
}

export async function waitFor(fn, timeoutMs = 10000, what = 'condition') {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try { if (await fn()) return; } catch { /* not yet */ }
    if (Date.now() > end) throw new Error('timed out waiting for ' + what);
    await new Promise((r) => setTimeout(r, 25));
  }
}

// callnorm --listen unix:... ; resolves once it answers /healthz.
// threads: 0 passes no --threads (the default, growing pool).
export async function startServer(config, { threads = 2, workers = 1, env = {}, args = [] } = {}) {
  const dir = tmpdir('callnorm-sock-');
  const sock = path.join(dir, 'callnorm.sock');
  if (threads !== 0 && threads < minThreads) threads = minThreads;
  const argv = [...wrap, bin, '-c', config, '--listen', 'unix:' + sock, ...(threads ? ['--threads', String(threads)] : []), '--workers', String(workers), ...args];
  const child = spawn(argv[0], argv.slice(1), { env: { PATH: process.env.PATH, ...sanitizerEnv, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  child.stdout.on('data', () => {});
  // 'close': after the last of stderr, where a report at exit ends up.
  // A report fails the test file at its exit (stop() does not throw, so
  // the simulators of an after() hook still stop).
  const exited = new Promise((resolve) => child.on('close', (code, signal) => {
    try { checkReport(`callnorm server ${sock}`, stderr); } catch { /* kept in reported */ }
    resolve({ code, signal });
  }));
  const server = {
    child, sock, exited,
    get stderr() { return stderr; },
    raw: (url, opts = {}) => fcgiRequest({ path: sock }, cgiParams(url, opts), opts),
    // every response must match docs/openapi.yaml (rejects otherwise)
    request: async (url, opts = {}) => validateResponse(opts.method, url, await server.raw(url, opts)),
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
  // generous: a loaded machine, a sanitizer build or valgrind start slowly
  await waitFor(async () => (await server.raw('/healthz')).status === 200, 60000, 'callnorm to listen');
  return server;
}

// The provider simulators (sim/sim.mjs) on an ephemeral port.
export async function startSim({ seed = 42, size = 120, args = [] } = {}) {
  const child = spawn(process.execPath, [path.join(root, 'sim', 'sim.mjs'), '--port', '0', '--seed', String(seed), '--size', String(size), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr.on('data', (d) => { err += d; });
  const port = await new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('simulator did not start: ' + err)), 30000);
    child.stdout.on('data', (d) => {
      out += d;
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) { clearTimeout(t); resolve(JSON.parse(line).port); }
    });
    child.on('exit', (c) => { clearTimeout(t); reject(new Error('simulator exited ' + c + ': ' + err)); });
  });
  const base = `http://127.0.0.1:${port}`;
  const control = async (p, method = 'GET', body) => {
    const r = await fetch(base + '/_control/' + p, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    const t = await r.text();
    return t ? JSON.parse(t) : null;
  };
  return {
    port, base, child, control,
    dataset: async (name) => (await control(`${name}/dataset`)).records,
    log: async (name) => control(`${name}/log`),
    clearLog: () => control('log', 'DELETE'),
    reset: () => control('reset', 'POST'),
    stop: () => new Promise((resolve) => { if (child.exitCode !== null) return resolve(); child.on('exit', resolve); child.kill('SIGTERM'); }),
  };
}

export function json(res) {
  return JSON.parse(res.text);
}
