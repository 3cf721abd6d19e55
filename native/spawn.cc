// The first guest, between fork and exec. This runs in the child of a multithreaded process, so
// it uses only async-signal-safe calls and memory prepared before the fork.
#include <fcntl.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common.h"

#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif

namespace starry {

[[noreturn]] void ChildMain(const LaunchParams &p, char *const *argv, char *const *envp,
                            const sock_fprog *prog, int syncFd) {
  char c;
  // Wait until the tracer thread has seized us; EOF means it failed.
  if (read(syncFd, &c, 1) != 1) _exit(125);
  // Node opens its stdio with O_CLOEXEC; the guest must keep it.
  for (int fd = 0; fd < 3; fd++) {
    if (fcntl(fd, F_SETFD, 0) < 0) {
      int n = open("/dev/null", O_RDWR);
      if (n >= 0 && n != fd) { dup2(n, fd); close(n); }
    }
  }
  syscall(SYS_close_range, 3, ~0U, 0);
  // Dispositions set to SIG_IGN survive exec (Node ignores SIGPIPE); a guest starts clean.
  struct sigaction sa = {};
  sa.sa_handler = SIG_DFL;
  for (int sig = 1; sig < 65; sig++) {
    if (sig != SIGKILL && sig != SIGSTOP) sigaction(sig, &sa, nullptr);
  }
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (chdir(p.cwd.c_str()) < 0) _exit(126);
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) _exit(125);
  // The listener is created close-on-exec at the lowest free number (3); the tracer takes it
  // with pidfd_getfd at the TRACE stop of the execve below.
  // WAIT_KILLABLE_RECV: once we have received a notification, only a fatal signal may cut the
  // thread's wait short. Otherwise a signal arriving as we answer makes the host drop the
  // answer (the call then fails with EINTR or runs twice); the kernel interrupts parked calls
  // itself when a signal is pending (Kernel.kickParked).
  long lfd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
                     SECCOMP_FILTER_FLAG_NEW_LISTENER | SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV, prog);
  if (lfd != 3) _exit(125);
  execve(p.path.c_str(), argv, envp);
  _exit(127);
}

}  // namespace starry
