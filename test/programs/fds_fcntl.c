/* fds_fcntl: dup/dup2/dup3, fcntl F_DUPFD/F_GETFD/F_SETFD/F_GETFL/F_SETFL, EBADF, close_range. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common.h"

#define CHECK(label, expr) do { errno = 0; long _r = (long)(expr); \
	printf("%-40s -> %ld %s\n", label, _r, _r < 0 ? errname(errno) : ""); } while (0)

static void flags(const char *label, int fd)
{
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0) { printf("%s: F_GETFL %s\n", label, errname(errno)); return; }
	int acc = fl & O_ACCMODE;
	printf("%s: acc=%s%s%s\n", label,
	       acc == O_RDONLY ? "O_RDONLY" : acc == O_WRONLY ? "O_WRONLY" : acc == O_RDWR ? "O_RDWR" : "?",
	       (fl & O_APPEND) ? " O_APPEND" : "", (fl & O_NONBLOCK) ? " O_NONBLOCK" : "");
}

static int isopen(int fd) { return fcntl(fd, F_GETFD) >= 0; }

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	/* Make sure fds 3..63 are closed to start from a known state */
	for (int fd = 3; fd < 64; fd++) close(fd);

	char path[] = "./tmp.fdsXXXXXX";
	int base = mkstemp(path);
	if (base < 0) { printf("mkstemp failed %s\n", errname(errno)); return 1; }
	unlink(path);
	printf("mkstemp fd = %d\n", base);
	write(base, "hello world\n", 12);

	/* dup lowest-number rule */
	int a = dup(base);
	printf("dup -> %d\n", a);
	int b = open("/dev/null", O_RDONLY);
	printf("open /dev/null -> %d\n", b);
	close(a);
	int c = dup(base);
	printf("after close(%d), dup -> %d\n", a, c);
	close(base);
	int d = dup(c);
	printf("after close(3), dup -> %d\n", d);

	/* shared file offset between dups */
	lseek(c, 0, SEEK_SET);
	char buf[16] = { 0 };
	read(c, buf, 5);
	printf("offset after read 5 via %d, seen via %d: %ld\n", c, d, (long)lseek(d, 0, SEEK_CUR));

	/* dup2 onto an open fd (b is /dev/null) */
	CHECK("dup2(c, b) onto open fd", dup2(c, b));
	printf("fd %d offset (should share): %ld\n", b, (long)lseek(b, 0, SEEK_CUR));
	CHECK("dup2(c, c) same fd", dup2(c, c));
	CHECK("dup2(99, 20) bad old", dup2(99, 20));
	CHECK("dup2(c, 20)", dup2(c, 20));
	printf("fd 20 FD_CLOEXEC after dup2: %d\n", fcntl(20, F_GETFD) & FD_CLOEXEC);

	/* dup3 */
	CHECK("dup3(c, 21, O_CLOEXEC)", dup3(c, 21, O_CLOEXEC));
	printf("fd 21 FD_CLOEXEC: %d\n", fcntl(21, F_GETFD) & FD_CLOEXEC);
	CHECK("dup3(c, c, 0) equal fds", dup3(c, c, 0));
	CHECK("dup3(c, c, O_CLOEXEC) equal fds", dup3(c, c, O_CLOEXEC));
	CHECK("dup3(c, 22, O_APPEND) bad flag", dup3(c, 22, O_APPEND));
	CHECK("dup2(c, -1)", dup2(c, -1));

	/* F_DUPFD with a minimum */
	CHECK("fcntl F_DUPFD min 10", fcntl(c, F_DUPFD, 10));
	CHECK("fcntl F_DUPFD min 10 again", fcntl(c, F_DUPFD, 10));
	CHECK("fcntl F_DUPFD min 20 (20,21 used)", fcntl(c, F_DUPFD, 20));
	CHECK("fcntl F_DUPFD_CLOEXEC min 30", fcntl(c, F_DUPFD_CLOEXEC, 30));
	printf("fd 30 FD_CLOEXEC: %d\n", fcntl(30, F_GETFD) & FD_CLOEXEC);
	printf("fd 10 FD_CLOEXEC: %d\n", fcntl(10, F_GETFD) & FD_CLOEXEC);
	CHECK("fcntl F_DUPFD min -1", fcntl(c, F_DUPFD, -1));

	/* F_GETFD / F_SETFD */
	CHECK("F_SETFD FD_CLOEXEC on 10", fcntl(10, F_SETFD, FD_CLOEXEC));
	printf("fd 10 F_GETFD: %d\n", fcntl(10, F_GETFD));
	CHECK("F_SETFD 0 on 10", fcntl(10, F_SETFD, 0));
	printf("fd 10 F_GETFD: %d\n", fcntl(10, F_GETFD));
	printf("fd 11 (shares file with 10) F_GETFD: %d\n", fcntl(11, F_GETFD));

	/* F_GETFL / F_SETFL */
	int rw = open("/dev/null", O_RDWR);
	int wo = open("/dev/null", O_WRONLY | O_APPEND);
	int ro = open("/dev/null", O_RDONLY | O_NONBLOCK);
	flags("rdwr", rw);
	flags("wronly|append", wo);
	flags("rdonly|nonblock", ro);
	CHECK("F_SETFL O_APPEND|O_NONBLOCK on rdwr", fcntl(rw, F_SETFL, O_APPEND | O_NONBLOCK));
	flags("rdwr after setfl", rw);
	CHECK("F_SETFL O_WRONLY (acc ignored)", fcntl(rw, F_SETFL, O_WRONLY));
	flags("rdwr after setfl 0", rw);
	int rwdup = dup(ro);
	CHECK("F_SETFL 0 on ro", fcntl(ro, F_SETFL, 0));
	flags("dup of ro (shared description)", rwdup);

	/* O_APPEND effect on a regular file */
	{
		char p2[] = "./tmp.appXXXXXX";
		int f = mkstemp(p2);
		unlink(p2);
		write(f, "abc", 3);
		lseek(f, 0, SEEK_SET);
		fcntl(f, F_SETFL, O_APPEND);
		write(f, "XY", 2);
		printf("after O_APPEND write, offset = %ld\n", (long)lseek(f, 0, SEEK_CUR));
		char rb[8] = { 0 };
		pread(f, rb, 7, 0);
		printf("content: %s\n", rb);
		close(f);
	}

	/* EBADF */
	close(40);
	CHECK("close(40) closed", close(40));
	CHECK("close(-1)", close(-1));
	CHECK("dup(40)", dup(40));
	CHECK("fcntl(40, F_GETFD)", fcntl(40, F_GETFD));
	CHECK("fcntl(40, F_GETFL)", fcntl(40, F_GETFL));
	CHECK("read(40)", read(40, buf, 1));
	CHECK("write(40)", write(40, buf, 1));
	CHECK("dup3(40, 41, 0)", dup3(40, 41, 0));
	CHECK("fcntl(c, F_DUPFD, INT_MAX) too big", fcntl(c, F_DUPFD, INT_MAX));

	/* close_range */
	for (int i = 50; i < 56; i++) dup2(c, i);
	CHECK("close_range(51, 53, 0)", syscall(SYS_close_range, 51, 53, 0));
	printf("open after close_range: ");
	for (int i = 50; i < 56; i++) printf("%d:%d ", i, isopen(i));
	printf("\n");
	CHECK("close_range(54, 55, CLOEXEC)", syscall(SYS_close_range, 54, 55, 4 /* CLOSE_RANGE_CLOEXEC */));
	printf("fd 54,55 cloexec: %d %d, fd 50 cloexec: %d\n",
	       fcntl(54, F_GETFD), fcntl(55, F_GETFD), fcntl(50, F_GETFD));
	CHECK("close_range(10, 5, 0) first>last", syscall(SYS_close_range, 10, 5, 0));
	CHECK("close_range(50, ~0U, 0)", syscall(SYS_close_range, 50, ~0U, 0));
	printf("open after close_range to max: ");
	for (int i = 50; i < 56; i++) printf("%d:%d ", i, isopen(i));
	printf("\n");

	printf("listing open fds 0..63: ");
	for (int i = 0; i < 64; i++) if (isopen(i)) printf("%d ", i);
	printf("\n");
	printf("done\n");
	return 0;
}
