// HashIndex: a 64-bit hash -> row table, open addressing with linear probing in one array, at
// most half full. A lookup costs about one cache miss where std::unordered_map's nodes cost two
// or three; the intent classifier looks up a few hundred feature hashes for a long message and
// WordVectors a hash per word and candidate word.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace kefu::nlu {

class HashIndex {
 public:
  size_t size() const { return size_; }
  void Reserve(size_t n);
  // The row of `h`, or -1.
  int64_t Find(uint64_t h) const {
    if (slots_.empty()) {
      return -1;
    }
    for (size_t i = Slot(h);; i = (i + 1) & mask_) {
      const Entry& e = slots_[i];
      if (e.row_plus_one == 0) {
        return -1;
      }
      if (e.key == h) {
        return static_cast<int64_t>(e.row_plus_one) - 1;
      }
    }
  }
  // Adds `h` at `row`; false (and no change) when `h` is there already.
  bool Insert(uint64_t h, uint32_t row);
  // f(hash, row) for every entry, in no particular order.
  template <typename F>
  void ForEach(F f) const {
    for (const Entry& e : slots_) {
      if (e.row_plus_one != 0) {
        f(e.key, e.row_plus_one - 1);
      }
    }
  }

 private:
  struct Entry {
    uint64_t key = 0;
    uint32_t row_plus_one = 0;  // 0: empty
  };
  size_t Slot(uint64_t h) const { return ((h ^ (h >> 29)) * 0xBF58476D1CE4E5B9ull >> 7) & mask_; }
  void Rehash(size_t capacity);

  std::vector<Entry> slots_;
  size_t mask_ = 0;
  size_t size_ = 0;
};

}  // namespace kefu::nlu
