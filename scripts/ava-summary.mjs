// Runs ava with TAP output and ends with one line "ava: N passed, N failed, N skipped" that CI
// can read (ava's own summary is not recognised). Exit status is ava's.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

const child = spawn(process.execPath, ['node_modules/ava/entrypoints/cli.mjs', '--tap', ...process.argv.slice(2)], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
let passed = 0;
let failed = 0;
let skipped = 0;
for await (const line of createInterface({ input: child.stdout })) {
  process.stdout.write(line + '\n');
  const m = /^(not )?ok \d+\b(.*)$/.exec(line);
  if (!m) continue;
  if (/#\s*(SKIP|TODO)\b/i.test(m[2])) skipped++;
  else if (m[1]) failed++;
  else passed++;
}
const code = await new Promise((resolve) => child.on('close', (c) => resolve(c ?? 1)));
if (code !== 0 && failed === 0) {
  // ava itself failed (a crash, a timeout, a file that would not load): never report green
  console.log(`ava exited with status ${code} without reporting a failed test`);
  failed = 1;
}
console.log(`ava: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(code === 0 && failed > 0 ? 1 : code);
