// struct stat (x86_64, 144 bytes), struct statx (256 bytes) and struct statfs (120 bytes) for
// objects the kernel emulates.
import type { OpenFile } from '../fd/openfile.js';
import { PipeEnd } from '../fd/pipe.js';
import { ProcDir, ProcFile } from '../fd/procfile.js';
import { Socket } from '../net/socket.js';
import { uid, gid } from '../creds.js';

const S_IFIFO = 0o010000;
const PIPEFS_DEV = 0xd;

const SOCKFS_DEV = 0x8;
const ANON_INODE_DEV = 0x10;

/** st_mode, st_ino, st_dev and st_size of an object the kernel emulates. */
export function describe(f: OpenFile): { mode: number; ino: number; dev: number; size: number } {
  if (f instanceof PipeEnd) return { mode: S_IFIFO | 0o600, ino: f.pipe.ino, dev: PIPEFS_DEV, size: 0 };
  if (f instanceof ProcDir || f instanceof ProcFile) return { ...f.stat, ino: inoOf(f.guestPath) };
  if (f instanceof Socket) return { mode: 0o140777, ino: f.ino, dev: SOCKFS_DEV, size: 0 };
  const ino = (f as { ino?: number }).ino;
  return { mode: 0o600, ino: ino ?? 1, dev: ANON_INODE_DEV, size: 0 };
}

/** A stable inode number for a procfs path. */
export function inoOf(path: string): number {
  let h = 2166136261;
  for (let i = 0; i < path.length; i++) h = Math.imul(h ^ path.charCodeAt(i), 16777619) >>> 0;
  return h;
}

export function writeSyntheticStat(f: OpenFile, v: DataView, at: number): void {
  for (let i = 0; i < 144; i += 4) v.setUint32(at + i, 0, true);
  const d = describe(f);
  v.setBigUint64(at + 0, BigInt(d.dev), true); // st_dev
  v.setBigUint64(at + 8, BigInt(d.ino), true); // st_ino
  v.setBigUint64(at + 16, 1n, true); // st_nlink
  v.setUint32(at + 24, d.mode, true); // st_mode
  v.setUint32(at + 28, uid, true);
  v.setUint32(at + 32, gid, true);
  v.setBigInt64(at + 48, BigInt(d.size), true); // st_size
  v.setBigInt64(at + 56, 4096n, true); // st_blksize
}

export function writeSyntheticStatx(f: OpenFile, v: DataView, at: number, _mask: number): void {
  for (let i = 0; i < 256; i += 4) v.setUint32(at + i, 0, true);
  const d = describe(f);
  v.setUint32(at + 0, 0x7ff, true); // stx_mask: STATX_BASIC_STATS
  v.setUint32(at + 4, 4096, true); // stx_blksize
  v.setUint32(at + 16, 1, true); // stx_nlink
  v.setUint32(at + 20, uid, true);
  v.setUint32(at + 24, gid, true);
  v.setUint16(at + 28, d.mode, true);
  v.setBigUint64(at + 32, BigInt(d.ino), true);
  v.setBigUint64(at + 40, BigInt(d.size), true); // stx_size
  v.setUint32(at + 136, 0, true); // stx_dev_major
  v.setUint32(at + 140, d.dev, true); // stx_dev_minor
}

/** f_type of the pseudo filesystems kernel objects live on (statfs(2)). */
export const PIPEFS_MAGIC = 0x50495045;
export const SOCKFS_MAGIC = 0x534f434b;
export const ANON_INODE_FS_MAGIC = 0x09041934;
export const ST_RDONLY = 1, ST_NOSUID = 2, ST_NODEV = 4, ST_NOEXEC = 8, ST_RELATIME = 0x1000;
const ST_VALID = 0x20;

/** struct statfs of a filesystem with no blocks (procfs, sysfs, pipefs ...): df leaves those out. */
export function writeSyntheticStatfs(v: DataView, at: number, magic: number, flags: number): void {
  for (let i = 0; i < 120; i += 4) v.setUint32(at + i, 0, true);
  v.setBigInt64(at + 0, BigInt(magic), true); // f_type
  v.setBigInt64(at + 8, 4096n, true); // f_bsize
  v.setBigInt64(at + 64, 255n, true); // f_namelen
  v.setBigInt64(at + 72, 4096n, true); // f_frsize
  v.setBigInt64(at + 80, BigInt(flags | ST_VALID), true); // f_flags
}

/** The statfs(2) of an object the kernel emulates (a pipe, a socket, an anonymous inode). */
export function objectStatfsMagic(f: OpenFile): number {
  if (f instanceof PipeEnd) return PIPEFS_MAGIC;
  if (f instanceof Socket) return SOCKFS_MAGIC;
  return ANON_INODE_FS_MAGIC;
}
