/* unix_dgram: AF_UNIX SOCK_DGRAM and SOCK_SEQPACKET: message boundaries, MSG_TRUNC, sender addresses,
 * connected datagram sockets, send errors, zero-length messages, scatter/gather, seqpacket
 * listen/accept/EOF, poll masks, and a full socket under MSG_DONTWAIT.
 * (EOPNOTSUPP prints as ENOTSUP: they are the same number on Linux.) */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>

#include "common.h"

#define CHECK(label, expr) do { errno = 0; long _r = (long)(expr); \
	printf("%s: %s\n", label, _r < 0 ? errname(errno) : "OK"); } while (0)
#define CHECKN(label, expr) do { errno = 0; long _r = (long)(expr); \
	if (_r < 0) printf("%s: %s\n", label, errname(errno)); else printf("%s: %ld\n", label, _r); } while (0)
#define SA(a) ((struct sockaddr *)(a))

static const char *paths[] = { "ud_recv", "ud_send", "ud_r2", "ud_tmp", "ud_stale", "ud_stream", "ud_regular",
			       "ud_seq", "ud_full" };
static char absname[32];

static socklen_t mkaddr(struct sockaddr_un *a, const char *path)
{
	memset(a, 0, sizeof *a);
	a->sun_family = AF_UNIX;
	strcpy(a->sun_path, path);
	return offsetof(struct sockaddr_un, sun_path) + strlen(path) + 1;
}

static int bound(int type, const char *path)
{
	struct sockaddr_un a;
	int s = socket(AF_UNIX, type, 0);
	if (bind(s, SA(&a), mkaddr(&a, path)) < 0) { perror(path); exit(1); }
	return s;
}

static ssize_t sendto_path(int s, const void *buf, size_t n, const char *path)
{
	struct sockaddr_un a;
	return sendto(s, buf, n, MSG_DONTWAIT, SA(&a), mkaddr(&a, path));
}

static int connect_path(int s, const char *path)
{
	struct sockaddr_un a;
	return connect(s, SA(&a), mkaddr(&a, path));
}

static int fionread(int fd)
{
	int n = -1;
	return ioctl(fd, FIONREAD, &n) < 0 ? -1 : n;
}

static const char *pmask(int fd)
{
	static char bufs[4][64];
	static int next;
	char *buf = bufs[next++ % 4];
	struct pollfd p = { .fd = fd, .events = POLLIN | POLLOUT | POLLRDHUP };
	if (poll(&p, 1, 0) < 0) return errname(errno);
	snprintf(buf, sizeof bufs[0], "%s%s%s%s%s", p.revents & POLLIN ? "|IN" : "", p.revents & POLLOUT ? "|OUT" : "",
		 p.revents & POLLRDHUP ? "|RDHUP" : "", p.revents & POLLHUP ? "|HUP" : "", p.revents & POLLERR ? "|ERR" : "");
	return buf[0] ? buf + 1 : "none";
}

/* recvfrom with MSG_DONTWAIT; prints length, data and the sender's address */
static void recv_from(const char *label, int fd)
{
	char buf[64] = { 0 };
	struct sockaddr_un a;
	socklen_t len = sizeof a;
	memset(&a, 0x55, sizeof a);
	ssize_t n = recvfrom(fd, buf, sizeof buf - 1, MSG_DONTWAIT, SA(&a), &len);
	if (n < 0)
		printf("%s: %s\n", label, errname(errno));
	else if (len > offsetof(struct sockaddr_un, sun_path))
		printf("%s: %zd '%s' from path=%s addrlen=%u\n", label, n, buf, a.sun_path, len);
	else
		printf("%s: %zd '%s' from unnamed addrlen=%u\n", label, n, buf, len);
}

static void t_messages(int type, const char *tname)
{
	int s[2];
	char buf[64], l[80];
	snprintf(l, sizeof l, "socketpair %s", tname);
	CHECK(l, socketpair(AF_UNIX, type, 0, s));
	send(s[0], "one", 3, 0);
	send(s[0], "three", 5, 0);
	CHECKN("send zero-length", send(s[0], "", 0, 0));
	send(s[0], "xx", 2, 0);
	printf("%s FIONREAD with 4 queued: %d\n", tname, fionread(s[1]));
	for (int i = 0; i < 4; i++) {
		memset(buf, 0, sizeof buf);
		ssize_t n = recv(s[1], buf, sizeof buf, MSG_DONTWAIT);
		printf("%s recv %d: %zd '%s'\n", tname, i, n, n < 0 ? errname(errno) : buf);
	}
	CHECK("recv empty MSG_DONTWAIT", recv(s[1], buf, sizeof buf, MSG_DONTWAIT));

	send(s[0], "0123456789", 10, 0);
	CHECKN("recv 4 MSG_PEEK|MSG_TRUNC", recv(s[1], buf, 4, MSG_PEEK | MSG_TRUNC));
	CHECKN("recv 4 MSG_TRUNC", recv(s[1], buf, 4, MSG_TRUNC));
	send(s[0], "0123456789", 10, 0);
	send(s[0], "next", 4, 0);
	memset(buf, 0, sizeof buf);
	CHECKN("recv 4 of 10", recv(s[1], buf, 4, 0));
	printf("got '%s', rest discarded: next recv gives ", buf);
	memset(buf, 0, sizeof buf);
	printf("%zd '%s'\n", recv(s[1], buf, sizeof buf, 0), buf);

	char a1[3], a2[3], a3[10];
	struct iovec iov[3] = { { a1, 3 }, { a2, 3 }, { a3, 10 } };
	struct msghdr m = { .msg_iov = iov, .msg_iovlen = 3 };
	send(s[0], "abcdefghij", 10, 0);
	CHECKN("recvmsg into 3 iovecs", recvmsg(s[1], &m, 0));
	printf("iovecs: '%.3s' '%.3s' '%.4s' msg_flags=%#x\n", a1, a2, a3, m.msg_flags);
	send(s[0], "0123456789", 10, 0);
	iov[0].iov_len = 2, iov[1].iov_len = 2, m.msg_iovlen = 2;
	CHECKN("recvmsg 4 of 10", recvmsg(s[1], &m, 0));
	printf("recvmsg truncated: MSG_TRUNC %s\n", m.msg_flags & MSG_TRUNC ? "set" : "clear");
	struct iovec out[4] = { { "he", 2 }, { "llo", 3 }, { " ", 1 }, { "world", 5 } };
	struct msghdr om = { .msg_iov = out, .msg_iovlen = 4 };
	CHECKN("sendmsg 4 iovecs", sendmsg(s[0], &om, 0));
	memset(buf, 0, sizeof buf);
	CHECKN("recv gathered", recv(s[1], buf, sizeof buf, 0));
	printf("gathered: '%s'\n", buf);
	printf("%s poll empty: a=%s b=%s\n", tname, pmask(s[0]), pmask(s[1]));
	send(s[0], "p", 1, 0);
	printf("%s poll one queued: a=%s b=%s\n", tname, pmask(s[0]), pmask(s[1]));
	close(s[0]);
	printf("%s poll after peer close: %s\n", tname, pmask(s[1]));
	CHECKN("recv queued after peer close", recv(s[1], buf, sizeof buf, MSG_DONTWAIT));
	CHECKN("recv after peer close", recv(s[1], buf, sizeof buf, MSG_DONTWAIT));
	CHECK("send after peer close", send(s[1], "x", 1, MSG_NOSIGNAL));
	close(s[1]);
}

static void t_addresses(void)
{
	struct sockaddr_un a;
	char buf[16];
	int r = bound(SOCK_DGRAM, "ud_recv");
	int s = socket(AF_UNIX, SOCK_DGRAM, 0);
	CHECK("send unconnected, no address", send(s, "x", 1, 0));
	CHECKN("sendto ud_recv from unbound", sendto_path(s, "hi", 2, "ud_recv"));
	recv_from("recvfrom", r);
	CHECKN("sendto zero-length", sendto_path(s, "", 0, "ud_recv"));
	recv_from("recvfrom zero-length", r);
	CHECK("bind sender ud_send", bind(s, SA(&a), mkaddr(&a, "ud_send")));
	sendto_path(s, "named", 5, "ud_recv");
	recv_from("recvfrom", r);

	int c = socket(AF_UNIX, SOCK_DGRAM, 0);
	CHECK("connect dgram ud_recv", connect_path(c, "ud_recv"));
	CHECKN("send without address", send(c, "conn", 4, 0));
	recv_from("recvfrom connected sender", r);
	CHECKN("sendto other address while connected", sendto_path(c, "else", 4, "ud_send"));
	recv_from("ud_send got", s);
	CHECK("connect again (reconnect)", connect_path(c, "ud_send"));
	CHECKN("send after reconnect", send(c, "re", 2, 0));
	recv_from("ud_send got", s);
	CHECK("connect AF_UNSPEC", ({ a.sun_family = AF_UNSPEC; connect(c, SA(&a), sizeof(sa_family_t)); }));
	CHECK("send after disconnect", send(c, "x", 1, 0));

	int r2 = bound(SOCK_DGRAM, "ud_r2");
	connect_path(r2, "ud_send");
	CHECK("sendto socket connected elsewhere", sendto_path(c, "x", 1, "ud_r2"));
	CHECKN("sendto it from its peer", sendto_path(s, "ok", 2, "ud_r2"));
	recv_from("ud_r2 got", r2);

	CHECK("sendto missing path", sendto_path(c, "x", 1, "ud_missing"));
	close(bound(SOCK_DGRAM, "ud_stale"));
	CHECK("sendto stale socket file", sendto_path(c, "x", 1, "ud_stale"));
	close(open("ud_regular", O_CREAT | O_WRONLY | O_TRUNC, 0644));
	CHECK("sendto regular file", sendto_path(c, "x", 1, "ud_regular"));
	int st = bound(SOCK_STREAM, "ud_stream");
	CHECK("sendto stream socket", sendto_path(c, "x", 1, "ud_stream"));
	CHECK("connect dgram to stream socket", connect_path(c, "ud_stream"));
	memset(&a, 0, sizeof a);
	a.sun_family = AF_UNIX;
	strcpy(a.sun_path + 1, absname);
	CHECK("sendto missing abstract", sendto(c, "x", 1, 0, SA(&a), offsetof(struct sockaddr_un, sun_path) + 1 + strlen(absname)));
	CHECK("sendto addrlen 1", sendto(c, "x", 1, 0, SA(&a), 1));
	CHECK("listen dgram", listen(r, 1));
	CHECK("accept dgram", accept(r, NULL, NULL));
	char *big = calloc(1, 4 << 20);
	CHECK("send 4 MiB datagram", sendto_path(c, big, 4 << 20, "ud_recv"));
	free(big);

	int t = bound(SOCK_DGRAM, "ud_tmp");
	connect_path(c, "ud_tmp");
	close(t);
	printf("poll connected, peer closed: %s\n", pmask(c));
	CHECK("send to closed peer", send(c, "x", 1, 0));
	CHECK("send to closed peer again", send(c, "x", 1, 0));
	CHECK("getpeername after", ({ socklen_t l = sizeof a; getpeername(c, SA(&a), &l); }));
	CHECK("recv on dgram, nothing queued", recv(c, buf, sizeof buf, MSG_DONTWAIT));
	close(r), close(s), close(c), close(r2), close(st);
}

static void t_seqpacket(void)
{
	struct sockaddr_un a;
	char buf[64];
	int l = bound(SOCK_SEQPACKET, "ud_seq");
	int u = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	CHECK("seqpacket send unconnected", send(u, "x", 1, MSG_NOSIGNAL));
	CHECK("seqpacket recv unconnected", recv(u, buf, 1, MSG_DONTWAIT));
	CHECK("seqpacket connect, not listening", connect_path(u, "ud_seq"));
	CHECK("seqpacket listen", listen(l, 4));
	CHECK("seqpacket connect", connect_path(u, "ud_seq"));
	int x = accept(l, NULL, NULL);
	printf("seqpacket accept: %s\n", x < 0 ? errname(errno) : "OK");
	CHECK("seqpacket getpeername", ({ socklen_t n = sizeof a; int r = getpeername(u, SA(&a), &n);
		if (r == 0) printf("peer path=%s len=%u\n", a.sun_path, n); r; }));
	send(u, "first", 5, 0);
	send(u, "second!", 7, 0);
	send(u, "0123456789", 10, 0);
	CHECKN("seqpacket sendto ignores address", sendto_path(u, "addr", 4, "ud_missing"));
	printf("seqpacket FIONREAD: %d\n", fionread(x));
	CHECKN("seqpacket recv", recv(x, buf, sizeof buf, 0));
	CHECKN("seqpacket recv", recv(x, buf, sizeof buf, 0));
	struct iovec iov = { buf, 4 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	CHECKN("seqpacket recvmsg 4 of 10", recvmsg(x, &m, 0));
	printf("seqpacket MSG_TRUNC %s\n", m.msg_flags & MSG_TRUNC ? "set" : "clear");
	CHECKN("seqpacket next message", recv(x, buf, sizeof buf, 0));
	printf("seqpacket poll: client=%s accepted=%s\n", pmask(u), pmask(x));
	CHECKN("seqpacket send zero-length", send(u, "", 0, 0));
	CHECKN("seqpacket recv zero-length", recv(x, buf, sizeof buf, MSG_DONTWAIT));
	CHECK("seqpacket recv empty", recv(x, buf, sizeof buf, MSG_DONTWAIT));
	send(x, "bye", 3, 0);
	close(x);
	printf("seqpacket poll after peer close: %s\n", pmask(u));
	CHECKN("seqpacket recv queued", recv(u, buf, sizeof buf, 0));
	CHECKN("seqpacket recv EOF", recv(u, buf, sizeof buf, 0));
	CHECK("seqpacket send after peer close", send(u, "x", 1, MSG_NOSIGNAL));
	int d = socket(AF_UNIX, SOCK_DGRAM, 0);
	CHECK("dgram connect to seqpacket listener", connect_path(d, "ud_seq"));
	close(u), close(l), close(d);
}

static void t_full(void)
{
	int s[2];
	char kb[1024] = { 0 };
	socketpair(AF_UNIX, SOCK_DGRAM, 0, s);
	long sent = 0, got = 0;
	int err = 0;
	for (int i = 0; i < 100000; i++) {
		if (send(s[0], kb, sizeof kb, MSG_DONTWAIT) < 0) { err = errno; break; }
		sent++;
	}
	printf("full dgram socketpair: stopped with %s\n", errname(err));
	printf("poll full: sender=%s receiver=%s\n", pmask(s[0]), pmask(s[1]));
	while (recv(s[1], kb, sizeof kb, MSG_DONTWAIT) == sizeof kb) got++;
	printf("drained all sent: %s\n", got == sent ? "yes" : "no");
	printf("poll drained: sender=%s receiver=%s\n", pmask(s[0]), pmask(s[1]));
	close(s[0]), close(s[1]);

	int r = bound(SOCK_DGRAM, "ud_full");
	int c = socket(AF_UNIX, SOCK_DGRAM, 0);
	connect_path(c, "ud_full");
	sent = got = err = 0;
	for (int i = 0; i < 100000; i++) {
		if (send(c, kb, sizeof kb, MSG_DONTWAIT) < 0) { err = errno; break; }
		sent++;
	}
	printf("full dgram receiver: stopped with %s\n", errname(err));
	printf("poll full: sender=%s receiver=%s\n", pmask(c), pmask(r));
	while (recv(r, kb, sizeof kb, MSG_DONTWAIT) == sizeof kb) got++;
	printf("drained all sent: %s\n", got == sent ? "yes" : "no");
	printf("poll drained: sender=%s receiver=%s\n", pmask(c), pmask(r));
	close(r), close(c);
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	alarm(10);
	snprintf(absname, sizeof absname, "starry-ud-%08x", (unsigned)getpid());
	for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) unlink(paths[i]);
	t_messages(SOCK_DGRAM, "dgram");
	t_messages(SOCK_SEQPACKET, "seqpacket");
	t_addresses();
	t_seqpacket();
	t_full();
	for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) unlink(paths[i]);
	return 0;
}
