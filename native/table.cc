#include "table.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "sstable.h"

namespace tskv {
namespace {

constexpr size_t kTrailer = 5;
constexpr size_t kFooter = 52;

// What a mapped table keeps for point reads (tableIndexFences): fences over its index (sstable.h) and a copy of its
// Bloom filter whose lines start on cache lines (the mapping's offset is arbitrary): `filter` holds it from its first
// 64-byte boundary on.
struct Fences {
  uint64_t index_offset = 0;
  uint64_t index_size = 0;
  IndexFences index;
  uint64_t filter_offset = 0;
  uint64_t filter_size = 0;
  std::vector<uint8_t> filter;
  const uint8_t* FilterData() const {
    const uint8_t* p = filter.data();
    return p + (64 - reinterpret_cast<uintptr_t>(p) % 64) % 64;
  }
};

struct Mapping {
  const uint8_t* data = nullptr;
  size_t size = 0;
  bool open = false;
  Fences fences;
};

// One registry per JavaScript environment (main thread, each worker), so no locking is needed.
struct Registry {
  std::vector<Mapping> maps;
  std::vector<uint32_t> free_ids;
  BlockEntry scratch;

  ~Registry() {
    for (auto& m : maps) {
      if (m.open && m.size > 0) munmap(const_cast<uint8_t*>(m.data), m.size);
    }
  }
};

Registry& GetRegistry(Napi::Env env) {
  Registry* r = env.GetInstanceData<Registry>();
  if (r == nullptr) {
    r = new Registry();
    env.SetInstanceData<Registry>(r);
  }
  return *r;
}

void ThrowCode(Napi::Env env, const std::string& message, const char* code, double offset = -1) {
  Napi::Error err = Napi::Error::New(env, message);
  err.Set("code", Napi::String::New(env, code));
  if (offset >= 0) err.Set("offset", Napi::Number::New(env, offset));
  err.ThrowAsJavaScriptException();
}

const Mapping* GetMapping(const Napi::CallbackInfo& info, size_t arg) {
  Napi::Env env = info.Env();
  if (info.Length() <= arg || !info[arg].IsNumber()) {
    Napi::TypeError::New(env, "table id must be a number").ThrowAsJavaScriptException();
    return nullptr;
  }
  Registry& r = GetRegistry(env);
  int64_t id = info[arg].As<Napi::Number>().Int64Value();
  if (id < 0 || static_cast<uint64_t>(id) >= r.maps.size() || !r.maps[id].open) {
    ThrowCode(env, "table is not mapped (closed or never opened)", "TSKV_ERR_CLOSED");
    return nullptr;
  }
  return &r.maps[id];
}

bool GetRange(const Napi::CallbackInfo& info, size_t arg, const Mapping& m, uint64_t* offset, uint64_t* size) {
  if (info.Length() <= arg + 1 || !info[arg].IsNumber() || !info[arg + 1].IsNumber()) {
    Napi::TypeError::New(info.Env(), "offset and size must be numbers").ThrowAsJavaScriptException();
    return false;
  }
  double o = info[arg].As<Napi::Number>().DoubleValue();
  double s = info[arg + 1].As<Napi::Number>().DoubleValue();
  if (!(o >= 0) || !(s >= 0) || o + s + kTrailer > static_cast<double>(m.size)) {
    ThrowCode(info.Env(), "block lies outside the table", "TSKV_ERR_CORRUPTION", o >= 0 ? o : 0);
    return false;
  }
  *offset = static_cast<uint64_t>(o);
  *size = static_cast<uint64_t>(s);
  return true;
}

bool GetBytes(const Napi::CallbackInfo& info, size_t arg, const uint8_t** data, size_t* n) {
  if (info.Length() <= arg || !info[arg].IsTypedArray() ||
      info[arg].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    Napi::TypeError::New(info.Env(), "expected a Uint8Array").ThrowAsJavaScriptException();
    return false;
  }
  auto a = info[arg].As<Napi::Uint8Array>();
  *data = a.Data();
  *n = a.ElementLength();
  return true;
}

// mapTable(path) -> [id, size]
Napi::Value MapTable(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) {
    Napi::TypeError::New(env, "mapTable: path must be a string").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  std::string path = info[0].As<Napi::String>().Utf8Value();
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int e = errno;
    ThrowCode(env, std::string("open ") + path + ": " + std::strerror(e), e == ENOENT ? "ENOENT" : "EIO");
    return env.Undefined();
  }
  struct stat st;
  if (fstat(fd, &st) != 0) {
    int e = errno;
    close(fd);
    ThrowCode(env, std::string("fstat ") + path + ": " + std::strerror(e), "EIO");
    return env.Undefined();
  }
  Mapping m;
  m.size = static_cast<size_t>(st.st_size);
  if (m.size > 0) {
    void* p = mmap(nullptr, m.size, PROT_READ, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) {
      int e = errno;
      close(fd);
      ThrowCode(env, std::string("mmap ") + path + ": " + std::strerror(e), "EIO");
      return env.Undefined();
    }
    m.data = static_cast<const uint8_t*>(p);
    madvise(p, m.size, MADV_RANDOM);
  }
  close(fd);
  m.open = true;
  Registry& r = GetRegistry(env);
  uint32_t id;
  if (!r.free_ids.empty()) {
    id = r.free_ids.back();
    r.free_ids.pop_back();
    r.maps[id] = m;
  } else {
    id = static_cast<uint32_t>(r.maps.size());
    r.maps.push_back(m);
  }
  Napi::Array out = Napi::Array::New(env, 2);
  out.Set(0u, Napi::Number::New(env, id));
  out.Set(1u, Napi::Number::New(env, static_cast<double>(m.size)));
  return out;
}

Napi::Value UnmapTable(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const Mapping* m = GetMapping(info, 0);
  if (m == nullptr) return env.Undefined();
  Registry& r = GetRegistry(env);
  uint32_t id = info[0].As<Napi::Number>().Uint32Value();
  if (m->size > 0) munmap(const_cast<uint8_t*>(m->data), m->size);
  r.maps[id] = Mapping{};
  r.free_ids.push_back(id);
  return env.Undefined();
}

// tableIndexFences(id, indexOffset, indexSize[, filterOffset, filterSize]) -> number of fences built (0: the index
// does not suit them, e.g. its entries share key bytes with the one before; point reads then search the index block
// as before). With the filter's place, its aligned copy is kept too. The caller must have verified both blocks.
Napi::Value TableIndexFences(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const Mapping* cm = GetMapping(info, 0);
  if (cm == nullptr) return env.Undefined();
  Mapping* m = const_cast<Mapping*>(cm);
  uint64_t off, size;
  if (!GetRange(info, 1, *m, &off, &size)) return env.Undefined();
  uint64_t foff = 0, fsize = 0;
  if (info.Length() > 3 && !GetRange(info, 3, *m, &foff, &fsize)) return env.Undefined();
  Fences f;
  if (fsize > 0) {
    f.filter_offset = foff;
    f.filter_size = fsize;
    f.filter.resize(fsize + 63);
    std::memcpy(const_cast<uint8_t*>(f.FilterData()), m->data + foff, fsize);
  }
  f.index_offset = off;
  f.index_size = size;
  BuildFences(m->data + off, size, &f.index);
  const size_t built = f.index.prefix.size();
  m->fences = std::move(f);
  return Napi::Number::New(env, static_cast<double>(built));
}

// tableReadBlock(id, offset, size) -> Buffer (a verified copy of the block's contents)
Napi::Value TableReadBlock(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const Mapping* m = GetMapping(info, 0);
  if (m == nullptr) return env.Undefined();
  uint64_t off, size;
  if (!GetRange(info, 1, *m, &off, &size)) return env.Undefined();
  if (!BlockTrailerOk(m->data + off, size, m->data + off + size)) {
    ThrowCode(env, m->data[off + size] != 0 ? "unknown compression" : "block checksum mismatch", "TSKV_ERR_CORRUPTION",
              static_cast<double>(off));
    return env.Undefined();
  }
  return Napi::Buffer<uint8_t>::Copy(env, m->data + off, size);
}

// tableGet(id, indexOffset, indexSize, filterOffset, filterSize, key, maxSeq[, out])
//   -> 0 (filter says absent) | 1 (absent) | null (tombstone) | Buffer (value copy)
//    | -n-1 (the value, n bytes, was copied to the start of `out`, a Uint8Array the caller reuses)
// `out` spares an ArrayBuffer per found value (malloc, free and V8's backing-store bookkeeping cost more than the
// search itself); values longer than `out` come back as a Buffer as before.
Napi::Value TableGet(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const Mapping* m = GetMapping(info, 0);
  if (m == nullptr) return env.Undefined();
  uint64_t index_off, index_size, filter_off, filter_size;
  if (!GetRange(info, 1, *m, &index_off, &index_size) || !GetRange(info, 3, *m, &filter_off, &filter_size)) {
    return env.Undefined();
  }
  const uint8_t* key;
  size_t key_len;
  if (!GetBytes(info, 5, &key, &key_len)) return env.Undefined();
  if (info.Length() < 7 || !info[6].IsNumber()) {
    Napi::TypeError::New(env, "tableGet: maxSeq must be a number").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  double seqd = info[6].As<Napi::Number>().DoubleValue();
  uint64_t max_seq = seqd <= 0 ? 0 : seqd >= 9007199254740991.0 ? 9007199254740991ull : static_cast<uint64_t>(seqd);
  const Fences& f = m->fences;
  // The filter's line for the key is asked for first and checked after the index search, so that its miss and the
  // search overlap (a blocked filter's key lies in line hash mod lines; see BloomMayContain).
  const uint8_t* filter = nullptr;
  uint32_t hash = 0;
  if (filter_size > 0) {
    filter = f.filter_size == filter_size && f.filter_offset == filter_off ? f.FilterData() : m->data + filter_off;
    hash = BloomHash(key, key_len);
    const uint8_t* line = BloomLine(filter, filter_size, hash);
    if (line != nullptr) __builtin_prefetch(line);
  }
  if (m->size < kFooter) {
    ThrowCode(env, "table shorter than its footer", "TSKV_ERR_CORRUPTION", 0);
    return env.Undefined();
  }
  const size_t data_end = m->size - kFooter;
  BlockEntry& e = GetRegistry(env).scratch;
  size_t err = 0;
  const uint8_t* index = m->data + index_off;
  // The index block was verified when the table was opened; data blocks are verified on every read.
  uint64_t boff, bsize;
  size_t at = 0;  // the index entry's offset, for errors
  size_t i = SIZE_MAX;
  if (!f.index.prefix.empty() && f.index_offset == index_off && f.index_size == index_size) {
    if (FenceSeek(f.index, index, key, key_len, max_seq, &e, &i, &err) == SeekResult::kCorrupt) {
      ThrowCode(env, "damaged index block", "TSKV_ERR_CORRUPTION", static_cast<double>(index_off + err));
      return env.Undefined();
    }
  }
  if (filter != nullptr && !BloomMayContain(filter, filter_size, hash)) return Napi::Number::New(env, 0);
  if (i != SIZE_MAX) {
    if (i == f.index.prefix.size()) return Napi::Number::New(env, 1);
    boff = f.index.block_off[i];
    bsize = f.index.block_size[i];
    at = f.index.entry[i];
  } else {
    SeekResult s = BlockSeek(index, index_size, key, key_len, max_seq, &e, &err);
    if (s == SeekResult::kCorrupt) {
      ThrowCode(env, "damaged index block", "TSKV_ERR_CORRUPTION", static_cast<double>(index_off + err));
      return env.Undefined();
    }
    if (s == SeekResult::kEnd) return Napi::Number::New(env, 1);
    at = e.offset;
    if (!DecodeHandle(index + e.value_offset, e.value_size, &boff, &bsize)) boff = data_end + 1;
  }
  if (boff > data_end || bsize > data_end - boff || kTrailer > data_end - boff - bsize) {
    ThrowCode(env, "bad block handle in the index", "TSKV_ERR_CORRUPTION", static_cast<double>(index_off + at));
    return env.Undefined();
  }
  const uint8_t* block = m->data + boff;
  // Ask for every line of the block at once (it is checked to lie inside the mapping above): the trailer and CRC
  // below would otherwise take one miss and then stream the rest. Embedded random gets from 3 M keys in tables:
  // 2953/2914/2889 -> 2699/2695/2700 ns a get. Into L2 (locality 1, prefetcht2 on x86): the L1's few fill buffers
  // made 64 lines take several rounds of DRAM latency; 2274/2293/2415/2363 -> 2232/2168/2362/2297 ns.
  for (uint64_t o = 0; o < bsize + kTrailer; o += 64) __builtin_prefetch(block + o, 0, 1);
  if (!BlockTrailerOk(block, bsize, block + bsize)) {
    ThrowCode(env, "block checksum mismatch", "TSKV_ERR_CORRUPTION", static_cast<double>(boff));
    return env.Undefined();
  }
  SeekResult r = BlockSeek(block, bsize, key, key_len, max_seq, &e, &err);
  if (r == SeekResult::kCorrupt) {
    ThrowCode(env, "damaged data block", "TSKV_ERR_CORRUPTION", static_cast<double>(boff + err));
    return env.Undefined();
  }
  // The index names each block by its last entry, so the entry sought is in this block or nowhere.
  if (r == SeekResult::kEnd) {
    ThrowCode(env, "index entry does not match its block", "TSKV_ERR_CORRUPTION", static_cast<double>(boff));
    return env.Undefined();
  }
  if (e.key.size() != key_len || (key_len > 0 && std::memcmp(e.key.data(), key, key_len) != 0)) {
    return Napi::Number::New(env, 1);
  }
  if (e.tombstone) return env.Null();
  if (info.Length() > 7 && !info[7].IsUndefined()) {
    uint8_t* out;
    size_t out_len;
    if (!GetBytes(info, 7, const_cast<const uint8_t**>(&out), &out_len)) return env.Undefined();
    if (e.value_size <= out_len) {
      if (e.value_size > 0) std::memcpy(out, block + e.value_offset, e.value_size);
      return Napi::Number::New(env, -static_cast<double>(e.value_size) - 1);
    }
  }
  return Napi::Buffer<uint8_t>::Copy(env, block + e.value_offset, e.value_size);
}

// Test and benchmark entry points over plain buffers: bloomHash(key), bloomMayContain(filter, key),
// blockSeek(block, key, maxSeq) -> [entryOffset, seq] | -1 (end).
Napi::Value JsBloomHash(const Napi::CallbackInfo& info) {
  const uint8_t* k;
  size_t n;
  if (!GetBytes(info, 0, &k, &n)) return info.Env().Undefined();
  return Napi::Number::New(info.Env(), BloomHash(k, n));
}

Napi::Value JsBloomMayContain(const Napi::CallbackInfo& info) {
  const uint8_t* f;
  size_t fn;
  const uint8_t* k;
  size_t kn;
  if (!GetBytes(info, 0, &f, &fn) || !GetBytes(info, 1, &k, &kn)) return info.Env().Undefined();
  return Napi::Boolean::New(info.Env(), BloomMayContain(f, fn, BloomHash(k, kn)));
}

Napi::Value JsBlockSeek(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const uint8_t* b;
  size_t bn;
  const uint8_t* k;
  size_t kn;
  if (!GetBytes(info, 0, &b, &bn) || !GetBytes(info, 1, &k, &kn)) return env.Undefined();
  if (info.Length() < 3 || !info[2].IsNumber()) {
    Napi::TypeError::New(env, "blockSeek: maxSeq must be a number").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  double seqd = info[2].As<Napi::Number>().DoubleValue();
  uint64_t seq = seqd <= 0 ? 0 : seqd >= 9007199254740991.0 ? 9007199254740991ull : static_cast<uint64_t>(seqd);
  BlockEntry& e = GetRegistry(env).scratch;
  size_t err = 0;
  SeekResult r = BlockSeek(b, bn, k, kn, seq, &e, &err);
  if (r == SeekResult::kCorrupt) {
    ThrowCode(env, "damaged block", "TSKV_ERR_CORRUPTION", static_cast<double>(err));
    return env.Undefined();
  }
  if (r == SeekResult::kEnd) return Napi::Number::New(env, -1);
  Napi::Array out = Napi::Array::New(env, 2);
  out.Set(0u, Napi::Number::New(env, static_cast<double>(e.offset)));
  out.Set(1u, Napi::Number::New(env, static_cast<double>(e.seq)));
  return out;
}

}  // namespace

void InitTable(Napi::Env env, Napi::Object exports) {
  exports.Set("mapTable", Napi::Function::New(env, MapTable, "mapTable"));
  exports.Set("unmapTable", Napi::Function::New(env, UnmapTable, "unmapTable"));
  exports.Set("tableReadBlock", Napi::Function::New(env, TableReadBlock, "tableReadBlock"));
  exports.Set("tableGet", Napi::Function::New(env, TableGet, "tableGet"));
  exports.Set("tableIndexFences", Napi::Function::New(env, TableIndexFences, "tableIndexFences"));
  exports.Set("bloomHash", Napi::Function::New(env, JsBloomHash, "bloomHash"));
  exports.Set("bloomMayContain", Napi::Function::New(env, JsBloomMayContain, "bloomMayContain"));
  exports.Set("blockSeek", Napi::Function::New(env, JsBlockSeek, "blockSeek"));
}

}  // namespace tskv
