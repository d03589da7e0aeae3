// Helpers for the deployment tests (tests/deploy/): start the provider
// simulator, callnorm, and real nginx and Apache httpd instances built from
// the shipped snippets in nginx/ and apache/, each confined to its own
// temporary directory and loopback ports, and stop every one of them again.
//
// Environment:
//   CALLNORM_BIN       the callnorm binary (else $top_builddir/src/callnorm,
//                      build/src/callnorm, src/callnorm)
//   CALLNORM_KEEP_TMP  keep the temporary directories (logs, rendered configs)
//
// As root, Apache's children run as www-data, which may not be able to
// reach the checkout (a home directory or a mktemp -d parent is mode
// 0700).  So everything the web servers read or run is staged in
// world-readable temporary directories: the configurations, password
// files, document roots and sockets, and a copy of the callnorm binary
// (callnormBin() returns the copy).

import { spawn, execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { KINDS } from '../../sim/store.mjs';
import { accountSid as twilioAccountSid } from '../../sim/kinds/twilio.mjs';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const NGINX = '/usr/sbin/nginx';
export const APACHE = '/usr/sbin/apache2';
export const APACHE_MODULES = '/usr/lib/apache2/modules';
// one provider of every kind the simulator serves, named after it
export const PROVIDERS = Object.keys(KINDS);
export const CURSOR_KEY = 'deploy-test-cursor-key-0123456789abcdef';

const IS_ROOT = typeof process.getuid === 'function' && process.getuid() === 0;

// ---------- binaries and what is installed ----------

export function callnormBin() {
  const built = builtBin();
  if (staged && staged.src === built && exists(staged.bin)) return staged.bin;
  const dir = fs.mkdtempSync(path.join(sharedTmp(), 'callnorm-deploy-bin-'));
  fs.chmodSync(dir, 0o755);
  const bin = path.join(dir, 'callnorm');
  fs.copyFileSync(built, bin);
  fs.chmodSync(bin, 0o755);
  staged = { src: built, bin, dir };
  return bin;
}

let staged = null;
process.on('exit', () => {
  if (staged && !process.env.CALLNORM_KEEP_TMP) fs.rmSync(staged.dir, { recursive: true, force: true });
});

// os.tmpdir() when every directory on its path is searchable by others
// (www-data), else /tmp.
function sharedTmp() {
  const t = path.resolve(os.tmpdir());
  for (let d = t; ; d = path.dirname(d)) {
    try {
      if (!(fs.statSync(d).mode & 0o001)) return '/tmp';
    } catch {
      return '/tmp';
    }
    if (d === path.dirname(d)) return t;
  }
}

function builtBin() {
  const tried = [];
  const cands = [];
  if (process.env.CALLNORM_BIN) cands.push(process.env.CALLNORM_BIN);
  if (process.env.top_builddir) cands.push(path.join(process.env.top_builddir, 'src/callnorm'));
  cands.push(path.join(ROOT, 'build/src/callnorm'), path.join(ROOT, 'src/callnorm'));
  for (const c of cands) {
    tried.push(c);
    try {
      fs.accessSync(c, fs.constants.X_OK);
      if (fs.statSync(c).isFile()) return path.resolve(c);
    } catch {
      /* next */
    }
  }
  throw new Error('callnorm binary not found (set CALLNORM_BIN); tried ' + tried.join(', '));
}

function exists(p) {
  try {
    fs.accessSync(p);
    return true;
  } catch {
    return false;
  }
}

// Reason to skip a suite, or false when everything it needs is installed.
export function missing(what) {
  const need = {
    nginx: [[NGINX, 'nginx-light']],
    fcgid: [[APACHE, 'apache2'], [path.join(APACHE_MODULES, 'mod_fcgid.so'), 'libapache2-mod-fcgid']],
    cgi: [[APACHE, 'apache2'], [path.join(APACHE_MODULES, 'mod_cgi.so'), 'apache2']],
    proxy_fcgi: [[APACHE, 'apache2'], [path.join(APACHE_MODULES, 'mod_proxy_fcgi.so'), 'apache2']],
  }[what];
  for (const [p, pkg] of need) if (!exists(p)) return `${p} missing (apt-get install ${pkg})`;
  if (IS_ROOT && what !== 'nginx') {
    try {
      execFileSync('id', ['www-data'], { stdio: 'ignore' });
    } catch {
      return 'user www-data missing (Apache refuses to serve as root)';
    }
  }
  return false;
}

// ---------- processes ----------

const live = new Set();

function killLive() {
  for (const p of live) {
    try {
      process.kill(p.group ? -p.pid : p.pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
}
process.on('exit', killLive);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.once(sig, () => {
    killLive();
    process.exit(128 + os.constants.signals[sig]);
  });
}

// A child process whose output goes to LOG (and is kept in memory).  With
// GROUP it leads a process group of its own, and a last-resort kill takes
// the whole group (Apache's children, mod_fcgid's callnorm processes).
export class Proc {
  constructor(name, cmd, args, { env, cwd, log, group = false } = {}) {
    this.name = name;
    this.out = '';
    this.group = group;
    this.child = spawn(cmd, args, { env: env || process.env, cwd, stdio: ['ignore', 'pipe', 'pipe'], detached: group });
    this.pid = this.child.pid;
    this.exited = new Promise((resolve) => {
      this.child.on('exit', (code, signal) => {
        live.delete(this);
        this.exit = { code, signal };
        resolve(this.exit);
      });
    });
    this.child.on('error', (e) => {
      this.out += `spawn error: ${e.message}\n`;
    });
    const logFd = log ? fs.openSync(log, 'a') : null;
    const onData = (d) => {
      this.out += d;
      if (this.out.length > 1 << 20) this.out = this.out.slice(-(1 << 19));
      if (logFd !== null) fs.writeSync(logFd, d);
    };
    this.child.stdout.on('data', onData);
    this.child.stderr.on('data', onData);
    this.child.on('close', () => {
      if (logFd !== null) fs.closeSync(logFd);
    });
    live.add(this);
  }

  get running() {
    return this.exit === undefined;
  }

  // SIGNAL (default SIGTERM), then SIGKILL after GRACE ms; the exit status.
  async stop(signal = 'SIGTERM', grace = 5000) {
    if (!this.running) return this.exit;
    try {
      this.child.kill(signal);
    } catch {
      /* gone */
    }
    const t = setTimeout(() => {
      try {
        process.kill(this.group ? -this.pid : this.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }, grace);
    const r = await this.exited;
    clearTimeout(t);
    return r;
  }
}

export async function stopAll(procs) {
  await Promise.all(procs.filter(Boolean).map((p) => p.stop()));
}

export function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

// Polls FN until it is true.  The default limit is generous: a loaded
// machine (or a sanitizer build) may take many seconds to start a server.
export async function waitFor(what, fn, { timeout = 60000, proc } = {}) {
  const end = Date.now() + timeout;
  for (;;) {
    if (await fn()) return;
    if (proc && !proc.running) throw new Error(`${what}: ${proc.name} exited (${JSON.stringify(proc.exit)}):\n${proc.out}`);
    if (Date.now() > end) throw new Error(`${what}: timed out` + (proc ? `; ${proc.name} said:\n${proc.out}` : ''));
    await sleep(50);
  }
}

function canConnect(opts) {
  return new Promise((resolve) => {
    const s = net.connect(opts);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

export async function freePort() {
  const srv = net.createServer();
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address();
  await new Promise((r) => srv.close(r));
  return port;
}

// ---------- temporary directories and templates ----------

const tmpdirs = [];

export function tmpdir(tag) {
  const dir = fs.mkdtempSync(path.join(sharedTmp(), `callnorm-deploy-${tag}-`));
  // Apache's children run as www-data: they must read the configs.
  fs.chmodSync(dir, 0o755);
  tmpdirs.push(dir);
  return dir;
}

export function mkdir(d) {
  fs.mkdirSync(d, { recursive: true, mode: 0o755 });
  fs.chmodSync(d, 0o755);
  return d;
}

export function removeTmpdirs() {
  if (process.env.CALLNORM_KEEP_TMP) {
    for (const d of tmpdirs) process.stderr.write(`# kept ${d}\n`);
    return;
  }
  for (const d of tmpdirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
}

// The shipped file SRC (relative to the repository) with its @NAME@
// placeholders replaced from VARS.  Every placeholder must have a value.
export function render(src, vars) {
  const text = fs.readFileSync(path.join(ROOT, src), 'utf8');
  return text.replace(/@([A-Z][A-Z0-9_]*)@/g, (m, name) => {
    if (!(name in vars)) throw new Error(`${src}: no value for placeholder ${m}`);
    return String(vars[name]);
  });
}

export function install(src, dest, vars, mode = 0o644) {
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  fs.writeFileSync(dest, render(src, vars), { mode });
  fs.chmodSync(dest, mode);
  return dest;
}

// An htpasswd file readable by nginx and Apache (apr1 hashes).
export function htpasswd(file, users) {
  const lines = Object.entries(users).map(([u, pw]) => {
    let hash;
    try {
      hash = execFileSync('openssl', ['passwd', '-apr1', pw], { encoding: 'utf8' }).trim();
    } catch {
      hash = '{SHA}' + crypto.createHash('sha1').update(pw).digest('base64');
    }
    return `${u}:${hash}\n`;
  });
  fs.writeFileSync(file, lines.join(''), { mode: 0o644 });
  return file;
}

// ---------- the simulator ----------

export async function startSim({ dir, args = [] } = {}) {
  const proc = new Proc('sim', process.execPath, [path.join(ROOT, 'sim/sim.mjs'), '--port', '0', '--seed', '42', '--size', '200', ...args], {
    log: dir ? path.join(dir, 'sim.log') : undefined,
  });
  let ready = null;
  await waitFor(
    'simulator ready',
    () => {
      for (const line of proc.out.split('\n')) {
        if (!line.startsWith('{"port"')) continue;
        try {
          ready = JSON.parse(line);
          return true;
        } catch {
          /* not complete yet */
        }
      }
      return false;
    },
    { proc },
  );
  proc.port = ready.port;
  proc.control = async (method, p, body) => {
    const r = await request(ready.port, '/_control' + p, { method, body: body === undefined ? undefined : JSON.stringify(body) });
    if (r.status !== 200) throw new Error(`sim control ${method} ${p}: ${r.status} ${r.text}`);
    return r.json();
  };
  return proc;
}

// ---------- callnorm ----------

// A callnorm configuration for the simulator on SIMPORT with the five
// providers, and an [access] section when ACCESS is given ({user: [names]}).
export function writeConfig(file, { simPort, providers = PROVIDERS, access, requestTimeoutMs = 20000 }) {
  let t = '[callnorm]\n';
  t += `cursor_key = ${CURSOR_KEY}\n`;
  t += `request_timeout_ms = ${requestTimeoutMs}\n`;
  for (const name of providers) {
    t += `\n[provider ${name}]\nkind = ${name}\n`;
    t += `base_url = http://127.0.0.1:${simPort}/${name}\n`;
    t += `api_key = sim-${name}-key\n`;
    if (name === 'zudu') t += `api_secret = sim-${name}-secret\n`;
    if (name === 'twilio') t += `account_sid = ${twilioAccountSid(name)}\n`;
  }
  if (access) {
    t += '\n[access]\n';
    for (const [u, names] of Object.entries(access)) t += `${u} = ${names.join(', ')}\n`;
  }
  fs.writeFileSync(file, t, { mode: 0o644 });
  return file;
}

// callnorm --listen unix:SOCKET, ready when the socket accepts connections.
// callnorm makes the socket mode 0660; as root, hand it to www-data's group
// so that Apache's children may connect (as systemd's SocketGroup= would).
export async function startCallnorm({ config, socket, args = [], log }) {
  const proc = new Proc('callnorm', callnormBin(), ['-c', config, '--listen', 'unix:' + socket, ...args], { log });
  await waitFor('callnorm listening', () => canConnect({ path: socket }), { proc });
  if (IS_ROOT) {
    const gid = Number(execFileSync('id', ['-g', 'www-data'], { encoding: 'utf8' }).trim());
    fs.chownSync(socket, 0, gid);
  }
  return proc;
}

// ---------- nginx ----------

// A real nginx in DIR on loopback.  SERVERS: [{port, vars: {SOCKET,
// HTPASSWD}, site: bool, edit: fn, text}]: each server includes
// nginx/callnorm.conf rendered with VARS (then passed through EDIT, if
// given), or TEXT instead when given; the one with "site" is the shipped
// nginx/callnorm-site.conf, the others a bare server { listen; include; }.
export async function startNginx({ dir, servers }) {
  for (const sub of ['tmp/body', 'tmp/fastcgi', 'tmp/proxy', 'tmp/scgi', 'tmp/uwsgi', 'snippets', 'sites'])
    fs.mkdirSync(path.join(dir, sub), { recursive: true });
  // Debian's stock fastcgi_params, which the snippet includes.
  fs.copyFileSync('/etc/nginx/fastcgi_params', path.join(dir, 'fastcgi_params'));
  let conf = '';
  if (IS_ROOT) conf += 'user root;\n';
  conf += 'worker_processes 1;\n';
  conf += `pid ${dir}/nginx.pid;\n`;
  conf += `error_log ${dir}/error.log notice;\n`;
  conf += 'events { worker_connections 256; }\n';
  conf += 'http {\n';
  conf += `  access_log ${dir}/access.log;\n`;
  for (const [d, sub] of [
    ['client_body_temp_path', 'body'],
    ['fastcgi_temp_path', 'fastcgi'],
    ['proxy_temp_path', 'proxy'],
    ['scgi_temp_path', 'scgi'],
    ['uwsgi_temp_path', 'uwsgi'],
  ])
    conf += `  ${d} ${dir}/tmp/${sub};\n`;
  servers.forEach((s, i) => {
    let text = s.text !== undefined ? s.text : render('nginx/callnorm.conf', s.vars);
    if (s.edit) text = s.edit(text);
    if (s.site) {
      // The shipped site includes snippets/callnorm.conf by that name.
      fs.writeFileSync(path.join(dir, 'snippets/callnorm.conf'), text);
      install('nginx/callnorm-site.conf', path.join(dir, 'sites/callnorm-site.conf'), { PORT: s.port });
      conf += `  include sites/callnorm-site.conf;\n`;
    } else {
      const name = `snippets/callnorm-${i}.conf`;
      fs.writeFileSync(path.join(dir, name), text);
      conf += `  server {\n    listen 127.0.0.1:${s.port};\n    server_name s${i};\n    include ${name};\n  }\n`;
    }
  });
  conf += '}\n';
  const confFile = path.join(dir, 'nginx.conf');
  fs.writeFileSync(confFile, conf);
  const args = ['-p', dir, '-c', confFile, '-e', path.join(dir, 'error.log'), '-g', 'daemon off;'];
  try {
    execFileSync(NGINX, [...args, '-t', '-q'], { stdio: 'pipe' });
  } catch (e) {
    throw new Error(`nginx -t: ${e.stderr}\n${conf}`);
  }
  const proc = new Proc('nginx', NGINX, args, { log: path.join(dir, 'nginx.out') });
  proc.errorLog = () => readIfExists(path.join(dir, 'error.log'));
  for (const s of servers) await waitFor(`nginx on ${s.port}`, () => canConnect({ port: s.port, host: '127.0.0.1' }), { proc });
  return proc;
}

function readIfExists(f) {
  try {
    return fs.readFileSync(f, 'utf8');
  } catch {
    return '';
  }
}

// ---------- Apache httpd ----------

const APACHE_BASE_MODULES = ['mpm_prefork', 'authz_core', 'authz_host', 'alias', 'headers', 'env', 'mime', 'dir'];
const APACHE_MODE_MODULES = {
  fcgid: ['fcgid'],
  cgi: ['cgi'],
  proxy_fcgi: ['proxy', 'proxy_fcgi'],
  htaccess: ['cgi', 'rewrite'],
};
const APACHE_AUTH_MODULES = ['auth_basic', 'authn_core', 'authn_file', 'authz_user'];

// A real Apache httpd (prefork MPM) in DIR on loopback.
// MODE: fcgid | cgi | proxy_fcgi (the shipped apache/MODE.conf) or htaccess
// (apache/callnorm.htaccess in a document root, binary as api.cgi).
// VHOSTS: [{port, vars, auth: htpasswdFile?, extra: 'directives'}]; each is a
// <VirtualHost> that includes the rendered snippet (and apache/auth.conf).
export async function startApache({ dir, mode, vhosts, global = '' }) {
  const mods = [...APACHE_BASE_MODULES, ...APACHE_MODE_MODULES[mode]];
  if (vhosts.some((v) => v.auth)) mods.push(...APACHE_AUTH_MODULES);
  for (const sub of ['htdocs', 'run', 'conf']) fs.mkdirSync(path.join(dir, sub), { recursive: true });
  let c = '';
  c += `ServerName 127.0.0.1\n`;
  c += `PidFile ${dir}/run/httpd.pid\n`;
  c += `DefaultRuntimeDir ${dir}/run\n`;
  c += `Mutex file:${dir}/run default\n`;
  c += `ErrorLog ${dir}/error.log\n`;
  c += `LogLevel warn\n`;
  c += `Timeout 60\n`;
  c += 'TypesConfig /dev/null\n';
  for (const m of mods) c += `LoadModule ${m}_module ${APACHE_MODULES}/mod_${m}.so\n`;
  if (IS_ROOT) c += 'User www-data\nGroup www-data\n';
  c += 'StartServers 2\nMinSpareServers 1\nMaxSpareServers 4\nMaxRequestWorkers 32\n';
  c += 'KeepAlive Off\n';
  c += `DocumentRoot ${dir}/htdocs\n`;
  c += '<Directory />\n  AllowOverride None\n  Require all denied\n</Directory>\n';
  // An empty document root, readable as on a stock install (CGI's
  // PATH_TRANSLATED lookup maps PATH_INFO into it).
  c += `<Directory ${dir}/htdocs>\n  Require all granted\n</Directory>\n`;
  if (mode === 'fcgid') c += `FcgidIPCDir ${dir}/run/fcgid\nFcgidProcessTableFile ${dir}/run/fcgid_shm\n`;
  c += global;
  vhosts.forEach((v, i) => {
    c += `Listen 127.0.0.1:${v.port}\n`;
    c += `<VirtualHost 127.0.0.1:${v.port}>\n  ServerName vhost${i}.test\n`;
    if (mode === 'htaccess') {
      const docroot = path.join(dir, `htdocs${i}`);
      const sub = path.join(docroot, 'svc');
      fs.mkdirSync(sub, { recursive: true });
      fs.copyFileSync(callnormBin(), path.join(sub, 'api.cgi'));
      fs.chmodSync(path.join(sub, 'api.cgi'), 0o755);
      install('apache/callnorm.htaccess', path.join(sub, '.htaccess'), v.vars);
      c += `  DocumentRoot ${docroot}\n`;
      c += `  <Directory ${docroot}>\n    AllowOverride FileInfo AuthConfig Options Indexes\n    Options FollowSymLinks\n    Require all granted\n  </Directory>\n`;
    } else {
      const f = install(`apache/${mode}.conf`, path.join(dir, `conf/callnorm-${i}.conf`), v.vars);
      c += `  Include ${f}\n`;
    }
    if (v.auth) {
      const f = install('apache/auth.conf', path.join(dir, `conf/auth-${i}.conf`), { HTPASSWD: v.auth });
      c += `  Include ${f}\n`;
    }
    if (v.extra) c += v.extra + '\n';
    c += '</VirtualHost>\n';
  });
  const confFile = path.join(dir, 'httpd.conf');
  fs.writeFileSync(confFile, c);
  const args = ['-d', dir, '-f', confFile];
  try {
    execFileSync(APACHE, [...args, '-t'], { stdio: 'pipe' });
  } catch (e) {
    throw new Error(`apache2 -t: ${e.stderr}\n${c}`);
  }
  // Its own process group: at shutdown, httpd signals its whole group.
  const proc = new Proc('apache2', APACHE, [...args, '-DFOREGROUND'], { log: path.join(dir, 'apache.out'), group: true });
  proc.errorLog = () => readIfExists(path.join(dir, 'error.log'));
  for (const v of vhosts) await waitFor(`apache on ${v.port}`, () => canConnect({ port: v.port, host: '127.0.0.1' }), { proc });
  // SIGTERM stops Apache at once; its mod_fcgid children go with it.
  // Whatever is left in the group afterwards is killed.
  const stop = proc.stop.bind(proc);
  proc.stop = async (signal = 'SIGTERM', grace = 10000) => {
    const r = await stop(signal, grace);
    try {
      process.kill(-proc.pid, 'SIGKILL');
    } catch {
      /* group empty */
    }
    return r;
  };
  return proc;
}

// ---------- HTTP ----------

// One HTTP/1.1 request to 127.0.0.1:PORT on a fresh connection, from
// FROM (a source address; 127.0.0.2 stands for another host: the shipped
// snippets trust 127.0.0.1 and ::1 only, and Linux routes all of
// 127.0.0.0/8 to the loopback interface).
export function request(port, p, { method = 'GET', headers = {}, auth, body, timeout = 30000, from } = {}) {
  return new Promise((resolve, reject) => {
    const h = { ...headers };
    if (auth) h.Authorization = 'Basic ' + Buffer.from(auth).toString('base64');
    if (body !== undefined) h['Content-Length'] = Buffer.byteLength(body);
    const t0 = Date.now();
    const req = http.request({ host: '127.0.0.1', port, method, path: p, headers: h, agent: false, localAddress: from }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({
          status: res.statusCode,
          headers: res.headers,
          text,
          ms: Date.now() - t0,
          json() {
            try {
              return JSON.parse(text);
            } catch {
              throw new Error(`not JSON (${res.statusCode}): ${text.slice(0, 500)}`);
            }
          },
        });
      });
      res.on('error', reject);
    });
    req.setTimeout(timeout, () => req.destroy(new Error(`timeout after ${timeout} ms: ${method} ${p}`)));
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

// A TCP listener that counts connections: the target of a client's
// "Proxy:" header, which must never be used.
export async function connectionTrap() {
  const trap = { hits: 0 };
  const srv = net.createServer((s) => {
    trap.hits++;
    s.destroy();
  });
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  trap.port = srv.address().port;
  trap.close = () => new Promise((r) => srv.close(r));
  return trap;
}

// The next-page URL of a Link header, or null.
export function nextLink(res) {
  const l = res.headers.link;
  if (!l) return null;
  const m = /<([^>]+)>\s*;\s*rel="?next"?/.exec(l);
  return m ? m[1] : null;
}

// ---------- checks every deployment must pass ----------

export const RID_RE = /^[A-Za-z0-9._-]{1,64}$/;

export function assertCommonHeaders(assert, r) {
  assert.match(r.headers['x-request-id'] || '', RID_RE, 'X-Request-Id');
  assert.equal(r.headers['cache-control'], 'no-store');
  assert.equal(r.headers['x-content-type-options'], 'nosniff');
}

export function assertProblem(assert, r, status, code) {
  assert.equal(r.status, status, r.text);
  assert.match(r.headers['content-type'] || '', /^application\/problem\+json/);
  assertCommonHeaders(assert, r);
  const b = r.json();
  assert.equal(b.status, status);
  assert.equal(b.code, code);
  assert.match(b.type, /^urn:callnorm:problem:/);
  assert.equal(typeof b.title, 'string');
  assert.equal(b.request_id, r.headers['x-request-id']);
  return b;
}

// Defines the route, header and proxy tests for one deployment.  CTX is
// filled in by the suite's before(): {port, auth?: 'user:pw', trap,
// prefix?: where /api is mounted instead, linkPath?: the path Link headers
// name} (trap: connectionTrap()).
function getter(ctx) {
  return (p, o = {}) => request(ctx.port, p.replace(/^\/api(?=\/)/, ctx.prefix || '/api'), { auth: ctx.auth, ...o });
}

export function routeTests({ it, assert }, ctx) {
  const get = getter(ctx);

  it('GET /api/healthz answers {"status":"ok"}', async () => {
    const r = await get('/api/healthz');
    assert.equal(r.status, 200, r.text);
    assert.match(r.headers['content-type'], /^application\/json; charset=utf-8$/i);
    assertCommonHeaders(assert, r);
    assert.deepEqual(r.json(), { status: 'ok' });
  });

  it('HEAD /api/healthz answers 200 without a body', async () => {
    const r = await get('/api/healthz', { method: 'HEAD' });
    assert.equal(r.status, 200);
    assert.equal(r.text, '');
    assertCommonHeaders(assert, r);
  });

  it('GET /api/providers lists every configured provider', async () => {
    const r = await get('/api/providers');
    assert.equal(r.status, 200, r.text);
    assertCommonHeaders(assert, r);
    const names = r.json().data.map((p) => p.name).sort();
    assert.deepEqual(names, [...PROVIDERS].sort());
  });

  it('GET /api/metrics answers Prometheus text', async () => {
    const r = await get('/api/metrics');
    assert.equal(r.status, 200, r.text);
    assertCommonHeaders(assert, r);
    assert.match(r.headers['content-type'], /^text\/plain/);
  });

  it('the web server refuses /api/metrics to another host (127.0.0.2), however spelled', async () => {
    for (const p of ['/api/metrics', '/api/metrics?x=1', '/api//metrics', '/api/%6detrics', '/api/./metrics']) {
      const r = await get(p, { from: '127.0.0.2' });
      assert.notEqual(r.status, 200, `${p}: ${r.text.slice(0, 200)}`);
      assert.ok(!r.text.includes('callnorm_'), `${p}: ${r.text.slice(0, 200)}`);
    }
    const r = await get('/api/metrics', { from: '127.0.0.2' });
    assert.equal(r.status, 403, r.text);
    // the rest of the API is not restricted by address
    assert.equal((await get('/api/healthz', { from: '127.0.0.2' })).status, 200);
  });

  it('an unknown route is a 404 NOT_FOUND problem', async () => {
    assertProblem(assert, await get('/api/nope'), 404, 'NOT_FOUND');
    assertProblem(assert, await get('/api/callsx'), 404, 'NOT_FOUND');
  });

  it('POST and DELETE are 405 METHOD_NOT_ALLOWED with Allow', async () => {
    for (const method of ['POST', 'DELETE']) {
      const r = await get('/api/healthz', { method, body: method === 'POST' ? '{}' : undefined });
      assertProblem(assert, r, 405, 'METHOD_NOT_ALLOWED');
      const allow = (r.headers.allow || '').split(/\s*,\s*/).sort();
      assert.deepEqual(allow, ['GET', 'HEAD']);
    }
  });

  it("keeps the client's X-Request-Id when valid, makes one otherwise", async () => {
    const id = 'deploy-Test_1.2';
    let r = await get('/api/healthz', { headers: { 'X-Request-Id': id } });
    assert.equal(r.headers['x-request-id'], id);
    r = await get('/api/nope', { headers: { 'X-Request-Id': id } });
    assert.equal(r.json().request_id, id);
    for (const bad of ['has space', 'x'.repeat(65), 'semi;colon']) {
      r = await get('/api/healthz', { headers: { 'X-Request-Id': bad } });
      assert.equal(r.status, 200);
      assert.match(r.headers['x-request-id'], RID_RE);
      assert.notEqual(r.headers['x-request-id'], bad);
    }
    const a = await get('/api/healthz');
    const b = await get('/api/healthz');
    assert.notEqual(a.headers['x-request-id'], b.headers['x-request-id']);
  });

  it('a client "Proxy:" header is never used for provider requests', async () => {
    const before = ctx.trap.hits;
    const r = await get('/api/calls?limit=5&provider=verbex,osvi', {
      headers: { Proxy: `http://127.0.0.1:${ctx.trap.port}` },
    });
    assert.equal(ctx.trap.hits, before, 'something connected to the Proxy: address');
    assert.notEqual(r.status, 502, r.text);
    assert.notEqual(r.status, 504, r.text);
  });
}

// Defines the /calls tests for one deployment (same CTX as routeTests).
export function callsTests({ it, assert }, ctx) {
  const get = getter(ctx);

  it('GET /api/calls pages through every simulator, following Link headers', async () => {
    const whole = await get('/api/calls?limit=1000');
    assert.equal(whole.status, 200, whole.text);
    assertCommonHeaders(assert, whole);
    const W = whole.json();
    assert.ok(W.data.length > 100, `only ${W.data.length} calls`);
    assert.deepEqual([...new Set(W.data.map((c) => c.provider))].sort(), [...PROVIDERS].sort());
    assert.equal(W.meta.complete, true);
    const ids = [];
    let url = '/api/calls?limit=97';
    let pages = 0;
    while (url && ids.length < W.data.length) {
      const r = await get(url);
      assert.equal(r.status, 200, `${url}: ${r.text}`);
      const b = r.json();
      assert.ok(b.data.length <= 97);
      ids.push(...b.data.map((c) => c.id));
      const link = nextLink(r);
      if (b.page.has_more) {
        assert.ok(link, 'Link rel="next" while has_more');
        const u = new URL(link, 'http://host.invalid');
        assert.equal(u.pathname, ctx.linkPath || '/api/calls');
        assert.equal(u.searchParams.get('cursor'), b.page.next_cursor);
        assert.equal(u.searchParams.get('limit'), '97');
      } else {
        assert.equal(link, null);
        assert.equal(b.page.next_cursor, null);
      }
      url = link;
      pages++;
    }
    assert.ok(pages >= 2, 'more than one page');
    // the walk reads past the first 1000 when there are more calls
    assert.deepEqual(ids.slice(0, W.data.length), W.data.map((c) => c.id));
  });

  it('GET /api/calls applies a filter and a provider subset', async () => {
    const r = await get('/api/calls?provider=verbex,osvi&order=asc&limit=40');
    assert.equal(r.status, 200, r.text);
    const b = r.json();
    assert.equal(b.data.length, 40);
    for (const c of b.data) assert.ok(['verbex', 'osvi'].includes(c.provider));
    const bad = await get('/api/calls?limit=0');
    assertProblem(assert, bad, 400, 'INVALID_ARGUMENT');
  });
}

// The [access] configuration every suite uses behind authentication;
// prometheus is the scraper, with a line of its own.
export const ACCESS = { alice: ['verbex', 'zudu'], prometheus: PROVIDERS, '*': ['osvi'] };
export const USERS = { alice: 'alice-pw', bob: 'bob-pw', carol: 'carol-pw', prometheus: 'prometheus-pw' };

// The provider names a /metrics answer mentions.
function metricsProviders(text) {
  return [...new Set([...text.matchAll(/provider="([^"]*)"/g)].map((m) => m[1]))].sort();
}

// Defines the REMOTE_USER tests: CTX.authPort serves callnorm with ACCESS
// behind basic authentication with USERS.
export function accessTests({ it, assert }, ctx) {
  it('basic auth feeds REMOTE_USER to [access]', async () => {
    let r = await request(ctx.authPort, '/api/providers');
    assert.equal(r.status, 401);
    r = await request(ctx.authPort, '/api/providers', { auth: 'alice:wrong' });
    assert.equal(r.status, 401);
    r = await request(ctx.authPort, '/api/providers', { auth: 'alice:alice-pw' });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json().data.map((p) => p.name).sort(), ['verbex', 'zudu']);
    r = await request(ctx.authPort, '/api/providers', { auth: 'bob:bob-pw' });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json().data.map((p) => p.name), ['osvi']);
    r = await request(ctx.authPort, '/api/calls?provider=osvi', { auth: 'alice:alice-pw' });
    assertProblem(assert, r, 404, 'UNKNOWN_PROVIDER');
    r = await request(ctx.authPort, '/api/calls?limit=3', { auth: 'bob:bob-pw' });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual([...new Set(r.json().data.map((c) => c.provider))], ['osvi']);
  });

  it('/api/metrics: a password, an [access] line, and this host', async () => {
    let r = await request(ctx.authPort, '/api/metrics');
    assert.equal(r.status, 401);
    assert.ok(!r.text.includes('callnorm_'));
    r = await request(ctx.authPort, '/api/metrics', { auth: 'prometheus:wrong' });
    assert.equal(r.status, 401);
    assert.ok(!r.text.includes('callnorm_'));
    r = await request(ctx.authPort, '/api/metrics', { auth: 'prometheus:prometheus-pw' });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(metricsProviders(r.text), [...PROVIDERS].sort());
    // alice sees the series of her own providers only
    r = await request(ctx.authPort, '/api/metrics', { auth: 'alice:alice-pw' });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(metricsProviders(r.text), ['verbex', 'zudu']);
    for (const p of ['voicy', 'talkover', 'osvi']) assert.ok(!r.text.includes(p), p);
    // the right password from another host: refused by the web server
    r = await request(ctx.authPort, '/api/metrics', { auth: 'prometheus:prometheus-pw', from: '127.0.0.2' });
    assert.equal(r.status, 403);
    assert.ok(!r.text.includes('callnorm_'));
  });

  it('a cursor is bound to the user who got it', async () => {
    // bob and carol may both read osvi (through "*"); bob's cursor is
    // still bob's.
    const a = await request(ctx.authPort, '/api/calls?limit=2&provider=osvi', { auth: 'bob:bob-pw' });
    assert.equal(a.status, 200, a.text);
    const cur = a.json().page.next_cursor;
    assert.ok(cur);
    const next = `/api/calls?limit=2&provider=osvi&cursor=${encodeURIComponent(cur)}`;
    const same = await request(ctx.authPort, next, { auth: 'bob:bob-pw' });
    assert.equal(same.status, 200, same.text);
    assertProblem(assert, await request(ctx.authPort, next, { auth: 'carol:carol-pw' }), 400, 'INVALID_CURSOR');
  });
}
