/* pidfd: pidfd_open on children, poll readiness at exit, waitid(P_PIDFD), pidfd_send_signal,
 * close-on-exec, and the errors for bad flags and gone processes. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "common.h"

static int pidfd_open(pid_t pid, unsigned flags) { return (int)syscall(SYS_pidfd_open, pid, flags); }
static int pidfd_send_signal(int fd, int sig) { return (int)syscall(SYS_pidfd_send_signal, fd, sig, NULL, 0); }

static int readable(int fd, int ms)
{
	struct pollfd p = { fd, POLLIN, 0 };
	return poll(&p, 1, ms) == 1 && (p.revents & POLLIN);
}

int main(void)
{
	alarm(10);
	pid_t a = fork();
	if (a == 0) {
		sleep_ms(100);
		_exit(7);
	}
	int fd = pidfd_open(a, 0);
	printf("pidfd_open child: %s\n", fd >= 0 ? "OK" : errname(errno));
	printf("close-on-exec: %d\n", (fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);
	printf("readable while running: %d\n", readable(fd, 0));
	printf("readable after exit: %d\n", readable(fd, 2000));
	siginfo_t si = { 0 };
	int r = waitid(P_PIDFD, fd, &si, WEXITED);
	printf("waitid P_PIDFD: %s, code %s, status %d\n", r == 0 ? "OK" : errname(errno), si.si_code == CLD_EXITED ? "CLD_EXITED" : "?", si.si_status);
	close(fd);

	pid_t b = fork();
	if (b == 0) {
		pause();
		_exit(0);
	}
	fd = pidfd_open(b, O_NONBLOCK); /* PIDFD_NONBLOCK */
	printf("pidfd_open PIDFD_NONBLOCK: %s, O_NONBLOCK %d\n", fd >= 0 ? "OK" : errname(errno), (fcntl(fd, F_GETFL) & O_NONBLOCK) != 0);
	printf("waitid on a running child, non-blocking pidfd: %s\n", waitid(P_PIDFD, fd, &si, WEXITED) == 0 ? "OK" : errname(errno));
	printf("pidfd_send_signal SIGTERM: %s\n", pidfd_send_signal(fd, SIGTERM) == 0 ? "OK" : errname(errno));
	int st;
	waitpid(b, &st, 0);
	printf("child died by signal %d\n", WIFSIGNALED(st) ? WTERMSIG(st) : 0);
	printf("send to a reaped child: %s\n", pidfd_send_signal(fd, SIGTERM) == 0 ? "OK" : errname(errno));
	close(fd);

	printf("bad flags: %s\n", pidfd_open(getpid(), 0x1) >= 0 ? "OK" : errname(errno));
	printf("pid 0: %s\n", pidfd_open(0, 0) >= 0 ? "OK" : errname(errno));
	printf("reaped pid: %s\n", pidfd_open(a, 0) >= 0 ? "OK" : errname(errno));
	printf("send on a non-pidfd: %s\n", pidfd_send_signal(1, 0) == 0 ? "OK" : errname(errno));
	return 0;
}
