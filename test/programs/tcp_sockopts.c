/* tcp_sockopts: getsockopt defaults and setsockopt round trips on TCP sockets (SOL_SOCKET, IPPROTO_TCP,
 * IPPROTO_IP, IPPROTO_IPV6), the errors for unknown options, bad levels and short option lengths,
 * SO_RCVTIMEO on a blocking recv, and TCP_INFO's state. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "common.h"

#define CHECK(label, expr) do { errno = 0; long _r = (long)(expr); \
	printf("%-52s -> %ld %s\n", label, _r, _r < 0 ? errname(errno) : ""); } while (0)

/* getsockopt of an int: "value (optlen n)" or the error. */
static void get_int(const char *label, int fd, int level, int name)
{
	int v = -12345;
	socklen_t l = sizeof v;
	errno = 0;
	if (getsockopt(fd, level, name, &v, &l) < 0) printf("%-52s -> -1 %s\n", label, errname(errno));
	else printf("%-52s -> %d (optlen %u)\n", label, v, (unsigned)l);
}

static void set_int(const char *label, int fd, int level, int name, int v)
{
	CHECK(label, setsockopt(fd, level, name, &v, sizeof v));
}

/* set v, then show what reads back */
static void round_trip(const char *name, int fd, int level, int opt, int v)
{
	char label[80];
	snprintf(label, sizeof label, "set %s %d", name, v);
	set_int(label, fd, level, opt, v);
	snprintf(label, sizeof label, "  get %s", name);
	get_int(label, fd, level, opt);
}

static void get_linger(const char *label, int fd)
{
	struct linger lg = { -1, -1 };
	socklen_t l = sizeof lg;
	if (getsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, &l) < 0) printf("%-52s -> -1 %s\n", label, errname(errno));
	else printf("%-52s -> {%d, %d} (optlen %u)\n", label, lg.l_onoff, lg.l_linger, (unsigned)l);
}

static void get_tv(const char *label, int fd, int opt)
{
	struct timeval tv = { -1, -1 };
	socklen_t l = sizeof tv;
	if (getsockopt(fd, SOL_SOCKET, opt, &tv, &l) < 0) printf("%-52s -> -1 %s\n", label, errname(errno));
	else printf("%-52s -> {%ld, %ld} (optlen %u)\n", label, (long)tv.tv_sec, (long)tv.tv_usec, (unsigned)l);
}

static const char *tcp_state(int s)
{
	static const char *names[] = { "?", "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2",
		"TIME_WAIT", "CLOSE", "CLOSE_WAIT", "LAST_ACK", "LISTEN", "CLOSING" };
	return s >= 0 && s < 12 ? names[s] : "?";
}

static void show_tcp_info(const char *label, int fd)
{
	struct tcp_info ti;
	socklen_t l = sizeof ti;
	memset(&ti, 0xff, sizeof ti);
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &l) < 0) printf("%-52s -> -1 %s\n", label, errname(errno));
	else printf("%-52s -> tcpi_state %d %s\n", label, ti.tcpi_state, tcp_state(ti.tcpi_state));
}

static void defaults(int fd)
{
	get_int("SO_REUSEADDR", fd, SOL_SOCKET, SO_REUSEADDR);
	get_int("SO_REUSEPORT", fd, SOL_SOCKET, SO_REUSEPORT);
	get_int("SO_KEEPALIVE", fd, SOL_SOCKET, SO_KEEPALIVE);
	get_linger("SO_LINGER", fd);
	get_tv("SO_RCVTIMEO", fd, SO_RCVTIMEO);
	get_tv("SO_SNDTIMEO", fd, SO_SNDTIMEO);
	get_int("SO_ERROR", fd, SOL_SOCKET, SO_ERROR);
	get_int("SO_TYPE", fd, SOL_SOCKET, SO_TYPE);
	get_int("SO_DOMAIN", fd, SOL_SOCKET, SO_DOMAIN);
	get_int("SO_PROTOCOL", fd, SOL_SOCKET, SO_PROTOCOL);
	get_int("SO_ACCEPTCONN", fd, SOL_SOCKET, SO_ACCEPTCONN);
	get_int("SO_BROADCAST", fd, SOL_SOCKET, SO_BROADCAST);
	get_int("SO_OOBINLINE", fd, SOL_SOCKET, SO_OOBINLINE);
	get_int("TCP_NODELAY", fd, IPPROTO_TCP, TCP_NODELAY);
	get_int("TCP_KEEPIDLE", fd, IPPROTO_TCP, TCP_KEEPIDLE);
	get_int("TCP_KEEPINTVL", fd, IPPROTO_TCP, TCP_KEEPINTVL);
	get_int("TCP_KEEPCNT", fd, IPPROTO_TCP, TCP_KEEPCNT);
}

int main(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len;
	char buf[64];
	setvbuf(stdout, NULL, _IONBF, 0);
	signal(SIGPIPE, SIG_IGN);
	alarm(20);

	printf("== IPv4 TCP defaults ==\n");
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	defaults(fd);
	get_int("IP_TOS", fd, IPPROTO_IP, IP_TOS);
	get_int("IP_TTL", fd, IPPROTO_IP, IP_TTL);
	printf("== IPv6 TCP defaults ==\n");
	int fd6 = socket(AF_INET6, SOCK_STREAM, 0);
	get_int("SO_DOMAIN", fd6, SOL_SOCKET, SO_DOMAIN);
	get_int("SO_PROTOCOL", fd6, SOL_SOCKET, SO_PROTOCOL);
	get_int("IPV6_V6ONLY", fd6, IPPROTO_IPV6, IPV6_V6ONLY);
	get_int("IPV6_TCLASS", fd6, IPPROTO_IPV6, IPV6_TCLASS);
	get_int("IP_TOS on an IPv6 socket", fd6, IPPROTO_IP, IP_TOS);
	get_int("IPV6_V6ONLY on an IPv4 socket", fd, IPPROTO_IPV6, IPV6_V6ONLY);
	set_int("set IPV6_V6ONLY on an IPv4 socket", fd, IPPROTO_IPV6, IPV6_V6ONLY, 1);
	int protofd = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
	get_int("SO_PROTOCOL (socket asked IPPROTO_TCP)", protofd, SOL_SOCKET, SO_PROTOCOL);
	close(protofd);

	printf("== round trips ==\n");
	round_trip("SO_REUSEADDR", fd, SOL_SOCKET, SO_REUSEADDR, 1);
	round_trip("SO_REUSEADDR", fd, SOL_SOCKET, SO_REUSEADDR, 5);
	round_trip("SO_REUSEADDR", fd, SOL_SOCKET, SO_REUSEADDR, 0);
	round_trip("SO_REUSEPORT", fd, SOL_SOCKET, SO_REUSEPORT, 7);
	round_trip("SO_KEEPALIVE", fd, SOL_SOCKET, SO_KEEPALIVE, 1);
	round_trip("SO_KEEPALIVE", fd, SOL_SOCKET, SO_KEEPALIVE, 0);
	round_trip("SO_OOBINLINE", fd, SOL_SOCKET, SO_OOBINLINE, 1);
	round_trip("TCP_NODELAY", fd, IPPROTO_TCP, TCP_NODELAY, 1);
	round_trip("TCP_NODELAY", fd, IPPROTO_TCP, TCP_NODELAY, 9);
	round_trip("TCP_NODELAY", fd, IPPROTO_TCP, TCP_NODELAY, 0);
	round_trip("TCP_KEEPIDLE", fd, IPPROTO_TCP, TCP_KEEPIDLE, 60);
	round_trip("TCP_KEEPIDLE", fd, IPPROTO_TCP, TCP_KEEPIDLE, 0);
	round_trip("TCP_KEEPIDLE", fd, IPPROTO_TCP, TCP_KEEPIDLE, 32767);
	round_trip("TCP_KEEPIDLE", fd, IPPROTO_TCP, TCP_KEEPIDLE, 32768);
	round_trip("TCP_KEEPINTVL", fd, IPPROTO_TCP, TCP_KEEPINTVL, 10);
	round_trip("TCP_KEEPINTVL", fd, IPPROTO_TCP, TCP_KEEPINTVL, -1);
	round_trip("TCP_KEEPCNT", fd, IPPROTO_TCP, TCP_KEEPCNT, 3);
	round_trip("TCP_KEEPCNT", fd, IPPROTO_TCP, TCP_KEEPCNT, 127);
	round_trip("TCP_KEEPCNT", fd, IPPROTO_TCP, TCP_KEEPCNT, 128);
	round_trip("IP_TOS", fd, IPPROTO_IP, IP_TOS, 0x10);
	round_trip("IP_TOS (ECN bits set)", fd, IPPROTO_IP, IP_TOS, 0xb9);
	round_trip("IP_TOS", fd, IPPROTO_IP, IP_TOS, 256);
	round_trip("IP_TTL", fd, IPPROTO_IP, IP_TTL, 33);
	round_trip("IP_TTL", fd, IPPROTO_IP, IP_TTL, 0);
	round_trip("IP_TTL", fd, IPPROTO_IP, IP_TTL, -1);
	round_trip("IPV6_V6ONLY", fd6, IPPROTO_IPV6, IPV6_V6ONLY, 1);
	round_trip("IPV6_V6ONLY", fd6, IPPROTO_IPV6, IPV6_V6ONLY, 0);
	round_trip("IPV6_TCLASS", fd6, IPPROTO_IPV6, IPV6_TCLASS, 0x20);
	{
		struct linger lg = { 1, 5 };
		CHECK("set SO_LINGER {1, 5}", setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg));
		get_linger("  get SO_LINGER", fd);
		lg = (struct linger){ 7, 3 };
		CHECK("set SO_LINGER {7, 3}", setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg));
		get_linger("  get SO_LINGER", fd);
		lg = (struct linger){ 0, 9 };
		CHECK("set SO_LINGER {0, 9}", setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg));
		get_linger("  get SO_LINGER", fd);
	}
	{
		struct timeval tv = { 1, 500000 };
		CHECK("set SO_RCVTIMEO {1, 500000}", setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv));
		get_tv("  get SO_RCVTIMEO", fd, SO_RCVTIMEO);
		/* 200 ms is a whole number of jiffies at HZ 100, 250, 300 and 1000; other values read back rounded */
		tv = (struct timeval){ 0, 200000 };
		CHECK("set SO_SNDTIMEO {0, 200000}", setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv));
		get_tv("  get SO_SNDTIMEO", fd, SO_SNDTIMEO);
		tv = (struct timeval){ 0, 1000000 };
		CHECK("set SO_RCVTIMEO {0, 1000000}", setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv));
		tv = (struct timeval){ 0, -1 };
		CHECK("set SO_RCVTIMEO {0, -1}", setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv));
		get_tv("  get SO_RCVTIMEO", fd, SO_RCVTIMEO);
		tv = (struct timeval){ 0, 0 };
		CHECK("set SO_RCVTIMEO {0, 0}", setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv));
		get_tv("  get SO_RCVTIMEO", fd, SO_RCVTIMEO);
	}
	{
		int v = 65536, r = 0, w = 0;
		socklen_t l = sizeof r;
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof v);
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof v);
		getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &r, &l);
		getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &w, &l);
		printf("SO_RCVBUF 65536 reads back as 131072: %s\n", r == 131072 ? "yes" : "no");
		printf("SO_SNDBUF 65536 reads back as 131072: %s\n", w == 131072 ? "yes" : "no");
	}

	printf("== read-only and unknown options, bad levels ==\n");
	set_int("set SO_TYPE", fd, SOL_SOCKET, SO_TYPE, 2);
	set_int("set SO_ERROR", fd, SOL_SOCKET, SO_ERROR, 0);
	set_int("set SO_ACCEPTCONN", fd, SOL_SOCKET, SO_ACCEPTCONN, 1);
	set_int("set SO_DOMAIN", fd, SOL_SOCKET, SO_DOMAIN, AF_INET6);
	get_int("get SOL_SOCKET option 9999", fd, SOL_SOCKET, 9999);
	set_int("set SOL_SOCKET option 9999", fd, SOL_SOCKET, 9999, 1);
	get_int("get IPPROTO_TCP option 9999", fd, IPPROTO_TCP, 9999);
	set_int("set IPPROTO_TCP option 9999", fd, IPPROTO_TCP, 9999, 1);
	get_int("get IPPROTO_IP option 9999", fd, IPPROTO_IP, 9999);
	get_int("get level 12345", fd, 12345, 1);
	set_int("set level 12345", fd, 12345, 1, 1);
	get_int("get level IPPROTO_UDP on TCP", fd, IPPROTO_UDP, 1);
	get_int("get level IPPROTO_IPV6 on IPv4 TCP", fd, IPPROTO_IPV6, IPV6_TCLASS);
	{
		int p[2];
		pipe(p);
		get_int("getsockopt on a pipe", p[0], SOL_SOCKET, SO_TYPE);
		set_int("setsockopt on a pipe", p[0], SOL_SOCKET, SO_REUSEADDR, 1);
		close(p[0]);
		close(p[1]);
		get_int("getsockopt on a closed fd", p[0], SOL_SOCKET, SO_TYPE);
	}

	printf("== option lengths ==\n");
	{
		int v = 1;
		struct linger lg = { 1, 1 };
		struct timeval tv = { 1, 0 };
		CHECK("set SO_REUSEADDR optlen 2", setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &v, 2));
		CHECK("set SO_REUSEADDR optlen 0", setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &v, 0));
		CHECK("set SO_REUSEADDR optlen 8", setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &(long){ 1 }, 8));
		get_int("  get SO_REUSEADDR", fd, SOL_SOCKET, SO_REUSEADDR);
		CHECK("set SO_LINGER optlen 4", setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, 4));
		CHECK("set SO_RCVTIMEO optlen 8", setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, 8));
		CHECK("set TCP_NODELAY optlen 2", setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &v, 2));
		CHECK("set TCP_KEEPIDLE optlen 0", setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &v, 0));
		CHECK("set IPV6_V6ONLY optlen 2", setsockopt(fd6, IPPROTO_IPV6, IPV6_V6ONLY, &v, 2));
		unsigned char c = 0x28;
		CHECK("set IP_TOS optlen 1", setsockopt(fd, IPPROTO_IP, IP_TOS, &c, 1));
		get_int("  get IP_TOS", fd, IPPROTO_IP, IP_TOS);
		int big[2] = { -1, -1 };
		socklen_t l = 2;
		CHECK("get SO_TYPE optlen 2", getsockopt(fd, SOL_SOCKET, SO_TYPE, big, &l));
		printf("  optlen now %u, first byte %d\n", (unsigned)l, ((unsigned char *)big)[0]);
		l = 0;
		CHECK("get TCP_NODELAY optlen 0", getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, big, &l));
		printf("  optlen now %u\n", (unsigned)l);
		l = 1;
		memset(big, 0xff, sizeof big);
		CHECK("get IP_TOS optlen 1", getsockopt(fd, IPPROTO_IP, IP_TOS, big, &l));
		printf("  optlen now %u, byte 0x%x, next byte 0x%x\n", (unsigned)l, ((unsigned char *)big)[0], ((unsigned char *)big)[1]);
		l = sizeof big;
		CHECK("get SO_TYPE optlen 8", getsockopt(fd, SOL_SOCKET, SO_TYPE, big, &l));
		printf("  optlen now %u\n", (unsigned)l);
		l = (socklen_t)-1;
		CHECK("get SO_TYPE optlen -1", getsockopt(fd, SOL_SOCKET, SO_TYPE, big, &l));
		l = (socklen_t)-1;
		CHECK("get TCP_NODELAY optlen -1", getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, big, &l));
		struct linger lgo = { -1, -1 };
		l = 4;
		CHECK("get SO_LINGER optlen 4", getsockopt(fd, SOL_SOCKET, SO_LINGER, &lgo, &l));
		printf("  optlen now %u\n", (unsigned)l);
	}

	printf("== connections ==\n");
	int l = socket(AF_INET, SOCK_STREAM, 0);
	show_tcp_info("TCP_INFO fresh socket", l);
	bind(l, (struct sockaddr *)&sin, sizeof sin);
	CHECK("listen", listen(l, 4));
	get_int("SO_ACCEPTCONN listening", l, SOL_SOCKET, SO_ACCEPTCONN);
	show_tcp_info("TCP_INFO listening", l);
	len = sizeof sin;
	getsockname(l, (struct sockaddr *)&sin, &len);
	int c = socket(AF_INET, SOCK_STREAM, 0);
	CHECK("connect", connect(c, (struct sockaddr *)&sin, sizeof sin));
	int s = accept(l, NULL, NULL);
	show_tcp_info("TCP_INFO established (client)", c);
	show_tcp_info("TCP_INFO established (accepted)", s);
	get_int("SO_ACCEPTCONN accepted", s, SOL_SOCKET, SO_ACCEPTCONN);
	get_int("SO_REUSEADDR accepted (listener had 0)", s, SOL_SOCKET, SO_REUSEADDR);
	{
		struct timeval tv = { 0, 100000 };
		CHECK("set SO_RCVTIMEO {0, 100000}", setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv));
		long t0 = now_ms();
		CHECK("blocking recv, no data, 100 ms timeout", recv(c, buf, sizeof buf, 0));
		long dt = now_ms() - t0;
		printf("  waited at least 90 ms: %s; under 2 s: %s\n", dt >= 90 ? "yes" : "no", dt < 2000 ? "yes" : "no");
		send(s, "ok", 2, 0);
		CHECK("recv with data, timeout set", recv(c, buf, sizeof buf, 0));
	}
	close(s);
	struct pollfd p = { c, POLLIN, 0 };
	poll(&p, 1, 1000);
	show_tcp_info("TCP_INFO after peer close", c);
	get_int("SO_ERROR after peer close", c, SOL_SOCKET, SO_ERROR);
	close(c);
	close(l);
	{
		int u = socket(AF_INET, SOCK_DGRAM, 0);
		get_int("TCP_NODELAY on a UDP socket", u, IPPROTO_TCP, TCP_NODELAY);
		get_int("SO_TYPE on a UDP socket", u, SOL_SOCKET, SO_TYPE);
		get_int("SO_PROTOCOL on a UDP socket", u, SOL_SOCKET, SO_PROTOCOL);
		close(u);
	}
	close(fd);
	close(fd6);
	printf("done\n");
	return 0;
}
