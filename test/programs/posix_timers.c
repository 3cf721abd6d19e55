/* posix_timers: timer_create/settime/gettime/getoverrun/delete with SIGEV_SIGNAL,
 * SIGEV_THREAD_ID and SIGEV_NONE, and the errors for bad ids and clocks. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "common.h"

static volatile sig_atomic_t fired;
static void on_alarm(int sig, siginfo_t *si, void *uc) { (void)sig; (void)uc; fired = si->si_value.sival_int; }

int main(void)
{
	alarm(10);
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_alarm;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGRTMIN, &sa, NULL);

	struct sigevent ev = { .sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGRTMIN, .sigev_value.sival_int = 42 };
	timer_t t;
	printf("create SIGEV_SIGNAL: %s\n", errname(timer_create(CLOCK_MONOTONIC, &ev, &t) ? errno : 0));
	struct itimerspec its = { .it_value = { 0, 30 * 1000 * 1000 } };
	printf("settime 30ms: %s\n", errname(timer_settime(t, 0, &its, NULL) ? errno : 0));
	struct itimerspec cur;
	timer_gettime(t, &cur);
	printf("gettime armed: %s\n", cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec > 0 ? "yes" : "no");
	while (!fired) pause();
	printf("fired with value %d\n", (int)fired);
	printf("overrun: %d\n", timer_getoverrun(t));
	printf("delete: %s\n", errname(timer_delete(t) ? errno : 0));
	printf("delete again: %s\n", errname(timer_delete(t) ? errno : 0));

	fired = 0;
	struct sigevent tev = { .sigev_notify = SIGEV_THREAD_ID, .sigev_signo = SIGRTMIN, .sigev_value.sival_int = 7 };
	tev._sigev_un._tid = gettid();
	printf("create SIGEV_THREAD_ID self: %s\n", errname(timer_create(CLOCK_REALTIME, &tev, &t) ? errno : 0));
	its.it_value.tv_nsec = 10 * 1000 * 1000;
	its.it_interval.tv_nsec = 10 * 1000 * 1000;
	timer_settime(t, 0, &its, NULL);
	while (!fired) pause();
	printf("thread timer fired with value %d\n", (int)fired);
	timer_delete(t);
	tev._sigev_un._tid = 1;
	printf("create SIGEV_THREAD_ID foreign tid: %s\n", errname(timer_create(CLOCK_REALTIME, &tev, &t) ? errno : 0));

	struct sigevent none = { .sigev_notify = SIGEV_NONE };
	printf("create SIGEV_NONE: %s\n", errname(timer_create(CLOCK_MONOTONIC, &none, &t) ? errno : 0));
	its.it_value.tv_sec = 5;
	its.it_value.tv_nsec = 0;
	its.it_interval.tv_nsec = 0;
	timer_settime(t, 0, &its, NULL);
	timer_gettime(t, &cur);
	printf("SIGEV_NONE remaining > 4s: %s\n", cur.it_value.tv_sec >= 4 ? "yes" : "no");
	printf("bad clock: %s\n", errname(timer_create(12345, &none, &t) ? errno : 0));
	printf("settime bad id: %s\n", errname(syscall(SYS_timer_settime, 9999, 0, &its, NULL) ? errno : 0));
	return 0;
}
