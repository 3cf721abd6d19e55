// siginfo_t as Linux fills it for the signals the kernel raises itself
// (include/uapi/asm-generic/siginfo.h, x86_64 layout: signo, errno, code, then the union at 16).
export const SI_USER = 0;
export const SI_KERNEL = 0x80;
export const POLL_IN = 1, POLL_OUT = 2, POLL_MSG = 3, POLL_ERR = 4, POLL_PRI = 5, POLL_HUP = 6;

// Shared: the addon copies it before signalInfo returns.
const buf = new Uint8Array(128);
const view = new DataView(buf.buffer);

function start(code: number): DataView {
  buf.fill(0);
  view.setInt32(8, code, true);
  return view;
}

/** send_sig(sig, current, 0) (SIGPIPE): SI_USER, as if the process had sent it to itself. */
export function userSigInfo(pid: number, uid: number): Uint8Array {
  start(SI_USER).setInt32(16, pid, true);
  view.setUint32(20, uid, true);
  return buf;
}

/** SEND_SIG_PRIV (SIGIO without F_SETSIG): SI_KERNEL, no sender. */
export function kernelSigInfo(): Uint8Array {
  start(SI_KERNEL);
  return buf;
}

// fs/fcntl.c band_table: the poll events of each POLL_* reason
const BAND = [0, 0x1 | 0x40, 0x4 | 0x100 | 0x200, 0x1 | 0x40 | 0x400, 0x8, 0x2 | 0x80, 0x10 | 0x8];

/** send_sigio_to_task with F_SETSIG: the reason in si_code, its band, the descriptor. */
export function pollSigInfo(reason: number, fd: number): Uint8Array {
  start(reason).setBigInt64(16, BigInt(BAND[reason]), true);
  view.setInt32(24, fd, true);
  return buf;
}
