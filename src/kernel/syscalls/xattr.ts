// Extended attributes: get/list/set/remove, by path (following or not) and by descriptor.
// Host calls go through /proc/self/fd/<parent>/<name> so no symlink is followed on the host.
import type { Family } from './types.js';
import type { Kernel } from '../kernel.js';
import type { Call } from '../call.js';
import { CONTINUE } from '../call.js';
import * as E from '../errno.js';
import * as host from '../../host/sys.js';
import { NR } from '../abi/sysnames.js';
import { walk, AT_FDCWD, type Resolved } from '../fs/path.js';
import { inParent, changeable, entryOf } from '../fs/ops.js';
import { HostFile } from '../fd/hostfile.js';

const XATTR_SIZE_MAX = 65536;
const XATTR_NAME_MAX = 255;

type Op = 'get' | 'list' | 'set' | 'remove';

function onPath(r: Resolved, fn: (hostPath: number) => number): number {
  if (r.rel === '.') return fn(host.putPath(host.PATH1, `/proc/self/fd/${r.layer.rootFd}`));
  return inParent(r, (fd, name) => fn(host.putPath(host.PATH1, `/proc/self/fd/${fd}/${name}`)));
}

/** The attribute name (argument 1). */
function attrName(k: Kernel, c: Call): string | number {
  const n = k.mem.string(c.tid, c.ptr(1), XATTR_NAME_MAX + 1);
  if (typeof n === 'number') return n === -E.ENAMETOOLONG ? -E.ERANGE : n;
  return n.length === 0 ? -E.ERANGE : n;
}

/** op on r (no symlink followed by the host), with the arguments after the first as the syscall has them. */
function xattrAt(k: Kernel, c: Call, op: Op, found: Resolved, attr: string): number {
  let r = found;
  const write = op === 'set' || op === 'remove';
  if (write && r.mount.readOnly) return -E.EROFS;
  if (r.mount.generated) return op === 'get' ? -E.ENODATA : op === 'list' ? 0 : -E.EOPNOTSUPP; // procfs and sysfs keep none
  if (write) {
    const up = changeable(r, 'write');
    if (typeof up === 'number') return up;
    r = up;
  }
  const name = host.putPath(host.PATH2, attr);
  const lnr = { get: NR.lgetxattr, list: NR.llistxattr, set: NR.lsetxattr, remove: NR.lremovexattr }[op];
  if (op === 'remove') return onPath(r, (hp) => host.sys(lnr, hp, name));
  if (op === 'set') {
    const size = c.ptr(3);
    if (size > XATTR_SIZE_MAX) return -E.E2BIG;
    const rr = k.mem.readInto(c.tid, c.ptr(2), host.scratch, host.DATA, size);
    if (rr < 0) return rr;
    return onPath(r, (hp) => host.sys(lnr, hp, name, host.addr(host.DATA), size, c.int(4)));
  }
  const bufArg = op === 'get' ? 2 : 1;
  const size = Math.min(c.ptr(bufArg + 1), XATTR_SIZE_MAX);
  const n = onPath(r, (hp) => (op === 'get' ? host.sys(lnr, hp, name, host.addr(host.DATA), size) : host.sys(lnr, hp, host.addr(host.DATA), size)));
  if (n <= 0 || size === 0) return n;
  const w = k.mem.writeFrom(c.tid, c.ptr(bufArg), host.scratch, host.DATA, n);
  return w < 0 ? w : n;
}

function xattrPath(op: Op, follow: boolean) {
  return (k: Kernel, c: Call): number => {
    const p = k.mem.path(c.tid, c.ptr(0));
    if (typeof p === 'number') return p;
    const attr = op === 'list' ? '' : attrName(k, c);
    if (typeof attr === 'number') return attr;
    const r = walk(k, c.task, AT_FDCWD, p, { follow });
    if (typeof r === 'number') return r;
    return xattrAt(k, c, op, r, attr);
  };
}

function xattrFd(op: Op) {
  return (k: Kernel, c: Call): number => {
    const f = c.task.files.get(c.fd(0));
    if (!f) return -E.EBADF;
    if (!f.native) return -E.EOPNOTSUPP;
    const write = op === 'set' || op === 'remove';
    if (write && f.mount?.readOnly !== false) return f.mount ? -E.EROFS : -E.EPERM;
    // a file of an overlay's lower layer is copied up and changed by path
    if (!write || !(f instanceof HostFile) || !f.onLower) return CONTINUE;
    const attr = attrName(k, c);
    if (typeof attr === 'number') return attr;
    const r = entryOf(k, f);
    return typeof r === 'number' ? r : xattrAt(k, c, op, r, attr);
  };
}

export const xattrFamily: Family = {
  getxattr: xattrPath('get', true),
  lgetxattr: xattrPath('get', false),
  listxattr: xattrPath('list', true),
  llistxattr: xattrPath('list', false),
  setxattr: xattrPath('set', true),
  lsetxattr: xattrPath('set', false),
  removexattr: xattrPath('remove', true),
  lremovexattr: xattrPath('remove', false),
  fgetxattr: xattrFd('get'),
  flistxattr: xattrFd('list'),
  fsetxattr: xattrFd('set'),
  fremovexattr: xattrFd('remove'),
};
