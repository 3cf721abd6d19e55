#!/usr/bin/env node
// The syscall mix of a Dora run: runs the dora image's `dora run` scenario in the sandbox with
// --profile and prints, per syscall the kernel saw, the calls, how many it let the host run,
// and the kernel time, the most time first. Usage: node benchmarks/profile.mjs [TOP]
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const top = Number(process.argv[2] ?? 25);
const out = join(root, '.cache', 'bench');
mkdirSync(out, { recursive: true });
const { ensureImage } = await import(join(root, 'sandbox-images', 'images.mjs'));
await ensureImage('dora');
const file = join(out, 'dora-profile.json');
const t0 = Date.now();
const r = spawnSync(process.execPath, [join(root, 'bin', 'starry-sandbox.js'), '--profile', file, '--', 'sh', join(root, 'sandbox-images', 'dora', 'smoke.sh'), 'run'], { encoding: 'utf8', cwd: root });
if (!/PASS run/.test(r.stdout)) throw new Error(`the dora run failed:\n${r.stdout}\n${r.stderr}`);
const rows = JSON.parse(readFileSync(file, 'utf8'));
const total = rows.reduce((a, x) => a + x.ms, 0);
const calls = rows.reduce((a, x) => a + x.calls, 0);
console.log(`dora run in the sandbox: ${((Date.now() - t0) / 1000).toFixed(1)} s wall, ${calls} syscalls reached the kernel, ${total.toFixed(0)} ms in it`);
console.log('syscall'.padEnd(20) + 'calls'.padStart(9) + 'to host'.padStart(9) + 'kernel ms'.padStart(11) + 'us/call'.padStart(9));
for (const x of rows.slice(0, top)) {
  console.log(x.syscall.padEnd(20) + String(x.calls).padStart(9) + String(x.continued).padStart(9) + x.ms.toFixed(1).padStart(11) + ((x.ms * 1000) / x.calls).toFixed(1).padStart(9));
}
