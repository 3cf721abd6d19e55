/* A load generator for an echo server: N client threads, each one connection sending 64-byte
 * requests and waiting for the echo, for S seconds. Prints "rps p50_us p99_us".
 * Usage: echo_load HOST:PORT N S */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static struct sockaddr_in addr;
static double seconds;
static double *lat[256];
static long nlat[256];

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int full(int fd, char *b, size_t n, int rd)
{
	for (size_t d = 0; d < n;) {
		ssize_t r = rd ? read(fd, b + d, n - d) : write(fd, b + d, n - d);
		if (r <= 0) return -1;
		d += r;
	}
	return 0;
}

static void *client(void *arg)
{
	long id = (long)arg, cap = 1 << 20;
	lat[id] = malloc(cap * sizeof(double));
	int s = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	if (connect(s, (struct sockaddr *)&addr, sizeof addr)) {
		perror("connect");
		exit(1);
	}
	char buf[64];
	memset(buf, 'x', sizeof buf);
	double end = now() + seconds;
	for (double t = now(); t < end && nlat[id] < cap; ) {
		if (full(s, buf, sizeof buf, 0) || full(s, buf, sizeof buf, 1)) break;
		double t2 = now();
		lat[id][nlat[id]++] = t2 - t;
		t = t2;
	}
	close(s);
	return NULL;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	if (argc != 4) return 2;
	char host[64];
	int port;
	if (sscanf(argv[1], "%63[^:]:%d", host, &port) != 2) return 2;
	addr.sin_family = AF_INET;
	addr.sin_port = htons(port);
	inet_pton(AF_INET, host, &addr.sin_addr);
	int n = atoi(argv[2]);
	seconds = atof(argv[3]);
	if (n < 1 || n > 256) return 2;
	pthread_t t[256];
	double t0 = now();
	for (long i = 0; i < n; i++) pthread_create(&t[i], NULL, client, (void *)i);
	for (int i = 0; i < n; i++) pthread_join(t[i], NULL);
	double el = now() - t0;
	long total = 0;
	for (int i = 0; i < n; i++) total += nlat[i];
	double *all = malloc((total + 1) * sizeof(double));
	long k = 0;
	for (int i = 0; i < n; i++) for (long j = 0; j < nlat[i]; j++) all[k++] = lat[i][j];
	qsort(all, total, sizeof(double), cmp);
	printf("%.0f %.1f %.1f\n", total / el, all[total / 2] * 1e6, all[(long)(total * 0.99)] * 1e6);
	return 0;
}
