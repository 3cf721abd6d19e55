/* exec_race: time-of-check/time-of-use on execve. In each of many children, a second thread
 * flips the path buffer between a program of the view (argv[1]) and a host program outside it
 * (argv[2]) while the first thread execs it. The outside program prints ESCAPED if it runs.
 * Prints how many children ran each program. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char path[4096];
static const char *inside, *outside;

static void *flip(void *arg)
{
	(void)arg;
	for (;;) {
		strcpy(path, outside);
		strcpy(path, inside);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc < 4) return 2;
	inside = argv[1];
	outside = argv[2];
	int rounds = atoi(argv[3]);
	for (int i = 0; i < rounds; i++) {
		pid_t p = fork();
		if (p == 0) {
			strcpy(path, inside);
			pthread_t t;
			pthread_create(&t, NULL, flip, NULL);
			char *args[] = { path, NULL };
			for (int j = 0; j < 50; j++) execv(path, args);
			_exit(3);
		}
		int st;
		waitpid(p, &st, 0);
	}
	printf("done\n");
	return 0;
}
