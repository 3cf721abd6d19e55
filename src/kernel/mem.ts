// Guest memory access for handlers: fixed reusable buffers, DataView decoding at fixed offsets.
import type { Machine } from './machine.js';
import { EFAULT, EINVAL, ENAMETOOLONG } from './errno.js';
import { IoVec } from './fd/openfile.js';

export const PATH_MAX = 4096;
const IOV_MAX = 1024;

/** The most one read or write moves (INT_MAX rounded down to a page). */
const MAX_RW_COUNT = 0x7ffff000;
/** The top of x86_64's user address space (4-level paging), as access_ok checks it. */
const TASK_SIZE_MAX = 0x7ffffffff000;

export class GuestMemory {
  /** Scratch for small structs and strings; contents are valid until the next call. */
  readonly buf = Buffer.allocUnsafeSlow(1 << 16);
  readonly view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
  readonly iov = new IoVec();

  constructor(private readonly m: Machine) {}

  /** Read len (<= 64 KiB) bytes at addr into buf[0..len); 0 or -EFAULT. */
  read(tid: number, addr: number, len: number): number {
    if (len === 0) return 0;
    const n = this.m.readMem(tid, addr, this.buf, 0, len);
    return n === len ? 0 : -EFAULT;
  }
  /** Write buf[0..len) to addr; 0 or -EFAULT. */
  write(tid: number, addr: number, len: number): number {
    if (len === 0) return 0;
    const n = this.m.writeMem(tid, addr, this.buf, 0, len);
    return n === len ? 0 : -EFAULT;
  }
  writeFrom(tid: number, addr: number, src: Uint8Array, off: number, len: number): number {
    if (len === 0) return 0;
    const n = this.m.writeMem(tid, addr, src, off, len);
    return n === len ? 0 : -EFAULT;
  }
  readInto(tid: number, addr: number, dst: Uint8Array, off: number, len: number): number {
    if (len === 0) return 0;
    const n = this.m.readMem(tid, addr, dst, off, len);
    return n === len ? 0 : -EFAULT;
  }

  /** A NUL-terminated path (latin1, byte for byte), or -EFAULT / -ENAMETOOLONG. */
  path(tid: number, addr: number): string | number {
    if (addr === 0) return -EFAULT;
    const n = this.m.readString(tid, addr, this.buf, 0, PATH_MAX);
    if (n < 0) return n === -ENAMETOOLONG ? -ENAMETOOLONG : -EFAULT;
    return this.buf.toString('latin1', 0, n);
  }

  /** A NUL-terminated string of at most max bytes, or -errno. */
  string(tid: number, addr: number, max: number): string | number {
    const n = this.m.readString(tid, addr, this.buf, 0, Math.min(max, this.buf.length));
    if (n < 0) return n;
    return this.buf.toString('latin1', 0, n);
  }

  u32(tid: number, addr: number): number {
    const r = this.read(tid, addr, 4);
    return r < 0 ? r : this.view.getUint32(0, true);
  }
  putU32s(tid: number, addr: number, a: number, b: number): number {
    this.view.setInt32(0, a, true);
    this.view.setInt32(4, b, true);
    return this.write(tid, addr, 8);
  }
  putI32(tid: number, addr: number, v: number): number {
    this.view.setInt32(0, v, true);
    return this.write(tid, addr, 4);
  }
  putI64(tid: number, addr: number, v: number): number {
    this.view.setBigInt64(0, BigInt(v), true);
    return this.write(tid, addr, 8);
  }

  /** Read an iovec array into this.iov; -EINVAL for a bad count, -EFAULT for a bad array. */
  iovec(tid: number, addr: number, count: number): number {
    const iov = this.iov;
    iov.reset();
    if (count < 0 || count > IOV_MAX) return -EINVAL;
    if (count === 0) return 0;
    const r = this.read(tid, addr, count * 16);
    if (r < 0) return r;
    for (let i = 0; i < count; i++) {
      const base = Number(this.view.getBigUint64(i * 16, true));
      const len = Number(this.view.getBigInt64(i * 16 + 8, true));
      if (len < 0) return -EINVAL;
      // __import_iovec: a segment past the user address space is EFAULT (access_ok), and the
      // total is cut to MAX_RW_COUNT, not refused
      if (len > TASK_SIZE_MAX || base > TASK_SIZE_MAX - len) return -EFAULT;
      iov.push(base, Math.min(len, MAX_RW_COUNT - iov.total));
    }
    return 0;
  }

  /** A one-element iovec for read/write. */
  single(base: number, len: number): IoVec {
    const iov = this.iov;
    iov.reset();
    iov.push(base, Math.min(len, MAX_RW_COUNT));
    return iov;
  }

  /** Gather up to max bytes from the guest iovecs into a new Buffer; -EFAULT. */
  gather(tid: number, iov: IoVec, max: number): Buffer | number {
    const total = Math.min(iov.total, max);
    const out = Buffer.allocUnsafe(total);
    let done = 0;
    for (let i = 0; i < iov.bases.length && done < total; i++) {
      const n = Math.min(iov.lens[i], total - done);
      if (n === 0) continue;
      const got = this.m.readMem(tid, iov.bases[i], out, done, n);
      if (got !== n) {
        if (done + Math.max(got, 0) === 0) return -EFAULT;
        return out.subarray(0, done + Math.max(got, 0));
      }
      done += n;
    }
    return out;
  }

  /** Scatter src into the guest iovecs; bytes written, or -EFAULT if none could be. */
  scatter(tid: number, iov: IoVec, src: Uint8Array, srcOff: number, len: number): number {
    let done = 0;
    for (let i = 0; i < iov.bases.length && done < len; i++) {
      const n = Math.min(iov.lens[i], len - done);
      if (n === 0) continue;
      const got = this.m.writeMem(tid, iov.bases[i], src, srcOff + done, n);
      if (got !== n) {
        done += Math.max(got, 0);
        return done === 0 ? -EFAULT : done;
      }
      done += n;
    }
    return done;
  }
}
