/* poll_keeps_blocking: polling a host descriptor (stdin, a pipe from the test) leaves it
 * blocking: its status flags are the guest's, and a read after poll waits rather than EAGAIN. */
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <unistd.h>
#include "common.h"

int main(void)
{
	struct pollfd p = { 0, POLLIN, 0 };
	poll(&p, 1, 10);
	printf("O_NONBLOCK after poll: %d\n", (fcntl(0, F_GETFL) & O_NONBLOCK) != 0);
	int ep = epoll_create1(0);
	struct epoll_event ev = { .events = EPOLLIN };
	epoll_ctl(ep, EPOLL_CTL_ADD, 0, &ev);
	epoll_wait(ep, &ev, 1, 10);
	printf("O_NONBLOCK after epoll: %d\n", (fcntl(0, F_GETFL) & O_NONBLOCK) != 0);
	char c;
	ssize_t n = read(0, &c, 1);
	printf("read: %zd %s\n", n, n < 0 ? errname(errno) : "");
	return 0;
}
