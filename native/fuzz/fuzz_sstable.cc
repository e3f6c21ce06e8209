// libFuzzer target for the SSTable primitives over arbitrary bytes: block search with any key and sequence, index
// fences (checked against block search), Bloom hash and probe, handle decoding and trailer checks. Every call must return (found, end, corrupt, true/false)
// without reading outside the buffer — AddressSanitizer turns any stray read into a crash.
//   Input layout: u8 key length | key bytes | u64 sequence | rest = the block / filter bytes.
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "../sstable.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  size_t klen = data[0];
  if (size < 1 + klen + 8) return 0;
  const uint8_t* key = data + 1;
  uint64_t seq;
  std::memcpy(&seq, data + 1 + klen, 8);
  seq &= (1ull << 53) - 1;
  const uint8_t* body = data + 1 + klen + 8;
  size_t n = size - 1 - klen - 8;
  // A heap copy of exactly n bytes, so ASan sees the true end of the buffer.
  uint8_t* block = new uint8_t[n == 0 ? 1 : n];
  std::memcpy(block, body, n);

  tskv::BlockEntry e;
  size_t err = 0;
  tskv::SeekResult r = tskv::BlockSeek(block, n, key, klen, seq, &e, &err);
  if (r == tskv::SeekResult::kFound) {
    // A found entry's value must lie inside the block.
    if (e.value_offset > n || e.value_size > n - e.value_offset) __builtin_trap();
    uint64_t off, sz;
    tskv::DecodeHandle(block + e.value_offset, e.value_size, &off, &sz);
  } else if (r == tskv::SeekResult::kCorrupt && err > n) {
    __builtin_trap();
  }
  // Index fences: built only over a well-formed index-like block (every entry its own restart, keys in order), where
  // their search must land on the same entry as BlockSeek.
  tskv::IndexFences f;
  if (tskv::BuildFences(block, n, &f)) {
    tskv::BlockEntry fe, be;
    size_t i = 0, ferr = 0, berr = 0;
    tskv::SeekResult fr = tskv::FenceSeek(f, block, key, klen, seq, &fe, &i, &ferr);
    if (fr == tskv::SeekResult::kCorrupt) __builtin_trap();
    if (i != SIZE_MAX) {
      tskv::SeekResult br = tskv::BlockSeek(block, n, key, klen, seq, &be, &berr);
      if (br == tskv::SeekResult::kCorrupt) __builtin_trap();
      if ((br == tskv::SeekResult::kEnd) != (i == f.prefix.size())) __builtin_trap();
      if (br == tskv::SeekResult::kFound && f.entry[i] != be.offset) __builtin_trap();
    }
  }
  tskv::BloomMayContain(block, n, tskv::BloomHash(key, klen));
  if (n >= 5) tskv::BlockTrailerOk(block, n - 5, block + n - 5);
  delete[] block;
  return 0;
}
