// Registers each native piece; the pieces live in their own files.
#include <napi.h>

#include "crc32c.h"
#include "reactor.h"
#include "series_chunk.h"
#include "series_fold.h"
#include "table.h"

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  tskv::InitCrc32c(env, exports);
  tskv::InitSeriesChunk(env, exports);
  tskv::InitSeriesFold(env, exports);
#if defined(__linux__)
  tskv::InitReactor(env, exports);
  tskv::InitTable(env, exports);
#endif
  return exports;
}

}  // namespace

NODE_API_MODULE(tskv, Init)
