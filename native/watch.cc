// Readiness of host descriptors for the kernel's poll/select/epoll: one uv_poll per watched
// descriptor, one-shot (stopped at the first report, re-armed by the kernel), so a guest that
// leaves data unread cannot make the event loop spin.
#include <fcntl.h>
#include <poll.h>

#include "common.h"

namespace starry {

struct Watch {
  uv_poll_t handle;
  Napi::FunctionReference cb;
  bool active = false;
};

static void OnWatch(uv_poll_t *h, int status, int events) {
  Watch *w = static_cast<Watch *>(h->data);
  uv_poll_stop(h);
  w->active = false;
  Napi::Env env = w->cb.Env();
  Napi::HandleScope scope(env);
  int revents = 0;
  if (status < 0) revents |= POLLERR;
  if (events & UV_READABLE) revents |= POLLIN;
  if (events & UV_WRITABLE) revents |= POLLOUT;
  if (events & UV_DISCONNECT) revents |= POLLHUP;
  w->cb.Call({Napi::Number::New(env, revents)});
  ReportPendingException(env);
}

static void Finalize(Napi::Env, Watch *w) {
  // the handle is closed (if it was opened) by unwatch; a leaked watch keeps nothing running
  (void)w;
}

// watch(fd, cb) -> external handle, or a number (-errno) when the host cannot poll fd
Napi::Value WatchFd(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  int fd = info[0].As<Napi::Number>().Int32Value();
  auto *w = new Watch();
  uv_loop_t *loop;
  napi_get_uv_event_loop(env, &loop);
  // uv_poll_init sets O_NONBLOCK on the descriptor, and ours shares its open file with the
  // guest's: put the guest's status flags back, or its blocking reads would start to fail
  // with EAGAIN once the kernel had polled the file.
  int flags = fcntl(fd, F_GETFL);
  int r = uv_poll_init(loop, &w->handle, fd);
  if (flags >= 0 && !(flags & O_NONBLOCK)) fcntl(fd, F_SETFL, flags);
  if (r < 0) {
    delete w;
    return Napi::Number::New(env, r);
  }
  w->handle.data = w;
  w->cb = Napi::Persistent(info[1].As<Napi::Function>());
  return Napi::External<Watch>::New(env, w, Finalize);
}

// arm(handle, events): report once when any of POLLIN/POLLOUT (and errors) happens
Napi::Value ArmWatch(const Napi::CallbackInfo &info) {
  Watch *w = info[0].As<Napi::External<Watch>>().Data();
  int events = info[1].As<Napi::Number>().Int32Value();
  int uv = UV_DISCONNECT;
  if (events & POLLIN) uv |= UV_READABLE;
  if (events & POLLOUT) uv |= UV_WRITABLE;
  int r = uv_poll_start(&w->handle, uv, OnWatch);
  w->active = r == 0;
  return Napi::Number::New(info.Env(), r);
}

Napi::Value Unwatch(const Napi::CallbackInfo &info) {
  Watch *w = info[0].As<Napi::External<Watch>>().Data();
  if (w->active) uv_poll_stop(&w->handle);
  w->active = false;
  w->cb.Reset();
  uv_close((uv_handle_t *)&w->handle, [](uv_handle_t *h) { delete static_cast<Watch *>(h->data); });
  return info.Env().Undefined();
}

}  // namespace starry
