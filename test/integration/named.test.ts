// Named sandboxes: `--name` leaves the sandbox running after its first command, `--join` runs
// another command inside it (same loopback network, same private /tmp, same process tree) with
// its own stdio, status and signals, `ls` lists it and `stop` ends it and every process in it.
// Every wait is bounded; a sandbox a test started is stopped by its teardown whatever happens.
import test from 'ava';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sandbox, ROOT, CLI, type Outcome } from '../helpers/sandbox.js';
import { haveTmux, NO_TMUX, ShellDriver, Tmux, untilProcess } from '../helpers/tmux.js';

const runtime = mkdtempSync(join(tmpdir(), 'starry-named-test-'));
const env = { ...process.env, STARRY_SANDBOX_RUNTIME_DIR: runtime };
test.after.always(() => rmSync(runtime, { recursive: true, force: true }));

const cli = (args: string[], timeoutMs = 30000): Outcome => sandbox(args, { env, timeoutMs });

/** Whether pid still runs (a zombie waiting to be reaped by the host's init does not count). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\S+ \(.*\) [ZX]/s.test(readFileSync(`/proc/${pid}/stat`, 'latin1'));
  } catch {
    return false;
  }
}

/** The parent pid of a host process (/proc/PID/stat's fourth field), 0 when it is gone. */
function ppid(pid: number): number {
  try {
    return Number(/^\S+ \(.*\) \S (\d+)/s.exec(readFileSync(`/proc/${pid}/stat`, 'latin1'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

async function gone(pid: number, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (alive(pid)) {
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}

const SERVER = `
import socket, os
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", PORT))
s.listen(8)
while True:
    c, _ = s.accept()
    c.sendall(b"pong " + c.recv(64) + b" from " + str(os.getpid()).encode())
    c.close()
`;

const CLIENT = `
import socket, time, os
for i in range(200):
    try:
        s = socket.create_connection(("127.0.0.1", PORT))
        break
    except ConnectionRefusedError:
        time.sleep(0.05)
s.sendall(b"ping")
print(s.recv(100).decode())
print(open("MARKER").read().strip())
print("client", os.getpid())
raise SystemExit(5)
`;

/** Run a --join command in the background; resolves with its status and output. */
function joinAsync(name: string, argv: string[], timeoutMs: number) {
  const child = spawn(process.execPath, [CLI, '--join', name, '--', ...argv], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const done = new Promise<{ status: number | null; signal: string | null; stdout: string; stderr: string }>((resolve) =>
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal, stdout, stderr });
    }),
  );
  const line = (re: RegExp) =>
    new Promise<RegExpExecArray | null>((resolve) => {
      const look = () => {
        const m = re.exec(stdout);
        if (m) {
          child.stdout.off('data', look);
          resolve(m);
        }
      };
      child.stdout.on('data', look);
      void done.then(() => resolve(re.exec(stdout)));
      look();
    });
  return { child, done, line };
}

test.serial('a named sandbox outlives its first command; --join shares its network, /tmp and processes; stop ends all', async (t) => {
  const name = `t${process.pid}`;
  const port = 20000 + (process.pid % 20000);
  t.teardown(() => {
    cli(['stop', name], 20000);
  });
  const guests: number[] = [];

  // The first command starts a server in the background, writes to the private /tmp and returns.
  const marker = `/tmp/named-marker-${name}`;
  const first = cli(['--name', name, '--', 'sh', '-c', `echo shared > ${marker}; python3 -c '${SERVER.replace('PORT', String(port))}' >/dev/null 2>&1 & echo server=$!; exit 7`]);
  t.is(first.status, 7, first.stderr);
  const server = Number(/server=(\d+)/.exec(first.stdout)?.[1]);
  t.true(server > 0, first.stdout);
  guests.push(server);
  t.true(alive(server), 'the server the first command left runs on');
  t.false(existsSync(marker), "the sandbox's /tmp is its own, not the host's");

  // ls lists it with its kernel process and first command.
  const ls = cli(['ls']);
  t.is(ls.status, 0, ls.stderr);
  const row = ls.stdout.split('\n').find((l) => l.startsWith(`${name} `));
  t.truthy(row, ls.stdout);
  const kernelPid = Number(row!.split(/\s+/)[1]);
  t.true(alive(kernelPid));
  t.regex(row!, /sh -c echo shared/);
  // The server outlived its parent: like a container's init, the sandbox's init adopted it.
  const init = ppid(server);
  t.is(readFileSync(`/proc/${init}/comm`, 'latin1'), 'starry-init\n', `the orphaned server's parent ${init}`);
  t.is(ppid(init), kernelPid);

  // A second name is refused while it runs.
  const again = cli(['--name', name, '--', 'true']);
  t.is(again.status, 125);
  t.regex(again.stderr, new RegExp(`already running.*--join ${name}.*stop ${name}`, 's'));

  // --join: reaches the server over the sandbox's loopback and reads the first command's /tmp.
  const joined = cli(['--join', name, '--', 'python3', '-c', CLIENT.replace('PORT', String(port)).replace('MARKER', marker)]);
  t.is(joined.status, 5, joined.stderr);
  t.regex(joined.stdout, new RegExp(`^pong ping from ${server}\\nshared\\nclient \\d+\\n$`));
  guests.push(Number(/client (\d+)/.exec(joined.stdout)?.[1]));

  // stdin is the caller's own; the working directory and environment too.
  const io = sandbox(['--join', name, '-e', 'GREETING=hi', '--', 'sh', '-c', 'read x; echo "$GREETING $x $(pwd)"; exit 3'], { env, input: 'there\n', timeoutMs: 30000 });
  t.is(io.status, 3, io.stderr);
  t.is(io.stdout, `hi there ${ROOT}\n`);

  // init's private calls (the way commands enter the sandbox) do not exist for other guests.
  const priv = cli(['--join', name, '--', 'python3', '-c', 'import ctypes, os; libc = ctypes.CDLL(None, use_errno=True); print(libc.syscall(0x3ffff000, 0, 0), os.strerror(ctypes.get_errno()), libc.syscall(0x3ffff001, 1, 1), os.strerror(ctypes.get_errno()))']);
  t.is(priv.status, 0, priv.stderr);
  t.is(priv.stdout, '-1 Function not implemented -1 Function not implemented\n');

  // A missing program is reported like a shell would, and the sandbox stays.
  const missing = cli(['--join', name, '--', 'no-such-program-xyz']);
  t.is(missing.status, 127);
  t.regex(missing.stderr, /no-such-program-xyz: No such file or directory/);

  // Ctrl-C (SIGINT) and SIGTERM sent to a --join end its command, and so the --join itself.
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    const j = joinAsync(name, ['sh', '-c', 'echo pid=$$; exec sleep 60'], 30000);
    const m = await j.line(/pid=(\d+)\n/);
    t.truthy(m, `${sig}: the command started`);
    if (m) guests.push(Number(m[1]));
    j.child.kill(sig);
    const r = await j.done;
    t.is(r.signal, sig, `${sig}: status ${r.status} ${r.stderr}`);
  }

  // stop ends the kernel process and every guest; ls forgets it.
  const stop = cli(['stop', name]);
  t.is(stop.status, 0, stop.stderr);
  t.true(await gone(kernelPid, 5000), 'the kernel process ended');
  for (const pid of guests) t.true(await gone(pid, 5000), `guest ${pid} ended`);
  const after = cli(['ls']);
  t.false(after.stdout.includes(`${name} `), after.stdout);
  const late = cli(['--join', name, '--', 'true']);
  t.is(late.status, 125);
  t.regex(late.stderr, new RegExp(`no sandbox named ${name} is running: start one with starry-sandbox --name ${name}`));
});

test('named-sandbox commands explain what went wrong', (t) => {
  const stop = cli(['stop', 'nosuch']);
  t.is(stop.status, 1);
  t.regex(stop.stderr, /no sandbox named nosuch is running/);
  const join = cli(['--join', 'nosuch', '--', 'true']);
  t.is(join.status, 125);
  t.regex(join.stderr, /no sandbox named nosuch is running: start one with starry-sandbox --name nosuch -- PROGRAM/);
  const setup = cli(['--join', 'nosuch', '--root', '/', '--', 'true']);
  t.is(setup.status, 2);
  t.regex(setup.stderr, /--root shapes a new sandbox/);
  const bad = cli(['--name', '../x', '--', 'true']);
  t.is(bad.status, 2);
  t.regex(bad.stderr, /a sandbox name is/);
  const ls = cli(['ls']);
  t.is(ls.status, 0);
  t.regex(ls.stdout, /^NAME +PID +AGE +COMMAND\n/);
});

test('a named sandbox whose first command cannot start does not stay behind', (t) => {
  const name = `bad${process.pid}`;
  t.teardown(() => {
    cli(['stop', name], 20000);
  });
  const r = cli(['--name', name, '--', 'no-such-program-xyz']);
  t.is(r.status, 127);
  t.regex(r.stderr, /no-such-program-xyz: No such file or directory/);
  const deadline = Date.now() + 5000;
  let listed = true;
  while (listed && Date.now() < deadline) {
    listed = cli(['ls']).stdout.includes(`${name} `);
    if (listed) spawnSync('sleep', ['0.1']);
  }
  t.false(listed);
});

/**
 * An interactive bash at a terminal (tmux) runs `j sleep N` as foreground jobs and types Ctrl-C,
 * Ctrl-Z, fg, bg and kill at them; j is bin/j in dir. The screen at the end.
 */
async function jobSession(label: string, dir: string): Promise<string> {
  const term = new Tmux(label, ['env', '-i', `PATH=${dir}:/usr/bin:/bin`, 'TERM=xterm', 'PS1=@@ ', 'bash', '--norc', '--noprofile', '-i']);
  const sh = new ShellDriver(term, '@@');
  const job = (seconds: number, key: string) => sh.job(`j sleep ${seconds}`, `sleep ${seconds}`, key);
  // whether the sleep N process is stopped, once it is want (or after 10 s); a stopped guest
  // shows as 't' to the host's ps (a tracee's group stop, PTRACE_LISTEN), a local one as 'T'
  const state = (seconds: number, want: 'stopped' | 'running') =>
    sh.line(
      `p=$(pgrep -f '^sleep ${seconds}$'); st() { case $(ps -o stat= -p $p) in [Tt]*) echo stopped;; *) echo running;; esac; }; ` +
        `i=0; while [ $(st) != ${want} ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done; echo "state: $(st)"`,
    );
  try {
    await sh.prompt();
    await job(1101, 'C-c');
    await sh.line('echo rc=$?');
    await job(1102, 'C-z');
    await sh.line('jobs');
    await state(1102, 'stopped');
    term.keys('fg', 'Enter');
    await term.until('fg', (s) => s.includes('@@ fg\nj sleep 1102\n'));
    await untilProcess('sleep 1102'); // still there, continued
    await sh.keys('C-c');
    await sh.line('echo rc=$?; jobs; echo none');
    await job(1103, 'C-z');
    await sh.line('bg');
    await state(1103, 'running');
    await sh.line('kill %1; wait %1; echo rc=$?');
    await sh.line('jobs; echo none');
    return term.screen();
  } finally {
    term.kill();
  }
}

test.serial('at a terminal, Ctrl-C, Ctrl-Z, fg, bg and kill reach a --join command as they reach a local job', async (t) => {
  if (!haveTmux()) return t.fail(NO_TMUX);
  const name = `tty${process.pid}`;
  const bin = mkdtempSync(join(tmpdir(), 'starry-named-j-'));
  t.teardown(() => {
    cli(['stop', name], 20000);
    rmSync(bin, { recursive: true, force: true });
  });
  const started = cli(['--name', name, '--', 'true']);
  t.is(started.status, 0, started.stderr);
  writeFileSync(join(bin, 'j'), '#!/bin/sh\nexec "$@"\n');
  chmodSync(join(bin, 'j'), 0o755);
  const native = await jobSession('named-native', bin);
  t.true(native.includes('rc=130') && native.includes('Stopped') && native.includes('state: stopped') && native.includes('rc=143'), native);
  const q = (s: string) => `'${s}'`;
  writeFileSync(join(bin, 'j'), `#!/bin/sh\nSTARRY_SANDBOX_RUNTIME_DIR=${q(runtime)} exec ${q(process.execPath)} ${q(CLI)} --join ${name} -- "$@"\n`);
  const joined = await jobSession('named-join', bin);
  t.is(joined, native);
});

test.serial('SIGINT and SIGTERM sent to --join reach handlers in its command, SIGINT its whole job', async (t) => {
  const name = `hs${process.pid}`;
  t.teardown(() => {
    cli(['stop', name], 20000);
  });
  const started = cli(['--name', name, '--', 'true']);
  t.is(started.status, 0, started.stderr);
  // sh waits for a child of its job; SIGINT (a keyboard signal) reaches both, SIGTERM sh alone
  // (each line in one write: the two share the pipe, and PYTHONUNBUFFERED may be set)
  const script = (sig: string) =>
    `trap 'echo sh got ${sig}; exit 4' ${sig}; python3 -c 'import os, signal, time; signal.signal(signal.SIG${sig}, lambda *a: (os.write(1, b"child got ${sig}\\n"), exit(5))); print("ready", flush=True); time.sleep(30)' & wait; echo after wait`;
  for (const [sig, out] of [
    ['INT', 'ready\nchild got INT\nsh got INT\n'],
    ['TERM', 'ready\nsh got TERM\n'],
  ] as const) {
    const j = joinAsync(name, ['sh', '-c', script(sig)], 30000);
    t.truthy(await j.line(/ready\n/), `${sig}: the command started`);
    await new Promise((r) => setTimeout(r, 200)); // sh is in wait
    j.child.kill(`SIG${sig}`);
    const r = await j.done;
    t.is(r.status, 4, `SIG${sig}: ${r.stderr}`);
    t.is(r.stdout.split('\n').sort().join('\n'), out.split('\n').sort().join('\n'), `SIG${sig}`);
  }
});
