// read/write and their vector and positional variants, all through one core per direction.
import type { Family } from './types.js';
import type { Kernel } from '../kernel.js';
import type { Call } from '../call.js';
import { CONTINUE, BLOCKED } from '../call.js';
import { EAGAIN, EBADF, EINVAL, EISDIR, ESPIPE, EOPNOTSUPP } from '../errno.js';
import { IoVec, type OpenFile } from '../fd/openfile.js';
import { Socket } from '../net/socket.js';
import { socketTransfer } from './sendrecv.js';
import { PipeEnd } from '../fd/pipe.js';
import { MergedDir } from '../fd/mergeddir.js';
import { writeCore, copyIov } from './progress.js';

/** The shared core: validate, run natively for host files, else emulate (maybe blocking). */
function transfer(k: Kernel, c: Call, f: OpenFile | undefined, write: boolean, positional: boolean, iov: IoVec | number): number {
  if (!f) return -EBADF;
  if (write ? !f.writable : !f.readable) return -EBADF;
  if (f.native) return CONTINUE;
  if (typeof iov === 'number') return iov;
  if (f.isDirectory) return -EISDIR;
  if (positional) return write ? -ESPIPE : f.pread(k, c.task, c.slot, iov, c.i64(3));
  if (f instanceof Socket) return socketTransfer(k, c, f, write, iov);
  if (write && f instanceof PipeEnd) return pipeWrite(k, c, f, iov);
  const t = c.task;
  const slot = c.slot;
  const r = write ? f.write(k, t, slot, iov) : f.read(k, t, slot, iov);
  if (r !== -EAGAIN || f.nonblocking) return r;
  const saved = copyIov(iov);
  const queue = f.queueFor(write);
  k.block(c, [queue], () => (f.nonblocking ? -EAGAIN : write ? f.write(k, t, slot, saved) : f.read(k, t, slot, saved)));
  return BLOCKED;
}

function pipeWrite(k: Kernel, c: Call, f: PipeEnd, iov: IoVec): number {
  const t = c.task;
  return writeCore(k, c, {
    put: (v) => f.put(k, t, v),
    takeBack: () => f.takeBack(),
    stream: true,
    nonblocking: f.nonblocking,
    queues: () => [f.queueFor(true)],
    timeoutMs: 0,
    sigpipe: true,
  }, iov);
}

function single(k: Kernel, c: Call, write: boolean, positional: boolean): number {
  const f = c.task.files.get(c.fd(0));
  return transfer(k, c, f, write, positional, k.mem.single(c.ptr(1), c.ptr(2)));
}

function vector(k: Kernel, c: Call, write: boolean, positional: boolean, flagsArg: number): number {
  const f = c.task.files.get(c.fd(0));
  if (!f) return -EBADF;
  if (f.native) return transfer(k, c, f, write, positional, 0);
  if (flagsArg >= 0 && c.int(flagsArg) & ~0x1f) return -EOPNOTSUPP;
  const r = k.mem.iovec(c.tid, c.ptr(1), c.int(2));
  return transfer(k, c, f, write, positional, r < 0 ? r : k.mem.iov);
}

function lseek(k: Kernel, c: Call): number {
  const f = c.task.files.get(c.fd(0));
  if (!f) return -EBADF;
  if (f.native && !(f instanceof MergedDir)) return CONTINUE;
  return f.seek(c.i64(1), c.int(2));
}

function sendfile(k: Kernel, c: Call): number {
  const out = c.task.files.get(c.fd(0));
  const inp = c.task.files.get(c.fd(1));
  if (!out || !inp) return -EBADF;
  if (out.native && inp.native) return CONTINUE;
  return -EINVAL;
}

function copyFileRange(k: Kernel, c: Call): number {
  const inp = c.task.files.get(c.fd(0));
  const out = c.task.files.get(c.fd(2));
  if (!out || !inp) return -EBADF;
  if (out.native && inp.native) return CONTINUE;
  return -EINVAL;
}

export const rwFamily: Family = {
  read: (k, c) => single(k, c, false, false),
  write: (k, c) => single(k, c, true, false),
  pread64: (k, c) => single(k, c, false, true),
  pwrite64: (k, c) => single(k, c, true, true),
  readv: (k, c) => vector(k, c, false, false, -1),
  writev: (k, c) => vector(k, c, true, false, -1),
  preadv: (k, c) => vector(k, c, false, true, -1),
  pwritev: (k, c) => vector(k, c, true, true, -1),
  preadv2: (k, c) => vector(k, c, false, c.i64(3) !== -1, 5),
  pwritev2: (k, c) => vector(k, c, true, c.i64(3) !== -1, 5),
  lseek,
  sendfile,
  copy_file_range: copyFileRange,
  splice: copyFileRange,
};
