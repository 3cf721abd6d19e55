// Socket addresses (sockaddr_un, sockaddr_in, sockaddr_in6): decoded from guest bytes into
// names the kernel compares, and encoded back for getsockname, accept and recvfrom.
import { EAFNOSUPPORT, EINVAL } from '../errno.js';

export const AF_UNSPEC = 0;
export const AF_UNIX = 1;
export const AF_INET = 2;
export const AF_INET6 = 10;
export const AF_NETLINK = 16;

export const SOCK_STREAM = 1;
export const SOCK_DGRAM = 2;
export const SOCK_RAW = 3;
export const SOCK_SEQPACKET = 5;

const SUN_PATH_MAX = 108;

/** An AF_UNIX name: a filesystem path, an abstract name (bytes after the leading NUL), or none. */
export class UnixName {
  constructor(
    readonly kind: 'path' | 'abstract',
    /** latin1: the path as given, or the abstract name without its leading NUL */
    readonly name: string,
  ) {}
  get key(): string {
    return this.kind === 'path' ? this.name : `\0${this.name}`;
  }
}

/** An AF_INET/AF_INET6 name. ip is 16 bytes as hex (IPv4 as ::ffff:a.b.c.d). */
export class InetName {
  constructor(
    readonly ip: string,
    readonly port: number,
    readonly flowinfo = 0,
    readonly scope = 0,
  ) {}
  get isV4(): boolean {
    return this.ip.startsWith(V4_PREFIX);
  }
  withPort(port: number): InetName {
    return new InetName(this.ip, port, this.flowinfo, this.scope);
  }
  withIp(ip: string): InetName {
    return new InetName(ip, this.port, this.flowinfo, this.scope);
  }
}

/** An AF_NETLINK name: the port id (0 is the kernel) and multicast groups. */
export class NetlinkName {
  constructor(
    readonly pid: number,
    readonly groups: number,
  ) {}
}

export type SockName = UnixName | InetName | NetlinkName;

export const V4_PREFIX = '00000000000000000000ffff';
export const V4_ANY = V4_PREFIX + '00000000';
export const V4_LOOPBACK = V4_PREFIX + '7f000001';
export const V6_ANY = '0'.repeat(32);
export const V6_LOOPBACK = '0'.repeat(31) + '1';

export function isAny(ip: string): boolean {
  return ip === V4_ANY || ip === V6_ANY;
}
export function isLoopback(ip: string): boolean {
  return ip === V6_LOOPBACK || ip.startsWith(V4_PREFIX + '7f');
}
export function isMulticast(ip: string): boolean {
  if (ip.startsWith(V4_PREFIX)) return (parseInt(ip.slice(24, 26), 16) & 0xf0) === 0xe0;
  return ip.startsWith('ff');
}

/**
 * Decode a guest sockaddr of len bytes for a socket of domain. Linux checks the length before
 * the family (EINVAL), then the family (EAFNOSUPPORT; AF_UNSPEC is the caller's business).
 */
export function decodeName(domain: number, buf: Buffer, len: number): SockName | number {
  if (len < 2) return -EINVAL;
  const family = buf.readUInt16LE(0);
  if (domain === AF_UNIX) {
    if (len > 2 + SUN_PATH_MAX) return -EINVAL;
    if (family !== AF_UNIX) return -EINVAL;
    if (len === 2) return -EINVAL; // autobind is the caller's business
    if (buf[2] === 0) return new UnixName('abstract', buf.toString('latin1', 3, len));
    let end = 2;
    while (end < len && buf[end] !== 0) end++;
    return new UnixName('path', buf.toString('latin1', 2, end));
  }
  if (domain === AF_NETLINK) {
    if (len < 12 || family !== AF_NETLINK) return -EINVAL;
    return new NetlinkName(buf.readUInt32LE(4), buf.readUInt32LE(8));
  }
  if (domain === AF_INET) {
    if (len < 16) return -EINVAL;
    if (family !== AF_INET) return -EAFNOSUPPORT;
    return new InetName(V4_PREFIX + buf.toString('hex', 4, 8), buf.readUInt16BE(2));
  }
  if (domain === AF_INET6) {
    if (len < 24) return -EINVAL;
    if (family !== AF_INET6) return -EAFNOSUPPORT;
    return new InetName(buf.toString('hex', 8, 24), buf.readUInt16BE(2), buf.readUInt32BE(4), len >= 28 ? buf.readUInt32LE(24) : 0);
  }
  return -EAFNOSUPPORT;
}

/** Encode name as a socket of domain reports it into out; returns the full address length. */
export function encodeName(domain: number, name: SockName | undefined, out: Buffer): number {
  if (domain === AF_UNIX) {
    out.writeUInt16LE(AF_UNIX, 0);
    if (!(name instanceof UnixName)) return 2;
    if (name.kind === 'abstract') {
      out[2] = 0;
      return 3 + out.write(name.name, 3, 'latin1');
    }
    const n = out.write(name.name, 2, 'latin1');
    out[2 + n] = 0;
    return 2 + n + 1;
  }
  if (domain === AF_NETLINK) {
    out.fill(0, 0, 12);
    out.writeUInt16LE(AF_NETLINK, 0);
    if (name instanceof NetlinkName) {
      out.writeUInt32LE(name.pid >>> 0, 4);
      out.writeUInt32LE(name.groups >>> 0, 8);
    }
    return 12;
  }
  const inet = name instanceof InetName ? name : undefined;
  const ip = inet?.ip ?? (domain === AF_INET ? V4_ANY : V6_ANY);
  if (domain === AF_INET) {
    out.fill(0, 0, 16);
    out.writeUInt16LE(AF_INET, 0);
    out.writeUInt16BE(inet?.port ?? 0, 2);
    out.write(ip.slice(24), 4, 'hex');
    return 16;
  }
  out.fill(0, 0, 28);
  out.writeUInt16LE(AF_INET6, 0);
  out.writeUInt16BE(inet?.port ?? 0, 2);
  out.writeUInt32BE(inet?.flowinfo ?? 0, 4);
  out.write(ip, 8, 'hex');
  out.writeUInt32LE(inet?.scope ?? 0, 24);
  return 28;
}

/** Printable form for strace and /proc: "127.0.0.1:80", "[::1]:80", "@abstract", "/path". */
export function showName(name: SockName | undefined): string {
  if (!name) return '';
  if (name instanceof NetlinkName) return `netlink:${name.pid}`;
  if (name instanceof UnixName) return name.kind === 'abstract' ? `@${name.name}` : name.name;
  if (name.isV4) {
    const h = name.ip.slice(24);
    const q = [0, 2, 4, 6].map((i) => parseInt(h.slice(i, i + 2), 16)).join('.');
    return `${q}:${name.port}`;
  }
  const groups = name.ip.match(/.{4}/g)!.map((g) => parseInt(g, 16).toString(16));
  return `[${groups.join(':')}]:${name.port}`;
}
