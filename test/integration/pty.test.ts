// Pseudo-terminals: Python's pty module works in the sandbox as natively (openpty, fork onto a
// pty, isatty, EOF as EIO), and a pty the sandbox did not make cannot be opened.
import test from 'ava';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { sandbox, native, ROOT } from '../helpers/sandbox.js';

const PY = join(ROOT, 'test', 'programs', 'py');

test('pty.fork and openpty behave as natively', (t) => {
  const n = native(['python3', join(PY, 'pty_fork.py')]);
  t.is(n.status, 0, n.stderr);
  const s = sandbox(['--', 'python3', join(PY, 'pty_fork.py')]);
  t.is(s.stdout, n.stdout);
  t.is(s.status, 0, s.stderr);
});

test("a host pty the sandbox did not make is out of reach", async (t) => {
  // a host process holds a pty open and prints its path
  const holder = spawn('python3', ['-c', 'import os,sys,time\nm,s=os.openpty()\nprint(os.ttyname(s),flush=True)\ntime.sleep(30)'], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const path = await new Promise<string>((resolve) => holder.stdout!.once('data', (d: Buffer) => resolve(d.toString().trim())));
    t.regex(path, /^\/dev\/pts\/\d+$/);
    const r = sandbox(['--', 'python3', '-c', `import os\ntry:\n  os.open(${JSON.stringify(path)}, os.O_RDWR)\n  print("opened")\nexcept OSError as e:\n  print(e.strerror)`]);
    t.is(r.stdout.trim(), 'No such file or directory');
  } finally {
    holder.kill();
  }
});
