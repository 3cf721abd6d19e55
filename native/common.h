// Shared state of the starry addon. One sandbox per Node process: the addon owns one tracer
// thread (ptrace), one seccomp listener (user notifications, served on the JS thread) and one
// queue of tracer events delivered to JavaScript in order, always before notifications.
#pragma once
#include <napi.h>
#include <uv.h>
#include <linux/filter.h>
#include <signal.h>
#include <stdint.h>
#include <sys/types.h>

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace starry {

// Kinds of tracer events (mirrored in src/engine/native.ts).
enum EventKind {
  EV_SPAWNED = 1,    // tid = first guest pid
  EV_CLONE = 2,      // tid = parent, a = child tid, b = clone flags, c = syscall nr
  EV_EXEC = 3,       // tid = pid after exec, a = former tid
  EV_EXIT = 4,       // tid = exited task, a = raw wait status
  EV_SIGNAL = 5,     // tid, a = signal about to be delivered
  EV_GROUP_STOP = 6, // tid, a = stopping signal
  EV_SECCOMP = 7,    // tid, regs = {nr, a0..a5, rsp}; JS must answer with traceReply(tid, ...)
  EV_DONE = 8,       // no tracees left
  EV_ERROR = 9,      // msg
};

struct Event {
  int kind = 0;
  int tid = 0;
  int64_t a = 0, b = 0, c = 0;
  uint64_t regs[8] = {0};
  std::string msg;
};

// What JS asks the tracer to do with a task stopped at a SECCOMP_RET_TRACE stop.
enum TraceAction { TA_CONTINUE = 0, TA_RETURN = 1, TA_SET_ARGS = 2 };
struct TraceReply {
  int action = TA_CONTINUE;
  int64_t value = 0;
  bool setArg[6] = {false, false, false, false, false, false};
  uint64_t args[6] = {0, 0, 0, 0, 0, 0};
};

struct LaunchParams {
  std::string path;
  std::vector<std::string> argv, envp;
  std::string cwd;
  bool traceAll = false;
};

constexpr int kRecordWords = 16;  // u32 words per notification record
constexpr int kMaxBatch = 64;

struct State {
  // events: tracer thread -> JS
  std::mutex mu;
  std::vector<Event> queue;
  uv_async_t async;
  bool asyncOpen = false;

  // replies: JS -> tracer thread (SECCOMP_RET_TRACE stops only; rare)
  std::mutex replyMu;
  std::condition_variable replyCv;
  std::map<int, TraceReply> replies;
  std::atomic<bool> stopping{false};

  // interrupts: JS -> tracer thread. PTRACE_INTERRUPT a thread the kernel ends a parked call
  // of, so it passes through the signal path on its way out (see Interrupt in addon.cc).
  std::mutex intMu;
  std::condition_variable intCv;
  // each with the signal mask of the wait it ends (ppoll & co), when it has one (waitmask.cc)
  struct IntRequest {
    int tid;
    bool hasMask;
    uint64_t mask;
  };
  std::vector<IntRequest> intQueue;
  uint64_t intSeq = 0, intDone = 0;
  std::atomic<bool> intPending{false};
  std::atomic<int> tracerTid{0};

  // user notifications, JS thread only
  int listenerFd = -1;
  uv_poll_t poll;
  bool pollOpen = false;
  // set once polling stopped: the handle is closing, and a uv_poll_init on it before libuv has
  // finished the close aborts the process (uv__finish_close); the listener is done by then
  bool pollStopped = false;
  uint32_t *records = nullptr;  // kMaxBatch * kRecordWords, a JS Uint32Array
  Napi::Reference<Napi::Uint32Array> recordsRef;
  std::vector<uint64_t> slotIds;
  std::vector<uint32_t> freeSlots;

  Napi::FunctionReference onEvents, onNotifs;
  napi_env env = nullptr;
  std::thread tracer;
  LaunchParams params;
};

extern State G;

// The signal that wakes the tracer thread out of waitpid to take interrupt requests.
#define SIG_TRACER_WAKE (SIGRTMIN + 7)
void DrainInterrupts();

// filter.cc
std::vector<sock_filter> BuildFilter(bool traceAll);
// spawn.cc: runs in the forked child; never returns
[[noreturn]] void ChildMain(const LaunchParams &p, char *const *argv, char *const *envp,
                            const sock_fprog *prog, int syncFd);
// tracer.cc
void TracerMain();
void PostEvent(Event &&ev);
// waitmask.cc: the signal mask of ppoll, pselect6, epoll_pwait, epoll_pwait2 (tracer thread)
// Each returns or takes how to resume the thread: PTRACE_CONT, PTRACE_SYSCALL (to see the
// restarted call's entry) or PTRACE_SINGLESTEP (to see the handler's frame).
struct SignalResume {
  int request;
  int sig;  // the signal to deliver (0: none)
};
void ArmWaitMask(pid_t tid, uint64_t mask);
int WaitMaskAtInterrupt(pid_t tid);
SignalResume WaitMaskAtSignal(pid_t tid, int sig);
bool WaitMaskAtStep(pid_t tid, int sig);
void WaitMaskAtSyscall(pid_t tid);
void ForgetWaitMask(pid_t tid);
// siginfo.cc: the siginfo of signals the Starry kernel raises (JS thread queues, tracer applies)
void QueueSigInfo(int target, bool thread, const siginfo_t &info, bool hasResult, long result);
void DropSigInfo(int target, bool thread, int sig);
void ApplySigInfo(pid_t tid, int sig);
void ForgetSigInfo(pid_t tid);
// notify.cc
void StartPolling(napi_env env);
void StopPolling();
void DrainAll(napi_env env);
void ReportPendingException(Napi::Env env);
Napi::Value Respond(const Napi::CallbackInfo &info);
Napi::Value Continue(const Napi::CallbackInfo &info);
Napi::Value AddFd(const Napi::CallbackInfo &info);
Napi::Value IdValid(const Napi::CallbackInfo &info);
// watch.cc
Napi::Value WatchFd(const Napi::CallbackInfo &info);
Napi::Value ArmWatch(const Napi::CallbackInfo &info);
Napi::Value Unwatch(const Napi::CallbackInfo &info);
// fdpass.cc
Napi::Value SendFds(const Napi::CallbackInfo &info);
Napi::Value RecvFds(const Napi::CallbackInfo &info);

}  // namespace starry
