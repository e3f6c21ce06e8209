// Memory-mapped SSTables for JavaScript: map a table read-only, read verified blocks out of it, and answer point
// reads (Bloom probe, index search, block search) in one call. The mapping never leaves C++: JavaScript gets
// copies, so no Buffer can outlive a mapping (Node forbids or discourages external buffers over memory it does not
// own; we do not need them).
#ifndef TSKV_NATIVE_TABLE_H_
#define TSKV_NATIVE_TABLE_H_

#include <napi.h>

namespace tskv {

void InitTable(Napi::Env env, Napi::Object exports);

}  // namespace tskv

#endif  // TSKV_NATIVE_TABLE_H_
