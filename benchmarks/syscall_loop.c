/* Times a tight loop of one syscall with the vDSO clock (no syscall to measure) and prints
 * nanoseconds per call (per round trip for the ping-pongs).
 * Usage: syscall_loop emulated|native|dupclose|pipe|eventfd|eventfd-threads|epoll|futex N */
#include <fcntl.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/wait.h>
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

static _Atomic uint32_t turn;
static long rounds;

static void futex_wait(_Atomic uint32_t *a, uint32_t v) { syscall(SYS_futex, a, FUTEX_WAIT_PRIVATE, v, NULL, NULL, 0); }
static void futex_wake(_Atomic uint32_t *a) { syscall(SYS_futex, a, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0); }

/* two threads hand a token back and forth through a futex word */
static void *ponger(void *arg) {
  (void)arg;
  for (long i = 0; i < rounds; i++) {
    while (atomic_load(&turn) != 1) futex_wait(&turn, 0);
    atomic_store(&turn, 0);
    futex_wake(&turn);
  }
  return NULL;
}

static double futex_pingpong(long n) {
  rounds = n;
  pthread_t t;
  pthread_create(&t, NULL, ponger, NULL);
  double t0 = now();
  for (long i = 0; i < n; i++) {
    atomic_store(&turn, 1);
    futex_wake(&turn);
    while (atomic_load(&turn) != 0) futex_wait(&turn, 1);
  }
  double t1 = now();
  pthread_join(t, NULL);
  return (t1 - t0) / n;
}

/* two processes hand a token back and forth through two eventfds */
static double eventfd_pingpong(long n) {
  int a = eventfd(0, 0), b = eventfd(0, 0);
  uint64_t v = 1;
  pid_t c = fork();
  if (c == 0) {
    for (long i = 0; i < n; i++) {
      if (read(a, &v, 8) != 8 || write(b, &v, 8) != 8) _exit(1);
    }
    _exit(0);
  }
  double t0 = now();
  for (long i = 0; i < n; i++) {
    if (write(a, &v, 8) != 8 || read(b, &v, 8) != 8) return -1;
  }
  double t1 = now();
  waitpid(c, NULL, 0);
  return (t1 - t0) / n;
}

/* the same between two threads; with epoll, each side first waits in epoll_wait on its eventfd,
 * as an async runtime's reactor is woken (Tokio, libuv) */
static int efd[2];
static int use_epoll;

static void take(int side) {
  uint64_t v;
  if (use_epoll) {
    static __thread int ep = -1;
    struct epoll_event ev = {.events = EPOLLIN};
    if (ep < 0) {
      ep = epoll_create1(0);
      epoll_ctl(ep, EPOLL_CTL_ADD, efd[side], &ev);
    }
    while (epoll_wait(ep, &ev, 1, -1) != 1) {}
  }
  if (read(efd[side], &v, 8) != 8) _exit(1);
}

static void give(int side) {
  uint64_t v = 1;
  if (write(efd[side], &v, 8) != 8) _exit(1);
}

static void *eventfd_ponger(void *arg) {
  (void)arg;
  for (long i = 0; i < rounds; i++) {
    take(0);
    give(1);
  }
  return NULL;
}

static double eventfd_threads(long n, int epoll) {
  rounds = n;
  use_epoll = epoll;
  efd[0] = eventfd(0, 0);
  efd[1] = eventfd(0, 0);
  pthread_t t;
  pthread_create(&t, NULL, eventfd_ponger, NULL);
  double t0 = now();
  for (long i = 0; i < n; i++) {
    give(0);
    take(1);
  }
  double t1 = now();
  pthread_join(t, NULL);
  return (t1 - t0) / n;
}

int main(int argc, char **argv) {
  if (argc < 3) return 2;
  const char *what = argv[1];
  long n = atol(argv[2]);
  if (!strcmp(what, "futex")) { printf("%.1f\n", futex_pingpong(n)); return 0; }
  if (!strcmp(what, "eventfd")) { printf("%.1f\n", eventfd_pingpong(n)); return 0; }
  if (!strcmp(what, "eventfd-threads")) { printf("%.1f\n", eventfd_threads(n, 0)); return 0; }
  if (!strcmp(what, "epoll")) { printf("%.1f\n", eventfd_threads(n, 1)); return 0; }
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
