/* udp: loopback UDP over IPv4 and IPv6: binding, sendto/recvfrom source addresses, datagram
 * boundaries, truncation, empty datagrams, FIONREAD, connected sockets (filtering, AF_UNSPEC
 * disconnect, ECONNREFUSED from a closed port), sendmmsg/recvmmsg, size limits, SO_BROADCAST,
 * SO_REUSEADDR, and a dual-stack socket receiving from IPv4. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common.h"

#define CHECK(label, expr) do { errno = 0; long _r = (long)(expr); \
	printf("%-52s -> %ld %s\n", label, _r, _r < 0 ? errname(errno) : ""); } while (0)

typedef struct sockaddr_storage ss_t;
static int port_lo = 32768, port_hi = 60999;

static socklen_t sslen(const ss_t *ss) { return ss->ss_family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6); }

static int portof(const ss_t *ss)
{
	return ntohs(ss->ss_family == AF_INET ? ((struct sockaddr_in *)ss)->sin_port : ((struct sockaddr_in6 *)ss)->sin6_port);
}

static const char *ntop(const ss_t *ss)
{
	static char bufs[8][INET6_ADDRSTRLEN + 8];
	static int next;
	char *b = bufs[next++ % 8];
	if (ss->ss_family == AF_INET) inet_ntop(AF_INET, &((struct sockaddr_in *)ss)->sin_addr, b, sizeof bufs[0]);
	else if (ss->ss_family == AF_INET6) inet_ntop(AF_INET6, &((struct sockaddr_in6 *)ss)->sin6_addr, b, sizeof bufs[0]);
	else snprintf(b, sizeof bufs[0], "family %d", ss->ss_family);
	return b;
}

static const char *range(int port)
{
	if (port == 0) return "zero";
	return port >= port_lo && port <= port_hi ? "in local range" : "nonzero, outside local range";
}

static ss_t sockname(int fd) { ss_t ss; socklen_t l = sizeof ss; memset(&ss, 0, sizeof ss); getsockname(fd, (struct sockaddr *)&ss, &l); return ss; }
static int localport(int fd) { ss_t ss = sockname(fd); return portof(&ss); }

static const char *revents(short ev)
{
	static char b[64];
	b[0] = 0;
	if (ev & POLLIN) strcat(b, "|IN");
	if (ev & POLLOUT) strcat(b, "|OUT");
	if (ev & POLLERR) strcat(b, "|ERR");
	if (ev & POLLHUP) strcat(b, "|HUP");
	if (ev & POLLNVAL) strcat(b, "|NVAL");
	return b[0] ? b + 1 : "0";
}

static short poll1(int fd, short events, int ms)
{
	struct pollfd p = { fd, events, 0 };
	return poll(&p, 1, ms) < 0 ? -1 : p.revents;
}

/* Before looking at a queue of several datagrams: wait for the first, then give any still in flight
 * (Linux may defer loopback delivery to ksoftirqd under load) time to land. */
static void settle(int fd) { poll1(fd, POLLIN, 1000); sleep_ms(10); }

/* A UDP socket bound to ip, port (0: kernel's choice), SO_REUSEADDR when asked. */
static int udp(int af, const char *ip, int port, int reuse)
{
	ss_t ss;
	socklen_t len = inet_name(&ss, af, ip, port);
	int fd = socket(af, SOCK_DGRAM, 0), one = 1;
	if (reuse) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (ip && bind(fd, (struct sockaddr *)&ss, len) < 0) { int e = errno; close(fd); errno = e; return -1; }
	return fd;
}

/* recvfrom; prints the length, the text (if printable) and the source: address and whether its
 * port is the one expected. */
static void show_recv(const char *label, int fd, int flags, size_t bufsize, int from_port)
{
	char buf[2048];
	ss_t from;
	memset(&from, 0, sizeof from);
	socklen_t fl = sizeof from;
	poll1(fd, POLLIN, 1000); /* a lost datagram shows as EAGAIN rather than a hang */
	errno = 0;
	long n = recvfrom(fd, buf, bufsize, flags | MSG_DONTWAIT, (struct sockaddr *)&from, &fl);
	if (n < 0) { printf("%-52s -> -1 %s\n", label, errname(errno)); return; }
	int shown = n < (long)bufsize ? (int)n : (int)bufsize;
	printf("%-52s -> %ld \"%.*s\" from %s, port %s, addrlen %s\n", label, n, shown > 16 ? 16 : shown, buf, ntop(&from),
	       portof(&from) == from_port ? "matches" : "differs", fl == sslen(&from) ? "ok" : "bad");
}

static void run_family(int af)
{
	const char *lo = af == AF_INET ? "127.0.0.1" : "::1";
	ss_t ss, sa, ca;
	socklen_t len;
	char buf[2048];
	int one = 1, v;
	printf("===== %s =====\n", af == AF_INET ? "IPv4" : "IPv6");

	int srv = udp(af, lo, 0, 0);
	sa = sockname(srv);
	int sport = portof(&sa);
	printf("server bound to %s, port %s\n", ntop(&sa), range(sport));
	int cli = socket(af, SOCK_DGRAM, 0);
	ca = sockname(cli);
	printf("unbound client: %s, port %s\n", ntop(&ca), range(portof(&ca)));
	CHECK("send without address, unconnected", send(cli, "x", 1, 0));
	CHECK("sendto server", sendto(cli, "ping", 4, 0, (struct sockaddr *)&sa, sslen(&sa)));
	ca = sockname(cli);
	int cport = portof(&ca);
	printf("client after sendto: %s, port %s\n", ntop(&ca), range(cport));
	show_recv("recvfrom at server", srv, 0, sizeof buf, cport);
	inet_name(&ca, af, lo, cport);
	CHECK("sendto client", sendto(srv, "pong", 4, 0, (struct sockaddr *)&ca, sslen(&ca)));
	show_recv("recvfrom at client", cli, 0, sizeof buf, sport);
	CHECK("recv MSG_DONTWAIT, empty", recv(cli, buf, sizeof buf, MSG_DONTWAIT));

	/* boundaries, truncation, empty datagrams */
	{
		static const int sizes[3] = { 100, 1, 1000 };
		for (int i = 0; i < 3; i++) {
			memset(buf, 'a' + i, sizes[i]);
			sendto(cli, buf, sizes[i], 0, (struct sockaddr *)&sa, sslen(&sa));
		}
		for (int i = 0; i < 3; i++) {
			memset(buf, 0, sizeof buf);
			long n = recv(srv, buf, sizeof buf, 0), ok = 1;
			for (long k = 0; k < n; k++) ok &= buf[k] == 'a' + i;
			printf("datagram %d: %ld bytes (sent %d), content %s\n", i, n, sizes[i], ok ? "ok" : "bad");
		}
	}
	memset(buf, 'T', 100);
	sendto(cli, buf, 100, 0, (struct sockaddr *)&sa, sslen(&sa));
	sendto(cli, "next", 4, 0, (struct sockaddr *)&sa, sslen(&sa));
	CHECK("recv 100-byte datagram into 10 bytes", recv(srv, buf, 10, 0));
	show_recv("  next recv (rest was discarded)", srv, 0, sizeof buf, cport);
	memset(buf, 'T', 100);
	sendto(cli, buf, 100, 0, (struct sockaddr *)&sa, sslen(&sa));
	{
		struct iovec iov = { buf, 10 };
		struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
		CHECK("recvmsg 100-byte datagram into 10 bytes", recvmsg(srv, &m, 0));
		printf("  msg_flags MSG_TRUNC %s\n", m.msg_flags & MSG_TRUNC ? "set" : "clear");
	}
	sendto(cli, buf, 100, 0, (struct sockaddr *)&sa, sslen(&sa));
	CHECK("recv MSG_PEEK|MSG_TRUNC, no buffer", recv(srv, NULL, 0, MSG_PEEK | MSG_TRUNC));
	CHECK("recv MSG_TRUNC into 10 bytes", recv(srv, buf, 10, MSG_TRUNC));
	CHECK("sendto 0 bytes", sendto(cli, "", 0, 0, (struct sockaddr *)&sa, sslen(&sa)));
	printf("poll IN after empty datagram: %s\n", revents(poll1(srv, POLLIN, 1000)));
	CHECK("FIONREAD", ioctl(srv, FIONREAD, &v));
	printf("  FIONREAD value %d\n", v);
	show_recv("recvfrom empty datagram", srv, 0, sizeof buf, cport);
	CHECK("recv MSG_DONTWAIT after it", recv(srv, buf, sizeof buf, MSG_DONTWAIT));
	sendto(cli, buf, 50, 0, (struct sockaddr *)&sa, sslen(&sa));
	sendto(cli, buf, 70, 0, (struct sockaddr *)&sa, sslen(&sa));
	settle(srv);
	ioctl(srv, FIONREAD, &v);
	printf("FIONREAD with 50 then 70 queued: %d\n", v);
	recv(srv, buf, sizeof buf, 0);
	ioctl(srv, FIONREAD, &v);
	printf("FIONREAD after one recv: %d\n", v);
	CHECK("recv MSG_PEEK", recv(srv, buf, sizeof buf, MSG_PEEK));
	CHECK("recv", recv(srv, buf, sizeof buf, 0));
	ioctl(srv, FIONREAD, &v);
	printf("FIONREAD empty: %d\n", v);

	/* size limits */
	{
		int max = af == AF_INET ? 65507 : 65527;
		char *big = calloc(1, max + 1);
		CHECK("sendto largest payload (v4 65507, v6 65527)", sendto(cli, big, max, 0, (struct sockaddr *)&sa, sslen(&sa)));
		CHECK("sendto one byte more", sendto(cli, big, max + 1, 0, (struct sockaddr *)&sa, sslen(&sa)));
		CHECK("recv the largest", recv(srv, big, max + 1, 0));
		free(big);
	}

	/* connected sockets */
	int b = udp(af, lo, 0, 0), bport = localport(b);
	int other = udp(af, lo, 0, 0), oport = localport(other);
	ss_t ba, oa, peer;
	inet_name(&ba, af, lo, bport);
	inet_name(&oa, af, lo, oport);
	CHECK("connect bound socket to server", connect(b, (struct sockaddr *)&sa, sslen(&sa)));
	len = sizeof peer;
	CHECK("getpeername", getpeername(b, (struct sockaddr *)&peer, &len));
	printf("  peer %s, port %s\n", ntop(&peer), portof(&peer) == sport ? "matches" : "differs");
	CHECK("send without address", send(b, "conn", 4, 0));
	show_recv("  server receives", srv, 0, sizeof buf, bport);
	CHECK("sendto from another socket (filtered)", sendto(other, "intruder", 8, 0, (struct sockaddr *)&ba, sslen(&ba)));
	CHECK("sendto from the peer", sendto(srv, "peer", 4, 0, (struct sockaddr *)&ba, sslen(&ba)));
	show_recv("recv on connected socket", b, 0, sizeof buf, sport);
	CHECK("recv MSG_DONTWAIT again", recv(b, buf, sizeof buf, MSG_DONTWAIT));
	CHECK("sendto another address while connected", sendto(b, "aside", 5, 0, (struct sockaddr *)&oa, sslen(&oa)));
	show_recv("  that address receives", other, 0, sizeof buf, bport);
	ss_t unspec;
	memset(&unspec, 0, sizeof unspec);
	unspec.ss_family = AF_UNSPEC;
	CHECK("connect AF_UNSPEC", connect(b, (struct sockaddr *)&unspec, sizeof(struct sockaddr)));
	CHECK("getpeername after disconnect", getpeername(b, (struct sockaddr *)&peer, &len));
	ss_t bn = sockname(b);
	printf("  socket bound to port 0 now %s, port %s\n", ntop(&bn), portof(&bn) == bport ? "same" : range(portof(&bn)));
	CHECK("send without address after disconnect", send(b, "x", 1, 0));
	CHECK("connect AF_UNSPEC again", connect(b, (struct sockaddr *)&unspec, sizeof(struct sockaddr)));
	/* bound to an explicit port, the socket keeps it: pick a free port, retrying if someone takes it */
	int e = -1, eport = 0;
	for (int attempt = 0; attempt < 20 && e < 0; attempt++) {
		int t = udp(af, lo, 0, 0);
		eport = localport(t);
		close(t);
		e = udp(af, lo, eport, 0);
	}
	ss_t ea;
	inet_name(&ea, af, lo, eport);
	connect(e, (struct sockaddr *)&sa, sslen(&sa));
	sendto(other, "intruder", 8, 0, (struct sockaddr *)&ea, sslen(&ea));
	CHECK("explicit-port socket: connect AF_UNSPEC", connect(e, (struct sockaddr *)&unspec, sizeof(struct sockaddr)));
	bn = sockname(e);
	printf("  socket bound to an explicit port now %s, port %s\n", ntop(&bn), portof(&bn) == eport ? "same" : range(portof(&bn)));
	sendto(other, "welcome", 7, 0, (struct sockaddr *)&ea, sslen(&ea));
	show_recv("  datagram from the other socket now", e, 0, sizeof buf, oport);
	close(e);
	int a = socket(af, SOCK_DGRAM, 0);
	CHECK("connect unbound socket to server", connect(a, (struct sockaddr *)&sa, sslen(&sa)));
	bn = sockname(a);
	printf("  autobound to %s, port %s\n", ntop(&bn), range(portof(&bn)));
	CHECK("connect AF_UNSPEC", connect(a, (struct sockaddr *)&unspec, sizeof(struct sockaddr)));
	bn = sockname(a);
	printf("  autobound socket now %s, port %s\n", ntop(&bn), range(portof(&bn)));
	close(a);

	/* ECONNREFUSED: the port is held by a socket connected elsewhere, which takes nothing from us */
	int dead = udp(af, lo, 0, 0);
	int dport = localport(dead);
	connect(dead, (struct sockaddr *)&oa, sslen(&oa));
	ss_t da;
	inet_name(&da, af, lo, dport);
	int r = socket(af, SOCK_DGRAM, 0);
	CHECK("unconnected sendto closed port", sendto(r, "x", 1, 0, (struct sockaddr *)&da, sslen(&da)));
	printf("  poll IN 200 ms: %s\n", revents(poll1(r, POLLIN, 200)));
	CHECK("  recv MSG_DONTWAIT", recv(r, buf, sizeof buf, MSG_DONTWAIT));
	CHECK("connect to closed port", connect(r, (struct sockaddr *)&da, sslen(&da)));
	CHECK("send #1", send(r, "x", 1, 0));
	printf("  poll IN: %s\n", revents(poll1(r, POLLIN, 1000)));
	CHECK("  recv", recv(r, buf, sizeof buf, 0));
	CHECK("  recv MSG_DONTWAIT", recv(r, buf, sizeof buf, MSG_DONTWAIT));
	printf("  poll IN|OUT: %s\n", revents(poll1(r, POLLIN | POLLOUT, 0)));
	CHECK("send #2", send(r, "x", 1, 0));
	printf("  poll IN: %s\n", revents(poll1(r, POLLIN, 1000)));
	CHECK("send #3 (error pending)", send(r, "x", 1, 0));
	CHECK("send #4", send(r, "x", 1, 0));
	printf("  poll IN: %s\n", revents(poll1(r, POLLIN, 1000)));
	{
		int e = -1;
		socklen_t el = sizeof e;
		getsockopt(r, SOL_SOCKET, SO_ERROR, &e, &el);
		printf("  SO_ERROR %s", errname(e));
		getsockopt(r, SOL_SOCKET, SO_ERROR, &e, &el);
		printf(", then %s\n", errname(e));
	}
	close(r);
	close(dead);

	/* sendmmsg / recvmmsg */
	{
		struct mmsghdr out[4], in[8];
		struct iovec oiov[4], iiov[8];
		char ibuf[8][64];
		ss_t from[8];
		memset(out, 0, sizeof out);
		memset(in, 0, sizeof in);
		for (int i = 0; i < 4; i++) {
			memset(buf + i * 64, '1' + i, 64);
			oiov[i] = (struct iovec){ buf + i * 64, 10 * (i + 1) };
			out[i].msg_hdr = (struct msghdr){ .msg_name = &sa, .msg_namelen = sslen(&sa), .msg_iov = &oiov[i], .msg_iovlen = 1 };
		}
		for (int i = 0; i < 8; i++) {
			iiov[i] = (struct iovec){ ibuf[i], 64 };
			in[i].msg_hdr = (struct msghdr){ .msg_name = &from[i], .msg_namelen = sizeof from[i], .msg_iov = &iiov[i], .msg_iovlen = 1 };
		}
		CHECK("sendmmsg 4", sendmmsg(cli, out, 4, 0));
		printf("  msg_len %u %u %u %u\n", out[0].msg_len, out[1].msg_len, out[2].msg_len, out[3].msg_len);
		settle(srv);
		CHECK("recvmmsg 8 slots, MSG_DONTWAIT", recvmmsg(srv, in, 8, MSG_DONTWAIT, NULL));
		for (int i = 0; i < 4; i++)
			printf("  msg %d: %u bytes '%c', from %s port %s\n", i, in[i].msg_len, ibuf[i][0], ntop(&from[i]),
			       portof(&from[i]) == cport ? "matches" : "differs");
		sendmmsg(cli, out, 4, 0);
		settle(srv);
		CHECK("recvmmsg 2 slots", recvmmsg(srv, in, 2, 0, NULL));
		printf("  lengths %u %u\n", in[0].msg_len, in[1].msg_len);
		CHECK("recvmmsg 8 slots, MSG_DONTWAIT", recvmmsg(srv, in, 8, MSG_DONTWAIT, NULL));
		printf("  lengths %u %u\n", in[0].msg_len, in[1].msg_len);
		CHECK("recvmmsg on empty, MSG_DONTWAIT", recvmmsg(srv, in, 8, MSG_DONTWAIT, NULL));
	}

	/* options and bind conflicts */
	socklen_t vl = sizeof v;
	getsockopt(cli, SOL_SOCKET, SO_BROADCAST, &v, &vl);
	printf("SO_BROADCAST default %d", v);
	setsockopt(cli, SOL_SOCKET, SO_BROADCAST, &one, sizeof one);
	getsockopt(cli, SOL_SOCKET, SO_BROADCAST, &v, &vl);
	printf(", after set %d\n", v);
	int x = socket(af, SOCK_DGRAM, 0);
	inet_name(&ss, af, lo, sport);
	CHECK("bind the server's port again", bind(x, (struct sockaddr *)&ss, sslen(&ss)));
	close(x);
	int r1 = udp(af, lo, 0, 1), rport = localport(r1);
	int r2 = udp(af, lo, rport, 1);
	printf("second bind with SO_REUSEADDR on both: %s\n", r2 >= 0 ? "OK" : errname(errno));
	int r3 = udp(af, lo, rport, 0);
	printf("third bind without SO_REUSEADDR: %s\n", r3 >= 0 ? "OK" : errname(errno));
	close(r1);
	close(r2);
	close(b);
	close(other);
	close(cli);
	close(srv);
}

static void dual_stack(void)
{
	ss_t ss, from;
	socklen_t fl = sizeof from;
	char buf[64];
	int zero = 0, one = 1;
	printf("===== dual stack =====\n");
	int s6 = socket(AF_INET6, SOCK_DGRAM, 0);
	setsockopt(s6, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
	inet_name(&ss, AF_INET6, "::", 0);
	CHECK("bind [::] port 0, V6ONLY 0", bind(s6, (struct sockaddr *)&ss, sslen(&ss)));
	int port = localport(s6);
	int s4 = socket(AF_INET, SOCK_DGRAM, 0);
	inet_name(&ss, AF_INET, "127.0.0.1", port);
	CHECK("IPv4 sendto 127.0.0.1", sendto(s4, "four", 4, 0, (struct sockaddr *)&ss, sslen(&ss)));
	int p4 = localport(s4);
	long n = recvfrom(s6, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl);
	printf("v6 socket received %ld from %s, port %s, addrlen is sockaddr_in6: %d\n", n, ntop(&from),
	       portof(&from) == p4 ? "matches" : "differs", fl == sizeof(struct sockaddr_in6));
	CHECK("reply to the mapped address", sendto(s6, "six", 3, 0, (struct sockaddr *)&from, fl));
	fl = sizeof from;
	n = recvfrom(s4, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl);
	printf("v4 socket received %ld from %s, port %s\n", n, ntop(&from), portof(&from) == port ? "matches" : "differs");
	close(s6);
	s6 = socket(AF_INET6, SOCK_DGRAM, 0);
	setsockopt(s6, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
	inet_name(&ss, AF_INET6, "::", 0);
	CHECK("bind [::] port 0, V6ONLY 1", bind(s6, (struct sockaddr *)&ss, sslen(&ss)));
	inet_name(&ss, AF_INET, "127.0.0.1", localport(s6));
	sendto(s4, "four", 4, 0, (struct sockaddr *)&ss, sslen(&ss));
	printf("v6-only socket, poll IN 200 ms after an IPv4 send: %s\n", revents(poll1(s6, POLLIN, 200)));
	inet_name(&ss, AF_INET6, "::ffff:127.0.0.1", p4);
	CHECK("v6-only sendto a mapped address", sendto(s6, "x", 1, 0, (struct sockaddr *)&ss, sslen(&ss)));
	close(s6);
	close(s4);
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	alarm(20);
	FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r");
	if (f) {
		if (fscanf(f, "%d %d", &port_lo, &port_hi) != 2) { port_lo = 32768; port_hi = 60999; }
		fclose(f);
	}
	run_family(AF_INET);
	run_family(AF_INET6);
	dual_stack();
	printf("done\n");
	return 0;
}
