// The kernel's door to the host's network, used only when the user asks (--net host, -p):
// Node's net module for TCP and dgram for UDP. Addresses are the kernel's 16-byte hex form (sockaddr.ts).
import { createServer, connect, isIPv4, type Server, type Socket } from 'node:net';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';

const V4_PREFIX = '00000000000000000000ffff';

/** "127.0.0.1" or "::1" for the kernel's hex form. */
export function ipString(hex: string): string {
  if (hex.startsWith(V4_PREFIX)) return [24, 26, 28, 30].map((i) => parseInt(hex.slice(i, i + 2), 16)).join('.');
  const groups = hex.match(/.{4}/g)!.map((g) => parseInt(g, 16).toString(16));
  return groups.join(':').replace(/(^|:)0(:0)+(:|$)/, '::');
}

/** The kernel's hex form of a host address string (IPv4, IPv4-mapped or IPv6). */
export function ipHex(addr: string): string {
  const plain = addr.startsWith('::ffff:') && isIPv4(addr.slice(7)) ? addr.slice(7) : addr;
  if (isIPv4(plain)) return V4_PREFIX + plain.split('.').map((o) => Number(o).toString(16).padStart(2, '0')).join('');
  const [head, tail = ''] = plain.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const mid = plain.includes('::') ? Array(8 - h.length - t.length).fill('0') : [];
  return [...h, ...mid, ...t].map((g) => g.padStart(4, '0')).join('');
}

/** Listen on a host address and port; resolves once listening, rejects with Node's error. */
export function hostListen(port: number, address: string, onConnection: (s: Socket) => void): Promise<Server> {
  return new Promise((resolve, reject) => {
    // half-open: a peer's FIN must not close our sending side (TCP's half-close)
    const srv = createServer({ allowHalfOpen: true, noDelay: true }, onConnection);
    srv.once('error', reject);
    srv.listen({ port, host: address }, () => {
      srv.off('error', reject);
      srv.unref();
      resolve(srv);
    });
  });
}

/** Open a TCP connection to a host address. */
export function hostConnect(hex: string, port: number): Socket {
  return connect({ host: ipString(hex), port, noDelay: true, allowHalfOpen: true });
}

export type { Server, Socket };

/** A host UDP socket of the given family bound to port (0: any), delivering what it receives. */
export function hostUdp(v6: boolean, port: number, address: string | undefined, onMessage: (data: Buffer, addr: string, port: number) => void, onError: (e: Error) => void): UdpSocket {
  const s = createSocket({ type: v6 ? 'udp6' : 'udp4', ipv6Only: false });
  s.on('message', (msg, rinfo) => onMessage(msg, rinfo.address, rinfo.port));
  s.on('error', onError);
  s.bind({ port, address, exclusive: true });
  s.unref();
  return s;
}

export type { UdpSocket };
