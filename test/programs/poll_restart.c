/* A poll ended by a signal with no handler restarts and keeps its deadline (restart_block). */
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>
int main(void){int p[2];pipe(p);signal(SIGCHLD,SIG_DFL);
if(!fork()){usleep(100000);_exit(0);}  /* SIGCHLD, default action: poll restarts transparently */
struct timespec a,b;clock_gettime(CLOCK_MONOTONIC,&a);struct pollfd f={p[0],POLLIN,0};int r=poll(&f,1,400);
clock_gettime(CLOCK_MONOTONIC,&b);double ms=(b.tv_sec-a.tv_sec)*1e3+(b.tv_nsec-a.tv_nsec)/1e6;
printf("poll=%d elapsed<700ms: %s elapsed>=380ms: %s\n",r,ms<700?"yes":"no",ms>=380?"yes":"no");wait(0);return 0;}
