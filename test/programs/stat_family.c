/* stat_family: stat/lstat/fstat/fstatat/statx on file, dir, symlink, pipe; error cases. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "common.h"

static const char *ftype(mode_t m)
{
	switch (m & S_IFMT) {
	case S_IFREG: return "regular";
	case S_IFDIR: return "directory";
	case S_IFLNK: return "symlink";
	case S_IFIFO: return "fifo";
	case S_IFCHR: return "chardev";
	case S_IFBLK: return "blockdev";
	case S_IFSOCK: return "socket";
	default: return "unknown";
	}
}

/* Directory sizes are filesystem-specific; only report whether they're positive. */
static void show(const char *label, int r, const struct stat *st)
{
	if (r < 0) { printf("%-34s: -1 %s\n", label, errname(errno)); return; }
	char size[32];
	if (S_ISDIR(st->st_mode)) snprintf(size, sizeof size, "%s", st->st_size > 0 ? "positive" : "zero");
	else snprintf(size, sizeof size, "%ld", (long)st->st_size);
	printf("%-34s: type=%s mode=%04o size=%s nlink=%lu owner=%s\n", label, ftype(st->st_mode),
	       (unsigned)(st->st_mode & 07777), size,
	       S_ISDIR(st->st_mode) ? 0UL : (unsigned long)st->st_nlink,
	       st->st_uid == getuid() && st->st_gid == getgid() ? "self" : "other");
}

static void showx(const char *label, int r, const struct statx *sx)
{
	if (r < 0) { printf("%-34s: -1 %s\n", label, errname(errno)); return; }
	char size[32];
	if (S_ISDIR(sx->stx_mode)) snprintf(size, sizeof size, "%s", sx->stx_size > 0 ? "positive" : "zero");
	else snprintf(size, sizeof size, "%llu", (unsigned long long)sx->stx_size);
	printf("%-34s: basic=%s type=%s mode=%04o size=%s nlink=%u owner=%s\n", label,
	       (sx->stx_mask & STATX_BASIC_STATS) == STATX_BASIC_STATS ? "yes" : "no",
	       ftype(sx->stx_mode), (unsigned)(sx->stx_mode & 07777), size,
	       S_ISDIR(sx->stx_mode) ? 0U : sx->stx_nlink,
	       sx->stx_uid == getuid() && sx->stx_gid == getgid() ? "self" : "other");
}

#define ST(label, call) do { struct stat _s; memset(&_s, 0, sizeof _s); errno = 0; int _r = (call); show(label, _r, &_s); } while (0)
#define STX(label, dfd, path, fl) do { struct statx _x; memset(&_x, 0, sizeof _x); errno = 0; \
	int _r = statx(dfd, path, fl, STATX_BASIC_STATS, &_x); showx(label, _r, &_x); } while (0)

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	umask(022);
	char tmpl[] = "./tmp.XXXXXX";
	if (!mkdtemp(tmpl)) { printf("mkdtemp: %s\n", errname(errno)); return 1; }
	int start = open(".", O_RDONLY | O_DIRECTORY);
	chdir(tmpl);

	int fd = open("file", O_CREAT | O_RDWR, 0640);
	write(fd, "0123456789abcdef", 16);
	link("file", "hardlink");
	mkdir("dir", 0751);
	symlink("file", "link");
	symlink("dir", "dirlink");
	symlink("missing", "dangling");
	int dfd = open("dir", O_RDONLY | O_DIRECTORY);
	int p[2];
	pipe(p);
	write(p[1], "abc", 3);

	printf("-- regular file --\n");
	ST("stat file", stat("file", &_s));
	ST("lstat file", lstat("file", &_s));
	ST("fstat file fd", fstat(fd, &_s));
	ST("fstatat(AT_FDCWD, file, 0)", fstatat(AT_FDCWD, "file", &_s, 0));
	ST("fstatat(fd, \"\", AT_EMPTY_PATH)", fstatat(fd, "", &_s, AT_EMPTY_PATH));
	STX("statx file", AT_FDCWD, "file", 0);
	STX("statx fd AT_EMPTY_PATH", fd, "", AT_EMPTY_PATH);

	printf("-- directory --\n");
	ST("stat dir", stat("dir", &_s));
	ST("lstat dir", lstat("dir", &_s));
	ST("fstat dir fd", fstat(dfd, &_s));
	ST("fstatat(dfd, \"\", AT_EMPTY_PATH)", fstatat(dfd, "", &_s, AT_EMPTY_PATH));
	ST("fstatat(dfd, \".\", 0)", fstatat(dfd, ".", &_s, 0));
	STX("statx dir", AT_FDCWD, "dir", 0);
	ST("stat dirlink", stat("dirlink", &_s));
	ST("lstat dirlink", lstat("dirlink", &_s));
	ST("stat dirlink/ (trailing slash)", stat("dirlink/", &_s));
	ST("lstat dirlink/ (trailing slash)", lstat("dirlink/", &_s));

	printf("-- symlink --\n");
	ST("stat link (follows)", stat("link", &_s));
	ST("lstat link", lstat("link", &_s));
	ST("fstatat link AT_SYMLINK_NOFOLLOW", fstatat(AT_FDCWD, "link", &_s, AT_SYMLINK_NOFOLLOW));
	ST("fstatat link 0", fstatat(AT_FDCWD, "link", &_s, 0));
	STX("statx link nofollow", AT_FDCWD, "link", AT_SYMLINK_NOFOLLOW);
	STX("statx link follow", AT_FDCWD, "link", 0);
	ST("stat dangling", stat("dangling", &_s));
	ST("lstat dangling", lstat("dangling", &_s));
	{
		int lfd = open("link", O_PATH | O_NOFOLLOW);
		ST("fstat O_PATH|O_NOFOLLOW link", fstat(lfd, &_s));
		ST("fstatat(lfd, \"\", EMPTY_PATH)", fstatat(lfd, "", &_s, AT_EMPTY_PATH));
		close(lfd);
	}

	printf("-- pipe --\n");
	ST("fstat pipe read end", fstat(p[0], &_s));
	ST("fstat pipe write end", fstat(p[1], &_s));
	ST("fstatat(pipe, \"\", AT_EMPTY_PATH)", fstatat(p[0], "", &_s, AT_EMPTY_PATH));
	STX("statx pipe AT_EMPTY_PATH", p[0], "", AT_EMPTY_PATH);
	{
		struct stat a, b;
		fstat(p[0], &a);
		fstat(p[1], &b);
		printf("pipe ends share inode: %s\n", a.st_ino == b.st_ino && a.st_dev == b.st_dev ? "yes" : "no");
	}
	ST("stat /dev/null", stat("/dev/null", &_s));

	printf("-- identity --\n");
	{
		struct stat a, b, c, d;
		stat("file", &a);
		stat("hardlink", &b);
		lstat("link", &c);
		stat("link", &d);
		printf("hardlink same inode: %s\n", a.st_ino == b.st_ino && a.st_dev == b.st_dev ? "yes" : "no");
		printf("symlink own inode differs: %s\n", a.st_ino != c.st_ino ? "yes" : "no");
		printf("stat via symlink same inode: %s\n", a.st_ino == d.st_ino ? "yes" : "no");
		printf("file ino nonzero: %s\n", a.st_ino != 0 ? "yes" : "no");
		struct statx x;
		statx(AT_FDCWD, "file", 0, STATX_BASIC_STATS, &x);
		printf("statx ino matches stat: %s\n", x.stx_ino == a.st_ino ? "yes" : "no");
		printf("statx size/mode match stat: %s\n",
		       x.stx_size == (unsigned long long)a.st_size && x.stx_mode == a.st_mode ? "yes" : "no");
		printf("blocks for 16 bytes plausible: %s\n", a.st_blocks >= 0 && a.st_blksize > 0 ? "yes" : "no");
		/* size changes are visible */
		ftruncate(fd, 100000);
		fstat(fd, &a);
		printf("size after ftruncate 100000: %ld\n", (long)a.st_size);
		/* mtime moves forward (or stays) after a write */
		struct stat before, after;
		fstat(fd, &before);
		write(fd, "x", 1);
		fstat(fd, &after);
		printf("mtime non-decreasing: %s\n",
		       after.st_mtim.tv_sec > before.st_mtim.tv_sec ||
		       (after.st_mtim.tv_sec == before.st_mtim.tv_sec && after.st_mtim.tv_nsec >= before.st_mtim.tv_nsec) ? "yes" : "no");
		chmod("file", 04755);
		stat("file", &a);
		printf("mode after chmod 04755: %04o\n", (unsigned)(a.st_mode & 07777));
		chmod("file", 0640);
	}

	printf("-- errors --\n");
	ST("stat missing", stat("missing", &_s));
	ST("stat missing/x", stat("missing/x", &_s));
	ST("stat file/x (ENOTDIR)", stat("file/x", &_s));
	ST("stat file/ (trailing slash)", stat("file/", &_s));
	ST("lstat link/x", lstat("link/x", &_s));
	ST("stat empty path", stat("", &_s));
	ST("fstatat empty path no flag", fstatat(fd, "", &_s, 0));
	ST("fstat(-1)", fstat(-1, &_s));
	ST("fstat(999)", fstat(999, &_s));
	ST("fstatat bad flags", fstatat(AT_FDCWD, "file", &_s, 0x40000000));
	ST("fstatat(file-fd, x)", fstatat(fd, "x", &_s, 0));
	ST("fstatat(999, rel)", fstatat(999, "x", &_s, 0));
	STX("statx missing", AT_FDCWD, "missing", 0);
	STX("statx file/x", AT_FDCWD, "file/x", 0);
	{
		symlink("loop2", "loop1");
		symlink("loop1", "loop2");
		ST("stat symlink loop", stat("loop1", &_s));
		ST("lstat symlink loop", lstat("loop1", &_s));
		unlink("loop1");
		unlink("loop2");
	}
	{
		char longname[300];
		memset(longname, 'n', sizeof longname - 1);
		longname[sizeof longname - 1] = 0;
		ST("stat 299-char component", stat(longname, &_s));
	}

	close(fd);
	close(dfd);
	close(p[0]);
	close(p[1]);
	unlink("file");
	unlink("hardlink");
	unlink("link");
	unlink("dirlink");
	unlink("dangling");
	rmdir("dir");
	fchdir(start);
	if (rmdir(tmpl) < 0) printf("cleanup: %s\n", errname(errno));
	printf("done\n");
	return 0;
}
