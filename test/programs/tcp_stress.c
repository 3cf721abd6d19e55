/* tcp_stress: a TCP echo server thread on edge-triggered epoll with non-blocking sockets, driven by
 * (a) one client streaming 100 MB in 64 KiB writes from one thread while another reads the echo back
 * and checks every byte, and (b) 200 clients that all connect non-blocking at once, then each send a
 * distinct 32-byte message and read exactly that back. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common.h"

#define TOTAL (100L << 20)
#define CHUNK 65536
#define PERIOD 65521 /* the stream repeats pat[] with a prime period, so chunks never line up with it */
#define NCLIENTS 200
#define MSGLEN 32
#define BUFSZ 65536

static unsigned char pat[3 * PERIOD];
static struct sockaddr_in server_addr;
static int stop_pipe[2];

/* ---- the server ---- */

struct conn { int fd; size_t off, len; unsigned char buf[BUFSZ]; };

/* Echo until the socket would block: flush what is pending, then read more. With edge triggering
 * we stop only on EAGAIN, so a later EPOLLIN or EPOLLOUT edge brings us back. Returns 0 when done. */
static int echo(struct conn *c)
{
	for (;;) {
		while (c->len > 0) {
			ssize_t n = write(c->fd, c->buf + c->off, c->len);
			if (n < 0) return errno == EAGAIN ? 1 : 0;
			c->off += n;
			c->len -= n;
		}
		ssize_t n = read(c->fd, c->buf, BUFSZ);
		if (n == 0) return 0;
		if (n < 0) return errno == EAGAIN ? 1 : 0;
		c->off = 0;
		c->len = n;
	}
}

static void *server(void *arg)
{
	int l = *(int *)arg, ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev = { .events = EPOLLIN | EPOLLET, .data.ptr = &l };
	epoll_ctl(ep, EPOLL_CTL_ADD, l, &ev);
	ev = (struct epoll_event){ .events = EPOLLIN, .data.ptr = stop_pipe };
	epoll_ctl(ep, EPOLL_CTL_ADD, stop_pipe[0], &ev);
	struct epoll_event evs[64];
	for (;;) {
		int n = epoll_wait(ep, evs, 64, -1);
		if (n < 0 && errno == EINTR) continue;
		if (n < 0) break;
		for (int i = 0; i < n; i++) {
			if (evs[i].data.ptr == stop_pipe) { close(ep); return NULL; }
			if (evs[i].data.ptr == &l) {
				int fd;
				while ((fd = accept4(l, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
					struct conn *c = malloc(sizeof *c);
					c->fd = fd;
					c->off = c->len = 0;
					ev = (struct epoll_event){ .events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, .data.ptr = c };
					epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
				}
				continue;
			}
			struct conn *c = evs[i].data.ptr;
			if (!echo(c)) { close(c->fd); free(c); }
		}
	}
	close(ep);
	return NULL;
}

/* ---- (a) one client, 100 MB ---- */

struct sum { uint64_t a, b; }; /* Fletcher-style: depends on every byte and its position */
static void sum_update(struct sum *s, const unsigned char *p, size_t n)
{
	uint64_t a = s->a, b = s->b;
	for (size_t i = 0; i < n; i++) { a += p[i]; b += a; }
	s->a = a;
	s->b = b;
}

struct writer { int fd; long sent; struct sum sum; int err; };
static void *writer(void *arg)
{
	struct writer *w = arg;
	while (w->sent < TOTAL) {
		size_t n = TOTAL - w->sent < CHUNK ? TOTAL - w->sent : CHUNK;
		const unsigned char *p = pat + w->sent % PERIOD;
		ssize_t k = write(w->fd, p, n);
		if (k < 0) { w->err = errno; break; }
		sum_update(&w->sum, p, k);
		w->sent += k;
	}
	shutdown(w->fd, SHUT_WR);
	return NULL;
}

static void bulk(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (connect(fd, (struct sockaddr *)&server_addr, sizeof server_addr) < 0) { printf("bulk connect: %s\n", errname(errno)); return; }
	struct writer w = { fd, 0, { 0, 0 }, 0 };
	pthread_t t;
	pthread_create(&t, NULL, writer, &w);
	static unsigned char in[CHUNK];
	struct sum rs = { 0, 0 };
	long got = 0, bad = 0;
	int rerr = 0;
	for (;;) {
		ssize_t n = read(fd, in, sizeof in);
		if (n < 0) { rerr = errno; break; }
		if (n == 0) break;
		const unsigned char *want = pat + got % PERIOD;
		if (got + n > TOTAL || memcmp(in, want, n) != 0)
			for (ssize_t k = 0; k < n; k++) bad += got + k >= TOTAL || in[k] != pat[(got + k) % PERIOD];
		sum_update(&rs, in, n);
		got += n;
	}
	pthread_join(t, NULL);
	close(fd);
	if (w.sent == TOTAL && got == TOTAL && bad == 0 && !w.err && !rerr && rs.a == w.sum.a && rs.b == w.sum.b)
		printf("100MB echo: OK\n");
	else
		printf("100MB echo: FAILED sent %ld (%s) received %ld (%s) mismatched bytes %ld checksums %s\n", w.sent,
		       errname(w.err), got, errname(rerr), bad, rs.a == w.sum.a && rs.b == w.sum.b ? "equal" : "differ");
}

/* ---- (b) 200 clients at once ---- */

static void message(int i, char *out) { snprintf(out, MSGLEN + 1, "client %03d says %015d", i, i * 7919); }

static void many(void)
{
	int fds[NCLIENTS], inprogress = 0, immediate = 0, failed = 0;
	for (int i = 0; i < NCLIENTS; i++) {
		fds[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		int r = connect(fds[i], (struct sockaddr *)&server_addr, sizeof server_addr);
		if (r == 0) immediate++;
		else if (errno == EINPROGRESS) inprogress++;
		else failed++;
	}
	printf("%d non-blocking connects: %d EINPROGRESS, %d immediate, %d failed\n", NCLIENTS, inprogress, immediate, failed);

	struct pollfd p[NCLIENTS];
	int pending = NCLIENTS, connected = 0;
	for (int i = 0; i < NCLIENTS; i++) p[i] = (struct pollfd){ fds[i], POLLOUT, 0 };
	while (pending > 0) {
		int n = poll(p, NCLIENTS, 5000);
		if (n <= 0) break;
		for (int i = 0; i < NCLIENTS; i++) {
			if (p[i].fd < 0 || !p[i].revents) continue;
			int e = -1;
			socklen_t el = sizeof e;
			getsockopt(fds[i], SOL_SOCKET, SO_ERROR, &e, &el);
			connected += e == 0;
			p[i].fd = -1;
			pending--;
		}
	}
	printf("connections completed without error: %d\n", connected);

	char msg[MSGLEN + 1], got[NCLIENTS][MSGLEN];
	int have[NCLIENTS], sent = 0, echoed = 0;
	for (int i = 0; i < NCLIENTS; i++) {
		message(i, msg);
		sent += send(fds[i], msg, MSGLEN, MSG_NOSIGNAL) == MSGLEN;
		have[i] = 0;
		p[i] = (struct pollfd){ fds[i], POLLIN, 0 };
	}
	pending = NCLIENTS;
	while (pending > 0) {
		int n = poll(p, NCLIENTS, 5000);
		if (n <= 0) break;
		for (int i = 0; i < NCLIENTS; i++) {
			if (p[i].fd < 0 || !p[i].revents) continue;
			ssize_t k = read(fds[i], got[i] + have[i], MSGLEN - have[i]);
			if (k > 0) have[i] += k;
			if (k < 0 && errno == EAGAIN) continue;
			if (k <= 0 || have[i] == MSGLEN) {
				message(i, msg);
				echoed += have[i] == MSGLEN && memcmp(got[i], msg, MSGLEN) == 0;
				p[i].fd = -1;
				pending--;
			}
		}
	}
	/* nothing more than the message comes back, and the server closes when we do */
	int extra = 0;
	for (int i = 0; i < NCLIENTS; i++) {
		extra += recv(fds[i], msg, 1, MSG_DONTWAIT) != -1;
		close(fds[i]);
	}
	printf("messages sent %d, echoed back exactly %d, extra bytes seen on %d\n", sent, echoed, extra);
	printf("%d clients: %s\n", NCLIENTS, connected == NCLIENTS && sent == NCLIENTS && echoed == NCLIENTS && !extra ? "OK" : "FAILED");
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	signal(SIGPIPE, SIG_IGN);
	alarm(20);
	for (long i = 0; i < (long)sizeof pat; i++) pat[i] = (unsigned char)((i % PERIOD) * 131 + (i % PERIOD) / 251);

	int l = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	server_addr = (struct sockaddr_in){ .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof server_addr;
	if (bind(l, (struct sockaddr *)&server_addr, len) < 0 || listen(l, 512) < 0) { printf("listen: %s\n", errname(errno)); return 1; }
	getsockname(l, (struct sockaddr *)&server_addr, &len);
	pipe2(stop_pipe, O_CLOEXEC);
	pthread_t t;
	pthread_create(&t, NULL, server, &l);

	bulk();
	many();

	write(stop_pipe[1], "x", 1);
	pthread_join(t, NULL);
	close(l);
	printf("done\n");
	return 0;
}
