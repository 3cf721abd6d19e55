/* futex_shared: process-shared futexes between two processes. A PTHREAD_PROCESS_SHARED mutex and
 * condvar and two pshared semaphores live in a /dev/shm segment (shm_open + mmap MAP_SHARED, the
 * child mapping it by name); then the same semaphores in MAP_SHARED|MAP_ANONYMOUS memory inherited
 * across fork. Each does a strict ping-pong, 10000 rounds for the semaphores; the counts and the
 * out-of-turn tallies must come out exact. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common.h"

#define COND_ROUNDS 2000
#define SEM_ROUNDS 10000

struct shared {
	pthread_mutex_t m;
	pthread_cond_t c;
	int turn;
	long count, bad;
	sem_t to_child, to_parent;
	long sem_count, sem_bad;
};

static char name[64];

static struct shared *map_by_name(int create)
{
	int fd = shm_open(name, O_RDWR | (create ? O_CREAT | O_EXCL : 0), 0600);
	if (fd < 0 || (create && ftruncate(fd, sizeof(struct shared)) < 0)) {
		printf("shm_open/ftruncate: %s\n", errname(errno));
		exit(1);
	}
	struct shared *s = mmap(NULL, sizeof(struct shared), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (s == MAP_FAILED) {
		printf("mmap: %s\n", errname(errno));
		exit(1);
	}
	return s;
}

/* side 0 (parent) acts on even counts, side 1 (child) on odd ones */
static void cond_side(struct shared *s, int side)
{
	for (int i = 0; i < COND_ROUNDS; i++) {
		pthread_mutex_lock(&s->m);
		while (s->turn != side) pthread_cond_wait(&s->c, &s->m);
		if (s->count != 2 * i + side) s->bad++;
		s->count++;
		s->turn = !side;
		pthread_cond_signal(&s->c);
		pthread_mutex_unlock(&s->m);
	}
}

static void sem_side(struct shared *s, int side)
{
	for (int i = 0; i < SEM_ROUNDS; i++) {
		if (side == 1)
			while (sem_wait(&s->to_child) < 0 && errno == EINTR) {}
		if (s->sem_count != 2 * i + side) s->sem_bad++;
		s->sem_count++;
		if (side == 0) {
			sem_post(&s->to_child);
			while (sem_wait(&s->to_parent) < 0 && errno == EINTR) {}
		} else {
			sem_post(&s->to_parent);
		}
	}
}

static void init_sems(struct shared *s)
{
	s->sem_count = s->sem_bad = 0;
	if (sem_init(&s->to_child, 1, 0) || sem_init(&s->to_parent, 1, 0)) {
		printf("sem_init: %s\n", errname(errno));
		exit(1);
	}
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	alarm(120);
	snprintf(name, sizeof name, "/starry-futex-shared-%d", (int)getpid());
	struct shared *s = map_by_name(1);
	pthread_mutexattr_t ma;
	pthread_condattr_t ca;
	pthread_mutexattr_init(&ma);
	pthread_condattr_init(&ca);
	pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
	pthread_condattr_setpshared(&ca, PTHREAD_PROCESS_SHARED);
	pthread_mutex_init(&s->m, &ma);
	pthread_cond_init(&s->c, &ca);
	init_sems(s);

	pid_t c = fork();
	if (c == 0) {
		struct shared *m = map_by_name(0); /* a second mapping of the segment, by name */
		cond_side(m, 1);
		sem_side(m, 1);
		_exit(0);
	}
	cond_side(s, 0);
	pthread_mutex_lock(&s->m);
	while (s->turn != 0) pthread_cond_wait(&s->c, &s->m);
	pthread_mutex_unlock(&s->m);
	sem_side(s, 0);
	int st = reap(c);
	printf("shm_open: mutex/condvar ping-pong count %ld (want %d), out of turn %ld\n", s->count, 2 * COND_ROUNDS, s->bad);
	printf("shm_open: semaphore ping-pong count %ld (want %d), out of turn %ld\n", s->sem_count, 2 * SEM_ROUNDS,
	       s->sem_bad);
	printf("shm_open: child status %d\n", st);
	shm_unlink(name);
	munmap(s, sizeof *s);

	struct shared *a = mmap(NULL, sizeof(struct shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (a == MAP_FAILED) return 1;
	init_sems(a);
	c = fork();
	if (c == 0) {
		sem_side(a, 1);
		_exit(0);
	}
	sem_side(a, 0);
	st = reap(c);
	printf("anonymous: semaphore ping-pong count %ld (want %d), out of turn %ld\n", a->sem_count, 2 * SEM_ROUNDS,
	       a->sem_bad);
	printf("anonymous: child status %d\n", st);
	return 0;
}
