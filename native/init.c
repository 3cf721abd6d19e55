// starry-init: the first process of a named sandbox (starry-sandbox --name). It runs as a guest,
// under the sandbox's seccomp filter and traced like any other, and starts the commands the
// kernel hands it (the --name command itself, then every --join): each is forked from here, so it
// inherits the filter and its listener, and the tracer adopts it at the fork. A process started
// outside the sandbox could never join its listener; that is why this process exists.
//
// It talks to the kernel through two private calls only this process may make (any other guest
// gets ENOSYS; see src/kernel/init-service.ts):
//   NEXT(buf, len)     waits for a request; the kernel installs the requester's stdin, stdout and
//                      stderr here (close-on-exec) and writes the request into buf; returns its
//                      length.
//   STARTED(id, pid)   the request's process is pid, or -errno when fork failed.
// Children are reaped by the host (SA_NOCLDWAIT); the kernel learns their exit status from the
// tracer. Like a container's init, it is where the sandbox's orphans go (a child subreaper: a
// daemon such as `dora up`'s coordinator, whose parent has exited, is reparented here, not to
// the host's init), so it reaps them too. Built static (binding.gyp), so it needs nothing from
// the guest's root.
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#define NR_NEXT 0x3ffff000
#define NR_STARTED 0x3ffff001

// Must match the layout the kernel writes (init-service.ts).
struct request {
  uint32_t id;
  int32_t fds[3];
  uint32_t argc, envc;
  char strings[];  // path, cwd, argv[0..argc), envp[0..envc), each NUL-terminated
};

#define MAX_STRINGS (4u << 20)
#define MAX_PTRS 131072u

static char buf[sizeof(struct request) + MAX_STRINGS];
static char *ptrs[MAX_PTRS + 2];

// Walk n strings from *p within end into out; false when they do not fit.
static int take(char **p, char *end, char **out, uint32_t n) {
  for (uint32_t i = 0; i < n; i++) {
    char *nul = memchr(*p, 0, (size_t)(end - *p));
    if (!nul) return 0;
    if (out) out[i] = *p;
    *p = nul + 1;
  }
  return 1;
}

int main(void) {
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = SIG_IGN;
  sa.sa_flags = SA_NOCLDWAIT;
  sigaction(SIGCHLD, &sa, NULL);
  // Only SIGKILL ends init (starry-sandbox stop); nothing else interrupts its wait.
  sigset_t all, none;
  sigfillset(&all);
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &all, NULL);
  for (;;) {
    long n = syscall(NR_NEXT, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return 1;  // ENOSYS: not run by a named sandbox
    }
    struct request *r = (struct request *)buf;
    char *p = r->strings, *end = buf + n;
    char *path = p, *cwd;
    int ok = r->argc + r->envc + 2 <= MAX_PTRS && take(&p, end, NULL, 1);
    cwd = p;
    ok = ok && take(&p, end, NULL, 1);
    char **argv = ptrs, **envp = ptrs + r->argc + 1;
    ok = ok && take(&p, end, argv, r->argc);
    if (ok) argv[r->argc] = NULL;
    ok = ok && take(&p, end, envp, r->envc);
    if (ok) envp[r->envc] = NULL;
    pid_t pid = ok ? fork() : -1;
    if (pid == 0) {
      // A job of its own, as a shell starts one: the joining terminal's Ctrl-C reaches it whole.
      setpgid(0, 0);
      for (int i = 0; i < 3; i++) dup2(r->fds[i], i);  // dup2 clears close-on-exec on 0..2
      sa.sa_handler = SIG_DFL;
      sa.sa_flags = 0;
      sigaction(SIGCHLD, &sa, NULL);
      sigprocmask(SIG_SETMASK, &none, NULL);
      if (chdir(cwd) < 0) _exit(126);
      execve(path, argv, envp);
      _exit(errno == ENOENT ? 127 : 126);
    }
    syscall(NR_STARTED, r->id, pid < 0 ? (ok ? -errno : -E2BIG) : pid);
    for (int i = 0; i < 3; i++) close(r->fds[i]);
  }
}
