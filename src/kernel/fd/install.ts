// Giving the guest a descriptor: the host descriptor goes in first (SECCOMP_IOCTL_NOTIF_ADDFD,
// answering the syscall with the number), then our table records it, so a guest interrupted
// before the answer is left with nothing (DESIGN.md section 2).
import type { Kernel } from '../kernel.js';
import type { Call } from '../call.js';
import type { OpenFile } from './openfile.js';
import { ANSWERED } from '../call.js';
import { ENOENT, ESRCH } from '../errno.js';

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
