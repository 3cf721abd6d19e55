// Issue 7's Dora half: our dataflow (sandbox-images/dora: Python sender -> Python transform ->
// Rust transform -> Python sink, and a Rust sink) under the real Dora CLI from PyPI, with
// `dora run` and with `dora up` + `dora start --attach` + `dora down`, inside one sandbox; the
// sinks verify every message. Natively first, so a broken image says so rather than the sandbox.
import test from 'ava';
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { sandbox, native, ROOT } from '../helpers/sandbox.js';

const SMOKE = join(ROOT, 'sandbox-images', 'dora', 'smoke.sh');
const work = join(ROOT, '.cache', 'e2e-dora');
mkdirSync(work, { recursive: true });

const verdicts = (out: string): string[] =>
  out
    .split('\n')
    .filter((l) => /^(PASS|FAIL) /.test(l))
    .map((l) => l.replace(/ \(.*$/, ''));

test('a Dora dataflow runs under dora run and under dora up/start/down, as natively', async (t) => {
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
