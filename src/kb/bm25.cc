#include "kb/bm25.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <limits>
#include <utility>

namespace kefu::kb {
namespace {

// Bounds and scores are floats summed in different orders, so a bound is trusted only with
// this relative margin; it keeps exact ties with the k-th score in the candidate set.
constexpr float kBoundSlack = 1e-4f;
// Below this ratio of candidates to postings, candidates are looked up by galloping search;
// above it, the posting list is merged linearly.
constexpr size_t kGallopRatio = 16;
// How many of the first touched documents Search ranks to estimate the k-th score.
constexpr size_t kThetaSample = 4096;

// Search's per-thread scratch: one accumulator per slot (0 unseen, > 0 score, < 0 rejected by
// the filter or out of the running), and the slots it touched so it can be cleared in
// O(touched).
struct Scratch {
  std::vector<float> acc;
  std::vector<uint32_t> touched;
  std::vector<uint32_t> rejected;
  std::vector<float> values;  // for the k-th best score
  bool busy = false;
};

// Leaves the scratch zeroed however Search exits (a filter may throw).
class ScratchLease {
 public:
  explicit ScratchLease(size_t slots) {
    thread_local Scratch shared;
    // A filter that searches another index on this thread gets a private scratch.
    scratch_ = shared.busy ? &own_ : &shared;
    scratch_->busy = true;
    if (scratch_->acc.size() < slots) {
      scratch_->acc.resize(slots, 0.0f);
    }
  }
  ~ScratchLease() {
    for (uint32_t slot : scratch_->touched) {
      scratch_->acc[slot] = 0.0f;
    }
    for (uint32_t slot : scratch_->rejected) {
      scratch_->acc[slot] = 0.0f;
    }
    scratch_->touched.clear();
    scratch_->rejected.clear();
    scratch_->busy = false;
  }
  ScratchLease(const ScratchLease&) = delete;
  ScratchLease& operator=(const ScratchLease&) = delete;

  Scratch& operator*() { return *scratch_; }

 private:
  Scratch own_;
  Scratch* scratch_;
};

// The k-th largest accumulator among `slots`, or 0 when there are fewer than k.
float KthBest(std::span<const uint32_t> slots, const std::vector<float>& acc, size_t k,
              std::vector<float>& values) {
  if (slots.size() < k) {
    return 0.0f;
  }
  values.clear();
  for (uint32_t slot : slots) {
    values.push_back(acc[slot]);
  }
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(k - 1),
                   values.end(), std::greater<>());
  return values[k - 1];
}

bool HitBefore(const Bm25Hit& a, const Bm25Hit& b) {
  return a.score != b.score ? a.score > b.score : a.key < b.key;
}

}  // namespace

float Bm25Index::IdfForDf(uint32_t df) const {
  const double n = static_cast<double>(size());
  if (n == 0) {
    return 0.0f;
  }
  return static_cast<float>(std::log(1.0 + (n - df + 0.5) / (df + 0.5)));
}

std::pair<float, float> Bm25Index::LengthNorm() const {
  const float avgdl = static_cast<float>(average_length());
  const float k1 = options_.k1;
  return {k1 * (1.0f - options_.b), avgdl > 0 ? k1 * options_.b / avgdl : 0.0f};
}

const Bm25Index::TermEntry* Bm25Index::FindTerm(std::string_view term) const {
  auto it = term_ids_.find(term);
  return it == term_ids_.end() ? nullptr : &terms_[it->second];
}

uint32_t Bm25Index::InternTerm(const std::string& term) {
  auto [it, inserted] = term_ids_.try_emplace(term, static_cast<uint32_t>(terms_.size()));
  if (inserted) {
    terms_.emplace_back();
  }
  return it->second;
}

std::span<const uint32_t> Bm25Index::SlotTerms(uint32_t slot) const {
  return std::span<const uint32_t>(term_arena_).subspan(slot_terms_[slot], slot_term_count_[slot]);
}

void Bm25Index::Add(uint32_t doc_key, std::span<const std::string> terms, float field_boost) {
  const Bm25Field field{terms, field_boost};
  Add(doc_key, std::span<const Bm25Field>(&field, 1));
}

void Bm25Index::Add(uint32_t doc_key, std::span<const Bm25Field> fields) {
  Remove(doc_key);
  if (slot_key_.size() == std::numeric_limits<uint32_t>::max()) {
    Compact();
  }
  add_ids_.clear();
  float length = 0.0f;
  for (const Bm25Field& field : fields) {
    assert(field.weight > 0.0f);
    if (!(field.weight > 0.0f)) {
      continue;
    }
    for (const std::string& term : field.terms) {
      if (term.empty()) {
        continue;
      }
      const uint32_t id = InternTerm(term);
      if (add_tf_.size() <= id) {
        add_tf_.resize(terms_.size(), 0.0f);
      }
      if (add_tf_[id] == 0.0f) {
        add_ids_.push_back(id);
      }
      add_tf_[id] += field.weight;
      length += field.weight;
    }
  }
  std::sort(add_ids_.begin(), add_ids_.end());

  const auto slot = static_cast<uint32_t>(slot_key_.size());
  slot_key_.push_back(doc_key);
  slot_length_.push_back(length);
  slot_live_.push_back(1);
  slot_terms_.push_back(term_arena_.size());
  slot_term_count_.push_back(static_cast<uint32_t>(add_ids_.size()));
  term_arena_.insert(term_arena_.end(), add_ids_.begin(), add_ids_.end());
  for (uint32_t id : add_ids_) {
    TermEntry& entry = terms_[id];
    entry.postings.push_back(Posting{slot, add_tf_[id]});
    entry.max_tf = std::max(entry.max_tf, add_tf_[id]);
    entry.min_length = std::min(entry.min_length, length);
    if (entry.df++ == 0) {
      ++live_terms_;
    }
    add_tf_[id] = 0.0f;
  }
  key_to_slot_.emplace(doc_key, slot);
  total_length_ += length;
}

bool Bm25Index::Remove(uint32_t doc_key) {
  auto it = key_to_slot_.find(doc_key);
  if (it == key_to_slot_.end()) {
    return false;
  }
  const uint32_t slot = it->second;
  key_to_slot_.erase(it);
  slot_live_[slot] = 0;
  ++dead_slots_;
  total_length_ = key_to_slot_.empty() ? 0.0 : total_length_ - slot_length_[slot];
  for (uint32_t id : SlotTerms(slot)) {
    TermEntry& entry = terms_[id];
    if (--entry.df == 0) {
      // Every posting left is dead: free them now rather than at compaction.
      --live_terms_;
      std::vector<Posting>().swap(entry.postings);
      entry.max_tf = 0.0f;
      entry.min_length = std::numeric_limits<float>::infinity();
    }
  }
  const double fraction = options_.auto_compact_dead_fraction;
  if (fraction > 0 && dead_slots_ >= kMinDeadToCompact &&
      static_cast<double>(dead_slots_) > fraction * static_cast<double>(slot_key_.size())) {
    Compact();
  }
  return true;
}

void Bm25Index::Compact() {
  constexpr uint32_t kGone = std::numeric_limits<uint32_t>::max();
  if (dead_slots_ == 0) {
    for (TermEntry& entry : terms_) {
      entry.postings.shrink_to_fit();
    }
    term_arena_.shrink_to_fit();
    return;
  }
  std::vector<uint32_t> remap(slot_key_.size(), kGone);
  uint32_t next = 0;
  for (size_t slot = 0; slot < slot_key_.size(); ++slot) {
    if (slot_live_[slot] != 0) {
      remap[slot] = next++;
    }
  }
  // Postings keep their order (remap is increasing); the score bounds are made tight again.
  for (TermEntry& entry : terms_) {
    size_t out = 0;
    entry.max_tf = 0.0f;
    entry.min_length = std::numeric_limits<float>::infinity();
    for (const Posting& p : entry.postings) {
      if (remap[p.slot] != kGone) {
        entry.postings[out++] = Posting{remap[p.slot], p.tf};
        entry.max_tf = std::max(entry.max_tf, p.tf);
        entry.min_length = std::min(entry.min_length, slot_length_[p.slot]);
      }
    }
    entry.postings.resize(out);
    entry.postings.shrink_to_fit();
  }
  std::vector<uint32_t> keys;
  std::vector<float> lengths;
  std::vector<uint64_t> offsets;
  std::vector<uint32_t> counts;
  std::vector<uint32_t> arena;
  keys.reserve(next);
  lengths.reserve(next);
  offsets.reserve(next);
  counts.reserve(next);
  double total = 0;
  for (size_t slot = 0; slot < slot_key_.size(); ++slot) {
    if (remap[slot] == kGone) {
      continue;
    }
    keys.push_back(slot_key_[slot]);
    lengths.push_back(slot_length_[slot]);
    offsets.push_back(arena.size());
    counts.push_back(slot_term_count_[slot]);
    const std::span<const uint32_t> ids = SlotTerms(static_cast<uint32_t>(slot));
    arena.insert(arena.end(), ids.begin(), ids.end());
    total += slot_length_[slot];
  }
  slot_key_ = std::move(keys);
  slot_length_ = std::move(lengths);
  slot_terms_ = std::move(offsets);
  slot_term_count_ = std::move(counts);
  term_arena_ = std::move(arena);
  slot_live_.assign(slot_key_.size(), 1);
  slot_live_.shrink_to_fit();
  for (auto& [key, slot] : key_to_slot_) {
    slot = remap[slot];
  }
  dead_slots_ = 0;
  total_length_ = total;
}

std::vector<Bm25Index::QueryTerm> Bm25Index::ResolveQuery(
    std::span<const std::string> query_terms) const {
  std::vector<QueryTerm> q;
  q.reserve(query_terms.size());
  for (const std::string& term : query_terms) {
    auto it = term_ids_.find(std::string_view(term));
    if (it == term_ids_.end() || terms_[it->second].df == 0) {
      continue;
    }
    q.push_back(QueryTerm{it->second, 0.0f});
  }
  std::sort(q.begin(), q.end(), [](const QueryTerm& a, const QueryTerm& b) { return a.id < b.id; });
  q.erase(std::unique(q.begin(), q.end(),
                      [](const QueryTerm& a, const QueryTerm& b) { return a.id == b.id; }),
          q.end());
  for (QueryTerm& t : q) {
    t.idf = IdfForDf(terms_[t.id].df);
  }
  // Rarest first: max-score pruning then drops candidates soonest, and a truncated query keeps
  // its most telling terms.
  std::sort(q.begin(), q.end(), [](const QueryTerm& a, const QueryTerm& b) {
    return a.idf != b.idf ? a.idf > b.idf : a.id < b.id;
  });
  if (q.size() > options_.max_query_terms) {
    q.resize(options_.max_query_terms);
  }
  return q;
}

std::vector<Bm25Hit> Bm25Index::Search(std::span<const std::string> query_terms, size_t k,
                                       const std::function<bool(uint32_t)>* filter) const {
  std::vector<Bm25Hit> hits;
  if (k == 0 || size() == 0) {
    return hits;
  }
  const std::vector<QueryTerm> q = ResolveQuery(query_terms);
  if (q.empty()) {
    return hits;
  }
  const float k1_plus_1 = options_.k1 + 1.0f;
  // Named copies, not a structured binding: Clang before 16 cannot capture bindings in a lambda.
  const std::pair<float, float> norm = LengthNorm();
  const float c1 = norm.first;
  const float c2 = norm.second;
  // rest[t]: the most that terms t.. can add to any document.
  std::vector<float> rest(q.size() + 1, 0.0f);
  for (size_t t = q.size(); t-- > 0;) {
    const TermEntry& e = terms_[q[t].id];
    rest[t] = rest[t + 1] + q[t].idf * e.max_tf * k1_plus_1 / (e.max_tf + c1 + c2 * e.min_length);
  }
  auto score = [&](float idf, const Posting& p) {
    return idf * p.tf * k1_plus_1 / (p.tf + c1 + c2 * slot_length_[p.slot]);
  };

  ScratchLease lease(slot_key_.size());
  Scratch& s = *lease;
  std::vector<float>& acc = s.acc;

  // Phase 1: every posting of the rarest terms opens a candidate, until the terms left cannot
  // lift an unseen document to the current k-th score.
  auto accumulate = [&]<bool kFilter, bool kCheckLive>(float idf,
                                                       const std::vector<Posting>& postings) {
    for (const Posting& p : postings) {
      if (kCheckLive && slot_live_[p.slot] == 0) {
        continue;
      }
      float& a = acc[p.slot];
      if (a > 0.0f) {
        a += score(idf, p);
      } else if (a == 0.0f) {
        if (kFilter && !(*filter)(slot_key_[p.slot])) {
          a = -1.0f;
          s.rejected.push_back(p.slot);
          continue;
        }
        s.touched.push_back(p.slot);
        a = std::max(score(idf, p), std::numeric_limits<float>::min());
      }
    }
  };
  const bool check_live = dead_slots_ > 0;
  size_t t = 0;
  float theta = 0.0f;
  for (; t < q.size(); ++t) {
    // theta <= best score <= rest[0] - rest[t], so only look when the rest is below that. The
    // k-th best of any subset bounds theta from below, so a sample keeps this cheap; the
    // earliest touched documents hold the rarest terms and are the likeliest leaders.
    if (t > 0 && s.touched.size() >= k && rest[t] < rest[0] - rest[t]) {
      const size_t sample = std::min(s.touched.size(), std::max(k, kThetaSample));
      theta = std::max(theta, KthBest(std::span(s.touched).first(sample), acc, k, s.values));
      if (rest[t] < theta * (1.0f - kBoundSlack)) {
        break;
      }
    }
    const std::vector<Posting>& postings = terms_[q[t].id].postings;
    if (filter != nullptr) {
      check_live ? accumulate.operator()<true, true>(q[t].idf, postings)
                 : accumulate.operator()<true, false>(q[t].idf, postings);
    } else {
      check_live ? accumulate.operator()<false, true>(q[t].idf, postings)
                 : accumulate.operator()<false, false>(q[t].idf, postings);
    }
  }

  // Phase 2: only documents that can still reach the top k are updated. A document dropped
  // from the candidates gets a negative accumulator, so scans skip it like a rejected one.
  std::vector<uint32_t> candidates;
  std::span<const uint32_t> pool = s.touched;
  if (t < q.size()) {
    auto prune = [&](std::vector<uint32_t>& slots, float bound) {
      const float cut = theta * (1.0f - kBoundSlack);
      std::erase_if(slots, [&](uint32_t slot) {
        if (acc[slot] + bound >= cut) {
          return false;
        }
        acc[slot] = -1.0f;
        return true;
      });
    };
    candidates = s.touched;
    prune(candidates, rest[t]);
    bool sorted = false;  // by slot, as galloping needs; until then in touch order
    for (; t < q.size() && !candidates.empty(); ++t) {
      const float idf = q[t].idf;
      const std::vector<Posting>& postings = terms_[q[t].id].postings;
      const size_t n = postings.size();
      if (candidates.size() * kGallopRatio < n) {
        if (!sorted) {
          std::sort(candidates.begin(), candidates.end());
          sorted = true;
        }
        size_t pos = 0;
        for (uint32_t slot : candidates) {
          size_t step = 1;
          while (pos + step < n && postings[pos + step].slot < slot) {
            step *= 2;
          }
          const auto first = postings.begin() + static_cast<std::ptrdiff_t>(pos);
          const auto last =
              postings.begin() + static_cast<std::ptrdiff_t>(std::min(n, pos + step + 1));
          pos = static_cast<size_t>(
              std::lower_bound(first, last, slot,
                               [](const Posting& p, uint32_t v) { return p.slot < v; }) -
              postings.begin());
          if (pos < n && postings[pos].slot == slot) {
            acc[slot] += score(idf, postings[pos]);
          }
        }
      } else {
        // Dead slots were never touched, so their accumulators are 0 and skipped here.
        for (const Posting& p : postings) {
          float& a = acc[p.slot];
          if (a > 0.0f) {
            a += score(idf, p);
          }
        }
      }
      // The k-th score only rises; drop candidates the remaining terms cannot save.
      const size_t sample = std::min(candidates.size(), std::max(k, kThetaSample));
      theta = std::max(theta, KthBest(std::span(candidates).first(sample), acc, k, s.values));
      prune(candidates, rest[t + 1]);
    }
    pool = candidates;
  }

  hits.reserve(std::min(pool.size(), k + 1));
  for (uint32_t slot : pool) {
    hits.push_back(Bm25Hit{slot_key_[slot], acc[slot]});
  }
  if (hits.size() > k) {
    std::nth_element(hits.begin(), hits.begin() + static_cast<std::ptrdiff_t>(k - 1), hits.end(),
                     HitBefore);
    hits.resize(k);
  }
  std::sort(hits.begin(), hits.end(), HitBefore);
  return hits;
}

float Bm25Index::Score(std::span<const std::string> query_terms, uint32_t doc_key) const {
  auto it = key_to_slot_.find(doc_key);
  if (it == key_to_slot_.end()) {
    return 0.0f;
  }
  const uint32_t slot = it->second;
  const float k1 = options_.k1;
  const auto [c1, c2] = LengthNorm();
  float total = 0.0f;
  bool first = true;
  for (const QueryTerm& qt : ResolveQuery(query_terms)) {
    const std::vector<Posting>& postings = terms_[qt.id].postings;
    auto p = std::lower_bound(postings.begin(), postings.end(), slot,
                              [](const Posting& x, uint32_t v) { return x.slot < v; });
    if (p == postings.end() || p->slot != slot) {
      continue;
    }
    // The same arithmetic, in the same order, as Search.
    const float add = qt.idf * p->tf * (k1 + 1.0f) / (p->tf + c1 + c2 * slot_length_[slot]);
    total = first ? std::max(add, std::numeric_limits<float>::min()) : total + add;
    first = false;
  }
  return total;
}

float Bm25Index::QueryCoverage(std::span<const std::string> query_terms, uint32_t doc_key) const {
  auto it = key_to_slot_.find(doc_key);
  if (it == key_to_slot_.end() || query_terms.empty()) {
    return 0.0f;
  }
  const std::span<const uint32_t> held = SlotTerms(it->second);
  std::vector<std::string_view> distinct(query_terms.begin(), query_terms.end());
  std::sort(distinct.begin(), distinct.end());
  distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
  double all = 0;
  double present = 0;
  for (std::string_view term : distinct) {
    auto id = term_ids_.find(term);
    const uint32_t term_df = id == term_ids_.end() ? 0 : terms_[id->second].df;
    const double w = IdfForDf(term_df);
    all += w;
    if (term_df > 0 && std::binary_search(held.begin(), held.end(), id->second)) {
      present += w;
    }
  }
  return all > 0 ? static_cast<float>(present / all) : 0.0f;
}

uint32_t Bm25Index::df(std::string_view term) const {
  const TermEntry* entry = FindTerm(term);
  return entry == nullptr ? 0 : entry->df;
}

float Bm25Index::idf(std::string_view term) const {
  return IdfForDf(df(term));
}

size_t Bm25Index::memory_bytes() const {
  // Roughly what libstdc++ allocates: an unordered_map node is the value plus a next pointer
  // and a cached hash, and each bucket is one pointer.
  constexpr size_t kNodeOverhead = 2 * sizeof(void*);
  size_t bytes = terms_.capacity() * sizeof(TermEntry);
  for (const TermEntry& entry : terms_) {
    bytes += entry.postings.capacity() * sizeof(Posting);
  }
  for (const auto& [term, id] : term_ids_) {
    bytes += sizeof(std::pair<const std::string, uint32_t>) + kNodeOverhead;
    if (term.capacity() > 15) {
      bytes += term.capacity() + 1;
    }
  }
  bytes += term_ids_.bucket_count() * sizeof(void*);
  bytes += key_to_slot_.size() * (sizeof(std::pair<const uint32_t, uint32_t>) + kNodeOverhead) +
           key_to_slot_.bucket_count() * sizeof(void*);
  bytes += slot_key_.capacity() * sizeof(uint32_t) + slot_length_.capacity() * sizeof(float) +
           slot_live_.capacity() + slot_terms_.capacity() * sizeof(uint64_t) +
           slot_term_count_.capacity() * sizeof(uint32_t) +
           term_arena_.capacity() * sizeof(uint32_t) + add_tf_.capacity() * sizeof(float);
  return bytes;
}

}  // namespace kefu::kb
