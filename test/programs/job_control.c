/* Stopping, continuing and reaping children, and process groups and sessions, as a shell uses
 * them: SIGCHLD's si_code for exit, stop and continue and what SA_NOCLDSTOP leaves out; waitid
 * with WSTOPPED, WCONTINUED and WNOWAIT, and wait4 with WUNTRACED and WCONTINUED; SIGCHLD
 * ignored (or SA_NOCLDWAIT) reaping children automatically (wait then fails with ECHILD, per
 * wait(2)); setpgid/getpgid/setsid/getsid and their errors; a process group killed as one. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "common.h"

#define MAX_EVENTS 16
static atomic_int nevents;
static int codes[MAX_EVENTS];
static void on_chld(int s, siginfo_t *si, void *ctx)
{
	(void)s; (void)ctx;
	int i = atomic_fetch_add(&nevents, 1);
	if (i < MAX_EVENTS) codes[i] = si->si_code;
}

static const char *cld(int code)
{
	switch (code) {
	case CLD_EXITED: return "CLD_EXITED";
	case CLD_KILLED: return "CLD_KILLED";
	case CLD_DUMPED: return "CLD_DUMPED";
	case CLD_STOPPED: return "CLD_STOPPED";
	case CLD_CONTINUED: return "CLD_CONTINUED";
	case CLD_TRAPPED: return "CLD_TRAPPED";
	default: return "?";
	}
}

static void nap_ms(int ms)
{
	struct timespec ts = { 0, ms * 1000000L };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {}
}

/* A child that waits for its parent to close the pipe, then exits with code. */
static pid_t child_on_pipe(int *wfd, int code)
{
	int p[2];
	if (pipe(p)) return -1;
	pid_t c = fork();
	if (c == 0) {
		char ch;
		close(p[1]);
		setpgid(0, 0);
		while (read(p[0], &ch, 1) < 0 && errno == EINTR) {}
		_exit(code);
	}
	/* its own process group, whose parent (us) is outside it: not orphaned, so SIGTSTP stops
	 * it wherever the test runs (in an orphaned group the kernel discards SIGTSTP, SIGTTIN and
	 * SIGTTOU: signal(7), kernel/signal.c is_current_pgrp_orphaned) */
	setpgid(c, c);
	close(p[0]);
	*wfd = p[1];
	return c;
}

/* Wait (bounded) until the handler has seen n events. */
static void await_events(int n)
{
	for (int i = 0; i < 400 && atomic_load(&nevents) < n; i++) nap_ms(5);
}

static void print_events(const char *what)
{
	int n = atomic_load(&nevents);
	printf("%s: %d SIGCHLD:", what, n);
	for (int i = 0; i < n && i < MAX_EVENTS; i++) printf(" %s", cld(codes[i]));
	printf("\n");
	atomic_store(&nevents, 0);
}

static void stop_continue_exit(int nocldstop)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_chld;
	sa.sa_flags = SA_SIGINFO | SA_RESTART | (nocldstop ? SA_NOCLDSTOP : 0);
	sigaction(SIGCHLD, &sa, NULL);
	atomic_store(&nevents, 0);

	int w = -1;
	pid_t c = child_on_pipe(&w, 5);
	/* each SIGCHLD is taken before the next change, or two would merge into one pending signal */
	int expect = 0;
#define SETTLE() do { if (!nocldstop) await_events(++expect); } while (0)
	siginfo_t si;

	kill(c, SIGSTOP);
	memset(&si, 0, sizeof si);
	int r = waitid(P_PID, c, &si, WSTOPPED | WNOWAIT);
	printf("waitid WSTOPPED|WNOWAIT: %d %s status %s pid ok %s\n", r, cld(si.si_code), si.si_status == SIGSTOP ? "SIGSTOP" : "?",
	       si.si_pid == c ? "yes" : "no");
	memset(&si, 0, sizeof si);
	r = waitid(P_PID, c, &si, WSTOPPED); /* WNOWAIT left it reportable */
	printf("waitid WSTOPPED again: %d %s\n", r, cld(si.si_code));
	memset(&si, 0, sizeof si);
	r = waitid(P_PID, c, &si, WSTOPPED | WNOHANG); /* reported: nothing more */
	printf("waitid WSTOPPED|WNOHANG after: %d pid %d\n", r, si.si_pid);
	SETTLE();

	kill(c, SIGCONT);
	memset(&si, 0, sizeof si);
	r = waitid(P_PID, c, &si, WCONTINUED);
	printf("waitid WCONTINUED: %d %s status %s\n", r, cld(si.si_code), si.si_status == SIGCONT ? "SIGCONT" : "?");
	SETTLE();

	kill(c, SIGTSTP);
	int st = 0;
	pid_t p = wait4(c, &st, WUNTRACED, NULL);
	printf("wait4 WUNTRACED: %s stopped %d by %s\n", p == c ? "child" : "?", WIFSTOPPED(st), WSTOPSIG(st) == SIGTSTP ? "SIGTSTP" : "?");
	SETTLE();
	kill(c, SIGCONT);
	p = wait4(c, &st, WCONTINUED, NULL);
	printf("wait4 WCONTINUED: %s continued %d\n", p == c ? "child" : "?", WIFCONTINUED(st));
	SETTLE();

	close(w);
	p = wait4(c, &st, 0, NULL);
	printf("wait4 exit: %s status %d\n", p == c ? "child" : "?", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	await_events(expect + 1);
#undef SETTLE
	nap_ms(20); /* anything extra would arrive now */
	print_events(nocldstop ? "with SA_NOCLDSTOP" : "without SA_NOCLDSTOP");
}

static void auto_reap(const char *how)
{
	pid_t c = fork();
	if (c == 0) _exit(3);
	int st;
	errno = 0;
	pid_t r = waitpid(c, &st, 0); /* blocks until the child is gone, then ECHILD */
	printf("%s: waitpid %d %s\n", how, r, errname(errno));
}

static void groups_and_sessions(void)
{
	errno = 0;
	int r = setpgid(0, 0);
	printf("setpgid(0, 0) as the leader of a new group: %d %s, own group: %s\n", r, errname(errno),
	       getpgid(0) == getpid() ? "yes" : "no");
	errno = 0;
	r = setsid();
	printf("setsid as a group leader: %d %s\n", r, errname(errno));
	errno = 0;
	r = getpgid(99999999);
	printf("getpgid of no such pid: %d %s\n", r, errname(errno));
	errno = 0;
	r = setpgid(99999999, 0);
	printf("setpgid of no such pid: %d %s\n", r, errname(errno));
	errno = 0;
	r = setpgid(0, -1);
	printf("setpgid to -1: %d %s\n", r, errname(errno));

	/* a child in a new session: setsid works there, and then setpgid by the parent fails */
	int sync[2];
	if (pipe(sync)) return;
	pid_t c = fork();
	if (c == 0) {
		close(sync[0]);
		pid_t s = setsid();
		char ok = s == getpid() && getsid(0) == getpid() && getpgid(0) == getpid() ? 'Y' : 'N';
		if (write(sync[1], &ok, 1) != 1) _exit(1);
		pause();
		_exit(0);
	}
	close(sync[1]);
	char ok = '?';
	if (read(sync[0], &ok, 1) != 1) ok = '?';
	printf("child setsid: %c, its getsid seen by the parent is its pid: %s\n", ok, getsid(c) == c ? "yes" : "no");
	errno = 0;
	r = setpgid(c, getpgid(0));
	printf("setpgid of a child in another session: %d %s\n", r, errname(errno));
	kill(c, SIGKILL);
	int st;
	waitpid(c, &st, 0);
	close(sync[0]);

	/* three children in one new group, killed as one by kill(-pgid) */
	pid_t kids[3];
	pid_t pg = 0;
	int hold[2];
	if (pipe(hold)) return;
	for (int i = 0; i < 3; i++) {
		kids[i] = fork();
		if (kids[i] == 0) {
			char ch;
			close(hold[1]);
			while (read(hold[0], &ch, 1) < 0 && errno == EINTR) {}
			_exit(0);
		}
		if (i == 0) pg = kids[0];
		setpgid(kids[i], pg); /* the parent and the child both set it, as shells do */
	}
	close(hold[0]);
	printf("children share the group: %s\n", getpgid(kids[1]) == pg && getpgid(kids[2]) == pg ? "yes" : "no");
	r = kill(-pg, SIGTERM);
	int killed = 0;
	for (int i = 0; i < 3; i++) {
		if (waitpid(kids[i], &st, 0) == kids[i] && WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM) killed++;
	}
	printf("kill(-pgid, SIGTERM): %d, children killed by SIGTERM: %d\n", r, killed);
	errno = 0;
	r = kill(-pg, 0);
	printf("kill of the emptied group: %d %s\n", r, errname(errno));
	close(hold[1]);
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	stop_continue_exit(0);
	stop_continue_exit(1);

	signal(SIGCHLD, SIG_IGN);
	auto_reap("SIGCHLD ignored");
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_DFL;
	sa.sa_flags = SA_NOCLDWAIT;
	sigaction(SIGCHLD, &sa, NULL);
	auto_reap("SA_NOCLDWAIT");
	signal(SIGCHLD, SIG_DFL);

	groups_and_sessions();
	return 0;
}
