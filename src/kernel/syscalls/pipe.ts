// pipe and pipe2 (O_CLOEXEC, O_NONBLOCK, O_DIRECT accepted).
import type { Family } from './types.js';
import type { Kernel } from '../kernel.js';
import type { Call } from '../call.js';
import { ANSWERED } from '../call.js';
import { EINVAL, EMFILE } from '../errno.js';
import { Pipe, PipeEnd } from '../fd/pipe.js';
import { O_CLOEXEC, O_NONBLOCK, O_DIRECT, O_RDONLY, O_WRONLY } from '../fd/openfile.js';
import { installQuiet, dropIfUnused, interrupted } from '../fd/install.js';

function pipe2(k: Kernel, c: Call, flags: number): number {
  if (flags & ~(O_CLOEXEC | O_NONBLOCK | O_DIRECT)) return -EINVAL;
  const t = c.task;
  const limit = t.group.nofile[0];
  const rfd = t.files.lowestFree(0, limit);
  if (rfd < 0) return -EMFILE;
  let wfd = t.files.lowestFree(rfd + 1, limit);
  if (wfd < 0) return -EMFILE;
  // the numbers go to the guest first: a bad pointer creates nothing
  const w = k.mem.putU32s(c.tid, c.ptr(0), rfd, wfd);
  if (w < 0) return w;
  const p = new Pipe();
  const cloexec = (flags & O_CLOEXEC) !== 0;
  const st = flags & (O_NONBLOCK | O_DIRECT);
  const r = new PipeEnd(p, O_RDONLY, st);
  const wr = new PipeEnd(p, O_WRONLY, st);
  let res = installQuiet(k, c, r, rfd, cloexec);
  if (res >= 0) res = installQuiet(k, c, wr, wfd, cloexec);
  if (res < 0) {
    if (t.files.get(rfd) === r) t.files.close(rfd);
    dropIfUnused(r);
    dropIfUnused(wr);
    return interrupted(res) ? ANSWERED : res;
  }
  if (!k.deliver(c.slot, 0)) {
    t.files.close(rfd);
    t.files.close(wfd);
  }
  return ANSWERED;
}

export const pipeFamily: Family = {
  pipe: (k, c) => pipe2(k, c, 0),
  pipe2: (k, c) => pipe2(k, c, c.int(1)),
};
