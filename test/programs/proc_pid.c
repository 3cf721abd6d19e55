/* The per-process files of /proc as readers parse them: maps and smaps, mountinfo, cgroup,
 * fdinfo (plain files, eventfd, epoll), io, limits, oom_score_adj and task/TID/. Prints formats
 * and the values that are the same natively and in the sandbox, never pids, inodes or devices. */
#define _GNU_SOURCE
#include "common.h"
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

static char buf[1 << 20];

static char *slurp(const char *path)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0) {
		printf("%s: %s\n", path, errname(errno));
		buf[0] = 0;
		return buf;
	}
	size_t n = 0;
	ssize_t r;
	while ((r = read(fd, buf + n, sizeof buf - 1 - n)) > 0) n += r;
	buf[n] = 0;
	close(fd);
	return buf;
}

static void maps(void)
{
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	exe[n > 0 ? n : 0] = 0;
	int lines = 0, bad = 0, named_exe = 0, heap = 0, stack = 0, vdso = 0;
	for (char *l = strtok(slurp("/proc/self/maps"), "\n"); l; l = strtok(NULL, "\n"), lines++) {
		unsigned long lo, hi, off, ino;
		unsigned maj, min;
		char perms[5];
		int at = 0;
		if (sscanf(l, "%lx-%lx %4s %lx %x:%x %lu %n", &lo, &hi, perms, &off, &maj, &min, &ino, &at) != 7 || lo >= hi) bad++;
		else if (l[at] && at != 73) bad++; /* names start at column 74 */
		named_exe += strcmp(l + at, exe) == 0;
		heap += strcmp(l + at, "[heap]") == 0;
		stack += strcmp(l + at, "[stack]") == 0;
		vdso += strcmp(l + at, "[vdso]") == 0;
	}
	printf("maps: %s, exe mapped %s, [stack] %d [vdso] %d\n", lines > 5 && !bad ? "well-formed" : "MALFORMED", named_exe ? "by name" : "NOT BY NAME", stack, vdso);
	(void)heap; /* static binaries have a heap only once malloc ran */

	/* smaps: the header, then the same fields in the same order for every mapping */
	int headers = 0;
	printf("smaps fields:");
	for (char *l = strtok(slurp("/proc/self/smaps"), "\n"); l; l = strtok(NULL, "\n")) {
		unsigned long lo, hi;
		if (sscanf(l, "%lx-%lx ", &lo, &hi) == 2 && l[0] != 'R') { /* a mapping's header */
			if (++headers == 2) break;
			continue;
		}
		char name[64];
		if (sscanf(l, "%63[^:]:", name) == 1) printf(" %s", name);
	}
	printf("\n");
}

static void mountinfo(void)
{
	struct stat root, proc;
	stat("/", &root);
	stat("/proc", &proc);
	int lines = 0, bad = 0, roots = 0, root_dev = 0, proc_dev = 0;
	int ids[256], parents[256];
	for (char *l = strtok(slurp("/proc/self/mountinfo"), "\n"); l; l = strtok(NULL, "\n")) {
		int id, parent, at = 0;
		unsigned maj, min;
		char rootdir[4096], point[4096], opts[1024];
		if (sscanf(l, "%d %d %u:%u %4095s %4095s %1023s %n", &id, &parent, &maj, &min, rootdir, point, opts, &at) != 7) {
			bad++;
			continue;
		}
		char *dash = strstr(l + at, "- ");
		if (!dash || (dash != l + at && dash[-1] != ' ')) { bad++; continue; }
		char type[64], source[4096], super[1024];
		if (sscanf(dash + 2, "%63s %4095s %1023s", type, source, super) != 3) bad++;
		if (strncmp(opts, "rw", 2) && strncmp(opts, "ro", 2)) bad++;
		if (lines < 256) ids[lines] = id, parents[lines] = parent;
		lines++;
		if (strcmp(point, "/") == 0 && makedev(maj, min) == root.st_dev) root_dev = 1;
		if (strcmp(point, "/proc") == 0 && strcmp(type, "proc") == 0 && makedev(maj, min) == proc.st_dev) proc_dev = 1;
	}
	for (int i = 0; i < lines && i < 256; i++) {
		int listed = 0;
		for (int j = 0; j < lines && j < 256; j++) listed |= ids[j] == parents[i];
		roots += !listed;
	}
	printf("mountinfo: %s, mounts without a listed parent %d, / by st_dev %s, /proc is proc by st_dev %s\n",
	       lines && !bad ? "well-formed" : "MALFORMED", roots, root_dev ? "yes" : "no", proc_dev ? "yes" : "no");
}

static void cgroup(void)
{
	int v2 = 0;
	for (char *l = strtok(slurp("/proc/self/cgroup"), "\n"); l; l = strtok(NULL, "\n"))
		if (strncmp(l, "0::/", 4) == 0) v2 = 1;
	printf("cgroup: v2 line %s\n", v2 ? "0::/..." : "missing");
}

/* fdinfo with the numbers that differ between machines replaced by N */
static void fdinfo(const char *what, int fd)
{
	char path[64], out[4096] = "";
	snprintf(path, sizeof path, "/proc/self/fdinfo/%d", fd);
	char *lines[64];
	int n = 0;
	for (char *l = strtok(slurp(path), "\n"); l && n < 64; l = strtok(NULL, "\n")) lines[n++] = l;
	/* epoll lists its targets in the order of its tree (by file address): sort them */
	for (int i = 0; i < n; i++)
		for (int j = i + 1; j < n; j++)
			if (strncmp(lines[i], "tfd:", 4) == 0 && strncmp(lines[j], "tfd:", 4) == 0 && strcmp(lines[i], lines[j]) > 0) {
				char *t = lines[i]; lines[i] = lines[j]; lines[j] = t;
			}
	printf("fdinfo %s:\n", what);
	for (int i = 0; i < n; i++) {
		char *l = lines[i];
		if (!strncmp(l, "mnt_id:", 7) || !strncmp(l, "ino:", 4) || !strncmp(l, "eventfd-id:", 11)) {
			*strchr(l, ':') = 0;
			snprintf(out, sizeof out, "%s:%sN", l, l[0] == 'e' ? " " : "\t");
		} else if (!strncmp(l, "tfd:", 4)) {
			char *ino = strstr(l, " ino:");
			if (ino) *ino = 0;
			snprintf(out, sizeof out, "%s ino:N sdev:N", l);
		} else {
			snprintf(out, sizeof out, "%s", l);
		}
		printf("  %s\n", out);
	}
}

/* the mount id fdinfo gives for fd is a mount of mountinfo, at the given mount point's prefix */
static void mnt_id(const char *what, int fd)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/self/fdinfo/%d", fd);
	char *m = strstr(slurp(path), "mnt_id:");
	int id = m ? atoi(m + 7) : -1;
	int found = 0;
	char *info = slurp("/proc/self/mountinfo");
	for (char *l = strtok(info, "\n"); l; l = strtok(NULL, "\n")) found |= atoi(l) == id;
	printf("mnt_id of %s in mountinfo: %s\n", what, found ? "yes" : "no");
}

static void fdinfos(void)
{
	int f = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	char x[10];
	if (read(f, x, sizeof x) != sizeof x) printf("short read\n");
	fdinfo("file", f);
	mnt_id("file", f);
	int p = open("/proc/self/status", O_RDONLY);
	fdinfo("proc file", p);
	mnt_id("proc file", p);
	int e = eventfd(3, EFD_NONBLOCK);
	fdinfo("eventfd", e);
	int s = eventfd(0, EFD_SEMAPHORE | EFD_CLOEXEC);
	fdinfo("eventfd semaphore", s);
	int pp[2];
	if (pipe(pp)) return;
	int ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev = { .events = EPOLLIN | EPOLLET, .data.u64 = 0x1234 };
	epoll_ctl(ep, EPOLL_CTL_ADD, e, &ev);
	ev.events = EPOLLOUT;
	ev.data.fd = pp[1];
	epoll_ctl(ep, EPOLL_CTL_ADD, pp[1], &ev);
	fdinfo("pipe", pp[0]);
	fdinfo("epoll", ep);
	close(f); close(p); close(e); close(s); close(pp[0]); close(pp[1]); close(ep);
}

static void io_limits(void)
{
	printf("io fields:");
	for (char *l = strtok(slurp("/proc/self/io"), "\n"); l; l = strtok(NULL, "\n")) {
		char name[64];
		unsigned long long v;
		if (sscanf(l, "%63[^:]: %llu", name, &v) == 2) printf(" %s", name);
	}
	printf("\n");
	struct rlimit nofile;
	getrlimit(RLIMIT_NOFILE, &nofile);
	int lines = 0;
	for (char *l = strtok(slurp("/proc/self/limits"), "\n"); l; l = strtok(NULL, "\n"), lines++) {
		if (lines == 0) {
			printf("limits header: [%s]\n", l);
			continue;
		}
		/* "%-25s %-20s %-20s %-10s": name, soft, hard, units */
		char name[26], soft[21], hard[21];
		snprintf(name, sizeof name, "%.25s", l);
		sscanf(l + 26, "%20s", soft);
		sscanf(l + 47, "%20s", hard);
		int units_at = (int)strlen(l) > 68 ? 68 : -1;
		printf("  [%s] units [%s]", name, units_at > 0 ? l + units_at : "");
		if (strncmp(l, "Max open files", 14) == 0)
			printf(" matches getrlimit: %s", strtoul(soft, 0, 10) == nofile.rlim_cur && strtoul(hard, 0, 10) == nofile.rlim_max ? "yes" : "no");
		printf("\n");
	}
}

static void oom_score_adj(void)
{
	printf("oom_score_adj: %s", slurp("/proc/self/oom_score_adj"));
	const char *writes[] = { "100\n", "1001", "abc", "-1000", "0x10", "-1", "0" };
	for (int i = 0; i < 7; i++) {
		int fd = open("/proc/self/oom_score_adj", O_WRONLY);
		ssize_t n = write(fd, writes[i], strlen(writes[i]));
		printf("  write %-5.*s -> %zd %s, reads %s", (int)strcspn(writes[i], "\n"), writes[i], n, n < 0 ? errname(errno) : "OK", slurp("/proc/self/oom_score_adj"));
		close(fd);
	}
}

static void *idle(void *arg)
{
	sleep_ms(300);
	return arg;
}

static int count_entries(const char *path)
{
	DIR *d = opendir(path);
	if (!d) return -1;
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.') n++;
	closedir(d);
	return n;
}

static void tasks(void)
{
	pthread_t th;
	pthread_create(&th, NULL, idle, NULL);
	char path[128];
	printf("task entries with a second thread: %d\n", count_entries("/proc/self/task"));
	snprintf(path, sizeof path, "/proc/self/task/%d/stat", (int)gettid());
	int tid = atoi(slurp(path));
	printf("task/TID/stat starts with the tid: %s\n", tid == gettid() ? "yes" : "no");
	const char *files[] = { "cgroup", "limits", "io", "maps", "mountinfo", "oom_score_adj", "fdinfo/1" };
	for (int i = 0; i < 7; i++) {
		snprintf(path, sizeof path, "/proc/self/task/%d/%s", (int)gettid(), files[i]);
		struct stat st;
		int r = stat(path, &st);
		printf("  task/TID/%s: %s mode %o size %lld\n", files[i], r ? errname(errno) : "OK", st.st_mode, (long long)st.st_size);
	}
	pthread_join(th, NULL);
	printf("task entries after join: %d\n", count_entries("/proc/self/task"));
}

int main(void)
{
	maps();
	mountinfo();
	cgroup();
	fdinfos();
	io_limits();
	oom_score_adj();
	tasks();
	return 0;
}
