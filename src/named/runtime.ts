// Where named sandboxes are found: a per-user runtime directory (mode 0700) holding, for each
// live sandbox, NAME.sock (the kernel process's control socket), NAME.json (its pid, first
// command and start time) and NAME.log (the kernel's log). $STARRY_SANDBOX_RUNTIME_DIR, else
// $XDG_RUNTIME_DIR/starry-sandbox, else /tmp/starry-sandbox-UID.
import { mkdirSync, lstatSync, readdirSync, readFileSync, writeFileSync, renameSync, rmSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { native } from '../engine/native.js';
import { NR } from '../kernel/abi/sysnames.js';
import * as host from '../host/sys.js';
import { UsageError } from '../cli/args.js';

export interface SandboxRecord {
  name: string;
  /** The kernel process. */
  pid: number;
  /** The first command, as given. */
  command: string[];
  /** ms since the epoch. */
  started: number;
}

export function runtimeDir(): string {
  const env = process.env;
  const uid = process.getuid!();
  const dir = env.STARRY_SANDBOX_RUNTIME_DIR || (env.XDG_RUNTIME_DIR ? join(env.XDG_RUNTIME_DIR, 'starry-sandbox') : `/tmp/starry-sandbox-${uid}`);
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new NamedError(`cannot create the runtime directory ${dir}: ${(e as Error).message}`);
  }
  // Somebody else's directory (or a symlink planted in /tmp) must not hold our sockets.
  const st = lstatSync(dir);
  if (!st.isDirectory() || st.uid !== uid || (st.mode & 0o077) !== 0) {
    throw new NamedError(`the runtime directory ${dir} is not a private directory of yours (it must be owned by uid ${uid} with mode 0700); remove it or set STARRY_SANDBOX_RUNTIME_DIR`);
  }
  return dir;
}

/** A failure of the named-sandbox commands, with the message to print. */
export class NamedError extends Error {
  constructor(
    message: string,
    readonly exitCode = 125,
  ) {
    super(`starry-sandbox: ${message}`);
  }
}

export function checkName(name: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/.test(name)) {
    throw new UsageError(`a sandbox name is 1 to 63 letters, digits, '_', '.' or '-', starting with a letter or digit; got "${name}"`);
  }
}

export const paths = (dir: string, name: string) => ({
  sock: join(dir, `${name}.sock`),
  json: join(dir, `${name}.json`),
  log: join(dir, `${name}.log`),
});

export function readRecord(dir: string, name: string): SandboxRecord | undefined {
  try {
    const r = JSON.parse(readFileSync(paths(dir, name).json, 'utf8')) as SandboxRecord;
    return typeof r.pid === 'number' && Array.isArray(r.command) ? r : undefined;
  } catch {
    return undefined;
  }
}

export function writeRecord(dir: string, r: SandboxRecord): void {
  const p = paths(dir, r.name).json;
  const tmp = `${p}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(r) + '\n', { mode: 0o600 });
  renameSync(tmp, p);
}

/** Remove what a sandbox left in the runtime directory (its log only when empty). */
export function removeFiles(dir: string, name: string, keepLog = true): void {
  const p = paths(dir, name);
  rmSync(p.sock, { force: true });
  rmSync(p.json, { force: true });
  try {
    if (!keepLog || lstatSync(p.log).size === 0) rmSync(p.log, { force: true });
  } catch {
    /* no log */
  }
}

const AF_UNIX = 1;
const SOCK_STREAM = 1;
const SOCK_CLOEXEC = 0o2000000;

/** struct sockaddr_un for path in the scratch area; its length. */
function sockaddr(path: string): number {
  const b = Buffer.from(path);
  if (b.length > 107) throw new NamedError(`the socket path ${path} is too long for a unix socket; set STARRY_SANDBOX_RUNTIME_DIR to a shorter directory`);
  host.scratchView.setUint16(host.STRUCT, AF_UNIX, true);
  b.copy(host.scratch, host.STRUCT + 2);
  host.scratch[host.STRUCT + 2 + b.length] = 0;
  return 2 + b.length + 1;
}

/** A unix stream socket (blocking, close-on-exec), or -errno. */
export function unixSocket(): number {
  return host.sys(NR.socket, AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
}

/** Connect to a sandbox's control socket: the descriptor, or -errno (ENOENT, ECONNREFUSED: not live). */
export function connectTo(path: string): number {
  const fd = unixSocket();
  if (fd < 0) return fd;
  const len = sockaddr(path);
  const r = host.sys(NR.connect, fd, host.addr(host.STRUCT), len);
  if (r < 0) {
    host.close(fd);
    return r;
  }
  return fd;
}

/** A listening socket at path, or -errno (EADDRINUSE when the file exists). */
export function listenAt(path: string): number {
  const fd = unixSocket();
  if (fd < 0) return fd;
  const len = sockaddr(path);
  const old = process.umask(0o177);
  let r = host.sys(NR.bind, fd, host.addr(host.STRUCT), len);
  process.umask(old);
  if (r === 0) r = host.sys(NR.listen, fd, 64);
  if (r < 0) {
    host.close(fd);
    return r;
  }
  return fd;
}

/** Whether the sandbox named answers on its socket (a stale socket file refuses). */
export function isLive(dir: string, name: string): boolean {
  const fd = connectTo(paths(dir, name).sock);
  if (fd < 0) return false;
  host.close(fd);
  return true;
}

/** Whether pid runs (a zombie waiting for its parent to reap it does not). */
export function pidAlive(pid: number): boolean {
  if (pid <= 0 || native.hostSyscall(NR.kill, pid, 0) === -3 /* ESRCH */) return false;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return !/^\S+ \(.*\) [ZX]/s.test(stat);
  } catch {
    return false;
  }
}

/** Whether pid is the kernel process of the sandbox named (not a recycled pid). */
export function isKernelProcess(pid: number, name: string): boolean {
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    const i = argv.indexOf('--name');
    return argv.includes(SERVE_FLAG) && i >= 0 && argv[i + 1] === name && readlinkSync(`/proc/${pid}/exe`) === process.execPath;
  } catch {
    return false;
  }
}

/** The hidden flag the kernel process of a named sandbox runs with. */
export const SERVE_FLAG = '--serve-named';

/** Every live sandbox; stale entries (the kernel process is gone) are cleaned up. */
export function listLive(dir: string): SandboxRecord[] {
  const out: SandboxRecord[] = [];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return out;
  }
  for (const f of names.sort()) {
    if (!f.endsWith('.json')) continue;
    const name = f.slice(0, -5);
    const r = readRecord(dir, name);
    if (r && isLive(dir, name)) out.push(r);
    else if (!r || !pidAlive(r.pid) || !isKernelProcess(r.pid, name)) removeFiles(dir, name);
  }
  return out;
}

export function age(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  if (s < 172800) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}
