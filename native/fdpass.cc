// Passing descriptors over a unix stream socket (SCM_RIGHTS), which Node cannot do by itself:
// a named sandbox's control socket carries a --join's stdin, stdout and stderr to the kernel.
//   sendFds(sock, u8, off, len, [fd...]) -> bytes sent or -errno (MSG_NOSIGNAL)
//   recvFds(sock, u8, off, len) -> {n, fds} or -errno; received descriptors are close-on-exec
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "common.h"

namespace starry {

static constexpr int kMaxFds = 16;

// The (sock, u8, off, len) both calls take: the socket and the one-element iovec over
// u8[off, off+len); false when that range is outside u8.
static bool SockBuffer(const Napi::CallbackInfo &info, int *sock, iovec *iov) {
  *sock = info[0].As<Napi::Number>().Int32Value();
  Napi::Uint8Array buf = info[1].As<Napi::Uint8Array>();
  size_t off = info[2].As<Napi::Number>().Uint32Value();
  size_t len = info[3].As<Napi::Number>().Uint32Value();
  if (off + len > buf.ByteLength()) return false;
  *iov = {buf.Data() + off, len};
  return true;
}

Napi::Value SendFds(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  int sock;
  iovec iov;
  if (!SockBuffer(info, &sock, &iov)) return Napi::Number::New(env, -EINVAL);
  int fds[kMaxFds];
  int nfds = 0;
  if (info.Length() > 4 && info[4].IsArray()) {
    Napi::Array a = info[4].As<Napi::Array>();
    if (a.Length() > (uint32_t)kMaxFds) return Napi::Number::New(env, -EINVAL);
    for (uint32_t i = 0; i < a.Length(); i++) fds[nfds++] = a.Get(i).As<Napi::Number>().Int32Value();
  }
  msghdr mh;
  memset(&mh, 0, sizeof mh);
  mh.msg_iov = &iov;
  mh.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxFds)];
  if (nfds > 0) {
    mh.msg_control = control;
    mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
    cmsghdr *c = CMSG_FIRSTHDR(&mh);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
    memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
  }
  ssize_t n;
  do n = sendmsg(sock, &mh, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  return Napi::Number::New(env, n < 0 ? -errno : (double)n);
}

Napi::Value RecvFds(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  int sock;
  iovec iov;
  if (!SockBuffer(info, &sock, &iov)) return Napi::Number::New(env, -EINVAL);
  msghdr mh;
  memset(&mh, 0, sizeof mh);
  mh.msg_iov = &iov;
  mh.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxFds)];
  mh.msg_control = control;
  mh.msg_controllen = sizeof control;
  ssize_t n;
  do n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
  while (n < 0 && errno == EINTR);
  if (n < 0) return Napi::Number::New(env, -errno);
  Napi::Array fds = Napi::Array::New(env);
  uint32_t k = 0;
  for (cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    int *p = (int *)CMSG_DATA(c);
    for (size_t i = 0; i < count; i++) fds.Set(k++, Napi::Number::New(env, p[i]));
  }
  Napi::Object o = Napi::Object::New(env);
  o.Set("n", Napi::Number::New(env, (double)n));
  o.Set("fds", fds);
  o.Set("truncated", Napi::Boolean::New(env, (mh.msg_flags & MSG_CTRUNC) != 0));
  return o;
}

}  // namespace starry
