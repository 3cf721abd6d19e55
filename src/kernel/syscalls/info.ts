// uname (with the sandbox's own hostname), sysinfo, and the calls that only read or set the
// caller's own time and signal state, which the host answers exactly.
import type { Family } from './types.js';
import type { Kernel } from '../kernel.js';
import type { Call } from '../call.js';
import { CONTINUE } from '../call.js';
import * as host from '../../host/sys.js';
import { NR } from '../abi/sysnames.js';
import { EINVAL } from '../errno.js';
import { HostFile } from '../fd/hostfile.js';
import { O_RDWR, O_LARGEFILE } from '../fd/openfile.js';
import { installLowest } from '../fd/install.js';

const UTS_FIELD = 65;

function uname(k: Kernel, c: Call): number {
  const r = host.sys(NR.uname, host.addr(host.STRUCT));
  if (r < 0) return r;
  const at = host.STRUCT + UTS_FIELD; // nodename
  host.scratch.fill(0, at, at + UTS_FIELD);
  host.scratch.write(k.hostname.slice(0, UTS_FIELD - 1), at, 'latin1');
  const d = host.STRUCT + 5 * UTS_FIELD; // domainname
  host.scratch.fill(0, d, d + UTS_FIELD);
  host.scratch.write('(none)', d, 'latin1');
  const w = k.mem.writeFrom(c.tid, c.ptr(0), host.scratch, host.STRUCT, 6 * UTS_FIELD);
  return w < 0 ? w : 0;
}

/** Succeeds without locking host memory (zenoh treats an mlock failure as fatal). */
function mlock(k: Kernel, c: Call): number {
  return 0;
}

function mlockall(k: Kernel, c: Call): number {
  const flags = c.int(0);
  if (flags === 0 || flags & ~7) return -EINVAL;
  return 0;
}

function mmap(k: Kernel, c: Call): number {
  const flags = c.int(3);
  const MAP_ANONYMOUS = 0x20;
  if (flags & MAP_ANONYMOUS) return CONTINUE;
  const f = c.task.files.get(c.fd(4));
  if (!f) return -9; // EBADF
  return f.native ? CONTINUE : -19; // ENODEV
}

export const infoFamily: Family = {
  uname,
  sysinfo: () => CONTINUE,
  mlock,
  mlock2: mlock,
  munlock: mlock,
  mlockall,
  munlockall: () => 0,
  mmap,
  msync: () => CONTINUE,
  mincore: () => CONTINUE,
  // also native in the filter, except under --strace
  munmap: () => CONTINUE, mprotect: () => CONTINUE, madvise: () => CONTINUE, mremap: () => CONTINUE,
  brk: () => CONTINUE, clock_gettime: () => CONTINUE, clock_getres: () => CONTINUE,
  gettimeofday: () => CONTINUE, time: () => CONTINUE, nanosleep: () => CONTINUE,
  clock_nanosleep: () => CONTINUE, sched_yield: () => CONTINUE, getrandom: () => CONTINUE,
  rt_sigprocmask: () => CONTINUE, sigaltstack: () => CONTINUE, arch_prctl: () => CONTINUE,
  rseq: () => CONTINUE, set_robust_list: () => CONTINUE, membarrier: () => CONTINUE,
  getpid: () => CONTINUE, gettid: () => CONTINUE, getppid: (k, c) => k.parentPid(c.task.group), getuid: () => CONTINUE,
  geteuid: () => CONTINUE, getgid: () => CONTINUE, getegid: () => CONTINUE, getresuid: () => CONTINUE,
  getresgid: () => CONTINUE, getgroups: () => CONTINUE,
  // signal state of the caller: recorded by the host (issue: signals) for now
  rt_sigaction: () => CONTINUE,
  rt_sigsuspend: () => CONTINUE,
  rt_sigpending: () => CONTINUE,
  rt_sigtimedwait: () => CONTINUE,
  pause: () => CONTINUE,
  alarm: armsTimer,
  setitimer: armsTimer,
  getitimer: () => CONTINUE,
  // POSIX timers signal only the caller's own thread group (the host checks SIGEV_THREAD_ID)
  timer_create: () => CONTINUE,
  timer_settime: armsTimer,
  timer_gettime: () => CONTINUE,
  timer_getoverrun: () => CONTINUE,
  timer_delete: () => CONTINUE,
  // NUMA policy of the caller's own memory and threads
  mbind: () => CONTINUE,
  set_mempolicy: () => CONTINUE,
  get_mempolicy: () => CONTINUE,
  set_mempolicy_home_node: () => CONTINUE,
  // memory protection keys of the caller's own address space
  pkey_alloc: () => CONTINUE,
  pkey_free: () => CONTINUE,
  pkey_mprotect: () => CONTINUE,
  memfd_create: memfdCreate,
};

/** Timers signal the caller later: the kernel watches its parked threads closely from now on. */
function armsTimer(k: Kernel, c: Call): number {
  c.task.group.timers = true;
  return CONTINUE;
}

const MFD_CLOEXEC = 1, MFD_ALL = 0x1f;
/** memfd_create: a host memfd owned by the kernel, installed like any host file. */
function memfdCreate(k: Kernel, c: Call): number {
  const name = k.mem.string(c.tid, c.ptr(0), 250);
  if (typeof name === 'number') return name === -36 ? -EINVAL : name;
  const flags = c.u32(1);
  if (flags & ~MFD_ALL) return -EINVAL;
  const fd = host.sys(NR.memfd_create, host.putPath(host.PATH1, name), flags | MFD_CLOEXEC);
  if (fd < 0) return fd;
  const file = new HostFile(fd, O_RDWR | O_LARGEFILE, undefined, `/memfd:${name} (deleted)`);
  return installLowest(k, c, file, 0, (flags & MFD_CLOEXEC) !== 0);
}
