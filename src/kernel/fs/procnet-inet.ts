// /proc/net/tcp, tcp6, udp and udp6 from the loopback stack's port tables, in Linux's formats:
// net/ipv4/tcp_ipv4.c (tcp4_seq_show), net/ipv6/tcp_ipv6.c (tcp6_seq_show), net/ipv4/udp.c
// (udp4_seq_show) and net/ipv6/datagram.c (__ip6_dgram_sock_seq_show). Addresses are the kernel's
// __be32 words printed with %08X on a little-endian machine, so 127.0.0.1 is 0100007F.
import { TcpSocket, TimeWait, UdpSocket, type InetNamespace } from '../net/inet.js';
import type { StreamSocket } from '../net/stream.js';
import { AF_INET, InetName, V4_ANY, V4_LOOPBACK, V6_ANY, V6_LOOPBACK } from '../net/sockaddr.js';
import { uid } from '../creds.js';

const TCP_ESTABLISHED = 0x01;
const TCP_SYN_SENT = 0x02;
const TCP_FIN_WAIT2 = 0x05;
const TCP_TIME_WAIT = 0x06;
const TCP_CLOSE = 0x07;
const TCP_CLOSE_WAIT = 0x08;
const TCP_LISTEN = 0x0a;

/** The width seq_pad fills the IPv4 tables' lines to (TMPSZ - 1 for tcp, 127 for udp). */
const TCP4_WIDTH = 149;
const UDP4_WIDTH = 127;
/** The %pK pointer, as an unprivileged reader sees it under kptr_restrict. */
export const PTR = '0000000000000000';
/** udp_table's buckets: a socket's line starts with its bucket (the port's hash). */
const UDP_BUCKETS = 256;

const V6_HEADER = '  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode';
export const HEADERS = {
  tcp: '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
  tcp6: V6_HEADER,
  udp: '   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops',
  udp6: `${V6_HEADER} ref pointer drops`,
};

export const hex = (n: number, width: number): string => (n >>> 0).toString(16).toUpperCase().padStart(width, '0');
export const pad = (line: string, width: number): string => `${line.padEnd(width)}\n`;

/** An address and port as the tables print them: the IPv4 word, or the four words of IPv6. */
function endpoint(name: InetName | undefined, v4: boolean): string {
  const ip = name?.ip ?? (v4 ? V4_ANY : V6_ANY);
  let words = '';
  for (let at = v4 ? 24 : 0; at < 32; at += 8) words += ip.slice(at + 6, at + 8) + ip.slice(at + 4, at + 6) + ip.slice(at + 2, at + 4) + ip.slice(at, at + 2);
  return `${words.toUpperCase()}:${hex(name?.port ?? 0, 4)}`;
}

/** The TCP state Linux would be in, or undefined for a socket in no lookup table (bound only, closed). */
function tcpState(s: TcpSocket): number | undefined {
  if (s.state === 'listening') return TCP_LISTEN;
  if (s.state === 'connecting') return TCP_SYN_SENT;
  if (s.state !== 'connected') return undefined;
  const finIn = s.peerGone || (s.peer?.shutWr ?? false);
  // closed both ways or reset: what is left is a TIME_WAIT entry or nothing (tcp_done)
  if (finIn && s.shutWr) return undefined;
  if (s.shutWr) return TCP_FIN_WAIT2;
  return finIn ? TCP_CLOSE_WAIT : TCP_ESTABLISHED;
}

/** A name connected to: the wildcard means the loopback address (ip_route_connect). */
function routed(n: InetName): InetName {
  return n.ip === V4_ANY ? n.withIp(V4_LOOPBACK) : n.ip === V6_ANY ? n.withIp(V6_LOOPBACK) : n;
}

/** The peer's name as getpeername gives it, or the name connected to. */
function remoteOf(s: StreamSocket): InetName | undefined {
  const r = s.peerName();
  if (r instanceof InetName) return r;
  return s.remote instanceof InetName ? routed(s.remote) : undefined;
}

function tcpLine(sl: number, s: TcpSocket, st: number, v4: boolean, unaccepted: Set<StreamSocket>): string {
  const listen = st === TCP_LISTEN;
  const p = s.peer && !s.peerGone ? s.peer : undefined;
  // data past the peer's receive buffer would still be in our send queue
  const txq = p ? Math.max(0, p.rx.size - p.rx.capacity) : 0;
  const rxq = listen ? s.acceptq.length : Math.min(s.rx.size, s.rx.capacity);
  // a connection not accepted yet has no struct socket, hence no inode (sock_i_ino)
  const ino = unaccepted.has(s) ? 0 : s.ino;
  const head = `${String(sl).padStart(4)}: ${endpoint(s.local as InetName, v4)} ${endpoint(listen ? undefined : remoteOf(s), v4)} ${hex(st, 2)}`;
  // rto, ato, quick/pingpong, cwnd and, for a listener, the fastopen queue (else ssthresh, -1 in slow start)
  const tail = listen ? '100 0 0 10 0' : '20 0 0 10 -1';
  return `${head} ${hex(txq, 8)}:${hex(rxq, 8)} 00:00000000 00000000 ${String(uid).padStart(5)} ${'0'.padStart(8)} ${ino} ${listen ? 1 : 2} ${PTR} ${tail}`;
}

/** get_timewait4_sock / get_timewait6_sock: timer 3 with the time left in clock ticks. */
function timeWaitLine(sl: number, tw: TimeWait, v4: boolean, now: number): string {
  const left = Math.max(0, Math.ceil((tw.ends - now) / 10));
  return `${String(sl).padStart(4)}: ${endpoint(tw.local, v4)} ${endpoint(tw.remote, v4)} ${hex(TCP_TIME_WAIT, 2)} 00000000:00000000 03:${hex(left, 8)} 00000000     0        0 0 3 ${PTR}`;
}

/** /proc/net/tcp (family AF_INET) or tcp6: listeners first, then connections, as Linux walks its hashes. */
export function tcpTable(ns: InetNamespace, family: number): string {
  const v4 = family === AF_INET;
  const listeners: TcpSocket[] = [];
  const rest: (TcpSocket | TimeWait)[] = [];
  for (const socks of ns.tcp.byPort.values()) {
    for (const o of socks as (TcpSocket | TimeWait)[]) {
      if (o.domain !== family) continue;
      if (o instanceof TcpSocket && o.state === 'listening') listeners.push(o);
      else rest.push(o);
    }
  }
  const unaccepted = new Set<StreamSocket>(listeners.flatMap((l) => l.acceptq));
  const now = Date.now();
  const lines = [HEADERS[v4 ? 'tcp' : 'tcp6']];
  for (const o of [...listeners, ...rest]) {
    const sl = lines.length - 1;
    if (o instanceof TimeWait) {
      if (o.ends > now) lines.push(timeWaitLine(sl, o, v4, now));
      continue;
    }
    const st = tcpState(o);
    if (st !== undefined) lines.push(tcpLine(sl, o, st, v4, unaccepted));
  }
  return lines.map((l) => (v4 ? pad(l, TCP4_WIDTH) : `${l}\n`)).join('');
}

/** /proc/net/udp (family AF_INET) or udp6, in the order of udp_table's buckets. */
export function udpTable(ns: InetNamespace, family: number): string {
  const v4 = family === AF_INET;
  const socks: UdpSocket[] = [];
  for (const list of ns.udp.byPort.values()) for (const s of list) if (s instanceof UdpSocket && s.domain === family) socks.push(s);
  const bucket = (s: UdpSocket): number => (s.local as InetName).port % UDP_BUCKETS;
  socks.sort((a, b) => bucket(a) - bucket(b));
  const lines = [HEADERS[v4 ? 'udp' : 'udp6']];
  for (const s of socks) {
    const remote = s.remote instanceof InetName ? routed(s.remote) : undefined;
    const st = remote ? TCP_ESTABLISHED : TCP_CLOSE;
    lines.push(
      `${String(bucket(s)).padStart(5)}: ${endpoint(s.local as InetName, v4)} ${endpoint(remote, v4)} ${hex(st, 2)} 00000000:${hex(s.rx.size, 8)} 00:00000000 00000000 ${String(uid).padStart(5)} ${'0'.padStart(8)} ${s.ino} 2 ${PTR} 0`,
    );
  }
  return lines.map((l) => (v4 ? pad(l, UDP4_WIDTH) : `${l}\n`)).join('');
}

/**
 * How many of the family's sockets are in the tables (sockstat's inuse), in TIME_WAIT, and
 * established or closing from the other side (snmp's CurrEstab).
 */
export function inUse(ns: InetNamespace, family: number): { tcp: number; tw: number; estab: number; udp: number } {
  const n = { tcp: 0, tw: 0, estab: 0, udp: 0 };
  for (const socks of ns.tcp.byPort.values()) {
    for (const o of socks as (TcpSocket | TimeWait)[]) {
      if (o.domain !== family) continue;
      if (o instanceof TimeWait) {
        n.tw++;
        continue;
      }
      const st = tcpState(o);
      if (st !== undefined) n.tcp++;
      if (st === TCP_ESTABLISHED || st === TCP_CLOSE_WAIT) n.estab++;
    }
  }
  for (const socks of ns.udp.byPort.values()) for (const s of socks) if (s.domain === family) n.udp++;
  return n;
}
