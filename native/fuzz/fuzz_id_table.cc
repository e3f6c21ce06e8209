// libFuzzer target for IdTable (the reactor's connections by id): every sequence of inserts, erases and lookups must
// agree with std::unordered_map, including after the table grows and after erases shift probe runs back. Ids come
// from a few bits of the input, many with the same home slot, so runs are long and wrap around the table's end.
#include <cstddef>
#include <cstdint>
#include <unordered_map>

#include "../id_table.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  tskv::IdTable<uint64_t> table;
  std::unordered_map<uint32_t, uint64_t> model;
  for (size_t k = 0; k + 1 < size; k += 2) {
    uint8_t op = data[k] >> 6;
    // Ids 1..255 scaled so that some share home slots in tables of 64 and 128 slots.
    uint32_t id = (static_cast<uint32_t>(data[k + 1]) | (static_cast<uint32_t>(data[k] & 0x3f) << 8)) * 64 + (data[k + 1] & 3);
    if (op <= 1) {
      if (id != 0 && model.find(id) == model.end()) {
        uint64_t* v = table.Insert(id, k);
        if (v == nullptr || *v != k) __builtin_trap();
        model[id] = k;
      }
    } else if (op == 2) {
      table.Erase(id);
      model.erase(id);
    } else {
      uint64_t* v = table.Find(id);
      auto it = model.find(id);
      if ((v == nullptr) != (it == model.end())) __builtin_trap();
      if (v != nullptr && *v != it->second) __builtin_trap();
    }
    if (table.size() != model.size()) __builtin_trap();
  }
  // Every id the model holds is found with its value, and the table holds nothing else.
  for (const auto& kv : model) {
    uint64_t* v = table.Find(kv.first);
    if (v == nullptr || *v != kv.second) __builtin_trap();
  }
  size_t seen = 0;
  table.ForEach([&](uint32_t id, uint64_t* v) {
    auto it = model.find(id);
    if (it == model.end() || it->second != *v) __builtin_trap();
    seen++;
  });
  if (seen != model.size()) __builtin_trap();
  return 0;
}
