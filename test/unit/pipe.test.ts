import test from 'ava';
import { Guest } from '../helpers/memory-machine.js';

const EAGAIN = 11, EBADF = 9, EFAULT = 14, EPIPE = 32, EINVAL = 22;
const O_NONBLOCK = 0o4000, O_CLOEXEC = 0o2000000;

function guest(): Guest {
  return new Guest([{ guest: '/', host: '/', readOnly: true }], '/');
}

function pipe(g: Guest, flags = 0): [number, number] {
  const fds = g.alloc(8);
  t_is(g.sys('pipe2', fds, flags), 0);
  return [g.i32(fds, 0), g.i32(fds, 1)];
}
function t_is(a: number, b: number): void {
  if (a !== b) throw new Error(`expected ${b}, got ${a}`);
}

test('pipe2 takes the two lowest free numbers and installs a host descriptor at each', (t) => {
  const g = guest();
  const [r, w] = pipe(g, O_CLOEXEC);
  t.deepEqual([r, w], [3, 4]);
  t.deepEqual(g.machine.installed.map((i) => [i.target, i.cloexec]), [[3, true], [4, true]]);
  t.is(g.sys('fcntl', r, 1 /* F_GETFD */), 1);
});

test('pipe2 rejects unknown flags and bad pointers without creating descriptors', (t) => {
  const g = guest();
  t.is(g.sys('pipe2', g.alloc(8), 0xffff), -EINVAL);
  t.is(g.sys('pipe2', 8, 0), -EFAULT);
  t.is(g.sys('fcntl', 3, 1), -EBADF);
  t.is(g.machine.installed.length, 0);
});

test('bytes written are read back in order, and EOF follows the last writer', (t) => {
  const g = guest();
  const [r, w] = pipe(g);
  t.is(g.sys('write', w, g.bytes('hello '), 6), 6);
  t.is(g.sys('write', w, g.bytes('world'), 5), 5);
  const buf = g.alloc(64);
  t.is(g.sys('read', r, buf, 3), 3);
  t.is(g.read(buf, 3), 'hel');
  t.is(g.sys('read', r, buf, 64), 8);
  t.is(g.read(buf, 8), 'lo world');
  g.start('close', w);
  t.is(g.sys('read', r, buf, 64), 0);
});

test('an empty non-blocking pipe says EAGAIN; a blocking read waits for the writer', (t) => {
  const g = guest();
  const [r, w] = pipe(g, O_NONBLOCK);
  const buf = g.alloc(16);
  t.is(g.sys('read', r, buf, 16), -EAGAIN);
  const [r2, w2] = pipe(g);
  const slot = g.start('read', r2, buf, 16);
  t.deepEqual(g.outcome(slot), { pending: true });
  const other = g.thread(101);
  t.deepEqual(g.outcome(g.startOn(other, 'write', w2, g.bytes('late'), 4)), { value: 4 });
  t.deepEqual(g.outcome(slot), { value: 4 });
  t.is(g.read(buf, 4), 'late');
  t.truthy(w);
});

test('a read interrupted before its answer leaves the data in the pipe', (t) => {
  const g = guest();
  const [r, w] = pipe(g);
  const buf = g.alloc(16);
  const slot = g.start('read', r, buf, 16);
  g.machine.gone.add(slot); // a signal interrupted the guest thread
  const other = g.thread(101);
  t.deepEqual(g.outcome(g.startOn(other, 'write', w, g.bytes('keep'), 4)), { value: 4 });
  t.deepEqual(g.outcome(slot), { pending: true });
  t.is(g.sys('read', r, buf, 16), 4);
  t.is(g.read(buf, 4), 'keep');
});

test('writing with no reader fails with EPIPE and raises SIGPIPE', (t) => {
  const g = guest();
  const [r, w] = pipe(g);
  g.start('close', r);
  t.is(g.sys('write', w, g.bytes('x'), 1), -EPIPE);
  t.deepEqual(g.machine.signals, [[100, 100, 13]]);
});

test('a full pipe blocks small writes and takes part of a large one', (t) => {
  const g = guest();
  const [r, w] = pipe(g, O_NONBLOCK);
  const big = g.alloc(70000);
  t.is(g.sys('write', w, big, 70000), 65536);
  t.is(g.sys('write', w, big, 10), -EAGAIN);
  t.is(g.sys('fcntl', w, 1032 /* F_GETPIPE_SZ */), 65536);
  const buf = g.alloc(5000);
  t.is(g.sys('read', r, buf, 5000), 5000);
  t.is(g.sys('write', w, big, 10), 10);
});

test('a read whose answer the host dropped (signal after our answer) leaves its bytes in the pipe', (t) => {
  const g = guest();
  const [r, w] = pipe(g);
  t.is(g.sys('write', w, g.bytes('once'), 4), 4);
  const buf = g.alloc(16);
  t.is(g.sys('read', r, buf, 16), 4);
  // the thread stops for a signal with read(2) interrupted: rax = -ERESTARTSYS
  g.kernel.signalled(g.pid, 17, [0, -512]);
  // its next call (no notification missing in between) is the restarted read: same bytes again
  t.is(g.sys('read', r, buf, 16), 4);
  t.is(g.read(buf, 4), 'once');
});

test('a read interrupted before we ever saw it does not undo the previous one', (t) => {
  const g = guest();
  const [r, w] = pipe(g);
  t.is(g.sys('write', w, g.bytes('abcd'), 4), 4);
  const buf = g.alloc(16);
  t.is(g.sys('read', r, buf, 2), 2);
  g.kernel.signalled(g.pid, 17, [0, -512]);
  g.skipNotification(); // the interrupted read was withdrawn before we received it
  t.is(g.sys('read', r, buf, 16), 2);
  t.is(g.read(buf, 2), 'cd');
});
