/* unix_rights: SCM_RIGHTS and SCM_CREDENTIALS over AF_UNIX sockets: fds passed to a child, lowest-free
 * numbering, MSG_CMSG_CLOEXEC, several fds per message, msg_controllen write-back, MSG_CTRUNC,
 * MSG_PEEK, fds in flight, rights released with an unread socket, and the send errors. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>

#include "common.h"

#define CHECK(label, expr) do { errno = 0; long _r = (long)(expr); \
	printf("%s: %s\n", label, _r < 0 ? errname(errno) : "OK"); } while (0)
#define MAXFDS 300

/* send `data` with one SCM_RIGHTS cmsg holding fds[0..n) */
static ssize_t send_fds(int s, const int *fds, int n, const char *data)
{
	static char ctl[CMSG_SPACE(MAXFDS * sizeof(int))];
	struct iovec iov = { (void *)data, strlen(data) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
			    .msg_controllen = CMSG_SPACE(n * sizeof(int)) };
	memset(ctl, 0, sizeof ctl);
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = SOL_SOCKET, c->cmsg_type = SCM_RIGHTS, c->cmsg_len = CMSG_LEN(n * sizeof(int));
	memcpy(CMSG_DATA(c), fds, n * sizeof(int));
	return sendmsg(s, &m, 0);
}

struct got { ssize_t n; int nfds, fds[MAXFDS], flags, ncmsg; size_t controllen, cmsg_len; char data[64]; };

/* recvmsg with a control buffer of `ctllen` bytes (0: none); fills g with what came */
static void recv_fds(int s, size_t ctllen, int flags, struct got *g)
{
	static char ctl[CMSG_SPACE(MAXFDS * sizeof(int))] __attribute__((aligned(8)));
	struct iovec iov = { g->data, sizeof g->data - 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctllen ? ctl : NULL,
			    .msg_controllen = ctllen };
	memset(g, 0, sizeof *g);
	memset(ctl, 0, sizeof ctl);
	g->n = recvmsg(s, &m, flags);
	if (g->n < 0) { printf("recvmsg: %s\n", errname(errno)); return; }
	g->flags = m.msg_flags, g->controllen = m.msg_controllen;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
		g->ncmsg++, g->cmsg_len = c->cmsg_len;
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
			int k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			memcpy(g->fds + g->nfds, CMSG_DATA(c), k * sizeof(int));
			g->nfds += k;
		}
	}
}

static void show(const char *label, const struct got *g)
{
	printf("%s: n=%zd data='%s' nfds=%d ncmsg=%d controllen=%zu cmsg_len=%zu CTRUNC=%d\n", label, g->n, g->data,
	       g->nfds, g->ncmsg, g->controllen, g->cmsg_len, !!(g->flags & MSG_CTRUNC));
}

/* the n lowest free fd numbers, found by dup-ing and closing */
static void lowest_free(int n, int *out)
{
	for (int i = 0; i < n; i++) out[i] = dup(STDOUT_FILENO);
	for (int i = 0; i < n; i++) close(out[i]);
}

static const char *same_numbers(const struct got *g, const int *expect, int n)
{
	if (g->nfds != n) return "no";
	for (int i = 0; i < n; i++) if (g->fds[i] != expect[i]) return "no";
	return "yes";
}

static const char *same_file(int a, int b)
{
	struct stat x, y;
	if (fstat(a, &x) < 0 || fstat(b, &y) < 0) return "no";
	return x.st_dev == y.st_dev && x.st_ino == y.st_ino ? "yes" : "no";
}

static void t_child(void)
{
	int s[2], p[2], exp[2];
	struct got g;
	socketpair(AF_UNIX, SOCK_STREAM, 0, s);
	pipe(p);
	int f = open("ur_file", O_RDWR | O_CREAT | O_TRUNC, 0644);
	write(f, "filedata", 8);
	pid_t c = fork();
	if (c == 0) {
		close(s[0]);
		lowest_free(2, exp);
		recv_fds(s[1], 256, 0, &g);
		show("child received", &g);
		printf("child: fds are the lowest free: %s\n", same_numbers(&g, exp, 2));
		if (g.nfds != 2) _exit(1);
		char buf[16] = { 0 };
		write(g.fds[0], "via pipe", 8);
		lseek(g.fds[1], 0, SEEK_SET);
		read(g.fds[1], buf, 8);
		printf("child read file: '%s'\n", buf);
		write(g.fds[1], "+child", 6);
		_exit(0);
	}
	close(s[1]);
	errno = 0;
	ssize_t sent = send_fds(s[0], (int[]){ p[1], f }, 2, "F");
	int err = errno;
	close(p[1]);
	int st = reap(c); /* print only once the child has finished printing */
	printf("send pipe and file to child: %s\nchild status %d\n", sent < 0 ? errname(err) : "OK", st);
	char buf[32] = { 0 };
	ssize_t n = read(p[0], buf, sizeof buf - 1);
	ssize_t n2 = read(p[0], buf + 16, 1);
	printf("parent read pipe: %zd '%s', then %zd\n", n, buf, n2);
	printf("parent file offset (shared with child): %ld\n", (long)lseek(f, 0, SEEK_CUR));
	memset(buf, 0, sizeof buf);
	pread(f, buf, sizeof buf - 1, 0);
	printf("file now '%s'\n", buf);
	close(f), close(p[0]), close(s[0]);
}

static void t_flags_and_layout(void)
{
	int s[2], p[2], exp[3];
	struct got g;
	socketpair(AF_UNIX, SOCK_STREAM, 0, s);
	pipe(p);
	send_fds(s[0], &p[0], 1, "a");
	recv_fds(s[1], 256, MSG_CMSG_CLOEXEC, &g);
	show("one fd, MSG_CMSG_CLOEXEC", &g);
	printf("received fd: cloexec=%d same pipe=%s\n", fcntl(g.fds[0], F_GETFD) & FD_CLOEXEC, same_file(g.fds[0], p[0]));
	close(g.fds[0]);
	send_fds(s[0], &p[0], 1, "b");
	recv_fds(s[1], 256, 0, &g);
	printf("without MSG_CMSG_CLOEXEC: cloexec=%d\n", fcntl(g.fds[0], F_GETFD) & FD_CLOEXEC);
	close(g.fds[0]);

	int three[3] = { p[0], p[1], s[0] };
	lowest_free(3, exp);
	CHECK("send three fds in one cmsg", send_fds(s[0], three, 3, "abc"));
	recv_fds(s[1], 256, 0, &g);
	show("three fds", &g);
	printf("three fds: lowest free %s, same files %s %s %s\n", same_numbers(&g, exp, 3),
	       same_file(g.fds[0], p[0]), same_file(g.fds[1], p[1]), same_file(g.fds[2], s[0]));
	for (int i = 0; i < g.nfds; i++) close(g.fds[i]);

	send_fds(s[0], &p[0], 1, "exact");
	recv_fds(s[1], CMSG_LEN(sizeof(int)), 0, &g);
	show("control buffer exactly CMSG_LEN(4)", &g);
	close(g.fds[0]);

	send_fds(s[0], &p[0], 1, "pk");
	recv_fds(s[1], 256, MSG_PEEK, &g);
	show("MSG_PEEK", &g);
	int peeked = g.fds[0];
	recv_fds(s[1], 256, 0, &g);
	show("after peek", &g);
	printf("peek installed its own fd: %s, both same pipe: %s\n", g.nfds == 1 && peeked != g.fds[0] ? "yes" : "no",
	       same_file(peeked, g.fds[0]));
	close(peeked), close(g.fds[0]);

	/* a stream read stops after a chunk that carried rights, not before one */
	send_fds(s[0], &p[0], 1, "ab");
	send(s[0], "cd", 2, 0);
	recv_fds(s[1], 256, 0, &g);
	show("rights then plain, recv 63", &g);
	close(g.fds[0]);
	recv_fds(s[1], 256, MSG_DONTWAIT, &g);
	show("rest", &g);
	send(s[0], "ab", 2, 0);
	send_fds(s[0], &p[0], 1, "cd");
	recv_fds(s[1], 256, 0, &g);
	show("plain then rights, recv 63", &g);
	close(g.fds[0]);

	int d[2];
	socketpair(AF_UNIX, SOCK_DGRAM, 0, d);
	send_fds(d[0], &p[1], 1, "dgram");
	recv_fds(d[1], 256, 0, &g);
	show("over a dgram socketpair", &g);
	printf("dgram fd same pipe: %s\n", same_file(g.fds[0], p[1]));
	close(g.fds[0]), close(d[0]), close(d[1]);
	close(p[0]), close(p[1]), close(s[0]), close(s[1]);
}

static void t_ctrunc(void)
{
	int s[2], p[2], exp[3];
	struct got g;
	char c;
	socketpair(AF_UNIX, SOCK_DGRAM, 0, s);
	pipe(p);
	int w[3] = { p[1], dup(p[1]), dup(p[1]) };
	lowest_free(3, exp);
	send_fds(s[0], w, 3, "t");
	recv_fds(s[1], CMSG_LEN(sizeof(int)), 0, &g);
	show("3 fds into room for 1", &g);
	printf("first is lowest free: %s; would-be 2nd: %s, 3rd: %s\n", g.nfds ? (g.fds[0] == exp[0] ? "yes" : "no") : "none",
	       fcntl(exp[1], F_GETFD) < 0 ? errname(errno) : "open", fcntl(exp[2], F_GETFD) < 0 ? errname(errno) : "open");
	for (int i = 0; i < g.nfds; i++) close(g.fds[i]);
	send_fds(s[0], w, 3, "u");
	recv_fds(s[1], 0, 0, &g);
	show("3 fds, no control buffer", &g);
	printf("would-be 1st: %s\n", fcntl(exp[0], F_GETFD) < 0 ? errname(errno) : "open");
	send_fds(s[0], w, 3, "v");
	recv_fds(s[1], sizeof(struct cmsghdr), 0, &g);
	show("3 fds, control buffer of one header", &g);
	for (int i = 0; i < g.nfds; i++) close(g.fds[i]);
	close(w[0]), close(w[1]), close(w[2]);
	printf("pipe read after all write ends dropped: %zd\n", read(p[0], &c, 1));
	close(p[0]), close(s[0]), close(s[1]);
}

static void t_in_flight(void)
{
	int s[2], p[2];
	struct got g;
	char buf[16] = { 0 };
	socketpair(AF_UNIX, SOCK_STREAM, 0, s);
	int f = open("ur_file2", O_RDWR | O_CREAT | O_TRUNC, 0644);
	write(f, "inflight", 8);
	lseek(f, 0, SEEK_SET);
	send_fds(s[0], &f, 1, "f");
	close(f);
	recv_fds(s[1], 256, 0, &g);
	printf("file fd after sender closed its copy: read %zd '%s'\n", read(g.fds[0], buf, 8), buf);
	close(g.fds[0]);

	pipe(p);
	send_fds(s[0], &p[1], 1, "p");
	close(p[1]);
	struct pollfd pf = { .fd = p[0], .events = POLLIN };
	printf("pipe reader while write end in flight: poll=%d\n", poll(&pf, 1, 0));
	recv_fds(s[1], 256, 0, &g);
	printf("receiver writes through it: %zd\n", write(g.fds[0], "z", 1));
	close(g.fds[0]);
	ssize_t n = read(p[0], buf, sizeof buf);
	printf("pipe read: %zd, then %zd\n", n, read(p[0], buf, sizeof buf));
	close(p[0]);

	pipe(p);
	send_fds(s[0], &p[1], 1, "never received");
	close(p[1]);
	printf("unread rights, sockets open: poll=%d\n", poll(&pf, 1, 0));
	close(s[0]), close(s[1]);
	pf.fd = p[0];
	int r = poll(&pf, 1, 1000);
	n = read(p[0], buf, 1);
	printf("unread rights, sockets closed: poll=%d HUP=%d read=%zd\n", r, !!(pf.revents & POLLHUP), n);
	close(p[0]);
}

static void t_creds(void)
{
	int s[2], on = 1;
	socklen_t len = sizeof on;
	socketpair(AF_UNIX, SOCK_STREAM, 0, s);
	char ctl[256] __attribute__((aligned(8)));
	char buf[8];
	struct iovec iov = { buf, sizeof buf };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof ctl };
	send(s[0], "n", 1, 0);
	recvmsg(s[1], &m, 0);
	printf("without SO_PASSCRED: controllen=%zu\n", (size_t)m.msg_controllen);
	CHECK("setsockopt SO_PASSCRED", setsockopt(s[1], SOL_SOCKET, SO_PASSCRED, &on, sizeof on));
	on = 0;
	getsockopt(s[1], SOL_SOCKET, SO_PASSCRED, &on, &len);
	printf("SO_PASSCRED reads back %d\n", on);
	pid_t c = fork();
	if (c == 0) _exit(send(s[0], "c", 1, 0) == 1 ? 0 : 1);
	printf("sender child status %d\n", reap(c));
	for (int round = 0; round < 2; round++) {
		if (round == 1) { /* explicit SCM_CREDENTIALS with the sender's own ids */
			struct ucred uc = { getpid(), getuid(), getgid() };
			char sctl[CMSG_SPACE(sizeof uc)] __attribute__((aligned(8))) = { 0 };
			struct msghdr sm = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = sctl, .msg_controllen = sizeof sctl };
			struct cmsghdr *h = CMSG_FIRSTHDR(&sm);
			h->cmsg_level = SOL_SOCKET, h->cmsg_type = SCM_CREDENTIALS, h->cmsg_len = CMSG_LEN(sizeof uc);
			memcpy(CMSG_DATA(h), &uc, sizeof uc);
			iov.iov_len = 1;
			CHECK("send explicit SCM_CREDENTIALS", sendmsg(s[0], &sm, 0));
			iov.iov_len = sizeof buf;
			c = getpid();
		}
		m.msg_controllen = sizeof ctl;
		ssize_t n = recvmsg(s[1], &m, 0);
		struct cmsghdr *h = CMSG_FIRSTHDR(&m);
		if (n < 0 || !h || h->cmsg_type != SCM_CREDENTIALS) { printf("no credentials (%zd)\n", n); continue; }
		struct ucred uc;
		memcpy(&uc, CMSG_DATA(h), sizeof uc);
		printf("SCM_CREDENTIALS: controllen=%zu cmsg_len=%zu pid %s uid %s gid %s\n", (size_t)m.msg_controllen,
		       (size_t)h->cmsg_len, uc.pid == c ? "match" : "no", uc.uid == getuid() ? "match" : "no",
		       uc.gid == getgid() ? "match" : "no");
	}
	close(s[0]), close(s[1]);
}

static void t_errors(void)
{
	int s[2], p[2], fds[MAXFDS];
	struct got g;
	socketpair(AF_UNIX, SOCK_DGRAM, 0, s);
	pipe(p);
	CHECK("send closed fd number", send_fds(s[0], (int[]){ 999 }, 1, "x"));
	for (int i = 0; i < MAXFDS; i++) fds[i] = p[0];
	CHECK("send 253 fds (SCM_MAX_FD)", send_fds(s[0], fds, 253, "max"));
	recv_fds(s[1], CMSG_SPACE(MAXFDS * sizeof(int)), 0, &g);
	printf("received %d fds, last is the pipe: %s\n", g.nfds, g.nfds ? same_file(g.fds[g.nfds - 1], p[0]) : "no");
	for (int i = 0; i < g.nfds; i++) close(g.fds[i]);
	CHECK("send 254 fds", send_fds(s[0], fds, 254, "over"));
	char ctl[CMSG_SPACE(sizeof(int))] __attribute__((aligned(8))) = { 0 };
	struct iovec iov = { "x", 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof ctl };
	struct cmsghdr *h = CMSG_FIRSTHDR(&m);
	h->cmsg_level = SOL_SOCKET, h->cmsg_type = 99, h->cmsg_len = CMSG_LEN(sizeof(int));
	CHECK("send unknown SOL_SOCKET cmsg type", sendmsg(s[0], &m, 0));
	h->cmsg_type = SCM_RIGHTS, h->cmsg_len = 8;
	CHECK("send cmsg_len shorter than header", sendmsg(s[0], &m, 0));
	h->cmsg_len = CMSG_LEN(sizeof(int)) + 64;
	CHECK("send cmsg_len past controllen", sendmsg(s[0], &m, 0));
	m.msg_control = (void *)8;
	CHECK("send bad control pointer", sendmsg(s[0], &m, 0));
	close(s[0]), close(s[1]), close(p[0]), close(p[1]);
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	alarm(10);
	unlink("ur_file"), unlink("ur_file2");
	t_child();
	t_flags_and_layout();
	t_ctrunc();
	t_in_flight();
	t_creds();
	t_errors();
	unlink("ur_file"), unlink("ur_file2");
	return 0;
}
