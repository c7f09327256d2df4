// An approximate nearest-neighbour index over unit-length vectors (kb/embedder.h), keyed by the
// caller's uint32 ids (chunk rows). Similarity is the inner product, which for unit vectors is
// the cosine. Backed by hnswlib's HNSW graph.
//
//   VectorIndex index(embedder.dim());                        // M 16, ef_construction 64
//   KEFU_RETURN_IF_ERROR(index.Add(chunk_id, *embedder.Embed(chunk.text)));
//   KEFU_ASSIGN_OR_RETURN(std::vector<VectorHit> hits,
//                         index.Search(query_vec, 10, [&](uint32_t id) { return IsZh(id); }));
//   for (const VectorHit& h : hits) { ... h.key, h.similarity ... }   // best first
//   std::string bytes = index.Serialize();                    // or Save("kb.vix")
//   KEFU_ASSIGN_OR_RETURN(std::unique_ptr<VectorIndex> again, VectorIndex::Deserialize(bytes));
//
// Thread-safety: Search(), size(), Contains(), Serialize() and Save() may run concurrently with
// each other. Add(), AddBatch(), Remove() and set_ef_search() need exclusive access: guard the
// index with a std::shared_mutex, shared for searches and unique for changes.
//
// Removal marks a vector deleted; it keeps its slot (and stays a stepping stone in the graph)
// until the same key is added again, which reuses the slot. An index that sees many permanent
// removals should be rebuilt now and then.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace kefu::kb {

struct VectorIndexOptions {
  int M = 16;  // graph out-degree; memory per vector is about dim * 4 + M * 8 + 100 bytes
  // Candidate list size while inserting; higher = better graph, slower. 64: recall@10 as at 100
  // (0.967 vs 0.966) at 1.4x the insert rate (bench/hnsw_build.cc, bench/results/hnsw_build.md).
  int ef_construction = 64;
  int ef_search = 64;              // candidate list size while searching (at least k is used)
  size_t initial_capacity = 1024;  // doubles when full
  uint64_t seed = 100;             // level assignment, so builds are reproducible
};

struct VectorHit {
  uint32_t key = 0;
  float similarity = 0;  // inner product; cosine for unit vectors
};

class VectorIndex {
 public:
  // REQUIRES: dim >= 1, options.M >= 2, options.ef_construction >= 1, options.ef_search >= 1
  explicit VectorIndex(int dim, const VectorIndexOptions& options = {});
  ~VectorIndex();
  VectorIndex(VectorIndex&&) noexcept;
  VectorIndex& operator=(VectorIndex&&) noexcept;
  VectorIndex(const VectorIndex&) = delete;
  VectorIndex& operator=(const VectorIndex&) = delete;

  // Inserts `v` under `key`, replacing the vector a live or removed `key` had. Grows the capacity
  // as needed. Returns kInvalidArgument when v.size() != dim() or v has a non-finite value, and
  // kResourceExhausted when memory runs out.
  Status Add(uint32_t key, std::span<const float> v);

  // Add() for many vectors at once: `vectors` holds keys.size() x dim() floats, row i for
  // keys[i]. Every vector is checked first, so a bad one (kInvalidArgument) leaves the index
  // unchanged. Keys new to the index are inserted from up to `threads` threads together
  // (hnswlib's concurrent insertion) when there are at least kParallelMinBatch of them and the
  // index then holds at least kParallelMinSize vectors; keys already indexed, or repeated within
  // the batch, are inserted one at a time after them, in order. A graph built in parallel depends
  // on thread timing, so it is not reproducible byte for byte (searches on it are as good); small
  // indexes, such as a shop's FAQ, are always built in one thread and stay reproducible.
  static constexpr size_t kParallelMinBatch = 64;
  static constexpr size_t kParallelMinSize = 20000;
  Status AddBatch(std::span<const uint32_t> keys, std::span<const float> vectors, int threads);

  // Marks `key` removed so no search returns it; unknown or already removed keys are ignored.
  void Remove(uint32_t key);

  // Up to k live vectors most similar to `query`, best first, restricted to keys for which
  // `filter` returns true when a filter is given. Approximate: HNSW may miss a true neighbour
  // (recall@10 near 1.0 on clustered, embedding-like data at the defaults). With a selective filter
  // the search widens until it has k hits or has looked at every vector. Returns kInvalidArgument
  // when query.size() != dim().
  Result<std::vector<VectorHit>> Search(std::span<const float> query, size_t k,
                                        const std::function<bool(uint32_t)>& filter = {}) const;

  int dim() const { return dim_; }
  size_t size() const;      // live vectors
  size_t capacity() const;  // slots allocated, live or removed
  bool Contains(uint32_t key) const;

  int ef_search() const { return ef_search_; }
  void set_ef_search(int ef);  // REQUIRES: ef >= 1

  // The whole index (graph, vectors, removal marks, options) as bytes, and back. Deserialize
  // returns kInvalidArgument for bytes that are not a kefu vector index, are truncated, or fail
  // their checksum.
  std::string Serialize() const;
  static Result<std::unique_ptr<VectorIndex>> Deserialize(std::string_view bytes);

  // Serialize() to a file, replaced atomically; kUnavailable when it cannot be written.
  Status Save(const std::string& path) const;
  // kNotFound when the file does not exist, otherwise as Deserialize().
  static Result<std::unique_ptr<VectorIndex>> Load(const std::string& path);

 private:
  struct Impl;  // hnswlib's types stay in vector_index.cc

  int dim_ = 0;
  int ef_search_ = 0;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kefu::kb
