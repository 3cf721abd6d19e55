/* A signal meets a thread blocked in the kernel: read ends with EINTR without SA_RESTART and is
 * restarted with it; poll ends with EINTR even with SA_RESTART (Linux never restarts it after a
 * handler); fork and close in a loop racing SIGCHLD never fail with EINTR. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t got;
static void handler(int s) { (void)s; got++; }

int main(void) {
  int p[2];
  if (pipe(p)) return 1;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = handler;
  sigaction(SIGALRM, &sa, NULL);
  alarm(1);
  char c;
  ssize_t n = read(p[0], &c, 1);
  printf("read, handler without SA_RESTART: %zd %s\n", n, n < 0 && errno == EINTR ? "EINTR" : "?");
  sa.sa_flags = SA_RESTART;
  sigaction(SIGALRM, &sa, NULL);
  pid_t child = fork();
  if (child == 0) {
    sleep(2);
    if (write(p[1], "z", 1) != 1) _exit(1);
    _exit(0);
  }
  alarm(1);
  n = read(p[0], &c, 1);
  printf("read, handler with SA_RESTART: %zd %c\n", n, n == 1 ? c : '-');
  struct pollfd f = {p[0], POLLIN, 0};
  alarm(1);
  int r = poll(&f, 1, -1);
  printf("poll, handler with SA_RESTART: %d %s\n", r, r < 0 && errno == EINTR ? "EINTR" : "?");
  waitpid(child, NULL, 0);
  /* SIGCHLD with a handler that does not restart: fork, close and dup never fail with EINTR */
  struct sigaction chld;
  memset(&chld, 0, sizeof chld);
  chld.sa_handler = handler;
  sigaction(SIGCHLD, &chld, NULL);
  int failures = 0;
  for (int i = 0; i < 40; i++) {
    pid_t k = fork();
    if (k < 0) failures++;
    if (k == 0) _exit(0);
    for (int j = 0; j < 20; j++) {
      int d = dup(1);
      if (d < 0 || close(d) < 0) failures++;
    }
    while (waitpid(k, NULL, 0) < 0 && errno == EINTR) {}
  }
  printf("fork/dup/close failures while SIGCHLD arrives: %d\n", failures);
  return 0;
}
