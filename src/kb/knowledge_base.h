// KnowledgeBase: the shop's documents, persisted in the Store and searchable through a Retriever.
// The store holds each parsed document and its chunks; the in-memory index is rebuilt from it
// when the knowledge base opens, and kept current by Import and Remove one document at a time.
//
//   KEFU_ASSIGN_OR_RETURN(auto kb, KnowledgeBase::Open(store, clock, {}));
//   Result<ImportReport> r = kb->ImportPaths({"docs/policies"}, {.category = "policy"});
//   KbAnswer a = kb->Answer("退货运费谁出", "zh");
//   if (a.found) reply(a.text, a.title);            // else: say so and offer a human
//
// Importing a document whose content hash is unchanged does nothing. Thread-safe: searches run
// concurrently; imports and removals are serialized.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "kb/document.h"
#include "kb/ingest.h"
#include "kb/retriever.h"
#include "store/store.h"

namespace kefu::kb {

struct KnowledgeBaseOptions {
  RetrieverOptions retriever;
  ChunkOptions chunking;
  // Answer(): the best hit's confidence below which kefu says it does not know.
  double answer_threshold = 0.6;
  // Answer(): an FAQ whose stored question is at least this similar is answered directly.
  double faq_threshold = 0.7;
};

struct ImportReport {
  size_t added = 0;
  size_t updated = 0;
  size_t unchanged = 0;
  size_t failed = 0;  // files or documents that could not be parsed; see errors
  size_t chunks = 0;  // chunks indexed by this import
  std::vector<std::string> errors;
};

// Called after each file or batch of documents: (done, total).
using ImportProgress = std::function<void(size_t, size_t)>;

struct KbAnswer {
  bool found = false;
  std::string text;  // the FAQ answer or the passage
  std::string title;
  std::string heading_path;
  std::string doc_id;
  double confidence = 0;
  bool from_faq = false;
  std::vector<Hit> hits;  // what was retrieved, for the trace
};

// A document as the store keeps it, and back. kInvalidArgument for JSON this version did not
// write.
store::KbDocumentRecord ToRecord(const KbDocument& doc, std::span<const Chunk> chunks);
Result<std::pair<KbDocument, std::vector<Chunk>>> FromRecord(const store::KbDocumentRecord& r);

class KnowledgeBase {
 public:
  // Loads every stored document into the index.
  static Result<std::unique_ptr<KnowledgeBase>> Open(store::Store& store, const Clock& clock,
                                                     KnowledgeBaseOptions options);
  KnowledgeBase(const KnowledgeBase&) = delete;
  KnowledgeBase& operator=(const KnowledgeBase&) = delete;
  ~KnowledgeBase();

  // Stores and indexes the documents (new, changed or unchanged by content hash). A document
  // that yields no chunk is counted as failed. Store errors are returned; nothing is indexed
  // that was not stored.
  Result<ImportReport> Import(std::vector<KbDocument> docs, const ImportProgress& progress = {});

  // Parses every supported file under `paths` (directories recursively) and imports them. A file
  // that does not parse is reported in ImportReport::errors and the others are still imported;
  // kNotFound when a path does not exist.
  Result<ImportReport> ImportPaths(const std::vector<std::string>& paths,
                                   const IngestOptions& options,
                                   const ImportProgress& progress = {});

  // Imports each catalog product as a zh and an en document.
  Result<ImportReport> ImportCatalog(const std::vector<store::Product>& products);

  // kNotFound for an unknown id.
  Status Remove(const std::string& id);

  // Every document (without its JSON), by id.
  Result<std::vector<store::KbDocumentRecord>> List() const;

  std::vector<Hit> Search(std::string_view query, const SearchOptions& options) const;

  // The best answer for a shopper's question in `lang` ("zh" or "en"; other languages' documents
  // are used only when none in `lang` qualifies).
  KbAnswer Answer(std::string_view query, const std::string& lang) const;

  size_t document_count() const { return retriever_.document_count(); }
  size_t chunk_count() const { return retriever_.chunk_count(); }
  const Retriever& retriever() const { return retriever_; }
  const KnowledgeBaseOptions& options() const { return options_; }

 private:
  KnowledgeBase(store::Store& store, const Clock& clock, KnowledgeBaseOptions options);
  // Brings the retriever's question model up to date with the indexed FAQ (after Open and after
  // an Import that changed something).
  void RefreshQuestionModel();

  store::Store& store_;
  const Clock& clock_;
  KnowledgeBaseOptions options_;
  Retriever retriever_;
  std::mutex write_mutex_;
  std::map<std::string, std::string> hashes_;  // id -> content hash of what is stored
};

}  // namespace kefu::kb
