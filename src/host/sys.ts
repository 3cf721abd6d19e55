// The kernel's door to host files: system calls made by the Starry kernel itself, on host
// objects, with pointers into one scratch buffer it owns. Paths are latin1 strings (bytes).
import { native } from '../engine/native.js';
import { NR } from '../kernel/abi/sysnames.js';

const SCRATCH = 1 << 20;
export const scratch = Buffer.allocUnsafeSlow(SCRATCH);
const base = native.addressOf(scratch);
export const scratchView = new DataView(scratch.buffer, scratch.byteOffset, scratch.byteLength);

/** Offsets inside the scratch buffer. */
export const PATH1 = 0;
export const PATH2 = 8192;
export const STRUCT = 16384; // up to 4 KiB of struct
export const DATA = 32768; // bulk data, up to SCRATCH - DATA bytes
export const DATA_MAX = SCRATCH - DATA;

export const AT_FDCWD = -100;

export function addr(off: number): number {
  return base + off;
}

export function putPath(off: number, path: string): number {
  const n = scratch.write(path, off, 'latin1');
  scratch[off + n] = 0;
  return base + off;
}

export const sys = native.hostSyscall;

export const O_PATH = 0o10000000;
export const O_NOFOLLOW = 0o400000;
export const O_CLOEXEC = 0o2000000;
export const O_DIRECTORY = 0o200000;
export const RESOLVE_NO_SYMLINKS = 0x04;
export const RESOLVE_BENEATH = 0x08;
export const AT_SYMLINK_NOFOLLOW = 0x100;
export const AT_EMPTY_PATH = 0x1000;
export const AT_REMOVEDIR = 0x200;

/** openat2(dirfd, rel, {flags, mode, resolve}) on the host. */
export function openat2(dirfd: number, rel: string, flags: number, mode: number, resolve: number): number {
  const p = putPath(PATH1, rel);
  scratchView.setUint32(STRUCT, flags >>> 0, true);
  scratchView.setUint32(STRUCT + 4, 0, true);
  scratchView.setUint32(STRUCT + 8, mode >>> 0, true);
  scratchView.setUint32(STRUCT + 12, 0, true);
  scratchView.setUint32(STRUCT + 16, resolve >>> 0, true);
  scratchView.setUint32(STRUCT + 20, 0, true);
  return sys(NR.openat2, dirfd, p, addr(STRUCT), 24);
}

/** fstatat into scratch[STRUCT..STRUCT+144). */
export function fstatat(dirfd: number, rel: string, flags: number): number {
  const p = putPath(PATH1, rel);
  return sys(NR.newfstatat, dirfd, p, addr(STRUCT), flags);
}

export function fstat(fd: number): number {
  return sys(NR.fstat, fd, addr(STRUCT));
}

/** Decoded fields of the struct stat left in scratch by fstatat/fstat. */
export function statMode(): number {
  return scratchView.getUint32(STRUCT + 24, true);
}
export function statSize(): number {
  return Number(scratchView.getBigInt64(STRUCT + 48, true));
}
export function statIno(): number {
  return Number(scratchView.getBigUint64(STRUCT + 8, true));
}
export function statDev(): number {
  return Number(scratchView.getBigUint64(STRUCT + 0, true));
}

export function readlinkat(dirfd: number, rel: string): string | number {
  const p = putPath(PATH1, rel);
  const n = sys(NR.readlinkat, dirfd, p, addr(DATA), 4096);
  if (n < 0) return n;
  return scratch.toString('latin1', DATA, DATA + n);
}

export function close(fd: number): number {
  return sys(NR.close, fd);
}

export const S_IFMT = 0o170000;
export const S_IFDIR = 0o040000;
export const S_IFLNK = 0o120000;
export const S_IFREG = 0o100000;
export const S_IFCHR = 0o020000;
export const S_IFBLK = 0o060000;
export const S_IFIFO = 0o010000;
export const S_IFSOCK = 0o140000;

/**
 * Run fn on an O_PATH descriptor of dir (below root) opened without following any symlink and
 * without leaving root, so a guest racing us with symlinks cannot redirect the host call.
 */
export function withDir(root: number, dir: string, fn: (fd: number) => number): number {
  const fd = openat2(root, dir, O_PATH | O_DIRECTORY | O_CLOEXEC, 0, RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS);
  if (fd < 0) return fd;
  try {
    return fn(fd);
  } finally {
    close(fd);
  }
}
