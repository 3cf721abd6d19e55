// The signal mask of ppoll, pselect6, epoll_pwait and epoll_pwait2 (tracer thread only).
//
// Linux replaces the caller's mask for the duration of the wait (set_user_sigmask); when a
// signal that mask lets through ends the wait, the handler runs under that mask and the frame
// it returns through holds the caller's own mask (saved_sigmask, restored by sigreturn); when
// the call ends otherwise, the caller's mask is simply back (restore_saved_sigmask_unless).
// The Starry kernel waits with the thread's host mask unchanged and watches pending signals
// against the call's mask itself. When it ends such a wait for a signal, it asks for an
// interrupt with the call's mask; here, at the interrupt's stop, the thread gets that mask if a
// signal it unblocks is still pending; at that signal's delivery the thread is single-stepped
// into its handler (the kernel reports the stop once the frame is built, signal_setup_done),
// and the frame's uc_sigmask is set to the caller's mask, as Linux's saved_sigmask puts it.
// If no handler runs after all (another thread took a process-wide signal first, or it has
// none), the call restarts: the thread is resumed with PTRACE_SYSCALL, and at the restarted
// call's entry it gets its own mask back.
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/ucontext.h>
#include <sys/user.h>

#include <map>

#include "common.h"

namespace starry {

namespace {

enum Stage { kArmed, kDelivering, kStepping };
struct WaitMask {
  Stage stage = kArmed;
  uint64_t mask = 0;  // the call's mask
  uint64_t saved = 0; // the thread's own mask, for the handler's frame
};
std::map<pid_t, WaitMask> masks;

const uint64_t kUnblockable = (1ull << (SIGKILL - 1)) | (1ull << (SIGSTOP - 1));
// Signals whose default action is to do nothing (signal(7)).
const uint64_t kDefaultIgnored = (1ull << (SIGCHLD - 1)) | (1ull << (SIGCONT - 1)) |
                                 (1ull << (SIGURG - 1)) | (1ull << (SIGWINCH - 1));

struct SigStatus {
  uint64_t pending = 0, caught = 0, ignored = 0;
};

// SigPnd | ShdPnd, SigCgt and SigIgn of /proc/TID/status.
SigStatus ReadStatus(pid_t tid) {
  SigStatus s;
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/status", tid);
  FILE *f = fopen(path, "re");
  if (!f) return s;
  char line[256];
  unsigned long long v;
  while (fgets(line, sizeof line, f)) {
    if (sscanf(line, "SigPnd: %llx", &v) == 1 || sscanf(line, "ShdPnd: %llx", &v) == 1) s.pending |= v;
    else if (sscanf(line, "SigCgt: %llx", &v) == 1) s.caught = v;
    else if (sscanf(line, "SigIgn: %llx", &v) == 1) s.ignored = v;
  }
  fclose(f);
  return s;
}

uint64_t Bit(int sig) { return 1ull << (sig - 1); }

}  // namespace

void ArmWaitMask(pid_t tid, uint64_t mask) {
  WaitMask m;
  m.mask = mask & ~kUnblockable;
  masks[tid] = m;
}

int WaitMaskAtInterrupt(pid_t tid) {
  auto it = masks.find(tid);
  if (it == masks.end() || it->second.stage != kArmed) return PTRACE_CONT;
  // The signal may have gone meanwhile: then the call restarts under the thread's own mask.
  if (!(ReadStatus(tid).pending & ~it->second.mask)) {
    masks.erase(it);
    return PTRACE_CONT;
  }
  uint64_t saved = 0;
  if (ptrace(PTRACE_GETSIGMASK, tid, sizeof saved, &saved) < 0 ||
      ptrace(PTRACE_SETSIGMASK, tid, sizeof it->second.mask, &it->second.mask) < 0) {
    masks.erase(it);
    return PTRACE_CONT;
  }
  it->second.saved = saved;
  it->second.stage = kDelivering;
  return PTRACE_SYSCALL;
}

SignalResume WaitMaskAtSignal(pid_t tid, int sig) {
  SignalResume r{PTRACE_CONT, sig};
  auto it = masks.find(tid);
  if (it == masks.end() || it->second.stage != kDelivering) return r;
  SigStatus s = ReadStatus(tid);
  if (s.caught & Bit(sig)) {
    it->second.stage = kStepping;
    r.request = PTRACE_SINGLESTEP;
    return r;
  }
  if ((s.ignored | kDefaultIgnored) & Bit(sig)) {
    // No handler: Linux discards it and restores the caller's mask before the call restarts.
    ptrace(PTRACE_SETSIGMASK, tid, sizeof it->second.saved, &it->second.saved);
    masks.erase(it);
    r.sig = 0;
    return r;
  }
  // Fatal by default: the process ends with it; stopping: the call restarts once continued.
  r.request = PTRACE_SYSCALL;
  return r;
}

void WaitMaskAtSyscall(pid_t tid) {
  auto it = masks.find(tid);
  if (it == masks.end()) return;
  if (it->second.stage == kDelivering) ptrace(PTRACE_SETSIGMASK, tid, sizeof it->second.saved, &it->second.saved);
  masks.erase(it);
}

bool WaitMaskAtStep(pid_t tid, int sig) {
  auto it = masks.find(tid);
  if (it == masks.end() || it->second.stage != kStepping) return false;
  uint64_t saved = it->second.saved;
  masks.erase(it);
  if (sig != SIGTRAP) return false;  // the frame could not be built (SIGSEGV): nothing to fix
  user_regs_struct regs;
  if (ptrace(PTRACE_GETREGS, tid, 0, &regs) < 0) return true;
  // rdx = &frame->uc for every handler (x64_setup_rt_frame); uc_sigmask starts with the
  // kernel's 8-byte sigset
  uint64_t at = regs.rdx + offsetof(ucontext_t, uc_sigmask);
  ptrace(PTRACE_POKEDATA, tid, at, saved);
  return true;
}

void ForgetWaitMask(pid_t tid) { masks.erase(tid); }

}  // namespace starry
