// A socket's receive queue: the messages (Linux's sk_buffs) written to it, each with its sender's
// address, passed descriptors and credentials. Stream sockets read across messages; datagram
// and seqpacket sockets read one message at a time. Data leaves the queue only once the reader's
// answer was delivered, so an interrupted read loses nothing (DESIGN.md section 2).
import type { Kernel } from '../kernel.js';
import type { IoVec, OpenFile } from '../fd/openfile.js';
import type { SockName } from './sockaddr.js';
import { WaitQueue } from '../wait.js';
import { carrying, type Carrier } from './unixgc.js';

export interface Cred {
  pid: number;
  uid: number;
  gid: number;
}

export class Msg {
  off = 0;
  constructor(
    readonly data: Buffer,
    readonly from?: SockName,
    /** Descriptors in flight (SCM_RIGHTS): the queue holds a reference on each. */
    public rights?: OpenFile[],
    readonly cred?: Cred,
  ) {}
  get left(): number {
    return this.data.length - this.off;
  }
}

/** What a read copied: bytes, the first message, and the one whose rights it receives. */
export interface Reading {
  n: number;
  first: Msg;
  rights: Msg | undefined;
}

export interface Taken {
  m: Msg;
  k: number;
  dropped: boolean;
}

export class MsgQueue {
  private msgs: Msg[] = [];
  private head = 0;
  /** Unread bytes. */
  size = 0;
  /** Bytes of buffer space, the receiver's SO_RCVBUF as the writer sees it. */
  capacity: number;
  readonly readable = new WaitQueue();
  readonly writable = new WaitQueue();

  constructor(
    capacity: number,
    /** The socket whose queue this is. */
    private readonly owner?: Carrier,
  ) {
    this.capacity = capacity;
  }

  get count(): number {
    return this.msgs.length - this.head;
  }
  get space(): number {
    return Math.max(0, this.capacity - this.size);
  }
  peekMsg(): Msg | undefined {
    return this.msgs[this.head];
  }

  push(m: Msg): void {
    this.msgs.push(m);
    this.size += m.left;
    if (m.rights && this.owner) carrying(this.owner);
  }

  /** The messages still queued (for the collector of sockets in flight). */
  queued(): Msg[] {
    return this.msgs.slice(this.head);
  }

  /** Undo the last push if nothing of it was read; false when that is too late. */
  unpush(m: Msg): boolean {
    if (this.msgs[this.msgs.length - 1] !== m || m.off !== 0) return false;
    this.msgs.pop();
    this.size -= m.data.length;
    return true;
  }

  /**
   * Copy into the guest without consuming. A stream read crosses messages and stops after the
   * first that carries descriptors (unix_stream_read_generic); a message read copies one.
   * Returns the Reading, or -EFAULT when nothing could be copied.
   */
  copyOut(k: Kernel, tid: number, iov: IoVec, max: number, stream: boolean, skip = 0): Reading | number {
    const first = this.msgs[this.head];
    let n = 0;
    let vi = 0;
    let vOff = 0;
    let rights: Msg | undefined;
    // The first message is looked at even for a zero-length read: its descriptors come with
    // it (a datagram is consumed whole, and unix_stream_read_generic detaches them too).
    for (let i = this.head; i < this.msgs.length; i++) {
      const m = this.msgs[i];
      let off = m.off;
      if (skip > 0) {
        const s = Math.min(skip, m.left);
        skip -= s;
        off += s;
        if (off === m.data.length && m.left > 0) continue;
      }
      while (off < m.data.length && n < max) {
        while (vi < iov.bases.length && vOff >= iov.lens[vi]) {
          vi++;
          vOff = 0;
        }
        if (vi >= iov.bases.length) break;
        const len = Math.min(m.data.length - off, iov.lens[vi] - vOff, max - n);
        const r = k.mem.writeFrom(tid, iov.bases[vi] + vOff, m.data, off, len);
        if (r < 0) return n === 0 ? r : { n, first, rights };
        n += len;
        vOff += len;
        off += len;
      }
      if (m.rights && !rights) rights = m;
      if (!stream || rights) break;
      if (vi >= iov.bases.length || n >= max) break;
    }
    return { n, first, rights };
  }

  /** Consume n bytes (stream) or the first message (whole); returns what untake() needs. */
  take(n: number, stream: boolean): Taken[] {
    const taken: Taken[] = [];
    while (this.head < this.msgs.length) {
      const m = this.msgs[this.head];
      const k = stream ? Math.min(n, m.left) : m.left;
      m.off += k;
      n -= k;
      this.size -= k;
      const dropped = !stream || m.left === 0;
      taken.push({ m, k, dropped });
      if (dropped) this.dropHead();
      if (!stream || n <= 0) break;
    }
    return taken;
  }

  /** Put consumed bytes back at the front (a read whose answer was dropped). */
  untake(taken: Taken[]): void {
    for (let i = taken.length - 1; i >= 0; i--) {
      const { m, k, dropped } = taken[i];
      m.off -= k;
      this.size += k;
      if (!dropped) continue;
      if (this.head > 0) this.msgs[--this.head] = m;
      else this.msgs.unshift(m);
    }
  }

  private dropHead(): void {
    this.msgs[this.head] = undefined as unknown as Msg;
    this.head++;
    if (this.head === this.msgs.length) {
      this.msgs.length = 0;
      this.head = 0;
    } else if (this.head > 64 && this.head * 2 > this.msgs.length) {
      this.msgs = this.msgs.slice(this.head);
      this.head = 0;
    }
  }

  /** Drop everything (the socket closed): descriptors in flight are released. */
  purge(): void {
    // emptied first: a descriptor released here may be this socket itself (in flight on its own queue)
    const msgs = this.queued();
    this.msgs = [];
    this.head = 0;
    this.size = 0;
    for (const m of msgs) for (const f of m.rights ?? []) f.decRef();
  }
}
