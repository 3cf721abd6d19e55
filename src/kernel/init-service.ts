// The private calls of a named sandbox's init (native/init.c): the way a command from outside
// (starry-sandbox --join) becomes a guest process. Outside processes cannot join the sandbox's
// seccomp listener, so init, the sandbox's first guest, forks every such command. It asks for
// work with NEXT, which parks until a request is queued; the kernel then installs the
// requester's stdio in init (close-on-exec, with ADDFD like any descriptor it gives a guest) and
// writes the request into init's buffer. STARTED tells which pid the request became.
// Only the init process may make these calls; for every other guest they do not exist (ENOSYS).
import type { Kernel } from './kernel.js';
import type { Call } from './call.js';
import { BLOCKED } from './call.js';
import type { OpenFile } from './fd/openfile.js';
import { installQuiet } from './fd/install.js';
import { WaitQueue } from './wait.js';
import { EAGAIN, E2BIG, EFAULT, ENOSYS } from './errno.js';

export const NR_INIT_NEXT = 0x3ffff000;
export const NR_INIT_STARTED = 0x3ffff001;

/** struct request of init.c: id, fds[3], argc, envc, then the strings. */
const HEADER = 24;
/** What init's buffer holds besides the header (MAX_STRINGS in init.c). */
export const MAX_REQUEST_STRINGS = 4 << 20;
const MAX_STRINGS_COUNT = 131072 - 2;

export interface InitRequest {
  /** The program's guest path (resolved in the sandbox's view). */
  path: string;
  argv: string[];
  envp: string[];
  /** Guest working directory. */
  cwd: string;
  /** stdin, stdout, stderr: open files the kernel owns until init has them. */
  stdio: [OpenFile, OpenFile, OpenFile];
  /** The process exists (pid), or it could not be made (-errno). */
  started(pid: number): void;
}

export class InitService {
  private readonly queue: { id: number; req: InitRequest; bytes: Buffer }[] = [];
  private readonly waiting = new Map<number, InitRequest>();
  private readonly ready = new WaitQueue();
  private nextId = 1;

  constructor(private readonly k: Kernel) {}

  /** Queue a request for init; -E2BIG when it cannot fit init's buffer. */
  submit(req: InitRequest): number {
    const strings = [req.path, req.cwd, ...req.argv, ...req.envp];
    if (strings.length > MAX_STRINGS_COUNT) return -E2BIG;
    const body = Buffer.from(strings.join('\0') + '\0', 'latin1');
    if (body.length > MAX_REQUEST_STRINGS) return -E2BIG;
    const bytes = Buffer.alloc(HEADER + body.length);
    body.copy(bytes, HEADER);
    bytes.writeUInt32LE(req.argv.length, 16);
    bytes.writeUInt32LE(req.envp.length, 20);
    for (const f of req.stdio) f.incRef(); // ours until installed in init
    this.queue.push({ id: this.nextId++, req, bytes });
    this.ready.notify();
    return 0;
  }

  /** Nothing will take the queued requests any more (the sandbox is ending). */
  drop(): void {
    for (const q of this.queue.splice(0)) {
      for (const f of q.req.stdio) f.decRef();
      q.req.started(-ENOSYS);
    }
    for (const req of this.waiting.values()) req.started(-ENOSYS);
    this.waiting.clear();
  }

  /** NEXT or STARTED from a guest: ENOSYS unless it is init. */
  call(c: Call): number {
    if (c.task.group !== this.k.init) return -ENOSYS;
    if (c.nr === NR_INIT_STARTED) {
      const req = this.waiting.get(c.u32(0));
      this.waiting.delete(c.u32(0));
      req?.started(c.int(1));
      return 0;
    }
    const saved = c.clone();
    const attempt = (): number => this.next(saved);
    const r = attempt();
    if (r !== -EAGAIN) return r;
    this.k.block(c, [this.ready], attempt);
    return BLOCKED;
  }

  private next(c: Call): number {
    const q = this.queue[0];
    if (!q) return -EAGAIN;
    const buf = c.ptr(0);
    if (c.ptr(1) < q.bytes.length) return -E2BIG; // not our init
    const t = c.task;
    const fds: number[] = [];
    for (const f of q.req.stdio) {
      const fd = t.files.lowestFree(3, t.group.nofile[0]);
      const r = fd < 0 ? fd : installQuiet(this.k, c, f, fd, true);
      if (r < 0) {
        // init cannot take it now (no room, or the call was cut short): it stays queued
        for (const n of fds) t.files.close(n);
        return r === -EAGAIN ? -EAGAIN : r;
      }
      fds.push(fd);
    }
    q.bytes.writeUInt32LE(q.id, 0);
    for (let i = 0; i < 3; i++) q.bytes.writeInt32LE(fds[i], 4 + 4 * i);
    if (this.k.mem.writeFrom(c.tid, buf, q.bytes, 0, q.bytes.length) < 0) {
      for (const n of fds) t.files.close(n);
      return -EFAULT;
    }
    this.queue.shift();
    for (const f of q.req.stdio) f.decRef(); // init's table holds them now
    this.waiting.set(q.id, q.req);
    return q.bytes.length;
  }
}

