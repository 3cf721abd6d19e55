// A sandbox: the mount table and environment from the configuration, a Kernel, and the Engine
// running the first guest until every guest task is gone.
import { existsSync, mkdtempSync, mkdirSync, rmSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir, hostname as hostHostname, cpus as hostCpus } from 'node:os';
import { join, resolve as resolvePath, dirname, basename } from 'node:path';
import { Kernel, type Logger } from './kernel/kernel.js';
import type { MountSpec } from './kernel/fs/mount.js';
import { walkFrom } from './kernel/fs/path.js';
import { run, machine } from './engine/engine.js';
import { InitService } from './kernel/init-service.js';
import * as host from './host/sys.js';

export interface SandboxConfig {
  program: string;
  args: string[];
  env: Record<string, string>;
  /** Host directory used as the guest root, read-only (default: the host root). */
  root?: string;
  /** --overlay: the root becomes an overlay's lower layer and this host directory its upper. */
  overlay?: string;
  volumes: { host: string; guest: string; readOnly: boolean }[];
  /** --net host: guest TCP may reach the host (see InetNamespace.hostNet). */
  netHost?: boolean;
  /** -p: host loopback ports leading to guest listeners. */
  publish?: { hostPort: number; guestPort: number }[];
  /** Guest working directory. */
  cwd?: string;
  log: Logger;
  /** Where --strace lines go. */
  strace?: (line: string) => void;
  /** Where --trace-json lines go. */
  traceJson?: (line: string) => void;
  /** --pids-max: the most tasks the sandbox may hold. */
  pidsMax?: number;
  /** --profile: where the per-syscall profile goes when the sandbox ends. */
  profile?: string;
  hostname?: string;
  /** CPUs the guest sees (default: the host's). */
  cpus?: number;
  /** Told the first guest's pid once it exists, and how to end every guest process (for signals). */
  onStart?: (pid: number, killAll: () => number) => void;
  /** A named sandbox: init runs as the first guest and starts commands on request. */
  named?: NamedHooks;
}

/** A named sandbox (src/named/): its first guest is init (native/init.c), not cfg.program. */
export interface NamedHooks {
  /** Host path of the init helper (build/Release/starry-init). */
  init: string;
  /** init exists (not yet exec'd) and its service takes requests. */
  ready(s: SandboxHandle): void;
}

/** What a named sandbox's control side needs of the running sandbox. */
export interface SandboxHandle {
  kernel: Kernel;
  service: InitService;
  /** The guest working directory commands start in by default. */
  cwd: string;
  /** The guest path execve should be given for program (PATH search in the view), or throws SandboxError. */
  findProgram(program: string, env: Record<string, string>, cwd: string): string;
}

/** Where init appears in a named sandbox's view (a single-file mount of the helper). */
export const INIT_GUEST_PATH = '/.starry-init';

export class SandboxError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

const DEVICES = ['null', 'zero', 'full', 'random', 'urandom', 'tty', 'ptmx', 'pts'];
/** The links every /dev has (udev and container runtimes make them): the process's own descriptors. */
const DEV_LINKS = { fd: '/proc/self/fd', stdin: '/proc/self/fd/0', stdout: '/proc/self/fd/1', stderr: '/proc/self/fd/2' };

export async function runSandbox(cfg: SandboxConfig): Promise<number> {
  const priv = mkdtempSync(join(tmpdir(), 'starry-'));
  try {
    return await runIn(cfg, priv);
  } finally {
    rmSync(priv, { recursive: true, force: true });
  }
}

function mkdirs(base: string, ...names: string[]): string[] {
  return names.map((n) => {
    const p = join(base, n);
    host.sys(83 /* mkdir */, host.putPath(host.PATH1, p), 0o1777);
    return p;
  });
}

async function runIn(cfg: SandboxConfig, priv: string): Promise<number> {
  const [tmp, shm, empty, etc] = mkdirs(priv, 'tmp', 'shm', 'empty', 'etc');
  // The sandbox's own names (hosts(5), hostname(5)): localhost and its hostname are loopback,
  // so getaddrinfo answers them without the host's resolver.
  const hostname = cfg.hostname ?? hostHostname();
  writeFileSync(join(etc, 'hosts'), `127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n127.0.0.1\t${hostname}\n`);
  writeFileSync(join(etc, 'hostname'), `${hostname}\n`);
  const hostCwd = realpathSync(process.cwd());
  const rootHost = cfg.root ? realpathSync(cfg.root) : '/';
  const mounts: MountSpec[] = [{ guest: '/', host: rootHost, readOnly: true }];
  let cwd = cfg.cwd;
  if (!cfg.root) {
    mounts.push({ guest: hostCwd, host: hostCwd, readOnly: false });
    cwd ??= hostCwd;
  }
  cwd ??= '/';
  mounts.push(
    { guest: '/tmp', host: tmp, readOnly: false, type: 'tmpfs' },
    { guest: '/dev', host: '/dev', readOnly: true, devices: true, only: [...DEVICES, 'shm'], links: DEV_LINKS },
    { guest: '/dev/shm', host: shm, readOnly: false, type: 'tmpfs' },
    { guest: '/proc', host: empty, readOnly: true, generated: 'proc' },
    { guest: '/etc/hosts', host: etc, readOnly: true, entry: 'hosts' },
    { guest: '/etc/hostname', host: etc, readOnly: true, entry: 'hostname' },
    { guest: '/sys', host: empty, readOnly: true, generated: 'sysfs' },
    { guest: '/sys/fs/cgroup', host: empty, readOnly: true, generated: 'cgroup2' },
  );
  if (cfg.named) mounts.push({ guest: INIT_GUEST_PATH, host: dirname(cfg.named.init), readOnly: true, entry: basename(cfg.named.init) });
  for (const v of cfg.volumes) {
    let h: string;
    try {
      h = realpathSync(resolvePath(v.host));
      if (!statSync(h).isDirectory()) throw new Error('not a directory');
    } catch {
      throw new SandboxError(`starry-sandbox: volume ${v.host}: No such directory`, 125);
    }
    mounts.push({ guest: v.guest, host: h, readOnly: v.readOnly });
  }
  if (cfg.overlay !== undefined) {
    mounts[0].upper = upperLayer(cfg.overlay, rootHost, mounts);
    mounts[0].readOnly = false;
  }
  // A mount point inside one of our private directories (a working directory under /tmp) must
  // exist there, as on Linux, so that the walk and listings find it.
  const privateHosts = new Set([tmp, shm, empty, etc]);
  for (const m of mounts) {
    const parent = mounts
      .filter((p) => p !== m && (p.guest === '/' || m.guest.startsWith(p.guest + '/')))
      .sort((a, b) => b.guest.length - a.guest.length)[0];
    if (parent && privateHosts.has(parent.host)) {
      mkdirSync(join(parent.host, parent.guest === '/' ? m.guest : m.guest.slice(parent.guest.length)), { recursive: true, mode: 0o755 });
    }
  }
  // The guest's umask applies to what it creates; ours must not apply twice.
  process.umask(0);
  const cpus = cfg.cpus ?? Math.max(1, hostCpus().length);
  const kernel = new Kernel(machine, { mounts, cwd, hostname, cpus, log: cfg.log, straceWriter: cfg.strace, traceJsonWriter: cfg.traceJson, pidsMax: cfg.pidsMax, profile: cfg.profile !== undefined });
  kernel.inet.hostNet = cfg.netHost ?? false;
  kernel.inet.warn = (msg) => cfg.log.warn({}, msg);
  for (const p of cfg.publish ?? []) {
    try {
      await kernel.inet.publish(p.hostPort, p.guestPort);
    } catch (e) {
      throw new SandboxError(`starry-sandbox: -p ${p.hostPort}:${p.guestPort}: cannot listen on the host's 127.0.0.1:${p.hostPort} (${(e as Error).message}); pick a free host port`, 125);
    }
  }
  // The guest path: the kernel's execve stop maps it (and its interpreters) to the host.
  let program: string, argv: string[], envp: string[];
  if (cfg.named) {
    const service = new InitService(kernel);
    kernel.initService = service;
    const sandboxCwd = cwd;
    const handle: SandboxHandle = { kernel, service, cwd, findProgram: (p, env, dir) => findProgram(kernel, p, env, dir ?? sandboxCwd) };
    // Requests are taken once init exists (so that stopping the sandbox finds it to kill).
    const { ready } = cfg.named;
    const onStart = cfg.onStart;
    cfg = { ...cfg, onStart: (pid, killAll) => (onStart?.(pid, killAll), ready(handle)) };
    [program, argv, envp] = [INIT_GUEST_PATH, ['starry-init'], []];
  } else {
    program = findProgram(kernel, cfg.program, cfg.env, cwd);
    argv = [cfg.program, ...cfg.args];
    envp = Object.entries(cfg.env).map(([k, v]) => `${k}=${v}`);
  }
  // the host directory the first guest starts in (an overlay's in the layer that has it)
  const cwdAt = walkFrom(kernel, '/', cwd, { follow: true });
  const hostCwdDir = typeof cwdAt === 'number' ? kernel.mounts.lookup(cwd).hostPath(cwd) : cwdAt.mount.hostPath(cwdAt.guest, cwdAt.layer);
  const errors: string[] = [];
  const result = await run(
    kernel,
    { path: program, argv, envp, cwd: hostCwdDir, traceAll: !!(cfg.strace || cfg.traceJson) },
    (pid) => cfg.onStart?.(pid, () => kernel.killAll()),
    (msg) => {
      errors.push(msg);
      cfg.log.error({ msg }, 'tracer error');
    },
  );
  if (cfg.profile && kernel.profile) writeFileSync(cfg.profile, JSON.stringify(kernel.profile.rows(), null, 1) + '\n');
  if (errors.length && result.status === 0) throw new SandboxError(`starry-sandbox: ${errors.join('; ')}`, 125);
  return exitCode(result.status);
}

/**
 * The host directory of --overlay DIR (made if missing). It must not overlap the lower layer
 * in a way that loops, as overlayfs refuses overlapping layers (ELOOP): the lower inside the
 * upper would have copy-up write into the lower, and an upper the guest sees through the
 * overlay itself would show the guest its own upper layer as lower files.
 */
function upperLayer(dir: string, lower: string, mounts: MountSpec[]): string {
  const upper = realpathToBe(dir);
  const inside = (a: string, b: string): boolean => a === b || b === '/' || a.startsWith(b + '/');
  if (inside(lower, upper)) {
    throw new SandboxError(`starry-sandbox: --overlay ${dir}: the root ${lower} lies inside the upper layer ${upper}, so writes would land in the root itself; choose a directory outside it`, 125);
  }
  if (inside(upper, lower)) {
    // where the guest would see the upper directory, unless another mount covers that place
    const guest = lower === '/' ? upper : upper.slice(lower.length);
    const covered = mounts.some((m) => m.guest !== '/' && !m.entry && inside(guest, m.guest));
    if (!covered) {
      throw new SandboxError(
        `starry-sandbox: --overlay ${dir}: the upper layer ${upper} is inside the root the guest sees (at ${guest}), so the overlay would contain itself; ` +
          `choose a directory outside ${lower === '/' ? 'the host root' : lower}${lower === '/' ? ', under the working directory or under /tmp (the sandbox has its own /tmp there)' : ''}`,
        125,
      );
    }
  }
  try {
    // a new upper directory starts as the lower root is (the overlay's root shows the upper's)
    if (!existsSync(upper)) mkdirSync(upper, { recursive: true, mode: statSync(lower).mode & 0o7777 });
    if (!statSync(upper).isDirectory()) throw new Error('not a directory');
  } catch (e) {
    throw new SandboxError(`starry-sandbox: --overlay ${dir}: cannot use it as the upper layer (${(e as Error).message}); give a directory`, 125);
  }
  return upper;
}

/** The real path p has, or will have once made (the real path of its nearest existing ancestor, then the rest). */
function realpathToBe(p: string): string {
  const abs = resolvePath(p);
  try {
    return realpathSync(abs);
  } catch {
    return abs === '/' ? abs : join(realpathToBe(dirname(abs)), basename(abs));
  }
}

/** The exit status a shell would report: the code, or 128+N for death by signal N. */
export function exitCode(status: number): number {
  const sig = status & 0x7f;
  if (sig === 0) return (status >> 8) & 0xff;
  return 128 + sig;
}

function findProgram(kernel: Kernel, name: string, env: Record<string, string>, cwd: string): string {
  const candidates: string[] = [];
  if (name.includes('/')) candidates.push(name);
  else for (const dir of (env.PATH ?? '/usr/local/bin:/usr/bin:/bin').split(':')) candidates.push(`${dir || '.'}/${name}`);
  for (const c of candidates) {
    const r = walkFrom(kernel, cwd, c, { follow: true });
    if (typeof r === 'number' || (r.mode & host.S_IFMT) !== host.S_IFREG) continue;
    if (host.sys(439 /* faccessat2 */, r.layer.rootFd, host.putPath(host.PATH1, r.rel), 1, 0) < 0) {
      if (name.includes('/')) throw new SandboxError(`starry-sandbox: ${name}: Permission denied`, 126);
      continue;
    }
    return c; // as named: the kernel's execve stop resolves it like any other exec
  }
  throw new SandboxError(`starry-sandbox: ${name}: No such file or directory`, 127);
}

