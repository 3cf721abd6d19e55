// FdTable: a process's descriptor numbers (Linux's struct files_struct). The kernel decides
// every number: lowest free at or above a minimum, bounded by RLIMIT_NOFILE.
import { EBADF, EMFILE, EINVAL } from '../errno.js';
import type { OpenFile } from './openfile.js';

export class FdTable {
  private files: (OpenFile | undefined)[] = [];
  private cloexec: boolean[] = [];
  /** Tasks sharing this table (CLONE_FILES). */
  users = 0;

  get(fd: number): OpenFile | undefined {
    return fd >= 0 ? this.files[fd] : undefined;
  }
  isCloexec(fd: number): boolean {
    return this.cloexec[fd] === true;
  }
  setCloexec(fd: number, on: boolean): void {
    this.cloexec[fd] = on;
  }

  /** Lowest free number >= min, below limit; -EMFILE when none (-EINVAL if min >= limit). */
  lowestFree(min: number, limit: number): number {
    if (min >= limit) return -EINVAL;
    for (let fd = min; fd < limit; fd++) if (this.files[fd] === undefined) return fd;
    return -EMFILE;
  }

  /** Put file at fd (which must be free or is replaced); returns the replaced file. */
  install(fd: number, file: OpenFile, cloexec: boolean): OpenFile | undefined {
    const old = this.files[fd];
    file.incRef();
    this.files[fd] = file;
    this.cloexec[fd] = cloexec;
    if (old) old.decRef();
    return old;
  }

  close(fd: number): number {
    const f = this.get(fd);
    if (!f) return -EBADF;
    this.files[fd] = undefined;
    this.cloexec[fd] = false;
    f.decRef();
    return 0;
  }

  /** A copy for fork (no CLONE_FILES): every file gains a reference. */
  clone(): FdTable {
    const t = new FdTable();
    this.files.forEach((f, fd) => {
      if (f) t.install(fd, f, this.cloexec[fd] === true);
    });
    return t;
  }

  /** exec: close every close-on-exec descriptor. */
  closeOnExec(): void {
    this.files.forEach((f, fd) => {
      if (f && this.cloexec[fd]) this.close(fd);
    });
  }

  closeAll(): void {
    this.files.forEach((f, fd) => {
      if (f) this.close(fd);
    });
  }

  /** Every open number, ascending. */
  numbers(): number[] {
    const out: number[] = [];
    this.files.forEach((f, fd) => {
      if (f) out.push(fd);
    });
    return out;
  }
}
