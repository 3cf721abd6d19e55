// Giving the guest a descriptor: the host descriptor goes in first (SECCOMP_IOCTL_NOTIF_ADDFD,
// answering the syscall with the number), then our table records it, so a guest interrupted
// before the answer is left with nothing (DESIGN.md section 2).
import type { Kernel } from '../kernel.js';
import type { Call } from '../call.js';
import type { OpenFile } from './openfile.js';
import { ANSWERED } from '../call.js';
import { EMFILE, ENOENT, ESRCH } from '../errno.js';

/** ADDFD failed because the guest thread stopped waiting (ENOENT), or a signal cut it off while
 * it installed the descriptor (ESRCH): the call is dead and will be restarted, not failed. */
export function interrupted(r: number): boolean {
  return r === -ENOENT || r === -ESRCH;
}

/** Install file at fd (replacing what is there) and answer the syscall with fd. */
export function installAt(k: Kernel, c: Call, file: OpenFile, fd: number, cloexec: boolean): number {
  const r = k.machine.addFd(c.slot, file.hostFd, fd, cloexec, true);
  if (r < 0) {
    dropIfUnused(file);
    return interrupted(r) ? ANSWERED : r;
  }
  c.task.files.install(fd, file, cloexec);
  k.lastAnswer = fd;
  return ANSWERED;
}

/** Install file at the lowest free number >= min and answer with it. */
export function installLowest(k: Kernel, c: Call, file: OpenFile, min: number, cloexec: boolean): number {
  const fd = c.task.files.lowestFree(min, c.task.group.nofile[0]);
  if (fd < 0) {
    dropIfUnused(file);
    return fd;
  }
  return installAt(k, c, file, fd, cloexec);
}

/** Install without answering (several descriptors for one call, as pipe2 makes). */
export function installQuiet(k: Kernel, c: Call, file: OpenFile, fd: number, cloexec: boolean): number {
  const r = k.machine.addFd(c.slot, file.hostFd, fd, cloexec, false);
  if (r < 0) return r;
  c.task.files.install(fd, file, cloexec);
  return fd;
}

/** A file that never got a descriptor releases its resources. */
export function dropIfUnused(file: OpenFile): void {
  if (file.refs === 0) {
    file.incRef();
    file.decRef();
  }
}

/**
 * Give the guest two new descriptors at the two lowest free numbers (pipe2, socketpair): the
 * numbers go to int[2] at addr first, so a bad pointer creates nothing; then both are
 * installed and the call answered with 0.
 */
export function installPair(k: Kernel, c: Call, a: OpenFile, b: OpenFile, addr: number, cloexec: boolean): number {
  const t = c.task;
  const limit = t.group.nofile[0];
  const fa = t.files.lowestFree(0, limit);
  const fb = fa < 0 ? fa : t.files.lowestFree(fa + 1, limit);
  const w = fb < 0 ? -EMFILE : k.mem.putU32s(c.tid, addr, fa, fb);
  if (w < 0) {
    dropIfUnused(a);
    dropIfUnused(b);
    return w;
  }
  let r = installQuiet(k, c, a, fa, cloexec);
  if (r >= 0) r = installQuiet(k, c, b, fb, cloexec);
  if (r < 0) {
    if (t.files.get(fa) === a) t.files.close(fa);
    dropIfUnused(a);
    dropIfUnused(b);
    return interrupted(r) ? ANSWERED : r;
  }
  if (!k.deliver(c.slot, 0)) {
    t.files.close(fa);
    t.files.close(fb);
  }
  return ANSWERED;
}
