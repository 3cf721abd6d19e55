// The starry-sandbox command. Never touches process.stdin/stdout/stderr streams: Node would make
// a shared pipe non-blocking under the guest (research/node-ecosystem.md); it writes with
// fs.writeSync instead.
import { writeSync, openSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { isatty } from 'node:tty';
import pino from 'pino';
import { parseArgs, parseVolume, parsePublish, UsageError, USAGE, type CliOptions } from './args.js';
import { runSandbox, SandboxError } from '../sandbox.js';
import type { Logger } from '../kernel/kernel.js';

function say(fd: number, text: string): void {
  try {
    writeSync(fd, text);
  } catch {
    /* the reader went away */
  }
}

function version(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const p of [join(here, '..', '..', '..', 'package.json'), join(here, '..', '..', 'package.json')]) {
    try {
      return JSON.parse(readFileSync(p, 'utf8')).version as string;
    } catch {
      /* try the next */
    }
  }
  return 'unknown';
}

function makeLogger(o: CliOptions): Logger {
  const dest = o.logFile ? pino.destination({ dest: o.logFile, sync: true, mkdir: true }) : pino.destination({ dest: 2, sync: true });
  return pino({ level: o.logLevel, base: { name: 'starry-sandbox' } }, dest);
}

function environment(o: CliOptions): Record<string, string> {
  const env: Record<string, string> = {};
  if (!o.clearEnv) for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  for (const kv of o.env) {
    const i = kv.indexOf('=');
    env[kv.slice(0, i)] = kv.slice(i + 1);
  }
  return env;
}

export async function main(argv: string[]): Promise<number> {
  let o: CliOptions;
  try {
    o = parseArgs(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      say(2, `starry-sandbox: ${e.message}\n${USAGE}`);
      return 2;
    }
    throw e;
  }
  if (o.help) {
    say(1, USAGE);
    return 0;
  }
  if (o.version) {
    say(1, `starry-sandbox ${version()}\n`);
    return 0;
  }
  let strace: ((line: string) => void) | undefined;
  if (o.strace) {
    const fd = o.straceFile ? openSync(o.straceFile, 'w') : 2;
    strace = (line) => say(fd, line);
  }
  let traceJson: ((line: string) => void) | undefined;
  if (o.traceJson) {
    const fd = openSync(o.traceJson, 'w');
    traceJson = (line) => say(fd, line);
  }
  const log = makeLogger(o);
  // Ctrl-C at a terminal reaches the guest directly (it shares our process group); we stay
  // alive to report its status. Signals sent to us alone are passed on to the guest.
  const interactive = isatty(0);
  const numbers: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGTERM: 15 };
  const forward = (sig: NodeJS.Signals) => {
    if (!guestPid) process.exit(128 + numbers[sig]); // nothing started yet: just go
    if (sig === 'SIGINT' && interactive) return;
    try {
      process.kill(guestPid, sig);
    } catch {
      /* gone */
    }
  };
  let guestPid = 0;
  for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'] as const) process.on(s, forward);
  try {
    return await runSandbox({
      program: o.program!,
      args: o.args,
      env: environment(o),
      root: o.root,
      volumes: o.volumes.map(parseVolume),
      netHost: o.netHost,
      publish: o.publish.map(parsePublish),
      cpus: o.cpus,
      cwd: o.cwd,
      log,
      strace,
      traceJson,
      pidsMax: o.pidsMax,
      profile: o.profile,
      onStart: (pid: number) => {
        guestPid = pid;
      },
    });
  } catch (e) {
    if (e instanceof SandboxError) {
      say(2, e.message + '\n');
      return e.exitCode;
    }
    if (e instanceof UsageError) {
      say(2, `starry-sandbox: ${e.message}\n`);
      return 2;
    }
    say(2, `starry-sandbox: internal error: ${e instanceof Error ? e.stack : String(e)}\n`);
    return 125;
  }
}
