// --overlay writes nowhere but its upper directory: a guest follows symlinks of the lower tree
// that point out of it (absolute, relative, up the tree), climbs with "..", goes through
// /proc/self/root and /proc/self/fd, renames and links lower files elsewhere; the lower tree and
// the host around it stay exactly as they were.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sandbox, ROOT } from '../helpers/sandbox.js';

/** Every entry below dir with its type, mode, size, mtime and contents or target. */
function snapshot(dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string): void => {
    const p = join(dir, rel);
    const st = lstatSync(p);
    const what = st.isSymbolicLink() ? readlinkSync(p) : st.isFile() ? createHash('sha256').update(readFileSync(p)).digest('hex') : '';
    out.push(`${rel} ${st.mode.toString(8)} ${st.size} ${st.mtimeMs} ${what}`);
    if (st.isDirectory()) for (const name of readdirSync(p).sort()) walk(rel ? `${rel}/${name}` : name);
  };
  walk('');
  return out;
}

test('no overlay operation writes outside the upper directory', async (t) => {
  const { ensureImage } = (await import(join(ROOT, 'sandbox-images', 'images.mjs'))) as { ensureImage(name: string): Promise<string> };
  const base = mkdtempSync(join(tmpdir(), 'starry-overlay-escape-'));
  try {
    const lower = join(base, 'lower');
    const upper = join(base, 'upper');
    const outside = join(base, 'outside');
    mkdirSync(outside);
    writeFileSync(join(outside, 'target'), 'outside\n');
    execFileSync('cp', ['-a', await ensureImage('busybox'), lower]);
    mkdirSync(join(lower, 'w', 'dir'), { recursive: true });
    writeFileSync(join(lower, 'w', 'file'), 'lower file\n');
    writeFileSync(join(lower, 'w', 'dir', 'f'), 'in dir\n');
    symlinkSync(outside, join(lower, 'w', 'out_abs'));
    symlinkSync('../'.repeat(12) + outside.slice(1), join(lower, 'w', 'out_rel'));
    symlinkSync(join(outside, 'target'), join(lower, 'w', 'out_file'));
    symlinkSync('../..', join(lower, 'w', 'up'));
    mkdirSync(upper);
    const script = [
      'cd /w',
      'echo x > out_abs/pwned1',
      'echo x > out_rel/pwned2',
      'echo x >> out_file',
      'mkdir -p out_abs/d1 up/up/up/d2',
      'echo x > up/up/up/pwned3',
      'echo x > /../../../pwned4',
      'ln file out_abs/hard',
      'ln -s /etc/passwd out_rel/soft',
      'mv file out_abs/moved',
      'mv file /tmp/moved',
      'mv dir /tmp/dir',
      'touch out_abs; chmod 777 out_abs out_file',
      'echo x > /proc/self/root/../../pwned5',
      'exec 3</w; echo x > /proc/self/fd/3/../../pwned6',
      'cd /; cd ..; cd ..; echo x > pwned7',
      `echo x > ${join(upper, 'pwned8')}`,
      `mkdir -p ${join(base, 'made')}`,
      'ls /w',
    ].map((l) => `${l} 2>/dev/null`).join('\n');
    const beforeLower = snapshot(lower);
    const beforeOutside = snapshot(outside);
    const r = sandbox(['--root', lower, '--overlay', upper, '--', '/bin/sh', '-c', script]);
    t.is(r.status, 0, r.stderr);
    t.is(r.stdout, 'out_abs\nout_file\nout_rel\nup\n', 'file and dir left the view, the links stay');
    t.deepEqual(snapshot(lower), beforeLower, 'the lower tree is unchanged');
    t.deepEqual(snapshot(outside), beforeOutside, 'the directory outside is unchanged');
    t.deepEqual(readdirSync(base).sort(), ['lower', 'outside', 'upper'], 'nothing new beside the layers');
    // what the guest wrote at its root ("..", /proc/self/root/.., fd/3/../..) is in the upper layer
    for (const name of ['pwned4', 'pwned5', 'pwned6', 'pwned7']) t.is(readFileSync(join(upper, name), 'latin1').length > 0, true, name);
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});
