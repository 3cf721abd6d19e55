/* Calls a syscall the sandbox does not implement, twice, and prints what came back. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void) {
  for (int i = 0; i < 2; i++) {
    long r = syscall(SYS_quotactl, 0, NULL, 0, NULL);
    printf("quotactl: %ld %s\n", r, r < 0 ? strerror(errno) : "");
  }
  return 0;
}
