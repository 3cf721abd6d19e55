// Changes to an overlay mount, as overlayfs makes them: everything is written to the upper
// layer; an entry of the lower layer is copied up before it changes; creating a name the upper
// layer deletes removes the whiteout (and a directory made there is opaque, so the deleted one's
// entries stay deleted); removing a name the lower layer has leaves a whiteout. Directories that
// have a lower part do not move (rename fails with EXDEV, as overlayfs without redirect_dir; mv
// then copies). Permissions are checked on the entry the guest sees, in whichever layer it is.
import * as host from '../../host/sys.js';
import { Resolved } from './path.js';
import { NR } from '../abi/sysnames.js';
import * as E from '../errno.js';
import type { Mount } from './mount.js';
import { copyUp } from './copyup.js';
import { isWhiteoutName, listHostDir, lowerHas, mergedList, nameOf, OPAQUE, parentOf, upperHas, WHITEOUT_PREFIX } from './overlay.js';

const NOFOLLOW = host.AT_SYMLINK_NOFOLLOW;
const SAFE_RESOLVE = host.RESOLVE_BENEATH | host.RESOLVE_NO_SYMLINKS;
const O_WRONLY = 1, O_CREAT = 0o100, O_EXCL = 0o200;
const W_OK = 2, X_OK = 1, AT_EACCESS = 0x200, S_ISVTX = 0o1000;
const RENAME_NOREPLACE = 1, RENAME_EXCHANGE = 2;

/**
 * What a change needs of the caller: write access, to own the file (chmod, chown, setting
 * times), either (touching the times), or nothing the host does not check.
 */
export type Need = 'write' | 'owner' | 'touch' | 'none';

function euid(): number {
  return host.sys(NR.geteuid);
}

/** faccessat2 of the lower layer's rel, for the caller's effective ids. */
function lowerAccess(m: Mount, rel: string, mode: number): number {
  return host.sys(NR.faccessat2, m.rootFd, host.putPath(host.PATH1, rel), mode, AT_EACCESS | NOFOLLOW);
}

/** The owner of the lower layer's rel, or -errno. */
function lowerOwner(m: Mount, rel: string): number {
  const r = host.fstatat(m.rootFd, rel, NOFOLLOW);
  return r < 0 ? r : host.scratchView.getUint32(host.STRUCT + 28, true);
}

/** May the caller add or remove names in the directory dir? (A copy in the upper layer is checked by the host.) */
function mayChangeDir(m: Mount, dir: string): number {
  return upperHas(m, dir) ? 0 : lowerAccess(m, dir, W_OK | X_OK);
}

/** The sticky bit of a lower directory: only the owner of an entry or of the directory removes it. */
function mayDelete(r: Resolved): number {
  const m = r.mount, dir = parentOf(r.rel);
  const ok = mayChangeDir(m, dir);
  if (ok < 0 || upperHas(m, dir)) return ok;
  const me = euid();
  if (me === 0 || host.fstatat(m.rootFd, dir, NOFOLLOW) < 0 || !(host.statMode() & S_ISVTX)) return 0;
  const dirOwner = host.scratchView.getUint32(host.STRUCT + 28, true);
  const owner = r.inLower ? lowerOwner(m, r.rel) : me;
  return me === dirOwner || me === owner ? 0 : -E.EPERM;
}

/** The entry r as the upper layer has it, copied up if it is the lower layer's. */
export function changeable(r: Resolved, need: Need, data = true): Resolved | number {
  if (!r.inLower) return r;
  const m = r.mount;
  if (need !== 'none') {
    const me = euid();
    const owner = lowerOwner(m, r.rel);
    if (owner < 0) return owner;
    const owns = me === 0 || me === owner;
    if (need === 'owner' && !owns) return -E.EPERM;
    if (need === 'write' || (need === 'touch' && !owns)) {
      const ok = lowerAccess(m, r.rel, W_OK);
      if (ok < 0) return ok;
    }
  }
  const up = copyUp(m, r.rel, data);
  if (up < 0) return up;
  return new Resolved(r.guest, m, r.rel, r.mode, undefined, undefined, m.upper);
}

/** Put an empty file name in the upper directory dirfd (a whiteout or an opaque marker). */
function mark(dirfd: number, name: string): number {
  const fd = host.openat2(dirfd, name, O_CREAT | O_EXCL | O_WRONLY | host.O_NOFOLLOW | host.O_CLOEXEC, 0o600, SAFE_RESOLVE);
  if (fd === -E.EEXIST) return 0;
  if (fd < 0) return fd;
  host.close(fd);
  return 0;
}

function unlink(dirfd: number, name: string, flags = 0): number {
  return host.sys(NR.unlinkat, dirfd, host.putPath(host.PATH2, name), flags);
}

/** The upper directory dirfd/name holds only whiteouts now (the merged one is empty): drop them. */
function dropMarks(dirfd: number, name: string): number {
  const list = listHostDir(dirfd, name);
  if (typeof list === 'number') return list;
  for (const e of list) {
    const r = unlink(dirfd, `${name}/${e.name}`);
    if (r < 0) return r;
  }
  return 0;
}

/** Is the merged directory r empty (rmdir, rename over it)? */
function emptyDir(r: Resolved): number {
  const list = mergedList(r.mount, r.rel);
  if (typeof list === 'number') return list;
  return list.length ? -E.ENOTEMPTY : 0;
}

/** Create the missing name r with fn(upperParentFd, name). */
export function create(r: Resolved, fn: (dirfd: number, name: string) => number, isDir: boolean): number {
  const m = r.mount, dir = parentOf(r.rel), name = nameOf(r.rel);
  if (isWhiteoutName(name)) return -E.EINVAL;
  const ok = mayChangeDir(m, dir);
  if (ok < 0) return ok;
  const up = copyUp(m, dir);
  if (up < 0) return up;
  return host.withDir(m.upper!.rootFd, dir, (dirfd) => {
    const deleted = host.fstatat(dirfd, WHITEOUT_PREFIX + name, NOFOLLOW) === 0;
    const res = fn(dirfd, name);
    if (res < 0 || !deleted) return res;
    if (isDir) mark(dirfd, `${name}/${OPAQUE}`);
    unlink(dirfd, WHITEOUT_PREFIX + name);
    return res;
  });
}

/** unlink or rmdir r. */
export function remove(r: Resolved, isDir: boolean): number {
  const m = r.mount, dir = parentOf(r.rel), name = nameOf(r.rel);
  const ok = mayDelete(r);
  if (ok < 0) return ok;
  if (isDir) {
    const empty = emptyDir(r);
    if (empty < 0) return empty;
  }
  const hide = lowerHas(m, r.rel);
  if (hide) {
    const up = copyUp(m, dir);
    if (up < 0) return up;
  }
  return host.withDir(m.upper!.rootFd, dir, (dirfd) => {
    if (hide) {
      const w = mark(dirfd, WHITEOUT_PREFIX + name);
      if (w < 0) return w;
    }
    if (r.inLower) return 0;
    let res = isDir ? dropMarks(dirfd, name) : 0;
    if (res === 0) res = unlink(dirfd, name, isDir ? host.AT_REMOVEDIR : 0);
    if (res < 0 && hide) unlink(dirfd, WHITEOUT_PREFIX + name);
    return res;
  });
}

/** Whether r is a directory with a lower part (one overlayfs cannot move without redirect_dir). */
function lowerDir(r: Resolved): boolean {
  return r.isDir && (r.inLower || lowerHas(r.mount, r.rel));
}

/** rename, renameat2 with RENAME_NOREPLACE or RENAME_EXCHANGE, within one overlay. */
export function rename(from: Resolved, to: Resolved, flags: number): number {
  const m = from.mount;
  if (flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE)) return -E.EINVAL;
  const exchange = (flags & RENAME_EXCHANGE) !== 0;
  if (from.rel === '.' || to.rel === '.') return -E.EBUSY;
  if (isWhiteoutName(nameOf(to.rel))) return -E.EINVAL;
  if (exchange && !to.exists) return -E.ENOENT;
  if (flags & RENAME_NOREPLACE && to.exists) return -E.EEXIST;
  if (from.rel === to.rel) return 0;
  // the checks the VFS makes before the filesystem sees the rename (rename(2))
  if (to.rel.startsWith(from.rel + '/')) return -E.EINVAL;
  if (from.rel.startsWith(to.rel + '/')) return exchange ? -E.EINVAL : -E.ENOTEMPTY;
  if (to.exists && !exchange) {
    if (from.isDir && !to.isDir) return -E.ENOTDIR;
    if (!from.isDir && to.isDir) return -E.EISDIR;
  }
  let ok = mayDelete(from);
  if (ok === 0) ok = to.exists ? mayDelete(to) : mayChangeDir(m, parentOf(to.rel));
  if (ok < 0) return ok;
  if (lowerDir(from) || (exchange && lowerDir(to))) return -E.EXDEV;
  const lowerAtTo = to.exists && lowerHas(m, to.rel);
  if (to.exists && to.isDir && !exchange) {
    const empty = emptyDir(to);
    if (empty < 0) return empty;
  }
  const hideFrom = !exchange && lowerHas(m, from.rel);
  let up = copyUp(m, from.rel);
  if (up === 0) up = copyUp(m, exchange ? to.rel : parentOf(to.rel));
  if (up < 0) return up;
  const toName = nameOf(to.rel), fromName = nameOf(from.rel);
  return host.withDir(m.upper!.rootFd, parentOf(from.rel), (fromDir) =>
    host.withDir(m.upper!.rootFd, parentOf(to.rel), (toDir) => {
      if (!exchange && to.isDir && upperHas(m, to.rel)) {
        const dropped = dropMarks(toDir, toName);
        if (dropped < 0) return dropped;
      }
      const deleted = !exchange && host.fstatat(toDir, WHITEOUT_PREFIX + toName, NOFOLLOW) === 0;
      host.putPath(host.PATH1, fromName);
      const res = host.sys(NR.renameat2, fromDir, host.addr(host.PATH1), toDir, host.putPath(host.PATH2, toName), flags);
      if (res < 0) return res;
      // a directory that takes the place of a lower one must not show the lower's entries
      if (from.isDir && (deleted || lowerAtTo)) mark(toDir, `${toName}/${OPAQUE}`);
      if (deleted) unlink(toDir, WHITEOUT_PREFIX + toName);
      if (hideFrom) return mark(fromDir, WHITEOUT_PREFIX + fromName);
      return 0;
    }),
  );
}

/** link from (a non-directory) to the missing name to. */
export function link(from: Resolved, to: Resolved): number {
  const src = changeable(from, 'none');
  if (typeof src === 'number') return src;
  const m = from.mount;
  return create(
    to,
    (dirfd, name) =>
      host.withDir(m.upper!.rootFd, parentOf(src.rel), (fromDir) => {
        host.putPath(host.PATH1, nameOf(src.rel));
        return host.sys(NR.linkat, fromDir, host.addr(host.PATH1), dirfd, host.putPath(host.PATH2, name), 0);
      }),
    false,
  );
}
