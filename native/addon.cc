// starry.node: the native core of starry-sandbox. Its only importer is src/engine/native.ts.
//   launch({path, argv, envp, cwd, traceAll}, records, onEvents, onNotifs)
//   respond(slot, value) / continueSyscall(slot) / addFd(slot, src, target, cloexec, send)
//   idValid(slot) / traceReply(tid, action, value, [new args, undefined = keep])
//   readMem(pid, addr, u8, off, len) / writeMem(...) / readString(pid, addr, u8, off, max)
//   hostSyscall(nr, a0..a5) / addressOf(u8) / close()
//   watch(fd, cb) / arm(watch, events) / unwatch(watch): readiness of host descriptors
//   sendFds(sock, u8, off, len, fds) / recvFds(sock, u8, off, len): SCM_RIGHTS (fdpass.cc)
#include <errno.h>
#include <signal.h>
#include <chrono>
#include <fcntl.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "common.h"

namespace starry {

State G;

static void OnAsync(uv_async_t *) { DrainAll(G.env); }

static std::vector<std::string> StringArray(Napi::Value v) {
  std::vector<std::string> out;
  if (!v.IsArray()) return out;
  Napi::Array a = v.As<Napi::Array>();
  for (uint32_t i = 0; i < a.Length(); i++) out.push_back(a.Get(i).ToString().Utf8Value());
  return out;
}

static Napi::Value Launch(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (G.tracer.joinable() || G.asyncOpen) {
    Napi::Error::New(env, "starry: a sandbox is already running in this process").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Object o = info[0].As<Napi::Object>();
  G.params.path = o.Get("path").ToString().Utf8Value();
  G.params.argv = StringArray(o.Get("argv"));
  G.params.envp = StringArray(o.Get("envp"));
  G.params.cwd = o.Get("cwd").ToString().Utf8Value();
  G.params.traceAll = o.Get("traceAll").ToBoolean();
  Napi::Uint32Array recs = info[1].As<Napi::Uint32Array>();
  if (recs.ElementLength() < (size_t)kMaxBatch * kRecordWords) {
    Napi::TypeError::New(env, "records array too small").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  G.records = recs.Data();
  G.recordsRef = Napi::Persistent(recs);
  G.onEvents = Napi::Persistent(info[2].As<Napi::Function>());
  G.onNotifs = Napi::Persistent(info[3].As<Napi::Function>());
  G.env = env;
  G.stopping = false;
  // Orphaned guests come to us, not to the host's init: the tracer reaps them with the rest,
  // as a container's init would (PR_SET_CHILD_SUBREAPER, prctl(2)).
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  uv_loop_t *loop;
  napi_get_uv_event_loop(env, &loop);
  uv_async_init(loop, &G.async, OnAsync);
  G.asyncOpen = true;
  G.tracer = std::thread(TracerMain);
  return env.Undefined();
}

static Napi::Value TraceReplyFn(const Napi::CallbackInfo &info) {
  TraceReply r;
  int tid = info[0].As<Napi::Number>().Int32Value();
  r.action = info[1].As<Napi::Number>().Int32Value();
  r.value = info[2].As<Napi::Number>().Int64Value();
  if (info.Length() > 3 && info[3].IsArray()) {
    Napi::Array a = info[3].As<Napi::Array>();
    for (uint32_t i = 0; i < 6 && i < a.Length(); i++) {
      Napi::Value v = a.Get(i);
      if (v.IsNumber()) {
        r.setArg[i] = true;
        r.args[i] = (uint64_t)v.As<Napi::Number>().Int64Value();
      }
    }
  }
  {
    std::lock_guard<std::mutex> lock(G.replyMu);
    G.replies[tid] = r;
  }
  G.replyCv.notify_all();
  return info.Env().Undefined();
}

// References must go while the environment lives: a static State outlives it, and deleting a
// reference at exit, after the environment, is undefined behaviour.
static void ReleaseReferences() {
  G.onEvents.Reset();
  G.onNotifs.Reset();
  G.recordsRef.Reset();
  G.records = nullptr;
}

static Napi::Value Close(const Napi::CallbackInfo &info) {
  G.stopping = true;
  G.replyCv.notify_all();
  StopPolling();
  if (G.asyncOpen) {
    G.asyncOpen = false;
    uv_close((uv_handle_t *)&G.async, nullptr);
  }
  if (G.tracer.joinable()) G.tracer.join();
  ReleaseReferences();
  return info.Env().Undefined();
}

static uint64_t U64(const Napi::Value &v) { return (uint64_t)v.As<Napi::Number>().Int64Value(); }

// The arguments every memory call takes: (pid, addr, u8, off, len); false if off+len overflows u8.
struct MemArgs {
  pid_t pid;
  uint64_t addr;
  uint8_t *data;
  size_t len;
};
static bool ParseMem(const Napi::CallbackInfo &info, MemArgs &m) {
  m.pid = info[0].As<Napi::Number>().Int32Value();
  m.addr = U64(info[1]);
  Napi::Uint8Array buf = info[2].As<Napi::Uint8Array>();
  size_t off = info[3].As<Napi::Number>().Uint32Value();
  m.len = info[4].As<Napi::Number>().Uint32Value();
  m.data = buf.Data() + off;
  return off + m.len <= buf.ByteLength();
}

// readMem/writeMem(pid, addr, u8, off, len) -> bytes copied (short at a fault), or -errno
static Napi::Value Transfer(const Napi::CallbackInfo &info, bool write) {
  MemArgs m;
  if (!ParseMem(info, m)) return Napi::Number::New(info.Env(), -EINVAL);
  iovec local = {m.data, m.len}, remote = {(void *)m.addr, m.len};
  ssize_t n = write ? process_vm_writev(m.pid, &local, 1, &remote, 1, 0) : process_vm_readv(m.pid, &local, 1, &remote, 1, 0);
  return Napi::Number::New(info.Env(), n < 0 ? -errno : (double)n);
}
static Napi::Value ReadMem(const Napi::CallbackInfo &info) { return Transfer(info, false); }
static Napi::Value WriteMem(const Napi::CallbackInfo &info) { return Transfer(info, true); }

// readString(pid, addr, u8, off, max) -> length without the NUL, -EFAULT, or -ENAMETOOLONG when
// no NUL is found within max bytes. Reads page by page so a string that ends just before an
// unmapped page is still read.
static Napi::Value ReadString(const Napi::CallbackInfo &info) {
  MemArgs m;
  if (!ParseMem(info, m)) return Napi::Number::New(info.Env(), -EINVAL);
  pid_t pid = m.pid;
  uint64_t addr = m.addr;
  size_t max = m.len;
  uint8_t *dst = m.data;
  size_t got = 0;
  while (got < max) {
    uint64_t a = addr + got;
    size_t chunk = 4096 - (a & 4095);
    if (chunk > max - got) chunk = max - got;
    iovec local = {dst + got, chunk}, remote = {(void *)a, chunk};
    ssize_t n = process_vm_readv(pid, &local, 1, &remote, 1, 0);
    if (n <= 0) return Napi::Number::New(info.Env(), -EFAULT);
    void *nul = memchr(dst + got, 0, (size_t)n);
    if (nul) return Napi::Number::New(info.Env(), (double)((uint8_t *)nul - dst));
    got += (size_t)n;
  }
  return Napi::Number::New(info.Env(), -ENAMETOOLONG);
}

// hostSyscall(nr, a0..a5): a system call made by the kernel itself (in this process) on host
// objects; pointers are addresses inside buffers the kernel owns (see addressOf).
static Napi::Value HostSyscall(const Napi::CallbackInfo &info) {
  long nr = info[0].As<Napi::Number>().Int64Value();
  long a[6] = {0, 0, 0, 0, 0, 0};
  for (size_t i = 0; i < 6 && i + 1 < info.Length(); i++) a[i] = info[i + 1].As<Napi::Number>().Int64Value();
  long r = syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
  return Napi::Number::New(info.Env(), r < 0 ? -errno : (double)r);
}

// signalInfo(tgid, tid, sig, info, [result]): send sig as tgkill(tgid, tid) (tgid > 0) or
// kill(tid), and have the guest see info (a 128-byte siginfo_t) instead of our tgkill's; with
// result, the call the thread waits in returns it even when the signal interrupts the wait
// (siginfo.cc).
static Napi::Value SignalInfo(const Napi::CallbackInfo &info) {
  int tgid = info[0].As<Napi::Number>().Int32Value();
  int tid = info[1].As<Napi::Number>().Int32Value();
  int sig = info[2].As<Napi::Number>().Int32Value();
  Napi::Uint8Array buf = info[3].As<Napi::Uint8Array>();
  siginfo_t si;
  memset(&si, 0, sizeof si);
  memcpy(&si, buf.Data(), buf.ByteLength() < sizeof si ? buf.ByteLength() : sizeof si);
  si.si_signo = sig;
  bool thread = tgid > 0;
  bool hasResult = info.Length() > 4 && info[4].IsNumber();
  long result = hasResult ? info[4].As<Napi::Number>().Int64Value() : 0;
  QueueSigInfo(tid, thread, si, hasResult, result);
  long r = thread ? syscall(SYS_tgkill, tgid, tid, sig) : syscall(SYS_kill, tid, sig);
  if (r < 0) {
    int e = errno;
    DropSigInfo(tid, thread, sig);
    return Napi::Number::New(info.Env(), -e);
  }
  return Napi::Number::New(info.Env(), 0);
}

static Napi::Value AddressOf(const Napi::CallbackInfo &info) {
  Napi::Uint8Array buf = info[0].As<Napi::Uint8Array>();
  return Napi::Number::New(info.Env(), (double)(uintptr_t)buf.Data());
}

// interrupt(tid, [mask]): have the tracer thread PTRACE_INTERRUPT tid, and wait until it has.
// The kernel does this before it ends a parked call with -ERESTART*: the thread then leaves the
// kernel through the signal path, so the code never reaches user space even when the signal
// that prompted it went to another thread (it restarts instead). mask (a BigInt): the signal
// mask of the wait that ends (waitmask.cc). Bounded: after 200 ms the caller goes on.
static Napi::Value Interrupt(const Napi::CallbackInfo &info) {
  int tid = info[0].As<Napi::Number>().Int32Value();
  State::IntRequest req{tid, false, 0};
  if (info.Length() > 1 && info[1].IsBigInt()) {
    bool lossless;
    req.hasMask = true;
    req.mask = info[1].As<Napi::BigInt>().Uint64Value(&lossless);
  }
  int tracer = G.tracerTid.load();
  if (tracer <= 0 || G.stopping.load()) return Napi::Boolean::New(info.Env(), false);
  std::unique_lock<std::mutex> lock(G.intMu);
  G.intQueue.push_back(req);
  uint64_t seq = ++G.intSeq;
  G.intPending = true;
  {
    std::lock_guard<std::mutex> r(G.replyMu);  // a tracer waiting for a reply drains too
  }
  G.replyCv.notify_all();
  bool done = false;
  for (int i = 0; i < 40 && !done; i++) {
    syscall(SYS_tgkill, getpid(), tracer, SIG_TRACER_WAKE);
    done = G.intCv.wait_for(lock, std::chrono::milliseconds(5), [&] { return G.intDone >= seq; });
  }
  return Napi::Boolean::New(info.Env(), done);
}

// filterProgram(traceAll): the seccomp-BPF program launch installs, as [code, jt, jf, k, ...],
// so tests can audit exactly what runs natively.
static Napi::Value FilterProgram(const Napi::CallbackInfo &info) {
  std::vector<sock_filter> f = BuildFilter(info[0].As<Napi::Boolean>().Value());
  Napi::Array out = Napi::Array::New(info.Env(), f.size() * 4);
  for (size_t i = 0; i < f.size(); i++) {
    out.Set((uint32_t)(4 * i), Napi::Number::New(info.Env(), f[i].code));
    out.Set((uint32_t)(4 * i + 1), Napi::Number::New(info.Env(), f[i].jt));
    out.Set((uint32_t)(4 * i + 2), Napi::Number::New(info.Env(), f[i].jf));
    out.Set((uint32_t)(4 * i + 3), Napi::Number::New(info.Env(), f[i].k));
  }
  return out;
}

static void Cleanup(void *) {
  // Node is going away: wake the tracer if it waits for a reply. Tracees die by EXITKILL
  // when the tracer thread goes.
  G.stopping = true;
  G.replyCv.notify_all();
  if (G.tracer.joinable()) G.tracer.detach();
  ReleaseReferences();
}

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  napi_add_env_cleanup_hook(env, Cleanup, nullptr);
  exports.Set("launch", Napi::Function::New(env, Launch));
  exports.Set("respond", Napi::Function::New(env, Respond));
  exports.Set("continueSyscall", Napi::Function::New(env, Continue));
  exports.Set("addFd", Napi::Function::New(env, AddFd));
  exports.Set("idValid", Napi::Function::New(env, IdValid));
  exports.Set("traceReply", Napi::Function::New(env, TraceReplyFn));
  exports.Set("readMem", Napi::Function::New(env, ReadMem));
  exports.Set("writeMem", Napi::Function::New(env, WriteMem));
  exports.Set("readString", Napi::Function::New(env, ReadString));
  exports.Set("hostSyscall", Napi::Function::New(env, HostSyscall));
  exports.Set("addressOf", Napi::Function::New(env, AddressOf));
  exports.Set("close", Napi::Function::New(env, Close));
  exports.Set("watch", Napi::Function::New(env, WatchFd));
  exports.Set("arm", Napi::Function::New(env, ArmWatch));
  exports.Set("unwatch", Napi::Function::New(env, Unwatch));
  exports.Set("interrupt", Napi::Function::New(env, Interrupt));
  exports.Set("signalInfo", Napi::Function::New(env, SignalInfo));
  exports.Set("sendFds", Napi::Function::New(env, SendFds));
  exports.Set("recvFds", Napi::Function::New(env, RecvFds));
  exports.Set("filterProgram", Napi::Function::New(env, FilterProgram));
  exports.Set("recordWords", Napi::Number::New(env, kRecordWords));
  exports.Set("maxBatch", Napi::Number::New(env, kMaxBatch));
  return exports;
}

}  // namespace starry

static Napi::Object InitModule(Napi::Env env, Napi::Object exports) { return starry::Init(env, exports); }
NODE_API_MODULE(starry, InitModule)
