/* proc_comm: /proc/self/comm and prctl(PR_SET_NAME/PR_GET_NAME) name the same thing; writes keep
 * 15 bytes (a newline included), a thread's comm is its own, another process's is EINVAL. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>
#include "common.h"

static void show(const char *label, const char *path)
{
	char buf[64] = { 0 };
	int fd = open(path, O_RDONLY);
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	printf("%s: ", label);
	for (ssize_t i = 0; i < n; i++) printf(buf[i] == '\n' ? "\\n" : "%c", buf[i]);
	printf("\n");
}

static int put(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY);
	if (fd < 0) return -errno;
	ssize_t n = write(fd, s, strlen(s));
	int e = errno;
	close(fd);
	return n < 0 ? -e : (int)n;
}

static void *thread(void *arg)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/self/task/%d/comm", gettid());
	printf("thread write: %d\n", put(path, "worker"));
	show("thread comm", path);
	return arg;
}

int main(void)
{
	char name[32] = { 0 };
	printf("write long: %d\n", put("/proc/self/comm", "renamed-process-with-long-name\n"));
	show("comm", "/proc/self/comm");
	prctl(PR_GET_NAME, name);
	printf("PR_GET_NAME: %s\n", name);
	printf("write with newline: %d\n", put("/proc/self/comm", "abc\n"));
	show("comm", "/proc/self/comm");
	prctl(PR_SET_NAME, "via-prctl");
	show("after PR_SET_NAME", "/proc/self/comm");
	pthread_t t;
	pthread_create(&t, NULL, thread, NULL);
	pthread_join(t, NULL);
	show("main after the thread", "/proc/self/comm");
	fflush(stdout);
	pid_t p = fork();
	if (p == 0) {
		pause();
		_exit(0);
	}
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/comm", p);
	int r = put(path, "other");
	printf("write another process's comm: %s\n", r < 0 ? errname(-r) : "OK");
	kill(p, 9);
	reap(p);
	return 0;
}
