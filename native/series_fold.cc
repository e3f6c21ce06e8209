#include "series_fold.h"

#include <cfloat>
#include <charconv>
#include <cmath>
#include <cstring>
#include <vector>

#include "series_chunk.h"

// Every step follows BucketCursor (src/model/series/bucket-cursor.ts) and the helpers it calls in aggregate.ts
// (bucketStart, spread, welfordSpread, avgOverflows, avgOverflowStep) operation for operation, in float64, so the
// results are the same bits. Build with -ffp-contract=off (binding.gyp does): a fused multiply-add would differ.
// avg past DBL_MAX is RedisTimeSeries's x87 long double, which aggregate.ts emulates: this file uses the real one,
// so the functions are registered only where long double is x87's (x86-64); elsewhere the TypeScript fold runs.

namespace tskv {
namespace {

constexpr double kSafeInteger = 9007199254740991.0;

double BucketStart(double t, double d, double align) {
  const double x = t - align;
  // JavaScript's % on numbers is fmod; on integers below 2^53 (every series timestamp, duration and ALIGN) that is
  // int64's %, exactly, at a fraction of fmod's cost (once a bucket).
  const double r = std::fabs(x) <= kSafeInteger && std::floor(x) == x
                       ? static_cast<double>(static_cast<int64_t>(x) % static_cast<int64_t>(d))
                       : std::fmod(x, d);
  return t - (r < 0 ? r + d : r);
}

bool IsKind(double k) { return k >= 0 && k < kFoldKinds && std::floor(k) == k; }

FoldKind KindOf(const double* st) { return static_cast<FoldKind>(static_cast<int>(st[kFoldKind])); }

// aggregate.ts avgOverflows: the exact sum past DBL_MAX.
bool AvgOverflows(double sum, double v) { return (sum < 0) == (v < 0) && std::fabs(sum) > DBL_MAX - std::fabs(v); }

// aggregate.ts avgOverflowStep.
double AvgOverflowStep(double acc, double v, double n, bool overflow) {
  if (!std::isfinite(acc) || !std::isfinite(v)) {
    const double a = overflow ? (acc / n) * (n - 1) : acc / n;
    return a + v / n;
  }
  const long double count = static_cast<long double>(n);
  long double a = static_cast<long double>(acc) / count;
  if (overflow) a = a * static_cast<long double>(n - 1);
  const long double b = static_cast<long double>(v) / count;
  const long double sum = a + b;
  return static_cast<double>(sum);
}

bool Sample(FoldKind k) { return k == FoldKind::kStdS || k == FoldKind::kVarS; }
bool Root(FoldKind k) { return k == FoldKind::kStdP || k == FoldKind::kStdS; }

// aggregate.ts spread.
double Spread(FoldKind kind, double sum, double sum2, double n) {
  if (n == 0) return NAN;
  const double mean = sum / n;
  double variance = (sum2 - (2 * sum * sum) / n + mean * mean * n) / n;
  if (Sample(kind)) variance = n == 1 ? 0 : (variance * n) / (n - 1);
  return Root(kind) ? std::sqrt(variance) : variance;
}

// aggregate.ts welfordSpread.
double WelfordSpread(FoldKind kind, double m2, double n) {
  if (n == 0) return NAN;
  const double variance = Sample(kind) ? (n == 1 ? 0 : m2 / (n - 1)) : m2 / n;
  return Root(kind) ? std::sqrt(variance) : variance;
}

// One bucket's fold, in locals while a call runs.
struct Bucket {
  double count;
  double acc;
  double sum2;
  bool overflow;
  double min;
  double max;
  double pick_t;
  double pick_v;

  void Reset() {
    count = 0;
    acc = 0;
    sum2 = 0;
    overflow = false;
    min = INFINITY;
    max = -INFINITY;
    pick_t = 0;
    pick_v = NAN;
  }

  void Load(const double* st) {
    count = st[kFoldCount];
    acc = st[kFoldAcc];
    sum2 = st[kFoldSum2];
    overflow = st[kFoldOverflow] != 0;
    min = st[kFoldMin];
    max = st[kFoldMax];
    pick_t = st[kFoldPickT];
    pick_v = st[kFoldPickV];
  }

  void Store(double* st) const {
    st[kFoldCount] = count;
    st[kFoldAcc] = acc;
    st[kFoldSum2] = sum2;
    st[kFoldOverflow] = overflow ? 1 : 0;
    st[kFoldMin] = min;
    st[kFoldMax] = max;
    st[kFoldPickT] = pick_t;
    st[kFoldPickV] = pick_v;
  }

  // BucketCursor.fold, ascending: values[from, to).
  void Fold(FoldKind kind, bool sum_of_squares, const double* ts, const double* values, size_t from, size_t to) {
    switch (kind) {
      case FoldKind::kSum: {
        double n = count, s = acc;
        for (size_t k = from; k < to; k++) {
          const double v = values[k];
          if (v != v) continue;
          n++;
          s += v;
        }
        count = n;
        acc = s;
        return;
      }
      case FoldKind::kCount: {
        double n = count;
        for (size_t k = from; k < to; k++)
          if (values[k] == values[k]) n++;
        count = n;
        return;
      }
      case FoldKind::kMin:
      case FoldKind::kMax:
      case FoldKind::kRange: {
        double n = count, lo = min, hi = max;
        for (size_t k = from; k < to; k++) {
          const double v = values[k];
          if (v != v) continue;
          n++;
          if (v < lo) lo = v;
          if (v > hi) hi = v;
        }
        count = n;
        min = lo;
        max = hi;
        return;
      }
      case FoldKind::kAvg: {
        const double safe = 0x1p1023;  // aggregate.ts AVG_SAFE
        double n = count, value = acc;
        bool over = overflow;
        for (size_t k = from; k < to; k++) {
          const double v = values[k];
          if (v != v) continue;
          n++;
          const double sum = value + v;
          if (!over && sum < safe && sum > -safe) {
            value = sum;
          } else if (over || AvgOverflows(value, v)) {
            value = AvgOverflowStep(value, v, n, over);
            over = true;
          } else {
            value = sum;
          }
        }
        count = n;
        acc = value;
        overflow = over;
        return;
      }
      case FoldKind::kFirst:
      case FoldKind::kLast: {
        // Ascending, so BucketCursor's newestFirst is false here.
        const bool first = kind == FoldKind::kFirst;
        double n = count, pt = pick_t, pv = pick_v;
        for (size_t k = from; k < to; k++) {
          const double v = values[k];
          if (v != v) continue;
          const double t = ts[k];
          if (n == 0 || (first ? t < pt : t >= pt)) {
            pt = t;
            pv = v;
          }
          n++;
        }
        count = n;
        pick_t = pt;
        pick_v = pv;
        return;
      }
      default: {
        double n = count, a = acc, b = sum2;
        if (!sum_of_squares) {
          for (size_t k = from; k < to; k++) {
            const double v = values[k];
            if (v != v) continue;
            n++;
            const double delta = v - a;
            a += delta / n;
            b += delta * (v - a);
          }
        } else {
          for (size_t k = from; k < to; k++) {
            const double v = values[k];
            if (v != v) continue;
            n++;
            a += v;
            b += v * v;
          }
        }
        count = n;
        acc = a;
        sum2 = b;
      }
    }
  }

  // BucketCursor.result.
  double Result(FoldKind kind, bool sum_of_squares) const {
    const double n = count;
    switch (kind) {
      case FoldKind::kSum: return acc;
      case FoldKind::kCount: return n;
      case FoldKind::kMin: return min;
      case FoldKind::kMax: return max;
      case FoldKind::kRange: return max - min;
      case FoldKind::kAvg: return overflow ? acc : acc / n;
      case FoldKind::kFirst:
      case FoldKind::kLast: return pick_v;
      default: return sum_of_squares ? Spread(kind, acc, sum2, n) : WelfordSpread(kind, sum2, n);
    }
  }
};

// Writes the open bucket as out[0], out[1] (timestamp, value) when it holds a non-NaN sample; returns 1 if it did.
size_t Emit(const double* st, const Bucket& b, double start, double* out) {
  if (b.count <= 0) return 0;
  const double floor = st[kFoldFloor];
  out[0] = (start < floor ? floor : start) + st[kFoldOffset];
  out[1] = b.Result(KindOf(st), st[kFoldSumOfSquares] != 0);
  return 1;
}

}  // namespace

bool FoldStateValid(const double* st) {
  const double d = st[kFoldDuration];
  const double align = st[kFoldAlign];
  return IsKind(st[kFoldKind]) && d >= 1 && d <= kSafeInteger && std::floor(d) == d && std::fabs(align) <= kSafeInteger &&
         std::floor(align) == align && std::isfinite(st[kFoldOffset]) && !std::isnan(st[kFoldFloor]);
}

size_t FoldBound(double lo, double hi, size_t points, double duration) {
  if (points == 0) return 0;
  const double span = std::floor((hi - lo) / duration) + 2;
  return span >= static_cast<double>(points) || !(span >= 0) ? points : static_cast<size_t>(span);
}

size_t FoldPoints(double* st, const double* ts, const double* values, size_t lo, size_t hi, double* out) {
  const FoldKind kind = KindOf(st);
  const bool sos = st[kFoldSumOfSquares] != 0;
  const double d = st[kFoldDuration];
  const double align = st[kFoldAlign];
  bool open = st[kFoldOpen] != 0;
  double start = st[kFoldStart];
  Bucket b;
  b.Load(st);
  size_t written = 0;
  for (size_t i = lo; i < hi;) {
    if (!open || ts[i] >= start + d) {
      if (open) written += Emit(st, b, start, out + 2 * written);
      open = true;
      start = BucketStart(ts[i], d, align);
      b.Reset();
    }
    const double end = start + d;
    size_t j = i;
    while (j < hi && ts[j] < end) j++;
    b.Fold(kind, sos, ts, values, i, j);
    i = j;
  }
  st[kFoldOpen] = open ? 1 : 0;
  st[kFoldStart] = start;
  b.Store(st);
  st[kFoldRead] += static_cast<double>(hi - lo);
  return written;
}

size_t FoldEnd(double* st, double* out) {
  if (st[kFoldOpen] == 0) return 0;
  Bucket b;
  b.Load(st);
  st[kFoldOpen] = 0;
  return Emit(st, b, st[kFoldStart], out);
}

namespace {

// Unsigned decimal digits of x into out; returns the length.
size_t Digits(uint64_t x, char* out) {
  char tmp[24];
  size_t n = 0;
  do {
    tmp[n++] = static_cast<char>('0' + x % 10);
    x /= 10;
  } while (x != 0);
  for (size_t i = 0; i < n; i++) out[i] = tmp[n - 1 - i];
  return n;
}

size_t Put(char* out, const char* s) {
  const size_t n = std::strlen(s);
  std::memcpy(out, s, n);
  return n;
}

}  // namespace

size_t FormatSampleValue(double v, char* out) {
  const double a = std::fabs(v);
  const bool neg = std::signbit(v);
  if (v == std::floor(v) && a < 0x1p52 && !(v == 0 && neg)) {
    size_t n = 0;
    if (v < 0) out[n++] = '-';
    return n + Digits(static_cast<uint64_t>(a), out + n);
  }
  if (v != v) return Put(out, "NaN");
  if (a == INFINITY) return Put(out, neg ? "-Infinity" : "Infinity");
  if (v == 0) return Put(out, "-0");
  // The shortest round-trip digits (the same choice as JavaScript's Number#toString and RedisTimeSeries's dragonbox:
  // fewest digits, then nearest, then even), in scientific form: d[.ddd]e±XX.
  char sci[kValueChars];
  const std::to_chars_result r = std::to_chars(sci, sci + sizeof sci, a, std::chars_format::scientific);
  char digits[20];
  size_t k = 0;
  const char* p = sci;
  for (; p < r.ptr && *p != 'e'; p++)
    if (*p != '.') digits[k++] = *p;
  int exp = 0;
  const bool exp_neg = p + 1 < r.ptr && p[1] == '-';
  for (p += 2; p < r.ptr; p++) exp = exp * 10 + (*p - '0');
  if (exp_neg) exp = -exp;
  size_t n = 0;
  if (neg) out[n++] = '-';
  if (a >= 1 && a < 0x1p52) {
    // Plain: exp is 0..15, so the integer part is the first exp + 1 digits (zeros past the digits).
    const size_t whole = static_cast<size_t>(exp) + 1;
    for (size_t i = 0; i < whole; i++) out[n++] = i < k ? digits[i] : '0';
    if (k > whole) {
      out[n++] = '.';
      for (size_t i = whole; i < k; i++) out[n++] = digits[i];
    }
    return n;
  }
  out[n++] = digits[0];
  if (k > 1) {
    out[n++] = '.';
    for (size_t i = 1; i < k; i++) out[n++] = digits[i];
  }
  out[n++] = 'E';
  if (exp < 0) out[n++] = '-';
  return n + Digits(static_cast<uint64_t>(exp < 0 ? -exp : exp), out + n);
}

size_t WritePairs(double* fold, size_t from, size_t to, uint8_t* out, size_t pos, size_t cap) {
  size_t i = from;
  const double* pairs = fold + kFoldOut;
  for (; i < to && pos + kPairChars <= cap; i++) {
    char* o = reinterpret_cast<char*>(out + pos);
    size_t n = Put(o, "*2\r\n:");
    const double t = pairs[2 * i];
    if (t < 0) o[n++] = '-';
    n += Digits(static_cast<uint64_t>(std::fabs(t)), o + n);
    n += Put(o + n, "\r\n+");
    n += FormatSampleValue(pairs[2 * i + 1], o + n);
    o[n++] = '\r';
    o[n++] = '\n';
    pos += n;
  }
  fold[kFoldWritten] = static_cast<double>(i - from);
  return pos;
}

#ifndef TSKV_NO_NAPI
namespace {

// A chunk's points, decoded here rather than into JavaScript arrays: as long as the longest chunk folded on this
// thread (at most kMaxChunkPoints, 16 MiB for both).
thread_local std::vector<double> scratch_ts;
thread_local std::vector<double> scratch_values;

// The arguments are read with the C API, one call each: these functions run once a chunk (256 points by default),
// where node-addon-api's checks (several calls an argument) cost as much as folding the chunk.
bool TypedArg(napi_env env, napi_value v, napi_typedarray_type want, void** data, size_t* len) {
  napi_typedarray_type type;
  return napi_get_typedarray_info(env, v, &type, len, data, nullptr, nullptr) == napi_ok && type == want;
}

bool NumberArg(napi_env env, napi_value v, double* out) { return napi_get_value_double(env, v, out) == napi_ok; }

// The fold argument: a Float64Array of the state (kFoldSlots) then, from kFoldOut, room for buckets as pairs.
bool FoldArg(napi_env env, napi_value v, double** fold, size_t* room) {
  void* data;
  size_t len;
  if (!TypedArg(env, v, napi_float64_array, &data, &len) || len < kFoldOut) return false;
  *fold = static_cast<double*>(data);
  *room = (len - kFoldOut) / 2;
  return FoldStateValid(*fold);
}

napi_value Number(napi_env env, double x) {
  napi_value v;
  napi_create_double(env, x, &v);
  return v;
}

napi_value Throw(napi_env env, const char* message) {
  napi_throw_type_error(env, nullptr, message);
  return nullptr;
}

// What a call answers when the fold has room for fewer than `need` buckets: seriesChunkDecode's kCapacity form.
napi_value TooSmall(napi_env env, size_t need) {
  return Number(env, -(static_cast<double>(need) * kChunkStatusLimit + static_cast<int>(ChunkStatus::kCapacity)));
}

// Folds ts/values[lo, hi) into the fold's state and its bucket room.
napi_value Fold(napi_env env, double* fold, size_t room, const double* ts, const double* values, size_t lo, size_t hi) {
  if (lo == hi) return Number(env, 0);
  const size_t need = FoldBound(ts[lo], ts[hi - 1], hi - lo, fold[kFoldDuration]);
  if (room < need) return TooSmall(env, need);
  return Number(env, static_cast<double>(FoldPoints(fold, ts, values, lo, hi, fold + kFoldOut)));
}

// seriesFoldChunk(chunk: Uint8Array, from: number, to: number, fold: Float64Array): folds the chunk's points inside
// [from, to]. Returns the buckets written, or negative as seriesChunkDecode does: -(offset * 64 + status) for a
// damaged chunk, -(need * 64 + 1) when the fold has room for fewer than `need` buckets (then its state is unchanged).
napi_value JsSeriesFoldChunk(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  void* chunk;
  size_t len;
  double from, to, *fold;
  size_t room;
  if (argc < 4 || !TypedArg(env, argv[0], napi_uint8_array, &chunk, &len) || !NumberArg(env, argv[1], &from) ||
      !NumberArg(env, argv[2], &to) || !FoldArg(env, argv[3], &fold, &room)) {
    return Throw(env, "seriesFoldChunk(chunk: Uint8Array, from: number, to: number, fold: Float64Array of a sound state)");
  }
  const uint8_t* bytes = static_cast<const uint8_t*>(chunk);
  uint32_t count = 0;
  size_t offset = 0;
  ChunkStatus s = DecodeSeriesChunk(bytes, len, scratch_ts.data(), scratch_values.data(), scratch_ts.size(), &count, &offset);
  if (s == ChunkStatus::kCapacity) {
    scratch_ts.resize(count);
    scratch_values.resize(count);
    s = DecodeSeriesChunk(bytes, len, scratch_ts.data(), scratch_values.data(), scratch_ts.size(), &count, &offset);
  }
  if (s != ChunkStatus::kOk) return Number(env, -(static_cast<double>(offset) * kChunkStatusLimit + static_cast<int>(s)));
  const double* ts = scratch_ts.data();
  size_t lo = 0, hi = count;
  while (lo < hi && !(ts[lo] >= from)) lo++;
  while (hi > lo && !(ts[hi - 1] <= to)) hi--;
  return Fold(env, fold, room, ts, scratch_values.data(), lo, hi);
}

// seriesFoldArrays(ts, values: Float64Array, lo: number, hi: number, fold: Float64Array): folds ts/values[lo..hi]
// (inclusive, ascending). Returns the buckets written, or -(need * 64 + 1) as seriesFoldChunk.
napi_value JsSeriesFoldArrays(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  void *ts, *values;
  size_t ts_len, values_len, room;
  double lo, hi, *fold;
  if (argc < 5 || !TypedArg(env, argv[0], napi_float64_array, &ts, &ts_len) ||
      !TypedArg(env, argv[1], napi_float64_array, &values, &values_len) || !NumberArg(env, argv[2], &lo) ||
      !NumberArg(env, argv[3], &hi) || !FoldArg(env, argv[4], &fold, &room)) {
    return Throw(env, "seriesFoldArrays(ts, values: Float64Array, lo: number, hi: number, fold: Float64Array of a sound state)");
  }
  const size_t len = ts_len < values_len ? ts_len : values_len;
  if (!(lo >= 0 && std::floor(lo) == lo && std::floor(hi) == hi && hi >= -1 && hi < static_cast<double>(len))) {
    napi_throw_range_error(env, nullptr, "seriesFoldArrays: lo..hi outside the arrays");
    return nullptr;
  }
  if (hi < lo) return Number(env, 0);
  return Fold(env, fold, room, static_cast<const double*>(ts), static_cast<const double*>(values),
              static_cast<size_t>(lo), static_cast<size_t>(hi) + 1);
}

// seriesFoldEnd(fold: Float64Array): closes the open bucket; returns the buckets written (0 or 1).
napi_value JsSeriesFoldEnd(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  double* fold;
  size_t room;
  if (argc < 1 || !FoldArg(env, argv[0], &fold, &room)) return Throw(env, "seriesFoldEnd(fold: Float64Array of a sound state)");
  if (room < 1) return TooSmall(env, 1);
  return Number(env, static_cast<double>(FoldEnd(fold, fold + kFoldOut)));
}

// seriesFoldWrite(fold: Float64Array, from: number, to: number, out: Uint8Array, pos: number): writes buckets
// [from, to) of the fold array as RESP2 [timestamp, value] pairs into out from pos, as many as fit with 64 bytes to
// spare each; returns the new pos, and the buckets written in the fold's state (slot 17).
napi_value JsSeriesFoldWrite(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  double *fold, from, to, pos;
  size_t room, cap;
  void* out;
  if (argc < 5 || !FoldArg(env, argv[0], &fold, &room) || !NumberArg(env, argv[1], &from) ||
      !NumberArg(env, argv[2], &to) || !TypedArg(env, argv[3], napi_uint8_array, &out, &cap) ||
      !NumberArg(env, argv[4], &pos)) {
    return Throw(env, "seriesFoldWrite(fold: Float64Array, from: number, to: number, out: Uint8Array, pos: number)");
  }
  if (!(from >= 0 && from <= to && to <= static_cast<double>(room) && std::floor(from) == from && std::floor(to) == to &&
        pos >= 0 && pos <= static_cast<double>(cap) && std::floor(pos) == pos)) {
    napi_throw_range_error(env, nullptr, "seriesFoldWrite: buckets or position outside the arrays");
    return nullptr;
  }
  return Number(env, static_cast<double>(WritePairs(fold, static_cast<size_t>(from), static_cast<size_t>(to),
                                                    static_cast<uint8_t*>(out), static_cast<size_t>(pos), cap)));
}

void Export(Napi::Env env, Napi::Object exports, const char* name, napi_callback cb) {
  napi_value fn;
  if (napi_create_function(env, name, NAPI_AUTO_LENGTH, cb, nullptr, &fn) == napi_ok) exports.Set(name, Napi::Value(env, fn));
}

}  // namespace

void InitSeriesFold(Napi::Env env, Napi::Object exports) {
#if defined(__x86_64__) && LDBL_MANT_DIG == 64
  Export(env, exports, "seriesFoldChunk", JsSeriesFoldChunk);
  Export(env, exports, "seriesFoldArrays", JsSeriesFoldArrays);
  Export(env, exports, "seriesFoldEnd", JsSeriesFoldEnd);
  Export(env, exports, "seriesFoldWrite", JsSeriesFoldWrite);
#else
  (void)env;
  (void)exports;
#endif
}
#endif  // TSKV_NO_NAPI

}  // namespace tskv
