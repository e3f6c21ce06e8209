// SSTable primitives over raw bytes (docs/format.md, "SSTables"): the Bloom hash and probe, block search, and block
// checksum verification. Pure functions with every read bounds-checked against the buffer they are given, so the
// same code serves the mmap'd tables (table.cc) and the libFuzzer harness (fuzz/).
#ifndef TSKV_NATIVE_SSTABLE_H_
#define TSKV_NATIVE_SSTABLE_H_

#include <cstddef>
#include <cstdint>
#include <string>

namespace tskv {

// MurmurHash3 x86_32 with the fixed seed of the filter format.
uint32_t BloomHash(const uint8_t* key, size_t n);

// Last byte of a blocked filter (each key's bits in one 64-byte line); the first layout ends with its probe count.
constexpr uint8_t kBlockedFilter = 0xff;

// False when the filter rules the key out (either layout); a malformed filter answers true (never a false negative).
bool BloomMayContain(const uint8_t* filter, size_t n, uint32_t hash);

// One decoded block entry. `key` holds the full key (prefix compression undone); value points into the block.
struct BlockEntry {
  std::string key;
  uint64_t seq = 0;
  bool tombstone = false;
  size_t value_offset = 0;
  size_t value_size = 0;
  size_t offset = 0;  // of the entry within the block
  size_t shared = 0;  // key bytes taken from the entry before
};

// Decodes the entry at `pos` of a block whose entries end at `limit` (where its restart array starts), on top of
// out->key (the previous key, for the shared bytes); *next is where the following entry starts. False on damage, with
// *error_offset = pos.
bool DecodeEntry(const uint8_t* block, size_t limit, size_t pos, BlockEntry* out, size_t* next, size_t* error_offset);

// The entry against (key, seq) in internal order (key ascending, then sequence descending): <0, 0, >0.
int CompareEntry(const BlockEntry& e, const uint8_t* key, size_t key_len, uint64_t seq);

enum class SeekResult { kFound, kEnd, kCorrupt };

// Positions at the first entry >= (key, seq) in internal order (key ascending, sequence descending). On kCorrupt,
// *error_offset is where in the block the damage was found.
SeekResult BlockSeek(const uint8_t* block, size_t n, const uint8_t* key, size_t key_len, uint64_t seq, BlockEntry* out,
                     size_t* error_offset);

// Verifies a block's 5-byte trailer (compression byte 0, masked CRC32C of contents + compression byte).
bool BlockTrailerOk(const uint8_t* contents, size_t n, const uint8_t* trailer);

// Decodes an index entry's value (varint offset, varint size).
bool DecodeHandle(const uint8_t* p, size_t n, uint64_t* offset, uint64_t* size);

}  // namespace tskv

#endif  // TSKV_NATIVE_SSTABLE_H_
