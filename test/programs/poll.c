/* poll: poll()/ppoll() readiness on pipes, POLLHUP/POLLERR/POLLNVAL, timeouts, wakeups, errors. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

static const char *evname(int ev)
{
	static char bufs[8][160];
	static int next;
	char *buf = bufs[next++ % 8];
	static const struct { int bit; const char *name; } names[] = {
		{ POLLIN, "POLLIN" }, { POLLPRI, "POLLPRI" }, { POLLOUT, "POLLOUT" },
		{ POLLERR, "POLLERR" }, { POLLHUP, "POLLHUP" }, { POLLNVAL, "POLLNVAL" },
		{ POLLRDNORM, "POLLRDNORM" }, { POLLRDBAND, "POLLRDBAND" },
		{ POLLWRNORM, "POLLWRNORM" }, { POLLWRBAND, "POLLWRBAND" }, { POLLRDHUP, "POLLRDHUP" },
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

/* poll one fd for `events`, print result and revents. */
static void poll1(const char *label, int fd, short events, int timeout)
{
	struct pollfd p = { .fd = fd, .events = events, .revents = 0x7777 };
	errno = 0;
	int r = poll(&p, 1, timeout);
	if (r < 0)
		printf("%-44s -> -1 %s\n", label, errname(errno));
	else
		printf("%-44s -> %d revents=%s\n", label, r, evname(p.revents));
}

/* fork a child that sleeps `ms` then writes one byte to `wfd`. */

int main(void)
{
	int p[2];
	char buf[64];
	int fails = 0;
	setvbuf(stdout, NULL, _IONBF, 0);
	alarm(60); /* watchdog: a hang becomes a SIGALRM death */
	signal(SIGPIPE, SIG_IGN);

	/* basic readiness */
	if (pipe(p) < 0) { perror("pipe"); return 1; }
	poll1("empty pipe, read end POLLIN", p[0], POLLIN, 0);
	poll1("empty pipe, write end POLLOUT", p[1], POLLOUT, 0);
	poll1("empty pipe, write end POLLIN|POLLOUT", p[1], POLLIN | POLLOUT, 0);
	poll1("empty pipe, read end events=0", p[0], 0, 0);
	if (write(p[1], "abc", 3) != 3) fails++;
	poll1("3 bytes, read end POLLIN", p[0], POLLIN, 0);
	poll1("3 bytes, read end POLLIN|POLLRDNORM", p[0], POLLIN | POLLRDNORM, 0);
	poll1("3 bytes, read end POLLOUT only", p[0], POLLOUT, 0);

	/* multiple fds in one call */
	{
		struct pollfd fds[3] = {
			{ .fd = p[0], .events = POLLIN },
			{ .fd = p[1], .events = POLLOUT },
			{ .fd = -1, .events = POLLIN, .revents = 0x55 },
		};
		int r = poll(fds, 3, 0);
		printf("3 fds (read, write, -1)                      -> %d revents=%s, %s, %s\n",
		       r, evname(fds[0].revents), evname(fds[1].revents), evname(fds[2].revents));
	}

	/* POLLIN|POLLHUP with data remaining, then POLLHUP alone */
	close(p[1]);
	poll1("writer closed, 3 bytes left, POLLIN", p[0], POLLIN, 0);
	poll1("writer closed, 3 bytes left, events=0", p[0], 0, 0);
	if (read(p[0], buf, sizeof buf) != 3) fails++;
	poll1("writer closed, drained, POLLIN", p[0], POLLIN, 0);
	poll1("writer closed, drained, POLLIN (timeout -1)", p[0], POLLIN, -1);
	close(p[0]);

	/* POLLERR on the write end after the reader closes */
	if (pipe(p) < 0) { perror("pipe"); return 1; }
	close(p[0]);
	poll1("reader closed, write end POLLOUT", p[1], POLLOUT, 0);
	poll1("reader closed, write end events=0", p[1], 0, 0);
	close(p[1]);

	/* POLLNVAL */
	if (pipe(p) < 0) { perror("pipe"); return 1; }
	{
		int closed = dup(p[0]);
		close(closed);
		poll1("closed fd", closed, POLLIN, 0);
		poll1("fd 9999", 9999, POLLIN | POLLOUT, 0);
		struct pollfd fds[4] = {
			{ .fd = closed, .events = POLLIN },
			{ .fd = p[1], .events = POLLOUT },
			{ .fd = -5, .events = POLLIN | POLLOUT, .revents = 0x11 },
			{ .fd = 9999, .events = 0 },
		};
		int r = poll(fds, 4, 0);
		printf("closed, write end, -5, 9999                  -> %d revents=%s, %s, %s, %s\n",
		       r, evname(fds[0].revents), evname(fds[1].revents), evname(fds[2].revents),
		       evname(fds[3].revents));
		struct pollfd neg[2] = { { .fd = -1, .events = POLLIN }, { .fd = -100, .events = POLLOUT } };
		long t0 = now_ms();
		r = poll(neg, 2, 100);
		long el = now_ms() - t0;
		printf("only negative fds, 100ms                     -> %d revents=%s, %s; elapsed >= 90ms: %s\n",
		       r, evname(neg[0].revents), evname(neg[1].revents), el >= 90 ? "yes" : "no");
	}

	/* timeouts */
	{
		struct pollfd q = { .fd = p[0], .events = POLLIN };
		long t0 = now_ms();
		int r = poll(&q, 1, 0);
		long el = now_ms() - t0;
		printf("timeout 0, nothing ready                     -> %d; returned within 2s: %s\n", r,
		       el < 2000 ? "yes" : "no");
		t0 = now_ms();
		r = poll(&q, 1, 100);
		el = now_ms() - t0;
		printf("timeout 100ms, nothing ready                 -> %d revents=%s; elapsed >= 90ms: %s\n", r,
		       evname(q.revents), el >= 90 ? "yes" : "no");
		t0 = now_ms();
		r = poll(NULL, 0, 60);
		el = now_ms() - t0;
		printf("poll(NULL, 0, 60)                            -> %d; elapsed >= 50ms: %s\n", r,
		       el >= 50 ? "yes" : "no");
	}

	/* a child writing after 100ms wakes a blocked poll(-1) */
	{
		long t0 = now_ms();
		pid_t c = delayed_writer(p[1], 100);
		struct pollfd q[2] = { { .fd = p[0], .events = POLLIN }, { .fd = p[1], .events = 0 } };
		int r = poll(q, 2, -1);
		long el = now_ms() - t0;
		printf("poll(-1) woken by child write                -> %d revents=%s, %s; elapsed >= 90ms: %s\n",
		       r, evname(q[0].revents), evname(q[1].revents), el >= 90 ? "yes" : "no");
		printf("child status %d\n", reap(c));
		if (read(p[0], buf, sizeof buf) != 1) fails++;
	}

	/* a child closing its write end after 100ms wakes the poller with POLLHUP */
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
		struct pollfd q = { .fd = h[0], .events = POLLIN };
		int r = poll(&q, 1, 5000);
		printf("poll woken by last writer exiting            -> %d revents=%s\n", r, evname(q.revents));
		printf("child status %d\n", reap(c));
		close(h[0]);
	}

	/* ppoll */
	{
		struct pollfd q = { .fd = p[0], .events = POLLIN };
		struct timespec ts = { 0, 0 };
		int r = ppoll(&q, 1, &ts, NULL);
		printf("ppoll timeout {0,0}                          -> %d revents=%s\n", r, evname(q.revents));
		ts.tv_sec = 0;
		ts.tv_nsec = 100 * 1000000L;
		long t0 = now_ms();
		r = ppoll(&q, 1, &ts, NULL);
		long el = now_ms() - t0;
		printf("ppoll timeout 100ms                          -> %d revents=%s; elapsed >= 90ms: %s\n", r,
		       evname(q.revents), el >= 90 ? "yes" : "no");
		printf("ppoll timespec after (glibc keeps caller's)  -> {%ld,%ld}\n", (long)ts.tv_sec, ts.tv_nsec);
		struct timespec bad = { 0, 1000000000L };
		errno = 0;
		r = ppoll(&q, 1, &bad, NULL);
		printf("ppoll tv_nsec = 1e9                          -> %d %s\n", r, r < 0 ? errname(errno) : "");
		struct timespec neg = { -1, 0 };
		errno = 0;
		r = ppoll(&q, 1, &neg, NULL);
		printf("ppoll tv_sec = -1                            -> %d %s\n", r, r < 0 ? errname(errno) : "");

		if (write(p[1], "z", 1) != 1) fails++;
		r = ppoll(&q, 1, &ts, NULL);
		printf("ppoll with data ready                        -> %d revents=%s\n", r, evname(q.revents));
		if (read(p[0], buf, sizeof buf) != 1) fails++;

		sigset_t mask;
		sigemptyset(&mask);
		sigaddset(&mask, SIGUSR1);
		pid_t c = delayed_writer(p[1], 100);
		q.revents = 0;
		r = ppoll(&q, 1, NULL, &mask);
		printf("ppoll(NULL timeout, sigmask) woken by child  -> %d revents=%s\n", r, evname(q.revents));
		printf("child status %d\n", reap(c));
		if (read(p[0], buf, sizeof buf) != 1) fails++;
	}

	/* errors */
	{
		struct rlimit rl;
		getrlimit(RLIMIT_NOFILE, &rl);
		struct pollfd q = { .fd = p[0], .events = POLLIN };
		errno = 0;
		int r = poll(&q, (nfds_t)rl.rlim_cur + 1, 0);
		printf("nfds = RLIMIT_NOFILE+1                       -> %d %s\n", r, r < 0 ? errname(errno) : "");
		struct pollfd *volatile badp = (struct pollfd *)1, *volatile nullp = NULL;
		errno = 0;
		r = poll(badp, 1, 0);
		printf("fds pointer = 1                              -> %d %s\n", r, r < 0 ? errname(errno) : "");
		errno = 0;
		r = poll(nullp, 1, 0);
		printf("fds pointer = NULL, nfds 1                   -> %d %s\n", r, r < 0 ? errname(errno) : "");
		errno = 0;
		r = ppoll(badp, 1, NULL, NULL);
		printf("ppoll fds pointer = 1                        -> %d %s\n", r, r < 0 ? errname(errno) : "");
	}

	/* many fds: 64 pipes, every other one has data */
	{
		enum { N = 64 };
		int rd[N], wr[N];
		struct pollfd fds[N];
		for (int i = 0; i < N; i++) {
			int pp[2];
			if (pipe(pp) < 0) { perror("pipe"); return 1; }
			rd[i] = pp[0];
			wr[i] = pp[1];
			if (i % 2 == 0 && write(wr[i], "d", 1) != 1) fails++;
			fds[i].fd = rd[i];
			fds[i].events = POLLIN;
			fds[i].revents = 0;
		}
		int r = poll(fds, N, 0);
		int ok = 1;
		for (int i = 0; i < N; i++)
			if (fds[i].revents != (i % 2 == 0 ? POLLIN : 0)) ok = 0;
		printf("64 pipes, 32 with data                       -> %d, revents pattern ok: %s\n", r, ok ? "yes" : "no");
		for (int i = 0; i < N; i++) { close(rd[i]); close(wr[i]); }
	}

	close(p[0]);
	close(p[1]);
	printf("internal failures: %d\n", fails);
	return fails ? 1 : 0;
}
