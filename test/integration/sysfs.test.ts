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
