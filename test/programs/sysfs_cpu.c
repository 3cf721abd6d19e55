/* The CPU topology as runtimes read it: /sys/devices/system/cpu/{online,possible,present,
 * kernel_max} with one small read, the cpuN directories, and that sysconf, get_nprocs,
 * sched_getaffinity and /proc/cpuinfo count the same CPUs. Also sysfs's modes and sizes. */
#define _GNU_SOURCE
#include "common.h"
#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysinfo.h>

static int get(const char *path, char *out, size_t size)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0) return -errno;
	ssize_t n = read(fd, out, size - 1);
	close(fd);
	out[n > 0 ? n : 0] = 0;
	return n;
}

/* "0-N" (or "0"): the number of CPUs it names */
static int span(const char *list)
{
	int lo, hi;
	if (sscanf(list, "%d-%d", &lo, &hi) == 2) return hi - lo + 1;
	return sscanf(list, "%d", &lo) == 1 ? 1 : -1;
}

int main(void)
{
	char v[64], path[128];
	const char *lists[] = { "online", "possible", "present" };
	int cpus = -1;
	for (int i = 0; i < 3; i++) {
		snprintf(path, sizeof path, "/sys/devices/system/cpu/%s", lists[i]);
		get(path, v, sizeof v);
		int n = span(v);
		printf("%s: %s, one line %s\n", lists[i], n > 0 ? "0-N" : "UNEXPECTED", strchr(v, '\n') == v + strlen(v) - 1 ? "yes" : "no");
		if (i == 0) cpus = n;
	}
	get("/sys/devices/system/cpu/kernel_max", v, sizeof v);
	printf("kernel_max: %s\n", atoi(v) >= cpus - 1 ? "at least the last cpu" : "TOO SMALL");

	int dirs = 0;
	DIR *d = opendir("/sys/devices/system/cpu");
	struct dirent *e;
	while (d && (e = readdir(d))) {
		int k;
		char tail;
		if (sscanf(e->d_name, "cpu%d%c", &k, &tail) == 1 && e->d_type == DT_DIR) dirs++;
	}
	if (d) closedir(d);
	cpu_set_t set;
	sched_getaffinity(0, sizeof set, &set);
	int processors = 0;
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[512];
	while (f && fgets(line, sizeof line, f)) processors += strncmp(line, "processor", 9) == 0;
	if (f) fclose(f);
	printf("online %s cpuN dirs, _SC_NPROCESSORS_CONF, _SC_NPROCESSORS_ONLN, get_nprocs, affinity, cpuinfo: %s\n",
	       "==", dirs == cpus && sysconf(_SC_NPROCESSORS_CONF) == cpus && sysconf(_SC_NPROCESSORS_ONLN) == cpus &&
	       get_nprocs() == cpus && CPU_COUNT(&set) == cpus && processors == cpus ? "all equal" : "DIFFER");

	const char *paths[] = { "/sys/devices/system/cpu/online", "/sys/devices/system/cpu/kernel_max", "/sys/devices/system/cpu",
				"/sys/devices/system/cpu/cpu0", "/sys/devices" };
	for (int i = 0; i < 5; i++) {
		struct stat st;
		int r = stat(paths[i], &st);
		printf("%s: %s mode %o size %lld\n", paths[i], r ? errname(errno) : "OK", st.st_mode, (long long)st.st_size);
	}
	int fd = open("/sys/devices/system/cpu/online", O_WRONLY);
	printf("open online for writing: %s\n", fd < 0 ? errname(errno) : "OK");
	return 0;
}
