// execve and execveat, at their SECCOMP_RET_TRACE stop: the program path is resolved in the
// guest's view and, when its host path differs from what the guest passed, rewritten to the host
// path (written below the guest's stack pointer). The host then loads it, with its #! interpreter
// and ELF interpreter from the host root.
import type { Kernel } from '../kernel.js';
import type { Task } from '../task.js';
import { walk } from '../fs/path.js';
import * as E from '../errno.js';
import * as host from '../../host/sys.js';

const TA_CONTINUE = 0, TA_RETURN = 1, TA_SET_ARG = 2;
const SYS_execve = 59, SYS_execveat = 322;
const AT_EMPTY_PATH = 0x1000, AT_SYMLINK_NOFOLLOW = 0x100;

export function execveStop(k: Kernel, t: Task | undefined, tid: number, regs: number[]): void {
  const m = k.machine;
  if (!t) {
    m.traceReply(tid, TA_RETURN, -E.EPERM);
    return;
  }
  const r = resolveProgram(k, t, regs);
  if (typeof r === 'number') {
    k.strace?.event(tid, `${regs[0] === SYS_execve ? 'execve' : 'execveat'}(...) = -1 ${E.ERRNO_NAMES[-r]} (${E.ERRNO_MESSAGES[-r]})`);
    m.traceReply(tid, TA_RETURN, r);
    return;
  }
  const { guest, hostPath, argIndex, original } = r;
  t.pendingExe = guest;
  k.strace?.event(tid, `execve("${guest}", ...) = 0`);
  if (hostPath === original || argIndex < 0) {
    m.traceReply(tid, TA_CONTINUE, 0);
    return;
  }
  // Write the host path just below the red zone of the guest's stack.
  const bytes = Buffer.from(hostPath + '\0', 'latin1');
  const rsp = regs[7];
  const at = Math.floor((rsp - 256 - bytes.length) / 16) * 16;
  if (k.mem.writeFrom(tid, at, bytes, 0, bytes.length) < 0) {
    m.traceReply(tid, TA_RETURN, -E.EFAULT);
    return;
  }
  m.traceReply(tid, TA_SET_ARG, 0, argIndex, at);
}

function resolveProgram(k: Kernel, t: Task, regs: number[]) {
  const at = regs[0] === SYS_execveat;
  const dirfd = at ? regs[1] | 0 : -100;
  const pathArg = at ? 1 : 0;
  const flags = at ? regs[5] | 0 : 0;
  if (at && flags & ~(AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW)) return -E.EINVAL;
  const p = k.mem.path(t.tid, regs[1 + pathArg]);
  if (typeof p === 'number') return p;
  if (p === '' && at && flags & AT_EMPTY_PATH) {
    const f = t.files.get(dirfd);
    if (!f) return -E.EBADF;
    if (!f.native) return -E.EACCES;
    return { guest: f.guestPath, hostPath: p, argIndex: -1, original: p };
  }
  const r = walk(k, t, dirfd, p, { follow: !(flags & AT_SYMLINK_NOFOLLOW) });
  if (typeof r === 'number') return r;
  if (r.isSymlink) return -E.ELOOP;
  if ((r.mode & host.S_IFMT) !== host.S_IFREG) return -E.EACCES;
  return { guest: r.guest, hostPath: r.mount.hostPath(r.guest), argIndex: pathArg, original: p };
}
