/* udp_multicast: IPv4 multicast over loopback. Two receivers share a port (SO_REUSEADDR, bound to
 * INADDR_ANY) and join 224.0.0.224 on 127.0.0.1; a third socket sends to the group; membership
 * options, their errors, and delivery after IP_DROP_MEMBERSHIP, with and without IP_MULTICAST_ALL.
 *
 * Natively the loopback device has no MULTICAST flag and no multicast route, yet this works as long
 * as the sender sets IP_MULTICAST_IF to 127.0.0.1: without it, the datagram follows the default
 * route out of the host's real interface and never comes back, so the sender always sets it before
 * sending anything. Note Linux's IP_MULTICAST_ALL (default 1): a socket bound to INADDR_ANY receives
 * a group's datagrams while any socket has that group joined on the interface, even if it never
 * joined itself or has dropped its membership; only with IP_MULTICAST_ALL 0 does it need its own. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common.h"

#define CHECK(label, expr) do { errno = 0; long _r = (long)(expr); \
	printf("%-52s -> %ld %s\n", label, _r, _r < 0 ? errname(errno) : ""); } while (0)

#define GROUP "224.0.0.224"

static int port, sender_port;

static struct ip_mreq mreq(const char *group)
{
	struct ip_mreq m;
	inet_pton(AF_INET, group, &m.imr_multiaddr);
	inet_pton(AF_INET, "127.0.0.1", &m.imr_interface);
	return m;
}

static int receiver(int bind_port)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0), one = 1;
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(bind_port), .sin_addr.s_addr = htonl(INADDR_ANY) };
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0) printf("bind failed: %s\n", errname(errno));
	return fd;
}

static void send_to(int s, const char *group, const char *msg)
{
	struct sockaddr_in d = { .sin_family = AF_INET, .sin_port = htons(port) };
	inet_pton(AF_INET, group, &d.sin_addr);
	errno = 0;
	long n = sendto(s, msg, strlen(msg), 0, (struct sockaddr *)&d, sizeof d);
	printf("send \"%s\" to %s -> %ld %s\n", msg, strcmp(group, GROUP) ? "our own group" : "the group", n, n < 0 ? errname(errno) : "");
}

static void send_group(int s, const char *msg) { send_to(s, GROUP, msg); }

/* Waits up to ms for a datagram; prints it and its source, or that none came. */
static void expect(const char *who, int fd, int ms)
{
	struct pollfd p = { fd, POLLIN, 0 };
	char buf[64];
	struct sockaddr_in from;
	socklen_t fl = sizeof from;
	if (poll(&p, 1, ms) <= 0) { printf("  %s: nothing within %d ms\n", who, ms); return; }
	long n = recvfrom(fd, buf, sizeof buf, MSG_DONTWAIT, (struct sockaddr *)&from, &fl);
	char addr[INET_ADDRSTRLEN];
	inet_ntop(AF_INET, &from.sin_addr, addr, sizeof addr);
	if (n < 0) printf("  %s: %s\n", who, errname(errno));
	else printf("  %s: \"%.*s\" from %s, sender's port %s\n", who, (int)n, buf, addr,
	            ntohs(from.sin_port) == sender_port ? "yes" : "no");
}

int main(void)
{
	int one = 1, zero = 0, v;
	socklen_t vl = sizeof v;
	setvbuf(stdout, NULL, _IONBF, 0);
	alarm(20);

	int a = receiver(0);
	struct sockaddr_in sa;
	socklen_t sl = sizeof sa;
	getsockname(a, (struct sockaddr *)&sa, &sl);
	port = ntohs(sa.sin_port);
	int b = receiver(port);
	int c = receiver(port); /* never joins */
	struct ip_mreq m = mreq(GROUP);
	getsockopt(a, IPPROTO_IP, IP_MULTICAST_ALL, &v, &vl);
	printf("IP_MULTICAST_ALL default %d\n", v);
	CHECK("a: IP_ADD_MEMBERSHIP", setsockopt(a, IPPROTO_IP, IP_ADD_MEMBERSHIP, &m, sizeof m));
	CHECK("b: IP_ADD_MEMBERSHIP", setsockopt(b, IPPROTO_IP, IP_ADD_MEMBERSHIP, &m, sizeof m));
	CHECK("b: IP_ADD_MEMBERSHIP again", setsockopt(b, IPPROTO_IP, IP_ADD_MEMBERSHIP, &m, sizeof m));
	CHECK("b: IP_ADD_MEMBERSHIP short optlen", setsockopt(b, IPPROTO_IP, IP_ADD_MEMBERSHIP, &m, 4));
	struct ip_mreq bad = mreq("127.0.0.1");
	CHECK("b: IP_ADD_MEMBERSHIP of a unicast address", setsockopt(b, IPPROTO_IP, IP_ADD_MEMBERSHIP, &bad, sizeof bad));
	bad = mreq("224.0.0.225");
	CHECK("b: IP_DROP_MEMBERSHIP of a group not joined", setsockopt(b, IPPROTO_IP, IP_DROP_MEMBERSHIP, &bad, sizeof bad));

	int s = socket(AF_INET, SOCK_DGRAM, 0);
	getsockopt(s, IPPROTO_IP, IP_MULTICAST_LOOP, &v, &vl);
	printf("sender IP_MULTICAST_LOOP default %d", v);
	getsockopt(s, IPPROTO_IP, IP_MULTICAST_TTL, &v, &vl);
	printf(", IP_MULTICAST_TTL default %d\n", v);
	struct in_addr ifa, got = { 0 };
	inet_pton(AF_INET, "127.0.0.1", &ifa);
	CHECK("sender: IP_MULTICAST_IF 127.0.0.1", setsockopt(s, IPPROTO_IP, IP_MULTICAST_IF, &ifa, sizeof ifa));
	CHECK("sender: IP_MULTICAST_LOOP 1", setsockopt(s, IPPROTO_IP, IP_MULTICAST_LOOP, &one, sizeof one));
	CHECK("sender: IP_MULTICAST_TTL 1", setsockopt(s, IPPROTO_IP, IP_MULTICAST_TTL, &one, sizeof one));
	sl = sizeof got;
	getsockopt(s, IPPROTO_IP, IP_MULTICAST_IF, &got, &sl);
	char addr[INET_ADDRSTRLEN];
	inet_ntop(AF_INET, &got, addr, sizeof addr);
	printf("sender IP_MULTICAST_IF reads back %s (optlen %u)\n", addr, (unsigned)sl);
	struct sockaddr_in any = { .sin_family = AF_INET };
	bind(s, (struct sockaddr *)&any, sizeof any);
	sl = sizeof sa;
	getsockname(s, (struct sockaddr *)&sa, &sl);
	sender_port = ntohs(sa.sin_port);

	send_group(s, "to both");
	expect("a (member)", a, 1000);
	expect("b (member)", b, 1000);
	expect("c (not a member, IP_MULTICAST_ALL 1)", c, 1000);

	CHECK("a: IP_DROP_MEMBERSHIP", setsockopt(a, IPPROTO_IP, IP_DROP_MEMBERSHIP, &m, sizeof m));
	CHECK("a: IP_DROP_MEMBERSHIP again", setsockopt(a, IPPROTO_IP, IP_DROP_MEMBERSHIP, &m, sizeof m));
	send_group(s, "a dropped");
	expect("b (member)", b, 1000);
	expect("a (dropped, IP_MULTICAST_ALL 1)", a, 1000);
	expect("c (not a member, IP_MULTICAST_ALL 1)", c, 1000);

	CHECK("a: IP_MULTICAST_ALL 0", setsockopt(a, IPPROTO_IP, IP_MULTICAST_ALL, &zero, sizeof zero));
	CHECK("c: IP_MULTICAST_ALL 0", setsockopt(c, IPPROTO_IP, IP_MULTICAST_ALL, &zero, sizeof zero));
	send_group(s, "b only");
	expect("b (member)", b, 1000);
	expect("a (dropped, IP_MULTICAST_ALL 0)", a, 200);
	expect("c (not a member, IP_MULTICAST_ALL 0)", c, 200);

	CHECK("a: IP_ADD_MEMBERSHIP (rejoin)", setsockopt(a, IPPROTO_IP, IP_ADD_MEMBERSHIP, &m, sizeof m));
	send_group(s, "both again");
	expect("a (member, IP_MULTICAST_ALL 0)", a, 1000);
	expect("b (member)", b, 1000);
	expect("c (not a member, IP_MULTICAST_ALL 0)", c, 200);

	/* When nobody has a group joined, nothing arrives. Membership is per interface, so another
	 * process in this network namespace may have joined GROUP; use a group of our own instead,
	 * derived from our port, which no other live socket has. */
	char own[32];
	snprintf(own, sizeof own, "239.255.%d.%d", (port >> 8) & 0xff, port & 0xff);
	struct ip_mreq m2 = mreq(own);
	CHECK("b: IP_ADD_MEMBERSHIP of a group of our own", setsockopt(b, IPPROTO_IP, IP_ADD_MEMBERSHIP, &m2, sizeof m2));
	CHECK("c: IP_MULTICAST_ALL 1", setsockopt(c, IPPROTO_IP, IP_MULTICAST_ALL, &one, sizeof one));
	send_to(s, own, "own group");
	expect("b (member)", b, 1000);
	expect("c (not a member, IP_MULTICAST_ALL 1)", c, 1000);
	expect("a (not a member, IP_MULTICAST_ALL 0)", a, 200);
	CHECK("b: IP_DROP_MEMBERSHIP of it", setsockopt(b, IPPROTO_IP, IP_DROP_MEMBERSHIP, &m2, sizeof m2));
	send_to(s, own, "nobody");
	expect("b (dropped, IP_MULTICAST_ALL 1)", b, 200);
	expect("c (not a member, IP_MULTICAST_ALL 1)", c, 200);
	close(a);

	CHECK("sender: IP_MULTICAST_LOOP 0", setsockopt(s, IPPROTO_IP, IP_MULTICAST_LOOP, &zero, sizeof zero));
	send_group(s, "no loop");
	expect("b (member, sender's loop off)", b, 200);
	CHECK("sender: IP_MULTICAST_LOOP 1", setsockopt(s, IPPROTO_IP, IP_MULTICAST_LOOP, &one, sizeof one));
	send_group(s, "one copy");
	expect("b (member)", b, 1000);
	expect("b (no second copy)", b, 200);
	close(b);
	close(c);
	close(s);
	printf("done\n");
	return 0;
}
