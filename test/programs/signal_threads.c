/* signal_threads: six threads wait in epoll_wait while the process receives SIGCHLD (with an
 * SA_RESTART handler) forty times. A process-directed signal goes to one thread; no waiter may
 * see anything but a count, 0 or EINTR (never a kernel-internal restart code). */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <unistd.h>
#include "common.h"

static volatile int bad;
static void on_chld(int sig) { (void)sig; }

static void *park(void *arg)
{
	int ep = epoll_create1(0);
	struct epoll_event ev;
	for (int i = 0; i < 200; i++) {
		int r = epoll_wait(ep, &ev, 1, 5);
		if (r < 0 && errno != EINTR) {
			printf("epoll_wait: %s (%d)\n", errname(errno), errno);
			bad = 1;
		}
	}
	return arg;
}

int main(void)
{
	alarm(20);
	struct sigaction sa = { .sa_handler = on_chld, .sa_flags = SA_RESTART };
	sigaction(SIGCHLD, &sa, NULL);
	pthread_t t[6];
	for (int i = 0; i < 6; i++) pthread_create(&t[i], NULL, park, NULL);
	for (int i = 0; i < 40; i++) {
		if (fork() == 0) _exit(0);
		sleep_ms(20);
		while (waitpid(-1, NULL, WNOHANG) > 0) {}
	}
	for (int i = 0; i < 6; i++) pthread_join(t[i], NULL);
	printf("%s\n", bad ? "a waiter saw a bad result" : "every waiter saw a count, 0 or EINTR");
	return 0;
}
