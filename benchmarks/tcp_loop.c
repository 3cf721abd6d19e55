/* Loopback TCP between two processes, timed with the vDSO clock.
 * Usage: tcp_loop pingpong N   -> ns per round trip of a 64-byte message
 *        tcp_loop stream MB    -> MB/s of a one-way transfer in 64 KiB writes */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int full(int fd, char *b, size_t n, int rd) {
  for (size_t d = 0; d < n;) {
    ssize_t r = rd ? read(fd, b + d, n - d) : write(fd, b + d, n - d);
    if (r <= 0) return -1;
    d += r;
  }
  return 0;
}

/* a connected pair: returns the client fd, *srv gets the accepted one */
static int pair(int *srv) {
  struct sockaddr_in a = { .sin_family = AF_INET };
  socklen_t len = sizeof a;
  inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
  int l = socket(AF_INET, SOCK_STREAM, 0), one = 1;
  if (bind(l, (struct sockaddr *)&a, sizeof a) || listen(l, 1) || getsockname(l, (struct sockaddr *)&a, &len)) exit(1);
  int c = socket(AF_INET, SOCK_STREAM, 0);
  if (connect(c, (struct sockaddr *)&a, sizeof a)) exit(1);
  *srv = accept(l, NULL, NULL);
  close(l);
  setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  setsockopt(*srv, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return c;
}

int main(int argc, char **argv) {
  if (argc != 3) return 2;
  long n = atol(argv[2]);
  int s, c = pair(&s);
  static char buf[65536];
  if (!strcmp(argv[1], "pingpong")) {
    if (fork() == 0) {
      close(c);
      while (full(s, buf, 64, 1) == 0 && full(s, buf, 64, 0) == 0) {}
      _exit(0);
    }
    close(s);
    double t0 = now();
    for (long i = 0; i < n; i++) if (full(c, buf, 64, 0) || full(c, buf, 64, 1)) return 1;
    double t1 = now();
    close(c);
    wait(NULL);
    printf("%.1f\n", (t1 - t0) / n);
    return 0;
  }
  if (!strcmp(argv[1], "stream")) {
    long total = n << 20;
    if (fork() == 0) {
      close(c);
      long got = 0;
      ssize_t r;
      while ((r = read(s, buf, sizeof buf)) > 0) got += r;
      _exit(got == total ? 0 : 1);
    }
    close(s);
    double t0 = now();
    for (long d = 0; d < total; d += sizeof buf) if (full(c, buf, sizeof buf, 0)) return 1;
    close(c);
    int st;
    wait(&st);
    double t1 = now();
    if (st != 0) return 1;
    printf("%.1f\n", (double)n / ((t1 - t0) / 1e9));
    return 0;
  }
  return 2;
}
