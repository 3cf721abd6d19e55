// The Engine: drives a Kernel with real guest threads through the native addon. It implements
// the kernel's Machine over the addon and turns tracer events into kernel calls.
import { native, EventKind, type TracerEvent, type LaunchParams } from './native.js';
import type { Machine } from '../kernel/machine.js';
import type { Kernel } from '../kernel/kernel.js';
import { NR } from '../kernel/abi/sysnames.js';

export const machine: Machine = {
  readMem: native.readMem,
  writeMem: native.writeMem,
  readString: native.readString,
  respond: native.respond,
  continueSyscall: native.continueSyscall,
  addFd: native.addFd,
  traceReply: native.traceReply,
  interrupt: (tid, sigmask) => {
    native.interrupt(tid, sigmask);
  },
  signal(tgid: number, tid: number, sig: number, info?: Uint8Array, result?: number): number {
    if (info) return native.signalInfo(tgid, tid, sig, info, result);
    return tgid > 0 ? native.hostSyscall(NR.tgkill, tgid, tid, sig) : native.hostSyscall(NR.kill, tid, sig);
  },
};

export interface RunResult {
  /** Raw wait status of the first guest process. */
  status: number;
}

/** Launch params.path under the kernel; resolves when every guest task is gone. */
export function run(kernel: Kernel, params: LaunchParams, onStart: ((pid: number) => void) | undefined, onError: (msg: string) => void): Promise<RunResult> {
  return new Promise((resolve) => {
    const words = native.recordWords;
    const records = new Uint32Array(words * native.maxBatch);
    let initPid = 0;
    let initStatus = 0;
    kernel.onInitExit = (status) => {
      initStatus = status;
      kernel.killAll(); // no guest process outlives the sandbox
    };
    const onEvents = (events: TracerEvent[]): void => {
      for (const e of events) {
        try {
          handle(e);
        } catch (err) {
          // A kernel bug must not lose the other events (a stop nobody answers would hang).
          onError(`kernel error on tracer event ${e.kind}: ${err instanceof Error ? err.message : String(err)}`);
          if (e.kind === EventKind.Seccomp) native.traceReply(e.tid, 1, -5 /* EIO */);
          if (e.kind === EventKind.Spawned) machine.signal(0, e.tid, 9);
        }
      }
    };
    const handle = (e: TracerEvent): void => {
        switch (e.kind) {
          case EventKind.Spawned:
            initPid = e.tid;
            kernel.spawned(e.tid);
            if (kernel.strace) kernel.strace.mainPid = e.tid;
            onStart?.(e.tid);
            break;
          case EventKind.Clone:
            kernel.cloned(e.tid, e.a, e.b);
            break;
          case EventKind.Exec: {
            // the new program waits at its first instruction until the kernel has looked at it
            let ok = true;
            try {
              ok = kernel.execed(e.tid, e.a);
            } finally {
              machine.traceReply(e.tid, ok ? 0 : 1, 0);
            }
            break;
          }
          case EventKind.Exit:
            kernel.exited(e.tid, e.a);
            break;
          case EventKind.Signal:
            kernel.signalled(e.tid, e.a, e.regs);
            break;
          case EventKind.GroupStop:
            kernel.groupStop(e.tid);
            break;
          case EventKind.Seccomp:
            kernel.traceStop(e.tid, e.regs ?? []);
            break;
          case EventKind.Error:
            onError(e.msg ?? 'unknown tracer error');
            break;
          case EventKind.Done:
            kernel.shutdown();
            native.close();
            resolve({ status: initStatus });
            break;
        }
    };
    const onNotifs = (n: number): void => kernel.handleRecords(records, n, words);
    native.launch(params, records, onEvents, onNotifs);
  });
}
