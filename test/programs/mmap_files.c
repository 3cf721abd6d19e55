/* mmap_files: MAP_SHARED write-through, msync, MAP_PRIVATE COW, errors, munmap. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

static void mm_err(const char *label, void *p)
{
	if (p == MAP_FAILED) printf("%-44s -> MAP_FAILED %s\n", label, errname(errno));
	else printf("%-44s -> mapped\n", label);
}

static void file_content(const char *label, int fd, size_t n)
{
	char buf[128] = { 0 };
	if (n >= sizeof buf) n = sizeof buf - 1;
	lseek(fd, 0, SEEK_SET);
	ssize_t r = read(fd, buf, n);
	printf("%s: read %zd \"", label, r);
	for (ssize_t i = 0; i < r; i++) putchar(buf[i] ? buf[i] : '.');
	printf("\"\n");
}

static void rc(const char *label, int r)
{
	printf("%s: %d %s\n", label, r, r < 0 ? errname(errno) : "");
}

static const char *sig_or_exit(int st, char *b)
{
	if (WIFSIGNALED(st)) sprintf(b, "signal %s", WTERMSIG(st) == SIGBUS ? "SIGBUS" : WTERMSIG(st) == SIGSEGV ? "SIGSEGV" : "other");
	else sprintf(b, "exit %d", WEXITSTATUS(st));
	return b;
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	long pg = sysconf(_SC_PAGESIZE);
	printf("page size is 4096: %s\n", pg == 4096 ? "yes" : "no");
	char path[] = "./tmp.mmapXXXXXX";
	int fd = mkstemp(path);
	if (fd < 0) { printf("mkstemp %s\n", errname(errno)); return 1; }
	const char *init = "The quick brown fox jumps over the lazy dog";
	write(fd, init, strlen(init));
	ftruncate(fd, 2 * pg);

	/* MAP_SHARED: writes reach the file */
	char *m = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	mm_err("mmap MAP_SHARED rw", m);
	printf("mapping sees file data: %.9s\n", m);
	memcpy(m + 4, "QUICK", 5);
	memcpy(m + pg, "second page", 11);
	errno = 0;
	rc("msync MS_SYNC", msync(m, 2 * pg, MS_SYNC));
	file_content("file after shared write", fd, 43);
	char b2[16] = { 0 };
	pread(fd, b2, 11, pg);
	printf("file second page: %s\n", b2);

	/* write() is visible through the mapping */
	pwrite(fd, "LAZY", 4, 35);
	printf("mapping after pwrite: %.8s\n", m + 35);

	/* shared mapping in a child is visible to the parent */
	pid_t c = fork();
	if (c == 0) {
		memcpy(m, "CHILD", 5);
		_exit(0);
	}
	int st;
	waitpid(c, &st, 0);
	printf("parent sees child's shared write: %.5s\n", m);
	file_content("file after child write", fd, 10);

	/* MAP_PRIVATE: copy-on-write, file unchanged */
	char *p = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	mm_err("mmap MAP_PRIVATE rw", p);
	printf("private sees: %.5s\n", p);
	memcpy(p, "PRIVT", 5);
	printf("private after write: %.5s\n", p);
	printf("shared mapping still: %.5s\n", m);
	msync(p, pg, MS_SYNC);
	file_content("file after private write", fd, 10);
	/* private child write not seen by parent */
	c = fork();
	if (c == 0) {
		memcpy(p, "XXXXX", 5);
		_exit(0);
	}
	waitpid(c, &st, 0);
	printf("private after child write: %.5s\n", p);
	munmap(p, pg);

	/* MAP_PRIVATE read-only on an O_RDONLY fd */
	int rfd = open(path, O_RDONLY);
	char *r = mmap(NULL, pg, PROT_READ, MAP_PRIVATE, rfd, 0);
	mm_err("mmap O_RDONLY fd MAP_PRIVATE PROT_READ", r);
	if (r != MAP_FAILED) { printf("ro mapping: %.5s\n", r); munmap(r, pg); }
	r = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE, rfd, 0);
	mm_err("mmap O_RDONLY fd MAP_PRIVATE rw", r);
	if (r != MAP_FAILED) munmap(r, pg);
	r = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_SHARED, rfd, 0);
	mm_err("mmap O_RDONLY fd MAP_SHARED rw", r);
	int wfd = open(path, O_WRONLY);
	r = mmap(NULL, pg, PROT_READ, MAP_SHARED, wfd, 0);
	mm_err("mmap O_WRONLY fd MAP_SHARED PROT_READ", r);
	close(wfd);

	/* mapping at a page offset */
	r = mmap(NULL, pg, PROT_READ, MAP_SHARED, rfd, pg);
	mm_err("mmap offset one page", r);
	if (r != MAP_FAILED) { printf("offset mapping: %.11s\n", r); munmap(r, pg); }
	r = mmap(NULL, pg, PROT_READ, MAP_SHARED, rfd, 100);
	mm_err("mmap unaligned offset", r);
	close(rfd);

	/* error cases */
	int pp[2];
	pipe(pp);
	r = mmap(NULL, pg, PROT_READ, MAP_SHARED, pp[0], 0);
	mm_err("mmap pipe read end", r);
	r = mmap(NULL, pg, PROT_READ, MAP_PRIVATE, pp[0], 0);
	mm_err("mmap pipe MAP_PRIVATE", r);
	close(pp[0]);
	close(pp[1]);
	r = mmap(NULL, 0, PROT_READ, MAP_SHARED, fd, 0);
	mm_err("mmap length 0", r);
	r = mmap(NULL, pg, PROT_READ, MAP_SHARED, 999, 0);
	mm_err("mmap bad fd", r);
	r = mmap(NULL, pg, PROT_READ, MAP_SHARED | MAP_PRIVATE, fd, 0);
	mm_err("mmap SHARED|PRIVATE", r);
	r = mmap(NULL, pg, PROT_READ, 0, fd, 0);
	mm_err("mmap no type flags", r);
	{
		char dpath[] = "./tmp.mmapdXXXXXX";
		mkdtemp(dpath);
		int dfd = open(dpath, O_RDONLY | O_DIRECTORY);
		r = mmap(NULL, pg, PROT_READ, MAP_PRIVATE, dfd, 0);
		mm_err("mmap directory", r);
		close(dfd);
		rmdir(dpath);
	}

	/* mapping past EOF: SIGBUS in a child */
	ftruncate(fd, pg);
	c = fork();
	if (c == 0) {
		volatile char x = m[pg + 10];
		(void)x;
		_exit(0);
	}
	waitpid(c, &st, 0);
	char sb[32];
	printf("touch beyond EOF (file truncated): %s\n", sig_or_exit(st, sb));
	printf("in-bounds still readable: %.5s\n", m);

	/* munmap */
	errno = 0;
	rc("munmap", munmap(m, 2 * pg));
	c = fork();
	if (c == 0) {
		volatile char x = m[0];
		(void)x;
		_exit(0);
	}
	waitpid(c, &st, 0);
	printf("touch after munmap: %s\n", sig_or_exit(st, sb));
	errno = 0;
	rc("munmap again (unmapped range)", munmap(m, pg));
	errno = 0;
	rc("munmap unaligned", munmap(m + 1, pg));
	errno = 0;
	rc("munmap length 0", munmap(m, 0));

	/* data written through a mapping survives munmap + close */
	close(fd);
	fd = open(path, O_RDONLY);
	file_content("reopened", fd, 12);
	close(fd);

	/* anonymous shared memory across fork */
	int *shared = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	int *priv = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	printf("anonymous zero-filled: %d %d\n", shared[100], priv[100]);
	*shared = 1;
	*priv = 1;
	c = fork();
	if (c == 0) {
		*shared = 42;
		*priv = 42;
		_exit(0);
	}
	waitpid(c, &st, 0);
	printf("anon shared after child: %d, anon private after child: %d\n", *shared, *priv);

	/* mprotect: write to read-only mapping faults */
	mprotect(priv, pg, PROT_READ);
	c = fork();
	if (c == 0) {
		*(volatile int *)priv = 5;
		_exit(0);
	}
	waitpid(c, &st, 0);
	printf("write to PROT_READ page: %s\n", sig_or_exit(st, sb));
	munmap(shared, pg);
	munmap(priv, pg);

	unlink(path);
	printf("done\n");
	return 0;
}
