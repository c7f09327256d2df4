#include "nlu/hash_index.h"

namespace kefu::nlu {

void HashIndex::Reserve(size_t n) {
  size_t capacity = 16;
  while (capacity < 2 * n) {
    capacity *= 2;
  }
  if (capacity > slots_.size()) {
    Rehash(capacity);
  }
}

bool HashIndex::Insert(uint64_t h, uint32_t row) {
  if (2 * (size_ + 1) > slots_.size()) {
    Rehash(slots_.empty() ? 16 : 2 * slots_.size());
  }
  for (size_t i = Slot(h);; i = (i + 1) & mask_) {
    Entry& e = slots_[i];
    if (e.row_plus_one == 0) {
      e.key = h;
      e.row_plus_one = row + 1;
      ++size_;
      return true;
    }
    if (e.key == h) {
      return false;
    }
  }
}

void HashIndex::Rehash(size_t capacity) {
  std::vector<Entry> old = std::move(slots_);
  slots_.assign(capacity, Entry{});
  mask_ = capacity - 1;
  size_ = 0;
  for (const Entry& e : old) {
    if (e.row_plus_one != 0) {
      Insert(e.key, e.row_plus_one - 1);
    }
  }
}

}  // namespace kefu::nlu
