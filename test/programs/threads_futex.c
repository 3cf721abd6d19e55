/* threads_futex: pthread create/join, mutex+condvar contention, condvar ping-pong, process-shared
 * semaphores and process-shared mutex+condvar in MAP_SHARED memory across fork. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

/* ---- 64 threads adding to an atomic counter ---- */
static atomic_long acounter;

static void *adder(void *arg)
{
	long id = (long)arg;
	for (int i = 0; i < 1000; i++) atomic_fetch_add(&acounter, 1);
	return (void *)(id * 3);
}

/* ---- mutex + condvar contention ---- */
enum { NWORKERS = 8, ROUNDS = 2000 };
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static long shared_total;   /* protected by mu */
static long plain_counter;  /* protected by mu, non-atomic read-modify-write */

static void *worker(void *arg)
{
	(void)arg;
	for (int i = 0; i < ROUNDS; i++) {
		pthread_mutex_lock(&mu);
		long v = plain_counter;
		if ((i & 63) == 0) sched_yield(); /* widen the window: a broken mutex loses updates */
		plain_counter = v + 1;
		shared_total++;
		pthread_cond_signal(&cv);
		pthread_mutex_unlock(&mu);
	}
	return NULL;
}

/* ---- condvar ping-pong between two threads ---- */
static pthread_mutex_t pmu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pcv = PTHREAD_COND_INITIALIZER;
static int turn;       /* 0: ping's turn, 1: pong's turn */
static int exchanges;

static void *ponger(void *arg)
{
	int rounds = (int)(long)arg;
	for (int i = 0; i < rounds; i++) {
		pthread_mutex_lock(&pmu);
		while (turn != 1) pthread_cond_wait(&pcv, &pmu);
		turn = 0;
		exchanges++;
		pthread_cond_signal(&pcv);
		pthread_mutex_unlock(&pmu);
	}
	return NULL;
}

/* ---- process-shared state ---- */
struct shm {
	sem_t to_child, to_parent;
	long sem_count;
	long sem_bad;
	pthread_mutex_t m;
	pthread_cond_t c;
	int pturn;
	long pshared_count;
	long pshared_bad;
};

int main(void)
{
	int fails = 0;
	setvbuf(stdout, NULL, _IONBF, 0);
	alarm(60); /* watchdog: a hang becomes a SIGALRM death */

	/* 64 threads, joined; return values round-trip */
	{
		pthread_t t[64];
		int created = 0;
		for (long i = 0; i < 64; i++) {
			int e = pthread_create(&t[i], NULL, adder, (void *)i);
			if (e) { printf("pthread_create #%ld: %s\n", i, errname(e)); break; }
			created++;
		}
		long retsum = 0;
		int joined = 0;
		for (int i = 0; i < created; i++) {
			void *ret;
			int e = pthread_join(t[i], &ret);
			if (e == 0) { joined++; retsum += (long)ret; }
			else printf("pthread_join #%d: %s\n", i, errname(e));
		}
		printf("64 threads: created %d, joined %d, counter %ld (expect 64000), return sum %ld (expect %d)\n",
		       created, joined, (long)atomic_load(&acounter), retsum, 3 * (63 * 64 / 2));
		if (atomic_load(&acounter) != 64000 || retsum != 3 * (63 * 64 / 2)) fails++;
		/* joining an already-joined thread is undefined; joining self is EDEADLK */
		printf("pthread_join(self): %s\n", errname(pthread_join(pthread_self(), NULL)));
	}

	/* 8 threads x 2000 mutex lock/unlock + condvar signal; main waits for the total */
	{
		pthread_t t[NWORKERS];
		for (int i = 0; i < NWORKERS; i++)
			if (pthread_create(&t[i], NULL, worker, NULL)) { printf("pthread_create failed\n"); return 1; }
		long wakeups = 0;
		pthread_mutex_lock(&mu);
		while (shared_total < (long)NWORKERS * ROUNDS) {
			pthread_cond_wait(&cv, &mu);
			wakeups++;
		}
		pthread_mutex_unlock(&mu);
		for (int i = 0; i < NWORKERS; i++) pthread_join(t[i], NULL);
		(void)wakeups;
		printf("mutex/condvar: total %ld (expect %d), read-modify-write counter %ld\n",
		       shared_total, NWORKERS * ROUNDS, plain_counter);
		if (shared_total != NWORKERS * ROUNDS || plain_counter != NWORKERS * ROUNDS) fails++;

		/* trylock / errorcheck basics */
		pthread_mutex_t em;
		pthread_mutexattr_t a;
		pthread_mutexattr_init(&a);
		pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ERRORCHECK);
		pthread_mutex_init(&em, &a);
		printf("errorcheck: lock %s", errname(pthread_mutex_lock(&em)));
		printf(", relock %s", errname(pthread_mutex_lock(&em)));
		printf(", trylock %s", errname(pthread_mutex_trylock(&em)));
		printf(", unlock %s", errname(pthread_mutex_unlock(&em)));
		printf(", unlock again %s\n", errname(pthread_mutex_unlock(&em)));
		pthread_mutex_destroy(&em);
		pthread_mutexattr_destroy(&a);
	}

	/* condvar ping-pong between two threads, 2000 round trips */
	{
		const int rounds = 2000;
		pthread_t t;
		pthread_create(&t, NULL, ponger, (void *)(long)rounds);
		for (int i = 0; i < rounds; i++) {
			pthread_mutex_lock(&pmu);
			while (turn != 0) pthread_cond_wait(&pcv, &pmu);
			turn = 1;
			exchanges++;
			pthread_cond_signal(&pcv);
			pthread_mutex_unlock(&pmu);
		}
		pthread_mutex_lock(&pmu);
		while (turn != 0) pthread_cond_wait(&pcv, &pmu);
		pthread_mutex_unlock(&pmu);
		pthread_join(t, NULL);
		printf("condvar ping-pong: %d exchanges (expect %d)\n", exchanges, 2 * rounds);
		if (exchanges != 2 * rounds) fails++;
	}

	/* a timed wait that times out */
	{
		pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
		pthread_cond_t c = PTHREAD_COND_INITIALIZER;
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 50 * 1000000L;
		if (ts.tv_nsec >= 1000000000L) { ts.tv_sec++; ts.tv_nsec -= 1000000000L; }
		pthread_mutex_lock(&m);
		int e;
		do e = pthread_cond_timedwait(&c, &m, &ts); while (e == 0);
		pthread_mutex_unlock(&m);
		printf("pthread_cond_timedwait 50ms, no signal: %s\n", errname(e));
		sem_t s;
		sem_init(&s, 0, 0);
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 50 * 1000000L;
		if (ts.tv_nsec >= 1000000000L) { ts.tv_sec++; ts.tv_nsec -= 1000000000L; }
		errno = 0;
		int r = sem_timedwait(&s, &ts);
		printf("sem_timedwait 50ms on 0: %d %s\n", r, r < 0 ? errname(errno) : "");
		errno = 0;
		r = sem_trywait(&s);
		printf("sem_trywait on 0: %d %s\n", r, r < 0 ? errname(errno) : "");
		sem_post(&s);
		int v = -1;
		sem_getvalue(&s, &v);
		printf("after sem_post: value %d", v);
		printf(", trywait %d\n", sem_trywait(&s));
		sem_destroy(&s);
	}

	struct shm *sh = mmap(NULL, sizeof(struct shm), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED) { printf("mmap: %s\n", errname(errno)); return 1; }
	memset(sh, 0, sizeof *sh);

	/* sem_t ping-pong between processes, 1000 rounds */
	{
		const int rounds = 1000;
		if (sem_init(&sh->to_child, 1, 0) || sem_init(&sh->to_parent, 1, 0)) {
			printf("sem_init pshared: %s\n", errname(errno));
			return 1;
		}
		pid_t c = fork();
		if (c == 0) {
			for (int i = 0; i < rounds; i++) {
				while (sem_wait(&sh->to_child) < 0 && errno == EINTR) {}
				if (sh->sem_count != 2 * i + 1) sh->sem_bad++;
				sh->sem_count++;
				sem_post(&sh->to_parent);
			}
			_exit(0);
		}
		for (int i = 0; i < rounds; i++) {
			if (sh->sem_count != 2 * i) sh->sem_bad++;
			sh->sem_count++;
			sem_post(&sh->to_child);
			while (sem_wait(&sh->to_parent) < 0 && errno == EINTR) {}
		}
		int st;
		waitpid(c, &st, 0);
		printf("process sem ping-pong: count %ld (expect %d), out-of-turn %ld, child status %d\n", sh->sem_count,
		       2 * rounds, sh->sem_bad, WIFEXITED(st) ? WEXITSTATUS(st) : -1);
		if (sh->sem_count != 2 * rounds || sh->sem_bad) fails++;
		sem_destroy(&sh->to_child);
		sem_destroy(&sh->to_parent);
	}

	/* process-shared mutex + condvar, 500 round trips */
	{
		const int rounds = 500;
		pthread_mutexattr_t ma;
		pthread_condattr_t ca;
		pthread_mutexattr_init(&ma);
		pthread_condattr_init(&ca);
		int e1 = pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
		int e2 = pthread_condattr_setpshared(&ca, PTHREAD_PROCESS_SHARED);
		int e3 = pthread_mutex_init(&sh->m, &ma);
		int e4 = pthread_cond_init(&sh->c, &ca);
		printf("pshared init: %s %s %s %s\n", errname(e1), errname(e2), errname(e3), errname(e4));
		sh->pturn = 0;
		pid_t c = fork();
		if (c == 0) {
			for (int i = 0; i < rounds; i++) {
				pthread_mutex_lock(&sh->m);
				while (sh->pturn != 1) pthread_cond_wait(&sh->c, &sh->m);
				if (sh->pshared_count != 2 * i + 1) sh->pshared_bad++;
				sh->pshared_count++;
				sh->pturn = 0;
				pthread_cond_signal(&sh->c);
				pthread_mutex_unlock(&sh->m);
			}
			_exit(0);
		}
		for (int i = 0; i < rounds; i++) {
			pthread_mutex_lock(&sh->m);
			while (sh->pturn != 0) pthread_cond_wait(&sh->c, &sh->m);
			if (sh->pshared_count != 2 * i) sh->pshared_bad++;
			sh->pshared_count++;
			sh->pturn = 1;
			pthread_cond_signal(&sh->c);
			pthread_mutex_unlock(&sh->m);
		}
		pthread_mutex_lock(&sh->m);
		while (sh->pturn != 0) pthread_cond_wait(&sh->c, &sh->m);
		pthread_mutex_unlock(&sh->m);
		int st;
		waitpid(c, &st, 0);
		printf("pshared mutex/condvar: count %ld (expect %d), out-of-turn %ld, child status %d\n",
		       sh->pshared_count, 2 * rounds, sh->pshared_bad, WIFEXITED(st) ? WEXITSTATUS(st) : -1);
		if (sh->pshared_count != 2 * rounds || sh->pshared_bad) fails++;

		/* contention: parent and child each add 5000 under the shared mutex */
		sh->pshared_count = 0;
		c = fork();
		if (c == 0) {
			for (int i = 0; i < 5000; i++) {
				pthread_mutex_lock(&sh->m);
				long v = sh->pshared_count;
				if ((i & 255) == 0) sched_yield();
				sh->pshared_count = v + 1;
				pthread_mutex_unlock(&sh->m);
			}
			_exit(0);
		}
		for (int i = 0; i < 5000; i++) {
			pthread_mutex_lock(&sh->m);
			long v = sh->pshared_count;
			if ((i & 255) == 0) sched_yield();
			sh->pshared_count = v + 1;
			pthread_mutex_unlock(&sh->m);
		}
		waitpid(c, &st, 0);
		printf("pshared mutex contention: count %ld (expect 10000), child status %d\n", sh->pshared_count,
		       WIFEXITED(st) ? WEXITSTATUS(st) : -1);
		if (sh->pshared_count != 10000) fails++;
		pthread_mutex_destroy(&sh->m);
		pthread_cond_destroy(&sh->c);
		pthread_mutexattr_destroy(&ma);
		pthread_condattr_destroy(&ca);
	}

	munmap(sh, sizeof *sh);
	printf("internal failures: %d\n", fails);
	return fails ? 1 : 0;
}
