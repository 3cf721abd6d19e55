/* escape: tries every route it knows from inside the view to a host file outside it (argv[1],
 * an absolute host path) and to host processes, printing one line per route: "blocked <route>
 * (<errno>)" or "ESCAPED <route>". Run under --root with a writable volume at /work. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

static const char *secret;

/* open path and read it: escaped if the bytes are the secret's ("TOP SECRET") */
static void try_open(const char *route, int dirfd, const char *path)
{
	int fd = openat(dirfd, path, O_RDONLY);
	if (fd < 0) {
		printf("blocked %s (%s)\n", route, strerror(errno));
		return;
	}
	char buf[64] = { 0 };
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n > 0 && strstr(buf, "TOP SECRET")) printf("ESCAPED %s\n", route);
	else printf("blocked %s (opened something else)\n", route);
}

static void result(const char *route, long r)
{
	if (r < 0) printf("blocked %s (%s)\n", route, strerror(errno));
	else printf("ESCAPED %s\n", route);
}

int main(int argc, char **argv)
{
	if (argc < 3) return 2;
	secret = argv[1];
	int hostpid = atoi(argv[2]);
	char path[4096];

	try_open("absolute host path", AT_FDCWD, secret);
	snprintf(path, sizeof path, "../../../../../../../../..%s", secret);
	try_open("dot-dot from the root", AT_FDCWD, path);
	snprintf(path, sizeof path, "/work/../../../../..%s", secret);
	try_open("dot-dot from the volume", AT_FDCWD, path);
	snprintf(path, sizeof path, "/proc/self/root%s", secret);
	try_open("/proc/self/root", AT_FDCWD, path);
	snprintf(path, sizeof path, "/proc/%d/root%s", hostpid, secret);
	try_open("/proc/<host pid>/root", AT_FDCWD, path);
	snprintf(path, sizeof path, "/proc/%d/environ", hostpid);
	try_open("/proc/<host pid>/environ", AT_FDCWD, path);

	unlink("/work/abs-link");
	if (symlink(secret, "/work/abs-link") == 0) try_open("absolute symlink in the volume", AT_FDCWD, "/work/abs-link");
	unlink("/work/rel-link");
	snprintf(path, sizeof path, "../../../../../../..%s", secret);
	if (symlink(path, "/work/rel-link") == 0) try_open("relative symlink in the volume", AT_FDCWD, "/work/rel-link");

	int root = open("/", O_RDONLY | O_DIRECTORY);
	snprintf(path, sizeof path, "../../../..%s", secret);
	try_open("openat on a root fd with dot-dot", root, path);
	mkdir("/work/d", 0755);
	int d = open("/work/d", O_RDONLY | O_DIRECTORY);
	rename("/work/d", "/work/moved");
	snprintf(path, sizeof path, "../../../../../..%s", secret);
	try_open("directory fd kept across a rename", d, path);
	rmdir("/work/moved");
	char fdlink[64];
	snprintf(fdlink, sizeof fdlink, "/proc/self/fd/%d/../../../../..%s", root, secret);
	try_open("fd link with dot-dot", AT_FDCWD, fdlink);
	chdir("/work");
	for (int i = 0; i < 20; i++) chdir("..");
	try_open("chdir .. twenty times", AT_FDCWD, secret + 1);

	result("kill(host pid, 0)", kill(hostpid, 0));
	result("ptrace attach to host pid", ptrace(PTRACE_ATTACH, hostpid, 0, 0));
	char b[8];
	struct iovec l = { b, sizeof b }, r = { (void *)0x400000, sizeof b };
	result("process_vm_readv of host pid", syscall(SYS_process_vm_readv, hostpid, &l, 1, &r, 1, 0));
	result("pidfd_open of host pid", syscall(SYS_pidfd_open, hostpid, 0));
	result("ioprio_set of host pid", syscall(SYS_ioprio_set, 1 /* IOPRIO_WHO_PROCESS */, hostpid, (2 << 13) | 7));
	result("ioprio_set of the process group", syscall(SYS_ioprio_set, 2 /* IOPRIO_WHO_PGRP */, 0, (2 << 13) | 7));
	result("ioprio_set of the user", syscall(SYS_ioprio_set, 3 /* IOPRIO_WHO_USER */, 0, (2 << 13) | 7));

	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	snprintf(un.sun_path, sizeof un.sun_path, "/work/host.sock");
	result("connect to a host unix socket in the volume", connect(s, (struct sockaddr *)&un, sizeof un));

	int fd = open("/bin/escape-write-test", O_WRONLY | O_CREAT, 0644);
	result("create in the read-only root", fd);
	return 0;
}
