// The boundary holds: a guest under --root with one writable volume tries every route it knows
// to a host file outside its view and to host processes (test/security/programs), and a fork
// bomb stops at --pids-max.
import test from 'ava';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, copyFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { sandbox, ROOT } from '../helpers/sandbox.js';

const SRC = join(ROOT, 'test', 'security', 'programs');
const OUT = join(ROOT, '.cache', 'security');

function build(name: string): string {
  mkdirSync(OUT, { recursive: true });
  const out = join(OUT, name);
  execFileSync('cc', ['-O1', '-static', '-pthread', '-o', out, join(SRC, `${name}.c`)]);
  return out;
}

test('no route leads from the view to a host file outside it or to a host process', async (t) => {
  const base = join(OUT, `escape-${process.pid}`);
  const image = join(base, 'root');
  const volume = join(base, 'work');
  const secretDir = join(base, 'secret');
  for (const d of [join(image, 'bin'), join(image, 'proc'), join(image, 'work'), volume, secretDir]) mkdirSync(d, { recursive: true });
  const secret = join(secretDir, 'secret.txt');
  writeFileSync(secret, 'TOP SECRET\n');
  copyFileSync(build('escape'), join(image, 'bin', 'escape'));
  // a host service listening on a unix socket inside the volume
  const sock = join(volume, 'host.sock');
  if (existsSync(sock)) rmSync(sock);
  const srv = createServer((c) => c.end('host service\n'));
  await new Promise<void>((r) => srv.listen(sock, r));
  try {
    const r = sandbox(['--root', image, '-v', `${volume}:/work`, '--', '/bin/escape', secret, String(process.pid)]);
    t.is(r.status, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    t.is(lines.length, 21, r.stdout);
    t.deepEqual(
      lines.filter((l) => !l.startsWith('blocked ')),
      [],
      r.stdout,
    );
  } finally {
    srv.close();
    rmSync(base, { recursive: true, force: true });
  }
});

test('a fork bomb stops at --pids-max with EAGAIN', (t) => {
  const bomb = build('fork_bomb');
  const r = sandbox(['--pids-max', '40', '--', bomb], { timeoutMs: 90_000 });
  t.is(r.status, 0, r.stderr);
  const m = /^forked (\d+), then (.*)$/m.exec(r.stdout);
  t.truthy(m, r.stdout);
  t.is(m![2], 'Resource temporarily unavailable');
  t.true(Number(m![1]) >= 30 && Number(m![1]) < 40, `forked ${m![1]}`);
});

test('an exec whose path another thread rewrites never runs a program from outside the view', (t) => {
  // The host's /tmp is outside the default view (the guest has a private /tmp); /bin/true is
  // the same file in both, so the exec of it runs as named and the host reads the path itself.
  const outsideDir = mkdtempSync(join(tmpdir(), 'starry-race-'));
  copyFileSync(build('escaped'), join(outsideDir, 'escaped'));
  try {
    const r = sandbox(['--', build('exec_race'), '/bin/true', join(outsideDir, 'escaped'), '300'], { timeoutMs: 110_000 });
    t.is(r.status, 0, r.stderr);
    t.false(r.stdout.includes('ESCAPED'), r.stdout);
    t.regex(r.stdout, /done/);
  } finally {
    rmSync(outsideDir, { recursive: true, force: true });
  }
});
