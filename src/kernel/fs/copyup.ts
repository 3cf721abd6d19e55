// Copy-up (overlayfs's ovl_copy_up): before anything changes an entry of an overlay's lower
// layer, the entry and every directory above it get a copy in the upper layer with the lower's
// type, data, mode, owner (where the host lets us), extended attributes and times. The upper
// parent's times are put back afterwards, so the copy is no visible change. A regular file is
// written as an O_TMPFILE and linked into place only when complete.
import * as host from '../../host/sys.js';
import type { Mount } from './mount.js';
import { NR } from '../abi/sysnames.js';
import { EACCES, EINVAL, EISDIR, ENOSYS, EOPNOTSUPP, EXDEV } from '../errno.js';
import { parentOf, nameOf, upperHas } from './overlay.js';

const NOFOLLOW = host.AT_SYMLINK_NOFOLLOW;
const SAFE_RESOLVE = host.RESOLVE_BENEATH | host.RESOLVE_NO_SYMLINKS;
const O_WRONLY = 1, O_CREAT = 0o100, O_EXCL = 0o200, O_TMPFILE = 0o20200000;
const AT_SYMLINK_FOLLOW = 0x400, RENAME_NOREPLACE = 1;
/** Where a file is assembled when the upper filesystem has no O_TMPFILE (hidden: a ".wh." name). */
const ASSEMBLY = '.wh..wh..starry-copyup';
/** Two timespecs for utimensat, clear of the paths and of openat2's open_how. */
const TIMES = host.STRUCT + 256;
const XATTR_MAX = 65536;

/** What a copy keeps of the original (from its struct stat). */
interface Attrs {
  mode: number;
  uid: number;
  gid: number;
  rdev: bigint;
  atime: bigint;
  atimeNs: bigint;
  mtime: bigint;
  mtimeNs: bigint;
}

/** The attributes in the struct stat host.fstat/fstatat left in scratch. */
function statAttrs(): Attrs {
  const v = host.scratchView, s = host.STRUCT;
  return {
    mode: v.getUint32(s + 24, true),
    uid: v.getUint32(s + 28, true),
    gid: v.getUint32(s + 32, true),
    rdev: v.getBigUint64(s + 40, true),
    atime: v.getBigInt64(s + 72, true),
    atimeNs: v.getBigInt64(s + 80, true),
    mtime: v.getBigInt64(s + 88, true),
    mtimeNs: v.getBigInt64(s + 96, true),
  };
}

function putTimes(a: Attrs): number {
  const v = host.scratchView;
  v.setBigInt64(TIMES, a.atime, true);
  v.setBigInt64(TIMES + 8, a.atimeNs, true);
  v.setBigInt64(TIMES + 16, a.mtime, true);
  v.setBigInt64(TIMES + 24, a.mtimeNs, true);
  return host.addr(TIMES);
}

/** The path of an open descriptor (for calls that have no descriptor form for O_PATH files). */
function self(fd: number): string {
  return `/proc/self/fd/${fd}`;
}

/**
 * Copy the extended attributes of src to dst (src's last component not followed, dst's as
 * told). Names the host does not let us set (trusted.*, security.* unprivileged) stay behind.
 */
function copyXattrs(src: string, dst: string, follow: boolean): void {
  const n = host.sys(NR.llistxattr, host.putPath(host.PATH1, src), host.addr(host.DATA), XATTR_MAX);
  if (n <= 0) return;
  const names = host.scratch.toString('latin1', host.DATA, host.DATA + n).split('\0').filter((x) => x !== '');
  const value = host.DATA + XATTR_MAX;
  for (const name of names) {
    const size = host.sys(NR.lgetxattr, host.putPath(host.PATH1, src), host.putPath(host.PATH2, name), host.addr(value), XATTR_MAX);
    if (size < 0) continue;
    host.sys(follow ? NR.setxattr : NR.lsetxattr, host.putPath(host.PATH1, dst), host.putPath(host.PATH2, name), host.addr(value), size, 0);
  }
}

/** Give dirfd/name (or the absolute name, following it, when dirfd is AT_FDCWD) the attributes a. */
function applyAttrs(dirfd: number, name: string, a: Attrs, xattrsFrom: string): void {
  const follow = dirfd === host.AT_FDCWD;
  const nf = follow ? 0 : NOFOLLOW;
  // owner first: chown clears the set-id bits the mode then puts back
  host.sys(NR.fchownat, dirfd, host.putPath(host.PATH2, name), a.uid, a.gid, nf);
  const link = (a.mode & host.S_IFMT) === host.S_IFLNK;
  if (!link) host.sys(NR.fchmodat, dirfd, host.putPath(host.PATH2, name), a.mode & 0o7777);
  copyXattrs(xattrsFrom, follow ? name : `${self(dirfd)}/${name}`, follow);
  host.sys(NR.utimensat, dirfd, host.putPath(host.PATH2, name), putTimes(a), nf);
}

/**
 * fn adds an entry to the upper directory dirfd; a directory the owner may not write (a copy of
 * a read-only lower one) is opened up for the moment, as overlayfs copies up with the mounter's
 * rights.
 */
function intoDir(dirfd: number, fn: () => number): number {
  const r = fn();
  if (r !== -EACCES || host.fstat(dirfd) < 0) return r;
  const mode = host.statMode() & 0o7777;
  if (host.sys(NR.fchmodat, host.AT_FDCWD, host.putPath(host.PATH2, self(dirfd)), mode | 0o300) < 0) return r;
  const again = fn();
  host.sys(NR.fchmodat, host.AT_FDCWD, host.putPath(host.PATH2, self(dirfd)), mode);
  return again;
}

/** Copy the data of src to dst (copy_file_range, else sendfile). */
function copyData(src: number, dst: number): number {
  let n = host.sys(NR.copy_file_range, src, 0, dst, 0, 1 << 30, 0);
  if (n === -EXDEV || n === -EINVAL || n === -EOPNOTSUPP || n === -ENOSYS) {
    while ((n = host.sys(NR.sendfile, dst, src, 0, 1 << 30)) > 0);
    return n;
  }
  while (n > 0) n = host.sys(NR.copy_file_range, src, 0, dst, 0, 1 << 30, 0);
  return n;
}

function copyFile(lowerDir: number, upperDir: number, name: string, a: Attrs, data: boolean): number {
  const src = data ? host.openat2(lowerDir, name, host.O_NOFOLLOW | host.O_CLOEXEC, 0, SAFE_RESOLVE) : -1;
  if (data && src < 0) return src;
  let assembly = false;
  let tmp = host.openat2(upperDir, '.', O_TMPFILE | O_WRONLY | host.O_CLOEXEC, 0o600, SAFE_RESOLVE);
  if (tmp === -EOPNOTSUPP || tmp === -EISDIR || tmp === -EINVAL) {
    assembly = true;
    host.sys(NR.unlinkat, upperDir, host.putPath(host.PATH2, ASSEMBLY), 0);
    tmp = intoDir(upperDir, () => host.openat2(upperDir, ASSEMBLY, O_CREAT | O_EXCL | O_WRONLY | host.O_NOFOLLOW | host.O_CLOEXEC, 0o600, SAFE_RESOLVE));
  }
  try {
    if (tmp < 0) return tmp;
    let r = data ? copyData(src, tmp) : 0;
    if (r >= 0) {
      applyAttrs(host.AT_FDCWD, self(tmp), a, `${self(lowerDir)}/${name}`);
      r = assembly
        ? host.sys(NR.renameat2, upperDir, host.putPath(host.PATH1, ASSEMBLY), upperDir, host.putPath(host.PATH2, name), RENAME_NOREPLACE)
        : intoDir(upperDir, () => host.sys(NR.linkat, host.AT_FDCWD, host.putPath(host.PATH1, self(tmp)), upperDir, host.putPath(host.PATH2, name), AT_SYMLINK_FOLLOW));
    }
    if (r < 0 && assembly) host.sys(NR.unlinkat, upperDir, host.putPath(host.PATH2, ASSEMBLY), 0);
    return r < 0 ? r : 0;
  } finally {
    if (tmp >= 0) host.close(tmp);
    if (src >= 0) host.close(src);
  }
}

/** Copy the lower entry name of lowerDir into upperDir (which has no such name). */
function copyEntry(lowerDir: number, upperDir: number, name: string, data: boolean): number {
  const st = host.fstatat(lowerDir, name, NOFOLLOW);
  if (st < 0) return st;
  const a = statAttrs();
  if (host.fstat(upperDir) < 0) return -EACCES;
  const parent = statAttrs();
  const type = a.mode & host.S_IFMT;
  const from = `${self(lowerDir)}/${name}`;
  let r: number;
  if (type === host.S_IFREG) r = copyFile(lowerDir, upperDir, name, a, data);
  else {
    if (type === host.S_IFDIR) r = intoDir(upperDir, () => host.sys(NR.mkdirat, upperDir, host.putPath(host.PATH2, name), 0o700));
    else if (type === host.S_IFLNK) {
      const target = host.readlinkat(lowerDir, name);
      if (typeof target === 'number') return target;
      r = intoDir(upperDir, () => host.sys(NR.symlinkat, host.putPath(host.PATH1, target), upperDir, host.putPath(host.PATH2, name)));
    } else r = intoDir(upperDir, () => host.sys(NR.mknodat, upperDir, host.putPath(host.PATH2, name), type | 0o600, Number(a.rdev)));
    if (r >= 0) applyAttrs(upperDir, name, a, from);
  }
  // the new entry is no change of the parent's, as overlayfs's ovl_set_timestamps keeps it
  host.sys(NR.utimensat, host.AT_FDCWD, host.putPath(host.PATH2, self(upperDir)), putTimes(parent), 0);
  return r < 0 ? r : 0;
}

/**
 * Make sure the overlay m has rel (below its root) in its upper layer, copying it and the
 * directories above it from the lower layer. Without data, a regular file is copied empty (it
 * is about to be truncated).
 */
export function copyUp(m: Mount, rel: string, data = true): number {
  if (rel === '.' || upperHas(m, rel)) return 0;
  const dir = parentOf(rel);
  const above = copyUp(m, dir);
  if (above < 0) return above;
  const name = nameOf(rel);
  return host.withDir(m.rootFd, dir, (lower) => host.withDir(m.upper!.rootFd, dir, (upper) => copyEntry(lower, upper, name, data)));
}
