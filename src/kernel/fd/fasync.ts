// Signal-driven I/O on the kernel's own files: F_SETOWN/F_SETOWN_EX name who is told, F_SETSIG
// which signal (0: SIGIO), and O_ASYNC turns it on (fs/fcntl.c: f_setown, send_sigio,
// kill_fasync). While it is on, the file's wait queues wake an AsyncNotify, which sends the
// signal when data or room arrives, as pipe_write/pipe_read and the socket layer call
// kill_fasync with POLL_IN and POLL_OUT.
import type { Kernel } from '../kernel.js';
import type { OpenFile } from './openfile.js';
import { POLLERR, POLLHUP, POLLIN, POLLOUT, type WaitQueue, type Wakeable } from '../wait.js';
import { kernelSigInfo, pollSigInfo, POLL_ERR, POLL_HUP, POLL_IN, POLL_OUT } from '../abi/siginfo.js';

export const F_OWNER_TID = 0, F_OWNER_PID = 1, F_OWNER_PGRP = 2;
const SIGIO = 29;

/** Who a file's signals go to (struct fown_struct). */
export interface FileOwner {
  type: number;
  id: number;
}

/** The sandbox processes a signal to this owner reaches, and sends it; false when none. */
export function signalOwner(k: Kernel, owner: FileOwner, sig: number, info: () => Uint8Array): boolean {
  if (owner.type === F_OWNER_TID) {
    const t = k.tasks.get(owner.id);
    if (!t) return false;
    k.machine.signal(t.tgid, t.tid, sig, info());
    k.expectSignal(t.group);
    return true;
  }
  if (owner.type === F_OWNER_PID) {
    const g = k.groups.get(owner.id);
    if (!g) return false;
    k.machine.signal(0, g.tgid, sig, info());
    k.expectSignal(g);
    return true;
  }
  return k.signalProcessGroup(owner.id, sig, undefined, info) > 0;
}

export class AsyncNotify implements Wakeable {
  private queues: WaitQueue[] = [];

  constructor(
    private readonly k: Kernel,
    private readonly file: OpenFile,
    /** The descriptor O_ASYNC was last set through: siginfo's si_fd (fasync_helper's fa_fd). */
    public fd: number,
  ) {
    this.subscribe();
  }

  private subscribe(): void {
    for (const q of this.file.pollQueues(POLLIN | POLLOUT)) {
      if (!this.queues.includes(q)) {
        q.add(this);
        this.queues.push(q);
      }
    }
  }

  wake(mask: number): void {
    const f = this.file;
    const owner = f.fown;
    if (!owner) return;
    const now = f.pollMask(POLLIN | POLLOUT);
    const happened = (mask || now) & now;
    // a reader is told of data, a writer of room (a socket is both); hangups and errors always
    const reason =
      f.readable && happened & POLLIN ? POLL_IN
      : f.writable && happened & POLLOUT ? POLL_OUT
      : happened & POLLERR ? POLL_ERR
      : happened & POLLHUP ? POLL_HUP
      : 0;
    // without F_SETSIG: plain SIGIO from the kernel; with it, the reason, band and descriptor
    if (reason) signalOwner(this.k, owner, f.fownSig || SIGIO, () => (f.fownSig ? pollSigInfo(reason, this.fd) : kernelSigInfo()));
    this.subscribe(); // a host descriptor's watch is one-shot
  }

  detach(): void {
    for (const q of this.queues) q.remove(this);
    this.queues = [];
  }
}
