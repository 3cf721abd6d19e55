/* epoll: create/ctl errors, level/edge/oneshot semantics, HUP/OUT, timeouts, wakeups, dup'ed fds,
 * nested epoll, epoll_pwait and epoll_pwait2. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef SYS_epoll_pwait2
#define SYS_epoll_pwait2 441
#endif

#include "common.h"

static const char *evname(uint32_t ev)
{
	static char bufs[8][160];
	static int next;
	char *buf = bufs[next++ % 8];
	static const struct { uint32_t bit; const char *name; } names[] = {
		{ EPOLLIN, "IN" }, { EPOLLPRI, "PRI" }, { EPOLLOUT, "OUT" }, { EPOLLERR, "ERR" },
		{ EPOLLHUP, "HUP" }, { EPOLLRDNORM, "RDNORM" }, { EPOLLRDBAND, "RDBAND" },
		{ EPOLLWRNORM, "WRNORM" }, { EPOLLWRBAND, "WRBAND" }, { EPOLLRDHUP, "RDHUP" },
	};
	buf[0] = 0;
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		if (ev & names[i].bit) {
			if (buf[0]) strcat(buf, "|");
			strcat(buf, names[i].name);
			ev &= ~names[i].bit;
		}
	}
	if (ev) {
		char extra[24];
		snprintf(extra, sizeof extra, "%s0x%x", buf[0] ? "|" : "", ev);
		strcat(buf, extra);
	}
	if (!buf[0]) strcpy(buf, "0");
	return buf;
}

static void result(const char *label, long r)
{
	if (r < 0)
		printf("%-48s -> -1 %s\n", label, errname(errno));
	else
		printf("%-48s -> %ld\n", label, r);
}

static int ctl(int ep, int op, int fd, uint32_t events, uint64_t data)
{
	struct epoll_event ev;
	memset(&ev, 0, sizeof ev);
	ev.events = events;
	ev.data.u64 = data;
	errno = 0;
	return epoll_ctl(ep, op, fd, &ev);
}

/* epoll_wait and print count plus each event (events, data as small integer) */
static int wait_print(const char *label, int ep, int maxev, int timeout)
{
	struct epoll_event evs[8];
	memset(evs, 0, sizeof evs);
	errno = 0;
	int n = epoll_wait(ep, evs, maxev, timeout);
	if (n < 0) {
		printf("%-48s -> -1 %s\n", label, errname(errno));
		return n;
	}
	/* report in data order: the order of simultaneous events is not part of the contract */
	for (int i = 1; i < n && i < 8; i++)
		for (int j = i; j > 0 && evs[j - 1].data.u64 > evs[j].data.u64; j--) {
			struct epoll_event t = evs[j];
			evs[j] = evs[j - 1];
			evs[j - 1] = t;
		}
	printf("%-48s -> %d", label, n);
	for (int i = 0; i < n && i < 8; i++)
		printf(" [%s data=%llu]", evname(evs[i].events), (unsigned long long)evs[i].data.u64);
	printf("\n");
	return n;
}

int main(void)
{
	int fails = 0;
	char buf[64];
	setvbuf(stdout, NULL, _IONBF, 0);
	alarm(60); /* watchdog: a hang becomes a SIGALRM death */
	signal(SIGPIPE, SIG_IGN);

	/* creation */
	int ep = epoll_create1(EPOLL_CLOEXEC);
	result("epoll_create1(EPOLL_CLOEXEC) >= 0", ep < 0 ? -1 : 0);
	if (ep < 0) return 1;
	printf("FD_CLOEXEC set: %s\n", (fcntl(ep, F_GETFD) & FD_CLOEXEC) ? "yes" : "no");
	{
		int e2 = epoll_create1(0);
		printf("epoll_create1(0): FD_CLOEXEC set: %s\n", (fcntl(e2, F_GETFD) & FD_CLOEXEC) ? "yes" : "no");
		close(e2);
		errno = 0;
		result("epoll_create(0)", epoll_create(0));
		errno = 0;
		result("epoll_create(-1)", epoll_create(-1));
		errno = 0;
		int e3 = epoll_create(1);
		result("epoll_create(1) >= 0", e3 < 0 ? -1 : 0);
		close(e3);
		errno = 0;
		result("epoll_create1(0x1)", epoll_create1(0x1));
	}

	/* epoll_ctl errors */
	int p[2];
	if (pipe(p) < 0) { perror("pipe"); return 1; }
	{
		result("ctl ADD read end", ctl(ep, EPOLL_CTL_ADD, p[0], EPOLLIN, 1));
		result("ctl ADD read end again", ctl(ep, EPOLL_CTL_ADD, p[0], EPOLLIN, 1));
		result("ctl MOD write end (not registered)", ctl(ep, EPOLL_CTL_MOD, p[1], EPOLLOUT, 2));
		result("ctl DEL write end (not registered)", ctl(ep, EPOLL_CTL_DEL, p[1], 0, 0));
		result("ctl MOD read end", ctl(ep, EPOLL_CTL_MOD, p[0], EPOLLIN, 3));
		result("ctl DEL read end", ctl(ep, EPOLL_CTL_DEL, p[0], 0, 0));
		result("ctl DEL read end again", ctl(ep, EPOLL_CTL_DEL, p[0], 0, 0));
		int closed = dup(p[0]);
		close(closed);
		result("ctl ADD closed fd", ctl(ep, EPOLL_CTL_ADD, closed, EPOLLIN, 0));
		result("ctl ADD fd 9999", ctl(ep, EPOLL_CTL_ADD, 9999, EPOLLIN, 0));
		result("ctl with closed epfd", ctl(closed, EPOLL_CTL_ADD, p[0], EPOLLIN, 0));
		result("ctl ADD epfd to itself", ctl(ep, EPOLL_CTL_ADD, ep, EPOLLIN, 0));
		result("ctl on a non-epoll epfd (pipe)", ctl(p[1], EPOLL_CTL_ADD, p[0], EPOLLIN, 0));
		result("ctl bad op 99", ctl(ep, 99, p[0], EPOLLIN, 0));
		int fd = open("epoll_tmp_file", O_RDWR | O_CREAT | O_TRUNC, 0600);
		if (fd >= 0) {
			unlink("epoll_tmp_file");
			result("ctl ADD regular file", ctl(ep, EPOLL_CTL_ADD, fd, EPOLLIN, 0));
			close(fd);
		} else {
			printf("open tmp file failed: %s\n", errname(errno));
		}
		struct epoll_event *volatile badev = (struct epoll_event *)1;
		errno = 0;
		result("ctl ADD with event pointer 1", epoll_ctl(ep, EPOLL_CTL_ADD, p[0], badev));
		result("ctl ADD read end (to DEL with NULL)", ctl(ep, EPOLL_CTL_ADD, p[0], EPOLLIN, 1));
		errno = 0;
		result("ctl DEL with NULL event", epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL));
		result("ctl ADD EPOLLEXCLUSIVE|EPOLLIN", ctl(ep, EPOLL_CTL_ADD, p[0], EPOLLEXCLUSIVE | EPOLLIN, 7));
		result("ctl MOD of an EPOLLEXCLUSIVE entry", ctl(ep, EPOLL_CTL_MOD, p[0], EPOLLIN, 7));
		result("ctl DEL", ctl(ep, EPOLL_CTL_DEL, p[0], 0, 0));
	}

	/* epoll_wait argument errors and timeouts */
	{
		struct epoll_event evs[4];
		errno = 0;
		result("epoll_wait maxevents 0", epoll_wait(ep, evs, 0, 0));
		errno = 0;
		volatile int negmax = -1;
		result("epoll_wait maxevents -1", epoll_wait(ep, evs, negmax, 0));
		errno = 0;
		result("epoll_wait on a pipe fd", epoll_wait(p[0], evs, 4, 0));
		int closed = dup(p[0]);
		close(closed);
		errno = 0;
		result("epoll_wait on a closed fd", epoll_wait(closed, evs, 4, 0));

		if (ctl(ep, EPOLL_CTL_ADD, p[0], EPOLLIN, 1) < 0) fails++;
		long t0 = now_ms();
		wait_print("wait timeout 0, nothing ready", ep, 4, 0);
		long el = now_ms() - t0;
		printf("  returned within 2s: %s\n", el < 2000 ? "yes" : "no");
		t0 = now_ms();
		wait_print("wait timeout 100ms, nothing ready", ep, 4, 100);
		el = now_ms() - t0;
		printf("  elapsed >= 90ms: %s\n", el >= 90 ? "yes" : "no");
		if (write(p[1], "x", 1) != 1) fails++;
		struct epoll_event *volatile badevs = (struct epoll_event *)1;
		errno = 0;
		result("epoll_wait events pointer 1 (event ready)", epoll_wait(ep, badevs, 4, 0));
		if (read(p[0], buf, sizeof buf) != 1) fails++;
		if (ctl(ep, EPOLL_CTL_DEL, p[0], 0, 0) < 0) fails++;
	}

	/* level-triggered */
	{
		if (ctl(ep, EPOLL_CTL_ADD, p[0], EPOLLIN, 10) < 0) fails++;
		if (write(p[1], "abcdef", 6) != 6) fails++;
		wait_print("LT: 6 bytes, wait #1", ep, 4, 0);
		wait_print("LT: 6 bytes, wait #2", ep, 4, 0);
		if (read(p[0], buf, 2) != 2) fails++;
		wait_print("LT: 4 bytes left, wait #3", ep, 4, 0);
		if (read(p[0], buf, sizeof buf) != 4) fails++;
		wait_print("LT: drained, wait #4", ep, 4, 0);
		if (ctl(ep, EPOLL_CTL_DEL, p[0], 0, 0) < 0) fails++;
	}

	/* edge-triggered with partial reads */
	{
		if (ctl(ep, EPOLL_CTL_ADD, p[0], EPOLLIN | EPOLLET, 20) < 0) fails++;
		wait_print("ET: empty", ep, 4, 0);
		if (write(p[1], "abcdef", 6) != 6) fails++;
		wait_print("ET: after write, wait #1", ep, 4, 0);
		wait_print("ET: no new write, wait #2", ep, 4, 0);
		if (read(p[0], buf, 2) != 2) fails++;
		wait_print("ET: partial read, wait #3", ep, 4, 0);
		if (write(p[1], "g", 1) != 1) fails++;
		wait_print("ET: new write onto data, wait #4", ep, 4, 0);
		wait_print("ET: wait #5", ep, 4, 0);
		if (read(p[0], buf, sizeof buf) != 5) fails++;
		wait_print("ET: drained, wait #6", ep, 4, 0);
		if (write(p[1], "h", 1) != 1) fails++;
		wait_print("ET: write into empty pipe, wait #7", ep, 4, 0);
		result("ET: ctl MOD re-arms (still EPOLLET)", ctl(ep, EPOLL_CTL_MOD, p[0], EPOLLIN | EPOLLET, 21));
		wait_print("ET: after MOD with data present, wait #8", ep, 4, 0);
		wait_print("ET: wait #9", ep, 4, 0);
		if (read(p[0], buf, sizeof buf) != 1) fails++;
		if (ctl(ep, EPOLL_CTL_DEL, p[0], 0, 0) < 0) fails++;
	}

	/* oneshot */
	{
		if (ctl(ep, EPOLL_CTL_ADD, p[0], EPOLLIN | EPOLLONESHOT, 30) < 0) fails++;
		if (write(p[1], "ab", 2) != 2) fails++;
		wait_print("ONESHOT: wait #1", ep, 4, 0);
		wait_print("ONESHOT: wait #2 (disarmed)", ep, 4, 0);
		if (write(p[1], "c", 1) != 1) fails++;
		wait_print("ONESHOT: new write, still disarmed", ep, 4, 0);
		result("ONESHOT: ctl ADD again (still registered)", ctl(ep, EPOLL_CTL_ADD, p[0], EPOLLIN, 31));
		result("ONESHOT: ctl MOD re-arm", ctl(ep, EPOLL_CTL_MOD, p[0], EPOLLIN | EPOLLONESHOT, 32));
		wait_print("ONESHOT: after re-arm", ep, 4, 0);
		wait_print("ONESHOT: again disarmed", ep, 4, 0);
		result("ONESHOT: ctl MOD to plain LT", ctl(ep, EPOLL_CTL_MOD, p[0], EPOLLIN, 33));
		wait_print("LT after MOD, wait #1", ep, 4, 0);
		wait_print("LT after MOD, wait #2", ep, 4, 0);
		if (read(p[0], buf, sizeof buf) != 3) fails++;
		if (ctl(ep, EPOLL_CTL_DEL, p[0], 0, 0) < 0) fails++;
	}

	/* u64 data round-trip; EPOLLOUT on the write end; both ends in one set */
	{
		if (ctl(ep, EPOLL_CTL_ADD, p[1], EPOLLOUT, 0x1122334455667788ULL) < 0) fails++;
		struct epoll_event ev;
		memset(&ev, 0, sizeof ev);
		int n = epoll_wait(ep, &ev, 1, 0);
		printf("%-48s -> %d events=%s data=0x%016llx\n", "EPOLLOUT on write end, u64 data", n,
		       evname(ev.events), (unsigned long long)ev.data.u64);
		if (ctl(ep, EPOLL_CTL_ADD, p[0], EPOLLIN | EPOLLOUT, 0xfedcba9876543210ULL) < 0) fails++;
		if (write(p[1], "q", 1) != 1) fails++;
		struct epoll_event evs[4];
		memset(evs, 0, sizeof evs);
		n = epoll_wait(ep, evs, 4, 0);
		int got_r = 0, got_w = 0;
		for (int i = 0; i < n; i++) {
			if (evs[i].data.u64 == 0xfedcba9876543210ULL && evs[i].events == EPOLLIN) got_r = 1;
			if (evs[i].data.u64 == 0x1122334455667788ULL && evs[i].events == EPOLLOUT) got_w = 1;
		}
		printf("%-48s -> %d read-IN: %s write-OUT: %s\n", "both ends registered, data in pipe", n,
		       got_r ? "yes" : "no", got_w ? "yes" : "no");
		memset(evs, 0, sizeof evs);
		n = epoll_wait(ep, evs, 1, 0);
		printf("%-48s -> %d\n", "same with maxevents 1", n);
		if (read(p[0], buf, sizeof buf) != 1) fails++;
		if (ctl(ep, EPOLL_CTL_DEL, p[0], 0, 0) < 0) fails++;
		if (ctl(ep, EPOLL_CTL_DEL, p[1], 0, 0) < 0) fails++;
	}

	/* EPOLLHUP when the writer closes; EPOLLERR when the reader closes */
	{
		int h[2];
		if (pipe(h) < 0) { perror("pipe"); return 1; }
		if (ctl(ep, EPOLL_CTL_ADD, h[0], EPOLLIN, 40) < 0) fails++;
		if (write(h[1], "zz", 2) != 2) fails++;
		close(h[1]);
		wait_print("writer closed, data left", ep, 4, 0);
		if (read(h[0], buf, sizeof buf) != 2) fails++;
		wait_print("writer closed, drained", ep, 4, 0);
		result("ctl MOD events=0 (HUP still reported)", ctl(ep, EPOLL_CTL_MOD, h[0], 0, 41));
		wait_print("writer closed, events=0", ep, 4, 0);
		close(h[0]);
		wait_print("after closing the read end too", ep, 4, 0);

		if (pipe(h) < 0) { perror("pipe"); return 1; }
		if (ctl(ep, EPOLL_CTL_ADD, h[1], EPOLLOUT, 42) < 0) fails++;
		close(h[0]);
		wait_print("reader closed, write end", ep, 4, 0);
		close(h[1]);

		/* writer in a child process exits after 100ms: blocked wait sees HUP */
		if (pipe(h) < 0) { perror("pipe"); return 1; }
		pid_t c = fork();
		if (c == 0) {
			close(h[0]);
			sleep_ms(100);
			_exit(0);
		}
		close(h[1]);
		if (ctl(ep, EPOLL_CTL_ADD, h[0], EPOLLIN, 43) < 0) fails++;
		wait_print("blocked wait, writer child exits", ep, 4, 5000);
		printf("  child status %d\n", reap(c));
		close(h[0]);
	}

	/* a child write wakes a blocked epoll_wait */
	{
		if (ctl(ep, EPOLL_CTL_ADD, p[0], EPOLLIN, 50) < 0) fails++;
		long t0 = now_ms();
		pid_t c = delayed_writer(p[1], 100);
		wait_print("epoll_wait(-1) woken by child write", ep, 4, -1);
		long el = now_ms() - t0;
		printf("  elapsed >= 90ms: %s, child status %d\n", el >= 90 ? "yes" : "no", reap(c));
		if (read(p[0], buf, sizeof buf) != 1) fails++;
		if (ctl(ep, EPOLL_CTL_DEL, p[0], 0, 0) < 0) fails++;
	}

	/* a child write wakes a blocked epoll_wait in a thread-less child-shared epoll instance */
	{
		int r[2];
		if (pipe(r) < 0) { perror("pipe"); return 1; }
		if (ctl(ep, EPOLL_CTL_ADD, p[0], EPOLLIN, 51) < 0) fails++;
		pid_t c = fork();
		if (c == 0) {
			/* the child waits on the inherited epoll fd */
			struct epoll_event ev;
			int n = epoll_wait(ep, &ev, 1, 5000);
			char msg = (n == 1 && ev.data.u64 == 51 && ev.events == EPOLLIN) ? 'Y' : 'N';
			if (write(r[1], &msg, 1) != 1) _exit(2);
			_exit(0);
		}
		sleep_ms(100);
		if (write(p[1], "k", 1) != 1) fails++;
		char msg = '?';
		if (read(r[0], &msg, 1) != 1) fails++;
		printf("%-48s -> %c, child status %d\n", "child waiting on inherited epfd woken", msg, reap(c));
		if (read(p[0], buf, sizeof buf) != 1) fails++;
		if (ctl(ep, EPOLL_CTL_DEL, p[0], 0, 0) < 0) fails++;
		close(r[0]);
		close(r[1]);
	}

	/* dup'ed fds: registration follows the open file description */
	{
		int d[2];
		if (pipe(d) < 0) { perror("pipe"); return 1; }
		if (ctl(ep, EPOLL_CTL_ADD, d[0], EPOLLIN, 60) < 0) fails++;
		int dup0 = dup(d[0]);
		if (write(d[1], "m", 1) != 1) fails++;
		close(d[0]);
		wait_print("original closed, dup open, data", ep, 4, 0);
		result("ctl DEL via the dup fd", ctl(ep, EPOLL_CTL_DEL, dup0, 0, 0));
		result("ctl ADD via the dup fd", ctl(ep, EPOLL_CTL_ADD, dup0, EPOLLIN, 61));
		wait_print("both registrations report", ep, 4, 0);
		result("ctl DEL via the dup fd", ctl(ep, EPOLL_CTL_DEL, dup0, 0, 0));
		wait_print("old registration still reports", ep, 4, 0);
		close(dup0);
		wait_print("last fd closed: registration gone", ep, 4, 0);
		close(d[1]);
	}

	/* nested epoll */
	{
		int inner = epoll_create1(0);
		int n[2];
		if (pipe(n) < 0) { perror("pipe"); return 1; }
		if (ctl(inner, EPOLL_CTL_ADD, n[0], EPOLLIN, 70) < 0) fails++;
		result("ctl ADD inner epfd to outer", ctl(ep, EPOLL_CTL_ADD, inner, EPOLLIN, 71));
		result("ctl ADD outer epfd to inner (loop)", ctl(inner, EPOLL_CTL_ADD, ep, EPOLLIN, 72));
		wait_print("outer, inner idle", ep, 4, 0);
		struct pollfd pf = { .fd = inner, .events = POLLIN };
		errno = 0;
		int r = poll(&pf, 1, 0);
		printf("%-48s -> %d revents=0x%x\n", "poll(inner epfd), idle", r, pf.revents);
		if (write(n[1], "i", 1) != 1) fails++;
		wait_print("outer, inner has an event", ep, 4, 0);
		pf.revents = 0;
		r = poll(&pf, 1, 0);
		printf("%-48s -> %d revents=%s\n", "poll(inner epfd), event pending", r, pf.revents == POLLIN ? "POLLIN" : "other");
		wait_print("inner itself", inner, 4, 0);
		if (read(n[0], buf, sizeof buf) != 1) fails++;
		wait_print("outer after draining", ep, 4, 0);
		pid_t c = delayed_writer(n[1], 100);
		wait_print("outer blocked, child writes to inner's pipe", ep, 4, 5000);
		printf("  child status %d\n", reap(c));
		if (read(n[0], buf, sizeof buf) != 1) fails++;
		if (ctl(ep, EPOLL_CTL_DEL, inner, 0, 0) < 0) fails++;
		close(inner);
		close(n[0]);
		close(n[1]);
	}

	/* epoll_pwait / epoll_pwait2 */
	{
		if (ctl(ep, EPOLL_CTL_ADD, p[0], EPOLLIN, 80) < 0) fails++;
		struct epoll_event evs[4];
		errno = 0;
		result("epoll_pwait NULL sigmask, timeout 0", epoll_pwait(ep, evs, 4, 0, NULL));
		sigset_t mask;
		sigemptyset(&mask);
		sigaddset(&mask, SIGUSR1);
		long t0 = now_ms();
		errno = 0;
		result("epoll_pwait sigmask, timeout 60ms", epoll_pwait(ep, evs, 4, 60, &mask));
		printf("  elapsed >= 50ms: %s\n", now_ms() - t0 >= 50 ? "yes" : "no");
		if (write(p[1], "s", 1) != 1) fails++;
		memset(evs, 0, sizeof evs);
		errno = 0;
		int n = epoll_pwait(ep, evs, 4, -1, NULL);
		printf("%-48s -> %d [%s data=%llu]\n", "epoll_pwait NULL sigmask, data ready", n, evname(evs[0].events),
		       (unsigned long long)evs[0].data.u64);

		struct timespec ts = { 0, 0 };
		memset(evs, 0, sizeof evs);
		errno = 0;
		long r = syscall(SYS_epoll_pwait2, ep, evs, 4, &ts, NULL, 8);
		if (r < 0)
			printf("%-48s -> -1 %s\n", "epoll_pwait2 timeout {0,0}, data ready", errname(errno));
		else
			printf("%-48s -> %ld [%s data=%llu]\n", "epoll_pwait2 timeout {0,0}, data ready", r,
			       evname(evs[0].events), (unsigned long long)evs[0].data.u64);
		if (read(p[0], buf, sizeof buf) != 1) fails++;
		errno = 0;
		result("epoll_pwait2 timeout {0,0}, nothing ready", syscall(SYS_epoll_pwait2, ep, evs, 4, &ts, NULL, 8));
		ts.tv_nsec = 100 * 1000000L;
		t0 = now_ms();
		errno = 0;
		r = syscall(SYS_epoll_pwait2, ep, evs, 4, &ts, NULL, 8);
		long el = now_ms() - t0;
		result("epoll_pwait2 timeout 100ms", r);
		printf("  elapsed >= 90ms: %s\n", r < 0 || el >= 90 ? "yes" : "no");
		struct timespec bad = { 0, 1000000000L };
		errno = 0;
		result("epoll_pwait2 tv_nsec = 1e9", syscall(SYS_epoll_pwait2, ep, evs, 4, &bad, NULL, 8));
		pid_t c = delayed_writer(p[1], 100);
		errno = 0;
		result("epoll_pwait2 NULL timeout woken by child", syscall(SYS_epoll_pwait2, ep, evs, 4, NULL, NULL, 8));
		printf("  child status %d\n", reap(c));
		if (read(p[0], buf, sizeof buf) != 1) fails++;
	}

	/* closing the epoll fd while registrations exist is fine; close-on-exec flag survives dup3 */
	{
		int e2 = epoll_create1(0);
		if (ctl(e2, EPOLL_CTL_ADD, p[0], EPOLLIN, 1) < 0) fails++;
		if (ctl(e2, EPOLL_CTL_ADD, p[1], EPOLLOUT, 2) < 0) fails++;
		result("close epfd with 2 registrations", close(e2));
		if (write(p[1], "t", 1) != 1) fails++;
		result("pipe still usable, read", read(p[0], buf, sizeof buf));
	}

	close(p[0]);
	close(p[1]);
	close(ep);
	printf("internal failures: %d\n", fails);
	return fails ? 1 : 0;
}
