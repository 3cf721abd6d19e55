// What starry-sandbox does with the signals it receives while a guest runs. SIGTERM, SIGHUP and
// SIGQUIT sent to it (and SIGINT when it has no terminal) are passed on to the first guest, as
// `docker stop` passes SIGTERM to PID 1. At a terminal, Ctrl-C already reaches the guest's
// foreground process group from the tty; the sandbox only counts it. When the guest does not
// end: a second Ctrl-C within DOUBLE_PRESS_MS of the first, any second signal after a forwarded
// one, or the stop timeout (--stop-timeout, default 10 s) running out after a forwarded signal,
// ends every guest process, and the sandbox says so.

/** What the running sandbox lets the signal handling do. */
export interface GuestControl {
  /** The first guest's pid. */
  pid: number;
  /** SIGKILL every guest process; returns how many thread groups it reached. */
  killAll(): number;
}

const NUMBERS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGTERM: 15 };
const DOUBLE_PRESS_MS = 3000;
export const DEFAULT_STOP_TIMEOUT_S = 10;

export class SignalForwarder {
  private guest?: GuestControl;
  private lastCtrlC = 0;
  private forwarded?: NodeJS.Signals;
  private timer?: NodeJS.Timeout;
  private ended = false;

  constructor(
    private readonly interactive: boolean,
    private readonly stopTimeoutS: number,
    private readonly say: (text: string) => void,
    private readonly exit: (status: number) => void,
  ) {}

  install(): void {
    for (const s of Object.keys(NUMBERS) as NodeJS.Signals[]) process.on(s, (sig) => this.receive(sig));
  }

  started(guest: GuestControl): void {
    this.guest = guest;
  }

  /** The guest is gone: nothing more to end. */
  finished(): void {
    this.ended = true;
    if (this.timer) clearTimeout(this.timer);
  }

  receive(sig: NodeJS.Signals): void {
    const guest = this.guest;
    if (!guest) return this.exit(128 + NUMBERS[sig]); // nothing started yet: just go
    if (this.ended) return;
    if (sig === 'SIGINT' && this.interactive) {
      // the terminal sent it to the guest's foreground process group as well
      const now = Date.now();
      if (now - this.lastCtrlC < DOUBLE_PRESS_MS) return this.endAll('a second Ctrl-C');
      this.lastCtrlC = now;
      return;
    }
    if (this.forwarded) return this.endAll(`a second signal (${sig} after ${this.forwarded})`);
    this.forwarded = sig;
    try {
      process.kill(guest.pid, sig);
    } catch {
      /* already gone */
    }
    this.timer = setTimeout(() => this.endAll(`the guest still running ${this.stopTimeoutS} s after ${sig}`), this.stopTimeoutS * 1000);
    this.timer.unref();
  }

  private endAll(why: string): void {
    if (this.ended || !this.guest) return;
    this.ended = true;
    if (this.timer) clearTimeout(this.timer);
    const n = this.guest.killAll();
    this.say(`starry-sandbox: ${why}: ended every guest process (${n} ${n === 1 ? 'process' : 'processes'})\n`);
  }
}
