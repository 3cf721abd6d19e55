// MountTable: the guest's view of the filesystem. Each mount maps a guest directory onto a host
// directory, read-only or read-write, or onto an overlay of a read-only host directory (lower)
// and a writable one (upper); the longest matching guest prefix wins.
import * as host from '../../host/sys.js';
import type { GeneratedFs } from './procfs.js';

export interface MountSpec {
  guest: string;
  host: string;
  readOnly: boolean;
  /** Device nodes may be opened (the /dev view); elsewhere they are refused like nodev. */
  devices?: boolean;
  /** Only these top-level names are visible (the /dev view of a few host devices). */
  only?: string[];
  /** Symbolic links the kernel shows at the top of this mount, name -> target (/dev/fd, /dev/stdin). */
  links?: Record<string, string>;
  /** A filesystem the kernel generates (the host directory only anchors it). */
  generated?: 'proc' | 'sysfs' | 'cgroup2';
  /** The filesystem type /proc/mounts shows (default starryfs, a host-backed directory). */
  type?: string;
  /** A single-file mount: guest is that file, the host file is this entry of the host directory. */
  entry?: string;
  /** An overlay: host is the read-only lower layer and this host directory the upper (fs/overlay.ts). */
  upper?: string;
}

/** A host directory tree files are found in: a mount's own, or an overlay's upper layer. */
export interface Layer {
  /** O_PATH descriptor of the host directory: every host lookup is relative to it. */
  readonly rootFd: number;
  readonly host: string;
}

/** The writable layer of an overlay mount. */
export class UpperLayer implements Layer {
  readonly rootFd: number;
  constructor(readonly host: string) {
    const fd = host_open(host);
    if (fd < 0) throw new Error(`starry-sandbox: cannot use ${host} as an overlay's upper layer: ${errnoText(-fd)}`);
    this.rootFd = fd;
  }
}

export class Mount implements Layer {
  /** O_PATH descriptor of the host directory (an overlay's lower layer): every host lookup is relative to it. */
  readonly rootFd: number;
  /** An overlay's upper layer; the mount itself is then the lower one. */
  upper: UpperLayer | undefined;
  /** Set for procfs, sysfs and cgroup2: lookups go to the kernel, not the host. */
  generated: GeneratedFs | undefined;
  /** Mount id and parent's mount id, as /proc/self/mountinfo numbers them. */
  id = 0;
  parentId = 0;
  type = 'starryfs';
  constructor(
    readonly guest: string,
    readonly host: string,
    readonly readOnly: boolean,
    readonly devices = false,
    readonly only: ReadonlySet<string> | undefined = undefined,
    readonly entry: string | undefined = undefined,
    readonly links: ReadonlyMap<string, string> | undefined = undefined,
  ) {
    const fd = host_open(host);
    if (fd < 0) throw new Error(`starry-sandbox: cannot mount ${host} at ${guest}: ${errnoText(-fd)}`);
    this.rootFd = fd;
  }

  /** The target of a kernel-made link at rel (a top-level name), if there is one. */
  linkAt(rel: string): string | undefined {
    return this.links?.get(rel);
  }

  /** The host trees files of this mount live in, the upper layer first. */
  layers(): Layer[] {
    return this.upper ? [this.upper, this] : [this];
  }

  /** The names at the top of a filtered view (only + links) that exist. */
  topNames(): string[] {
    const names = [...(this.only ?? [])].filter((n) => !this.links?.has(n) && host.fstatat(this.rootFd, n, host.AT_SYMLINK_NOFOLLOW) === 0);
    return [...names, ...(this.links?.keys() ?? [])];
  }

  /** The file type bits (S_IFMT) of a top-level name of the view. */
  typeAt(name: string): number {
    if (this.links?.has(name)) return host.S_IFLNK;
    return host.fstatat(this.rootFd, name, host.AT_SYMLINK_NOFOLLOW) === 0 ? host.statMode() & host.S_IFMT : 0;
  }

  private devCache = -1;
  /** st_dev of the host directory, for the inodes the kernel adds to it (its links). */
  hostDev(): number {
    if (this.devCache < 0) this.devCache = host.fstat(this.rootFd) === 0 ? host.statDev() : 0;
    return this.devCache;
  }

  /** Whether rel (below the root) is visible through this mount. */
  visible(rel: string): boolean {
    if (!this.only || rel === '.') return true;
    const i = rel.indexOf('/');
    return this.only.has(i < 0 ? rel : rel.slice(0, i));
  }

  /** The path below this mount's root for a guest path under it ("." for the root itself). */
  rel(guestPath: string): string {
    if (guestPath === this.guest) return this.entry ?? '.';
    return this.guest === '/' ? guestPath.slice(1) : guestPath.slice(this.guest.length + 1);
  }

  /** The host path for a guest path under this mount (for execve and the CLI), in layer. */
  hostPath(guestPath: string, layer: Layer = this): string {
    return hostPathIn(layer, this.rel(guestPath));
  }
}

/** The host path of rel (below the layer's root, "." for the root). */
export function hostPathIn(layer: Layer, rel: string): string {
  if (rel === '.') return layer.host;
  return layer.host.endsWith('/') ? layer.host + rel : `${layer.host}/${rel}`;
}

function host_open(path: string): number {
  return host.openat2(host.AT_FDCWD, path, host.O_PATH | host.O_CLOEXEC | host.O_DIRECTORY, 0, 0);
}

function errnoText(e: number): string {
  return e === 2 ? 'No such file or directory' : e === 20 ? 'Not a directory' : `errno ${e}`;
}

/** The root's parent, outside the sandbox, as in a container's mount namespace. */
const FIRST_MOUNT_ID = 21;

export class MountTable {
  private mounts: Mount[] = [];

  add(spec: MountSpec, generated?: Record<string, GeneratedFs>): Mount {
    const guest = normalize(spec.guest);
    const links = spec.links ? new Map(Object.entries(spec.links)) : undefined;
    const m = new Mount(guest, spec.host, spec.readOnly, spec.devices ?? false, spec.only ? new Set(spec.only) : undefined, spec.entry, links);
    if (spec.generated) m.generated = generated?.[spec.generated];
    if (spec.upper !== undefined) m.upper = new UpperLayer(spec.upper);
    m.type = spec.type ?? spec.generated ?? (m.upper ? 'overlay' : 'starryfs');
    this.mounts = this.mounts.filter((x) => x.guest !== guest);
    this.mounts.push(m);
    // longest guest prefix first, for lookups; mount ids in mountinfo's order (parents first)
    this.mounts.sort((a, b) => b.guest.length - a.guest.length);
    this.mounts.forEach((x, i) => (x.id = FIRST_MOUNT_ID + this.mounts.length - 1 - i));
    for (const x of this.mounts) {
      const dir = x.guest.slice(0, Math.max(1, x.guest.lastIndexOf('/')));
      const parent = x.guest === '/' ? undefined : this.mounts.find((p) => p.guest === '/' || dir === p.guest || (!p.entry && dir.startsWith(p.guest + '/')));
      x.parentId = parent ? parent.id : FIRST_MOUNT_ID - 1;
    }
    return m;
  }

  /** The mount a resolved (absolute, normalized) guest path lives on. */
  lookup(guestPath: string): Mount {
    for (const m of this.mounts) {
      if (m.guest === '/' || guestPath === m.guest || (!m.entry && guestPath.startsWith(m.guest + '/'))) return m;
    }
    throw new Error('starry-sandbox: no root mount');
  }

  /**
   * Whether a mount point lies below guestPath: the path is then a directory of the view even
   * where the mount beneath has no such directory (a working directory under /tmp, say).
   */
  leadsToMount(guestPath: string): boolean {
    const prefix = guestPath === '/' ? '/' : guestPath + '/';
    return this.mounts.some((m) => m.guest.startsWith(prefix));
  }

  /** Whether guestPath is exactly a mount point other than the root. */
  isMountPoint(guestPath: string): boolean {
    return guestPath !== '/' && this.mounts.some((m) => m.guest === guestPath);
  }

  /** Every mount, longest guest path first. */
  all(): readonly Mount[] {
    return this.mounts;
  }

  /** The guest path a host path is visible at, if any mount shows it (longest host prefix first). */
  guestPathOf(hostPath: string): string | undefined {
    let best: string | undefined;
    let bestLen = -1;
    for (const m of this.mounts) {
      if (m.generated) continue;
      for (const layer of m.layers()) {
        if (layer.host.length <= bestLen) continue;
        let rel: string | undefined;
        if (m.entry) {
          if (hostPath !== (m.host.endsWith('/') ? m.host : m.host + '/') + m.entry) continue;
          rel = '.';
        } else rel = relBelow(layer.host, hostPath);
        if (rel === undefined) continue;
        const guest = rel === '.' ? m.guest : m.guest === '/' ? '/' + rel : `${m.guest}/${rel}`;
        // shadowed by another mount, or outside a filtered view: not visible there
        if (this.lookup(guest) !== m || !m.visible(rel)) continue;
        best = guest;
        bestLen = layer.host.length;
      }
    }
    return best;
  }
}

/** hostPath below the host directory root, "." for root itself; undefined when outside it. */
export function relBelow(root: string, hostPath: string): string | undefined {
  if (hostPath === root) return '.';
  if (root === '/') return hostPath.startsWith('/') ? hostPath.slice(1) : undefined;
  return hostPath.startsWith(root + '/') ? hostPath.slice(root.length + 1) : undefined;
}

/** Lexically normalize an absolute path: no ".", "..", or repeated slashes. */
export function normalize(p: string): string {
  const out: string[] = [];
  for (const c of p.split('/')) {
    if (c === '' || c === '.') continue;
    if (c === '..') out.pop();
    else out.push(c);
  }
  return '/' + out.join('/');
}
