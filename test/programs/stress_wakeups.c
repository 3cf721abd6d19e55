/* stress_wakeups: no wake-up is lost under load. Sixteen threads each take a mutex and signal a
 * condition variable ten thousand times (futexes); eight pairs of threads ping-pong two thousand
 * times through eventfds and eight more pairs through pipes (blocking reads the kernel parks).
 * Then sixteen threads pass a token round a ring ten thousand times each, every pass a mutex
 * lock/unlock and a condvar signal to the one thread whose turn it is: a lost wake-up stops the
 * ring (the watchdog ends it). Every count must come out exact. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include "common.h"

#define THREADS 16
#define ROUNDS 10000
#define PAIRS 8
#define PINGS 2000

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static long counter;

static void *bump(void *arg)
{
	for (int i = 0; i < ROUNDS; i++) {
		pthread_mutex_lock(&mu);
		counter++;
		pthread_cond_broadcast(&cv);
		pthread_mutex_unlock(&mu);
	}
	return arg;
}

struct pair {
	int a[2], b[2]; /* a: ping direction, b: pong direction (eventfd: [0] only) */
	int pipe;
	long got;
};

static void *pinger(void *arg)
{
	struct pair *p = arg;
	uint64_t v = 1;
	char c = 'x';
	for (int i = 0; i < PINGS; i++) {
		if (p->pipe) {
			if (write(p->a[1], &c, 1) != 1 || read(p->b[0], &c, 1) != 1) break;
		} else {
			if (write(p->a[0], &v, 8) != 8 || read(p->b[0], &v, 8) != 8) break;
		}
		p->got++;
	}
	return NULL;
}

static void *ponger(void *arg)
{
	struct pair *p = arg;
	uint64_t v;
	char c;
	for (int i = 0; i < PINGS; i++) {
		if (p->pipe) {
			if (read(p->a[0], &c, 1) != 1 || write(p->b[1], &c, 1) != 1) break;
		} else {
			if (read(p->a[0], &v, 8) != 8 || write(p->b[0], &v, 8) != 8) break;
		}
	}
	return NULL;
}

/* the token ring: thread i waits on its own condvar for turn == i */
static pthread_mutex_t ring_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ring_cv[THREADS];
static int turn;
static long passes, out_of_turn;

static void *ring(void *arg)
{
	int me = (int)(long)arg;
	for (int i = 0; i < ROUNDS; i++) {
		pthread_mutex_lock(&ring_mu);
		while (turn != me) pthread_cond_wait(&ring_cv[me], &ring_mu);
		if (passes % THREADS != me) out_of_turn++;
		passes++;
		turn = (me + 1) % THREADS;
		pthread_cond_signal(&ring_cv[turn]);
		pthread_mutex_unlock(&ring_mu);
	}
	return NULL;
}

int main(void)
{
	alarm(120);
	pthread_t t[THREADS + 4 * PAIRS];
	for (int i = 0; i < THREADS; i++) pthread_create(&t[i], NULL, bump, NULL);
	static struct pair pairs[2 * PAIRS];
	for (int i = 0; i < 2 * PAIRS; i++) {
		struct pair *p = &pairs[i];
		p->pipe = i >= PAIRS;
		if (p->pipe) {
			if (pipe(p->a) || pipe(p->b)) return 1;
		} else {
			p->a[0] = eventfd(0, 0);
			p->b[0] = eventfd(0, 0);
		}
		pthread_create(&t[THREADS + 2 * i], NULL, pinger, p);
		pthread_create(&t[THREADS + 2 * i + 1], NULL, ponger, p);
	}
	for (int i = 0; i < THREADS + 4 * PAIRS; i++) pthread_join(t[i], NULL);
	printf("condvar counter: %ld of %d\n", counter, THREADS * ROUNDS);
	long ev = 0, pp = 0;
	for (int i = 0; i < PAIRS; i++) ev += pairs[i].got, pp += pairs[PAIRS + i].got;
	printf("eventfd ping-pongs: %ld of %d\n", ev, PAIRS * PINGS);
	printf("pipe ping-pongs: %ld of %d\n", pp, PAIRS * PINGS);

	for (int i = 0; i < THREADS; i++) pthread_cond_init(&ring_cv[i], NULL);
	for (int i = 0; i < THREADS; i++) pthread_create(&t[i], NULL, ring, (void *)(long)i);
	for (int i = 0; i < THREADS; i++) pthread_join(t[i], NULL);
	printf("token ring passes: %ld of %d, out of turn %ld\n", passes, THREADS * ROUNDS, out_of_turn);
	return 0;
}
