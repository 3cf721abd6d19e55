/* exhaust: asks for more than the kernel gives and prints what it got, one line per attempt, so
 * the output compares with native Linux: iovec counts past UIO_MAXIOV, iovec lengths that
 * overflow, byte counts of a terabyte on small buffers, descriptors and pipes up to
 * RLIMIT_NOFILE, and an epoll registration for every descriptor. The supervisor's memory while
 * it runs is what the test around it watches. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#define TERABYTE (1ul << 40)
#define NOFILE_WANTED 16384

static char buf[4096]; /* the calls below are told it is a terabyte */

static void show(const char *what, long r)
{
	if (r < 0) printf("%s: -1 %s\n", what, strerrorname_np(errno));
	else printf("%s: %ld\n", what, r);
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	int p[2], s[2];
	if (pipe(p) || socketpair(AF_UNIX, SOCK_STREAM, 0, s)) return 1;

	static struct iovec many[1025];
	for (int i = 0; i < 1025; i++) many[i] = (struct iovec){ buf, 1 };
	show("readv with 1025 iovecs", readv(p[0], many, 1025));
	show("writev with 1025 iovecs", writev(p[1], many, 1025));
	struct iovec huge[2] = { { buf, SSIZE_MAX / 2 + 1 }, { buf, SSIZE_MAX / 2 + 1 } };
	show("writev whose lengths overflow ssize_t", writev(p[1], huge, 2));
	show("writev with 1024 iovecs", writev(p[1], many, 1024));
	show("read of a terabyte from a pipe holding 1024 bytes", read(p[0], buf, TERABYTE));
	show("write of 10 bytes", write(s[1], buf, 10));
	show("recv of a terabyte from a socket holding 10 bytes", recv(s[0], buf, TERABYTE, 0));
	show("readlink into a terabyte", readlink("/proc/self/exe", buf, TERABYTE) > 0);
	show("getcwd into a terabyte", syscall(SYS_getcwd, buf, TERABYTE) > 0);
	int dir = open(".", O_RDONLY | O_DIRECTORY);
	show("getdents64 into a terabyte", syscall(SYS_getdents64, dir, buf, TERABYTE) > 0);
	close(dir);

	/* descriptors up to RLIMIT_NOFILE, each registered with epoll */
	struct rlimit rl;
	getrlimit(RLIMIT_NOFILE, &rl);
	rlim_t want = rl.rlim_max < NOFILE_WANTED ? rl.rlim_max : NOFILE_WANTED;
	rl.rlim_cur = want;
	show("setrlimit RLIMIT_NOFILE", setrlimit(RLIMIT_NOFILE, &rl));
	int ep = epoll_create1(0);
	int first = -1, last = -1, registered = 0, dups = 0;
	for (;;) {
		int fd = dup(p[0]);
		if (fd < 0) {
			printf("dup stopped at the limit: %s, %s\n", (rlim_t)last == want - 1 ? "yes" : "no", strerrorname_np(errno));
			break;
		}
		if (first < 0) first = fd;
		last = fd;
		dups++;
		struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };
		if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) == 0) registered++;
	}
	printf("every descriptor registered with epoll: %s\n", registered == dups ? "yes" : "no");
	struct epoll_event ready[64];
	show("epoll_wait with nothing ready", epoll_wait(ep, ready, 64, 0));
	if (write(p[1], "x", 1) != 1) return 1;
	show("epoll_wait once the pipe is readable (the first 64)", epoll_wait(ep, ready, 64, 0));
	for (int fd = first; fd <= last; fd++)
		if (fd != ep) close(fd);
	close(ep);

	int pipes = 0;
	for (;;) {
		int q[2];
		if (pipe(q) < 0) {
			printf("pipes stopped at the limit: %s\n", strerrorname_np(errno));
			break;
		}
		pipes++;
	}
	printf("pipes made: %s\n", pipes > (int)want / 2 - 16 ? "about RLIMIT_NOFILE / 2" : "too few");
	return 0;
}
