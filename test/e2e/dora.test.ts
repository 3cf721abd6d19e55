// Issue 7's Dora half: our dataflow (sandbox-images/dora: Python sender -> Python transform ->
// Rust transform -> Python sink, and a Rust sink) under the real Dora CLI from PyPI, with
// `dora run` and with `dora up` + `dora start --attach` + `dora down`, inside one sandbox; the
// sinks verify every message. Natively first, so a broken image says so rather than the sandbox.
import test from 'ava';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { sandbox, native, ROOT, CLI } from '../helpers/sandbox.js';

const SMOKE = join(ROOT, 'sandbox-images', 'dora', 'smoke.sh');
const work = join(ROOT, '.cache', 'e2e-dora');
mkdirSync(work, { recursive: true });

const verdicts = (out: string): string[] =>
  out
    .split('\n')
    .filter((l) => /^(PASS|FAIL) /.test(l))
    .map((l) => l.replace(/ \(.*$/, ''));

test.serial('a Dora dataflow runs under dora run and under dora up/start/down, as natively', async (t) => {
  t.timeout(30 * 60_000, 'building the dora image and running its dataflow four times');
  const { ensureImage } = (await import(join(ROOT, 'sandbox-images', 'images.mjs'))) as { ensureImage(name: string): Promise<string> };
  await ensureImage('dora');
  const env = { ...process.env, SMOKE_TIMEOUT: '120' };
  const host = native(['sh', SMOKE], { cwd: work, env, timeoutMs: 600_000 });
  t.deepEqual(verdicts(host.stdout), ['PASS run', 'PASS up'], `native smoke run failed:\n${host.stdout}\n${host.stderr}`);
  const guest = sandbox(['--cwd', work, '--', 'sh', SMOKE], { cwd: ROOT, env, timeoutMs: 600_000 });
  t.deepEqual(verdicts(guest.stdout), ['PASS run', 'PASS up'], `sandboxed smoke run:\n${guest.stdout}\n${guest.stderr}`);
  t.is(guest.status, 0);
});

test.serial('--strace on a Dora run writes a trace in strace format naming the calls Dora makes', async (t) => {
  t.timeout(30 * 60_000, 'building the dora image and running its dataflow');
  const { ensureImage } = (await import(join(ROOT, 'sandbox-images', 'images.mjs'))) as { ensureImage(name: string): Promise<string> };
  await ensureImage('dora');
  const file = join(work, `strace-${process.pid}.txt`);
  const r = sandbox([`--strace=${file}`, '--cwd', work, '--', 'sh', SMOKE, 'run'], { cwd: ROOT, env: { ...process.env, SMOKE_TIMEOUT: '120' }, timeoutMs: 600_000 });
  t.deepEqual(verdicts(r.stdout), ['PASS run'], `${r.stdout}\n${r.stderr}`);
  const lines = readFileSync(file, 'utf8').split('\n').filter((l) => l !== '');
  rmSync(file, { force: true });
  // NAME(args) = result, <unfinished ...>, <... NAME resumed>, and the kernel's exec/exit lines
  const shape = /^(\[pid \d+\] )?([a-z_0-9]+\(.*\) = .+|[a-z_0-9]+\(.*<unfinished \.\.\.>|<\.\.\. [a-z_0-9]+ resumed>.*|\+\+\+ .* \+\+\+|--- .* ---|[a-z_0-9]+\(.*\) = \? .*)$/;
  const odd = lines.filter((l) => !shape.test(l));
  t.true(odd.length <= lines.length / 1000, `lines not in strace's format:\n${odd.slice(0, 10).join('\n')}`);
  const names = new Set(lines.map((l) => /^(?:\[pid \d+\] )?(?:<\.\.\. )?([a-z_0-9]+)/.exec(l)?.[1]));
  for (const n of ['clone3', 'futex', 'epoll_wait', 'socket', 'connect', 'accept4', 'execve']) t.true(names.has(n), `the trace names ${n}`);
});

/** Host processes whose tracer is a thread of the kernel process kpid: that sandbox's guests. */
function guestsOf(kpid: number): Map<number, string> {
  const out = new Map<number, string>();
  let tracers: Set<string>;
  try {
    tracers = new Set(readdirSync(`/proc/${kpid}/task`));
  } catch {
    return out;
  }
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      const tracer = /^TracerPid:\s*(\d+)/m.exec(readFileSync(`/proc/${p}/status`, 'latin1'))?.[1];
      if (tracer && tracers.has(tracer)) out.set(Number(p), readFileSync(`/proc/${p}/cmdline`, 'latin1').replace(/\0/g, ' ').trim());
    } catch {
      /* gone meanwhile */
    }
  }
  return out;
}

/** Live (not zombie) host processes whose working directory or command line is under dir. */
function processesIn(dir: string): string[] {
  const out: string[] = [];
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p) || Number(p) === process.pid) continue;
    try {
      if (/^\S+ \(.*\) [ZX]/s.test(readFileSync(`/proc/${p}/stat`, 'latin1'))) continue;
      const cmd = readFileSync(`/proc/${p}/cmdline`, 'latin1').replace(/\0/g, ' ');
      if (cmd.includes(dir) || readlinkSync(`/proc/${p}/cwd`).startsWith(dir)) out.push(`${p} ${cmd}`);
    } catch {
      /* gone meanwhile, or not ours to look at */
    }
  }
  return out;
}

const ppid = (pid: number): number => Number(/^\S+ \(.*\) \S (\d+)/s.exec(readFileSync(`/proc/${pid}/stat`, 'latin1'))?.[1] ?? 0);
const comm = (pid: number): string => readFileSync(`/proc/${pid}/comm`, 'latin1').trim();

const alive = (pid: number): boolean => {
  try {
    return !/^\S+ \(.*\) [ZX]/s.test(readFileSync(`/proc/${pid}/stat`, 'latin1'));
  } catch {
    return false;
  }
};

async function until(what: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (!what()) {
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
  return true;
}

test.serial('the two-terminal flow: --name runs dora up, --join runs dora start --attach, list and down; stop ends it all', async (t) => {
  t.timeout(30 * 60_000, 'building the dora image and running its dataflow');
  const { ensureImage } = (await import(join(ROOT, 'sandbox-images', 'images.mjs'))) as { ensureImage(name: string): Promise<string> };
  const image = await ensureImage('dora');
  const name = `dora-e2e-${process.pid}`;
  const dir = join(work, name);
  const flow = join(dir, 'flow');
  const runtime = mkdtempSync(join(tmpdir(), 'starry-dora-named-'));
  const messages = 200; // 4 s at the sender's 20 ms: long enough for `dora list` to see it running
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    STARRY_SANDBOX_RUNTIME_DIR: runtime,
    VIRTUAL_ENV: join(image, 'venv'),
    PATH: `${join(image, 'venv', 'bin')}:${process.env.PATH ?? ''}`,
    HOME: join(dir, 'home'), // dora keeps ~/.dora (the coordinator's store) there
    NO_COLOR: '1',
    DORA_ZENOH_CONFIG_OVERLAY: join(dir, 'zenoh-overlay.json5'),
    DORA_COORDINATOR_PORT: String(30000 + (process.pid % 10000)), // apart from smoke.sh's 20000..29999
    DORA_SMOKE_MESSAGES: String(messages),
  };
  delete env.PYTHONHOME;
  delete env.PYTHONPATH;
  const cli = (args: string[], timeoutMs = 120_000) => sandbox(args, { cwd: ROOT, env, timeoutMs });
  const join_ = (argv: string[], timeoutMs?: number) => cli(['--join', name, '--cwd', flow, '--', ...argv], timeoutMs);
  t.teardown(() => {
    cli(['stop', name], 30_000);
    rmSync(runtime, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  });
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(flow, 'bin'), { recursive: true });
  mkdirSync(env.HOME!, { recursive: true });
  const src = join(ROOT, 'sandbox-images', 'dora');
  cpSync(join(src, 'zenoh-overlay.json5'), env.DORA_ZENOH_CONFIG_OVERLAY!);
  cpSync(join(src, 'dataflow.yml'), join(flow, 'dataflow.yml'));
  cpSync(join(src, 'nodes'), join(flow, 'nodes'), { recursive: true });
  for (const b of ['rs-transform', 'rs-sink']) cpSync(join(image, 'bin', b), join(flow, 'bin', b));

  // Terminal 1: `dora up` returns once coordinator and daemon run; they stay, in the sandbox.
  const up = cli(['--name', name, '--cwd', flow, '--', 'dora', 'up']);
  t.is(up.status, 0, `dora up:\n${up.stdout}\n${up.stderr}`);
  t.regex(up.stdout, /started dora coordinator[\s\S]*started dora daemon/);
  const ls = cli(['ls'], 30_000);
  const row = ls.stdout.split('\n').find((l) => l.startsWith(`${name} `));
  t.truthy(row, `ls lists the sandbox:\n${ls.stdout}`);
  const kernel = Number(row?.split(/\s+/)[1]);
  t.regex(row ?? '', /dora up$/);
  const seen = guestsOf(kernel);
  const daemons = [...seen].filter(([, c]) => /coordinator|daemon/.test(c));
  t.true(daemons.length >= 2, `coordinator and daemon run in the sandbox after dora up returned:\n${[...seen.values()].join('\n')}`);
  // dora up, their parent, has exited: the sandbox's init adopted them, as a container's would
  for (const [pid, cmd] of daemons) t.is(comm(ppid(pid)), 'starry-init', `the parent of ${pid} ${cmd}`);

  // Terminal 2: dora start --attach, with its own output and status; `dora list` meanwhile.
  const attach = spawn(process.execPath, [CLI, '--join', name, '--cwd', flow, '--', 'dora', 'start', 'dataflow.yml', '--attach'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  attach.stdout.on('data', (d) => (out += d));
  attach.stderr.on('data', (d) => (out += d));
  const killer = setTimeout(() => attach.kill('SIGKILL'), 300_000);
  const attached = new Promise<number | null>((resolve) => attach.on('close', (code) => resolve(code)));
  let ended = false;
  void attached.then(() => (ended = true));
  let listed = '';
  let running = false;
  // (and every process the sandbox has meanwhile, to look for after stop)
  while (!ended) {
    if (!running) {
      const l = join_(['dora', 'list'], 30_000);
      listed = `${l.stdout}${l.stderr}`;
      running = /[0-9a-f]{8}-[0-9a-f]{4}-\S+\s+\S+\s+Running\b/.test(l.stdout);
    }
    for (const [pid, cmd] of guestsOf(kernel)) seen.set(pid, cmd);
    await new Promise((r) => setTimeout(r, 200));
  }
  const status = await attached;
  clearTimeout(killer);
  t.true(running, `dora list showed the dataflow running while it ran; it said:\n${listed}`);
  t.is(status, 0, `dora start --attach:\n${out.slice(-4000)}`);
  t.regex(out, new RegExp(`(^|[^-])sink: ${messages} messages in order, content ok`, 'm'));
  t.regex(out, new RegExp(`rs-sink: ${messages} messages in order, content ok`));
  t.true([...seen.values()].some((c) => c.includes('nodes/sink.py')), `the nodes ran in the sandbox:\n${[...seen.values()].join('\n')}`);

  // dora down, then stop: nothing of the sandbox is left, inside or outside.
  const down = join_(['dora', 'down']);
  // dora's own race (see smoke.sh): the coordinator may close the WebSocket before it answers
  t.true(down.status === 0 || /WS connection closed/.test(down.stderr), `dora down:\n${down.stdout}\n${down.stderr}`);
  const stop = cli(['stop', name], 30_000);
  t.is(stop.status, 0, stop.stderr);
  t.true(await until(() => !alive(kernel), 10_000), 'the kernel process ended');
  const left = [...seen.keys()].filter(alive);
  t.deepEqual(left.map((p) => `${p} ${seen.get(p)}`), [], 'every process the sandbox had is gone');
  t.true(await until(() => processesIn(dir).length === 0, 10_000), `nothing runs in ${dir}:\n${processesIn(dir).join('\n')}`);
  const after = cli(['ls'], 30_000);
  t.false(after.stdout.split('\n').some((l) => l.startsWith(`${name} `)), `ls no longer lists it:\n${after.stdout}`);
});
