/* File locks between processes: flock (exclusive, shared, LOCK_NB -> EWOULDBLOCK, a blocked
 * LOCK_EX that gets the lock when the holder lets go, the lock shared by a forked child through
 * the one open file), POSIX record locks (F_SETLK, F_SETLKW, F_GETLK naming the holder's pid,
 * byte ranges) and OFD locks (F_OFD_SETLK: owned by the open file, so they conflict even within
 * one process, and F_OFD_GETLK reports l_pid -1). Steps are ordered through pipes. */
#define _GNU_SOURCE
#include "common.h"
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>

static const char *FILE_NAME = "locks.dat";
static int to_child[2], to_parent[2];

static void say(int fd)
{
	char c = 'x';
	if (write(fd, &c, 1) != 1) exit(9);
}

static void hear(int fd)
{
	char c;
	if (read(fd, &c, 1) != 1) exit(9);
}

static const char *flk(int fd, int op)
{
	return flock(fd, op) ? errname(errno) : "OK";
}

static int setlk(int fd, int cmd, short type, off_t start, off_t len)
{
	struct flock l = { .l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len };
	return fcntl(fd, cmd, &l) ? -errno : 0;
}

static const char *lk(int fd, int cmd, short type, off_t start, off_t len)
{
	int r = setlk(fd, cmd, type, start, len);
	return r ? errname(-r) : "OK";
}

/* F_GETLK / F_OFD_GETLK: who would block a lock of type on [start, start+len) */
static void getlk(const char *what, int fd, int cmd, short type, off_t start, off_t len, pid_t holder)
{
	struct flock l = { .l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len };
	if (fcntl(fd, cmd, &l)) {
		printf("%s: %s\n", what, errname(errno));
		return;
	}
	if (l.l_type == F_UNLCK) {
		printf("%s: unlocked\n", what);
		return;
	}
	printf("%s: %s [%ld, +%ld) pid %s\n", what, l.l_type == F_WRLCK ? "F_WRLCK" : "F_RDLCK", (long)l.l_start, (long)l.l_len,
	       l.l_pid == holder ? "of the holder" : l.l_pid == -1 ? "-1" : "OTHER");
}

static void child(pid_t parent, int inherited)
{
	close(inherited); /* the parent's open file is the parent's alone (its OFD lock dies with it) */
	int fd = open(FILE_NAME, O_RDWR);
	/* flock: the parent holds LOCK_EX on its own open file */
	hear(to_child[0]);
	printf("child flock EX|NB: %s\n", flk(fd, LOCK_EX | LOCK_NB));
	printf("child flock SH|NB: %s\n", flk(fd, LOCK_SH | LOCK_NB));
	fflush(stdout);
	say(to_parent[1]);
	/* blocks until the parent unlocks */
	long t0 = now_ms();
	printf("child flock EX (blocking): %s", flk(fd, LOCK_EX));
	printf(", waited %s\n", now_ms() - t0 >= 100 ? "for the holder" : "NOT");
	printf("child flock UN: %s\n", flk(fd, LOCK_UN));
	fflush(stdout);
	say(to_parent[1]);

	/* POSIX locks: the parent write-locks [0, 10) */
	hear(to_child[0]);
	getlk("child F_GETLK [5,+10) write", fd, F_GETLK, F_WRLCK, 5, 10, parent);
	getlk("child F_GETLK [10,+10) write", fd, F_GETLK, F_WRLCK, 10, 10, parent);
	printf("child F_SETLK read [0,+10): %s\n", lk(fd, F_SETLK, F_RDLCK, 0, 10));
	printf("child F_SETLK write [10,+10): %s\n", lk(fd, F_SETLK, F_WRLCK, 10, 10));
	fflush(stdout);
	say(to_parent[1]);
	t0 = now_ms();
	printf("child F_SETLKW write [0,+10): %s", lk(fd, F_SETLKW, F_WRLCK, 0, 10));
	printf(", waited %s\n", now_ms() - t0 >= 100 ? "for the holder" : "NOT");
	fflush(stdout);
	say(to_parent[1]);
	hear(to_child[0]); /* the parent looks at the child's locks */
	printf("child F_SETLK unlock all: %s\n", lk(fd, F_SETLK, F_UNLCK, 0, 0));

	/* OFD locks: the parent holds a write lock on [0, 100) of its open file */
	fflush(stdout);
	say(to_parent[1]);
	hear(to_child[0]);
	getlk("child F_OFD_GETLK [0,+1) read", fd, F_OFD_GETLK, F_RDLCK, 0, 1, parent);
	printf("child F_OFD_SETLK read [50,+1): %s\n", lk(fd, F_OFD_SETLK, F_RDLCK, 50, 1));
	printf("child F_SETLK read [50,+1) (POSIX against OFD): %s\n", lk(fd, F_SETLK, F_RDLCK, 50, 1));
	printf("child F_OFD_SETLK write [100,+1): %s\n", lk(fd, F_OFD_SETLK, F_WRLCK, 100, 1));
	fflush(stdout);
	say(to_parent[1]);
	t0 = now_ms();
	printf("child F_OFD_SETLKW write [0,+1): %s", lk(fd, F_OFD_SETLKW, F_WRLCK, 0, 1));
	printf(", waited %s\n", now_ms() - t0 >= 100 ? "for the holder" : "NOT");
	fflush(stdout);
	close(fd);
	_exit(0);
}

int main(void)
{
	int fd = open(FILE_NAME, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, "0123456789abcdefghijklmnopqrstuvwxyz", 36) != 36) {
		printf("setup: %s\n", errname(errno));
		return 1;
	}
	pipe(to_child);
	pipe(to_parent);
	fflush(stdout);
	pid_t parent = getpid();
	pid_t c = fork();
	if (c == 0) child(parent, fd);

	/* flock */
	printf("parent flock EX: %s\n", flk(fd, LOCK_EX));
	printf("parent flock EX again (same open file): %s\n", flk(fd, LOCK_EX | LOCK_NB));
	int other = open(FILE_NAME, O_RDWR);
	printf("parent flock SH|NB on another open file: %s\n", flk(other, LOCK_SH | LOCK_NB));
	fflush(stdout);
	say(to_child[1]);
	hear(to_parent[0]);
	sleep_ms(200);
	/* say it before doing it: the child speaks as soon as it has the lock */
	printf("parent flock UN\n");
	fflush(stdout);
	if (flock(fd, LOCK_UN)) printf("parent flock UN failed: %s\n", errname(errno));
	hear(to_parent[0]);
	printf("parent flock SH|NB: %s\n", flk(fd, LOCK_SH | LOCK_NB));
	printf("parent flock SH|NB on another open file: %s\n", flk(other, LOCK_SH | LOCK_NB));
	printf("parent flock EX|NB while another holds SH: %s\n", flk(fd, LOCK_EX | LOCK_NB));
	flock(fd, LOCK_UN);
	flock(other, LOCK_UN);

	/* POSIX record locks */
	printf("parent F_SETLK write [0,+10): %s\n", lk(fd, F_SETLK, F_WRLCK, 0, 10));
	fflush(stdout);
	say(to_child[1]);
	hear(to_parent[0]);
	sleep_ms(200);
	printf("parent F_SETLK unlock [0,+10)\n");
	fflush(stdout);
	if (setlk(fd, F_SETLK, F_UNLCK, 0, 10)) printf("parent F_SETLK unlock failed\n");
	hear(to_parent[0]);
	getlk("parent F_GETLK [0,+100) read", fd, F_GETLK, F_RDLCK, 0, 100, c);
	printf("parent F_SETLK read [15,+1): %s\n", lk(fd, F_SETLK, F_RDLCK, 15, 1));
	fflush(stdout);
	say(to_child[1]);
	hear(to_parent[0]);

	/* OFD locks */
	printf("parent F_OFD_SETLK write [0,+100): %s\n", lk(fd, F_OFD_SETLK, F_WRLCK, 0, 100));
	printf("parent F_OFD_SETLK read [0,+1) on another open file: %s\n", lk(other, F_OFD_SETLK, F_RDLCK, 0, 1));
	getlk("parent F_OFD_GETLK on another open file", other, F_OFD_GETLK, F_RDLCK, 0, 1, parent);
	printf("parent F_SETLK read [0,+1) (own POSIX against own OFD): %s\n", lk(other, F_SETLK, F_RDLCK, 0, 1));
	printf("parent F_OFD_SETLK with l_pid set: ");
	struct flock bad = { .l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1, .l_pid = 1 };
	printf("%s\n", fcntl(other, F_OFD_SETLK, &bad) ? errname(errno) : "OK");
	fflush(stdout);
	say(to_child[1]);
	hear(to_parent[0]);
	sleep_ms(200);
	/* closing the file description releases its OFD locks */
	printf("parent closes its open file\n");
	fflush(stdout);
	close(fd);
	printf("child exit %d\n", reap(c));
	getlk("parent F_OFD_GETLK after the child", other, F_OFD_GETLK, F_WRLCK, 0, 200, c);
	close(other);
	unlink(FILE_NAME);
	return 0;
}
