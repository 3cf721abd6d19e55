// Lookups and listings in an overlay mount (Documentation/filesystems/overlayfs.rst): a name is
// the upper layer's if the upper has it, else the lower layer's, unless the upper deletes it.
// Deletions and opaque directories are marked as OCI image layers mark them, so that they need
// no privilege: a file ".wh.NAME" in an upper directory hides NAME of the lower, and a file
// ".wh..wh..opq" in an upper directory hides the whole lower directory under it. Names starting
// with ".wh." are therefore never visible in an overlay (and cannot be created there).
import * as host from '../../host/sys.js';
import type { Layer, Mount } from './mount.js';
import { ENOENT, ENOTDIR } from '../errno.js';
import { NR } from '../abi/sysnames.js';

export const WHITEOUT_PREFIX = '.wh.';
export const OPAQUE = '.wh..wh..opq';
const NOFOLLOW = host.AT_SYMLINK_NOFOLLOW;
const SAFE_RESOLVE = host.RESOLVE_BENEATH | host.RESOLVE_NO_SYMLINKS;

export function parentOf(rel: string): string {
  const i = rel.lastIndexOf('/');
  return i < 0 ? '.' : rel.slice(0, i);
}

export function nameOf(rel: string): string {
  return rel.slice(rel.lastIndexOf('/') + 1);
}

export function childOf(dir: string, name: string): string {
  return dir === '.' ? name : `${dir}/${name}`;
}

export function isWhiteoutName(name: string): boolean {
  return name.startsWith(WHITEOUT_PREFIX);
}

function isDir(mode: number): boolean {
  return (mode & host.S_IFMT) === host.S_IFDIR;
}

// What the walk knows of the directory it is in, so that going down one component costs one
// host lookup where the upper layer has nothing: reset before each walk (the layers change
// between walks, never during one).
let curMount: Mount | undefined;
let curDir = '';
/** The upper layer has the directory. */
let curUpper = false;
/** The lower layer's directory shows through (no upper directory on the way is opaque). */
let curLower = true;

export function forgetCursor(): void {
  curMount = undefined;
}

function remember(m: Mount, dir: string, upper: boolean, lower: boolean): void {
  curMount = m;
  curDir = dir;
  curUpper = upper;
  curLower = lower;
}

/** Set the cursor to the directory dir (below the root), checking every upper directory on the way. */
function enter(m: Mount, dir: string): void {
  if (curMount === m && curDir === dir) return;
  const up = m.upper!.rootFd;
  let upper = true;
  let lower = host.fstatat(up, OPAQUE, NOFOLLOW) !== 0;
  if (dir !== '.') {
    let p = '';
    for (const c of dir.split('/')) {
      p = p ? `${p}/${c}` : c;
      upper = host.fstatat(up, p, NOFOLLOW) === 0 && isDir(host.statMode());
      if (!upper) break; // nothing deeper in the upper layer either
      if (lower) lower = host.fstatat(up, `${p}/${OPAQUE}`, NOFOLLOW) !== 0;
    }
  }
  remember(m, dir, upper, lower);
}

/** The layer the last lookup found its entry in. */
export let foundIn: Layer;

/**
 * lstat of rel (below the mount's root) in the overlay: its st_mode, or -errno. foundIn says
 * which layer has it. The struct stat in host.scratch is the entry's only when lowerHas is
 * called right after (see lookup's callers: they use the mode returned).
 */
export function lookup(m: Mount, rel: string): number {
  const upper = m.upper!;
  if (rel === '.') {
    enter(m, '.');
    foundIn = upper;
    return host.fstat(upper.rootFd) === 0 ? host.statMode() : -ENOENT;
  }
  const name = nameOf(rel);
  if (isWhiteoutName(name)) return -ENOENT;
  const dir = parentOf(rel);
  enter(m, dir);
  const lowerShows = curLower;
  if (curUpper) {
    const r = host.fstatat(upper.rootFd, rel, NOFOLLOW);
    if (r === 0) {
      const mode = host.statMode();
      foundIn = upper;
      if (isDir(mode)) remember(m, rel, true, lowerShows && host.fstatat(upper.rootFd, `${rel}/${OPAQUE}`, NOFOLLOW) !== 0);
      return mode;
    }
    if (r !== -ENOENT && r !== -ENOTDIR) return r;
    if (!lowerShows) return -ENOENT;
    if (host.fstatat(upper.rootFd, childOf(dir, WHITEOUT_PREFIX + name), NOFOLLOW) === 0) return -ENOENT;
  } else if (!lowerShows) return -ENOENT;
  const r = host.fstatat(m.rootFd, rel, NOFOLLOW);
  if (r < 0) return r;
  const mode = host.statMode();
  foundIn = m;
  if (isDir(mode)) remember(m, rel, false, true);
  return mode;
}

/** Whether the lower layer has rel and the overlay lets it show (a deletion must hide it). */
export function lowerHas(m: Mount, rel: string): boolean {
  if (rel === '.') return true;
  forgetCursor(); // the layers may have changed since the walk
  enter(m, parentOf(rel));
  return curLower && host.fstatat(m.rootFd, rel, NOFOLLOW) === 0;
}

/** Whether the lower layer shows through the directory rel. */
export function lowerShowsIn(m: Mount, rel: string): boolean {
  forgetCursor();
  enter(m, rel);
  return curLower;
}

/** Whether both layers make up the directory rel (overlayfs's merged one: not opaque). */
export function isMerged(m: Mount, rel: string): boolean {
  return upperHas(m, rel) && lowerHas(m, rel) && lowerShowsIn(m, rel);
}

/** Whether the upper layer has rel (not following a last symlink). */
export function upperHas(m: Mount, rel: string): boolean {
  return host.fstatat(m.upper!.rootFd, rel, NOFOLLOW) === 0;
}

/** An entry of a directory listing: d_ino, d_type and name as getdents64 gives them. */
export interface DirEntry {
  ino: bigint;
  type: number;
  name: string;
}

/** Every entry of the host directory dir (below root) but "." and "..", or -errno. */
export function listHostDir(root: number, dir: string): DirEntry[] | number {
  const fd = host.openat2(root, dir, host.O_DIRECTORY | host.O_CLOEXEC, 0, SAFE_RESOLVE);
  if (fd < 0) return fd;
  const out: DirEntry[] = [];
  try {
    for (;;) {
      const n = host.sys(NR.getdents64, fd, host.addr(host.DATA), 65536);
      if (n < 0) return n;
      if (n === 0) return out;
      for (let at = host.DATA; at < host.DATA + n; ) {
        const reclen = host.scratchView.getUint16(at + 16, true);
        const end = host.scratch.indexOf(0, at + 19);
        const name = host.scratch.toString('latin1', at + 19, end);
        if (name !== '.' && name !== '..') out.push({ ino: host.scratchView.getBigUint64(at, true), type: host.scratch[at + 18], name });
        at += reclen;
      }
    }
  } finally {
    host.close(fd);
  }
}

/**
 * The merged listing of the directory rel: the upper layer's entries, then the lower layer's
 * that the upper neither has nor deletes, without the whiteouts (as ovl_iterate merges them).
 */
export function mergedList(m: Mount, rel: string): DirEntry[] | number {
  const out: DirEntry[] = [];
  const hidden = new Set<string>();
  let opaque = false;
  const up = listHostDir(m.upper!.rootFd, rel);
  if (typeof up === 'number') {
    if (up !== -ENOENT && up !== -ENOTDIR) return up;
  } else {
    for (const e of up) {
      if (isWhiteoutName(e.name)) {
        if (e.name === OPAQUE) opaque = true;
        else hidden.add(e.name.slice(WHITEOUT_PREFIX.length));
        continue;
      }
      hidden.add(e.name);
      out.push(e);
    }
  }
  if (opaque || !lowerShowsIn(m, rel)) return out;
  const low = listHostDir(m.rootFd, rel);
  if (typeof low === 'number') return low === -ENOENT || low === -ENOTDIR ? out : low;
  for (const e of low) if (!hidden.has(e.name) && !isWhiteoutName(e.name)) out.push(e);
  return out;
}
