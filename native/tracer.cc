// The tracer thread: owns ptrace for every guest task. It forks the first guest, seizes it with
// EXITKILL (nothing outlives us) and reports births, execs, exits, signal and group stops and
// SECCOMP_RET_TRACE stops to JavaScript as events. Signals are passed on, never swallowed.
// It waits only for its own children and tracees (__WNOTHREAD): Node's other children are not
// ours to reap.
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#include <set>

#include "common.h"

#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS SECCOMP_IOW(4, __u64)
#endif
#ifndef SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP 1
#endif

namespace starry {

void PostEvent(Event &&ev) {
  {
    std::lock_guard<std::mutex> lock(G.mu);
    G.queue.push_back(std::move(ev));
  }
  uv_async_send(&G.async);
}

static void PostError(const std::string &msg) {
  Event ev;
  ev.kind = EV_ERROR;
  ev.msg = msg;
  PostEvent(std::move(ev));
}

// Interrupt requests from JS: PTRACE_INTERRUPT each thread named (only this thread may).
void DrainInterrupts() {
  if (!G.intPending.exchange(false)) return;
  std::lock_guard<std::mutex> lock(G.intMu);
  for (const State::IntRequest &r : G.intQueue) {
    if (r.hasMask) ArmWaitMask(r.tid, r.mask);
    ptrace(PTRACE_INTERRUPT, r.tid, 0, 0);
  }
  G.intQueue.clear();
  G.intDone = G.intSeq;
  G.intCv.notify_all();
}

static void OnWakeSignal(int) {}

static TraceReply WaitReply(int tid) {
  std::unique_lock<std::mutex> lock(G.replyMu);
  for (;;) {
    G.replyCv.wait(lock, [&] { return G.stopping.load() || G.replies.count(tid) || G.intPending.load(); });
    if (G.stopping.load() || G.replies.count(tid)) break;
    lock.unlock();
    DrainInterrupts();
    lock.lock();
  }
  TraceReply r;
  auto it = G.replies.find(tid);
  if (it != G.replies.end()) {
    r = it->second;
    G.replies.erase(it);
  }
  return r;
}

static bool TakeListener(pid_t pid) {
  int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
  if (pidfd < 0) return false;
  int fd = (int)syscall(SYS_pidfd_getfd, pidfd, 3, 0);
  close(pidfd);
  if (fd < 0) return false;
  fcntl(fd, F_SETFD, FD_CLOEXEC);
  // Answer on the CPU the guest waits on: ~5 us instead of ~45 us (research/interception-cost.md)
  ioctl(fd, SECCOMP_IOCTL_NOTIF_SET_FLAGS, (unsigned long)SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP);
  G.listenerFd = fd;
  return true;
}

static void OnSeccompStop(pid_t tid) {
  user_regs_struct regs;
  if (ptrace(PTRACE_GETREGS, tid, 0, &regs) < 0) return;  // killed meanwhile
  Event ev;
  ev.kind = EV_SECCOMP;
  ev.tid = tid;
  ev.regs[0] = regs.orig_rax;
  ev.regs[1] = regs.rdi; ev.regs[2] = regs.rsi; ev.regs[3] = regs.rdx;
  ev.regs[4] = regs.r10; ev.regs[5] = regs.r8; ev.regs[6] = regs.r9;
  ev.regs[7] = regs.rsp;
  PostEvent(std::move(ev));
  TraceReply r = WaitReply(tid);
  if (r.action == TA_RETURN) {
    regs.orig_rax = (unsigned long long)-1;
    regs.rax = (unsigned long long)r.value;
    ptrace(PTRACE_SETREGS, tid, 0, &regs);
  } else if (r.action == TA_SET_ARGS) {
    unsigned long long *slot[] = {&regs.rdi, &regs.rsi, &regs.rdx, &regs.r10, &regs.r8, &regs.r9};
    for (int i = 0; i < 6; i++) if (r.setArg[i]) *slot[i] = r.args[i];
    ptrace(PTRACE_SETREGS, tid, 0, &regs);
  }
}

// Calls that may wait in Linux (and in the Starry kernel), which a signal may end with EINTR.
static bool MayBlock(long nr) {
  switch (nr) {
    case SYS_read: case SYS_write: case SYS_readv: case SYS_writev: case SYS_pread64:
    case SYS_pwrite64: case SYS_preadv: case SYS_pwritev: case SYS_preadv2: case SYS_pwritev2:
    case SYS_poll: case SYS_ppoll: case SYS_select: case SYS_pselect6: case SYS_epoll_wait:
    case SYS_epoll_pwait: case SYS_epoll_pwait2: case SYS_wait4: case SYS_waitid: case SYS_accept:
    case SYS_accept4: case SYS_connect: case SYS_recvfrom: case SYS_recvmsg: case SYS_recvmmsg:
    case SYS_sendto: case SYS_sendmsg: case SYS_sendmmsg: case SYS_futex: case SYS_futex_waitv:
    case SYS_nanosleep: case SYS_clock_nanosleep: case SYS_pause: case SYS_rt_sigsuspend:
    case SYS_rt_sigtimedwait: case SYS_flock: case SYS_msgrcv: case SYS_msgsnd: case SYS_semop:
    case SYS_semtimedop: case SYS_sendfile: case SYS_splice: case SYS_tee: case SYS_copy_file_range:
      return true;
    default:
      return false;
  }
}

static uint64_t CloneFlags(pid_t tid, const user_regs_struct &regs) {
  switch (regs.orig_rax) {
    case SYS_clone: return regs.rdi;
    case SYS_clone3: {
      uint64_t flags = 0;
      iovec local = {&flags, sizeof flags}, remote = {(void *)regs.rdi, sizeof flags};
      process_vm_readv(tid, &local, 1, &remote, 1, 0);
      return flags;
    }
    case SYS_vfork: return CLONE_VM | CLONE_VFORK | SIGCHLD;
    default: return SIGCHLD;  // fork
  }
}

void TracerMain() {
  sigset_t all;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, nullptr);
  // Only the wake signal gets through, to end a waitpid (no SA_RESTART) with EINTR.
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = OnWakeSignal;
  sigaction(SIG_TRACER_WAKE, &sa, nullptr);
  sigset_t wake;
  sigemptyset(&wake);
  sigaddset(&wake, SIG_TRACER_WAKE);
  pthread_sigmask(SIG_UNBLOCK, &wake, nullptr);
  G.tracerTid = (int)syscall(SYS_gettid);
  const LaunchParams &p = G.params;

  std::vector<char *> argv, envp;
  for (auto &s : p.argv) argv.push_back((char *)s.c_str());
  argv.push_back(nullptr);
  for (auto &s : p.envp) envp.push_back((char *)s.c_str());
  envp.push_back(nullptr);
  std::vector<sock_filter> filter = BuildFilter(p.traceAll);
  sock_fprog prog = {(unsigned short)filter.size(), filter.data()};

  int sync[2];
  if (pipe2(sync, O_CLOEXEC) < 0) {
    PostError(std::string("pipe2: ") + strerror(errno));
    return;
  }
  pid_t pid = fork();
  if (pid == 0) ChildMain(p, argv.data(), envp.data(), &prog, sync[0]);
  close(sync[0]);
  if (pid < 0) {
    close(sync[1]);
    PostError(std::string("fork: ") + strerror(errno));
    return;
  }
  long opts = PTRACE_O_TRACESECCOMP | PTRACE_O_TRACECLONE | PTRACE_O_TRACEFORK |
              PTRACE_O_TRACEVFORK | PTRACE_O_TRACEEXEC | PTRACE_O_EXITKILL | PTRACE_O_TRACESYSGOOD;
  if (ptrace(PTRACE_SEIZE, pid, 0, opts) < 0) {
    int e = errno;
    close(sync[1]);  // the child sees EOF and exits
    waitpid(pid, nullptr, __WALL);
    PostError(std::string("ptrace(PTRACE_SEIZE): ") + strerror(e));
    Event done;
    done.kind = EV_DONE;
    PostEvent(std::move(done));
    return;
  }
  Event spawned;
  spawned.kind = EV_SPAWNED;
  spawned.tid = pid;
  PostEvent(std::move(spawned));
  if (write(sync[1], "g", 1) != 1) PostError("sync write failed");
  close(sync[1]);

  std::set<pid_t> announced;    // children whose parent's clone event was posted
  std::set<pid_t> waitingStart; // children stopped at their first stop, not yet announced
  for (;;) {
    int st = 0;
    DrainInterrupts();
    pid_t t = waitpid(-1, &st, __WALL | __WNOTHREAD);
    if (t < 0) {
      if (errno == EINTR) continue;
      break;  // ECHILD: no tracees left
    }
    if (WIFEXITED(st) || WIFSIGNALED(st)) {
      ForgetWaitMask(t);
      ForgetSigInfo(t);
      announced.erase(t);
      waitingStart.erase(t);
      Event ev;
      ev.kind = EV_EXIT;
      ev.tid = t;
      ev.a = st;
      PostEvent(std::move(ev));
      continue;
    }
    if (!WIFSTOPPED(st)) continue;
    int sig = WSTOPSIG(st);
    int event = (st >> 16) & 0xff;
    switch (event) {
      case PTRACE_EVENT_SECCOMP:
        if (G.listenerFd < 0 && t == pid) {
          // The first guest's exec: its listener becomes ours before anything else runs.
          if (!TakeListener(pid)) PostError(std::string("pidfd_getfd(listener): ") + strerror(errno));
        }
        OnSeccompStop(t);
        ptrace(PTRACE_CONT, t, 0, 0);
        break;
      case PTRACE_EVENT_FORK:
      case PTRACE_EVENT_VFORK:
      case PTRACE_EVENT_CLONE: {
        unsigned long child = 0;
        ptrace(PTRACE_GETEVENTMSG, t, 0, &child);
        user_regs_struct regs;
        memset(&regs, 0, sizeof regs);
        ptrace(PTRACE_GETREGS, t, 0, &regs);
        Event ev;
        ev.kind = EV_CLONE;
        ev.tid = t;
        ev.a = (int64_t)child;
        ev.b = (int64_t)CloneFlags(t, regs);
        ev.c = (int64_t)regs.orig_rax;
        PostEvent(std::move(ev));
        announced.insert((pid_t)child);
        if (waitingStart.erase((pid_t)child)) ptrace(PTRACE_CONT, (pid_t)child, 0, 0);
        ptrace(PTRACE_CONT, t, 0, 0);
        break;
      }
      case PTRACE_EVENT_EXEC: {
        unsigned long former = 0;
        ptrace(PTRACE_GETEVENTMSG, t, 0, &former);
        Event ev;
        ev.kind = EV_EXEC;
        ev.tid = t;
        ev.a = (int64_t)former;
        PostEvent(std::move(ev));
        // The kernel checks that the new program is a file of the guest's view before it runs
        // an instruction (TA_RETURN: it is not, and dies here).
        if (WaitReply(t).action == TA_RETURN) kill(t, SIGKILL);
        ptrace(PTRACE_CONT, t, 0, 0);
        break;
      }
      case PTRACE_EVENT_STOP:
        if (sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU) {
          Event ev;
          ev.kind = EV_GROUP_STOP;
          ev.tid = t;
          ev.a = sig;
          PostEvent(std::move(ev));
          ptrace(PTRACE_LISTEN, t, 0, 0);
        } else if (t == pid || announced.count(t)) {
          // an interrupt that ends a wait with a signal mask (waitmask.cc)
          ptrace((__ptrace_request)WaitMaskAtInterrupt(t), t, 0, 0);
        } else {
          waitingStart.insert(t);  // resumed when its parent's clone event is posted
        }
        break;
      default:
        if (event == 0 && sig == (SIGTRAP | 0x80)) {  // a syscall-stop: only waitmask.cc asks for one
          WaitMaskAtSyscall(t);
          ptrace(PTRACE_CONT, t, 0, 0);
        } else if (event == 0 && WaitMaskAtStep(t, sig)) {  // in the handler of a wait's signal
          ptrace(PTRACE_CONT, t, 0, 0);
        } else if (event == 0) {  // signal-delivery-stop: report, then deliver
          Event ev;
          ev.kind = EV_SIGNAL;
          ev.tid = t;
          ev.a = sig;
          // The interrupted syscall, if any (rax = -ERESTART*): its answer may have been lost
          user_regs_struct regs;
          if (ptrace(PTRACE_GETREGS, t, 0, &regs) == 0) {
            // A signal that arrives while a notification waits to be received interrupts the
            // wait with -ERESTARTSYS: a handler without SA_RESTART would make fork or close fail
            // with EINTR, which Linux never does for calls that do not block. Those restart.
            if ((long long)regs.rax == -512 && !MayBlock((long)regs.orig_rax)) {
              regs.rax = (unsigned long long)-513;  // -ERESTARTNOINTR
              ptrace(PTRACE_SETREGS, t, 0, &regs);
            }
            ev.regs[0] = regs.orig_rax;
            ev.regs[1] = regs.rax;
          }
          PostEvent(std::move(ev));
          ApplySigInfo(t, sig);
          SignalResume r = WaitMaskAtSignal(t, sig);
          ptrace((__ptrace_request)r.request, t, 0, r.sig);
        } else {
          ptrace(PTRACE_CONT, t, 0, 0);
        }
    }
  }
  Event done;
  done.kind = EV_DONE;
  PostEvent(std::move(done));
}

}  // namespace starry
