#!/usr/bin/env node
// Sandbox versus native, measured in one run: prints each workload's native time, sandbox time
// and their ratio. Usage: npm run bench [-- --quick] [-- --only=WORD] (only the workloads whose
// name contains WORD, e.g. --only=ping-pong)
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const quick = process.argv.includes('--quick');
const only = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length);
const wanted = (name) => only === undefined || name.includes(only);
const cli = join(root, 'bin', 'starry-sandbox.js');
const out = join(root, '.cache', 'bench');
mkdirSync(out, { recursive: true });
const loop = join(out, 'syscall_loop');
execFileSync('cc', ['-O2', '-pthread', '-o', loop, join(root, 'benchmarks', 'syscall_loop.c')]);
const tcp = join(out, 'tcp_loop');
execFileSync('cc', ['-O2', '-o', tcp, join(root, 'benchmarks', 'tcp_loop.c')]);
const load = join(out, 'echo_load');
execFileSync('cc', ['-O2', '-pthread', '-o', load, join(root, 'benchmarks', 'echo_load.c')]);
const { ensureImage } = await import(join(root, 'sandbox-images', 'images.mjs'));

function perCall(argv, sandboxed) {
  const cmd = sandboxed ? [process.execPath, cli, '--', ...argv] : argv;
  const r = spawnSync(cmd[0], cmd.slice(1), { encoding: 'utf8', cwd: root });
  if (r.status !== 0) throw new Error(`${cmd.join(' ')} failed: ${r.stderr}`);
  return Number(r.stdout.trim());
}

function wall(argv, sandboxed) {
  const cmd = sandboxed ? [process.execPath, cli, '--', ...argv] : argv;
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd[0], cmd.slice(1), { encoding: 'utf8', cwd: root, maxBuffer: 1 << 26 });
  const t1 = process.hrtime.bigint();
  if (r.status !== 0) throw new Error(`${cmd.join(' ')} failed: ${r.stderr}`);
  return Number(t1 - t0) / 1e6;
}

/** Tokio's echo-tcp under 8 clients for a while: [rps, p50 us, p99 us]. */
function echo(tokio, sandboxed) {
  const argv = ['/bin/sh', join(root, 'benchmarks', 'echo_bench.sh'), join(tokio, 'echo-tcp'), load, '8', quick ? '1' : '3'];
  const cmd = sandboxed ? [process.execPath, cli, '--', ...argv] : argv;
  const r = spawnSync(cmd[0], cmd.slice(1), { encoding: 'utf8', cwd: root });
  const f = r.stdout.trim().split(/\s+/).map(Number);
  if (r.status !== 0 || f.length !== 3 || f.some((x) => !Number.isFinite(x))) throw new Error(`echo benchmark failed: ${r.stdout} ${r.stderr}`);
  return f;
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

const runs = quick ? 1 : 5;
const n = quick ? 20000 : 200000;
const rows = [];
/** The ratio is always "how many times slower": a throughput's is native over sandbox. */
function bench(name, unit, f, higherIsBetter = false) {
  if (!wanted(name)) return;
  const nat = median(Array.from({ length: runs }, () => f(false)));
  const sb = median(Array.from({ length: runs }, () => f(true)));
  const ratio = higherIsBetter ? nat / sb : sb / nat;
  rows.push([name, `${nat.toFixed(1)} ${unit}`, `${sb.toFixed(1)} ${unit}`, `${ratio.toFixed(1)}x`]);
}

bench('emulated syscall: fcntl(1, F_GETFD)', 'ns/call', (s) => perCall([loop, 'emulated', String(n)], s));
bench('emulated pair: close(dup(1))', 'ns/pair', (s) => perCall([loop, 'dupclose', String(n / 2)], s));
bench('pipe write+read of 1 byte', 'ns/pair', (s) => perCall([loop, 'pipe', String(n / 4)], s));
bench('natively allowed syscall: getpid', 'ns/call', (s) => perCall([loop, 'native', String(n * 5)], s));
bench('futex ping-pong, two threads', 'ns/round', (s) => perCall([loop, 'futex', String(n / 4)], s));
bench('eventfd ping-pong, two processes', 'ns/round', (s) => perCall([loop, 'eventfd', String(n / 10)], s));
bench('eventfd ping-pong, two threads', 'ns/round', (s) => perCall([loop, 'eventfd-threads', String(n / 10)], s));
bench('eventfd ping-pong through epoll_wait, two threads', 'ns/round', (s) => perCall([loop, 'epoll', String(n / 20)], s));
bench('TCP loopback ping-pong, 64 B, two processes', 'ns/round', (s) => perCall([tcp, 'pingpong', String(n / 20)], s));
bench('TCP loopback stream, 64 KiB writes', 'MB/s', (s) => perCall([tcp, 'stream', String(quick ? 64 : 512)], s), true);
if (wanted('tokio echo-tcp')) {
  const tokio = await ensureImage('tokio');
  const runsE = quick ? 1 : 3;
  const pick = (sb, i) => median(Array.from({ length: runsE }, () => echo(tokio, sb)[i]));
  const nat = [0, 1, 2].map((i) => pick(false, i));
  const sb = [0, 1, 2].map((i) => pick(true, i));
  rows.push(['tokio echo-tcp, 8 clients: requests/s', `${nat[0].toFixed(0)} rps`, `${sb[0].toFixed(0)} rps`, `${(nat[0] / sb[0]).toFixed(1)}x`]);
  rows.push(['tokio echo-tcp, 8 clients: p50 latency', `${nat[1].toFixed(0)} us`, `${sb[1].toFixed(0)} us`, `${(sb[1] / nat[1]).toFixed(1)}x`]);
  rows.push(['tokio echo-tcp, 8 clients: p99 latency', `${nat[2].toFixed(0)} us`, `${sb[2].toFixed(0)} us`, `${(sb[2] / nat[2]).toFixed(1)}x`]);
}
if (wanted('dora sender->sink latency')) {
  // Dora's latency pattern (benchmarks/dora-latency): per-size median latency, sender to sink
  const dora = await ensureImage('dora');
  const flow = join(out, 'dora-latency');
  mkdirSync(flow, { recursive: true });
  for (const f of ['dataflow.yml', 'sender.py', 'sink.py']) copyFileSync(join(root, 'benchmarks', 'dora-latency', f), join(flow, f));
  const env = { ...process.env, PATH: `${join(dora, 'venv', 'bin')}:${process.env.PATH}`, VIRTUAL_ENV: join(dora, 'venv'), HOME: join(out, 'dora-home') };
  const latencies = (sandboxed) => {
    const argv = ['dora', 'run', 'dataflow.yml'];
    const cmd = sandboxed ? [process.execPath, cli, '--', ...argv] : argv;
    const r = spawnSync(cmd[0], cmd.slice(1), { encoding: 'utf8', cwd: flow, env, timeout: 300_000 });
    const found = new Map([...(r.stdout + r.stderr).matchAll(/latency (\d+) (\d+)/g)].map((m) => [Number(m[1]), Number(m[2])]));
    if (found.size !== 5) throw new Error(`dora latency run failed: ${r.stdout.slice(-2000)} ${r.stderr.slice(-2000)}`);
    return found;
  };
  const runsD = quick ? 1 : 3;
  const nat = Array.from({ length: runsD }, () => latencies(false));
  const sb = Array.from({ length: runsD }, () => latencies(true));
  for (const size of [8, 4096, 65536, 1 << 20, 4 << 20]) {
    const n = median(nat.map((m) => m.get(size)));
    const x = median(sb.map((m) => m.get(size)));
    const label = size >= 1 << 20 ? `${size >> 20} MiB` : size >= 1024 ? `${size >> 10} KiB` : `${size} B`;
    rows.push([`dora sender->sink latency, ${label}`, `${n} us`, `${x} us`, `${(x / n).toFixed(1)}x`]);
  }
}
bench('process start: sh -c true', 'ms', (s) => wall(['/bin/sh', '-c', 'true'], s));
bench('process start: python3 -c pass', 'ms', (s) => wall(['python3', '-c', 'pass'], s));
bench('shell: find /usr -type f | wc -l', 'ms', (s) => wall(['/bin/sh', '-c', 'find /usr -type f | wc -l'], s));
bench('startup: /bin/true', 'ms', (s) => wall(['/bin/true'], s));

const widths = [0, 1, 2, 3].map((i) => Math.max(...rows.map((r) => r[i].length), ['workload', 'native', 'sandbox', 'ratio'][i].length));
const line = (r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
console.log(line(['workload', 'native', 'sandbox', 'ratio']));
for (const r of rows) console.log(line(r));
console.log(`(median of ${runs} runs each, ${n} iterations for the loops)`);
