// CRC32C (Castagnoli), as used by the WAL and SSTable formats (docs/format.md).
#ifndef TSKV_NATIVE_CRC32C_H_
#define TSKV_NATIVE_CRC32C_H_

#ifndef TSKV_NO_NAPI
#include <napi.h>
#endif

#include <cstddef>
#include <cstdint>

namespace tskv {

// Extends `crc` (a finished CRC32C of earlier bytes, 0 for none) over data[0, n).
uint32_t Crc32cExtend(uint32_t crc, const uint8_t* data, size_t n);

// out[i] = CRC32C of data[ranges[2i], ranges[2i] + ranges[2i + 1]) for i < count. Checks every range against
// [0, size) first and computes nothing (returning false) when one lies outside.
bool Crc32cRanges(const uint8_t* data, size_t size, const int32_t* ranges, size_t count, uint32_t* out);

// True when the SSE4.2 path was chosen at load time.
bool Crc32cIsHardware();

#ifndef TSKV_NO_NAPI
void InitCrc32c(Napi::Env env, Napi::Object exports);
#endif

}  // namespace tskv

#endif  // TSKV_NATIVE_CRC32C_H_
