// The way out, when the user asks for it (--net host, -p HOST:GUEST): a kernel-side TCP
// endpoint whose other half is a real host connection (a Node net.Socket). The guest socket is
// connected to the bridge as to any sandbox peer; the bridge moves bytes between the two with
// backpressure both ways, and turns EOF, resets and errors into what the guest's peer would do.
import type { Socket as HostSocket } from 'node:net';
import { StreamSocket } from './stream.js';
import { POLLIN, POLLOUT, POLLRDHUP, POLLRDNORM, type Wakeable } from '../wait.js';
import { Msg } from './msgqueue.js';
import * as E from '../errno.js';
import type { InetNamespace } from './inet.js';
import type { SockName } from './sockaddr.js';

/** Node's error codes for a failed connect, as the guest's connect(2) reports them. */
export function errnoOf(err: NodeJS.ErrnoException): number {
  const table: Record<string, number> = {
    ECONNREFUSED: E.ECONNREFUSED,
    ECONNRESET: E.ECONNRESET,
    ETIMEDOUT: E.ETIMEDOUT,
    EHOSTUNREACH: E.EHOSTUNREACH,
    ENETUNREACH: E.ENETUNREACH,
    EADDRNOTAVAIL: E.EADDRNOTAVAIL,
    EPIPE: E.EPIPE,
  };
  return table[err.code ?? ''] ?? E.ECONNREFUSED;
}

export class BridgeSocket extends StreamSocket {
  protected readonly unconnectedReadError = -E.ENOTCONN;
  protected readonly unconnectedWriteError = -E.EPIPE;
  protected readonly peerShutRdIsPipe = false;
  private writing = false;
  private ended = false;
  private readonly drainer: Wakeable = { wake: () => this.drain() };
  private readonly resumer: Wakeable = { wake: () => this.resumeHost() };

  constructor(
    ns: InetNamespace,
    domain: number,
    readonly host: HostSocket,
  ) {
    super(ns, domain, 1, 6, 0, 4 << 20, 16384);
    this.incRef(); // held by the host connection until it closes
  }

  /** Join the guest socket g: from now on bytes flow. */
  join(g: StreamSocket): void {
    this.rx.readable.add(this.drainer);
    g.rx.writable.add(this.resumer);
    this.host.on('data', (d: Buffer) => this.fromHost(d));
    this.host.on('end', () => this.hostEnded());
    this.host.on('error', () => this.hostGone(true));
    this.host.on('close', () => this.hostGone(false));
    this.host.on('drain', () => {
      this.writing = false;
      this.drain();
    });
    this.drain();
  }

  private get guest(): StreamSocket | undefined {
    return this.peerGone ? undefined : this.peer;
  }

  private fromHost(d: Buffer): void {
    const g = this.guest;
    if (!g) return;
    g.rx.push(new Msg(d, this.local));
    g.rx.readable.notify(POLLIN | POLLRDNORM);
    if (g.rx.size >= g.rx.capacity) this.host.pause();
  }

  private resumeHost(): void {
    const g = this.guest;
    if (g && g.rx.size < g.rx.capacity) this.host.resume();
  }

  /** Guest bytes to the host, as fast as the host takes them; the guest's EOF after them. */
  private drain(): void {
    if (this.writing || this.host.destroyed) return;
    while (this.rx.size > 0) {
      const m = this.rx.peekMsg()!;
      const chunk = m.data.subarray(m.off);
      this.consumed(chunk.length);
      if (!this.host.write(chunk)) {
        this.writing = true;
        return;
      }
    }
    const g = this.peer;
    if (!this.ended && (this.peerGone || g?.shutWr)) {
      this.ended = true;
      this.host.end();
    }
  }

  private hostEnded(): void {
    this.shutWr = true; // the guest reads EOF once the queue is empty
    const g = this.guest;
    g?.rx.readable.notify(POLLIN | POLLRDNORM | POLLRDHUP);
    g?.waitQueue.notify(POLLIN | POLLRDHUP);
  }

  private hostGone(error: boolean): void {
    if (this.refs === 0) return;
    const g = this.guest;
    if (g) {
      g.peerReleased(error);
      this.peerGone = true;
    }
    this.rx.readable.remove(this.drainer);
    g?.rx.writable.remove(this.resumer);
    this.decRef();
  }

  /** The guest closed: finish sending what it wrote, then close (or reset) the host side. */
  override peerReleased(reset: boolean): void {
    this.peerGone = true;
    if (reset) this.host.destroy();
    else this.drain();
  }

  protected sibling(): StreamSocket {
    throw new Error('a bridge never listens');
  }
  protected autobindForListen(): number {
    return -E.EINVAL;
  }
  protected connectOnListener(): number {
    return -E.EINVAL;
  }

  /** Connect into a guest listener l as a client named `from` (a connection from the host). */
  enter(l: StreamSocket, from: SockName): void {
    this.local = from;
    this.remote = l.local;
    this.admitTo(l);
    if (this.peer) this.join(this.peer);
    else this.onEstablished = () => this.join(this.peer!);
  }
}

export { POLLOUT };
