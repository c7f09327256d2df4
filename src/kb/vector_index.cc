// VectorIndex over hnswlib 0.6.2 (Debian's libhnswlib-dev), header-only.
//
// hnswlib.h defines non-inline functions (cpuid, AVXCapable, ...), so this must stay the only
// file of a program that includes it.
//
// hnswlib 0.6.2 has no filter argument for searchKnn (that came in 0.7), so a filtered search
// over-fetches and widens. Its saveIndex/loadIndex work on file paths only, and its path-loading
// constructor leaves num_deleted_ uninitialized, so the index is (de)serialized here instead:
// the graph bytes are copied in and out of a HierarchicalNSW built by its regular constructor,
// which sets up every derived field, lock and pool. The copy relies on 0.6.2's public members;
// the layout check in Deserialize (size_data_per_element_) catches a changed element layout.
//
// File layout (little-endian, as written by this machine):
//   "KEFUVIX1" | u32 dim, M, ef_construction, ef_search | u64 seed, count, capacity |
//   i32 max_level | u32 entry_point | u64 bytes_per_element | level-0 block (count elements) |
//   count x (u32 n, n bytes of upper-level links) | u64 FNV-1a of everything before it
#include "kb/vector_index.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <new>
#include <sstream>
#include <thread>
#include <unordered_set>
#include <utility>

// hnswlib 0.6.2's SSE prefetches read the link one past the end of a neighbour list, past the
// end of an upper-level block (4 bytes, harmless in practice, fixed in later hnswlib). Sanitizer
// builds turn hnswlib's hand-written SIMD off so that ASan reports only real errors.
#if defined(__SANITIZE_ADDRESS__)
#define NO_MANUAL_VECTORIZATION
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define NO_MANUAL_VECTORIZATION
#endif
#endif
#include <hnswlib/hnswlib.h>
#if !defined(NO_MANUAL_VECTORIZATION) && defined(__x86_64__)
#include <immintrin.h>
#define KEFU_DOT_AVX2 1
#endif

#include "core/binary_io.h"
#include "core/file_util.h"
#include "core/random.h"

namespace kefu::kb {
namespace {

constexpr char kMagic[8] = {'K', 'E', 'F', 'U', 'V', 'I', 'X', '1'};
constexpr uint32_t kMaxDim = 65536;
constexpr uint32_t kMaxM = 1000;
// A filtered search first asks for this many times k candidates, then widens by this factor.
constexpr size_t kFilterOverfetch = 4;

template <typename T>
void Put(std::string& out, T v) {
  out.append(reinterpret_cast<const char*>(&v), sizeof(v));
}

#if defined(KEFU_DOT_AVX2)
// 1 - dot(a, b) over *n floats with 8-wide fused multiply-adds.
__attribute__((target("avx2,fma"))) float DotDistanceAvx2(const void* a, const void* b,
                                                          const void* n) {
  const auto* x = static_cast<const float*>(a);
  const auto* y = static_cast<const float*>(b);
  const size_t dim = *static_cast<const size_t*>(n);
  __m256 s0 = _mm256_setzero_ps();
  __m256 s1 = _mm256_setzero_ps();
  size_t i = 0;
  for (; i + 16 <= dim; i += 16) {
    s0 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i), s0);
    s1 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i + 8), _mm256_loadu_ps(y + i + 8), s1);
  }
  for (; i + 8 <= dim; i += 8) {
    s0 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i), s0);
  }
  const __m256 s = _mm256_add_ps(s0, s1);
  __m128 h = _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
  h = _mm_add_ps(h, _mm_movehl_ps(h, h));
  h = _mm_add_ss(h, _mm_movehdup_ps(h));
  float sum = _mm_cvtss_f32(h);
  for (; i < dim; ++i) {
    sum += x[i] * y[i];
  }
  return 1.0f - sum;
}
#endif

// hnswlib's inner-product metric (distance 1 - dot) with the kernel chosen at run time.
// hnswlib 0.6.2 compiles its AVX kernels only when the whole program is built with -mavx, which
// a portable build is not, so it runs SSE everywhere; distances are about 40% of an HNSW
// insertion (perf, bench/hnsw_build). Here a CPU with AVX2 and FMA gets the 8-wide kernel
// above; any other gets hnswlib's own.
class DotSpace final : public hnswlib::SpaceInterface<float> {
 public:
  explicit DotSpace(size_t dim) : dim_(dim), fallback_(dim) {}
  size_t get_data_size() override { return dim_ * sizeof(float); }
  hnswlib::DISTFUNC<float> get_dist_func() override {
#if defined(KEFU_DOT_AVX2)
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
      return DotDistanceAvx2;
    }
#endif
    return fallback_.get_dist_func();
  }
  void* get_dist_func_param() override {
    return &dim_;
  }

 private:
  size_t dim_;
  hnswlib::InnerProductSpace fallback_;
};

}  // namespace

struct VectorIndex::Impl {
  Impl(int dim, const VectorIndexOptions& o, size_t capacity)
      : options(o),
        space(size_t(dim)),
        hnsw(&space, std::max<size_t>(1, capacity), size_t(o.M), size_t(o.ef_construction),
             size_t(o.seed)) {
    hnsw.setEf(size_t(o.ef_search));
  }

  VectorIndexOptions options;
  DotSpace space;  // before hnsw, which keeps a pointer to it
  hnswlib::HierarchicalNSW<float> hnsw;
  std::unordered_set<uint32_t> live;  // keys not removed
};

VectorIndex::VectorIndex(int dim, const VectorIndexOptions& options)
    : dim_(dim), ef_search_(options.ef_search) {
  KEFU_CHECK(dim >= 1 && uint32_t(dim) <= kMaxDim);
  KEFU_CHECK(options.M >= 2 && uint32_t(options.M) <= kMaxM);
  KEFU_CHECK(options.ef_construction >= 1 && options.ef_search >= 1);
  impl_ = std::make_unique<Impl>(dim, options, options.initial_capacity);
}

VectorIndex::~VectorIndex() = default;
VectorIndex::VectorIndex(VectorIndex&&) noexcept = default;
VectorIndex& VectorIndex::operator=(VectorIndex&&) noexcept = default;

namespace {

Status CheckVector(uint32_t key, std::span<const float> v, int dim) {
  if (v.size() != size_t(dim)) {
    return InvalidArgumentError("vector index: key " + std::to_string(key) + ": vector has " +
                                std::to_string(v.size()) + " values, the index " +
                                std::to_string(dim));
  }
  if (!std::all_of(v.begin(), v.end(), [](float x) { return std::isfinite(x); })) {
    return InvalidArgumentError("vector index: key " + std::to_string(key) +
                                ": vector has a non-finite value");
  }
  return OkStatus();
}

}  // namespace

Status VectorIndex::Add(uint32_t key, std::span<const float> v) {
  KEFU_RETURN_IF_ERROR(CheckVector(key, v, dim_));
  auto& h = impl_->hnsw;
  try {
    if (h.label_lookup_.count(key) == 0 && h.cur_element_count >= h.max_elements_) {
      h.resizeIndex(std::max<size_t>(1, h.max_elements_ * 2));
    }
    h.addPoint(v.data(), hnswlib::labeltype(key));
  } catch (const std::bad_alloc&) {
    return ResourceExhaustedError("vector index: out of memory adding key " + std::to_string(key));
  } catch (const std::exception& e) {
    return InternalError("vector index: adding key " + std::to_string(key) + ": " + e.what());
  }
  impl_->live.insert(key);
  return OkStatus();
}

Status VectorIndex::AddBatch(std::span<const uint32_t> keys, std::span<const float> vectors,
                             int threads) {
  const auto dim = size_t(dim_);
  if (vectors.size() != keys.size() * dim) {
    return InvalidArgumentError("vector index: a batch of " + std::to_string(keys.size()) +
                                " keys has " + std::to_string(vectors.size()) + " values, not " +
                                std::to_string(keys.size() * dim));
  }
  for (size_t i = 0; i < keys.size(); ++i) {
    KEFU_RETURN_IF_ERROR(CheckVector(keys[i], vectors.subspan(i * dim, dim), dim_));
  }
  auto& h = impl_->hnsw;
  // New keys go in together; the rest (updates, repeats) one at a time after them, in order.
  std::vector<size_t> fresh;
  std::vector<size_t> serial;
  {
    std::unordered_set<uint32_t> seen;
    for (size_t i = 0; i < keys.size(); ++i) {
      const bool is_new = h.label_lookup_.count(keys[i]) == 0 && seen.insert(keys[i]).second;
      (is_new ? fresh : serial).push_back(i);
    }
  }
  size_t workers = std::clamp<size_t>(size_t(std::max(threads, 1)), 1, fresh.size() + 1);
  if (fresh.size() < kParallelMinBatch || h.cur_element_count + fresh.size() < kParallelMinSize) {
    workers = 1;
  }
#if defined(__SANITIZE_THREAD__)
  // hnswlib 0.6.2 draws each new element's level from one shared std::default_random_engine
  // without a lock. On x86-64 the race can only repeat a draw (the engine's state is one
  // aligned word), so levels stay geometrically distributed; ThreadSanitizer still reports it.
  workers = 1;
#endif
  // Grown once for the whole batch: resizeIndex must not run while others insert.
  const size_t need = h.cur_element_count + fresh.size();
  try {
    if (need > h.max_elements_) {
      size_t capacity = std::max<size_t>(1, h.max_elements_);
      while (capacity < need) {
        capacity *= 2;
      }
      h.resizeIndex(capacity);
    }
  } catch (const std::bad_alloc&) {
    return ResourceExhaustedError("vector index: out of memory growing to " + std::to_string(need) +
                                  " vectors");
  }
  std::atomic<size_t> next{0};
  std::mutex error_mutex;
  Status error = OkStatus();
  std::vector<std::vector<uint32_t>> added(workers);
  auto insert = [&](size_t worker) {
    for (size_t n = next++; n < fresh.size(); n = next++) {
      const size_t i = fresh[n];
      try {
        h.addPoint(vectors.data() + i * dim, hnswlib::labeltype(keys[i]));
        added[worker].push_back(keys[i]);
      } catch (const std::exception& e) {
        std::scoped_lock lock(error_mutex);
        if (error.ok()) {
          error = dynamic_cast<const std::bad_alloc*>(&e) != nullptr
                      ? ResourceExhaustedError("vector index: out of memory adding key " +
                                               std::to_string(keys[i]))
                      : InternalError("vector index: adding key " + std::to_string(keys[i]) + ": " +
                                      e.what());
        }
        next = fresh.size();  // the others stop at their next element
      }
    }
  };
  std::vector<std::thread> pool;
  for (size_t w = 1; w < workers; ++w) {
    pool.emplace_back(insert, w);
  }
  insert(0);
  for (std::thread& t : pool) {
    t.join();
  }
  for (const std::vector<uint32_t>& keys_added : added) {
    impl_->live.insert(keys_added.begin(), keys_added.end());
  }
  KEFU_RETURN_IF_ERROR(error);
  for (size_t i : serial) {
    KEFU_RETURN_IF_ERROR(Add(keys[i], vectors.subspan(i * dim, dim)));
  }
  return OkStatus();
}

void VectorIndex::Remove(uint32_t key) {
  if (impl_->live.erase(key) == 0) {
    return;
  }
  impl_->hnsw.markDelete(hnswlib::labeltype(key));  // cannot throw: the key is live
}

Result<std::vector<VectorHit>> VectorIndex::Search(
    std::span<const float> query, size_t k, const std::function<bool(uint32_t)>& filter) const {
  if (query.size() != size_t(dim_)) {
    return InvalidArgumentError("vector index: query has " + std::to_string(query.size()) +
                                " values, the index " + std::to_string(dim_));
  }
  std::vector<VectorHit> out;
  const auto& h = impl_->hnsw;
  if (k == 0 || impl_->live.empty()) {
    return out;
  }
  const size_t total = h.cur_element_count;  // removed ones included: they still take part
  size_t fetch = filter ? std::min(total, k * kFilterOverfetch) : std::min(total, k);
  while (true) {
    // searchKnn returns the worst hit on top; ef is max(ef_search, fetch).
    std::priority_queue<std::pair<float, hnswlib::labeltype>> found =
        h.searchKnn(query.data(), fetch);
    std::vector<VectorHit> hits(found.size());
    for (size_t i = found.size(); i > 0; --i) {
      hits[i - 1] = {uint32_t(found.top().second), 1.0f - found.top().first};
      found.pop();
    }
    out.clear();
    for (const VectorHit& hit : hits) {
      if (!filter || filter(hit.key)) {
        out.push_back(hit);
        if (out.size() == k) {
          break;
        }
      }
    }
    if (out.size() == k || fetch >= total) {
      return out;
    }
    fetch = std::min(total, fetch * kFilterOverfetch);
  }
}

size_t VectorIndex::size() const {
  return impl_->live.size();
}

size_t VectorIndex::capacity() const {
  return impl_->hnsw.max_elements_;
}

bool VectorIndex::Contains(uint32_t key) const {
  return impl_->live.count(key) > 0;
}

void VectorIndex::set_ef_search(int ef) {
  KEFU_CHECK(ef >= 1);
  ef_search_ = ef;
  impl_->options.ef_search = ef;
  impl_->hnsw.setEf(size_t(ef));
}

std::string VectorIndex::Serialize() const {
  const auto& h = impl_->hnsw;
  const VectorIndexOptions& o = impl_->options;
  std::string out(kMagic, sizeof(kMagic));
  Put<uint32_t>(out, uint32_t(dim_));
  Put<uint32_t>(out, uint32_t(o.M));
  Put<uint32_t>(out, uint32_t(o.ef_construction));
  Put<uint32_t>(out, uint32_t(o.ef_search));
  Put<uint64_t>(out, o.seed);
  Put<uint64_t>(out, h.cur_element_count);
  Put<uint64_t>(out, h.max_elements_);
  Put<int32_t>(out, h.maxlevel_);
  Put<uint32_t>(out, h.enterpoint_node_);
  Put<uint64_t>(out, h.size_data_per_element_);
  out.append(h.data_level0_memory_, h.cur_element_count * h.size_data_per_element_);
  for (size_t i = 0; i < h.cur_element_count; ++i) {
    const uint32_t n =
        h.element_levels_[i] > 0 ? uint32_t(h.size_links_per_element_ * h.element_levels_[i]) : 0;
    Put<uint32_t>(out, n);
    if (n > 0) {  // linkLists_[i] is not even initialized for a level-0 element
      out.append(h.linkLists_[i], n);
    }
  }
  AppendChecksum(out);
  return out;
}

Result<std::unique_ptr<VectorIndex>> VectorIndex::Deserialize(std::string_view bytes) {
  auto bad = [](const std::string& what) { return InvalidArgumentError("vector index: " + what); };
  Result<std::string_view> body = OpenChecksummed(bytes, std::string_view(kMagic, sizeof(kMagic)));
  if (!body.ok()) {
    return bad(body.status().message());
  }
  ByteReader r(*body);
  uint32_t dim = 0;
  uint32_t m = 0;
  uint32_t ef_construction = 0;
  uint32_t ef_search = 0;
  uint64_t seed = 0;
  uint64_t count = 0;
  uint64_t capacity = 0;
  int32_t max_level = 0;
  uint32_t entry_point = 0;
  uint64_t element_bytes = 0;
  if (!r.Get(dim) || !r.Get(m) || !r.Get(ef_construction) || !r.Get(ef_search) || !r.Get(seed) ||
      !r.Get(count) || !r.Get(capacity) || !r.Get(max_level) || !r.Get(entry_point) ||
      !r.Get(element_bytes)) {
    return bad("truncated header");
  }
  if (dim < 1 || dim > kMaxDim || m < 2 || m > kMaxM || ef_construction < 1 || ef_search < 1 ||
      ef_search > (1u << 30) || ef_construction > (1u << 30) || count > (1ull << 32) ||
      capacity < count || capacity > (1ull << 32) ||
      (count == 0 ? max_level != -1 : (max_level < 0 || entry_point >= count))) {
    return bad("bad header values");
  }
  const char* level0 = nullptr;
  if (element_bytes == 0 || count > body->size() / element_bytes ||
      !r.Bytes(count * element_bytes, level0)) {
    return bad("truncated vectors");
  }
  VectorIndexOptions options;
  options.M = int(m);
  options.ef_construction = int(ef_construction);
  options.ef_search = int(ef_search);
  options.seed = seed;
  options.initial_capacity = std::max<uint64_t>(1, capacity);
  std::unique_ptr<VectorIndex> index;
  try {
    index = std::make_unique<VectorIndex>(int(dim), options);
  } catch (const std::bad_alloc&) {
    return ResourceExhaustedError("vector index: out of memory for " + std::to_string(capacity) +
                                  " vectors");
  }
  auto& h = index->impl_->hnsw;
  if (h.size_data_per_element_ != element_bytes) {
    return bad("element layout differs from this hnswlib build");
  }
  std::memcpy(h.data_level0_memory_, level0, count * element_bytes);
  // From here on the graph owns what has been copied in, so a failure frees it through the
  // destructor: cur_element_count and element_levels_ must describe exactly that.
  auto valid_links = [&](hnswlib::linklistsizeint* ll, size_t max_links) {
    const size_t n = h.getListCount(ll);
    const auto* ids = reinterpret_cast<const hnswlib::tableint*>(ll + 1);
    return n <= max_links && std::all_of(ids, ids + n, [&](auto id) { return id < count; });
  };
  for (size_t i = 0; i < count; ++i) {
    uint32_t n = 0;
    const char* links = nullptr;
    if (!r.Get(n) || n % h.size_links_per_element_ != 0 || !r.Bytes(n, links)) {
      return bad("truncated links");
    }
    const size_t levels = n / h.size_links_per_element_;
    if (levels > size_t(max_level)) {
      return bad("element above the top level");
    }
    h.element_levels_[i] = 0;
    h.linkLists_[i] = nullptr;
    h.cur_element_count = i + 1;
    if (levels > 0) {
      // Room for the one link hnswlib's prefetch reads past the end (see above).
      h.linkLists_[i] = static_cast<char*>(std::malloc(n + sizeof(hnswlib::tableint)));
      if (h.linkLists_[i] == nullptr) {
        return ResourceExhaustedError("vector index: out of memory for links");
      }
      std::memcpy(h.linkLists_[i], links, n);
      h.element_levels_[i] = int(levels);
    }
  }
  if (!r.done()) {
    return bad("trailing bytes");
  }
  if (count > 0 && h.element_levels_[entry_point] != max_level) {
    return bad("entry point is not on the top level");
  }
  for (size_t i = 0; i < count; ++i) {
    if (!valid_links(h.get_linklist0(hnswlib::tableint(i)), h.maxM0_)) {
      return bad("bad links at element " + std::to_string(i));
    }
    for (int level = 1; level <= h.element_levels_[i]; ++level) {
      if (!valid_links(h.get_linklist(hnswlib::tableint(i), level), h.maxM_)) {
        return bad("bad links at element " + std::to_string(i));
      }
    }
    const hnswlib::labeltype label = h.getExternalLabel(hnswlib::tableint(i));
    if (label > UINT32_MAX || !h.label_lookup_.emplace(label, hnswlib::tableint(i)).second) {
      return bad("bad or repeated key at element " + std::to_string(i));
    }
    if (h.isMarkedDeleted(hnswlib::tableint(i))) {
      ++h.num_deleted_;
    } else {
      index->impl_->live.insert(uint32_t(label));
    }
  }
  h.maxlevel_ = max_level;
  h.enterpoint_node_ = count > 0 ? entry_point : hnswlib::tableint(-1);
  return index;
}

Status VectorIndex::Save(const std::string& path) const {
  return WriteFileAtomically(path, Serialize()).WithContext("vector index");
}

Result<std::unique_ptr<VectorIndex>> VectorIndex::Load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return NotFoundError("vector index '" + path + "' does not exist");
  }
  std::ostringstream buf;
  buf << in.rdbuf();
  Result<std::unique_ptr<VectorIndex>> index = Deserialize(buf.view());
  if (!index.ok()) {
    return index.status().WithContext("'" + path + "'");
  }
  return index;
}

}  // namespace kefu::kb
