/* epoll_wakeups: who an event wakes. EPOLLEXCLUSIVE: several threads each block in epoll_wait
 * on their own epoll instance holding one eventfd (or pipe) with EPOLLEXCLUSIVE; an event wakes at
 * least one of them and not all (epoll_ctl(2); ep_poll_callback stops at the first exclusive
 * waiter it wakes), while without EPOLLEXCLUSIVE it wakes every instance. EPOLLRDHUP: a blocked
 * epoll_wait sees the peer's shutdown(SHUT_WR) of a unix or TCP stream socket, then EPOLLHUP
 * once both directions are shut. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common.h"

#define WAITERS 4

static atomic_int woken;
static int ready_fd; /* the watched descriptor: an eventfd or a pipe's read end */
static uint32_t reg_flags;
static atomic_int blocked_soon;

static void *waiter(void *arg)
{
	(void)arg;
	int ep = epoll_create1(0);
	struct epoll_event ev = { .events = EPOLLIN | reg_flags };
	if (epoll_ctl(ep, EPOLL_CTL_ADD, ready_fd, &ev) < 0) {
		printf("epoll_ctl: %s\n", errname(errno));
		return NULL;
	}
	atomic_fetch_add(&blocked_soon, 1);
	/* nobody consumes the event: a woken instance keeps reporting it, one never woken never
	 * sees it (its ready list stays empty) */
	if (epoll_wait(ep, &ev, 1, 1200) == 1) atomic_fetch_add(&woken, 1);
	close(ep);
	return NULL;
}

static int round_of(const char *what, uint32_t flags, int use_pipe)
{
	int p[2];
	if (use_pipe) {
		if (pipe(p) < 0) return -1;
		ready_fd = p[0];
	} else {
		ready_fd = eventfd(0, 0);
	}
	reg_flags = flags;
	atomic_store(&woken, 0);
	atomic_store(&blocked_soon, 0);
	pthread_t t[WAITERS];
	for (int i = 0; i < WAITERS; i++) pthread_create(&t[i], NULL, waiter, NULL);
	while (atomic_load(&blocked_soon) < WAITERS) sleep_ms(10);
	sleep_ms(300); /* let every waiter block in epoll_wait */
	if (use_pipe) {
		if (write(p[1], "x", 1) != 1) return -1;
	} else {
		uint64_t one = 1;
		if (write(ready_fd, &one, 8) != 8) return -1;
	}
	for (int i = 0; i < WAITERS; i++) pthread_join(t[i], NULL);
	int n = atomic_load(&woken);
	if (flags & EPOLLEXCLUSIVE)
		printf("%-40s woken at least one: %s, not all %d: %s\n", what, n >= 1 ? "yes" : "no", WAITERS,
		       n < WAITERS ? "yes" : "no");
	else
		printf("%-40s woken %d of %d\n", what, n, WAITERS);
	close(ready_fd);
	if (use_pipe) close(p[1]);
	return n;
}

static const char *evs(uint32_t e)
{
	static char buf[64];
	snprintf(buf, sizeof buf, "%s%s%s%s%s", e & EPOLLIN ? "IN " : "", e & EPOLLOUT ? "OUT " : "",
		 e & EPOLLRDHUP ? "RDHUP " : "", e & EPOLLHUP ? "HUP " : "", e & EPOLLERR ? "ERR " : "");
	return buf;
}

static void wait_show(const char *what, int ep, int ms)
{
	struct epoll_event ev = { 0 };
	int n = epoll_wait(ep, &ev, 1, ms);
	printf("%-40s -> %d %s\n", what, n, n > 0 ? evs(ev.events) : "");
}

/* s: our end, peer: the other end of a connected stream */
static void rdhup(const char *kind, int s, int peer)
{
	int ep = epoll_create1(0);
	struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP | EPOLLET };
	epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev);
	printf("%s:\n", kind);
	wait_show("  connected, idle", ep, 0);
	pid_t c = fork();
	if (c == 0) {
		sleep_ms(100);
		shutdown(peer, SHUT_WR);
		_exit(0);
	}
	wait_show("  blocked, peer shuts down writing", ep, 5000);
	reap(c);
	wait_show("  again (edge-triggered)", ep, 0);
	char b;
	printf("  read -> %zd\n", read(s, &b, 1));
	shutdown(s, SHUT_WR);
	wait_show("  both directions shut", ep, 1000);
	close(ep);

	/* without EPOLLRDHUP asked, the shutdown is plain EPOLLIN (and HUP) */
	ep = epoll_create1(0);
	ev.events = EPOLLIN;
	epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev);
	wait_show("  EPOLLIN only registration", ep, 0);
	close(ep);
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	alarm(60);

	round_of("eventfd, EPOLLEXCLUSIVE:", EPOLLEXCLUSIVE, 0);
	round_of("pipe, EPOLLEXCLUSIVE:", EPOLLEXCLUSIVE, 1);
	round_of("eventfd, not exclusive:", 0, 0);
	round_of("pipe, not exclusive:", 0, 1);

	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0) return 1;
	rdhup("unix stream socketpair", sv[0], sv[1]);
	close(sv[0]);
	close(sv[1]);

	int l = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof a;
	if (bind(l, (struct sockaddr *)&a, sizeof a) < 0 || listen(l, 1) < 0 ||
	    getsockname(l, (struct sockaddr *)&a, &al) < 0) {
		printf("listen: %s\n", errname(errno));
		return 1;
	}
	int cl = socket(AF_INET, SOCK_STREAM, 0);
	if (connect(cl, (struct sockaddr *)&a, sizeof a) < 0) {
		printf("connect: %s\n", errname(errno));
		return 1;
	}
	int sv_tcp = accept(l, NULL, NULL);
	rdhup("tcp loopback", sv_tcp, cl);
	close(sv_tcp);
	close(cl);
	close(l);
	return 0;
}
