// A real redis-server (Debian's package) for the tests: our own instance
// on a free loopback port and a Unix socket in a temporary directory, no
// persistence; stopped and started again on the same port and socket. The
// system's redis service is never needed. Commands go over a minimal RESP
// client (no npm package).
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { tmpdir } from './callnorm.mjs';

// Killed when the test process exits, however the test ended.
const running = new Set();
process.on('exit', () => {
  for (const c of running) c.kill('SIGKILL');
});

export const REDIS_SERVER = process.env.REDIS_SERVER || '/usr/bin/redis-server';

// false when redis-server can be run here, else why not (a skip reason).
export function cannotRedis() {
  if (!fs.existsSync(REDIS_SERVER)) return REDIS_SERVER + ' is not installed (scripts/deps installs redis-server)';
  const r = spawnSync(REDIS_SERVER, ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? false : 'redis-server does not run: ' + r.stderr;
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function encode(args) {
  let out = '*' + args.length + '\r\n';
  for (const a of args) {
    const b = Buffer.from(String(a));
    out += '$' + b.length + '\r\n' + b.toString('binary') + '\r\n';
  }
  return Buffer.from(out, 'binary');
}

// One reply from buf at i: [value, next index], or null when incomplete.
// Errors come back as {error: text}.
function parse(buf, i = 0) {
  const nl = buf.indexOf('\r\n', i);
  if (nl < 0) return null;
  const type = String.fromCharCode(buf[i]);
  const line = buf.toString('utf8', i + 1, nl);
  const next = nl + 2;
  switch (type) {
    case '+': return [line, next];
    case '-': return [{ error: line }, next];
    case ':': return [Number(line), next];
    case '$': {
      const n = Number(line);
      if (n < 0) return [null, next];
      if (buf.length < next + n + 2) return null;
      return [buf.toString('utf8', next, next + n), next + n + 2];
    }
    case '*': {
      const n = Number(line);
      if (n < 0) return [null, next];
      const arr = [];
      let j = next;
      for (let k = 0; k < n; k++) {
        const r = parse(buf, j);
        if (!r) return null;
        arr.push(r[0]);
        j = r[1];
      }
      return [arr, j];
    }
    default:
      throw new Error('bad RESP reply: ' + buf.toString('utf8', i, Math.min(buf.length, i + 40)));
  }
}

// Send one command over a new connection: {port} or {path}; resolves to
// its reply (a rejected promise when it cannot connect or time runs out).
export function redisCommand(where, args, { password, timeoutMs = 2000 } = {}) {
  return new Promise((resolve, reject) => {
    const sock = where.path ? net.connect(where.path) : net.connect(where.port, where.host || '127.0.0.1');
    const cmds = password ? [['AUTH', password], args] : [args];
    let buf = Buffer.alloc(0);
    const replies = [];
    const t = setTimeout(() => { sock.destroy(); reject(new Error('redis: no answer in ' + timeoutMs + ' ms')); }, timeoutMs);
    sock.on('connect', () => sock.write(Buffer.concat(cmds.map(encode))));
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      let r;
      while ((r = parse(buf)) !== null) {
        replies.push(r[0]);
        buf = buf.subarray(r[1]);
      }
      if (replies.length >= cmds.length) {
        clearTimeout(t);
        sock.end();
        resolve(replies[replies.length - 1]);
      }
    });
    sock.on('error', (e) => { clearTimeout(t); reject(e); });
  });
}

// Start redis-server: {password} adds requirepass. Returns a handle with
// url (redis://127.0.0.1:PORT), unixUrl (redis+unix:///…/redis.sock),
// command(...args), keys(pattern), stop() (SIGTERM), kill() (SIGKILL) and
// start() (again, same port and socket).
// bind: the addresses to listen on (default 127.0.0.1).
export async function startRedis({ password, bind = ['127.0.0.1'] } = {}) {
  const dir = tmpdir('callnorm-redis-');
  const sock = path.join(dir, 'redis.sock');
  const r = {
    dir, sock, port: 0, child: null, password,
    get url() { return `redis://127.0.0.1:${r.port}`; },
    get unixUrl() { return `redis+unix://${sock}`; },
    log: '',
    command: (...args) => redisCommand({ port: r.port }, args, { password }),
    async keys(pattern = '*') {
      const out = [];
      let cursor = '0';
      do {
        const [c, ks] = await r.command('SCAN', cursor, 'MATCH', pattern, 'COUNT', 1000);
        cursor = c;
        out.push(...ks);
      } while (cursor !== '0');
      return out.sort();
    },
    async start() {
      for (let attempt = 0; ; attempt++) {
        if (!r.port || attempt > 0) r.port = r.fixedPort || (await freePort());
        const args = ['--port', String(r.port), '--bind', ...bind, '--unixsocket', sock, '--unixsocketperm', '700',
          '--dir', dir, '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--protected-mode', 'yes',
          '--logfile', '', '--loglevel', 'warning'];
        if (password) args.push('--requirepass', password);
        const child = spawn(REDIS_SERVER, args, { stdio: ['ignore', 'pipe', 'pipe'] });
        child.stdout.on('data', (d) => { r.log += d; });
        child.stderr.on('data', (d) => { r.log += d; });
        const exited = new Promise((res) => child.on('exit', (code, signal) => res({ code, signal })));
        child.exited = exited;
        running.add(child);
        exited.then(() => running.delete(child));
        const ok = await Promise.race([
          (async () => {
            const end = Date.now() + 10000;
            while (Date.now() < end) {
              try {
                if ((await r.command('PING')) === 'PONG') return true;
              } catch { /* not yet */ }
              await new Promise((res) => setTimeout(res, 20));
            }
            return false;
          })(),
          exited.then(() => false),
        ]);
        if (ok) {
          r.child = child;
          r.fixedPort = r.port; // restarts keep the port callnorm was given
          return r;
        }
        child.kill('SIGKILL');
        await exited;
        if (attempt >= 4 || r.fixedPort) throw new Error('redis-server did not start: ' + r.log);
      }
    },
    async stop(signal = 'SIGTERM') {
      const c = r.child;
      if (!c) return;
      r.child = null;
      if (c.exitCode === null && c.signalCode === null) c.kill(signal);
      await c.exited;
    },
    kill: () => r.stop('SIGKILL'),
  };
  await r.start();
  return r;
}
