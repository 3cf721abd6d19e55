// FIFOs (fifo(7)): a FIFO file on a host mount is a pipe of the kernel, found by the file's
// identity, so guest processes meet in it without the host ever blocking us in open. A reader's
// open waits for a writer to have opened and a writer's for a reader (O_NONBLOCK: the reader
// goes on, the writer fails with ENXIO); O_RDWR never waits.
import type { Kernel } from '../kernel.js';
import type { Call } from '../call.js';
import { BLOCKED } from '../call.js';
import type { Resolved } from '../fs/path.js';
import { statResolved } from '../fs/ops.js';
import * as host from '../../host/sys.js';
import { EAGAIN, ENXIO } from '../errno.js';
import { Pipe, PipeEnd } from './pipe.js';
import { O_ACCMODE, O_APPEND, O_CLOEXEC, O_NONBLOCK, O_RDONLY, O_RDWR, O_WRONLY } from './openfile.js';
import { installLowest, dropIfUnused } from './install.js';

export class FifoTable {
  private readonly pipes = new Map<string, Pipe>();

  pipeFor(key: string): Pipe {
    let p = this.pipes.get(key);
    if (!p) {
      const np = new Pipe();
      np.unnamed = false;
      np.onLastClose = () => {
        if (this.pipes.get(key) === np) this.pipes.delete(key);
      };
      this.pipes.set(key, np);
      p = np;
    }
    return p;
  }
}

export function openFifo(k: Kernel, c: Call, r: Resolved, flags: number): number {
  const st = statResolved(r);
  if (st < 0) return st;
  const pipe = k.fifos.pipeFor(`${host.statDev()}:${host.statIno()}`);
  const acc = flags & O_ACCMODE;
  const nonblock = (flags & O_NONBLOCK) !== 0;
  if (acc === O_WRONLY && nonblock && pipe.readers === 0) {
    if (pipe.writers === 0) pipe.onLastClose?.(); // nobody has it open: the table forgets it
    return -ENXIO;
  }
  const seen = pipe.writerOpens;
  const end = new PipeEnd(pipe, acc === O_RDWR ? O_RDWR : acc === O_WRONLY ? O_WRONLY : O_RDONLY, flags & (O_NONBLOCK | O_APPEND), r.guest);
  const cloexec = (flags & O_CLOEXEC) !== 0;
  const ready = (): boolean => acc === O_RDWR || (acc === O_WRONLY ? pipe.readers > 0 : nonblock || pipe.writers > 0 || pipe.writerOpens !== seen);
  if (ready()) return installLowest(k, c, end, 0, cloexec);
  const call = c.clone();
  const w = k.block(call, [pipe.opened], () => (ready() ? installLowest(k, call, end, 0, cloexec) : -EAGAIN));
  w.onDetach = () => dropIfUnused(end);
  return BLOCKED;
}
