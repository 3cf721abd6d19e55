// Pipes (pipe(7)): a 64 KiB ring shared by a read end and a write end. Writes of at most
// PIPE_BUF bytes are atomic; larger blocking writes return what fit once the pipe is full.
// Data leaves the pipe only when the reader's answer was delivered (DESIGN.md section 2).
import { OpenFile, O_RDONLY, O_WRONLY, type IoVec } from './openfile.js';
import type { Kernel } from '../kernel.js';
import type { Task } from '../task.js';
import { EAGAIN, EPIPE } from '../errno.js';
import { ANSWERED } from '../call.js';
import { POLLERR, POLLHUP, POLLIN, POLLOUT, POLLRDNORM, POLLWRNORM, WaitQueue } from '../wait.js';
import { placeholder } from './hostfile.js';

export const PIPE_BUF = 4096;
export const PIPE_DEFAULT_SIZE = 65536;

let nextIno = 1000;

export class Pipe {
  readonly ino = nextIno++;
  capacity = PIPE_DEFAULT_SIZE;
  private chunks: Buffer[] = [];
  private head = 0; // offset into chunks[0]
  size = 0;
  readers = 0;
  writers = 0;
  /** Bumped by each writer that opens (a FIFO reader waits for one: Linux's w_counter). */
  writerOpens = 0;
  /** An anonymous pipe (pipe2), not a FIFO. */
  unnamed = true;
  readonly readQueue = new WaitQueue();
  readonly writeQueue = new WaitQueue();
  /** Woken when an end opens (a FIFO's open waits for the other side). */
  readonly opened = new WaitQueue();
  /** The FIFO's registry entry goes with the last end (its data is dropped, as Linux does). */
  onLastClose: (() => void) | undefined;

  /** Copy up to len bytes (without consuming) into the guest; bytes or -EFAULT. */
  peekTo(k: Kernel, tid: number, iov: IoVec, len: number): number {
    let copied = 0;
    let ci = 0;
    let off = this.head;
    // Walk the chunks, scattering into the iovecs in order.
    let vi = 0;
    let vOff = 0;
    while (copied < len && ci < this.chunks.length) {
      const c = this.chunks[ci];
      const avail = c.length - off;
      while (vi < iov.bases.length && vOff >= iov.lens[vi]) {
        vi++;
        vOff = 0;
      }
      if (vi >= iov.bases.length) break;
      const n = Math.min(avail, iov.lens[vi] - vOff, len - copied);
      const r = k.mem.writeFrom(tid, iov.bases[vi] + vOff, c, off, n);
      if (r < 0) return copied === 0 ? r : copied;
      copied += n;
      vOff += n;
      off += n;
      if (off === c.length) {
        ci++;
        off = 0;
      }
    }
    return copied;
  }

  /** Put bytes taken by consume back at the front (a read whose answer was dropped). */
  unconsume(data: Buffer): void {
    if (data.length === 0) return;
    if (this.head > 0) {
      this.chunks[0] = this.chunks[0].subarray(this.head);
      this.head = 0;
    }
    this.chunks.unshift(data);
    this.size += data.length;
    this.readQueue.notify(POLLIN | POLLRDNORM);
  }

  /** Remove n bytes from the front; returns them (for unconsume). */
  consume(n: number): Buffer {
    const taken: Buffer[] = [];
    this.size -= n;
    while (n > 0) {
      const c = this.chunks[0];
      const avail = c.length - this.head;
      if (n < avail) {
        taken.push(c.subarray(this.head, this.head + n));
        this.head += n;
        break;
      }
      taken.push(c.subarray(this.head));
      n -= avail;
      this.chunks.shift();
      this.head = 0;
    }
    return taken.length === 1 ? taken[0] : Buffer.concat(taken);
  }

  append(data: Buffer): void {
    if (data.length === 0) return;
    this.chunks.push(data);
    this.size += data.length;
  }

  /** Undo the last append if nothing of it was read; false when that is too late. */
  unappend(data: Buffer): boolean {
    const last = this.chunks[this.chunks.length - 1];
    if (last !== data || (this.chunks.length === 1 && this.head > 0)) return false;
    this.chunks.pop();
    this.size -= data.length;
    if (this.chunks.length === 0) this.head = 0;
    return true;
  }
}

export class PipeEnd extends OpenFile {
  readonly native = false;
  readonly hostFd = placeholder();

  /** The end reads (O_RDONLY), writes (O_WRONLY), or both (O_RDWR: a FIFO opened so). */
  constructor(
    readonly pipe: Pipe,
    readonly access: number,
    flags: number,
    name?: string,
  ) {
    super((flags & ~3) | access);
    this.writersAtOpen = pipe.writerOpens;
    if (this.reads) pipe.readers++;
    if (this.writes) {
      pipe.writers++;
      pipe.writerOpens++;
    }
    this.guestPath = name ?? `pipe:[${pipe.ino}]`;
    pipe.opened.notify(0);
  }
  /** A FIFO reader reports no hangup until a writer has opened since it did (pipe_poll). */
  private readonly writersAtOpen: number;
  get reads(): boolean {
    return this.access !== O_WRONLY;
  }
  get writes(): boolean {
    return this.access !== O_RDONLY;
  }

  override queueFor(write: boolean): WaitQueue {
    return write ? this.pipe.writeQueue : this.pipe.readQueue;
  }

  override pollQueues(_events: number): WaitQueue[] {
    return [this.pipe.readQueue, this.pipe.writeQueue];
  }

  override pollMask(_events: number): number {
    const p = this.pipe;
    let m = 0;
    if (this.reads) {
      if (p.size > 0) m |= POLLIN | POLLRDNORM;
      if (p.writers === 0 && (p.unnamed || p.writerOpens !== this.writersAtOpen)) m |= POLLHUP;
    }
    if (this.writes) {
      if (p.capacity - p.size >= Math.min(PIPE_BUF, p.capacity)) m |= POLLOUT | POLLWRNORM;
      if (p.readers === 0) m |= POLLERR;
    }
    return m;
  }

  override read(k: Kernel, t: Task, slot: number, iov: IoVec): number {
    const p = this.pipe;
    if (iov.total === 0) return 0;
    if (p.size === 0) return p.writers === 0 ? 0 : -EAGAIN;
    const n = p.peekTo(k, t.tid, iov, Math.min(iov.total, p.size));
    if (n < 0) return n;
    if (k.deliver(slot, n)) {
      const taken = p.consume(n);
      k.commit(n, () => {
        p.unconsume(taken);
        return true;
      });
      p.writeQueue.notify(POLLOUT | POLLWRNORM);
    }
    return ANSWERED;
  }

  /**
   * Queue what fits (a write of at most PIPE_BUF bytes only whole): bytes, -EAGAIN, or -EPIPE
   * with no reader. The write core (syscalls/progress.ts) answers and waits for the rest.
   */
  put(k: Kernel, t: Task, iov: IoVec): number {
    const p = this.pipe;
    if (p.readers === 0) return -EPIPE;
    if (iov.total === 0) return 0;
    const space = p.capacity - p.size;
    if (space === 0 || (iov.total <= PIPE_BUF && space < iov.total)) return -EAGAIN;
    const data = k.mem.gather(t.tid, iov, space);
    if (typeof data === 'number') return data;
    p.append(data);
    this.lastPut = data;
    p.readQueue.notify(POLLIN | POLLRDNORM);
    return data.length;
  }
  private lastPut: Buffer | undefined;

  /** Take the last put back if nothing of it was read yet (its answer was dropped). */
  takeBack(): (() => boolean) | undefined {
    const data = this.lastPut;
    this.lastPut = undefined;
    return data && (() => this.pipe.unappend(data));
  }

  override describe(): string {
    return this.guestPath;
  }

  protected override release(): void {
    const p = this.pipe;
    if (this.reads) {
      p.readers--;
      p.writeQueue.notify(POLLERR);
    }
    if (this.writes) {
      p.writers--;
      p.readQueue.notify(POLLHUP);
    }
    if (p.readers + p.writers === 0) p.onLastClose?.();
  }
}
