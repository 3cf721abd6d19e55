// Job control as people meet it: a shell script stopping and continuing a background job, an
// interactive bash at a real terminal (tmux) taking Ctrl-C and Ctrl-Z, compared screen for
// screen with the same keys natively; and what starry-sandbox does with the signals it gets
// itself (passing them on, then ending a guest that will not go).
import test from 'ava';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { both, CLI, ROOT } from '../helpers/sandbox.js';
import { haveTmux, NO_TMUX, ShellDriver, Tmux, untilProcess } from '../helpers/tmux.js';

test('a shell stops, continues and kills a background job as natively', (t) => {
  // each state is waited for (ps reads /proc/PID/stat), so the output does not depend on timing
  const script = [
    'state() { ps -o stat= -p $1 | cut -c1; }',
    'until_state() { i=0; while [ "$(state $1)" != $2 ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done; echo "$2: $(state $1)"; }',
    'sleep 30 & p=$!',
    'until_state $p S',
    'kill -STOP $p; until_state $p T',
    'grep "^State" /proc/$p/status',
    'kill -CONT $p; until_state $p S',
    'kill -TERM $p; wait $p; echo "wait: $?"',
    // (not SIGTSTP: a job of a shell without job control shares its group, which may be
    // orphaned where the test runs, and then the kernel discards SIGTSTP)
    'sleep 30 & q=$!; kill -STOP $q; until_state $q T; kill -KILL $q; wait $q; echo "wait: $?"',
  ].join('\n');
  const { native, sandboxed } = both(['/bin/sh', '-c', script]);
  t.is(native.status, 0, native.stderr);
  t.is(sandboxed.stdout, native.stdout);
  t.is(sandboxed.status, native.status, sandboxed.stderr);
});

/** Type a session into an interactive bash (prompt "@@ ") under a terminal; the screen at the end. */
async function bashSession(label: string, argv: string[]): Promise<string> {
  const term = new Tmux(label, argv);
  const sh = new ShellDriver(term, '@@');
  try {
    await sh.prompt();
    await sh.job('sleep 1001', 'sleep 1001', 'C-c');
    await sh.line('echo rc=$?');
    await sh.job('sleep 1002', 'sleep 1002', 'C-z');
    await sh.line('jobs');
    term.keys('fg', 'Enter');
    await term.until('fg', (s) => s.includes('@@ fg\nsleep 1002\n'));
    await sh.keys('C-c');
    await sh.line('echo rc=$?; jobs; echo none');
    await sh.job('sleep 1003', 'sleep 1003', 'C-z');
    await sh.line('bg');
    await sh.line('kill %1; wait %1; echo rc=$?');
    await sh.line('jobs; echo none');
    return term.screen();
  } finally {
    term.kill();
  }
}

test('an interactive bash at a terminal takes Ctrl-C and Ctrl-Z as natively', async (t) => {
  if (!haveTmux()) return t.fail(NO_TMUX);
  const shell = ['bash', '--norc', '--noprofile', '-i'];
  const env = ['PATH=/usr/bin:/bin', 'TERM=xterm', 'PS1=@@ '];
  const native = await bashSession('native', ['env', '-i', ...env, ...shell]);
  const sandboxed = await bashSession('sandbox', [
    process.execPath, CLI, '--clear-env', ...env.flatMap((e) => ['-e', e]), '--cwd', ROOT, '--', ...shell,
  ]);
  t.true(native.includes('rc=130') && native.includes('Stopped'), native); // the keys did what they should
  t.is(sandboxed, native);
});

test('Ctrl-C ends a guest at a terminal; a second Ctrl-C ends one that ignores it', async (t) => {
  if (!haveTmux()) return t.fail(NO_TMUX);
  const term = new Tmux('ctrlc', ['env', '-i', 'PATH=/usr/bin:/bin', 'TERM=xterm', 'PS1=$ ', 'bash', '--norc', '--noprofile', '-i']);
  try {
    await term.until('the prompt', (s) => s.startsWith('$'));
    const cli = `'${process.execPath}' '${CLI}' --cwd '${ROOT}' --`;
    term.keys(`${cli} sleep 1011; echo rc=$?`, 'Enter');
    await untilProcess('sleep 1011');
    term.keys('C-c');
    await term.until('rc=130', (s) => s.includes('rc=130'));
    // ignored SIGINT is inherited across exec: sh and its sleep both ignore it
    term.keys(`${cli} sh -c 'trap "" INT; sleep 1012'; echo rc=$?`, 'Enter');
    await untilProcess('sleep 1012');
    term.keys('C-c');
    await new Promise((r) => setTimeout(r, 300));
    term.keys('C-c');
    await term.until('rc=137', (s) => s.includes('rc=137'));
    t.regex(term.screen(), /starry-sandbox: a second Ctrl-C: ended every guest process \(2 processes\)\nrc=137/);
  } finally {
    term.kill();
  }
});

/** Start a guest, wait for its "ready" line, send starry-sandbox the signals; its outcome. */
function signalled(args: string[], signals: NodeJS.Signals[]): Promise<{ status: number | null; stdout: string; stderr: string; ms: number }> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn(process.execPath, [CLI, '--cwd', ROOT, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let sent = false;
    child.stdout.on('data', (d) => {
      stdout += d;
      if (!sent && stdout.includes('ready\n')) {
        sent = true;
        signals.forEach((s, i) => setTimeout(() => child.kill(s), 200 + 300 * i));
      }
    });
    child.stderr.on('data', (d) => (stderr += d));
    const guard = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(guard);
      // no guest may outlive the sandbox: its sleep must be gone too
      const left = spawnSync('pgrep', ['-af', `^sleep ${args.at(-1)!.match(/sleep (\d+)/)![1]}$`], { encoding: 'utf8' }).stdout;
      resolve({ status, stdout, stderr: stderr + (left ? `left running: ${left}` : ''), ms: Date.now() - started });
    });
  });
}

test('SIGTERM to starry-sandbox reaches the guest, which may handle it', async (t) => {
  const r = await signalled(['--', 'sh', '-c', 'trap "echo got TERM; exit 3" TERM; echo ready; sleep 1021 & wait'], ['SIGTERM']);
  t.is(r.stdout, 'ready\ngot TERM\n');
  t.is(r.status, 3, r.stderr);
  t.is(r.stderr, '');
});

test('a guest that ignores SIGTERM is ended after --stop-timeout, and the sandbox says so', async (t) => {
  const r = await signalled(['--stop-timeout', '1', '--', 'sh', '-c', 'trap "" TERM; echo ready; sleep 1022'], ['SIGTERM']);
  t.is(r.status, 137);
  t.regex(r.stderr, /starry-sandbox: the guest still running 1 s after SIGTERM: ended every guest process \(2 processes\)/);
  t.true(r.ms < 30_000, `took ${r.ms} ms`);
  t.notRegex(r.stderr, /left running/);
});

test('a second signal to starry-sandbox ends a guest that ignores the first at once', async (t) => {
  const r = await signalled(['--', 'sh', '-c', 'trap "" TERM HUP; echo ready; sleep 1023'], ['SIGTERM', 'SIGHUP']);
  t.is(r.status, 137);
  // (a busy event loop may take both at once, and then in signal-number order)
  t.regex(r.stderr, /starry-sandbox: a second signal \((SIGHUP after SIGTERM|SIGTERM after SIGHUP)\): ended every guest process/);
  t.notRegex(r.stderr, /left running/);
});

test("an orphaned guest is adopted by starry-sandbox, not the host's init, and reaped when it exits", async (t) => {
  const child = spawn(process.execPath, [CLI, '--cwd', ROOT, '--', 'sh', '-c', '(sh -c "echo \\$\\$; sleep 1; exit 0" &); sleep 2; echo done'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const first = new Promise<number>((resolve) => child.stdout.on('data', (d) => {
    out += d;
    if (out.includes('\n')) resolve(Number(out.split('\n')[0]));
  }));
  const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
  const orphan = await first;
  await new Promise((r) => setTimeout(r, 300)); // its parent, the subshell, has exited by now
  const stat = readFileSync(`/proc/${orphan}/stat`, 'utf8');
  t.is(Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]), child.pid!, 'the orphan\'s host parent');
  t.is(await closed, 0);
  t.is(out.split('\n')[1], 'done');
  t.false(existsSync(`/proc/${orphan}`), 'the orphan was reaped');
});
