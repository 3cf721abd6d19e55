// AF_NETLINK NETLINK_ROUTE (rtnetlink(7)), as far as getifaddrs(3) and if_nameindex(3) ask:
// link and address dumps describing the sandbox's only interface, lo (127.0.0.1/8, ::1/128).
// The SIOCGIF* ioctls that if_nametoindex and friends use on any socket live here too.
import { Socket, RMEM_DEFAULT, WMEM_DEFAULT, type Namespace, type Outgoing } from './socket.js';
import { Msg } from './msgqueue.js';
import type { Kernel } from '../kernel.js';
import type { Task } from '../task.js';
import type { Call } from '../call.js';
import * as E from '../errno.js';
import { POLLIN, POLLOUT, POLLRDNORM, POLLWRNORM, type WaitQueue } from '../wait.js';
import { AF_INET, AF_INET6, AF_NETLINK, NetlinkName, type SockName } from './sockaddr.js';
import { ARPHRD_LOOPBACK, LO_FLAGS, LO_INDEX, LO_MTU } from './ifreq.js';
import type { LoopbackStats } from './inet.js';

export const NETLINK_ROUTE = 0;

const NLMSG_ERROR = 2;
const NLMSG_DONE = 3;
const NLM_F_REQUEST = 0x1;
const NLM_F_MULTI = 0x2;
const NLM_F_ACK = 0x4;
const NLM_F_DUMP = 0x300;
const RTM_NEWLINK = 16;
const RTM_GETLINK = 18;
const RTM_NEWADDR = 20;
const RTM_GETADDR = 22;
const AF_PACKET = 17;


/** Netlink port ids in use (bind picks the thread group id first, as netlink_autobind). */
export class NetlinkNamespace implements Namespace {
  private readonly ports = new Map<number, Socket>();
  private next = -4096;

  bind(_k: Kernel, t: Task, s: Socket, name: SockName | undefined): number {
    const want = name instanceof NetlinkName ? name.pid : 0;
    if (s.local) return (s.local as NetlinkName).pid === want || want === 0 ? 0 : -E.EINVAL;
    let pid = want;
    if (pid === 0) {
      pid = this.ports.has(t.tgid) ? this.next-- : t.tgid;
      while (this.ports.has(pid)) pid = this.next--;
    } else if (this.ports.has(pid)) {
      return -E.EADDRINUSE;
    }
    this.ports.set(pid, s);
    s.local = new NetlinkName(pid, name instanceof NetlinkName ? name.groups : 0);
    return 0;
  }
  unbind(s: Socket): void {
    if (s.local instanceof NetlinkName && this.ports.get(s.local.pid) === s) this.ports.delete(s.local.pid);
  }
}

class Writer {
  private buf = Buffer.alloc(4096);
  len = 0;
  private room(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const b = Buffer.alloc(Math.max(this.buf.length * 2, this.len + n));
    this.buf.copy(b, 0, 0, this.len);
    this.buf = b;
  }
  u8(v: number): void {
    this.room(1);
    this.buf.writeUInt8(v, this.len++);
  }
  u16(v: number): void {
    this.room(2);
    this.buf.writeUInt16LE(v, this.len);
    this.len += 2;
  }
  u32(v: number): void {
    this.room(4);
    this.buf.writeUInt32LE(v >>> 0, this.len);
    this.len += 4;
  }
  bytes(b: Buffer): void {
    this.room(b.length);
    b.copy(this.buf, this.len);
    this.len += b.length;
  }
  align(): void {
    while (this.len % 4) this.u8(0);
  }
  /** An rtattr holding data. */
  attr(type: number, data: Buffer): void {
    this.u16(4 + data.length);
    this.u16(type);
    this.bytes(data);
    this.align();
  }
  /** Start a message; returns its offset for end(). */
  begin(type: number, flags: number, seq: number, pid: number): number {
    const at = this.len;
    this.u32(0);
    this.u16(type);
    this.u16(flags);
    this.u32(seq);
    this.u32(pid);
    return at;
  }
  end(at: number): void {
    this.align();
    this.buf.writeUInt32LE(this.len - at, at);
  }
  take(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.len));
  }
}

const u32 = (v: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v);
  return b;
};
const str = (s: string): Buffer => Buffer.from(`${s}\0`, 'latin1');

/** struct rtnl_link_stats of lo: what it sends it receives (u32 counters wrap). */
function loStats(lo: LoopbackStats): Buffer {
  const b = Buffer.alloc(96);
  for (const [i, v] of [lo.packets, lo.packets, lo.bytes, lo.bytes].entries()) b.writeUInt32LE(v % 2 ** 32, i * 4);
  return b;
}

function linkMessage(w: Writer, seq: number, pid: number, flags: number, lo: LoopbackStats): void {
  const at = w.begin(RTM_NEWLINK, flags, seq, pid);
  w.u8(0); // ifi_family
  w.u8(0);
  w.u16(ARPHRD_LOOPBACK);
  w.u32(LO_INDEX);
  w.u32(LO_FLAGS);
  w.u32(0); // ifi_change
  w.attr(3, str('lo')); // IFLA_IFNAME
  w.attr(4, u32(LO_MTU)); // IFLA_MTU
  w.attr(13, u32(1000)); // IFLA_TXQLEN
  w.attr(16, Buffer.from([0])); // IFLA_OPERSTATE: unknown, as lo reports
  w.attr(1, Buffer.alloc(6)); // IFLA_ADDRESS
  w.attr(2, Buffer.alloc(6)); // IFLA_BROADCAST
  w.attr(7, loStats(lo)); // IFLA_STATS
  w.end(at);
}

function addrMessages(w: Writer, seq: number, pid: number, flags: number, family: number): void {
  const one = (fam: number, prefix: number, addr: Buffer): void => {
    const at = w.begin(RTM_NEWADDR, flags, seq, pid);
    w.u8(fam);
    w.u8(prefix);
    w.u8(0x80); // IFA_F_PERMANENT
    w.u8(254); // RT_SCOPE_HOST
    w.u32(LO_INDEX);
    w.attr(1, addr); // IFA_ADDRESS
    if (fam === AF_INET) {
      w.attr(2, addr); // IFA_LOCAL
      w.attr(3, str('lo')); // IFA_LABEL
    }
    w.attr(8, u32(0x80)); // IFA_FLAGS
    w.end(at);
  };
  if (family === 0 || family === AF_INET) one(AF_INET, 8, Buffer.from([127, 0, 0, 1]));
  if (family === 0 || family === AF_INET6) one(AF_INET6, 128, Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]));
}

function errorMessage(w: Writer, req: Buffer, at: number, seq: number, pid: number, err: number): void {
  const m = w.begin(NLMSG_ERROR, 0, seq, pid);
  w.u32(err);
  w.bytes(req.subarray(at, at + 16)); // the request's header
  w.end(m);
}

export class NetlinkSocket extends Socket {
  constructor(ns: NetlinkNamespace, type: number, protocol: number, flags: number) {
    super(ns, AF_NETLINK, type, protocol, flags, RMEM_DEFAULT, WMEM_DEFAULT);
  }

  // replies are queued on rx: readers wait there (a recv parked on waitQueue was never woken)
  override queueFor(write: boolean): WaitQueue {
    return write ? this.waitQueue : this.rx.readable;
  }
  override pollQueues(): WaitQueue[] {
    return [this.waitQueue, this.rx.readable];
  }

  override pollMask(): number {
    return (this.rx.count > 0 ? POLLIN | POLLRDNORM : 0) | POLLOUT | POLLWRNORM;
  }

  override connect(_k: Kernel, _c: Call, name: SockName | undefined): number {
    this.remote = name;
    return 0;
  }
  override shutdown(): number {
    return -E.EOPNOTSUPP;
  }
  protected emptyRead(): number {
    return -E.EAGAIN;
  }
  override peerName(): SockName | undefined | number {
    return this.remote ?? new NetlinkName(0, 0);
  }

  /** Each request is answered at once: the replies are queued for recvmsg, one datagram per request. */
  override send(k: Kernel, t: Task, out: Outgoing): number {
    if (out.to instanceof NetlinkName && out.to.pid !== 0) return -E.ECONNREFUSED;
    const req = k.mem.gather(t.tid, out.iov, out.iov.total);
    if (typeof req === 'number') return req;
    if (!this.local) this.ns.bind(k, t, this, undefined);
    const pid = (this.local as NetlinkName).pid;
    for (let at = 0; at + 16 <= req.length; ) {
      const len = req.readUInt32LE(at);
      if (len < 16 || at + len > req.length) break;
      const type = req.readUInt16LE(at + 4);
      const flags = req.readUInt16LE(at + 6);
      const seq = req.readUInt32LE(at + 8);
      const w = new Writer();
      if (flags & NLM_F_REQUEST) {
        const family = len > 16 ? req[at + 16] : 0;
        const dump = (flags & NLM_F_DUMP) === NLM_F_DUMP;
        if (type === RTM_GETLINK && (family === 0 || family === AF_PACKET || !dump)) {
          linkMessage(w, seq, pid, dump ? NLM_F_MULTI : 0, k.inet.lo);
        } else if (type === RTM_GETADDR && dump) {
          addrMessages(w, seq, pid, NLM_F_MULTI, family);
        } else if (type !== RTM_GETLINK && type !== RTM_GETADDR) {
          errorMessage(w, req, at, seq, pid, -E.EOPNOTSUPP);
        }
        if (dump) {
          const d = w.begin(NLMSG_DONE, NLM_F_MULTI, seq, pid);
          w.u32(0);
          w.end(d);
        } else if (flags & NLM_F_ACK) {
          errorMessage(w, req, at, seq, pid, 0);
        }
        this.rx.push(new Msg(w.take(), new NetlinkName(0, 0)));
      }
      at += (len + 3) & ~3;
    }
    this.rx.readable.notify(POLLIN | POLLRDNORM);
    return req.length;
  }
}
