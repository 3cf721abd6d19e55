// Signals the Starry kernel raises for a guest carry the siginfo Linux gives them (SIGPIPE:
// SI_USER from the writer; SIGIO: SI_KERNEL, or with F_SETSIG the reason, band and descriptor).
// The supervisor can only tgkill/kill, which the guest would see as SI_TKILL/SI_USER from a
// process outside the sandbox; so the wanted siginfo is queued here before the signal is sent,
// and at the signal's delivery stop the tracer puts it in place with PTRACE_SETSIGINFO.
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <unistd.h>

#include <atomic>
#include <deque>
#include <mutex>

#include "common.h"

namespace starry {

namespace {

struct Pending {
  int target;   // the thread (thread-directed) or the process
  bool thread;
  siginfo_t info;
  bool hasResult;  // the syscall the signal interrupts returns result (see QueueSigInfo)
  long result;
};
std::mutex mu;
std::deque<Pending> pending;
std::atomic<int> count{0};

pid_t TgidOf(pid_t tid) {
  char path[64], line[128];
  snprintf(path, sizeof path, "/proc/%d/status", tid);
  FILE *f = fopen(path, "re");
  if (!f) return -1;
  int tgid = -1;
  while (fgets(line, sizeof line, f))
    if (sscanf(line, "Tgid: %d", &tgid) == 1) break;
  fclose(f);
  return tgid;
}

}  // namespace

void QueueSigInfo(int target, bool thread, const siginfo_t &info, bool hasResult, long result) {
  std::lock_guard<std::mutex> lock(mu);
  pending.push_back({target, thread, info, hasResult, result});
  count++;
}

void DropSigInfo(int target, bool thread, int sig) {
  std::lock_guard<std::mutex> lock(mu);
  for (auto it = pending.end(); it != pending.begin();) {
    --it;
    if (it->target == target && it->thread == thread && it->info.si_signo == sig) {
      pending.erase(it);
      count--;
      return;
    }
  }
}

void ApplySigInfo(pid_t tid, int sig) {
  if (count.load() == 0) return;
  siginfo_t si;
  if (ptrace(PTRACE_GETSIGINFO, tid, 0, &si) != 0) return;
  // only a signal we sent stands for one the kernel raised
  if ((si.si_code != SI_TKILL && si.si_code != SI_USER) || si.si_pid != getpid()) return;
  std::lock_guard<std::mutex> lock(mu);
  pid_t tgid = 0;
  for (auto it = pending.begin(); it != pending.end(); ++it) {
    if (it->info.si_signo != sig) continue;
    if (!it->thread && tgid == 0) tgid = TgidOf(tid);
    if (it->target != (it->thread ? tid : tgid)) continue;
    ptrace(PTRACE_SETSIGINFO, tid, 0, &it->info);
    // The signal was sent while the thread waited for the call's answer (EPIPE with SIGPIPE):
    // if it interrupted that wait (-ERESTART*), the call ends with its answer after all, so the
    // signal is pending as the call returns, as Linux raises it, and nothing restarts.
    user_regs_struct regs;
    if (it->hasResult && ptrace(PTRACE_GETREGS, tid, 0, &regs) == 0) {
      long rax = (long)regs.rax;
      if (rax == -512 || rax == -513 || rax == -514 || rax == -516) {
        regs.rax = (unsigned long long)it->result;
        ptrace(PTRACE_SETREGS, tid, 0, &regs);
      }
    }
    Pending taken = *it;
    pending.erase(it);
    count--;
    // a standard signal sent again while pending was one signal (the first siginfo stays)
    if (sig < 32) {
      for (auto j = pending.begin(); j != pending.end();) {
        if (j->info.si_signo == sig && j->target == taken.target && j->thread == taken.thread) {
          j = pending.erase(j);
          count--;
        } else {
          ++j;
        }
      }
    }
    return;
  }
}

void ForgetSigInfo(pid_t tid) {
  if (count.load() == 0) return;
  std::lock_guard<std::mutex> lock(mu);
  for (auto j = pending.begin(); j != pending.end();) {
    if (j->target == tid) {
      j = pending.erase(j);
      count--;
    } else {
      ++j;
    }
  }
}

}  // namespace starry
