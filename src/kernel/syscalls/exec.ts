// execve and execveat, at their SECCOMP_RET_TRACE stop. The program, a "#!" interpreter and the
// ELF interpreter (PT_INTERP) are all resolved in the guest's view, as Linux's binfmt_script and
// binfmt_elf do it. The host then loads the result: when host paths equal what the guest named,
// unchanged; otherwise the call is rewritten (new strings and argv written below the guest's
// stack pointer) to run the host path of the script's interpreter, or the ELF interpreter as a
// program ("ld.so --argv0 ARGV0 PROGRAM ARGS"), which opens everything else through the kernel.
import type { Kernel } from '../kernel.js';
import type { Task } from '../task.js';
import { walk, walkFrom, type Resolved } from '../fs/path.js';
import { openResolved, statResolved } from '../fs/ops.js';
import * as E from '../errno.js';
import * as host from '../../host/sys.js';
import { NR } from '../abi/sysnames.js';
import { relBelow } from '../fs/mount.js';

const TA_CONTINUE = 0, TA_RETURN = 1, TA_SET_ARGS = 2;
const SYS_execveat = 322;
const AT_EMPTY_PATH = 0x1000, AT_SYMLINK_NOFOLLOW = 0x100;
const AT_FDCWD = -100;
const BINPRM_BUF_SIZE = 256;
const MAX_ARGS = 65536;

interface Plan {
  /** Guest path of the program that runs (for /proc/PID/exe). */
  exe: string;
  /** Host path to hand to the host's execve. */
  hostPath: string;
  /** New argv, when it must change. */
  argv?: string[];
}

export function execveStop(k: Kernel, t: Task | undefined, tid: number, regs: number[]): void {
  const m = k.machine;
  if (!t) {
    m.traceReply(tid, TA_RETURN, -E.EPERM);
    return;
  }
  const at = regs[0] === SYS_execveat;
  const name = at ? 'execveat' : 'execve';
  const plan = planExec(k, t, regs, at);
  if (typeof plan === 'number') {
    k.strace?.event(tid, `${name}(...) = -1 ${E.ERRNO_NAMES[-plan]} (${E.ERRNO_MESSAGES[-plan]})`);
    m.traceReply(tid, TA_RETURN, plan);
    return;
  }
  t.pendingExe = plan.exe;
  t.pendingComm = undefined;
  const original = at ? regs[2] : regs[1];
  const unchanged = plan.argv === undefined && k.mem.path(tid, original) === plan.hostPath;
  k.strace?.event(tid, `${name}("${plan.exe}", ...)${unchanged ? '' : ` as "${plan.hostPath}"`}`);
  if (unchanged) {
    m.traceReply(tid, TA_CONTINUE, 0);
    return;
  }
  // Linux names the task after the file the guest named, not the one we substituted
  const named = k.mem.path(tid, original);
  if (typeof named === 'string') t.pendingComm = named.slice(named.lastIndexOf('/') + 1);
  const written = writeBelowStack(k, tid, regs[7], plan.hostPath, plan.argv);
  if (typeof written === 'number') {
    m.traceReply(tid, TA_RETURN, written);
    return;
  }
  const args: (number | undefined)[] = at
    ? [AT_FDCWD, written.path, written.argv, undefined, regs[5] & ~AT_EMPTY_PATH]
    : [written.path, written.argv];
  m.traceReply(tid, TA_SET_ARGS, 0, args);
}

function planExec(k: Kernel, t: Task, regs: number[], at: boolean): Plan | number {
  const dirfd = at ? regs[1] | 0 : AT_FDCWD;
  const flags = at ? regs[5] | 0 : 0;
  if (at && flags & ~(AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW)) return -E.EINVAL;
  const pathAddr = at ? regs[2] : regs[1];
  const argvAddr = at ? regs[3] : regs[2];
  const p = k.mem.path(t.tid, pathAddr);
  if (typeof p === 'number') return p;
  let r: Resolved | number;
  if (p === '' && at && flags & AT_EMPTY_PATH) {
    const f = t.files.get(dirfd);
    if (!f) return -E.EBADF;
    if (f.statFd() < 0) return -E.EACCES;
    r = walk(k, t, AT_FDCWD, f.guestPath, { follow: true });
  } else {
    r = walk(k, t, dirfd, p, { follow: !(flags & AT_SYMLINK_NOFOLLOW) });
  }
  if (typeof r === 'number') return r;
  let argv: string[] | undefined;
  let argv0Changed = false;
  const named = r; // the program as named: what the host runs when nothing needs rewriting
  let shown = p; // the path as binfmt_script passes it on
  for (let depth = 0; ; depth++) {
    if (r.isSymlink) return -E.ELOOP;
    if (r.isDir) return -E.EACCES;
    if ((r.mode & host.S_IFMT) !== host.S_IFREG) return -E.EACCES;
    const head = readHead(r);
    if (typeof head === 'number') return { exe: r.guest, hostPath: r.mount.hostPath(r.guest, r.layer), argv: argv0Changed ? argv : undefined }; // let the host say why
    if (head[0] === 0x23 && head[1] === 0x21 /* #! */) {
      if (depth >= 4) return -E.ELOOP;
      const line = scriptLine(head);
      if (!line) return -E.ENOEXEC;
      const current = argv ?? readArgv(k, t.tid, argvAddr);
      if (typeof current === 'number') return current;
      const next = walk(k, t, AT_FDCWD, line.interp, { follow: true });
      if (typeof next === 'number') return next;
      argv = [line.interp, ...(line.arg !== undefined ? [line.arg] : []), shown, ...current.slice(1)];
      // When the host would find the same files by the same names, let it do binfmt_script itself
      argv0Changed = argv0Changed || !sameOnHost(line.interp, next) || !sameOnHost(shown, r);
      shown = line.interp;
      r = next;
      continue;
    }
    const interp = elfInterpreter(r, head);
    if (typeof interp === 'number') return interp;
    const hostPath = r.mount.hostPath(r.guest, r.layer);
    // the host finds the same file by the guest's own words: keep them (comm, AT_EXECFN)
    const asNamed = { exe: r.guest, hostPath: sameOnHost(p, named) ? p : named.mount.hostPath(named.guest, named.layer), argv: undefined };
    if (interp === undefined) return argv0Changed ? { exe: r.guest, hostPath, argv } : asNamed;
    const loader = walk(k, t, AT_FDCWD, interp, { follow: true });
    if (typeof loader === 'number') return loader === -E.ENOENT ? -E.ENOENT : loader;
    const loaderHost = loader.mount.hostPath(loader.guest, loader.layer);
    if (loaderHost === interp || sameOnHost(interp, loader)) return argv0Changed ? { exe: r.guest, hostPath, argv } : asNamed;
    // The host would load its own interpreter: run the guest's as a program instead.
    const current = argv ?? readArgv(k, t.tid, argvAddr);
    if (typeof current === 'number') return current;
    return { exe: r.guest, hostPath: loaderHost, argv: [interp, '--argv0', current[0] ?? '', r.guest, ...current.slice(1)] };
  }
}

/** Does the host, resolving path itself, reach the same file the guest view resolved to? */
function sameOnHost(path: string, r: Resolved): boolean {
  if (path.charCodeAt(0) !== 47) return false;
  if (host.fstatat(host.AT_FDCWD, path, 0) < 0) return false;
  const dev = host.statDev();
  const ino = host.statIno();
  if (host.fstatat(host.AT_FDCWD, r.mount.hostPath(r.guest, r.layer), 0) < 0) return false;
  return host.statDev() === dev && host.statIno() === ino;
}

/** The first bytes of the file (enough for "#!" lines and the ELF program headers). */
function readHead(r: Resolved): Buffer | number {
  const fd = openResolved(r, 0 /* O_RDONLY */);
  if (fd < 0) return fd;
  try {
    const n = host.sys(NR.pread64, fd, host.addr(host.DATA), 4096, 0);
    if (n < 0) return n;
    return Buffer.from(host.scratch.subarray(host.DATA, host.DATA + n));
  } finally {
    host.close(fd);
  }
}

/** binfmt_script: "#!interp [one argument]", within the first 256 bytes. */
function scriptLine(head: Buffer): { interp: string; arg?: string } | undefined {
  const end = Math.min(head.length, BINPRM_BUF_SIZE);
  let nl = head.indexOf(0x0a, 2);
  if (nl < 0 || nl > end) nl = end;
  const line = head.toString('latin1', 2, nl).replace(/[ \t]+$/, '').replace(/^[ \t]+/, '');
  if (line === '') return undefined;
  const m = /^(\S+)(?:[ \t]+(.*))?$/.exec(line);
  if (!m) return undefined;
  return { interp: m[1], arg: m[2] };
}

/** PT_INTERP of an ELF64 x86_64 file, undefined for a static one, -ENOEXEC if malformed. */
function elfInterpreter(r: Resolved, head: Buffer): string | undefined | number {
  if (head.length < 64 || head.readUInt32BE(0) !== 0x7f454c46) return undefined; // not ELF: host decides
  if (head[4] !== 2) return -E.ENOEXEC; // not 64-bit
  const phoff = Number(head.readBigUInt64LE(32));
  const phentsize = head.readUInt16LE(54);
  const phnum = head.readUInt16LE(56);
  for (let i = 0; i < phnum; i++) {
    const at = phoff + i * phentsize;
    if (at + 56 > head.length) return undefined;
    if (head.readUInt32LE(at) !== 3 /* PT_INTERP */) continue;
    const off = Number(head.readBigUInt64LE(at + 8));
    const size = Number(head.readBigUInt64LE(at + 32));
    if (size < 2 || size > 4096) return -E.ENOEXEC;
    if (off + size <= head.length) return head.toString('latin1', off, off + size - 1);
    const fd = openResolved(r, 0);
    if (fd < 0) return fd;
    const n = host.sys(NR.pread64, fd, host.addr(host.DATA), size, off);
    host.close(fd);
    if (n !== size) return -E.ENOEXEC;
    return host.scratch.toString('latin1', host.DATA, host.DATA + size - 1);
  }
  return undefined;
}

function readArgv(k: Kernel, tid: number, addr: number): string[] | number {
  const out: string[] = [];
  if (addr === 0) return out;
  for (let i = 0; i < MAX_ARGS; i++) {
    const r = k.mem.read(tid, addr + 8 * i, 8);
    if (r < 0) return r;
    const p = Number(k.mem.view.getBigUint64(0, true));
    if (p === 0) return out;
    const s = k.mem.string(tid, p, 65535);
    if (typeof s === 'number') return s === -E.ENAMETOOLONG ? -E.E2BIG : s;
    out.push(s);
  }
  return -E.E2BIG;
}

/** Strings and an argv array just below the red zone of the guest's stack. */
function writeBelowStack(k: Kernel, tid: number, rsp: number, path: string, argv: string[] | undefined): { path: number; argv: number | undefined } | number {
  const strings = [path, ...(argv ?? [])];
  const bytes = Buffer.from(strings.map((s) => s + '\0').join(''), 'latin1');
  const ptrBytes = argv ? (argv.length + 1) * 8 : 0;
  const base = Math.floor((rsp - 1024 - bytes.length - ptrBytes) / 16) * 16;
  const table = Buffer.alloc(ptrBytes);
  let off = 0;
  const addrs: number[] = [];
  for (const s of strings) {
    addrs.push(base + ptrBytes + off);
    off += Buffer.byteLength(s, 'latin1') + 1;
  }
  if (argv) {
    for (let i = 0; i < argv.length; i++) table.writeBigUInt64LE(BigInt(addrs[i + 1]), i * 8);
    if (k.mem.writeFrom(tid, base, table, 0, ptrBytes) < 0) return -E.E2BIG;
  }
  if (k.mem.writeFrom(tid, base + ptrBytes, bytes, 0, bytes.length) < 0) return -E.E2BIG;
  return { path: addrs[0], argv: argv ? base : undefined };
}

/**
 * After an exec: the program now running must be a file of the guest's view. The host execs
 * the path it reads from guest memory after our check, and another thread of the guest could
 * rewrite that memory in between; a program that is not what the view names is killed.
 */
export function verifyExecuted(k: Kernel, tid: number): boolean {
  const exe = host.readlinkat(host.AT_FDCWD, `/proc/${tid}/exe`);
  if (typeof exe === 'number') return true; // gone already
  if (host.fstatat(host.AT_FDCWD, `/proc/${tid}/exe`, 0) < 0) return true;
  const want = `${host.statDev()}:${host.statIno()}`;
  for (const m of k.mounts.all()) {
    for (const layer of m.layers()) {
      const rel = relBelow(layer.host, exe);
      if (m.generated || rel === undefined || rel === '.') continue;
      const guest = (m.guest === '/' ? '' : m.guest) + '/' + rel;
      const r = walkFrom(k, '/', guest, { follow: true });
      if (typeof r === 'number' || statResolved(r) < 0) continue;
      if (`${host.statDev()}:${host.statIno()}` === want) return true;
    }
  }
  return false;
}
