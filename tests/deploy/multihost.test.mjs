// docs/deploy.md "Several hosts", run as written: three network
// namespaces stand for three hosts, each with its own callnorm (--listen
// on its private address) and its own simulators on its loopback (same
// seed, so the same calls), behind one nginx whose `upstream` and
// `fastcgi_next_upstream` lines are the guide's own, and one Redis. A
// cursor walk whose pages land on every host returns every call exactly
// once, also when one host is killed in the middle of it; a burst through
// nginx keeps the shared rate limit over the three hosts' providers.

import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { describe, it, before, after } from 'node:test';
import { Proc, ROOT, NGINX, callnormBin, freePort, htpasswd, missing, render, request, sleep, stopAll, tmpdir, waitFor, removeTmpdirs } from '../lib/webservers.mjs';
import { startSim as startOracleSim } from '../lib/callnorm.mjs';
import { cannotRedis, startRedis } from '../lib/redis.mjs';
import { loadRecords } from '../lib/walk.mjs';
import { expect } from '../lib/oracle.mjs';
import { maxInWindow } from '../lib/windows.mjs';

const guide = fs.readFileSync(path.join(ROOT, 'docs/deploy.md'), 'utf8');
const section = guide.slice(guide.indexOf('## Several hosts'), guide.indexOf('\n## ', guide.indexOf('## Several hosts') + 5));
const nginxBlocks = [...section.matchAll(/^ *```nginx\n([\s\S]*?)^ *```$/gm)].map((m) => m[1].replace(/^ {3}/gm, ''));

const PROVIDERS = ['verbex', 'voicy', 'talkover'];
const KEY = 'multihost-cursor-key-0123456789abcdef012';
const LIMIT = 8; // voicy rate_limit = 8/s, shared
const SLACK = 100;
const REDIS_PASSWORD = 'multihost-redis-password-42';

function cannotNetns() {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return 'needs root (network namespaces)';
  const r = spawnSync('ip', ['netns', 'list']);
  if (r.status !== 0) return 'ip netns is not available here';
  return false;
}
const skip = cannotNetns() || missing('nginx') || cannotRedis();

// names and addresses of this run: unique, so parallel runs do not meet
const tag = (process.pid % 10000).toString(36) + Math.floor(Math.random() * 1296).toString(36);
const A = 100 + Math.floor(Math.random() * 150);
const B = Math.floor(Math.random() * 250);
const hosts = [1, 2, 3].map((k) => ({
  k,
  ns: `cnmh-${tag}-${k}`,
  veth: `cn${tag}h${k}`.slice(0, 15),
  peer: `cn${tag}p${k}`.slice(0, 15),
  gw: `10.${A}.${B}.${4 * k + 1}`, // the nginx/Redis side
  addr: `10.${A}.${B}.${4 * k + 2}`, // the host
}));

function ip(...args) {
  execFileSync('ip', args, { stdio: 'pipe' });
}
function removeNamespaces() {
  for (const h of hosts) spawnSync('ip', ['netns', 'del', h.ns], { stdio: 'ignore' });
}
process.on('exit', removeNamespaces);

// true once nothing listens on host:port any more
function refuses(host, port) {
  return new Promise((resolve) => {
    const sock = net.connect({ host, port });
    sock.setTimeout(1000);
    sock.once('connect', () => { sock.destroy(); resolve(false); });
    sock.once('timeout', () => { sock.destroy(); resolve(false); });
    sock.once('error', (e) => resolve(e.code === 'ECONNREFUSED'));
  });
}

function inNs(h, cmd, args) {
  return ['netns', 'exec', h.ns, cmd, ...args];
}

describe('several hosts behind one nginx upstream, one Redis (docs/deploy.md)', { skip }, () => {
  let dir, redis, nginx, port, oracle, expected;
  const procs = [];

  it('the guide has the upstream block and the fastcgi_pass lines', () => {
    assert.equal(nginxBlocks.length, 2, 'two nginx blocks in "Several hosts"');
    assert.match(nginxBlocks[0], /^upstream callnorm \{/);
    assert.equal(nginxBlocks[1].trim(), 'fastcgi_pass callnorm;');
    assert.match(section, /both `fastcgi_pass unix:@SOCKET@;` lines/);
    assert.match(section, /shared_state = redis:\/\/10\.0\.0\.20:6379/);
  });

  before(async () => {
    if (skip) return;
    dir = tmpdir('multihost');
    removeNamespaces();
    for (const h of hosts) {
      ip('netns', 'add', h.ns);
      ip('-n', h.ns, 'link', 'set', 'lo', 'up');
      ip('link', 'add', h.veth, 'type', 'veth', 'peer', 'name', h.peer, 'netns', h.ns);
      ip('addr', 'add', h.gw + '/30', 'dev', h.veth);
      ip('link', 'set', h.veth, 'up');
      ip('-n', h.ns, 'addr', 'add', h.addr + '/30', 'dev', h.peer);
      ip('-n', h.ns, 'link', 'set', h.peer, 'up');
    }
    // one Redis, on each host's gateway address
    // (with a password: Redis answers other addresses than loopback only then)
    redis = await startRedis({ bind: ['127.0.0.1', ...hosts.map((h) => h.gw)], password: REDIS_PASSWORD });
    const bin = callnormBin();
    for (const h of hosts) {
      // the host's simulators, on its own loopback (same seed: same calls)
      const ready = path.join(dir, `sim-${h.k}.ready`);
      h.sim = new Proc(`sim-${h.k}`, 'ip', inNs(h, process.execPath, [path.join(ROOT, 'sim/sim.mjs'), '--port', '0', '--seed', '42', '--size', '150',
        ...PROVIDERS.flatMap((p) => ['--provider', `${p}=${p}`]), '--ready-file', ready]));
      procs.push(h.sim);
      await waitFor(`simulators of host ${h.k}`, () => fs.existsSync(ready), { proc: h.sim });
      h.simPort = JSON.parse(fs.readFileSync(ready, 'utf8')).port;
      let conf = `[callnorm]\ncursor_key = ${KEY}\nrequest_timeout_ms = 4000\n`;
      // the guide's one line (the Redis address is this host's way to it)
      conf += `shared_state = redis://${h.gw}:${redis.port}\nshared_state_password = ${REDIS_PASSWORD}\n`;
      for (const p of PROVIDERS) {
        conf += `\n[provider ${p}]\nkind = ${p}\nbase_url = http://127.0.0.1:${h.simPort}/${p}\napi_key = sim-${p}-key\n`;
        if (p === 'voicy') conf += `rate_limit = ${LIMIT}/s\n`;
      }
      h.config = path.join(dir, `callnorm-${h.k}.conf`);
      fs.writeFileSync(h.config, conf, { mode: 0o644 });
      h.callnorm = new Proc(`callnorm-${h.k}`, 'ip', inNs(h, bin, ['-c', h.config, '--listen', `${h.addr}:9000`, '--workers', '2', '--threads', '4']));
      procs.push(h.callnorm);
    }
    // nginx: the guide's upstream (with these hosts' addresses) and the
    // shipped snippet with fastcgi_pass replaced as the guide says
    const upstream = nginxBlocks[0].replace(/10\.0\.0\.1([123]):9000/g, (m, d) => `${hosts[Number(d) - 1].addr}:9000`);
    assert.ok(hosts.every((h) => upstream.includes(h.addr)), upstream);
    const snippet = render('nginx/callnorm.conf', { SOCKET: '@SOCKET@', HTPASSWD: path.join(dir, 'htpasswd') });
    // both lines, as the guide says (the snippet's fastcgi_next_upstream
    // lines stay as shipped)
    assert.equal(snippet.split('fastcgi_pass unix:@SOCKET@;').length, 3);
    assert.match(snippet, /^ *fastcgi_next_upstream error;$/m);
    const location = snippet.replaceAll('fastcgi_pass unix:@SOCKET@;', nginxBlocks[1].trim());
    htpasswd(path.join(dir, 'htpasswd'), { alice: 'alice-pw' });
    port = await freePort();
    for (const sub of ['tmp/body', 'tmp/fastcgi', 'tmp/proxy', 'tmp/scgi', 'tmp/uwsgi']) fs.mkdirSync(path.join(dir, sub), { recursive: true });
    fs.copyFileSync('/etc/nginx/fastcgi_params', path.join(dir, 'fastcgi_params'));
    fs.writeFileSync(path.join(dir, 'location.conf'), location);
    const conf = `user root;\nworker_processes 1;\npid ${dir}/nginx.pid;\nerror_log ${dir}/error.log notice;\nevents { worker_connections 256; }\nhttp {\n` +
      `  log_format up '$request_uri $status $upstream_addr';\n  access_log ${dir}/access.log up;\n` +
      ['client_body', 'fastcgi', 'proxy', 'scgi', 'uwsgi'].map((t) => `  ${t}_temp_path ${dir}/tmp/${t === 'client_body' ? 'body' : t};\n`).join('') +
      upstream + `\n  server {\n    listen 127.0.0.1:${port};\n    include ${dir}/location.conf;\n  }\n}\n`;
    fs.writeFileSync(path.join(dir, 'nginx.conf'), conf);
    execFileSync(NGINX, ['-p', dir, '-c', path.join(dir, 'nginx.conf'), '-t', '-q'], { stdio: 'pipe' });
    nginx = new Proc('nginx', NGINX, ['-p', dir, '-c', path.join(dir, 'nginx.conf'), '-e', path.join(dir, 'error.log'), '-g', 'daemon off;']);
    procs.push(nginx);
    for (const h of hosts) {
      await waitFor(`callnorm on host ${h.k}`, async () => {
        try {
          await get('/api/healthz');
        } catch { /* nginx not yet */ }
        return accessLog().some((l) => l.status === 200 && hostOf(l.up).at(-1) === h.k);
      }, { proc: h.callnorm, timeout: 60000 });
    }
    // the oracle: the same data set, from simulators of our own
    oracle = await startOracleSim({ seed: 42, size: 150, args: PROVIDERS.flatMap((p) => ['--provider', `${p}=${p}`]) });
    const { records } = await loadRecords(oracle);
    expected = expect(records, {}).map((e) => e.id);
    assert.ok(expected.length > 200, `${expected.length} calls expected`);
  });

  after(async () => {
    await stopAll(procs);
    await redis?.stop();
    await oracle?.stop();
    removeNamespaces();
    removeTmpdirs();
  });

  function get(p) {
    return request(port, p, { auth: 'alice:alice-pw', timeout: 20000 });
  }
  function accessLog() {
    let t = '';
    try {
      t = fs.readFileSync(path.join(dir, 'access.log'), 'utf8');
    } catch { /* not yet */ }
    return t.split('\n').filter(Boolean).map((l) => {
      const [uri, status, ...up] = l.split(' ');
      return { uri, status: Number(status), up: up.join(' ') };
    });
  }
  // the hosts nginx tried for one request, in order
  const hostOf = (up) => up.split(/, | : /).map((a) => hosts.find((h) => a === h.addr + ':9000')?.k).filter(Boolean);

  async function walkAll(limit, { between } = {}) {
    const ids = [];
    let cursor = null;
    const mark = accessLog().length;
    for (let n = 0; ; n++) {
      const r = await get(`/api/calls?limit=${limit}` + (cursor ? '&cursor=' + cursor : ''));
      assert.equal(r.status, 200, `page ${n}: ${r.text}`);
      const b = r.json();
      ids.push(...b.data.map((c) => c.id));
      if (!b.page.has_more) break;
      cursor = b.page.next_cursor;
      if (between) await between(n);
    }
    return { ids, log: accessLog().slice(mark).filter((l) => l.uri.startsWith('/api/calls')) };
  }

  it('a cursor walk whose pages land on every host returns every call exactly once', async () => {
    const { ids, log } = await walkAll(17);
    assert.deepEqual(ids, expected);
    assert.equal(new Set(ids).size, ids.length);
    const served = new Set(log.map((l) => hostOf(l.up).at(-1)));
    assert.deepEqual([...served].sort(), [1, 2, 3], 'pages served by every host: ' + JSON.stringify(log.slice(0, 6)));
  });

  it('... also when one host is killed in the middle of the walk', async () => {
    const victim = hosts[1];
    const { ids, log } = await walkAll(13, {
      between: async (n) => {
        if (n === 3) {
          // the host dies with every process it runs: its workers too,
          // which a SIGKILL of their master alone would leave draining
          const ours = execFileSync('ip', ['netns', 'pids', victim.ns], { encoding: 'utf8' }).split(/\s+/).filter(Boolean)
            .filter((pid) => {
              try {
                return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(victim.config);
              } catch {
                return false;
              }
            });
          assert.ok(ours.length >= 3, `master and two workers: ${ours}`);
          for (const pid of ours) {
            try {
              process.kill(Number(pid), 'SIGKILL');
            } catch { /* gone already */ }
          }
          await victim.callnorm.stop('SIGKILL');
          assert.ok(!victim.callnorm.running);
          // dead once its port refuses: the last process holding the
          // listening socket may take a moment longer on a busy machine
          await waitFor(`host ${victim.k} refusing connections`, () => refuses(victim.addr, 9000), { timeout: 15000 });
        }
      },
    });
    assert.deepEqual(ids, expected);
    // after the kill, nginx met the dead host and went on to another one
    // (or skipped it): no page was lost, and the others served the rest
    const after = log.slice(4);
    assert.ok(after.length > 4);
    for (const l of after) assert.equal(l.status, 200);
    const last = after.map((l) => hostOf(l.up).at(-1));
    assert.ok(!last.includes(victim.k), 'a page answered by the dead host: ' + JSON.stringify(after));
    assert.ok(new Set(last).size === 2, 'the two live hosts served the rest: ' + JSON.stringify(after));
  });

  it('a burst through nginx keeps the shared voicy limit over the live hosts', async () => {
    const live = hosts.filter((h) => h.callnorm.running);
    // every live host uses Redis (/api/metrics answers from any of them)
    for (let i = 0; i < 6; i++) {
      const m = await get('/api/metrics');
      assert.equal(m.status, 200, m.text);
      assert.match(m.text, /^callnorm_shared_state_up 1$/m);
    }
    const simLog = (h) => JSON.parse(execFileSync('ip', inNs(h, 'curl', ['-fsS', `http://127.0.0.1:${h.simPort}/_control/voicy/log`]), { encoding: 'utf8' }));
    for (const h of live) execFileSync('ip', inNs(h, 'curl', ['-fsS', '-X', 'DELETE', `http://127.0.0.1:${h.simPort}/_control/log`]), { stdio: 'pipe' });
    const end = Date.now() + 3000;
    const statuses = [];
    await Promise.all(Array.from({ length: 10 }, async () => {
      while (Date.now() < end) {
        const r = await get('/api/calls?provider=voicy&limit=1');
        statuses.push(r.status);
        if (r.status === 429) {
          assert.match(r.headers['retry-after'] ?? '', /^[1-9][0-9]*$/);
          await sleep(30);
        } else assert.equal(r.status, 200, r.text);
      }
    }));
    const times = live.flatMap((h) => simLog(h).map((e) => e.t));
    const exact = maxInWindow(times, 1000).max;
    const slack = maxInWindow(times, 1000 - SLACK).max;
    process.stdout.write(`# multihost: ${times.length} voicy requests from ${live.length} hosts in 3 s; max in any 1000 ms window ${exact} (limit ${LIMIT}); in ${1000 - SLACK} ms ${slack}; answers 200=${statuses.filter((s) => s === 200).length} 429=${statuses.filter((s) => s === 429).length}\n`);
    assert.ok(slack <= LIMIT, `${slack} requests in one window`);
    assert.ok(live.every((h) => simLog(h).length > 0), 'every live host sent some');
  });
});
