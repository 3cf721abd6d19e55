// Host operations on resolved guest paths: always relative to the mount's root descriptor with
// no symlink followed (the walk already followed them in the guest's view).
import type { Resolved } from './path.js';
import * as host from '../../host/sys.js';
import { EBUSY } from '../errno.js';

export const SAFE_RESOLVE = host.RESOLVE_BENEATH | host.RESOLVE_NO_SYMLINKS;

function dirOf(rel: string): string {
  const i = rel.lastIndexOf('/');
  return i < 0 ? '.' : rel.slice(0, i);
}

/** fn(parentFd, name) on the parent directory of r (EBUSY for a mount root). */
export function inParent(r: Resolved, fn: (dirfd: number, name: string) => number): number {
  if (r.rel === '.') return -EBUSY;
  const name = r.rel.slice(r.rel.lastIndexOf('/') + 1);
  return host.withDir(r.mount.rootFd, dirOf(r.rel), (fd) => fn(fd, name));
}

/** Open r itself on the host. */
export function openResolved(r: Resolved, flags: number, mode = 0): number {
  return host.openat2(r.mount.rootFd, r.rel, flags | host.O_CLOEXEC, mode, SAFE_RESOLVE);
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
