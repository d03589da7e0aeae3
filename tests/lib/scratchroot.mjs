// Running what an administrator would run as root — make install, dpkg -i,
// the usage guide — without changing this machine: private namespaces in
// which /etc, /usr, /run, /var and /tmp are overlays whose writes vanish
// with them, loopback only, and a PID namespace whose processes all end
// when the script does.

import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

// false when namespaces work here, else why not (a test's skip reason).
export function cannotIsolate() {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return 'needs root (namespaces)';
  const r = spawnSync('unshare', ['--mount', '--net', '--pid', '--fork', 'true']);
  return r.status === 0 ? false : 'unshare is not available here';
}

// Copies the source tree's files (tracked, and untracked ones git does not
// ignore) to dest, keeping their modes, readable by every user.
export function copyTree(top, dest) {
  const files = execFileSync('git', ['-C', top, 'ls-files', '-z', '-co', '--exclude-standard'], { encoding: 'utf8' })
    .split('\0').filter(Boolean);
  for (const f of files) {
    const from = path.join(top, f);
    if (!fs.existsSync(from) || fs.statSync(from).isDirectory()) continue;
    fs.mkdirSync(path.dirname(path.join(dest, f)), { recursive: true });
    fs.copyFileSync(from, path.join(dest, f));
    fs.chmodSync(path.join(dest, f), fs.statSync(from).mode & 0o777);
  }
  execFileSync('chmod', ['-R', 'a+rX', dest]);
}

// Runs the bash script at SCRIPT (under set -euo pipefail) in CWD, isolated
// as above, with a root login shell's PATH; returns {status, stdout, stderr}.
export function runIsolated(script, cwd, { timeoutMs = 15 * 60 * 1000 } = {}) {
  const wrap = [
    'set -e',
    'mount --make-rprivate /',
    'mount -t tmpfs tmpfs /mnt',
    'for d in /etc /usr /run /var /tmp; do',
    '  mkdir -p "/mnt/u$d" "/mnt/w$d"',
    '  mount -t overlay overlay -o "lowerdir=$d,upperdir=/mnt/u$d,workdir=/mnt/w$d" "$d"',
    'done',
    'ip link set lo up',
    // a root login shell's PATH (su -), then the test's own for node
    `export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:${process.env.PATH}`,
    `cd '${cwd}'`,
    `exec bash -euo pipefail '${script}'`,
  ].join('\n');
  const r = spawnSync('unshare', ['--mount', '--net', '--pid', '--fork', '--mount-proc', 'bash', '-c', wrap], {
    encoding: 'utf8', maxBuffer: 256 << 20, timeout: timeoutMs,
  });
  return { status: r.status, stdout: r.stdout || '', stderr: r.stderr || '' };
}

// The sections of OUT that `echo MARK + name` lines start, by name.
export function sections(out, mark) {
  const res = {};
  for (const p of out.split(mark).slice(1)) {
    const nl = p.indexOf('\n');
    res[p.slice(0, nl)] = p.slice(nl + 1);
  }
  return res;
}
