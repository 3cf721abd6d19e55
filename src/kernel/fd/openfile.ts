// An open file description (Linux's struct file): shared by every descriptor that dup, fork or
// SCM_RIGHTS made from it. Every guest descriptor is backed by a real host descriptor at the
// same number: host files by themselves, kernel objects by an inert placeholder, so the host's
// fork, exec and close keep the guest's table consistent with ours (DESIGN.md section 3).
import type { Kernel } from '../kernel.js';
import type { Task } from '../task.js';
import { EINVAL, ESPIPE, ENOTTY } from '../errno.js';
import { WaitQueue } from '../wait.js';
import type { AsyncNotify, FileOwner } from './fasync.js';
import type { Mount } from '../fs/mount.js';

export const O_ACCMODE = 3;
export const O_RDONLY = 0;
export const O_WRONLY = 1;
export const O_RDWR = 2;
export const O_CREAT = 0o100;
export const O_EXCL = 0o200;
export const O_NOCTTY = 0o400;
export const O_TRUNC = 0o1000;
export const O_APPEND = 0o2000;
export const O_NONBLOCK = 0o4000;
export const O_DSYNC = 0o10000;
export const O_ASYNC = 0o20000;
export const O_DIRECT = 0o40000;
export const O_LARGEFILE = 0o100000;
export const O_DIRECTORY = 0o200000;
export const O_NOFOLLOW = 0o400000;
export const O_NOATIME = 0o1000000;
export const O_CLOEXEC = 0o2000000;
export const O_SYNC = 0o4010000;
export const O_PATH = 0o10000000;
export const O_TMPFILE = 0o20200000;

/** What poll reports for files that do not wait (regular files): Linux's DEFAULT_POLLMASK. */
export const DEFAULT_POLLMASK = 0x001 | 0x004 | 0x040 | 0x100;

export abstract class OpenFile {
  refs = 0;
  /** Status flags as F_GETFL reports them (access mode included). */
  flags: number;
  /** The host descriptor installed in guests for this file (owned unless borrowed). */
  abstract readonly hostFd: number;
  /** True when reads, writes and most calls run natively on the host descriptor. */
  abstract readonly native: boolean;
  /** The guest path it was opened by, for dirfd-relative lookups and /proc. */
  guestPath = '';
  /** An O_TMPFILE file: no name, so /proc/PID/fd/N hands out the file itself (for linkat). */
  unnamed = false;
  /** The mount a host file was opened on (undefined for kernel objects and borrowed stdio). */
  get mount(): Mount | undefined {
    return undefined;
  }
  /** Cache of where the file is now (see fs/where.ts). */
  whereGen = -1;
  whereNow = '';
  /** Opened on a directory (a valid dirfd for *at calls). */
  isDirectory = false;
  readonly waitQueue = new WaitQueue();
  /** F_SETOWN: who signal-driven I/O tells; F_SETSIG: with which signal (0: SIGIO). */
  fown: FileOwner | undefined;
  fownSig = 0;
  /** Listening for O_ASYNC (the kernel's own files only). */
  asyncNotify: AsyncNotify | undefined;

  constructor(flags: number) {
    this.flags = flags;
  }

  get readable(): boolean {
    return (this.flags & O_ACCMODE) !== O_WRONLY && !(this.flags & O_PATH);
  }
  get writable(): boolean {
    const m = this.flags & O_ACCMODE;
    return (m === O_WRONLY || m === O_RDWR) && !(this.flags & O_PATH);
  }
  get nonblocking(): boolean {
    return (this.flags & O_NONBLOCK) !== 0;
  }

  /** A host descriptor fstat can describe this file by, or -1 when the kernel describes it. */
  statFd(): number {
    return this.native ? this.hostFd : -1;
  }

  /** The queue a blocked reader (write=false) or writer waits on. */
  queueFor(_write: boolean): WaitQueue {
    return this.waitQueue;
  }

  /** Current readiness for events, as poll(2) reports it (errors and hangups always). */
  pollMask(_events: number): number {
    return DEFAULT_POLLMASK;
  }

  /**
   * The queues notified when the mask may change, armed for events (a host descriptor's
   * watch is one-shot: call again before each wait).
   */
  pollQueues(_events: number): WaitQueue[] {
    return [this.waitQueue];
  }

  /** Emulated read into guest memory: bytes, -errno, -EAGAIN to block, or ANSWERED. */
  read(_k: Kernel, _t: Task, _slot: number, _iov: IoVec): number {
    return -EINVAL;
  }
  write(_k: Kernel, _t: Task, _slot: number, _iov: IoVec): number {
    return -EINVAL;
  }
  /** Emulated read at an offset (files the kernel generates); pipes and the like: ESPIPE. */
  pread(_k: Kernel, _t: Task, _slot: number, _iov: IoVec, _offset: number): number {
    return -ESPIPE;
  }
  seek(_offset: number, _whence: number): number {
    return -ESPIPE;
  }
  ioctl(_k: Kernel, _t: Task, _req: number, _arg: number): number {
    return -ENOTTY;
  }
  /** Sets O_APPEND/O_NONBLOCK/O_ASYNC/O_DIRECT/O_NOATIME as F_SETFL does. */
  setFlags(flags: number): number {
    const settable = O_APPEND | O_NONBLOCK | O_ASYNC | O_DIRECT | O_NOATIME;
    this.flags = (this.flags & ~settable) | (flags & settable);
    return 0;
  }
  /** strace's and /proc's name for it, e.g. "pipe:[1234]". */
  describe(): string {
    return this.guestPath;
  }

  /** Things that must let go when the file is released (epoll registrations). */
  holders: Set<{ detach(): void }> | undefined;

  incRef(): void {
    this.refs++;
  }
  decRef(): void {
    if (--this.refs === 0) {
      if (this.holders) for (const h of [...this.holders]) h.detach();
      this.release();
    }
  }
  /** The last descriptor closed. */
  protected release(): void {}
}

/** A guest scatter list (iovec array), already validated and read from guest memory. */
export class IoVec {
  bases: number[] = [];
  lens: number[] = [];
  total = 0;
  reset(): void {
    this.bases.length = 0;
    this.lens.length = 0;
    this.total = 0;
  }
  push(base: number, len: number): void {
    this.bases.push(base);
    this.lens.push(len);
    this.total += len;
  }
}

