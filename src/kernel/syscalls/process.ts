// Processes and threads are real host tasks (DESIGN.md section 3): clone, fork, vfork and wait
// run natively once checked; the kernel learns of births and deaths from the tracer. Calls that
// name another process must name one inside the sandbox.
import type { Family } from './types.js';
import { DEFAULT_PIDS_MAX, type Kernel } from '../kernel.js';
import type { Call } from '../call.js';
import { CONTINUE } from '../call.js';
import * as E from '../errno.js';
import * as host from '../../host/sys.js';
import { NR } from '../abi/sysnames.js';
import { RLIMIT_NOFILE, type ThreadGroup } from '../task.js';
import { PidFd } from '../fd/pidfd.js';
import { installLowest } from '../fd/install.js';

const CLONE_NEWNS = 0x20000, CLONE_PIDFD = 0x1000, CLONE_UNTRACED = 0x800000, CLONE_NEWCGROUP = 0x2000000;
const CLONE_NEWUTS = 0x4000000, CLONE_NEWIPC = 0x8000000, CLONE_NEWUSER = 0x10000000;
const CLONE_NEWPID = 0x20000000, CLONE_NEWNET = 0x40000000, CLONE_NEWTIME = 0x80;
const NAMESPACES = CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET;

/** A new task would pass --pids-max: EAGAIN, as the pids cgroup answers fork and clone. */
function overLimit(k: Kernel): boolean {
  return k.tasks.size >= (k.config.pidsMax ?? DEFAULT_PIDS_MAX);
}

function clone(k: Kernel, c: Call): number {
  if (overLimit(k)) return -E.EAGAIN;
  const flags = c.u32(0);
  if (flags & NAMESPACES || (c.lo[0] & CLONE_NEWTIME && !(flags & 0xff))) return -E.EPERM;
  // Untraced children would escape the tracer; pidfds are kernel objects, not host ones.
  if (flags & (CLONE_UNTRACED | CLONE_PIDFD)) return -E.EINVAL;
  return CONTINUE;
}

const IOPRIO_WHO_PROCESS = 1;

/** pid is 0 (the caller) or a process of the sandbox. */
function ownOrSandbox(k: Kernel, c: Call, pid: number): boolean {
  return pid === 0 || k.isSandboxPid(pid) || k.tasks.has(pid);
}

/** Calls whose argument i names a process: allowed for the sandbox's own. */
function pidArg(i: number) {
  return (k: Kernel, c: Call): number => (ownOrSandbox(k, c, c.int(i)) ? CONTINUE : -E.ESRCH);
}

function validSignal(sig: number): boolean {
  return sig >= 0 && sig <= 64;
}

function kill(k: Kernel, c: Call): number {
  const pid = c.int(0);
  const sig = c.int(1);
  if (!validSignal(sig)) return -E.EINVAL;
  if (pid > 0) return expecting(k, pid) ? CONTINUE : -E.ESRCH;
  // 0, -1 and -pgrp would reach host processes that share our process group: send to the
  // sandbox's members one by one (-1: all but init and the caller).
  const want = pid === 0 ? host.sys(NR.getpgid, c.task.tgid) : pid === -1 ? -1 : -pid;
  const skip = pid === -1 ? (g: ThreadGroup) => g === k.init || g.tgid === c.task.tgid : undefined;
  return k.signalProcessGroup(want, sig, skip) > 0 ? 0 : -E.ESRCH;
}

function tgkill(k: Kernel, c: Call): number {
  const tgid = c.int(0);
  const tid = c.int(1);
  if (tgid <= 0 || tid <= 0 || !validSignal(c.int(2))) return -E.EINVAL;
  const t = k.tasks.get(tid);
  if (!t || t.tgid !== tgid) return -E.ESRCH;
  k.expectSignal(t.group);
  return CONTINUE;
}

function tkill(k: Kernel, c: Call): number {
  const tid = c.int(0);
  if (tid <= 0 || !validSignal(c.int(1))) return -E.EINVAL;
  const t = k.tasks.get(tid);
  if (!t) return -E.ESRCH;
  k.expectSignal(t.group);
  return CONTINUE;
}

/** A process of the sandbox that a signal is about to reach (it is then watched closely). */
function expecting(k: Kernel, pid: number): boolean {
  if (!k.isSandboxPid(pid)) return false;
  const g = k.groups.get(pid) ?? k.tasks.get(pid)?.group;
  if (g) k.expectSignal(g);
  return true;
}

const PIDFD_THREAD = 0o200; // O_EXCL
const O_NONBLOCK = 0o4000;

/** pidfd_open: a host pidfd, only for a process of the sandbox. */
function pidfdOpen(k: Kernel, c: Call): number {
  const pid = c.int(0);
  const flags = c.u32(1);
  if (flags & ~(O_NONBLOCK | PIDFD_THREAD) || pid <= 0) return -E.EINVAL;
  if (!k.isSandboxPid(pid)) return -E.ESRCH;
  const fd = host.sys(NR.pidfd_open, pid, flags);
  if (fd < 0) return fd;
  return installLowest(k, c, new PidFd(fd, flags & O_NONBLOCK, pid), 0, true); // always close-on-exec
}

/** pidfd_send_signal: the pidfd names a sandbox process (pidfd_open made sure). */
function pidfdSendSignal(k: Kernel, c: Call): number {
  const f = c.task.files.get(c.fd(0));
  if (!f) return -E.EBADF;
  if (!(f instanceof PidFd)) return -E.EBADF;
  if (!validSignal(c.int(1))) return -E.EINVAL;
  const g = k.groups.get(f.pid);
  if (g) k.expectSignal(g);
  return CONTINUE;
}

function waitAny(k: Kernel, c: Call): number {
  return CONTINUE; // the host waits: guest children are real children
}

function rlimitNofile(k: Kernel, c: Call, newAddr: number, oldAddr: number): number {
  const g = c.task.group;
  if (newAddr !== 0) {
    const r = k.mem.read(c.tid, newAddr, 16);
    if (r < 0) return r;
    const soft = Number(k.mem.view.getBigUint64(0, true));
    const hard = Number(k.mem.view.getBigUint64(8, true));
    if (soft > hard) return -E.EINVAL;
    if (hard > 1048576) return -E.EPERM;
    if (oldAddr !== 0) {
      const [os, oh] = g.nofile;
      k.mem.view.setBigUint64(16, BigInt(os), true);
      k.mem.view.setBigUint64(24, BigInt(oh), true);
    }
    g.nofile = [soft, hard];
    if (oldAddr !== 0) {
      k.mem.buf.copy(k.mem.buf, 0, 16, 32);
      return k.mem.write(c.tid, oldAddr, 16);
    }
    return 0;
  }
  if (oldAddr !== 0) {
    k.mem.view.setBigUint64(0, BigInt(g.nofile[0]), true);
    k.mem.view.setBigUint64(8, BigInt(g.nofile[1]), true);
    return k.mem.write(c.tid, oldAddr, 16);
  }
  return 0;
}

function prlimit64(k: Kernel, c: Call): number {
  const pid = c.int(0);
  if (!ownOrSandbox(k, c, pid)) return -E.ESRCH;
  const res = c.u32(1);
  if (res >= 16) return -E.EINVAL;
  if (res === RLIMIT_NOFILE && (pid === 0 || pid === c.task.tgid)) return rlimitNofile(k, c, c.ptr(2), c.ptr(3));
  return CONTINUE;
}

function getrlimit(k: Kernel, c: Call): number {
  if (c.u32(0) === RLIMIT_NOFILE) return rlimitNofile(k, c, 0, c.ptr(1));
  return c.u32(0) >= 16 ? -E.EINVAL : CONTINUE;
}

function setrlimit(k: Kernel, c: Call): number {
  if (c.u32(0) === RLIMIT_NOFILE) return rlimitNofile(k, c, c.ptr(1), 0);
  return c.u32(0) >= 16 ? -E.EINVAL : CONTINUE;
}

/**
 * The host's affinity mask cut to the sandbox's first k.cpus CPUs, so that nproc and
 * sched_getaffinity agree with /sys/devices/system/cpu. A mask already that small (--cpus at or
 * above the host's count) is the host's answer unchanged: a mask never names CPUs the host lacks.
 */
function schedGetaffinity(k: Kernel, c: Call): number {
  const pid = c.int(0);
  const len = c.u32(1);
  if (len % 8 !== 0) return -E.EINVAL;
  if (!ownOrSandbox(k, c, pid)) return -E.ESRCH;
  const r = host.sys(NR.sched_getaffinity, pid === 0 ? c.tid : pid, Math.min(len, 4096), host.addr(host.STRUCT));
  if (r < 0) return r;
  let seen = 0;
  for (let i = 0; i < r; i++) {
    let byte = host.scratch[host.STRUCT + i];
    for (let bit = 0; bit < 8; bit++) {
      if (!(byte & (1 << bit))) continue;
      if (++seen > k.cpus) byte &= ~(1 << bit);
    }
    host.scratch[host.STRUCT + i] = byte;
  }
  const w = k.mem.writeFrom(c.tid, c.ptr(2), host.scratch, host.STRUCT, r);
  return w < 0 ? w : r;
}

const PR_SET_PDEATHSIG = 1, PR_GET_PDEATHSIG = 2, PR_GET_DUMPABLE = 3, PR_SET_DUMPABLE = 4;
const PR_GET_NAME = 16, PR_SET_NAME = 15, PR_GET_SECCOMP = 21, PR_SET_SECCOMP = 22, PR_CAPBSET_READ = 23;
const PR_SET_TIMERSLACK = 29, PR_GET_TIMERSLACK = 30, PR_SET_CHILD_SUBREAPER = 36, PR_GET_CHILD_SUBREAPER = 37;
const PR_SET_NO_NEW_PRIVS = 38, PR_GET_NO_NEW_PRIVS = 39, PR_SET_THP_DISABLE = 41, PR_GET_THP_DISABLE = 42;
const PR_SET_VMA = 0x53564d41, PR_CAP_AMBIENT = 47, PR_GET_KEEPCAPS = 7, PR_SET_KEEPCAPS = 8;
const PR_SET_SECUREBITS = 28, PR_GET_SECUREBITS = 27, PR_MCE_KILL = 33, PR_MCE_KILL_GET = 34;
const NATIVE_PRCTL = new Set([
  PR_SET_PDEATHSIG, PR_GET_PDEATHSIG, PR_GET_DUMPABLE, PR_SET_DUMPABLE, PR_GET_NAME, PR_SET_NAME,
  PR_GET_SECCOMP, PR_CAPBSET_READ, PR_SET_TIMERSLACK, PR_GET_TIMERSLACK, PR_SET_CHILD_SUBREAPER,
  PR_GET_CHILD_SUBREAPER, PR_SET_NO_NEW_PRIVS, PR_GET_NO_NEW_PRIVS, PR_SET_THP_DISABLE, PR_GET_THP_DISABLE,
  PR_SET_VMA, PR_CAP_AMBIENT, PR_GET_KEEPCAPS, PR_SET_KEEPCAPS, PR_GET_SECUREBITS, PR_SET_SECUREBITS,
  PR_MCE_KILL, PR_MCE_KILL_GET,
]);

function prctl(k: Kernel, c: Call): number {
  const op = c.int(0);
  if (op === PR_SET_NAME) {
    const name = k.mem.string(c.tid, c.ptr(1), 16);
    if (typeof name === 'number' && name !== -E.ENAMETOOLONG) return name;
    if (typeof name === 'string') c.task.comm = name;
    else {
      const r = k.mem.read(c.tid, c.ptr(1), 15);
      if (r < 0) return r;
      c.task.comm = k.mem.buf.toString('latin1', 0, 15);
    }
    return CONTINUE;
  }
  if (op === PR_GET_NAME && c.task.comm !== undefined) {
    // the name the kernel keeps (a /proc/PID/comm write the host could not make)
    k.mem.buf.fill(0, 0, 16);
    k.mem.buf.write(c.task.comm.slice(0, 15), 0, 'latin1');
    return k.mem.write(c.tid, c.ptr(1), 16);
  }
  if (NATIVE_PRCTL.has(op)) return CONTINUE;
  if (op === PR_SET_SECCOMP) return CONTINUE; // a guest may stack its own filters
  return -E.EINVAL;
}

const SECCOMP_FILTER_FLAG_NEW_LISTENER = 8;
function seccomp(k: Kernel, c: Call): number {
  // A listener would be a descriptor the kernel did not make.
  if (c.u32(1) & SECCOMP_FILTER_FLAG_NEW_LISTENER) return -E.EINVAL;
  return CONTINUE;
}

export const processFamily: Family = {
  clone,
  fork: (k) => (overLimit(k) ? -E.EAGAIN : CONTINUE),
  vfork: (k) => (overLimit(k) ? -E.EAGAIN : CONTINUE),
  // clone3 passes its flags in memory, which could change after our check: glibc falls back
  // to clone on ENOSYS, as it does under Docker's and gVisor's filters.
  clone3: () => -E.ENOSYS,
  wait4: waitAny,
  waitid: waitAny,
  kill,
  pidfd_open: pidfdOpen,
  pidfd_send_signal: pidfdSendSignal,
  tgkill,
  tkill,
  rt_sigqueueinfo: (k, c) => (expecting(k, c.int(0)) ? CONTINUE : -E.ESRCH),
  rt_tgsigqueueinfo: (k, c) => (k.tasks.has(c.int(1)) && expecting(k, c.int(1)) ? CONTINUE : -E.ESRCH),
  getpgid: pidArg(0),
  getsid: pidArg(0),
  setpgid: pidArg(0),
  getpgrp: () => CONTINUE,
  setsid: () => CONTINUE,
  set_tid_address: () => CONTINUE,
  prlimit64,
  getrlimit,
  setrlimit,
  prctl,
  seccomp,
  sched_getaffinity: schedGetaffinity,
  sched_setaffinity: pidArg(0),
  sched_getparam: pidArg(0),
  sched_setparam: pidArg(0),
  sched_getscheduler: pidArg(0),
  sched_setscheduler: pidArg(0),
  sched_get_priority_max: () => CONTINUE,
  sched_get_priority_min: () => CONTINUE,
  sched_rr_get_interval: pidArg(0),
  getpriority: (k, c) => (c.int(0) !== 0 || c.int(1) === 0 ? pidArg(1)(k, c) : CONTINUE),
  setpriority: (k, c) => (c.int(0) !== 0 || c.int(1) === 0 ? pidArg(1)(k, c) : CONTINUE),
  // ioprio(7): a sandbox process's own I/O priority; a whole process group or user may hold
  // processes outside the sandbox, so those are only read, and only the caller's own
  ioprio_get: (k, c) => (c.int(0) === IOPRIO_WHO_PROCESS ? pidArg(1)(k, c) : c.int(1) === 0 ? CONTINUE : -E.ESRCH),
  ioprio_set: (k, c) => (c.int(0) === IOPRIO_WHO_PROCESS ? pidArg(1)(k, c) : -E.EPERM),
  get_robust_list: pidArg(0),
  capget: () => CONTINUE,
  capset: () => CONTINUE,
  personality: () => CONTINUE,
  setuid: () => CONTINUE,
  setgid: () => CONTINUE,
  setreuid: () => CONTINUE,
  setregid: () => CONTINUE,
  setresuid: () => CONTINUE,
  setresgid: () => CONTINUE,
  setfsuid: () => CONTINUE,
  setfsgid: () => CONTINUE,
  setgroups: () => CONTINUE,
  getrusage: () => CONTINUE,
  times: () => CONTINUE,
  getcpu: () => CONTINUE,
};
