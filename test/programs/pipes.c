/* pipes: pipe2 flags, EAGAIN, EOF, EPIPE/SIGPIPE, F_GETPIPE_SZ, bulk transfer, PIPE_BUF writes. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

#define CHECK(label, expr) do { errno = 0; long _r = (long)(expr); \
	printf("%-40s -> %ld %s\n", label, _r, _r < 0 ? errname(errno) : ""); } while (0)

static uint32_t mix(uint32_t h, unsigned char c) { return (h ^ c) * 16777619u; }
static unsigned char pattern(long i) { return (unsigned char)((i * 7 + (i >> 8)) & 0xff); }

int main(void)
{
	int p[2];
	char buf[4096];
	setvbuf(stdout, NULL, _IONBF, 0);

	/* pipe2 flags */
	CHECK("pipe2(O_CLOEXEC|O_NONBLOCK)", pipe2(p, O_CLOEXEC | O_NONBLOCK));
	printf("read end: cloexec=%d nonblock=%d acc=%s\n", fcntl(p[0], F_GETFD) & FD_CLOEXEC,
	       !!(fcntl(p[0], F_GETFL) & O_NONBLOCK), (fcntl(p[0], F_GETFL) & O_ACCMODE) == O_RDONLY ? "RDONLY" : "other");
	printf("write end: cloexec=%d nonblock=%d acc=%s\n", fcntl(p[1], F_GETFD) & FD_CLOEXEC,
	       !!(fcntl(p[1], F_GETFL) & O_NONBLOCK), (fcntl(p[1], F_GETFL) & O_ACCMODE) == O_WRONLY ? "WRONLY" : "other");

	/* EAGAIN on empty non-blocking read */
	CHECK("read empty nonblocking", read(p[0], buf, sizeof buf));
	CHECK("write 5 bytes", write(p[1], "hello", 5));
	CHECK("read (5 available, ask 4096)", read(p[0], buf, sizeof buf));
	CHECK("write to read end", write(p[0], "x", 1));
	CHECK("read from write end", read(p[1], buf, 1));
	CHECK("lseek on pipe", lseek(p[0], 0, SEEK_SET));

	/* F_GETPIPE_SZ and fill until EAGAIN */
	long sz = fcntl(p[1], F_GETPIPE_SZ);
	printf("F_GETPIPE_SZ = %ld\n", sz);
	long filled = 0;
	memset(buf, 'a', sizeof buf);
	for (;;) {
		ssize_t n = write(p[1], buf, sizeof buf);
		if (n < 0) { printf("fill stopped with %s\n", errname(errno)); break; }
		filled += n;
		if (filled > 10 * 1024 * 1024) break;
	}
	printf("filled == pipe size: %s\n", filled == sz ? "yes" : "no");
	CHECK("F_SETPIPE_SZ 8192", fcntl(p[1], F_SETPIPE_SZ, 8192) < 0 ? -1 : 0);
	/* drain */
	long drained = 0;
	for (;;) {
		ssize_t n = read(p[0], buf, sizeof buf);
		if (n <= 0) break;
		drained += n;
	}
	printf("drained == filled: %s\n", drained == filled ? "yes" : "no");
	CHECK("F_SETPIPE_SZ 8192 (empty)", fcntl(p[1], F_SETPIPE_SZ, 8192));
	printf("F_GETPIPE_SZ after set = %d\n", fcntl(p[0], F_GETPIPE_SZ));
	CHECK("F_SETPIPE_SZ 65536", fcntl(p[1], F_SETPIPE_SZ, 65536));
	close(p[0]);
	close(p[1]);

	/* EOF after writer closes */
	pipe(p);
	write(p[1], "xyz", 3);
	close(p[1]);
	CHECK("read with data, writer closed", read(p[0], buf, sizeof buf));
	CHECK("read after EOF", read(p[0], buf, sizeof buf));
	CHECK("read after EOF again", read(p[0], buf, sizeof buf));
	close(p[0]);

	/* EPIPE with SIGPIPE ignored */
	signal(SIGPIPE, SIG_IGN);
	pipe(p);
	close(p[0]);
	CHECK("write, reader closed, SIGPIPE ignored", write(p[1], "x", 1));
	close(p[1]);
	signal(SIGPIPE, SIG_DFL);

	/* SIGPIPE default kills a child */
	pipe(p);
	close(p[0]);
	pid_t c = fork();
	if (c == 0) {
		write(p[1], "x", 1);
		_exit(0);
	}
	close(p[1]);
	int st;
	waitpid(c, &st, 0);
	if (WIFSIGNALED(st))
		printf("child killed by signal %d (%s)\n", WTERMSIG(st), WTERMSIG(st) == SIGPIPE ? "SIGPIPE" : "other");
	else
		printf("child exited %d\n", WEXITSTATUS(st));

	/* SIGPIPE blocked: EPIPE returned, signal stays pending */
	{
		sigset_t s, old;
		sigemptyset(&s);
		sigaddset(&s, SIGPIPE);
		sigprocmask(SIG_BLOCK, &s, &old);
		pipe(p);
		close(p[0]);
		CHECK("write, reader closed, SIGPIPE blocked", write(p[1], "x", 1));
		sigset_t pend;
		sigpending(&pend);
		printf("SIGPIPE pending: %d\n", sigismember(&pend, SIGPIPE));
		close(p[1]);
		signal(SIGPIPE, SIG_IGN); /* discard pending */
		sigprocmask(SIG_SETMASK, &old, NULL);
		signal(SIGPIPE, SIG_DFL);
	}

	/* 200000 bytes from a child to the parent, in order */
	{
		const long total = 200000;
		pipe(p);
		pid_t w = fork();
		if (w == 0) {
			close(p[0]);
			unsigned char out[3001];
			long i = 0;
			while (i < total) {
				long chunk = total - i < (long)sizeof out ? total - i : (long)sizeof out;
				for (long k = 0; k < chunk; k++) out[k] = pattern(i + k);
				long off = 0;
				while (off < chunk) {
					ssize_t n = write(p[1], out + off, chunk - off);
					if (n < 0) _exit(2);
					off += n;
				}
				i += chunk;
			}
			_exit(0);
		}
		close(p[1]);
		long got = 0, bad = 0;
		uint32_t h = 2166136261u, hexp = 2166136261u;
		unsigned char in[1777];
		ssize_t n;
		while ((n = read(p[0], in, sizeof in)) > 0) {
			for (ssize_t k = 0; k < n; k++) {
				if (in[k] != pattern(got + k)) bad++;
				h = mix(h, in[k]);
			}
			got += n;
		}
		for (long i = 0; i < total; i++) hexp = mix(hexp, pattern(i));
		close(p[0]);
		waitpid(w, &st, 0);
		printf("bulk: received %ld bytes, mismatches %ld, checksum %s, writer status %d\n",
		       got, bad, h == hexp ? "ok" : "BAD", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	}

	/* PIPE_BUF-sized writes from several children are atomic */
	{
		printf("PIPE_BUF = %d\n", PIPE_BUF);
		pipe(p);
		const int nwriters = 4, per = 20;
		for (int wi = 0; wi < nwriters; wi++) {
			if (fork() == 0) {
				close(p[0]);
				char blk[PIPE_BUF];
				memset(blk, 'A' + wi, sizeof blk);
				for (int j = 0; j < per; j++) {
					ssize_t n = write(p[1], blk, sizeof blk);
					if (n != PIPE_BUF) _exit(1);
				}
				_exit(0);
			}
		}
		close(p[1]);
		/* read block by block; each PIPE_BUF chunk must be uniform */
		long blocks = 0, torn = 0, counts[4] = { 0 };
		char blk[PIPE_BUF];
		for (;;) {
			long off = 0;
			ssize_t n = 0;
			while (off < PIPE_BUF && (n = read(p[0], blk + off, PIPE_BUF - off)) > 0)
				off += n;
			if (off == 0) break;
			if (off != PIPE_BUF) { torn++; break; }
			blocks++;
			for (int k = 1; k < PIPE_BUF; k++) if (blk[k] != blk[0]) { torn++; break; }
			if (blk[0] >= 'A' && blk[0] < 'A' + nwriters) counts[blk[0] - 'A']++;
		}
		close(p[0]);
		int ok = 0;
		while (wait(&st) > 0) if (WIFEXITED(st) && WEXITSTATUS(st) == 0) ok++;
		printf("atomic: blocks=%ld torn=%ld per-writer=%ld,%ld,%ld,%ld writers-ok=%d\n",
		       blocks, torn, counts[0], counts[1], counts[2], counts[3], ok);
	}

	/* non-blocking write of PIPE_BUF into an almost-full pipe: EAGAIN, no partial */
	{
		pipe2(p, O_NONBLOCK);
		long cap = fcntl(p[1], F_GETPIPE_SZ);
		char *big = malloc(cap);
		memset(big, 'z', cap);
		ssize_t n = write(p[1], big, cap - 100);
		printf("nonblock write cap-100: %s\n", n == cap - 100 ? "full" : "partial");
		char small[PIPE_BUF];
		memset(small, 'q', sizeof small);
		CHECK("nonblock PIPE_BUF write, 100 free", write(p[1], small, sizeof small));
		CHECK("nonblock 50-byte write, 100 free", write(p[1], small, 50));
		free(big);
		close(p[0]);
		close(p[1]);
	}

	printf("done\n");
	return 0;
}
