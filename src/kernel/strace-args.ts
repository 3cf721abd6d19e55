// Argument formats for --strace, in strace's notation. One letter per argument:
//   d fd (AT_FDCWD by name)   i int   u unsigned   l long   x hex   a address (NULL)
//   p path/string   b input buffer (length in the next argument)   B output buffer (length =
//   result)   o open flags   m octal mode   V iovec array (count in the next argument)
//   s signal number   f fcntl command   w whence
import type { Call } from './call.js';
import type { GuestMemory } from './mem.js';

export const SIGNATURES: Readonly<Record<string, string>> = {
  read: 'dBu', write: 'dbu', pread64: 'dBul', pwrite64: 'dbul', readv: 'dVi', writev: 'dVi',
  open: 'pom', openat: 'dpom', creat: 'pm', close: 'd', close_range: 'uux',
  stat: 'pa', lstat: 'pa', fstat: 'da', newfstatat: 'dpax', statx: 'dpxxa', statfs: 'pa', fstatfs: 'da',
  lseek: 'dlw', dup: 'd', dup2: 'dd', dup3: 'ddo', fcntl: 'dfx', ioctl: 'dxx',
  pipe: 'a', pipe2: 'ao', access: 'pm', faccessat: 'dpm', faccessat2: 'dpmx',
  getdents64: 'dau', readlink: 'pau', readlinkat: 'dpau', getcwd: 'au', chdir: 'p', fchdir: 'd',
  mkdir: 'pm', mkdirat: 'dpm', rmdir: 'p', unlink: 'p', unlinkat: 'dpx', rename: 'pp', renameat: 'dpdp',
  renameat2: 'dpdpx', symlink: 'pp', symlinkat: 'pdp', link: 'pp', linkat: 'dpdpx',
  chmod: 'pm', fchmod: 'dm', fchmodat: 'dpm', chown: 'pii', fchown: 'dii', lchown: 'pii', fchownat: 'dpiix',
  umask: 'm', truncate: 'pl', ftruncate: 'dl', fsync: 'd', fdatasync: 'd', utimensat: 'dpax',
  execve: 'paa', execveat: 'dpaax', exit_group: 'i', exit: 'i', wait4: 'iaxa', kill: 'is', tgkill: 'iis', tkill: 'is',
  mmap: 'auxxdx', munmap: 'au', mprotect: 'aux', brk: 'a', uname: 'a', getpid: '', getppid: '', gettid: '',
  getuid: '', geteuid: '', getgid: '', getegid: '', set_tid_address: 'a', clone: 'xaaaa', fork: '', vfork: '',
  rt_sigaction: 'saau', rt_sigprocmask: 'iaau', prlimit64: 'iiaa', getrlimit: 'ia', setrlimit: 'ia',
  futex: 'axiaai', sysinfo: 'a', getrandom: 'aux', arch_prctl: 'xa', set_robust_list: 'au', rseq: 'auxx',
  mlock: 'au', munlock: 'au', mlockall: 'x', munlockall: '', sched_getaffinity: 'iua', prctl: 'ixxxx',
};

const OPEN_FLAGS: [number, string][] = [
  [0o100, 'O_CREAT'], [0o200, 'O_EXCL'], [0o400, 'O_NOCTTY'], [0o1000, 'O_TRUNC'], [0o2000, 'O_APPEND'],
  [0o4000, 'O_NONBLOCK'], [0o4010000, 'O_SYNC'], [0o10000, 'O_DSYNC'], [0o20000, 'O_ASYNC'], [0o40000, 'O_DIRECT'],
  [0o100000, 'O_LARGEFILE'], [0o200000, 'O_DIRECTORY'], [0o400000, 'O_NOFOLLOW'], [0o1000000, 'O_NOATIME'],
  [0o2000000, 'O_CLOEXEC'], [0o10000000, 'O_PATH'],
];

export function openFlags(v: number): string {
  const acc = ['O_RDONLY', 'O_WRONLY', 'O_RDWR', '0x3'][v & 3];
  const parts = [acc];
  let rest = v & ~3;
  for (const [bit, name] of OPEN_FLAGS) {
    if ((rest & bit) === bit && bit !== 0) {
      if (bit === 0o4010000 || (bit === 0o10000 && (v & 0o4010000) === 0o4010000)) {
        if ((rest & 0o4010000) === 0o4010000) {
          parts.push('O_SYNC');
          rest &= ~0o4010000;
        }
        continue;
      }
      parts.push(name);
      rest &= ~bit;
    }
  }
  if (rest) parts.push('0x' + rest.toString(16));
  return parts.join('|');
}

const FCNTL = ['F_DUPFD', 'F_GETFD', 'F_SETFD', 'F_GETFL', 'F_SETFL', 'F_GETLK', 'F_SETLK', 'F_SETLKW'];

export function quote(buf: Uint8Array, len: number, max = 32): string {
  let s = '"';
  const n = Math.min(len, max);
  for (let i = 0; i < n; i++) {
    const b = buf[i];
    if (b === 0x22) s += '\\"';
    else if (b === 0x5c) s += '\\\\';
    else if (b === 0x0a) s += '\\n';
    else if (b === 0x09) s += '\\t';
    else if (b === 0x0d) s += '\\r';
    else if (b >= 0x20 && b < 0x7f) s += String.fromCharCode(b);
    else {
      const next = i + 1 < n ? buf[i + 1] : -1;
      s += next >= 0x30 && next <= 0x37 ? '\\' + b.toString(8).padStart(3, '0') : '\\' + b.toString(8);
    }
  }
  s += '"';
  return len > max ? s + '...' : s;
}

function hex(v: number): string {
  return '0x' + v.toString(16);
}

export function formatArg(mem: GuestMemory, c: Call, i: number, kind: string): string {
  switch (kind) {
    case 'd': {
      const v = c.int(i);
      return v === -100 ? 'AT_FDCWD' : String(v);
    }
    case 'i':
      return String(c.int(i));
    case 'u':
      return String(c.ptr(i));
    case 'l':
      return String(c.i64(i));
    case 'a': {
      const v = c.ptr(i);
      return v === 0 ? 'NULL' : hex(v);
    }
    case 'p': {
      const s = mem.string(c.tid, c.ptr(i), 4096);
      if (typeof s === 'number') return hex(c.ptr(i));
      return quote(Buffer.from(s, 'latin1'), s.length, 4096);
    }
    case 'b': {
      const len = Math.min(c.ptr(i + 1), 32);
      const r = mem.read(c.tid, c.ptr(i), len);
      if (r < 0) return hex(c.ptr(i));
      return quote(mem.buf, c.ptr(i + 1) > 32 ? 33 : len);
    }
    case 'o':
      return openFlags(c.int(i));
    case 'm':
      return '0' + (c.u32(i) & 0o7777).toString(8).padStart(3, '0');
    case 's':
      return String(c.int(i));
    case 'f':
      return FCNTL[c.int(i)] ?? String(c.int(i));
    case 'w':
      return ['SEEK_SET', 'SEEK_CUR', 'SEEK_END', 'SEEK_DATA', 'SEEK_HOLE'][c.int(i)] ?? String(c.int(i));
    default:
      return hex(c.ptr(i));
  }
}

export function formatOutArg(mem: GuestMemory, tid: number, kind: string, addr: number, r: number): string {
  if (kind === 'B' && r >= 0) {
    const len = Math.min(r, 32);
    if (mem.read(tid, addr, len) < 0) return hex(addr);
    return quote(mem.buf, r > 32 ? 33 : len);
  }
  return addr === 0 ? 'NULL' : hex(addr);
}
