// The stat family through one core: stat, lstat, fstat, newfstatat (AT_EMPTY_PATH,
// AT_SYMLINK_NOFOLLOW) and statx. Host files are stat'ed on the host; kernel objects describe
// themselves (OpenFile.stat).
import type { Family } from './types.js';
import type { Kernel } from '../kernel.js';
import type { Call } from '../call.js';
import * as E from '../errno.js';
import * as host from '../../host/sys.js';
import { NR } from '../abi/sysnames.js';
import { walk, AT_FDCWD } from '../fs/path.js';
import { openResolved } from '../fs/ops.js';
import type { OpenFile } from '../fd/openfile.js';
import { writeSyntheticStat, writeSyntheticStatx } from '../abi/stat.js';
import { procFile } from './fs.js';
import { NodeKind } from '../fs/procfs.js';
import { O_PATH } from '../fd/openfile.js';
import { MergedDir } from '../fd/mergeddir.js';
import { isMerged } from '../fs/overlay.js';

const AT_SYMLINK_NOFOLLOW = 0x100, AT_NO_AUTOMOUNT = 0x800, AT_EMPTY_PATH = 0x1000;
const AT_STATX_SYNC_TYPE = 0x6000;
const STAT_SIZE = 144, STATX_SIZE = 256;

/**
 * Where the object to stat is: an open file, or a host descriptor we opened for the call
 * (merged: a directory of an overlay that both layers have).
 */
type Target = { file: OpenFile } | { hostFd: number; merged: boolean };

function target(k: Kernel, c: Call, dirfd: number, pathAddr: number, flags: number): Target | number {
  const t = c.task;
  const p = pathAddr === 0 && flags & AT_EMPTY_PATH ? '' : k.mem.path(c.tid, pathAddr);
  if (typeof p === 'number') return p;
  if (p === '') {
    if (!(flags & AT_EMPTY_PATH)) return -E.ENOENT;
    if (dirfd !== AT_FDCWD) {
      const f = t.files.get(dirfd);
      return f ? { file: f } : -E.EBADF;
    }
  }
  const r = walk(k, t, dirfd, p === '' ? '.' : p, { follow: !(flags & AT_SYMLINK_NOFOLLOW) });
  if (typeof r === 'number') return r;
  if (r.file) return { file: r.file };
  if (r.node) {
    const f = procFile(r, r.node.kind === NodeKind.Link ? O_PATH : 0);
    return typeof f === 'number' ? f : { file: f };
  }
  const merged = r.mount.upper !== undefined && r.isDir && isMerged(r.mount, r.rel);
  const fd = openResolved(r, host.O_PATH | host.O_NOFOLLOW);
  return fd < 0 ? fd : { hostFd: fd, merged };
}

function statCore(k: Kernel, c: Call, dirfd: number, pathAddr: number, buf: number, flags: number): number {
  if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | AT_EMPTY_PATH)) return -E.EINVAL;
  const tg = target(k, c, dirfd, pathAddr, flags);
  if (typeof tg === 'number') return tg;
  return fill(k, c, tg, buf, false, 0, 0);
}

function fill(k: Kernel, c: Call, tg: Target, buf: number, statx: boolean, mask: number, flags: number): number {
  let hostFd: number;
  let owned = false;
  const merged = 'file' in tg ? tg.file instanceof MergedDir && tg.file.merged() : tg.merged;
  if ('file' in tg) {
    if (tg.file.statFd() < 0) {
      if (statx) writeSyntheticStatx(tg.file, host.scratchView, host.STRUCT, mask);
      else writeSyntheticStat(tg.file, host.scratchView, host.STRUCT);
      const w = k.mem.writeFrom(c.tid, buf, host.scratch, host.STRUCT, statx ? STATX_SIZE : STAT_SIZE);
      return w < 0 ? w : 0;
    }
    hostFd = tg.file.statFd();
  } else {
    hostFd = tg.hostFd;
    owned = true;
  }
  const empty = host.putPath(host.PATH1, '');
  const r = statx
    ? host.sys(NR.statx, hostFd, empty, AT_EMPTY_PATH | (flags & AT_STATX_SYNC_TYPE), mask, host.addr(host.STRUCT))
    : host.sys(NR.newfstatat, hostFd, empty, host.addr(host.STRUCT), AT_EMPTY_PATH);
  if (owned) host.close(hostFd);
  if (r < 0) return r;
  // overlayfs counts one link for a merged directory rather than the subdirectories of both layers (ovl_getattr)
  if (merged) {
    if (statx) host.scratchView.setUint32(host.STRUCT + 16, 1, true);
    else host.scratchView.setBigUint64(host.STRUCT + 16, 1n, true);
  }
  const w = k.mem.writeFrom(c.tid, buf, host.scratch, host.STRUCT, statx ? STATX_SIZE : STAT_SIZE);
  return w < 0 ? w : 0;
}

function fstat(k: Kernel, c: Call): number {
  const f = c.task.files.get(c.fd(0));
  if (!f) return -E.EBADF;
  return fill(k, c, { file: f }, c.ptr(1), false, 0, 0);
}

function statx(k: Kernel, c: Call): number {
  const flags = c.int(2);
  const mask = c.u32(3);
  if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | AT_EMPTY_PATH | AT_STATX_SYNC_TYPE)) return -E.EINVAL;
  if ((flags & AT_STATX_SYNC_TYPE) === AT_STATX_SYNC_TYPE) return -E.EINVAL;
  if (mask & 0x80000000) return -E.EINVAL; // STATX__RESERVED
  const tg = target(k, c, c.fd(0), c.ptr(1), flags);
  if (typeof tg === 'number') return tg;
  return fill(k, c, tg, c.ptr(4), true, mask, flags);
}

export const statFamily: Family = {
  stat: (k, c) => statCore(k, c, AT_FDCWD, c.ptr(0), c.ptr(1), 0),
  lstat: (k, c) => statCore(k, c, AT_FDCWD, c.ptr(0), c.ptr(1), AT_SYMLINK_NOFOLLOW),
  newfstatat: (k, c) => statCore(k, c, c.fd(0), c.ptr(1), c.ptr(2), c.int(3)),
  fstat,
  statx,
};
