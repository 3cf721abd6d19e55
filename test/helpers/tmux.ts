// A terminal for tests: a private tmux server running one program in a pane, driven with keys
// (Ctrl-C, Ctrl-Z reach the pane's foreground process group through a real pty, as at a desk).
import { execFileSync, spawnSync } from 'node:child_process';

export function haveTmux(): boolean {
  return !spawnSync('tmux', ['-V']).error;
}

export const NO_TMUX = 'tmux is not installed: install it (apt-get install tmux; .ci/run does) to run the terminal tests';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class Tmux {
  private readonly socket: string;

  constructor(label: string, argv: string[], env: NodeJS.ProcessEnv = process.env) {
    this.socket = `starry-test-${label}-${process.pid}`;
    this.run(['new-session', '-d', '-x', '120', '-y', '50', ...argv], env);
  }

  private run(args: string[], env: NodeJS.ProcessEnv = process.env): string {
    return execFileSync('tmux', ['-L', this.socket, '-f', '/dev/null', ...args], { encoding: 'utf8', env });
  }

  /** Everything the pane shows, history included, without trailing blanks or empty lines. */
  screen(): string {
    let text = '';
    try {
      text = this.run(['capture-pane', '-p', '-S', '-']);
    } catch {
      return ''; // the pane's program is gone
    }
    return text.split('\n').map((l) => l.trimEnd()).filter(Boolean).join('\n') + '\n';
  }

  keys(...keys: string[]): void {
    this.run(['send-keys', ...keys]);
  }

  /** Wait until pred holds of the screen; fails with the screen when it does not within ms. */
  async until(what: string, pred: (screen: string) => boolean, ms = 30_000): Promise<void> {
    const deadline = Date.now() + ms;
    for (;;) {
      const s = this.screen();
      if (pred(s)) return;
      if (Date.now() > deadline) throw new Error(`terminal: timed out waiting for ${what}; the screen:\n${s}`);
      await sleep(100);
    }
  }

  kill(): void {
    try {
      this.run(['kill-server']);
    } catch {
      /* already gone */
    }
  }
}

/** Wait until a host process with exactly this command line exists (a program has exec'd). */
export async function untilProcess(cmdline: string, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (spawnSync('pgrep', ['-f', `^${cmdline}$`]).status !== 0) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for a process "${cmdline}"`);
    await sleep(50);
  }
}

/**
 * Drives an interactive shell in a Tmux whose prompt (PS1) is mark: each line or job typed is
 * waited for until the next prompt. Prompts are counted anywhere on the screen, since after a
 * Ctrl-C bash may print one right after the echoed ^C; mark must not occur in what is typed.
 */
export class ShellDriver {
  private prompts = 1;

  constructor(
    readonly term: Tmux,
    private readonly mark: string,
  ) {}

  async prompt(): Promise<void> {
    const n = this.prompts;
    await this.term.until(`prompt ${n}`, (s) => s.split(this.mark).length > n);
  }

  /** Keys that end with a new prompt (a command line and Enter, or a Ctrl-C at a job). */
  async keys(...keys: string[]): Promise<void> {
    this.term.keys(...keys);
    this.prompts++;
    await this.prompt();
  }

  line(text: string): Promise<void> {
    return this.keys(text, 'Enter');
  }

  /** A foreground job whose process (command line proc) has exec'd, then a key (C-c, C-z). */
  async job(command: string, proc: string, key: string): Promise<void> {
    this.term.keys(command, 'Enter');
    await untilProcess(proc);
    await this.keys(key);
  }
}
