/* Signals the kernel raises on a process's behalf and the process calls around them: SIGIO for
 * O_ASYNC descriptors (pipe, socketpair) with F_SETOWN and F_SETSIG; the parent-death signal of
 * PR_SET_PDEATHSIG; a child subreaper (PR_SET_CHILD_SUBREAPER) adopting and reaping an orphan;
 * waitid with P_PIDFD and P_PGID; scheduling priorities and their errors. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "common.h"

static atomic_int io_count, io_fd, io_code, io_pid;
static atomic_long io_band;
static void on_io(int s, siginfo_t *si, void *c)
{
	(void)s; (void)c;
	atomic_fetch_add(&io_count, 1);
	atomic_store(&io_fd, si->si_fd);
	atomic_store(&io_code, si->si_code);
	atomic_store(&io_band, si->si_band);
	atomic_store(&io_pid, si->si_pid);
}

static const char *code_name(int code)
{
	switch (code) {
	case SI_USER: return "SI_USER";
	case SI_KERNEL: return "SI_KERNEL";
	case SI_TKILL: return "SI_TKILL";
	case POLL_IN: return "POLL_IN";
	case POLL_OUT: return "POLL_OUT";
	case POLL_HUP: return "POLL_HUP";
	default: return "?";
	}
}

static void nap_ms(int ms)
{
	struct timespec ts = { 0, ms * 1000000L };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {}
}

static void await_io(int n)
{
	for (int i = 0; i < 400 && atomic_load(&io_count) < n; i++) nap_ms(5);
}

static void async_io(const char *what, int rfd, int wfd, int setsig)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_io;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	int sig = setsig ? SIGRTMIN + 2 : SIGIO;
	sigaction(sig, &sa, NULL);
	atomic_store(&io_count, 0);
	int r1 = fcntl(rfd, F_SETOWN, getpid());
	int r2 = setsig ? fcntl(rfd, F_SETSIG, sig) : 0;
	int r3 = fcntl(rfd, F_SETFL, fcntl(rfd, F_GETFL) | O_ASYNC | O_NONBLOCK);
	printf("%s: F_SETOWN %d F_SETSIG %d O_ASYNC %d, F_GETOWN is us: %s\n", what, r1, r2, r3, fcntl(rfd, F_GETOWN) == getpid() ? "yes" : "no");
	if (write(wfd, "x", 1) != 1) printf("write: %s\n", errname(errno));
	await_io(1);
	nap_ms(20);
	int n = atomic_load(&io_count);
	printf("  after a write: %s (%s)", n >= 1 ? "signalled" : "no signal", setsig ? "F_SETSIG" : "SIGIO");
	/* with F_SETSIG the siginfo names the reason, its poll band and the descriptor; plain SIGIO
	 * comes from the kernel (SI_KERNEL) with none of them */
	if (setsig)
		printf(", %s band %#lx fd is the reader: %s", code_name(atomic_load(&io_code)), atomic_load(&io_band),
		       atomic_load(&io_fd) == rfd ? "yes" : "no");
	else
		printf(", %s from pid %d", code_name(atomic_load(&io_code)), atomic_load(&io_pid));
	printf("\n");
	char buf[8];
	while (read(rfd, buf, sizeof buf) > 0) {}
	fcntl(rfd, F_SETFL, fcntl(rfd, F_GETFL) & ~O_ASYNC);
	atomic_store(&io_count, 0);
	if (write(wfd, "y", 1) != 1) printf("write: %s\n", errname(errno));
	nap_ms(50);
	printf("  after O_ASYNC is cleared: %s\n", atomic_load(&io_count) ? "signalled" : "no signal");
	while (read(rfd, buf, sizeof buf) > 0) {}
	signal(sig, SIG_DFL);
}

static void pdeathsig(void)
{
	int report[2], ready[2];
	if (pipe(report) || pipe(ready)) return;
	pid_t mid = fork();
	if (mid == 0) {
		/* the middle process forks the watcher, waits until it is set up, and exits */
		pid_t w = fork();
		if (w == 0) {
			close(report[0]);
			close(ready[0]);
			sigset_t set;
			sigemptyset(&set);
			sigaddset(&set, SIGUSR1);
			sigprocmask(SIG_BLOCK, &set, NULL);
			prctl(PR_SET_PDEATHSIG, SIGUSR1);
			int got = 0;
			prctl(PR_GET_PDEATHSIG, &got);
			char ok = got == SIGUSR1 ? 'Y' : 'N';
			if (write(ready[1], &ok, 1) != 1) _exit(1);
			struct timespec ten = { 10, 0 };
			siginfo_t si;
			int sig = sigtimedwait(&set, &si, &ten);
			char res[2] = { ok, sig == SIGUSR1 ? 'S' : 'T' };
			if (write(report[1], res, 2) != 2) _exit(1);
			_exit(0);
		}
		char c;
		close(ready[1]);
		if (read(ready[0], &c, 1) != 1) _exit(1);
		_exit(0);
	}
	close(report[1]);
	close(ready[0]);
	close(ready[1]);
	waitpid(mid, NULL, 0);
	char res[2] = { '?', '?' };
	if (read(report[0], res, 2) != 2) res[0] = '?';
	printf("PR_GET_PDEATHSIG: %s, signalled when its parent died: %s\n", res[0] == 'Y' ? "SIGUSR1" : "?", res[1] == 'S' ? "yes" : "no");
	close(report[0]);
}

static void subreaper(void)
{
	int r = prctl(PR_SET_CHILD_SUBREAPER, 1);
	int is = 0;
	prctl(PR_GET_CHILD_SUBREAPER, &is);
	printf("PR_SET_CHILD_SUBREAPER: %d, get: %d\n", r, is);
	int p[2];
	if (pipe(p)) return;
	pid_t mid = fork();
	if (mid == 0) {
		pid_t g = fork();
		if (g == 0) {
			char c;
			close(p[1]);
			while (read(p[0], &c, 1) < 0 && errno == EINTR) {}
			_exit(getppid() == getpgid(0) ? 0 : 33); /* the exit code is what is checked */
		}
		_exit(0);
	}
	waitpid(mid, NULL, 0);
	close(p[0]);
	close(p[1]); /* the orphan wakes up, now our child */
	int st = 0;
	pid_t got = waitpid(-1, &st, 0);
	printf("the orphan was adopted and reaped by us: %s, status %d\n", got > 0 && got != mid ? "yes" : "no", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	prctl(PR_SET_CHILD_SUBREAPER, 0);
}

/* Until the child has exited and waits, a zombie, for us to reap it. */
static void until_zombie(pid_t c)
{
	char path[64], buf[256];
	snprintf(path, sizeof path, "/proc/%d/stat", (int)c);
	for (int i = 0; i < 1000; i++) {
		FILE *f = fopen(path, "r");
		size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
		if (f) fclose(f);
		buf[n] = 0;
		char *close = strrchr(buf, ')');
		if (close && close[1] == ' ' && close[2] == 'Z') return;
		nap_ms(5);
	}
}

static void waitid_pidfd_pgid(void)
{
	pid_t c = fork();
	if (c == 0) _exit(21);
	until_zombie(c);
	/* a zombie is still a process: it can be signalled (to no effect) and get a pidfd */
	errno = 0;
	int k = kill(c, 0);
	printf("kill(zombie, 0): %d %s\n", k, errname(errno));
	int fd = (int)syscall(SYS_pidfd_open, c, 0);
	siginfo_t si;
	memset(&si, 0, sizeof si);
	int r = waitid(P_PIDFD, fd, &si, WEXITED);
	printf("waitid P_PIDFD: %d status %d pid ok %s\n", r, si.si_status, si.si_pid == c ? "yes" : "no");
	errno = 0;
	r = waitid(P_PIDFD, fd, &si, WEXITED | WNOHANG);
	printf("waitid P_PIDFD again: %d %s\n", r, errname(errno));
	close(fd);
	errno = 0;
	r = waitid(P_PIDFD, 12345, &si, WEXITED);
	printf("waitid P_PIDFD on a bad fd: %d %s\n", r, errname(errno));

	c = fork();
	if (c == 0) {
		setpgid(0, 0);
		_exit(22);
	}
	setpgid(c, c);
	memset(&si, 0, sizeof si);
	r = waitid(P_PGID, c, &si, WEXITED);
	printf("waitid P_PGID: %d status %d\n", r, si.si_status);
	errno = 0;
	r = waitid(P_ALL, 0, &si, WEXITED);
	printf("waitid P_ALL with no children: %d %s\n", r, errname(errno));
	errno = 0;
	r = waitid(P_ALL, 0, &si, 0);
	printf("waitid with no WEXITED/WSTOPPED/WCONTINUED: %d %s\n", r, errname(errno));
}

static void priorities(void)
{
	errno = 0;
	int before = getpriority(PRIO_PROCESS, 0);
	int r = setpriority(PRIO_PROCESS, 0, before + 1);
	int after = getpriority(PRIO_PROCESS, 0);
	printf("setpriority +1: %d, now one higher: %s\n", r, after == before + 1 ? "yes" : "no");
	errno = 0;
	r = setpriority(PRIO_PROCESS, 0, before);
	printf("setpriority back down unprivileged: %d %s\n", r, errname(errno));
	errno = 0;
	r = getpriority(PRIO_PROCESS, 99999999);
	printf("getpriority of no such pid: %d %s\n", r, errname(errno));
	errno = 0;
	r = setpriority(99, 0, 0);
	printf("setpriority with a bad which: %d %s\n", r, errname(errno));
	printf("SCHED_OTHER priority range: %d..%d, SCHED_FIFO: %d..%d\n", sched_get_priority_min(SCHED_OTHER), sched_get_priority_max(SCHED_OTHER),
	       sched_get_priority_min(SCHED_FIFO), sched_get_priority_max(SCHED_FIFO));
	printf("sched_getscheduler: %s\n", sched_getscheduler(0) == SCHED_OTHER ? "SCHED_OTHER" : "?");
	struct sched_param sp = { .sched_priority = 10 };
	errno = 0;
	r = sched_setscheduler(0, SCHED_FIFO, &sp);
	printf("sched_setscheduler SCHED_FIFO: %d %s\n", r, errname(errno));
}

static atomic_int pipe_code, pipe_pid;
static void on_pipe(int s, siginfo_t *si, void *c)
{
	(void)s; (void)c;
	atomic_store(&pipe_code, si->si_code);
	atomic_store(&pipe_pid, si->si_pid);
}

/* SIGPIPE comes as if the writer had sent it to itself (send_sig: SI_USER, its own pid) */
static void sigpipe(int flags)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_pipe;
	sa.sa_flags = SA_SIGINFO | flags;
	atomic_store(&pipe_pid, 0);
	sigaction(SIGPIPE, &sa, NULL);
	int p[2];
	if (pipe(p)) return;
	close(p[0]);
	errno = 0;
	ssize_t n = write(p[1], "x", 1);
	/* pending as write returns: the handler has run before the next line */
	int ran = atomic_load(&pipe_pid) != 0;
	printf("handler ran before write returned: %s; ", ran ? "yes" : "no");
	printf("write to a pipe with no reader: %zd %s, SIGPIPE %s from self %s\n", n, errname(errno), code_name(atomic_load(&pipe_code)),
	       atomic_load(&pipe_pid) == getpid() ? "yes" : "no");
	close(p[1]);
	signal(SIGPIPE, SIG_DFL);
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	int p[2], s[2];
	if (pipe(p) || socketpair(AF_UNIX, SOCK_STREAM, 0, s)) return 1;
	async_io("pipe", p[0], p[1], 0);
	async_io("pipe", p[0], p[1], 1);
	async_io("socketpair", s[0], s[1], 1);
	sigpipe(0);
	sigpipe(SA_RESTART); /* EPIPE is not restarted: the call failed, it was not interrupted */
	pdeathsig();
	subreaper();
	waitid_pidfd_pgid();
	priorities();
	return 0;
}
