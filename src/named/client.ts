// The client side of named sandboxes: --name (start the kernel process detached, then run the
// first command in it), --join (run a command in a live sandbox, like `docker exec`), ls, stop.
// A command run this way gets the caller's own stdin, stdout and stderr (the descriptors
// themselves travel to the kernel over the control socket), its exit status comes back as ours
// (killed by a signal, we end by the same signal), and SIGINT, SIGTERM, SIGHUP and SIGQUIT sent
// to us are passed on to it; SIGTSTP (Ctrl-Z) stops its job and then us, and SIGCONT (the
// shell's fg or bg) continues it: to the caller's shell it is a job like its own.
import { spawn } from 'node:child_process';
import { openSync, closeSync, writeSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { NR } from '../kernel/abi/sysnames.js';
import * as host from '../host/sys.js';
import { exitCode } from '../sandbox.js';
import { Channel } from './channel.js';
import {
  runtimeDir, paths, connectTo, isLive, readRecord, removeFiles, listLive, pidAlive, isKernelProcess, checkName, age,
  NamedError, SERVE_FLAG,
} from './runtime.js';

const SIGNALS = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGTERM: 15, SIGCONT: 18, SIGTSTP: 20 } as const;
/** How long a starting kernel process may take to take requests. */
const START_TIMEOUT_MS = 30000;

function say(fd: number, text: string): void {
  try {
    writeSync(fd, text);
  } catch {
    /* the reader went away */
  }
}

export interface RunRequest {
  argv: string[];
  env: Record<string, string>;
  /** --cwd: the guest directory. */
  cwd?: string;
  /** The caller's directory, used when the sandbox shows it. */
  hostCwd?: string;
  /** The --name command: the sandbox stops if it cannot start. */
  first?: boolean;
}

function cliPath(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const p of [join(here, '..', '..', '..', 'bin', 'starry-sandbox.js'), join(here, '..', '..', 'bin', 'starry-sandbox.js')]) if (existsSync(p)) return p;
  return process.argv[1];
}

/**
 * starry-sandbox --name NAME [options] -- PROGRAM: start the sandbox's kernel process in the
 * background (it runs `starry-sandbox --serve-named` with the same arguments), then run PROGRAM in
 * it and return its status. The sandbox stays up until `starry-sandbox stop NAME`.
 */
export async function startNamed(name: string, argv: string[], req: RunRequest): Promise<number> {
  checkName(name);
  const dir = runtimeDir();
  const p = paths(dir, name);
  if (isLive(dir, name)) {
    const r = readRecord(dir, name);
    throw new NamedError(
      `a sandbox named ${name} is already running${r ? ` (pid ${r.pid}, started by "${showCommand(r.command, 60)}" ${age(Date.now() - r.started)} ago)` : ''}: run a command in it with starry-sandbox --join ${name} -- PROGRAM, or end it with starry-sandbox stop ${name}`,
    );
  }
  removeFiles(dir, name, false); // what a dead one left
  const logFd = openSync(p.log, 'w', 0o600);
  const child = spawn(process.execPath, [cliPath(), SERVE_FLAG, ...argv], {
    detached: true,
    stdio: ['ignore', 'ignore', logFd, 'pipe'],
    cwd: process.cwd(),
    env: process.env,
  });
  closeSync(logFd);
  const line = await new Promise<string>((resolve) => {
    let text = '';
    const pipe = child.stdio[3]!;
    const timer = setTimeout(() => finish(`error 125 starry-sandbox: the sandbox ${name} did not start within ${START_TIMEOUT_MS / 1000} s; see ${p.log}`), START_TIMEOUT_MS);
    const finish = (s: string): void => {
      clearTimeout(timer);
      pipe.removeAllListeners();
      child.removeAllListeners();
      pipe.on('error', () => {});
      pipe.destroy();
      resolve(s);
    };
    pipe.on('data', (d: Buffer) => {
      text += d.toString();
      if (text.includes('\n')) finish(text.slice(0, text.indexOf('\n')));
    });
    pipe.on('error', () => {});
    child.on('exit', (code, sig) => finish(text.split('\n')[0] || `error 125 starry-sandbox: the sandbox ${name} ended while starting (${sig ?? `status ${code}`}); see ${p.log}`));
  });
  child.unref();
  if (line !== 'ok') {
    const m = /^error (\d+) ([\s\S]*)$/.exec(line);
    throw new NamedError((m ? m[2] : line).replace(/^starry-sandbox: /, ''), m ? Number(m[1]) : 125);
  }
  return joinSandbox(name, { ...req, first: true });
}

/** Our stdio for the command: a closed descriptor becomes /dev/null. */
function stdio(): { fds: number[]; opened: number[] } {
  const fds: number[] = [];
  const opened: number[] = [];
  for (let fd = 0; fd < 3; fd++) {
    if (host.sys(NR.fcntl, fd, 1 /* F_GETFD */) >= 0) fds.push(fd);
    else {
      const n = openSync('/dev/null', fd === 0 ? 'r' : 'w');
      opened.push(n);
      fds.push(n);
    }
  }
  return { fds, opened };
}

/** starry-sandbox --join NAME -- PROGRAM: run PROGRAM in the live sandbox NAME. */
export function joinSandbox(name: string, req: RunRequest): Promise<number> {
  checkName(name);
  const dir = runtimeDir();
  const fd = connectTo(paths(dir, name).sock);
  if (fd < 0) {
    if (!req.first) removeStale(dir, name);
    throw new NamedError(`no sandbox named ${name} is running: start one with starry-sandbox --name ${name} -- PROGRAM (starry-sandbox ls lists the running ones)`);
  }
  const ch = new Channel(fd);
  return new Promise((resolve) => {
    let pid = 0;
    let done = false;
    const queued: number[] = [];
    // Listen before the request goes: the command may run (and be signalled) before we run again.
    const onSignal = (sig: NodeJS.Signals): void => {
      const n = SIGNALS[sig as keyof typeof SIGNALS];
      if (pid) ch.send({ op: 'signal', sig: n });
      else queued.push(n);
      if (sig === 'SIGTSTP') {
        // The command's job stops; then we stop too, by SIGTSTP's default action, so that the
        // caller's shell sees its job stopped (WSTOPSIG SIGTSTP) and gets its terminal back.
        process.off('SIGTSTP', onSignal); // the last listener gone, libuv restores SIG_DFL
        process.kill(process.pid, 'SIGTSTP');
        if (!done) process.on('SIGTSTP', onSignal); // continued
      }
    };
    const sigs = Object.keys(SIGNALS) as NodeJS.Signals[];
    for (const s of sigs) process.on(s, onSignal);
    const finish = (code: number): void => {
      if (done) return;
      done = true;
      for (const s of sigs) process.off(s, onSignal);
      ch.close();
      resolve(code);
    };
    const io = stdio();
    ch.send({ op: 'run', ...req }, io.fds);
    for (const n of io.opened) closeSync(n);
    ch.onMessage = (m, fds) => {
      for (const f of fds) host.close(f);
      if (typeof m.started === 'number') {
        pid = m.started;
        for (const n of queued.splice(0)) ch.send({ op: 'signal', sig: n });
      } else if (typeof m.error === 'string') {
        say(2, `${m.error}\n`);
        finish(typeof m.code === 'number' ? m.code : 125);
      } else if (typeof m.exit === 'number') {
        finish(exitCode(m.exit));
        endLike(m.exit);
      }
    };
    ch.onClose = () => {
      if (done) return;
      say(2, `starry-sandbox: the sandbox ${name} ended before ${req.argv[0]} did\n`);
      finish(pid ? 128 + 9 : 125);
    };
  });
}

const RLIMIT_CORE = 4;

/**
 * A command a signal killed: we end by the same signal, as the caller's own job would have, so
 * its shell tells it alike (bash's "Terminated", its new line after a Ctrl-C); $? is 128+N
 * either way. No core of ours where the command dumped none. A signal Node ignores (SIGPIPE)
 * leaves us to exit with 128+N.
 */
function endLike(status: number): void {
  const sig = status & 0x7f;
  if (sig === 0 || sig === 0x7f) return;
  if (!(status & 0x80)) {
    host.scratch.fill(0, host.STRUCT, host.STRUCT + 16);
    host.sys(NR.prlimit64, 0, RLIMIT_CORE, host.addr(host.STRUCT), 0);
  }
  process.kill(process.pid, sig);
}

function removeStale(dir: string, name: string): void {
  const r = readRecord(dir, name);
  if (!r || !pidAlive(r.pid) || !isKernelProcess(r.pid, name)) removeFiles(dir, name);
}

/** A command on one line, at most max characters. */
export function showCommand(argv: string[], max = 80): string {
  const s = argv.join(' ').replace(/\s+/g, ' ');
  return s.length > max ? s.slice(0, max - 3) + '...' : s;
}

/** starry-sandbox ls */
export function listSandboxes(): number {
  const rows = listLive(runtimeDir()).map((r) => [r.name, String(r.pid), age(Date.now() - r.started), showCommand(r.command)]);
  const all = [['NAME', 'PID', 'AGE', 'COMMAND'], ...rows];
  const widths = [0, 1, 2].map((i) => Math.max(...all.map((row) => row[i].length)));
  say(1, all.map((row) => row.map((c, i) => (i < 3 ? c.padEnd(widths[i]) : c)).join('  ') + '\n').join(''));
  return 0;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitGone(pid: number, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (pidAlive(pid)) {
    if (Date.now() > end) return false;
    await sleep(25);
  }
  return true;
}

/** starry-sandbox stop NAME: every process in it is killed, then its kernel process ends. */
export async function stopSandbox(name: string): Promise<number> {
  checkName(name);
  const dir = runtimeDir();
  const rec = readRecord(dir, name);
  const ours = rec !== undefined && pidAlive(rec.pid) && isKernelProcess(rec.pid, name);
  const fd = connectTo(paths(dir, name).sock);
  if (fd < 0 && !ours) {
    removeFiles(dir, name);
    throw new NamedError(`no sandbox named ${name} is running (starry-sandbox ls lists the running ones)`, 1);
  }
  if (fd >= 0) {
    const ch = new Channel(fd);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 10000);
      ch.onClose = () => {
        clearTimeout(timer);
        resolve();
      };
      ch.send({ op: 'stop' });
    });
    ch.close();
  }
  // The kernel process exits once its guests are gone; one that does not is killed, and its
  // guests with it (its tracer holds them with PTRACE_O_EXITKILL).
  if (rec && ours && !(await waitGone(rec.pid, 5000)) && isKernelProcess(rec.pid, name)) {
    process.kill(rec.pid, 'SIGKILL');
    await waitGone(rec.pid, 2000);
  }
  removeFiles(dir, name);
  return 0;
}
