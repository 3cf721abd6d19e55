/* Times a tight loop of one syscall with the vDSO clock (no syscall to measure) and prints
 * nanoseconds per call. Usage: syscall_loop emulated|native|dupclose|pipe N */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int main(int argc, char **argv) {
  if (argc < 3) return 2;
  const char *what = argv[1];
  long n = atol(argv[2]);
  int p[2];
  if (pipe(p)) return 1;
  char c = 'x';
  double t0 = now();
  for (long i = 0; i < n; i++) {
    if (!strcmp(what, "emulated")) syscall(SYS_fcntl, 1, F_GETFD);
    else if (!strcmp(what, "native")) syscall(SYS_getpid);
    else if (!strcmp(what, "dupclose")) close(dup(1));
    else if (!strcmp(what, "pipe")) { if (write(p[1], &c, 1) != 1 || read(p[0], &c, 1) != 1) return 1; }
  }
  double t1 = now();
  printf("%.1f\n", (t1 - t0) / n);
  return 0;
}
