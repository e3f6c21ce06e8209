// SSTable primitives over raw bytes (docs/format.md, "SSTables"): the Bloom hash and probe, block search, and block
// checksum verification. Pure functions with every read bounds-checked against the buffer they are given, so the
// same code serves the mmap'd tables (table.cc) and the libFuzzer harness (fuzz/).
#ifndef TSKV_NATIVE_SSTABLE_H_
#define TSKV_NATIVE_SSTABLE_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace tskv {

// MurmurHash3 x86_32 with the fixed seed of the filter format.
uint32_t BloomHash(const uint8_t* key, size_t n);

// Last byte of a blocked filter (each key's bits in one 64-byte line); the first layout ends with its probe count.
constexpr uint8_t kBlockedFilter = 0xff;

// False when the filter rules the key out (either layout); a malformed filter answers true (never a false negative).
bool BloomMayContain(const uint8_t* filter, size_t n, uint32_t hash);

// In a well-formed blocked filter of n bytes, the 64-byte line that holds all of the key's bits; nullptr for the
// whole-array layout or a malformed filter.
const uint8_t* BloomLine(const uint8_t* filter, size_t n, uint32_t hash);

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

enum class SeekResult { kFound, kEnd, kCorrupt };

// A search aid over an index block whose every entry is a restart (shares no key bytes) naming a data block by its
// last key: a point read's binary search over the index block costs two dependent cache misses a probe (the restart
// array, then the entry). The fences keep, per entry, the 8 key bytes that follow the prefix all index keys share,
// big-endian, so the search runs over one small array and the block handle comes from others; entries whose 8 bytes
// tie with the key's are compared in full from the index block.
struct IndexFences {
  size_t limit = 0;                  // where the index block's entries end
  std::string common;                // the prefix all index keys share
  std::vector<uint64_t> prefix;      // 8 bytes after `common`, zero-padded, big-endian
  std::vector<uint32_t> entry;       // offset of the entry in the index block
  std::vector<uint64_t> block_off;   // its block handle
  std::vector<uint64_t> block_size;
};

// Builds fences over an index block of n bytes. False (and `out` empty) when the block does not suit them: damage,
// an entry that shares bytes with the one before or is not its own restart point, keys out of internal order, a bad
// block handle, no entries.
bool BuildFences(const uint8_t* index, size_t n, IndexFences* out);

// Over the index block the fences were built from: the number of the first entry at or after (key, seq) in internal
// order (f.prefix.size() when none), as kFound/kEnd; kCorrupt with *error_offset when a tied entry fails to decode.
// When the key lacks the shared prefix, kCorrupt is never returned: *entry = SIZE_MAX asks for the plain BlockSeek.
SeekResult FenceSeek(const IndexFences& f, const uint8_t* index, const uint8_t* key, size_t key_len, uint64_t seq,
                     BlockEntry* scratch, size_t* entry, size_t* error_offset);

// The entry against (key, seq) in internal order (key ascending, then sequence descending): <0, 0, >0.
int CompareEntry(const BlockEntry& e, const uint8_t* key, size_t key_len, uint64_t seq);


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
