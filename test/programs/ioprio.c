/* ioprio_get and ioprio_set (ioprio(7)) on the caller, a thread-group child and a process
 * that does not exist; what ionice does. */
#define _GNU_SOURCE
#include "common.h"
#include <signal.h>
#include <sys/syscall.h>

#define IOPRIO_WHO_PROCESS 1
#define IOPRIO_CLASS_SHIFT 13
#define PRIO(class, data) (((class) << IOPRIO_CLASS_SHIFT) | (data))

static void show(const char *what, long r)
{
	if (r < 0) printf("%s: %s\n", what, errname(errno));
	else printf("%s: class %ld data %ld\n", what, r >> IOPRIO_CLASS_SHIFT, r & 0x1fff);
}

int main(void)
{
	show("get self", syscall(SYS_ioprio_get, IOPRIO_WHO_PROCESS, 0));
	printf("set self best-effort 7: %s\n", syscall(SYS_ioprio_set, IOPRIO_WHO_PROCESS, 0, PRIO(2, 7)) ? errname(errno) : "OK");
	show("get self", syscall(SYS_ioprio_get, IOPRIO_WHO_PROCESS, 0));
	show("get self by pid", syscall(SYS_ioprio_get, IOPRIO_WHO_PROCESS, getpid()));
	printf("set bad class: %s\n", syscall(SYS_ioprio_set, IOPRIO_WHO_PROCESS, 0, PRIO(5, 0)) ? errname(errno) : "OK");
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		pause();
		_exit(0);
	}
	show("get child (inherited)", syscall(SYS_ioprio_get, IOPRIO_WHO_PROCESS, c));
	printf("set child idle: %s\n", syscall(SYS_ioprio_set, IOPRIO_WHO_PROCESS, c, PRIO(3, 0)) ? errname(errno) : "OK");
	show("get child", syscall(SYS_ioprio_get, IOPRIO_WHO_PROCESS, c));
	kill(c, SIGKILL);
	reap(c);
	show("get a pid that is gone", syscall(SYS_ioprio_get, IOPRIO_WHO_PROCESS, c));
	return 0;
}
