/* vfork: _exit status, vfork+execve, parent suspended until child exits/execs. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

extern char **environ;

static void report(const char *label, int st)
{
	if (WIFEXITED(st)) printf("%s: exited %d\n", label, WEXITSTATUS(st));
	else if (WIFSIGNALED(st)) printf("%s: signaled %d\n", label, WTERMSIG(st));
	else printf("%s: other\n", label);
}

/* volatile so the compiler re-reads memory the child wrote */
static volatile int shared_var;

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	int st;

	/* child _exit(7) */
	shared_var = 1;
	pid_t c = vfork();
	if (c == 0) {
		shared_var = 2; /* child writes parent memory: only legal-ish with vfork, but Linux shares it */
		_exit(7);
	}
	printf("vfork returned positive pid: %s\n", c > 0 ? "yes" : "no");
	printf("parent sees variable written by child: %d\n", shared_var);
	pid_t w = waitpid(c, &st, 0);
	printf("waitpid returned child: %s\n", w == c ? "yes" : "no");
	report("vfork _exit(7)", st);

	/* parent does not run before the child: the child does work before _exit and the
	   parent must observe its final value, and a pipe write from the child is already there */
	int p[2];
	pipe2(p, O_NONBLOCK);
	shared_var = 0;
	c = vfork();
	if (c == 0) {
		for (int i = 0; i < 1000; i++) shared_var++;
		write(p[1], "C", 1);
		_exit(0);
	}
	char ch = 0;
	ssize_t n = read(p[0], &ch, 1);
	printf("child's counter when parent resumes: %d\n", shared_var);
	printf("child's pipe byte already present: %s\n", n == 1 && ch == 'C' ? "yes" : "no");
	waitpid(c, &st, 0);
	report("vfork counter child", st);
	close(p[0]);
	close(p[1]);

	/* vfork + execve of /bin/true */
	shared_var = 10;
	c = vfork();
	if (c == 0) {
		shared_var = 11;
		char *av[] = { "/bin/true", NULL };
		execve("/bin/true", av, environ);
		_exit(127);
	}
	printf("after vfork+execve, variable = %d\n", shared_var);
	waitpid(c, &st, 0);
	report("vfork+execve /bin/true", st);

	/* vfork + execve of /bin/false */
	c = vfork();
	if (c == 0) {
		char *av[] = { "/bin/false", NULL };
		execve("/bin/false", av, environ);
		_exit(127);
	}
	waitpid(c, &st, 0);
	report("vfork+execve /bin/false", st);

	/* vfork + failing execve: child reports errno through shared memory */
	shared_var = -1;
	c = vfork();
	if (c == 0) {
		char *av[] = { "/nonexistent", NULL };
		execve("/nonexistent", av, environ);
		shared_var = errno;
		_exit(127);
	}
	waitpid(c, &st, 0);
	printf("errno seen from vfork child's failed execve: %s\n", errname(shared_var));
	report("vfork+execve nonexistent", st);

	/* vfork + execve with a shell command writing to our stdout, in order */
	c = vfork();
	if (c == 0) {
		char *av[] = { "/bin/sh", "-c", "echo from-shell; exit 4", NULL };
		execve("/bin/sh", av, environ);
		_exit(127);
	}
	waitpid(c, &st, 0);
	report("vfork+execve sh", st);

	/* the child's fd table is a copy: closing an fd in the child doesn't affect the parent */
	int fd = open("/dev/null", O_RDONLY);
	c = vfork();
	if (c == 0) {
		close(fd);
		_exit(0);
	}
	waitpid(c, &st, 0);
	printf("fd closed in vfork child still open in parent: %s\n", fcntl(fd, F_GETFD) >= 0 ? "yes" : "no");
	close(fd);

	/* several vforks in sequence */
	int sum = 0;
	for (int i = 1; i <= 5; i++) {
		c = vfork();
		if (c == 0) _exit(i);
		waitpid(c, &st, 0);
		sum += WEXITSTATUS(st);
	}
	printf("sum of 5 vfork exit codes: %d\n", sum);
	printf("done\n");
	return 0;
}
