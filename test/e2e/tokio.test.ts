// Issue 7's Tokio half: our programs that do what tokio's examples do (sandbox-images/tokio)
// run client and server inside one sandbox, driven by the image's smoke script, and must give
// the verdicts they give natively.
import test from 'ava';
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { sandbox, native, ROOT } from '../helpers/sandbox.js';

const SMOKE = join(ROOT, 'sandbox-images', 'tokio', 'smoke.sh');
const PROGRAMS = ['echo-tcp', 'connect-tcp', 'echo-udp', 'connect-udp', 'print_each_packet', 'hello_world', 'proxy', 'tinydb', 'tinyhttp', 'chat', 'udp-codec'];
const work = join(ROOT, '.cache', 'e2e-tokio');
mkdirSync(work, { recursive: true });

test('tokio example programs pass their smoke test inside one sandbox, as natively', async (t) => {
  t.timeout(15 * 60_000, 'building the tokio image and running its smoke test');
  const { ensureImage } = (await import(join(ROOT, 'sandbox-images', 'images.mjs'))) as { ensureImage(name: string): Promise<string> };
  await ensureImage('tokio');
  const env = { ...process.env, SMOKE_TIMEOUT: '20' };
  const host = native(['sh', SMOKE], { cwd: work, env, timeoutMs: 300_000 });
  // run from the repository (its read-write mount) so the checkout stays visible under /tmp
  const guest = sandbox(['--cwd', work, '--', 'sh', SMOKE], { cwd: ROOT, env, timeoutMs: 300_000 });
  const verdicts = (out: string): string[] => out.split('\n').filter((l) => /^(PASS|FAIL) /.test(l));
  t.deepEqual(verdicts(host.stdout), PROGRAMS.map((p) => `PASS ${p}`), `native smoke run failed:\n${host.stdout}\n${host.stderr}`);
  t.deepEqual(verdicts(guest.stdout), verdicts(host.stdout), `sandboxed smoke run:\n${guest.stdout}\n${guest.stderr}`);
  t.is(guest.status, 0);
});
