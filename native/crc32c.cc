#include "crc32c.h"

#include <cstring>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace tskv {
namespace {

constexpr uint32_t kPoly = 0x82f63b78;  // reflected Castagnoli polynomial

// Tables are computed once on first use and never written again.
struct Tables {
  uint32_t slice[8][256];
  // shift_long[i][b]: raw CRC state of byte b at position i advanced over kLongBlock zero bytes.
  uint32_t shift_long[4][256];
  uint32_t shift_short[4][256];
  bool hardware;
};

constexpr size_t kLongBlock = 8192;  // bytes per stream when three run interleaved
constexpr size_t kShortBlock = 256;

uint32_t SoftwareRaw(uint32_t state, const uint8_t* p, size_t n, const Tables& t) {
  while (n > 0 && (reinterpret_cast<uintptr_t>(p) & 7) != 0) {
    state = t.slice[0][(state ^ *p++) & 0xff] ^ (state >> 8);
    --n;
  }
  while (n >= 8) {
    uint32_t lo;
    uint32_t hi;
    std::memcpy(&lo, p, 4);
    std::memcpy(&hi, p + 4, 4);
    lo ^= state;
    state = t.slice[7][lo & 0xff] ^ t.slice[6][(lo >> 8) & 0xff] ^ t.slice[5][(lo >> 16) & 0xff] ^
            t.slice[4][lo >> 24] ^ t.slice[3][hi & 0xff] ^ t.slice[2][(hi >> 8) & 0xff] ^
            t.slice[1][(hi >> 16) & 0xff] ^ t.slice[0][hi >> 24];
    p += 8;
    n -= 8;
  }
  while (n > 0) {
    state = t.slice[0][(state ^ *p++) & 0xff] ^ (state >> 8);
    --n;
  }
  return state;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) uint32_t HardwareRaw(uint32_t state, const uint8_t* p,
                                                         size_t n) {
  uint64_t s = state;
  while (n >= 8) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    s = _mm_crc32_u64(s, v);
    p += 8;
    n -= 8;
  }
  uint32_t s32 = static_cast<uint32_t>(s);
  while (n > 0) {
    s32 = _mm_crc32_u8(s32, *p++);
    --n;
  }
  return s32;
}

inline uint32_t ShiftState(const uint32_t (*table)[256], uint32_t s) {
  return table[0][s & 0xff] ^ table[1][(s >> 8) & 0xff] ^ table[2][(s >> 16) & 0xff] ^
         table[3][s >> 24];
}

// Three independent streams over adjacent blocks hide the crc32 instruction's 3-cycle latency;
// the partial states are joined with the zero-shift tables. Consumes whole 3*block spans.
__attribute__((target("sse4.2"))) uint32_t HardwareThreeWay(uint32_t state, const uint8_t** pp,
                                                             size_t* pn, size_t block,
                                                             const uint32_t (*table)[256]) {
  const uint8_t* p = *pp;
  size_t n = *pn;
  while (n >= 3 * block) {
    uint64_t a = state, b = 0, c = 0;
    for (size_t i = 0; i < block; i += 8) {
      uint64_t va, vb, vc;
      std::memcpy(&va, p + i, 8);
      std::memcpy(&vb, p + block + i, 8);
      std::memcpy(&vc, p + 2 * block + i, 8);
      a = _mm_crc32_u64(a, va);
      b = _mm_crc32_u64(b, vb);
      c = _mm_crc32_u64(c, vc);
    }
    uint32_t ab = ShiftState(table, static_cast<uint32_t>(a)) ^ static_cast<uint32_t>(b);
    state = ShiftState(table, ab) ^ static_cast<uint32_t>(c);
    p += 3 * block;
    n -= 3 * block;
  }
  *pp = p;
  *pn = n;
  return state;
}

uint32_t HardwareInterleaved(uint32_t state, const uint8_t* p, size_t n, const Tables& t) {
  state = HardwareThreeWay(state, &p, &n, kLongBlock, t.shift_long);
  state = HardwareThreeWay(state, &p, &n, kShortBlock, t.shift_short);
  return HardwareRaw(state, p, n);
}
#endif

void BuildShift(const Tables& t, size_t zeros, uint32_t (*out)[256]) {
  static const uint8_t kZeros[kLongBlock] = {0};
  for (int i = 0; i < 4; ++i) {
    for (uint32_t v = 0; v < 256; ++v) {
      out[i][v] = SoftwareRaw(v << (8 * i), kZeros, zeros, t);
    }
  }
}

const Tables& GetTables() {
  static const Tables* tables = [] {
    auto* t = new Tables();
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ kPoly : c >> 1;
      t->slice[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; ++i) {
      for (int s = 1; s < 8; ++s) {
        uint32_t prev = t->slice[s - 1][i];
        t->slice[s][i] = t->slice[0][prev & 0xff] ^ (prev >> 8);
      }
    }
    BuildShift(*t, kLongBlock, t->shift_long);
    BuildShift(*t, kShortBlock, t->shift_short);
#if defined(__x86_64__)
    __builtin_cpu_init();
    t->hardware = __builtin_cpu_supports("sse4.2");
#else
    t->hardware = false;
#endif
    return t;
  }();
  return *tables;
}

// crc32c(data: Uint8Array, init?: number): number
#ifndef TSKV_NO_NAPI
Napi::Value JsCrc32c(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsTypedArray()) {
    Napi::TypeError::New(env, "crc32c: data must be a Uint8Array").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::TypedArray arr = info[0].As<Napi::TypedArray>();
  if (arr.TypedArrayType() != napi_uint8_array) {
    Napi::TypeError::New(env, "crc32c: data must be a Uint8Array").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  uint32_t init = 0;
  if (info.Length() >= 2 && !info[1].IsUndefined()) {
    if (!info[1].IsNumber()) {
      Napi::TypeError::New(env, "crc32c: init must be a number").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    init = info[1].As<Napi::Number>().Uint32Value();
  }
  auto u8 = arr.As<Napi::Uint8Array>();
  return Napi::Number::New(env, Crc32cExtend(init, u8.Data(), u8.ElementLength()));
}

// crc32cMany(data: Uint8Array, ranges: Int32Array, count: number, out: Uint32Array): out[i] = CRC32C of
// data[ranges[2i], ranges[2i] + ranges[2i + 1]) for i < count. One call for many small records (a WAL group's),
// where a call per record costs more than its CRC. Every range is checked against `data` before any is computed.
Napi::Value JsCrc32cMany(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 4 || !info[0].IsTypedArray() || !info[1].IsTypedArray() || !info[2].IsNumber() ||
      !info[3].IsTypedArray()) {
    Napi::TypeError::New(env, "crc32cMany(data: Uint8Array, ranges: Int32Array, count: number, out: Uint32Array)")
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::TypedArray data = info[0].As<Napi::TypedArray>();
  Napi::TypedArray ranges = info[1].As<Napi::TypedArray>();
  Napi::TypedArray out = info[3].As<Napi::TypedArray>();
  if (data.TypedArrayType() != napi_uint8_array || ranges.TypedArrayType() != napi_int32_array ||
      out.TypedArrayType() != napi_uint32_array) {
    Napi::TypeError::New(env, "crc32cMany: data must be a Uint8Array, ranges an Int32Array, out a Uint32Array")
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }
  const double count_arg = info[2].As<Napi::Number>().DoubleValue();
  const auto bytes = data.As<Napi::Uint8Array>();
  const auto r = ranges.As<Napi::Int32Array>();
  auto crcs = out.As<Napi::Uint32Array>();
  if (!(count_arg >= 0) || count_arg > static_cast<double>(r.ElementLength() / 2) ||
      count_arg > static_cast<double>(crcs.ElementLength())) {
    Napi::RangeError::New(env, "crc32cMany: count exceeds ranges or out").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  if (!Crc32cRanges(bytes.Data(), bytes.ElementLength(), r.Data(), static_cast<size_t>(count_arg), crcs.Data())) {
    Napi::RangeError::New(env, "crc32cMany: a range lies outside data").ThrowAsJavaScriptException();
  }
  return env.Undefined();
}

Napi::Value JsCrc32cIsHardware(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), Crc32cIsHardware());
}

#endif  // TSKV_NO_NAPI

}  // namespace

uint32_t Crc32cExtend(uint32_t crc, const uint8_t* data, size_t n) {
  const Tables& t = GetTables();
  uint32_t state = ~crc;
#if defined(__x86_64__)
  if (t.hardware) return ~HardwareInterleaved(state, data, n, t);
#endif
  return ~SoftwareRaw(state, data, n, t);
}

bool Crc32cRanges(const uint8_t* data, size_t size, const int32_t* ranges, size_t count, uint32_t* out) {
  for (size_t i = 0; i < count; i++) {
    const int32_t start = ranges[2 * i];
    const int32_t len = ranges[2 * i + 1];
    if (start < 0 || len < 0 || static_cast<size_t>(start) > size ||
        static_cast<size_t>(len) > size - static_cast<size_t>(start)) {
      return false;
    }
  }
  for (size_t i = 0; i < count; i++) {
    out[i] = Crc32cExtend(0, data + ranges[2 * i], static_cast<size_t>(ranges[2 * i + 1]));
  }
  return true;
}

bool Crc32cIsHardware() { return GetTables().hardware; }

#ifndef TSKV_NO_NAPI
void InitCrc32c(Napi::Env env, Napi::Object exports) {
  exports.Set("crc32c", Napi::Function::New(env, JsCrc32c, "crc32c"));
  exports.Set("crc32cMany", Napi::Function::New(env, JsCrc32cMany, "crc32cMany"));
  exports.Set("crc32cIsHardware", Napi::Function::New(env, JsCrc32cIsHardware, "crc32cIsHardware"));
}
#endif  // TSKV_NO_NAPI

}  // namespace tskv
