// Who a wake-up reaches: EPOLLEXCLUSIVE (ep_poll_callback stops at the first exclusive epoll
// instance with a thread in epoll_wait) and waits under a signal mask (ppoll, epoll_pwait).
import test from 'ava';
import { Guest } from '../helpers/memory-machine.js';

const EPOLLIN = 0x1, EPOLLEXCLUSIVE = 1 << 28;
const EPOLL_CTL_ADD = 1;
const SIGUSR1_BIT = 1n << 9n;
const ERESTARTNOHAND = -514;

function guest(): Guest {
  return new Guest([{ guest: '/', host: '/', readOnly: true }], '/');
}

function pipe(g: Guest): [number, number] {
  const fds = g.alloc(8);
  if (g.sys('pipe2', fds, 0) !== 0) throw new Error('pipe2 failed');
  return [g.i32(fds, 0), g.i32(fds, 1)];
}

/** A new epoll instance watching fd for events. */
function watch(g: Guest, fd: number, events: number): number {
  const ep = g.sys('epoll_create1', 0);
  const ev = g.alloc(12);
  g.machine.mem.writeUInt32LE(events >>> 0, ev - g.machine.base);
  if (g.sys('epoll_ctl', ep, EPOLL_CTL_ADD, fd, ev) !== 0) throw new Error('epoll_ctl failed');
  return ep;
}

/** Threads in epoll_wait on an epoll instance each, woken by one byte; how many answered. */
async function wokenBy(events: number, waiters: number): Promise<number> {
  const g = guest();
  const [r, w] = pipe(g);
  const slots = [];
  for (let i = 0; i < waiters; i++) {
    const ep = watch(g, r, events);
    const tid = g.thread(200 + i);
    slots.push(g.startOn(tid, 'epoll_wait', ep, g.alloc(12), 1, -1));
  }
  g.sys('write', w, g.bytes('x'), 1);
  await Promise.resolve(); // threads in epoll_wait run after the waker (EpollFile.wakeWaiters)
  return slots.filter((s) => 'value' in g.outcome(s)).length;
}

test('an event wakes every epoll instance, but only one with EPOLLEXCLUSIVE', async (t) => {
  t.is(await wokenBy(EPOLLIN, 3), 3);
  t.is(await wokenBy(EPOLLIN | EPOLLEXCLUSIVE, 3), 1);
});

test('an exclusive instance with nobody in epoll_wait queues the event and does not count', async (t) => {
  const g = guest();
  const [r, w] = pipe(g);
  const idle = watch(g, r, EPOLLIN | EPOLLEXCLUSIVE);
  const busy = watch(g, r, EPOLLIN | EPOLLEXCLUSIVE);
  const slot = g.startOn(g.thread(201), 'epoll_wait', busy, g.alloc(12), 1, -1);
  g.sys('write', w, g.bytes('x'), 1);
  await Promise.resolve();
  t.deepEqual(g.outcome(slot), { value: 1 });
  t.is(g.sys('epoll_wait', idle, g.alloc(12), 1, 0), 1);
});

test('a signal the call mask lets through ends ppoll and epoll_pwait; one it blocks does not', (t) => {
  const g = guest();
  g.kernel.pendingSignal = (_tid, mask) => mask !== undefined && (mask & SIGUSR1_BIT) === 0n;
  const [r] = pipe(g);
  const ep = watch(g, r, EPOLLIN);
  const pfd = g.alloc(8);
  g.machine.mem.writeInt32LE(r, pfd - g.machine.base);
  g.machine.mem.writeInt16LE(EPOLLIN, pfd - g.machine.base + 4);
  const none = g.alloc(8);
  const usr1 = g.alloc(8);
  g.machine.mem.writeBigUInt64LE(SIGUSR1_BIT, usr1 - g.machine.base);
  const zero = g.alloc(16);
  t.is(g.sys('ppoll', pfd, 1, 0, none, 8), ERESTARTNOHAND);
  t.is(g.sys('ppoll', pfd, 1, zero, none, 8), ERESTARTNOHAND, 'even with a zero timeout');
  t.is(g.sys('epoll_pwait', ep, g.alloc(12), 1, -1, none, 8), ERESTARTNOHAND);
  t.is(g.sys('epoll_pwait', ep, g.alloc(12), 1, 0, none, 8), 0, 'ep_poll: a zero timeout returns 0 first');
  t.deepEqual(g.machine.interrupts, [[g.pid, 0n], [g.pid, 0n], [g.pid, 0n]]);
  t.deepEqual(g.outcome(g.start('ppoll', pfd, 1, 0, usr1, 8)), { pending: true });
  t.is(g.sys('ppoll', pfd, 1, 0, usr1, 4), -22, 'a sigset size other than 8 is EINVAL');
  t.is(g.sys('ppoll', pfd, 1, 0, 8, 8), -14, 'an unreadable mask is EFAULT');
});
