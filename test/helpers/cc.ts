// The C test programs of test/programs, built on demand by the c-tests image recipe
// (sandbox-images/images.mjs; `npm run images` builds them all) into sandbox-images/out/c-tests,
// inside the working directory, so the sandbox sees them at the same path.
import { join } from 'node:path';
import { ROOT } from './sandbox.js';

const images = (await import(join(ROOT, 'sandbox-images', 'images.mjs'))) as typeof import('../../sandbox-images/images.mjs');

export const PROGRAMS = join(ROOT, 'test', 'programs');

export function programNames(): string[] {
  return images.cTestNames();
}

/** Path of the compiled program (static when static is true), compiling it if it is stale. */
export function compiled(name: string, isStatic = false): string {
  return images.compileCTest(name, isStatic);
}
