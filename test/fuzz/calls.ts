// What the fuzzer knows of each syscall: one letter per argument saying which pool its values
// come from (the decoder in codec.ts gives each letter its pools and struct templates).
//
//   d fd            D dirfd (AT_FDCWD first)   p path            b input buffer   B output buffer
//   n length        o open flags    m mode           i int             x flag bits      s signal
//   P pid or tid    v iovec array   e epoll_event    t timespec        T itimerspec     k sockaddr
//   U socklen ptr   h msghdr        H mmsghdr array  l pollfd array    S sigset         c fcntl cmd
//   q ioctl request w domain        y socket type    z protocol        L sockopt level  O optname
//   R rlimit        N open_how      W whence         E epoll_ctl op    F futex op       C clock id
//   a any pointer
import { SYSCALL_TABLE } from '../../src/kernel/syscalls/table.js';
import { SYSCALL_NAMES } from '../../src/kernel/abi/sysnames.js';
import { PSEUDO, type IntStyle } from './program.js';

const SIGS: Record<string, string> = {
  $thread: '', $fork: '', $exit: 'i', $signal: 'P', $drop: '',
  read: 'dBn', write: 'dbn', open: 'pom', close: 'd', stat: 'pB', fstat: 'dB', lstat: 'pB', poll: 'lni',
  lseek: 'diW', mmap: 'anxxdi', mprotect: 'anx', munmap: 'an', brk: 'a', rt_sigaction: 'sbBn',
  rt_sigprocmask: 'iSBn', ioctl: 'dqa', pread64: 'dBni', pwrite64: 'dbni', readv: 'dvn', writev: 'dvn',
  access: 'pm', pipe: 'B', select: 'nbbbt', mremap: 'annxa', msync: 'anx', mincore: 'anB', madvise: 'ani',
  dup: 'd', dup2: 'dd', nanosleep: 'tB', getitimer: 'iB', alarm: 'i', setitimer: 'iTB', sendfile: 'ddan',
  socket: 'wyz', connect: 'dkn', accept: 'dBU', sendto: 'dbnxkn', recvfrom: 'dBnxBU', sendmsg: 'dhx',
  recvmsg: 'dhx', shutdown: 'di', bind: 'dkn', listen: 'di', getsockname: 'dBU', getpeername: 'dBU',
  socketpair: 'wyzB', setsockopt: 'dLObn', getsockopt: 'dLOBU', clone: 'xaaaa', wait4: 'PBxB', kill: 'Ps',
  uname: 'B', fcntl: 'dci', flock: 'dx', fsync: 'd', fdatasync: 'd', truncate: 'pi', ftruncate: 'di',
  getdents: 'dBn', getcwd: 'Bn', chdir: 'p', fchdir: 'd', rename: 'pp', mkdir: 'pm', rmdir: 'p', creat: 'pm',
  link: 'pp', unlink: 'p', symlink: 'pp', readlink: 'pBn', chmod: 'pm', fchmod: 'dm', chown: 'pii',
  fchown: 'dii', lchown: 'pii', umask: 'm', gettimeofday: 'BB', getrlimit: 'iB', getrusage: 'iB',
  sysinfo: 'B', times: 'B', setpgid: 'PP', getpgid: 'P', getsid: 'P', capget: 'bB', capset: 'bb',
  rt_sigpending: 'Bn', rt_sigtimedwait: 'SBtn', rt_sigqueueinfo: 'Psb', rt_sigsuspend: 'Sn', mknod: 'pmi',
  statfs: 'pB', fstatfs: 'dB', getpriority: 'iP', setpriority: 'iPi', sched_setparam: 'Pb',
  sched_getparam: 'PB', sched_setscheduler: 'Pib', sched_getscheduler: 'P', sched_rr_get_interval: 'PB',
  mlock: 'an', munlock: 'an', prctl: 'ixxxx', setrlimit: 'iR', readahead: 'din', setxattr: 'ppbnx',
  lsetxattr: 'ppbnx', fsetxattr: 'dpbnx', getxattr: 'ppBn', lgetxattr: 'ppBn', fgetxattr: 'dpBn',
  listxattr: 'pBn', llistxattr: 'pBn', flistxattr: 'dBn', removexattr: 'pp', lremovexattr: 'pp',
  fremovexattr: 'dp', tkill: 'Ps', futex: 'aFitai', sched_setaffinity: 'PnB', sched_getaffinity: 'PnB',
  epoll_create: 'i', getdents64: 'dBn', set_tid_address: 'a', fadvise64: 'diii', timer_create: 'CbB',
  timer_settime: 'ixTB', timer_gettime: 'iB', timer_getoverrun: 'i', timer_delete: 'i', clock_nanosleep: 'CxtB',
  epoll_wait: 'dBni', epoll_ctl: 'dEde', tgkill: 'PPs', waitid: 'iPBxB', ioprio_set: 'iPi', ioprio_get: 'iP',
  openat: 'Dpom', mkdirat: 'Dpm', mknodat: 'Dpmi', fchownat: 'Dpiix', newfstatat: 'DpBx', unlinkat: 'Dpx',
  renameat: 'DpDp', linkat: 'DpDpx', symlinkat: 'pDp', readlinkat: 'DpBn', fchmodat: 'Dpm', faccessat: 'Dpm',
  pselect6: 'nbbbtb', ppoll: 'lntSn', unshare: 'x', set_robust_list: 'an', get_robust_list: 'PBB',
  splice: 'dadanx', sync_file_range: 'diix', utimensat: 'Dpbx', epoll_pwait: 'dBniSn', signalfd: 'dSn',
  timerfd_create: 'Cx', eventfd: 'i', fallocate: 'dxii', timerfd_settime: 'dxTB', timerfd_gettime: 'dB',
  accept4: 'dBUx', signalfd4: 'dSnx', eventfd2: 'ix', epoll_create1: 'x', dup3: 'ddx', pipe2: 'Bx',
  preadv: 'dvni', pwritev: 'dvni', rt_tgsigqueueinfo: 'PPsb', perf_event_open: 'bPidx', recvmmsg: 'dHnxt',
  prlimit64: 'PiRB', syncfs: 'd', sendmmsg: 'dHnx', setns: 'dx', getcpu: 'BBa', renameat2: 'DpDpx',
  seccomp: 'ixa', getrandom: 'Bnx', memfd_create: 'px', bpf: 'ibn', userfaultfd: 'x', membarrier: 'xx',
  mlock2: 'anx', copy_file_range: 'dadanx', preadv2: 'dvnix', pwritev2: 'dvnix', statx: 'DpxxB',
  pidfd_send_signal: 'dsbx', pidfd_open: 'Px', clone3: 'bn', close_range: 'iix', openat2: 'DpNn',
  pidfd_getfd: 'ddx', faccessat2: 'Dpmx', epoll_pwait2: 'dBntSn', futex_waitv: 'bnxtC', fchmodat2: 'Dpmx',
  process_vm_readv: 'Pvnvnx', process_vm_writev: 'Pvnvnx', execve: 'paa', execveat: 'Dpaax',
};
for (const name of ['getpid', 'gettid', 'getppid', 'getuid', 'geteuid', 'getgid', 'getegid', 'getpgrp', 'setsid', 'sched_yield', 'pause', 'fork', 'vfork', 'munlockall', 'sync', 'vhangup', 'inotify_init']) SIGS[name] = '';

/** Calls whose result is a new descriptor. */
export const FD_RESULT = new Set([
  'open', 'openat', 'creat', 'openat2', 'socket', 'accept', 'accept4', 'dup', 'dup2', 'dup3', 'fcntl',
  'epoll_create', 'epoll_create1', 'eventfd', 'eventfd2', 'timerfd_create', 'signalfd', 'signalfd4',
  'memfd_create', 'pidfd_open', 'pidfd_getfd', 'perf_event_open', 'userfaultfd',
]);
/** Calls that write two descriptors to their first buffer (rN[0], rN[1]). */
export const FD_PAIR = new Set(['pipe', 'pipe2', 'socketpair']);
/** Calls whose result is a tid. */
export const TID_RESULT = new Set(['$thread', '$fork']);

/** Syscall numbers by name, for every call in the kernel's table. */
export const NR_OF = new Map<string, number>();
SYSCALL_TABLE.forEach((h, nr) => {
  if (h) NR_OF.set(nr === 452 ? 'fchmodat2' : SYSCALL_NAMES[nr]!, nr);
});

/** Every call a program may make: the pseudo-calls, then the kernel's table in number order. */
export const CALLS: readonly string[] = [...PSEUDO, ...NR_OF.keys()];
const KNOWN = new Set(CALLS);
export const isCall = (name: string): boolean => KNOWN.has(name);

/** Argument letters of a call (three plain ints for calls not described). */
export function signature(name: string): string {
  return SIGS[name] ?? 'iii';
}

const STYLE: Record<string, IntStyle> = { o: 'hex', x: 'hex', q: 'hex', F: 'hex', m: 'oct', d: 'fd', D: 'fd' };
const styleCache = new Map<string, IntStyle[]>();
export function styles(name: string): IntStyle[] {
  let s = styleCache.get(name);
  if (!s) styleCache.set(name, (s = [...signature(name)].map((l) => STYLE[l] ?? 'dec')));
  return s;
}
