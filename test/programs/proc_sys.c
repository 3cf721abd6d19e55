/* /proc/sys as programs read it: one small read, then sscanf. Prints each file's shape (and the
 * values tied to uname), its mode and size; with "writes", what opening each for writing gives. */
#define _GNU_SOURCE
#include "common.h"
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>

static const char *files[] = {
	"kernel/osrelease", "kernel/ostype", "kernel/hostname", "kernel/pid_max", "kernel/random/boot_id",
	"kernel/random/uuid", "kernel/threads-max", "vm/overcommit_memory", "vm/max_map_count",
	"fs/file-max", "fs/nr_open", "net/core/somaxconn", "net/ipv4/ip_local_port_range",
};

static int get(const char *name, char *out, size_t size)
{
	char path[128];
	snprintf(path, sizeof path, "/proc/sys/%s", name);
	int fd = open(path, O_RDONLY);
	if (fd < 0) return -errno;
	ssize_t n = read(fd, out, size - 1);
	int e = errno;
	close(fd);
	if (n < 0) return -e;
	out[n] = 0;
	return n;
}

static int is_uuid(const char *s)
{
	for (int i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) { if (s[i] != '-') return 0; }
		else if (!strchr("0123456789abcdef", s[i])) return 0;
	}
	return s[36] == '\n' && s[37] == 0;
}

static const char *shape(const char *name, const char *v)
{
	long a, b;
	char tail[8];
	struct utsname u;
	uname(&u);
	if (!strcmp(name, "kernel/osrelease")) return !strncmp(v, u.release, strlen(u.release)) && v[strlen(u.release)] == '\n' ? "uname release" : "NOT uname release";
	if (!strcmp(name, "kernel/hostname")) return !strncmp(v, u.nodename, strlen(u.nodename)) && v[strlen(u.nodename)] == '\n' ? "uname nodename" : "NOT uname nodename";
	if (!strcmp(name, "kernel/ostype")) return !strcmp(v, "Linux\n") ? "Linux" : "NOT Linux";
	if (strstr(name, "random/")) return is_uuid(v) ? "uuid" : "NOT A UUID";
	if (sscanf(v, "%ld\t%ld%1[\n]", &a, &b, tail) == 3 && strchr(v, '\t')) return "number<TAB>number";
	if (sscanf(v, "%ld%1[\n]", &a, tail) == 2) return !strcmp(name, "vm/overcommit_memory") ? (a >= 0 && a <= 2 ? "0, 1 or 2" : "out of range") : "number";
	return "UNEXPECTED";
}

int main(int argc, char **argv)
{
	int writes = argc > 1 && !strcmp(argv[1], "writes");
	char v[256], again[256];
	for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
		char path[128];
		snprintf(path, sizeof path, "/proc/sys/%s", files[i]);
		if (writes) {
			int fd = open(path, O_WRONLY);
			printf("%s: open for writing %s\n", files[i], fd < 0 ? errname(errno) : "OK");
			continue;
		}
		int n = get(files[i], v, sizeof v);
		struct stat st;
		stat(path, &st);
		printf("%s: %s; mode %o size %lld", files[i], n < 0 ? errname(-n) : shape(files[i], v), st.st_mode, (long long)st.st_size);
		if (strstr(files[i], "random/")) {
			get(files[i], again, sizeof again);
			printf(", %s", strcmp(v, again) ? "fresh each read" : "stable");
		}
		printf("\n");
	}
	if (writes) return 0;
	struct stat st;
	stat("/proc/sys/kernel", &st);
	printf("/proc/sys/kernel: mode %o\n", st.st_mode);
	return 0;
}
