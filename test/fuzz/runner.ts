// Runs a fuzz program against a fresh kernel on the in-memory machine and checks the kernel's
// invariants (DESIGN.md section 7, "Fuzzing"):
//   after every step  no exception escapes the kernel and no "kernel bug" is logged; every
//                     answer is a value or -errno in 1..4095 (never a kernel-internal code such
//                     as -ERESTARTSYS unless a signal ended the wait), given once; a call without
//                     an answer is parked on a wait queue (else nobody would ever answer it);
//   at the end        no parked call could complete already (a lost wake-up); once every task
//                     has exited, no open file keeps a reference, no wait queue holds an entry,
//                     no timer is armed, no socket name, port or FIFO is left behind, every host
//                     descriptor the kernel opened is closed, and the read-only view is intact.
import { TimeWait } from '../../src/kernel/net/inet.js';
import { mkdirSync, mkdtempSync, readdirSync, readlinkSync, rmSync, symlinkSync, writeFileSync, lstatSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { Guest, MemoryMachine } from '../helpers/memory-machine.js';
import type { MountSpec } from '../../src/kernel/fs/mount.js';
import type { Kernel } from '../../src/kernel/kernel.js';
import { OpenFile, O_RDWR } from '../../src/kernel/fd/openfile.js';
import { HostFile, placeholder } from '../../src/kernel/fd/hostfile.js';
import { WaitQueue } from '../../src/kernel/wait.js';
import { nowMs } from '../../src/kernel/timers.js';
import * as host from '../../src/host/sys.js';
import { CLONE_FILES, CLONE_FS, CLONE_THREAD, CLONE_VM } from '../../src/kernel/kernel.js';
import { LiveTasks, type Arg, type Program } from './program.js';
import { NR_OF } from './calls.js';

export interface Violation {
  /** Index of the call it showed after, or -1 for the end-of-program checks. */
  call: number;
  kind: string;
  detail: string;
}

export interface Report {
  violations: Violation[];
  /** Each call's result (undefined: ran natively, still blocked, or interrupted). */
  results: (number | undefined)[];
}

// ---- the fixture: a read-only view and a scratch directory ----------------------------------

const DEV_ONLY = ['null', 'zero', 'full', 'random', 'urandom', 'ptmx', 'pts'];
const DEV_LINKS = { fd: '/proc/self/fd', stdin: '/proc/self/fd/0', stdout: '/proc/self/fd/1', stderr: '/proc/self/fd/2' };

export class Fixture {
  readonly base = mkdtempSync(join(tmpdir(), 'starry-fuzz-'));
  readonly ro = join(this.base, 'ro');
  readonly rw = join(this.base, 'rw');
  readonly tmp = join(this.base, 'tmp');
  readonly empty = join(this.base, 'empty');
  readonly mounts: MountSpec[];
  private readonly roState: string;

  constructor() {
    for (const d of [this.ro, this.rw, this.tmp, this.empty]) mkdirSync(d);
    for (const d of ['etc', 'dir', 'w', 'tmp', 'dev', 'proc', 'sys']) mkdirSync(join(this.ro, d));
    writeFileSync(join(this.ro, 'etc/hostname'), 'fuzz\n');
    writeFileSync(join(this.ro, 'file'), 'read-only data\n');
    writeFileSync(join(this.ro, 'dir/a'), 'a\n');
    symlinkSync('file', join(this.ro, 'link'));
    symlinkSync('nowhere', join(this.ro, 'dangling'));
    symlinkSync('../../..', join(this.ro, 'up'));
    this.roState = this.snapshot();
    this.mounts = [
      { guest: '/', host: this.ro, readOnly: true },
      { guest: '/w', host: this.rw, readOnly: false },
      { guest: '/tmp', host: this.tmp, readOnly: false, type: 'tmpfs' },
      { guest: '/dev', host: '/dev', readOnly: true, devices: true, only: DEV_ONLY, links: DEV_LINKS },
      { guest: '/proc', host: this.empty, readOnly: true, generated: 'proc' },
      { guest: '/sys', host: this.empty, readOnly: true, generated: 'sysfs' },
      { guest: '/sys/fs/cgroup', host: this.empty, readOnly: true, generated: 'cgroup2' },
    ];
  }

  /** Put the scratch directories back as every program starts with them (when it changed them). */
  reset(): void {
    if (this.pristine()) return;
    for (const d of [this.rw, this.tmp]) {
      rmSync(d, { recursive: true, force: true });
      mkdirSync(d);
    }
    writeFileSync(join(this.rw, 'f'), 'data\n');
    mkdirSync(join(this.rw, 'd'));
    writeFileSync(join(this.rw, 'd/g'), '');
    symlinkSync('f', join(this.rw, 'l'));
    this.rwState = this.scratchState();
  }

  private rwState = '';
  private scratchState(): string {
    const st = (p: string): string => {
      const s = lstatSync(p);
      return `${s.mode}:${s.size}:${s.mtimeMs}:${s.uid}`;
    };
    return [readdirSync(this.rw).join(), readdirSync(join(this.rw, 'd')).join(), readdirSync(this.tmp).join(), st(this.rw), st(join(this.rw, 'f')), st(join(this.rw, 'd')), st(join(this.rw, 'd/g')), st(join(this.rw, 'l'))].join('|');
  }
  private pristine(): boolean {
    try {
      return this.rwState !== '' && this.scratchState() === this.rwState;
    } catch {
      return false;
    }
  }

  /** Names, types, modes, sizes and contents of the read-only view and the fixture's top. */
  private snapshot(): string {
    const out: string[] = [readdirSync(this.base).sort().join(',')];
    const walk = (dir: string): void => {
      for (const n of readdirSync(dir).sort()) {
        const p = join(dir, n);
        const st = lstatSync(p);
        out.push(`${p} ${st.mode.toString(8)} ${st.size} ${st.uid}:${st.gid}`);
        if (st.isDirectory()) walk(p);
        else if (st.isFile()) out.push(readFileSync(p, 'latin1'));
      }
    };
    walk(this.ro);
    return out.join('\n');
  }

  /** What changed in the read-only view (an escape), or undefined. */
  roChanged(): string | undefined {
    const now = this.snapshot();
    return now === this.roState ? undefined : now;
  }

  remove(): void {
    rmSync(this.base, { recursive: true, force: true });
  }
}

// ---- what the kernel holds: every open file and wait queue a program touched ----------------

const liveFiles = new Set<OpenFile>();
const queues = new Set<WaitQueue>();
let tracking = false;
function track(): void {
  if (tracking) return;
  tracking = true;
  const inc = OpenFile.prototype.incRef;
  OpenFile.prototype.incRef = function (this: OpenFile) {
    liveFiles.add(this);
    inc.call(this);
  };
  const add = WaitQueue.prototype.add;
  WaitQueue.prototype.add = function (this: WaitQueue, w) {
    queues.add(this);
    add.call(this, w);
  };
}

function hostFds(): Set<number> {
  return new Set(readdirSync('/proc/self/fd').map(Number));
}

function fdName(fd: number): string {
  try {
    return readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    return '?';
  }
}

/**
 * Maps and sets of an object (one level, and one more for tables of tables) that still hold
 * something. TCP's TIME_WAIT records (TimeWait) are kept for a minute on purpose, as Linux
 * keeps the port of the side that closed first: they are not counted.
 */
function residue(name: string, o: object, out: string[], depth = 0): void {
  const held = (x: unknown): boolean => !(x instanceof TimeWait) && !(x && typeof x === 'object' && Object.getPrototypeOf(x) === Object.prototype);
  for (const [k, v] of Object.entries(o)) {
    const n = v instanceof Map ? [...v.values()].reduce((s: number, e) => s + (Array.isArray(e) ? e.filter(held).length : 1), 0) : v instanceof Set ? v.size : 0;
    if (n > 0) out.push(`${name}.${k} holds ${n}`);
    else if (depth === 0 && v && typeof v === 'object' && !Array.isArray(v) && Object.getPrototypeOf(v) !== Object.prototype) residue(`${name}.${k}`, v, out, 1);
  }
}

/** The kernel's own tables of names and objects, which must be empty when no task is left. */
function kernelResidue(k: Kernel): string[] {
  const out: string[] = [];
  if (k.tasks.size) out.push(`tasks holds ${k.tasks.size}`);
  if (k.groups.size) out.push(`groups holds ${k.groups.size}`);
  if (k.signalFds.size) out.push(`signalFds holds ${k.signalFds.size}`);
  if (k.timers.size) out.push(`timers holds ${k.timers.size}`);
  residue('unix', k.unix, out);
  residue('inet', k.inet, out);
  residue('netlink', k.netlink, out);
  residue('fifos', k.fifos, out);
  residue('ptys', k.ptys, out);
  return out;
}

// ---- the machine: answers recorded once ------------------------------------------------------

class FuzzMachine extends MemoryMachine {
  readonly twice: number[] = [];
  override respond(slot: number, value: number): number {
    if (!this.gone.has(slot) && (this.answers.has(slot) || this.continued.has(slot))) this.twice.push(slot);
    return super.respond(slot, value);
  }
  override continueSyscall(slot: number): number {
    if (this.answers.has(slot) || this.continued.has(slot)) this.twice.push(slot);
    return super.continueSyscall(slot);
  }
}

/** Linux's internal restart codes (-512..-516) and the other kernel-only errnos up to 529. */
const internal = (v: number): boolean => v <= -512 && v >= -529;

const SIGUSR1 = 10;
const THREAD_FLAGS = CLONE_VM | CLONE_FS | CLONE_FILES | 0x800 /* CLONE_SIGHAND */ | CLONE_THREAD;
const FORK_FLAGS = 17; // SIGCHLD
const MEM_LIMIT = (1 << 20) - 0x10000; // the last 64 KiB are left for &end-N

interface Pending {
  call: number;
  slot: number;
  tid: number;
  /** A signal ended its wait ($signal): the restart codes are its answer then. */
  kicked: boolean;
  /** poll and select: the open file at each descriptor they watch, when they blocked. */
  watched?: Map<number, unknown>;
}

class Run {
  readonly guest: Guest;
  readonly k: Kernel;
  readonly m = new FuzzMachine();
  readonly violations: Violation[] = [];
  readonly results: (number | undefined)[] = [];
  /** The first pointer argument of each call, for rN[k]. */
  private readonly firstPtr: (number | undefined)[] = [];
  /** The register values each syscall was made with. */
  private readonly argv: number[][] = [];
  private readonly tids: number[] = [];
  private readonly tasks = new LiveTasks();
  private pending: Pending[] = [];
  /** Tasks whose next answer is lost ($drop). */
  private readonly dropNext = new Set<number>();
  private heap = 0;
  private logSeen = 0;

  constructor(
    fx: Fixture,
    readonly p: Program,
  ) {
    this.guest = new Guest(fx.mounts, '/w', { machine: this.m, config: { straceWriter: () => {}, traceJsonWriter: () => {} } });
    this.k = this.guest.kernel;
    this.tids.push(this.guest.pid);
    // stdio: /dev/null rather than the fuzzer's own descriptors
    const files = this.k.tasks.get(this.guest.pid)!.files;
    for (let fd = 0; fd < 3; fd++) {
      const h = host.openat2(host.AT_FDCWD, '/dev/null', O_RDWR | host.O_CLOEXEC, 0, 0);
      files.install(fd, new HostFile(h, O_RDWR, undefined, '/dev/null'), false);
    }
  }

  fail(call: number, kind: string, detail: string): void {
    this.violations.push({ call, kind, detail });
  }

  /** Errors the kernel logged since the last look. */
  private checkLog(call: number): void {
    const lines = this.guest.log.lines;
    for (; this.logSeen < lines.length; this.logSeen++) {
      const l = lines[this.logSeen];
      if (l.level !== 'error') continue;
      const err = (l.obj as { err?: string }).err;
      this.fail(call, 'kernel-bug', `${l.msg}${err ? `\n${err}` : ''}`);
    }
  }

  private checkValue(call: number, v: number, kicked: boolean): void {
    if (!Number.isInteger(v) || v < -4095 || (internal(v) && !kicked)) this.fail(call, 'bad-result', `${this.p[call].name} answered ${v}`);
  }

  /** Answers that arrived for blocked calls; and blocked calls must still be parked. */
  private checkPending(at: number): void {
    const still: Pending[] = [];
    for (const q of this.pending) {
      if (this.m.gone.has(q.slot)) continue;
      const o = this.guest.outcome(q.slot);
      if ('value' in o) {
        this.checkValue(q.call, o.value, q.kicked);
        this.results[q.call] = o.value;
      } else if ('pending' in o) {
        const t = this.k.tasks.get(q.tid);
        if (t?.parked?.slot !== q.slot) this.fail(at, 'lost-call', `${this.p[q.call].name} (call ${q.call}) has no answer and is parked nowhere: it would never return`);
        else still.push(q);
      }
    }
    this.pending = still;
    if (this.m.twice.length) {
      this.fail(at, 'double-answer', `slots answered twice: ${this.m.twice.join(', ')}`);
      this.m.twice.length = 0;
    }
  }

  private alloc(size: number): number {
    const n = (Math.max(size, 1) + 15) & ~15;
    if (this.heap + n > MEM_LIMIT) this.heap = 0;
    const off = this.heap;
    this.heap += n;
    this.guest.machine.mem.fill(0, off, off + Math.max(size, 1));
    return this.guest.machine.base + off;
  }

  private put(addr: number, s: string): void {
    this.guest.machine.mem.write(s, addr - this.guest.machine.base, 'latin1');
  }

  /** The register value of an argument, laying out what it points to. */
  private value(a: Arg, call: number): number {
    switch (a.k) {
      case 'int':
        return a.v;
      case 'res': {
        if (a.word === undefined) return this.results[a.call] ?? -1;
        const at = this.firstPtr[a.call];
        const off = at === undefined ? -1 : at - this.guest.machine.base + 4 * a.word;
        return off >= 0 && off + 4 <= this.guest.machine.mem.length ? this.guest.machine.mem.readInt32LE(off) : -1;
      }
      case 'str': {
        const at = this.alloc(a.s.length + 1);
        this.put(at, a.s);
        this.firstPtr[call] ??= at;
        return at;
      }
      case 'buf': {
        const at = this.alloc(a.size);
        this.put(at, a.data);
        this.firstPtr[call] ??= at;
        return at;
      }
      case 'struct': {
        const size = a.fields.reduce((n, f) => n + ('bytes' in f ? f.bytes.length : f.w), 0);
        const at = this.alloc(size);
        this.firstPtr[call] ??= at;
        const mem = this.guest.machine.mem;
        let off = at - this.guest.machine.base;
        for (const f of a.fields) {
          if ('bytes' in f) {
            mem.write(f.bytes, off, 'latin1');
            off += f.bytes.length;
            continue;
          }
          const u = BigInt.asUintN(64, BigInt(this.value(f.v, call)));
          for (let i = 0; i < f.w; i++) mem[off + i] = Number((u >> BigInt(8 * i)) & 0xffn);
          off += f.w;
        }
        return at;
      }
      case 'end':
        return this.guest.machine.base + this.guest.machine.mem.length - a.back;
    }
  }

  /** The slot the guest's next call gets (Guest numbers them in order). */
  private nextSlot(): number {
    return (this.guest as unknown as { slot: number }).slot + 1;
  }

  private pendingOf(tid: number): Pending | undefined {
    return this.pending.find((q) => q.tid === tid && !this.m.gone.has(q.slot));
  }

  /** The guest thread stops waiting for its call's answer (a signal, or its exit). */
  private abandon(tid: number): void {
    const q = this.pendingOf(tid);
    if (q) this.m.gone.add(q.slot);
  }

  step(i: number): void {
    const c = this.p[i];
    const tid = this.tids[c.task];
    try {
      switch (c.name) {
        case '$thread':
        case '$fork': {
          if (!this.tasks.after(c)) {
            this.results[i] = -11; // EAGAIN
            break;
          }
          const child = this.guest.pid + this.tids.length;
          this.tids.push(child);
          this.abandon(tid); // the thread returned from its blocked call to clone
          this.k.cloned(tid, child, c.name === '$thread' ? THREAD_FLAGS : FORK_FLAGS);
          this.results[i] = child;
          break;
        }
        case '$exit':
          this.tasks.after(c);
          this.abandon(tid);
          this.k.exited(tid, (this.value(c.args[0], i) & 0xff) << 8);
          this.results[i] = 0;
          break;
        case '$drop':
          this.dropNext.add(tid);
          this.results[i] = 0;
          break;
        case '$signal': {
          const t = this.k.tasks.get(this.value(c.args[0], i));
          const q = t && this.pendingOf(t.tid);
          if (t?.parked && q) {
            q.kicked = true;
            this.k.kick(t);
          }
          this.results[i] = 0;
          break;
        }
        default: {
          // A thread makes one call at a time: one still blocked was interrupted by a signal.
          const q = this.pendingOf(tid);
          if (q) {
            this.m.gone.add(q.slot);
            this.k.signalled(tid, SIGUSR1);
          }
          const args = c.args.map((a) => this.value(a, i));
          this.argv[i] = args;
          const nr = NR_OF.get(c.name)!;
          const drop = this.dropNext.delete(tid);
          if (drop) this.m.gone.add(this.nextSlot());
          const slot = this.guest.startNr(nr, args, tid);
          if (drop) {
            // the signal that cut the answer off reaches the tracer: the call is to be restarted
            this.k.signalled(tid, SIGUSR1, [nr, -512]);
            break;
          }
          const o = this.guest.outcome(slot);
          if ('value' in o) {
            this.checkValue(i, o.value, false);
            this.results[i] = o.value;
          } else if ('pending' in o) this.pending.push({ call: i, slot, tid, kicked: false, watched: this.watchedFiles(c.name, args, tid) });
        }
      }
    } catch (e) {
      this.fail(i, 'exception', `${c.name}: ${e instanceof Error ? e.stack : String(e)}`);
    }
    this.checkLog(i);
    this.checkPending(i);
  }

  /**
   * Let due timers fire and host readiness arrive, as the event loop would by now. (The timer
   * heap's own fire() runs what is due; it is called only then, as its Node timer is due too.)
   */
  async settle(): Promise<void> {
    const q = this.k.timers as unknown as { fire(): void; heap: { deadline: number }[] };
    const fireDue = (): void => {
      if (q.heap.length && q.heap[0].deadline <= nowMs()) q.fire();
    };
    try {
      fireDue();
      await new Promise((r) => setImmediate(r));
      fireDue();
    } catch (e) {
      this.fail(-1, 'exception', `timer: ${e instanceof Error ? e.stack : String(e)}`);
    }
    this.checkLog(-1);
    this.checkPending(-1);
  }

  /** A parked call whose condition already holds missed its wake-up: it would sleep forever. */
  checkWakeups(): void {
    for (const q of [...this.pending]) {
      const w = this.k.tasks.get(q.tid)?.parked;
      if (!w || w.slot !== q.slot) continue;
      try {
        w.wake(0);
      } catch (e) {
        this.fail(-1, 'exception', `wake of ${this.p[q.call].name}: ${e instanceof Error ? e.stack : String(e)}`);
      }
      if (w.done && !this.closedUnderPoll(q)) this.fail(-1, 'lost-wakeup', `${this.p[q.call].name} (call ${q.call}) stayed blocked although it could complete: its wake-up was lost`);
    }
    this.checkLog(-1);
    this.checkPending(-1);
  }

  /**
   * poll and select look at their descriptors again only when woken: Linux does not wake them
   * when another thread closes one, so a rescan that finds it closed (POLLNVAL, EBADF) is no
   * lost wake-up.
   */
  private closedUnderPoll(q: Pending): boolean {
    const name = this.p[q.call].name;
    const o = this.guest.outcome(q.slot);
    if (!('value' in o)) return false;
    // a watched descriptor closed, or closed and opened again as another file: Linux goes on
    // polling the files it started with, so the rescan's answer is not one it would give
    const files = this.k.tasks.get(q.tid)?.files;
    for (const [fd, f] of q.watched ?? []) if (files?.get(fd) !== f) return true;
    if (name === 'select' || name === 'pselect6') return o.value === -9; // EBADF
    if (name !== 'poll' && name !== 'ppoll') return false;
    const [fds, nfds] = this.argv[q.call];
    const mem = this.guest.machine.mem;
    for (let i = 0; i < Math.min(nfds, 4096); i++) {
      const off = fds - this.guest.machine.base + 8 * i + 6;
      if (off < 0 || off + 2 > mem.length) break;
      if (mem.readUInt16LE(off) & 0x20) return true; // POLLNVAL
    }
    return false;
  }

  /** The descriptors a poll or select call watches, with the file at each now. */
  private watchedFiles(name: string, args: number[], tid: number): Map<number, unknown> | undefined {
    const files = this.k.tasks.get(tid)?.files;
    if (!files) return undefined;
    const mem = this.guest.machine.mem;
    const base = this.guest.machine.base;
    const fds: number[] = [];
    if (name === 'poll' || name === 'ppoll') {
      for (let i = 0; i < Math.min(args[1], 4096); i++) {
        const off = args[0] - base + 8 * i;
        if (off < 0 || off + 4 > mem.length) break;
        fds.push(mem.readInt32LE(off));
      }
    } else if (name === 'select' || name === 'pselect6') {
      const nfds = Math.min(Math.max(args[0], 0), 1024);
      for (const set of [args[1], args[2], args[3]]) {
        const off = set - base;
        if (!set || off < 0 || off + Math.ceil(nfds / 8) > mem.length) continue;
        for (let fd = 0; fd < nfds; fd++) if (mem[off + (fd >> 3)] & (1 << (fd & 7))) fds.push(fd);
      }
    } else {
      return undefined;
    }
    return new Map(fds.map((fd) => [fd, files.get(fd)]));
  }

  /** Every task exits; then nothing may be left. */
  exitAll(): void {
    for (const t of [...this.tasks.live].reverse()) {
      const tid = this.tids[t];
      this.abandon(tid);
      try {
        this.k.exited(tid, 0);
      } catch (e) {
        this.fail(-1, 'exception', `exit of ${tid}: ${e instanceof Error ? e.stack : String(e)}`);
      }
    }
    this.checkLog(-1);
    if (this.m.twice.length) this.fail(-1, 'double-answer', `slots answered twice: ${this.m.twice.join(', ')}`);
    const held = [...liveFiles].filter((f) => f.refs !== 0);
    if (held.length) this.fail(-1, 'file-leak', `open files still referenced after every task exited: ${held.map((f) => `${f.constructor.name} ${f.describe()} (refs ${f.refs})`).join(', ')}`);
    const busy = [...queues].filter((q) => q.size > 0);
    if (busy.length) this.fail(-1, 'waiter-leak', `${busy.length} wait queue(s) still hold entries after every task exited`);
    const left = kernelResidue(this.k);
    if (left.length) this.fail(-1, 'kernel-leak', left.join('; '));
  }

  close(): void {
    this.k.shutdown();
    for (const m of this.k.mounts.all()) host.close(m.rootFd);
  }
}

/** A context for running programs: the fixture, and what the process holds between runs. */
export class Fuzzer {
  readonly fx = new Fixture();
  /** Node's warnings (a timer set beyond setTimeout's range is one) while a program ran. */
  private readonly warnings: string[] = [];
  private readonly onWarning = (w: Error): void => {
    this.warnings.push(`${w.name}: ${w.message}`);
  };
  constructor() {
    track();
    placeholder(); // opened once per process, never a leak
    process.on('warning', this.onWarning);
  }

  async run(p: Program): Promise<Report> {
    this.fx.reset();
    liveFiles.clear();
    queues.clear();
    const before = hostFds();
    const r = new Run(this.fx, p);
    for (let i = 0; i < p.length; i++) r.step(i);
    await r.settle();
    r.checkWakeups();
    r.exitAll();
    r.close();
    await new Promise((res) => setImmediate(res)); // warnings of the exits arrive on the next tick
    const leaked = [...hostFds()].filter((fd) => !before.has(fd));
    // (not closed here: one of them may be Node's own)
    if (leaked.length) r.fail(-1, 'host-fd-leak', `host descriptors left open: ${leaked.map((fd) => `${fd} -> ${fdName(fd)}`).join(', ')}`);
    for (const w of this.warnings.splice(0)) r.fail(-1, 'node-warning', w);
    const ro = this.fx.roChanged();
    if (ro !== undefined) r.fail(-1, 'escape', `the read-only view changed:\n${ro}`);
    return { violations: r.violations, results: r.results };
  }

  remove(): void {
    process.off('warning', this.onWarning);
    this.fx.remove();
  }
}
