/* eventfd: counter and semaphore semantics, overflow, short buffers, blocking across fork, poll, flags. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

static const char *evname(int ev)
{
	static char bufs[4][96];
	static int next;
	char *buf = bufs[next++ % 4];
	buf[0] = 0;
	if (ev & POLLIN) strcat(buf, "POLLIN|");
	if (ev & POLLOUT) strcat(buf, "POLLOUT|");
	if (ev & POLLERR) strcat(buf, "POLLERR|");
	if (ev & POLLHUP) strcat(buf, "POLLHUP|");
	if (ev & POLLNVAL) strcat(buf, "POLLNVAL|");
	if (ev & ~(POLLIN | POLLOUT | POLLERR | POLLHUP | POLLNVAL)) strcat(buf, "other|");
	if (!buf[0]) return "0";
	buf[strlen(buf) - 1] = 0;
	return buf;
}

/* read 8 bytes and print the value or the error */
static void rd(const char *label, int fd)
{
	uint64_t v = 0xdeadbeef;
	errno = 0;
	ssize_t n = read(fd, &v, sizeof v);
	if (n < 0)
		printf("%-44s -> -1 %s\n", label, errname(errno));
	else
		printf("%-44s -> %zd value=0x%llx\n", label, n, (unsigned long long)v);
}

static void wr(const char *label, int fd, uint64_t v)
{
	errno = 0;
	ssize_t n = write(fd, &v, sizeof v);
	if (n < 0)
		printf("%-44s -> -1 %s\n", label, errname(errno));
	else
		printf("%-44s -> %zd\n", label, n);
}

static void pl(const char *label, int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN | POLLOUT };
	int r = poll(&p, 1, 0);
	if (r < 0)
		printf("%-44s -> -1 %s\n", label, errname(errno));
	else
		printf("%-44s -> %d revents=%s\n", label, r, evname(p.revents));
}

static void result(const char *label, long r)
{
	if (r < 0)
		printf("%-44s -> -1 %s\n", label, errname(errno));
	else
		printf("%-44s -> %ld\n", label, r);
}

int main(void)
{
	int fails = 0;
	setvbuf(stdout, NULL, _IONBF, 0);
	alarm(60); /* watchdog: a hang becomes a SIGALRM death */

	/* initial value, read resets */
	{
		int fd = eventfd(5, EFD_NONBLOCK);
		if (fd < 0) { printf("eventfd(5, EFD_NONBLOCK) -> -1 %s\n", errname(errno)); return 1; }
		printf("O_NONBLOCK set: %s, FD_CLOEXEC set: %s, access mode RDWR: %s\n",
		       (fcntl(fd, F_GETFL) & O_NONBLOCK) ? "yes" : "no",
		       (fcntl(fd, F_GETFD) & FD_CLOEXEC) ? "yes" : "no",
		       (fcntl(fd, F_GETFL) & O_ACCMODE) == O_RDWR ? "yes" : "no");
		rd("read initial 5", fd);
		rd("read again (zero, nonblock)", fd);
		wr("write 3", fd, 3);
		wr("write 4", fd, 4);
		rd("read sum", fd);
		wr("write 0", fd, 0);
		rd("read after writing 0", fd);
		wr("write 0xffffffffffffffff", fd, 0xffffffffffffffffULL);
		rd("read after bad write", fd);

		/* short and long buffers */
		char small[8];
		memset(small, 0, sizeof small);
		wr("write 1", fd, 1);
		errno = 0;
		result("read 4 bytes", read(fd, small, 4));
		errno = 0;
		result("read 7 bytes", read(fd, small, 7));
		errno = 0;
		result("write 4 bytes", write(fd, small, 4));
		errno = 0;
		result("write 0 bytes", write(fd, small, 0));
		uint64_t big[2] = { 0, 0 };
		errno = 0;
		result("read 16 bytes", read(fd, big, sizeof big));
		printf("  value=0x%llx\n", (unsigned long long)big[0]);
		big[0] = 9;
		big[1] = 100;
		errno = 0;
		result("write 16 bytes", write(fd, big, sizeof big));
		rd("read", fd);
		errno = 0;
		result("lseek", lseek(fd, 0, SEEK_SET));
		uint64_t *volatile badp = (uint64_t *)8;
		wr("write 2", fd, 2);
		errno = 0;
		result("write from bad pointer", write(fd, badp, 8));
		rd("read (counter kept after EFAULT)", fd);

		/* overflow */
		wr("write 0xfffffffffffffffe", fd, 0xfffffffffffffffeULL);
		pl("poll at maximum", fd);
		wr("write 1 at maximum (nonblock)", fd, 1);
		wr("write 0 at maximum", fd, 0);
		rd("read maximum", fd);
		wr("write 0xfffffffffffffff0", fd, 0xfffffffffffffff0ULL);
		wr("write 0x10 (would overflow)", fd, 0x10);
		wr("write 0xe", fd, 0xe);
		rd("read", fd);
		close(fd);
	}

	/* semaphore mode */
	{
		int fd = eventfd(3, EFD_SEMAPHORE | EFD_NONBLOCK);
		rd("SEMAPHORE read #1", fd);
		rd("SEMAPHORE read #2", fd);
		rd("SEMAPHORE read #3", fd);
		rd("SEMAPHORE read #4 (zero)", fd);
		wr("SEMAPHORE write 2", fd, 2);
		pl("SEMAPHORE poll", fd);
		rd("SEMAPHORE read #5", fd);
		rd("SEMAPHORE read #6", fd);
		pl("SEMAPHORE poll after draining", fd);
		close(fd);
	}

	/* poll */
	{
		int fd = eventfd(0, 0);
		pl("poll counter 0", fd);
		wr("write 1", fd, 1);
		pl("poll counter 1", fd);
		rd("read", fd);
		pl("poll after read", fd);
		close(fd);
	}

	/* flags */
	{
		int fd = eventfd(0, EFD_CLOEXEC);
		printf("EFD_CLOEXEC: FD_CLOEXEC set: %s, O_NONBLOCK set: %s\n",
		       (fcntl(fd, F_GETFD) & FD_CLOEXEC) ? "yes" : "no", (fcntl(fd, F_GETFL) & O_NONBLOCK) ? "yes" : "no");
		close(fd);
		fd = eventfd(0, 0);
		printf("flags 0: FD_CLOEXEC set: %s\n", (fcntl(fd, F_GETFD) & FD_CLOEXEC) ? "yes" : "no");
		close(fd);
		errno = 0;
		result("eventfd(0, 0x2)", eventfd(0, 0x2));
		errno = 0;
		result("eventfd(0, 0x40)", eventfd(0, 0x40));
		errno = 0;
		result("eventfd(0, 0xffffffff)", eventfd(0, (int)0xffffffff));
		errno = 0;
		long r = syscall(SYS_eventfd, 7);
		result("old eventfd syscall (no flags) >= 0", r < 0 ? -1 : 0);
		if (r >= 0) {
			printf("  FD_CLOEXEC set: %s, O_NONBLOCK set: %s\n", (fcntl((int)r, F_GETFD) & FD_CLOEXEC) ? "yes" : "no",
			       (fcntl((int)r, F_GETFL) & O_NONBLOCK) ? "yes" : "no");
			rd("  read", (int)r);
			close((int)r);
		}
		/* the count argument is an unsigned int: the high 32 bits of the register are ignored */
		errno = 0;
		r = syscall(SYS_eventfd2, 0x500000001ULL, EFD_NONBLOCK);
		result("eventfd2 raw, count 0x500000001 >= 0", r < 0 ? -1 : 0);
		if (r >= 0) {
			rd("  read", (int)r);
			close((int)r);
		}
	}

	/* a blocked read in a child is woken by the parent's write */
	{
		int fd = eventfd(0, 0);
		int rep[2];
		if (pipe(rep) < 0) { perror("pipe"); return 1; }
		long t0 = now_ms();
		pid_t c = fork();
		if (c == 0) {
			uint64_t v = 0;
			ssize_t n = read(fd, &v, sizeof v);
			long el = now_ms() - t0;
			char msg[64];
			int len = snprintf(msg, sizeof msg, "n=%zd value=%llu waited>=90ms=%s", n, (unsigned long long)v,
					   el >= 90 ? "yes" : "no");
			if (write(rep[1], msg, len) != len) _exit(2);
			_exit(0);
		}
		sleep_ms(100);
		uint64_t v = 42;
		if (write(fd, &v, sizeof v) != 8) fails++;
		printf("child blocked read woken: child status %d\n", reap(c));
		close(rep[1]);
		char msg[64] = { 0 };
		if (read(rep[0], msg, sizeof msg - 1) <= 0) fails++;
		printf("  child saw %s\n", msg);
		close(rep[0]);

		/* a blocked write (would overflow) in a child is woken by the parent's read */
		v = 0xfffffffffffffffeULL;
		if (write(fd, &v, sizeof v) != 8) fails++;
		c = fork();
		if (c == 0) {
			uint64_t one = 5;
			_exit(write(fd, &one, sizeof one) == 8 ? 0 : 1);
		}
		sleep_ms(100);
		int st;
		pid_t w = waitpid(c, &st, WNOHANG);
		printf("child blocked in write after 100ms: %s\n", w == 0 ? "yes" : "no");
		rd("parent reads maximum", fd);
		printf("child write completed: child status %d\n", reap(c));
		rd("parent reads child's value", fd);

		/* the parent blocks in read; two children write, then a semaphore-style drain */
		close(fd);
		fd = eventfd(0, EFD_SEMAPHORE);
		for (int i = 0; i < 3; i++) {
			if (fork() == 0) {
				sleep_ms(50);
				uint64_t one = 1;
				_exit(write(fd, &one, sizeof one) == 8 ? 0 : 1);
			}
		}
		int got = 0;
		for (int i = 0; i < 3; i++) {
			uint64_t x = 0;
			if (read(fd, &x, sizeof x) == 8 && x == 1) got++;
		}
		int ok = 0;
		while (wait(&st) > 0) if (WIFEXITED(st) && WEXITSTATUS(st) == 0) ok++;
		printf("semaphore: 3 blocking reads each got 1: %s, writers ok: %d\n", got == 3 ? "yes" : "no", ok);
		close(fd);
	}

	/* poll wakes when another process writes */
	{
		int fd = eventfd(0, 0);
		pid_t c = fork();
		if (c == 0) {
			sleep_ms(100);
			uint64_t v = 7;
			_exit(write(fd, &v, sizeof v) == 8 ? 0 : 1);
		}
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int r = poll(&p, 1, 5000);
		printf("poll woken by child write -> %d revents=%s, child status %d\n", r, evname(p.revents), reap(c));
		rd("read", fd);
		close(fd);
	}

	printf("internal failures: %d\n", fails);
	return fails ? 1 : 0;
}
