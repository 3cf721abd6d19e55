/* exec_cloexec: which fds survive execve (O_CLOEXEC/FD_CLOEXEC), execve errors. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

extern char **environ;

static const char *fdnames[] = {
	[10] = "plain open",
	[11] = "open O_CLOEXEC",
	[12] = "FD_CLOEXEC via F_SETFD",
	[13] = "FD_CLOEXEC set then cleared",
	[14] = "dup of O_CLOEXEC fd",
	[15] = "F_DUPFD_CLOEXEC",
	[16] = "dup3 O_CLOEXEC",
	[17] = "pipe2 O_CLOEXEC read end",
	[18] = "pipe plain write end",
	[19] = "dup2 onto cloexec slot",
};

static int child_main(int argc, char **argv)
{
	printf("child: argc=%d argv[1]=%s argv[2]=%s\n", argc, argv[1], argc > 2 ? argv[2] : "(none)");
	const char *e = getenv("EXEC_TEST_VAR");
	printf("child: env EXEC_TEST_VAR=%s\n", e ? e : "(unset)");
	for (int fd = 10; fd <= 19; fd++) {
		int r = fcntl(fd, F_GETFD);
		if (r < 0) printf("child: fd %d (%s): closed (%s)\n", fd, fdnames[fd], errname(errno));
		else printf("child: fd %d (%s): open, FD_CLOEXEC=%d\n", fd, fdnames[fd], r & FD_CLOEXEC);
	}
	/* the file offset is shared and survives exec */
	char buf[8] = { 0 };
	if (read(10, buf, 4) == 4) printf("child: read from fd 10 continues at offset: %s\n", buf);
	/* signal dispositions: ignored stays ignored, handled resets to default; mask kept */
	struct sigaction sa;
	sigaction(SIGUSR1, NULL, &sa);
	printf("child: SIGUSR1 %s\n", sa.sa_handler == SIG_IGN ? "ignored" : sa.sa_handler == SIG_DFL ? "default" : "handler");
	sigaction(SIGUSR2, NULL, &sa);
	printf("child: SIGUSR2 %s\n", sa.sa_handler == SIG_IGN ? "ignored" : sa.sa_handler == SIG_DFL ? "default" : "handler");
	sigset_t m;
	sigprocmask(SIG_SETMASK, NULL, &m);
	printf("child: SIGINT blocked %d, SIGUSR2 blocked %d\n", sigismember(&m, SIGINT), sigismember(&m, SIGUSR2));
	return 23;
}

static void handler(int s) { (void)s; }

static void try_exec(const char *label, const char *path)
{
	char *av[] = { (char *)path, NULL };
	errno = 0;
	int r = execve(path, av, environ);
	printf("execve %-28s -> %d %s\n", label, r, errname(errno));
}

static void run_child_exec(const char *label, const char *path, int expect_in_child)
{
	pid_t c = fork();
	if (c == 0) {
		char *av[] = { (char *)path, NULL };
		execve(path, av, environ);
		_exit(100 + (errno & 0x1f));
	}
	int st;
	waitpid(c, &st, 0);
	(void)expect_in_child;
	if (WIFEXITED(st)) {
		int s = WEXITSTATUS(st);
		if (s >= 100) printf("fork+exec %-24s -> exec failed %s\n", label, errname(s - 100));
		else printf("fork+exec %-24s -> exit %d\n", label, s);
	} else {
		printf("fork+exec %-24s -> signal %d\n", label, WTERMSIG(st));
	}
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc > 1 && !strcmp(argv[1], "child"))
		return child_main(argc, argv);

	const char *self = argv[0];
	char tmpl[] = "./tmp.XXXXXX";
	if (!mkdtemp(tmpl)) { printf("mkdtemp %s\n", errname(errno)); return 1; }
	char data[64];
	snprintf(data, sizeof data, "%s/data", tmpl);
	int fd = open(data, O_CREAT | O_RDWR, 0644);
	write(fd, "0123456789", 10);
	close(fd);

	for (int i = 10; i <= 19; i++) close(i);
	int t;
	t = open(data, O_RDONLY); dup2(t, 10); close(t);
	lseek(10, 4, SEEK_SET);
	t = open(data, O_RDONLY | O_CLOEXEC); dup3(t, 11, O_CLOEXEC); close(t);
	t = open(data, O_RDONLY); dup2(t, 12); close(t); fcntl(12, F_SETFD, FD_CLOEXEC);
	t = open(data, O_RDONLY); dup2(t, 13); close(t); fcntl(13, F_SETFD, FD_CLOEXEC); fcntl(13, F_SETFD, 0);
	t = dup(11); dup2(t, 14); close(t);
	fcntl(10, F_DUPFD_CLOEXEC, 15);
	dup3(10, 16, O_CLOEXEC);
	int p[2];
	pipe2(p, O_CLOEXEC);
	dup3(p[0], 17, O_CLOEXEC);
	close(p[0]); close(p[1]);
	pipe(p);
	dup2(p[1], 18);
	close(p[0]); close(p[1]);
	dup2(10, 19); /* dup2 clears close-on-exec on the new slot */
	fcntl(19, F_SETFD, FD_CLOEXEC);
	dup2(10, 19);

	printf("parent: fds prepared\n");
	for (int fd = 10; fd <= 19; fd++) printf("parent: fd %d FD_CLOEXEC=%d\n", fd, fcntl(fd, F_GETFD) & FD_CLOEXEC);

	signal(SIGUSR1, SIG_IGN);
	signal(SIGUSR2, handler);
	sigset_t m;
	sigemptyset(&m);
	sigaddset(&m, SIGINT);
	sigprocmask(SIG_BLOCK, &m, NULL);
	setenv("EXEC_TEST_VAR", "hello-from-parent", 1);

	pid_t c = fork();
	if (c == 0) {
		char *av[] = { (char *)self, "child", "extra-arg", NULL };
		execve(self, av, environ);
		printf("execve self failed: %s\n", errname(errno));
		_exit(99);
	}
	int st;
	waitpid(c, &st, 0);
	printf("parent: child status %s %d\n", WIFEXITED(st) ? "exit" : "signal", WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
	printf("parent: fd 10 offset after child read: %ld\n", (long)lseek(10, 0, SEEK_CUR));
	sigprocmask(SIG_UNBLOCK, &m, NULL);
	signal(SIGUSR1, SIG_DFL);
	signal(SIGUSR2, SIG_DFL);

	/* execve errors (in this process: failure must return) */
	try_exec("nonexistent", "./does-not-exist-xyz");
	try_exec("directory", tmpl);
	try_exec("non-executable file", data);
	char path2[128];
	snprintf(path2, sizeof path2, "%s/sub", data);
	try_exec("file as dir component", path2);
	char garbage[64];
	snprintf(garbage, sizeof garbage, "%s/garbage", tmpl);
	fd = open(garbage, O_CREAT | O_WRONLY, 0755);
	write(fd, "this is not an executable\0\1\2", 28);
	close(fd);
	try_exec("garbage executable", garbage);
	try_exec("empty path", "");
	printf("still running after failed execs: yes\n");
	printf("fds survive failed execve: fd 11 cloexec still %d\n", fcntl(11, F_GETFD));

	/* shebang script runs via /bin/sh */
	char script[64];
	snprintf(script, sizeof script, "%s/script.sh", tmpl);
	fd = open(script, O_CREAT | O_WRONLY, 0755);
	const char *sc = "#!/bin/sh\nexit 6\n";
	write(fd, sc, strlen(sc));
	close(fd);
	run_child_exec("shebang script", script, 1);
	run_child_exec("nonexistent", "/nonexistent/prog", 1);
	run_child_exec("/bin/true", "/bin/true", 1);
	run_child_exec("/bin/false", "/bin/false", 1);

	for (int i = 10; i <= 19; i++) close(i);
	unlink(script);
	unlink(garbage);
	unlink(data);
	rmdir(tmpl);
	printf("done\n");
	return 0;
}
