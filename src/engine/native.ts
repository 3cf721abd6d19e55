// The typed face of starry.node: the only module that loads the binary (node-pty style loader).
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const enum EventKind {
  Spawned = 1,
  Clone = 2,
  Exec = 3,
  Exit = 4,
  Signal = 5,
  GroupStop = 6,
  Seccomp = 7,
  Done = 8,
  Error = 9,
}

/** A tracer event, in the order the tracer saw it; see native/common.h. */
export interface TracerEvent {
  kind: EventKind;
  tid: number;
  a: number;
  b: number;
  c: number;
  /** For Seccomp stops: nr, the six arguments, rsp. */
  regs?: number[];
  msg?: string;
}

export interface LaunchParams {
  path: string;
  argv: string[];
  envp: string[];
  cwd: string;
  traceAll: boolean;
}

export const enum TraceAction {
  Continue = 0,
  Return = 1,
  SetArgs = 2,
}

/** An opaque native watch handle. */
export type NativeWatch = { readonly __brand: 'NativeWatch' };

export interface NativeBinding {
  launch(p: LaunchParams, records: Uint32Array, onEvents: (ev: TracerEvent[]) => void, onNotifs: (n: number) => void): void;
  respond(slot: number, value: number): number;
  continueSyscall(slot: number): number;
  addFd(slot: number, srcFd: number, targetFd: number, cloexec: boolean, send: boolean): number;
  idValid(slot: number): boolean;
  traceReply(tid: number, action: TraceAction, value: number, args?: (number | undefined)[]): void;
  readMem(pid: number, addr: number, buf: Uint8Array, off: number, len: number): number;
  writeMem(pid: number, addr: number, buf: Uint8Array, off: number, len: number): number;
  readString(pid: number, addr: number, buf: Uint8Array, off: number, max: number): number;
  hostSyscall(nr: number, a0?: number, a1?: number, a2?: number, a3?: number, a4?: number, a5?: number): number;
  addressOf(buf: Uint8Array): number;
  close(): void;
  /** A one-shot readiness watch on a host descriptor, or -errno when it cannot be polled. */
  watch(fd: number, cb: (revents: number) => void): NativeWatch | number;
  arm(w: NativeWatch, events: number): number;
  unwatch(w: NativeWatch): void;
  /** PTRACE_INTERRUPT tid from the tracer thread (ending a wait with signal mask sigmask); false if that did not happen in time. */
  interrupt(tid: number, sigmask?: bigint): boolean;
  /**
   * Send sig (tgkill when tgid > 0, else kill) so that the guest sees info, a siginfo_t; with
   * result, the syscall the thread waits in returns it even if the signal interrupts the wait.
   */
  signalInfo(tgid: number, tid: number, sig: number, info: Uint8Array, result?: number): number;
  /** sendmsg on a unix socket with SCM_RIGHTS: bytes sent, or -errno. */
  sendFds(sock: number, buf: Uint8Array, off: number, len: number, fds?: number[]): number;
  /** recvmsg on a unix socket: bytes read (0 at EOF) and the descriptors that came (close-on-exec), or -errno. */
  recvFds(sock: number, buf: Uint8Array, off: number, len: number): { n: number; fds: number[]; truncated: boolean } | number;
  /** The seccomp-BPF program launch installs, flattened as [code, jt, jf, k, ...]. */
  filterProgram(traceAll: boolean): number[];
  readonly recordWords: number;
  readonly maxBatch: number;
}

/** A file the native build makes (build/Release or build/Debug), or throws naming where it looked. */
function built(name: string, what: string): string {
  const here = dirname(fileURLToPath(import.meta.url));
  // dist/src/engine -> repository root, or src/engine when run from sources
  const roots = [join(here, '..', '..', '..'), join(here, '..', '..')];
  const tried: string[] = [];
  for (const root of roots) {
    for (const kind of ['Release', 'Debug']) {
      const file = join(root, 'build', kind, name);
      tried.push(file);
      if (existsSync(file)) return file;
    }
  }
  throw new Error(`starry-sandbox: ${what} is not built (looked for ${tried.join(', ')}); run "npm install" in the repository`);
}

function load(): NativeBinding {
  return createRequire(import.meta.url)(built('starry.node', 'the native addon')) as NativeBinding;
}

/** The init helper of named sandboxes (native/init.c). */
export function initHelperPath(): string {
  return built('starry-init', 'the init helper (native/init.c)');
}

export const native: NativeBinding = load();
