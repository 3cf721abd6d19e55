// /proc/PID/fdinfo/N: pos, flags (octal, with O_CLOEXEC from the descriptor), mnt_id and ino, then
// the lines Linux adds for eventfd and epoll. Host-backed files take pos and ino from the host's
// fdinfo of our own descriptor for them, which shares their open file description.
import type { Kernel } from '../kernel.js';
import type { FdTable } from '../fd/fdtable.js';
import { O_CLOEXEC, type OpenFile } from '../fd/openfile.js';
import { EventFd } from '../fd/eventfd.js';
import { EpollFile, EPOLLERR, EPOLLHUP } from '../fd/epoll.js';
import { ProcDir, ProcFile } from '../fd/procfile.js';
import { describe } from '../abi/stat.js';
import { hostText } from './procfs.js';
import * as host from '../../host/sys.js';

/** Where Linux's internal mounts (pipefs, sockfs, anon_inodefs) would be: in no mountinfo. */
const INTERNAL_MNT_ID = 15;

interface Where {
  pos: number;
  flags: number;
  ino: number;
  /** s_dev of the inode, as the kernel encodes it (major << 20 | minor). */
  dev: number;
}

function where(k: Kernel, f: OpenFile): Where {
  if (f.native) {
    const text = hostText(`/proc/self/fdinfo/${f.hostFd}`).toString('latin1');
    const field = (name: string, radix: number) => parseInt(new RegExp(`^${name}:\\s*(\\S+)`, 'm').exec(text)?.[1] ?? '0', radix);
    let dev = 0;
    if (host.fstat(f.hostFd) === 0) {
      const d = BigInt(host.statDev());
      dev = Number((((d >> 8n) & 0xfffn) << 20n) | (d & 0xffn) | ((d >> 12n) & ~0xffn));
    }
    return { pos: field('pos', 10), flags: field('flags', 8) & ~O_CLOEXEC, ino: field('ino', 10), dev };
  }
  const d = describe(f);
  const pos = f instanceof ProcFile ? f.pos : f instanceof ProcDir ? f.index : 0;
  return { pos, flags: f.flags, ino: d.ino, dev: d.dev };
}

function mountId(k: Kernel, f: OpenFile): number {
  if (f.mount) return f.mount.id;
  if (f instanceof ProcFile || f instanceof ProcDir) return k.mounts.lookup(f.guestPath).id;
  return INTERNAL_MNT_ID;
}

function hex(n: bigint | number, width: number): string {
  return n.toString(16).padStart(width);
}

export function fdinfo(k: Kernel, files: FdTable, fd: number, f: OpenFile): string {
  const w = where(k, f);
  const flags = (w.flags & ~O_CLOEXEC) | (files.isCloexec(fd) ? O_CLOEXEC : 0);
  let s = `pos:\t${w.pos}\nflags:\t0${flags.toString(8)}\nmnt_id:\t${mountId(k, f)}\nino:\t${w.ino}\n`;
  if (f instanceof EventFd) {
    s += `eventfd-count: ${hex(f.count, 16)}\neventfd-id: ${f.ino}\neventfd-semaphore: ${f.semaphore ? 1 : 0}\n`;
  } else if (f instanceof EpollFile) {
    const entries = [...f.interest.values()].flat().sort((a, b) => a.fd - b.fd);
    for (const e of entries) {
      const t = where(k, e.file);
      const events = (e.events | EPOLLERR | EPOLLHUP) >>> 0;
      s += `tfd: ${String(e.fd).padStart(8)} events: ${hex(events, 8)} data: ${hex(e.data.readBigUInt64LE(0), 16)}  pos:${t.pos} ino:${t.ino.toString(16)} sdev:${t.dev.toString(16)}\n`;
    }
  }
  return s;
}
