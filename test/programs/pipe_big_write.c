/* pipe_big_write: one blocking write of 1 MiB into a pipe whose reader is slow returns the
 * whole count (pipe(7): a blocking write waits for room until everything is written), and the
 * reader gets every byte in order; a non-blocking write of the same returns what fitted. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
#include "common.h"

static char buf[1 << 20], in[1 << 20];

int main(void)
{
	alarm(20);
	for (size_t i = 0; i < sizeof buf; i++) buf[i] = (char)(i * 7 + i / 4096);
	int p[2];
	if (pipe(p)) return 1;
	pid_t pid = fork();
	if (pid == 0) {
		close(p[1]);
		sleep_ms(50);
		size_t got = 0;
		ssize_t n;
		while ((n = read(p[0], in + got, 4096)) > 0) got += n;
		for (size_t i = 0; i < got; i++)
			if (in[i] != buf[i]) {
				printf("reader: mismatch at %zu\n", i);
				fflush(stdout);
				_exit(1);
			}
		printf("reader got %zu bytes in order\n", got);
		fflush(stdout);
		_exit(0);
	}
	close(p[0]);
	printf("blocking write returned %zd\n", write(p[1], buf, sizeof buf));
	fflush(stdout);
	close(p[1]);
	reap(pid);
	if (pipe2(p, O_NONBLOCK)) return 1;
	printf("non-blocking write returned %zd\n", write(p[1], buf, sizeof buf));
	return 0;
}
