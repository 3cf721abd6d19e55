/* files_dirs: file I/O, directories, links, rename, openat/unlinkat, access, cwd, umask. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "common.h"

#define CHECK(label, expr) do { errno = 0; long _r = (long)(expr); \
	printf("%-44s -> %ld %s\n", label, _r, _r < 0 ? errname(errno) : ""); } while (0)

/* silent recursive removal, used only if the checked cleanup left something behind */
static void rm_rf(const char *path)
{
	struct stat st;
	if (lstat(path, &st) < 0) return;
	if (S_ISDIR(st.st_mode)) {
		DIR *d = opendir(path);
		struct dirent *e;
		while (d && (e = readdir(d))) {
			if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
			char sub[PATH_MAX];
			snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
			rm_rf(sub);
		}
		if (d) closedir(d);
		rmdir(path);
	} else {
		unlink(path);
	}
}

static void show_file(const char *label, const char *path)
{
	char buf[256];
	int fd = open(path, O_RDONLY);
	if (fd < 0) { printf("%s: open %s\n", label, errname(errno)); return; }
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n < 0) { printf("%s: read %s\n", label, errname(errno)); return; }
	buf[n] = 0;
	printf("%s: %zd bytes \"", label, n);
	for (ssize_t i = 0; i < n; i++) {
		if (buf[i] >= 32 && buf[i] < 127) putchar(buf[i]);
		else printf("\\x%02x", (unsigned char)buf[i]);
	}
	printf("\"\n");
}

static void cwd_base(const char *label)
{
	char buf[PATH_MAX];
	if (!getcwd(buf, sizeof buf)) { printf("%s: getcwd %s\n", label, errname(errno)); return; }
	char *b = strrchr(buf, '/');
	b = b ? b + 1 : buf;
	/* the test dir has a random suffix: print a stable name */
	if (strncmp(b, "tmp.", 4) == 0) b = "<testdir>";
	printf("%s: cwd basename = %s\n", label, b);
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	umask(022);
	char tmpl[] = "./tmp.XXXXXX";
	if (!mkdtemp(tmpl)) { printf("mkdtemp failed: %s\n", errname(errno)); return 1; }
	int startfd = open(".", O_RDONLY | O_DIRECTORY);
	if (chdir(tmpl) < 0) { printf("chdir failed %s\n", errname(errno)); return 1; }
	cwd_base("after chdir");

	/* basic file I/O */
	int fd = open("f1", O_CREAT | O_RDWR | O_TRUNC, 0644);
	printf("open f1 ok: %d\n", fd >= 0);
	CHECK("write 'hello world'", write(fd, "hello world", 11));
	CHECK("lseek SEEK_CUR 0", lseek(fd, 0, SEEK_CUR));
	CHECK("lseek SEEK_SET 6", lseek(fd, 6, SEEK_SET));
	char buf[64] = { 0 };
	CHECK("read 5", read(fd, buf, 5));
	printf("read data: %s\n", buf);
	CHECK("read at EOF", read(fd, buf, 5));
	CHECK("lseek SEEK_END -5", lseek(fd, -5, SEEK_END));
	CHECK("lseek SEEK_SET -1", lseek(fd, -1, SEEK_SET));
	CHECK("lseek bad whence", lseek(fd, 0, 42));
	CHECK("pwrite 'HELLO' at 0", pwrite(fd, "HELLO", 5, 0));
	CHECK("offset unchanged after pwrite", lseek(fd, 0, SEEK_CUR));
	memset(buf, 0, sizeof buf);
	CHECK("pread 5 at 6", pread(fd, buf, 5, 6));
	printf("pread data: %s\n", buf);
	CHECK("pread negative offset", pread(fd, buf, 5, -1));
	CHECK("pwrite at 20 (hole)", pwrite(fd, "END", 3, 20));
	show_file("after hole", "f1");
	CHECK("ftruncate 5", ftruncate(fd, 5));
	show_file("after ftruncate 5", "f1");
	CHECK("ftruncate 8 (extend)", ftruncate(fd, 8));
	show_file("after ftruncate 8", "f1");
	CHECK("ftruncate -1", ftruncate(fd, -1));
	CHECK("truncate path 3", truncate("f1", 3));
	show_file("after truncate 3", "f1");
	CHECK("lseek SEEK_END 0", lseek(fd, 0, SEEK_END));
	close(fd);

	int rofd = open("f1", O_RDONLY);
	CHECK("write on O_RDONLY fd", write(rofd, "x", 1));
	CHECK("ftruncate on O_RDONLY fd", ftruncate(rofd, 0));
	close(rofd);
	int wofd = open("f1", O_WRONLY);
	CHECK("read on O_WRONLY fd", read(wofd, buf, 1));
	close(wofd);
	int tfd = open("f1", O_WRONLY | O_TRUNC);
	close(tfd);
	show_file("after O_TRUNC", "f1");
	int afd = open("f1", O_WRONLY | O_APPEND);
	write(afd, "one", 3);
	lseek(afd, 0, SEEK_SET);
	write(afd, "two", 3);
	close(afd);
	show_file("after O_APPEND writes", "f1");

	/* O_EXCL */
	CHECK("open O_CREAT|O_EXCL existing", open("f1", O_CREAT | O_EXCL | O_WRONLY, 0644));
	CHECK("open nonexistent no O_CREAT", open("nope", O_RDONLY));
	CHECK("open in nonexistent dir", open("nodir/x", O_CREAT | O_WRONLY, 0644));
	CHECK("open file as dir component", open("f1/x", O_RDONLY));

	/* mkdir / rmdir */
	CHECK("mkdir d", mkdir("d", 0755));
	CHECK("mkdir d again", mkdir("d", 0755));
	CHECK("mkdir f1 (file exists)", mkdir("f1", 0755));
	CHECK("create d/inner", close(open("d/inner", O_CREAT | O_WRONLY, 0644)));
	CHECK("rmdir d (not empty)", rmdir("d"));
	CHECK("rmdir f1 (not dir)", rmdir("f1"));
	CHECK("rmdir nonexistent", rmdir("nope"));
	CHECK("unlink d (dir)", unlink("d"));
	CHECK("open dir O_WRONLY", open("d", O_WRONLY));
	CHECK("O_DIRECTORY on file", open("f1", O_RDONLY | O_DIRECTORY));
	int dfd = open("d", O_RDONLY | O_DIRECTORY);
	printf("O_DIRECTORY on dir ok: %d\n", dfd >= 0);
	CHECK("read on dir fd", read(dfd, buf, 1));

	/* openat relative to a dir fd */
	int ifd = openat(dfd, "inner", O_RDWR);
	printf("openat(dfd, inner) ok: %d\n", ifd >= 0);
	write(ifd, "in-d", 4);
	close(ifd);
	show_file("d/inner", "d/inner");
	CHECK("openat(dfd, sub2 O_CREAT)", close(openat(dfd, "sub2", O_CREAT | O_WRONLY, 0600)));
	CHECK("mkdirat(dfd, subdir)", mkdirat(dfd, "subdir", 0700));
	CHECK("openat with fd on regular file", openat(open("f1", O_RDONLY), "x", O_RDONLY));
	CHECK("openat bad dirfd 999", openat(999, "x", O_RDONLY));
	CHECK("openat bad dirfd, absolute path", close(openat(999, "/", O_RDONLY)));
	CHECK("unlinkat(dfd, subdir, 0) on dir", unlinkat(dfd, "subdir", 0));
	CHECK("unlinkat(dfd, sub2, AT_REMOVEDIR) on file", unlinkat(dfd, "sub2", AT_REMOVEDIR));
	CHECK("unlinkat(dfd, subdir, AT_REMOVEDIR)", unlinkat(dfd, "subdir", AT_REMOVEDIR));
	CHECK("unlinkat(dfd, sub2, 0)", unlinkat(dfd, "sub2", 0));
	CHECK("unlinkat bad flag", unlinkat(dfd, "inner", 0x1));

	/* rename */
	CHECK("rename f1 -> f2", rename("f1", "f2"));
	CHECK("access f1 after rename", access("f1", F_OK));
	show_file("f2", "f2");
	close(open("f3", O_CREAT | O_WRONLY, 0644));
	CHECK("rename f2 -> f3 (replace)", rename("f2", "f3"));
	show_file("f3", "f3");
	CHECK("rename f3 -> d (file onto dir)", rename("f3", "d"));
	CHECK("mkdir e", mkdir("e", 0755));
	CHECK("rename d -> e (onto empty dir)", rename("d", "e"));
	CHECK("access d/inner after", access("d/inner", F_OK));
	CHECK("access e/inner after", access("e/inner", F_OK));
	CHECK("mkdir g", mkdir("g", 0755));
	CHECK("rename g -> e (onto nonempty)", rename("g", "e"));
	CHECK("rename e -> e/sub (into itself)", rename("e", "e/sub"));
	CHECK("rename nonexistent", rename("nope", "x"));
	CHECK("renameat(AT_FDCWD, f3, dfd, moved)", renameat(AT_FDCWD, "f3", dfd, "moved"));
	CHECK("access e/moved", access("e/moved", F_OK));

	/* link / unlink / st_nlink */
	struct stat st;
	close(open("L", O_CREAT | O_WRONLY, 0644));
	stat("L", &st);
	printf("L nlink = %lu\n", (unsigned long)st.st_nlink);
	CHECK("link L L2", link("L", "L2"));
	CHECK("link L L3", link("L", "L3"));
	stat("L", &st);
	printf("L nlink after 2 links = %lu\n", (unsigned long)st.st_nlink);
	CHECK("link L L2 (exists)", link("L", "L2"));
	CHECK("link e e2 (dir)", link("e", "e2"));
	CHECK("unlink L2", unlink("L2"));
	stat("L3", &st);
	printf("L3 nlink after unlink = %lu\n", (unsigned long)st.st_nlink);
	int hfd = open("L3", O_RDWR);
	write(hfd, "shared", 6);
	show_file("L via link", "L");
	unlink("L");
	unlink("L3");
	fstat(hfd, &st);
	printf("open-but-unlinked nlink = %lu size = %ld\n", (unsigned long)st.st_nlink, (long)st.st_size);
	lseek(hfd, 0, SEEK_SET);
	memset(buf, 0, sizeof buf);
	read(hfd, buf, 6);
	printf("read unlinked file: %s\n", buf);
	close(hfd);
	CHECK("unlink nonexistent", unlink("L"));
	struct stat dst;
	stat("e", &dst);
	printf("dir e nlink = %lu\n", (unsigned long)dst.st_nlink);
	mkdir("e/c1", 0755);
	stat("e", &dst);
	printf("dir e nlink after subdir = %lu\n", (unsigned long)dst.st_nlink);
	rmdir("e/c1");

	/* symlink / readlink */
	CHECK("symlink e/inner -> s", symlink("e/inner", "s"));
	char lb[64];
	memset(lb, 0, sizeof lb);
	CHECK("readlink s", readlink("s", lb, sizeof lb));
	printf("readlink value: %s\n", lb);
	memset(lb, 0, sizeof lb);
	CHECK("readlink s, bufsiz 3 (truncates)", readlink("s", lb, 3));
	printf("truncated value: %s\n", lb);
	CHECK("readlink on regular file", readlink("e/inner", lb, sizeof lb));
	CHECK("readlink nonexistent", readlink("nope", lb, sizeof lb));
	show_file("through symlink", "s");
	CHECK("symlink dangling", symlink("does-not-exist", "dang"));
	CHECK("open dangling", open("dang", O_RDONLY));
	CHECK("symlink existing name", symlink("x", "s"));
	CHECK("symlink loop a->b", symlink("b", "a"));
	CHECK("symlink loop b->a", symlink("a", "b"));
	CHECK("open loop", open("a", O_RDONLY));
	CHECK("open O_NOFOLLOW on symlink", open("s", O_RDONLY | O_NOFOLLOW));
	CHECK("readlinkat(dfd-rel)", readlinkat(AT_FDCWD, "s", lb, sizeof lb));
	CHECK("symlink to dir, then open file via it", symlink("e", "se"));
	show_file("se/inner", "se/inner");
	CHECK("unlink symlink se", unlink("se"));
	CHECK("access e still exists", access("e", F_OK));

	/* access / faccessat */
	close(open("ro", O_CREAT | O_WRONLY, 0444));
	close(open("rx", O_CREAT | O_WRONLY, 0755));
	CHECK("access ro F_OK", access("ro", F_OK));
	CHECK("access ro R_OK", access("ro", R_OK));
	CHECK("access rx X_OK", access("rx", X_OK));
	CHECK("access ro X_OK", access("ro", X_OK));
	CHECK("access nope", access("nope", F_OK));
	CHECK("access bad mode", access("ro", 0100));
	CHECK("faccessat(dfd, inner, R_OK)", faccessat(dfd, "inner", R_OK, 0));
	CHECK("faccessat(dfd, nope)", faccessat(dfd, "nope", F_OK, 0));
	CHECK("faccessat AT_SYMLINK_NOFOLLOW dang", faccessat(AT_FDCWD, "dang", F_OK, AT_SYMLINK_NOFOLLOW));
	CHECK("faccessat follow dang", faccessat(AT_FDCWD, "dang", F_OK, 0));

	/* umask effect */
	mode_t old = umask(077);
	printf("previous umask = %03o\n", (unsigned)old);
	close(open("m1", O_CREAT | O_WRONLY, 0666));
	stat("m1", &st);
	printf("m1 mode (umask 077, 0666) = %03o\n", st.st_mode & 07777);
	umask(0);
	close(open("m2", O_CREAT | O_WRONLY, 0666));
	stat("m2", &st);
	printf("m2 mode (umask 0, 0666) = %03o\n", st.st_mode & 07777);
	umask(027);
	mkdir("m3", 0777);
	stat("m3", &st);
	printf("m3 dir mode (umask 027, 0777) = %03o\n", st.st_mode & 07777);
	printf("umask(022) returns %03o\n", (unsigned)umask(022));
	CHECK("chmod m2 0600", chmod("m2", 0600));
	stat("m2", &st);
	printf("m2 mode after chmod = %03o\n", st.st_mode & 07777);
	int mfd = open("m2", O_RDONLY);
	CHECK("fchmod m2 0640", fchmod(mfd, 0640));
	fstat(mfd, &st);
	printf("m2 mode after fchmod = %03o\n", st.st_mode & 07777);
	close(mfd);

	/* getcwd / chdir / fchdir */
	CHECK("chdir e", chdir("e"));
	cwd_base("in e");
	CHECK("chdir ..", chdir(".."));
	cwd_base("back");
	CHECK("chdir nonexistent", chdir("nope"));
	CHECK("chdir to file", chdir("ro"));
	CHECK("fchdir(dfd) (dir now e)", fchdir(dfd));
	cwd_base("after fchdir");
	show_file("relative inner after fchdir", "inner");
	CHECK("fchdir(startfd)", fchdir(startfd));
	CHECK("chdir back into testdir", chdir(tmpl));
	cwd_base("again");
	int filefd = open("ro", O_RDONLY);
	CHECK("fchdir on file fd", fchdir(filefd));
	close(filefd);
	char small[2];
	CHECK("getcwd small buffer", getcwd(small, sizeof small) ? 0 : -1);
	close(dfd);

	/* clean up */
	const char *files[] = { "e/inner", "e/moved", "s", "dang", "a", "b", "ro", "rx", "m1", "m2", NULL };
	for (int i = 0; files[i]; i++) if (unlink(files[i]) < 0) printf("cleanup unlink %s: %s\n", files[i], errname(errno));
	const char *dirs[] = { "m3", "g", "e", NULL };
	for (int i = 0; dirs[i]; i++) if (rmdir(dirs[i]) < 0) printf("cleanup rmdir %s: %s\n", dirs[i], errname(errno));
	CHECK("fchdir(startfd)", fchdir(startfd));
	CHECK("rmdir testdir", rmdir(tmpl));
	rm_rf(tmpl);
	printf("done\n");
	return 0;
}
