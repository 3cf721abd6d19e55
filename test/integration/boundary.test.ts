// The sandbox as a boundary: writes outside the read-write mounts, host paths outside the view,
// and host processes are out of the guest's reach.
import test from 'ava';
import { mkdtempSync, mkdirSync, writeFileSync, existsSync, rmSync, copyFileSync, chmodSync } from 'node:fs';
import { compiled } from '../helpers/cc.js';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { sandbox, ROOT } from '../helpers/sandbox.js';

test('writing outside the writable mounts fails with EROFS and changes nothing', (t) => {
  const target = '/usr/share/starry-sandbox-probe';
  const r = sandbox(['--', '/bin/sh', '-c', `echo x > ${target}; mkdir /usr/starry-probe-dir; touch /etc/hostname; rm -f /etc/hostname; echo done`]);
  t.is(r.status, 0);
  t.is(r.stdout, 'done\n');
  t.regex(r.stderr, /Read-only file system/);
  t.false(existsSync(target));
  t.false(existsSync('/usr/starry-probe-dir'));
  t.true(existsSync('/etc/hostname'));
});

test('the working directory is writable and /tmp is private to the sandbox', (t) => {
  const marker = `starry-private-${process.pid}`;
  const hostOnly = join(tmpdir(), `starry-host-only-${process.pid}`);
  writeFileSync(hostOnly, 'host\n');
  try {
    const r = sandbox(['--', '/bin/sh', '-c', `echo inside > /tmp/${marker} && cat /tmp/${marker} && ls /tmp`]);
    t.is(r.status, 0);
    const [first, ...listing] = r.stdout.trim().split('\n');
    t.is(first, 'inside');
    t.true(listing.includes(marker));
    t.false(listing.includes(`starry-host-only-${process.pid}`));
    t.false(existsSync(join(tmpdir(), marker)));
  } finally {
    rmSync(hostOnly, { force: true });
  }
});

test('a symlink in the writable directory cannot lead a write out of it', (t) => {
  const dir = join(ROOT, '.cache', 'symlink-escape');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const r = sandbox(['--', '/bin/sh', '-c', 'ln -s /etc/starry-escape-probe link && echo pwned > link; echo $?'], { cwd: dir });
  t.false(existsSync('/etc/starry-escape-probe'));
  t.regex(r.stderr, /Read-only file system/);
  rmSync(dir, { recursive: true, force: true });
});

test('with --root the host filesystem outside the image is not visible', (t) => {
  const root = mkdtempSync(join(tmpdir(), 'starry-root-'));
  try {
    for (const d of ['bin', 'dev', 'etc', 'proc', 'sys', 'tmp', 'usr']) mkdirSync(join(root, d), { recursive: true });
    writeFileSync(join(root, 'etc', 'motd'), 'image motd\n');
    copyFileSync(compiled('view_probe', true), join(root, 'bin', 'probe'));
    chmodSync(join(root, 'bin', 'probe'), 0o755);
    const r = sandbox(['--root', root, '--', '/bin/probe', '/etc/motd', '/etc/os-release', 'ls:/', 'ls:/usr', '/../etc/os-release']);
    t.is(r.stdout, 'image motd\n/etc/os-release: errno 2\nbin dev etc proc sys tmp usr\n\n/../etc/os-release: errno 2\n');
    t.is(r.status, 0);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('host processes cannot be signalled or their limits read', (t) => {
  const r = sandbox(['--', '/bin/sh', '-c', `kill -0 ${process.pid}; echo "kill:$?"; kill -0 1; echo "init:$?"; kill -0 $$; echo "self:$?"`]);
  t.is(r.stdout, 'kill:1\ninit:1\nself:0\n');
  t.regex(r.stderr, /No such process/);
});

test('kill(0) and kill(-1) reach only sandbox processes', (t) => {
  // The sandbox shares our process group; a guest's kill(0, SIGTERM) must not reach us.
  const r = sandbox(['--', '/bin/sh', '-c', 'trap "" TERM; kill -TERM 0; kill -TERM -1; echo alive']);
  t.is(r.stdout, 'alive\n');
  t.is(r.status, 0);
});
