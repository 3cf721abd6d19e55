// The socket open file (Linux's struct socket + struct sock): what every family shares. The
// receive queue, SOL_SOCKET options, shutdown state and the pending error live here; families
// (stream.ts, dgram.ts) add connection state, and a Namespace (unix.ts, inet.ts) owns names.
import { OpenFile, O_RDWR, type IoVec } from '../fd/openfile.js';
import { placeholder } from '../fd/hostfile.js';
import type { Kernel } from '../kernel.js';
import type { Task } from '../task.js';
import type { Call } from '../call.js';
import { EINVAL, ENOPROTOOPT, EOPNOTSUPP, ENOTTY } from '../errno.js';
import { interfaceIoctl } from './ifreq.js';
import { anyInFlight, collect } from './unixgc.js';
import { MsgQueue, type Cred, type Msg, type Reading } from './msgqueue.js';
import { SOCK_DGRAM, SOCK_STREAM, showName, type SockName } from './sockaddr.js';

export const SOL_SOCKET = 1;
export const SO_REUSEADDR = 2;
export const SO_TYPE = 3;
export const SO_ERROR = 4;
export const SO_DONTROUTE = 5;
export const SO_BROADCAST = 6;
export const SO_SNDBUF = 7;
export const SO_RCVBUF = 8;
export const SO_KEEPALIVE = 9;
export const SO_OOBINLINE = 10;
export const SO_NO_CHECK = 11;
export const SO_PRIORITY = 12;
export const SO_LINGER = 13;
export const SO_REUSEPORT = 15;
export const SO_PASSCRED = 16;
export const SO_PEERCRED = 17;
export const SO_RCVLOWAT = 18;
export const SO_SNDLOWAT = 19;
export const SO_RCVTIMEO_OLD = 20;
export const SO_SNDTIMEO_OLD = 21;
export const SO_BINDTODEVICE = 25;
export const SO_TIMESTAMP_OLD = 29;
export const SO_ACCEPTCONN = 30;
export const SO_SNDBUFFORCE = 32;
export const SO_RCVBUFFORCE = 33;
export const SO_TIMESTAMPNS_OLD = 35;
export const SO_MARK = 36;
export const SO_PROTOCOL = 38;
export const SO_DOMAIN = 39;
export const SO_RXQ_OVFL = 40;
export const SO_BUSY_POLL = 46;
export const SO_INCOMING_CPU = 49;
export const SO_ZEROCOPY = 60;
export const SO_RCVTIMEO_NEW = 66;
export const SO_SNDTIMEO_NEW = 67;

export const MSG_OOB = 0x1;
export const MSG_PEEK = 0x2;
export const MSG_DONTROUTE = 0x4;
export const MSG_CTRUNC = 0x8;
export const MSG_TRUNC = 0x20;
export const MSG_DONTWAIT = 0x40;
export const MSG_EOR = 0x80;
export const MSG_WAITALL = 0x100;
export const MSG_NOSIGNAL = 0x4000;
export const MSG_MORE = 0x8000;
export const MSG_WAITFORONE = 0x10000;
export const MSG_CMSG_CLOEXEC = 0x40000000;

export const SHUT_RD = 0;
export const SHUT_WR = 1;
export const SHUT_RDWR = 2;

/** Linux's sysctl defaults (net.core.wmem_default/rmem_default/wmem_max/rmem_max). */
export const WMEM_DEFAULT = 212992;
export const RMEM_DEFAULT = 212992;
const MEM_MAX = 212992;
const SOCK_MIN_SNDBUF = 4608;
const SOCK_MIN_RCVBUF = 2304;

let nextIno = 100000;

/** A message being sent: the guest's data, destination, and what rides along. */
export interface Outgoing {
  iov: IoVec;
  flags: number;
  to: SockName | undefined;
  rights: OpenFile[] | undefined;
  cred: Cred;
}

/** Where a socket's names live: the unix namespace or the loopback inet stack. */
export interface Namespace {
  /** Bind s to name (undefined: pick one, as autobind or an ephemeral port does). */
  bind(k: Kernel, t: Task, s: Socket, name: SockName | undefined): number;
  /** The socket closed: forget it. */
  unbind(s: Socket): void;
}

export abstract class Socket extends OpenFile {
  /** Sockets open in the process, all kernels together (sockstat's "sockets: used"). */
  static used = 0;
  readonly native = false;
  readonly hostFd = placeholder();
  readonly ino = nextIno++;
  local: SockName | undefined;
  remote: SockName | undefined;
  /** The pending error SO_ERROR reports and clears (positive errno). */
  error = 0;
  shutRd = false;
  shutWr = false;
  readonly rx: MsgQueue;
  /** The last message a send queued, for undoing it when the answer is dropped. */
  lastPush: { q: MsgQueue; m: Msg } | undefined;
  /** The rights array the last send queued (its references now belong to the queue). */
  lastRights: OpenFile[] | undefined;

  sndbuf: number;
  reuseAddr = false;
  reusePort = false;
  keepAlive = false;
  broadcast = false;
  passCred = false;
  oobInline = false;
  linger: [number, number] = [0, 0];
  rcvTimeoMs = 0;
  sndTimeoMs = 0;
  priority = 0;
  rcvLowat = 1;
  mark = 0;
  /** Integer options accepted and reported back without further effect (SO_TIMESTAMP ...). */
  readonly plain = new Map<number, number>();

  constructor(
    readonly ns: Namespace,
    readonly domain: number,
    readonly type: number,
    readonly protocol: number,
    flags: number,
    rcvbuf: number,
    sndbuf: number,
  ) {
    super((flags & ~3) | O_RDWR);
    this.rx = new MsgQueue(rcvbuf, this);
    this.sndbuf = sndbuf;
    this.guestPath = `socket:[${this.ino}]`;
    Socket.used++;
  }

  /** What poll reports for room to write. */
  readonly outMask: number = 0x004 | 0x100;

  get streaming(): boolean {
    return this.type === SOCK_STREAM;
  }

  /** bind(2) after the address was decoded; undefined asks for an automatic name. */
  bind(k: Kernel, t: Task, name: SockName | undefined): number {
    return this.ns.bind(k, t, this, name);
  }
  abstract connect(k: Kernel, c: Call, name: SockName | undefined): number;
  listen(_backlog: number): number {
    return -EOPNOTSUPP;
  }
  accept(): Socket | number {
    return -EOPNOTSUPP;
  }
  abstract shutdown(how: number): number;

  /** Queue data; bytes taken, -EAGAIN when it must wait, or -errno (EPIPE raises SIGPIPE). */
  abstract send(k: Kernel, t: Task, out: Outgoing): number;
  /** Nothing to read: 0 at end of file, -EAGAIN to wait, or -errno. */
  protected abstract emptyRead(): number;
  /** Whether recv may read right now (a stream socket must be connected). */
  protected canRead(): number {
    return 0;
  }
  /** The peer's name for getpeername, or -ENOTCONN. */
  peerName(): SockName | undefined | number {
    return this.remote ?? -107;
  }

  /** Copy the next message(s) into iov without consuming; a Reading, 0 at EOF, or -errno. */
  recvPeek(k: Kernel, t: Task, iov: IoVec, flags: number, skip = 0): Reading | number {
    const r = this.canRead();
    if (r < 0) return r;
    if (this.rx.size - skip <= 0 && (this.streaming || this.rx.count === 0)) {
      if (this.error) return -this.takeError();
      return this.emptyRead();
    }
    void flags;
    return this.rx.copyOut(k, t.tid, iov, iov.total, this.streaming, skip);
  }

  /** The read was delivered: consume it and wake writers. */
  consumed(n: number): ReturnType<MsgQueue['take']> {
    const taken = this.rx.take(n, this.streaming);
    this.rx.writable.notify(0x004 | 0x100);
    this.readDone();
    return taken;
  }
  /** Hook for families that track reads (none by default). */
  protected readDone(): void {}

  takeError(): number {
    const e = this.error;
    this.error = 0;
    return e;
  }

  override read(): number {
    return -EINVAL; // sockets are read through the socket syscalls' core (sendrecv.ts)
  }

  override ioctl(k: Kernel, t: Task, req: number, arg: number): number {
    const FIONREAD = 0x541b;
    const SIOCOUTQ = 0x5411;
    if (req === FIONREAD) {
      // datagram sockets report the next message; stream and seqpacket everything queued
      const v = this.type === SOCK_DGRAM ? (this.rx.peekMsg()?.left ?? 0) : this.rx.size;
      if (this.listening) return -EINVAL;
      return k.mem.putI32(t.tid, arg, v);
    }
    if (req === SIOCOUTQ) return k.mem.putI32(t.tid, arg, this.outq());
    return interfaceIoctl(k, t, req, arg) ?? -ENOTTY;
  }
  get listening(): boolean {
    return false;
  }
  /** Bytes sent and not yet read by the peer (SIOCOUTQ). */
  protected outq(): number {
    return 0;
  }

  /** getsockopt for SOL_SOCKET; returns the bytes to copy in buf, or -errno. */
  getSocketOpt(opt: number, v: DataView): number {
    const int = (x: number): number => {
      v.setInt32(0, x, true);
      return 4;
    };
    switch (opt) {
      case SO_TYPE:
        return int(this.type);
      case SO_DOMAIN:
        return int(this.domain);
      case SO_PROTOCOL:
        return int(this.protocol);
      case SO_ERROR:
        return int(this.takeError());
      case SO_ACCEPTCONN:
        return int(this.listening ? 1 : 0);
      case SO_REUSEADDR:
        return int(this.reuseAddr ? 1 : 0);
      case SO_REUSEPORT:
        return int(this.reusePort ? 1 : 0);
      case SO_KEEPALIVE:
        return int(this.keepAlive ? 1 : 0);
      case SO_BROADCAST:
        return int(this.broadcast ? 1 : 0);
      case SO_PASSCRED:
        return int(this.passCred ? 1 : 0);
      case SO_OOBINLINE:
        return int(this.oobInline ? 1 : 0);
      case SO_SNDBUF:
        return int(this.sndbuf);
      case SO_RCVBUF:
        return int(this.rx.capacity);
      case SO_PRIORITY:
        return int(this.priority);
      case SO_RCVLOWAT:
        return int(this.rcvLowat);
      case SO_SNDLOWAT:
        return int(1);
      case SO_MARK:
        return int(this.mark);
      case SO_LINGER:
        v.setInt32(0, this.linger[0], true);
        v.setInt32(4, this.linger[1], true);
        return 8;
      case SO_RCVTIMEO_OLD:
      case SO_SNDTIMEO_OLD: {
        const ms = opt === SO_RCVTIMEO_OLD ? this.rcvTimeoMs : this.sndTimeoMs;
        v.setBigInt64(0, BigInt(Math.floor(ms / 1000)), true);
        v.setBigInt64(8, BigInt(Math.round((ms % 1000) * 1000)), true);
        return 16;
      }
      case SO_BINDTODEVICE:
        return 0;
      default:
        if (PLAIN_OPTS.has(opt)) return int(this.plain.get(opt) ?? 0);
        return -ENOPROTOOPT;
    }
  }

  /** setsockopt for SOL_SOCKET; buf holds optlen bytes. */
  setSocketOpt(opt: number, v: DataView, len: number): number {
    if (opt === SO_RCVTIMEO_OLD || opt === SO_SNDTIMEO_OLD || opt === SO_RCVTIMEO_NEW || opt === SO_SNDTIMEO_NEW) {
      if (len < 16) return -EINVAL;
      const sec = Number(v.getBigInt64(0, true));
      const usec = Number(v.getBigInt64(8, true));
      if (usec < 0 || usec >= 1000000) return -33; // EDOM, as sock_set_timeout
      const ms = sec < 0 ? 0 : sec * 1000 + usec / 1000;
      if (opt === SO_RCVTIMEO_OLD || opt === SO_RCVTIMEO_NEW) this.rcvTimeoMs = ms;
      else this.sndTimeoMs = ms;
      return 0;
    }
    if (opt === SO_LINGER) {
      if (len < 8) return -EINVAL;
      // turning lingering off keeps the time (sock_setsockopt only clears SOCK_LINGER)
      const on = v.getInt32(0, true) !== 0;
      this.linger = on ? [1, v.getInt32(4, true)] : [0, this.linger[1]];
      return 0;
    }
    if (opt === SO_BINDTODEVICE) return 0;
    if (len < 4) return -EINVAL;
    const x = v.getInt32(0, true);
    switch (opt) {
      case SO_REUSEADDR:
        this.reuseAddr = x !== 0;
        return 0;
      case SO_REUSEPORT:
        this.reusePort = x !== 0;
        return 0;
      case SO_KEEPALIVE:
        this.keepAlive = x !== 0;
        return 0;
      case SO_BROADCAST:
        this.broadcast = x !== 0;
        return 0;
      case SO_PASSCRED:
        this.passCred = x !== 0;
        return 0;
      case SO_OOBINLINE:
        this.oobInline = x !== 0;
        return 0;
      case SO_PRIORITY:
        this.priority = x;
        return 0;
      case SO_RCVLOWAT:
        this.rcvLowat = Math.max(1, x);
        return 0;
      case SO_MARK:
        this.mark = x;
        return 0;
      // Linux doubles the value for its bookkeeping and reports the doubled size (socket(7))
      case SO_SNDBUF:
      case SO_SNDBUFFORCE:
        this.sndbuf = Math.max(SOCK_MIN_SNDBUF, Math.min(x >>> 0, MEM_MAX) * 2);
        this.sizesChanged();
        return 0;
      case SO_RCVBUF:
      case SO_RCVBUFFORCE:
        this.rx.capacity = Math.max(SOCK_MIN_RCVBUF, Math.min(x >>> 0, MEM_MAX) * 2);
        this.sizesChanged();
        return 0;
      case SO_TYPE:
      case SO_DOMAIN:
      case SO_PROTOCOL:
      case SO_ERROR:
      case SO_ACCEPTCONN:
      case SO_PEERCRED:
        return -ENOPROTOOPT;
      default:
        if (PLAIN_OPTS.has(opt)) {
          this.plain.set(opt, x);
          return 0;
        }
        return -ENOPROTOOPT;
    }
  }
  protected sizesChanged(): void {}

  /** Options of other levels (IPPROTO_TCP, IPPROTO_IP ...), by family. */
  getProtoOpt(_level: number, _opt: number, _v: DataView, _len: number): number {
    return -EOPNOTSUPP;
  }
  setProtoOpt(_level: number, _opt: number, _v: DataView, _len: number): number {
    return -EOPNOTSUPP;
  }

  override describe(): string {
    return this.guestPath;
  }
  /** For strace: "127.0.0.1:80->127.0.0.1:41234". */
  show(): string {
    return `${showName(this.local)}->${showName(this.remote)}`;
  }

  /** A descriptor closed: what is left of the socket may be only in flight (unixgc.ts). */
  override decRef(): void {
    super.decRef();
    if (this.refs > 0 && anyInFlight()) collect();
  }

  protected override release(): void {
    Socket.used--;
    this.ns.unbind(this);
    this.rx.purge();
  }
}

const PLAIN_OPTS = new Set([1 /* SO_DEBUG */, SO_DONTROUTE, SO_NO_CHECK, SO_TIMESTAMP_OLD, SO_TIMESTAMPNS_OLD, SO_RXQ_OVFL, SO_BUSY_POLL, SO_INCOMING_CPU, SO_ZEROCOPY, 41 /* SO_WIFI_STATUS */, 34 /* SO_PASSSEC */, 63 /* SO_TIMESTAMP_NEW */, 64 /* SO_TIMESTAMPNS_NEW */]);
