// Tasks and thread groups. Every guest thread is a real host task with the host's tid; the
// kernel mirrors what it needs: the process tree, each task's FdTable and FsContext (shared by
// CLONE_FILES and CLONE_FS), resource limits, and the syscall it is parked in, if any.
import type { FdTable } from './fd/fdtable.js';
import type { OpenFile } from './fd/openfile.js';
import { currentPath } from './fs/where.js';
import type { Waiter } from './wait.js';

/** Linux's fs_struct: the working directory (an open directory, so it follows renames) and umask. */
export class FsContext {
  users = 0;
  constructor(
    private dir: OpenFile,
    public umask = 0o022,
  ) {
    dir.incRef();
  }
  /** The working directory's guest path now (its last known path if it was removed). */
  get cwd(): string {
    const p = currentPath(this.dir);
    return typeof p === 'string' ? p : this.dir.whereNow || this.dir.guestPath;
  }
  /** The guest path now, or -ENOENT when the directory was removed. */
  cwdNow(): string | number {
    return currentPath(this.dir);
  }
  get cwdFile(): OpenFile {
    return this.dir;
  }
  setDir(dir: OpenFile): void {
    dir.incRef();
    this.dir.decRef();
    this.dir = dir;
  }
  copy(): FsContext {
    return new FsContext(this.dir, this.umask);
  }
  release(): void {
    this.dir.decRef();
  }
}

export const RLIMIT_NOFILE = 7;
export const RLIM_INFINITY = -1;

export class ThreadGroup {
  readonly threads = new Map<number, Task>();
  readonly children = new Set<ThreadGroup>();
  exitStatus: number | undefined;
  /** Guest path of the running program, for /proc/self/exe. */
  exe = '';
  /** [soft, hard] per resource; only what the kernel enforces is kept. */
  nofile: [number, number] = [1024, 1048576];
  /** It armed a timer (alarm, setitimer, timer_settime): signals may come at any time. */
  timers = false;
  /** Until when (ms, CLOCK_MONOTONIC) a signal sent to it is expected (see Kernel.expectSignal). */
  expectSignalUntil = 0;
  /** /proc/PID/oom_score_adj (the kernel's record; the host's OOM killer does not see it). */
  oomScoreAdj = 0;
  oomScoreAdjMin = 0;
  constructor(
    public tgid: number,
    public parent: ThreadGroup | undefined,
  ) {}
}

/** A result the guest did not receive because a signal interrupted it first. */
export class Undelivered {
  readonly nr: number;
  readonly lo: Uint32Array;
  readonly hi: Uint32Array;
  constructor(
    c: { nr: number; lo: Uint32Array; hi: Uint32Array },
    readonly result: number,
  ) {
    this.nr = c.nr;
    this.lo = c.lo.slice();
    this.hi = c.hi.slice();
  }
  matches(c: { nr: number; lo: Uint32Array; hi: Uint32Array }): boolean {
    if (c.nr !== this.nr) return false;
    for (let i = 0; i < 6; i++) if (c.lo[i] !== this.lo[i] || c.hi[i] !== this.hi[i]) return false;
    return true;
  }
}

export interface Commit {
  /** Notification id of the answered call. */
  id: number;
  call: Undelivered;
  /** Take the effect back; false when no longer possible. */
  undo: () => boolean;
}

export class Task {
  /** The syscall this task is parked in, answered later by a wait queue or timer. */
  parked: Waiter | undefined;
  /** In a group stop (SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU) until a signal or call shows it runs. */
  groupStopped = false;
  /**
   * What the last answered syscall committed, and how to take it back: a signal that reaches
   * the thread between our answer and its wake-up makes the host drop the answer (see
   * Kernel.signalled). suspect is set when that may have happened.
   */
  lastCommit: Commit | undefined;
  suspect: Commit | undefined;
  /** The deadline of a timed wait a signal ended, kept if the same call restarts. */
  restartDeadline: { call: Undelivered; deadline: number } | undefined;
  /** The last result a signal kept from the guest, replayed if it restarts that same call. */
  undelivered: Undelivered | undefined;
  /** Guest path of a program this task is exec'ing, recorded at the execve stop. */
  pendingExe: string | undefined;
  /** The name exec gives the task when the kernel rewrote the call (the host would name it after what it ran). */
  pendingComm: string | undefined;
  /**
   * The task's name (comm) where it differs from the host's: after an exec the kernel rewrote, or
   * prctl(PR_SET_NAME). The host refuses to rename another process's task.
   */
  comm: string | undefined;
  constructor(
    public tid: number,
    public group: ThreadGroup,
    public files: FdTable,
    public fs: FsContext,
  ) {
    files.users++;
    fs.users++;
  }
  get tgid(): number {
    return this.group.tgid;
  }
}
