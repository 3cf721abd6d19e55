// Open files of procfs and sysfs: a regular file whose text is generated at open (reads, preads
// and seeks work on that snapshot, as most of Linux's seq_files behave for a reader; writes go
// to the node's handler), and a directory whose entries getdents64 lists.
import { OpenFile, O_ACCMODE, O_RDONLY, type IoVec } from './openfile.js';
import type { Kernel } from '../kernel.js';
import type { Task } from '../task.js';
import { EINVAL, EISDIR, ENOTDIR } from '../errno.js';
import { placeholder } from './hostfile.js';
import type { Mount } from '../fs/mount.js';
import { putDirents } from './dirents.js';

const SEEK_SET = 0, SEEK_CUR = 1, SEEK_END = 2;
export const DT_DIR = 4, DT_REG = 8, DT_LNK = 10;

/** How fstat describes a generated file: st_dev, st_mode and st_size. */
export interface GeneratedStat {
  dev: number;
  mode: number;
  size: number;
}

export class ProcFile extends OpenFile {
  readonly native = false;
  readonly hostFd = placeholder();
  pos = 0;
  constructor(
    private readonly data: Buffer,
    flags: number,
    guestPath: string,
    readonly stat: GeneratedStat,
    private readonly writer?: (t: Task, data: Buffer) => number,
  ) {
    super(writer ? flags : (flags & ~O_ACCMODE) | O_RDONLY);
    this.guestPath = guestPath;
  }

  private copyOut(k: Kernel, t: Task, iov: IoVec, at: number): number {
    const n = Math.max(0, Math.min(iov.total, this.data.length - at));
    if (n === 0) return 0;
    return k.mem.scatter(t.tid, iov, this.data, at, n);
  }

  override read(k: Kernel, t: Task, _slot: number, iov: IoVec): number {
    const n = this.copyOut(k, t, iov, this.pos);
    if (n > 0) this.pos += n;
    return n;
  }

  override pread(k: Kernel, t: Task, _slot: number, iov: IoVec, offset: number): number {
    return this.copyOut(k, t, iov, offset);
  }

  override write(k: Kernel, t: Task, _slot: number, iov: IoVec): number {
    if (!this.writer) return -EINVAL;
    const data = k.mem.gather(t.tid, iov, Math.min(iov.total, 4096));
    if (typeof data === 'number') return data;
    return this.writer(t, data);
  }

  override seek(offset: number, whence: number): number {
    const base = whence === SEEK_SET ? 0 : whence === SEEK_CUR ? this.pos : whence === SEEK_END ? this.data.length : NaN;
    if (Number.isNaN(base) || base + offset < 0) return -EINVAL;
    this.pos = base + offset;
    return this.pos;
  }

  getdents(): number {
    return -ENOTDIR;
  }
}

export class ProcDir extends OpenFile {
  readonly native = false;
  readonly hostFd = placeholder();
  index = 0;
  constructor(
    private readonly entries: () => string[],
    flags: number,
    guestPath: string,
    readonly stat: GeneratedStat,
    /** d_type of an entry. */
    private readonly typeOf: (name: string) => number = () => DT_REG,
  ) {
    super((flags & ~3) | O_RDONLY);
    this.guestPath = guestPath;
    this.isDirectory = true;
  }

  override read(): number {
    return -EISDIR;
  }

  override seek(offset: number, whence: number): number {
    if (whence !== SEEK_SET || offset < 0) return -EINVAL;
    this.index = offset;
    return offset;
  }

  /** linux_dirent64 (old: linux_dirent) records into the guest buffer: bytes written, 0 at the end, -EINVAL if none fits. */
  getdents(k: Kernel, t: Task, addr: number, size: number, old = false): number {
    const names = ['.', '..', ...this.entries()];
    const entries = names.map((name, i) => ({ ino: BigInt(1000 + i), type: i < 2 ? DT_DIR : this.typeOf(name), name }));
    return putDirents(k, t, addr, size, entries, this, old);
  }
}

/**
 * The top directory of a filtered host view (/dev): getdents lists only the names the view
 * shows and the links the kernel adds there, while fstat describes the host directory itself.
 */
export class ViewDir extends ProcDir {
  constructor(
    private readonly view: Mount,
    flags: number,
    guestPath: string,
  ) {
    super(() => view.topNames(), flags, guestPath, { dev: 0, mode: 0o040755, size: 0 }, (name) => view.typeAt(name) >> 12 /* S_IFMT to DT_* */);
  }
  override statFd(): number {
    return this.view.rootFd;
  }
}
