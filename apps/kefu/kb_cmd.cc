// kefu kb import|list|rm|search: the knowledge base from the terminal.
#include <chrono>
#include <cstdio>
#include <iostream>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "core/utf8.h"
#include "kb/knowledge_base.h"

namespace kefu::app {

void PrintProgress(const char* what, size_t done, size_t total) {
  if (total == 0) {
    return;
  }
  constexpr int kWidth = 30;
  const int filled = static_cast<int>(kWidth * done / total);
  std::fprintf(stderr, "\r%s [%s%s] %zu/%zu", what, std::string(filled, '#').c_str(),
               std::string(kWidth - filled, '.').c_str(), done, total);
  if (done == total) {
    std::fprintf(stderr, "\n");
  }
}

namespace {

Result<kb::SearchMode> ParseMode(const std::string& mode) {
  if (mode == "hybrid" || mode.empty()) {
    return kb::SearchMode::kHybrid;
  }
  if (mode == "bm25") {
    return kb::SearchMode::kBm25;
  }
  if (mode == "vector") {
    return kb::SearchMode::kVector;
  }
  return InvalidArgumentError("--mode must be hybrid, bm25 or vector, got '" + mode + "'");
}

// Opens the store and the knowledge base without the engine (no demo shop is loaded).
Result<Runtime> OpenKbRuntime(const CommonFlags& common) {
  return OpenRuntime(common, /*load_demo_if_empty=*/false);
}

}  // namespace

int RunKbImport(const CommonFlags& common, const KbImportFlags& flags) {
  if (!flags.lang.empty() && flags.lang != "zh" && flags.lang != "en") {
    return Fail(InvalidArgumentError("--lang must be zh or en"));
  }
  Result<Runtime> rt = OpenKbRuntime(common);
  if (!rt.ok()) {
    return Fail(rt.status());
  }
  kb::IngestOptions options;
  options.category = flags.category;
  options.lang = flags.lang;
  options.max_file_bytes = static_cast<size_t>(rt->config.kb.max_upload_bytes);
  const auto start = std::chrono::steady_clock::now();
  Result<kb::ImportReport> report =
      rt->kb->ImportPaths(flags.paths, options,
                          [](size_t done, size_t total) { PrintProgress("import", done, total); });
  if (!report.ok()) {
    return Fail(report.status());
  }
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  for (const std::string& e : report->errors) {
    std::cerr << "kefu: skipped: " << e << std::endl;
  }
  std::cout << "imported: " << report->added << " added, " << report->updated << " updated, "
            << report->unchanged << " unchanged, " << report->failed << " failed; "
            << report->chunks << " chunks in " << secs << " s; the knowledge base holds "
            << rt->kb->document_count() << " documents" << std::endl;
  return report->failed > 0 && report->added + report->updated + report->unchanged == 0 ? 1 : 0;
}

int RunKbList(const CommonFlags& common, bool json) {
  Result<Runtime> rt = OpenKbRuntime(common);
  if (!rt.ok()) {
    return Fail(rt.status());
  }
  Result<std::vector<store::KbDocumentRecord>> docs = rt->kb->List();
  if (!docs.ok()) {
    return Fail(docs.status());
  }
  if (json) {
    nlohmann::json out = nlohmann::json::array();
    for (const store::KbDocumentRecord& d : *docs) {
      out.push_back({{"id", d.id},
                     {"title", d.title},
                     {"lang", d.lang},
                     {"category", d.category},
                     {"format", d.format},
                     {"source", d.source},
                     {"updated_at", d.updated_at}});
    }
    std::cout << out.dump(2) << std::endl;
    return 0;
  }
  for (const store::KbDocumentRecord& d : *docs) {
    std::cout << d.id << "\t" << d.lang << "\t" << d.category << "\t" << d.title << "\n";
  }
  std::cout << docs->size() << " documents" << std::endl;
  return 0;
}

int RunKbRemove(const CommonFlags& common, const std::string& id) {
  Result<Runtime> rt = OpenKbRuntime(common);
  if (!rt.ok()) {
    return Fail(rt.status());
  }
  if (Status s = rt->kb->Remove(id); !s.ok()) {
    return Fail(s);
  }
  std::cout << "removed " << id << std::endl;
  return 0;
}

int RunKbSearch(const CommonFlags& common, const KbSearchFlags& flags) {
  if (!utf8::IsValid(flags.query)) {
    return Fail(InvalidArgumentError("the query is not valid UTF-8"));
  }
  Result<kb::SearchMode> mode = ParseMode(flags.mode);
  if (!mode.ok()) {
    return Fail(mode.status());
  }
  Result<Runtime> rt = OpenKbRuntime(common);
  if (!rt.ok()) {
    return Fail(rt.status());
  }
  kb::SearchOptions options;
  options.k = static_cast<size_t>(flags.k);
  options.mode = *mode;
  options.filter.lang = flags.lang;
  options.filter.category = flags.category;
  const std::vector<kb::Hit> hits = rt->kb->Search(flags.query, options);
  if (flags.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const kb::Hit& h : hits) {
      out.push_back({{"doc_id", h.doc_id},
                     {"chunk", h.ordinal},
                     {"title", h.title},
                     {"heading", h.heading_path},
                     {"score", h.score},
                     {"confidence", h.confidence},
                     {"bm25", h.bm25},
                     {"cosine", h.cosine},
                     {"faq_similarity", h.faq_similarity},
                     {"text", h.text}});
    }
    std::cout << out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << std::endl;
    return 0;
  }
  if (hits.empty()) {
    std::cout << "no match" << std::endl;
    return 0;
  }
  for (size_t i = 0; i < hits.size(); ++i) {
    const kb::Hit& h = hits[i];
    std::printf("%zu. %.3f (confidence %.2f)  %s#%d  %s%s%s\n", i + 1, h.score, h.confidence,
                h.doc_id.c_str(), h.ordinal, h.title.c_str(), h.heading_path.empty() ? "" : " > ",
                h.heading_path.c_str());
    std::string snippet = h.text.substr(0, 240);
    while (!snippet.empty() && !utf8::IsValid(snippet)) {
      snippet.pop_back();
    }
    std::printf("   %s\n", snippet.c_str());
  }
  return 0;
}

}  // namespace kefu::app
