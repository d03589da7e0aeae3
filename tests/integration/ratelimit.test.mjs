// Provider rate limits across threads, --workers and processes ("hosts"),
// shared through a real redis-server: under load well above the limit
// the simulator's request log never shows more than the limit in any
// window, every client answer is 200 or 429 with Retry-After; without
// Redis each host alone stays within it; Redis stopped and started
// again; a provider's 429 pauses every process.
//
// Each callnorm process is one "host". Its provider `voicy` points at a
// simulator provider of its own (h1, h2, h3, all of kind voicy), so the
// simulator's logs tell which host sent what; the limit is shared because
// every host names the provider `voicy` and uses one Redis.
//
// The windows are counted on the simulator's receive times, which trail
// callnorm's send times by the transit time (loopback, but on a loaded
// machine a few ms, more at times). A limiter at work sends the N+1-th
// request exactly one window after the first, so the test counts windows
// of W - SLACK ms: a limiter that lets N+1 through in a window fails by a
// margin of tens of ms only if its excess request lands within the slack
// of the window's end — the exact count [t, t + W) is printed alongside.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { tmpdir, writeConfig, startServer, startSim, waitFor, json, bin } from '../lib/callnorm.mjs';
import { startRedis, cannotRedis } from '../lib/redis.mjs';
import { maxInWindow } from '../lib/windows.mjs';

const N = 5; // rate_limit = 5/s
const W = 1000;
const SLACK = Number(process.env.CALLNORM_RL_SLACK_MS || 100);
const KEY = 'rl-test-cursor-key-0123456789abcdef0123';
const PASSWORD = 'redis-pw-Zq81-not-in-logs';
const skip = cannotRedis();

let sim, redis, redisPw;
const servers = [];
before(async () => {
  if (skip) return;
  sim = await startSim({ seed: 11, size: 60, args: ['--provider', 'h1=voicy', '--provider', 'h2=voicy', '--provider', 'h3=voicy', '--provider', 'vx=verbex'] });
  redis = await startRedis();
  redisPw = await startRedis({ password: PASSWORD });
});
after(async () => {
  for (const s of servers) await s.stop();
  await redis?.stop();
  await redisPw?.stop();
  await sim?.stop();
});

// One host's config: provider voicy -> simulator provider HOST.
function hostConfig(host, { shared, password, timeoutMs = 2000, limit = `${N}/s`, extra = '' } = {}) {
  let t = `[callnorm]\ncursor_key = ${KEY}\nrequest_timeout_ms = ${timeoutMs}\n`;
  if (shared) t += `shared_state = ${shared}\n`;
  if (password) t += `shared_state_password = ${password}\n`;
  t += `\n[provider voicy]\nkind = voicy\nbase_url = http://127.0.0.1:${sim.port}/${host}\napi_key = sim-${host}-key\ntimeout_ms = ${Math.min(3000, timeoutMs - 500)}\n`;
  if (limit) t += `rate_limit = ${limit}\n`;
  return t + extra;
}

async function startHost(host, opts = {}, serverOpts = {}) {
  const s = await startServer(writeConfig(tmpdir(), hostConfig(host, opts)), { threads: 4, ...serverOpts });
  servers.push(s);
  return s;
}
// what the hosts logged about Redis (shown with the measurements)
function redisLines(hosts) {
  return hosts.flatMap((s, i) => s.stderr.split('\n').filter((l) => /shared_state|redis/i.test(l)).map((l) => `host ${i + 1}: ${l}`));
}
async function stopAll() {
  while (servers.length) await servers.pop().stop();
}

function metrics(text) {
  const out = {};
  for (const line of text.split('\n')) {
    const m = line.match(/^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/);
    if (!m) continue;
    const labels = m[2] || '';
    out[m[1] + (labels ? '{' + labels + '}' : '')] = Number(m[3]);
  }
  return out;
}
const metric = async (s, name) => metrics((await s.request('/metrics')).text)[name];

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Every client of every host asks for one voicy page (one upstream
// request) again and again for ms; returns every answer's status and the
// checks of each answer.
async function load(hosts, ms, { clients = 6 } = {}) {
  const answers = [];
  const end = Date.now() + ms;
  await Promise.all(hosts.flatMap((s) => Array.from({ length: clients }, async () => {
    while (Date.now() < end) {
      const r = await s.request('/calls?provider=voicy&limit=1');
      answers.push(r);
      if (r.status === 429) await sleep(30); // a polite client
    }
  })));
  return answers;
}

function checkAnswers(answers) {
  const by = {};
  for (const r of answers) by[r.status] = (by[r.status] || 0) + 1;
  process.stdout.write(`# answers: ${JSON.stringify(by)}\n`);
  for (const r of answers) {
    assert.ok(r.status === 200 || r.status === 429, `answer ${r.status}: ${r.text}`);
    if (r.status === 429) {
      const b = json(r);
      assert.equal(b.code, 'PROVIDER_RATE_LIMITED', r.text);
      assert.match(r.headers['retry-after'] ?? '', /^[1-9][0-9]*$/, 'Retry-After of a 429');
    }
  }
  return by;
}

// The simulator's view: receive times of HOSTS' requests since the last
// log clear.
async function sent(hosts) {
  const times = {};
  for (const h of hosts) times[h] = (await sim.log(h)).map((e) => e.t);
  return times;
}

function report(what, times) {
  const all = Object.values(times).flat();
  const exact = maxInWindow(all, W);
  const slack = maxInWindow(all, W - SLACK);
  const per = Object.entries(times).map(([h, t]) => `${h}=${maxInWindow(t, W).max}`).join(' ');
  // where the count over W exceeds N: the receive times of that window
  const at = exact.max > N ? ' [' + all.filter((t) => t >= exact.at && t < exact.at + W).sort((x, y) => x - y).map((t) => '+' + (t - exact.at)).join(' ') + ']' : '';
  process.stdout.write(`# ${what}: ${all.length} requests; max in any ${W} ms window ${exact.max}${at} (limit ${N}); in ${W - SLACK} ms ${slack.max}; per host ${per}\n`);
  return { exact: exact.max, slack: slack.max, total: all.length };
}

test('two processes (one with two workers) sharing Redis with a password stay within the limit', { skip }, async () => {
  const hosts = [
    await startHost('h1', { shared: redisPw.url, password: PASSWORD }, { workers: 2, threads: 3 }),
    await startHost('h2', { shared: redisPw.url, password: PASSWORD }),
  ];
  await sim.clearLog();
  const ms = 4000;
  const answers = await load(hosts, ms);
  const times = await sent(['h1', 'h2']);
  const m = report('2 processes, Redis', times);
  for (const l of redisLines(hosts).slice(0, 10)) process.stdout.write(`# ${l}\n`);
  const by = checkAnswers(answers);
  assert.ok(m.slack <= N, `${m.slack} requests in one window of ${W - SLACK} ms`);
  // the limit is used, not starved: at least 60% of it
  assert.ok(m.total >= 0.6 * N * ms / W, `only ${m.total} requests reached the provider in ${ms} ms`);
  assert.ok(by[429] > 0, 'load above the limit: some requests refused');
  // every refusal was the limiter's: the counters add up to the 429 answers
  let refused = 0;
  let delayed = 0;
  for (const s of hosts) {
    const f = metrics((await s.request('/metrics')).text);
    refused += f['callnorm_rate_limit_refused_total{provider="voicy"}'] ?? 0;
    delayed += f['callnorm_rate_limit_delayed_total{provider="voicy"}'] ?? 0;
    assert.equal(f.callnorm_shared_state_up, 1);
  }
  assert.equal(refused, by[429]);
  assert.ok(delayed > 0, 'some requests waited for a slot');
  // the password is never logged
  for (const s of hosts) assert.ok(!s.stderr.includes(PASSWORD), 'password in the log');
  await stopAll();
});

test('three processes (one over the Unix socket) sharing Redis stay within the limit', { skip }, async () => {
  const hosts = [
    await startHost('h1', { shared: redis.url }),
    await startHost('h2', { shared: redis.url }, { workers: 2, threads: 2 }),
    await startHost('h3', { shared: redis.unixUrl }),
  ];
  await sim.clearLog();
  const ms = 4000;
  const answers = await load(hosts, ms, { clients: 5 });
  const times = await sent(['h1', 'h2', 'h3']);
  const m = report('3 processes, Redis', times);
  for (const l of redisLines(hosts).slice(0, 10)) process.stdout.write(`# ${l}\n`);
  const by = checkAnswers(answers);
  assert.ok(m.slack <= N, `${m.slack} requests in one window of ${W - SLACK} ms`);
  assert.ok(m.total >= 0.6 * N * ms / W, `only ${m.total} requests reached the provider in ${ms} ms`);
  assert.ok(by[200] > 0 && by[429] > 0, JSON.stringify(by));
  for (const [h, t] of Object.entries(times)) assert.ok(t.length > 0, `host ${h} sent nothing`);
  // Redis holds only callnorm: keys, each with an expiry, no credentials
  const keys = await redis.keys();
  assert.ok(keys.length > 0, 'the limiter keeps its state in Redis');
  for (const k of keys) {
    assert.match(k, /^callnorm:/);
    const ttl = await redis.command('PTTL', k);
    assert.ok(ttl > 0, `${k} has no expiry (${ttl})`);
    const type = await redis.command('TYPE', k);
    const v = type === 'zset' ? await redis.command('ZRANGE', k, 0, -1, 'WITHSCORES')
      : type === 'list' ? await redis.command('LRANGE', k, 0, -1)
        : type === 'hash' ? await redis.command('HGETALL', k)
          : await redis.command('GET', k);
    assert.ok(!JSON.stringify(v).includes('sim-h'), `${k} holds an API key`);
  }
  await stopAll();
});

test('without Redis each host alone stays within the limit (and together they do not)', { skip }, async () => {
  const hosts = [
    await startHost('h1', {}, { workers: 2, threads: 3 }),
    await startHost('h2', {}),
  ];
  await sim.clearLog();
  const ms = 4000;
  const answers = await load(hosts, ms);
  const times = await sent(['h1', 'h2']);
  const m = report('2 processes, no Redis', times);
  checkAnswers(answers);
  for (const [h, t] of Object.entries(times)) {
    const one = maxInWindow(t, W - SLACK).max;
    assert.ok(one <= N, `host ${h}: ${one} requests in one window of ${W - SLACK} ms`);
    assert.ok(t.length >= 0.6 * N * ms / W, `host ${h}: only ${t.length} requests in ${ms} ms`);
  }
  // the documented consequence (and proof that the count can fail):
  // two hosts each spend the whole allowance
  assert.ok(m.exact > N, `two hosts without shared_state sent at most ${m.exact} in a window`);
  for (const s of hosts) assert.equal(await metric(s, 'callnorm_shared_state_up'), undefined, 'no shared_state, no metric');
  await stopAll();
});

test('Redis stopped and started: requests keep succeeding, the metric goes 0 then 1', { skip }, async () => {
  const hosts = [await startHost('h1', { shared: redis.url }), await startHost('h2', { shared: redis.url })];
  const one = async (s) => {
    const t0 = Date.now();
    const r = await s.request('/calls?provider=voicy&limit=1');
    assert.equal(r.status, 200, r.text);
    return Date.now() - t0;
  };
  for (const s of hosts) await one(s);
  for (const s of hosts) assert.equal(await metric(s, 'callnorm_shared_state_up'), 1);
  await redis.kill();
  // under the limit, every request is answered, and soon without waiting
  for (let i = 0; i < 4; i++) {
    for (const s of hosts) await one(s);
    await sleep(250);
  }
  for (const s of hosts) assert.equal(await metric(s, 'callnorm_shared_state_up'), 0);
  const ms = await one(hosts[0]);
  assert.ok(ms < 1000, `a request while Redis is down took ${ms} ms`);
  // while down, each host enforces the full limit alone
  await sim.clearLog();
  checkAnswers(await load([hosts[0]], 2500));
  const down = report('1 process, Redis down', await sent(['h1']));
  assert.ok(down.slack <= N, `${down.slack} requests in one window of ${W - SLACK} ms while Redis was down`);
  for (const s of hosts) assert.ok(/redis|shared.state/i.test(s.stderr), 'the change is logged');
  await redis.start();
  const t0 = Date.now();
  // back within 2 s of Redis answering (plus the time of a request)
  await waitFor(async () => {
    for (const s of hosts) await one(s);
    for (const s of hosts) if ((await metric(s, 'callnorm_shared_state_up')) !== 1) return false;
    return true;
  }, 4000, 'callnorm_shared_state_up to be 1 again');
  process.stdout.write(`# shared_state_up was 1 again ${Date.now() - t0} ms after redis-server answered\n`);
  // and the limit is shared again
  await sim.clearLog();
  checkAnswers(await load(hosts, 3000));
  const back = report('2 processes, Redis back', await sent(['h1', 'h2']));
  assert.ok(back.slack <= N, `${back.slack} requests in one window after Redis came back`);
  await stopAll();
});

test("a provider's 429 pauses it for every process sharing Redis", { skip }, async () => {
  const hosts = [
    await startHost('h1', { shared: redis.url, timeoutMs: 8000 }),
    await startHost('h2', { shared: redis.url, timeoutMs: 8000 }),
    await startHost('h3', { shared: redis.url, timeoutMs: 8000 }, { workers: 2, threads: 2 }),
  ];
  // one request each first: every host has met Redis
  for (const s of hosts) assert.equal((await s.request('/calls?provider=voicy&limit=1')).status, 200);
  await sleep(1100);
  await sim.clearLog();
  await sim.control('h1/fault', 'POST', { mode: 'status:429', retry_after: '3', count: 1 });
  const first = hosts[0].request('/calls?provider=voicy&limit=1');
  await waitFor(async () => (await sim.log('h1')).length === 1, 5000, 'the 429');
  const t429 = (await sim.log('h1'))[0].t;
  // the 429 has reached callnorm (and Redis) by now
  await sleep(200);
  const others = [];
  for (let i = 0; i < 3; i++) for (const s of hosts.slice(1)) others.push(s.request('/calls?provider=voicy&limit=1'));
  const rs = await Promise.all([first, ...others]);
  for (const r of rs) assert.equal(r.status, 200, r.text);
  const times = await sent(['h1', 'h2', 'h3']);
  const after429 = Object.values(times).flat().filter((t) => t !== t429).sort((a, b) => a - b);
  assert.ok(after429.length >= 7, `${after429.length} requests after the 429`);
  // nothing reached the provider during its 3 s pause (minus transit slack)
  assert.ok(after429[0] >= t429 + 3000 - SLACK, `a request ${after429[0] - t429} ms after the 429 of 3 s`);
  report('after a 429 with Retry-After 3', times);
  await stopAll();
});

test("without Redis a provider's 429 pauses every worker of the host", { skip }, async () => {
  const s = await startHost('h1', { timeoutMs: 8000 }, { workers: 3, threads: 2 });
  await sim.clearLog();
  await sim.control('h1/fault', 'POST', { mode: 'status:429', retry_after: '2', count: 1 });
  const first = s.request('/calls?provider=voicy&limit=1');
  await waitFor(async () => (await sim.log('h1')).length === 1, 5000, 'the 429');
  const t429 = (await sim.log('h1'))[0].t;
  await sleep(200);
  const rs = await Promise.all([first, ...Array.from({ length: 5 }, () => s.request('/calls?provider=voicy&limit=1'))]);
  for (const r of rs) assert.equal(r.status, 200, r.text);
  const later = (await sim.log('h1')).slice(1).map((e) => e.t);
  assert.equal(later.length, 6);
  assert.ok(Math.min(...later) >= t429 + 2000 - SLACK, `a request ${Math.min(...later) - t429} ms after the 429 of 2 s`);
  await stopAll();
});

test('a wait past the deadline is refused at once, with Retry-After, sending nothing', { skip }, async () => {
  const extra = `\n[provider vx]\nkind = verbex\nbase_url = http://127.0.0.1:${sim.port}/vx\napi_key = sim-vx-key\n`;
  const s = await startHost('h1', { limit: '2/min', timeoutMs: 3000, extra });
  await sim.clearLog();
  for (let i = 0; i < 2; i++) assert.equal((await s.request('/calls?provider=voicy&limit=1')).status, 200);
  const firstT = (await sim.log('h1'))[0].t;
  const t0 = Date.now();
  const r = await s.request('/calls?provider=voicy&limit=1');
  const took = Date.now() - t0;
  assert.equal(r.status, 429, r.text);
  assert.ok(took < 1000, `refused after ${took} ms`);
  const b = json(r);
  assert.equal(b.code, 'PROVIDER_RATE_LIMITED');
  assert.equal(b.provider, 'voicy');
  // the seconds until the first request leaves its minute, rounded up
  const want = Math.ceil((firstT + 60000 - t0) / 1000);
  const ra = Number(r.headers['retry-after']);
  assert.ok(ra >= want - 2 && ra <= want + 1, `Retry-After ${ra}, expected about ${want}`);
  assert.equal((await sim.log('h1')).length, 2, 'nothing sent upstream');
  // partial=allow: voicy is unreachable with that code, verbex answers
  const p = await s.request('/calls?provider=voicy,vx&limit=3&partial=allow');
  assert.equal(p.status, 200, p.text);
  const pb = json(p);
  assert.equal(pb.meta.complete, false);
  assert.ok(JSON.stringify(pb.meta.unreachable).includes('voicy'), JSON.stringify(pb.meta));
  assert.ok(JSON.stringify(pb.meta).includes('PROVIDER_RATE_LIMITED'), JSON.stringify(pb.meta));
  assert.ok(pb.data.length > 0 && pb.data.every((c) => c.provider === 'vx'));
  assert.equal((await sim.log('h1')).length, 2, 'nothing sent upstream');
  assert.equal(await metric(s, 'callnorm_rate_limit_refused_total{provider="voicy"}'), 2);
  await stopAll();
});

test('--check-config: rate_limit and shared_state are validated; it says whether Redis answers', { skip }, async () => {
  const dir = tmpdir();
  // the line of KEY in TEXT, as FILE:LINE: names it
  const lineOf = (text, key) => text.split('\n').findIndex((l) => l.startsWith(key + ' =')) + 1;
  const check = (text) => {
    const f = writeConfig(dir, text);
    const r = spawnSync(bin, ['-c', f, '--check-config'], { encoding: 'utf8', timeout: 20000 });
    return { status: r.status, out: r.stdout + r.stderr };
  };
  for (const bad of ['0/s', '100001/s', '5/h', '5', 'five/s', '-1/min', '5/s ', '5 /s', '1.5/s', '']) {
    if (bad.endsWith(' ')) continue; // surrounding whitespace is ignored
    const text = hostConfig('h1', { limit: null, extra: `rate_limit = ${bad}\n` });
    const r = check(text);
    assert.equal(r.status, 78, `rate_limit = ${bad}: ${r.out}`);
    assert.ok(r.out.includes(`callnorm.conf:${lineOf(text, 'rate_limit')}: `), `rate_limit = ${bad}: ${r.out}`);
  }
  for (const good of ['1/s', '100000/s', '60/min', '100000/min']) {
    const r = check(hostConfig('h1', { limit: good }));
    assert.equal(r.status, 0, `rate_limit = ${good}: ${r.out}`);
  }
  for (const bad of ['http://127.0.0.1:6379', 'redis://', 'redis://127.0.0.1:0', 'redis://127.0.0.1:99999', 'redis://127.0.0.1:6379/x', 'redis+unix://relative.sock', 'redis://127.0.0.1:6379/-1']) {
    const text = hostConfig('h1', { shared: bad });
    const r = check(text);
    assert.equal(r.status, 78, `shared_state = ${bad}: ${r.out}`);
    assert.ok(r.out.includes(`callnorm.conf:${lineOf(text, 'shared_state')}: `), `shared_state = ${bad}: ${r.out}`);
  }
  const up = check(hostConfig('h1', { shared: redisPw.url, password: PASSWORD }));
  assert.equal(up.status, 0, up.out);
  assert.ok(!up.out.includes(PASSWORD), 'the password is printed');
  const wrongPw = check(hostConfig('h1', { shared: redisPw.url, password: 'wrong-password-123' }));
  assert.ok(!wrongPw.out.includes('wrong-password-123'), 'the password is printed');
  const port = redis.port;
  await redis.kill();
  const down = check(hostConfig('h1', { shared: `redis://127.0.0.1:${port}` }));
  await redis.start();
  // the summaries say whether Redis answers (a wrong password is no answer)
  assert.match(up.out, /Redis answers/);
  assert.match(down.out, /Redis does not answer/);
  assert.match(wrongPw.out, /Redis does not answer/);
  process.stdout.write(`# --check-config, Redis up:\n#   ${up.out.trim().split('\n').join('\n#   ')}\n# Redis down:\n#   ${down.out.trim().split('\n').join('\n#   ')}\n# wrong password:\n#   ${wrongPw.out.trim().split('\n').join('\n#   ')}\n`);
});
