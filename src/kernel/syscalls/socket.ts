// socket, socketpair, bind, listen, accept/accept4, connect, getsockname/getpeername, shutdown,
// setsockopt/getsockopt. Data moves through sendrecv.ts.
import type { Family } from './types.js';
import type { Kernel } from '../kernel.js';
import type { Call } from '../call.js';
import { BLOCKED } from '../call.js';
import * as E from '../errno.js';
import { O_CLOEXEC, O_NONBLOCK } from '../fd/openfile.js';
import { installLowest, installPair, dropIfUnused } from '../fd/install.js';
import { Socket, SOL_SOCKET, SO_PEERCRED } from '../net/socket.js';
import { StreamSocket } from '../net/stream.js';
import { UnixStream, UnixDgram } from '../net/unix.js';
import { TcpSocket, UdpSocket } from '../net/inet.js';
import { NetlinkSocket, NETLINK_ROUTE } from '../net/netlink.js';
import { AF_INET, AF_INET6, AF_NETLINK, AF_UNIX, AF_UNSPEC, SOCK_DGRAM, SOCK_RAW, SOCK_SEQPACKET, SOCK_STREAM, decodeName, encodeName, type SockName } from '../net/sockaddr.js';
import type { Task } from '../task.js';
import { uid, gid } from '../creds.js';

const SOCK_TYPE_MASK = 0xf;
const SOCKADDR_MAX = 128;

/** The socket at fd, or -EBADF / -ENOTSOCK. */
export function socketAt(c: Call, i: number): Socket | number {
  const f = c.task.files.get(c.fd(i));
  if (!f) return -E.EBADF;
  return f instanceof Socket ? f : -E.ENOTSOCK;
}

export function credOf(t: Task): { pid: number; uid: number; gid: number } {
  return { pid: t.tgid, uid, gid };
}

/** A new socket object, or -errno as socket(2) answers for the domain, type and protocol. */
function create(k: Kernel, domain: number, type: number, protocol: number, flags: number): Socket | number {
  if (domain === AF_UNIX) {
    if (protocol !== 0 && protocol !== AF_UNIX) return -E.EPROTONOSUPPORT;
    if (type === SOCK_STREAM || type === SOCK_SEQPACKET) return new UnixStream(k.unix, type, flags);
    if (type === SOCK_DGRAM || type === SOCK_RAW) return new UnixDgram(k.unix, flags);
    return -E.ESOCKTNOSUPPORT;
  }
  if (domain === AF_INET || domain === AF_INET6) {
    if (type === SOCK_STREAM) {
      if (protocol !== 0 && protocol !== 6) return -E.EPROTONOSUPPORT;
      return new TcpSocket(k.inet, domain, flags);
    }
    if (type === SOCK_DGRAM) {
      if (protocol === 1 || protocol === 58) return -E.EACCES; // ICMP echo sockets: ping_group_range
      if (protocol !== 0 && protocol !== 17) return -E.EPROTONOSUPPORT;
      return new UdpSocket(k.inet, domain, flags);
    }
    if (type === SOCK_RAW) return -E.EPERM;
    return -E.ESOCKTNOSUPPORT;
  }
  if (domain === AF_NETLINK) {
    if (type !== SOCK_RAW && type !== SOCK_DGRAM) return -E.ESOCKTNOSUPPORT;
    if (protocol !== NETLINK_ROUTE) return -E.EPROTONOSUPPORT;
    return new NetlinkSocket(k.netlink, type, protocol, flags);
  }
  return -E.EAFNOSUPPORT;
}

function splitType(raw: number): [number, number] | number {
  const flags = raw & (O_NONBLOCK | O_CLOEXEC);
  if (raw & ~(SOCK_TYPE_MASK | O_NONBLOCK | O_CLOEXEC)) return -E.EINVAL;
  return [raw & SOCK_TYPE_MASK, flags];
}

function socket(k: Kernel, c: Call): number {
  const st = splitType(c.int(1));
  if (typeof st === 'number') return st;
  const s = create(k, c.int(0), st[0], c.int(2), st[1] & O_NONBLOCK);
  if (typeof s === 'number') return s;
  if (s instanceof StreamSocket) s.cred = credOf(c.task);
  return installLowest(k, c, s, 0, (st[1] & O_CLOEXEC) !== 0);
}

function socketpair(k: Kernel, c: Call): number {
  const st = splitType(c.int(1));
  if (typeof st === 'number') return st;
  const domain = c.int(0);
  if (domain !== AF_UNIX) {
    const probe = create(k, domain, st[0], c.int(2), 0);
    if (typeof probe === 'number') return probe;
    dropIfUnused(probe);
    return -E.EOPNOTSUPP;
  }
  const a = create(k, domain, st[0], c.int(2), st[1] & O_NONBLOCK);
  if (typeof a === 'number') return a;
  const b = create(k, domain, st[0], c.int(2), st[1] & O_NONBLOCK) as Socket;
  if (a instanceof StreamSocket && b instanceof StreamSocket) {
    a.cred = b.cred = credOf(c.task);
    StreamSocket.pair(a, b);
  } else if (a instanceof UnixDgram && b instanceof UnixDgram) {
    a.peer = b;
    b.peer = a;
  }
  return installPair(k, c, a, b, c.ptr(3), (st[1] & O_CLOEXEC) !== 0);
}

/** Read and decode the sockaddr at argument i (length at i+1); AF_UNSPEC gives undefined. */
function nameArg(k: Kernel, c: Call, s: Socket, i: number): SockName | undefined | number {
  const len = c.int(i + 1);
  if (len < 0 || len > SOCKADDR_MAX) return -E.EINVAL;
  const r = k.mem.read(c.tid, c.ptr(i), len);
  if (r < 0) return r;
  if (len >= 2 && k.mem.buf.readUInt16LE(0) === AF_UNSPEC) return undefined;
  return decodeName(s.domain, k.mem.buf, len);
}

function bind(k: Kernel, c: Call): number {
  const s = socketAt(c, 0);
  if (typeof s === 'number') return s;
  const len = c.int(2);
  // unix: an address of just the family asks for an automatic abstract name
  if (s.domain === AF_UNIX && len === 2) {
    const r = k.mem.read(c.tid, c.ptr(1), 2);
    if (r < 0) return r;
    if (k.mem.buf.readUInt16LE(0) !== AF_UNIX) return -E.EINVAL;
    return s.bind(k, c.task, undefined);
  }
  const name = nameArg(k, c, s, 1);
  if (typeof name === 'number') return name;
  if (name === undefined) {
    // AF_UNSPEC: Linux accepts it for AF_INET with INADDR_ANY (inet_bind), not otherwise
    if (s.domain !== AF_INET || len < 16 || k.mem.buf.readUInt32BE(4) !== 0) return s.domain === AF_UNIX ? -E.EINVAL : -E.EAFNOSUPPORT;
    return s.bind(k, c.task, decodeName(AF_INET, Buffer.from([2, 0, ...k.mem.buf.subarray(2, 16)]), 16) as SockName);
  }
  return s.bind(k, c.task, name);
}

function listen(k: Kernel, c: Call): number {
  const s = socketAt(c, 0);
  if (typeof s === 'number') return s;
  if (s instanceof StreamSocket && s.cred.pid === 0) s.cred = credOf(c.task);
  return s.listen(c.int(1));
}

function connect(k: Kernel, c: Call): number {
  const s = socketAt(c, 0);
  if (typeof s === 'number') return s;
  const name = nameArg(k, c, s, 1);
  if (typeof name === 'number') return name;
  if (name === undefined && s.domain === AF_UNIX && s.type !== SOCK_DGRAM) return -E.EINVAL;
  if (s instanceof StreamSocket && s.cred.pid === 0) s.cred = credOf(c.task);
  const r = s.connect(k, c, name);
  if (r !== -E.EAGAIN || !(s instanceof StreamSocket) || s.nonblocking) return r;
  const w = k.block(c, [s.waitQueue], () => s.connectRetry(), s.sndTimeoMs || undefined, -E.EINPROGRESS);
  if (s.sndTimeoMs) w.restartCode = -E.EINTR;
  return BLOCKED;
}

/** Write name (as socket s reports it) to the guest's addr with its length at lenPtr. */
export function putName(k: Kernel, tid: number, domain: number, name: SockName | undefined, addr: number, lenPtr: number): number {
  if (addr === 0) return 0;
  const ulen = k.mem.u32(tid, lenPtr);
  if (ulen < 0) return ulen;
  if ((ulen | 0) < 0) return -E.EINVAL;
  const n = encodeName(domain, name, k.mem.buf);
  let r = k.mem.write(tid, addr, Math.min(n, ulen));
  if (r < 0) return r;
  k.mem.view.setInt32(0, n, true);
  r = k.mem.write(tid, lenPtr, 4);
  return r;
}

function accept(k: Kernel, c: Call, flags: number): number {
  if (flags & ~(O_NONBLOCK | O_CLOEXEC)) return -E.EINVAL;
  const s = socketAt(c, 0);
  if (typeof s === 'number') return s;
  if (s.type === SOCK_DGRAM) return -E.EOPNOTSUPP;
  const attempt = (): number => {
    const a = s.accept();
    if (typeof a === 'number') return a;
    a.flags = (a.flags & ~O_NONBLOCK) | (flags & O_NONBLOCK);
    const w = putName(k, c.tid, s.domain, a.remote, c.ptr(1), c.ptr(2));
    if (w < 0) {
      // the connection stays queued for the next accept, as Linux only fails after the copy
      (s as StreamSocket).acceptq.unshift(a as StreamSocket);
      return w;
    }
    return installLowest(k, c, a, 0, (flags & O_CLOEXEC) !== 0);
  };
  const r = attempt();
  if (r !== -E.EAGAIN || s.nonblocking) return r;
  c = c.clone(); // the attempt runs again after this notification's Call is reused
  const w = k.block(c, [s.waitQueue], attempt, s.rcvTimeoMs || undefined, -E.EAGAIN);
  if (s.rcvTimeoMs) w.restartCode = -E.EINTR;
  return BLOCKED;
}

function getName(k: Kernel, c: Call, peer: boolean): number {
  const s = socketAt(c, 0);
  if (typeof s === 'number') return s;
  let name: SockName | undefined = s.local;
  if (peer) {
    const p = s.peerName();
    if (typeof p === 'number') return p;
    name = p;
  }
  if (c.ptr(1) === 0) return -E.EFAULT;
  return putName(k, c.tid, s.domain, name, c.ptr(1), c.ptr(2));
}

function shutdown(k: Kernel, c: Call): number {
  const s = socketAt(c, 0);
  if (typeof s === 'number') return s;
  return s.shutdown(c.int(1));
}

function setsockopt(k: Kernel, c: Call): number {
  const s = socketAt(c, 0);
  if (typeof s === 'number') return s;
  const len = c.int(4);
  if (len < 0) return -E.EINVAL;
  const n = Math.min(len, 256);
  const r = k.mem.read(c.tid, c.ptr(3), n);
  if (r < 0) return r;
  const level = c.int(1);
  if (level === SOL_SOCKET) return s.setSocketOpt(c.int(2), k.mem.view, n);
  return s.setProtoOpt(level, c.int(2), k.mem.view, n);
}

function getsockopt(k: Kernel, c: Call): number {
  const s = socketAt(c, 0);
  if (typeof s === 'number') return s;
  const ulen = k.mem.u32(c.tid, c.ptr(4));
  if (ulen < 0) return ulen;
  if ((ulen | 0) < 0) return -E.EINVAL;
  const level = c.int(1);
  const opt = c.int(2);
  let n: number;
  if (level === SOL_SOCKET && opt === SO_PEERCRED) {
    const cred = s instanceof StreamSocket ? s.peerCred : undefined;
    k.mem.view.setInt32(0, cred?.pid ?? 0, true);
    k.mem.view.setInt32(4, cred?.uid ?? -1, true);
    k.mem.view.setInt32(8, cred?.gid ?? -1, true);
    n = 12;
  } else {
    n = level === SOL_SOCKET ? s.getSocketOpt(opt, k.mem.view) : s.getProtoOpt(level, opt, k.mem.view, ulen);
  }
  if (n < 0) return n;
  const out = Math.min(n, ulen);
  const w = k.mem.write(c.tid, c.ptr(3), out);
  if (w < 0) return w;
  return k.mem.putI32(c.tid, c.ptr(4), out);
}

export const socketFamily: Family = {
  socket,
  socketpair,
  bind,
  listen,
  connect,
  accept: (k, c) => accept(k, c, 0),
  accept4: (k, c) => accept(k, c, c.int(3)),
  getsockname: (k, c) => getName(k, c, false),
  getpeername: (k, c) => getName(k, c, true),
  shutdown,
  setsockopt,
  getsockopt,
};
