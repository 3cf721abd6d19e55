// signalfd and signalfd4 (SFD_NONBLOCK, SFD_CLOEXEC): a new signalfd, or a new mask for one.
import type { Family } from './types.js';
import type { Kernel } from '../kernel.js';
import type { Call } from '../call.js';
import { EBADF, EINVAL } from '../errno.js';
import { SignalFd } from '../fd/signalfd.js';
import { O_CLOEXEC, O_NONBLOCK } from '../fd/openfile.js';
import { installLowest } from '../fd/install.js';
import * as host from '../../host/sys.js';
import { NR } from '../abi/sysnames.js';

const SIGKILL_STOP = (1n << 8n) | (1n << 18n); // SIGKILL and SIGSTOP cannot be read

function signalfd4(k: Kernel, c: Call, flags: number): number {
  if (flags & ~(O_NONBLOCK | O_CLOEXEC)) return -EINVAL;
  if (c.ptr(2) !== 8) return -EINVAL;
  const r = k.mem.read(c.tid, c.ptr(1), 8);
  if (r < 0) return r;
  const mask = k.mem.view.getBigUint64(0, true) & ~SIGKILL_STOP;
  host.scratchView.setBigUint64(host.STRUCT, mask, true);
  const fd = c.fd(0);
  if (fd !== -1) {
    const f = c.task.files.get(fd);
    if (!f) return -EBADF;
    if (!(f instanceof SignalFd)) return -EINVAL;
    // the guest's descriptor is the same open file: the new mask applies to its reads at once
    const res = host.sys(NR.signalfd4, f.hostFd, host.addr(host.STRUCT), 8, 0);
    if (res < 0) return res;
    f.mask = mask;
    return fd;
  }
  const hostFd = host.sys(NR.signalfd4, -1, host.addr(host.STRUCT), 8, O_CLOEXEC | (flags & O_NONBLOCK));
  if (hostFd < 0) return hostFd;
  const f = new SignalFd(hostFd, flags & O_NONBLOCK, mask, c.task.group);
  k.signalFds.add(f);
  f.onRelease = (x) => k.signalFds.delete(x);
  return installLowest(k, c, f, 0, (flags & O_CLOEXEC) !== 0);
}

export const signalfdFamily: Family = {
  signalfd: (k, c) => signalfd4(k, c, 0),
  signalfd4: (k, c) => signalfd4(k, c, c.int(3)),
};
