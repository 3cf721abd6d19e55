// --profile: how many of each syscall the kernel saw, how many it let the host run (CONTINUE),
// and the time its handlers took (answering included, waiting while parked not). Calls the
// seccomp filter runs natively never reach the kernel and are not counted.
import { SYSCALL_NAMES } from './abi/sysnames.js';

export interface ProfileRow {
  syscall: string;
  calls: number;
  continued: number;
  ms: number;
}

export class SyscallProfile {
  private readonly calls = new Float64Array(512);
  private readonly continued = new Float64Array(512);
  private readonly ms = new Float64Array(512);

  add(nr: number, continued: boolean, ms: number): void {
    if (nr < 0 || nr >= 512) return;
    this.calls[nr]++;
    if (continued) this.continued[nr]++;
    this.ms[nr] += ms;
  }

  /** The syscalls seen, the most time first. */
  rows(): ProfileRow[] {
    const out: ProfileRow[] = [];
    for (let nr = 0; nr < 512; nr++) {
      if (this.calls[nr] === 0) continue;
      out.push({ syscall: SYSCALL_NAMES[nr] ?? `syscall_${nr}`, calls: this.calls[nr], continued: this.continued[nr], ms: Math.round(this.ms[nr] * 1000) / 1000 });
    }
    return out.sort((a, b) => b.ms - a.ms);
  }
}
