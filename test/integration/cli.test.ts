import test from 'ava';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { sandbox, both, ROOT, CLI } from '../helpers/sandbox.js';

mkdirSync(join(ROOT, '.cache'), { recursive: true });

test('runs /bin/true and exits 0', (t) => {
  const r = sandbox(['--', '/bin/true']);
  t.is(r.status, 0);
  t.is(r.stdout, '');
});

test('the guest exit status is the sandbox exit status', (t) => {
  for (const code of [1, 3, 42, 255]) {
    const r = sandbox(['--', '/bin/sh', '-c', `exit ${code}`]);
    t.is(r.status, code, `exit ${code}`);
  }
});

test('death by signal N exits 128+N', (t) => {
  const r = sandbox(['--', '/bin/sh', '-c', 'kill -TERM $$']);
  t.is(r.status, 128 + 15);
  const k = sandbox(['--', '/bin/sh', '-c', 'kill -KILL $$']);
  t.is(k.status, 128 + 9);
});

test('a missing program says so and exits 127 like a shell', (t) => {
  const r = sandbox(['--', 'no-such-program-xyz']);
  t.is(r.status, 127);
  t.is(r.stderr, 'starry-sandbox: no-such-program-xyz: No such file or directory\n');
});

test('a bad flag shows usage and exits 2', (t) => {
  const r = sandbox(['--bogus', '--', '/bin/true']);
  t.is(r.status, 2);
  t.regex(r.stderr, /unknown option --bogus/);
  t.regex(r.stderr, /usage: starry-sandbox/);
});

test('--help and --version', (t) => {
  t.regex(sandbox(['--help']).stdout, /usage: starry-sandbox \[options\] -- PROGRAM/);
  t.regex(sandbox(['--version']).stdout, /^starry-sandbox \d+\.\d+\.\d+\n$/);
});

test('stdin, stdout and stderr pass through', (t) => {
  const r = sandbox(['--', '/bin/sh', '-c', 'tr a-z A-Z; echo err >&2'], { input: 'hello\nworld\n' });
  t.is(r.status, 0);
  t.is(r.stdout, 'HELLO\nWORLD\n');
  t.true(r.stderr.includes('err\n'));
});

test('the issue example pipeline matches native', (t) => {
  const cmd = 'ls -l /usr | sort | head -3; echo done > .cache/out-$1.txt; cat .cache/out-$1.txt; rm .cache/out-$1.txt';
  const n = both(['/bin/sh', '-c', cmd, 'sh', 'native']);
  const s = both(['/bin/sh', '-c', cmd, 'sh', 'sandbox']).sandboxed;
  t.is(s.status, 0);
  t.is(s.stdout, n.native.stdout);
});

test('--strace prints strace-format lines on stderr', (t) => {
  const r = sandbox(['--strace', '--', '/bin/true']);
  t.is(r.status, 0);
  t.regex(r.stderr, /^openat\(AT_FDCWD, "[^"]+libc\.so\.6", O_RDONLY\|O_CLOEXEC(, 0000)?\) = 3$/m);
  t.regex(r.stderr, /^access\("\/etc\/ld\.so\.preload", 0004\) = -1 ENOENT \(No such file or directory\)$/m);
});

test('--env and --clear-env shape the environment', (t) => {
  const r = sandbox(['--clear-env', '--env', 'FOO=bar baz', '--', '/usr/bin/env']);
  t.is(r.status, 0);
  t.is(r.stdout, 'FOO=bar baz\n');
});

test('stdout can be a file, and every byte of a large output arrives in order', (t) => {
  const out = join(ROOT, '.cache', `stdout-${process.pid}.txt`);
  const r = spawnSync('/bin/sh', ['-c', `node "${CLI}" -- /bin/sh -c 'seq 1 100000; echo end' > "${out}"`], { encoding: 'utf8' });
  t.is(r.status, 0, r.stderr);
  const expected = Array.from({ length: 100000 }, (_, i) => String(i + 1)).join('\n') + '\nend\n';
  t.is(readFileSync(out, 'utf8'), expected);
  rmSync(out, { force: true });
});

test('a pipe between guest processes carries megabytes intact', (t) => {
  const r = sandbox(['--', '/bin/sh', '-c', 'head -c 3000000 /dev/urandom | tee /dev/null | od -An -tx1 | wc -l']);
  t.is(r.status, 0);
  t.is(r.stdout.trim(), String(3000000 / 16));
});

test('--trace-json writes each syscall as a JSON line with decoded arguments and results', (t) => {
  const file = join(ROOT, '.cache', `trace-${process.pid}.jsonl`);
  const r = sandbox(['--trace-json', file, '--', '/bin/sh', '-c', 'exec 3</nonexistent-file; echo done']);
  t.not(r.status, 0);
  const recs = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  rmSync(file, { force: true });
  const open = recs.find((x) => x.syscall === 'openat' && String((x.args as string[])[1]).includes('nonexistent-file'));
  t.like(open, { phase: 'exit', result: -1, errno: 'ENOENT' });
  t.true(recs.some((x) => x.syscall === 'brk' && x.native === true), 'native calls are listed too');
  t.true(recs.every((x) => typeof x.tid === 'number' && Array.isArray(x.args)));
});

test('--profile writes per-syscall counts and kernel time when the sandbox ends', (t) => {
  const file = join(ROOT, '.cache', `profile-${process.pid}.json`);
  const r = sandbox(['--profile', file, '--', '/bin/sh', '-c', 'cat /etc/hostname > /dev/null']);
  t.is(r.status, 0, r.stderr);
  const rows = JSON.parse(readFileSync(file, 'utf8')) as { syscall: string; calls: number; continued: number; ms: number }[];
  rmSync(file, { force: true });
  const open = rows.find((x) => x.syscall === 'openat');
  t.truthy(open);
  t.true(open!.calls > 0 && open!.ms >= 0 && open!.continued <= open!.calls);
  t.true(rows.every((x, i) => i === 0 || rows[i - 1].ms >= x.ms), 'the most time first');
});
