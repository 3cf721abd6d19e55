/* Two processes share memory through /dev/shm as Dora's shared-memory channel does: shm_open +
 * ftruncate + mmap(MAP_SHARED) in each (the child opens the segment by name, not by inheriting
 * the mapping), a process-shared pthread mutex and an atomic counter both incremented by both,
 * a ping-pong through the segment, then shm_unlink. */
#define _GNU_SOURCE
#include "common.h"
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

#define ROUNDS 20000

struct shared {
	pthread_mutex_t lock;
	long locked_count;   /* incremented under the mutex */
	long atomic_count;   /* incremented with atomics */
	int turn;            /* ping-pong: 1 parent wrote, 2 child answered, ... */
	char note[64];
};

static char name[64];

static struct shared *map(int create)
{
	int fd = shm_open(name, O_RDWR | (create ? O_CREAT | O_EXCL : 0), 0600);
	if (fd < 0) {
		printf("shm_open(%s): %s\n", create ? "create" : "existing", errname(errno));
		exit(1);
	}
	if (create && ftruncate(fd, sizeof(struct shared)) < 0) printf("ftruncate: %s\n", errname(errno));
	struct stat st;
	fstat(fd, &st);
	if (st.st_size != sizeof(struct shared)) printf("size %ld\n", (long)st.st_size);
	void *p = mmap(NULL, sizeof(struct shared), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		printf("mmap: %s\n", errname(errno));
		exit(1);
	}
	close(fd);
	return p;
}

static void wait_turn(struct shared *s, int want)
{
	long start = now_ms();
	while (__atomic_load_n(&s->turn, __ATOMIC_ACQUIRE) != want) {
		if (now_ms() - start > 10000) {
			printf("timed out waiting for turn %d\n", want);
			exit(1);
		}
		sched_yield();
	}
}

static void work(struct shared *s)
{
	for (int i = 0; i < ROUNDS; i++) {
		pthread_mutex_lock(&s->lock);
		s->locked_count++;
		pthread_mutex_unlock(&s->lock);
		__atomic_fetch_add(&s->atomic_count, 1, __ATOMIC_RELAXED);
	}
}

int main(void)
{
	snprintf(name, sizeof name, "/starry-shm-share-%d", (int)getpid());
	struct shared *s = map(1);
	pthread_mutexattr_t a;
	pthread_mutexattr_init(&a);
	pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
	pthread_mutex_init(&s->lock, &a);

	/* the segment is a file of /dev/shm */
	int listed = 0;
	DIR *d = opendir("/dev/shm");
	struct dirent *e;
	while (d && (e = readdir(d))) listed |= !strcmp(e->d_name, name + 1);
	if (d) closedir(d);
	printf("listed in /dev/shm: %s\n", listed ? "yes" : "no");
	fflush(stdout);

	pid_t c = fork();
	if (c == 0) {
		struct shared *m = map(0); /* by name: another mapping of the same pages */
		wait_turn(m, 1);
		printf("child sees: %s\n", m->note);
		fflush(stdout);
		strcpy(m->note, "pong from the child");
		__atomic_store_n(&m->turn, 2, __ATOMIC_RELEASE);
		work(m);
		_exit(0);
	}
	strcpy(s->note, "ping from the parent");
	__atomic_store_n(&s->turn, 1, __ATOMIC_RELEASE);
	wait_turn(s, 2);
	printf("parent sees: %s\n", s->note);
	fflush(stdout);
	work(s);
	int st = reap(c);
	printf("child exit %d\n", st);
	printf("locked count %ld (want %d)\n", s->locked_count, 2 * ROUNDS);
	printf("atomic count %ld (want %d)\n", s->atomic_count, 2 * ROUNDS);

	printf("shm_unlink: %s\n", shm_unlink(name) ? errname(errno) : "OK");
	printf("shm_open after unlink: %s\n", shm_open(name, O_RDWR, 0) < 0 ? errname(errno) : "OK");
	printf("shm_unlink again: %s\n", shm_unlink(name) ? errname(errno) : "OK");
	/* the mapping outlives the name */
	s->locked_count++;
	printf("still mapped: %ld\n", s->locked_count);
	return 0;
}
