// Pseudo-terminals (pty(7)): /dev/ptmx opens a real host pty master, so the host's line
// discipline does the terminal work; the kernel only keeps the guest to the ptys it made. A
// /dev/pts/N opens only when the sandbox created pty N (the host's other terminals, the user's
// own among them, stay out of reach), and TIOCGPTPEER's new descriptor is made by the kernel
// so the guest's table stays ours.
import type { Kernel } from '../kernel.js';
import type { Call } from '../call.js';
import type { Resolved } from '../fs/path.js';
import { HostFile } from './hostfile.js';
import { installLowest } from './install.js';
import { O_ACCMODE, O_CLOEXEC, O_LARGEFILE, O_NOCTTY, O_NONBLOCK } from './openfile.js';
import * as host from '../../host/sys.js';
import { EINVAL, EIO, ENOENT } from '../errno.js';

const NR_ioctl = 16;
const TIOCGPTN = 0x80045430;
export const TIOCGPTPEER = 0x5441;

/** The pty numbers the sandbox's masters hold. */
export class PtyTable {
  readonly open = new Set<number>();
}

/** A pty master: the host's, remembered while open. */
export class PtyMaster extends HostFile {
  constructor(
    private readonly k: Kernel,
    hostFd: number,
    flags: number,
    r: Resolved,
    readonly index: number,
  ) {
    super(hostFd, flags, r.mount, r.guest);
    k.ptys.open.add(index);
  }
  protected override release(): void {
    this.k.ptys.open.delete(this.index);
    super.release();
  }
}

/** Whether r, a path under /dev/pts, may be opened: ptmx, or a pty of the sandbox's own. */
export function ptsAllowed(k: Kernel, r: Resolved): number {
  const m = /^\/dev\/pts\/(.+)$/.exec(r.guest);
  if (!m) return 0;
  if (m[1] === 'ptmx') return 0;
  return /^\d+$/.test(m[1]) && k.ptys.open.has(Number(m[1])) ? 0 : -ENOENT; // as in a private devpts
}

export function isPtmx(r: Resolved): boolean {
  return r.guest === '/dev/ptmx' || r.guest === '/dev/pts/ptmx';
}

/** Wrap a freshly opened host ptmx descriptor. */
export function ptyMaster(k: Kernel, hostFd: number, flags: number, r: Resolved): HostFile | number {
  host.scratchView.setUint32(host.STRUCT, 0, true);
  const res = host.sys(NR_ioctl, hostFd, TIOCGPTN, host.addr(host.STRUCT));
  if (res < 0) {
    host.close(hostFd);
    return -EIO;
  }
  return new PtyMaster(k, hostFd, flags, r, host.scratchView.getUint32(host.STRUCT, true));
}

/** TIOCGPTPEER: the slave of a master, opened by the kernel and installed like an open. */
export function ptyPeer(k: Kernel, c: Call, f: PtyMaster, flags: number): number {
  if (flags & ~(O_ACCMODE | O_NOCTTY | O_NONBLOCK | O_CLOEXEC)) return -EINVAL;
  const fd = host.sys(NR_ioctl, f.hostFd, TIOCGPTPEER, (flags & ~O_CLOEXEC) | O_CLOEXEC);
  if (fd < 0) return fd;
  const peer = new HostFile(fd, (flags & (O_ACCMODE | O_NONBLOCK)) | O_LARGEFILE, f.mount, `/dev/pts/${f.index}`);
  return installLowest(k, c, peer, 0, (flags & O_CLOEXEC) !== 0);
}

