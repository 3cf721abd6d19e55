// The user-notification path on Node's own thread: the listener fd sits in the event loop
// (uv_poll); every pending notification is received in one batch into a shared Uint32Array and
// handed to JavaScript, which answers each one now or later by slot number. Tracer events are
// always delivered first, so a task's birth or exec is known before its first syscall.
#include <errno.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <signal.h>
#include <sys/ioctl.h>

#include "common.h"

#ifndef SECCOMP_ADDFD_FLAG_SEND
#define SECCOMP_ADDFD_FLAG_SEND (1UL << 1)
#endif

namespace starry {

// A JavaScript exception must never stay pending when control returns to libuv: Node would
// abort at its next entry. The kernel catches its own; this is the last net.
void ReportPendingException(Napi::Env env) {
  if (!env.IsExceptionPending()) return;
  Napi::Error e = env.GetAndClearPendingException();
  fprintf(stderr, "starry-sandbox: internal error in the kernel: %s\n", e.Message().c_str());
}

static void OnReadable(uv_poll_t *h, int status, int events) {
  if (status < 0 || (events & UV_DISCONNECT)) {
    StopPolling();  // every filtered task is gone; the tracer reports the rest
    return;
  }
  DrainAll(G.env);
}

void StartPolling(napi_env env) {
  if (G.pollOpen || G.pollStopped || G.listenerFd < 0) return;
  uv_loop_t *loop;
  napi_get_uv_event_loop(env, &loop);
  uv_poll_init(loop, &G.poll, G.listenerFd);
  uv_poll_start(&G.poll, UV_READABLE | UV_DISCONNECT, OnReadable);
  G.pollOpen = true;
}

void StopPolling() {
  if (!G.pollOpen) return;
  G.pollOpen = false;
  G.pollStopped = true;
  uv_poll_stop(&G.poll);
  uv_close((uv_handle_t *)&G.poll, nullptr);
}

static uint32_t AllocSlot(uint64_t id) {
  if (G.freeSlots.empty()) {
    G.slotIds.push_back(id);
    return (uint32_t)G.slotIds.size() - 1;
  }
  uint32_t s = G.freeSlots.back();
  G.freeSlots.pop_back();
  G.slotIds[s] = id;
  return s;
}

static bool SlotOk(uint32_t slot) { return slot < G.slotIds.size() && G.slotIds[slot] != 0; }

static void FreeSlot(uint32_t slot) {
  G.slotIds[slot] = 0;
  G.freeSlots.push_back(slot);
}

static bool Pending(int fd) {
  pollfd p = {fd, POLLIN, 0};
  return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

static void DeliverEvents(Napi::Env env) {
  std::vector<Event> batch;
  {
    std::lock_guard<std::mutex> lock(G.mu);
    batch.swap(G.queue);
  }
  if (G.listenerFd >= 0 && !G.pollOpen && !G.pollStopped) StartPolling(env);
  if (batch.empty() || G.onEvents.IsEmpty()) return;
  Napi::Array arr = Napi::Array::New(env, batch.size());
  for (size_t i = 0; i < batch.size(); i++) {
    const Event &e = batch[i];
    Napi::Object o = Napi::Object::New(env);
    o.Set("kind", e.kind);
    o.Set("tid", e.tid);
    o.Set("a", (double)e.a);
    o.Set("b", (double)e.b);
    o.Set("c", (double)e.c);
    if (e.kind == EV_SECCOMP || e.kind == EV_SIGNAL) {
      Napi::Array regs = Napi::Array::New(env, 8);
      // signal stops carry rax = -ERESTART*: signed, so small negatives stay exact
      for (uint32_t k = 0; k < 8; k++) regs.Set(k, e.kind == EV_SIGNAL ? (double)(int64_t)e.regs[k] : (double)e.regs[k]);
      o.Set("regs", regs);
    }
    if (!e.msg.empty()) o.Set("msg", e.msg);
    arr.Set((uint32_t)i, o);
  }
  G.onEvents.Call({arr});
  ReportPendingException(env);
}

void DrainAll(napi_env rawEnv) {
  Napi::Env env(rawEnv);
  Napi::HandleScope scope(env);
  DeliverEvents(env);
  if (!G.pollOpen || G.records == nullptr) return;
  for (;;) {
    int n = 0;
    while (n < kMaxBatch && Pending(G.listenerFd)) {
      seccomp_notif req;
      memset(&req, 0, sizeof req);
      if (ioctl(G.listenerFd, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0) {
        if (errno == EINTR || errno == ENOENT) continue;  // the task went away meanwhile
        break;
      }
      uint32_t *r = G.records + n * kRecordWords;
      r[0] = AllocSlot(req.id);
      r[1] = req.pid;
      r[2] = (uint32_t)req.data.nr;
      r[3] = (uint32_t)req.id;  // ids are sequential: a gap is a notification withdrawn unseen
      for (int i = 0; i < 6; i++) {
        r[4 + 2 * i] = (uint32_t)req.data.args[i];
        r[5 + 2 * i] = (uint32_t)(req.data.args[i] >> 32);
      }
      n++;
    }
    // Events posted before these notifications were made (a clone before the child's first
    // syscall, a fork before the parent's next one) must reach the kernel first.
    DeliverEvents(env);
    if (n == 0 || G.onNotifs.IsEmpty()) return;  // the sandbox may have closed meanwhile
    G.onNotifs.Call({Napi::Number::New(env, n)});
    ReportPendingException(env);
    if (n < kMaxBatch) return;
  }
}

static int SendResponse(uint32_t slot, int64_t val, uint32_t flags) {
  if (!SlotOk(slot)) return -EINVAL;
  seccomp_notif_resp resp;
  memset(&resp, 0, sizeof resp);
  resp.id = G.slotIds[slot];
  resp.flags = flags;
  if (!(flags & SECCOMP_USER_NOTIF_FLAG_CONTINUE)) {
    if (val < 0 && val >= -4095) resp.error = (int32_t)val;
    else resp.val = val;
  }
  FreeSlot(slot);
  if (ioctl(G.listenerFd, SECCOMP_IOCTL_NOTIF_SEND, &resp) < 0) return -errno;
  return 0;
}

// respond(slot, value): value >= 0 is the result, -4095..-1 an errno. Returns 0, or -ENOENT when
// the guest thread stopped waiting (a signal interrupted it): the caller must undo its effects.
Napi::Value Respond(const Napi::CallbackInfo &info) {
  uint32_t slot = info[0].As<Napi::Number>().Uint32Value();
  int64_t val = info[1].As<Napi::Number>().Int64Value();
  return Napi::Number::New(info.Env(), SendResponse(slot, val, 0));
}

// continueSyscall(slot): let the host run the call as the guest made it.
Napi::Value Continue(const Napi::CallbackInfo &info) {
  uint32_t slot = info[0].As<Napi::Number>().Uint32Value();
  return Napi::Number::New(info.Env(), SendResponse(slot, 0, SECCOMP_USER_NOTIF_FLAG_CONTINUE));
}

// addFd(slot, srcFd, targetFd, cloexec, send): install our srcFd in the guest at targetFd
// (replacing what is there). With send, the syscall is answered with targetFd atomically.
Napi::Value AddFd(const Napi::CallbackInfo &info) {
  uint32_t slot = info[0].As<Napi::Number>().Uint32Value();
  int src = info[1].As<Napi::Number>().Int32Value();
  int target = info[2].As<Napi::Number>().Int32Value();
  bool cloexec = info[3].ToBoolean();
  bool send = info[4].ToBoolean();
  if (!SlotOk(slot)) return Napi::Number::New(info.Env(), -EINVAL);
  seccomp_notif_addfd a;
  memset(&a, 0, sizeof a);
  a.id = G.slotIds[slot];
  a.flags = SECCOMP_ADDFD_FLAG_SETFD | (send ? SECCOMP_ADDFD_FLAG_SEND : 0);
  a.srcfd = (uint32_t)src;
  a.newfd = (uint32_t)target;
  a.newfd_flags = cloexec ? O_CLOEXEC : 0;
  // ADDFD waits for the guest thread to install the descriptor. A signal to us meanwhile (the
  // tracer's SIGCHLD, say) would restart the ioctl after the first attempt had already marked
  // the notification answered: the guest would get 0 instead of its descriptor. So no signal
  // may interrupt it.
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, &old);
  int r = ioctl(G.listenerFd, SECCOMP_IOCTL_NOTIF_ADDFD, &a);
  int err = errno;
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  errno = err;
  int result = r < 0 ? -errno : r;
  if (send && (r >= 0 || errno == ENOENT)) FreeSlot(slot);
  return Napi::Number::New(info.Env(), result);
}

Napi::Value IdValid(const Napi::CallbackInfo &info) {
  uint32_t slot = info[0].As<Napi::Number>().Uint32Value();
  if (!SlotOk(slot)) return Napi::Boolean::New(info.Env(), false);
  uint64_t id = G.slotIds[slot];
  return Napi::Boolean::New(info.Env(), ioctl(G.listenerFd, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0);
}

}  // namespace starry
