/* tcp_basic: loopback TCP over IPv4 and IPv6: bind/listen/connect/accept and the names of both ends,
 * data both ways (read/write, send/recv, sendmsg/recvmsg, MSG_PEEK/DONTWAIT/WAITALL, FIONREAD),
 * shutdown, close and reset, non-blocking connect, refused connects, accept4 flags, bind conflicts
 * (EADDRINUSE, SO_REUSEADDR over TIME_WAIT, SO_REUSEPORT), error cases, and dual-stack sockets. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
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

static int portof(const ss_t *ss)
{
	return ntohs(ss->ss_family == AF_INET ? ((struct sockaddr_in *)ss)->sin_port : ((struct sockaddr_in6 *)ss)->sin6_port);
}

/* The address (never the port) as text; a few rotating buffers so one printf can show several. */
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

static const char *same(const ss_t *a, const ss_t *b)
{
	if (a->ss_family != b->ss_family || portof(a) != portof(b)) return "no";
	if (a->ss_family == AF_INET)
		return ((struct sockaddr_in *)a)->sin_addr.s_addr == ((struct sockaddr_in *)b)->sin_addr.s_addr ? "yes" : "no";
	return memcmp(&((struct sockaddr_in6 *)a)->sin6_addr, &((struct sockaddr_in6 *)b)->sin6_addr, 16) ? "no" : "yes";
}

static const char *range(int port)
{
	if (port == 0) return "zero";
	return port >= port_lo && port <= port_hi ? "in local range" : "nonzero, outside local range";
}

static ss_t sockname(int fd) { ss_t ss; socklen_t l = sizeof ss; memset(&ss, 0, sizeof ss); getsockname(fd, (struct sockaddr *)&ss, &l); return ss; }
static int localport(int fd) { ss_t ss = sockname(fd); return portof(&ss); }
static ss_t peername(int fd) { ss_t ss; socklen_t l = sizeof ss; memset(&ss, 0, sizeof ss); getpeername(fd, (struct sockaddr *)&ss, &l); return ss; }

static const char *revents(short ev)
{
	static char bufs[4][128];
	static int next;
	char *b = bufs[next++ % 4];
	static const struct { short bit; const char *name; } names[] = {
		{ POLLIN, "IN" }, { POLLPRI, "PRI" }, { POLLOUT, "OUT" }, { POLLERR, "ERR" }, { POLLHUP, "HUP" },
		{ POLLNVAL, "NVAL" }, { POLLRDHUP, "RDHUP" },
	};
	b[0] = 0;
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (ev & names[i].bit) { if (b[0]) strcat(b, "|"); strcat(b, names[i].name); }
	if (!b[0]) strcpy(b, "0");
	return b;
}

static short poll1(int fd, short events, int ms)
{
	struct pollfd p = { fd, events, 0 };
	int n = poll(&p, 1, ms);
	return n < 0 ? -1 : p.revents;
}

/* A listener on ip, port 0 unless given, with SO_REUSEADDR / SO_REUSEPORT when asked. */
static int listener(int af, const char *ip, int port, int reuseaddr, int reuseport)
{
	ss_t ss;
	socklen_t len = inet_name(&ss, af, ip, port);
	int fd = socket(af, SOCK_STREAM, 0), one = 1;
	if (reuseaddr) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (reuseport) setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
	if (bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, 16) < 0) { close(fd); return -1; }
	return fd;
}

static int connect_to(int af, const char *ip, int port, int flags)
{
	ss_t ss;
	socklen_t len = inet_name(&ss, af, ip, port);
	int fd = socket(af, SOCK_STREAM | flags, 0);
	if (connect(fd, (struct sockaddr *)&ss, len) < 0 && errno != EINPROGRESS) { int e = errno; close(fd); errno = e; return -1; }
	return fd;
}

static void show_read(const char *label, long n, const char *buf)
{
	if (n < 0) printf("%-52s -> -1 %s\n", label, errname(errno));
	else printf("%-52s -> %ld \"%.*s\"\n", label, n, (int)n, buf);
}

static int sock_error(int fd) { int e = -1; socklen_t l = sizeof e; getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &l); return e; }

struct slow_writer { int fd; };
static void *slow_writer(void *arg)
{
	int fd = ((struct slow_writer *)arg)->fd;
	const char *parts[] = { "wait", "all-", "done" };
	for (int i = 0; i < 3; i++) { sleep_ms(30); if (write(fd, parts[i], 4) != 4) break; }
	return NULL;
}

/* Binds a socket to the loopback port that a just-closed server used after its accepted connection
 * was closed from the server side (TIME_WAIT), without and with SO_REUSEADDR. */
static void time_wait_rebind(int af, const char *lo, int listener_reuse)
{
	int l = listener(af, lo, 0, listener_reuse, 0), port = localport(l);
	int c = connect_to(af, lo, port, 0), s = accept(l, NULL, NULL), one = 1;
	char buf[8];
	close(s); /* the server closes first: its end goes to TIME_WAIT */
	if (read(c, buf, sizeof buf) != 0) printf("client did not read EOF\n");
	close(c);
	close(l);
	sleep_ms(20);
	ss_t ss;
	socklen_t len = inet_name(&ss, af, lo, port);
	int n = socket(af, SOCK_STREAM, 0);
	char label[80];
	snprintf(label, sizeof label, "TIME_WAIT (listener reuse %d): rebind plain", listener_reuse);
	CHECK(label, bind(n, (struct sockaddr *)&ss, len));
	close(n);
	n = socket(af, SOCK_STREAM, 0);
	setsockopt(n, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	snprintf(label, sizeof label, "TIME_WAIT (listener reuse %d): rebind SO_REUSEADDR", listener_reuse);
	CHECK(label, bind(n, (struct sockaddr *)&ss, len));
	close(n);
}

static void run_family(int af)
{
	const char *lo = af == AF_INET ? "127.0.0.1" : "::1";
	const char *any = af == AF_INET ? "0.0.0.0" : "::";
	const char *far = af == AF_INET ? "10.255.255.1" : "2001:db8::1";
	const socklen_t want = af == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
	char buf[256];
	ss_t ss, a, b;
	socklen_t len;
	int one = 1;
	printf("===== %s =====\n", af == AF_INET ? "IPv4" : "IPv6");

	/* listener, connect, accept, names */
	int l = socket(af, SOCK_STREAM, 0);
	len = inet_name(&ss, af, lo, 0);
	CHECK("bind loopback port 0", bind(l, (struct sockaddr *)&ss, len));
	CHECK("bind again", bind(l, (struct sockaddr *)&ss, len));
	CHECK("listen", listen(l, 16));
	len = sizeof a;
	CHECK("getsockname", getsockname(l, (struct sockaddr *)&a, &len));
	int port = portof(&a);
	printf("listener: %s, port %s, addrlen ok %d\n", ntop(&a), range(port), len == want);
	CHECK("getpeername on listener", getpeername(l, (struct sockaddr *)&b, &(socklen_t){ sizeof b }));
	CHECK("recv on listener", recv(l, buf, 1, 0));
	int c = socket(af, SOCK_STREAM, 0);
	CHECK("getpeername unconnected", getpeername(c, (struct sockaddr *)&b, &(socklen_t){ sizeof b }));
	CHECK("send unconnected (MSG_NOSIGNAL)", send(c, "x", 1, MSG_NOSIGNAL));
	CHECK("read unconnected", read(c, buf, 1));
	CHECK("accept on unconnected", accept(c, NULL, NULL));
	len = inet_name(&ss, af, lo, port);
	{	/* shutdown on an unconnected socket fails, yet its flags stick through a later connect */
		int u = socket(af, SOCK_STREAM, 0);
		CHECK("shutdown unconnected", shutdown(u, SHUT_RDWR));
		CHECK("connect after failed shutdown", connect(u, (struct sockaddr *)&ss, len));
		CHECK("send after failed shutdown + connect", send(u, "x", 1, MSG_NOSIGNAL));
		CHECK("read after failed shutdown + connect", read(u, buf, sizeof buf));
		printf("poll IN|OUT|RDHUP: %s\n", revents(poll1(u, POLLIN | POLLOUT | POLLRDHUP, 0)));
		close(u);
		close(accept(l, NULL, NULL));
	}
	CHECK("connect (blocking)", connect(c, (struct sockaddr *)&ss, len) );
	CHECK("connect again", connect(c, (struct sockaddr *)&ss, len));
	CHECK("listen on connected socket", listen(c, 4));
	len = sizeof b;
	int s = accept(l, (struct sockaddr *)&b, &len);
	printf("accept: %s, peer %s, addrlen ok %d\n", s >= 0 ? "ok" : errname(errno), ntop(&b), len == want);
	ss_t cl = sockname(c), cp = peername(c), sl = sockname(s), sp = peername(s);
	printf("client local %s port %s; server local %s\n", ntop(&cl), range(portof(&cl)), ntop(&sl));
	printf("client peer == server local: %s; server peer == client local: %s; accept addr == server peer: %s\n",
	       same(&cp, &sl), same(&sp, &cl), same(&b, &sp));
	printf("server local port == listener port: %d\n", portof(&sl) == port);

	/* data */
	CHECK("write c->s 5", write(c, "hello", 5));
	show_read("read s", read(s, buf, sizeof buf), buf);
	CHECK("send s->c 6", send(s, "world!", 6, 0));
	show_read("recv c", recv(c, buf, sizeof buf, 0), buf);
	{
		struct iovec out[3] = { { "one", 3 }, { "-two-", 5 }, { "three", 5 } };
		struct msghdr m = { .msg_iov = out, .msg_iovlen = 3 };
		CHECK("sendmsg 3 iovecs (13 bytes)", sendmsg(c, &m, 0));
		char x[4], y[4], z[16];
		struct iovec in[3] = { { x, 4 }, { y, 4 }, { z, 16 } };
		struct msghdr r = { .msg_iov = in, .msg_iovlen = 3 };
		long n = recvmsg(s, &r, 0);
		printf("recvmsg into 4+4+16 -> %ld: \"%.4s\" \"%.4s\" \"%.*s\" flags %d\n", n, x, y, n > 8 ? (int)n - 8 : 0, z, r.msg_flags);
	}
	CHECK("send peekaboo", send(s, "peekaboo", 8, 0));
	show_read("recv MSG_PEEK 4", recv(c, buf, 4, MSG_PEEK), buf);
	show_read("recv MSG_PEEK 100", recv(c, buf, 100, MSG_PEEK), buf);
	show_read("recv 100", recv(c, buf, 100, 0), buf);
	CHECK("recv MSG_DONTWAIT on empty", recv(c, buf, 100, MSG_DONTWAIT));
	int avail = -1;
	CHECK("FIONREAD empty", ioctl(c, FIONREAD, &avail));
	printf("FIONREAD value %d\n", avail);
	send(s, "1234567", 7, 0);
	printf("poll POLLIN after send: %s\n", revents(poll1(c, POLLIN, 1000)));
	CHECK("FIONREAD", ioctl(c, FIONREAD, &avail));
	printf("FIONREAD value %d\n", avail);
	read(c, buf, sizeof buf);
	CHECK("FIONREAD on listener", ioctl(l, FIONREAD, &avail));
	{
		pthread_t t;
		struct slow_writer w = { s };
		pthread_create(&t, NULL, slow_writer, &w);
		show_read("recv MSG_WAITALL 12 (3 writes 30ms apart)", recv(c, buf, 12, MSG_WAITALL), buf);
		pthread_join(t, NULL);
	}

	/* shutdown and close */
	CHECK("shutdown bad how", shutdown(c, 7));
	CHECK("shutdown(c, SHUT_WR)", shutdown(c, SHUT_WR));
	poll1(s, POLLRDHUP, 1000); /* wait for the FIN, then look at everything */
	printf("poll s IN|OUT|RDHUP: %s\n", revents(poll1(s, POLLIN | POLLOUT | POLLRDHUP, 0)));
	CHECK("read s after peer SHUT_WR", read(s, buf, sizeof buf));
	CHECK("read s again", read(s, buf, sizeof buf));
	CHECK("send c after own SHUT_WR (MSG_NOSIGNAL)", send(c, "x", 1, MSG_NOSIGNAL));
	printf("poll c IN|OUT|RDHUP: %s\n", revents(poll1(c, POLLIN | POLLOUT | POLLRDHUP, 0)));
	CHECK("send s->c bye", send(s, "bye", 3, 0));
	show_read("read c", read(c, buf, sizeof buf), buf);
	close(s);
	poll1(c, POLLRDHUP, 1000);
	printf("poll c IN|OUT|RDHUP after server close: %s\n", revents(poll1(c, POLLIN | POLLOUT | POLLRDHUP, 0)));
	CHECK("read c after server close", read(c, buf, sizeof buf));
	close(c);

	/* writing to a peer that closed: the first write may succeed and draw a reset */
	c = connect_to(af, lo, port, 0);
	s = accept(l, NULL, NULL);
	close(s);
	CHECK("read after peer close", read(c, buf, sizeof buf));
	printf("poll IN|OUT|RDHUP after peer close: %s\n", revents(poll1(c, POLLIN | POLLOUT | POLLRDHUP, 0)));
	{
		int i, e = 0;
		for (i = 0; i < 100; i++) {
			if (send(c, "data", 4, MSG_NOSIGNAL) < 0) { e = errno; break; }
			sleep_ms(5);
		}
		printf("send to closed peer until error: %s\n", e ? errname(e) : "never failed");
	}
	close(c);

	/* closing with unread data resets the connection */
	c = connect_to(af, lo, port, 0);
	s = accept(l, NULL, NULL);
	send(c, "unread", 6, 0);
	poll1(s, POLLIN, 1000);
	close(s);
	poll1(c, POLLIN, 1000); /* only the reset makes c readable */
	printf("poll IN|OUT|RDHUP after reset: %s\n", revents(poll1(c, POLLIN | POLLOUT | POLLRDHUP, 0)));
	CHECK("read after reset", read(c, buf, sizeof buf));
	CHECK("read after reset again", read(c, buf, sizeof buf));
	CHECK("send after reset", send(c, "x", 1, MSG_NOSIGNAL));
	printf("SO_ERROR after reset: %s\n", errname(sock_error(c)));
	close(c);

	/* non-blocking connect */
	c = socket(af, SOCK_STREAM | SOCK_NONBLOCK, 0);
	len = inet_name(&ss, af, lo, port);
	CHECK("non-blocking connect", connect(c, (struct sockaddr *)&ss, len));
	printf("poll POLLOUT: %s\n", revents(poll1(c, POLLOUT, 1000)));
	printf("SO_ERROR: %s\n", errname(sock_error(c)));
	CHECK("second connect", connect(c, (struct sockaddr *)&ss, len));
	CHECK("third connect", connect(c, (struct sockaddr *)&ss, len));
	s = accept(l, NULL, NULL);
	close(s);
	close(c);

	/* refused: a port bound by a socket that does not listen */
	int closed = socket(af, SOCK_STREAM, 0);
	len = inet_name(&ss, af, lo, 0);
	bind(closed, (struct sockaddr *)&ss, len);
	int cport = localport(closed);
	len = inet_name(&ss, af, lo, cport);
	c = socket(af, SOCK_STREAM, 0);
	CHECK("blocking connect to closed port", connect(c, (struct sockaddr *)&ss, len));
	printf("SO_ERROR after refused blocking connect: %s\n", errname(sock_error(c)));
	close(c);
	c = socket(af, SOCK_STREAM | SOCK_NONBLOCK, 0);
	CHECK("non-blocking connect to closed port", connect(c, (struct sockaddr *)&ss, len));
	printf("poll POLLOUT: %s\n", revents(poll1(c, POLLOUT, 1000)));
	printf("poll IN|OUT|RDHUP: %s\n", revents(poll1(c, POLLIN | POLLOUT | POLLRDHUP, 0)));
	printf("SO_ERROR: %s\n", errname(sock_error(c)));
	printf("SO_ERROR again: %s\n", errname(sock_error(c)));
	CHECK("connect again after SO_ERROR consumed", connect(c, (struct sockaddr *)&ss, len));
	close(c);
	close(closed);

	/* accept flags */
	fcntl(l, F_SETFL, O_NONBLOCK);
	CHECK("accept on empty non-blocking listener", accept(l, NULL, NULL));
	CHECK("accept4 bad flags", accept4(l, NULL, NULL, 1));
	c = connect_to(af, lo, port, 0);
	poll1(l, POLLIN, 1000);
	s = accept(l, NULL, NULL);
	printf("accept from O_NONBLOCK listener: nonblock %d cloexec %d\n", !!(fcntl(s, F_GETFL) & O_NONBLOCK), fcntl(s, F_GETFD) & FD_CLOEXEC);
	close(s);
	close(c);
	c = connect_to(af, lo, port, 0);
	poll1(l, POLLIN, 1000);
	s = accept4(l, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	printf("accept4(SOCK_NONBLOCK|SOCK_CLOEXEC): nonblock %d cloexec %d\n", !!(fcntl(s, F_GETFL) & O_NONBLOCK), fcntl(s, F_GETFD) & FD_CLOEXEC);
	close(s);
	close(c);

	/* bind conflicts while l listens */
	int d = socket(af, SOCK_STREAM, 0);
	len = inet_name(&ss, af, lo, port);
	CHECK("bind same port, listener active", bind(d, (struct sockaddr *)&ss, len));
	close(d);
	d = socket(af, SOCK_STREAM, 0);
	len = inet_name(&ss, af, any, port);
	CHECK("bind wildcard same port, listener active", bind(d, (struct sockaddr *)&ss, len));
	close(d);
	d = socket(af, SOCK_STREAM, 0);
	setsockopt(d, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	len = inet_name(&ss, af, lo, port);
	CHECK("bind same port with SO_REUSEADDR (first lacks it)", bind(d, (struct sockaddr *)&ss, len));
	close(d);
	close(l);
	l = listener(af, lo, 0, 1, 0);
	d = socket(af, SOCK_STREAM, 0);
	setsockopt(d, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	len = inet_name(&ss, af, lo, localport(l));
	CHECK("bind, both SO_REUSEADDR, first listening", bind(d, (struct sockaddr *)&ss, len));
	close(d);
	close(l);
	d = socket(af, SOCK_STREAM, 0);
	len = inet_name(&ss, af, far, 0);
	CHECK("bind non-local address", bind(d, (struct sockaddr *)&ss, len));
	CHECK("bind addrlen 8", bind(d, (struct sockaddr *)&ss, 8));
	len = inet_name(&ss, af == AF_INET ? AF_INET6 : AF_INET, af == AF_INET ? "::1" : "127.0.0.1", 0);
	CHECK("bind other family's address", bind(d, (struct sockaddr *)&ss, len));
	CHECK("listen unbound socket", listen(d, 4));
	ss_t dn = sockname(d);
	printf("unbound listener autobound to %s, port %s\n", ntop(&dn), range(portof(&dn)));
	close(d);

	/* TIME_WAIT and SO_REUSEADDR */
	time_wait_rebind(af, lo, 0);
	time_wait_rebind(af, lo, 1);

	/* SO_REUSEPORT */
	int l1 = listener(af, lo, 0, 0, 1);
	int rport = localport(l1);
	int l2 = socket(af, SOCK_STREAM, 0);
	setsockopt(l2, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
	len = inet_name(&ss, af, lo, rport);
	CHECK("SO_REUSEPORT second bind", bind(l2, (struct sockaddr *)&ss, len));
	CHECK("SO_REUSEPORT second listen", listen(l2, 16));
	d = socket(af, SOCK_STREAM, 0);
	CHECK("bind same port without SO_REUSEPORT", bind(d, (struct sockaddr *)&ss, len));
	close(d);
	{
		int cs[6], accepted = 0;
		for (int i = 0; i < 6; i++) cs[i] = connect_to(af, lo, rport, 0);
		fcntl(l1, F_SETFL, O_NONBLOCK);
		fcntl(l2, F_SETFL, O_NONBLOCK);
		for (int tries = 0; tries < 100 && accepted < 6; tries++) {
			int fd;
			while ((fd = accept(l1, NULL, NULL)) >= 0) { accepted++; close(fd); }
			while ((fd = accept(l2, NULL, NULL)) >= 0) { accepted++; close(fd); }
			if (accepted < 6) sleep_ms(10);
		}
		printf("6 connects to a SO_REUSEPORT pair, accepted across both: %d\n", accepted);
		for (int i = 0; i < 6; i++) close(cs[i]);
	}
	close(l1);
	close(l2);
}

static void dual_stack(void)
{
	ss_t ss, b;
	socklen_t len;
	int zero = 0, one = 1;
	char buf[16];
	printf("===== dual stack =====\n");
	int l = socket(AF_INET6, SOCK_STREAM, 0);
	CHECK("IPV6_V6ONLY 0", setsockopt(l, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero));
	len = inet_name(&ss, AF_INET6, "::", 0);
	bind(l, (struct sockaddr *)&ss, len);
	listen(l, 16);
	int port = localport(l);
	int c = connect_to(AF_INET, "127.0.0.1", port, 0);
	printf("IPv4 connect to [::] listener: %s\n", c >= 0 ? "OK" : errname(errno));
	len = sizeof b;
	int s = accept(l, (struct sockaddr *)&b, &len);
	ss_t sp = peername(s), sl = sockname(s), cl = sockname(c), cp = peername(c);
	printf("accept addr %s (len is sockaddr_in6: %d); server peer %s, local %s; client local %s, peer %s\n",
	       ntop(&b), len == sizeof(struct sockaddr_in6), ntop(&sp), ntop(&sl), ntop(&cl), ntop(&cp));
	printf("server peer port == client local port: %d\n", portof(&sp) == portof(&cl));
	send(c, "v4", 2, 0);
	show_read("v6 server reads from v4 client", recv(s, buf, sizeof buf, 0), buf);
	close(s);
	close(c);
	int v4 = socket(AF_INET, SOCK_STREAM, 0);
	len = inet_name(&ss, AF_INET, "127.0.0.1", port);
	CHECK("bind 127.0.0.1 on the [::] (dual) port", bind(v4, (struct sockaddr *)&ss, len));
	close(v4);
	close(l);

	/* a v6 client reaching a v4 listener through a mapped address */
	l = listener(AF_INET, "127.0.0.1", 0, 0, 0);
	port = localport(l);
	c = connect_to(AF_INET6, "::ffff:127.0.0.1", port, 0);
	printf("IPv6 connect to ::ffff:127.0.0.1: %s\n", c >= 0 ? "OK" : errname(errno));
	s = accept(l, (struct sockaddr *)&b, &(socklen_t){ sizeof b });
	cl = sockname(c);
	printf("client local %s; v4 server sees peer %s\n", ntop(&cl), ntop(&b));
	close(s);
	close(c);
	c = socket(AF_INET6, SOCK_STREAM, 0);
	setsockopt(c, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
	len = inet_name(&ss, AF_INET6, "::ffff:127.0.0.1", port);
	CHECK("V6ONLY socket connect to mapped address", connect(c, (struct sockaddr *)&ss, len));
	close(c);
	close(l);

	/* a v6-only listener leaves the v4 port free. On a busy host the v4 side of the port may be
	 * taken by someone else's socket, so retry with a new port (a v6-only that is not would fail
	 * every attempt). */
	int refused = 0, bound = -1, bind_err = 0, v6only_set = -1;
	for (int attempt = 0; attempt < 20; attempt++) {
		l = socket(AF_INET6, SOCK_STREAM, 0);
		v6only_set = setsockopt(l, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
		len = inet_name(&ss, AF_INET6, "::", 0);
		bind(l, (struct sockaddr *)&ss, len);
		listen(l, 16);
		port = localport(l);
		c = connect_to(AF_INET, "127.0.0.1", port, 0);
		refused = c < 0 ? errno : 0;
		if (c >= 0) close(c);
		v4 = socket(AF_INET, SOCK_STREAM, 0);
		len = inet_name(&ss, AF_INET, "127.0.0.1", port);
		bound = bind(v4, (struct sockaddr *)&ss, len);
		bind_err = errno;
		if (bound == 0 || bind_err != EADDRINUSE || attempt == 19) break;
		close(v4);
		close(l);
	}
	printf("IPV6_V6ONLY 1 -> %d\n", v6only_set);
	printf("IPv4 connect to v6-only listener: %s\n", errname(refused));
	printf("v4 bind 127.0.0.1 on the v6-only port: %s\n", bound == 0 ? "OK" : errname(bind_err));
	CHECK("v4 listen", listen(v4, 16));
	fcntl(l, F_SETFL, O_NONBLOCK);
	fcntl(v4, F_SETFL, O_NONBLOCK);
	c = connect_to(AF_INET, "127.0.0.1", port, 0);
	poll1(v4, POLLIN, 1000);
	s = accept(v4, NULL, NULL);
	printf("IPv4 client: v4 listener accept %s", s >= 0 ? "OK" : errname(errno));
	printf(", v6 listener accept %s\n", accept(l, NULL, NULL) >= 0 ? "OK" : errname(errno));
	close(s);
	close(c);
	c = connect_to(AF_INET6, "::1", port, 0);
	poll1(l, POLLIN, 1000);
	s = accept(l, NULL, NULL);
	printf("IPv6 client: v6 listener accept %s", s >= 0 ? "OK" : errname(errno));
	printf(", v4 listener accept %s\n", accept(v4, NULL, NULL) >= 0 ? "OK" : errname(errno));
	close(s);
	close(c);
	close(v4);
	close(l);
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	signal(SIGPIPE, SIG_IGN);
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
