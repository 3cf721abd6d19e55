/* pi_mutex: priority-inheritance mutexes (FUTEX_LOCK_PI / UNLOCK_PI / TRYLOCK_PI), contended by
 * four threads, count exactly; trylock on a held PI mutex gives EBUSY. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include "common.h"

static pthread_mutex_t mu;
static long counter;

static void *work(void *arg)
{
	for (int i = 0; i < 20000; i++) {
		pthread_mutex_lock(&mu);
		counter++;
		pthread_mutex_unlock(&mu);
	}
	return arg;
}

static void *try_held(void *arg)
{
	int r = pthread_mutex_trylock(&mu);
	printf("trylock while held: %s\n", r == 0 ? "OK" : errname(r));
	return arg;
}

int main(void)
{
	pthread_mutexattr_t a;
	pthread_mutexattr_init(&a);
	pthread_mutexattr_setprotocol(&a, PTHREAD_PRIO_INHERIT);
	pthread_mutex_init(&mu, &a);
	pthread_t t[4];
	for (int i = 0; i < 4; i++) pthread_create(&t[i], NULL, work, NULL);
	for (int i = 0; i < 4; i++) pthread_join(t[i], NULL);
	printf("counter: %ld\n", counter);
	pthread_mutex_lock(&mu);
	pthread_create(&t[0], NULL, try_held, NULL);
	pthread_join(t[0], NULL);
	pthread_mutex_unlock(&mu);
	return 0;
}
