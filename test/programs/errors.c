/* errors: EFAULT, EBADF, EINVAL, ENAMETOOLONG, ENOENT from common syscalls. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

#define CHECK(label, expr) do { errno = 0; long _r = (long)(expr); \
	printf("%-40s -> %ld %s\n", label, _r, _r < 0 ? errname(errno) : ""); } while (0)

/* raw syscalls so libc wrappers can't intercept or fix up the arguments */
#define RAW(...) syscall(__VA_ARGS__)

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	void *bad = (void *)1;
	void *kern = (void *)0xffffffffff600000UL; /* kernel-half address (vsyscall page) */
	char buf[64];
	struct stat st;

	printf("-- EFAULT --\n");
	int fd = open("/dev/zero", O_RDONLY);
	CHECK("read /dev/zero into (void*)1", RAW(SYS_read, fd, bad, 10));
	CHECK("read /dev/zero into NULL", RAW(SYS_read, fd, NULL, 10));
	CHECK("read 0 bytes into (void*)1", RAW(SYS_read, fd, bad, 0));
	close(fd);
	fd = open("/dev/null", O_WRONLY);
	CHECK("write from (void*)1", RAW(SYS_write, fd, bad, 10));
	CHECK("write 0 bytes from (void*)1", RAW(SYS_write, fd, bad, 0));
	close(fd);
	int p[2];
	pipe(p);
	CHECK("write to pipe from (void*)1", RAW(SYS_write, p[1], bad, 10));
	write(p[1], "abc", 3);
	CHECK("read pipe into (void*)1", RAW(SYS_read, p[0], bad, 3));
	CHECK("read pipe after EFAULT", RAW(SYS_read, p[0], buf, sizeof buf));
	close(p[0]);
	close(p[1]);
	CHECK("pipe2((void*)1, 0)", RAW(SYS_pipe2, bad, 0));
	CHECK("stat path (void*)1", RAW(SYS_newfstatat, AT_FDCWD, bad, &st, 0));
	CHECK("stat . into (void*)1", RAW(SYS_newfstatat, AT_FDCWD, ".", bad, 0));
	CHECK("stat . into NULL", RAW(SYS_newfstatat, AT_FDCWD, ".", NULL, 0));
	CHECK("fstat(0) into (void*)1", RAW(SYS_fstat, 0, bad));
	CHECK("open path (void*)1", RAW(SYS_openat, AT_FDCWD, bad, O_RDONLY));
	CHECK("open path NULL", RAW(SYS_openat, AT_FDCWD, NULL, O_RDONLY));
	CHECK("open path kernel address", RAW(SYS_openat, AT_FDCWD, kern, O_RDONLY));
	CHECK("access path (void*)1", RAW(SYS_faccessat, AT_FDCWD, bad, F_OK));
	CHECK("mkdir path (void*)1", RAW(SYS_mkdirat, AT_FDCWD, bad, 0755));
	CHECK("chdir path (void*)1", RAW(SYS_chdir, bad));
	CHECK("getcwd into (void*)1", RAW(SYS_getcwd, bad, 4096));
	{
		struct iovec iov[2] = { { buf, 4 }, { bad, 4 } };
		fd = open("/dev/zero", O_RDONLY);
		CHECK("readv with bad second iov (partial)", RAW(SYS_readv, fd, iov, 2));
		CHECK("readv iov array (void*)1", RAW(SYS_readv, fd, bad, 2));
		close(fd);
	}
	{
		int st2 = 0;
		pid_t c = fork();
		if (c == 0) _exit(3);
		CHECK("wait4 status (void*)1", RAW(SYS_wait4, c, bad, 0, NULL));
		/* child was reaped or not: clean up either way */
		waitpid(c, &st2, 0);
	}
	CHECK("execve path (void*)1", RAW(SYS_execve, bad, NULL, NULL));
	CHECK("rt_sigaction act (void*)1", RAW(SYS_rt_sigaction, SIGUSR1, bad, NULL, 8));
	CHECK("rt_sigprocmask set (void*)1", RAW(SYS_rt_sigprocmask, SIG_BLOCK, bad, NULL, 8));

	printf("-- EBADF --\n");
	int fds[] = { -1, 9999 };
	for (int i = 0; i < 2; i++) {
		int f = fds[i];
		char label[64];
		printf("fd %d:\n", f);
		snprintf(label, sizeof label, "  read"); CHECK(label, read(f, buf, 1));
		snprintf(label, sizeof label, "  write"); CHECK(label, write(f, "x", 1));
		snprintf(label, sizeof label, "  close"); CHECK(label, close(f));
		snprintf(label, sizeof label, "  fstat"); CHECK(label, fstat(f, &st));
		snprintf(label, sizeof label, "  lseek"); CHECK(label, lseek(f, 0, SEEK_SET));
		snprintf(label, sizeof label, "  dup"); CHECK(label, dup(f));
		snprintf(label, sizeof label, "  dup2 to 50"); CHECK(label, dup2(f, 50));
		snprintf(label, sizeof label, "  fcntl F_GETFL"); CHECK(label, fcntl(f, F_GETFL));
		snprintf(label, sizeof label, "  fchdir"); CHECK(label, fchdir(f));
		snprintf(label, sizeof label, "  ftruncate"); CHECK(label, ftruncate(f, 0));
		snprintf(label, sizeof label, "  openat relative"); CHECK(label, openat(f, "x", O_RDONLY));
		snprintf(label, sizeof label, "  pread"); CHECK(label, pread(f, buf, 1, 0));
		snprintf(label, sizeof label, "  getdents64"); CHECK(label, RAW(SYS_getdents64, f, buf, sizeof buf));
	}
	CHECK("openat(AT_FDCWD-1, rel)", openat(AT_FDCWD - 1, "x", O_RDONLY));
	CHECK("dup2(0, -1)", dup2(0, -1));
	CHECK("dup2(0, INT_MAX)", dup2(0, INT_MAX));

	printf("-- EINVAL --\n");
	CHECK("dup3 flags=1", dup3(0, 50, 1));
	CHECK("pipe2 flags=0xffff", pipe2(p, 0xffff));
	CHECK("fcntl cmd 99999", fcntl(0, 99999));
	{
		char t[] = "./tmp.errXXXXXX";
		int f = mkstemp(t);
		unlink(t);
		CHECK("lseek to -1", lseek(f, -1, SEEK_SET));
		CHECK("pread negative offset", pread(f, buf, 1, -5));
		CHECK("ftruncate negative", ftruncate(f, -1));
		CHECK("lseek whence 99", lseek(f, 0, 99));
		close(f);
	}
	CHECK("access mode 0x100", access(".", 0x100));
	CHECK("faccessat bad flags", faccessat(AT_FDCWD, ".", F_OK, 0x8000000));
	CHECK("unlinkat bad flags", unlinkat(AT_FDCWD, "x", 0x4));
	CHECK("kill invalid signal 1000", kill(getpid(), 1000));
	CHECK("sigaction SIGKILL", sigaction(SIGKILL, &(struct sigaction){ .sa_handler = SIG_IGN }, NULL));
	CHECK("rt_sigprocmask bad how", RAW(SYS_rt_sigprocmask, 99, &(sigset_t){ { 0 } }, NULL, 8));
	CHECK("rt_sigprocmask bad sigsetsize", RAW(SYS_rt_sigprocmask, SIG_BLOCK, NULL, NULL, 4));
	CHECK("waitpid bad options", waitpid(-1, NULL, 0x00100000));
	CHECK("mmap len 0", mmap(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED ? -1 : 0);
	CHECK("umask returns previous (not error)", umask(022) >= 0 ? 0 : -1);

	printf("-- ENAMETOOLONG --\n");
	char *longp = malloc(5001);
	memset(longp, 'a', 5000);
	longp[5000] = 0;
	CHECK("open 5000-byte path", open(longp, O_RDONLY));
	CHECK("stat 5000-byte path", stat(longp, &st));
	CHECK("mkdir 5000-byte path", mkdir(longp, 0755));
	CHECK("access 5000-byte path", access(longp, F_OK));
	CHECK("chdir 5000-byte path", chdir(longp));
	/* 4095 chars: fits PATH_MAX but a component is too long */
	longp[4095] = 0;
	CHECK("open 4095-byte single component", open(longp, O_RDONLY));
	/* a long path made of short components, longer than PATH_MAX */
	for (int i = 0; i < 5000; i++) longp[i] = (i % 2) ? '/' : 'd';
	longp[5000] = 0;
	CHECK("open 5000-byte path of short components", open(longp, O_RDONLY));
	memset(longp, 'b', 256);
	longp[256] = 0;
	CHECK("open 256-char component", open(longp, O_RDONLY));
	longp[255] = 0;
	CHECK("open 255-char component (ENOENT)", open(longp, O_RDONLY));
	free(longp);

	printf("-- ENOENT --\n");
	CHECK("open empty path", open("", O_RDONLY));
	CHECK("stat empty path", stat("", &st));
	CHECK("lstat empty path", lstat("", &st));
	CHECK("access empty path", access("", F_OK));
	CHECK("mkdir empty path", mkdir("", 0755));
	CHECK("chdir empty path", chdir(""));
	CHECK("unlink empty path", unlink(""));
	CHECK("rmdir empty path", rmdir(""));
	CHECK("readlink empty path", readlink("", buf, sizeof buf));
	CHECK("execve empty path", execve("", (char *[]){ "", NULL }, NULL));
	CHECK("open /nonexistent/file", open("/nonexistent/file", O_RDONLY));
	CHECK("kill nonexistent pid", kill(0x3ffffff0, 0));

	printf("-- misc --\n");
	CHECK("close(0) then read(0)", (close(0), read(0, buf, 1)));
	CHECK("unknown syscall 9999", RAW(9999));
	printf("done\n");
	return 0;
}
