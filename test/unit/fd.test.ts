import test from 'ava';
import { Guest } from '../helpers/memory-machine.js';

const EBADF = 9, EINVAL = 22, EMFILE = 24, ENOSYS = 38, EFAULT = 14;
const F_DUPFD = 0, F_GETFD = 1, F_SETFD = 2, F_GETFL = 3, F_SETFL = 4, F_DUPFD_CLOEXEC = 1030;
const O_NONBLOCK = 0o4000, O_CLOEXEC = 0o2000000;

function guest(): Guest {
  return new Guest([{ guest: '/', host: '/', readOnly: true }], '/');
}

test('dup takes the lowest free number; close frees it and lets the host close its own', (t) => {
  const g = guest();
  t.is(g.sys('dup', 1), 3);
  t.is(g.sys('dup', 1), 4);
  const slot = g.start('close', 3);
  t.deepEqual(g.outcome(slot), { continued: true });
  t.is(g.sys('dup', 2), 3);
  t.is(g.sys('close', 99), -EBADF);
  t.is(g.sys('dup', 77), -EBADF);
});

test('dup2 and dup3', (t) => {
  const g = guest();
  t.is(g.sys('dup2', 1, 10), 10);
  t.is(g.sys('dup2', 10, 10), 10);
  t.is(g.sys('dup2', 55, 10), -EBADF);
  t.is(g.sys('dup2', 1, -1), -EBADF);
  t.is(g.sys('dup3', 1, 1, 0), -EINVAL);
  t.is(g.sys('dup3', 1, 11, 1), -EINVAL);
  t.is(g.sys('dup3', 1, 11, O_CLOEXEC), 11);
  t.is(g.sys('fcntl', 11, F_GETFD), 1);
  t.is(g.sys('fcntl', 10, F_GETFD), 0);
});

test('fcntl duplicates at or above a minimum and keeps close-on-exec per descriptor', (t) => {
  const g = guest();
  t.is(g.sys('fcntl', 0, F_DUPFD, 20), 20);
  t.is(g.sys('fcntl', 0, F_DUPFD_CLOEXEC, 20), 21);
  t.is(g.sys('fcntl', 21, F_GETFD), 1);
  g.start('fcntl', 21, F_SETFD, 0);
  t.is(g.sys('fcntl', 21, F_GETFD), 0);
  t.is(g.sys('fcntl', 0, F_DUPFD, -1), -EINVAL);
  t.is(g.sys('fcntl', 0, 99999), -EINVAL);
  t.is(g.sys('fcntl', 42, F_GETFD), -EBADF);
});

test('F_GETFL/F_SETFL on a kernel object', (t) => {
  const g = guest();
  const fds = g.alloc(8);
  t.is(g.sys('pipe2', fds, 0), 0);
  const w = g.i32(fds, 1);
  t.is(g.sys('fcntl', w, F_GETFL), 1);
  t.is(g.sys('fcntl', w, F_SETFL, O_NONBLOCK), 0);
  t.is(g.sys('fcntl', w, F_GETFL), 1 | O_NONBLOCK);
});

test('RLIMIT_NOFILE bounds new descriptors with EMFILE', (t) => {
  const g = guest();
  const lim = g.alloc(16);
  g.machine.mem.writeBigUInt64LE(5n, lim - g.machine.base);
  g.machine.mem.writeBigUInt64LE(5n, lim - g.machine.base + 8);
  t.is(g.sys('prlimit64', 0, 7, lim, 0), 0);
  t.is(g.sys('dup', 0), 3);
  t.is(g.sys('dup', 0), 4);
  t.is(g.sys('dup', 0), -EMFILE);
  t.is(g.sys('fcntl', 0, F_DUPFD, 5), -EINVAL);
  t.is(g.sys('prlimit64', 0, 7, 8, 0), -EFAULT);
});

test('an unknown syscall returns ENOSYS and is logged once by name', (t) => {
  const g = guest();
  t.is(g.sys('nfsservctl'), -ENOSYS);
  t.is(g.sys('nfsservctl'), -ENOSYS);
  const lines = g.log.lines.filter((l) => l.msg.includes('nfsservctl'));
  t.is(lines.length, 1);
  t.is(lines[0].level, 'warn');
  t.regex(lines[0].msg, /unsupported syscall nfsservctl \(180\)/);
});

test('signals and queries aimed outside the sandbox fail with ESRCH', (t) => {
  const g = guest();
  const ESRCH = 3;
  t.is(g.sys('kill', 1, 9), -ESRCH);
  t.is(g.sys('tgkill', 1, 1, 9), -ESRCH);
  t.is(g.sys('kill', 100, 99), -EINVAL);
  t.is(g.sys('prlimit64', 1, 7, 0, g.alloc(16)), -ESRCH);
  t.deepEqual(g.machine.signals, []);
});
