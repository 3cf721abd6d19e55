// The starry-sandbox command. Never touches process.stdin/stdout/stderr streams: Node would make
// a shared pipe non-blocking under the guest (research/node-ecosystem.md); it writes with
// fs.writeSync instead.
import { writeSync, openSync, readFileSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { isatty } from 'node:tty';
import pino from 'pino';
import { SignalForwarder, DEFAULT_STOP_TIMEOUT_S } from './signals.js';
import { parseArgs, parseVolume, parsePublish, UsageError, USAGE, type CliOptions } from './args.js';
import { runSandbox, SandboxError } from '../sandbox.js';
import type { Logger } from '../kernel/kernel.js';
import { serveNamed } from '../named/daemon.js';
import { startNamed, joinSandbox, listSandboxes, stopSandbox, type RunRequest } from '../named/client.js';
import { NamedError, checkName } from '../named/runtime.js';

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

/** Run a named-sandbox command, turning its failures into a message and a status. */
async function named(fn: () => number | Promise<number>): Promise<number> {
  try {
    return await fn();
  } catch (e) {
    return failed(e);
  }
}

/** Say what went wrong and give the exit status: the error's own, 2 for usage, 125 for a bug. */
function failed(e: unknown): number {
  if (e instanceof NamedError || e instanceof SandboxError) {
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

function request(o: CliOptions): RunRequest {
  let hostCwd: string | undefined;
  try {
    hostCwd = realpathSync(process.cwd());
  } catch {
    /* removed: the sandbox's own directory */
  }
  return { argv: [o.program!, ...o.args], env: environment(o), cwd: o.cwd, hostCwd };
}

export async function main(argv: string[]): Promise<number> {
  if (argv[0] === 'ls') {
    if (argv.length > 1) {
      say(2, `starry-sandbox: ls takes no arguments\n${USAGE}`);
      return 2;
    }
    return named(listSandboxes);
  }
  if (argv[0] === 'stop') {
    if (argv.length < 2) {
      say(2, `starry-sandbox: stop needs the name of a sandbox (starry-sandbox ls lists them)\n${USAGE}`);
      return 2;
    }
    let status = 0;
    for (const n of argv.slice(1)) status = Math.max(status, await named(() => stopSandbox(n)));
    return status;
  }
  let o: CliOptions;
  try {
    o = parseArgs(argv);
    if (o.name !== undefined) checkName(o.name);
    if (o.join !== undefined) checkName(o.join);
    if (o.serveNamed && o.name === undefined) throw new UsageError('--serve-named is internal to --name');
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
  if (o.join !== undefined) return named(() => joinSandbox(o.join!, request(o)));
  if (o.name !== undefined && !o.serveNamed) return named(() => startNamed(o.name!, argv, request(o)));
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
  const signals = new SignalForwarder(isatty(0), o.stopTimeout ?? DEFAULT_STOP_TIMEOUT_S, (text) => say(2, text), (status) => process.exit(status));
  try {
    const cfg = {
      program: o.program!,
      args: o.args,
      env: environment(o),
      root: o.root,
      overlay: o.overlay,
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
    };
    // The kernel process of a named sandbox: fd 3 tells the starting client when it is ready.
    if (o.serveNamed) return await serveNamed(o.name!, cfg, [o.program!, ...o.args], 3);
    signals.install();
    const status = await runSandbox({ ...cfg, onStart: (pid, killAll) => signals.started({ pid, killAll }) });
    signals.finished();
    return status;
  } catch (e) {
    return failed(e);
  }
}
