// libFuzzer target for the bucket fold (native/series_fold.h) over arbitrary query parameters and points: it must
// never read or write outside the arrays it is given, write no more buckets than FoldBound promises, and give the
// same buckets whether the points come in one call or split in two (a bucket open across calls, as across chunks).
// The first 24 bytes choose the kind, duration, align, bucket timestamp, floor, std/var formula and the split; the
// rest are points, 16 bytes each (a timestamp step and a value's raw bits). Agreement with the TypeScript reference
// is test/model/bucket-cursor.test.ts's job.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "../series_fold.h"

namespace {

void Init(double* st, const uint8_t* p) {
  std::memset(st, 0, sizeof(double) * tskv::kFoldSlots);
  st[tskv::kFoldKind] = p[0] % tskv::kFoldKinds;
  uint32_t d;
  std::memcpy(&d, p + 1, 4);
  st[tskv::kFoldDuration] = 1 + d % 100000;
  int32_t align;
  std::memcpy(&align, p + 5, 4);
  st[tskv::kFoldAlign] = align;
  st[tskv::kFoldOffset] = p[9] % 3 == 0 ? 0 : p[9] % 3 == 1 ? std::floor(st[tskv::kFoldDuration] / 2) : st[tskv::kFoldDuration];
  st[tskv::kFoldFloor] = p[10] & 1 ? -INFINITY : static_cast<double>(p[11]) * 1000;
  st[tskv::kFoldSumOfSquares] = p[10] & 2 ? 1 : 0;
}

// Folds points [0, n) as calls over [0, split) and [split, n) into exactly-sized heap outputs, then closes.
std::vector<double> Run(const uint8_t* params, const double* ts, const double* vals, size_t n, size_t split) {
  double st[tskv::kFoldSlots];
  Init(st, params);
  if (!tskv::FoldStateValid(st)) __builtin_trap();
  std::vector<double> out;
  const size_t cuts[3] = {0, split, n};
  for (int c = 0; c < 2; c++) {
    const size_t lo = cuts[c], hi = cuts[c + 1];
    if (lo == hi) continue;
    const size_t bound = tskv::FoldBound(ts[lo], ts[hi - 1], hi - lo, st[tskv::kFoldDuration]);
    double* o = new double[bound == 0 ? 1 : 2 * bound];
    const size_t w = tskv::FoldPoints(st, ts, vals, lo, hi, o);
    if (w > bound) __builtin_trap();
    out.insert(out.end(), o, o + 2 * w);
    delete[] o;
  }
  double end[2];
  if (tskv::FoldEnd(st, end) == 1) out.insert(out.end(), end, end + 2);
  if (st[tskv::kFoldRead] != static_cast<double>(n)) __builtin_trap();
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 24) return 0;
  const size_t n = (size - 24) / 16;
  std::vector<double> ts(n), vals(n);
  double t = 0;
  for (size_t i = 0; i < n; i++) {
    uint64_t step;
    std::memcpy(&step, data + 24 + i * 16, 8);
    t += 1 + static_cast<double>(step % 5000);
    ts[i] = t;
    std::memcpy(&vals[i], data + 24 + i * 16 + 8, 8);
  }
  uint32_t s;
  std::memcpy(&s, data + 12, 4);
  const size_t split = n == 0 ? 0 : s % (n + 1);
  const std::vector<double> whole = Run(data, ts.data(), vals.data(), n, n);
  const std::vector<double> parts = Run(data, ts.data(), vals.data(), n, split);
  if (whole.size() != parts.size() || (whole.size() > 0 && std::memcmp(whole.data(), parts.data(), whole.size() * 8) != 0)) {
    __builtin_trap();
  }
  // The buckets as RESP2 pairs into exactly kPairChars a pair: all fit, and every value reads back as itself.
  const size_t pairs = whole.size() / 2;
  std::vector<double> fold(tskv::kFoldOut + whole.size());
  if (!whole.empty()) std::memcpy(fold.data() + tskv::kFoldOut, whole.data(), whole.size() * 8);
  uint8_t* text = new uint8_t[pairs * tskv::kPairChars + 1];
  const size_t end = tskv::WritePairs(fold.data(), 0, pairs, text, 0, pairs * tskv::kPairChars);
  if (fold[tskv::kFoldWritten] != static_cast<double>(pairs) || end > pairs * tskv::kPairChars) __builtin_trap();
  delete[] text;
  for (size_t i = 0; i < n; i++) {
    char buf[tskv::kValueChars + 1];
    const size_t len = tskv::FormatSampleValue(vals[i], buf);
    if (len == 0 || len > tskv::kValueChars) __builtin_trap();
    buf[len] = 0;
    if (std::isfinite(vals[i])) {
      for (size_t j = 0; j < len; j++)
        if (buf[j] == 'E') buf[j] = 'e';
      const double back = std::strtod(buf, nullptr);
      if (std::memcmp(&back, &vals[i], 8) != 0) __builtin_trap();
    }
  }
  return 0;
}
