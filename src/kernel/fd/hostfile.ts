// Files whose descriptor in the guest is the real host one: regular files and directories of
// host-backed mounts, device nodes like /dev/null, and the host stdio the sandbox inherited.
// Reads, writes, seeks, fstat, getdents and mmap on them run natively (CONTINUE): the host
// shares the offset between the guest and our own descriptor, exactly as dup would.
import { OpenFile, DEFAULT_POLLMASK } from './openfile.js';
import { POLLNVAL, type WaitQueue } from '../wait.js';
import { HostReadiness } from '../../host/readiness.js';
import type { Mount } from '../fs/mount.js';
import * as host from '../../host/sys.js';

export class HostFile extends OpenFile {
  readonly native = true;
  /** Opened in an overlay's lower layer: a change through it must copy the file up first. */
  onLower = false;
  constructor(
    readonly hostFd: number,
    flags: number,
    private readonly onMount: Mount | undefined,
    guestPath: string,
    /** Borrowed descriptors (the sandbox's own stdio) are never closed by us. */
    private readonly owned = true,
  ) {
    super(flags);
    this.guestPath = guestPath;
  }

  override get mount(): Mount | undefined {
    return this.onMount;
  }

  /** Inherited stdio that is a pipe or socket is named as Linux names it ("pipe:[1234]"). */
  override describe(): string {
    if (this.onMount) return this.guestPath;
    const text = host.readlinkat(host.AT_FDCWD, `/proc/self/fd/${this.hostFd}`);
    return typeof text === 'string' && !text.startsWith('/') ? text : this.guestPath;
  }

  private readiness: HostReadiness | undefined;
  /** Regular files and directories are always ready; -1 until known. */
  private alwaysReady = -1;

  private isAlwaysReady(): boolean {
    if (this.alwaysReady < 0) {
      const r = host.fstat(this.hostFd);
      const type = host.statMode() & host.S_IFMT;
      this.alwaysReady = r === 0 && (type === host.S_IFREG || type === host.S_IFDIR) ? 1 : 0;
    }
    return this.alwaysReady === 1;
  }

  /** A regular file or directory: epoll refuses those (EPERM). */
  get isRegular(): boolean {
    return this.isAlwaysReady();
  }

  override pollMask(events: number): number {
    if (this.isAlwaysReady()) return DEFAULT_POLLMASK;
    if (this.released) return POLLNVAL;
    this.readiness ??= new HostReadiness(this.hostFd, this.waitQueue);
    return this.readiness.mask(events);
  }

  override pollQueues(events: number): WaitQueue[] {
    if (this.isAlwaysReady()) return [];
    // once released, hostFd may already name another file of ours: never poll it again (two
    // libuv poll handles on one descriptor abort the process)
    if (this.released) return [];
    this.readiness ??= new HostReadiness(this.hostFd, this.waitQueue);
    this.readiness.arm(events);
    return [this.waitQueue];
  }

  private released = false;

  protected override release(): void {
    this.released = true;
    this.readiness?.close();
    if (this.owned) host.close(this.hostFd);
  }
}

/**
 * The inert host descriptor (/dev/null, read-only) installed at the number of every object the
 * kernel emulates, so that the guest's host table mirrors ours (see OpenFile).
 */
let placeholderFd = -1;
export function placeholder(): number {
  if (placeholderFd < 0) {
    placeholderFd = host.openat2(host.AT_FDCWD, '/dev/null', host.O_CLOEXEC, 0, 0); // O_PATH files cannot be passed by ADDFD
    if (placeholderFd < 0) throw new Error(`starry-sandbox: cannot open /dev/null (errno ${-placeholderFd})`);
  }
  return placeholderFd;
}

/**
 * An O_PATH descriptor. The host refuses to pass O_PATH files with ADDFD, so the guest holds
 * the placeholder and the kernel keeps the real O_PATH descriptor for fstat and *at lookups.
 */
export class PathFile extends OpenFile {
  readonly native = false;
  readonly hostFd = placeholder();
  constructor(
    private readonly pathFd: number,
    flags: number,
    private readonly onMount: Mount,
    guestPath: string,
  ) {
    super(flags);
    this.guestPath = guestPath;
  }
  override get mount(): Mount {
    return this.onMount;
  }
  override statFd(): number {
    return this.pathFd;
  }
  protected override release(): void {
    host.close(this.pathFd);
  }
}
