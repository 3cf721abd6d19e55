// IPPROTO_IP, IPPROTO_IPV6 and IPPROTO_TCP socket options (ip(7), ipv6(7), tcp(7)): the values
// programs set and read back, with Linux's defaults. Multicast memberships feed the loopback
// stack's delivery (inet.ts).
import * as E from '../errno.js';
import type { Socket } from './socket.js';
import { AF_INET6, V4_PREFIX, isMulticast } from './sockaddr.js';

const SOL_IP = 0;
const SOL_IPV6 = 41;

const IP_TOS = 1;
const IP_TTL = 2;
const IP_MULTICAST_IF = 32;
const IP_MULTICAST_TTL = 33;
const IP_MULTICAST_LOOP = 34;
const IP_ADD_MEMBERSHIP = 35;
const IP_DROP_MEMBERSHIP = 36;
const IP_MULTICAST_ALL = 49;

const IPV6_UNICAST_HOPS = 16;
const IPV6_MULTICAST_IF = 17;
const IPV6_MULTICAST_HOPS = 18;
const IPV6_MULTICAST_LOOP = 19;
const IPV6_JOIN_GROUP = 20;
const IPV6_LEAVE_GROUP = 21;
const IPV6_V6ONLY = 26;
const IPV6_TCLASS = 67;

/** Integer IP options kept as set (IP_RECVERR, IP_PKTINFO, IP_MTU_DISCOVER ...), with defaults. */
const PLAIN_IP = new Map<number, number>([
  [3, 0], [7, 0], [8, 0], [10, 1], [11, 0], [12, 0], [13, 0], [15, 0], [19, 0], [24, 0],
]);
const PLAIN_IPV6 = new Map<number, number>([
  [23, 1], [25, 0], [49, 0], [50, 0], [62, 0], [66, 0], [IPV6_TCLASS, 0], [74, 0],
]);

/** Called with a group being joined (+1) or left (-1) by a socket. */
export interface Memberships {
  memberships: string[];
  ns: unknown;
}

export class IpOptions {
  tos = 0;
  ttl = 64;
  multicastTtl = 1;
  multicastLoop = true;
  v6only = false;
  unicastHops = 64;
  /** IP_MULTICAST_ALL: receive groups joined by any socket, not only by this one. */
  multicastAll = true;
  /** IP_MULTICAST_IF's address, as hex. */
  multicastIf = '00000000';
  readonly plain = new Map<number, number>();

  constructor(readonly domain: number) {}

  copyFrom(o: IpOptions): void {
    this.tos = o.tos;
    this.ttl = o.ttl;
    this.v6only = o.v6only;
  }

  get(level: number, opt: number, v: DataView, _len: number): number {
    const int = (x: number): number => (v.setInt32(0, x, true), 4);
    if (level === SOL_IP) {
      switch (opt) {
        case IP_TOS:
          return int(this.tos);
        case IP_TTL:
          return int(this.ttl);
        case IP_MULTICAST_TTL:
          return int(this.multicastTtl);
        case IP_MULTICAST_LOOP:
          return int(this.multicastLoop ? 1 : 0);
        case IP_MULTICAST_IF:
          v.setUint32(0, parseInt(this.multicastIf, 16), false);
          return 4;
        case IP_MULTICAST_ALL:
          return int(this.multicastAll ? 1 : 0);
      }
      const d = PLAIN_IP.get(opt);
      return d === undefined ? -E.ENOPROTOOPT : int(this.plain.get(opt) ?? d);
    }
    if (level === SOL_IPV6) {
      if (this.domain !== AF_INET6) return -E.EOPNOTSUPP;
      switch (opt) {
        case IPV6_V6ONLY:
          return int(this.v6only ? 1 : 0);
        case IPV6_UNICAST_HOPS:
          return int(this.unicastHops);
        case IPV6_MULTICAST_HOPS:
          return int(this.multicastTtl);
        case IPV6_MULTICAST_LOOP:
          return int(this.multicastLoop ? 1 : 0);
        case IPV6_MULTICAST_IF:
          return int(0);
      }
      const d = PLAIN_IPV6.get(opt);
      return d === undefined ? -E.ENOPROTOOPT : int(this.plain.get(1000 + opt) ?? d);
    }
    return this.otherLevel();
  }

  set(level: number, opt: number, v: DataView, len: number, s: Socket): number {
    const int = (): number => (len >= 4 ? v.getInt32(0, true) : len >= 1 ? v.getUint8(0) : NaN);
    if (level === SOL_IP) {
      if (opt === IP_ADD_MEMBERSHIP || opt === IP_DROP_MEMBERSHIP) {
        if (len < 8) return -E.EINVAL;
        const group = V4_PREFIX + hex(v, 0, 4);
        return this.membership(s, group, opt === IP_ADD_MEMBERSHIP);
      }
      if (opt === IP_MULTICAST_IF) {
        // struct in_addr, ip_mreq or ip_mreqn: the interface address follows the group in the latter
        if (len < 4) return -E.EINVAL;
        this.multicastIf = hex(v, len >= 8 ? 4 : 0, 4);
        return 0;
      }
      const x = int();
      if (Number.isNaN(x)) return -E.EINVAL;
      switch (opt) {
        case IP_TOS:
          // TCP keeps the ECN bits its own (do_ip_setsockopt)
          this.tos = s.type === 1 ? (x & 0xfc) | (this.tos & 3) : x & 0xff;
          return 0;
        case IP_TTL:
          if (x < -1 || x === 0 || x > 255) return -E.EINVAL;
          this.ttl = x === -1 ? 64 : x;
          return 0;
        case IP_MULTICAST_TTL:
          if (x < -1 || x > 255) return -E.EINVAL;
          this.multicastTtl = x === -1 ? 1 : x;
          return 0;
        case IP_MULTICAST_LOOP:
          this.multicastLoop = x !== 0;
          return 0;
        case IP_MULTICAST_ALL:
          if (x !== 0 && x !== 1) return -E.EINVAL;
          this.multicastAll = x !== 0;
          return 0;
      }
      if (!PLAIN_IP.has(opt)) return -E.ENOPROTOOPT;
      this.plain.set(opt, x);
      return 0;
    }
    if (level === SOL_IPV6) {
      if (this.domain !== AF_INET6) return -E.ENOPROTOOPT;
      if (opt === IPV6_JOIN_GROUP || opt === IPV6_LEAVE_GROUP) {
        if (len < 20) return -E.EINVAL;
        return this.membership(s, hex(v, 0, 16), opt === IPV6_JOIN_GROUP);
      }
      if (len < 4) return -E.EINVAL;
      const x = v.getInt32(0, true);
      switch (opt) {
        case IPV6_V6ONLY:
          if (s.local) return -E.EINVAL;
          this.v6only = x !== 0;
          return 0;
        case IPV6_UNICAST_HOPS:
          if (x < -1 || x > 255) return -E.EINVAL;
          this.unicastHops = x === -1 ? 64 : x;
          return 0;
        case IPV6_MULTICAST_HOPS:
          if (x < -1 || x > 255) return -E.EINVAL;
          this.multicastTtl = x === -1 ? 1 : x;
          return 0;
        case IPV6_MULTICAST_LOOP:
          if (x !== 0 && x !== 1) return -E.EINVAL;
          this.multicastLoop = x !== 0;
          return 0;
        case IPV6_MULTICAST_IF:
          return 0;
      }
      if (!PLAIN_IPV6.has(opt)) return -E.ENOPROTOOPT;
      this.plain.set(1000 + opt, x);
      return 0;
    }
    return -E.ENOPROTOOPT; // ip_setsockopt and ipv6_setsockopt alike
  }

  /** A level neither IP layer knows: ip_getsockopt's EOPNOTSUPP, ipv6_getsockopt's ENOPROTOOPT. */
  private otherLevel(): number {
    return this.domain === AF_INET6 ? -E.ENOPROTOOPT : -E.EOPNOTSUPP;
  }

  private membership(s: Socket, group: string, join: boolean): number {
    if (s.type !== 2) return -E.EPROTO;
    if (!isMulticast(group)) return -E.EINVAL;
    const m = s as unknown as { memberships: string[]; ns: { groups: Map<string, number>; leave(g: string): void } };
    const i = m.memberships.indexOf(group);
    if (join) {
      if (i >= 0) return -E.EADDRINUSE;
      m.memberships.push(group);
      m.ns.groups.set(group, (m.ns.groups.get(group) ?? 0) + 1);
      return 0;
    }
    if (i < 0) return -E.EADDRNOTAVAIL;
    m.memberships.splice(i, 1);
    m.ns.leave(group);
    return 0;
  }
}

function hex(v: DataView, at: number, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += v.getUint8(at + i).toString(16).padStart(2, '0');
  return s;
}

const TCP_NODELAY = 1;
const TCP_MAXSEG = 2;
const TCP_KEEPIDLE = 4;
const TCP_KEEPINTVL = 5;
const TCP_KEEPCNT = 6;
const TCP_INFO = 11;
const TCP_CONGESTION = 13;

/** Integer TCP options kept as set, with Linux's defaults. */
const PLAIN_TCP = new Map<number, number>([
  [3, 0] /* CORK */, [7, 6] /* SYNCNT */, [8, 60] /* LINGER2 */, [9, 0] /* DEFER_ACCEPT */,
  [10, 0] /* WINDOW_CLAMP */, [12, 1] /* QUICKACK */, [18, 0] /* USER_TIMEOUT */, [19, 0] /* REPAIR */,
  [23, 0] /* FASTOPEN */, [25, -1] /* NOTSENT_LOWAT */, [30, 0] /* FASTOPEN_CONNECT */,
  [33, 0] /* FASTOPEN_NO_COOKIE */, [36, 0] /* TX_DELAY */,
]);

const TCP_STATE = { connected: 1, connecting: 2, unconnected: 7, listening: 10 } as const;
const TCP_FIN_WAIT2 = 5;
const TCP_CLOSE_WAIT = 8;
const TCP_LAST_ACK = 9;

interface TcpView {
  state?: keyof typeof TCP_STATE;
  shutWr: boolean;
  peerGone?: boolean;
  peer?: { shutWr: boolean };
}

/** The TCP state Linux would be in: FIN sent and/or received on an established connection. */
function tcpState(s: TcpView): number {
  const st = TCP_STATE[s.state ?? 'unconnected'];
  if (st !== 1) return st;
  const finIn = s.peerGone || (s.peer?.shutWr ?? false);
  if (finIn) return s.shutWr ? TCP_LAST_ACK : TCP_CLOSE_WAIT;
  return s.shutWr ? TCP_FIN_WAIT2 : st;
}

export class TcpOptions {
  nodelay = false;
  maxseg = 536;
  keepIdle = 7200;
  keepIntvl = 75;
  keepCnt = 9;
  readonly plain = new Map<number, number>();

  copyFrom(o: TcpOptions): void {
    this.nodelay = o.nodelay;
    this.keepIdle = o.keepIdle;
    this.keepIntvl = o.keepIntvl;
    this.keepCnt = o.keepCnt;
  }

  get(opt: number, v: DataView, s: Socket & TcpView): number {
    const int = (x: number): number => (v.setInt32(0, x, true), 4);
    switch (opt) {
      case TCP_NODELAY:
        return int(this.nodelay ? 1 : 0);
      case TCP_MAXSEG:
        return int(s.state === 'connected' ? 65483 : this.maxseg);
      case TCP_KEEPIDLE:
        return int(this.keepIdle);
      case TCP_KEEPINTVL:
        return int(this.keepIntvl);
      case TCP_KEEPCNT:
        return int(this.keepCnt);
      case TCP_CONGESTION: {
        for (let i = 0; i < 16; i++) v.setUint8(i, 0);
        'cubic'.split('').forEach((ch, i) => v.setUint8(i, ch.charCodeAt(0)));
        return 16;
      }
      case TCP_INFO:
        return tcpInfo(v, s);
    }
    const d = PLAIN_TCP.get(opt);
    return d === undefined ? -E.ENOPROTOOPT : int(this.plain.get(opt) ?? d);
  }

  set(opt: number, v: DataView, len: number): number {
    if (opt === TCP_CONGESTION) return 0;
    if (len < 4) return -E.EINVAL;
    const x = v.getInt32(0, true);
    switch (opt) {
      case TCP_NODELAY:
        this.nodelay = x !== 0;
        return 0;
      case TCP_MAXSEG:
        if (x !== 0 && (x < 88 || x > 65535)) return -E.EINVAL;
        this.maxseg = x || 536;
        return 0;
      case TCP_KEEPIDLE:
      case TCP_KEEPINTVL:
        if (x < 1 || x > 32767) return -E.EINVAL;
        if (opt === TCP_KEEPIDLE) this.keepIdle = x;
        else this.keepIntvl = x;
        return 0;
      case TCP_KEEPCNT:
        if (x < 1 || x > 127) return -E.EINVAL;
        this.keepCnt = x;
        return 0;
    }
    if (!PLAIN_TCP.has(opt)) return -E.ENOPROTOOPT;
    this.plain.set(opt, x);
    return 0;
  }
}

/** struct tcp_info (linux/tcp.h), the fields readers use; 248 bytes as Linux 6.x copies. */
function tcpInfo(v: DataView, s: Socket & TcpView): number {
  for (let i = 0; i < 248; i++) v.setUint8(i, 0);
  v.setUint8(0, tcpState(s));
  const connected = s.state === 'connected';
  v.setUint32(8, connected ? 201000 : 1000000, true); // rto (us)
  v.setUint32(16, connected ? 32768 : 536, true); // snd_mss
  v.setUint32(20, connected ? 536 : 0, true); // rcv_mss
  v.setUint32(60, 65535, true); // pmtu
  v.setUint32(76, 0x7fffffff, true); // snd_ssthresh
  v.setUint32(80, 10, true); // snd_cwnd
  v.setUint32(84, connected ? 65483 : 0, true); // advmss
  v.setUint32(88, 3, true); // reordering
  return 248;
}
