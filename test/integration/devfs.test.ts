// The sandbox's /dev: a few host devices, the private /dev/shm, and the links every /dev has
// (fd, stdin, stdout, stderr), which lead through /proc/self/fd to the process's own files.
// (test/programs/dev_links.c compares the links with Linux's.)
import test from 'ava';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sandbox, native, CLI, ROOT } from '../helpers/sandbox.js';

test('/dev lists only the devices of the view, shm and the links', (t) => {
  const r = sandbox(['--', '/bin/sh', '-c', 'ls -a /dev']);
  t.is(r.status, 0, r.stderr);
  const devices = ['full', 'null', 'ptmx', 'pts', 'random', 'tty', 'urandom', 'zero'].filter((d) => existsSync(`/dev/${d}`));
  t.deepEqual(r.stdout.split('\n').filter(Boolean).sort(), ['.', '..', ...devices, 'fd', 'shm', 'stderr', 'stdin', 'stdout'].sort());
});

test('cat /dev/stdin reads the inherited stdin, echo > /dev/stderr writes the inherited stderr', (t) => {
  // Node gives a child socketpairs for stdio, which /dev/stdin cannot open (ENXIO, as on Linux):
  // a shell hands the sandbox real pipes
  const guest = 'cat /dev/stdin; echo to-stderr > /dev/stderr; echo to-stdout > /dev/stdout';
  const r = native(['/bin/sh', '-c', `printf 'from the host\\n' | '${process.execPath}' '${CLI}' -- /bin/sh -c '${guest}' 2>&1 | cat`]);
  t.is(r.status, 0, r.stderr);
  t.is(r.stdout, 'from the host\nto-stderr\nto-stdout\n');
});

test('a stdout redirected to a host file reopens for writing only', (t) => {
  const dir = mkdtempSync(join(ROOT, '.cache', 'devfs-'));
  try {
    const out = join(dir, 'out.txt');
    writeFileSync(out, 'earlier contents\n');
    const guest = 'cat /dev/stdout 2>/dev/null || echo refused; echo appended >> /dev/stdout';
    const r = native(['/bin/sh', '-c', `'${process.execPath}' '${CLI}' -- /bin/sh -c '${guest}' >> '${out}'`]);
    t.is(r.status, 0, r.stderr);
    t.is(readFileSync(out, 'utf8'), 'earlier contents\nrefused\nappended\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('/dev/stdin of a guest pipe is that pipe; ls /dev/fd/ lists the descriptors', (t) => {
  const r = sandbox(['--', '/bin/sh', '-c', 'echo through-the-pipe | cat /dev/stdin; ls /dev/fd/ </dev/null; readlink /dev/stdin; exec 7</dev/null; ls /dev/fd/']);
  t.is(r.status, 0, r.stderr);
  t.is(r.stdout, 'through-the-pipe\n0\n1\n2\n3\n/proc/self/fd/0\n0\n1\n2\n3\n7\n');
});
