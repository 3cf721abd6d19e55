// The kernel process of a named sandbox (starry-sandbox --name NAME, run detached as
// `starry-sandbox --serve-named --name NAME ...`). It owns the sandbox's Kernel, whose first
// guest is init (native/init.c), and a control socket in the runtime directory. Each client
// connection asks for one of:
//   {op: 'run', argv, env, cwd?, hostCwd?, first?} + its stdin, stdout and stderr (SCM_RIGHTS):
//       init starts the command as a guest with those descriptors; the client is told
//       {started: pid} (or {error, code}), then {exit: rawWaitStatus} when the process ends.
//       {op: 'signal', sig} on the same connection signals it (Ctrl-C on the joining terminal).
//   {op: 'stop'}: every guest process is killed; the process exits once they are gone.
// The sandbox ends when it is stopped or init dies; guests never outlive this process (the
// tracer seizes them with PTRACE_O_EXITKILL).
import { writeSync, closeSync } from 'node:fs';
import { runSandbox, SandboxError, type SandboxConfig, type SandboxHandle } from '../sandbox.js';
import { native, initHelperPath } from '../engine/native.js';
import { NR } from '../kernel/abi/sysnames.js';
import { walkFrom } from '../kernel/fs/path.js';
import { HostFile } from '../kernel/fd/hostfile.js';
import { O_ACCMODE } from '../kernel/fd/openfile.js';
import type { OpenFile } from '../kernel/fd/openfile.js';
import * as host from '../host/sys.js';
import { Channel, closeAll, type Message } from './channel.js';
import { runtimeDir, paths, listenAt, isLive, writeRecord, removeFiles, readRecord, NamedError } from './runtime.js';

const SIGHUP = 1;
const SIGINT = 2;
const SIGQUIT = 3;
const SIGCONT = 18;
const SIGTSTP = 20;
const JOB_SIGNALS = new Set([SIGINT, SIGQUIT, SIGCONT, SIGTSTP]);
const ESRCH = 3;
const EADDRINUSE = 98;
const F_GETFL = 3;
const SOCK_NONBLOCK = 0o4000;
const SOCK_CLOEXEC = 0o2000000;
const SOL_SOCKET = 1;
const SO_PEERCRED = 17;

interface Job {
  pid: number;
  ch: Channel | undefined;
}

/** Tell the starting client how it went: "ok", or "error CODE MESSAGE". */
function report(fd: number, line: string): void {
  if (fd < 0) return;
  try {
    writeSync(fd, line + '\n');
    closeSync(fd);
  } catch {
    /* the client went away */
  }
}

/**
 * Run the named sandbox until it is stopped. readyFd (-1: none) receives one line once the
 * control socket takes requests, or the error that prevented it.
 */
export async function serveNamed(name: string, cfg: SandboxConfig, command: string[], readyFd: number): Promise<number> {
  let dir: string;
  let listenFd: number;
  try {
    dir = runtimeDir();
    const p = paths(dir, name);
    listenFd = listenAt(p.sock);
    if (listenFd === -EADDRINUSE && !isLive(dir, name)) {
      removeFiles(dir, name);
      listenFd = listenAt(p.sock);
    }
    if (listenFd < 0) {
      const r = readRecord(dir, name);
      throw new NamedError(
        listenFd === -EADDRINUSE
          ? `a sandbox named ${name} is already running${r ? ` (pid ${r.pid})` : ''}: run a command in it with starry-sandbox --join ${name} -- PROGRAM, or end it with starry-sandbox stop ${name}`
          : `cannot listen on ${p.sock} (errno ${-listenFd})`,
      );
    }
    writeRecord(dir, { name, pid: process.pid, command, started: Date.now() });
  } catch (e) {
    const code = e instanceof NamedError ? e.exitCode : 125;
    report(readyFd, `error ${code} ${e instanceof Error ? e.message : String(e)}`);
    return code;
  }
  const server = new Server(cfg, listenFd, readyFd);
  const stopSignal = (): void => server.stop();
  for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(s, stopSignal);
  try {
    await runSandbox({ ...cfg, named: { init: initHelperPath(), ready: (h) => server.ready(h) } });
    return 0;
  } catch (e) {
    const code = e instanceof SandboxError ? e.exitCode : 125;
    const msg = e instanceof Error ? e.message : String(e);
    if (!server.announced) report(readyFd, `error ${code} ${msg}`);
    else cfg.log.error({ err: msg }, 'the sandbox failed');
    return code;
  } finally {
    server.close();
    removeFiles(dir, name);
    for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.off(s, stopSignal);
  }
}

class Server {
  private h: SandboxHandle | undefined;
  private watch: ReturnType<typeof native.watch> | undefined;
  private readonly conns = new Set<Channel>();
  private readonly jobs = new Map<number, Job>();
  /** Exit statuses of processes that ended before init said which request they were. */
  private readonly early = new Map<number, number>();
  private starting = 0;
  private stopping = false;
  announced = false;

  constructor(
    private readonly cfg: SandboxConfig,
    private readonly listenFd: number,
    private readonly readyFd: number,
  ) {}

  ready(h: SandboxHandle): void {
    this.h = h;
    h.kernel.onProcessExit = (pid, status) => this.exited(pid, status);
    // accept() below drains until EAGAIN: the socket must not block the kernel's thread
    const fl = host.sys(NR.fcntl, this.listenFd, 3 /* F_GETFL */);
    host.sys(NR.fcntl, this.listenFd, 4 /* F_SETFL */, fl | SOCK_NONBLOCK);
    const w = native.watch(this.listenFd, () => this.accept());
    if (typeof w === 'number') throw new SandboxError(`starry-sandbox: cannot watch the control socket (errno ${-w})`, 125);
    this.watch = w;
    native.arm(w, 0x001);
    this.announced = true;
    report(this.readyFd, 'ok');
  }

  stop(): void {
    if (this.stopping || !this.h) {
      if (!this.h) process.exit(143);
      return;
    }
    this.stopping = true;
    this.h.kernel.killAll();
    // Guests die with this process anyway (EXITKILL); do not wait for ever for the last exits.
    setTimeout(() => process.exit(137), 10000).unref();
  }

  close(): void {
    if (this.watch && typeof this.watch !== 'number') native.unwatch(this.watch);
    this.watch = undefined;
    host.close(this.listenFd);
    this.h?.service.drop();
    for (const ch of [...this.conns]) ch.close();
  }

  private accept(): void {
    for (;;) {
      const fd = host.sys(NR.accept4, this.listenFd, 0, 0, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) break;
      // The directory is 0700 already; a peer of another uid is refused all the same.
      host.scratchView.setUint32(host.STRUCT + 64, 12, true);
      const r = host.sys(NR.getsockopt, fd, SOL_SOCKET, SO_PEERCRED, host.addr(host.STRUCT), host.addr(host.STRUCT + 64));
      if (r < 0 || host.scratchView.getUint32(host.STRUCT + 4, true) !== process.getuid!()) {
        host.close(fd);
        continue;
      }
      const ch = new Channel(fd);
      this.conns.add(ch);
      ch.onMessage = (m, fds) => this.message(ch, m, fds);
      ch.onClose = () => this.hangup(ch);
    }
    if (this.watch && typeof this.watch !== 'number') native.arm(this.watch, 0x001);
  }

  private hangup(ch: Channel): void {
    this.conns.delete(ch);
    // The joining terminal is gone: its command is hung up, as a closed terminal's job would be.
    for (const j of this.jobs.values()) {
      if (j.ch !== ch) continue;
      j.ch = undefined;
      this.signal(j.pid, SIGHUP);
    }
  }

  private message(ch: Channel, m: Message, fds: number[]): void {
    switch (m.op) {
      case 'run':
        return this.run(ch, m, fds);
      case 'signal': {
        closeAll(fds);
        const sig = Number(m.sig);
        for (const j of this.jobs.values()) if (j.ch === ch && sig > 0 && sig < 65) this.signal(j.pid, sig);
        return;
      }
      case 'stop':
        closeAll(fds);
        return this.stop();
      default:
        closeAll(fds);
        ch.send({ error: `starry-sandbox: unknown request ${String(m.op)}`, code: 125 });
        ch.close();
    }
  }

  /**
   * Keyboard signals go to the command's whole job, as a terminal sends them, and so do the
   * shell's SIGCONT (fg, bg: killpg); others to the command alone.
   */
  private signal(pid: number, sig: number): void {
    const k = this.h!.kernel;
    for (const g of k.groups.values()) k.expectSignal(g);
    if (JOB_SIGNALS.has(sig) && native.hostSyscall(NR.kill, -pid, sig) !== -ESRCH) return;
    native.hostSyscall(NR.kill, pid, sig);
  }

  private fail(ch: Channel, msg: string, code: number, first: boolean): void {
    ch.send({ error: msg, code });
    if (first) this.stop(); // a sandbox whose first command never ran is of no use
  }

  private run(ch: Channel, m: Message, fds: number[]): void {
    const h = this.h!;
    const first = m.first === true;
    const argv = m.argv;
    const env = m.env;
    if (fds.length !== 3 || !Array.isArray(argv) || argv.length === 0 || !argv.every((a) => typeof a === 'string') || typeof env !== 'object' || env === null) {
      closeAll(fds);
      return this.fail(ch, 'starry-sandbox: malformed run request', 125, first);
    }
    if (this.stopping) {
      closeAll(fds);
      return this.fail(ch, 'starry-sandbox: the sandbox is stopping', 125, first);
    }
    const envRec = env as Record<string, string>;
    // The directory: --cwd, else the caller's own when the sandbox shows it, else the sandbox's.
    let cwd: string;
    if (typeof m.cwd === 'string') {
      cwd = m.cwd;
      if (!this.isDir(cwd)) {
        closeAll(fds);
        return this.fail(ch, `starry-sandbox: --cwd ${cwd}: No such directory in the sandbox`, 125, first);
      }
    } else {
      cwd = typeof m.hostCwd === 'string' && !this.cfg.root && this.isDir(m.hostCwd) ? m.hostCwd : h.cwd;
    }
    let path: string;
    try {
      path = h.findProgram(argv[0] as string, envRec, cwd);
    } catch (e) {
      closeAll(fds);
      return this.fail(ch, e instanceof Error ? e.message : String(e), e instanceof SandboxError ? e.exitCode : 125, first);
    }
    const stdio = fds.map((fd, i) => {
      const fl = host.sys(NR.fcntl, fd, F_GETFL);
      return new HostFile(fd, fl < 0 ? 2 : fl & (O_ACCMODE | 0o2000 /* O_APPEND */), undefined, `/dev/stdio${i}`, true);
    }) as unknown as [OpenFile, OpenFile, OpenFile];
    const envp = Object.entries(envRec).map(([k, v]) => `${k}=${v}`);
    this.starting++;
    const r = h.service.submit({
      path,
      argv: argv as string[],
      envp,
      cwd,
      stdio,
      started: (pid) => {
        this.starting--;
        if (pid < 0) return this.fail(ch, `starry-sandbox: cannot start ${argv[0]} (errno ${-pid})`, 126, first);
        const job: Job = { pid, ch: ch.isClosed ? undefined : ch };
        this.jobs.set(pid, job);
        ch.send({ started: pid });
        const st = this.early.get(pid);
        if (st !== undefined) {
          this.early.delete(pid);
          this.exited(pid, st);
        } else if (!job.ch) {
          this.signal(pid, SIGHUP);
        }
        if (this.starting === 0) this.early.clear();
      },
    });
    if (r < 0) {
      this.starting--;
      for (const f of stdio) {
        f.incRef();
        f.decRef();
      }
      this.fail(ch, `starry-sandbox: ${argv[0]}: Argument list too long`, 126, first);
    }
  }

  private isDir(guest: string): boolean {
    if (!guest.startsWith('/')) return false;
    const r = walkFrom(this.h!.kernel, '/', guest, { follow: true });
    return typeof r !== 'number' && r.isDir;
  }

  private exited(pid: number, status: number): void {
    const j = this.jobs.get(pid);
    if (!j) {
      if (this.starting > 0 && this.early.size < 4096) this.early.set(pid, status);
      return;
    }
    this.jobs.delete(pid);
    j.ch?.send({ exit: status });
  }
}

