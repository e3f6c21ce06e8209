#include "sstable.h"

#include <cstring>

#include "crc32c.h"

namespace tskv {
namespace {

inline uint32_t Rotl(uint32_t x, int r) { return (x << r) | (x >> (32 - r)); }

// Unsigned LEB128 of at most 8 bytes, as the TypeScript side writes (values below 2^53).
bool ReadVarint(const uint8_t* p, size_t end, size_t* pos, uint64_t* out) {
  uint64_t result = 0;
  for (int i = 0; i < 8; i++) {
    if (*pos >= end) return false;
    uint8_t b = p[(*pos)++];
    result |= static_cast<uint64_t>(b & 0x7f) << (7 * i);
    if ((b & 0x80) == 0) {
      *out = result;
      return true;
    }
  }
  return false;
}

inline uint32_t ReadU32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;  // the formats are little-endian, as are the machines we build for
}

int CompareKeys(const uint8_t* a, size_t an, const uint8_t* b, size_t bn) {
  size_t n = an < bn ? an : bn;
  int c = n == 0 ? 0 : std::memcmp(a, b, n);
  if (c != 0) return c;
  return an < bn ? -1 : an > bn ? 1 : 0;
}

// Internal order: key ascending, then sequence descending.
int CompareInternal(const std::string& k, uint64_t s, const uint8_t* key, size_t key_len, uint64_t seq) {
  int c = CompareKeys(reinterpret_cast<const uint8_t*>(k.data()), k.size(), key, key_len);
  if (c != 0) return c;
  return s > seq ? -1 : s < seq ? 1 : 0;
}

struct Cursor {
  const uint8_t* data;
  size_t limit;  // start of the restart array
  size_t next = 0;
  BlockEntry* e;

  // Decodes the entry at `pos` on top of e->key (the previous key, for shared bytes). False on damage.
  bool DecodeAt(size_t pos, size_t* error_offset) { return DecodeEntry(data, limit, pos, e, &next, error_offset); }
};

}  // namespace

bool DecodeEntry(const uint8_t* data, size_t limit, size_t pos, BlockEntry* e, size_t* next, size_t* error_offset) {
  size_t p = pos;
  uint64_t shared, unshared, seq, tag;
  if (!ReadVarint(data, limit, &p, &shared) || !ReadVarint(data, limit, &p, &unshared) ||
      !ReadVarint(data, limit, &p, &seq) || !ReadVarint(data, limit, &p, &tag)) {
    *error_offset = pos;
    return false;
  }
  uint64_t vlen = tag == 0 ? 0 : tag - 1;
  if (shared > e->key.size() || unshared > limit - p || vlen > limit - p - unshared) {
    *error_offset = pos;
    return false;
  }
  e->key.resize(shared);
  e->key.append(reinterpret_cast<const char*>(data + p), unshared);
  p += unshared;
  e->shared = shared;
  e->seq = seq;
  e->tombstone = tag == 0;
  e->value_offset = p;
  e->value_size = vlen;
  e->offset = pos;
  *next = p + vlen;
  return true;
}

int CompareEntry(const BlockEntry& e, const uint8_t* key, size_t key_len, uint64_t seq) {
  return CompareInternal(e.key, e.seq, key, key_len, seq);
}

uint32_t BloomHash(const uint8_t* key, size_t n) {
  uint32_t h = 0x9747b28c;
  size_t blocks = n & ~static_cast<size_t>(3);
  for (size_t i = 0; i < blocks; i += 4) {
    uint32_t k = ReadU32(key + i);
    k *= 0xcc9e2d51;
    k = Rotl(k, 15);
    k *= 0x1b873593;
    h ^= k;
    h = Rotl(h, 13);
    h = h * 5 + 0xe6546b64;
  }
  size_t rest = n & 3;
  if (rest > 0) {
    uint32_t k = 0;
    if (rest == 3) k ^= static_cast<uint32_t>(key[blocks + 2]) << 16;
    if (rest >= 2) k ^= static_cast<uint32_t>(key[blocks + 1]) << 8;
    k ^= key[blocks];
    k *= 0xcc9e2d51;
    k = Rotl(k, 15);
    k *= 0x1b873593;
    h ^= k;
  }
  h ^= static_cast<uint32_t>(n);
  h ^= h >> 16;
  h *= 0x85ebca6b;
  h ^= h >> 13;
  h *= 0xc2b2ae35;
  h ^= h >> 16;
  return h;
}

const uint8_t* BloomLine(const uint8_t* filter, size_t n, uint32_t hash) {
  // Blocked layout: L lines of 64 bytes | k | 0xFF (docs/format.md, "Filter block").
  if (n < 66 || filter[n - 1] != kBlockedFilter || (n - 2) % 64 != 0) return nullptr;
  return filter + static_cast<size_t>(hash % ((n - 2) / 64)) * 64;
}

bool BloomMayContain(const uint8_t* filter, size_t n, uint32_t hash) {
  if (n < 2) return true;
  if (filter[n - 1] == kBlockedFilter) {
    // All k bits of a key in one 64-byte line.
    const uint8_t* line = BloomLine(filter, n, hash);
    unsigned k = filter[n - 2];
    if (line == nullptr || k < 1 || k > 30) return true;
    uint32_t g = hash;
    for (unsigned j = 0; j < k; j++) {
      g *= 0x9e3779b1u;
      uint32_t bit = g >> 23;
      if ((line[bit >> 3] & (1u << (bit & 7))) == 0) return false;
    }
    return true;
  }
  // The first layout: one bit array, probes anywhere in it.
  size_t bytes = n - 1;
  unsigned k = filter[bytes];
  if (k < 1 || k > 30) return true;
  uint64_t nbits = static_cast<uint64_t>(bytes) * 8;
  uint32_t h = hash;
  uint32_t delta = (h >> 17) | (h << 15);
  for (unsigned j = 0; j < k; j++) {
    uint64_t pos = h % nbits;
    if ((filter[pos >> 3] & (1u << (pos & 7))) == 0) return false;
    h += delta;
  }
  return true;
}

SeekResult BlockSeek(const uint8_t* block, size_t n, const uint8_t* key, size_t key_len, uint64_t seq, BlockEntry* out,
                     size_t* error_offset) {
  if (n < 4) {
    *error_offset = 0;
    return SeekResult::kCorrupt;
  }
  uint32_t num_restarts = ReadU32(block + n - 4);
  if (num_restarts == 0 || num_restarts > (n - 4) / 4) {
    *error_offset = n - 4;
    return SeekResult::kCorrupt;
  }
  size_t restarts = n - 4 - static_cast<size_t>(num_restarts) * 4;
  Cursor c{block, restarts, 0, out};
  auto restart_at = [&](uint32_t i, size_t* off) -> bool {
    uint32_t v = ReadU32(block + restarts + static_cast<size_t>(i) * 4);
    if (v > restarts || (v == restarts && restarts != 0)) {
      *error_offset = restarts + static_cast<size_t>(i) * 4;
      return false;
    }
    *off = v;
    return true;
  };
  // Binary search: the last restart whose first entry is < target.
  uint32_t lo = 0;
  uint32_t hi = num_restarts - 1;
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo + 1) / 2;
    size_t off;
    if (!restart_at(mid, &off)) return SeekResult::kCorrupt;
    out->key.clear();
    if (off >= restarts) {
      hi = mid - 1;
      continue;
    }
    if (!c.DecodeAt(off, error_offset)) return SeekResult::kCorrupt;
    if (CompareInternal(out->key, out->seq, key, key_len, seq) < 0) {
      lo = mid;
    } else {
      hi = mid - 1;
    }
  }
  size_t off;
  if (!restart_at(lo, &off)) return SeekResult::kCorrupt;
  out->key.clear();
  size_t pos = off;
  while (pos < restarts) {
    if (!c.DecodeAt(pos, error_offset)) return SeekResult::kCorrupt;
    if (CompareInternal(out->key, out->seq, key, key_len, seq) >= 0) return SeekResult::kFound;
    pos = c.next;
  }
  return SeekResult::kEnd;
}

bool BlockTrailerOk(const uint8_t* contents, size_t n, const uint8_t* trailer) {
  if (trailer[0] != 0) return false;
  uint32_t crc = Crc32cExtend(Crc32cExtend(0, contents, n), trailer, 1);
  uint32_t masked = ReadU32(trailer + 1);
  uint32_t rot = masked - 0xa282ead8u;
  uint32_t stored = (rot >> 17) | (rot << 15);
  return stored == crc;
}

bool DecodeHandle(const uint8_t* p, size_t n, uint64_t* offset, uint64_t* size) {
  size_t pos = 0;
  return ReadVarint(p, n, &pos, offset) && ReadVarint(p, n, &pos, size);
}

namespace {

inline uint64_t Prefix8(const uint8_t* p, size_t n) {
  uint8_t b[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  if (n > 8) n = 8;
  if (n > 0) std::memcpy(b, p, n);
  uint64_t v;
  std::memcpy(&v, b, 8);
  return __builtin_bswap64(v);
}

}  // namespace

bool BuildFences(const uint8_t* index, size_t n, IndexFences* out) {
  *out = IndexFences{};
  if (n < 4) return false;
  uint32_t num_restarts = ReadU32(index + n - 4);
  if (num_restarts == 0 || num_restarts > (n - 4) / 4) return false;
  const size_t limit = n - 4 - static_cast<size_t>(num_restarts) * 4;
  IndexFences f;
  f.limit = limit;
  BlockEntry e, prev;
  std::vector<std::string> keys;
  size_t pos = 0;
  while (pos < limit) {
    size_t err = 0, next = 0;
    e.key.clear();
    if (!DecodeEntry(index, limit, pos, &e, &next, &err) || e.shared != 0) return false;
    // Entry i must be restart point i, so that BlockSeek and the fences search the same sequence.
    if (keys.size() >= num_restarts || ReadU32(index + limit + keys.size() * 4) != pos) return false;
    if (!keys.empty() && CompareEntry(prev, reinterpret_cast<const uint8_t*>(e.key.data()), e.key.size(), e.seq) >= 0) {
      return false;
    }
    uint64_t boff, bsize;
    if (!DecodeHandle(index + e.value_offset, e.value_size, &boff, &bsize)) return false;
    f.entry.push_back(static_cast<uint32_t>(pos));
    f.block_off.push_back(boff);
    f.block_size.push_back(bsize);
    keys.push_back(e.key);
    prev.key = e.key;
    prev.seq = e.seq;
    pos = next;
  }
  if (keys.empty() || keys.size() != num_restarts) return false;
  // Index keys ascend, so the prefix of the first and last is the prefix of all.
  const std::string& a = keys.front();
  const std::string& b = keys.back();
  size_t c = 0;
  while (c < a.size() && c < b.size() && a[c] == b[c]) c++;
  f.common = a.substr(0, c);
  f.prefix.reserve(keys.size());
  for (const auto& k : keys) f.prefix.push_back(Prefix8(reinterpret_cast<const uint8_t*>(k.data()) + c, k.size() - c));
  *out = std::move(f);
  return true;
}

SeekResult FenceSeek(const IndexFences& f, const uint8_t* index, const uint8_t* key, size_t key_len, uint64_t seq,
                     BlockEntry* scratch, size_t* entry, size_t* error_offset) {
  const size_t c = f.common.size();
  const size_t n = f.prefix.size();
  if (n == 0 || key_len < c || (c > 0 && std::memcmp(key, f.common.data(), c) != 0)) {
    *entry = SIZE_MAX;
    return SeekResult::kEnd;
  }
  // First entry whose prefix is >= the key's; entries up to the first greater one are compared in full.
  const uint64_t p = Prefix8(key + c, key_len - c);
  size_t lo = 0, hi = n;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (f.prefix[mid] < p) lo = mid + 1;
    else hi = mid;
  }
  // Entries whose prefix ties the key's are told apart in full, by a binary search too: keys that share more than
  // the 8 bytes after `common` (series META keys "a:000000…" beside their chunk keys) tie by the thousand, and a
  // walk over them cost one decode each (1 M series created through TS.ADD: 27 us a miss, half the server's time).
  size_t tie_end = lo;
  for (size_t hi2 = n; tie_end < hi2;) {
    size_t mid = (tie_end + hi2) / 2;
    if (f.prefix[mid] <= p) tie_end = mid + 1;
    else hi2 = mid;
  }
  size_t i = lo;
  for (size_t hi2 = tie_end; i < hi2;) {
    size_t mid = (i + hi2) / 2;
    scratch->key.clear();
    size_t next;
    if (!DecodeEntry(index, f.limit, f.entry[mid], scratch, &next, error_offset)) return SeekResult::kCorrupt;
    if (CompareEntry(*scratch, key, key_len, seq) >= 0) hi2 = mid;
    else i = mid + 1;
  }
  *entry = i;
  return i == n ? SeekResult::kEnd : SeekResult::kFound;
}

}  // namespace tskv
