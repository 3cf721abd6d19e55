/* timerfd: create flags/clocks, one-shot and interval expirations, absolute times, disarming,
 * gettime, nonblocking reads, short buffers, poll. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

static void result(const char *label, long r)
{
	if (r < 0)
		printf("%-50s -> -1 %s\n", label, errname(errno));
	else
		printf("%-50s -> %ld\n", label, r);
}

static int arm(int fd, int flags, long val_ms, long int_ms)
{
	struct itimerspec its = {
		.it_interval = { int_ms / 1000, (int_ms % 1000) * 1000000L },
		.it_value = { val_ms / 1000, (val_ms % 1000) * 1000000L },
	};
	errno = 0;
	return timerfd_settime(fd, flags, &its, NULL);
}

/* read the expiration count; returns count or -1 */
static long long rd(int fd)
{
	uint64_t v = 0;
	errno = 0;
	ssize_t n = read(fd, &v, sizeof v);
	if (n < 0) return -1;
	if (n != 8) return -2;
	return (long long)v;
}

static void rd_print(const char *label, int fd)
{
	long long v = rd(fd);
	if (v == -1)
		printf("%-50s -> -1 %s\n", label, errname(errno));
	else
		printf("%-50s -> %lld\n", label, v);
}

int main(void)
{
	int fails = 0;
	setvbuf(stdout, NULL, _IONBF, 0);
	alarm(60); /* watchdog: a hang becomes a SIGALRM death */

	/* creation */
	{
		static const struct { int clock; const char *name; } clocks[] = {
			{ CLOCK_MONOTONIC, "CLOCK_MONOTONIC" },
			{ CLOCK_REALTIME, "CLOCK_REALTIME" },
			{ CLOCK_BOOTTIME, "CLOCK_BOOTTIME" },
		};
		for (size_t i = 0; i < 3; i++) {
			errno = 0;
			int fd = timerfd_create(clocks[i].clock, 0);
			char label[64];
			snprintf(label, sizeof label, "timerfd_create(%s) >= 0", clocks[i].name);
			result(label, fd < 0 ? -1 : 0);
			if (fd >= 0) close(fd);
		}
		errno = 0;
		result("timerfd_create(CLOCK_PROCESS_CPUTIME_ID)", timerfd_create(CLOCK_PROCESS_CPUTIME_ID, 0));
		errno = 0;
		result("timerfd_create(CLOCK_MONOTONIC_RAW)", timerfd_create(CLOCK_MONOTONIC_RAW, 0));
		errno = 0;
		result("timerfd_create(clock 99)", timerfd_create(99, 0));
		errno = 0;
		result("timerfd_create(clock -1)", timerfd_create(-1, 0));
		errno = 0;
		result("timerfd_create(MONOTONIC, flags 0x1)", timerfd_create(CLOCK_MONOTONIC, 0x1));
		errno = 0;
		result("timerfd_create(MONOTONIC, TFD_TIMER_ABSTIME)", timerfd_create(CLOCK_MONOTONIC, TFD_TIMER_ABSTIME));

		int fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
		printf("TFD_CLOEXEC|TFD_NONBLOCK: FD_CLOEXEC=%s O_NONBLOCK=%s\n",
		       (fcntl(fd, F_GETFD) & FD_CLOEXEC) ? "yes" : "no", (fcntl(fd, F_GETFL) & O_NONBLOCK) ? "yes" : "no");
		close(fd);
		fd = timerfd_create(CLOCK_MONOTONIC, 0);
		printf("flags 0: FD_CLOEXEC=%s O_NONBLOCK=%s\n", (fcntl(fd, F_GETFD) & FD_CLOEXEC) ? "yes" : "no",
		       (fcntl(fd, F_GETFL) & O_NONBLOCK) ? "yes" : "no");
		close(fd);
	}

	int fd = timerfd_create(CLOCK_MONOTONIC, 0);
	int nb = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
	if (fd < 0 || nb < 0) { printf("timerfd_create failed: %s\n", errname(errno)); return 1; }

	/* gettime on a disarmed timer; settime/gettime errors */
	{
		struct itimerspec cur;
		memset(&cur, 0x55, sizeof cur);
		errno = 0;
		int r = timerfd_gettime(fd, &cur);
		printf("%-50s -> %d value={%ld,%ld} interval={%ld,%ld}\n", "gettime, never armed", r,
		       (long)cur.it_value.tv_sec, cur.it_value.tv_nsec, (long)cur.it_interval.tv_sec,
		       cur.it_interval.tv_nsec);
		struct itimerspec its = { { 0, 0 }, { 0, 50000000L } };
		errno = 0;
		result("settime bad flags 0x8", timerfd_settime(fd, 0x8, &its, NULL));
		its.it_value.tv_nsec = 1000000000L;
		errno = 0;
		result("settime value tv_nsec = 1e9", timerfd_settime(fd, 0, &its, NULL));
		its.it_value.tv_nsec = 0;
		its.it_value.tv_sec = -1;
		errno = 0;
		result("settime value tv_sec = -1", timerfd_settime(fd, 0, &its, NULL));
		its.it_value.tv_sec = 1;
		its.it_interval.tv_nsec = -1;
		errno = 0;
		result("settime interval tv_nsec = -1", timerfd_settime(fd, 0, &its, NULL));
		its.it_interval.tv_nsec = 0;
		int p[2];
		if (pipe(p) < 0) { perror("pipe"); return 1; }
		errno = 0;
		result("settime on a pipe fd", timerfd_settime(p[0], 0, &its, NULL));
		errno = 0;
		result("gettime on a pipe fd", timerfd_gettime(p[0], &cur));
		close(p[0]);
		close(p[1]);
		errno = 0;
		result("settime on fd 9999", timerfd_settime(9999, 0, &its, NULL));
		struct itimerspec *volatile bad = (struct itimerspec *)8;
		errno = 0;
		result("settime new_value pointer 8", timerfd_settime(fd, 0, bad, NULL));
		errno = 0;
		result("gettime pointer 8", timerfd_gettime(fd, bad));
		errno = 0;
		r = timerfd_gettime(fd, &cur);
		printf("%-50s -> %d value zero: %s\n", "gettime after failed settimes", r,
		       cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec == 0 ? "yes" : "no");
	}

	/* one-shot 50ms, blocking read */
	{
		long t0 = now_ms();
		result("settime relative 50ms one-shot", arm(fd, 0, 50, 0));
		struct itimerspec cur;
		timerfd_gettime(fd, &cur);
		printf("  gettime: value <= 50ms: %s, interval zero: %s\n",
		       cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec <= 50000000L ? "yes" : "no",
		       cur.it_interval.tv_sec == 0 && cur.it_interval.tv_nsec == 0 ? "yes" : "no");
		rd_print("blocking read", fd);
		long el = now_ms() - t0;
		printf("  elapsed >= 45ms: %s\n", el >= 45 ? "yes" : "no");
		timerfd_gettime(fd, &cur);
		printf("  gettime after expiry: all zero: %s\n",
		       !cur.it_value.tv_sec && !cur.it_value.tv_nsec && !cur.it_interval.tv_sec && !cur.it_interval.tv_nsec
		       ? "yes" : "no");
	}

	/* nonblocking read before expiry; short buffer */
	{
		result("nonblock fd: settime 200ms", arm(nb, 0, 200, 0));
		rd_print("nonblock read before expiry", nb);
		char small[8];
		errno = 0;
		result("read with 4-byte buffer", read(nb, small, 4));
		errno = 0;
		result("read with 7-byte buffer", read(nb, small, 7));
		errno = 0;
		result("write 8 bytes to a timerfd", write(nb, "12345678", 8));
		struct pollfd p = { .fd = nb, .events = POLLIN };
		int r = poll(&p, 1, 0);
		printf("%-50s -> %d revents=0x%x\n", "poll before expiry", r, p.revents);
		long t0 = now_ms();
		r = poll(&p, 1, 5000);
		long el = now_ms() - t0;
		printf("%-50s -> %d revents=%s\n", "poll until expiry", r, p.revents == POLLIN ? "POLLIN" : "other");
		printf("  elapsed >= 100ms: %s\n", el >= 100 ? "yes" : "no");
		errno = 0;
		result("read with 4-byte buffer after expiry", read(nb, small, 4));
		uint64_t big[2] = { 0, 0 };
		errno = 0;
		result("read with 16-byte buffer", read(nb, big, sizeof big));
		printf("  expirations: %llu\n", (unsigned long long)big[0]);
		rd_print("nonblock read again", nb);
		r = poll(&p, 1, 0);
		printf("%-50s -> %d\n", "poll after read", r);
	}

	/* interval timer: 20ms period, run >= 150ms */
	{
		long t0 = now_ms();
		result("settime 20ms value, 20ms interval", arm(fd, 0, 20, 20));
		sleep_ms(150);
		long long n = rd(fd);
		long el = now_ms() - t0;
		printf("interval read: count >= 3: %s, count <= elapsed/20+1: %s\n", n >= 3 ? "yes" : "no",
		       n >= 0 && n <= el / 20 + 1 ? "yes" : "no");
		struct itimerspec cur;
		timerfd_gettime(fd, &cur);
		printf("  gettime interval == {0,20000000}: %s, value <= 20ms: %s\n",
		       cur.it_interval.tv_sec == 0 && cur.it_interval.tv_nsec == 20000000L ? "yes" : "no",
		       cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec <= 20000000L ? "yes" : "no");
		long long m = rd(fd);
		printf("  next blocking read returns >= 1: %s\n", m >= 1 ? "yes" : "no");

		/* re-arm with a new interval: old_value reports the previous interval exactly */
		struct itimerspec its = { { 1, 500000000L }, { 3, 0 } }, old;
		memset(&old, 0x55, sizeof old);
		errno = 0;
		int r = timerfd_settime(fd, 0, &its, &old);
		printf("%-50s -> %d old interval={%ld,%ld} old value <= 20ms: %s\n", "settime 3s/1.5s with old_value", r,
		       (long)old.it_interval.tv_sec, old.it_interval.tv_nsec,
		       old.it_value.tv_sec == 0 && old.it_value.tv_nsec <= 20000000L ? "yes" : "no");
		timerfd_gettime(fd, &cur);
		printf("  gettime interval={%ld,%ld}, value in (2s, 3s]: %s\n", (long)cur.it_interval.tv_sec,
		       cur.it_interval.tv_nsec,
		       (cur.it_value.tv_sec == 2 && cur.it_value.tv_nsec > 0) || (cur.it_value.tv_sec == 3 && cur.it_value.tv_nsec == 0)
		       ? "yes" : "no");

		/* disarm with a zero it_value */
		struct itimerspec zero;
		memset(&zero, 0, sizeof zero);
		zero.it_interval.tv_sec = 1; /* ignored when value is zero */
		memset(&old, 0x55, sizeof old);
		errno = 0;
		r = timerfd_settime(fd, 0, &zero, &old);
		printf("%-50s -> %d old interval={%ld,%ld}\n", "disarm (zero value, nonzero interval)", r,
		       (long)old.it_interval.tv_sec, old.it_interval.tv_nsec);
		timerfd_gettime(fd, &cur);
		printf("  gettime after disarm: value={%ld,%ld} interval={%ld,%ld}\n", (long)cur.it_value.tv_sec,
		       cur.it_value.tv_nsec, (long)cur.it_interval.tv_sec, cur.it_interval.tv_nsec);
	}

	/* disarming discards a pending expiration count; a disarmed timer never fires */
	{
		result("nonblock: settime 10ms one-shot", arm(nb, 0, 10, 0));
		sleep_ms(60);
		result("disarm after it expired (unread)", arm(nb, 0, 0, 0));
		rd_print("nonblock read after disarm", nb);
		result("settime 50ms then disarm at once", arm(nb, 0, 50, 0));
		result("  disarm", arm(nb, 0, 0, 0));
		sleep_ms(100);
		rd_print("nonblock read 100ms later", nb);
		struct pollfd p = { .fd = nb, .events = POLLIN };
		long t0 = now_ms();
		int r = poll(&p, 1, 100);
		printf("%-50s -> %d, elapsed >= 90ms: %s\n", "poll 100ms on a disarmed timer", r,
		       now_ms() - t0 >= 90 ? "yes" : "no");
	}

	/* absolute times */
	{
		struct itimerspec its;
		memset(&its, 0, sizeof its);
		its.it_value.tv_sec = 1; /* CLOCK_MONOTONIC 1s: long past */
		errno = 0;
		result("ABSTIME in the past (monotonic 1s)", timerfd_settime(fd, TFD_TIMER_ABSTIME, &its, NULL));
		rd_print("blocking read", fd);
		struct itimerspec cur;
		timerfd_gettime(fd, &cur);
		printf("  gettime after: value zero: %s\n", !cur.it_value.tv_sec && !cur.it_value.tv_nsec ? "yes" : "no");

		struct timespec now;
		clock_gettime(CLOCK_MONOTONIC, &now);
		its.it_value = now;
		its.it_value.tv_nsec += 60 * 1000000L;
		if (its.it_value.tv_nsec >= 1000000000L) { its.it_value.tv_sec++; its.it_value.tv_nsec -= 1000000000L; }
		long t0 = now_ms();
		errno = 0;
		result("ABSTIME now+60ms", timerfd_settime(fd, TFD_TIMER_ABSTIME, &its, NULL));
		timerfd_gettime(fd, &cur);
		printf("  gettime reports a relative value <= 60ms: %s\n",
		       cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec <= 60000000L ? "yes" : "no");
		rd_print("blocking read", fd);
		printf("  elapsed >= 50ms: %s\n", now_ms() - t0 >= 50 ? "yes" : "no");

		/* realtime clock, absolute past with interval: many periods already missed */
		int rt = timerfd_create(CLOCK_REALTIME, 0);
		struct timespec rnow;
		clock_gettime(CLOCK_REALTIME, &rnow);
		its.it_value.tv_sec = rnow.tv_sec - 10;
		its.it_value.tv_nsec = rnow.tv_nsec;
		its.it_interval.tv_sec = 1;
		its.it_interval.tv_nsec = 0;
		errno = 0;
		result("REALTIME ABSTIME now-10s, interval 1s", timerfd_settime(rt, TFD_TIMER_ABSTIME, &its, NULL));
		long long n = rd(rt);
		printf("  expirations in [10, 12]: %s\n", n >= 10 && n <= 12 ? "yes" : "no");
		close(rt);

		int bt = timerfd_create(CLOCK_BOOTTIME, 0);
		t0 = now_ms();
		result("BOOTTIME relative 50ms", arm(bt, 0, 50, 0));
		rd_print("blocking read", bt);
		printf("  elapsed >= 45ms: %s\n", now_ms() - t0 >= 45 ? "yes" : "no");
		close(bt);
	}

	/* a blocked read in a child process is woken by the timer */
	{
		result("settime 100ms one-shot, child reads", arm(fd, 0, 100, 0));
		pid_t c = fork();
		if (c == 0) {
			long long v = rd(fd);
			_exit(v == 1 ? 0 : 1);
		}
		int st;
		waitpid(c, &st, 0);
		printf("  child read 1 expiration: %s\n", WIFEXITED(st) && WEXITSTATUS(st) == 0 ? "yes" : "no");
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int r = poll(&p, 1, 0);
		printf("%-50s -> %d\n", "parent poll after the child's read", r);
	}

	close(fd);
	close(nb);
	printf("internal failures: %d\n", fails);
	return fails ? 1 : 0;
}
