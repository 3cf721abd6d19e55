// Random syscall programs on the in-memory machine: whatever a guest passes, the kernel answers
// with a result or an errno and never fails inside (no "kernel bug" log line, no exception).
import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { Guest } from '../helpers/memory-machine.js';
import { SYSCALL_TABLE } from '../../src/kernel/syscalls/table.js';
import { SYSCALL_NAMES } from '../../src/kernel/abi/sysnames.js';

/** A small deterministic PRNG (mulberry32) so a failure can be replayed from its seed. */
function rng(seed: number): () => number {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Calls whose real effect would reach past the test (signals to real pids are only recorded by
// the in-memory machine, so nothing is excluded for safety; these just never return).
const SKIP = new Set<string>([]);

test('random syscalls never make the kernel fail', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'starry-fuzz-'));
  try {
    for (const seed of [1, 2, 3, 4, 5]) {
      const g = new Guest([{ guest: '/', host: '/', readOnly: true }, { guest: dir, host: dir, readOnly: false }], dir);
      const r = rng(seed);
      const names = SYSCALL_TABLE.map((h, nr) => (h ? SYSCALL_NAMES[nr] : undefined)).filter((n): n is string => !!n && !SKIP.has(n));
      const paths = ['/', '/etc/hostname', dir, `${dir}/f`, `${dir}/d`, 'f', 'd/../f', '', '..', '/proc/self/fd/3', 'x/'].map((p) => g.str(p));
      const bufs = Array.from({ length: 8 }, () => g.alloc(4096));
      const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)];
      const arg = (): number => {
        switch (Math.floor(r() * 8)) {
          case 0: return Math.floor(r() * 8) - 1; // small ints and -1
          case 1: return pick(paths);
          case 2: return pick(bufs);
          case 3: return Math.floor(r() * 2 ** 32);
          case 4: return -100; // AT_FDCWD
          case 5: return 1; // a bad pointer
          case 6: return Math.floor(r() * 0o7777);
          default: return Math.floor(r() * 64);
        }
      };
      for (let i = 0; i < 4000; i++) {
        const name = pick(names);
        g.start(name, arg(), arg(), arg(), arg(), arg(), arg());
      }
      g.kernel.shutdown();
      const bugs = g.log.lines.filter((l) => l.level === 'error');
      t.deepEqual(bugs, [], `seed ${seed}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
