/* proc_lifecycle: fork/wait/exit codes, signals, WNOHANG, getppid, nested fork. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

static void report(const char *what, int st)
{
	if (WIFEXITED(st))
		printf("%s: exited %d\n", what, WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		printf("%s: signaled %d (%s)%s\n", what, WTERMSIG(st),
		       WTERMSIG(st) == SIGKILL ? "SIGKILL" :
		       WTERMSIG(st) == SIGTERM ? "SIGTERM" : "other",
		       WCOREDUMP(st) ? " core" : "");
	else
		printf("%s: other status\n", what);
}

static void block_on_pipe_then_exit(int rfd, int code)
{
	char c;
	while (read(rfd, &c, 1) < 0 && errno == EINTR)
		;
	_exit(code);
}

int main(void)
{
	int codes[] = { 0, 3, 255 };
	int st;
	setvbuf(stdout, NULL, _IONBF, 0);

	for (unsigned i = 0; i < sizeof codes / sizeof codes[0]; i++) {
		pid_t p = fork();
		if (p < 0) { printf("fork failed %s\n", errname(errno)); return 1; }
		if (p == 0)
			_exit(codes[i]);
		pid_t w = waitpid(p, &st, 0);
		char what[32];
		snprintf(what, sizeof what, "exit(%d)", codes[i]);
		printf("waitpid returned child: %s\n", w == p ? "yes" : "no");
		report(what, st);
	}

	/* exit() via return from a function that calls exit with flush */
	{
		pid_t p = fork();
		if (p == 0) {
			exit(42);
		}
		waitpid(p, &st, 0);
		report("exit(42)", st);
	}

	/* killed by signals */
	int sigs[] = { SIGKILL, SIGTERM };
	for (unsigned i = 0; i < 2; i++) {
		int pfd[2];
		if (pipe(pfd) < 0) return 1;
		pid_t p = fork();
		if (p == 0) {
			close(pfd[1]);
			block_on_pipe_then_exit(pfd[0], 9);
		}
		close(pfd[0]);
		if (kill(p, sigs[i]) < 0)
			printf("kill failed %s\n", errname(errno));
		waitpid(p, &st, 0);
		report(sigs[i] == SIGKILL ? "kill SIGKILL" : "kill SIGTERM", st);
		close(pfd[1]);
	}

	/* child killing itself */
	{
		pid_t p = fork();
		if (p == 0) {
			raise(SIGTERM);
			_exit(1);
		}
		waitpid(p, &st, 0);
		report("raise SIGTERM", st);
	}

	/* WNOHANG while the child runs */
	{
		int pfd[2];
		pipe(pfd);
		pid_t p = fork();
		if (p == 0) {
			close(pfd[1]);
			block_on_pipe_then_exit(pfd[0], 5);
		}
		close(pfd[0]);
		struct rusage ru;
		pid_t r = wait4(p, &st, WNOHANG, &ru);
		printf("wait4 WNOHANG while running: %d\n", (int)r);
		r = waitpid(-1, &st, WNOHANG);
		printf("waitpid(-1) WNOHANG while running: %d\n", (int)r);
		close(pfd[1]); /* child sees EOF and exits */
		r = wait4(p, &st, 0, &ru);
		printf("wait4 blocking returned child: %s\n", r == p ? "yes" : "no");
		report("after pipe close", st);
	}

	/* no children: ECHILD */
	{
		errno = 0;
		pid_t r = waitpid(-1, &st, 0);
		printf("waitpid no children: %d %s\n", (int)r, errname(errno));
		errno = 0;
		r = waitpid(-1, &st, WNOHANG);
		printf("waitpid WNOHANG no children: %d %s\n", (int)r, errname(errno));
	}

	/* getppid in child equals parent's getpid */
	{
		int pfd[2];
		pipe(pfd);
		pid_t me = getpid();
		pid_t p = fork();
		if (p == 0) {
			close(pfd[0]);
			char c = getppid() == me ? 'Y' : 'N';
			write(pfd[1], &c, 1);
			pid_t mine = getpid();
			char d = (mine != me && mine > 0) ? 'Y' : 'N';
			write(pfd[1], &d, 1);
			_exit(0);
		}
		close(pfd[1]);
		char buf[2] = { 0, 0 };
		read(pfd[0], buf, 1);
		read(pfd[0], buf + 1, 1);
		close(pfd[0]);
		waitpid(p, &st, 0);
		printf("getppid in child: %s\n", buf[0] == 'Y' ? "ok" : "mismatch");
		printf("child pid distinct: %s\n", buf[1] == 'Y' ? "ok" : "mismatch");
		printf("fork returned positive pid: %s\n", p > 0 ? "ok" : "mismatch");
	}

	/* nested fork: grandchild */
	{
		int pfd[2];
		pipe(pfd);
		pid_t p = fork();
		if (p == 0) {
			close(pfd[0]);
			pid_t child_pid = getpid();
			pid_t g = fork();
			if (g == 0) {
				char msg[64];
				int n = snprintf(msg, sizeof msg, "grandchild ppid ok=%d\n",
						 getppid() == child_pid);
				write(pfd[1], msg, n);
				_exit(11);
			}
			int gst;
			pid_t w = waitpid(g, &gst, 0);
			char msg[64];
			int n = snprintf(msg, sizeof msg, "child reaped grandchild=%d status=%d\n",
					 w == g, WIFEXITED(gst) ? WEXITSTATUS(gst) : -1);
			write(pfd[1], msg, n);
			_exit(WEXITSTATUS(gst) + 1);
		}
		close(pfd[1]);
		char buf[256];
		int total = 0, n;
		while ((n = read(pfd[0], buf + total, sizeof buf - 1 - total)) > 0)
			total += n;
		buf[total] = 0;
		close(pfd[0]);
		fputs(buf, stdout);
		waitpid(p, &st, 0);
		report("nested child", st);
	}

	/* multiple children reaped with wait(); sum statuses */
	{
		int sum = 0;
		for (int i = 1; i <= 5; i++) {
			if (fork() == 0)
				_exit(i * 10);
		}
		int count = 0;
		pid_t r;
		while ((r = wait(&st)) > 0) {
			count++;
			sum += WEXITSTATUS(st);
		}
		printf("wait reaped %d children, status sum %d, final errno %s\n", count, sum, errname(errno));
	}

	printf("done\n");
	return 0;
}
