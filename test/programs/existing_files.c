/* existing_files: changes to files that were there before the program ran (under --overlay they
 * are the lower layer's, so each change copies up): MAP_SHARED writes through an O_RDWR
 * mapping, MAP_PRIVATE copies, a read-only descriptor and mapping opened before another
 * descriptor writes, O_TRUNC, ftruncate, fchmod, utimensat, rename over and link of such files.
 * The files are made when missing and removed at the end, so every run starts alike. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common.h"

#define CHECK(label, expr) do { errno = 0; long _r = (long)(expr); \
	printf("%-44s -> %ld %s\n", label, _r, _r < 0 ? errname(errno) : ""); } while (0)

static const char *names[] = { "ex_shared", "ex_private", "ex_trunc", "ex_meta", "ex_old", "ex_link" };
#define NFILES (sizeof names / sizeof names[0])

static void ensure(const char *name)
{
	if (access(name, F_OK) == 0) return;
	FILE *f = fopen(name, "w");
	fprintf(f, "original contents of %s\n", name);
	fclose(f);
	chmod(name, 0644);
	struct timespec ts[2] = { { 1000000000, 0 }, { 1000000000, 0 } };
	utimensat(AT_FDCWD, name, ts, 0);
}

/* mtime only where it was set, not written (a write stamps the time of the run) */
static void show(const char *name, int with_mtime)
{
	char buf[128] = { 0 };
	int fd = open(name, O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);
	if (fd >= 0) close(fd);
	struct stat st;
	int s = lstat(name, &st);
	printf("%s: %s", name, n < 0 ? errname(errno) : "");
	if (s == 0) printf("mode %o size %lld nlink %lu ", st.st_mode & 07777, (long long)st.st_size, (unsigned long)st.st_nlink);
	if (s == 0 && with_mtime) printf("mtime %lld ", (long long)st.st_mtime);
	for (ssize_t i = 0; i < n; i++) putchar(buf[i] == '\n' ? '|' : buf[i] ? buf[i] : '.');
	putchar('\n');
}

int main(void)
{
	for (size_t i = 0; i < NFILES; i++) ensure(names[i]);

	/* a shared writable mapping writes the file */
	int fd = open("ex_shared", O_RDWR);
	char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) printf("mmap shared: %s\n", errname(errno));
	else {
		memcpy(p, "SHARED", 6);
		CHECK("msync", msync(p, 4096, MS_SYNC));
		munmap(p, 4096);
	}
	close(fd);
	show("ex_shared", 0);

	/* a private mapping's writes stay in memory; a read-only descriptor stays valid */
	int ro = open("ex_private", O_RDONLY);
	char *q = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, ro, 0);
	if (q == MAP_FAILED) printf("mmap private: %s\n", errname(errno));
	else {
		memcpy(q, "PRIVATE", 7);
		printf("private mapping: %.24s\n", q);
		munmap(q, 4096);
	}
	CHECK("mmap shared writable of O_RDONLY fd", mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, ro, 0) == MAP_FAILED ? -1 : 0);
	CHECK("write to O_RDONLY fd", write(ro, "x", 1));
	close(ro);
	show("ex_private", 1);

	/* O_TRUNC and ftruncate */
	fd = open("ex_trunc", O_WRONLY | O_TRUNC);
	CHECK("write after O_TRUNC", write(fd, "new\n", 4));
	CHECK("ftruncate to 10", ftruncate(fd, 10));
	close(fd);
	show("ex_trunc", 0);
	CHECK("truncate to 2", truncate("ex_trunc", 2));
	show("ex_trunc", 0);

	/* metadata: through a read-only descriptor and by path */
	fd = open("ex_meta", O_RDONLY);
	CHECK("fchmod 0600 on O_RDONLY fd", fchmod(fd, 0600));
	struct timespec ts[2] = { { 1200000000, 0 }, { 1300000000, 0 } };
	CHECK("futimens on O_RDONLY fd", futimens(fd, ts));
	close(fd);
	show("ex_meta", 1);
	CHECK("chmod 0640", chmod("ex_meta", 0640));
	show("ex_meta", 1);

	/* rename over an existing file; hard links */
	CHECK("rename ex_meta over ex_old", rename("ex_meta", "ex_old"));
	show("ex_meta", 1);
	show("ex_old", 1);
	CHECK("link ex_link ex_link2", link("ex_link", "ex_link2"));
	fd = open("ex_link2", O_WRONLY | O_APPEND);
	CHECK("append through the new link", write(fd, "more\n", 5));
	close(fd);
	show("ex_link", 0);
	show("ex_link2", 0);
	CHECK("unlink ex_link2", unlink("ex_link2"));
	show("ex_link", 0);

	for (size_t i = 0; i < NFILES; i++) unlink(names[i]);
	CHECK("ex_shared gone", access("ex_shared", F_OK));
	return 0;
}
