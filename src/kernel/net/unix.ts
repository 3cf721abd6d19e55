// AF_UNIX (unix(7)): SOCK_STREAM, SOCK_SEQPACKET and SOCK_DGRAM. A socket bound to a path
// creates a socket file in the guest's view (a real S_IFSOCK node on the host mount, so stat,
// ls and unlink see it) and is found again by the file's identity; abstract names live in the
// sandbox's own namespace.
import type { Kernel } from '../kernel.js';
import type { Task } from '../task.js';
import type { Call } from '../call.js';
import * as E from '../errno.js';
import * as host from '../../host/sys.js';
import { walk, AT_FDCWD } from '../fs/path.js';
import { createEntry, statResolved } from '../fs/ops.js';
import { Socket, WMEM_DEFAULT, RMEM_DEFAULT } from './socket.js';
import { StreamSocket, type StreamNamespace } from './stream.js';
import { DgramSocket, type DgramNamespace } from './dgram.js';
import { AF_UNIX, SOCK_DGRAM, SOCK_STREAM, UnixName, type SockName } from './sockaddr.js';
import { POLLHUP, POLLOUT, POLLWRNORM } from '../wait.js';

const POLLWRBAND = 0x200;

const S_IFSOCK = 0o140000;
const NR_mknodat = 259;

export class UnixNamespace implements StreamNamespace, DgramNamespace {
  private readonly abstract = new Map<string, Socket>();
  /** Path-bound sockets by the host identity ("dev:ino") of their socket file. */
  private readonly files = new Map<string, Socket>();
  private readonly keys = new Map<Socket, string>();
  private autoName = 0;
  /** Every open unix socket, bound or not, as /proc/net/unix lists them. */
  readonly sockets = new Set<Socket>();

  bind(k: Kernel, t: Task, s: Socket, name: SockName | undefined): number {
    if (name === undefined) return s.local ? 0 : this.autobind(s);
    if (s.local) return -E.EINVAL;
    if (!(name instanceof UnixName)) return -E.EINVAL;
    if (name.kind === 'abstract') {
      if (this.abstract.has(name.name)) return -E.EADDRINUSE;
      this.abstract.set(name.name, s);
      this.keys.set(s, `\0${name.name}`);
      s.local = name;
      return 0;
    }
    if (name.name === '') return -E.ENOENT;
    const r = walk(k, t, AT_FDCWD, name.name, { follow: false, allowMissing: true });
    if (typeof r === 'number') return r;
    if (r.exists) return -E.EADDRINUSE;
    if (r.mount.readOnly) return -E.EROFS;
    if (r.node || r.mount.generated) return -E.EACCES;
    const mode = S_IFSOCK | (0o777 & ~t.fs.umask);
    const made = createEntry(r, (fd, n) => host.sys(NR_mknodat, fd, host.putPath(host.PATH2, n), mode, 0));
    if (made < 0) return made === -E.EEXIST ? -E.EADDRINUSE : made;
    const st = statResolved(r);
    if (st < 0) return st;
    const key = `${host.statDev()}:${host.statIno()}`;
    this.files.set(key, s);
    this.keys.set(s, key);
    s.local = name;
    return 0;
  }

  /** An abstract name of five hex digits (unix_autobind). */
  private autobind(s: Socket): number {
    for (let i = 0; i < 0x100000; i++) {
      const name = ((this.autoName++ & 0xfffff) >>> 0).toString(16).padStart(5, '0');
      if (this.abstract.has(name)) continue;
      this.abstract.set(name, s);
      this.keys.set(s, `\0${name}`);
      s.local = new UnixName('abstract', name);
      return 0;
    }
    return -E.ENOSPC;
  }

  unbind(s: Socket): void {
    this.sockets.delete(s);
    const key = this.keys.get(s);
    if (key === undefined) return;
    this.keys.delete(s);
    if (key.startsWith('\0')) this.abstract.delete(key.slice(1));
    else this.files.delete(key);
  }

  /** The socket a name refers to: ENOENT for a missing path, ECONNREFUSED for no socket. */
  lookup(k: Kernel, t: Task, name: SockName): Socket | number {
    if (!(name instanceof UnixName)) return -E.EINVAL;
    if (name.kind === 'abstract') return this.abstract.get(name.name) ?? -E.ECONNREFUSED;
    if (name.name === '') return -E.ENOENT;
    const r = walk(k, t, AT_FDCWD, name.name, { follow: true });
    if (typeof r === 'number') return r;
    if ((r.mode & host.S_IFMT) !== S_IFSOCK) return -E.ECONNREFUSED;
    const st = statResolved(r);
    if (st < 0) return st;
    return this.files.get(`${host.statDev()}:${host.statIno()}`) ?? -E.ECONNREFUSED;
  }

  listener(k: Kernel, t: Task, s: StreamSocket, name: SockName): StreamSocket | number {
    const l = this.lookup(k, t, name);
    if (typeof l === 'number') return l;
    if (l.type !== s.type) return -E.EPROTOTYPE;
    if (!(l instanceof StreamSocket) || !l.listening) return -E.ECONNREFUSED;
    return l;
  }

  receivers(k: Kernel, t: Task, s: DgramSocket, to: SockName): DgramSocket[] | number {
    const r = this.lookup(k, t, to);
    if (typeof r === 'number') return r;
    if (!(r instanceof DgramSocket)) return -E.EPROTOTYPE;
    // a socket connected to someone else refuses others' datagrams (unix_may_send)
    if (r.peer && r.peer !== s) return -E.EPERM;
    return [r];
  }

  prepareConnect(k: Kernel, t: Task, s: DgramSocket | StreamSocket, to: SockName): number {
    if (s instanceof DgramSocket) {
      const r = this.receivers(k, t, s, to);
      if (typeof r === 'number') return r;
      s.peer = r[0];
      // both ends count as connected now (unix_dgram_connect)
      (r[0] as UnixDgram).established = true;
    }
    return 0;
  }

  accepted(l: StreamSocket, srv: StreamSocket): void {
    srv.local = l.local;
  }
}

export class UnixStream extends StreamSocket {
  protected get unconnectedReadError(): number {
    return this.type === SOCK_STREAM ? -E.EINVAL : -E.ENOTCONN;
  }
  protected readonly unconnectedWriteError = -E.ENOTCONN;
  protected readonly peerShutRdIsPipe = true;

  constructor(ns: UnixNamespace, type: number, flags: number) {
    super(ns, AF_UNIX, type, 0, flags, RMEM_DEFAULT, WMEM_DEFAULT);
    ns.sockets.add(this);
  }
  /** unix_poll also reports POLLWRBAND. */
  override readonly outMask = POLLOUT | POLLWRNORM | POLLWRBAND;

  /** unix_stream_connect looks the peer up before it looks at its own state. */
  override connect(k: Kernel, c: Call, name: SockName | undefined): number {
    if (this.state === 'connected' && name !== undefined) {
      const l = (this.ns as UnixNamespace).listener(k, c.task, this, name);
      if (typeof l === 'number') return l;
    }
    return super.connect(k, c, name);
  }

  protected sibling(): StreamSocket {
    return new UnixStream(this.ns as UnixNamespace, this.type, 0);
  }
  protected autobindForListen(): number {
    return -E.EINVAL;
  }
  protected connectOnListener(): number {
    return -E.EINVAL;
  }
  protected override refuseWhenFull(): boolean {
    return this.nonblocking;
  }
  /** unix_shutdown only records the shutdown, connected or not. */
  protected override shutdownUnconnected(): number {
    return 0;
  }
  protected override hangupOnPeerGone(): boolean {
    return this.peerGone;
  }
}

export class UnixDgram extends DgramSocket {
  protected readonly maxMessage = WMEM_DEFAULT - 32;
  protected readonly noDestination = -E.ENOTCONN;
  protected readonly sendersWait = true;
  protected override readonly maxQueued = 512;

  constructor(ns: UnixNamespace, flags: number) {
    super(ns, AF_UNIX, SOCK_DGRAM, 0, flags, RMEM_DEFAULT, WMEM_DEFAULT);
    ns.sockets.add(this);
  }
  /** Another socket connected to this one, which makes it TCP_ESTABLISHED as well. */
  established = false;
  protected override disconnected(): void {
    this.established = false;
  }
  override readonly outMask = POLLOUT | POLLWRNORM | POLLWRBAND;
  protected override readonly shutdownNeedsPeer = false;

  protected override release(): void {
    super.release();
    this.waitQueue.notify(POLLOUT | POLLWRNORM | POLLHUP);
  }
}
