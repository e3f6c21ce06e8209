// libFuzzer target for the series chunk encoder: points derived from arbitrary bytes (timestamps made strictly
// increasing safe integers as encodeChunk requires, from small gaps to jumps across the range; values as raw float64
// bits, decimal-friendly k / 10^d or halves), encoded, then decoded by the native decoder, which must accept the chunk
// and give back every timestamp and the bits of every value. Byte-for-byte agreement with the TypeScript encoder is
// test/native/series-encode.test.ts's job.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "../series_chunk.h"

namespace {

constexpr int64_t kMaxSafe = (int64_t{1} << 53) - 1;
constexpr double kPow10[] = {1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9};

class Input {
 public:
  Input(const uint8_t* p, size_t n) : p_(p), n_(n) {}
  bool empty() const { return pos_ >= n_; }
  uint64_t Bytes(int k) {
    uint64_t v = 0;
    for (int i = 0; i < k; i++) v = (v << 8) | (pos_ < n_ ? p_[pos_++] : 0);
    return v;
  }

 private:
  const uint8_t* p_;
  size_t n_;
  size_t pos_ = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Input in(data, size);
  const uint8_t mode = static_cast<uint8_t>(in.Bytes(1));
  const int d = mode % 10;
  const int value_kind = (mode / 10) % 4;
  std::vector<double> ts;
  std::vector<double> vals;
  int64_t t = static_cast<int64_t>(in.Bytes(7) % static_cast<uint64_t>(2 * kMaxSafe + 1)) - kMaxSafe;
  while (!in.empty() && ts.size() < tskv::kMaxChunkPoints) {
    const uint8_t g = static_cast<uint8_t>(in.Bytes(1));
    int64_t gap;
    switch (g >> 6) {
      case 0: gap = 1 + (g & 0x3f); break;
      case 1: gap = 1000; break;
      case 2: gap = 1 + static_cast<int64_t>(in.Bytes(4)); break;
      default: gap = 1 + static_cast<int64_t>(in.Bytes(7) & ((uint64_t{1} << 54) - 1)); break;
    }
    if (!ts.empty()) {
      if (t > kMaxSafe - gap) break;
      t += gap;
    }
    ts.push_back(static_cast<double>(t));
    double v;
    const uint64_t raw = in.Bytes(value_kind == 0 ? 8 : 4);
    switch (value_kind) {
      case 0: std::memcpy(&v, &raw, 8); break;
      case 1: v = static_cast<double>(static_cast<int32_t>(raw)) / kPow10[d]; break;
      case 2: v = (static_cast<double>(static_cast<int32_t>(raw)) + 0.5) / kPow10[d]; break;
      default: v = static_cast<double>(static_cast<int32_t>(raw & 0xff)) / kPow10[d]; break;
    }
    vals.push_back(v);
  }
  if (ts.empty()) return 0;
  const uint32_t n = static_cast<uint32_t>(ts.size());
  std::vector<uint8_t> chunk;
  tskv::EncodeSeriesChunk(ts.data(), vals.data(), n, &chunk);
  // Exactly-sized copies, so ASan sees their ends.
  uint8_t* bytes = new uint8_t[chunk.size()];
  std::memcpy(bytes, chunk.data(), chunk.size());
  double* out_ts = new double[n];
  double* out_vals = new double[n];
  uint32_t count = 0;
  size_t offset = 0;
  const tskv::ChunkStatus s = tskv::DecodeSeriesChunk(bytes, chunk.size(), out_ts, out_vals, n, &count, &offset);
  if (s != tskv::ChunkStatus::kOk || count != n) std::abort();
  if (std::memcmp(out_ts, ts.data(), n * 8) != 0) std::abort();
  if (std::memcmp(out_vals, vals.data(), n * 8) != 0) std::abort();
  delete[] out_vals;
  delete[] out_ts;
  delete[] bytes;
  return 0;
}
