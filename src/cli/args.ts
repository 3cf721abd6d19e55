// starry-sandbox [options] -- PROGRAM [ARGS...]: flags to a SandboxConfig.
export const USAGE = `usage: starry-sandbox [options] -- PROGRAM [ARGS...]
       starry-sandbox --name NAME [options] -- PROGRAM [ARGS...]
       starry-sandbox --join NAME [-e K=V] [--clear-env] [--cwd DIR] -- PROGRAM [ARGS...]
       starry-sandbox ls
       starry-sandbox stop NAME...

Runs PROGRAM under the Starry kernel: a userspace Linux kernel with a private view of the
filesystem (the host root read-only, the working directory read-write, a private /tmp), and no
access to host processes or the network. The sandbox ends when PROGRAM exits; any process it
left is killed.

A named sandbox outlives its first program: --name starts it in the background and returns
when PROGRAM exits; --join runs another program inside it (same network, /tmp, /dev/shm and
processes) with the caller's stdin, stdout and stderr, exit status and signals; ls lists the
live ones; stop ends one and every process in it. (To run a program named ls or stop, put
-- before it.)

options:
  --root DIR            use DIR as the guest's root (read-only) instead of the host root
  --overlay DIR         make the root writable as an overlay: the host root (or --root
                        DIR) is the lower layer and stays untouched; the guest's changes
                        to it go to DIR, the upper layer (made if missing; reuse it to see
                        them again): copies of changed files, ".wh.NAME" for deleted names
                        and ".wh..wh..opq" in directories that hide the lower one, as in
                        OCI image layers. DIR must lie outside the root the guest sees
                        (under the working directory or /tmp is fine)
  -v, --volume HOST:GUEST[:ro]
                        bind a host directory into the guest (read-write unless :ro)
  --cwd DIR             the guest's working directory (default: the current directory)
  -e, --env K=V         set an environment variable (repeatable)
  --clear-env           start from an empty environment instead of the caller's
  --net host            let guest TCP reach host addresses (a connect that no sandbox
                        listener takes goes to the host) and guest listeners listen on
                        the host too; without it nothing leaves the sandbox
  -p, --publish HOST_PORT:GUEST_PORT
                        connections to the host's 127.0.0.1:HOST_PORT reach the guest's
                        listener on GUEST_PORT (repeatable)
  --pids-max N          at most N processes and threads in the sandbox (default 4096);
                        fork and clone beyond it fail with EAGAIN
  --cpus N              the number of CPUs the guest sees in /sys, /proc and
                        sched_getaffinity (default: the host's)
  --stop-timeout N      after passing SIGTERM, SIGHUP or SIGQUIT on to the guest, end every
                        guest process if it is still running N seconds later (default 10;
                        a second such signal, or a second Ctrl-C within 3 s, ends them at once)
  --strace[=FILE]       print every syscall in strace's format to stderr or FILE
  --trace-json FILE     write every syscall as a JSON line (tid, syscall, decoded args,
                        result, errno) to FILE, for harnesses that consume a guest's calls
  --profile FILE        when the sandbox ends, write per-syscall counts and kernel time to
                        FILE as JSON (see benchmarks/README.md)
  --log-level LEVEL     fatal, error, warn (default), info, debug, trace or silent
  --log-file FILE       write the kernel's log to FILE instead of stderr (a named
                        sandbox logs to NAME.log in its runtime directory)
  --name NAME           start a named sandbox (see above)
  --join NAME           run PROGRAM in the named sandbox NAME
  -h, --help            show this help
  --version             print the version
`;

export interface CliOptions {
  root?: string;
  overlay?: string;
  volumes: string[];
  cwd?: string;
  env: string[];
  clearEnv: boolean;
  netHost: boolean;
  publish: string[];
  cpus?: number;
  strace: boolean;
  straceFile?: string;
  traceJson?: string;
  profile?: string;
  pidsMax?: number;
  stopTimeout?: number;
  logLevel: string;
  logFile?: string;
  help: boolean;
  version: boolean;
  /** --name: start a named sandbox. */
  name?: string;
  /** --join: run in a live named sandbox. */
  join?: string;
  /** The hidden flag of a named sandbox's kernel process. */
  serveNamed: boolean;
  /** The options given, by their long name (for checking what --join allows). */
  given: Set<string>;
  program?: string;
  args: string[];
}

export class UsageError extends Error {}

const LONG: Record<string, string> = { '-v': '--volume', '-e': '--env', '-p': '--publish', '-h': '--help' };
const JOIN_OPTIONS = new Set(['--join', '--env', '--clear-env', '--cwd']);

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export function parseArgs(argv: string[]): CliOptions {
  const o: CliOptions = { volumes: [], env: [], clearEnv: false, netHost: false, publish: [], strace: false, logLevel: 'warn', help: false, version: false, serveNamed: false, given: new Set(), args: [] };
  let i = 0;
  const value = (name: string, inline: string | undefined): string => {
    if (inline !== undefined) return inline;
    if (i + 1 >= argv.length) throw new UsageError(`option ${name} needs a value`);
    return argv[++i];
  };
  for (; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      i++;
      break;
    }
    if (!a.startsWith('-') || a === '-') break; // the program itself
    const eq = a.startsWith('--') ? a.indexOf('=') : -1;
    const name = eq > 0 ? a.slice(0, eq) : a;
    const inline = eq > 0 ? a.slice(eq + 1) : undefined;
    o.given.add(LONG[name] ?? name);
    switch (name) {
      case '--root': o.root = value(name, inline); break;
      case '--overlay': o.overlay = value(name, inline); break;
      case '-v': case '--volume': o.volumes.push(value(name, inline)); break;
      case '--cwd': o.cwd = value(name, inline); break;
      case '-e': case '--env': {
        const kv = value(name, inline);
        if (!kv.includes('=')) throw new UsageError(`--env needs K=V, got "${kv}"`);
        o.env.push(kv);
        break;
      }
      case '--clear-env': o.clearEnv = true; break;
      case '--net': {
        const mode = value(name, inline);
        if (mode !== 'host' && mode !== 'none') throw new UsageError(`--net must be host or none, got "${mode}"`);
        o.netHost = mode === 'host';
        break;
      }
      case '-p': case '--publish': o.publish.push(value(name, inline)); break;
      case '--cpus': {
        const n = value(name, inline);
        if (!/^[1-9][0-9]{0,3}$/.test(n)) throw new UsageError(`--cpus needs a count from 1 to 9999, got "${n}"`);
        o.cpus = Number(n);
        break;
      }
      case '--strace':
        o.strace = true;
        if (inline !== undefined) o.straceFile = inline;
        break;
      case '--trace-json': o.traceJson = value(name, inline); break;
      case '--profile': o.profile = value(name, inline); break;
      case '--pids-max': {
        const v = value(name, inline);
        if (!/^[1-9][0-9]*$/.test(v)) throw new UsageError(`--pids-max needs a positive number, got "${v}"`);
        o.pidsMax = Number(v);
        break;
      }
      case '--stop-timeout': {
        const v = value(name, inline);
        if (!/^[0-9]{1,6}$/.test(v)) throw new UsageError(`--stop-timeout needs a number of seconds, got "${v}"`);
        o.stopTimeout = Number(v);
        break;
      }
      case '--log-level': {
        const l = value(name, inline);
        if (!LEVELS.includes(l)) throw new UsageError(`--log-level must be one of ${LEVELS.join(', ')}`);
        o.logLevel = l;
        break;
      }
      case '--log-file': o.logFile = value(name, inline); break;
      case '--name': o.name = value(name, inline); break;
      case '--join': o.join = value(name, inline); break;
      case '--serve-named': o.serveNamed = true; break;
      case '-h': case '--help': o.help = true; break;
      case '--version': o.version = true; break;
      default: throw new UsageError(`unknown option ${a}`);
    }
  }
  if (i < argv.length) {
    o.program = argv[i];
    o.args = argv.slice(i + 1);
  }
  if (!o.program && !o.help && !o.version) throw new UsageError('no program given');
  if (o.name !== undefined && o.join !== undefined) throw new UsageError('--name starts a sandbox and --join runs in one: give one of them');
  if (o.join !== undefined) {
    const setup = [...o.given].filter((g) => !JOIN_OPTIONS.has(g));
    if (setup.length) throw new UsageError(`${setup[0]} shapes a new sandbox; a --join command runs in sandbox ${o.join} as it was started (only -e, --clear-env and --cwd apply)`);
  }
  return o;
}

export interface Volume {
  host: string;
  guest: string;
  readOnly: boolean;
}

export function parseVolume(spec: string): Volume {
  const parts = spec.split(':');
  const ro = parts.length === 3 && parts[2] === 'ro';
  if (parts.length < 2 || parts.length > 3 || (parts.length === 3 && !['ro', 'rw'].includes(parts[2]))) {
    throw new UsageError(`-v needs HOST:GUEST[:ro], got "${spec}"`);
  }
  if (!parts[1].startsWith('/')) throw new UsageError(`-v: the guest path must be absolute, got "${parts[1]}"`);
  return { host: parts[0], guest: parts[1], readOnly: ro };
}

export interface Publish {
  hostPort: number;
  guestPort: number;
}

export function parsePublish(spec: string): Publish {
  const m = /^(\d+):(\d+)$/.exec(spec);
  const ok = (n: number): boolean => n >= 1 && n <= 65535;
  if (!m || !ok(Number(m[1])) || !ok(Number(m[2]))) throw new UsageError(`-p needs HOST_PORT:GUEST_PORT (ports 1-65535), got "${spec}"`);
  return { hostPort: Number(m[1]), guestPort: Number(m[2]) };
}
