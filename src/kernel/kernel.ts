// The Starry kernel: the task table, the process tree and syscall dispatch. It talks to guests
// only through a Machine and to the host only through src/host (DESIGN.md section 1).
import type { Machine } from './machine.js';
import { Call, ANSWERED, BLOCKED, CONTINUE } from './call.js';
import { GuestMemory } from './mem.js';
import { MountTable, type MountSpec } from './fs/mount.js';
import { FdTable } from './fd/fdtable.js';
import { HostFile, PathFile } from './fd/hostfile.js';
import { O_RDWR, O_PATH, O_DIRECTORY } from './fd/openfile.js';
import { walkFrom } from './fs/path.js';
import { ProcFs, hostStat } from './fs/procfs.js';
import { SysFs, CgroupFs } from './fs/sysfs.js';
import { openResolved } from './fs/ops.js';
import { Task, ThreadGroup, FsContext, Undelivered, RLIMIT_NOFILE, type Commit } from './task.js';
import * as host from '../host/sys.js';
import { NR } from './abi/sysnames.js';
import { Waiter, type WaitQueue } from './wait.js';
import { TimerQueue, nowMs } from './timers.js';
import { SYSCALL_TABLE } from './syscalls/table.js';
import { SYSCALL_NAMES } from './abi/sysnames.js';
import { EAGAIN, EINTR, EIO, ENOENT, ENOSYS, EPERM, ETIMEDOUT } from './errno.js';
import { execveStop, verifyExecuted } from './syscalls/exec.js';
import { Strace } from './strace.js';
import { UnixNamespace } from './net/unix.js';
import { InetNamespace } from './net/inet.js';
import { NetlinkNamespace } from './net/netlink.js';
import { FifoTable } from './fd/fifo.js';
import { PtyTable } from './fd/pty.js';
import { NR_INIT_NEXT, NR_INIT_STARTED, type InitService } from './init-service.js';
import type { Handler } from './syscalls/types.js';
import type { SignalFd } from './fd/signalfd.js';
import { SyscallProfile } from './profile.js';
import { userSigInfo } from './abi/siginfo.js';
import { uid } from './creds.js';
import { signalState, hasUnblockedSignal, Disposition, type SignalState } from '../host/procstatus.js';

export interface Logger {
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
  isLevelEnabled(level: string): boolean;
}

export interface KernelConfig {
  mounts: MountSpec[];
  /** Guest working directory of the first process. */
  cwd: string;
  hostname: string;
  /** CPUs the sandbox shows (sysfs, cgroup, /proc/cpuinfo and /proc/stat, sched_getaffinity). */
  cpus?: number;
  log: Logger;
  /** Where --strace lines go; no tracing when absent. */
  straceWriter?: (line: string) => void;
  /** Where --trace-json lines go. */
  traceJsonWriter?: (line: string) => void;
  /** Count calls and time per syscall (--profile). */
  profile?: boolean;
  /** The most tasks (threads included) the sandbox may hold, as a pids cgroup's pids.max. */
  pidsMax?: number;
}

export const DEFAULT_PIDS_MAX = 4096;

/** -ERESTARTSYS, -ERESTARTNOINTR, -ERESTARTNOHAND, -ERESTART_RESTARTBLOCK */
const RESTART_CODES = [-512, -513, -514, -516];
/** The private calls of a named sandbox's init. */
const INIT_CALLS = new Set([NR_INIT_NEXT, NR_INIT_STARTED]);

export const CLONE_VM = 0x100;
export const CLONE_FS = 0x200;
export const CLONE_FILES = 0x400;
export const CLONE_THREAD = 0x10000;

export class Kernel {
  readonly mem: GuestMemory;
  readonly mounts = new MountTable();
  readonly tasks = new Map<number, Task>();
  /** The pid or tid given last to a new sandbox task (/proc/loadavg's last field). */
  lastPid = 0;
  readonly groups = new Map<number, ThreadGroup>();
  readonly log: Logger;
  readonly strace: Strace | undefined;
  readonly hostname: string;
  readonly cpus: number;
  /** The sandbox's network: its unix socket names and its private loopback stack. */
  readonly unix = new UnixNamespace();
  readonly inet = new InetNamespace();
  readonly netlink = new NetlinkNamespace();
  /** The pipes behind FIFO files, by file identity. */
  readonly fifos = new FifoTable();
  /** --profile: calls and time in the kernel per syscall (undefined: not profiling). */
  readonly profile: SyscallProfile | undefined;
  /** Live signalfds: the signal watch tells their pollers when a signal arrives. */
  readonly signalFds = new Set<SignalFd>();
  /** The pseudo-terminals the sandbox made (only these open under /dev/pts). */
  readonly ptys = new PtyTable();
  init: ThreadGroup | undefined;
  /** Every deadline of the kernel. */
  readonly timers = new TimerQueue();
  /** Where the kernel learns a thread's disposition of a signal (the host's, for now). */
  signalState: (tid: number, sig: number) => SignalState = signalState;
  /** Called once when the first guest process has exited, with its wait status. */
  onInitExit: ((status: number) => void) | undefined;
  /** Called when any guest process has ended (its last thread is gone), with its wait status. */
  onProcessExit: ((tgid: number, status: number) => void) | undefined;
  /** A named sandbox's init and its private calls (init-service.ts). */
  initService: InitService | undefined;
  private readonly call = new Call();
  private readonly unknownLogged = new Set<number>();

  constructor(
    readonly machine: Machine,
    readonly config: KernelConfig,
  ) {
    this.mem = new GuestMemory(machine);
    this.log = config.log;
    this.profile = config.profile ? new SyscallProfile() : undefined;
    this.strace = config.straceWriter || config.traceJsonWriter ? new Strace(this.mem, config.straceWriter, config.traceJsonWriter) : undefined;
    this.hostname = config.hostname;
    this.cpus = config.cpus ?? 1;
    const generated = { proc: new ProcFs(this), sysfs: new SysFs(this), cgroup2: new CgroupFs(this) };
    for (const m of config.mounts) this.mounts.add(m, generated);
  }

  // ---- events from the tracer -------------------------------------------------------------

  /** The first guest exists (not yet exec'd): stdio is the sandbox's own 0, 1 and 2. */
  spawned(pid: number): Task {
    const files = new FdTable();
    for (let fd = 0; fd < 3; fd++) {
      files.install(fd, new HostFile(fd, O_RDWR, undefined, `/dev/stdio${fd}`, false), false);
    }
    const group = new ThreadGroup(pid, undefined);
    // The first guest starts with the limits it inherits from us, as a child would.
    if (host.sys(NR.prlimit64, 0, RLIMIT_NOFILE, 0, host.addr(host.STRUCT)) === 0) {
      const soft = Number(host.scratchView.getBigUint64(host.STRUCT, true));
      const hard = Number(host.scratchView.getBigUint64(host.STRUCT + 8, true));
      group.nofile = [Math.min(soft, 1048576), Math.min(hard, 1048576)];
    }
    const t = new Task(pid, group, files, new FsContext(this.openDirectory(this.config.cwd)));
    group.threads.set(pid, t);
    this.groups.set(pid, group);
    this.tasks.set(pid, t);
    this.lastPid = pid;
    this.init = group;
    return t;
  }

  cloned(parentTid: number, childTid: number, flags: number): void {
    const p = this.tasks.get(parentTid);
    if (!p) return;
    const files = flags & CLONE_FILES ? p.files : p.files.clone();
    const fs = flags & CLONE_FS ? p.fs : p.fs.copy();
    let group: ThreadGroup;
    if (flags & CLONE_THREAD) {
      group = p.group;
    } else {
      group = new ThreadGroup(childTid, p.group);
      group.exe = p.group.exe;
      group.nofile = [...p.group.nofile];
      group.oomScoreAdj = p.group.oomScoreAdj;
      group.oomScoreAdjMin = p.group.oomScoreAdjMin;
      p.group.children.add(group);
      this.groups.set(childTid, group);
    }
    const t = new Task(childTid, group, files, fs);
    t.comm = p.comm;
    group.threads.set(childTid, t);
    this.tasks.set(childTid, t);
    this.lastPid = childTid;
  }

  /** A successful execve: tid now leads its group (it may have been another thread). */
  /** A task exec'd; false when the program is not a file of the view (the engine kills it). */
  execed(tid: number, formerTid: number): boolean {
    let t = this.tasks.get(formerTid) ?? this.tasks.get(tid);
    if (!t) return true;
    if (!verifyExecuted(this, tid)) {
      this.log.error({ pid: tid }, 'security: the program a guest exec started is not the file its view names (its memory changed during the exec); killing it');
      return false;
    }
    const g = t.group;
    for (const [otid, other] of g.threads) {
      if (other !== t) this.removeTask(other);
      else g.threads.delete(otid);
    }
    this.tasks.delete(t.tid);
    t.tid = tid;
    g.threads.set(tid, t);
    this.tasks.set(tid, t);
    // exec unshares the descriptor table, then closes the close-on-exec ones
    if (t.files.users > 1) {
      t.files.users--;
      t.files = t.files.clone();
      t.files.users++;
    }
    t.files.closeOnExec();
    if (t.pendingExe !== undefined) g.exe = t.pendingExe;
    t.pendingExe = undefined;
    t.comm = t.pendingComm;
    t.pendingComm = undefined;
    return true;
  }

  exited(tid: number, status: number): void {
    const t = this.tasks.get(tid);
    if (!t) return;
    const g = t.group;
    this.removeTask(t);
    if (g.threads.size === 0) {
      g.exitStatus = status;
      // SIGCHLD is on its way to the parent: let its parked threads see it
      if (g.parent) for (const pt of g.parent.threads.values()) if (this.signalWaits(pt)) this.kick(pt);
      this.groups.delete(g.tgid);
      g.parent?.children.delete(g);
      this.onProcessExit?.(g.tgid, status);
      if (g === this.init) this.onInitExit?.(status);
    }
  }

  /** A signal is being delivered to tid: a syscall it was parked in has been interrupted. */
  signalled(tid: number, _sig: number, regs?: number[]): void {
    const t = this.tasks.get(tid);
    if (!t) return;
    t.groupStopped = false;
    if (t.parked) this.cancelParked(t);
    // regs: [orig_rax, rax] of the interrupted syscall. When rax is -ERESTART* and it is the
    // kind of call we answered last, either the host dropped our answer (a signal between our
    // SEND and the thread's wake-up: seccomp_do_user_notification does not look at the reply
    // once interrupted) or a newer call was withdrawn before we received it. The thread's next
    // notification tells which (see verdict).
    const c = t.lastCommit;
    t.lastCommit = undefined;
    if (c && regs && regs[0] === c.call.nr && RESTART_CODES.includes(regs[1])) t.suspect = c;
  }

  /** Ids of notifications received lately (a missing one was withdrawn before we saw it). */
  private readonly received = new Set<number>();

  /**
   * t's answer to s may have been dropped. If no notification id between s and this call is
   * missing, the thread made no other call in between: the answer was dropped, so its effect
   * is undone (or, when that is too late, the restarted call is answered from memory: true).
   */
  private verdict(t: Task, s: Commit, c: Call): boolean {
    t.suspect = undefined;
    const span = (c.id - s.id) >>> 0;
    if (span === 0 || span > 100000) return false;
    for (let i = 1; i < span; i++) if (!this.received.has((s.id + i) >>> 0)) return false; // withdrawn: it was received
    if (s.undo()) return false;
    if (s.call.matches(c)) {
      this.strace?.enter(c);
      this.finish(c, s.call.result);
      return true;
    }
    return false;
  }

  private currentTask: Task | undefined;
  private currentId = 0;
  private currentCall: { nr: number; lo: Uint32Array; hi: Uint32Array } | undefined;

  /** Record how to undo what the current syscall's answer (result) committed. */
  commit(result: number, undo: () => boolean): void {
    if (this.currentTask && this.currentCall) {
      this.currentTask.lastCommit = { id: this.currentId, call: new Undelivered(this.currentCall, result), undo };
    }
  }

  /** The thread entered a group stop (the host holds it there until SIGCONT or SIGKILL). */
  groupStop(tid: number): void {
    const t = this.tasks.get(tid);
    if (t) t.groupStopped = true;
  }

  traceStop(tid: number, regs: number[]): void {
    const t = this.tasks.get(tid);
    if (t) t.groupStopped = false;
    execveStop(this, t, tid, regs);
  }

  /** An O_PATH handle on a guest directory (the first working directory). */
  openDirectory(guest: string): PathFile {
    const r = walkFrom(this, '/', guest, { follow: true });
    if (typeof r === 'number' || !r.isDir) throw new Error(`starry-sandbox: ${guest}: not a directory in the sandbox`);
    const fd = openResolved(r, O_PATH | O_DIRECTORY);
    if (fd < 0) throw new Error(`starry-sandbox: cannot open ${guest} (errno ${-fd})`);
    const f = new PathFile(fd, O_PATH | O_DIRECTORY, r.mount, r.guest);
    f.isDirectory = true;
    return f;
  }

  private removeTask(t: Task): void {
    if (t.parked) this.cancelParked(t);
    t.group.threads.delete(t.tid);
    this.tasks.delete(t.tid);
    if (--t.files.users === 0) t.files.closeAll();
    if (--t.fs.users === 0) t.fs.release();
  }

  private cancelParked(t: Task): void {
    const w = t.parked!;
    w.detach();
    this.strace?.interrupted(t.tid, w.nr);
  }

  private pruneReceived(latest: number): void {
    const keep = [...this.received].filter((id) => ((latest - id) >>> 0) < 100000);
    this.received.clear();
    for (const id of keep) this.received.add(id);
  }

  // ---- notifications ----------------------------------------------------------------------

  handleRecords(rec: Uint32Array, n: number, words: number): void {
    const c = this.call;
    for (let i = 0; i < n; i++) this.received.add(rec[i * words + 3]);
    if (this.received.size > 200000) this.pruneReceived(rec[3]);
    for (let i = 0; i < n; i++) {
      c.load(rec, i * words);
      this.dispatch(c);
    }
  }

  dispatch(c: Call): void {
    const t = this.tasks.get(c.tid);
    if (t === undefined) {
      // Cannot happen: births are delivered before a task's first syscall.
      this.log.error({ tid: c.tid, nr: c.nr }, 'syscall from an unknown task');
      this.machine.respond(c.slot, -EPERM);
      return;
    }
    // A thread makes one syscall at a time: a new one means the parked one was interrupted.
    if (t.parked) this.cancelParked(t);
    if (t.suspect && this.verdict(t, t.suspect, c)) return;
    t.lastCommit = undefined; // the previous answer arrived: this call came after it
    this.currentTask = t;
    this.currentId = c.id;
    this.currentCall = c;
    c.task = t;
    if (t.undelivered !== undefined) {
      const u = t.undelivered;
      t.undelivered = undefined;
      if (u.matches(c)) {
        // The same call again after a signal cut off our answer: it was done; say so once.
        this.strace?.enter(c);
        this.finish(c, u.result);
        return;
      }
    }
    const h: Handler | undefined = SYSCALL_TABLE[c.nr] ?? (this.initService && INIT_CALLS.has(c.nr) ? (_k, call) => this.initService!.call(call) : undefined);
    this.strace?.enter(c);
    const t0 = this.profile ? performance.now() : 0;
    let r: number;
    if (h === undefined) {
      r = -ENOSYS;
      if (!this.unknownLogged.has(c.nr)) {
        this.unknownLogged.add(c.nr);
        const name = SYSCALL_NAMES[c.nr] ?? `syscall_${c.nr}`;
        this.log.warn({ syscall: name, nr: c.nr, pid: t.tgid }, `unsupported syscall ${name} (${c.nr}): returning ENOSYS`);
      }
    } else {
      try {
        r = h(this, c);
      } catch (e) {
        const name = SYSCALL_NAMES[c.nr] ?? `syscall_${c.nr}`;
        this.log.error({ syscall: name, err: e instanceof Error ? e.stack : String(e) }, `kernel bug in ${name}: returning EIO`);
        r = -EIO;
      }
    }
    this.finish(c, r);
    if (this.profile) this.profile.add(c.nr, r === CONTINUE, performance.now() - t0);
  }

  private finish(c: Call, r: number): void {
    if (r === CONTINUE) {
      this.strace?.delivering(c.slot, r);
      this.machine.continueSyscall(c.slot);
      this.strace?.exit(c.tid, c.nr, r);
    } else if (r === BLOCKED) {
      this.strace?.blocked(c.tid, c.nr);
    } else if (r === ANSWERED) {
      this.strace?.delivering(c.slot, this.lastAnswer);
      this.strace?.exit(c.tid, c.nr, this.lastAnswer);
    } else {
      this.strace?.delivering(c.slot, r);
      // A signal cut the guest off before our answer: it will restart the call, which must not
      // be done twice (mkdir, rename, chdir ...). Remember the result for that restart.
      // (A failure changed nothing: the restarted call may simply run again.)
      if (this.machine.respond(c.slot, r) === -ENOENT && r >= 0) c.task.undelivered = new Undelivered(c, r);
      this.strace?.exit(c.tid, c.nr, r);
    }
  }

  /** The value last sent by deliver(), for tracing handlers that answered themselves. */
  lastAnswer = 0;

  /** Let the host run the call; false if the guest stopped waiting (nothing ran). */
  proceed(slot: number): boolean {
    this.lastAnswer = CONTINUE;
    return this.machine.continueSyscall(slot) === 0;
  }

  /** Answer now; false if the guest stopped waiting (the caller must undo what it did). */
  deliver(slot: number, value: number): boolean {
    this.lastAnswer = value;
    this.strace?.delivering(slot, value);
    return this.machine.respond(slot, value) === 0;
  }

  /**
   * Park the current syscall until attempt() stops returning -EAGAIN, the deadline (ms,
   * monotonic from now) passes, or the guest is interrupted. Handlers return BLOCKED after it.
   */
  block(c: Call, queues: WaitQueue[], attempt: () => number, timeoutMs?: number, onTimeout: number | (() => number) = -ETIMEDOUT): Waiter {
    const t = c.task;
    const call = { nr: c.nr, lo: c.lo.slice(), hi: c.hi.slice() };
    const id = c.id;
    const slot = c.slot;
    const nr = c.nr;
    const tid = c.tid;
    const w = new Waiter(
      t,
      slot,
      nr,
      () => {
        let r: number;
        this.currentTask = t;
        this.currentId = id;
        this.currentCall = call;
        try {
          r = attempt();
        } catch (e) {
          const name = SYSCALL_NAMES[nr] ?? `syscall_${nr}`;
          this.log.error({ syscall: name, err: e instanceof Error ? e.stack : String(e) }, `kernel bug in ${name} (resumed): returning EIO`);
          r = -EIO;
        }
        return r === -EAGAIN ? BLOCKED : r;
      },
      (_w, r) => {
        if (r === ANSWERED) {
          this.strace?.resumed(tid, nr, this.lastAnswer);
          return;
        }
        this.strace?.delivering(slot, r);
        if (r === CONTINUE) this.machine.continueSyscall(slot);
        else this.machine.respond(slot, r);
        this.strace?.resumed(tid, nr, r);
      },
    );
    for (const q of queues) {
      q.add(w);
      w.queues.push(q);
    }
    w.call = { nr: c.nr, lo: c.lo.slice(), hi: c.hi.slice() };
    if (timeoutMs !== undefined) {
      w.deadline = nowMs() + timeoutMs;
      w.timers = this.timers;
      w.timer = this.timers.at(nowMs() + timeoutMs, () => w.end(typeof onTimeout === 'function' ? onTimeout() : onTimeout));
    }
    t.parked = w;
    this.watchSignals();
    return w;
  }

  /**
   * How the kernel learns that a signal waits for a thread (the host's /proc): one it does not
   * block, or with mask, one that mask does not block and that has a handler or ends the process.
   */
  pendingSignal: (tid: number, mask?: bigint) => boolean = hasUnblockedSignal;

  /** Does a signal wait for t's parked syscall (under the syscall's own mask if it has one)? */
  private signalWaits(t: Task): boolean {
    return t.parked !== undefined && this.pendingSignal(t.tid, t.parked.sigmask);
  }
  private signalWatch: NodeJS.Timeout | undefined;

  private watchTicks = 0;

  /**
   * Parked threads wait uninterruptibly in the host (WAIT_KILLABLE_RECV), so the kernel itself
   * ends their wait when a signal is pending for them. It looks every 10 ms at the threads of
   * processes that expect signals (the first process, those with timers, targets of a recent
   * kill), every 100 ms at the others (each look reads /proc), and at once where it knows a
   * signal was sent (a child's exit).
   */
  private watchSignals(): void {
    if (this.signalWatch) return;
    this.signalWatch = setInterval(() => {
      let any = false;
      const all = this.watchTicks++ % 10 === 0;
      const now = nowMs();
      for (const t of this.tasks.values()) {
        if (!t.parked) continue;
        any = true;
        const g = t.group;
        if (!all && g !== this.init && !g.timers && g.expectSignalUntil < now) continue;
        if (this.signalWaits(t)) this.kick(t);
      }
      for (const f of this.signalFds) f.check();
      if (!any) {
        clearInterval(this.signalWatch);
        this.signalWatch = undefined;
      }
    }, 10);
    this.signalWatch.unref();
  }

  /** A signal is on its way to g (a kill the kernel let through): watch it closely for a while. */
  /**
   * Send sig to every sandbox process in process group pgrp, never to a host process that
   * shares it (the first guest shares starry-sandbox's group); how many it reached. Signal 0
   * only counts them.
   */
  signalProcessGroup(pgrp: number, sig: number, skip?: (g: ThreadGroup) => boolean, info?: () => Uint8Array): number {
    let n = 0;
    for (const g of this.groups.values()) {
      if (skip?.(g) || (pgrp !== -1 && host.sys(NR.getpgid, g.tgid) !== pgrp)) continue;
      if (sig !== 0 && this.machine.signal(0, g.tgid, sig, info?.()) < 0) continue;
      if (sig !== 0) this.expectSignal(g);
      n++;
    }
    return n;
  }

  expectSignal(g: ThreadGroup): void {
    g.expectSignalUntil = nowMs() + 200;
  }

  /** End t's parked syscall so that a pending signal is handled (see Waiter.restartCode). */
  kick(t: Task): void {
    const w = t.parked;
    if (!w) return;
    // Restarted without a handler, a timed wait keeps its deadline (Linux's restart_block)
    if (w.deadline !== Infinity && w.call) t.restartDeadline = { call: new Undelivered(w.call, 0), deadline: w.deadline };
    // A process-directed signal goes to one thread; the others we woke for it must not return
    // the restart code to user space: through the signal path they restart the call instead.
    w.interrupted?.();
    if (w.restartCode < 0) this.machine.interrupt(t.tid, w.sigmask);
    w.end(w.restartCode);
  }

  /**
   * Before a call with a signal mask waits (ppoll, pselect6, epoll_pwait, epoll_pwait2): when a
   * signal that mask lets through is pending, the call ends at once with -ERESTARTNOHAND, its
   * handler running under the mask (set_user_sigmask; signal_pending() in do_poll, do_select,
   * ep_poll); otherwise 0.
   */
  signalBeforeWait(c: Call, mask: bigint): number {
    if (!this.pendingSignal(c.tid, mask)) return 0;
    this.machine.interrupt(c.tid, mask);
    return -514;
  }

  /** The timeout of a timed wait, or what is left of it when this call restarts a kicked one. */
  restartedTimeout(c: Call, timeoutMs: number): number {
    const r = c.task.restartDeadline;
    c.task.restartDeadline = undefined;
    if (r && r.call.matches(c)) return Math.max(0, r.deadline - nowMs());
    return timeoutMs;
  }

  /**
   * Fail a syscall with err and raise sig on the thread, as EPIPE comes with SIGPIPE: on Linux
   * the signal is pending as the call returns. It is sent first, while the thread still waits
   * for the answer, and the tracer makes the call return err even when the signal interrupts
   * that wait (a handler with SA_RESTART must not restart it). An ignored signal is dropped.
   */
  raiseWithError(t: Task, slot: number, sig: number, err: number): void {
    if (this.signalState(t.tid, sig).disposition !== Disposition.Ignored) {
      this.machine.signal(t.tgid, t.tid, sig, userSigInfo(t.tgid, uid), err);
    }
    this.deliver(slot, err);
  }

  /** Release every task's files and every timer (the sandbox or a test is over). */
  shutdown(): void {
    if (this.signalWatch) clearInterval(this.signalWatch);
    this.signalWatch = undefined;
    for (const t of [...this.tasks.values()]) this.removeTask(t);
    this.groups.clear();
    this.timers.clear();
  }

  /** The sandbox is ending: every guest process is killed. */
  /** SIGKILL every guest thread group; returns how many there were. */
  killAll(): number {
    for (const g of this.groups.values()) this.machine.signal(0, g.tgid, 9);
    return this.groups.size;
  }

  /**
   * getppid as the sandbox shows it: the parent when it is a process of the sandbox, else 0, as
   * a pid namespace shows a parent outside it (the first process's, starry-sandbox; an
   * orphan's, when the host gave it to its own init rather than to a subreaper of ours).
   */
  parentPid(g: ThreadGroup): number {
    if (!g.parent) return 0;
    // the host's word: after a parent exits, its children have a new one at once
    const ppid = Number(hostStat(`/proc/${g.tgid}/stat`)[1]);
    return this.groups.has(ppid) ? ppid : 0;
  }

  /**
   * A live process of the sandbox, or one that has exited and is not yet reaped: a zombie is
   * still a process (kill answers 0, pidfd_open works) until its parent waits for it. The host
   * cannot reuse a zombie's pid, so a zombie whose parent is ours is ours.
   */
  isSandboxPid(pid: number): boolean {
    if (this.groups.has(pid)) return true;
    if (!(pid > 0)) return false;
    const [state, ppid] = hostStat(`/proc/${pid}/stat`);
    return state === 'Z' && this.groups.has(Number(ppid));
  }
}

export { EINTR };
