// The Debian package: `dpkg-buildpackage -us -uc -b` builds it from a copy
// of the source tree; installed (in an isolated root, tests/lib/
// scratchroot.mjs), it holds the binary, the manual pages, the documents
// the units point at, the snippets and a sample configuration that
// `callnorm --check-config` accepts, readable by the callnorm group only.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it, before } from 'node:test';
import { cannotIsolate, copyTree, runIsolated, sections } from '../lib/scratchroot.mjs';

const top = path.resolve(process.env.top_srcdir || path.join(import.meta.dirname, '../..'));
const MARK = '::callnorm-package::';

function cannotBuild() {
  const why = cannotIsolate();
  if (why) return why;
  return spawnSync('dpkg-query', ['-W', 'debhelper']).status === 0 ? false : 'debhelper is not installed';
}

describe('the Debian package', { skip: cannotBuild() }, () => {
  const res = {};
  let deb;

  before(() => {
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'callnorm-deb-'));
    fs.chmodSync(scratch, 0o755);
    const tree = path.join(scratch, 'callnorm');
    copyTree(top, tree);
    const b = spawnSync('dpkg-buildpackage', ['-us', '-uc', '-b'], { cwd: tree, encoding: 'utf8', maxBuffer: 64 << 20 });
    res.build = b;
    deb = fs.readdirSync(scratch).find((f) => /^callnorm_.*\.deb$/.test(f));
    if (!deb) return;
    const script = [
      `dpkg -i '${path.join(scratch, deb)}'`,
      `echo '${MARK}files'; dpkg -L callnorm`,
      `echo '${MARK}conf'; stat -c '%a %U %G' /etc/callnorm/callnorm.conf`,
      `echo '${MARK}check'; CALLNORM_CURSOR_KEY=${'k'.repeat(40)} VERBEX_API_KEY=vk callnorm -c /etc/callnorm/callnorm.conf --check-config && echo ok`,
      `echo '${MARK}default'; callnorm --help 2>&1 || true`,
      `echo '${MARK}unit'; cat /lib/systemd/system/callnorm.service`,
      `echo '${MARK}docfile'; f=$(sed -n 's/^Documentation=.*file:\\(\\S*\\).*/\\1/p' /lib/systemd/system/callnorm.service); test -f "$f" && echo "$f"`,
      `echo '${MARK}remove'; dpkg -r callnorm >/dev/null && test ! -e /usr/sbin/callnorm && echo removed`,
    ].join('\n');
    fs.writeFileSync(path.join(scratch, 'install.sh'), script);
    Object.assign(res, runIsolated(path.join(scratch, 'install.sh'), scratch));
    Object.assign(res, sections(res.stdout, MARK));
    if (!process.env.CALLNORM_KEEP_TMP) fs.rmSync(scratch, { recursive: true, force: true });
  });

  it('builds', () => {
    assert.equal(res.build.status, 0, `${res.build.stdout.slice(-2000)}\n${res.build.stderr.slice(-2000)}`);
    assert.ok(deb, 'a .deb was made');
  });

  it('installs the binary, manual pages, documents, units and snippets', () => {
    assert.equal(res.status, 0, `${res.stdout.slice(-2000)}\n${res.stderr.slice(-2000)}`);
    const files = res.files.split('\n');
    for (const f of ['/usr/sbin/callnorm', '/usr/share/man/man8/callnorm.8.gz', '/usr/share/man/man5/callnorm.conf.5.gz',
      '/usr/share/doc/callnorm/usage.md', '/usr/share/doc/callnorm/api.md', '/usr/share/doc/callnorm/openapi.yaml',
      '/lib/systemd/system/callnorm.service', '/lib/systemd/system/callnorm.socket',
      '/usr/share/callnorm/nginx/callnorm.conf', '/usr/share/callnorm/apache/fcgid.conf', '/etc/callnorm/callnorm.conf']) {
      assert.ok(files.includes(f), `${f} in the package`);
    }
  });

  it('the sample configuration is root:callnorm 0640 and checks out', () => {
    assert.equal(res.conf.trim(), '640 root callnorm');
    assert.match(res.check, /^ok$/m);
  });

  it('is built for /etc and its units point at installed files', () => {
    assert.match(res.default, /else \/etc\/callnorm\/callnorm\.conf/);
    assert.match(res.unit, /^ExecStart=\/usr\/sbin\/callnorm -c \/etc\/callnorm\/callnorm\.conf /m);
    assert.match(res.docfile, /^\/usr\/share\/doc\/callnorm\/deploy\.md$/m);
    assert.match(res.remove, /^removed$/m);
  });
});
