// Compiles the C test programs of test/programs at test time, once, into .cache/c-tests
// (inside the working directory, so the sandbox sees them at the same path).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './sandbox.js';

export const PROGRAMS = join(ROOT, 'test', 'programs');
export const BIN = join(ROOT, '.cache', 'c-tests');

export function programNames(): string[] {
  return readdirSync(PROGRAMS)
    .filter((f) => f.endsWith('.c'))
    .map((f) => f.slice(0, -2))
    .sort();
}

/** Path of the compiled program (static when static is true), compiling it if it is stale. */
export function compiled(name: string, isStatic = false): string {
  mkdirSync(BIN, { recursive: true });
  const src = join(PROGRAMS, `${name}.c`);
  const out = join(BIN, isStatic ? `${name}.static` : name);
  const newest = Math.max(statSync(src).mtimeMs, statSync(join(PROGRAMS, 'common.h')).mtimeMs);
  if (!existsSync(out) || statSync(out).mtimeMs < newest) {
    const tmp = `${out}.${process.pid}.tmp`;
    execFileSync('cc', ['-O1', '-Wall', ...(isStatic ? ['-static'] : []), '-o', tmp, src, '-pthread'], { stdio: 'pipe' });
    execFileSync('mv', ['-f', tmp, out]);
  }
  return out;
}
