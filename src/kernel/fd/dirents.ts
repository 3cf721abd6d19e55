// Directory records as getdents64 (struct linux_dirent64) and the old getdents (struct
// linux_dirent, d_type in its last byte) return them, for the directories the kernel lists.
import type { Kernel } from '../kernel.js';
import type { Task } from '../task.js';
import { EINVAL } from '../errno.js';

export interface Dirent {
  ino: bigint;
  type: number;
  name: string;
}

/**
 * Records for entries[at.index...] into the guest buffer addr of size bytes; at.index moves past
 * them and d_off is the index of the next (what lseek(SEEK_SET) takes back). Returns the bytes
 * written, 0 at the end, -EINVAL when the next record does not fit.
 */
export function putDirents(k: Kernel, t: Task, addr: number, size: number, entries: readonly Dirent[], at: { index: number }, old = false): number {
  const out = Buffer.alloc(Math.min(size, 65536));
  let used = 0;
  while (at.index < entries.length) {
    const e = entries[at.index];
    const len = Buffer.byteLength(e.name, 'latin1');
    const reclen = old ? (18 + len + 2 + 7) & ~7 : (19 + len + 1 + 7) & ~7;
    if (used + reclen > out.length) break;
    out.fill(0, used, used + reclen);
    out.writeBigUInt64LE(e.ino, used); // d_ino
    out.writeBigInt64LE(BigInt(at.index + 1), used + 8); // d_off
    out.writeUInt16LE(reclen, used + 16);
    if (old) {
      out.write(e.name, used + 18, 'latin1');
      out[used + reclen - 1] = e.type;
    } else {
      out[used + 18] = e.type;
      out.write(e.name, used + 19, 'latin1');
    }
    used += reclen;
    at.index++;
  }
  if (used === 0 && at.index < entries.length) return -EINVAL;
  const w = k.mem.writeFrom(t.tid, addr, out, 0, used);
  return w < 0 ? w : used;
}
