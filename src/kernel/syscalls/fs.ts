// Paths and directories: open/openat/openat2/creat (one core), getcwd, chdir, fchdir, mkdir,
// unlink, rmdir, rename, symlink, link, readlink, access, chmod, chown, utimensat, truncate,
// umask, fsync, getdents64, statfs. Writes outside read-write mounts fail with EROFS.
import type { Family } from './types.js';
import type { Kernel } from '../kernel.js';
import type { Call } from '../call.js';
import { CONTINUE } from '../call.js';
import * as E from '../errno.js';
import * as host from '../../host/sys.js';
import { NR } from '../abi/sysnames.js';
import { walk, AT_FDCWD, type Resolved } from '../fs/path.js';
import { inParent, openResolved, SAFE_RESOLVE, createEntry, changeable, removeEntry, renameEntry, linkEntry, entryOf } from '../fs/ops.js';
import { HostFile, PathFile } from '../fd/hostfile.js';
import { MergedDir } from '../fd/mergeddir.js';
import {
  O_ACCMODE, O_RDONLY, O_CREAT, O_EXCL, O_TRUNC, O_DIRECTORY, O_NOFOLLOW, O_PATH, O_CLOEXEC,
  O_TMPFILE, O_LARGEFILE, O_NOCTTY, O_WRONLY, O_NONBLOCK, O_RDWR, O_APPEND,
} from '../fd/openfile.js';
import { PipeEnd } from '../fd/pipe.js';
import { openFifo } from '../fd/fifo.js';
import { isPtmx, ptsAllowed, ptyMaster } from '../fd/pty.js';
import { installLowest } from '../fd/install.js';
import { ProcFile, ProcDir, ViewDir } from '../fd/procfile.js';
import { NodeKind } from '../fs/procfs.js';
import type { OpenFile } from '../fd/openfile.js';
import { namespaceChanged } from '../fs/where.js';
import type { Mount } from '../fs/mount.js';
import { writeSyntheticStatfs, objectStatfsMagic, ST_RDONLY, ST_NOSUID, ST_NODEV, ST_NOEXEC, ST_RELATIME } from '../abi/stat.js';

const AT_SYMLINK_NOFOLLOW = 0x100, AT_REMOVEDIR = 0x200, AT_SYMLINK_FOLLOW = 0x400, AT_EACCESS = 0x200;
const AT_EMPTY_PATH = 0x1000;
const RESOLVE_NO_XDEV = 0x01, RESOLVE_NO_MAGICLINKS = 0x02, RESOLVE_NO_SYMLINKS = 0x04;
const RESOLVE_BENEATH = 0x08, RESOLVE_IN_ROOT = 0x10, RESOLVE_CACHED = 0x20;
// Linux's VALID_OPEN_FLAGS: every defined O_* bit
const VALID_OPEN = 0o3 | 0o100 | 0o200 | 0o400 | 0o1000 | 0o2000 | 0o4000 | 0o4000000 | 0o10000 | 0o20000 |
  0o40000 | 0o100000 | 0o200000 | 0o400000 | 0o1000000 | 0o2000000 | 0o10000000 | 0o20000000;
const O_PATH_FLAGS = O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC | O_PATH;

function path(k: Kernel, c: Call, i: number): string | number {
  return k.mem.path(c.tid, c.ptr(i));
}

/** The one open core for open, openat, openat2 and creat. */
function openCore(k: Kernel, c: Call, dirfd: number, pathAddr: number, flags: number, mode: number, resolve: number): number {
  const t = c.task;
  const p = k.mem.path(c.tid, pathAddr);
  if (typeof p === 'number') return p;
  if ((flags & O_TMPFILE) === O_TMPFILE) return openTmpfile(k, c, dirfd, p, flags, mode, resolve);
  const creat = (flags & O_CREAT) !== 0;
  let r = walk(k, t, dirfd, p, { follow: !(flags & O_NOFOLLOW), allowMissing: creat, resolve });
  if (typeof r === 'number') return r;
  const acc = flags & O_ACCMODE;
  if (r.file) return reopen(k, c, r.file, flags);
  if (r.node) return openProc(k, c, r, flags);
  let hostFd: number;
  let isDir = false;
  if (!r.exists) {
    if (p.endsWith('/')) return -E.EISDIR;
    if (r.mount.readOnly) return -E.EROFS;
    const m = mode & 0o7777 & ~t.fs.umask;
    hostFd = createEntry(r, (dfd, name) =>
      host.openat2(dfd, name, (flags & ~O_CLOEXEC) | O_CLOEXEC | O_NOFOLLOW, m, SAFE_RESOLVE));
  } else {
    if (creat && flags & O_EXCL) return -E.EEXIST;
    const type = r.mode & host.S_IFMT;
    if (type === host.S_IFLNK && !(flags & O_PATH)) return -E.ELOOP;
    if (flags & O_DIRECTORY && type !== host.S_IFDIR && type !== host.S_IFLNK) return -E.ENOTDIR;
    isDir = type === host.S_IFDIR;
    if (!(flags & O_PATH)) {
      if (isDir && (acc !== O_RDONLY || flags & O_CREAT)) return -E.EISDIR;
      const data = type === host.S_IFREG || type === host.S_IFDIR;
      if (r.mount.readOnly && data && (acc !== O_RDONLY || flags & O_TRUNC)) return -E.EROFS;
      if ((type === host.S_IFCHR || type === host.S_IFBLK) && !r.mount.devices) return -E.EACCES;
      const pts = ptsAllowed(k, r);
      if (pts < 0) return pts;
      if (type === host.S_IFIFO) return openFifo(k, c, r, flags);
      if (type === host.S_IFSOCK) return -E.ENXIO;
      // the top of a filtered view lists what the view shows, not the host directory
      if (isDir && r.mount.only && r.rel === '.') return installLowest(k, c, new ViewDir(r.mount, (flags & O_NONBLOCK) | O_DIRECTORY | O_LARGEFILE, r.guest), 0, (flags & O_CLOEXEC) !== 0);
    }
    if (type === host.S_IFREG && !(flags & O_PATH) && (acc !== O_RDONLY || flags & O_TRUNC)) {
      // an overlay's lower file is copied up first (without its data when it is truncated)
      const up = changeable(r, 'write', !(flags & O_TRUNC));
      if (typeof up === 'number') return up;
      r = up;
    }
    hostFd = openResolved(r, flags & ~(O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY), 0);
  }
  if (hostFd < 0) return hostFd;
  if (flags & O_PATH) {
    const pf = new PathFile(hostFd, flags & (O_PATH | O_DIRECTORY | O_NOFOLLOW), r.mount, r.guest);
    pf.isDirectory = isDir;
    return installLowest(k, c, pf, 0, (flags & O_CLOEXEC) !== 0);
  }
  const fileFlags = (flags & ~(O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_CLOEXEC)) | O_LARGEFILE;
  const file = isPtmx(r) ? ptyMaster(k, hostFd, fileFlags, r) : isDir && r.mount.upper ? new MergedDir(hostFd, fileFlags, r.mount, r.guest) : new HostFile(hostFd, fileFlags, r.mount, r.guest);
  if (typeof file === 'number') return file;
  file.isDirectory = isDir;
  if (file instanceof HostFile) file.onLower = r.inLower;
  return installLowest(k, c, file, 0, (flags & O_CLOEXEC) !== 0);
}

/**
 * O_TMPFILE: an unnamed regular file in the directory path names, on the host filesystem under
 * it (open(2): it must be opened for writing; EOPNOTSUPP where the filesystem cannot, here the
 * kernel's generated ones and overlays). linkat of /proc/self/fd/N gives it a name later.
 */
function openTmpfile(k: Kernel, c: Call, dirfd: number, p: string, flags: number, mode: number, resolve: number): number {
  const acc = flags & O_ACCMODE;
  if (flags & O_CREAT || (acc !== O_WRONLY && acc !== O_RDWR)) return -E.EINVAL;
  const r = walk(k, c.task, dirfd, p, { follow: true, resolve });
  if (typeof r === 'number') return r;
  if (r.file) return -E.ENOTDIR;
  if (!r.isDir) return -E.ENOTDIR;
  if (r.node || r.mount.upper || r.mount.entry !== undefined) return -E.EOPNOTSUPP;
  if (r.mount.readOnly) return -E.EROFS;
  const hostFd = openResolved(r, flags & ~(O_CLOEXEC | O_NOCTTY), mode & 0o7777 & ~c.task.fs.umask);
  if (hostFd < 0) return hostFd;
  const ino = host.fstat(hostFd) < 0 ? 0 : host.statIno();
  // as Linux names it in /proc/PID/fd: the directory, "#" and the inode, deleted
  const file = new HostFile(hostFd, (flags & ~(O_TMPFILE | O_CLOEXEC | O_NOCTTY)) | O_LARGEFILE, r.mount, `${r.guest === '/' ? '' : r.guest}/#${ino} (deleted)`);
  file.unnamed = true;
  return installLowest(k, c, file, 0, (flags & O_CLOEXEC) !== 0);
}

/**
 * Open a file reached through /proc/PID/fd/N that no path names, as Linux opens the inode of
 * the link: a kernel pipe gets a new end, the sandbox's inherited stdio a new host description
 * of the same object (through our own /proc/self/fd; for a regular file, with no wider access
 * than the sandbox was given); anything else is ENXIO (sockets, too).
 */
function reopen(k: Kernel, c: Call, f: OpenFile, flags: number): number {
  if (flags & O_CREAT && flags & O_EXCL) return -E.EEXIST;
  if (flags & O_DIRECTORY && !f.isDirectory) return -E.ENOTDIR;
  const cloexec = (flags & O_CLOEXEC) !== 0;
  if (flags & O_PATH) return -E.ENXIO;
  const acc = flags & O_ACCMODE;
  if (f instanceof PipeEnd) {
    const end = new PipeEnd(f.pipe, acc === O_RDWR ? O_RDWR : acc === O_WRONLY ? O_WRONLY : O_RDONLY, flags & (O_NONBLOCK | O_APPEND));
    return installLowest(k, c, end, 0, cloexec);
  }
  if (f instanceof HostFile && !f.mount) {
    // a host file gets no wider access than the sandbox was handed (a stdout redirected to a
    // file stays unreadable); a pipe or terminal opens as on Linux
    const given = host.sys(NR.fcntl, f.hostFd, 3 /* F_GETFL */);
    if (given < 0) return given;
    if (host.fstat(f.hostFd) === 0 && (host.statMode() & host.S_IFMT) === host.S_IFREG) {
      const mayRead = (given & O_ACCMODE) !== O_WRONLY, mayWrite = (given & O_ACCMODE) !== O_RDONLY;
      if ((acc !== O_WRONLY && !mayRead) || (acc !== O_RDONLY && !mayWrite)) return -E.EACCES;
    }
    const fd = host.openat2(host.AT_FDCWD, `/proc/self/fd/${f.hostFd}`, (flags & ~(O_CREAT | O_EXCL | O_NOCTTY | O_CLOEXEC)) | O_CLOEXEC, 0, 0);
    if (fd < 0) return fd;
    return installLowest(k, c, new HostFile(fd, (flags & ~(O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_CLOEXEC)) | O_LARGEFILE, undefined, f.guestPath), 0, cloexec);
  }
  return -E.ENXIO;
}

/** An open file for a procfs or sysfs node (links only with O_PATH|O_NOFOLLOW). */
export function procFile(r: Resolved, flags: number): OpenFile | number {
  const node = r.node!;
  const dev = r.mount.generated?.dev ?? r.mount.hostDev(); // a link the kernel adds to a host view lives there
  if (node.kind === NodeKind.Dir) return new ProcDir(node.entries!, flags, r.guest, { dev, mode: host.S_IFDIR | (node.mode ?? 0o555), size: 0 }, node.typeOf);
  if (node.kind === NodeKind.Link) return flags & O_PATH ? new ProcFile(Buffer.alloc(0), flags, r.guest, { dev, mode: host.S_IFLNK | (node.mode ?? 0o777), size: 0 }) : -E.ELOOP;
  if (flags & O_DIRECTORY) return -E.ENOTDIR;
  const stat = { dev, mode: host.S_IFREG | (node.mode ?? 0o444), size: r.mount.generated!.fileSize };
  return new ProcFile(node.content!(), flags, r.guest, stat, flags & O_PATH ? undefined : node.write);
}

function openProc(k: Kernel, c: Call, r: Resolved, flags: number): number {
  const node = r.node!;
  if ((flags & O_ACCMODE) !== O_RDONLY && !(flags & O_PATH) && !node.write) return node.kind === NodeKind.Dir ? -E.EISDIR : -E.EACCES;
  if (flags & O_CREAT && flags & O_EXCL) return -E.EEXIST;
  const f = procFile(r, (flags & (O_ACCMODE | O_PATH | O_NONBLOCK | O_DIRECTORY)) | (flags & O_PATH ? 0 : O_LARGEFILE));
  if (typeof f === 'number') return f;
  return installLowest(k, c, f, 0, (flags & O_CLOEXEC) !== 0);
}

function openat2(k: Kernel, c: Call): number {
  const size = c.ptr(3);
  if (size < 24) return -E.EINVAL;
  if (size > 4096) return -E.E2BIG;
  const r = k.mem.read(c.tid, c.ptr(2), Math.min(size, 64));
  if (r < 0) return r;
  const v = k.mem.view;
  const flags = Number(v.getBigUint64(0, true));
  const mode = Number(v.getBigUint64(8, true));
  const resolve = Number(v.getBigUint64(16, true));
  for (let i = 24; i < Math.min(size, 64); i++) if (k.mem.buf[i] !== 0) return -E.E2BIG;
  // openat2 is strict where open is lenient: unknown bits, stray modes, O_PATH companions
  if (flags > 0xffffffff || flags & ~VALID_OPEN) return -E.EINVAL;
  if (flags & O_PATH && flags & ~O_PATH_FLAGS) return -E.EINVAL;
  if (mode > 0o7777 || (mode && !(flags & O_CREAT) && (flags & O_TMPFILE) !== O_TMPFILE)) return -E.EINVAL;
  const allResolve = RESOLVE_NO_XDEV | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_SYMLINKS | RESOLVE_BENEATH | RESOLVE_IN_ROOT | RESOLVE_CACHED;
  if (resolve > 0xffffffff || resolve & ~allResolve) return -E.EINVAL;
  if ((resolve & (RESOLVE_BENEATH | RESOLVE_IN_ROOT)) === (RESOLVE_BENEATH | RESOLVE_IN_ROOT)) return -E.EINVAL;
  // Every lookup here is "cached"; only calls that would have to write cannot be.
  if (resolve & RESOLVE_CACHED && flags & (O_CREAT | O_TRUNC | O_TMPFILE)) return -E.EAGAIN;
  return openCore(k, c, c.fd(0), c.ptr(1), flags, mode, resolve);
}

function getcwd(k: Kernel, c: Call): number {
  const cwd = c.task.fs.cwdNow();
  if (typeof cwd === 'number') return cwd;
  const size = c.ptr(1);
  const len = Buffer.byteLength(cwd, 'latin1') + 1;
  if (size === 0 && c.ptr(0) !== 0) return -E.EINVAL;
  if (size < len) return -E.ERANGE;
  k.mem.buf.write(cwd, 0, 'latin1');
  k.mem.buf[len - 1] = 0;
  const r = k.mem.write(c.tid, c.ptr(0), len);
  return r < 0 ? r : len;
}

function searchable(r: Resolved): number {
  if (!r.isDir) return -E.ENOTDIR;
  return host.sys(NR.faccessat2, r.layer.rootFd, host.putPath(host.PATH1, r.rel), 1 /* X_OK */, host.AT_SYMLINK_NOFOLLOW);
}

function chdir(k: Kernel, c: Call): number {
  const p = path(k, c, 0);
  if (typeof p === 'number') return p;
  const r = walk(k, c.task, AT_FDCWD, p, { follow: true });
  if (typeof r === 'number') return r;
  if (r.node) {
    if (r.node.kind !== NodeKind.Dir) return -E.ENOTDIR;
    const d = procFile(r, O_PATH);
    if (typeof d === 'number') return d;
    c.task.fs.setDir(d);
    return 0;
  }
  const ok = searchable(r);
  if (ok < 0) return ok;
  const fd = openResolved(r, O_PATH | O_DIRECTORY);
  if (fd < 0) return fd;
  const dir = new PathFile(fd, O_PATH | O_DIRECTORY, r.mount, r.guest);
  dir.isDirectory = true;
  c.task.fs.setDir(dir);
  return 0;
}

function fchdir(k: Kernel, c: Call): number {
  const f = c.task.files.get(c.fd(0));
  if (!f) return -E.EBADF;
  if (!f.isDirectory) return -E.ENOTDIR;
  c.task.fs.setDir(f);
  return 0;
}

/** Resolve for creating a new name: EEXIST if it exists, EROFS on a read-only mount. */
function forCreate(k: Kernel, c: Call, dirfd: number, p: string | number): Resolved | number {
  if (typeof p === 'number') return p;
  const r = walk(k, c.task, dirfd, p, { follow: false, allowMissing: true });
  if (typeof r === 'number') return r;
  if (r.exists) return -E.EEXIST;
  if (r.mount.readOnly) return -E.EROFS;
  return r;
}

function mkdirCore(k: Kernel, c: Call, dirfd: number, pathArg: number, modeArg: number): number {
  const r = forCreate(k, c, dirfd, path(k, c, pathArg));
  if (typeof r === 'number') return r;
  const mode = c.u32(modeArg) & 0o7777 & ~c.task.fs.umask;
  return createEntry(r, (fd, name) => host.sys(NR.mkdirat, fd, host.putPath(host.PATH2, name), mode), true);
}

const S_IFSOCK = 0o140000;
const S_IFIFO = 0o010000;

/** mknod: FIFOs, sockets and regular files; device nodes need CAP_MKNOD (EPERM). */
function mknodCore(k: Kernel, c: Call, dirfd: number, pathArg: number, modeArg: number): number {
  const mode = c.u32(modeArg);
  const type = mode & host.S_IFMT;
  if (type === host.S_IFDIR) return -E.EPERM;
  if (![0, host.S_IFREG, host.S_IFCHR, host.S_IFBLK, S_IFIFO, S_IFSOCK].includes(type)) return -E.EINVAL;
  const r = forCreate(k, c, dirfd, path(k, c, pathArg));
  if (typeof r === 'number') return r;
  if (type === host.S_IFCHR || type === host.S_IFBLK) return -E.EPERM;
  const m = (type || host.S_IFREG) | (mode & 0o7777 & ~c.task.fs.umask);
  return createEntry(r, (fd, name) => host.sys(NR.mknodat, fd, host.putPath(host.PATH2, name), m, 0));
}

function unlinkCore(k: Kernel, c: Call, dirfd: number, pathArg: number, flags: number): number {
  if (flags & ~AT_REMOVEDIR) return -E.EINVAL;
  const p = path(k, c, pathArg);
  if (typeof p === 'number') return p;
  if (flags & AT_REMOVEDIR) {
    const last = p.replace(/\/+$/, '').split('/').pop();
    if (last === '.') return -E.EINVAL;
    if (last === '..') return -E.ENOTEMPTY;
  }
  const r = walk(k, c.task, dirfd, p, { follow: false });
  if (typeof r === 'number') return r;
  if (k.mounts.isMountPoint(r.guest) || r.guest === '/') return -E.EBUSY;
  if (!(flags & AT_REMOVEDIR) && r.isDir) return -E.EISDIR;
  if (flags & AT_REMOVEDIR && !r.isDir) return -E.ENOTDIR;
  if (r.mount.readOnly) return -E.EROFS;
  const res = removeEntry(r, (flags & AT_REMOVEDIR) !== 0);
  if (res === 0 && flags & AT_REMOVEDIR) namespaceChanged();
  return res;
}

function renameCore(k: Kernel, c: Call, oldDir: number, oldArg: number, newDir: number, newArg: number, flags: number): number {
  if (flags & ~7) return -E.EINVAL;
  const op = path(k, c, oldArg);
  if (typeof op === 'number') return op;
  const np = path(k, c, newArg);
  if (typeof np === 'number') return np;
  const from = walk(k, c.task, oldDir, op, { follow: false });
  if (typeof from === 'number') return from;
  const to = walk(k, c.task, newDir, np, { follow: false, allowMissing: true });
  if (typeof to === 'number') return to;
  if (from.mount !== to.mount) return -E.EXDEV;
  if (k.mounts.isMountPoint(from.guest) || k.mounts.isMountPoint(to.guest)) return -E.EBUSY;
  if (from.mount.readOnly) return -E.EROFS;
  const res = renameEntry(from, to, flags);
  if (res === 0) namespaceChanged();
  return res;
}

function symlinkCore(k: Kernel, c: Call, targetArg: number, dirfd: number, linkArg: number): number {
  const target = path(k, c, targetArg);
  if (typeof target === 'number') return target;
  const r = forCreate(k, c, dirfd, path(k, c, linkArg));
  if (typeof r === 'number') return r;
  return createEntry(r, (fd, name) => {
    host.putPath(host.PATH1, target);
    return host.sys(NR.symlinkat, host.addr(host.PATH1), fd, host.putPath(host.PATH2, name));
  });
}

function linkCore(k: Kernel, c: Call, oldDir: number, oldArg: number, newDir: number, newArg: number, flags: number): number {
  if (flags & ~(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH)) return -E.EINVAL;
  const op = path(k, c, oldArg);
  if (typeof op === 'number') return op;
  const from = walk(k, c.task, oldDir, op, { follow: (flags & AT_SYMLINK_FOLLOW) !== 0 });
  if (typeof from === 'number') return from;
  const to = forCreate(k, c, newDir, path(k, c, newArg));
  if (typeof to === 'number') return to;
  if (from.file) return linkOpenFile(from.file, to);
  if (from.mount !== to.mount) return -E.EXDEV;
  if (from.isDir) return -E.EPERM;
  return linkEntry(from, to);
}

/**
 * linkat of /proc/PID/fd/N that names no path (AT_SYMLINK_FOLLOW): an O_TMPFILE file gets its
 * name through our own /proc/self/fd of the host descriptor, so the host applies its rules (an
 * O_EXCL one stays unlinkable: ENOENT); anything else is on another filesystem (EXDEV).
 */
function linkOpenFile(f: OpenFile, to: Resolved): number {
  if (!(f instanceof HostFile) || !f.unnamed || f.mount !== to.mount) return -E.EXDEV;
  return inParent(to, (nfd, nname) =>
    host.sys(NR.linkat, AT_FDCWD, host.putPath(host.PATH1, `/proc/self/fd/${f.hostFd}`), nfd, host.putPath(host.PATH2, nname), AT_SYMLINK_FOLLOW));
}

function readlinkCore(k: Kernel, c: Call, dirfd: number, pathArg: number, bufArg: number, sizeArg: number): number {
  const size = c.int(sizeArg);
  if (size <= 0) return -E.EINVAL;
  const p = path(k, c, pathArg);
  if (typeof p === 'number') return p;
  const r = walk(k, c.task, dirfd, p, { follow: false });
  if (typeof r === 'number') return r;
  if (!r.isSymlink) return -E.EINVAL;
  if (r.node) {
    const text = r.node.target!();
    const n = Math.min(Buffer.byteLength(text, 'latin1'), size);
    k.mem.buf.write(text, 0, n, 'latin1');
    const w = k.mem.write(c.tid, c.ptr(bufArg), n);
    return w < 0 ? w : n;
  }
  const target = inParent(r, (fd, name) => {
    const s = host.readlinkat(fd, name);
    if (typeof s === 'number') return s;
    const n = Math.min(Buffer.byteLength(s, 'latin1'), size);
    k.mem.buf.write(s, 0, n, 'latin1');
    return n;
  });
  if (target < 0) return target;
  const w = k.mem.write(c.tid, c.ptr(bufArg), target);
  return w < 0 ? w : target;
}

function accessCore(k: Kernel, c: Call, dirfd: number, pathArg: number, mode: number, flags: number): number {
  if (mode & ~7) return -E.EINVAL;
  if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EACCESS | AT_EMPTY_PATH)) return -E.EINVAL;
  const p = path(k, c, pathArg);
  if (typeof p === 'number') return p;
  const r = walk(k, c.task, dirfd, p, { follow: !(flags & AT_SYMLINK_NOFOLLOW) });
  if (typeof r === 'number') return r;
  if (r.node) return mode & 2 && !r.node.write ? -E.EACCES : 0;
  const type = r.mode & host.S_IFMT;
  if (mode & 2 && r.mount.readOnly && (type === host.S_IFREG || type === host.S_IFDIR || type === host.S_IFLNK)) return -E.EROFS;
  return host.sys(NR.faccessat2, r.layer.rootFd, host.putPath(host.PATH1, r.rel), mode, host.AT_SYMLINK_NOFOLLOW | (flags & AT_EACCESS));
}

/** Resolve an existing path for a metadata change: EROFS on read-only mounts. */
function forChange(k: Kernel, c: Call, dirfd: number, pathArg: number, follow: boolean): Resolved | number {
  const p = path(k, c, pathArg);
  if (typeof p === 'number') return p;
  const r = walk(k, c.task, dirfd, p, { follow });
  if (typeof r === 'number') return r;
  if (r.mount.readOnly) return -E.EROFS;
  return r;
}

function chmodAt(r: Resolved, mode: number): number {
  if (r.isSymlink) return -E.EOPNOTSUPP;
  const up = changeable(r, 'owner');
  if (typeof up === 'number') return up;
  return inParent(up, (fd, name) => host.sys(NR.fchmodat2 ?? 452, fd, host.putPath(host.PATH2, name), mode & 0o7777, host.AT_SYMLINK_NOFOLLOW));
}

function chownAt(r: Resolved, uid: number, gid: number): number {
  const up = changeable(r, 'owner');
  if (typeof up === 'number') return up;
  return inParent(up, (fd, name) => host.sys(NR.fchownat, fd, host.putPath(host.PATH2, name), uid, gid, host.AT_SYMLINK_NOFOLLOW));
}

const UTIME_NOW = (1 << 30) - 1;
/** The guest's two timespecs for utimensat, while the walk and copy-up use the scratch buffer. */
const guestTimes = Buffer.alloc(32);
const TIMES_AT = host.STRUCT + 1024;

/** utimensat of r: times from guestTimes, or now (given: false). */
function utimesAt(r: Resolved, given: boolean): number {
  // setting the times to now needs write access or ownership, other times ownership (utimensat(2))
  const now = !given || (guestTimes.readBigInt64LE(8) === BigInt(UTIME_NOW) && guestTimes.readBigInt64LE(24) === BigInt(UTIME_NOW));
  const up = changeable(r, now ? 'touch' : 'owner');
  if (typeof up === 'number') return up;
  guestTimes.copy(host.scratch, TIMES_AT);
  return inParent(up, (fd, name) => host.sys(NR.utimensat, fd, host.putPath(host.PATH2, name), given ? host.addr(TIMES_AT) : 0, host.AT_SYMLINK_NOFOLLOW));
}

function chmodCore(k: Kernel, c: Call, dirfd: number, pathArg: number, mode: number, flags: number): number {
  if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) return -E.EINVAL;
  const r = forChange(k, c, dirfd, pathArg, !(flags & AT_SYMLINK_NOFOLLOW));
  if (typeof r === 'number') return r;
  return chmodAt(r, mode);
}

function chownCore(k: Kernel, c: Call, dirfd: number, pathArg: number, uid: number, gid: number, flags: number): number {
  if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) return -E.EINVAL;
  const r = forChange(k, c, dirfd, pathArg, !(flags & AT_SYMLINK_NOFOLLOW));
  if (typeof r === 'number') return r;
  return chownAt(r, uid, gid);
}

/**
 * fchmod/fchown/futimens on a descriptor: native on writable mounts; a file opened in an
 * overlay's lower layer is copied up and changed by path (byPath).
 */
function fdChange(k: Kernel, c: Call, byPath: (r: Resolved) => number): number {
  const f = c.task.files.get(c.fd(0));
  if (!f) return -E.EBADF;
  if (!f.native) return 0;
  if (!(f instanceof HostFile) || !f.mount) return -E.EPERM;
  if (f.mount.readOnly) return -E.EROFS;
  if (!f.onLower) return CONTINUE;
  const r = entryOf(k, f);
  return typeof r === 'number' ? r : byPath(r);
}

function utimensat(k: Kernel, c: Call): number {
  const flags = c.int(3);
  if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) return -E.EINVAL;
  const given = c.ptr(2) !== 0;
  if (given) {
    const rr = k.mem.readInto(c.tid, c.ptr(2), guestTimes, 0, 32);
    if (rr < 0) return rr;
  }
  if (c.ptr(1) === 0) return fdChange(k, c, (r) => utimesAt(r, given));
  const r = forChange(k, c, c.fd(0), 1, !(flags & AT_SYMLINK_NOFOLLOW));
  if (typeof r === 'number') return r;
  return utimesAt(r, given);
}

function truncate(k: Kernel, c: Call): number {
  const len = c.i64(1);
  if (len < 0) return -E.EINVAL;
  const r = forChange(k, c, AT_FDCWD, 0, true);
  if (typeof r === 'number') return r;
  if (r.isDir) return -E.EISDIR;
  const up = changeable(r, 'write', len !== 0);
  if (typeof up === 'number') return up;
  const fd = openResolved(up, O_WRONLY);
  if (fd < 0) return fd;
  const res = host.sys(NR.ftruncate, fd, len);
  host.close(fd);
  return res;
}

function umask(k: Kernel, c: Call): number {
  const old = c.task.fs.umask;
  c.task.fs.umask = c.u32(0) & 0o777;
  return old;
}

/** Calls that act on a host descriptor as they are (fsync, ftruncate, getdents64, ...). */
function nativeFd(otherwise: number) {
  return (k: Kernel, c: Call): number => {
    const f = c.task.files.get(c.fd(0));
    if (!f) return -E.EBADF;
    return f.native ? CONTINUE : otherwise;
  };
}

/** statfs of a filesystem the kernel generates: no blocks, mounted ro,nosuid,nodev,noexec. */
function generatedStatfs(k: Kernel, c: Call, m: Mount, buf: number): number {
  const flags = (m.readOnly ? ST_RDONLY : 0) | ST_NOSUID | ST_NODEV | ST_NOEXEC | ST_RELATIME;
  writeSyntheticStatfs(host.scratchView, host.STRUCT, m.generated!.magic, flags);
  const w = k.mem.writeFrom(c.tid, buf, host.scratch, host.STRUCT, 120);
  return w < 0 ? w : 0;
}

const OVERLAYFS_SUPER_MAGIC = 0x794c7630;

/**
 * fstatfs of the host descriptor fd into the guest's buf. An overlay reports its upper layer's
 * filesystem with its own f_type, as overlayfs does.
 */
function hostStatfs(k: Kernel, c: Call, fd: number, m: Mount | undefined, buf: number): number {
  const res = host.sys(NR.fstatfs, m?.upper ? m.upper.rootFd : fd, host.addr(host.STRUCT));
  if (res < 0) return res;
  if (m?.upper) host.scratchView.setBigInt64(host.STRUCT, BigInt(OVERLAYFS_SUPER_MAGIC), true);
  const w = k.mem.writeFrom(c.tid, buf, host.scratch, host.STRUCT, 120);
  return w < 0 ? w : 0;
}

function statfs(k: Kernel, c: Call): number {
  const p = path(k, c, 0);
  if (typeof p === 'number') return p;
  const r = walk(k, c.task, AT_FDCWD, p, { follow: true });
  if (typeof r === 'number') return r;
  if (r.mount.generated) return generatedStatfs(k, c, r.mount, c.ptr(1));
  if (r.mount.upper) return hostStatfs(k, c, -1, r.mount, c.ptr(1));
  const fd = openResolved(r, O_PATH);
  if (fd < 0) return fd;
  const res = hostStatfs(k, c, fd, undefined, c.ptr(1));
  host.close(fd);
  return res;
}

function fstatfs(k: Kernel, c: Call): number {
  const f = c.task.files.get(c.fd(0));
  if (!f) return -E.EBADF;
  if (f.native) return f.mount?.upper ? hostStatfs(k, c, -1, f.mount, c.ptr(1)) : CONTINUE;
  if (f instanceof PathFile) return hostStatfs(k, c, f.statFd(), f.mount, c.ptr(1));
  if ((f instanceof ProcFile || f instanceof ProcDir) && f.guestPath.startsWith('/')) {
    const m = k.mounts.lookup(f.guestPath);
    if (m.generated) return generatedStatfs(k, c, m, c.ptr(1));
  }
  writeSyntheticStatfs(host.scratchView, host.STRUCT, objectStatfsMagic(f), 0);
  const w = k.mem.writeFrom(c.tid, c.ptr(1), host.scratch, host.STRUCT, 120);
  return w < 0 ? w : 0;
}

/** getdents64, or the old getdents: host directories natively, but those the kernel lists. */
function getdents(old: boolean) {
  return (k: Kernel, c: Call): number => {
    const f = c.task.files.get(c.fd(0));
    if (!f) return -E.EBADF;
    if (f instanceof MergedDir || f instanceof ProcDir) return f.getdents(k, c.task, c.ptr(1), c.u32(2), old);
    return f.native ? CONTINUE : -E.ENOTDIR;
  };
}

export const fsFamily: Family = {
  open: (k, c) => openCore(k, c, AT_FDCWD, c.ptr(0), c.int(1), c.u32(2), 0),
  openat: (k, c) => openCore(k, c, c.fd(0), c.ptr(1), c.int(2), c.u32(3), 0),
  creat: (k, c) => openCore(k, c, AT_FDCWD, c.ptr(0), O_CREAT | O_WRONLY | O_TRUNC, c.u32(1), 0),
  openat2,
  getcwd,
  chdir,
  fchdir,
  mkdir: (k, c) => mkdirCore(k, c, AT_FDCWD, 0, 1),
  mkdirat: (k, c) => mkdirCore(k, c, c.fd(0), 1, 2),
  mknod: (k, c) => mknodCore(k, c, AT_FDCWD, 0, 1),
  mknodat: (k, c) => mknodCore(k, c, c.fd(0), 1, 2),
  unlink: (k, c) => unlinkCore(k, c, AT_FDCWD, 0, 0),
  rmdir: (k, c) => unlinkCore(k, c, AT_FDCWD, 0, AT_REMOVEDIR),
  unlinkat: (k, c) => unlinkCore(k, c, c.fd(0), 1, c.int(2)),
  rename: (k, c) => renameCore(k, c, AT_FDCWD, 0, AT_FDCWD, 1, 0),
  renameat: (k, c) => renameCore(k, c, c.fd(0), 1, c.fd(2), 3, 0),
  renameat2: (k, c) => renameCore(k, c, c.fd(0), 1, c.fd(2), 3, c.u32(4)),
  symlink: (k, c) => symlinkCore(k, c, 0, AT_FDCWD, 1),
  symlinkat: (k, c) => symlinkCore(k, c, 0, c.fd(1), 2),
  link: (k, c) => linkCore(k, c, AT_FDCWD, 0, AT_FDCWD, 1, 0),
  linkat: (k, c) => linkCore(k, c, c.fd(0), 1, c.fd(2), 3, c.int(4)),
  readlink: (k, c) => readlinkCore(k, c, AT_FDCWD, 0, 1, 2),
  readlinkat: (k, c) => readlinkCore(k, c, c.fd(0), 1, 2, 3),
  access: (k, c) => accessCore(k, c, AT_FDCWD, 0, c.int(1), 0),
  faccessat: (k, c) => accessCore(k, c, c.fd(0), 1, c.int(2), 0),
  faccessat2: (k, c) => accessCore(k, c, c.fd(0), 1, c.int(2), c.int(3)),
  chmod: (k, c) => chmodCore(k, c, AT_FDCWD, 0, c.u32(1), 0),
  fchmodat: (k, c) => chmodCore(k, c, c.fd(0), 1, c.u32(2), 0),
  fchmodat2: (k, c) => chmodCore(k, c, c.fd(0), 1, c.u32(2), c.int(3)),
  chown: (k, c) => chownCore(k, c, AT_FDCWD, 0, c.int(1), c.int(2), 0),
  lchown: (k, c) => chownCore(k, c, AT_FDCWD, 0, c.int(1), c.int(2), AT_SYMLINK_NOFOLLOW),
  fchownat: (k, c) => chownCore(k, c, c.fd(0), 1, c.int(2), c.int(3), c.int(4)),
  fchmod: (k, c) => fdChange(k, c, (r) => chmodAt(r, c.u32(1))),
  fchown: (k, c) => fdChange(k, c, (r) => chownAt(r, c.int(1), c.int(2))),
  utimensat,
  truncate,
  ftruncate: nativeFd(-E.EINVAL),
  fsync: nativeFd(-E.EINVAL),
  fdatasync: nativeFd(-E.EINVAL),
  syncfs: nativeFd(0),
  sync_file_range: nativeFd(-E.ESPIPE),
  fallocate: nativeFd(-E.ESPIPE),
  fadvise64: nativeFd(-E.ESPIPE),
  readahead: nativeFd(-E.EINVAL),
  flock: nativeFd(0),
  getdents64: getdents(false),
  getdents: getdents(true),
  fstatfs,
  statfs,
  umask,
  sync: () => 0,
};
