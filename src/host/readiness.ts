// Readiness of a host descriptor (a terminal, a pipe the sandbox inherited) for poll, select and
// epoll: the current mask from the host's poll, and a wait queue notified when it may change.
import { native, type NativeWatch } from '../engine/native.js';
import { NR } from '../kernel/abi/sysnames.js';
import * as host from './sys.js';

export interface Notifiable {
  notify(): void;
}

export class HostReadiness {
  private watch: NativeWatch | undefined;
  /** false once the host said it cannot poll this descriptor (regular files are always ready) */
  private pollable = true;

  constructor(
    private readonly fd: number,
    private readonly queue: Notifiable,
  ) {}

  /** The poll(2) mask now, without waiting. */
  mask(events: number): number {
    host.scratchView.setInt32(host.STRUCT, this.fd, true);
    host.scratchView.setInt16(host.STRUCT + 4, events, true);
    host.scratchView.setInt16(host.STRUCT + 6, 0, true);
    const r = host.sys(NR.poll, host.addr(host.STRUCT), 1, 0);
    if (r < 0) return 0x008; // POLLERR
    return host.scratchView.getInt16(host.STRUCT + 6, true) & 0xffff;
  }

  /** Notify the queue once when any of events may have happened. */
  arm(events: number): void {
    if (!this.pollable) return;
    if (!this.watch) {
      const w = native.watch(this.fd, () => this.queue.notify());
      if (typeof w === 'number') {
        this.pollable = false;
        return;
      }
      this.watch = w;
    }
    if (native.arm(this.watch, events) < 0) this.pollable = false;
  }

  close(): void {
    if (this.watch) native.unwatch(this.watch);
    this.watch = undefined;
  }
}
