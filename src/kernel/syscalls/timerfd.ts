// timerfd_create, timerfd_settime (TFD_TIMER_ABSTIME), timerfd_gettime.
import type { Family } from './types.js';
import type { Kernel } from '../kernel.js';
import type { Call } from '../call.js';
import * as E from '../errno.js';
import { TimerFd, CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_BOOTTIME, CLOCK_REALTIME_ALARM, CLOCK_BOOTTIME_ALARM } from '../fd/timerfd.js';
import { O_CLOEXEC, O_NONBLOCK } from '../fd/openfile.js';
import { installLowest } from '../fd/install.js';

const TFD_TIMER_ABSTIME = 1, TFD_TIMER_CANCEL_ON_SET = 2;
const CLOCKS = new Set([CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_BOOTTIME, CLOCK_REALTIME_ALARM, CLOCK_BOOTTIME_ALARM]);

function create(k: Kernel, c: Call): number {
  const clock = c.int(0);
  const flags = c.int(1);
  if (!CLOCKS.has(clock) || flags & ~(O_CLOEXEC | O_NONBLOCK)) return -E.EINVAL;
  if (clock === CLOCK_REALTIME_ALARM || clock === CLOCK_BOOTTIME_ALARM) return -E.EPERM;
  return installLowest(k, c, new TimerFd(clock, flags & O_NONBLOCK, k.timers), 0, (flags & O_CLOEXEC) !== 0);
}

function timer(k: Kernel, c: Call): TimerFd | number {
  const f = c.task.files.get(c.fd(0));
  if (!f) return -E.EBADF;
  return f instanceof TimerFd ? f : -E.EINVAL;
}

/** Encode [value ms, interval ms] as struct itimerspec into mem.buf at off. */
function putItimerspec(k: Kernel, off: number, value: number, interval: number): void {
  const v = k.mem.view;
  const put = (at: number, ms: number) => {
    const sec = Math.floor(ms / 1000);
    v.setBigInt64(at, BigInt(sec), true);
    v.setBigInt64(at + 8, BigInt(Math.round((ms - sec * 1000) * 1e6)), true);
  };
  put(off, interval);
  put(off + 16, value);
}

function settime(k: Kernel, c: Call): number {
  const tf = timer(k, c);
  const flags = c.int(1);
  if (typeof tf === 'number') return tf;
  if (flags & ~(TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET)) return -E.EINVAL;
  const r = k.mem.read(c.tid, c.ptr(2), 32);
  if (r < 0) return r;
  const v = k.mem.view;
  const isec = Number(v.getBigInt64(0, true)), insec = Number(v.getBigInt64(8, true));
  const vsec = Number(v.getBigInt64(16, true)), vnsec = Number(v.getBigInt64(24, true));
  if (isec < 0 || insec < 0 || insec >= 1e9 || vsec < 0 || vnsec < 0 || vnsec >= 1e9) return -E.EINVAL;
  const [oldValue, oldInterval] = tf.get();
  tf.set(vsec * 1000 + vnsec / 1e6, isec * 1000 + insec / 1e6, (flags & TFD_TIMER_ABSTIME) !== 0);
  if (c.ptr(3) !== 0) {
    putItimerspec(k, 0, oldValue, oldInterval);
    const w = k.mem.write(c.tid, c.ptr(3), 32);
    if (w < 0) return w;
  }
  return 0;
}

function gettime(k: Kernel, c: Call): number {
  const tf = timer(k, c);
  if (typeof tf === 'number') return tf;
  const [value, interval] = tf.get();
  putItimerspec(k, 0, value, interval);
  return k.mem.write(c.tid, c.ptr(1), 32);
}

export const timerfdFamily: Family = {
  timerfd_create: create,
  timerfd_settime: settime,
  timerfd_gettime: gettime,
};
