// A directory of an overlay mount, open for reading: the host descriptor (the upper layer's
// directory, or the lower's when the upper has none) serves fstat, fchdir, fsync and locks
// natively, while getdents lists the merged directory (fs/overlay.ts). As overlayfs does, the
// listing is read at the first getdents and again after a seek back to the start.
import { HostFile } from './hostfile.js';
import type { Kernel } from '../kernel.js';
import type { Task } from '../task.js';
import { EINVAL } from '../errno.js';
import { putDirents, type Dirent } from './dirents.js';
import { currentPath } from '../fs/where.js';
import { isMerged, mergedList } from '../fs/overlay.js';
import * as host from '../../host/sys.js';

const SEEK_SET = 0, SEEK_CUR = 1, DT_DIR = 4;

export class MergedDir extends HostFile {
  index = 0;
  private entries: Dirent[] = [];

  getdents(k: Kernel, t: Task, addr: number, size: number, old = false): number {
    if (this.index === 0) {
      const listed = this.list();
      if (typeof listed === 'number') return listed;
      this.entries = listed;
    }
    return putDirents(k, t, addr, size, this.entries, this, old);
  }

  private list(): Dirent[] | number {
    const m = this.mount!;
    const where = currentPath(this);
    if (typeof where === 'number') return where;
    const merged = mergedList(m, m.rel(where));
    if (typeof merged === 'number') return merged;
    const self = host.fstat(this.hostFd) === 0 ? BigInt(host.statIno()) : 0n;
    const parent = host.fstatat(this.hostFd, '..', host.AT_SYMLINK_NOFOLLOW) === 0 ? BigInt(host.statIno()) : self;
    return [{ ino: self, type: DT_DIR, name: '.' }, { ino: parent, type: DT_DIR, name: '..' }, ...merged];
  }

  /** Both layers have the directory. */
  merged(): boolean {
    const where = currentPath(this);
    return typeof where === 'string' && isMerged(this.mount!, this.mount!.rel(where));
  }

  override seek(offset: number, whence: number): number {
    if (whence === SEEK_CUR && offset === 0) return this.index;
    if (whence !== SEEK_SET || offset < 0) return -EINVAL;
    this.index = offset;
    return offset;
  }
}
