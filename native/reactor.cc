#include "reactor.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>

namespace tskv {
namespace {

constexpr size_t kDefaultArena = 1 << 20;
constexpr size_t kMinArena = 64 << 10;
constexpr size_t kMaxArena = 64 << 20;
constexpr size_t kReadChunk = 256 << 10;  // per connection per turn: one fast client cannot fill the arena alone
constexpr int kMaxEvents = 512;
constexpr int kMaxIov = 1024;
constexpr uint64_t kListenerId = 0;
constexpr uint32_t kMaxId = 0x7fffffff;
// Connections are edge-triggered: epoll reports a socket once per arrival of data instead of again on every
// epoll_wait while it stays readable. Level-triggered, each socket served in a turn was put back on the ready list and
// polled again (tcp_poll) by the next epoll_wait, and by the loop's own poll of the epoll fd, only to be found empty.
// Whatever a read may leave behind is re-armed explicitly (see ReadConn).
constexpr uint32_t kEdge = EPOLLET;

Napi::Error ErrnoError(Napi::Env env, const char* what, int err) {
  Napi::Error e = Napi::Error::New(env, std::string(what) + ": " + strerror(err));
  const char* code = err == EADDRINUSE      ? "EADDRINUSE"
                     : err == EACCES        ? "EACCES"
                     : err == EADDRNOTAVAIL ? "EADDRNOTAVAIL"
                     : err == EMFILE        ? "EMFILE"
                                            : "EIO";
  e.Set("code", Napi::String::New(env, code));
  return e;
}

std::string AddrString(const sockaddr_storage& ss) {
  char buf[INET6_ADDRSTRLEN] = {0};
  int port = 0;
  if (ss.ss_family == AF_INET) {
    const auto* a = reinterpret_cast<const sockaddr_in*>(&ss);
    inet_ntop(AF_INET, &a->sin_addr, buf, sizeof(buf));
    port = ntohs(a->sin_port);
  } else if (ss.ss_family == AF_INET6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(&ss);
    inet_ntop(AF_INET6, &a->sin6_addr, buf, sizeof(buf));
    port = ntohs(a->sin6_port);
  }
  return std::string(buf) + " " + std::to_string(port);
}

bool IdArg(const Napi::CallbackInfo& info, uint32_t* id) {
  if (info.Length() < 1 || !info[0].IsNumber()) return false;
  double d = info[0].As<Napi::Number>().DoubleValue();
  if (!(d >= 1 && d <= 4294967295.0)) return false;
  *id = static_cast<uint32_t>(d);
  return true;
}

}  // namespace

void Reactor::Init(Napi::Env env, Napi::Object exports) {
  Napi::Function cls = DefineClass(env, "Reactor",
                                   {
                                       InstanceMethod("listen", &Reactor::Listen),
                                       InstanceMethod("write", &Reactor::Write),
                                       InstanceMethod("writeRuns", &Reactor::WriteRuns),
                                       InstanceMethod("pending", &Reactor::Pending),
                                       InstanceMethod("pause", &Reactor::Pause),
                                       InstanceMethod("resume", &Reactor::Resume),
                                       InstanceMethod("close", &Reactor::Close),
                                       InstanceMethod("stopListening", &Reactor::StopListening),
                                       InstanceMethod("destroy", &Reactor::Destroy),
                                   });
  exports.Set("Reactor", cls);
}

// new Reactor(onEvents: (events: Int32Array, count: number, addrs: string[] | null, arena: Buffer) => void,
//             arenaBytes?: number)
Reactor::Reactor(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Reactor>(info), env_(info.Env()) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsFunction()) {
    Napi::TypeError::New(env, "Reactor: onEvents must be a function").ThrowAsJavaScriptException();
    return;
  }
  size_t arena = kDefaultArena;
  if (info.Length() >= 2 && !info[1].IsUndefined()) {
    if (!info[1].IsNumber()) {
      Napi::TypeError::New(env, "Reactor: arena size must be a number").ThrowAsJavaScriptException();
      return;
    }
    double d = info[1].As<Napi::Number>().DoubleValue();
    if (!(d >= kMinArena && d <= kMaxArena)) {
      Napi::RangeError::New(env, "Reactor: arena size must be between 64 KiB and 64 MiB").ThrowAsJavaScriptException();
      return;
    }
    arena = static_cast<size_t>(d);
  }
  callback_ = Napi::Persistent(info[0].As<Napi::Function>());
  Napi::Buffer<uint8_t> buf = Napi::Buffer<uint8_t>::New(env, arena);
  arena_ref_ = Napi::Persistent(buf);
  arena_ = buf.Data();
  arena_size_ = arena;

  epfd_ = epoll_create1(EPOLL_CLOEXEC);
  if (epfd_ < 0) {
    ErrnoError(env, "epoll_create1", errno).ThrowAsJavaScriptException();
    return;
  }
  uv_loop_t* loop = nullptr;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == nullptr) {
    Napi::Error::New(env, "Reactor: no libuv loop").ThrowAsJavaScriptException();
    return;
  }
  poll_ = new uv_poll_t();
  poll_->data = this;
  if (uv_poll_init(loop, poll_, epfd_) != 0 || uv_poll_start(poll_, UV_READABLE, OnPoll) != 0) {
    delete poll_;
    poll_ = nullptr;
    Napi::Error::New(env, "Reactor: uv_poll on the epoll fd failed").ThrowAsJavaScriptException();
    return;
  }
  async_context_ = new Napi::AsyncContext(env, "tskv:reactor");
  napi_add_env_cleanup_hook(env, CleanupHook, this);
  UpdateRef();
}

Reactor::~Reactor() {
  if (!destroyed_) {
    napi_remove_env_cleanup_hook(env_, CleanupHook, this);
    Teardown();
  }
  delete async_context_;
}

void Reactor::CleanupHook(void* arg) { static_cast<Reactor*>(arg)->Teardown(); }

void Reactor::Teardown() {
  if (destroyed_) return;
  destroyed_ = true;
  conns_.ForEach([](uint32_t, Conn* c) { close(c->fd); });
  conns_.Clear();
  if (listen_fd_ >= 0) close(listen_fd_);
  listen_fd_ = -1;
  if (poll_ != nullptr) {
    uv_poll_stop(poll_);
    poll_->data = nullptr;
    uv_close(reinterpret_cast<uv_handle_t*>(poll_), OnHandleClosed);
    poll_ = nullptr;
  }
  if (epfd_ >= 0) close(epfd_);
  epfd_ = -1;
}

void Reactor::OnHandleClosed(uv_handle_t* handle) { delete reinterpret_cast<uv_poll_t*>(handle); }

void Reactor::UpdateRef() {
  if (poll_ == nullptr) return;
  if (listen_fd_ >= 0 || !conns_.empty()) {
    uv_ref(reinterpret_cast<uv_handle_t*>(poll_));
  } else {
    uv_unref(reinterpret_cast<uv_handle_t*>(poll_));
  }
}

void Reactor::Push(EventKind kind, uint32_t id, uint32_t off, uint32_t len) {
  events_.push_back(kind);
  events_.push_back(static_cast<int32_t>(id));
  events_.push_back(static_cast<int32_t>(off));
  events_.push_back(static_cast<int32_t>(len));
}

Reactor::Conn* Reactor::Find(const Napi::CallbackInfo& info, uint32_t* id) {
  if (!IdArg(info, id)) {
    Napi::TypeError::New(info.Env(), "Reactor: connection id must be a positive integer").ThrowAsJavaScriptException();
    return nullptr;
  }
  return conns_.Find(*id);
}

// listen(host: string, port: number): [host, port]
Napi::Value Reactor::Listen(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (destroyed_ || listen_fd_ >= 0) {
    Napi::Error::New(env, "Reactor: already listening or destroyed").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  if (info.Length() < 2 || !info[0].IsString() || !info[1].IsNumber()) {
    Napi::TypeError::New(env, "Reactor.listen(host, port)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  std::string host = info[0].As<Napi::String>().Utf8Value();
  double port_d = info[1].As<Napi::Number>().DoubleValue();
  if (!(port_d >= 0 && port_d <= 65535)) {
    Napi::RangeError::New(env, "Reactor.listen: port out of range").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  if (host == "localhost") host = "127.0.0.1";
  sockaddr_storage ss;
  memset(&ss, 0, sizeof(ss));
  socklen_t len;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&ss);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&ss);
  if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(port_d));
    len = sizeof(sockaddr_in);
  } else if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(port_d));
    len = sizeof(sockaddr_in6);
  } else {
    Napi::Error e = Napi::Error::New(env, "Reactor.listen: host must be an IPv4 or IPv6 address: " + host);
    e.Set("code", Napi::String::New(env, "EINVAL"));
    e.ThrowAsJavaScriptException();
    return env.Undefined();
  }
  int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    ErrnoError(env, "socket", errno).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0 || listen(fd, 511) != 0) {
    int err = errno;
    close(fd);
    ErrnoError(env, "listen", err).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  epoll_event ev;
  memset(&ev, 0, sizeof(ev));
  ev.events = EPOLLIN;
  ev.data.u64 = kListenerId;
  if (epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
    int err = errno;
    close(fd);
    ErrnoError(env, "epoll_ctl", err).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  listen_fd_ = fd;
  UpdateRef();
  sockaddr_storage bound;
  socklen_t blen = sizeof(bound);
  getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &blen);
  std::string addr = AddrString(bound);
  size_t sp = addr.find(' ');
  Napi::Array out = Napi::Array::New(env, 2);
  out.Set(0u, Napi::String::New(env, addr.substr(0, sp)));
  out.Set(1u, Napi::Number::New(env, std::stoi(addr.substr(sp + 1))));
  return out;
}

void Reactor::OnPoll(uv_poll_t* handle, int status, int /*events*/) {
  auto* self = static_cast<Reactor*>(handle->data);
  if (self == nullptr || self->destroyed_ || status < 0) return;
  self->Turn();
}

void Reactor::Accept() {
  for (;;) {
    sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    int fd = accept4(listen_fd_, reinterpret_cast<sockaddr*>(&ss), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR) continue;
      return;  // EAGAIN, or EMFILE and friends: try again next turn
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    // Ids are positive int32s (JS reads them from an Int32Array); after 2^31 - 1 connections they wrap, skipping
    // any still open.
    uint32_t id;
    do {
      id = next_id_;
      next_id_ = next_id_ == kMaxId ? 1 : next_id_ + 1;
    } while (conns_.Find(id) != nullptr);
    epoll_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.events = EPOLLIN | EPOLLRDHUP | kEdge;
    ev.data.u64 = id;
    if (epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
      close(fd);
      continue;
    }
    Conn c;
    c.fd = fd;
    conns_.Insert(id, std::move(c));
    addrs_.push_back(AddrString(ss));
    Push(kOpen, id, 0, 0);
  }
}

// One read a turn. The connection is edge-triggered, so when bytes may remain (the read filled what it asked for, or
// the arena had no room) or the peer's hang-up is still to be read (it came with data; the replies to that data go
// out before the close), EPOLL_CTL_MOD re-arms it: the kernel polls it again and reports it next turn.
void Reactor::ReadConn(uint32_t id, Conn* c, uint32_t events) {
  size_t room = arena_size_ - arena_used_;
  if (room == 0) {
    UpdateInterest(id, c);
    return;
  }
  size_t want = std::min(room, kReadChunk);
  for (;;) {
    ssize_t n = read(c->fd, arena_ + arena_used_, want);
    if (n > 0) {
      Push(kData, id, static_cast<uint32_t>(arena_used_), static_cast<uint32_t>(n));
      arena_used_ += static_cast<size_t>(n);
      if (static_cast<size_t>(n) == want || (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0) UpdateInterest(id, c);
      return;
    }
    if (n == 0) {
      CloseConn(id, true);
      return;
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) CloseConn(id, true);
    return;
  }
}

bool Reactor::FlushPending(uint32_t id, Conn* c) {
  while (c->pending_off < c->pending.size()) {
    ssize_t n = write(c->fd, c->pending.data() + c->pending_off, c->pending.size() - c->pending_off);
    if (n > 0) {
      c->pending_off += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
    return false;
  }
  c->pending.clear();
  c->pending_off = 0;
  if (c->want_out) {
    c->want_out = false;
    UpdateInterest(id, c);
  }
  return true;
}

void Reactor::UpdateInterest(uint32_t id, Conn* c) {
  epoll_event ev;
  memset(&ev, 0, sizeof(ev));
  ev.events = kEdge | (c->paused ? 0u : static_cast<uint32_t>(EPOLLIN | EPOLLRDHUP)) | (c->want_out ? static_cast<uint32_t>(EPOLLOUT) : 0u);
  ev.data.u64 = id;
  epoll_ctl(epfd_, EPOLL_CTL_MOD, c->fd, &ev);
}

void Reactor::CloseConn(uint32_t id, bool emit) {
  Conn* c = conns_.Find(id);
  if (c == nullptr) return;
  epoll_ctl(epfd_, EPOLL_CTL_DEL, c->fd, nullptr);
  close(c->fd);
  conns_.Erase(id);
  if (emit) Push(kClose, id, 0, 0);
  UpdateRef();
}

void Reactor::Turn() {
  epoll_event evs[kMaxEvents];
  int n;
  do {
    n = epoll_wait(epfd_, evs, kMaxEvents, 0);
  } while (n < 0 && errno == EINTR);
  in_turn_ = true;
  for (int i = 0; i < n; i++) {
    uint64_t id64 = evs[i].data.u64;
    if (id64 == kListenerId) {
      if (listen_fd_ >= 0) Accept();
      continue;
    }
    uint32_t id = static_cast<uint32_t>(id64);
    Conn* c = conns_.Find(id);
    if (c == nullptr) continue;
    uint32_t e = evs[i].events;
    if (e & EPOLLOUT) {
      bool had = !c->pending.empty();
      if (!FlushPending(id, c)) {
        CloseConn(id, true);
        continue;
      }
      if (had && c->pending.empty()) {
        if (c->closing) {
          CloseConn(id, true);
          continue;
        }
        Push(kDrain, id, 0, 0);
      }
    }
    if (e & (EPOLLIN | EPOLLHUP | EPOLLERR | EPOLLRDHUP)) {
      if (!c->paused || (e & (EPOLLHUP | EPOLLERR))) ReadConn(id, c, e);
    }
  }
  // One call into JS for the whole turn; events that JS causes while it runs go out in a follow-up call.
  Napi::Env env = env_;
  // The events go in one Int32Array kept from turn to turn (made again only when a turn outgrows it), with their
  // count: JS reads them during the call and keeps nothing.
  for (int rounds = 0; rounds < 8 && !events_.empty() && !destroyed_; rounds++) {
    Napi::HandleScope scope(env);
    if (events_.size() > events_cap_) {
      events_cap_ = std::max(events_.size(), 2 * events_cap_);
      Napi::Int32Array grown = Napi::Int32Array::New(env, events_cap_);
      events_ref_ = Napi::Persistent(grown);
      events_data_ = grown.Data();
    }
    memcpy(events_data_, events_.data(), events_.size() * sizeof(int32_t));
    Napi::Number count = Napi::Number::New(env, static_cast<double>(events_.size()));
    Napi::Value addrs = env.Null();
    if (!addrs_.empty()) {
      Napi::Array a = Napi::Array::New(env, addrs_.size());
      for (size_t k = 0; k < addrs_.size(); k++) a.Set(static_cast<uint32_t>(k), Napi::String::New(env, addrs_[k]));
      addrs = a;
    }
    events_.clear();
    addrs_.clear();
    callback_.MakeCallback(Value(), {events_ref_.Value(), count, addrs, arena_ref_.Value()}, *async_context_);
    if (env.IsExceptionPending()) break;
  }
  arena_used_ = 0;
  in_turn_ = false;
}

// write(id, buffers: Buffer[]): pending bytes after the write, or -1 when the connection is gone or broke
Napi::Value Reactor::Write(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint32_t id;
  Conn* c = Find(info, &id);
  if (env.IsExceptionPending()) return env.Undefined();
  if (info.Length() < 2 || !info[1].IsArray()) {
    Napi::TypeError::New(env, "Reactor.write(id, buffers)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  if (c == nullptr) return Napi::Number::New(env, -1);
  Napi::Array bufs = info[1].As<Napi::Array>();
  uint32_t count = bufs.Length();
  std::vector<Napi::Uint8Array> held;
  held.reserve(count);
  for (uint32_t k = 0; k < count; k++) {
    Napi::Value v = bufs.Get(k);
    if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
      Napi::TypeError::New(env, "Reactor.write: every chunk must be a Uint8Array").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    held.push_back(v.As<Napi::Uint8Array>());
  }
  uint32_t k = 0;
  size_t skip = 0;  // bytes of held[k] already written
  if (c->pending.empty()) {
    while (k < count) {
      iovec iov[kMaxIov];
      int niov = 0;
      for (uint32_t j = k; j < count && niov < kMaxIov; j++) {
        size_t off = j == k ? skip : 0;
        if (held[j].ByteLength() - off == 0) continue;
        iov[niov].iov_base = held[j].Data() + off;
        iov[niov].iov_len = held[j].ByteLength() - off;
        niov++;
      }
      if (niov == 0) {
        k = count;
        break;
      }
      ssize_t n = writev(c->fd, iov, niov);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) break;
        CloseConn(id, false);
        return Napi::Number::New(env, -1);
      }
      size_t left = static_cast<size_t>(n);
      while (k < count && left > 0) {
        size_t avail = held[k].ByteLength() - skip;
        if (left >= avail) {
          left -= avail;
          k++;
          skip = 0;
        } else {
          skip += left;
          left = 0;
        }
      }
      while (k < count && held[k].ByteLength() - skip == 0) {
        k++;
        skip = 0;
      }
    }
  }
  // Whatever the kernel did not take waits in the pending buffer.
  for (; k < count; k++) {
    const uint8_t* p = held[k].Data() + skip;
    c->pending.insert(c->pending.end(), p, p + (held[k].ByteLength() - skip));
    skip = 0;
  }
  return Napi::Number::New(env, WatchPending(id, c));
}

// After a write: asks for EPOLLOUT while output waits in the pending buffer; returns the bytes waiting.
double Reactor::WatchPending(uint32_t id, Conn* c) {
  if (c->pending.size() > c->pending_off && !c->want_out) {
    c->want_out = true;
    UpdateInterest(id, c);
  }
  return static_cast<double>(c->pending.size() - c->pending_off);
}

// Writes bytes [p, p + n) after whatever the connection still has pending; returns the pending bytes after, or -1
// when the write broke the connection (closed here, without an event: JS reports it).
double Reactor::Send(uint32_t id, Conn* c, const uint8_t* p, size_t n) {
  if (c->pending.size() == c->pending_off) {
    while (n > 0) {
      ssize_t w = write(c->fd, p, n);
      if (w < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) break;
        CloseConn(id, false);
        return -1;
      }
      p += w;
      n -= static_cast<size_t>(w);
    }
  }
  if (n > 0) c->pending.insert(c->pending.end(), p, p + n);
  return WatchPending(id, c);
}

// writeRuns(count, ids: Int32Array, bufs: Uint8Array[], bounds: Int32Array, out: Float64Array): one call for a
// turn's replies. Connection ids[i] gets bufs[i][bounds[2i], bounds[2i+1]); out[i] = its pending bytes after the
// write, or -1 when the connection is gone or broke (as write() returns). Every argument is checked before any byte
// is written.
Napi::Value Reactor::WriteRuns(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto bad = [&](const char* what) {
    Napi::TypeError::New(env, std::string("Reactor.writeRuns: ") + what).ThrowAsJavaScriptException();
    return env.Undefined();
  };
  if (info.Length() < 5 || !info[0].IsNumber() || !info[1].IsTypedArray() || !info[2].IsArray() ||
      !info[3].IsTypedArray() || !info[4].IsTypedArray()) {
    return bad("expected (count, ids, bufs, bounds, out)");
  }
  double count_d = info[0].As<Napi::Number>().DoubleValue();
  Napi::TypedArray ids_t = info[1].As<Napi::TypedArray>();
  Napi::TypedArray bounds_t = info[3].As<Napi::TypedArray>();
  Napi::TypedArray out_t = info[4].As<Napi::TypedArray>();
  if (ids_t.TypedArrayType() != napi_int32_array || bounds_t.TypedArrayType() != napi_int32_array ||
      out_t.TypedArrayType() != napi_float64_array) {
    return bad("ids and bounds must be Int32Arrays, out a Float64Array");
  }
  Napi::Array bufs = info[2].As<Napi::Array>();
  if (!(count_d >= 0) || count_d > static_cast<double>(ids_t.ElementLength()) ||
      count_d > static_cast<double>(out_t.ElementLength()) || count_d * 2 > static_cast<double>(bounds_t.ElementLength()) ||
      count_d > static_cast<double>(bufs.Length())) {
    return bad("count exceeds an array");
  }
  size_t count = static_cast<size_t>(count_d);
  const int32_t* ids = info[1].As<Napi::Int32Array>().Data();
  const int32_t* bounds = info[3].As<Napi::Int32Array>().Data();
  double* out = info[4].As<Napi::Float64Array>().Data();
  runs_.clear();
  for (size_t i = 0; i < count; i++) {
    // One napi_get_typedarray_info per buffer checks its kind and gives its length and bytes (the wrapper classes
    // would ask for them in three calls).
    napi_value v;
    if (napi_get_element(env, bufs, static_cast<uint32_t>(i), &v) != napi_ok) return env.Undefined();
    napi_typedarray_type type;
    size_t length = 0;
    void* data = nullptr;
    if (napi_get_typedarray_info(env, v, &type, &length, &data, nullptr, nullptr) != napi_ok ||
        type != napi_uint8_array) {
      return bad("every buffer must be a Uint8Array");
    }
    int32_t start = bounds[2 * i];
    int32_t end = bounds[2 * i + 1];
    if (start < 0 || end < start || static_cast<size_t>(end) > length) return bad("bounds outside a buffer");
    runs_.push_back(Run{static_cast<const uint8_t*>(data) + start, static_cast<size_t>(end - start)});
  }
  for (size_t i = 0; i < count; i++) {
    Conn* c = ids[i] > 0 ? conns_.Find(static_cast<uint32_t>(ids[i])) : nullptr;
    out[i] = c == nullptr ? -1 : Send(static_cast<uint32_t>(ids[i]), c, runs_[i].data, runs_[i].size);
  }
  return env.Undefined();
}

Napi::Value Reactor::Pending(const Napi::CallbackInfo& info) {
  uint32_t id;
  Conn* c = Find(info, &id);
  if (info.Env().IsExceptionPending()) return info.Env().Undefined();
  return Napi::Number::New(info.Env(), c == nullptr ? 0 : static_cast<double>(c->pending.size() - c->pending_off));
}

Napi::Value Reactor::Pause(const Napi::CallbackInfo& info) {
  uint32_t id;
  Conn* c = Find(info, &id);
  if (c != nullptr && !c->paused) {
    c->paused = true;
    UpdateInterest(id, c);
  }
  return info.Env().Undefined();
}

Napi::Value Reactor::Resume(const Napi::CallbackInfo& info) {
  uint32_t id;
  Conn* c = Find(info, &id);
  if (c != nullptr && c->paused) {
    c->paused = false;
    UpdateInterest(id, c);
  }
  return info.Env().Undefined();
}

// close(id, graceful): 1 = closed now, 0 = closes once pending output is written, -1 = no such connection
Napi::Value Reactor::Close(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint32_t id;
  Conn* c = Find(info, &id);
  if (env.IsExceptionPending()) return env.Undefined();
  if (c == nullptr) return Napi::Number::New(env, -1);
  bool graceful = info.Length() >= 2 && info[1].ToBoolean();
  if (graceful && c->pending.size() > c->pending_off) {
    c->closing = true;
    if (!c->paused) {
      c->paused = true;  // read nothing more from a client we are closing
      UpdateInterest(id, c);
    }
    return Napi::Number::New(env, 0);
  }
  if (graceful) shutdown(c->fd, SHUT_WR);
  CloseConn(id, false);
  return Napi::Number::New(env, 1);
}

Napi::Value Reactor::StopListening(const Napi::CallbackInfo& info) {
  if (listen_fd_ >= 0) {
    epoll_ctl(epfd_, EPOLL_CTL_DEL, listen_fd_, nullptr);
    close(listen_fd_);
    listen_fd_ = -1;
    UpdateRef();
  }
  return info.Env().Undefined();
}

Napi::Value Reactor::Destroy(const Napi::CallbackInfo& info) {
  if (!destroyed_) {
    napi_remove_env_cleanup_hook(env_, CleanupHook, this);
    Teardown();
  }
  return info.Env().Undefined();
}

void InitReactor(Napi::Env env, Napi::Object exports) { Reactor::Init(env, exports); }

}  // namespace tskv
