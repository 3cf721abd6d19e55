/* Which blocking calls a handled signal restarts (signal(7), "Interruption of system calls and
 * library functions by signal handlers"): accept, wait4 and an untimed futex wait are restarted
 * with SA_RESTART and end with EINTR without it; epoll_wait and a futex wait with a timeout end
 * with EINTR either way. Then sigsuspend, sigtimedwait with a queued value, and a signal aimed at
 * one thread with tgkill.
 *
 * A helper thread interrupts the main thread with SIGUSR1 every 30 ms until the call under test
 * returns, and after the third signal unblocks it for real (a connect, a child's exit, a wake),
 * so the restarted calls return success and the others EINTR whatever the timing. */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "common.h"

static atomic_int handled;
static atomic_int handled_tid;
static void on_usr1(int s) { (void)s; atomic_fetch_add(&handled, 1); atomic_store(&handled_tid, (int)gettid()); }

static void set_handler(int sig, int flags)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_usr1;
	sa.sa_flags = flags;
	sigaction(sig, &sa, NULL);
}

static void nap_ms(int ms)
{
	struct timespec ts = { 0, ms * 1000000L };
	nanosleep(&ts, NULL);
}

/* What the interrupter does once it has signalled three times: make the blocked call succeed. */
enum unblock { UNBLOCK_CONNECT, UNBLOCK_CHILD, UNBLOCK_WAKE, UNBLOCK_NONE };
static struct {
	pthread_t target;
	enum unblock how;
	const char *path;
	int *futex_word;
	int pipe_w;
	atomic_int done;
} job;

static void *interrupter(void *arg)
{
	(void)arg;
	for (int i = 0; !atomic_load(&job.done); i++) {
		nap_ms(30);
		if (atomic_load(&job.done)) break;
		if (i < 3) {
			pthread_kill(job.target, SIGUSR1);
			continue;
		}
		if (job.how == UNBLOCK_CONNECT && i == 3) {
			int c = socket(AF_UNIX, SOCK_STREAM, 0);
			struct sockaddr_un a = { .sun_family = AF_UNIX };
			strcpy(a.sun_path, job.path);
			if (connect(c, (struct sockaddr *)&a, sizeof a) < 0) printf("connect: %s\n", errname(errno));
			close(c);
		} else if (job.how == UNBLOCK_CHILD && i == 3) {
			close(job.pipe_w); /* the child reads EOF and exits */
			job.pipe_w = -1;
		} else if (job.how == UNBLOCK_WAKE) {
			syscall(SYS_futex, job.futex_word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
		} else if (job.how == UNBLOCK_NONE) {
			pthread_kill(job.target, SIGUSR1); /* keep trying until the call gives up */
		}
	}
	return NULL;
}

static pthread_t start(enum unblock how)
{
	pthread_t t;
	job.target = pthread_self();
	job.how = how;
	atomic_store(&job.done, 0);
	atomic_store(&handled, 0);
	pthread_create(&t, NULL, interrupter, NULL);
	return t;
}

static void finish(pthread_t t, const char *what, int r, int err, int restart)
{
	atomic_store(&job.done, 1);
	pthread_join(t, NULL);
	printf("%s, %s SA_RESTART: %s, handler ran: %s\n", what, restart ? "with" : "without",
	       r < 0 ? errname(err) : "returned", atomic_load(&handled) > 0 ? "yes" : "no");
}

static void test_accept(int restart)
{
	char path[64];
	snprintf(path, sizeof path, "restart-%d.sock", (int)getpid());
	unlink(path);
	int l = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	strcpy(a.sun_path, path);
	if (bind(l, (struct sockaddr *)&a, sizeof a) < 0 || listen(l, 4) < 0) { printf("listen: %s\n", errname(errno)); return; }
	set_handler(SIGUSR1, restart ? SA_RESTART : 0);
	job.path = path;
	pthread_t t = start(UNBLOCK_CONNECT);
	int c = accept(l, NULL, NULL);
	int err = errno;
	finish(t, "accept", c, err, restart);
	if (c >= 0) close(c);
	close(l);
	unlink(path);
}

static void test_wait4(int restart)
{
	int p[2];
	if (pipe(p)) return;
	pid_t child = fork();
	if (child == 0) {
		char c;
		close(p[1]);
		while (read(p[0], &c, 1) > 0) {}
		_exit(7);
	}
	close(p[0]);
	set_handler(SIGUSR1, restart ? SA_RESTART : 0);
	job.pipe_w = p[1];
	pthread_t t = start(UNBLOCK_CHILD);
	int st = 0;
	pid_t r = wait4(child, &st, 0, NULL);
	int err = errno;
	finish(t, "wait4", r, err, restart);
	if (r < 0) {
		if (job.pipe_w >= 0) close(job.pipe_w);
		waitpid(child, &st, 0);
	}
	printf("  child status %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}

static void test_futex(int restart, int timed)
{
	static int word;
	word = 0;
	set_handler(SIGUSR1, restart ? SA_RESTART : 0);
	job.futex_word = &word;
	pthread_t t = start(timed ? UNBLOCK_NONE : UNBLOCK_WAKE);
	struct timespec ten_s = { 10, 0 };
	long r = syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 0, timed ? &ten_s : NULL, NULL, 0);
	int err = errno;
	finish(t, timed ? "futex wait with timeout" : "futex wait", (int)r, err, restart);
}

static void test_epoll(int restart)
{
	int p[2];
	if (pipe(p)) return;
	int ep = epoll_create1(0);
	struct epoll_event ev = { .events = EPOLLIN };
	epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev);
	set_handler(SIGUSR1, restart ? SA_RESTART : 0);
	pthread_t t = start(UNBLOCK_NONE);
	int r = epoll_wait(ep, &ev, 1, 10000);
	int err = errno;
	finish(t, "epoll_wait", r, err, restart);
	close(ep);
	close(p[0]);
	close(p[1]);
}

static void test_sigsuspend(void)
{
	sigset_t block, old, during, after;
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigprocmask(SIG_BLOCK, &block, &old);
	set_handler(SIGUSR1, SA_RESTART);
	pthread_t t = start(UNBLOCK_NONE);
	sigemptyset(&during);
	int r = sigsuspend(&during);
	int err = errno;
	atomic_store(&job.done, 1);
	pthread_join(t, NULL);
	sigprocmask(SIG_BLOCK, NULL, &after);
	printf("sigsuspend: %d %s, handler ran: %s, SIGUSR1 blocked again after: %s\n", r, errname(err),
	       atomic_load(&handled) > 0 ? "yes" : "no", sigismember(&after, SIGUSR1) ? "yes" : "no");
	/* a SIGUSR1 sent after sigsuspend returned may be pending: take it before unblocking */
	struct timespec zero = { 0, 0 };
	while (sigtimedwait(&block, NULL, &zero) == SIGUSR1) {}
	sigprocmask(SIG_SETMASK, &old, NULL);
}

static void test_sigtimedwait(void)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	sigaddset(&set, SIGRTMIN + 1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	struct timespec short_wait = { 0, 50 * 1000000L };
	siginfo_t si;
	int r = sigtimedwait(&set, &si, &short_wait);
	printf("sigtimedwait with nothing pending: %d %s\n", r, errname(errno));

	union sigval v = { .sival_int = 4242 };
	sigqueue(getpid(), SIGRTMIN + 1, v);
	v.sival_int = 4343;
	sigqueue(getpid(), SIGRTMIN + 1, v); /* real-time signals queue: both arrive, in order */
	kill(getpid(), SIGUSR2);
	kill(getpid(), SIGUSR2); /* a standard signal pending twice is one */
	for (int i = 0; i < 4; i++) {
		memset(&si, 0, sizeof si);
		struct timespec zero = { 0, 0 };
		r = sigtimedwait(&set, &si, &zero);
		if (r < 0) { printf("  then: %s\n", errname(errno)); break; }
		printf("  got %s code %s value %d from self %s\n", r == SIGUSR2 ? "SIGUSR2" : r == SIGRTMIN + 1 ? "SIGRTMIN+1" : "?",
		       si.si_code == SI_QUEUE ? "SI_QUEUE" : si.si_code == SI_USER ? "SI_USER" : "?",
		       si.si_code == SI_QUEUE ? si.si_value.sival_int : 0, si.si_pid == getpid() ? "yes" : "no");
	}
	sigprocmask(SIG_UNBLOCK, &set, NULL);
}

static int thread_pipe[2];
static atomic_int thread_tid[3];
static void *sleeper(void *arg)
{
	int i = (int)(long)arg;
	atomic_store(&thread_tid[i], (int)gettid());
	char c;
	while (read(thread_pipe[0], &c, 1) < 0 && errno == EINTR) {}
	return NULL;
}

static void test_tgkill(void)
{
	pthread_t th[3];
	if (pipe(thread_pipe)) return;
	set_handler(SIGUSR1, SA_RESTART);
	atomic_store(&handled, 0);
	atomic_store(&handled_tid, 0);
	for (long i = 0; i < 3; i++) pthread_create(&th[i], NULL, sleeper, (void *)i);
	while (!atomic_load(&thread_tid[0]) || !atomic_load(&thread_tid[1]) || !atomic_load(&thread_tid[2])) nap_ms(1);
	int target = atomic_load(&thread_tid[1]);
	nap_ms(20); /* let the sleepers block in read */
	int r = (int)syscall(SYS_tgkill, getpid(), target, SIGUSR1);
	for (int i = 0; i < 200 && !atomic_load(&handled); i++) nap_ms(5);
	printf("tgkill: %d, handled once: %s, by the target thread: %s\n", r, atomic_load(&handled) == 1 ? "yes" : "no",
	       atomic_load(&handled_tid) == target ? "yes" : "no");
	errno = 0;
	r = (int)syscall(SYS_tgkill, getpid() + 100000, target, SIGUSR1);
	printf("tgkill with the wrong tgid: %d %s\n", r, errname(errno));
	if (write(thread_pipe[1], "xyz", 3) != 3) return;
	for (int i = 0; i < 3; i++) pthread_join(th[i], NULL);
	close(thread_pipe[0]);
	close(thread_pipe[1]);
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	for (int restart = 0; restart < 2; restart++) {
		test_accept(restart);
		test_wait4(restart);
		test_futex(restart, 0);
		test_futex(restart, 1);
		test_epoll(restart);
	}
	test_sigsuspend();
	test_sigtimedwait();
	test_tgkill();
	return 0;
}
