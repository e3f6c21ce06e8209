// The series chunk decoder (docs/format.md, "Series chunk"): the native twin of decodeChunkJs in
// src/model/series/codec.ts, which stays the reference. For every input it either gives the same points bit for bit
// or refuses it, as the reference does; every read is bounds-checked against the buffer and the work is bounded by
// the point count.
#ifndef TSKV_NATIVE_SERIES_CHUNK_H_
#define TSKV_NATIVE_SERIES_CHUNK_H_

#ifndef TSKV_NO_NAPI
#include <napi.h>
#endif

#include <cstddef>
#include <cstdint>
#include <vector>

namespace tskv {

constexpr int kChunkFormatVersion = 1;
constexpr uint32_t kMaxChunkPoints = 1u << 20;

// What went wrong. The values are part of the addon's interface (seriesChunkDecode's negative results) and stay below
// kChunkStatusLimit.
enum class ChunkStatus : int {
  kOk = 0,
  kCapacity,             // the output arrays hold fewer points than the chunk (not damage: *count says how many)
  kEmpty,                // no bytes at all
  kVersion,              // unknown format version
  kCodec,                // unknown timestamp or value codec
  kCountTruncated,       // the count varint runs past the chunk
  kCount,                // count 0 or above kMaxChunkPoints
  kHeaderTruncated,      // first/last timestamps missing
  kUnsafeTimestamp,      // a timestamp outside the safe integer range
  kFirstLast,            // first/last timestamps disagree with the count
  kTsLenTruncated,       // the ts-bytes varint runs past the chunk
  kTsLenPastEnd,         // the timestamp section runs past the chunk
  kRegularWithSection,   // REGULAR timestamps with a timestamp section
  kFractionalStep,       // REGULAR step not a safe integer
  kRegularEnd,           // REGULAR timestamps do not end at last
  kNotIncreasing,        // DOD timestamps not strictly increasing
  kTsEndsEarly,          // timestamp section ends before its bits
  kTsLeftOver,           // bytes after the timestamp section's stop bit
  kTsNoStop,             // timestamp section does not end with its stop bit
  kTsLast,               // DOD timestamps do not end at last
  kXorWindowWide,        // XOR window wider than 64 bits
  kXorWindowUnset,       // XOR window reused before one was set
  kValueEndsEarly,       // value section ends before its bits
  kValueLeftOver,        // bytes after the value section's stop bit
  kValueNoStop,          // value section does not end with its stop bit
  kDecimalEmpty,         // DECIMAL with no value bytes
  kDecimalScale,         // DECIMAL scale above 9
  kDecimalFirstTruncated,  // the first scaled value's varint runs past the section
  kDecimalFirstRange,    // the first scaled value out of range
  kFrameWidth,           // a DECIMAL frame bit width above 53
  kScaledRange,          // a scaled value out of range
};
constexpr int kChunkStatusLimit = 64;

// A short description of a status ("bad point count", ...), for error messages.
const char* ChunkStatusText(ChunkStatus s);

// Decodes the chunk in buf[0, n) into ts[0, count) and values[0, count), where cap is the room in each. On kOk,
// *count is the number of points. On kCapacity (the header is sound but says more than cap points), *count is that
// number and nothing is written. On damage, *error_offset is where in the chunk it was found, and ts/values may hold
// partial output.
ChunkStatus DecodeSeriesChunk(const uint8_t* buf, size_t n, double* ts, double* values, size_t cap, uint32_t* count,
                              size_t* error_offset);

// Encodes n points (1 <= n <= kMaxChunkPoints; timestamps strictly increasing safe integers, which the caller has
// checked) into *out, replacing its contents: byte for byte what encodeChunkJs (src/model/series/codec.ts) writes,
// codec choices included.
void EncodeSeriesChunk(const double* ts, const double* values, uint32_t n, std::vector<uint8_t>* out);

#ifndef TSKV_NO_NAPI
void InitSeriesChunk(Napi::Env env, Napi::Object exports);
#endif

}  // namespace tskv

#endif  // TSKV_NATIVE_SERIES_CHUNK_H_
