// libFuzzer target for the series chunk decoder over arbitrary bytes: it must return (never crash, never read outside
// the chunk or write outside the arrays), refuse with a known status and an offset inside the chunk, and when it
// accepts, give what the format promises: count points, timestamps strictly increasing safe integers from first to
// last ts. The arrays are sized exactly (the decoder's own kCapacity answer says how many), so AddressSanitizer sees
// their true ends; a second decode into larger arrays must give the same bits. Bit-for-bit agreement with the
// TypeScript reference is test/native/series-codec.test.ts's job.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "../series_chunk.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // A heap copy of exactly `size` bytes, so ASan sees the true end of the chunk.
  uint8_t* chunk = new uint8_t[size == 0 ? 1 : size];
  std::memcpy(chunk, data, size);
  uint32_t count = 0;
  size_t offset = 0;
  tskv::ChunkStatus s = tskv::DecodeSeriesChunk(chunk, size, nullptr, nullptr, 0, &count, &offset);
  if (s == tskv::ChunkStatus::kOk) __builtin_trap();  // a chunk has at least one point: 0 arrays never suffice
  if (s == tskv::ChunkStatus::kCapacity) {
    if (count < 1 || count > tskv::kMaxChunkPoints) __builtin_trap();
    std::vector<double> ts(count), values(count);
    s = tskv::DecodeSeriesChunk(chunk, size, ts.data(), values.data(), count, &count, &offset);
    if (s == tskv::ChunkStatus::kOk) {
      if (count != ts.size()) __builtin_trap();
      for (uint32_t i = 0; i < count; i++) {
        const double t = ts[i];
        if (!(std::fabs(t) <= 9007199254740991.0) || std::floor(t) != t) __builtin_trap();
        if (i > 0 && !(t > ts[i - 1])) __builtin_trap();
      }
      std::vector<double> ts2(count + 3), values2(count + 3);
      uint32_t count2 = 0;
      if (tskv::DecodeSeriesChunk(chunk, size, ts2.data(), values2.data(), count + 3, &count2, &offset) !=
              tskv::ChunkStatus::kOk ||
          count2 != count || std::memcmp(ts.data(), ts2.data(), count * 8) != 0 ||
          std::memcmp(values.data(), values2.data(), count * 8) != 0) {
        __builtin_trap();
      }
    } else if (s == tskv::ChunkStatus::kCapacity || offset > size) {
      __builtin_trap();
    }
  } else if (offset > size) {
    __builtin_trap();
  }
  if (static_cast<int>(s) < 0 || static_cast<int>(s) >= tskv::kChunkStatusLimit) __builtin_trap();
  if (tskv::ChunkStatusText(s) == nullptr) __builtin_trap();
  delete[] chunk;
  return 0;
}
