/* fifo: mkfifo/mknod and FIFOs between processes: blocking and non-blocking opens on both
 * sides, data through, EOF, POLLHUP only after a writer came, O_RDWR, and mknod's errors
 * (not device nodes: CI runs as root, where the host would make them). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "common.h"

#define TRY(label, expr) do { errno = 0; long _r = (long)(expr); printf("%-40s %s\n", label, _r < 0 ? errname(errno) : "OK"); } while (0)

static int pollmask(int fd)
{
	struct pollfd p = { fd, POLLIN | POLLOUT, 0 };
	poll(&p, 1, 0);
	return p.revents;
}

int main(void)
{
	alarm(10);
	unlink("ff");
	unlink("reg");
	TRY("mkfifo", mkfifo("ff", 0640));
	TRY("mkfifo again", mkfifo("ff", 0640));
	struct stat st;
	stat("ff", &st);
	printf("S_ISFIFO %d mode %o\n", S_ISFIFO(st.st_mode), st.st_mode & 0777);
	TRY("mknod regular", mknod("reg", S_IFREG | 0600, 0));
	stat("reg", &st);
	printf("regular via mknod: %d\n", S_ISREG(st.st_mode));
	TRY("mknod directory", mknod("dir", S_IFDIR | 0700, 0));
	TRY("mknod bad type", mknod("bad", 0170000 | 0600, 0));
	TRY("mknod in missing dir", mknod("nodir/x", S_IFIFO | 0600, 0));

	TRY("open writer O_NONBLOCK, no reader", open("ff", O_WRONLY | O_NONBLOCK));
	int r = open("ff", O_RDONLY | O_NONBLOCK);
	printf("reader O_NONBLOCK: %s\n", r >= 0 ? "OK" : errname(errno));
	char buf[64];
	printf("read with no writer: %zd\n", read(r, buf, sizeof buf));
	printf("poll before any writer: %#x\n", pollmask(r));
	int w = open("ff", O_WRONLY | O_NONBLOCK);
	printf("writer O_NONBLOCK with reader: %s\n", w >= 0 ? "OK" : errname(errno));
	printf("write: %zd\n", write(w, "hello", 5));
	printf("poll with data: %#x\n", pollmask(r));
	printf("read: %zd\n", read(r, buf, sizeof buf));
	close(w);
	printf("poll after the writer left: %#x\n", pollmask(r));
	printf("read at EOF: %zd\n", read(r, buf, sizeof buf));
	close(r);

	fflush(stdout);
	pid_t p = fork();
	if (p == 0) {
		sleep_ms(50);
		int cw = open("ff", O_WRONLY);
		if (write(cw, "from child", 10) != 10) _exit(1);
		close(cw);
		_exit(0);
	}
	r = open("ff", O_RDONLY); /* waits for the child's open */
	ssize_t n = read(r, buf, sizeof buf);
	printf("blocking reader got %zd: %.*s\n", n, (int)n, buf);
	printf("then EOF: %zd\n", read(r, buf, sizeof buf));
	close(r);
	reap(p);

	fflush(stdout);
	p = fork();
	if (p == 0) {
		sleep_ms(50);
		int cr = open("ff", O_RDONLY);
		ssize_t m = read(cr, buf, sizeof buf);
		printf("child reader got %zd\n", m);
		fflush(stdout);
		_exit(0);
	}
	w = open("ff", O_WRONLY); /* waits for the child's open */
	printf("blocking writer opened: %s\n", w >= 0 ? "OK" : errname(errno));
	fflush(stdout);
	if (write(w, "abc", 3) != 3) return 1;
	close(w);
	reap(p);

	int rw = open("ff", O_RDWR);
	printf("O_RDWR: %s\n", rw >= 0 ? "OK" : errname(errno));
	printf("write %zd\n", write(rw, "xy", 2));
	printf("read %zd\n", read(rw, buf, 2));
	printf("poll O_RDWR: %#x\n", pollmask(rw));
	unlink("ff");
	printf("write after unlink: %zd\n", write(rw, "z", 1));
	close(rw);
	unlink("reg");
	return 0;
}
