// Time-bucket aggregation of series points (TS.RANGE … AGGREGATION in ascending order): the native twin of
// BucketCursor in src/model/series/bucket-cursor.ts, which stays the reference. It folds points straight out of a
// stored chunk (decoded into scratch memory, never into JavaScript arrays) or out of a head's arrays, and gives the
// closed buckets' timestamps and values: bit for bit BucketCursor's, the same float64 (and, for avg past DBL_MAX,
// x87 long double) arithmetic in the same order.
#ifndef TSKV_NATIVE_SERIES_FOLD_H_
#define TSKV_NATIVE_SERIES_FOLD_H_

#ifndef TSKV_NO_NAPI
#include <napi.h>
#endif

#include <cstddef>
#include <cstdint>

namespace tskv {

// The fold's state, a Float64Array the caller keeps between calls. The first six slots are the query's and are
// set once; the rest carry the open bucket from one call to the next, and kRead counts the points looked at.
enum FoldSlot : int {
  kFoldKind = 0,      // FoldKind
  kFoldDuration,      // bucket duration, a positive safe integer
  kFoldAlign,         // ALIGN, a safe integer
  kFoldOffset,        // added to a bucket's start to report it (BUCKETTIMESTAMP: 0, d/2 or d)
  kFoldFloor,         // reported starts below it are reported as it (-Infinity for none)
  kFoldSumOfSquares,  // std / var: 1 from the sums (RedisTimeSeries's steps), 0 by Welford's algorithm
  kFoldOpen,          // 1 while a bucket is open
  kFoldStart,         // the open bucket's start
  kFoldCount,         // its non-NaN samples
  kFoldAcc,           // sum; avg's sum or, once kFoldOverflow, its running mean; std / var's sum or Welford's mean
  kFoldSum2,          // std / var's sum of squares, or Welford's sum of squared deviations
  kFoldOverflow,      // avg: 1 once the sum would pass DBL_MAX
  kFoldMin,
  kFoldMax,
  kFoldPickT,         // first / last: the chosen sample
  kFoldPickV,
  kFoldRead,          // points looked at so far (NaN ones too)
  kFoldWritten,       // seriesFoldWrite: the buckets its last call wrote
  kFoldSlots,
  kFoldOut = 24,      // the addon's functions take one array: the state, then from here the buckets as (t, v) pairs
};

enum class FoldKind : int { kSum = 0, kAvg, kMin, kMax, kRange, kCount, kFirst, kLast, kStdP, kStdS, kVarP, kVarS };
constexpr int kFoldKinds = 12;

// Whether a state's query slots are sound (kind known, duration a positive safe integer, the rest numbers).
bool FoldStateValid(const double* state);

// At most how many buckets folding ascending points from timestamp lo to hi closes: one a point, and no more than
// the buckets the span covers.
size_t FoldBound(double lo, double hi, size_t points, double duration);

// Folds ts[i], values[i] for i in [lo, hi) (ascending timestamps) into the state; closed buckets go to out as
// (timestamp, value) pairs, room for at least FoldBound(ts[lo], ts[hi - 1], hi - lo, duration). Returns how many.
size_t FoldPoints(double* state, const double* ts, const double* values, size_t lo, size_t hi, double* out);

// Closes the open bucket: writes it to out[0], out[1] and returns 1 when it has a non-NaN sample, else 0.
size_t FoldEnd(double* state, double* out);

// Writes a sample value as RedisTimeSeries 1.12 prints it in RESP2 (src/model/series/format.ts formatSampleValue,
// and SampleWriter's integer digits): the shortest digits that read back as v, plain decimal for integers below 2^52
// and for 1 <= |v| < 2^52, else scientific with a capital E and no '+'; "-0", "NaN", "Infinity", "-Infinity". out
// has room for kValueChars; returns the length.
constexpr size_t kValueChars = 32;
size_t FormatSampleValue(double v, char* out);

// Writes buckets [from, to) of a fold array as RESP2 [timestamp, value] pairs into out[pos, cap), as many as fit
// with kPairChars to spare for each; returns the new pos and sets state[kFoldWritten] to the buckets written.
constexpr size_t kPairChars = 64;
size_t WritePairs(double* fold, size_t from, size_t to, uint8_t* out, size_t pos, size_t cap);

#ifndef TSKV_NO_NAPI
void InitSeriesFold(Napi::Env env, Napi::Object exports);
#endif

}  // namespace tskv

#endif  // TSKV_NATIVE_SERIES_FOLD_H_
