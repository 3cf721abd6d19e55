/* getdents: getdents64 with a small buffer, readdir, EINVAL/ENOTDIR/EBADF. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common.h"

struct linux_dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

static int cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static const char *dtype(unsigned char t)
{
	switch (t) {
	case DT_REG: return "reg";
	case DT_DIR: return "dir";
	case DT_LNK: return "lnk";
	case DT_FIFO: return "fifo";
	case DT_UNKNOWN: return "unknown";
	default: return "other";
	}
}

static void print_sorted(const char *label, char **names, int n)
{
	qsort(names, n, sizeof *names, cmp);
	printf("%s: %d entries:", label, n);
	for (int i = 0; i < n; i++) printf(" %s", names[i]);
	printf("\n");
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	char tmpl[] = "./tmp.XXXXXX";
	if (!mkdtemp(tmpl)) { printf("mkdtemp: %s\n", errname(errno)); return 1; }
	int start = open(".", O_RDONLY | O_DIRECTORY);
	chdir(tmpl);
	mkdir("d", 0755);
	for (int i = 0; i < 50; i++) {
		char name[64];
		snprintf(name, sizeof name, "d/file_%02d_%s", i, i % 3 == 0 ? "long_name_padding_xxxxxxxxxx" : "s");
		int fd = open(name, O_CREAT | O_WRONLY, 0644);
		if (fd < 0) { printf("create %s: %s\n", name, errname(errno)); return 1; }
		close(fd);
	}
	mkdir("d/subdir", 0755);
	symlink("file_00_s", "d/symlink");

	/* getdents64 with a small buffer */
	int dfd = open("d", O_RDONLY | O_DIRECTORY);
	char buf[256] __attribute__((aligned(8)));
	char *names[128];
	int n = 0, calls = 0, maxper = 0, dots = 0, typeok = 1;
	unsigned char t_dir = 255, t_lnk = 255, t_reg = 255;
	for (;;) {
		long r = syscall(SYS_getdents64, dfd, buf, sizeof buf);
		if (r < 0) { printf("getdents64: %s\n", errname(errno)); break; }
		if (r == 0) break;
		calls++;
		int per = 0;
		for (long off = 0; off < r;) {
			struct linux_dirent64 *d = (void *)(buf + off);
			if (d->d_reclen == 0 || d->d_reclen % 8 != 0) { printf("bad reclen\n"); return 1; }
			off += d->d_reclen;
			per++;
			if (!strcmp(d->d_name, ".") || !strcmp(d->d_name, "..")) { dots++; if (d->d_type != DT_DIR) typeok = 0; continue; }
			if (n < 128) names[n++] = strdup(d->d_name);
			if (!strcmp(d->d_name, "subdir")) t_dir = d->d_type;
			if (!strcmp(d->d_name, "symlink")) t_lnk = d->d_type;
			if (!strcmp(d->d_name, "file_01_s")) t_reg = d->d_type;
		}
		if (per > maxper) maxper = per;
	}
	printf("d_type subdir=%s symlink=%s file_01_s=%s\n", dtype(t_dir), dtype(t_lnk), dtype(t_reg));
	printf("getdents64: several calls needed: %s, dot entries: %d (dir type: %s)\n", calls > 1 ? "yes" : "no", dots, typeok ? "yes" : "no");
	print_sorted("getdents64", names, n);
	for (int i = 0; i < n; i++) free(names[i]);
	errno = 0;
	long r = syscall(SYS_getdents64, dfd, buf, sizeof buf);
	printf("getdents64 at end: %ld %s\n", r, r < 0 ? errname(errno) : "");

	/* rewind with lseek and read again: count must match */
	lseek(dfd, 0, SEEK_SET);
	int again = 0;
	while ((r = syscall(SYS_getdents64, dfd, buf, sizeof buf)) > 0)
		for (long off = 0; off < r; off += ((struct linux_dirent64 *)(buf + off))->d_reclen) again++;
	printf("after lseek(0): %d entries including dots\n", again);

	/* resume from a saved d_off */
	lseek(dfd, 0, SEEK_SET);
	r = syscall(SYS_getdents64, dfd, buf, sizeof buf);
	{
		/* remember the offset of the third entry, count the rest from there */
		long off = 0;
		int k = 0;
		int64_t resume = 0;
		while (off < r && k < 3) {
			struct linux_dirent64 *d = (void *)(buf + off);
			resume = d->d_off;
			off += d->d_reclen;
			k++;
		}
		lseek(dfd, resume, SEEK_SET);
		int rest = 0;
		while ((r = syscall(SYS_getdents64, dfd, buf, sizeof buf)) > 0)
			for (long o = 0; o < r; o += ((struct linux_dirent64 *)(buf + o))->d_reclen) rest++;
		printf("entries after resuming at 3rd d_off: %d\n", rest);
	}

	/* too-small buffer */
	lseek(dfd, 0, SEEK_SET);
	errno = 0;
	r = syscall(SYS_getdents64, dfd, buf, 8);
	printf("getdents64 8-byte buffer: %ld %s\n", r, r < 0 ? errname(errno) : "");
	errno = 0;
	r = syscall(SYS_getdents64, dfd, buf, 0);
	printf("getdents64 0-byte buffer: %ld %s\n", r, r < 0 ? errname(errno) : "");
	close(dfd);

	/* ENOTDIR on a regular file, EBADF on a closed fd */
	int ffd = open("d/file_01_s", O_RDONLY);
	errno = 0;
	r = syscall(SYS_getdents64, ffd, buf, sizeof buf);
	printf("getdents64 on regular file: %ld %s\n", r, r < 0 ? errname(errno) : "");
	close(ffd);
	errno = 0;
	r = syscall(SYS_getdents64, ffd, buf, sizeof buf);
	printf("getdents64 on closed fd: %ld %s\n", r, r < 0 ? errname(errno) : "");
	errno = 0;
	r = syscall(SYS_getdents64, 0x7fff, buf, sizeof buf);
	printf("getdents64 on fd 0x7fff: %ld %s\n", r, r < 0 ? errname(errno) : "");
	{
		int p[2];
		pipe(p);
		errno = 0;
		r = syscall(SYS_getdents64, p[0], buf, sizeof buf);
		printf("getdents64 on pipe: %ld %s\n", r, r < 0 ? errname(errno) : "");
		close(p[0]);
		close(p[1]);
	}
	errno = 0;
	{
		int o = open("d", O_RDONLY | O_DIRECTORY);
		r = syscall(SYS_getdents64, o, (void *)1, 4096);
		printf("getdents64 bad buffer: %ld %s\n", r, r < 0 ? errname(errno) : "");
		close(o);
	}

	/* readdir */
	DIR *dir = opendir("d");
	if (!dir) { printf("opendir: %s\n", errname(errno)); return 1; }
	n = 0;
	struct dirent *e;
	int rdots = 0;
	while ((e = readdir(dir))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) { rdots++; continue; }
		if (n < 128) names[n++] = strdup(e->d_name);
	}
	printf("readdir dot entries: %d\n", rdots);
	print_sorted("readdir", names, n);
	for (int i = 0; i < n; i++) free(names[i]);
	rewinddir(dir);
	int cnt = 0;
	while (readdir(dir)) cnt++;
	printf("after rewinddir: %d entries\n", cnt);
	closedir(dir);

	/* entries removed/added are reflected in a fresh listing */
	unlink("d/file_10_s");
	close(open("d/zz_new", O_CREAT | O_WRONLY, 0644));
	dir = opendir("d");
	cnt = 0;
	int seen_new = 0, seen_old = 0;
	while ((e = readdir(dir))) {
		cnt++;
		if (!strcmp(e->d_name, "zz_new")) seen_new = 1;
		if (!strcmp(e->d_name, "file_10_s")) seen_old = 1;
	}
	closedir(dir);
	printf("fresh listing: %d entries, new seen %d, removed seen %d\n", cnt, seen_new, seen_old);

	/* empty directory lists only . and .. */
	mkdir("empty", 0755);
	dir = opendir("empty");
	cnt = 0;
	while ((e = readdir(dir))) cnt++;
	closedir(dir);
	printf("empty dir entries: %d\n", cnt);
	rmdir("empty");
	errno = 0;
	dir = opendir("d/file_01_s");
	printf("opendir on file: %s\n", dir ? "opened" : errname(errno));

	/* cleanup */
	dir = opendir("d");
	while ((e = readdir(dir))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
		char p[300];
		snprintf(p, sizeof p, "d/%s", e->d_name);
		if (unlink(p) < 0 && rmdir(p) < 0) printf("cleanup %s: %s\n", e->d_name, errname(errno));
	}
	closedir(dir);
	rmdir("d");
	fchdir(start);
	if (rmdir(tmpl) < 0) printf("cleanup: %s\n", errname(errno));
	printf("done\n");
	return 0;
}
