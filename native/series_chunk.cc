#include "series_chunk.h"

#include <cmath>
#include <cstring>

// Every step below follows decodeChunkJs (src/model/series/codec.ts) check for check, in the same float64
// arithmetic where the reference uses it (REGULAR and DOD timestamps, DECIMAL's k / 10^d), so both accept the same
// chunks and give the same bits. Two places use exact integers where the reference uses doubles, and agree with it:
//   - varints: the reference may round a varint of 2^53 or more; every such value is refused by both (a count, a
//     ts-bytes past the chunk, a first scaled value of 2^52 or more).
//   - DECIMAL's k: the reference's sums are exact while |k| < 2^53, and a frame whose k reaches 2^51 is refused by
//     both (k moves monotonically within a constant frame; the narrow path moves it by under 2^37 a frame; the wide
//     path checks every step).
// Bits past the end of a section read as zeros, where the reference reads the next section's bytes or its zero
// padding: a decoder that reads past its section always fails the stop-bit check, so what it read there never shows.
//
// Build with -ffp-contract=off (binding.gyp does): a fused multiply-add in first + i * step would differ from JS.

namespace tskv {
namespace {

constexpr double kTwo32 = 4294967296.0;
constexpr int kFrame = 64;
constexpr int64_t kMaxScaled = int64_t{1} << 51;
constexpr int kMaxDecimals = 9;
constexpr double kPow10[] = {1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9};
constexpr double kMaxSafe = 9007199254740991.0;

struct Failure {
  ChunkStatus status;
  size_t offset;
};

// Unsigned LEB128 of at most 8 bytes (src/engine/varint.ts readVarint): false when it runs past `end` or is longer.
bool ReadVarint(const uint8_t* p, size_t end, size_t* pos, uint64_t* out) {
  uint64_t result = 0;
  for (int i = 0; i < 8; i++) {
    if (*pos >= end) return false;
    const uint8_t b = p[(*pos)++];
    result |= static_cast<uint64_t>(b & 0x7f) << (7 * i);
    if ((b & 0x80) == 0) {
      *out = result;
      return true;
    }
  }
  return false;
}

// i64 LE as the reference reads it: a low u32 and a high i32, refused outside the safe integer range.
bool ReadI64(const uint8_t* p, double* out) {
  uint32_t lo;
  int32_t hi;
  std::memcpy(&lo, p, 4);
  std::memcpy(&hi, p + 4, 4);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  lo = __builtin_bswap32(lo);
  hi = static_cast<int32_t>(__builtin_bswap32(static_cast<uint32_t>(hi)));
#endif
  if (hi < -0x200000 || hi >= 0x200000 || (hi == -0x200000 && lo == 0)) return false;
  *out = static_cast<double>(hi) * kTwo32 + static_cast<double>(lo);
  return true;
}

// MSB-first bits of one section, data[0, len); bits at or past the end read as zeros. pos may run past the end (by
// at most one point's bits: callers check after each point), never far enough to overflow.
class BitReader {
 public:
  BitReader(const uint8_t* data, size_t len, size_t pos)
      : data_(data), len_(len), pos_(pos), tail_start_(len >= 8 ? len - 8 : 0) {
    // The section's last (up to) 8 bytes, zero-padded: reads there take one load, not a byte loop. A chunk of
    // 256 points often has a value section of under 64 bytes, so a quarter of its reads and more land there.
    std::memset(tail_, 0, sizeof tail_);
    if (len > 0) std::memcpy(tail_, data + tail_start_, len - tail_start_);
  }

  size_t pos() const { return pos_; }

  // Reads n bits, 1 <= n <= 57.
  uint64_t Read(unsigned n) {
    const uint64_t w = Load(pos_ >> 3) << (pos_ & 7);
    pos_ += n;
    return w >> (64 - n);
  }

  // Reads n bits, 0 <= n <= 64.
  uint64_t ReadWide(unsigned n) {
    if (n == 0) return 0;
    if (n <= 57) return Read(n);
    const uint64_t hi = Read(n - 32);
    return (hi << 32) | Read(32);
  }

  uint64_t Bit() {
    const size_t i = pos_ >> 3;
    const unsigned b = i < len_ ? (data_[i] >> (7 - (pos_ & 7))) & 1 : 0;
    pos_++;
    return b;
  }

 private:
  // The 8 bytes from byte i, big-endian, zeros past the end.
  uint64_t Load(size_t i) const {
    uint64_t w;
    if (i + 8 <= len_) {
      std::memcpy(&w, data_ + i, 8);
    } else if (i < len_) {
      std::memcpy(&w, tail_ + (i - tail_start_), 8);  // i - tail_start_ < 8: within tail_
    } else {
      return 0;
    }
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    return w;
#else
    return __builtin_bswap64(w);
#endif
  }

  const uint8_t* data_;
  size_t len_;
  size_t pos_;
  size_t tail_start_;
  uint8_t tail_[16];
};

// A section (data[0, end)) read up to bit pos must end there: a stop bit '1', then zeros, in its last byte. `base` is
// the section's offset in the chunk. `early`/`left`/`stop` name the section's three failures.
bool CheckStop(const uint8_t* data, size_t pos, size_t end, size_t base, ChunkStatus early, ChunkStatus left,
               ChunkStatus stop, Failure* f) {
  const size_t i = pos >> 3;
  if (i + 1 > end) {
    *f = {early, base + end};
    return false;
  }
  if (i + 1 < end) {
    *f = {left, base + i};
    return false;
  }
  const unsigned rest = data[i] & (0xffu >> (pos & 7));
  if (rest != (0x80u >> (pos & 7))) {
    *f = {stop, base + i};
    return false;
  }
  return true;
}

bool IsSafeInteger(double x) { return std::isfinite(x) && std::floor(x) == x && std::fabs(x) <= kMaxSafe; }

bool DecodeRegular(uint32_t n, double first, double last, double* out, Failure* f) {
  out[0] = first;
  if (n == 1) return true;
  const double step = (last - first) / static_cast<double>(n - 1);
  if (!IsSafeInteger(step)) {
    *f = {ChunkStatus::kFractionalStep, 0};
    return false;
  }
  for (uint32_t i = 1; i < n; i++) out[i] = first + static_cast<double>(i) * step;
  if (out[n - 1] != last) {
    *f = {ChunkStatus::kRegularEnd, 0};
    return false;
  }
  return true;
}

// The timestamp section: data[0, end) at chunk offset base.
bool DecodeDod(uint32_t n, double first, double last, const uint8_t* data, size_t end, size_t base, double* out,
               Failure* f) {
  const size_t end_bits = end * 8;
  BitReader r(data, end, 0);
  double prev = first;
  double delta = 0;
  out[0] = prev;
  for (uint32_t i = 1; i < n; i++) {
    double t;
    if (r.Bit() == 0) {
      t = prev + delta;
    } else {
      double dod;
      if (r.Bit() == 0) {
        dod = static_cast<double>(static_cast<int>(r.Read(7)) - 64);
      } else if (r.Bit() == 0) {
        dod = static_cast<double>(static_cast<int>(r.Read(9)) - 256);
      } else if (r.Bit() == 0) {
        dod = static_cast<double>(static_cast<int>(r.Read(12)) - 2048);
      } else if (r.Bit() == 0) {
        dod = static_cast<double>(static_cast<int32_t>(static_cast<uint32_t>(r.Read(32))));
      } else {
        const int32_t hi = static_cast<int32_t>(static_cast<uint32_t>(r.Read(32)));
        const uint32_t lo = static_cast<uint32_t>(r.Read(32));
        if (hi < -0x200000 || hi >= 0x200000 || (hi == -0x200000 && lo == 0)) {
          *f = {ChunkStatus::kUnsafeTimestamp, base + (r.pos() >> 3)};
          return false;
        }
        t = static_cast<double>(hi) * kTwo32 + static_cast<double>(lo);
        if (!(t > prev)) {
          *f = {ChunkStatus::kNotIncreasing, base + (r.pos() >> 3)};
          return false;
        }
        if (r.pos() > end_bits) break;
        delta = t - prev;
        out[i] = prev = t;
        continue;
      }
      delta += dod;
      t = prev + delta;
    }
    if (!(t > prev)) {
      *f = {ChunkStatus::kNotIncreasing, base + (r.pos() >> 3)};
      return false;
    }
    if (r.pos() > end_bits) break;
    out[i] = prev = t;
  }
  if (!CheckStop(data, r.pos(), end, base, ChunkStatus::kTsEndsEarly, ChunkStatus::kTsLeftOver, ChunkStatus::kTsNoStop,
                 f)) {
    return false;
  }
  if (prev != last) {
    *f = {ChunkStatus::kTsLast, base};
    return false;
  }
  return true;
}

inline void StoreBits(double* out, uint64_t bits) { std::memcpy(out, &bits, 8); }

// The value section: data[0, end) at chunk offset base.
bool DecodeXor(uint32_t n, const uint8_t* data, size_t end, size_t base, double* out, Failure* f) {
  const size_t end_bits = end * 8;
  BitReader r(data, end, 0);
  uint64_t bits = r.ReadWide(64);
  StoreBits(out, bits);
  int lead = -1;
  int trail = 0;
  unsigned len = 0;
  for (uint32_t i = 1; i < n; i++) {
    if (r.Bit() != 0) {
      if (r.Bit() != 0) {
        lead = static_cast<int>(r.Read(5));
        len = static_cast<unsigned>(r.Read(6));
        if (len == 0) len = 64;
        trail = 64 - lead - static_cast<int>(len);
        if (trail < 0) {
          *f = {ChunkStatus::kXorWindowWide, base + (r.pos() >> 3)};
          return false;
        }
      } else if (lead < 0) {
        *f = {ChunkStatus::kXorWindowUnset, base + (r.pos() >> 3)};
        return false;
      }
      bits ^= r.ReadWide(len) << trail;
    }
    if (r.pos() > end_bits) break;
    StoreBits(out + i, bits);
  }
  return CheckStop(data, r.pos(), end, base, ChunkStatus::kValueEndsEarly, ChunkStatus::kValueLeftOver,
                   ChunkStatus::kValueNoStop, f);
}

inline int64_t Unzigzag(uint64_t z) { return static_cast<int64_t>(z >> 1) ^ -static_cast<int64_t>(z & 1); }

inline bool InRange(int64_t k) { return k > -kMaxScaled && k < kMaxScaled; }

bool DecodeDecimal(uint32_t n, const uint8_t* data, size_t end, size_t base, double* out, Failure* f) {
  if (end == 0) {
    *f = {ChunkStatus::kDecimalEmpty, base};
    return false;
  }
  const unsigned d = data[0];
  if (d > kMaxDecimals) {
    *f = {ChunkStatus::kDecimalScale, base};
    return false;
  }
  const double p = kPow10[d];
  size_t pos = 1;
  uint64_t z0;
  if (!ReadVarint(data, end, &pos, &z0)) {
    *f = {ChunkStatus::kDecimalFirstTruncated, base + 1};
    return false;
  }
  int64_t k = Unzigzag(z0);
  if (!InRange(k)) {
    *f = {ChunkStatus::kDecimalFirstRange, base + 1};
    return false;
  }
  out[0] = static_cast<double>(k) / p;
  const size_t end_bits = end * 8;
  BitReader r(data, end, pos * 8);
  for (uint32_t i = 1; i < n; i += kFrame) {
    const uint32_t cnt = n - i < kFrame ? n - i : kFrame;
    if (r.pos() + 12 > end_bits) {
      *f = {ChunkStatus::kValueEndsEarly, base + (r.pos() >> 3)};
      return false;
    }
    const unsigned width = static_cast<unsigned>(r.Read(6));
    const unsigned min_width = static_cast<unsigned>(r.Read(6));
    if (width > 53 || min_width > 53) {
      *f = {ChunkStatus::kFrameWidth, base + (r.pos() >> 3)};
      return false;
    }
    if (r.pos() + min_width + static_cast<size_t>(cnt) * width > end_bits) {
      *f = {ChunkStatus::kValueEndsEarly, base + (r.pos() >> 3)};
      return false;
    }
    const uint64_t min = r.ReadWide(min_width);
    double* o = out + i;
    if (width == 0) {
      const int64_t delta = Unzigzag(min);
      for (uint32_t j = 0; j < cnt; j++) {
        k += delta;
        o[j] = static_cast<double>(k) / p;
      }
    } else if (width <= 30 && min < 0x40000000) {
      // As the reference's int32 path: no check inside the frame (k moves by under 2^37 in it), only at its end.
      for (uint32_t j = 0; j < cnt; j++) {
        k += Unzigzag(min + r.Read(width));
        o[j] = static_cast<double>(k) / p;
      }
    } else {
      for (uint32_t j = 0; j < cnt; j++) {
        k += Unzigzag(min + r.Read(width));
        if (!InRange(k)) {
          *f = {ChunkStatus::kScaledRange, base + (r.pos() >> 3)};
          return false;
        }
        o[j] = static_cast<double>(k) / p;
      }
    }
    if (!InRange(k)) {
      *f = {ChunkStatus::kScaledRange, base + (r.pos() >> 3)};
      return false;
    }
  }
  return CheckStop(data, r.pos(), end, base, ChunkStatus::kValueEndsEarly, ChunkStatus::kValueLeftOver,
                   ChunkStatus::kValueNoStop, f);
}

ChunkStatus Decode(const uint8_t* buf, size_t n, double* ts, double* values, size_t cap, uint32_t* count,
                   Failure* f) {
  auto fail = [f](ChunkStatus s, size_t offset) {
    *f = {s, offset};
    return s;
  };
  if (n < 1) return fail(ChunkStatus::kEmpty, 0);
  const unsigned fmt = buf[0];
  if ((fmt >> 4) != kChunkFormatVersion) return fail(ChunkStatus::kVersion, 0);
  const unsigned ts_codec = (fmt >> 2) & 3;
  const unsigned value_codec = fmt & 3;
  if (ts_codec > 1 || value_codec > 1) return fail(ChunkStatus::kCodec, 0);
  size_t pos = 1;
  uint64_t c;
  if (!ReadVarint(buf, n, &pos, &c)) return fail(ChunkStatus::kCountTruncated, 1);
  if (c < 1 || c > kMaxChunkPoints) return fail(ChunkStatus::kCount, 1);
  const uint32_t points = static_cast<uint32_t>(c);
  if (n - pos < 16) return fail(ChunkStatus::kHeaderTruncated, pos);
  double first;
  double last;
  if (!ReadI64(buf + pos, &first)) return fail(ChunkStatus::kUnsafeTimestamp, pos);
  if (!ReadI64(buf + pos + 8, &last)) return fail(ChunkStatus::kUnsafeTimestamp, pos + 8);
  if (points == 1 ? last != first : last <= first) return fail(ChunkStatus::kFirstLast, pos);
  pos += 16;
  const size_t header_end = pos;
  uint64_t ts_len;
  if (!ReadVarint(buf, n, &pos, &ts_len)) return fail(ChunkStatus::kTsLenTruncated, header_end);
  if (ts_len > n - pos) return fail(ChunkStatus::kTsLenPastEnd, header_end);
  if (points > cap) {
    *count = points;
    return ChunkStatus::kCapacity;
  }
  const size_t base = pos;
  const size_t value_base = base + static_cast<size_t>(ts_len);
  if (ts_codec == 1) {
    if (ts_len != 0) return fail(ChunkStatus::kRegularWithSection, base);
    if (!DecodeRegular(points, first, last, ts, f)) return f->status;
  } else if (!DecodeDod(points, first, last, buf + base, static_cast<size_t>(ts_len), base, ts, f)) {
    return f->status;
  }
  const bool ok = value_codec == 1 ? DecodeDecimal(points, buf + value_base, n - value_base, value_base, values, f)
                                   : DecodeXor(points, buf + value_base, n - value_base, value_base, values, f);
  if (!ok) return f->status;
  *count = points;
  return ChunkStatus::kOk;
}

#ifndef TSKV_NO_NAPI

// seriesChunkDecode(chunk: Uint8Array, ts: Float64Array, values: Float64Array): number. Decodes into the arrays'
// first count elements and returns count (>= 1). Otherwise returns -(offset * 64 + status): status 1 (kCapacity) with
// the point count in place of the offset when the arrays are too short, else the ChunkStatus and chunk offset of the
// damage. Throws a TypeError only on arguments of the wrong types.
Napi::Value JsSeriesChunkDecode(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 3 || !info[0].IsTypedArray() || !info[1].IsTypedArray() || !info[2].IsTypedArray()) {
    Napi::TypeError::New(env, "seriesChunkDecode(chunk: Uint8Array, ts: Float64Array, values: Float64Array)")
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::TypedArray chunk = info[0].As<Napi::TypedArray>();
  Napi::TypedArray ts = info[1].As<Napi::TypedArray>();
  Napi::TypedArray values = info[2].As<Napi::TypedArray>();
  if (chunk.TypedArrayType() != napi_uint8_array || ts.TypedArrayType() != napi_float64_array ||
      values.TypedArrayType() != napi_float64_array) {
    Napi::TypeError::New(env, "seriesChunkDecode: chunk must be a Uint8Array, ts and values Float64Arrays")
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }
  auto bytes = chunk.As<Napi::Uint8Array>();
  auto t = ts.As<Napi::Float64Array>();
  auto v = values.As<Napi::Float64Array>();
  const size_t cap = t.ElementLength() < v.ElementLength() ? t.ElementLength() : v.ElementLength();
  uint32_t count = 0;
  size_t offset = 0;
  const ChunkStatus s = DecodeSeriesChunk(bytes.Data(), bytes.ElementLength(), t.Data(), v.Data(), cap, &count,
                                          &offset);
  if (s == ChunkStatus::kOk) return Napi::Number::New(env, count);
  const double where = s == ChunkStatus::kCapacity ? count : static_cast<double>(offset);
  return Napi::Number::New(env, -(where * kChunkStatusLimit + static_cast<int>(s)));
}

// seriesChunkStatusText(status: number): string — the description of a status from seriesChunkDecode.
Napi::Value JsSeriesChunkStatusText(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) {
    Napi::TypeError::New(env, "seriesChunkStatusText(status: number)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  const int s = info[0].As<Napi::Number>().Int32Value();
  return Napi::String::New(env, ChunkStatusText(static_cast<ChunkStatus>(s)));
}

#endif  // TSKV_NO_NAPI

}  // namespace

const char* ChunkStatusText(ChunkStatus s) {
  switch (s) {
    case ChunkStatus::kOk: return "ok";
    case ChunkStatus::kCapacity: return "output arrays shorter than the point count";
    case ChunkStatus::kEmpty: return "empty chunk";
    case ChunkStatus::kVersion: return "unknown chunk format version";
    case ChunkStatus::kCodec: return "unknown chunk codec";
    case ChunkStatus::kCountTruncated: return "truncated point count";
    case ChunkStatus::kCount: return "bad point count";
    case ChunkStatus::kHeaderTruncated: return "truncated chunk header";
    case ChunkStatus::kUnsafeTimestamp: return "timestamp outside the safe integer range";
    case ChunkStatus::kFirstLast: return "first/last timestamps disagree with the count";
    case ChunkStatus::kTsLenTruncated: return "truncated timestamp section length";
    case ChunkStatus::kTsLenPastEnd: return "timestamp section runs past the chunk";
    case ChunkStatus::kRegularWithSection: return "regular timestamps with a timestamp section";
    case ChunkStatus::kFractionalStep: return "regular timestamps with a fractional step";
    case ChunkStatus::kRegularEnd: return "regular timestamps do not end at the last timestamp";
    case ChunkStatus::kNotIncreasing: return "timestamps not increasing";
    case ChunkStatus::kTsEndsEarly: return "timestamp section ends early";
    case ChunkStatus::kTsLeftOver: return "bytes left over in the timestamp section";
    case ChunkStatus::kTsNoStop: return "timestamp section does not end with its stop bit";
    case ChunkStatus::kTsLast: return "timestamps do not end at the last timestamp";
    case ChunkStatus::kXorWindowWide: return "XOR window wider than 64 bits";
    case ChunkStatus::kXorWindowUnset: return "XOR window reused before one was set";
    case ChunkStatus::kValueEndsEarly: return "value section ends early";
    case ChunkStatus::kValueLeftOver: return "bytes left over in the value section";
    case ChunkStatus::kValueNoStop: return "value section does not end with its stop bit";
    case ChunkStatus::kDecimalEmpty: return "empty value section";
    case ChunkStatus::kDecimalScale: return "decimal scale above 9";
    case ChunkStatus::kDecimalFirstTruncated: return "truncated first scaled value";
    case ChunkStatus::kDecimalFirstRange: return "first scaled value out of range";
    case ChunkStatus::kFrameWidth: return "frame bit width above 53";
    case ChunkStatus::kScaledRange: return "scaled value out of range";
  }
  return "unknown status";
}

ChunkStatus DecodeSeriesChunk(const uint8_t* buf, size_t n, double* ts, double* values, size_t cap, uint32_t* count,
                              size_t* error_offset) {
  Failure f{ChunkStatus::kOk, 0};
  const ChunkStatus s = Decode(buf, n, ts, values, cap, count, &f);
  // A reader that ran past its section reports where it stopped: at most the chunk's end.
  if (s != ChunkStatus::kOk && s != ChunkStatus::kCapacity) *error_offset = f.offset < n ? f.offset : n;
  return s;
}

// ---------------------------------------------------------------------------------------------------------------
// Encoding: encodeChunkJs step for step, in the same float64 arithmetic where it decides (REGULAR, DOD's dod and
// delta, findDecimals' Math.round), so the choices and bytes are the same.

namespace {

// MSB-first bits into a byte vector.
class BitWriter {
 public:
  explicit BitWriter(std::vector<uint8_t>* out) : out_(out) {}

  // Writes the low n bits of v, 0 <= n <= 64.
  void Write(uint64_t v, unsigned n) {
    if (n == 0) return;
    if (n < 64) v &= (uint64_t{1} << n) - 1;
    if (n > 32) {
      Put(static_cast<uint32_t>(v >> 32), n - 32);
      Put(static_cast<uint32_t>(v), 32);
    } else {
      Put(static_cast<uint32_t>(v), n);
    }
  }

  // The stop bit '1' and zeros to the byte boundary.
  void Finish() {
    Put(1, 1);
    if (nacc_ > 0) Put(0, 8 - nacc_);
  }

 private:
  // n <= 32, nacc_ < 8: the accumulator stays below 2^40.
  void Put(uint32_t v, unsigned n) {
    acc_ = (acc_ << n) | v;
    nacc_ += n;
    while (nacc_ >= 8) {
      nacc_ -= 8;
      out_->push_back(static_cast<uint8_t>(acc_ >> nacc_));
    }
    acc_ &= (uint64_t{1} << nacc_) - 1;
  }

  std::vector<uint8_t>* out_;
  uint64_t acc_ = 0;
  unsigned nacc_ = 0;
};

void PutVarint(std::vector<uint8_t>* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<uint8_t>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<uint8_t>(v));
}

// The two's-complement bits of a safe integer t, as writeI64 and the DOD escape write them.
uint64_t I64Bits(double t) { return static_cast<uint64_t>(static_cast<int64_t>(t)); }

void PutI64(std::vector<uint8_t>* out, double t) {
  const uint64_t b = I64Bits(t);
  for (int i = 0; i < 8; i++) out->push_back(static_cast<uint8_t>(b >> (8 * i)));
}

bool IsInteger(double x) { return std::isfinite(x) && std::floor(x) == x; }

bool IsRegular(const double* ts, uint32_t n) {
  if (n == 1) return true;
  const double first = ts[0];
  const double step = (ts[n - 1] - first) / (n - 1);
  if (!IsSafeInteger(step)) return false;
  for (uint32_t i = 1; i < n; i++) {
    if (first + static_cast<double>(i) * step != ts[i]) return false;
  }
  return true;
}

void EncodeDod(const double* ts, uint32_t n, std::vector<uint8_t>* out) {
  BitWriter w(out);
  double prev_t = ts[0];
  double prev_delta = 0;
  for (uint32_t i = 1; i < n; i++) {
    const double t = ts[i];
    const double dod = t - prev_t - prev_delta;
    const double delta = prev_delta + dod;
    if (IsInteger(dod) && dod >= -2147483648.0 && dod < 2147483648.0 && prev_t + delta == t) {
      const int32_t d = static_cast<int32_t>(dod);
      if (d == 0) {
        w.Write(0, 1);
      } else if (d >= -64 && d < 64) {
        w.Write(0b10, 2);
        w.Write(static_cast<uint32_t>(d + 64), 7);
      } else if (d >= -256 && d < 256) {
        w.Write(0b110, 3);
        w.Write(static_cast<uint32_t>(d + 256), 9);
      } else if (d >= -2048 && d < 2048) {
        w.Write(0b1110, 4);
        w.Write(static_cast<uint32_t>(d + 2048), 12);
      } else {
        w.Write(0b11110, 5);
        w.Write(static_cast<uint32_t>(d), 32);
      }
      prev_delta = delta;
    } else {
      w.Write(0b11111, 5);
      w.Write(I64Bits(t), 64);
      prev_delta = t - prev_t;
    }
    prev_t = t;
  }
  w.Finish();
}

inline uint64_t Bits(double v) {
  uint64_t b;
  std::memcpy(&b, &v, 8);
  return b;
}

void EncodeXor(const double* vals, uint32_t n, std::vector<uint8_t>* out) {
  BitWriter w(out);
  uint64_t prev = Bits(vals[0]);
  w.Write(prev, 64);
  int win_lead = -1;
  int win_trail = 0;
  for (uint32_t i = 1; i < n; i++) {
    const uint64_t b = Bits(vals[i]);
    const uint64_t x = b ^ prev;
    prev = b;
    if (x == 0) {
      w.Write(0, 1);
      continue;
    }
    int lead = __builtin_clzll(x);
    if (lead > 31) lead = 31;
    const int trail = __builtin_ctzll(x);
    if (win_lead >= 0 && lead >= win_lead && trail >= win_trail) {
      w.Write(0b10, 2);
      w.Write(x >> win_trail, 64 - win_lead - win_trail);
    } else {
      const int m = 64 - lead - trail;
      w.Write(0b11, 2);
      w.Write(static_cast<uint32_t>(lead), 5);
      w.Write(static_cast<uint32_t>(m & 63), 6);
      w.Write(x >> trail, m);
      win_lead = lead;
      win_trail = trail;
    }
  }
  w.Finish();
}

// JavaScript's Math.round for a finite x: the nearest integer, halves toward +Infinity (C's round takes them away
// from zero). x - floor(x) is exact, so the comparison with 0.5 is too.
inline double JsRound(double x) {
  const double f = std::floor(x);
  return x - f >= 0.5 ? f + 1 : f;
}

constexpr double kMaxScaledD = 2251799813685248.0;  // 2^51

int FindDecimals(const double* vals, uint32_t n) {
  int d = 0;
  for (uint32_t i = 0; i < n; i++) {
    const double v = vals[i];
    if (!(std::fabs(v) < kMaxScaledD) || (v == 0 && std::signbit(v))) return -1;
    while (JsRound(v * kPow10[d]) / kPow10[d] != v) {
      if (++d > kMaxDecimals) return -1;
    }
  }
  for (; d <= kMaxDecimals; d++) {
    const double p = kPow10[d];
    bool ok = true;
    for (uint32_t i = 0; i < n; i++) {
      const double v = vals[i];
      const double k = JsRound(v * p);
      if (k / p != v || !(std::fabs(k) < kMaxScaledD)) {
        ok = false;
        break;
      }
    }
    if (ok) return d;
  }
  return -1;
}

inline uint64_t Zigzag(int64_t x) { return x >= 0 ? 2 * static_cast<uint64_t>(x) : 2 * static_cast<uint64_t>(-x) - 1; }

inline unsigned BitLength(uint64_t x) { return x == 0 ? 0 : 64 - __builtin_clzll(x); }

void EncodeDecimal(const double* vals, uint32_t n, int d, std::vector<uint8_t>* out) {
  const double p = kPow10[d];
  const int64_t k0 = static_cast<int64_t>(JsRound(vals[0] * p));
  out->push_back(static_cast<uint8_t>(d));
  PutVarint(out, Zigzag(k0));
  BitWriter w(out);
  uint64_t zz[kFrame];
  int64_t prev_k = k0;
  for (uint32_t i = 1; i < n; i += kFrame) {
    const uint32_t cnt = n - i < static_cast<uint32_t>(kFrame) ? n - i : kFrame;
    uint64_t min = UINT64_MAX;
    uint64_t max = 0;
    for (uint32_t j = 0; j < cnt; j++) {
      const int64_t k = static_cast<int64_t>(JsRound(vals[i + j] * p));
      const uint64_t z = Zigzag(k - prev_k);
      prev_k = k;
      zz[j] = z;
      if (z < min) min = z;
      if (z > max) max = z;
    }
    const unsigned width = BitLength(max - min);
    const unsigned min_width = BitLength(min);
    w.Write(width, 6);
    w.Write(min_width, 6);
    w.Write(min, min_width);
    if (width > 0) {
      for (uint32_t j = 0; j < cnt; j++) w.Write(zz[j] - min, width);
    }
  }
  w.Finish();
}

}  // namespace

void EncodeSeriesChunk(const double* ts, const double* values, uint32_t n, std::vector<uint8_t>* out) {
  std::vector<uint8_t> ts_bytes;
  const bool regular = IsRegular(ts, n);
  if (!regular) EncodeDod(ts, n, &ts_bytes);
  std::vector<uint8_t> value_bytes;
  EncodeXor(values, n, &value_bytes);
  bool decimal = false;
  const int d = FindDecimals(values, n);
  if (d >= 0) {
    std::vector<uint8_t> dec;
    EncodeDecimal(values, n, d, &dec);
    if (dec.size() <= value_bytes.size()) {
      value_bytes.swap(dec);
      decimal = true;
    }
  }
  out->clear();
  out->reserve(1 + 3 + 16 + 5 + ts_bytes.size() + value_bytes.size());
  out->push_back(static_cast<uint8_t>((kChunkFormatVersion << 4) | ((regular ? 1 : 0) << 2) | (decimal ? 1 : 0)));
  PutVarint(out, n);
  PutI64(out, ts[0]);
  PutI64(out, ts[n - 1]);
  PutVarint(out, ts_bytes.size());
  out->insert(out->end(), ts_bytes.begin(), ts_bytes.end());
  out->insert(out->end(), value_bytes.begin(), value_bytes.end());
}

#ifndef TSKV_NO_NAPI
namespace {

// seriesChunkEncode(ts: Float64Array, values: Float64Array, n: number): Buffer. The caller (encodeChunk) has
// checked n and the timestamps; the addon checks only the types and that both arrays hold n points.
Napi::Value JsSeriesChunkEncode(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 3 || !info[0].IsTypedArray() || !info[1].IsTypedArray() || !info[2].IsNumber() ||
      info[0].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array ||
      info[1].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array) {
    Napi::TypeError::New(env, "seriesChunkEncode(ts: Float64Array, values: Float64Array, n: number)")
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }
  auto t = info[0].As<Napi::Float64Array>();
  auto v = info[1].As<Napi::Float64Array>();
  const double nd = info[2].As<Napi::Number>().DoubleValue();
  if (!(nd >= 1 && nd <= kMaxChunkPoints) || std::floor(nd) != nd || nd > t.ElementLength() ||
      nd > v.ElementLength()) {
    Napi::RangeError::New(env, "seriesChunkEncode: n outside 1..min(ts.length, values.length, 2^20)")
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }
  std::vector<uint8_t> out;
  EncodeSeriesChunk(t.Data(), v.Data(), static_cast<uint32_t>(nd), &out);
  return Napi::Buffer<uint8_t>::Copy(env, out.data(), out.size());
}

}  // namespace
#endif  // TSKV_NO_NAPI

#ifndef TSKV_NO_NAPI
void InitSeriesChunk(Napi::Env env, Napi::Object exports) {
  exports.Set("seriesChunkDecode", Napi::Function::New(env, JsSeriesChunkDecode, "seriesChunkDecode"));
  exports.Set("seriesChunkEncode", Napi::Function::New(env, JsSeriesChunkEncode, "seriesChunkEncode"));
  exports.Set("seriesChunkStatusText", Napi::Function::New(env, JsSeriesChunkStatusText, "seriesChunkStatusText"));
}
#endif  // TSKV_NO_NAPI

}  // namespace tskv
