// pipe and pipe2 (O_CLOEXEC, O_NONBLOCK, O_DIRECT accepted).
import type { Family } from './types.js';
import type { Kernel } from '../kernel.js';
import type { Call } from '../call.js';
import { EINVAL } from '../errno.js';
import { Pipe, PipeEnd } from '../fd/pipe.js';
import { O_CLOEXEC, O_NONBLOCK, O_DIRECT, O_RDONLY, O_WRONLY } from '../fd/openfile.js';
import { installPair } from '../fd/install.js';

function pipe2(k: Kernel, c: Call, flags: number): number {
  if (flags & ~(O_CLOEXEC | O_NONBLOCK | O_DIRECT)) return -EINVAL;
  const p = new Pipe();
  const st = flags & (O_NONBLOCK | O_DIRECT);
  return installPair(k, c, new PipeEnd(p, O_RDONLY, st), new PipeEnd(p, O_WRONLY, st), c.ptr(0), (flags & O_CLOEXEC) !== 0);
}

export const pipeFamily: Family = {
  pipe: (k, c) => pipe2(k, c, 0),
  pipe2: (k, c) => pipe2(k, c, c.int(1)),
};
