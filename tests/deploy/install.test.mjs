// Building and installing as the usage guide shows: `make install` puts
// the documents, the sample configuration and the deployment files with
// configure's paths filled in; a source tree configured in place still
// builds out of tree (scripts/build, which scripts/test uses); and a new
// --sysconfdir rebuilds what depends on it.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it, before } from 'node:test';

const top = path.resolve(process.env.top_srcdir || path.join(import.meta.dirname, '../..'));
const bin = process.env.CALLNORM_BIN || path.join(top, 'build/src/callnorm');
const builddir = path.dirname(path.dirname(bin));

function run(cmd, args, opts = {}) {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...opts });
}

// The default configuration path a binary was built with (--help says it).
function builtInConfig(b) {
  let out;
  try {
    out = run(b, ['--help']);
  } catch (e) {
    out = String(e.stdout) + String(e.stderr);
  }
  const m = /else (\/\S+)\s*$/m.exec(out);
  assert.ok(m, `--help names the default configuration: ${out}`);
  return m[1];
}

function walk(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? walk(path.join(dir, d.name)) : [path.join(dir, d.name)]);
}

describe('make install', () => {
  const dest = fs.mkdtempSync(path.join(os.tmpdir(), 'callnorm-install-'));
  let prefix, sysconfdir, docdir;

  before(() => {
    run('make', ['-s', '-C', builddir, 'install', `DESTDIR=${dest}`]);
    const vars = run('make', ['-s', '-C', builddir, '--no-print-directory', '-f', 'Makefile', '-f', '-', 'show'], {
      input: 'show:\n\t@echo $(prefix)\n\t@echo $(sysconfdir)\n\t@echo $(docdir)\n',
      stdio: ['pipe', 'pipe', 'pipe'],
    }).trim().split('\n');
    [prefix, sysconfdir, docdir] = vars;
  });

  it('installs the binary, both manual pages, the documents and the OpenAPI description', () => {
    for (const f of [`${prefix}/sbin/callnorm`, `${prefix}/share/man/man8/callnorm.8`,
      `${prefix}/share/man/man5/callnorm.conf.5`, `${docdir}/deploy.md`, `${docdir}/usage.md`,
      `${docdir}/openapi.yaml`, `${docdir}/callnorm.conf.example`, `${docdir}/providers-verbex.md`]) {
      assert.ok(fs.existsSync(dest + f), `${f} installed`);
    }
  });

  it('fills every placeholder of the units and snippets with configure\'s paths', () => {
    const files = walk(dest).filter((f) => /\/(systemd\/system|callnorm\/(nginx|apache))\//.test(f));
    assert.ok(files.length >= 10, `units and snippets installed: ${files.join(' ')}`);
    for (const f of files) {
      const text = fs.readFileSync(f, 'utf8');
      assert.doesNotMatch(text, /@[A-Z]+@/, `${f} has no placeholder left`);
    }
    const unit = fs.readFileSync(`${dest}${prefix}/lib/systemd/system/callnorm.service`, 'utf8');
    assert.match(unit, new RegExp(`^ExecStart=${prefix}/sbin/callnorm -c ${sysconfdir}/callnorm/callnorm.conf `, 'm'));
    // the document the unit points at is one make install put there
    const doc = /^Documentation=.*file:(\S+)/m.exec(unit);
    assert.ok(doc && fs.existsSync(dest + doc[1]), `Documentation= names an installed file (${doc && doc[1]})`);
  });

  it('installs the sample as the configuration (0640), which then checks out, and never replaces one', () => {
    const conf = `${dest}${sysconfdir}/callnorm/callnorm.conf`;
    assert.equal(fs.statSync(conf).mode & 0o777, 0o640);
    const env = { ...process.env, CALLNORM_CURSOR_KEY: 'k'.repeat(40), VERBEX_API_KEY: 'vk' };
    run(`${dest}${prefix}/sbin/callnorm`, ['-c', conf, '--check-config'], { env });
    fs.appendFileSync(conf, '# edited by the operator\n');
    run('make', ['-s', '-C', builddir, 'install', `DESTDIR=${dest}`]);
    assert.match(fs.readFileSync(conf, 'utf8'), /edited by the operator/);
  });
});

describe('building both ways', () => {
  // a copy of the source files, configured and built in place
  const tree = fs.mkdtempSync(path.join(os.tmpdir(), 'callnorm-intree-'));
  const out = path.join(tree, 'outside');

  before(() => {
    const files = run('git', ['-C', top, 'ls-files', '-z', '-co', '--exclude-standard']).split('\0').filter(Boolean);
    for (const f of files) {
      if (!fs.existsSync(path.join(top, f))) continue;
      fs.mkdirSync(path.dirname(path.join(tree, f)), { recursive: true });
      fs.copyFileSync(path.join(top, f), path.join(tree, f));
    }
    fs.chmodSync(path.join(tree, 'autogen.sh'), 0o755);
    fs.chmodSync(path.join(tree, 'scripts/build'), 0o755);
    run('sh', ['-c', './autogen.sh >/dev/null 2>&1 && ./configure -q --sysconfdir=/in-tree && make -s -j2 >/dev/null'], { cwd: tree });
  });

  it('a tree configured in place (./configure && make) still builds out of tree', () => {
    run(path.join(tree, 'scripts/build'), [out, '--sysconfdir=/first']);
    assert.equal(builtInConfig(path.join(out, 'src/callnorm')), '/first/callnorm/callnorm.conf');
    assert.equal(builtInConfig(path.join(tree, 'src/callnorm')), '/in-tree/callnorm/callnorm.conf');
  });

  it('a new --sysconfdir rebuilds the default configuration path', () => {
    run(path.join(tree, 'scripts/build'), [out, '--sysconfdir=/second']);
    assert.equal(builtInConfig(path.join(out, 'src/callnorm')), '/second/callnorm/callnorm.conf');
  });
});
