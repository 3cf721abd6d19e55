/* The links every /dev has: fd -> /proc/self/fd and stdin/stdout/stderr -> /proc/self/fd/N,
 * and what opening through them gives (the pipe itself, a new end of it; ENXIO for a socket),
 * listed by readdir of /dev and /dev/fd; and the directory a trailing "/." names. The checks
 * run in a child whose stdin is an empty pipe and whose stdout and stderr are one pipe. */
#define _GNU_SOURCE
#include "common.h"
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

static const char *type(mode_t m)
{
	return S_ISLNK(m) ? "link" : S_ISDIR(m) ? "dir" : S_ISFIFO(m) ? "fifo" : S_ISCHR(m) ? "chr" : S_ISREG(m) ? "reg" : S_ISSOCK(m) ? "sock" : "?";
}

static void show(const char *path)
{
	char buf[256];
	struct stat l, s;
	ssize_t n = readlink(path, buf, sizeof buf - 1);
	buf[n < 0 ? 0 : n] = 0;
	int le = lstat(path, &l) ? errno : 0;
	int se = stat(path, &s) ? errno : 0;
	printf("%s: readlink %s lstat %s %s stat %s %s\n", path, n < 0 ? errname(errno) : buf, errname(le), le ? "-" : type(l.st_mode),
	       errname(se), se ? "-" : type(s.st_mode));
}

static int cmp(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

static int checks(void)
{
	show("/dev/fd");
	show("/dev/stdin");
	show("/dev/stdout");
	show("/dev/stderr");

	/* stdin is an empty pipe: opening /dev/stdin opens the pipe, which is at its end */
	char buf[64];
	int fd = open("/dev/stdin", O_RDONLY);
	struct stat st;
	fstat(fd, &st);
	printf("open /dev/stdin: %s, %s, read %zd\n", fd >= 0 ? "OK" : errname(errno), type(st.st_mode), read(fd, buf, sizeof buf));
	close(fd);

	/* writing through /dev/stdout and /dev/fd/1 lands on stdout */
	fflush(stdout);
	fd = open("/dev/stdout", O_WRONLY | O_CREAT | O_TRUNC, 0644);
	printf("open /dev/stdout: %s\n", fd >= 0 ? "OK" : errname(errno));
	fflush(stdout);
	write(fd, "through /dev/stdout\n", 20);
	close(fd);
	fd = open("/dev/fd/1", O_WRONLY | O_APPEND);
	write(fd, "through /dev/fd/1\n", 18);
	close(fd);

	/* a pipe's ends reopened by /dev/fd/N: a new end of the same pipe, either way round */
	int p[2];
	pipe(p);
	char path[64];
	snprintf(path, sizeof path, "/dev/fd/%d", p[1]);
	int w = open(path, O_WRONLY);
	write(w, "hello", 5);
	close(w);
	snprintf(path, sizeof path, "/proc/self/fd/%d", p[0]);
	int r = open(path, O_RDONLY);
	ssize_t got = read(r, buf, sizeof buf);
	printf("pipe through /dev/fd: %.*s\n", (int)(got < 0 ? 0 : got), buf);
	close(r);

	/* the descriptors /dev/fd lists: the stdio, the pipe and the directory itself */
	DIR *d = opendir("/dev/fd/");
	int fds[64], nfds = 0;
	struct dirent *e;
	while ((e = readdir(d)) && nfds < 64) {
		if (e->d_name[0] != '.') fds[nfds++] = atoi(e->d_name);
		if (e->d_name[0] != '.' && e->d_type != DT_LNK) printf("%s is not DT_LNK\n", e->d_name);
	}
	qsort(fds, nfds, sizeof fds[0], cmp);
	printf("/dev/fd lists");
	for (int i = 0; i < nfds; i++) printf(" %d%s", fds[i], fds[i] == dirfd(d) ? "(dir)" : "");
	printf("\n");
	closedir(d);
	close(p[0]);
	close(p[1]);

	/* /dev lists the links (and the devices) with their types */
	const char *want[] = {"fd", "stdin", "stdout", "stderr", "null", "zero", "urandom"};
	for (unsigned i = 0; i < sizeof want / sizeof want[0]; i++) {
		const char *seen = "missing";
		d = opendir("/dev");
		while ((e = readdir(d)))
			if (!strcmp(e->d_name, want[i])) seen = e->d_type == DT_LNK ? "link" : e->d_type == DT_CHR ? "chr" : "other";
		closedir(d);
		printf("/dev lists %s: %s\n", want[i], seen);
	}

	/* no such descriptor; a socket cannot be opened; a pipe is no directory */
	printf("open /dev/fd/99: %s\n", open("/dev/fd/99", O_RDONLY) < 0 ? errname(errno) : "OK");
	int sv[2];
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	snprintf(path, sizeof path, "/dev/fd/%d", sv[0]);
	printf("open socket: %s\n", open(path, O_RDWR) < 0 ? errname(errno) : "OK");
	printf("open /dev/stdin/: %s\n", open("/dev/stdin/", O_RDONLY) < 0 ? errname(errno) : "OK");
	printf("open /dev/stdin/x: %s\n", open("/dev/stdin/x", O_RDONLY) < 0 ? errname(errno) : "OK");

	/* an fd link's permission bits tell how the file is open */
	int ro = open("/dev/null", O_RDONLY), wo = open("/dev/null", O_WRONLY), rw = open("/dev/null", O_RDWR);
	int op = open("/dev/null", O_PATH);
	int fds4[] = {0, 1, ro, wo, rw, op};
	const char *names[] = {"stdin (pipe read end)", "stdout (pipe write end)", "O_RDONLY", "O_WRONLY", "O_RDWR", "O_PATH"};
	for (int i = 0; i < 6; i++) {
		snprintf(path, sizeof path, "/proc/self/fd/%d", fds4[i]);
		int le = lstat(path, &st) ? errno : 0;
		printf("fd link mode of %s: %s %o\n", names[i], errname(le), le ? 0 : (unsigned)(st.st_mode & 07777));
	}

	/* "dir/." names what a link "dir" leads to */
	show("/dev/fd/.");
	show("/proc/self/.");
	printf("lstat /dev/stdin/.: %s\n", lstat("/dev/stdin/.", &st) ? errname(errno) : "OK");
	return 0;
}

int main(void)
{
	for (int fd = 3; fd < 1024; fd++) close(fd); /* whatever the runner left open */
	int in[2], out[2];
	pipe(in);
	pipe(out);
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		dup2(out[1], 2);
		close(in[0]);
		close(in[1]);
		close(out[0]);
		close(out[1]);
		exit(checks());
	}
	close(in[0]);
	close(in[1]);
	close(out[1]);
	char buf[4096];
	ssize_t n;
	while ((n = read(out[0], buf, sizeof buf)) > 0) fwrite(buf, 1, n, stdout);
	int st = reap(c);
	printf("child exit %d\n", st);
	return 0;
}
