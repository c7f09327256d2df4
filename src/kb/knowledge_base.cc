#include "kb/knowledge_base.h"

#include <algorithm>
#include <filesystem>
#include <iterator>
#include <utility>

#include <nlohmann/json.hpp>

#include "core/logging.h"

namespace kefu::kb {

store::KbDocumentRecord ToRecord(const KbDocument& doc, std::span<const Chunk> chunks) {
  nlohmann::json d = {
      {"source", doc.source},     {"title", doc.title}, {"lang", doc.lang},
      {"category", doc.category}, {"tags", doc.tags},   {"body", doc.body},
  };
  if (doc.faq) {
    d["faq"] = {{"question", doc.faq->question},
                {"answer", doc.faq->answer},
                {"paraphrases", doc.faq->paraphrases}};
  }
  nlohmann::json c = nlohmann::json::array();
  for (const Chunk& chunk : chunks) {
    c.push_back(
        {{"ordinal", chunk.ordinal}, {"heading_path", chunk.heading_path}, {"text", chunk.text}});
  }
  return {doc.id,
          doc.content_hash,
          std::string(DocFormatName(doc.format)),
          doc.lang,
          doc.category,
          doc.title,
          doc.source,
          doc.updated_at,
          d.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
          c.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)};
}

Result<std::pair<KbDocument, std::vector<Chunk>>> FromRecord(const store::KbDocumentRecord& r) {
  try {
    KbDocument doc;
    doc.id = r.id;
    doc.content_hash = r.content_hash;
    std::optional<DocFormat> format = DocFormatFromName(r.format);
    if (!format) {
      return InvalidArgumentError("unknown document format '" + r.format + "'");
    }
    doc.format = *format;
    doc.updated_at = r.updated_at;
    const nlohmann::json d = nlohmann::json::parse(r.document_json);
    doc.source = d.value("source", "");
    doc.title = d.value("title", "");
    doc.lang = d.value("lang", "");
    doc.category = d.value("category", "");
    doc.tags = d.value("tags", std::vector<std::string>{});
    doc.body = d.value("body", "");
    if (d.contains("faq")) {
      const nlohmann::json& f = d["faq"];
      doc.faq = FaqPair{f.value("question", ""), f.value("answer", ""),
                        f.value("paraphrases", std::vector<std::string>{})};
    }
    std::vector<Chunk> chunks;
    for (const nlohmann::json& c : nlohmann::json::parse(r.chunks_json)) {
      chunks.push_back(
          {doc.id, c.value("ordinal", 0), c.value("heading_path", ""), c.value("text", "")});
    }
    return std::make_pair(std::move(doc), std::move(chunks));
  } catch (const nlohmann::json::exception& e) {
    return InvalidArgumentError("stored knowledge-base document '" + r.id +
                                "' is unreadable: " + e.what());
  }
}

KnowledgeBase::KnowledgeBase(store::Store& store, const Clock& clock, KnowledgeBaseOptions options)
    : store_(store), clock_(clock), options_(std::move(options)), retriever_(options_.retriever) {}

KnowledgeBase::~KnowledgeBase() = default;

Result<std::unique_ptr<KnowledgeBase>> KnowledgeBase::Open(store::Store& store, const Clock& clock,
                                                           KnowledgeBaseOptions options) {
  std::unique_ptr<KnowledgeBase> kb(new KnowledgeBase(store, clock, std::move(options)));
  KEFU_ASSIGN_OR_RETURN(std::vector<store::KbDocumentRecord> records,
                        store.ListKbDocuments(/*with_content=*/true));
  // Indexed kLoadBatch documents at a time (Retriever::UpsertBatch uses every core).
  constexpr size_t kLoadBatch = 256;
  std::vector<std::pair<KbDocument, std::vector<Chunk>>> loaded;
  auto index = [&]() -> Status {
    std::vector<DocChunks> batch;
    for (const auto& [doc, chunks] : loaded) {
      batch.push_back({&doc, chunks});
    }
    KEFU_RETURN_IF_ERROR(kb->retriever_.UpsertBatch(batch));
    loaded.clear();
    return OkStatus();
  };
  for (const store::KbDocumentRecord& r : records) {
    Result<std::pair<KbDocument, std::vector<Chunk>>> parsed = FromRecord(r);
    if (!parsed.ok()) {
      // One unreadable row must not take the whole knowledge base down; it is re-imported or
      // removed by the operator.
      KEFU_LOG_WARN("knowledge base: skipping document: {}", parsed.status().ToString());
      continue;
    }
    loaded.push_back(std::move(*parsed));
    kb->hashes_[r.id] = r.content_hash;
    if (loaded.size() == kLoadBatch) {
      KEFU_RETURN_IF_ERROR(index());
    }
  }
  KEFU_RETURN_IF_ERROR(index());
  kb->RefreshQuestionModel();
  return kb;
}

void KnowledgeBase::RefreshQuestionModel() {
  // Search works without the model, so a failure to make one is logged, not returned.
  if (Result<QuestionModelRefresh> r = retriever_.RefreshQuestionModel(); !r.ok()) {
    KEFU_LOG_WARN("knowledge base: no question model: {}", r.status().ToString());
  }
}

Result<ImportReport> KnowledgeBase::Import(std::vector<KbDocument> docs,
                                           const ImportProgress& progress) {
  std::scoped_lock lock(write_mutex_);
  ImportReport report;
  // Documents are stored in batches (one transaction each) and indexed after their batch is
  // stored, so the index never holds what the store does not.
  constexpr size_t kBatch = 256;
  std::vector<store::KbDocumentRecord> records;
  std::vector<std::pair<const KbDocument*, std::vector<Chunk>>> pending;
  auto flush = [&]() -> Status {
    if (records.empty()) {
      return OkStatus();
    }
    KEFU_RETURN_IF_ERROR(store_.PutKbDocuments(records));
    std::vector<DocChunks> batch;
    for (auto& [doc, chunks] : pending) {
      batch.push_back({doc, chunks});
    }
    KEFU_RETURN_IF_ERROR(retriever_.UpsertBatch(batch));
    for (auto& [doc, chunks] : pending) {
      hashes_[doc->id] = doc->content_hash;
      report.chunks += chunks.size();
    }
    records.clear();
    pending.clear();
    return OkStatus();
  };
  for (size_t i = 0; i < docs.size(); ++i) {
    KbDocument& doc = docs[i];
    if (doc.content_hash.empty()) {
      doc.content_hash = ComputeContentHash(doc);
    }
    if (doc.updated_at == 0) {
      doc.updated_at = clock_.NowMillis();
    }
    auto known = hashes_.find(doc.id);
    if (known != hashes_.end() && known->second == doc.content_hash) {
      ++report.unchanged;
    } else {
      std::vector<Chunk> chunks = ChunkDocument(doc, options_.chunking);
      if (chunks.empty()) {
        ++report.failed;
        report.errors.push_back(doc.id + ": no text to index");
      } else {
        ++(known == hashes_.end() ? report.added : report.updated);
        records.push_back(ToRecord(doc, chunks));
        pending.emplace_back(&doc, std::move(chunks));
        if (records.size() >= kBatch) {
          KEFU_RETURN_IF_ERROR(flush());
        }
      }
    }
    if (progress && ((i + 1) % kBatch == 0 || i + 1 == docs.size())) {
      progress(i + 1, docs.size());
    }
  }
  KEFU_RETURN_IF_ERROR(flush());
  if (report.added + report.updated > 0) {
    RefreshQuestionModel();
  }
  return report;
}

Result<ImportReport> KnowledgeBase::ImportPaths(const std::vector<std::string>& paths,
                                                const IngestOptions& options,
                                                const ImportProgress& progress) {
  // Each file's id is its path relative to the directory it was found under (or to its own
  // directory when named directly).
  std::vector<std::pair<std::string, std::string>> files;  // (path, root)
  for (const std::string& path : paths) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) {
      return NotFoundError("no such file or directory: " + path);
    }
    const bool is_dir = std::filesystem::is_directory(path, ec);
    const std::string root = is_dir ? path : std::filesystem::path(path).parent_path().string();
    KEFU_ASSIGN_OR_RETURN(std::vector<std::string> listed, ListImportFiles({path}));
    for (std::string& f : listed) {
      files.emplace_back(std::move(f), root.empty() ? "." : root);
    }
  }
  std::vector<KbDocument> docs;
  ImportReport parse_report;
  for (size_t i = 0; i < files.size(); ++i) {
    IngestOptions file_options = options;
    file_options.root = files[i].second;
    if (file_options.now_ms == 0) {
      file_options.now_ms = clock_.NowMillis();
    }
    Result<std::vector<KbDocument>> parsed = ParseFile(files[i].first, file_options);
    if (!parsed.ok()) {
      ++parse_report.failed;
      parse_report.errors.push_back(parsed.status().message());
    } else {
      std::move(parsed->begin(), parsed->end(), std::back_inserter(docs));
    }
    if (progress) {
      progress(i + 1, files.size());
    }
  }
  KEFU_ASSIGN_OR_RETURN(ImportReport report, Import(std::move(docs)));
  report.failed += parse_report.failed;
  report.errors.insert(report.errors.begin(), parse_report.errors.begin(),
                       parse_report.errors.end());
  return report;
}

Result<ImportReport> KnowledgeBase::ImportCatalog(const std::vector<store::Product>& products) {
  return Import(CatalogDocuments(products, clock_.NowMillis()));
}

Status KnowledgeBase::Remove(const std::string& id) {
  std::scoped_lock lock(write_mutex_);
  KEFU_RETURN_IF_ERROR(store_.DeleteKbDocument(id));
  retriever_.Remove(id);
  hashes_.erase(id);
  return OkStatus();
}

Result<std::vector<store::KbDocumentRecord>> KnowledgeBase::List() const {
  return store_.ListKbDocuments(/*with_content=*/false);
}

std::vector<Hit> KnowledgeBase::Search(std::string_view query, const SearchOptions& options) const {
  return retriever_.Search(query, options);
}

KbAnswer KnowledgeBase::Answer(std::string_view query, const std::string& lang) const {
  KbAnswer answer;
  SearchOptions options;
  options.k = 5;
  options.filter.lang = lang;
  answer.hits = retriever_.Search(query, options);
  if (answer.hits.empty() || answer.hits.front().confidence < options_.answer_threshold) {
    // Nothing good in the shopper's language: a document in the other language is better than
    // no answer (the reply says where it comes from).
    options.filter.lang.clear();
    std::vector<Hit> any = retriever_.Search(query, options);
    if (!any.empty() &&
        (answer.hits.empty() || any.front().confidence > answer.hits.front().confidence)) {
      answer.hits = std::move(any);
    }
  }
  if (answer.hits.empty()) {
    return answer;
  }
  const Hit& best = answer.hits.front();
  answer.confidence = best.confidence;
  answer.doc_id = best.doc_id;
  answer.title = best.title;
  answer.heading_path = best.heading_path;
  if (best.format == DocFormat::kFaq && best.faq_similarity >= options_.faq_threshold) {
    answer.found = true;
    answer.from_faq = true;
    answer.text = best.faq_answer;
    return answer;
  }
  if (best.confidence >= options_.answer_threshold) {
    answer.found = true;
    answer.text = best.format == DocFormat::kFaq ? best.faq_answer : best.text;
  }
  return answer;
}

}  // namespace kefu::kb
