// Issue 7's Dora half: our dataflow (sandbox-images/dora: Python sender -> Python transform ->
// Rust transform -> Python sink, and a Rust sink) under the real Dora CLI from PyPI, with
// `dora run` and with `dora up` + `dora start --attach` + `dora down`, inside one sandbox; the
// sinks verify every message. Natively first, so a broken image says so rather than the sandbox.
import test from 'ava';
import { join } from 'node:path';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { sandbox, native, ROOT } from '../helpers/sandbox.js';

const SMOKE = join(ROOT, 'sandbox-images', 'dora', 'smoke.sh');
const work = join(ROOT, '.cache', 'e2e-dora');
mkdirSync(work, { recursive: true });

const verdicts = (out: string): string[] =>
  out
    .split('\n')
    .filter((l) => /^(PASS|FAIL) /.test(l))
    .map((l) => l.replace(/ \(.*$/, ''));

test.serial('a Dora dataflow runs under dora run and under dora up/start/down, as natively', async (t) => {
  t.timeout(30 * 60_000, 'building the dora image and running its dataflow four times');
  const { ensureImage } = (await import(join(ROOT, 'sandbox-images', 'images.mjs'))) as { ensureImage(name: string): Promise<string> };
  await ensureImage('dora');
  const env = { ...process.env, SMOKE_TIMEOUT: '120' };
  const host = native(['sh', SMOKE], { cwd: work, env, timeoutMs: 600_000 });
  t.deepEqual(verdicts(host.stdout), ['PASS run', 'PASS up'], `native smoke run failed:\n${host.stdout}\n${host.stderr}`);
  const guest = sandbox(['--cwd', work, '--', 'sh', SMOKE], { cwd: ROOT, env, timeoutMs: 600_000 });
  t.deepEqual(verdicts(guest.stdout), ['PASS run', 'PASS up'], `sandboxed smoke run:\n${guest.stdout}\n${guest.stderr}`);
  t.is(guest.status, 0);
});

test.serial('--strace on a Dora run writes a trace in strace format naming the calls Dora makes', async (t) => {
  t.timeout(30 * 60_000, 'building the dora image and running its dataflow');
  const { ensureImage } = (await import(join(ROOT, 'sandbox-images', 'images.mjs'))) as { ensureImage(name: string): Promise<string> };
  await ensureImage('dora');
  const file = join(work, `strace-${process.pid}.txt`);
  const r = sandbox([`--strace=${file}`, '--cwd', work, '--', 'sh', SMOKE, 'run'], { cwd: ROOT, env: { ...process.env, SMOKE_TIMEOUT: '120' }, timeoutMs: 600_000 });
  t.deepEqual(verdicts(r.stdout), ['PASS run'], `${r.stdout}\n${r.stderr}`);
  const lines = readFileSync(file, 'utf8').split('\n').filter((l) => l !== '');
  rmSync(file, { force: true });
  // NAME(args) = result, <unfinished ...>, <... NAME resumed>, and the kernel's exec/exit lines
  const shape = /^(\[pid \d+\] )?([a-z_0-9]+\(.*\) = .+|[a-z_0-9]+\(.*<unfinished \.\.\.>|<\.\.\. [a-z_0-9]+ resumed>.*|\+\+\+ .* \+\+\+|--- .* ---|[a-z_0-9]+\(.*\) = \? .*)$/;
  const odd = lines.filter((l) => !shape.test(l));
  t.true(odd.length <= lines.length / 1000, `lines not in strace's format:\n${odd.slice(0, 10).join('\n')}`);
  const names = new Set(lines.map((l) => /^(?:\[pid \d+\] )?(?:<\.\.\. )?([a-z_0-9]+)/.exec(l)?.[1]));
  for (const n of ['clone3', 'futex', 'epoll_wait', 'socket', 'connect', 'accept4', 'execve']) t.true(names.has(n), `the trace names ${n}`);
});
