// The private loopback stack: AF_INET and AF_INET6 TCP and UDP inside the kernel. Addresses
// are 127.0.0.0/8, ::1 and the wildcards; an AF_INET6 socket without IPV6_V6ONLY also serves
// IPv4 as ::ffff:a.b.c.d. Nothing leaves the sandbox: other destinations are unreachable.
import type { Kernel } from '../kernel.js';
import type { Task } from '../task.js';
import * as E from '../errno.js';
import { Socket, type Namespace, type Outgoing } from './socket.js';
import { StreamSocket, type StreamNamespace } from './stream.js';
import { DgramSocket, type DgramNamespace } from './dgram.js';
import { AF_INET, AF_INET6, InetName, V4_ANY, V4_LOOPBACK, V4_PREFIX, V6_ANY, V6_LOOPBACK, isAny, isLoopback, isMulticast, type SockName } from './sockaddr.js';
import { TcpOptions, IpOptions } from './inetopts.js';
import { BridgeSocket, errnoOf } from './bridge.js';
import { hostConnect, hostListen, hostUdp, ipHex, ipString, type Server, type Socket as HostSocket, type UdpSocket as HostUdp } from '../../host/net.js';
import { Msg } from './msgqueue.js';
import type { Call } from '../call.js';
import { POLLERR, POLLHUP, POLLIN, POLLOUT, POLLRDNORM, POLLWRNORM } from '../wait.js';

const EPHEMERAL_LOW = 32768;
const EPHEMERAL_HIGH = 60999;

/** The sockets of one protocol by port. */
class PortTable {
  readonly byPort = new Map<number, InetSocket[]>();
  private next = EPHEMERAL_LOW + Math.floor(Math.random() * (EPHEMERAL_HIGH - EPHEMERAL_LOW));

  add(s: InetSocket, port: number): void {
    const l = this.byPort.get(port);
    if (l) l.push(s);
    else this.byPort.set(port, [s]);
  }
  remove(s: InetSocket, port: number): void {
    const l = this.byPort.get(port);
    if (!l) return;
    const i = l.indexOf(s);
    if (i >= 0) l.splice(i, 1);
    if (l.length === 0) this.byPort.delete(port);
  }
  /** A free ephemeral port for s at ip, or 0. */
  ephemeral(s: InetSocket, ip: string): number {
    const span = EPHEMERAL_HIGH - EPHEMERAL_LOW + 1;
    for (let i = 0; i < span; i++) {
      const port = EPHEMERAL_LOW + ((this.next - EPHEMERAL_LOW + i) % span);
      if (!this.conflict(s, ip, port, true)) {
        this.next = port + 1;
        return port;
      }
    }
    return 0;
  }
  /** Whether binding s to ip:port collides with a socket already there (inet_csk_bind_conflict). */
  conflict(s: InetSocket, ip: string, port: number, auto = false): boolean {
    for (const o of this.byPort.get(port) ?? []) {
      if (o === s || !overlap(s, ip, o)) continue;
      if (auto) return true;
      if (s.reusePort && o.reusePort) continue;
      if (s.reuseAddr && o.reuseAddr && !o.listening) continue;
      return true;
    }
    return false;
  }
}

/** Whether s bound at ip and o's bound address can receive the same packets. */
function overlap(s: InetSocket, ip: string, o: InetSocket): boolean {
  const oip = (o.local as InetName).ip;
  if (ip === oip) return true;
  const v4 = (x: string): boolean => x.startsWith(V4_PREFIX);
  const covers = (w: string, wsock: InetSocket, x: string): boolean => {
    if (w === V4_ANY) return v4(x);
    if (w === V6_ANY) return wsock.v6only ? !v4(x) || x === V6_ANY : true;
    return false;
  };
  return covers(ip, s, oip) || covers(oip, o, ip);
}

const TCP_TIMEWAIT_LEN = 60_000;

/** What stays of a connection closed first from this side (inet_timewait_sock), in the port table. */
export class TimeWait {
  readonly local: InetName;
  readonly remote: InetName | undefined;
  readonly domain: number;
  readonly reuseAddr: boolean;
  readonly reusePort: boolean;
  readonly v6only: boolean;
  readonly listening = false;
  constructor(
    s: TcpSocket,
    /** Date.now() when it ends. */
    readonly ends: number,
  ) {
    this.local = s.local as InetName;
    const peer = s.peerName();
    this.remote = peer instanceof InetName ? peer : undefined;
    this.domain = s.domain;
    this.reuseAddr = s.reuseAddr;
    this.reusePort = s.reusePort;
    this.v6only = s.v6only;
  }
}

/** What went over lo (rtnl_link_stats64 rx = tx), counted as Linux's loopback_xmit does, headers included. */
export class LoopbackStats {
  bytes = 0;
  packets = 0;
  /** n bytes of data in packets with header bytes each (Ethernet, IP, TCP or UDP). */
  sent(n: number, header: number, packets: number): void {
    this.bytes += n + header * packets;
    this.packets += packets;
  }
}

/** Ethernet + IPv4 or IPv6 header bytes of a packet on lo. */
const linkIpHeader = (v4: boolean): number => 14 + (v4 ? 20 : 40);
/** lo's TCP MSS (mtu 65536 less the IPv4, TCP and timestamp option headers). */
const LO_MSS = 65483;

export class InetNamespace implements StreamNamespace, DgramNamespace {
  /** --net host: connections to addresses outside the sandbox go to the host, listeners listen there too. */
  hostNet = false;
  /** Where the way out reports what it could not do (a host port in use ...). */
  warn: (msg: string) => void = () => {};
  readonly tcp = new PortTable();
  readonly udp = new PortTable();
  readonly lo = new LoopbackStats();
  /** Multicast groups joined inside the sandbox (ip -> member count), as IP_MULTICAST_ALL sees. */
  readonly groups = new Map<string, number>();

  private table(s: Socket): PortTable {
    return s instanceof TcpSocket ? this.tcp : this.udp;
  }

  bind(_k: Kernel, _t: Task, s: Socket, name: SockName | undefined): number {
    const is = s as InetSocket;
    if (is.inTable) return -E.EINVAL;
    let n = name as InetName | undefined;
    is.addrLocked = n !== undefined && !isAny(n.ip);
    is.portLocked = n !== undefined && n.port !== 0;
    if (n === undefined) n = new InetName(s.domain === AF_INET ? V4_ANY : V6_ANY, 0);
    if (s.domain === AF_INET6 && n.isV4 && is.v6only) return -E.EINVAL;
    if (!isAny(n.ip) && !isLoopback(n.ip) && !(s instanceof UdpSocket && isMulticast(n.ip))) return -E.EADDRNOTAVAIL;
    const tab = this.table(s);
    let port = n.port;
    if (port === 0) {
      port = tab.ephemeral(is, n.ip);
      if (port === 0) return -E.EADDRINUSE;
    } else if (tab.conflict(is, n.ip, port)) {
      return -E.EADDRINUSE;
    }
    s.local = n.withPort(port);
    tab.add(is, port);
    is.inTable = true;
    // --net host: a UDP server the guest binds receives from the host on the same port
    if (this.hostNet && s instanceof UdpSocket && is.portLocked) s.hostSide(!n.isV4, port, isAny(n.ip) ? undefined : ipString(n.ip));
    return 0;
  }

  unbind(s: Socket): void {
    this.unhash(s as InetSocket);
    if (s instanceof UdpSocket) for (const g of s.memberships) this.leave(g);
  }

  /** Give the port back (the name stays as getsockname shows it). */
  unhash(s: InetSocket): void {
    if (!s.inTable) return;
    this.table(s).remove(s, (s.local as InetName).port);
    s.inTable = false;
  }

  leave(group: string): void {
    const n = (this.groups.get(group) ?? 1) - 1;
    if (n <= 0) this.groups.delete(group);
    else this.groups.set(group, n);
  }

  /** A destination inside the sandbox: loopback, or the wildcard meaning this host. */
  private route(s: Socket, to: InetName): InetName | number {
    if (s.domain === AF_INET6 && to.isV4 && (s as InetSocket).v6only) return -E.ENETUNREACH;
    if (to.ip === V4_ANY) return to.withIp(V4_LOOPBACK);
    if (to.ip === V6_ANY) return to.withIp(V6_LOOPBACK);
    if (isLoopback(to.ip)) return to;
    return -E.ENETUNREACH;
  }

  /**
   * The name a socket sending to `to` sends from, binding an ephemeral port if unbound. A
   * connect (fix) also settles a wildcard local address to the loopback one, as routing does.
   */
  private source(k: Kernel, t: Task, s: InetSocket, to: InetName, fix: boolean): InetName | number {
    if (!s.inTable) {
      const r = this.bind(k, t, s, s.local);
      if (r < 0) return r;
    }
    const l = s.local as InetName;
    if (!isAny(l.ip)) return l;
    const from = l.withIp(to.isV4 ? V4_LOOPBACK : V6_LOOPBACK);
    if (fix) s.local = from;
    return from;
  }

  /** The sockets on `to`'s port whose bound address accepts it, best match first. */
  private matching(tab: PortTable, to: InetName, accept: (o: InetSocket) => boolean): InetSocket[] {
    const exact: InetSocket[] = [];
    const wild: InetSocket[] = [];
    for (const o of tab.byPort.get(to.port) ?? []) {
      if (!accept(o)) continue;
      const ip = (o.local as InetName).ip;
      if (ip === to.ip) exact.push(o);
      else if (ip === V6_ANY ? !(to.isV4 && o.v6only) : ip === V4_ANY && to.isV4) wild.push(o);
    }
    return exact.concat(wild);
  }

  listener(_k: Kernel, _t: Task, s: StreamSocket, name: SockName): StreamSocket | number {
    const to = this.route(s, name as InetName);
    if (typeof to === 'number') return to;
    return this.listenerAt(to);
  }

  /** The sandbox listener a connection to `to` (a routed sandbox address) reaches. */
  listenerAt(to: InetName): StreamSocket | number {
    const found = this.matching(this.tcp, to, (o) => o.listening);
    if (found.length === 0) return -E.ECONNREFUSED;
    // SO_REUSEPORT listeners share the connections
    return (found.length > 1 && found[0].reusePort ? found[this.rr++ % found.length] : found[0]) as TcpSocket;
  }
  private rr = 0;

  prepareConnect(k: Kernel, t: Task, s: StreamSocket | DgramSocket, name: SockName): number {
    const to = this.route(s, name as InetName);
    if (typeof to === 'number') {
      // multicast and broadcast destinations are fine for UDP
      if (s instanceof UdpSocket && isMulticast((name as InetName).ip)) return Math.min(0, this.source(k, t, s, name as InetName, false) as number);
      return to;
    }
    const r = this.source(k, t, s as unknown as InetSocket, to, true);
    return typeof r === 'number' ? r : 0;
  }

  /** Under --net host, whether a connect to `to` leaves the sandbox (no sandbox listener has it). */
  goesOut(s: Socket, to: InetName): boolean {
    if (!this.hostNet) return false;
    const r = this.route(s, to);
    return typeof r === 'number' ? r === -E.ENETUNREACH : typeof this.listenerAt(r) === 'number';
  }

  /** Under --net host, whether a datagram to `to` leaves the sandbox (no sandbox socket takes it). */
  udpGoesOut(s: Socket, to: InetName): boolean {
    if (!this.hostNet || isMulticast(to.ip)) return false;
    const r = this.route(s, to);
    return typeof r === 'number' ? r === -E.ENETUNREACH : this.matching(this.udp, r, () => true).length === 0;
  }

  /** A connection from the host (-p or a --net host listener) for the guest's port. */
  fromHost(conn: HostSocket, guestPort: number, domain = AF_INET): void {
    const l = this.listenerAt(new InetName(V4_LOOPBACK, guestPort));
    if (typeof l === 'number') {
      conn.destroy();
      return;
    }
    const b = new BridgeSocket(this, l.domain === AF_INET6 ? AF_INET6 : domain, conn);
    b.enter(l, new InetName(ipHex(conn.remoteAddress ?? '127.0.0.1'), conn.remotePort ?? 0));
  }

  /** -p HOST_PORT:GUEST_PORT: the host's loopback port leads to the guest's listener. */
  async publish(hostPort: number, guestPort: number): Promise<void> {
    await hostListen(hostPort, '127.0.0.1', (conn) => this.fromHost(conn, guestPort));
  }

  /** The accepted socket holds the listener's port too (it is in the bind bucket). */
  accepted(l: StreamSocket, srv: StreamSocket, to: SockName): void {
    const t = to as InetName;
    const ip = t.ip === V4_ANY ? V4_LOOPBACK : t.ip === V6_ANY ? V6_LOOPBACK : t.ip;
    const name = (l.local as InetName).withIp(ip);
    srv.local = name;
    const s = srv as TcpSocket;
    this.tcp.add(s, name.port);
    s.inTable = true;
  }

  /**
   * The side that closes first keeps its port in TIME_WAIT for a minute (TCP_TIMEWAIT_LEN):
   * a bind to it conflicts unless both sides set SO_REUSEADDR.
   */
  timeWait(s: TcpSocket): void {
    const ghost = new TimeWait(s, Date.now() + TCP_TIMEWAIT_LEN) as unknown as TcpSocket;
    const port = (s.local as InetName).port;
    this.tcp.add(ghost, port);
    setTimeout(() => this.tcp.remove(ghost, port), TCP_TIMEWAIT_LEN).unref();
  }

  receivers(k: Kernel, t: Task, s: DgramSocket, name: SockName): DgramSocket[] | number {
    const n = name as InetName;
    if (s.domain === AF_INET6 && n.isV4 && (s as UdpSocket).v6only) return -E.ENETUNREACH;
    if (isMulticast(n.ip)) {
      const from = this.source(k, t, s as UdpSocket, n, false);
      if (typeof from === 'number') return from;
      (s as UdpSocket).from = from;
      // Every sandbox socket is on lo, where a multicast datagram comes back in whatever
      // IP_MULTICAST_LOOP says; a socket takes the groups it joined, or any group joined in
      // the sandbox while IP_MULTICAST_ALL is on.
      if (!this.groups.has(n.ip)) return [];
      const wants = (o: InetSocket): boolean => o instanceof UdpSocket && (o.memberships.includes(n.ip) || o.ip.multicastAll) && accepts(o, from);
      return this.matching(this.udp, n, wants).filter((o) => isAny((o.local as InetName).ip) || (o.local as InetName).ip === n.ip) as UdpSocket[];
    }
    const to = this.route(s, n);
    if (typeof to === 'number') return to;
    const from = this.source(k, t, s as UdpSocket, to, false);
    if (typeof from === 'number') return from;
    (s as UdpSocket).from = from;
    const found = this.matching(this.udp, to, (o) => accepts(o, from));
    if (found.length === 0) {
      // ICMP port unreachable: a connected socket learns ECONNREFUSED (udp(7))
      if (s.remote) s.error = E.ECONNREFUSED;
      return [];
    }
    return [found[found.length - 1] as UdpSocket];
  }
}

/** A connected UDP socket only receives from its peer. */
function accepts(o: InetSocket, from: InetName): boolean {
  const r = o.remote as InetName | undefined;
  return !r || (r.port === from.port && (r.ip === from.ip || isAny(r.ip)));
}

export type InetSocket = TcpSocket | UdpSocket;

export class TcpSocket extends StreamSocket {
  readonly ip: IpOptions;
  readonly tcpOpts = new TcpOptions();
  protected readonly unconnectedReadError = -E.ENOTCONN;
  protected readonly unconnectedWriteError = -E.EPIPE;
  protected readonly peerShutRdIsPipe = false;

  constructor(ns: InetNamespace, domain: number, flags: number) {
    super(ns, domain, 1, 6, flags, 131072, 16384);
    this.ip = new IpOptions(domain);
  }
  get v6only(): boolean {
    return this.ip.v6only;
  }
  /** Whether the port table holds it, and what bind(2) fixed (inet's SOCK_BIND*_LOCK). */
  inTable = false;
  addrLocked = false;
  portLocked = false;
  protected sibling(): StreamSocket {
    const s = new TcpSocket(this.ns as InetNamespace, this.domain, 0);
    s.ip.copyFrom(this.ip);
    s.reuseAddr = this.reuseAddr;
    s.reusePort = this.reusePort;
    s.tcpOpts.copyFrom(this.tcpOpts);
    s.keepAlive = this.keepAlive;
    return s;
  }
  protected autobindForListen(): number {
    return this.ns.bind(undefined as unknown as Kernel, undefined as unknown as Task, this, undefined);
  }
  protected connectOnListener(): number {
    return -E.EISCONN;
  }
  protected override connectedResult(): number {
    if (!this.nonblocking) return 0;
    this.connectPending = true;
    return -E.EINPROGRESS;
  }
  override send(k: Kernel, t: Task, out: Outgoing): number {
    const n = super.send(k, t, out);
    if (n > 0 && !(this.peer instanceof BridgeSocket)) {
      const v4 = (this.local as InetName).isV4;
      (this.ns as InetNamespace).lo.sent(n, linkIpHeader(v4) + 32, Math.ceil(n / LO_MSS));
    }
    return n;
  }
  override connect(k: Kernel, c: Call, name: SockName | undefined): number {
    const ns = this.ns as InetNamespace;
    if (name instanceof InetName && this.state === 'unconnected' && !this.connectPending && ns.goesOut(this, name)) return this.connectOut(k, c, name);
    return super.connect(k, c, name);
  }

  /** --net host: a connection to a host address through a bridge. */
  private connectOut(k: Kernel, c: Call, to: InetName): number {
    const r = this.ns.prepareConnect(k, c.task, this, new InetName(to.isV4 ? V4_LOOPBACK : V6_LOOPBACK, to.port));
    if (r < 0) return r;
    const conn = hostConnect(to.ip, to.port);
    const b = new BridgeSocket(this.ns as InetNamespace, this.domain, conn);
    this.state = 'connecting';
    this.remote = to;
    conn.once('connect', () => {
      if (this.state !== 'connecting' || this.refs === 0) return conn.destroy();
      b.local = to;
      b.remote = this.local;
      StreamSocket.pair(this, b);
      b.join(this);
      this.waitQueue.notify(POLLOUT | POLLWRNORM);
    });
    conn.once('error', (e: NodeJS.ErrnoException) => {
      if (this.state !== 'connecting') return;
      this.state = 'unconnected';
      this.remote = undefined;
      this.error = errnoOf(e);
      this.shutRd = this.shutWr = true;
      this.connectPending = this.nonblocking;
      this.waitQueue.notify(POLLOUT | POLLERR | POLLHUP);
    });
    if (!this.nonblocking) return -E.EAGAIN;
    this.connectPending = true;
    return -E.EINPROGRESS;
  }

  override listen(backlog: number): number {
    const r = super.listen(backlog);
    const ns = this.ns as InetNamespace;
    if (r < 0 || !ns.hostNet || this.hostServer) return r;
    const l = this.local as InetName;
    const port = l.port;
    const addr = isAny(l.ip) ? (this.domain === AF_INET6 ? '::' : '0.0.0.0') : ipString(l.ip);
    hostListen(port, addr, (conn) => ns.fromHost(conn, port, this.domain)).then(
      (srv) => {
        if (this.listening) this.hostServer = srv;
        else srv.close();
      },
      (e: Error) => ns.warn(`--net host: cannot listen on the host's ${addr} port ${port} for the guest: ${e.message}`),
    );
    return r;
  }
  private hostServer: Server | undefined;

  protected override stopListening(): void {
    this.hostServer?.close();
    this.hostServer = undefined;
    super.stopListening();
  }

  protected override connectFailed(err: number): number {
    if (err !== -E.ECONNREFUSED || !this.nonblocking) return err;
    // the reset that refused it shut both directions (tcp_done)
    this.error = E.ECONNREFUSED;
    this.shutRd = this.shutWr = true;
    this.connectPending = true;
    return -E.EINPROGRESS;
  }
  protected override release(): void {
    const activeClose = this.state === 'connected' && !this.peerGone && !this.peer?.shutWr && !this.resetsPeerOnClose();
    if (activeClose && this.local) (this.ns as InetNamespace).timeWait(this);
    super.release();
  }
  protected override resetsPeerOnClose(): boolean {
    return super.resetsPeerOnClose() || (this.linger[0] !== 0 && this.linger[1] === 0);
  }
  /** shutdown of a listener stops it listening (tcp_disconnect); otherwise ENOTCONN. */
  protected override shutdownUnconnected(how: number): number {
    if (this.state !== 'listening') return -E.ENOTCONN;
    if (how !== 1) this.stopListening();
    return 0;
  }
  override getProtoOpt(level: number, opt: number, v: DataView, len: number): number {
    if (level === 6) return this.tcpOpts.get(opt, v, this);
    return this.ip.get(level, opt, v, len);
  }
  override setProtoOpt(level: number, opt: number, v: DataView, len: number): number {
    if (level === 6) return this.tcpOpts.set(opt, v, len);
    return this.ip.set(level, opt, v, len, this);
  }
}

export class UdpSocket extends DgramSocket {
  readonly ip: IpOptions;
  readonly memberships: string[] = [];
  /** The source of the datagram being sent (the bound port at a loopback address). */
  from: InetName | undefined;
  protected readonly maxMessage: number;
  protected readonly noDestination = -E.EDESTADDRREQ;
  protected readonly sendersWait = false;

  constructor(ns: InetNamespace, domain: number, flags: number) {
    super(ns, domain, 2, 17, flags, 212992, 212992);
    this.ip = new IpOptions(domain);
    this.maxMessage = domain === AF_INET ? 65507 : 65527;
  }
  get v6only(): boolean {
    return this.ip.v6only;
  }
  inTable = false;
  addrLocked = false;
  portLocked = false;
  /** --net host: the host sockets datagrams to and from the host go through (IPv4, IPv6). */
  private host: [HostUdp | undefined, HostUdp | undefined] = [undefined, undefined];

  override send(k: Kernel, t: Task, out: Outgoing): number {
    const to = out.to ?? this.remote;
    const ns = this.ns as InetNamespace;
    if (!(to instanceof InetName)) return super.send(k, t, out);
    if (!ns.udpGoesOut(this, to)) {
      const n = super.send(k, t, out);
      if (n >= 0) ns.lo.sent(n, linkIpHeader(to.isV4) + 8, 1);
      return n;
    }
    if (this.shutWr) return -E.EPIPE;
    if (out.iov.total > this.maxMessage) return -E.EMSGSIZE;
    if (!this.inTable) {
      const r = ns.bind(k, t, this, this.local);
      if (r < 0) return r;
    }
    const data = k.mem.gather(t.tid, out.iov, out.iov.total);
    if (typeof data === 'number') return data;
    const v6 = !to.isV4;
    const h = this.host[v6 ? 1 : 0] ?? this.hostSide(v6, 0, undefined);
    h.send(data, to.port, ipString(to.ip));
    this.lastPush = undefined;
    return data.length;
  }

  /** Open the host socket of a family; what it receives joins this socket's queue. */
  hostSide(v6: boolean, port: number, address: string | undefined): HostUdp {
    const ns = this.ns as InetNamespace;
    const h = hostUdp(
      v6,
      port,
      address,
      (data, addr, rport) => {
        if (this.dead || this.full(data.length)) return;
        this.rx.push(new Msg(data, new InetName(ipHex(addr), rport)));
        this.rx.readable.notify(POLLIN | POLLRDNORM);
      },
      (e) => ns.warn(`--net host: UDP on the host for a guest socket: ${e.message}`),
    );
    this.host[v6 ? 1 : 0] = h;
    return h;
  }

  protected override release(): void {
    for (const h of this.host) h?.close();
    super.release();
  }

  /** connect(AF_UNSPEC) forgets what bind did not fix: the address and the port (udp_disconnect). */
  protected override disconnected(): void {
    let l = this.local as InetName | undefined;
    if (!l) return;
    if (!this.addrLocked) l = l.withIp(this.domain === AF_INET ? V4_ANY : V6_ANY);
    if (!this.portLocked) {
      (this.ns as InetNamespace).unhash(this);
      l = l.withPort(0);
    }
    this.local = l;
  }
  protected override senderName(): SockName | undefined {
    return this.from ?? this.local;
  }
  override getProtoOpt(level: number, opt: number, v: DataView, len: number): number {
    if (level === 17) return opt === 1 /* UDP_CORK */ ? (v.setInt32(0, 0, true), 4) : -E.ENOPROTOOPT;
    return this.ip.get(level, opt, v, len);
  }
  override setProtoOpt(level: number, opt: number, v: DataView, len: number): number {
    if (level === 17) return opt === 1 || opt === 100 /* UDP_SEGMENT... */ ? 0 : -E.ENOPROTOOPT;
    return this.ip.set(level, opt, v, len, this);
  }
}

export type { Namespace };
