// Runs commands natively and under starry-sandbox (the real CLI, as a child process) so tests can
// compare the two byte for byte.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const CLI = join(ROOT, 'bin', 'starry-sandbox.js');

export interface Outcome {
  stdout: string;
  stderr: string;
  status: number;
}

function outcome(r: SpawnSyncReturns<string>): Outcome {
  return { stdout: r.stdout, stderr: r.stderr, status: r.status ?? 128 + (r.signal ? signalNumber(r.signal) : 0) };
}

function signalNumber(s: string): number {
  const table: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGABRT: 6, SIGKILL: 9, SIGSEGV: 11, SIGPIPE: 13, SIGTERM: 15 };
  return table[s] ?? 0;
}

export interface RunOptions {
  cwd?: string;
  input?: string;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

/** Run starry-sandbox with the given options and program arguments (STARRY_TEST_STRACE=DIR
 * writes a --strace file per run into DIR, for chasing a flaky test). */
export function sandbox(args: string[], o: RunOptions = {}): Outcome {
  return outcome(
    spawnSync(process.execPath, [CLI, ...(process.env.STARRY_TEST_STRACE ? [`--strace=${process.env.STARRY_TEST_STRACE}/${Date.now()}-${Math.random()}.log`] : []), ...args], {
      cwd: o.cwd ?? ROOT,
      input: o.input ?? '',
      env: o.env ?? process.env,
      encoding: 'utf8',
      timeout: o.timeoutMs ?? 60000,
      maxBuffer: 64 << 20,
    }),
  );
}

/** Run a program natively the same way. */
export function native(argv: string[], o: RunOptions = {}): Outcome {
  return outcome(
    spawnSync(argv[0], argv.slice(1), {
      cwd: o.cwd ?? ROOT,
      input: o.input ?? '',
      env: o.env ?? process.env,
      encoding: 'utf8',
      timeout: o.timeoutMs ?? 60000,
      maxBuffer: 64 << 20,
    }),
  );
}

/**
 * Run argv natively and under the sandbox, both in o.cwd. The sandbox itself runs from the
 * repository (its read-write mount), so the test programs stay visible even when the checkout
 * lives under /tmp, which the sandbox replaces with a private one.
 */
export function both(argv: string[], o: RunOptions = {}): { native: Outcome; sandboxed: Outcome } {
  return { native: native(argv, o), sandboxed: sandbox(['--cwd', o.cwd ?? ROOT, '--', ...argv], { ...o, cwd: ROOT }) };
}
