// What the kernel needs from the world of guest threads: their memory and the answer to each
// intercepted syscall. The engine implements it over the native addon; tests implement it over
// an in-memory address space (test/helpers/memory-machine.ts).
export interface Machine {
  /** Copy guest memory into buf; returns bytes copied (short at a fault) or -errno. */
  readMem(tid: number, addr: number, buf: Uint8Array, off: number, len: number): number;
  /** Copy buf into guest memory; returns bytes copied or -errno. */
  writeMem(tid: number, addr: number, buf: Uint8Array, off: number, len: number): number;
  /** Read a NUL-terminated string: its length, -EFAULT, or -ENAMETOOLONG past max. */
  readString(tid: number, addr: number, buf: Uint8Array, off: number, max: number): number;
  /** Answer a notification with a result or -errno; -ENOENT if the guest stopped waiting. */
  respond(slot: number, value: number): number;
  /** Let the host run the syscall as the guest made it. */
  continueSyscall(slot: number): number;
  /** Install host descriptor srcFd in the guest at targetFd; with send, answer with targetFd. */
  addFd(slot: number, srcFd: number, targetFd: number, cloexec: boolean, send: boolean): number;
  /** Answer a SECCOMP_RET_TRACE stop (execve): continue, return a value, or change arguments. */
  traceReply(tid: number, action: number, value: number, args?: (number | undefined)[]): void;
  /**
   * Make a guest thread leave the kernel through the signal path (PTRACE_INTERRUPT): a parked
   * call ended with -ERESTART* then restarts instead of returning the code when no signal is
   * left for it. Returns once done. sigmask: the signal mask of the wait that ends (ppoll,
   * pselect6, epoll_pwait, epoll_pwait2): the handler runs under it and returns to the thread's
   * own mask, as Linux's saved_sigmask makes it.
   */
  interrupt(tid: number, sigmask?: bigint): void;
  /**
   * Send a host signal to a guest task (tgkill when tgid > 0, kill otherwise). info: the
   * siginfo_t the guest sees (see abi/siginfo.ts), for signals the kernel raises itself;
   * result: what the syscall the thread waits in returns, even if the signal interrupts it.
   */
  signal(tgid: number, tid: number, sig: number, info?: Uint8Array, result?: number): number;
}
