/* unix_stream: AF_UNIX SOCK_STREAM: socketpair flags, I/O order, MSG_PEEK/MSG_DONTWAIT, shutdown,
 * EPIPE/SIGPIPE, poll masks, FIONREAD, a 1 MiB transfer, path/abstract/autobind addresses,
 * listen/accept, SO_PEERCRED and other options, and the errors of bad inputs.
 * (EOPNOTSUPP prints as ENOTSUP: they are the same number on Linux.) */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "common.h"

#define CHECK(label, expr) do { errno = 0; long _r = (long)(expr); \
	printf("%s: %s\n", label, _r < 0 ? errname(errno) : "OK"); } while (0)
#define CHECKN(label, expr) do { errno = 0; long _r = (long)(expr); \
	if (_r < 0) printf("%s: %s\n", label, errname(errno)); else printf("%s: %ld\n", label, _r); } while (0)
#define SA(a) ((struct sockaddr *)(a))

static const char *paths[] = { "us_sock", "us_other", "us_regular", "us_bound", "us_stale", "us_dgram",
			       "us_link", "us_full", "us_wait", "us_backlog", "us_live" };
static int *volatile badptr = (int *)1; /* hidden from the compiler's bounds warnings */
static char absname[32]; /* fixed length, unique per process: concurrent runs must not collide */

static socklen_t mkaddr(struct sockaddr_un *a, const char *path)
{
	memset(a, 0, sizeof *a);
	a->sun_family = AF_UNIX;
	strcpy(a->sun_path, path);
	return offsetof(struct sockaddr_un, sun_path) + strlen(path) + 1;
}

static socklen_t mkabs(struct sockaddr_un *a, const char *name)
{
	memset(a, 0, sizeof *a);
	a->sun_family = AF_UNIX;
	strcpy(a->sun_path + 1, name);
	return offsetof(struct sockaddr_un, sun_path) + 1 + strlen(name);
}

static int usock(int type) { return socket(AF_UNIX, type, 0); }

static int listener(const char *path, int backlog)
{
	struct sockaddr_un a;
	int s = usock(SOCK_STREAM);
	if (bind(s, SA(&a), mkaddr(&a, path)) < 0 || listen(s, backlog) < 0) { perror(path); exit(1); }
	return s;
}

static int connect_path(int s, const char *path)
{
	struct sockaddr_un a;
	return connect(s, SA(&a), mkaddr(&a, path));
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

/* getsockname (peer = 0) or getpeername (peer = 1): path, abstract (compared with absname) or unnamed */
static void show_name(const char *label, int fd, int peer)
{
	struct sockaddr_un a;
	socklen_t len = sizeof a;
	memset(&a, 0x55, sizeof a);
	int r = peer ? getpeername(fd, SA(&a), &len) : getsockname(fd, SA(&a), &len);
	if (r < 0)
		printf("%s: %s\n", label, errname(errno));
	else if (len <= offsetof(struct sockaddr_un, sun_path))
		printf("%s: unnamed family=%d len=%u\n", label, a.sun_family, len);
	else if (a.sun_path[0] == 0)
		printf("%s: abstract len=%u matches=%s\n", label, len,
		       memcmp(a.sun_path + 1, absname, strlen(absname)) == 0 ? "yes" : "no");
	else
		printf("%s: path=%s len=%u\n", label, a.sun_path, len);
}

static void t_pair_io(void)
{
	int s[2];
	char buf[64];
	CHECK("socketpair stream cloexec|nonblock", socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, s));
	for (int i = 0; i < 2; i++)
		printf("end %d: cloexec=%d nonblock=%d rdwr=%d\n", i, fcntl(s[i], F_GETFD) & FD_CLOEXEC,
		       !!(fcntl(s[i], F_GETFL) & O_NONBLOCK), (fcntl(s[i], F_GETFL) & O_ACCMODE) == O_RDWR);
	CHECK("read empty nonblocking", read(s[0], buf, sizeof buf));
	close(s[0]), close(s[1]);

	socketpair(AF_UNIX, SOCK_STREAM, 0, s);
	printf("plain socketpair: cloexec=%d nonblock=%d\n", fcntl(s[0], F_GETFD) & FD_CLOEXEC, !!(fcntl(s[0], F_GETFL) & O_NONBLOCK));
	CHECKN("write a->b", write(s[0], "hello", 5));
	memset(buf, 0, sizeof buf);
	CHECKN("read b", read(s[1], buf, sizeof buf));
	printf("b got '%s'\n", buf);
	CHECKN("write b->a", write(s[1], "world!", 6));
	CHECKN("read a", read(s[0], buf, sizeof buf));
	CHECKN("write abc", write(s[0], "abc", 3));
	CHECKN("write defgh", write(s[0], "defgh", 5));
	CHECKN("FIONREAD", ({ int n = -1; ioctl(s[1], FIONREAD, &n) < 0 ? -1 : n; }));
	memset(buf, 0, sizeof buf);
	CHECKN("read 2", read(s[1], buf, 2));
	CHECKN("read 4", read(s[1], buf + 2, 4));
	CHECKN("read rest", read(s[1], buf + 6, sizeof buf - 7));
	printf("partial reads in order: '%s'\n", buf);
	CHECKN("send peek", send(s[0], "peek", 4, 0));
	memset(buf, 0, sizeof buf);
	CHECKN("recv MSG_PEEK", recv(s[1], buf, sizeof buf, MSG_PEEK));
	CHECKN("recv MSG_PEEK 2 bytes", recv(s[1], buf, 2, MSG_PEEK));
	CHECKN("recv after peek", recv(s[1], buf, sizeof buf, 0));
	printf("peeked data still read: '%.4s'\n", buf);
	CHECK("recv MSG_DONTWAIT empty", recv(s[1], buf, sizeof buf, MSG_DONTWAIT));
	CHECKN("FIONREAD empty", ({ int n = -1; ioctl(s[1], FIONREAD, &n) < 0 ? -1 : n; }));
	close(s[0]), close(s[1]);
}

static void t_shutdown(void)
{
	int s[2];
	char buf[16];
	socketpair(AF_UNIX, SOCK_STREAM, 0, s);
	printf("poll fresh pair: a=%s b=%s\n", pmask(s[0]), pmask(s[1]));
	CHECK("shutdown a SHUT_WR", shutdown(s[0], SHUT_WR));
	printf("poll after a SHUT_WR: a=%s b=%s\n", pmask(s[0]), pmask(s[1]));
	CHECKN("read b (EOF)", read(s[1], buf, sizeof buf));
	CHECK("send a MSG_NOSIGNAL", send(s[0], "x", 1, MSG_NOSIGNAL));
	signal(SIGPIPE, SIG_IGN);
	CHECK("write a, SIGPIPE ignored", write(s[0], "x", 1));
	signal(SIGPIPE, SIG_DFL);
	pid_t c = fork();
	if (c == 0) { write(s[0], "x", 1); _exit(0); }
	int st = reap(c);
	printf("write a, SIGPIPE default: child %s\n", st == 128 + SIGPIPE ? "killed by SIGPIPE" : "not killed");
	CHECKN("b still writes to a", write(s[1], "back", 4));
	CHECKN("a reads it", read(s[0], buf, sizeof buf));
	CHECK("shutdown b SHUT_WR", shutdown(s[1], SHUT_WR));
	printf("poll both shut: a=%s b=%s\n", pmask(s[0]), pmask(s[1]));
	CHECK("shutdown bad how", shutdown(s[0], 7));
	close(s[0]), close(s[1]);

	socketpair(AF_UNIX, SOCK_STREAM, 0, s);
	write(s[1], "x", 1);
	CHECK("shutdown a SHUT_RD", shutdown(s[0], SHUT_RD));
	printf("poll after a SHUT_RD: a=%s b=%s\n", pmask(s[0]), pmask(s[1]));
	CHECKN("read a (queued data)", read(s[0], buf, sizeof buf));
	CHECKN("read a again", read(s[0], buf, sizeof buf));
	CHECK("send b to a MSG_NOSIGNAL", send(s[1], "y", 1, MSG_NOSIGNAL));
	CHECKN("a still writes to b", write(s[0], "z", 1));
	close(s[0]), close(s[1]);

	socketpair(AF_UNIX, SOCK_STREAM, 0, s);
	write(s[1], "ab", 2);
	close(s[1]);
	printf("poll after peer close: %s\n", pmask(s[0]));
	CHECKN("read data left by closed peer", read(s[0], buf, sizeof buf));
	CHECKN("read after peer close", read(s[0], buf, sizeof buf));
	CHECK("send to closed peer MSG_NOSIGNAL", send(s[0], "x", 1, MSG_NOSIGNAL));
	close(s[0]);

	socketpair(AF_UNIX, SOCK_STREAM, 0, s);
	write(s[0], "unread", 6);
	close(s[1]); /* closes with unread data: the peer sees ECONNRESET once */
	printf("poll after peer closed with unread data: %s\n", pmask(s[0]));
	CHECK("read after reset", read(s[0], buf, sizeof buf));
	CHECKN("read after reset again", read(s[0], buf, sizeof buf));
	close(s[0]);

	int u = usock(SOCK_STREAM);
	CHECK("shutdown unconnected", shutdown(u, SHUT_RDWR));
	close(u);
}

static unsigned char pat(long i) { return (unsigned char)(i * 31 + (i >> 9)); }

/* write `total` pattern bytes in chunks of `chunk`; read `total` bytes back checking them (FNV hash) */
static int put_pattern(int fd, long total, long chunk)
{
	unsigned char out[7000];
	for (long i = 0, n; i < total; i += n) {
		n = total - i < chunk ? total - i : chunk;
		for (long k = 0; k < n; k++) out[k] = pat(i + k);
		for (long off = 0, w; off < n; off += w)
			if ((w = write(fd, out + off, n - off)) <= 0) return -1;
	}
	return 0;
}

static uint32_t get_pattern(int fd, long total, long *got, long *bad)
{
	unsigned char in[5000];
	uint32_t h = 2166136261u;
	for (*got = *bad = 0; *got < total;) {
		ssize_t r = read(fd, in, total - *got < (long)sizeof in ? total - *got : (long)sizeof in);
		if (r <= 0) break;
		for (ssize_t k = 0; k < r; k++) {
			*bad += in[k] != pat(*got + k);
			h = (h ^ in[k]) * 16777619u;
		}
		*got += r;
	}
	return h;
}

static void t_bulk(void)
{
	const long total = 1 << 20;
	long got, bad, res[3];
	int s[2];
	socketpair(AF_UNIX, SOCK_STREAM, 0, s);
	pid_t c = fork();
	if (c == 0) { /* send 1 MiB, then receive 1 MiB and report what came */
		close(s[0]);
		if (put_pattern(s[1], total, 7000) < 0) _exit(2);
		res[0] = get_pattern(s[1], total, &res[1], &res[2]);
		_exit(write(s[1], res, sizeof res) == sizeof res ? 0 : 3);
	}
	close(s[1]);
	uint32_t h = get_pattern(s[0], total, &got, &bad);
	printf("1 MiB child->parent: got %ld, mismatches %ld\n", got, bad);
	put_pattern(s[0], total, 3333);
	int ok = read(s[0], res, sizeof res) == sizeof res;
	printf("1 MiB parent->child: got %ld, mismatches %ld, same checksum %s\n", ok ? res[1] : -1, ok ? res[2] : -1,
	       ok && (uint32_t)res[0] == h ? "yes" : "no");
	printf("bulk child status %d\n", reap(c));
	close(s[0]);
}

static void t_bind_listen(void)
{
	struct sockaddr_un a;
	struct stat st;
	char buf[16];
	int l = usock(SOCK_STREAM);
	CHECK("bind us_sock", bind(l, SA(&a), mkaddr(&a, "us_sock")));
	CHECK("stat us_sock", stat("us_sock", &st));
	printf("us_sock: S_ISSOCK=%d mode=%o\n", S_ISSOCK(st.st_mode), st.st_mode & 07777);
	show_name("bound getsockname", l, 0);
	int l2 = usock(SOCK_STREAM);
	CHECK("bind same path again", bind(l2, SA(&a), mkaddr(&a, "us_sock")));
	CHECK("rebind bound socket", bind(l, SA(&a), mkaddr(&a, "us_other")));
	close(open("us_regular", O_CREAT | O_WRONLY | O_TRUNC, 0644));
	CHECK("bind over regular file", bind(l2, SA(&a), mkaddr(&a, "us_regular")));
	CHECK("bind in missing dir", bind(l2, SA(&a), mkaddr(&a, "no_such_dir/s")));
	CHECK("bind with full-size addrlen", bind(l2, SA(&a), (mkaddr(&a, "us_full"), sizeof a)));
	show_name("full-size bind getsockname", l2, 0);
	close(l2);
	CHECK("listen", listen(l, 5));
	CHECK("listen again", listen(l, 8));
	CHECKN("FIONREAD on listener", ({ int n = -1; ioctl(l, FIONREAD, &n) < 0 ? -1 : n; }));
	printf("poll listener idle: %s\n", pmask(l));

	int c = usock(SOCK_STREAM);
	CHECK("connect us_sock", connect_path(c, "us_sock"));
	printf("poll listener pending: %s\n", pmask(l));
	CHECK("connect again", connect_path(c, "us_sock"));
	struct sockaddr_un pa;
	socklen_t plen = sizeof pa;
	int a1 = accept4(l, SA(&pa), &plen, SOCK_CLOEXEC);
	printf("accept4 SOCK_CLOEXEC: %s cloexec=%d addrlen=%u\n", a1 < 0 ? errname(errno) : "OK",
	       fcntl(a1, F_GETFD) & FD_CLOEXEC, plen);
	show_name("listener getsockname", l, 0);
	show_name("client getsockname", c, 0);
	show_name("client getpeername", c, 1);
	show_name("accepted getsockname", a1, 0);
	show_name("accepted getpeername", a1, 1);
	plen = 4;
	CHECK("getpeername short buffer", getpeername(c, SA(&pa), &plen));
	printf("short buffer addrlen=%u\n", plen);
	CHECKN("client->accepted", write(c, "ping", 4));
	CHECKN("accepted reads", read(a1, buf, sizeof buf));
	close(c);
	close(a1);

	CHECK("symlink us_link", symlink("us_sock", "us_link"));
	c = usock(SOCK_STREAM);
	CHECK("connect through symlink", connect_path(c, "us_link"));
	int a2 = accept(l, NULL, NULL);
	printf("accept: %s cloexec=%d\n", a2 < 0 ? errname(errno) : "OK", fcntl(a2, F_GETFD) & FD_CLOEXEC);
	show_name("accepted via symlink getsockname", a2, 0);
	close(c), close(a2);

	fcntl(l, F_SETFL, O_NONBLOCK);
	CHECK("nonblocking accept, none pending", accept(l, NULL, NULL));
	CHECK("accept4 bad flags", accept4(l, NULL, NULL, 0x1));
	CHECK("connect on listener", connect_path(l, "us_sock"));
	close(l);
	CHECK("unlink socket file", unlink("us_sock"));
	unlink("us_link");
}

static void t_connect_errors(void)
{
	struct sockaddr_un a;
	int c = usock(SOCK_STREAM);
	CHECK("connect missing path", connect_path(c, "us_missing"));
	CHECK("connect regular file", connect_path(c, "us_regular"));
	int b = usock(SOCK_STREAM);
	bind(b, SA(&a), mkaddr(&a, "us_bound"));
	CHECK("connect bound, not listening", connect_path(c, "us_bound"));
	int l = listener("us_stale", 1);
	close(l);
	CHECK("connect stale socket file", connect_path(c, "us_stale"));
	int d = usock(SOCK_DGRAM);
	bind(d, SA(&a), mkaddr(&a, "us_dgram"));
	CHECK("stream connect to dgram socket", connect_path(c, "us_dgram"));
	CHECK("connect missing abstract", connect(c, SA(&a), mkabs(&a, absname)));
	CHECK("connect AF_INET family", ({ mkaddr(&a, "us_bound"); a.sun_family = AF_INET; connect(c, SA(&a), 20); }));
	CHECK("connect addrlen 1", connect(c, SA(&a), 1));
	close(c), close(b), close(d);

	l = listener("us_backlog", 0);
	int n = 0, cs[8];
	for (n = 0; n < 8; n++) {
		cs[n] = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
		if (connect_path(cs[n], "us_backlog") < 0) break;
	}
	printf("backlog 0, nonblocking connects: %d succeeded, then %s\n", n, n < 8 ? errname(errno) : "none failed");
	for (int i = 0; i <= n && i < 8; i++) close(cs[i]);
	close(l);
}

static void t_abstract_autobind(void)
{
	struct sockaddr_un a;
	int l = usock(SOCK_STREAM);
	socklen_t alen = mkabs(&a, absname);
	CHECK("bind abstract", bind(l, SA(&a), alen));
	CHECK("listen abstract", listen(l, 4));
	show_name("abstract getsockname", l, 0);
	int c = usock(SOCK_STREAM);
	CHECK("connect abstract with trailing NUL in len", connect(c, SA(&a), alen + 1));
	CHECK("connect abstract", connect(c, SA(&a), alen));
	show_name("abstract client getpeername", c, 1);
	int x = accept(l, NULL, NULL);
	show_name("abstract accepted getsockname", x, 0);
	int l2 = usock(SOCK_STREAM);
	CHECK("bind abstract in use", bind(l2, SA(&a), alen));
	close(l), close(c), close(x);
	CHECK("bind abstract after close", bind(l2, SA(&a), alen));
	close(l2);

	int s = usock(SOCK_STREAM);
	a.sun_family = AF_UNIX;
	CHECK("autobind", bind(s, SA(&a), sizeof(sa_family_t)));
	socklen_t len = sizeof a;
	memset(&a, 0x55, sizeof a);
	getsockname(s, SA(&a), &len);
	int hex = 1;
	for (socklen_t i = 1; i + offsetof(struct sockaddr_un, sun_path) < len; i++)
		if (!strchr("0123456789abcdef", a.sun_path[i]) || !a.sun_path[i]) hex = 0;
	printf("autobind name: length %u, abstract %s, hex digits %s\n", (unsigned)(len - offsetof(struct sockaddr_un, sun_path)),
	       a.sun_path[0] == 0 ? "yes" : "no", hex ? "yes" : "no");
	CHECK("listen autobound", listen(s, 1));
	c = usock(SOCK_STREAM);
	CHECK("connect to autobound name", connect(c, SA(&a), len));
	CHECK("autobind again", bind(s, SA(&a), sizeof(sa_family_t)));
	close(s), close(c);
}

static int iopt(int fd, int opt)
{
	int v = -7;
	socklen_t len = sizeof v;
	return getsockopt(fd, SOL_SOCKET, opt, &v, &len) < 0 ? -1 : v;
}

static void show_cred(const char *label, int fd, pid_t pid)
{
	struct ucred cr;
	socklen_t len = sizeof cr;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0) { printf("%s: %s\n", label, errname(errno)); return; }
	printf("%s: len=%u pid %s uid %s gid %s\n", label, len, cr.pid == pid ? "match" : "no",
	       cr.uid == getuid() ? "match" : "no", cr.gid == getgid() ? "match" : "no");
}

static void t_options(void)
{
	int s[2], d[2];
	socketpair(AF_UNIX, SOCK_STREAM, 0, s);
	socketpair(AF_UNIX, SOCK_DGRAM, 0, d);
	printf("stream: SO_TYPE=%d SO_DOMAIN=%d SO_PROTOCOL=%d SO_ACCEPTCONN=%d SO_ERROR=%d\n", iopt(s[0], SO_TYPE),
	       iopt(s[0], SO_DOMAIN), iopt(s[0], SO_PROTOCOL), iopt(s[0], SO_ACCEPTCONN), iopt(s[0], SO_ERROR));
	printf("dgram pair: SO_TYPE=%d\n", iopt(d[0], SO_TYPE));
	show_cred("socketpair SO_PEERCRED", s[0], getpid());
	int u = usock(SOCK_STREAM);
	struct ucred cr;
	socklen_t len = sizeof cr;
	getsockopt(u, SOL_SOCKET, SO_PEERCRED, &cr, &len);
	printf("unconnected SO_PEERCRED: pid=%d uid=%d gid=%d\n", (int)cr.pid, (int)cr.uid, (int)cr.gid);
	CHECK("getsockopt unknown option", getsockopt(s[0], SOL_SOCKET, 9999, &cr, &len));
	int raw = socket(AF_UNIX, SOCK_RAW, 0);
	printf("socket SOCK_RAW: %s SO_TYPE=%d\n", raw < 0 ? errname(errno) : "OK", raw < 0 ? -1 : iopt(raw, SO_TYPE));
	close(raw), close(u), close(s[0]), close(s[1]);

	int l = listener("us_wait", 4);
	printf("listener SO_ACCEPTCONN=%d\n", iopt(l, SO_ACCEPTCONN));
	pid_t c = fork();
	if (c == 0) { /* connect after the parent blocks in accept, then wait for its EOF */
		sleep_ms(100);
		int k = usock(SOCK_STREAM);
		char b;
		if (connect_path(k, "us_wait") < 0 || write(k, "hi", 2) != 2) _exit(1);
		while (read(k, &b, 1) > 0) {}
		_exit(0);
	}
	int x = accept(l, NULL, NULL);
	printf("blocking accept woken by child: %s\n", x < 0 ? errname(errno) : "OK");
	show_cred("accepted SO_PEERCRED (child)", x, c);
	char buf[8] = { 0 };
	CHECKN("read from child", read(x, buf, sizeof buf - 1));
	printf("child said '%s'\n", buf);
	close(x);
	printf("child status %d\n", reap(c));
	int k = usock(SOCK_STREAM);
	connect_path(k, "us_wait");
	show_cred("client SO_PEERCRED (listener)", k, getpid());
	close(k), close(l), close(d[0]), close(d[1]);
}

static void t_bad_inputs(void)
{
	struct sockaddr_un a;
	socklen_t len = sizeof a;
	int p[2], s[2], d[2];
	char buf[8];
	pipe(p);
	int u = usock(SOCK_STREAM);
	CHECK("bind bad fd", bind(999, SA(&a), mkaddr(&a, "us_other")));
	CHECK("getsockname bad fd", getsockname(999, SA(&a), &len));
	CHECK("bind on pipe", bind(p[0], SA(&a), mkaddr(&a, "us_other")));
	CHECK("recv on pipe", recv(p[0], buf, 1, MSG_DONTWAIT));
	CHECK("getsockopt on pipe", getsockopt(p[0], SOL_SOCKET, SO_TYPE, buf, &len));
	CHECK("bind bad sockaddr pointer", bind(u, (struct sockaddr *)1, sizeof a));
	CHECK("connect NULL sockaddr", connect(u, NULL, sizeof a));
	CHECK("getsockname bad addrlen pointer", getsockname(u, SA(&a), (socklen_t *)1));
	CHECK("socketpair bad sv pointer", socketpair(AF_UNIX, SOCK_STREAM, 0, badptr));
	CHECK("bind addrlen 1", bind(u, SA(&a), 1));
	CHECK("bind addrlen too big", bind(u, SA(&a), sizeof a + 1));
	CHECK("bind AF_INET family", ({ mkaddr(&a, "us_other"); a.sun_family = AF_INET; bind(u, SA(&a), 20); }));
	CHECK("socket family 12345", socket(12345, SOCK_STREAM, 0));
	CHECK("socket bad type flags", socket(AF_UNIX, SOCK_STREAM | 0x100, 0));
	CHECK("socket SOCK_RDM", socket(AF_UNIX, SOCK_RDM, 0));
	CHECK("socket protocol 2", socket(AF_UNIX, SOCK_STREAM, 2));
	CHECK("socket protocol PF_UNIX", ({ int f = socket(AF_UNIX, SOCK_STREAM, PF_UNIX); close(f); f; }));
	socketpair(AF_UNIX, SOCK_STREAM, 0, s);
	socketpair(AF_UNIX, SOCK_DGRAM, 0, d);
	CHECK("listen socketpair dgram", listen(d[0], 1));
	CHECK("listen socketpair stream", listen(s[0], 1));
	CHECK("listen unbound stream", listen(u, 1));
	CHECK("accept unbound stream", accept(u, NULL, NULL));
	CHECK("accept socketpair stream", accept(s[0], NULL, NULL));
	CHECK("accept dgram", accept(d[0], NULL, NULL));
	int l = listener("us_live", 1);
	CHECK("connect socketpair end to listener", connect_path(s[0], "us_live"));
	CHECK("connect socketpair end to stale path", connect_path(s[0], "us_wait"));
	close(l);
	CHECK("send unconnected stream", send(u, "x", 1, MSG_NOSIGNAL));
	CHECK("write unconnected stream", write(u, "x", 1));
	CHECK("recv unconnected stream", recv(u, buf, 1, MSG_DONTWAIT));
	CHECK("sendto with address, unconnected stream", sendto(u, "x", 1, 0, SA(&a), mkaddr(&a, "us_wait")));
	CHECK("sendto with address, connected stream", sendto(s[0], "x", 1, 0, SA(&a), mkaddr(&a, "us_wait")));
	CHECK("getpeername unconnected", getpeername(u, SA(&a), &len));
	show_name("socketpair getsockname", s[0], 0);
	show_name("socketpair getpeername", s[0], 1);
	close(u), close(p[0]), close(p[1]), close(s[0]), close(s[1]), close(d[0]), close(d[1]);
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	alarm(10);
	umask(022);
	snprintf(absname, sizeof absname, "starry-us-%08x", (unsigned)getpid());
	for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) unlink(paths[i]);
	t_pair_io();
	t_shutdown();
	t_bulk();
	t_bind_listen();
	t_connect_errors();
	t_abstract_autobind();
	t_options();
	t_bad_inputs();
	for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) unlink(paths[i]);
	return 0;
}
