/* O_TMPFILE (open(2)): an unnamed file in a directory, linkat(2) through /proc/self/fd to give
 * it a name (AT_SYMLINK_FOLLOW), O_EXCL making it unlinkable, and the errors: not opened for
 * writing, with O_CREAT, on a file, and where the filesystem has no such thing (/proc). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "common.h"

static int link_fd(int fd, const char *name)
{
	char p[64];
	snprintf(p, sizeof p, "/proc/self/fd/%d", fd);
	return linkat(AT_FDCWD, p, AT_FDCWD, name, AT_SYMLINK_FOLLOW);
}

int main(void)
{
	struct stat st;
	unlink("tmp-linked");
	int fd = open(".", O_TMPFILE | O_RDWR, 0640);
	printf("open O_TMPFILE|O_RDWR: %s\n", fd >= 0 ? "ok" : errname(errno));
	if (fd < 0) return 1;
	if (write(fd, "hello", 5) != 5) return 1;
	fstat(fd, &st);
	printf("fstat: regular %d nlink %ld size %ld mode %o\n", S_ISREG(st.st_mode), (long)st.st_nlink, (long)st.st_size, st.st_mode & 0777);
	char p[64], target[256];
	snprintf(p, sizeof p, "/proc/self/fd/%d", fd);
	ssize_t n = readlink(p, target, sizeof target - 1);
	target[n > 0 ? n : 0] = 0;
	printf("fd link ends in \" (deleted)\": %s, names a '#': %s\n", n > 10 && !strcmp(target + n - 10, " (deleted)") ? "yes" : "no", strchr(target, '#') ? "yes" : "no");
	printf("linkat through /proc/self/fd: %s\n", link_fd(fd, "tmp-linked") == 0 ? "ok" : errname(errno));
	stat("tmp-linked", &st);
	printf("linked: nlink %ld size %ld\n", (long)st.st_nlink, (long)st.st_size);
	errno = 0;
	printf("linkat onto an existing name: %s\n", link_fd(fd, "tmp-linked") == 0 ? "ok" : errname(errno));
	char buf[8] = { 0 };
	int again = open("tmp-linked", O_RDONLY);
	printf("read back by name: %zd %s\n", read(again, buf, sizeof buf - 1), buf);
	close(again);
	close(fd);
	unlink("tmp-linked");

	int ex = open(".", O_TMPFILE | O_WRONLY | O_EXCL, 0600);
	errno = 0;
	printf("O_EXCL file linked: %s\n", ex >= 0 && link_fd(ex, "tmp-excl") == 0 ? "ok" : errname(errno));
	close(ex);
	unlink("tmp-excl");

	errno = 0;
	printf("O_TMPFILE read-only: %s\n", open(".", O_TMPFILE | O_RDONLY, 0600) >= 0 ? "ok" : errname(errno));
	errno = 0;
	printf("O_TMPFILE with O_CREAT: %s\n", open(".", O_TMPFILE | O_CREAT | O_RDWR, 0600) >= 0 ? "ok" : errname(errno));
	int f = open("plain", O_CREAT | O_WRONLY, 0600);
	close(f);
	errno = 0;
	printf("O_TMPFILE on a file: %s\n", open("plain", O_TMPFILE | O_RDWR, 0600) >= 0 ? "ok" : errname(errno));
	unlink("plain");
	errno = 0;
	printf("O_TMPFILE in a missing directory: %s\n", open("no-such-dir", O_TMPFILE | O_RDWR, 0600) >= 0 ? "ok" : errname(errno));
	errno = 0;
	printf("O_TMPFILE in /proc: %s\n", open("/proc", O_TMPFILE | O_RDWR, 0600) >= 0 ? "ok" : errname(errno));
	return 0;
}
