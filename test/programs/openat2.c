/* openat2(2) RESOLVE_* flags, compared with Linux: each case prints the errno name or "ok". */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static const char *name(int e) {
  switch (e) {
    case EXDEV: return "EXDEV"; case ELOOP: return "ELOOP"; case ENOENT: return "ENOENT";
    case EINVAL: return "EINVAL"; case E2BIG: return "E2BIG"; case EAGAIN: return "EAGAIN";
    case ENOTDIR: return "ENOTDIR"; case EFAULT: return "EFAULT"; default: return "other";
  }
}

static void try(const char *what, int dirfd, const char *path, unsigned long long flags, unsigned long long resolve) {
  struct open_how how;
  memset(&how, 0, sizeof how);
  how.flags = flags;
  how.resolve = resolve;
  long fd = syscall(SYS_openat2, dirfd, path, &how, sizeof how);
  printf("%-40s %s\n", what, fd >= 0 ? "ok" : name(errno));
  if (fd >= 0) close((int)fd);
}

int main(void) {
  char tmpl[] = "./oa2.XXXXXX";
  if (!mkdtemp(tmpl)) return 1;
  if (chdir(tmpl)) return 1;
  mkdir("d", 0755);
  mkdir("d/sub", 0755);
  close(open("d/f", O_CREAT | O_WRONLY, 0644));
  symlink("f", "d/rel");
  symlink("/etc/hostname", "d/abs");
  symlink("../..", "d/up");
  symlink("loop", "d/loop");
  int d = open("d", O_DIRECTORY | O_RDONLY);
  try("plain", d, "f", O_RDONLY, 0);
  try("BENEATH plain", d, "f", O_RDONLY, RESOLVE_BENEATH);
  try("BENEATH ..", d, "../d/f", O_RDONLY, RESOLVE_BENEATH);
  try("BENEATH sub/..", d, "sub/../f", O_RDONLY, RESOLVE_BENEATH);
  try("BENEATH absolute", d, "/etc/hostname", O_RDONLY, RESOLVE_BENEATH);
  try("BENEATH abs symlink", d, "abs", O_RDONLY, RESOLVE_BENEATH);
  try("BENEATH rel symlink", d, "rel", O_RDONLY, RESOLVE_BENEATH);
  try("BENEATH up symlink", d, "up/x", O_RDONLY, RESOLVE_BENEATH);
  try("IN_ROOT ../f", d, "../f", O_RDONLY, RESOLVE_IN_ROOT);
  try("IN_ROOT /f", d, "/f", O_RDONLY, RESOLVE_IN_ROOT);
  try("IN_ROOT abs symlink", d, "abs", O_RDONLY, RESOLVE_IN_ROOT);
  try("NO_SYMLINKS rel", d, "rel", O_RDONLY, RESOLVE_NO_SYMLINKS);
  try("NO_SYMLINKS O_PATH|O_NOFOLLOW", d, "rel", O_PATH | O_NOFOLLOW, RESOLVE_NO_SYMLINKS);
  try("NO_SYMLINKS plain", d, "sub", O_RDONLY, RESOLVE_NO_SYMLINKS);
  try("loop", d, "loop", O_RDONLY, 0);
  try("bad resolve bit", d, "f", O_RDONLY, 1ULL << 40);
  try("bad flag bit", d, "f", 1ULL << 40, 0);
  try("mode without O_CREAT", d, "f", O_RDONLY, 0);
  try("CACHED", d, "f", O_RDONLY, RESOLVE_CACHED);
  struct open_how small = {0};
  long r = syscall(SYS_openat2, d, "f", &small, 8);
  printf("%-40s %s\n", "size 8", r >= 0 ? "ok" : name(errno));
  char big[64] = {0};
  big[40] = 1;
  r = syscall(SYS_openat2, d, "f", big, sizeof big);
  printf("%-40s %s\n", "nonzero tail", r >= 0 ? "ok" : name(errno));
  r = syscall(SYS_openat2, d, "f", (void *)1, sizeof(struct open_how));
  printf("%-40s %s\n", "bad how pointer", r >= 0 ? "ok" : name(errno));
  close(d);
  unlink("d/f"); unlink("d/rel"); unlink("d/abs"); unlink("d/up"); unlink("d/loop");
  rmdir("d/sub"); rmdir("d");
  if (chdir("..") || rmdir(tmpl)) return 1;
  return 0;
}
