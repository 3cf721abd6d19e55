#!/usr/bin/env node
// Sandbox versus native, measured in one run: prints each workload's native time, sandbox time
// and their ratio. Usage: npm run bench [-- --quick]
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const quick = process.argv.includes('--quick');
const cli = join(root, 'bin', 'starry-sandbox.js');
const out = join(root, '.cache', 'bench');
mkdirSync(out, { recursive: true });
const loop = join(out, 'syscall_loop');
execFileSync('cc', ['-O2', '-pthread', '-o', loop, join(root, 'benchmarks', 'syscall_loop.c')]);
const tcp = join(out, 'tcp_loop');
execFileSync('cc', ['-O2', '-o', tcp, join(root, 'benchmarks', 'tcp_loop.c')]);

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

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

const runs = quick ? 1 : 5;
const n = quick ? 20000 : 200000;
const rows = [];
/** The ratio is always "how many times slower": a throughput's is native over sandbox. */
function bench(name, unit, f, higherIsBetter = false) {
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
bench('TCP loopback ping-pong, 64 B, two processes', 'ns/round', (s) => perCall([tcp, 'pingpong', String(n / 20)], s));
bench('TCP loopback stream, 64 KiB writes', 'MB/s', (s) => perCall([tcp, 'stream', String(quick ? 64 : 512)], s), true);
bench('shell: find /usr -type f | wc -l', 'ms', (s) => wall(['/bin/sh', '-c', 'find /usr -type f | wc -l'], s));
bench('startup: /bin/true', 'ms', (s) => wall(['/bin/true'], s));

const widths = [0, 1, 2, 3].map((i) => Math.max(...rows.map((r) => r[i].length), ['workload', 'native', 'sandbox', 'ratio'][i].length));
const line = (r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
console.log(line(['workload', 'native', 'sandbox', 'ratio']));
for (const r of rows) console.log(line(r));
console.log(`(median of ${runs} runs each, ${n} iterations for the loops)`);
