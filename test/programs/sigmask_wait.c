/* sigmask_wait: the signal mask of ppoll, pselect6, epoll_pwait and epoll_pwait2 is applied for
 * exactly the wait (ppoll(2), "the sigmask is atomically replaced for the duration"): a signal it
 * unblocks that is pending, or that arrives during the wait, ends the wait with EINTR after its
 * handler ran (under that mask); a signal it blocks waits for the call's end (its handler runs
 * on the way out, after the mask is restored); ready descriptors
 * win over a pending signal; the caller's mask is back afterwards. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common.h"

#ifndef SYS_epoll_pwait2
#define SYS_epoll_pwait2 441
#endif

enum { PPOLL, PSELECT, EPOLL_PWAIT, EPOLL_PWAIT2, NKINDS };
static const char *kind_name[] = { "ppoll", "pselect6", "epoll_pwait", "epoll_pwait2" };

static volatile sig_atomic_t usr1_hits, usr2_hits, usr2_blocked_in_handler;
static int rfd, wfd, ep;

static void on_usr1(int sig)
{
	sigset_t cur;
	(void)sig;
	usr1_hits++;
	sigprocmask(SIG_BLOCK, NULL, &cur);
	usr2_blocked_in_handler = sigismember(&cur, SIGUSR2);
}

static void on_usr2(int sig)
{
	(void)sig;
	usr2_hits++;
}

/* One wait of the given kind on the (empty) pipe with the given mask; timeout in ms (-1: none). */
static int wait_kind(int kind, long ms, const sigset_t *mask)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	struct timespec *tsp = ms < 0 ? NULL : &ts;
	switch (kind) {
	case PPOLL: {
		struct pollfd p = { .fd = rfd, .events = POLLIN };
		return ppoll(&p, 1, tsp, mask);
	}
	case PSELECT: {
		fd_set r;
		FD_ZERO(&r);
		FD_SET(rfd, &r);
		return pselect(rfd + 1, &r, NULL, NULL, tsp, mask);
	}
	case EPOLL_PWAIT: {
		struct epoll_event ev;
		return epoll_pwait(ep, &ev, 1, (int)ms, mask);
	}
	default: {
		struct epoll_event ev;
		return (int)syscall(SYS_epoll_pwait2, ep, &ev, 1, tsp, mask, 8);
	}
	}
}

static int is_blocked(int sig)
{
	sigset_t cur;
	sigprocmask(SIG_BLOCK, NULL, &cur);
	return sigismember(&cur, sig);
}

static int is_pending(int sig)
{
	sigset_t p;
	sigpending(&p);
	return sigismember(&p, sig);
}

static void report(const char *kind, const char *what, int r, int e)
{
	printf("%-13s %-44s -> %d %s usr1 %d usr2 %d | usr1 blocked %d pending %d\n", kind, what, r, r < 0 ? errname(e) : "",
	       (int)usr1_hits, (int)usr2_hits, is_blocked(SIGUSR1), is_pending(SIGUSR1));
}

/* A child that sends sig to the parent after ms. */
static pid_t send_later(int sig, long ms)
{
	pid_t parent = getpid();
	pid_t c = fork();
	if (c == 0) {
		sleep_ms(ms);
		kill(parent, sig);
		_exit(0);
	}
	return c;
}

/* Two threads in ppoll, both blocking SIGUSR1 outside the call and not inside it: a signal sent
 * to the process ends one wait (its handler runs once); the other goes on to its timeout. Both
 * have their own mask back afterwards. */
static int thread_rc[2], thread_blocked_after[2];

static void *ppoll_thread(void *arg)
{
	long i = (long)arg;
	sigset_t none;
	sigemptyset(&none);
	struct pollfd p = { .fd = rfd, .events = POLLIN };
	struct timespec ts = { 1, 0 };
	errno = 0;
	int r = ppoll(&p, 1, &ts, &none);
	thread_rc[i] = r < 0 ? -errno : r;
	thread_blocked_after[i] = is_blocked(SIGUSR1);
	return NULL;
}

static void two_threads(void)
{
	sigset_t usr1;
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigprocmask(SIG_SETMASK, &usr1, NULL); /* inherited by both threads */
	usr1_hits = 0;
	pthread_t t[2];
	for (long i = 0; i < 2; i++) pthread_create(&t[i], NULL, ppoll_thread, (void *)i);
	pid_t ch = send_later(SIGUSR1, 200);
	for (int i = 0; i < 2; i++) pthread_join(t[i], NULL);
	reap(ch);
	int eintr = 0, zero = 0;
	for (int i = 0; i < 2; i++) {
		if (thread_rc[i] == -EINTR) eintr++;
		if (thread_rc[i] == 0) zero++;
	}
	printf("two threads in ppoll, one process signal: EINTR %d, timed out %d, handler ran %d, own mask back %s\n",
	       eintr, zero, (int)usr1_hits, thread_blocked_after[0] && thread_blocked_after[1] ? "yes" : "no");
	printf("main thread: usr1 blocked %d pending %d\n", is_blocked(SIGUSR1), is_pending(SIGUSR1));
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	alarm(60);
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_usr1;
	sigaction(SIGUSR1, &sa, NULL);
	sa.sa_handler = on_usr2;
	sigaction(SIGUSR2, &sa, NULL);
	int p[2];
	if (pipe(p) < 0) return 1;
	rfd = p[0];
	wfd = p[1];
	ep = epoll_create1(0);
	struct epoll_event ev = { .events = EPOLLIN };
	epoll_ctl(ep, EPOLL_CTL_ADD, rfd, &ev);

	sigset_t usr1, usr2, none;
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigemptyset(&usr2);
	sigaddset(&usr2, SIGUSR2);
	sigemptyset(&none);

	for (int k = 0; k < NKINDS; k++) {
		const char *name = kind_name[k];
		int r, e;

		/* SIGUSR1 blocked and pending; the call's mask unblocks it (and blocks SIGUSR2) */
		sigprocmask(SIG_SETMASK, &usr1, NULL);
		usr1_hits = usr2_hits = usr2_blocked_in_handler = 0;
		raise(SIGUSR1);
		errno = 0;
		r = wait_kind(k, 2000, &usr2);
		e = errno;
		report(name, "pending, unblocked by the mask", r, e);
		printf("%-13s %-44s -> %d\n", name, "  SIGUSR2 blocked inside the handler", (int)usr2_blocked_in_handler);

		/* the same with no timeout */
		usr1_hits = 0;
		raise(SIGUSR1);
		errno = 0;
		r = wait_kind(k, -1, &none);
		e = errno;
		report(name, "pending, no timeout", r, e);

		/* zero timeout: poll and select say EINTR, epoll says 0 (ep_poll checks timed_out first) */
		usr1_hits = 0;
		raise(SIGUSR1);
		errno = 0;
		r = wait_kind(k, 0, &none);
		e = errno;
		report(name, "pending, zero timeout", r, e);
		if (is_pending(SIGUSR1)) {
			sigprocmask(SIG_SETMASK, &none, NULL); /* the handler runs now */
			printf("%-13s %-44s -> usr1 %d\n", name, "  after unblocking", (int)usr1_hits);
			sigprocmask(SIG_SETMASK, &usr1, NULL);
		}

		/* ready descriptors win over a pending signal, which stays pending */
		usr1_hits = 0;
		raise(SIGUSR1);
		if (write(wfd, "x", 1) != 1) return 1;
		errno = 0;
		r = wait_kind(k, 2000, &none);
		e = errno;
		report(name, "pending, data ready", r, e);
		char c;
		if (read(rfd, &c, 1) != 1) return 1;
		sigprocmask(SIG_SETMASK, &none, NULL);
		printf("%-13s %-44s -> usr1 %d\n", name, "  after unblocking", (int)usr1_hits);

		/* arrives during the wait, blocked outside, unblocked by the mask */
		sigprocmask(SIG_SETMASK, &usr1, NULL);
		usr1_hits = 0;
		pid_t ch = send_later(SIGUSR1, 100);
		errno = 0;
		r = wait_kind(k, 5000, &none);
		e = errno;
		report(name, "arrives during the wait", r, e);
		reap(ch);

		/* arrives during the wait, unblocked outside, blocked by the mask: the wait times out
		 * (0, not EINTR), then the handler runs once the caller's mask is back */
		sigprocmask(SIG_SETMASK, &none, NULL);
		usr1_hits = usr2_hits = 0;
		ch = send_later(SIGUSR2, 100);
		errno = 0;
		r = wait_kind(k, 400, &usr2);
		e = errno;
		reap(ch);
		report(name, "blocked by the mask, arrives during", r, e);
	}
	two_threads();
	sigprocmask(SIG_SETMASK, &none, NULL);

	/* a pending SIGTERM with its default action, unblocked by the call's mask, ends the process */
	{
		pid_t c = fork();
		if (c == 0) {
			sigset_t term;
			sigemptyset(&term);
			sigaddset(&term, SIGTERM);
			sigprocmask(SIG_SETMASK, &term, NULL);
			raise(SIGTERM);
			wait_kind(PPOLL, 2000, &none);
			_exit(0);
		}
		printf("ppoll unblocking a pending SIGTERM: child status %d\n", reap(c));
	}

	/* bad sigset sizes */
	{
		struct pollfd pf = { .fd = rfd, .events = POLLIN };
		struct timespec ts = { 0, 0 };
		errno = 0;
		long r = syscall(SYS_ppoll, &pf, 1, &ts, &none, 4);
		printf("ppoll sigsetsize 4 -> %ld %s\n", r, r < 0 ? errname(errno) : "");
		struct epoll_event ev2;
		errno = 0;
		r = syscall(SYS_epoll_pwait, ep, &ev2, 1, 0, &none, 16);
		printf("epoll_pwait sigsetsize 16 -> %ld %s\n", r, r < 0 ? errname(errno) : "");
		errno = 0;
		r = syscall(SYS_epoll_pwait, ep, &ev2, 1, 0, NULL, 16);
		printf("epoll_pwait NULL mask, sigsetsize 16 -> %ld %s\n", r, r < 0 ? errname(errno) : "");
		errno = 0;
		r = syscall(SYS_ppoll, &pf, 1, &ts, (void *)8, 8);
		printf("ppoll sigmask pointer 8 -> %ld %s\n", r, r < 0 ? errname(errno) : "");
	}
	return 0;
}
