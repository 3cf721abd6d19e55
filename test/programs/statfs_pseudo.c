/* statfs and fstatfs of the pseudo filesystems: proc, sysfs and the anonymous ones
 * pipes, sockets and eventfds live on. They have no blocks, which is how df leaves them out. */
#define _GNU_SOURCE
#include "common.h"
#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/statfs.h>

static void show(const char *what, int r, struct statfs *s)
{
	if (r < 0) {
		printf("%s: %s\n", what, errname(errno));
		return;
	}
	printf("%s: type %#lx bsize %ld blocks %ld bfree %ld namelen %ld\n", what, (long)s->f_type, (long)s->f_bsize, (long)s->f_blocks,
	       (long)s->f_bfree, (long)s->f_namelen);
}

int main(void)
{
	struct statfs s;
	show("/proc", statfs("/proc", &s), &s);
	show("/proc/self/status", statfs("/proc/self/status", &s), &s);
	show("/sys", statfs("/sys", &s), &s);
	int fd = open("/proc/self/status", O_RDONLY);
	show("fstatfs proc file", fstatfs(fd, &s), &s);
	close(fd);
	fd = open("/proc/self/fd", O_RDONLY | O_DIRECTORY);
	show("fstatfs proc dir", fstatfs(fd, &s), &s);
	close(fd);
	int p[2];
	pipe(p);
	show("fstatfs pipe", fstatfs(p[0], &s), &s);
	int sv[2];
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	show("fstatfs socket", fstatfs(sv[0], &s), &s);
	fd = eventfd(0, 0);
	show("fstatfs eventfd", fstatfs(fd, &s), &s);
	show("fstatfs bad fd", fstatfs(99, &s), &s);
	return 0;
}
