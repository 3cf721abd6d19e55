/* fork_bomb: forks children that each sleep, until fork fails; prints how many it made and the
 * errno that stopped it, then kills them all. Under --pids-max N it must stop near N. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void)
{
	alarm(60);
	int made = 0, err = 0;
	for (; made < 100000; made++) {
		pid_t p = fork();
		if (p == 0) {
			pause();
			_exit(0);
		}
		if (p < 0) {
			err = errno;
			break;
		}
	}
	printf("forked %d, then %s\n", made, err ? strerror(err) : "no error");
	fflush(stdout);
	signal(SIGTERM, SIG_IGN);
	kill(0, SIGTERM);
	while (wait(NULL) > 0) {}
	return 0;
}
