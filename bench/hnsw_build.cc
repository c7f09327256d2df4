// How HNSW's ef_construction trades build speed for recall in kb::VectorIndex: the same
// synthetic vectors (64 dimensions like the own embedding, unit length, 2,000 clusters with
// noise) are inserted with VectorIndex::AddBatch from 2 threads in batches of 256 (as
// Retriever::UpsertBatch does) at each ef_construction, and 200 queries are searched at the
// default ef_search; recall@10 is measured against an exact scan.
//
//   hnsw_build [vectors] [ef_construction...]     # default: 200000 100 64 48
//
// Prints one Markdown table row per setting; bench/results/hnsw_build.md keeps a run.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "kb/embedder.h"
#include "kb/vector_index.h"

namespace {

constexpr int kDim = 64;
constexpr size_t kClusters = 2000;
constexpr float kNoise = 0.14f;
constexpr size_t kQueries = 200;
constexpr size_t kK = 10;
constexpr size_t kBatch = 256;
constexpr int kThreads = 2;

}  // namespace

int main(int argc, char** argv) {
  const size_t n = argc > 1 ? std::stoul(argv[1]) : 200000;
  std::vector<int> settings;
  for (int i = 2; i < argc; ++i) {
    settings.push_back(std::stoi(argv[i]));
  }
  if (settings.empty()) {
    settings = {100, 64, 48};
  }
  std::mt19937 rng(7);
  std::normal_distribution<float> gauss;
  std::vector<std::vector<float>> centres(kClusters, std::vector<float>(kDim));
  for (std::vector<float>& c : centres) {
    for (float& x : c) {
      x = gauss(rng);
    }
    kefu::kb::L2Normalize(c);
  }
  auto sample = [&] {
    std::vector<float> v = centres[rng() % kClusters];
    for (float& x : v) {
      x += kNoise * gauss(rng);
    }
    kefu::kb::L2Normalize(v);
    return v;
  };
  std::vector<float> flat(n * kDim);
  std::vector<uint32_t> keys(n);
  for (size_t i = 0; i < n; ++i) {
    const std::vector<float> v = sample();
    std::copy(v.begin(), v.end(), flat.begin() + long(i * kDim));
    keys[i] = uint32_t(i);
  }
  std::vector<std::vector<float>> queries;
  std::vector<std::set<uint32_t>> truth;
  for (size_t q = 0; q < kQueries; ++q) {
    queries.push_back(sample());
    std::vector<std::pair<float, uint32_t>> scored(n);
    for (size_t i = 0; i < n; ++i) {
      float dot = 0;
      for (int d = 0; d < kDim; ++d) {
        dot += queries.back()[size_t(d)] * flat[i * kDim + size_t(d)];
      }
      scored[i] = {-dot, uint32_t(i)};
    }
    std::partial_sort(scored.begin(), scored.begin() + kK, scored.end());
    std::set<uint32_t> top;
    for (size_t k = 0; k < kK; ++k) {
      top.insert(scored[k].second);
    }
    truth.push_back(std::move(top));
  }
  std::printf("| vectors | ef_construction | insert vectors/s (%d threads) | recall@10 |\n",
              kThreads);
  std::printf("|---|---|---|---|\n");
  for (int ef : settings) {
    kefu::kb::VectorIndexOptions options;
    options.ef_construction = ef;
    kefu::kb::VectorIndex index(kDim, options);
    const auto start = std::chrono::steady_clock::now();
    for (size_t b = 0; b < n; b += kBatch) {
      const size_t e = std::min(n, b + kBatch);
      const kefu::Status s =
          index.AddBatch(std::span<const uint32_t>(keys.data() + b, e - b),
                         std::span<const float>(flat.data() + b * kDim, (e - b) * kDim), kThreads);
      if (!s.ok()) {
        std::fprintf(stderr, "hnsw_build: %s\n", s.ToString().c_str());
        return 1;
      }
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    size_t found = 0;
    for (size_t q = 0; q < kQueries; ++q) {
      const kefu::Result<std::vector<kefu::kb::VectorHit>> hits = index.Search(queries[q], kK);
      if (!hits.ok()) {
        std::fprintf(stderr, "hnsw_build: %s\n", hits.status().ToString().c_str());
        return 1;
      }
      for (const kefu::kb::VectorHit& h : *hits) {
        found += truth[q].count(h.key);
      }
    }
    std::printf("| %zu | %d | %.0f | %.4f |\n", n, ef, double(n) / seconds,
                double(found) / double(kQueries * kK));
    std::fflush(stdout);
  }
  return 0;
}
