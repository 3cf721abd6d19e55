/* futex_ops: the futex(2) operations glibc and async runtimes use, called directly. WAIT (value
 * mismatch, relative timeout, signal), WAKE, WAIT_BITSET / WAKE_BITSET with real masks and
 * absolute CLOCK_MONOTONIC and FUTEX_CLOCK_REALTIME deadlines, REQUEUE and CMP_REQUEUE (wake one,
 * move the rest, as a condvar broadcast did), WAKE_OP, a shared futex across fork, futex_waitv;
 * and pthread_cond_broadcast waking many waiters. Waiters are given time to block before each
 * wake so the counts the calls return are exact. */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

#ifndef SYS_futex_waitv
#define SYS_futex_waitv 449
#endif
#ifndef FUTEX_32
#define FUTEX_32 2
struct futex_waitv {
	uint64_t val;
	uint64_t uaddr;
	uint32_t flags;
	uint32_t __reserved;
};
#endif

static long futex(uint32_t *uaddr, int op, uint32_t val, const struct timespec *ts, uint32_t *uaddr2, uint32_t val3)
{
	return syscall(SYS_futex, uaddr, op, val, ts, uaddr2, val3);
}

static void show(const char *what, long r)
{
	printf("%-56s -> %ld %s\n", what, r, r < 0 ? errname(errno) : "");
}

#define WAITERS 8
static uint32_t word_a, word_b;
static atomic_int arrived;
static long results[WAITERS];

struct waitspec {
	int idx;
	uint32_t *uaddr;
	int op;
	uint32_t bitset;
};

static void *waiter(void *arg)
{
	struct waitspec *w = arg;
	struct timespec ts = { 10, 0 }; /* a lost wake-up shows as ETIMEDOUT, not a hang */
	if ((w->op & FUTEX_CMD_MASK) == FUTEX_WAIT_BITSET) { /* its timeout is absolute */
		struct timespec now;
		clock_gettime(CLOCK_MONOTONIC, &now);
		ts.tv_sec += now.tv_sec;
		ts.tv_nsec = now.tv_nsec;
	}
	atomic_fetch_add(&arrived, 1);
	long r = futex(w->uaddr, w->op, 0, &ts, NULL, w->bitset);
	results[w->idx] = r < 0 ? -errno : r;
	return NULL;
}

/* Start n waiters, spec(i, w) saying where and how waiter i waits; give them time to block. */
static void start_waiters(pthread_t *t, struct waitspec *ws, int n, void (*spec)(int, struct waitspec *))
{
	atomic_store(&arrived, 0);
	for (int i = 0; i < n; i++) {
		ws[i] = (struct waitspec){ i, &word_a, FUTEX_WAIT_PRIVATE, 0 };
		spec(i, &ws[i]);
		results[i] = 99;
		pthread_create(&t[i], NULL, waiter, &ws[i]);
	}
	while (atomic_load(&arrived) < n) sleep_ms(5);
	sleep_ms(150);
}

static void on_word_a(int i, struct waitspec *w)
{
	(void)i;
	(void)w;
}

/* WAIT_BITSET: waiters 0..3 on bit 0, 4..7 on bit 1 */
static void split_bitsets(int i, struct waitspec *w)
{
	w->op = FUTEX_WAIT_BITSET_PRIVATE;
	w->bitset = i < 4 ? 1u : 2u;
}

/* waiters 0, 1 on word_a, 2, 3 on word_b */
static void split_words(int i, struct waitspec *w)
{
	w->uaddr = i < 2 ? &word_a : &word_b;
}

static void join_waiters(const char *what, pthread_t *t, int n)
{
	int zero = 0;
	for (int i = 0; i < n; i++) {
		pthread_join(t[i], NULL);
		if (results[i] == 0) zero++;
		else printf("  %s: waiter %d -> %s\n", what, i, errname((int)-results[i]));
	}
	printf("%-56s -> %d of %d returned 0\n", what, zero, n);
}

/* WAITERS waiters on word_a; op (REQUEUE or CMP_REQUEUE) wakes nr_wake and moves up to
 * nr_requeue to word_b; then what is left on each word is woken. */
static void requeue_round(pthread_t *t, struct waitspec *ws, const char *what, int op, int nr_wake, long nr_requeue)
{
	char label[80];
	word_a = word_b = 0;
	start_waiters(t, ws, WAITERS, on_word_a);
	snprintf(label, sizeof label, "%s wake %d, requeue %ld", what, nr_wake, nr_requeue);
	show(label, futex(&word_a, op, nr_wake, (void *)nr_requeue, &word_b, 0));
	sleep_ms(50);
	show("  WAKE on the first word", futex(&word_a, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0));
	show("  WAKE on the second word", futex(&word_b, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0));
	join_waiters(what, t, WAITERS);
}

static void on_usr1(int s)
{
	(void)s;
}

/* Wake one waiter on arg after 100ms. */
static void *wake_later(void *arg)
{
	sleep_ms(100);
	futex(arg, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
	return NULL;
}

static void abs_deadline(clockid_t clk, struct timespec *ts, long ms)
{
	clock_gettime(clk, ts);
	ts->tv_nsec += ms * 1000000L;
	ts->tv_sec += ts->tv_nsec / 1000000000L;
	ts->tv_nsec %= 1000000000L;
}

/* ---- pthread_cond_broadcast to many waiters ---- */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int go, waiting, released;

static void *cond_waiter(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&mu);
	waiting++;
	while (!go) pthread_cond_wait(&cv, &mu);
	released++;
	pthread_mutex_unlock(&mu);
	return NULL;
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	alarm(60);
	pthread_t t[WAITERS];
	struct waitspec ws[WAITERS];
	struct timespec ts;
	long r;

	/* errors and timeouts */
	word_a = 1;
	errno = 0;
	show("WAIT, value differs", futex(&word_a, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0));
	ts = (struct timespec){ 0, 50 * 1000000L };
	long t0 = now_ms();
	errno = 0;
	show("WAIT, relative 50ms", futex(&word_a, FUTEX_WAIT_PRIVATE, 1, &ts, NULL, 0));
	printf("  elapsed >= 45ms: %s\n", now_ms() - t0 >= 45 ? "yes" : "no");
	ts = (struct timespec){ 0, 1000000000L };
	errno = 0;
	show("WAIT, tv_nsec 1e9", futex(&word_a, FUTEX_WAIT_PRIVATE, 1, &ts, NULL, 0));
	ts = (struct timespec){ -1, 0 };
	errno = 0;
	show("WAIT, negative timeout", futex(&word_a, FUTEX_WAIT_PRIVATE, 1, &ts, NULL, 0));
	abs_deadline(CLOCK_MONOTONIC, &ts, 50);
	errno = 0;
	show("WAIT_BITSET, absolute CLOCK_MONOTONIC +50ms",
	     futex(&word_a, FUTEX_WAIT_BITSET_PRIVATE, 1, &ts, NULL, FUTEX_BITSET_MATCH_ANY));
	abs_deadline(CLOCK_REALTIME, &ts, 50);
	errno = 0;
	show("WAIT_BITSET|CLOCK_REALTIME, absolute +50ms",
	     futex(&word_a, FUTEX_WAIT_BITSET_PRIVATE | FUTEX_CLOCK_REALTIME, 1, &ts, NULL, FUTEX_BITSET_MATCH_ANY));
	errno = 0;
	show("WAIT_BITSET, bitset 0", futex(&word_a, FUTEX_WAIT_BITSET_PRIVATE, 1, NULL, NULL, 0));
	errno = 0;
	show("WAKE_BITSET, bitset 0", futex(&word_a, FUTEX_WAKE_BITSET_PRIVATE, 1, NULL, NULL, 0));
	errno = 0;
	show("WAKE, nobody waits", futex(&word_a, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0));
	errno = 0;
	show("WAIT, unaligned address", futex((uint32_t *)((char *)&word_a + 1), FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0));
	errno = 0;
	show("WAIT, address 8", futex((uint32_t *)8, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0));
	errno = 0;
	show("unknown op 99", futex(&word_a, 99, 0, NULL, NULL, 0));

	/* a signal with a handler (no SA_RESTART) ends a WAIT with EINTR */
	{
		struct sigaction sa;
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = on_usr1;
		sigaction(SIGUSR1, &sa, NULL);
		pid_t parent = getpid();
		pid_t c = fork();
		if (c == 0) {
			sleep_ms(100);
			kill(parent, SIGUSR1);
			_exit(0);
		}
		word_a = 0;
		ts = (struct timespec){ 5, 0 };
		errno = 0;
		show("WAIT, SIGUSR1 handler after 100ms", futex(&word_a, FUTEX_WAIT_PRIVATE, 0, &ts, NULL, 0));
		reap(c);
	}

	/* WAKE counts */
	word_a = 0;
	start_waiters(t, ws, WAITERS, on_word_a);
	show("WAKE 3 of 8", futex(&word_a, FUTEX_WAKE_PRIVATE, 3, NULL, NULL, 0));
	sleep_ms(50);
	show("WAKE all (5 left)", futex(&word_a, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0));
	join_waiters("WAKE waiters", t, WAITERS);

	/* WAKE_BITSET with real masks */
	word_a = 0;
	start_waiters(t, ws, WAITERS, split_bitsets);
	show("WAKE_BITSET 0x4 (nobody)", futex(&word_a, FUTEX_WAKE_BITSET_PRIVATE, INT_MAX, NULL, NULL, 4));
	show("WAKE_BITSET 0x2", futex(&word_a, FUTEX_WAKE_BITSET_PRIVATE, INT_MAX, NULL, NULL, 2));
	show("plain WAKE (bitset 0x1 waiters left)", futex(&word_a, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0));
	join_waiters("WAKE_BITSET waiters", t, WAITERS);

	/* CMP_REQUEUE (wake one, move the others: what a condvar broadcast did) and REQUEUE */
	word_a = 0;
	errno = 0;
	show("CMP_REQUEUE, value differs", futex(&word_a, FUTEX_CMP_REQUEUE_PRIVATE, 1, (void *)(long)INT_MAX, &word_b, 7));
	requeue_round(t, ws, "CMP_REQUEUE", FUTEX_CMP_REQUEUE_PRIVATE, 1, INT_MAX);
	requeue_round(t, ws, "REQUEUE", FUTEX_REQUEUE_PRIVATE, 2, 3);

	/* WAKE_OP: word_b += 1 (old 0 == 0: also wake on word_b) */
	word_a = word_b = 0;
	start_waiters(t, ws, 4, split_words);
	r = futex(&word_a, FUTEX_WAKE_OP_PRIVATE, 1, (void *)1L, &word_b,
		  FUTEX_OP(FUTEX_OP_ADD, 1, FUTEX_OP_CMP_EQ, 0));
	show("WAKE_OP wake 1 + (b += 1, old == 0: wake 1)", r);
	printf("  word_b now %u\n", word_b);
	r = futex(&word_a, FUTEX_WAKE_OP_PRIVATE, 1, (void *)1L, &word_b,
		  FUTEX_OP(FUTEX_OP_SET, 5, FUTEX_OP_CMP_EQ, 0));
	show("WAKE_OP wake 1 + (b = 5, old 1 == 0 fails)", r);
	printf("  word_b now %u\n", word_b);
	word_b = 0;
	show("WAKE the last on the second word", futex(&word_b, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0));
	join_waiters("WAKE_OP waiters", t, 4);

	/* a shared (not PRIVATE) futex in MAP_SHARED|MAP_ANONYMOUS memory across fork */
	{
		uint32_t *sh = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		*sh = 0;
		pid_t c = fork();
		if (c == 0) {
			struct timespec five = { 5, 0 };
			long w = futex(sh, FUTEX_WAIT, 0, &five, NULL, 0);
			_exit(w == 0 && sh[1] == 42 ? 0 : 1);
		}
		sleep_ms(150);
		sh[1] = 42;
		show("shared WAKE across fork", futex(sh, FUTEX_WAKE, 1, NULL, NULL, 0));
		printf("  child status %d\n", reap(c));
		show("PRIVATE WAKE on shared memory (nobody left)", futex(sh, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0));
		munmap(sh, 4096);
	}

	/* futex_waitv: one thread waits on two words; a wake on the second returns its index */
	{
		static uint32_t w0, w1;
		struct futex_waitv v[2];
		memset(v, 0, sizeof v);
		v[0].uaddr = (uintptr_t)&w0;
		v[0].flags = FUTEX_32 | FUTEX_PRIVATE_FLAG;
		v[1].uaddr = (uintptr_t)&w1;
		v[1].flags = FUTEX_32 | FUTEX_PRIVATE_FLAG;
		w0 = 3;
		errno = 0;
		show("futex_waitv, value differs", syscall(SYS_futex_waitv, v, 2, 0, NULL, CLOCK_MONOTONIC));
		w0 = 0;
		abs_deadline(CLOCK_MONOTONIC, &ts, 50);
		errno = 0;
		show("futex_waitv, absolute +50ms", syscall(SYS_futex_waitv, v, 2, 0, &ts, CLOCK_MONOTONIC));
		errno = 0;
		show("futex_waitv, flags 1", syscall(SYS_futex_waitv, v, 2, 1, NULL, CLOCK_MONOTONIC));
		pthread_t h;
		pthread_create(&h, NULL, wake_later, &w1);
		abs_deadline(CLOCK_MONOTONIC, &ts, 5000);
		errno = 0;
		show("futex_waitv, woken on the second word", syscall(SYS_futex_waitv, v, 2, 0, &ts, CLOCK_MONOTONIC));
		pthread_join(h, NULL);
	}

	/* pthread_cond_broadcast releases every one of many waiters */
	{
		pthread_t ct[32];
		for (int i = 0; i < 32; i++) pthread_create(&ct[i], NULL, cond_waiter, NULL);
		for (;;) {
			pthread_mutex_lock(&mu);
			int n = waiting;
			pthread_mutex_unlock(&mu);
			if (n == 32) break;
			sleep_ms(5);
		}
		sleep_ms(100);
		pthread_mutex_lock(&mu);
		go = 1;
		pthread_cond_broadcast(&cv);
		pthread_mutex_unlock(&mu);
		for (int i = 0; i < 32; i++) pthread_join(ct[i], NULL);
		printf("pthread_cond_broadcast: released %d of 32\n", released);
	}
	return 0;
}
