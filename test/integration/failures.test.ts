// Failure paths a user meets: unsupported syscalls, volumes, working directories, Ctrl-C.
import test from 'ava';
import { mkdirSync, mkdtempSync, writeFileSync, rmSync, existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { sandbox, native, ROOT, CLI } from '../helpers/sandbox.js';
import { compiled } from '../helpers/cc.js';

test('an unsupported syscall returns ENOSYS and is logged once, by name', (t) => {
  const prog = compiled('unknown_syscall');
  const n = native([prog]);
  const r = sandbox(['--', prog]);
  t.is(r.status, 0);
  // Linux itself may not implement quotactl for this filesystem; the sandbox says ENOSYS
  t.is(r.stdout, 'quotactl: -1 Function not implemented\nquotactl: -1 Function not implemented\n');
  const lines = r.stderr.split('\n').filter((l) => l.includes('quotactl'));
  t.is(lines.length, 1, r.stderr);
  t.regex(lines[0], /unsupported syscall quotactl \(179\): returning ENOSYS/);
  t.truthy(n.stdout);
});

test('--log-file takes the log off stderr', (t) => {
  const log = join(ROOT, '.cache', `log-${process.pid}.txt`);
  const r = sandbox(['--log-file', log, '--', compiled('unknown_syscall')]);
  t.is(r.stderr, '');
  t.regex(readFileSync(log, 'utf8'), /"syscall":"quotactl"/);
  rmSync(log, { force: true });
});

test('-v binds a host directory, read-only with :ro', (t) => {
  const dir = join(ROOT, '.cache', `vol-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'in.txt'), 'from host\n');
  const r = sandbox(['-v', `${dir}:/data`, '-v', `${dir}:/ro:ro`, '--', '/bin/sh', '-c',
    'cat /data/in.txt; echo new > /data/out.txt; echo nope > /ro/x.txt; cat /ro/out.txt']);
  t.is(r.stdout, 'from host\nnew\n');
  t.regex(r.stderr, /Read-only file system/);
  t.is(readFileSync(join(dir, 'out.txt'), 'utf8'), 'new\n');
  t.false(existsSync(join(dir, 'x.txt')));
  rmSync(dir, { recursive: true, force: true });
  const bad = sandbox(['-v', '/no/such/dir:/x', '--', '/bin/true']);
  t.is(bad.status, 125);
  t.regex(bad.stderr, /volume \/no\/such\/dir: No such directory/);
  const usage = sandbox(['-v', 'relative', '--', '/bin/true']);
  t.is(usage.status, 2);
});

test('--cwd sets the guest working directory', (t) => {
  const r = sandbox(['--cwd', '/usr/share', '--', '/bin/sh', '-c', 'pwd; ls -d doc']);
  t.is(r.stdout, '/usr/share\ndoc\n');
});

test('Ctrl-C at a terminal reaches the guest, and the sandbox reports its death', (t) => {
  // python's pty module gives the sandbox a controlling terminal; ^C makes the line discipline
  // send SIGINT to the foreground process group.
  const script = [
    'import os, pty, sys, time, select',
    'pid, fd = pty.fork()',
    'if pid == 0:',
    `    os.execv(sys.executable, [sys.executable, "-c", "import os; os.execv('${process.execPath}', ['node', '${CLI}', '--', '/bin/sh', '-c', 'echo ready; exec sleep 30'])"])`,
    'buf = b""',
    'while b"ready" not in buf:',
    '    r, _, _ = select.select([fd], [], [], 20)',
    '    if not r: break',
    '    buf += os.read(fd, 1024)',
    'time.sleep(0.3)',
    'os.write(fd, b"\\x03")',
    '_, status = os.waitpid(pid, 0)',
    'print(os.waitstatus_to_exitcode(status))',
  ].join('\n');
  const r = spawnSync('python3', ['-c', script], { encoding: 'utf8', timeout: 30000 });
  t.is(r.stdout.trim(), '130', r.stderr);
});

test('a working directory under /tmp stays visible over the private /tmp', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'starry-cwd-'));
  try {
    writeFileSync(join(dir, 'here.txt'), 'here\n');
    const r = sandbox(['--', '/bin/sh', '-c', 'pwd; cat here.txt; ls -d "$PWD"; echo new > made.txt'], { cwd: dir });
    t.is(r.stdout, `${dir}\nhere\n${dir}\n`, r.stderr);
    t.is(readFileSync(join(dir, 'made.txt'), 'utf8'), 'new\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('scripts run through their #! interpreter with $0 as the guest named it', (t) => {
  const dir = join(ROOT, '.cache', `script-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 's.sh'), '#!/bin/sh -e\necho "$0 $1"\n', { mode: 0o755 });
  const argv = ['/bin/sh', '-c', './s.sh one; "$PWD/s.sh" two; cd .. && ./script-' + process.pid + '/s.sh three'];
  const n = native(argv, { cwd: dir });
  const s = sandbox(['--cwd', dir, '--', ...argv]);
  t.is(s.stdout, n.stdout);
  rmSync(dir, { recursive: true, force: true });
});

test('procfs shows the sandbox: its own processes, exe, fds, and no tracer', (t) => {
  const r = sandbox(['--', '/bin/sh', '-c', 'readlink /proc/self/exe; ls /proc/self/fd | wc -l; grep TracerPid /proc/$$/status; cat /proc/$$/comm; for p in /proc/[0-9]*; do echo x; done | wc -l']);
  t.is(r.status, 0, r.stderr);
  const [exe, fds, tracer, comm, procs] = r.stdout.trim().split('\n');
  t.is(exe, '/usr/bin/readlink');
  t.true(Number(fds) >= 3);
  t.is(tracer, 'TracerPid:\t0');
  t.is(comm, 'sh');
  t.true(Number(procs) >= 1 && Number(procs) <= 4, `sandbox processes listed: ${procs}`);
});
