/* select: select()/pselect() on pipes, eventfds and files; timeouts, remaining time, errors, wakeups. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/select.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

static void result(const char *label, int r)
{
	if (r < 0)
		printf("%-46s -> -1 %s\n", label, errname(errno));
	else
		printf("%-46s -> %d\n", label, r);
}

/* print which of fds[0..n) are set in `s` as a list of names */
static void members(const char *what, const fd_set *s, const int *fds, const char *const *names, int n)
{
	printf("  %s:", what);
	int any = 0;
	for (int i = 0; i < n; i++)
		if (FD_ISSET(fds[i], s)) { printf(" %s", names[i]); any = 1; }
	printf("%s\n", any ? "" : " (none)");
}

int main(void)
{
	int p[2], q[2];
	char buf[64];
	int fails = 0;
	fd_set r, w, e;
	setvbuf(stdout, NULL, _IONBF, 0);
	alarm(60); /* watchdog: a hang becomes a SIGALRM death */
	signal(SIGPIPE, SIG_IGN);

	if (pipe(p) < 0 || pipe(q) < 0) { perror("pipe"); return 1; }
	int fds[4] = { p[0], p[1], q[0], q[1] };
	const char *const names[4] = { "p.read", "p.write", "q.read", "q.write" };
	int maxfd = 0;
	for (int i = 0; i < 4; i++) if (fds[i] > maxfd) maxfd = fds[i];

	/* readable / writable sets */
	{
		if (write(q[1], "hi", 2) != 2) fails++;
		FD_ZERO(&r); FD_ZERO(&w); FD_ZERO(&e);
		FD_SET(p[0], &r); FD_SET(q[0], &r);
		FD_SET(p[1], &w); FD_SET(q[1], &w);
		FD_SET(p[0], &e); FD_SET(q[0], &e);
		struct timeval tv = { 0, 0 };
		errno = 0;
		int n = select(maxfd + 1, &r, &w, &e, &tv);
		result("select: q has data, both writable", n);
		members("read", &r, fds, names, 4);
		members("write", &w, fds, names, 4);
		members("except", &e, fds, names, 4);
		if (read(q[0], buf, sizeof buf) != 2) fails++;

		/* read end in the write set, write end in the read set: never ready */
		FD_ZERO(&r); FD_ZERO(&w);
		FD_SET(p[1], &r); FD_SET(p[0], &w);
		tv.tv_sec = 0; tv.tv_usec = 0;
		errno = 0;
		n = select(maxfd + 1, &r, &w, NULL, &tv);
		result("select: write end in rset, read end in wset", n);
		members("read", &r, fds, names, 4);
		members("write", &w, fds, names, 4);
	}

	/* an fd both readable and writable is counted twice */
	{
		int efd = eventfd(1, 0);
		if (efd < 0) {
			printf("eventfd -> -1 %s\n", errname(errno));
		} else {
			FD_ZERO(&r); FD_ZERO(&w);
			FD_SET(efd, &r); FD_SET(efd, &w);
			struct timeval tv = { 0, 0 };
			errno = 0;
			int n = select(efd + 1, &r, &w, NULL, &tv);
			result("select: eventfd(1) in rset and wset", n);
			printf("  in read set: %s, in write set: %s\n", FD_ISSET(efd, &r) ? "yes" : "no",
			       FD_ISSET(efd, &w) ? "yes" : "no");
			close(efd);
		}
		int fd = open("select_tmp_file", O_RDWR | O_CREAT | O_TRUNC, 0600);
		if (fd < 0) {
			printf("open tmp -> -1 %s\n", errname(errno));
		} else {
			unlink("select_tmp_file");
			FD_ZERO(&r); FD_ZERO(&w);
			FD_SET(fd, &r); FD_SET(fd, &w);
			struct timeval tv = { 0, 0 };
			errno = 0;
			int n = select(fd + 1, &r, &w, NULL, &tv);
			result("select: regular file in rset and wset", n);
			printf("  in read set: %s, in write set: %s\n", FD_ISSET(fd, &r) ? "yes" : "no",
			       FD_ISSET(fd, &w) ? "yes" : "no");
			close(fd);
		}
	}

	/* EBADF for a closed fd */
	{
		int closed = dup(p[0]);
		close(closed);
		FD_ZERO(&r);
		FD_SET(p[0], &r);
		FD_SET(closed, &r);
		struct timeval tv = { 0, 0 };
		errno = 0;
		int n = select(closed + 1, &r, NULL, NULL, &tv);
		result("select: closed fd in rset", n);
		FD_ZERO(&w);
		FD_SET(closed, &w);
		errno = 0;
		n = select(closed + 1, NULL, &w, NULL, &tv);
		result("select: closed fd in wset", n);
		FD_ZERO(&e);
		FD_SET(closed, &e);
		errno = 0;
		n = select(closed + 1, NULL, NULL, &e, &tv);
		result("select: closed fd in eset", n);
		/* a closed fd beyond nfds is not looked at */
		FD_ZERO(&r);
		FD_SET(closed, &r);
		errno = 0;
		n = select(closed, &r, NULL, NULL, &tv);
		result("select: closed fd at nfds (not examined)", n);
	}

	/* timeouts */
	{
		FD_ZERO(&r);
		FD_SET(p[0], &r);
		struct timeval tv = { 0, 0 };
		long t0 = now_ms();
		errno = 0;
		int n = select(p[0] + 1, &r, NULL, NULL, &tv);
		long el = now_ms() - t0;
		result("select: timeout {0,0}", n);
		printf("  returned within 2s: %s, p.read still set: %s\n", el < 2000 ? "yes" : "no",
		       FD_ISSET(p[0], &r) ? "yes" : "no");

		FD_ZERO(&r);
		FD_SET(p[0], &r);
		tv.tv_sec = 0;
		tv.tv_usec = 100000;
		t0 = now_ms();
		errno = 0;
		n = select(p[0] + 1, &r, NULL, NULL, &tv);
		el = now_ms() - t0;
		result("select: timeout 100ms", n);
		printf("  elapsed >= 90ms: %s, remaining zero: %s, p.read still set: %s\n", el >= 90 ? "yes" : "no",
		       tv.tv_sec == 0 && tv.tv_usec == 0 ? "yes" : "no", FD_ISSET(p[0], &r) ? "yes" : "no");

		/* a timeout with time left: remaining written back, smaller than the request */
		if (write(p[1], "x", 1) != 1) fails++;
		FD_ZERO(&r);
		FD_SET(p[0], &r);
		tv.tv_sec = 5;
		tv.tv_usec = 0;
		errno = 0;
		n = select(p[0] + 1, &r, NULL, NULL, &tv);
		result("select: data ready, timeout 5s", n);
		printf("  remaining > 0 and <= 5s: %s\n",
		       (tv.tv_sec > 0 || tv.tv_usec > 0) && (tv.tv_sec < 5 || (tv.tv_sec == 5 && tv.tv_usec == 0)) ? "yes" : "no");
		if (read(p[0], buf, sizeof buf) != 1) fails++;

		t0 = now_ms();
		tv.tv_sec = 0;
		tv.tv_usec = 60000;
		errno = 0;
		n = select(0, NULL, NULL, NULL, &tv);
		el = now_ms() - t0;
		result("select(0, NULL, NULL, NULL, 60ms)", n);
		printf("  elapsed >= 50ms: %s\n", el >= 50 ? "yes" : "no");
	}

	/* errors */
	{
		struct timeval tv = { 0, 0 };
		FD_ZERO(&r);
		FD_SET(p[0], &r);
		errno = 0;
		result("select: nfds = -1", select(-1, &r, NULL, NULL, &tv));
		tv.tv_sec = -1;
		tv.tv_usec = 0;
		errno = 0;
		result("select: tv_sec = -1", select(p[0] + 1, &r, NULL, NULL, &tv));
		tv.tv_sec = 0;
		tv.tv_usec = -5;
		errno = 0;
		result("select: tv_usec = -5", select(p[0] + 1, &r, NULL, NULL, &tv));
		fd_set *volatile badset = (fd_set *)1;
		tv.tv_sec = 0;
		tv.tv_usec = 0;
		errno = 0;
		result("select: readfds pointer = 1", select(p[0] + 1, badset, NULL, NULL, &tv));
		struct timespec ts = { 0, 1000000000L };
		FD_ZERO(&r);
		FD_SET(p[0], &r);
		errno = 0;
		result("pselect: tv_nsec = 1e9", pselect(p[0] + 1, &r, NULL, NULL, &ts, NULL));
	}

	/* a child write wakes a blocked select (no timeout) */
	{
		long t0 = now_ms();
		pid_t c = delayed_writer(p[1], 100);
		FD_ZERO(&r);
		FD_SET(p[0], &r);
		FD_SET(q[0], &r);
		errno = 0;
		int n = select(maxfd + 1, &r, NULL, NULL, NULL);
		long el = now_ms() - t0;
		result("select(NULL timeout) woken by child write", n);
		members("read", &r, fds, names, 4);
		printf("  elapsed >= 90ms: %s, child status %d\n", el >= 90 ? "yes" : "no", reap(c));
		if (read(p[0], buf, sizeof buf) != 1) fails++;
	}

	/* a child exiting (last writer gone) makes the read end readable (EOF) */
	{
		int h[2];
		if (pipe(h) < 0) { perror("pipe"); return 1; }
		pid_t c = fork();
		if (c == 0) {
			close(h[0]);
			sleep_ms(100);
			_exit(0);
		}
		close(h[1]);
		FD_ZERO(&r);
		FD_SET(h[0], &r);
		struct timeval tv = { 5, 0 };
		errno = 0;
		int n = select(h[0] + 1, &r, NULL, NULL, &tv);
		result("select woken by writer exiting (EOF)", n);
		printf("  readable: %s, read returns %zd, child status %d\n", FD_ISSET(h[0], &r) ? "yes" : "no",
		       read(h[0], buf, sizeof buf), reap(c));
		close(h[0]);
	}

	/* pselect: timespec timeout, not written back; sigmask; wakeup */
	{
		FD_ZERO(&r);
		FD_SET(p[0], &r);
		struct timespec ts = { 0, 0 };
		errno = 0;
		result("pselect: timeout {0,0}", pselect(p[0] + 1, &r, NULL, NULL, &ts, NULL));
		FD_ZERO(&r);
		FD_SET(p[0], &r);
		ts.tv_sec = 0;
		ts.tv_nsec = 100 * 1000000L;
		long t0 = now_ms();
		errno = 0;
		int n = pselect(p[0] + 1, &r, NULL, NULL, &ts, NULL);
		long el = now_ms() - t0;
		result("pselect: timeout 100ms", n);
		printf("  elapsed >= 90ms: %s, timespec unchanged: %s\n", el >= 90 ? "yes" : "no",
		       ts.tv_sec == 0 && ts.tv_nsec == 100 * 1000000L ? "yes" : "no");

		sigset_t mask;
		sigemptyset(&mask);
		sigaddset(&mask, SIGUSR1);
		pid_t c = delayed_writer(p[1], 100);
		FD_ZERO(&r);
		FD_SET(p[0], &r);
		FD_ZERO(&w);
		FD_SET(q[1], &w);
		errno = 0;
		n = pselect(maxfd + 1, &r, NULL, NULL, NULL, &mask);
		result("pselect(NULL timeout, sigmask) woken by child", n);
		members("read", &r, fds, names, 4);
		printf("  child status %d\n", reap(c));
		if (read(p[0], buf, sizeof buf) != 1) fails++;

		/* raw pselect6 with the timespec written back */
		FD_ZERO(&r);
		FD_SET(p[0], &r);
		ts.tv_sec = 0;
		ts.tv_nsec = 60 * 1000000L;
		errno = 0;
		n = (int)syscall(SYS_pselect6, p[0] + 1, &r, NULL, NULL, &ts, NULL);
		result("raw pselect6: timeout 60ms", n);
		printf("  remaining zero: %s\n", ts.tv_sec == 0 && ts.tv_nsec == 0 ? "yes" : "no");
	}

	/* a large nfds with few fds set is fine */
	{
		FD_ZERO(&w);
		FD_SET(p[1], &w);
		struct timeval tv = { 0, 0 };
		errno = 0;
		result("select: nfds = FD_SETSIZE, write end only", select(FD_SETSIZE, NULL, &w, NULL, &tv));
	}

	close(p[0]); close(p[1]); close(q[0]); close(q[1]);
	printf("internal failures: %d\n", fails);
	return fails ? 1 : 0;
}
