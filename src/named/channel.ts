// One end of a named sandbox's control connection: length-prefixed JSON messages over a unix
// stream socket, with descriptors riding along (SCM_RIGHTS). Non-blocking, driven by the event
// loop through the addon's readiness watches; used by both the kernel process and its clients.
import { native, type NativeWatch } from '../engine/native.js';
import { NR } from '../kernel/abi/sysnames.js';
import * as host from '../host/sys.js';

const POLLIN = 0x001;
const POLLOUT = 0x004;
const EAGAIN = 11;
const F_GETFL = 3;
const F_SETFL = 4;
const O_NONBLOCK = 0o4000;
/** Larger frames are a protocol error (a run request is at most a few MiB of argv and env). */
const MAX_FRAME = 16 << 20;

export type Message = Record<string, unknown>;

export class Channel {
  private readonly watch: NativeWatch;
  private inbuf = Buffer.alloc(0);
  private readonly chunk = Buffer.allocUnsafe(65536);
  private readonly out: { buf: Buffer; fds: number[] | undefined }[] = [];
  private fds: number[] = [];
  private closed = false;
  /** A complete message, with every descriptor that came since the previous one. */
  onMessage: (m: Message, fds: number[]) => void = (_m, fds) => closeAll(fds);
  /** The peer closed (or the connection failed); called once. */
  onClose: () => void = () => {};

  constructor(readonly fd: number) {
    const fl = host.sys(NR.fcntl, fd, F_GETFL);
    host.sys(NR.fcntl, fd, F_SETFL, fl | O_NONBLOCK);
    const w = native.watch(fd, (revents) => this.ready(revents));
    if (typeof w === 'number') throw new Error(`cannot watch the control socket (errno ${-w})`);
    this.watch = w;
    this.arm();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  send(m: Message, fds?: number[]): void {
    if (this.closed) return;
    const body = Buffer.from(JSON.stringify(m));
    const buf = Buffer.allocUnsafe(4 + body.length);
    buf.writeUInt32LE(body.length, 0);
    body.copy(buf, 4);
    this.out.push({ buf, fds });
    this.flush();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    native.unwatch(this.watch);
    host.close(this.fd);
    closeAll(this.fds);
    this.fds = [];
    this.onClose();
  }

  private arm(): void {
    if (!this.closed) native.arm(this.watch, POLLIN | (this.out.length ? POLLOUT : 0));
  }

  private flush(): void {
    while (this.out.length) {
      const o = this.out[0];
      const n = native.sendFds(this.fd, o.buf, 0, o.buf.length, o.fds);
      if (n === -EAGAIN) break;
      if (n < 0) return this.close();
      o.fds = undefined; // they went with the first byte
      if (n < o.buf.length) {
        o.buf = o.buf.subarray(n);
        break;
      }
      this.out.shift();
    }
    this.arm();
  }

  private ready(revents: number): void {
    if (this.closed) return;
    if (revents & POLLOUT) this.flush();
    if (revents & ~POLLOUT) this.readAll();
    this.arm();
  }

  private readAll(): void {
    for (;;) {
      const r = native.recvFds(this.fd, this.chunk, 0, this.chunk.length);
      if (r === -EAGAIN) break;
      if (typeof r === 'number' || r.n === 0) return this.close();
      this.fds.push(...r.fds);
      this.inbuf = Buffer.concat([this.inbuf, this.chunk.subarray(0, r.n)]);
      while (this.inbuf.length >= 4) {
        const len = this.inbuf.readUInt32LE(0);
        if (len > MAX_FRAME) return this.close();
        if (this.inbuf.length < 4 + len) break;
        let m: Message;
        try {
          m = JSON.parse(this.inbuf.toString('utf8', 4, 4 + len)) as Message;
        } catch {
          return this.close();
        }
        this.inbuf = this.inbuf.subarray(4 + len);
        const fds = this.fds;
        this.fds = [];
        this.onMessage(m, fds);
        if (this.closed) return;
      }
    }
  }
}

export function closeAll(fds: number[]): void {
  for (const fd of fds) host.close(fd);
}
