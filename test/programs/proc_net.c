/* proc_net: /proc/net as programs read it (netstat, ss, psutil, lsof). The program makes known
 * sockets - TCP and UDP over IPv4 and IPv6, a dual-stack connection, a connection not accepted
 * yet, one in CLOSE_WAIT and one left in TIME_WAIT, unix listeners on a path and an abstract
 * name, connected, embryonic, datagram and unbound unix sockets - and finds each in
 * /proc/net/{tcp,tcp6,udp,udp6,unix} by its inode (fstat's st_ino), or by its ports where Linux
 * shows no inode. The host has sockets of its own, so only this program's lines are printed, with
 * ports named after the sockets that hold them; and the header lines, byte for byte. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "common.h"

static char buf[1 << 22];

/* The whole file in buf; its length, or -1. */
static long slurp(const char *path)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0) return -1;
	long n = 0, r;
	while ((r = read(fd, buf + n, sizeof buf - 1 - n)) > 0) n += r;
	close(fd);
	buf[n] = 0;
	return n;
}

/* Print the first lines of a file as they are, trailing spaces made visible by brackets. */
static void header(const char *path, int lines)
{
	if (slurp(path) < 0) {
		printf("%s: %s\n", path, errname(errno));
		return;
	}
	char *p = buf;
	for (int i = 0; i < lines && *p; i++) {
		char *nl = strchr(p, '\n');
		int len = nl ? (int)(nl - p) : (int)strlen(p);
		printf("%s header [%.*s] %d\n", path, len, p, len);
		if (!nl) break;
		p = nl + 1;
	}
}

static unsigned ports[32];
static const char *pnames[32];
static int nports;

static unsigned port_of(int fd, int peer)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	if ((peer ? getpeername : getsockname)(fd, (struct sockaddr *)&ss, &len) < 0) return 0;
	return ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port : ((struct sockaddr_in6 *)&ss)->sin6_port);
}

static void name_port(int fd, const char *name)
{
	ports[nports] = port_of(fd, 0);
	pnames[nports++] = name;
}

static const char *port_name(unsigned p)
{
	if (p == 0) return "0";
	for (int i = 0; i < nports; i++)
		if (ports[i] == p) return pnames[i];
	return "?";
}

/* An address as the tables print it (%08X per 32-bit word) in the usual notation. */
static void addr(const char *hex, char *out)
{
	char w[9] = { 0 };
	if (strlen(hex) == 8) {
		struct in_addr a;
		a.s_addr = (uint32_t)strtoul(hex, NULL, 16);
		inet_ntop(AF_INET, &a, out, 64);
		return;
	}
	struct in6_addr a;
	for (int i = 0; i < 4; i++) {
		memcpy(w, hex + 8 * i, 8);
		uint32_t v = (uint32_t)strtoul(w, NULL, 16);
		memcpy(&a.s6_addr[4 * i], &v, 4);
	}
	inet_ntop(AF_INET6, &a, out, 64);
}

struct inet_line {
	char local[64], remote[64];
	unsigned lport, rport, st, txq, rxq, tr, uid;
	unsigned long ino;
};

/* The line of file with inode ino, or (ino 0) the one between ports lport and rport. */
static int find_inet(const char *file, unsigned long ino, unsigned lport, unsigned rport, struct inet_line *e)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/net/%s", file);
	if (slurp(path) < 0) return 0;
	for (char *line = strchr(buf, '\n'); line && line[1]; line = strchr(line + 1, '\n')) {
		char la[33], ra[33];
		unsigned long tm;
		unsigned retr;
		int sl, probes;
		if (sscanf(line + 1, "%d: %32[0-9A-F]:%X %32[0-9A-F]:%X %X %X:%X %X:%lX %X %u %d %lu", &sl, la, &e->lport, ra, &e->rport, &e->st, &e->txq,
			   &e->rxq, &e->tr, &tm, &retr, &e->uid, &probes, &e->ino) != 14)
			continue;
		if (ino ? e->ino != ino : e->ino != 0 || e->lport != lport || e->rport != rport) continue;
		addr(la, e->local);
		addr(ra, e->remote);
		return 1;
	}
	return 0;
}

static unsigned long ino_of(int fd)
{
	struct stat st;
	return fstat(fd, &st) == 0 ? st.st_ino : 0;
}

/* Print what file says of fd's socket, or (fd -1) of the connection between the two ports;
 * waits a moment for state want (a state other sockets reach by themselves) if given. */
static void show_inet(const char *what, const char *file, int fd, unsigned lport, unsigned rport, unsigned want, int queues)
{
	struct inet_line e;
	int found = 0;
	for (int i = 0; i < 300; i++) {
		found = find_inet(file, fd >= 0 ? ino_of(fd) : 0, lport, rport, &e);
		if (found && (!want || e.st == want)) break;
		usleep(10000);
	}
	if (!found) {
		printf("%-14s %-5s not found\n", what, file);
		return;
	}
	printf("%-14s %-5s st=%02X local=%s:%s remote=%s:%s inode=%s uid=%s tr=%02X", what, file, e.st, e.local, port_name(e.lport), e.remote,
	       port_name(e.rport), e.ino ? "own" : "0", e.uid == getuid() || !e.ino ? "own" : "other", e.tr);
	if (queues == 1) printf(" txq=%u rxq=%u", e.txq, e.rxq);
	if (queues == 2) printf(" rxq>0=%d", e.rxq > 0);
	printf("\n");
}

/* The /proc/net/unix line of fd's socket, or (fd -1) the one without inode bound to path. */
static void show_unix(const char *what, int fd, const char *path)
{
	unsigned long want = fd >= 0 ? ino_of(fd) : 0;
	slurp("/proc/net/unix");
	for (char *line = strchr(buf, '\n'); line && line[1]; line = strchr(line + 1, '\n')) {
		unsigned refs, proto, flags, type, st;
		unsigned long ino;
		int n = 0;
		if (sscanf(line + 1, "%*[0-9a-f]: %X %X %X %X %X %lu%n", &refs, &proto, &flags, &type, &st, &ino, &n) != 6) continue;
		char *end = strchr(line + 1, '\n');
		char *name = line + 1 + n;
		int len = (int)((end ? end : name + strlen(name)) - name);
		if (len > 0 && *name == ' ') name++, len--;
		if (ino != want || (fd < 0 && (len != (int)strlen(path) || memcmp(name, path, len)))) continue;
		printf("%-14s unix  refs=%u proto=%u flags=%05X type=%04X st=%02X inode=%s path=[%.*s]\n", what, refs, proto, flags, type, st, ino ? "own" : "0",
		       len, name);
		return;
	}
	printf("%-14s unix  not found\n", what);
}

/* A socket bound to ip and a port the system picks, listening if asked; its port is called name. */
static int inet_socket(int af, int type, const char *ip, int listening, const char *name)
{
	int fd = socket(af, type, 0);
	struct sockaddr_storage ss;
	if (bind(fd, (struct sockaddr *)&ss, inet_name(&ss, af, ip, 0)) < 0) perror("bind");
	if (listening && listen(fd, 8) < 0) perror("listen");
	name_port(fd, name);
	return fd;
}

/* A socket of af connected to where fd listens (ip is how af names fd's address); its port is called name. */
static int connect_to(int af, int type, const char *ip, int fd, const char *name)
{
	int c = socket(af, type, 0);
	struct sockaddr_storage ss;
	if (connect(c, (struct sockaddr *)&ss, inet_name(&ss, af, ip, port_of(fd, 0))) < 0) perror("connect");
	name_port(c, name);
	return c;
}

static void wait_for(int fd, short events)
{
	struct pollfd p = { fd, events, 0 };
	poll(&p, 1, 5000);
}

static socklen_t unix_name(struct sockaddr_un *a, const char *name, size_t len)
{
	memset(a, 0, sizeof *a);
	a->sun_family = AF_UNIX;
	memcpy(a->sun_path, name, len);
	return offsetof(struct sockaddr_un, sun_path) + len;
}

static void tables(void)
{
	/* TCP over IPv4: a listener, a connection accepted with unread data, one not accepted yet
	 * (from a dual-stack IPv6 socket), and one the client closed */
	int l = inet_socket(AF_INET, SOCK_STREAM, "127.0.0.1", 1, "L");
	int c = connect_to(AF_INET, SOCK_STREAM, "127.0.0.1", l, "C");
	int s = accept(l, NULL, NULL);
	write(c, "hello", 5);
	wait_for(s, POLLIN);
	int c6 = connect_to(AF_INET6, SOCK_STREAM, "::ffff:127.0.0.1", l, "C6");
	wait_for(l, POLLIN);
	int l6 = inet_socket(AF_INET6, SOCK_STREAM, "::1", 1, "L6");
	show_inet("listener", "tcp", l, 0, 0, 0, 1);
	show_inet("client", "tcp", c, 0, 0, 0, 1);
	show_inet("accepted", "tcp", s, 0, 0, 0, 1);
	show_inet("unaccepted", "tcp", -1, port_of(l, 0), port_of(c6, 0), 0, 1);
	show_inet("dual-stack", "tcp6", c6, 0, 0, 0, 1);
	show_inet("listener6", "tcp6", l6, 0, 0, 0, 1);
	show_inet("not in tcp6", "tcp6", l, 0, 0, 0, 0);

	int t = connect_to(AF_INET, SOCK_STREAM, "127.0.0.1", l, "T");
	unsigned tport = port_of(t, 0);
	int ts;
	/* the one not accepted yet comes first */
	int first = accept(l, NULL, NULL);
	ts = accept(l, NULL, NULL);
	close(t);
	wait_for(ts, POLLRDHUP);
	show_inet("close-wait", "tcp", ts, 0, 0, 8, 0);
	close(ts);
	show_inet("time-wait", "tcp", -1, tport, port_of(l, 0), 6, 0);
	close(first);

	/* UDP: a bound socket with a datagram queued, one connected to it, one over IPv6 */
	int u = inet_socket(AF_INET, SOCK_DGRAM, "127.0.0.1", 0, "U");
	int u2 = connect_to(AF_INET, SOCK_DGRAM, "127.0.0.1", u, "U2");
	write(u2, "abc", 3);
	wait_for(u, POLLIN);
	int u6 = inet_socket(AF_INET6, SOCK_DGRAM, "::1", 0, "U6");
	show_inet("udp bound", "udp", u, 0, 0, 0, 2);
	show_inet("udp connected", "udp", u2, 0, 0, 0, 2);
	show_inet("udp6 bound", "udp6", u6, 0, 0, 0, 2);
	int unbound = socket(AF_INET, SOCK_DGRAM, 0);
	show_inet("udp unbound", "udp", unbound, 0, 0, 0, 0);

	/* unix: listeners on a path and an abstract name, a connection accepted and one not */
	struct sockaddr_un a;
	socklen_t len;
	unlink("procnet.sock");
	int ul = socket(AF_UNIX, SOCK_STREAM, 0);
	len = unix_name(&a, "procnet.sock", strlen("procnet.sock") + 1);
	if (bind(ul, (struct sockaddr *)&a, len) < 0 || listen(ul, 4) < 0) perror("unix listener");
	int uc = socket(AF_UNIX, SOCK_STREAM, 0);
	connect(uc, (struct sockaddr *)&a, len);
	int us = accept(ul, NULL, NULL);
	int uc2 = socket(AF_UNIX, SOCK_STREAM, 0);
	connect(uc2, (struct sockaddr *)&a, len);
	int ua = socket(AF_UNIX, SOCK_STREAM, 0);
	len = unix_name(&a, "\0starry\0procnet", 15);
	if (bind(ua, (struct sockaddr *)&a, len) < 0 || listen(ua, 4) < 0) perror("abstract listener");
	int ud = socket(AF_UNIX, SOCK_DGRAM, 0);
	len = unix_name(&a, "\0starry-procnet-dgram", 21);
	if (bind(ud, (struct sockaddr *)&a, len) < 0) perror("dgram bind");
	int ue = socket(AF_UNIX, SOCK_DGRAM, 0);
	connect(ue, (struct sockaddr *)&a, len);
	int uq = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	int sp[2], dp[2];
	socketpair(AF_UNIX, SOCK_STREAM, 0, sp);
	socketpair(AF_UNIX, SOCK_DGRAM, 0, dp);
	show_unix("listener", ul, NULL);
	show_unix("client", uc, NULL);
	show_unix("accepted", us, NULL);
	show_unix("unaccepted", -1, "procnet.sock");
	show_unix("abstract", ua, NULL);
	show_unix("dgram bound", ud, NULL);
	show_unix("dgram conn", ue, NULL);
	show_unix("seqpacket", uq, NULL);
	show_unix("pair", sp[0], NULL);
	show_unix("dgram pair", dp[1], NULL);
	close(uc);
	show_unix("peer closed", us, NULL);
	unlink("procnet.sock");
}

int main(void)
{
	char target[64] = { 0 };
	struct stat st;
	printf("readlink /proc/net: %zd [%s]\n", readlink("/proc/net", target, sizeof target - 1), target);
	printf("/proc/self/net is a directory: %d\n", stat("/proc/self/net", &st) == 0 && S_ISDIR(st.st_mode));
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/net/unix", getpid());
	printf("/proc/PID/net/unix opens: %d\n", access(path, R_OK) == 0);

	header("/proc/net/tcp", 1);
	header("/proc/net/tcp6", 1);
	header("/proc/net/udp", 1);
	header("/proc/net/udp6", 1);
	header("/proc/net/raw", 1);
	header("/proc/net/raw6", 1);
	header("/proc/net/unix", 1);
	header("/proc/net/dev", 2);
	header("/proc/net/route", 1);
	header("/proc/self/net/tcp", 1);

	/* lo's lines where the host has more interfaces */
	slurp("/proc/net/dev");
	char *lo = strstr(buf, "    lo:");
	unsigned long long v[16];
	printf("dev lo fields: %d\n", lo ? sscanf(lo, "    lo: %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3],
					     &v[4], &v[5], &v[6], &v[7], &v[8], &v[9], &v[10], &v[11], &v[12], &v[13], &v[14], &v[15]) : -1);
	slurp("/proc/net/if_inet6");
	lo = strstr(buf, "00000000000000000000000000000001 ");
	printf("if_inet6 lo: [%.*s]\n", lo ? (int)(strchr(lo, '\n') - lo) : 0, lo ? lo : "");

	tables();
	return 0;
}
