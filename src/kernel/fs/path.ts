// The path walk: guest paths resolved component by component through the mount table, with
// symlinks followed in the guest's view (an absolute target restarts at the guest root), ".."
// crossing mount points, ELOOP after 40 links, ENOTDIR/ENOENT as Linux reports them.
import type { Kernel } from '../kernel.js';
import type { Task } from '../task.js';
import type { Layer, Mount } from './mount.js';
import { forgetCursor, lookup as overlayLookup, foundIn } from './overlay.js';
import { EBADF, ELOOP, ENOENT, ENOTDIR, EXDEV } from '../errno.js';
import * as host from '../../host/sys.js';
import { currentPath } from './where.js';
import { NodeKind, link, type ProcNode } from './procfs.js';
import type { OpenFile } from '../fd/openfile.js';
import { describe } from '../abi/stat.js';

/** st_mode of an open file: the host's for a host descriptor, else the kernel's description. */
function fileMode(f: OpenFile): number {
  const fd = f.statFd();
  if (fd >= 0 && host.fstat(fd) === 0) return host.statMode();
  return describe(f).mode;
}

export const AT_FDCWD = -100;
const MAXSYMLINKS = 40;

export class Resolved {
  constructor(
    /** Absolute, normalized guest path. */
    readonly guest: string,
    readonly mount: Mount,
    /** Path below the mount's host root ("." for the root). */
    readonly rel: string,
    /** st_mode from lstat (or stat when the last link was followed); 0 when missing. */
    readonly mode: number,
    /** The generated node: paths under /proc, /sys, and the links the kernel adds to a view. */
    readonly node?: ProcNode,
    /** A /proc/PID/fd/N link followed to a file no path names (a pipe, inherited stdio). */
    readonly file?: OpenFile,
    /** The host tree the entry is in: the mount's, or an overlay's upper layer (also for a missing entry). */
    readonly layer: Layer = mount,
  ) {}
  /** On an overlay, the entry is the lower layer's (a change must copy it up first). */
  get inLower(): boolean {
    return this.mount.upper !== undefined && this.layer === this.mount;
  }
  get exists(): boolean {
    return this.mode !== 0;
  }
  get isDir(): boolean {
    return (this.mode & host.S_IFMT) === host.S_IFDIR;
  }
  get isSymlink(): boolean {
    return (this.mode & host.S_IFMT) === host.S_IFLNK;
  }
  /** Guest path of the parent directory and the last component. */
  get parent(): string {
    const i = this.guest.lastIndexOf('/');
    return i <= 0 ? '/' : this.guest.slice(0, i);
  }
  get name(): string {
    return this.guest.slice(this.guest.lastIndexOf('/') + 1);
  }
}

export interface WalkOptions {
  /** Follow a symlink in the last component. */
  follow: boolean;
  /** Return a Resolved with mode 0 instead of ENOENT when only the last component is missing. */
  allowMissing?: boolean;
  /** openat2's RESOLVE_* flags (openat2(2)). */
  resolve?: number;
}

export const RESOLVE_NO_XDEV = 0x01;
export const RESOLVE_NO_MAGICLINKS = 0x02;
export const RESOLVE_NO_SYMLINKS = 0x04;
export const RESOLVE_BENEATH = 0x08;
export const RESOLVE_IN_ROOT = 0x10;

/** The guest directory a relative path starts from: the cwd or an open directory. */
export function startDir(k: Kernel, t: Task, dirfd: number): string | number {
  if (dirfd === AT_FDCWD) return t.fs.cwdNow();
  const f = t.files.get(dirfd);
  if (!f) return -EBADF;
  if (!f.isDirectory) return -ENOTDIR;
  return currentPath(f);
}

export function walk(k: Kernel, t: Task, dirfd: number, path: string, opts: WalkOptions): Resolved | number {
  if (path.length === 0) return -ENOENT;
  const scoped = (opts.resolve ?? 0) & (RESOLVE_BENEATH | RESOLVE_IN_ROOT | RESOLVE_NO_XDEV);
  if (path.charCodeAt(0) === 47 /* / */ && !scoped) return walkFrom(k, '/', path, opts, t);
  const start = startDir(k, t, dirfd);
  if (typeof start === 'number') return start;
  return walkFrom(k, start, path, opts, t);
}

/** Components from which one openat2 costs less than an fstatat per component. */
const FAST_WALK_DEPTH = 3;

/**
 * The common case in one host call: a path of plain names inside one host mount (no overlay,
 * filter, added links or generated files), with no symlink on the way. openat2 with
 * RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS finds exactly the entry the walk below would, or fails
 * (a symlink, "..", a missing name), and then the walk below decides.
 */
function fastWalk(k: Kernel, start: string, path: string, follow: boolean): Resolved | undefined {
  if (path.includes('..') || path.includes('//') || path.includes('/./') || path.endsWith('/') || path.endsWith('/.') || path.startsWith('./')) return undefined;
  // the walk below stats each component of path itself (not of start): count those
  let depth = path.charCodeAt(0) === 47 ? 0 : 1;
  for (let i = path.indexOf('/'); i >= 0; i = path.indexOf('/', i + 1)) depth++;
  if (depth < FAST_WALK_DEPTH) return undefined;
  const guest = path.charCodeAt(0) === 47 ? path : start === '/' ? '/' + path : start + '/' + path;
  const m = k.mounts.lookup(guest);
  if (m.generated || m.upper || m.only || m.entry !== undefined || m.links) return undefined;
  const rel = m.rel(guest);
  if (rel === '.') return undefined;
  const fd = host.openat2(m.rootFd, rel, host.O_PATH | host.O_NOFOLLOW | host.O_CLOEXEC, 0, RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS);
  if (fd < 0) return undefined;
  const r = host.fstat(fd);
  const mode = host.statMode();
  host.close(fd);
  if (r < 0 || (follow && (mode & host.S_IFMT) === host.S_IFLNK)) return undefined;
  return new Resolved(guest, m, rel, mode);
}

/**
 * Walk path from the guest directory start (absolute paths ignore it, unless RESOLVE_BENEATH
 * forbids them or RESOLVE_IN_ROOT makes start the root).
 */
export function walkFrom(k: Kernel, start: string, path: string, opts: WalkOptions, t?: Task): Resolved | number {
  if (path.length === 0) return -ENOENT;
  const resolve = opts.resolve ?? 0;
  if (resolve === 0) {
    const fast = fastWalk(k, start, path, opts.follow);
    if (fast) return fast;
  }
  const base = start === '/' ? [] : start.slice(1).split('/');
  // RESOLVE_BENEATH and RESOLVE_IN_ROOT: nothing above start; ".." stops there or fails
  const floor = resolve & (RESOLVE_BENEATH | RESOLVE_IN_ROOT) ? base.length : 0;
  const startMount = resolve & RESOLVE_NO_XDEV ? k.mounts.lookup(start) : undefined;
  const absolute = path.charCodeAt(0) === 47;
  if (absolute && resolve & RESOLVE_BENEATH) return -EXDEV;
  let cur: string[] = absolute && !(resolve & RESOLVE_IN_ROOT) ? [] : base.slice();
  let follow = opts.follow;
  let mustDir = false;
  // "dir/" and "dir/." name the directory a link in "dir" leads to (path_resolution(7))
  if ((path.length > 1 && path.charCodeAt(path.length - 1) === 47) || path === '.' || path.endsWith('/.')) {
    mustDir = true;
    follow = true;
  }
  const todo = path.split('/').filter((c) => c !== '' && c !== '.');
  todo.reverse(); // pop() takes the next component
  let links = 0;
  let mode = host.S_IFDIR; // the start is a directory
  let layer: Layer | undefined; // where the last component was found (undefined: look again)
  forgetCursor();
  while (todo.length > 0) {
    const name = todo.pop()!;
    if (name === '..') {
      if (cur.length <= floor) {
        if (resolve & RESOLVE_BENEATH) return -EXDEV;
        continue; // RESOLVE_IN_ROOT: ".." of the root is the root
      }
      cur.pop();
      mode = host.S_IFDIR;
      layer = undefined;
      continue;
    }
    const last = todo.length === 0;
    cur.push(name);
    const guest = '/' + cur.join('/');
    const m = k.mounts.lookup(guest);
    if (m.generated) {
      layer = undefined;
      const node = m.generated.lookup(t, m.rel(guest));
      if (!node) {
        if (last && opts.allowMissing) return new Resolved(guest, m, m.rel(guest), 0);
        return -ENOENT;
      }
      if (node.kind === NodeKind.Link && (!last || follow)) {
        if (resolve & RESOLVE_NO_SYMLINKS) return -ELOOP;
        if (++links > MAXSYMLINKS) return -ELOOP;
        cur.pop();
        const jump = node.jump?.();
        if (node.jump) {
          // a magic link jumps straight to the file it names
          if (resolve & RESOLVE_NO_MAGICLINKS) return -ELOOP;
          if (resolve & (RESOLVE_BENEATH | RESOLVE_IN_ROOT)) return -EXDEV;
          if (jump === undefined && node.file) {
            // the walk ends at the open file itself (/dev/stdin when it is a pipe)
            if (!last || (mustDir && !node.file.isDirectory)) return -ENOTDIR;
            return new Resolved(guest, m, m.rel(guest), fileMode(node.file), undefined, node.file);
          }
          if (jump === undefined) return -ENOENT;
          const restPath = [...todo].reverse().join('/');
          return walkFrom(k, '/', jump + (restPath ? '/' + restPath : '') + (mustDir ? '/' : ''), { ...opts, resolve: 0 }, t);
        }
        const target = node.target!();
        if (target.charCodeAt(0) === 47) cur = [];
        const parts = target.split('/').filter((c) => c !== '' && c !== '.');
        for (let i = parts.length - 1; i >= 0; i--) todo.push(parts[i]);
        mode = host.S_IFDIR;
        continue;
      }
      mode = node.kind === NodeKind.Dir ? host.S_IFDIR | (node.mode ?? 0o555) : node.kind === NodeKind.File ? host.S_IFREG | (node.mode ?? 0o444) : host.S_IFLNK | (node.mode ?? 0o777);
      if (!last && node.kind !== NodeKind.Dir) return -ENOTDIR;
      if (last) {
        if (mustDir && node.kind !== NodeKind.Dir) return -ENOTDIR;
        return new Resolved(guest, m, m.rel(guest), mode, node);
      }
      continue;
    }
    if (startMount && m !== startMount) return -EXDEV;
    const rel = m.rel(guest);
    const made = m.linkAt(rel); // a link the kernel adds to the view (/dev/stdin)
    if (made !== undefined && last && !follow) return new Resolved(guest, m, rel, host.S_IFLNK | 0o777, link(() => made));
    // the entry's st_mode, or -errno
    let st: number;
    layer = m;
    if (made !== undefined) st = host.S_IFLNK | 0o777;
    else if (m.upper) {
      st = overlayLookup(m, rel);
      layer = foundIn;
    } else if (!m.visible(rel)) st = -ENOENT;
    else {
      const r = host.fstatat(m.rootFd, rel, host.AT_SYMLINK_NOFOLLOW);
      st = r === 0 ? host.statMode() : r;
    }
    if (st < 0) {
      if (st === -ENOENT && k.mounts.leadsToMount(guest)) {
        mode = host.S_IFDIR | 0o755;
        layer = undefined;
        continue;
      }
      if (st === -ENOENT && last && opts.allowMissing) return new Resolved(guest, m, rel, 0, undefined, undefined, m.upper ?? m);
      return st;
    }
    mode = st;
    const type = mode & host.S_IFMT;
    if (type === host.S_IFLNK && (!last || follow)) {
      if (resolve & RESOLVE_NO_SYMLINKS) return -ELOOP;
      if (++links > MAXSYMLINKS) return -ELOOP;
      const target = made ?? host.readlinkat(layer.rootFd, rel);
      if (typeof target === 'number') return target;
      cur.pop();
      layer = undefined;
      if (target.charCodeAt(0) === 47) {
        if (resolve & RESOLVE_BENEATH) return -EXDEV;
        cur = resolve & RESOLVE_IN_ROOT ? base.slice() : [];
      }
      const parts = target.split('/').filter((c) => c !== '' && c !== '.');
      if (parts.length === 0 && target.charCodeAt(0) !== 47) return -ENOENT;
      for (let i = parts.length - 1; i >= 0; i--) todo.push(parts[i]);
      if (target.endsWith('/')) mustDir = true;
      mode = host.S_IFDIR;
      continue;
    }
    if (!last && type !== host.S_IFDIR) return -ENOTDIR;
  }
  const guest = '/' + cur.join('/');
  const m = k.mounts.lookup(guest);
  if (mustDir && (mode & host.S_IFMT) !== host.S_IFDIR) return -ENOTDIR;
  if (m.generated) {
    // the walk ended on a directory it entered ("/proc", "/proc/self/..")
    const node = m.generated.lookup(t, m.rel(guest));
    if (node) return new Resolved(guest, m, m.rel(guest), host.S_IFDIR | (node.mode ?? 0o555), node);
  }
  if (m.upper && layer === undefined) {
    // the walk ended on a directory it went back to ("a/b/..", ".", a symlink's target)
    const st = overlayLookup(m, m.rel(guest));
    if (st >= 0) return new Resolved(guest, m, m.rel(guest), st, undefined, undefined, foundIn);
  }
  return new Resolved(guest, m, m.rel(guest), mode, undefined, undefined, layer ?? m);
}
