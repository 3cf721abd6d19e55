// The differential corpus: each C program under test/programs runs natively and in the
// sandbox, dynamically and statically linked; stdout and exit status must match byte for byte.
import test from 'ava';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { both, ROOT } from '../helpers/sandbox.js';
import { compiled, programNames } from '../helpers/cc.js';

const work = join(ROOT, '.cache', 'differential');
mkdirSync(work, { recursive: true });

const skip = new Set(['view_probe', 'unknown_syscall', 'net_ifaces', 'net_peer']); // helpers for other tests, not comparisons

for (const name of programNames().filter((n) => !skip.has(n))) {
  for (const isStatic of [false, true]) {
    test(`${name} (${isStatic ? 'static' : 'dynamic'}) matches native`, (t) => {
      const prog = compiled(name, isStatic);
      const dir = join(work, `${name}${isStatic ? '-static' : ''}`);
      mkdirSync(dir, { recursive: true });
      const { native, sandboxed } = both([prog], { cwd: dir });
      t.is(native.status, 0, `native run of ${name} failed: ${native.stderr}`);
      t.is(sandboxed.stdout, native.stdout);
      t.is(sandboxed.status, native.status, sandboxed.stderr);
    });
  }
}
