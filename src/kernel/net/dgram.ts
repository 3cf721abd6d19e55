// Datagram sockets: unix SOCK_DGRAM and UDP. Each send is one message with the sender's name;
// connect only fixes the default destination (and, for UDP, filters what is received).
import { Socket, SHUT_RD, SHUT_WR, type Namespace, type Outgoing } from './socket.js';
import { Msg } from './msgqueue.js';
import type { Kernel } from '../kernel.js';
import type { Task } from '../task.js';
import type { Call } from '../call.js';
import * as E from '../errno.js';
import { POLLERR, POLLHUP, POLLIN, POLLOUT, POLLRDHUP, POLLRDNORM, POLLWRNORM, type WaitQueue } from '../wait.js';
import type { SockName } from './sockaddr.js';

/** How a namespace finds who receives a datagram. */
export interface DgramNamespace extends Namespace {
  /** The sockets a datagram from s to `to` reaches (none: dropped), or -errno. */
  receivers(k: Kernel, t: Task, s: DgramSocket, to: SockName): DgramSocket[] | number;
  /** connect: check the destination and take a local name if needed. */
  prepareConnect(k: Kernel, t: Task, s: DgramSocket, to: SockName): number;
}

export abstract class DgramSocket extends Socket {
  /** Set when the socket closed: senders holding it see ECONNREFUSED. */
  dead = false;
  /** The socket a connected unix datagram socket sends to. */
  peer: DgramSocket | undefined;
  declare readonly ns: DgramNamespace;

  /** The largest datagram (EMSGSIZE beyond). */
  protected abstract readonly maxMessage: number;
  /** What a send with no destination on an unconnected socket gives. */
  protected abstract readonly noDestination: number;
  /** Whether a full receiver makes the sender wait (unix) or drops the datagram (UDP). */
  protected abstract readonly sendersWait: boolean;
  /** How many datagrams a receive queue holds before it counts as full (unix's max_dgram_qlen). */
  protected readonly maxQueued: number = Infinity;
  /** UDP's shutdown fails unconnected (still recording the flags); unix's does not. */
  protected readonly shutdownNeedsPeer: boolean = true;

  override queueFor(write: boolean): WaitQueue {
    if (!write) return this.rx.readable;
    return this.peer && !this.peer.dead ? this.peer.rx.writable : this.waitQueue;
  }
  override pollQueues(): WaitQueue[] {
    const qs = [this.waitQueue, this.rx.readable];
    if (this.peer && !this.peer.dead) qs.push(this.peer.rx.writable);
    return qs;
  }

  full(m: number): boolean {
    return this.rx.count >= this.maxQueued || this.rx.size + m > this.rx.capacity;
  }

  override pollMask(): number {
    let m = 0;
    if (this.error) m |= POLLERR;
    if (this.rx.count > 0) m |= POLLIN | POLLRDNORM;
    if (this.shutRd) m |= POLLIN | POLLRDNORM | POLLRDHUP;
    if (this.shutRd && this.shutWr) m |= POLLHUP;
    if (!this.shutWr && !(this.sendersWait && this.peer && !this.peer.dead && this.peer.full(1))) m |= this.outMask;
    return m;
  }

  override connect(k: Kernel, c: Call, name: SockName | undefined): number {
    if (name === undefined) {
      this.remote = undefined;
      this.peer = undefined;
      this.disconnected();
      return 0;
    }
    const r = this.ns.prepareConnect(k, c.task, this, name);
    if (r < 0) return r;
    this.remote = name;
    return 0;
  }
  protected disconnected(): void {}

  override peerName(): SockName | undefined | number {
    if (this.peer) return this.peer.dead ? -E.ENOTCONN : this.peer.local;
    return this.remote ?? -E.ENOTCONN;
  }
  /** The name a datagram is sent from. */
  protected senderName(): SockName | undefined {
    return this.local;
  }

  override send(k: Kernel, t: Task, out: Outgoing): number {
    if (this.shutWr) return -E.EPIPE;
    if (this.error && this.remote && !out.to) return -this.takeError();
    const to = out.to;
    let targets: DgramSocket[] | number;
    if (to !== undefined) {
      targets = this.ns.receivers(k, t, this, to);
    } else if (this.peer) {
      if (this.peer.dead) {
        // the first send after the peer closed reports it and disconnects (unix_dgram_sendmsg)
        this.peer = undefined;
        this.remote = undefined;
        return -E.ECONNREFUSED;
      }
      targets = [this.peer];
    } else if (this.remote) {
      targets = this.ns.receivers(k, t, this, this.remote);
    } else {
      return this.noDestination;
    }
    if (typeof targets === 'number') return targets;
    const total = out.iov.total;
    if (total > this.maxMessage) return -E.EMSGSIZE;
    if (this.sendersWait && targets.length === 1 && targets[0].full(total)) return -E.EAGAIN;
    const data = k.mem.gather(t.tid, out.iov, total);
    if (typeof data === 'number') return data;
    if (data.length < total) return -E.EFAULT;
    this.lastPush = undefined;
    const from = this.senderName();
    for (const r of targets) {
      if (r.full(total)) continue; // UDP: a full receiver drops it
      const m = new Msg(data, from, out.rights, out.cred);
      r.rx.push(m);
      if (targets.length === 1) this.lastPush = { q: r.rx, m };
      if (out.rights) this.lastRights = out.rights;
      r.rx.readable.notify(POLLIN | POLLRDNORM);
    }
    return total;
  }

  protected override emptyRead(): number {
    return this.shutRd ? 0 : -E.EAGAIN;
  }

  override shutdown(how: number): number {
    if (how < SHUT_RD || how > 2) return -E.EINVAL;
    if (how !== SHUT_WR) this.shutRd = true;
    if (how !== SHUT_RD) this.shutWr = true;
    this.rx.readable.notify(POLLIN | POLLRDHUP);
    this.waitQueue.notify(POLLIN | POLLOUT | POLLHUP);
    return !this.remote && !this.peer && this.shutdownNeedsPeer ? -E.ENOTCONN : 0;
  }

  protected override release(): void {
    this.dead = true;
    this.rx.writable.notify(POLLOUT | POLLERR);
    super.release();
  }
}
