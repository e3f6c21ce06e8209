// An epoll reactor watched by libuv. Threading and lifetime contract:
// - Everything runs on the JS thread that created the Reactor: libuv polls the epoll fd (a uv_poll_t on the
//   environment's own loop), and the poll callback drains epoll_wait(0) and makes ONE call into JS per turn with
//   the batch of events. No other thread exists; no busy polling.
// - Connections are edge-triggered (one event per arrival of data); a read that may leave bytes behind, or leaves a
//   hang-up to read, re-arms its connection with EPOLL_CTL_MOD so it is reported again next turn.
// - Reads land in one arena Buffer owned by JS (created once, kept by a reference); events carry offsets into it.
//   The arena is rewritten next turn, so JS must copy what it keeps past the callback.
// - write() tries writev at once; whatever the kernel does not take is copied into the connection's pending buffer
//   and EPOLLOUT is armed; a "drain" event follows when it empties.
// - The poll handle is unref'd while there is neither a listener nor a connection, so Node can exit.
// - destroy() (or environment teardown) closes every fd and the uv handle; the handle's memory is freed in its
//   close callback.
#ifndef TSKV_NATIVE_REACTOR_H_
#define TSKV_NATIVE_REACTOR_H_

#include <napi.h>
#include <uv.h>

#include "id_table.h"

#include <cstdint>
#include <string>
#include <vector>

namespace tskv {

class Reactor : public Napi::ObjectWrap<Reactor> {
 public:
  static void Init(Napi::Env env, Napi::Object exports);
  explicit Reactor(const Napi::CallbackInfo& info);
  ~Reactor() override;

 private:
  struct Conn {
    int fd;
    std::vector<uint8_t> pending;
    size_t pending_off = 0;
    bool paused = false;
    bool closing = false;  // close once pending output is written
    bool want_out = false;
  };

  enum EventKind : int32_t { kOpen = 1, kData = 2, kClose = 3, kDrain = 4 };

  Napi::Value Listen(const Napi::CallbackInfo& info);
  Napi::Value Write(const Napi::CallbackInfo& info);
  Napi::Value WriteRuns(const Napi::CallbackInfo& info);
  Napi::Value Pending(const Napi::CallbackInfo& info);
  Napi::Value Pause(const Napi::CallbackInfo& info);
  Napi::Value Resume(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  Napi::Value StopListening(const Napi::CallbackInfo& info);
  Napi::Value Destroy(const Napi::CallbackInfo& info);

  static void OnPoll(uv_poll_t* handle, int status, int events);
  static void OnHandleClosed(uv_handle_t* handle);
  static void CleanupHook(void* arg);

  void Turn();
  void Accept();
  void ReadConn(uint32_t id, Conn* c, uint32_t events);
  bool FlushPending(uint32_t id, Conn* c);  // false when the connection broke
  double Send(uint32_t id, Conn* c, const uint8_t* p, size_t n);
  double WatchPending(uint32_t id, Conn* c);
  void CloseConn(uint32_t id, bool emit);
  void UpdateInterest(uint32_t id, Conn* c);
  void UpdateRef();
  void Push(EventKind kind, uint32_t id, uint32_t off, uint32_t len);
  void Teardown();
  Conn* Find(const Napi::CallbackInfo& info, uint32_t* id);

  Napi::Env env_;
  Napi::FunctionReference callback_;
  Napi::Reference<Napi::Buffer<uint8_t>> arena_ref_;
  uint8_t* arena_ = nullptr;
  size_t arena_size_ = 0;
  size_t arena_used_ = 0;
  Napi::AsyncContext* async_context_ = nullptr;

  int epfd_ = -1;
  int listen_fd_ = -1;
  uv_poll_t* poll_ = nullptr;
  bool destroyed_ = false;
  bool in_turn_ = false;
  uint32_t next_id_ = 1;
  IdTable<Conn> conns_;  // by id

  std::vector<int32_t> events_;       // kind, id, offset, length
  Napi::Reference<Napi::Int32Array> events_ref_;  // what JS is handed them in, reused from turn to turn
  int32_t* events_data_ = nullptr;
  size_t events_cap_ = 0;
  std::vector<std::string> addrs_;    // one per open event, "ip port"

  struct Run {
    const uint8_t* data;
    size_t size;
  };
  std::vector<Run> runs_;  // writeRuns' checked ranges, reused from call to call
};

void InitReactor(Napi::Env env, Napi::Object exports);

}  // namespace tskv

#endif  // TSKV_NATIVE_REACTOR_H_
