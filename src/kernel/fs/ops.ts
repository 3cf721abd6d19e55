// Host operations on resolved guest paths: always relative to the root descriptor of the layer
// the entry is in, with no symlink followed (the walk already followed them in the guest's
// view). Changes go through createEntry, removeEntry, renameEntry, linkEntry and changeable,
// which an overlay mount makes in its upper layer (fs/overlay-ops.ts).
import { walkFrom, type Resolved } from './path.js';
import * as host from '../../host/sys.js';
import { EBUSY, EROFS } from '../errno.js';
import type { Kernel } from '../kernel.js';
import type { HostFile } from '../fd/hostfile.js';
import { currentPath } from './where.js';
import { NR } from '../abi/sysnames.js';
import * as overlay from './overlay-ops.js';

export type { Need } from './overlay-ops.js';

export const SAFE_RESOLVE = host.RESOLVE_BENEATH | host.RESOLVE_NO_SYMLINKS;

function dirOf(rel: string): string {
  const i = rel.lastIndexOf('/');
  return i < 0 ? '.' : rel.slice(0, i);
}

/** fn(parentFd, name) on the parent directory of r (EBUSY for a mount root). */
export function inParent(r: Resolved, fn: (dirfd: number, name: string) => number): number {
  if (r.rel === '.') return -EBUSY;
  const name = r.rel.slice(r.rel.lastIndexOf('/') + 1);
  return host.withDir(r.layer.rootFd, dirOf(r.rel), (fd) => fn(fd, name));
}

/** Open r itself on the host. */
export function openResolved(r: Resolved, flags: number, mode = 0): number {
  return host.openat2(r.layer.rootFd, r.rel, flags | host.O_CLOEXEC, mode, SAFE_RESOLVE);
}

/** fstat of r into the scratch STRUCT (no symlink followed). */
export function statResolved(r: Resolved): number {
  const fd = openResolved(r, host.O_PATH | host.O_NOFOLLOW);
  if (fd < 0) return fd;
  const res = host.sys(NR_newfstatat, fd, host.putPath(host.PATH1, ''), host.addr(host.STRUCT), host.AT_EMPTY_PATH);
  host.close(fd);
  return res;
}
const NR_newfstatat = 262;

/** Create the missing entry r with fn(parentFd, name); isDir: fn makes a directory. */
export function createEntry(r: Resolved, fn: (dirfd: number, name: string) => number, isDir = false): number {
  return r.mount.upper ? overlay.create(r, fn, isDir) : inParent(r, fn);
}

/**
 * r, ready for a change the caller may make if need allows: on an overlay, the entry in the
 * upper layer (copied up, without its data when it is about to be truncated).
 */
export function changeable(r: Resolved, need: overlay.Need, data = true): Resolved | number {
  return r.mount.upper ? overlay.changeable(r, need, data) : r;
}

/** unlink (or rmdir, isDir) r. */
export function removeEntry(r: Resolved, isDir: boolean): number {
  if (r.mount.upper) return overlay.remove(r, isDir);
  return inParent(r, (fd, name) => host.sys(NR.unlinkat, fd, host.putPath(host.PATH2, name), isDir ? host.AT_REMOVEDIR : 0));
}

/** renameat2(from, to, flags) within one mount. */
export function renameEntry(from: Resolved, to: Resolved, flags: number): number {
  if (from.mount.upper) return overlay.rename(from, to, flags);
  return inParent(from, (ofd, oname) =>
    inParent(to, (nfd, nname) => host.sys(NR.renameat2, ofd, host.putPath(host.PATH1, oname), nfd, host.putPath(host.PATH2, nname), flags)));
}

/** A hard link to from at the missing name to, within one mount. */
export function linkEntry(from: Resolved, to: Resolved): number {
  if (from.mount.upper) return overlay.link(from, to);
  return inParent(from, (ofd, oname) =>
    inParent(to, (nfd, nname) => host.sys(NR.linkat, ofd, host.putPath(host.PATH1, oname), nfd, host.putPath(host.PATH2, nname), 0)));
}

/**
 * The entry an open host file is, for a change by path: its guest path now, if that still
 * names the file or the upper layer's copy of it (EROFS if the name went elsewhere).
 */
export function entryOf(k: Kernel, f: HostFile): Resolved | number {
  const where = currentPath(f);
  if (typeof where === 'number') return where;
  const r = walkFrom(k, '/', where, { follow: false });
  if (typeof r === 'number' || r.mount !== f.mount || host.fstat(f.hostFd) < 0) return -EROFS;
  const dev = host.statDev(), ino = host.statIno();
  // the file as it was opened: the lower layer's entry at that name
  if (host.fstatat(r.mount.rootFd, r.rel, host.AT_SYMLINK_NOFOLLOW) < 0 || host.statDev() !== dev || host.statIno() !== ino) return -EROFS;
  return r;
}
