// Connection-oriented sockets: unix SOCK_STREAM and SOCK_SEQPACKET, and loopback TCP. A
// connection is two sockets, each reading its own receive queue and writing its peer's. A
// listener keeps an accept queue of server-side sockets (backlog + 1 of them, as Linux's
// sk_acceptq_is_full) and a queue of connectors waiting for room.
import { Socket, SHUT_RD, SHUT_WR, type Namespace, type Outgoing } from './socket.js';
import { Msg, type Cred } from './msgqueue.js';
import type { Kernel } from '../kernel.js';
import type { Task } from '../task.js';
import type { Call } from '../call.js';
import * as E from '../errno.js';
import { POLLERR, POLLHUP, POLLIN, POLLOUT, POLLRDHUP, POLLRDNORM, POLLWRNORM, type WaitQueue } from '../wait.js';
import { SOCK_SEQPACKET, type SockName } from './sockaddr.js';

export const SOMAXCONN = 4096;

export type StreamState = 'unconnected' | 'listening' | 'connecting' | 'connected';

/** How a namespace finds the listener a connect names. */
export interface StreamNamespace extends Namespace {
  listener(k: Kernel, t: Task, s: StreamSocket, name: SockName): StreamSocket | number;
  /** A connecting socket needs a name of its own first (TCP's ephemeral port). */
  prepareConnect(k: Kernel, t: Task, s: StreamSocket, to: SockName): number;
  /** Name the server side of a connection to `to` (a wildcard listener's real address). */
  accepted(l: StreamSocket, srv: StreamSocket, to: SockName): void;
}

export abstract class StreamSocket extends Socket {
  state: StreamState = 'unconnected';
  peer: StreamSocket | undefined;
  /** The peer released its end (close or reset); what is queued stays readable. */
  peerGone = false;
  /** The credentials of the peer when the connection was made (SO_PEERCRED). */
  peerCred: Cred | undefined;
  /** This socket's creator, for its peer's SO_PEERCRED. */
  cred: Cred = { pid: 0, uid: 0, gid: 0 };
  backlog = 0;
  readonly acceptq: StreamSocket[] = [];
  /** Connectors waiting for room in the accept queue (for a listener). */
  readonly waiting: StreamSocket[] = [];
  /** The listener a connecting socket waits on. */
  waitingOn: StreamSocket | undefined;
  /** A non-blocking connect finished and the next connect() reports it (TCP). */
  connectPending = false;
  /** Called once a connection that waited for room in the accept queue is made. */
  onEstablished: (() => void) | undefined;

  declare readonly ns: StreamNamespace;

  /** A listener's new socket for an incoming connection, inheriting its options. */
  protected abstract sibling(): StreamSocket;
  /** Whether a socket that was never connected reads EINVAL (unix stream) or ENOTCONN. */
  protected abstract readonly unconnectedReadError: number;
  /** Whether writing to a never-connected socket is EPIPE (TCP, with SIGPIPE) or ENOTCONN. */
  protected abstract readonly unconnectedWriteError: number;
  /** Whether a socket whose peer shut its reading side gets EPIPE (unix) or not (TCP). */
  protected abstract readonly peerShutRdIsPipe: boolean;

  override get listening(): boolean {
    return this.state === 'listening';
  }
  get messages(): boolean {
    return this.type === SOCK_SEQPACKET;
  }

  override queueFor(write: boolean): WaitQueue {
    if (this.state === 'listening') return this.waitQueue;
    if (write) return this.peer && !this.peerGone ? this.peer.rx.writable : this.waitQueue;
    return this.rx.readable;
  }
  override pollQueues(): WaitQueue[] {
    const qs = [this.waitQueue, this.rx.readable];
    if (this.peer && !this.peerGone) qs.push(this.peer.rx.writable);
    return qs;
  }

  /** Bytes this socket may still queue at its peer. */
  room(): number {
    const p = this.peer!;
    return Math.max(0, p.rx.capacity + this.sndbuf - p.rx.size);
  }

  override pollMask(): number {
    let m = 0;
    if (this.state === 'listening') return this.acceptq.length > 0 ? POLLIN | POLLRDNORM : 0;
    if (this.error) m |= POLLERR;
    if (this.state === 'connecting') return m;
    const rdHup = this.shutRd || this.peerGone || (this.peer?.shutWr ?? false);
    if (this.rx.size > 0 || (this.messages && this.rx.count > 0) || rdHup) m |= POLLIN | POLLRDNORM;
    if (rdHup) m |= POLLRDHUP;
    if (this.state === 'unconnected' || (this.shutWr && rdHup) || this.hangupOnPeerGone()) m |= POLLHUP;
    if (this.state === 'unconnected' || this.shutWr || this.peerGone || !this.peer) m |= this.outMask;
    else if (this.room() * 4 >= this.peer.rx.capacity + this.sndbuf) m |= this.outMask;
    return m;
  }
  /** unix: a closed peer hangs the connection up entirely (unix_release_sock). */
  protected hangupOnPeerGone(): boolean {
    return false;
  }

  override listen(backlog: number): number {
    if (this.state === 'connected' || this.state === 'connecting') return -E.EINVAL;
    if (this.local === undefined) {
      const r = this.autobindForListen();
      if (r < 0) return r;
    }
    this.backlog = Math.min(Math.max(backlog, 0), SOMAXCONN);
    this.state = 'listening';
    this.admitWaiting();
    return 0;
  }
  /** listen on an unbound socket: TCP picks a port; unix refuses (EINVAL). */
  protected abstract autobindForListen(): number;

  override connect(k: Kernel, c: Call, name: SockName | undefined): number {
    if (this.state === 'listening') return this.connectOnListener();
    if (this.state === 'connected') {
      if (this.connectPending) {
        this.connectPending = false;
        return 0;
      }
      return -E.EISCONN;
    }
    if (this.state === 'connecting') return this.nonblocking ? -E.EALREADY : -E.EAGAIN;
    if (this.connectPending) {
      // a non-blocking connect failed: the next connect reports it (ECONNABORTED once read)
      this.connectPending = false;
      this.shutRd = this.shutWr = false;
      return -(this.takeError() || E.ECONNABORTED);
    }
    if (name === undefined) return -E.EINVAL;
    const t = c.task;
    const l = this.ns.listener(k, t, this, name);
    if (typeof l === 'number') return this.connectFailed(l);
    const r = this.ns.prepareConnect(k, t, this, name);
    if (r < 0) return r;
    this.remote = name;
    if (l.acceptq.length > l.backlog && this.refuseWhenFull()) {
      this.remote = undefined;
      return -E.EAGAIN;
    }
    this.admitTo(l);
    if ((this.state as StreamState) === 'connected') return this.connectedResult();
    return this.nonblocking ? -E.EINPROGRESS : -E.EAGAIN;
  }

  /** Connect to listener l now, or wait in its queue of connectors until there is room. */
  protected admitTo(l: StreamSocket): void {
    if (l.acceptq.length <= l.backlog) {
      this.establish(l, this.remote!);
      return;
    }
    this.state = 'connecting';
    this.waitingOn = l;
    l.waiting.push(this);
  }
  protected abstract connectOnListener(): number;
  /** The connect found no listener (TCP reports a non-blocking refusal later, through SO_ERROR). */
  protected connectFailed(err: number): number {
    return err;
  }
  /** What connect answers once the connection exists: TCP's non-blocking EINPROGRESS. */
  protected connectedResult(): number {
    return 0;
  }
  /** unix: a non-blocking connect to a full backlog is EAGAIN, not a pending connection. */
  protected refuseWhenFull(): boolean {
    return false;
  }

  /** A blocked connect retries: connected (0), still waiting (-EAGAIN), or the error. */
  connectRetry(): number {
    if (this.state === 'connected') {
      this.connectPending = false;
      return 0;
    }
    if (this.state === 'connecting') return -E.EAGAIN;
    this.connectPending = false;
    return this.error ? -this.takeError() : -E.ECONNREFUSED;
  }

  /** Make the connection: a server-side socket joins l's accept queue. */
  private establish(l: StreamSocket, to: SockName): void {
    const srv = l.sibling();
    this.ns.accepted(l, srv, to);
    srv.remote = this.local;
    srv.cred = l.cred;
    srv.peer = this;
    srv.peerCred = this.cred;
    srv.state = 'connected';
    srv.rx.capacity = l.rx.capacity;
    srv.sndbuf = l.sndbuf;
    this.peer = srv;
    this.peerCred = l.cred;
    this.state = 'connected';
    this.waitingOn = undefined;
    l.acceptq.push(srv);
    l.waitQueue.notify(POLLIN | POLLRDNORM);
    this.waitQueue.notify(POLLOUT | POLLWRNORM);
    const then = this.onEstablished;
    this.onEstablished = undefined;
    then?.();
  }

  /** Connectors waiting for room get it, in order. */
  private admitWaiting(): void {
    while (this.waiting.length > 0 && this.acceptq.length <= this.backlog) {
      const s = this.waiting.shift()!;
      s.establish(this, s.remote!);
    }
  }

  override accept(): StreamSocket | number {
    if (this.state !== 'listening') return -E.EINVAL;
    const s = this.acceptq.shift();
    if (!s) return -E.EAGAIN;
    this.admitWaiting();
    return s;
  }

  /** Pair two fresh sockets (socketpair). */
  static pair(a: StreamSocket, b: StreamSocket): void {
    a.peer = b;
    b.peer = a;
    a.state = b.state = 'connected';
    a.peerCred = b.cred;
    b.peerCred = a.cred;
  }

  override send(k: Kernel, t: Task, out: Outgoing): number {
    if (this.state !== 'connected') {
      if (this.error) return -this.takeError();
      return this.state === 'connecting' ? -E.EAGAIN : this.unconnectedWriteError;
    }
    if (this.shutWr) return -E.EPIPE;
    const p = this.peer!;
    if (this.error && this.peerGone) return -this.takeError();
    if (this.peerGone || (this.peerShutRdIsPipe && p.shutRd)) return -E.EPIPE;
    const total = out.iov.total;
    const room = this.room();
    if (this.messages) {
      if (total > this.sndbuf - 32) return -E.EMSGSIZE;
      if (room < total || (total === 0 && room === 0)) return -E.EAGAIN;
    } else if (total === 0) {
      return 0;
    } else if (room === 0) {
      return -E.EAGAIN;
    }
    const data = k.mem.gather(t.tid, out.iov, this.messages ? total : room);
    if (typeof data === 'number') return data;
    const m = new Msg(data, this.local, out.rights, out.cred);
    p.rx.push(m);
    this.lastPush = { q: p.rx, m };
    if (out.rights) this.lastRights = out.rights;
    p.rx.readable.notify(POLLIN | POLLRDNORM);
    return data.length;
  }

  protected override canRead(): number {
    if (this.state === 'listening' || this.state === 'unconnected') return this.unconnectedReadError;
    if (this.state === 'connecting') return -E.EAGAIN;
    return 0;
  }
  protected override emptyRead(): number {
    if (this.shutRd || this.peerGone || this.peer?.shutWr) return 0;
    return -E.EAGAIN;
  }

  /** The flags stick even where the call fails (inet_shutdown records them first). */
  override shutdown(how: number): number {
    if (how < SHUT_RD || how > 2) return -E.EINVAL;
    if (how !== SHUT_WR) this.shutRd = true;
    if (how !== SHUT_RD) this.shutWr = true;
    const p = this.peer;
    this.rx.readable.notify(POLLIN | POLLRDHUP);
    this.rx.writable.notify(POLLOUT);
    if (p && !this.peerGone) {
      p.rx.readable.notify(POLLIN | POLLRDNORM | POLLRDHUP);
      p.rx.writable.notify(POLLOUT);
      p.waitQueue.notify(POLLIN | POLLOUT | POLLRDHUP);
    }
    this.waitQueue.notify(POLLIN | POLLOUT | POLLRDHUP);
    return this.state === 'connected' ? 0 : this.shutdownUnconnected(how);
  }
  /** shutdown on a socket that is not connected: ENOTCONN (a TCP listener is closed instead). */
  protected shutdownUnconnected(_how: number): number {
    return -E.ENOTCONN;
  }

  /** Stop listening: queued connections are reset, waiting connectors refused. */
  protected stopListening(): void {
    for (const s of this.acceptq.splice(0)) s.decRefUnaccepted();
    for (const s of this.waiting.splice(0)) s.refused();
    this.state = 'unconnected';
    this.shutRd = this.shutWr = false;
    this.waitQueue.notify(POLLIN | POLLHUP);
  }

  override peerName(): SockName | undefined | number {
    if (this.state !== 'connected') return -E.ENOTCONN;
    return this.peer && !this.peerGone ? (this.peer.local ?? this.remote) : this.remote;
  }

  protected override outq(): number {
    return this.peer && !this.peerGone ? this.peer.rx.size : 0;
  }

  /** The connection is torn down from the other side: reset (error) or an orderly close. */
  peerReleased(reset: boolean): void {
    this.peerGone = true;
    if (reset) {
      // tcp_reset / unix_release_sock: an error, and both directions shut
      this.error = E.ECONNRESET;
      this.shutRd = this.shutWr = true;
    }
    this.rx.readable.notify(POLLIN | POLLRDNORM | POLLRDHUP | POLLHUP | (reset ? POLLERR : 0));
    this.rx.writable.notify(POLLOUT | POLLERR);
    this.waitQueue.notify(POLLIN | POLLOUT | POLLHUP | POLLRDHUP | (reset ? POLLERR : 0));
  }

  protected override release(): void {
    if (this.state === 'listening') this.stopListening();
    if (this.waitingOn) {
      const w = this.waitingOn.waiting;
      const i = w.indexOf(this);
      if (i >= 0) w.splice(i, 1);
    }
    const p = this.peer;
    if (p && !this.peerGone) {
      p.peerReleased(this.resetsPeerOnClose());
      p.peerGone = true;
    }
    this.peer = undefined;
    super.release();
  }
  /** Closing with unread data (or SO_LINGER 0 on TCP) resets the peer instead of a clean EOF. */
  protected resetsPeerOnClose(): boolean {
    return this.rx.size > 0 || (this.messages && this.rx.count > 0);
  }
  /** A queued server-side socket whose listener closed before accepting it. */
  private decRefUnaccepted(): void {
    this.incRef();
    this.error = 0;
    this.rx.purge();
    const p = this.peer;
    if (p && !this.peerGone) {
      p.peerReleased(true);
      p.peerGone = true;
    }
    this.peer = undefined;
    this.decRef();
  }
  /** A waiting connector whose listener went away. */
  private refused(): void {
    this.state = 'unconnected';
    this.waitingOn = undefined;
    this.remote = undefined;
    this.error = E.ECONNREFUSED;
    this.waitQueue.notify(POLLOUT | POLLERR | POLLHUP);
  }
}
