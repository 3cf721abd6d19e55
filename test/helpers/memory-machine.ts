// An in-memory Machine: one flat guest address space and scripted syscalls, so the kernel's
// syscall families can be unit-tested (and fuzzed) without real guest processes.
import type { Machine } from '../../src/kernel/machine.js';
import { Kernel, type KernelConfig, type Logger } from '../../src/kernel/kernel.js';
import { Call } from '../../src/kernel/call.js';
import { NR } from '../../src/kernel/abi/sysnames.js';
import type { MountSpec } from '../../src/kernel/fs/mount.js';

const EFAULT = 14;
const ENOENT = 2;

export class MemoryMachine implements Machine {
  readonly base = 0x10000;
  readonly mem = Buffer.alloc(1 << 20);
  readonly answers = new Map<number, number>();
  readonly continued = new Set<number>();
  readonly installed: { slot: number; src: number; target: number; cloexec: boolean }[] = [];
  readonly signals: [number, number, number][] = [];
  /** interrupt() calls: [tid, the signal mask of the wait that ended]. */
  readonly interrupts: [number, bigint | undefined][] = [];
  /** Slots whose guest thread stopped waiting: answering them fails with ENOENT. */
  readonly gone = new Set<number>();

  private inRange(addr: number, len: number): number {
    if (addr < this.base || addr >= this.base + this.mem.length) return 0;
    return Math.min(len, this.base + this.mem.length - addr);
  }
  readMem(_tid: number, addr: number, buf: Uint8Array, off: number, len: number): number {
    const n = this.inRange(addr, len);
    if (n === 0) return -EFAULT;
    buf.set(this.mem.subarray(addr - this.base, addr - this.base + n), off);
    return n;
  }
  writeMem(_tid: number, addr: number, buf: Uint8Array, off: number, len: number): number {
    const n = this.inRange(addr, len);
    if (n === 0) return -EFAULT;
    this.mem.set(buf.subarray(off, off + n), addr - this.base);
    return n;
  }
  readString(_tid: number, addr: number, buf: Uint8Array, off: number, max: number): number {
    const n = this.inRange(addr, max);
    if (n === 0) return -EFAULT;
    const start = addr - this.base;
    const nul = this.mem.indexOf(0, start);
    if (nul < 0 || nul - start >= max) return nul < 0 && n < max ? -EFAULT : -36;
    buf.set(this.mem.subarray(start, nul), off);
    return nul - start;
  }
  respond(slot: number, value: number): number {
    if (this.gone.has(slot)) return -ENOENT;
    this.answers.set(slot, value);
    return 0;
  }
  continueSyscall(slot: number): number {
    this.continued.add(slot);
    return 0;
  }
  addFd(slot: number, src: number, target: number, cloexec: boolean, send: boolean): number {
    if (this.gone.has(slot)) return -ENOENT;
    this.installed.push({ slot, src, target, cloexec });
    if (send) this.answers.set(slot, target);
    return target;
  }
  traceReply(): void {}
  interrupt(tid: number, sigmask?: bigint): void {
    this.interrupts.push([tid, sigmask]);
  }
  signal(tgid: number, tid: number, sig: number): number {
    this.signals.push([tgid, tid, sig]);
    return 0;
  }
}

export class RecordingLogger implements Logger {
  readonly lines: { level: string; obj: object; msg: string }[] = [];
  warn(obj: object, msg: string): void {
    this.lines.push({ level: 'warn', obj, msg });
  }
  error(obj: object, msg: string): void {
    this.lines.push({ level: 'error', obj, msg });
  }
  debug(): void {}
  isLevelEnabled(): boolean {
    return false;
  }
}

export type Outcome = { value: number } | { continued: true } | { pending: true };

/** A kernel with one guest process (pid 100) on a MemoryMachine. */
export class Guest {
  readonly machine: MemoryMachine;
  readonly log = new RecordingLogger();
  readonly kernel: Kernel;
  private slot = 0;
  private heap = 0x10000;
  readonly pid = 100;

  /** machine and config let the fuzzer watch the answers and turn on tracing. */
  constructor(mounts: MountSpec[], cwd: string, opts: { machine?: MemoryMachine; config?: Partial<KernelConfig> } = {}) {
    this.machine = opts.machine ?? new MemoryMachine();
    this.kernel = new Kernel(this.machine, { mounts, cwd, hostname: 'unit', log: this.log, ...opts.config });
    // dispositions as if every signal had its default action (no host thread to ask)
    this.kernel.signalState = () => ({ disposition: 0, blocked: false });
    this.kernel.pendingSignal = () => false;
    this.kernel.spawned(this.pid);
  }

  /** Start a syscall; returns its slot. */
  start(name: string, ...args: number[]): number {
    return this.startOn(this.pid, name, ...args);
  }

  /** Start a syscall on thread tid (see thread()). */
  startOn(tid: number, name: string, ...args: number[]): number {
    const nr = NR[name];
    if (nr === undefined) throw new Error(`no syscall ${name}`);
    return this.startNr(nr, args, tid);
  }

  /** A second thread of the process (CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD). */
  thread(tid: number): number {
    this.kernel.cloned(this.pid, tid, 0x100 | 0x200 | 0x400 | 0x800 | 0x10000);
    return tid;
  }

  startNr(nr: number, args: number[], tid = this.pid): number {
    const c = new Call();
    c.slot = ++this.slot;
    c.id = c.slot;
    c.tid = tid;
    c.nr = nr;
    for (let i = 0; i < 6; i++) {
      const u = BigInt.asUintN(64, BigInt(Math.trunc(args[i] ?? 0)));
      c.lo[i] = Number(u & 0xffffffffn);
      c.hi[i] = Number(u >> 32n);
    }
    this.kernel.dispatch(c);
    return c.slot;
  }

  outcome(slot: number): Outcome {
    if (this.machine.answers.has(slot)) return { value: this.machine.answers.get(slot)! };
    if (this.machine.continued.has(slot)) return { continued: true };
    return { pending: true };
  }

  /** Run a syscall that must complete at once; returns its value (CONTINUE throws). */
  sys(name: string, ...args: number[]): number {
    const o = this.outcome(this.start(name, ...args));
    if ('value' in o) return o.value;
    throw new Error(`${name} did not complete with a value: ${JSON.stringify(o)}`);
  }

  /** A notification id the kernel never receives (a call withdrawn by a signal). */
  skipNotification(): void {
    this.slot++;
  }

  alloc(size: number): number {
    const a = this.machine.base + this.heap;
    this.heap += (size + 15) & ~15;
    return a;
  }
  str(s: string): number {
    const a = this.alloc(Buffer.byteLength(s) + 1);
    this.machine.mem.write(s + '\0', a - this.machine.base, 'latin1');
    return a;
  }
  bytes(s: string): number {
    const a = this.alloc(Buffer.byteLength(s));
    this.machine.mem.write(s, a - this.machine.base, 'latin1');
    return a;
  }
  read(addr: number, len: number): string {
    return this.machine.mem.toString('latin1', addr - this.machine.base, addr - this.machine.base + len);
  }
  i32(addr: number, i = 0): number {
    return this.machine.mem.readInt32LE(addr - this.machine.base + 4 * i);
  }
}
