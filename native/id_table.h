// IdTable<T>: values on the heap by non-zero uint32 id, for the reactor's connections (a lookup for every event and
// every reply). Linear probing over a power-of-two table of {id, T*}, at most half full, id 0 marking an empty slot:
// a lookup is a multiply, a mask and usually one slot, where std::unordered_map divided by a prime and chased a node.
// Values stay where they are while the table grows, so a T* is valid until its id is erased. Erase shifts the rest
// of its probe run back into the gap (no tombstones). Fuzzed against std::unordered_map (native/fuzz/fuzz_id_table.cc).
#ifndef TSKV_NATIVE_ID_TABLE_H_
#define TSKV_NATIVE_ID_TABLE_H_

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace tskv {

template <typename T>
class IdTable {
 public:
  IdTable() : slots_(kMinSlots) {}
  ~IdTable() { Clear(); }
  IdTable(const IdTable&) = delete;
  IdTable& operator=(const IdTable&) = delete;

  T* Find(uint32_t id) const {
    if (id == 0) return nullptr;
    for (size_t i = Home(id);; i = (i + 1) & Mask()) {
      if (slots_[i].id == id) return slots_[i].value;
      if (slots_[i].id == 0) return nullptr;
    }
  }

  // Adds `value` under `id`, which must be non-zero and not in the table; returns where it now lives.
  T* Insert(uint32_t id, T value) {
    if (2 * (size_ + 1) > slots_.size()) Rehash(2 * slots_.size());
    T* p = new T(std::move(value));
    Place(id, p);
    size_++;
    return p;
  }

  // Deletes the value under `id` (if any).
  void Erase(uint32_t id) {
    if (id == 0) return;
    size_t i = Home(id);
    while (slots_[i].id != id) {
      if (slots_[i].id == 0) return;
      i = (i + 1) & Mask();
    }
    delete slots_[i].value;
    size_--;
    // An entry later in the run moves into the gap unless its home lies cyclically in (gap, entry].
    for (size_t j = (i + 1) & Mask(); slots_[j].id != 0; j = (j + 1) & Mask()) {
      size_t home = Home(slots_[j].id);
      bool stays = i <= j ? (i < home && home <= j) : (i < home || home <= j);
      if (stays) continue;
      slots_[i] = slots_[j];
      i = j;
    }
    slots_[i] = Slot{};
  }

  void Clear() {
    for (Slot& s : slots_) {
      delete s.value;
      s = Slot{};
    }
    size_ = 0;
  }

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  template <typename F>
  void ForEach(F f) const {
    for (const Slot& s : slots_)
      if (s.id != 0) f(s.id, s.value);
  }

 private:
  struct Slot {
    uint32_t id = 0;
    T* value = nullptr;
  };
  static constexpr size_t kMinSlots = 64;

  size_t Mask() const { return slots_.size() - 1; }
  size_t Home(uint32_t id) const { return static_cast<size_t>(id * 2654435769u) & Mask(); }
  void Place(uint32_t id, T* value) {
    size_t i = Home(id);
    while (slots_[i].id != 0) i = (i + 1) & Mask();
    slots_[i] = Slot{id, value};
  }
  void Rehash(size_t n) {
    std::vector<Slot> old(n);
    old.swap(slots_);
    for (const Slot& s : old)
      if (s.id != 0) Place(s.id, s.value);
  }

  std::vector<Slot> slots_;
  size_t size_ = 0;
};

}  // namespace tskv

#endif  // TSKV_NATIVE_ID_TABLE_H_
