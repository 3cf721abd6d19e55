// Files whose descriptor in the guest is the real host one: regular files and directories of
// host-backed mounts, device nodes like /dev/null, and the host stdio the sandbox inherited.
// Reads, writes, seeks, fstat, getdents and mmap on them run natively (CONTINUE): the host
// shares the offset between the guest and our own descriptor, exactly as dup would.
import { OpenFile } from './openfile.js';
import type { Mount } from '../fs/mount.js';
import * as host from '../../host/sys.js';

export class HostFile extends OpenFile {
  readonly native = true;
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

  protected override release(): void {
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
