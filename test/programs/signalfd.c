/* signalfd: blocked signals read as signalfd_siginfo, non-blocking EAGAIN, poll and epoll
 * readiness (also for a signal another process sends later), a new mask on the same fd, and
 * the errors for a bad size, bad flags and a descriptor that is not a signalfd. */
#define _GNU_SOURCE
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "common.h"

static void show_read(int fd)
{
	struct signalfd_siginfo si;
	ssize_t n = read(fd, &si, sizeof si);
	if (n < 0) printf("read: %s\n", errname(errno));
	else printf("read %zd bytes: signo %u, from me %d\n", n, si.ssi_signo, si.ssi_pid == (unsigned)getpid());
}

int main(void)
{
	alarm(10);
	sigset_t m;
	sigemptyset(&m);
	sigaddset(&m, SIGUSR1);
	sigaddset(&m, SIGUSR2);
	sigprocmask(SIG_BLOCK, &m, NULL);
	sigset_t one;
	sigemptyset(&one);
	sigaddset(&one, SIGUSR1);
	int fd = signalfd(-1, &one, SFD_NONBLOCK | SFD_CLOEXEC);
	printf("signalfd: %s\n", fd >= 0 ? "OK" : errname(errno));
	show_read(fd);
	struct pollfd p = { fd, POLLIN, 0 };
	printf("poll before: %d\n", poll(&p, 1, 0));
	kill(getpid(), SIGUSR1);
	int pr = poll(&p, 1, 0);
	printf("poll after kill: %d revents %#x\n", pr, p.revents);
	show_read(fd);
	kill(getpid(), SIGUSR2);
	printf("SIGUSR2 not in the mask, poll: %d\n", poll(&p, 1, 0));
	sigset_t two;
	sigemptyset(&two);
	sigaddset(&two, SIGUSR2);
	printf("new mask on the same fd: %d\n", signalfd(fd, &two, 0) == fd);
	show_read(fd);

	int ep = epoll_create1(0);
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };
	epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
	signalfd(fd, &one, 0);
	fflush(stdout);
	pid_t parent = getpid(), c = fork();
	if (c == 0) {
		sleep_ms(50);
		kill(parent, SIGUSR1);
		_exit(0);
	}
	int n = epoll_wait(ep, &ev, 1, 5000);
	printf("epoll_wait for a later signal: %d\n", n);
	struct signalfd_siginfo si;
	ssize_t got = read(fd, &si, sizeof si);
	printf("read it: %zd bytes, signo %u\n", got, si.ssi_signo);
	reap(c);

	printf("bad size: %s\n", syscall(SYS_signalfd4, -1, &one, 4, 0) < 0 ? errname(errno) : "OK");
	printf("bad flags: %s\n", signalfd(-1, &one, 0x1) < 0 ? errname(errno) : "OK");
	printf("not a signalfd: %s\n", signalfd(ep, &one, 0) < 0 ? errname(errno) : "OK");
	printf("bad fd: %s\n", signalfd(999, &one, 0) < 0 ? errname(errno) : "OK");
	return 0;
}
