// The boundary holds: a guest under --root with one writable volume tries every route it knows
// to a host file outside its view and to host processes (test/security/programs), a fork
// bomb stops at --pids-max, and a guest asking for more than the kernel gives gets Linux's
// answers while starry-sandbox stays within a memory bound.
import test from 'ava';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, copyFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { sandbox, native, CLI, ROOT } from '../helpers/sandbox.js';

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

/** Run the CLI on args, sampling its resident memory; its stdout and the largest VmRSS (KiB). */
function sampled(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string; maxRssKiB: number }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, '--cwd', ROOT, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let maxRssKiB = 0;
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const sample = setInterval(() => {
      try {
        const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        if (m) maxRssKiB = Math.max(maxRssKiB, Number(m[1]));
      } catch {
        /* gone */
      }
    }, 20);
    const guard = setTimeout(() => child.kill('SIGKILL'), 110_000);
    child.on('close', (status) => {
      clearInterval(sample);
      clearTimeout(guard);
      resolve({ status, stdout, stderr, maxRssKiB });
    });
  });
}

test('a guest asking for terabytes, 1025 iovecs, every descriptor and an epoll watch on each gets what Linux gives, and starry-sandbox stays under 512 MiB', async (t) => {
  const prog = build('exhaust');
  const want = native([prog]);
  t.is(want.status, 0, want.stderr);
  const r = await sampled(['--', prog]);
  t.is(r.status, 0, r.stderr);
  t.is(r.stdout, want.stdout);
  t.true(r.maxRssKiB > 0, 'the sandbox memory was sampled');
  t.log(`starry-sandbox's largest resident size: ${Math.round(r.maxRssKiB / 1024)} MiB`);
  t.true(r.maxRssKiB < 512 * 1024, `starry-sandbox used ${Math.round(r.maxRssKiB / 1024)} MiB`);
});
