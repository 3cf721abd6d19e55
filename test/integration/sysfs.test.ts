// sysfs and cgroup2 describe the sandbox: --cpus CPUs everywhere a program counts them, and a
// cgroup v2 root with no CPU or memory limit. (Formats are compared with Linux by sysfs_cpu.c.)
import test from 'ava';
import { cpus } from 'node:os';
import { sandbox } from '../helpers/sandbox.js';
import { compiled } from '../helpers/cc.js';

const COUNT = 'cat /sys/devices/system/cpu/online /sys/fs/cgroup/cpuset.cpus.effective; ls -d /sys/devices/system/cpu/cpu[0-9]* | wc -l; grep -c ^processor /proc/cpuinfo; grep -c "^cpu[0-9]" /proc/stat; nproc';

test('--cpus N sets the CPUs of sysfs, cgroup, /proc/cpuinfo, /proc/stat and sched_getaffinity', (t) => {
  const r = sandbox(['--cpus', '1', '--', '/bin/sh', '-c', COUNT]);
  t.is(r.status, 0, r.stderr);
  t.is(r.stdout, '0\n0\n1\n1\n1\n1\n');
  const three = sandbox(['--cpus', '3', '--', '/bin/sh', '-c', COUNT]);
  // affinity never names CPUs the host lacks: nproc is capped by the host's
  t.is(three.stdout, `0-2\n0-2\n3\n3\n3\n${Math.min(3, cpus().length)}\n`);
});

test("the default is the host's CPU count, and the differential program agrees at --cpus 1", (t) => {
  const n = cpus().length;
  const r = sandbox(['--', '/bin/sh', '-c', 'cat /sys/devices/system/cpu/possible; nproc']);
  t.is(r.stdout, `${n === 1 ? '0' : `0-${n - 1}`}\n${n}\n`);
  const one = sandbox(['--cpus', '1', '--', compiled('sysfs_cpu')]);
  t.regex(one.stdout, /^online: 0-N/);
  t.regex(one.stdout, /cpuinfo: all equal\n/);
});

test('/sys/fs/cgroup is a cgroup2 root with no limits, listing the sandbox processes', (t) => {
  const r = sandbox(['--', '/bin/sh', '-c', [
    'cd /sys/fs/cgroup; cat cgroup.controllers cpu.max memory.max memory.swap.max cpu.weight',
    'grep -qx $$ cgroup.procs && echo "procs has the shell"',
    'test "$(cat memory.current)" -gt 0 && echo "memory.current counts"',
    'stat -c "%s %a" cpu.max /sys/devices/system/cpu/online',
    'grep -E " /sys(/fs/cgroup)? " /proc/self/mountinfo | cut -d" " -f5,9',
    'echo 1 > cpu.max',
  ].join('; ')]);
  t.is(r.stdout, [
    'cpuset cpu io memory pids', 'max 100000', 'max', 'max', '100', 'procs has the shell', 'memory.current counts',
    '0 644', '4096 444', '/sys sysfs', '/sys/fs/cgroup cgroup2', '',
  ].join('\n'));
  t.regex(r.stderr, /Permission denied/);
});

test('--cpus takes a positive count', (t) => {
  const r = sandbox(['--cpus', '0', '--', '/bin/true']);
  t.is(r.status, 2);
  t.regex(r.stderr, /--cpus needs a count/);
});

test('cpuN/topology and cpuN/cache describe --cpus CPUs of one package, with masks that match their lists', (t) => {
  // every CPU its own core; the package, die and a shared cache span all of them
  const script = 'cd /sys/devices/system/cpu; for c in cpu*[0-9]; do echo "$c $(cat $c/topology/core_id) $(cat $c/topology/thread_siblings_list) $(cat $c/topology/thread_siblings) $(cat $c/topology/package_cpus_list) $(cat $c/topology/package_cpus) $(cat $c/topology/physical_package_id)"; done';
  const r = sandbox(['--cpus', '6', '--', '/bin/sh', '-c', script]);
  t.is(r.status, 0, r.stderr);
  t.is(r.stdout, [0, 1, 2, 3, 4, 5].map((i) => `cpu${i} ${i} ${i} ${(1 << i).toString(16).padStart(2, '0')} 0-5 3f 0`).join('\n') + '\n');
  const wide = sandbox(['--cpus', '40', '--', '/bin/sh', '-c', 'cat /sys/devices/system/cpu/cpu33/topology/thread_siblings /sys/devices/system/cpu/cpu0/topology/core_siblings']);
  t.is(wide.stdout, '02,00000000\nff,ffffffff\n'); // 32-bit words, the top one as wide as 40 CPUs need
  const caches = sandbox(['--cpus', '2', '--', '/bin/sh', '-c', 'cd /sys/devices/system/cpu/cpu1/cache; for i in index*; do echo "$(cat $i/level) $(cat $i/shared_cpu_list)"; done']);
  const levels = caches.stdout.trim().split('\n').map((l) => l.split(' '));
  t.true(levels.length > 0, caches.stderr);
  for (const [level, list] of levels) t.is(list, Number(level) >= 3 ? '0-1' : '1', caches.stdout);
});
