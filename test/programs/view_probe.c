/* Prints each file named on the command line, or the errno that opening it gave; "ls:DIR"
 * lists a directory (sorted). Used static, inside images that hold nothing else. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    if (strncmp(argv[i], "ls:", 3) == 0) {
      DIR *d = opendir(argv[i] + 3);
      if (!d) { printf("%s: errno %d\n", argv[i], errno); continue; }
      char *names[256]; int n = 0; struct dirent *e;
      while ((e = readdir(d)) && n < 256) if (e->d_name[0] != '.') names[n++] = strdup(e->d_name);
      closedir(d);
      qsort(names, n, sizeof *names, cmp);
      for (int k = 0; k < n; k++) printf("%s%s", k ? " " : "", names[k]);
      printf("\n");
      continue;
    }
    int fd = open(argv[i], O_RDONLY);
    if (fd < 0) { printf("%s: errno %d\n", argv[i], errno); continue; }
    char buf[4096]; ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0) fwrite(buf, 1, n, stdout);
    close(fd);
  }
  return 0;
}
