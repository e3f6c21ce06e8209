// libFuzzer target for CRC32C: the hardware (3-stream interleaved) and software paths must agree with a bitwise
// reference on every input and every split point, and never read outside the buffer; Crc32cRanges (crc32cMany) must
// refuse any range outside the buffer and agree with the reference on every range it accepts.
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "../crc32c.h"

static uint32_t Bitwise(uint32_t crc, const uint8_t* p, size_t n) {
  crc = ~crc;
  for (size_t i = 0; i < n; i++) {
    crc ^= p[i];
    for (int k = 0; k < 8; k++) crc = (crc >> 1) ^ (0x82f63b78u & (0u - (crc & 1u)));
  }
  return ~crc;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  uint8_t* copy = new uint8_t[size == 0 ? 1 : size];
  std::memcpy(copy, data, size);
  uint32_t want = Bitwise(0, copy, size);
  if (tskv::Crc32cExtend(0, copy, size) != want) __builtin_trap();
  size_t split = size == 0 ? 0 : copy[0] % (size + 1);
  if (tskv::Crc32cExtend(tskv::Crc32cExtend(0, copy, split), copy + split, size - split) != want) __builtin_trap();
  // Ranges from the input's first bytes (as int32s, any value), over the whole input.
  int32_t ranges[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  std::memcpy(ranges, copy, size < sizeof(ranges) ? size : sizeof(ranges));
  uint32_t out[4] = {0, 0, 0, 0};
  bool inside = true;
  for (int i = 0; i < 4; i++) {
    int64_t start = ranges[2 * i], len = ranges[2 * i + 1];
    if (start < 0 || len < 0 || start + len > static_cast<int64_t>(size)) inside = false;
  }
  if (tskv::Crc32cRanges(copy, size, ranges, 4, out) != inside) __builtin_trap();
  if (inside) {
    for (int i = 0; i < 4; i++) {
      if (out[i] != Bitwise(0, copy + ranges[2 * i], static_cast<size_t>(ranges[2 * i + 1]))) __builtin_trap();
    }
  }
  delete[] copy;
  return 0;
}
