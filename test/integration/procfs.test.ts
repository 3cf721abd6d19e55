// What /proc says about the sandbox itself: its own mounts, guest paths in maps, the kernel's
// descriptor and limit records. (Formats are compared with Linux by test/programs/proc_pid.c.)
import test from 'ava';
import { mkdtempSync, mkdirSync, rmSync, copyFileSync, chmodSync, readFileSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir, hostname } from 'node:os';
import { sandbox, native, ROOT } from '../helpers/sandbox.js';
import { compiled } from '../helpers/cc.js';

const MOUNTS = ['/', '/dev', '/dev/shm', '/etc/hostname', '/etc/hosts', '/proc', '/sys', '/sys/fs/cgroup', '/tmp', ROOT];

test('mountinfo and mounts list exactly the sandbox mounts, ids tied to parents, no host directory', (t) => {
  const vol = mkdtempSync(join(tmpdir(), 'starry-vol-'));
  try {
    const r = sandbox(['-v', `${vol}:/data:ro`, '--', '/bin/sh', '-c', 'cat /proc/self/mountinfo; echo; cat /proc/mounts']);
    t.is(r.status, 0, r.stderr);
    const [info, mounts] = r.stdout.split('\n\n');
    const rows = info.trim().split('\n').map((l) => l.split(' '));
    t.deepEqual(rows.map((f) => f[4]).sort(), [...MOUNTS, '/data'].sort());
    t.deepEqual(mounts.trim().split('\n').map((l) => l.split(' ')[1]).sort(), [...MOUNTS, '/data'].sort());
    const ids = new Map(rows.map((f) => [f[0], f[4]]));
    for (const f of rows) {
      if (f[4] === '/') t.false(ids.has(f[1]), 'the root hangs from outside the sandbox');
      else t.true(ids.has(f[1]), `${f[4]} has a listed parent`);
      t.regex(f[3], /^\/[a-z]*$/, 'a mount root names no host directory');
    }
    const proc = rows.find((f) => f[4] === '/proc')!;
    t.deepEqual(proc.slice(proc.indexOf('-') + 1, proc.indexOf('-') + 3), ['proc', 'proc']);
    t.regex(rows.find((f) => f[4] === '/data')!.join(' '), / ro,relatime - /);
    t.false(r.stdout.includes(vol), 'the volume host path does not appear');
  } finally {
    rmSync(vol, { recursive: true, force: true });
  }
});

test('maps name files by their guest paths', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'starry-maps-'));
  try {
    copyFileSync(compiled('view_probe', true), join(dir, 'probe'));
    chmodSync(join(dir, 'probe'), 0o755);
    // a program from a volume, and a library loaded from the sandbox's private /dev/shm
    const r = sandbox(['-v', `${dir}:/opt/probe:ro`, '--', '/bin/sh', '-c',
      'cp /lib/x86_64-linux-gnu/libm.so.6 /dev/shm/ && /opt/probe/probe /proc/self/maps /proc/self/smaps && LD_PRELOAD=/dev/shm/libm.so.6 cat /proc/self/maps']);
    t.is(r.status, 0, r.stderr);
    t.regex(r.stdout, / {2,}\/opt\/probe\/probe\n/);
    t.regex(r.stdout, / {2,}\/dev\/shm\/libm\.so\.6\n/);
    t.false(r.stdout.includes(dir), 'no host path of the volume');
    t.false(/\/starry-[^/\s]+\//.test(r.stdout.replace(/\/starry-maps-/g, '')), "no host path of the sandbox's private directories");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("fdinfo's mnt_id is the mount the file is on, and flags follow the descriptor", (t) => {
  const r = sandbox(['--', '/bin/sh', '-c', 'exec 3</etc/hosts; cat /proc/$$/fdinfo/3; grep " /etc/hosts " /proc/$$/mountinfo']);
  t.is(r.status, 0, r.stderr);
  const id = /^mnt_id:\t(\d+)$/m.exec(r.stdout)?.[1];
  t.truthy(id);
  t.regex(r.stdout, new RegExp(`^${id} \\d+ \\S+ /hosts /etc/hosts `, 'm'));
  t.regex(r.stdout, /^flags:\t0100000$/m);
});

test('limits shows the kernel RLIMIT_NOFILE; oom_score_adj and cgroup as a child sees them', (t) => {
  const r = sandbox(['--', '/bin/sh', '-c', 'ulimit -n 64; grep "Max open files" /proc/self/limits; echo 300 > /proc/self/oom_score_adj; cat /proc/self/oom_score_adj /proc/self/cgroup']);
  t.is(r.status, 0, r.stderr);
  t.is(r.stdout, `${'Max open files'.padEnd(25)} ${'64'.padEnd(20)} ${'64'.padEnd(20)} ${'files'.padEnd(10)}\n300\n0::/\n`);
});

test('task/ lists the threads and nothing below task/TID/task', (t) => {
  const r = sandbox(['--', '/bin/sh', '-c', 'ls /proc/$$/task; ls /proc/$$/task/$$ | tr "\\n" " "; ls /proc/$$/task/$$/task']);
  t.regex(r.stdout, /^(\d+)\ncgroup cmdline comm cwd environ exe fd fdinfo io limits maps mountinfo mounts net oom_score_adj root smaps stat statm status $/);
  t.regex(r.stderr, /No such file or directory/);
});

test('/proc/sys describes the sandbox: its hostname, its own boot id, fixed network values', (t) => {
  const read = 'cd /proc/sys; cat kernel/hostname fs/nr_open net/core/somaxconn net/ipv4/ip_local_port_range kernel/random/boot_id kernel/random/boot_id';
  const a = sandbox(['--', '/bin/sh', '-c', read]);
  const b = sandbox(['--', '/bin/sh', '-c', read]);
  t.is(a.status, 0, a.stderr);
  const lines = a.stdout.split('\n');
  t.deepEqual(lines.slice(0, 4), [hostname(), '1048576', '4096', '32768\t60999']);
  t.is(lines[4], lines[5], 'boot_id is stable within a sandbox');
  t.not(lines[4], b.stdout.split('\n')[4], 'and new in each sandbox');
  t.not(lines[4], readFileSync('/proc/sys/kernel/random/boot_id', 'latin1').trim(), "and not the host's");
});

test('/proc/sys refuses writes as Linux does to an unprivileged user', (t) => {
  const prog = compiled('proc_sys');
  const r = sandbox(['--', prog, 'writes']);
  t.is(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  t.is(lines.length, 13);
  for (const l of lines) t.regex(l, /: open for writing EACCES$/);
  if (process.getuid?.() === 0 && existsSync('/usr/bin/setpriv')) {
    const n = native(['/usr/bin/setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', prog, 'writes']);
    t.is(r.stdout, n.stdout);
  }
});

test('getppid and /proc agree: 0 for the first process and for an orphan whose parent is outside, the parent within', (t) => {
  // as a pid namespace shows a parent outside it (starry-sandbox, or the host's init after a reparent)
  const dir = join(ROOT, '.cache', 'ppid');
  mkdirSync(dir, { recursive: true });
  const probe = join(dir, 'ppid.py');
  writeFileSync(probe, 'import os\nstat = open("/proc/self/stat").read()\nprint(os.getppid(), stat.rsplit(")", 1)[1].split()[1])\n');
  // the shell is the first process: its $PPID is its getppid at start
  const first = 'echo "$PPID $(cut -d" " -f4 /proc/$$/stat)"';
  const script = `${first}; python3 ${probe} | { read a b; [ "$a" = $$ ] && [ "$b" = $$ ] && echo "child: the shell"; }; (sh -c "sleep 0.3; exec python3 ${probe}" &); sleep 5`;
  const r = sandbox(['--', '/bin/sh', '-c', script]);
  t.is(r.status, 0, r.stderr);
  t.is(r.stdout, '0 0\nchild: the shell\n0 0\n');
});
