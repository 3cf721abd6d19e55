/* net_peer: one TCP endpoint for tests that cross the sandbox boundary (not a differential
 * program). "serve PORT": listen on 127.0.0.1:PORT, print "listening", then echo one connection
 * back upper-cased and exit. "call IP PORT": connect, send "ping\n", print the reply or the
 * connect's errno name. "udpcall IP PORT": send "ping" in a datagram, print the reply or the
 * errno of the send or of a receive that waited 2 s. */
#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include "common.h"

static int serve(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	int l = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(l, (struct sockaddr *)&a, sizeof a) || listen(l, 4)) {
		printf("serve: %s\n", errname(errno));
		return 1;
	}
	printf("listening\n");
	fflush(stdout);
	int c = accept(l, NULL, NULL);
	char buf[4096];
	ssize_t n;
	while ((n = read(c, buf, sizeof buf)) > 0) {
		for (ssize_t i = 0; i < n; i++) buf[i] = toupper((unsigned char)buf[i]);
		if (write(c, buf, n) != n) break;
	}
	close(c);
	printf("served\n");
	return 0;
}

static int call(const char *ip, int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	inet_pton(AF_INET, ip, &a.sin_addr);
	int s = socket(AF_INET, SOCK_STREAM, 0);
	if (connect(s, (struct sockaddr *)&a, sizeof a)) {
		printf("connect: %s\n", errname(errno));
		return 0;
	}
	if (write(s, "ping\n", 5) != 5) return 1;
	shutdown(s, SHUT_WR);
	char buf[256];
	ssize_t n, total = 0;
	while ((n = read(s, buf + total, sizeof buf - 1 - total)) > 0) total += n;
	buf[total] = 0;
	printf("reply: %s", buf);
	return 0;
}

static int udpcall(const char *ip, int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	inet_pton(AF_INET, ip, &a.sin_addr);
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	struct timeval tv = { 2, 0 };
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	if (sendto(s, "ping", 4, 0, (struct sockaddr *)&a, sizeof a) != 4) {
		printf("sendto: %s\n", errname(errno));
		return 0;
	}
	char buf[256];
	ssize_t n = recv(s, buf, sizeof buf - 1, 0);
	if (n < 0) {
		printf("recv: %s\n", errname(errno));
		return 0;
	}
	buf[n] = 0;
	printf("reply: %s\n", buf);
	return 0;
}

int main(int argc, char **argv)
{
	alarm(20);
	if (argc == 3 && !strcmp(argv[1], "serve")) return serve(atoi(argv[2]));
	if (argc == 4 && !strcmp(argv[1], "call")) return call(argv[2], atoi(argv[3]));
	if (argc == 4 && !strcmp(argv[1], "udpcall")) return udpcall(argv[2], atoi(argv[3]));
	fprintf(stderr, "usage: net_peer serve PORT | call IP PORT\n");
	return 2;
}
