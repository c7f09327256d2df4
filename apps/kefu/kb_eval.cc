// kefu train embedding, kefu eval retrieval, kefu eval similarity: the knowledge base's models
// and how well they retrieve.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <numeric>

#include <nlohmann/json.hpp>
#include <unistd.h>

#include "commands.h"
#include "core/utf8.h"
#include "demo/demo_shop.h"
#include "kb/bm25.h"
#include "kb/embedder.h"
#include "kb/knowledge_base.h"
#include "kb/tokenizer.h"
#include "nlu/intent_data.h"
#include "store/store.h"

namespace kefu::app {
namespace {

using nlohmann::json;

// The text of parsed documents, one training line per title, paragraph, question and answer.
void AppendCorpus(const std::vector<kb::KbDocument>& docs, std::vector<std::string>& corpus) {
  for (const kb::KbDocument& d : docs) {
    corpus.push_back(d.title);
    if (d.faq) {
      corpus.push_back(d.faq->question);
      corpus.push_back(d.faq->answer);
      for (const std::string& p : d.faq->paraphrases) {
        corpus.push_back(p);
      }
      continue;
    }
    size_t start = 0;
    while (start < d.body.size()) {
      size_t end = d.body.find('\n', start);
      if (end == std::string::npos) {
        end = d.body.size();
      }
      if (end > start + 1) {
        corpus.push_back(d.body.substr(start, end - start));
      }
      start = end + 1;
    }
  }
}

Result<std::vector<kb::KbDocument>> ParsePaths(const std::vector<std::string>& paths,
                                               const kb::IngestOptions& options) {
  std::vector<kb::KbDocument> docs;
  for (const std::string& path : paths) {
    const bool is_dir = std::filesystem::is_directory(path);
    KEFU_ASSIGN_OR_RETURN(std::vector<std::string> files, kb::ListImportFiles({path}));
    kb::IngestOptions o = options;
    o.root = is_dir ? path : std::filesystem::path(path).parent_path().string();
    for (const std::string& f : files) {
      Result<std::vector<kb::KbDocument>> parsed = kb::ParseFile(f, o);
      if (!parsed.ok()) {
        std::cerr << "kefu: skipped: " << parsed.status().message() << std::endl;
        continue;
      }
      std::move(parsed->begin(), parsed->end(), std::back_inserter(docs));
    }
  }
  return docs;
}

// The project's own text: data/nlu utterances, the demo shop's policies, FAQ pairs and catalog.
Result<std::vector<std::string>> ProjectCorpus(const std::string& data_dir) {
  const std::filesystem::path dir(data_dir);
  std::vector<std::string> corpus;
  KEFU_ASSIGN_OR_RETURN(std::vector<nlu::LabeledText> rows,
                        nlu::LoadIntentTsv((dir / "nlu" / "intents.tsv").string()));
  for (const nlu::LabeledText& r : rows) {
    corpus.push_back(r.text);
  }
  std::vector<std::string> kb_paths = {(dir / "demo" / "policies").string()};
  if (std::filesystem::exists(dir / "kb")) {
    kb_paths.push_back((dir / "kb").string());
  }
  KEFU_ASSIGN_OR_RETURN(std::vector<kb::KbDocument> docs, ParsePaths(kb_paths, {}));
  AppendCorpus(docs, corpus);
  KEFU_ASSIGN_OR_RETURN(store::ShopData shop, demo::LoadDemoShop((dir / "demo").string()));
  AppendCorpus(kb::CatalogDocuments(shop.products, 0), corpus);
  return corpus;
}

// A small knowledge base gives skipgram few updates per epoch: train it for enough passes to see
// about this many tokens (whitespace-separated words, or characters of Chinese text).
constexpr double kSmallCorpusTokens = 4e6;

int EpochsFor(const std::vector<std::string>& corpus, double target_tokens) {
  double tokens = 0;
  for (const std::string& t : corpus) {
    tokens += static_cast<double>(utf8::CodePointCount(t)) / 4.0;  // about a word per 4 chars
  }
  if (tokens <= 0) {
    return 10;
  }
  return static_cast<int>(std::clamp(target_tokens / tokens, 10.0, 200.0));
}

struct QueryCase {
  std::string query;
  std::vector<std::string> relevant;
};

// Calls fn for the object on each non-blank line of a JSONL file. A line that is not a JSON
// object, or that fn refuses, stops the read with kInvalidArgument naming the file and line.
Status ForEachJsonLine(const std::string& path, const std::function<Status(const json&)>& fn) {
  std::ifstream in(path);
  if (!in) {
    return NotFoundError("cannot read '" + path + "'");
  }
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.find_first_not_of(" \t\r") == std::string::npos) {
      continue;
    }
    const json j = json::parse(line, nullptr, false);
    const Status s =
        j.is_discarded() || !j.is_object() ? InvalidArgumentError("not a JSON object") : fn(j);
    if (!s.ok()) {
      return InvalidArgumentError(path + ":" + std::to_string(n) + ": " + s.message());
    }
  }
  return OkStatus();
}

Result<std::vector<QueryCase>> LoadQueries(const std::string& path) {
  std::vector<QueryCase> out;
  KEFU_RETURN_IF_ERROR(ForEachJsonLine(path, [&](const json& j) -> Status {
    if (!j.contains("query") || !j["query"].is_string() || !j.contains("relevant") ||
        !j["relevant"].is_array() || j["relevant"].empty()) {
      return InvalidArgumentError("expected {\"query\": \"...\", \"relevant\": [\"id\", ...]}");
    }
    QueryCase c;
    c.query = j["query"].get<std::string>();
    for (const json& r : j["relevant"]) {
      c.relevant.push_back(r.is_string() ? r.get<std::string>() : r.dump());
    }
    out.push_back(std::move(c));
    return OkStatus();
  }));
  if (out.empty()) {
    return InvalidArgumentError("'" + path + "' has no queries");
  }
  return out;
}

struct RetrievalScores {
  double recall1 = 0, recall5 = 0, mrr = 0, ndcg10 = 0;
  double p50_ms = 0, p99_ms = 0;
};

// Chunks are ranked; relevance is per document, so each document counts at its first chunk.
// With `ranks`, one line per query: mode, first relevant rank (0: none), relevant ids, top 3,
// query.
RetrievalScores Score(const kb::KnowledgeBase& kb, const std::vector<QueryCase>& cases,
                      kb::SearchMode mode, const std::string& lang, std::ostream* ranks) {
  RetrievalScores s;
  std::vector<double> latencies;
  size_t done = 0;
  for (const QueryCase& c : cases) {
    kb::SearchOptions options;
    options.k = 30;
    options.mode = mode;
    options.filter.lang = lang;
    const auto start = std::chrono::steady_clock::now();
    const std::vector<kb::Hit> hits = kb.Search(c.query, options);
    latencies.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
            .count());
    std::vector<std::string> docs;
    for (const kb::Hit& h : hits) {
      if (std::find(docs.begin(), docs.end(), h.doc_id) == docs.end()) {
        docs.push_back(h.doc_id);
      }
    }
    auto relevant = [&](const std::string& id) {
      return std::find(c.relevant.begin(), c.relevant.end(), id) != c.relevant.end();
    };
    auto recall_at = [&](size_t k) {
      size_t found = 0;
      for (size_t i = 0; i < std::min(k, docs.size()); ++i) {
        found += relevant(docs[i]) ? 1 : 0;
      }
      return static_cast<double>(found) / static_cast<double>(c.relevant.size());
    };
    s.recall1 += recall_at(1);
    s.recall5 += recall_at(5);
    double dcg = 0;
    bool first = true;
    for (size_t i = 0; i < docs.size(); ++i) {
      if (!relevant(docs[i])) {
        continue;
      }
      if (first) {
        s.mrr += 1.0 / static_cast<double>(i + 1);
        first = false;
      }
      if (i < 10) {
        dcg += 1.0 / std::log2(static_cast<double>(i) + 2);
      }
    }
    double ideal = 0;
    for (size_t i = 0; i < std::min<size_t>(10, c.relevant.size()); ++i) {
      ideal += 1.0 / std::log2(static_cast<double>(i) + 2);
    }
    s.ndcg10 += ideal > 0 ? dcg / ideal : 0;
    if (ranks != nullptr) {
      size_t rank = 0;
      for (size_t i = 0; i < docs.size() && rank == 0; ++i) {
        rank = relevant(docs[i]) ? i + 1 : 0;
      }
      auto joined = [](const std::vector<std::string>& ids, size_t n) {
        std::string out;
        for (size_t i = 0; i < std::min(n, ids.size()); ++i) {
          out.append(i > 0 ? "," : "").append(ids[i]);
        }
        return out;
      };
      std::string query = c.query;
      std::replace_if(
          query.begin(), query.end(), [](char ch) { return ch == '\t' || ch == '\n'; }, ' ');
      *ranks << kb::SearchModeName(mode) << '\t' << rank << '\t'
             << joined(c.relevant, c.relevant.size()) << '\t' << joined(docs, 3) << '\t' << query
             << '\n';
    }
    PrintProgress(std::string("eval ").append(kb::SearchModeName(mode)).c_str(), ++done,
                  cases.size());
  }
  const double n = static_cast<double>(cases.size());
  s.recall1 /= n;
  s.recall5 /= n;
  s.mrr /= n;
  s.ndcg10 /= n;
  std::sort(latencies.begin(), latencies.end());
  s.p50_ms = latencies[latencies.size() / 2];
  s.p99_ms = latencies[std::min(latencies.size() - 1, latencies.size() * 99 / 100)];
  return s;
}

json ScoresJson(const RetrievalScores& s) {
  return {{"recall@1", s.recall1}, {"recall@5", s.recall5}, {"mrr", s.mrr},
          {"ndcg@10", s.ndcg10},   {"p50_ms", s.p50_ms},    {"p99_ms", s.p99_ms}};
}

// A bar chart of the four figures per mode, as a self-contained SVG page.
std::string RetrievalChart(const std::vector<std::pair<std::string, RetrievalScores>>& rows,
                           const std::string& title) {
  const char* metrics[] = {"recall@1", "recall@5", "MRR", "nDCG@10"};
  const char* colors[] = {"#4e79a7", "#f28e2b", "#59a14f", "#e15759"};
  const int group_w = 150, bar_w = 30, chart_h = 240, top = 50, left = 50;
  const int width = left + static_cast<int>(rows.size()) * group_w + 40;
  std::string svg = "<!doctype html><meta charset=utf-8><title>" + title +
                    "</title><svg xmlns='http://www.w3.org/2000/svg' width='" +
                    std::to_string(width) + "' height='" + std::to_string(top + chart_h + 60) +
                    "' font-family='sans-serif' font-size='12'><text x='10' y='20' "
                    "font-size='14'>" +
                    title + "</text>";
  for (int m = 0; m < 4; ++m) {
    svg += "<rect x='" + std::to_string(left + m * 90) + "' y='28' width='10' height='10' fill='" +
           colors[m] + "'/><text x='" + std::to_string(left + m * 90 + 14) + "' y='37'>" +
           metrics[m] + "</text>";
  }
  for (size_t g = 0; g < rows.size(); ++g) {
    const RetrievalScores& s = rows[g].second;
    const double values[] = {s.recall1, s.recall5, s.mrr, s.ndcg10};
    const int x0 = left + static_cast<int>(g) * group_w;
    for (int m = 0; m < 4; ++m) {
      const int h = static_cast<int>(values[m] * chart_h);
      char label[16];
      std::snprintf(label, sizeof(label), "%.2f", values[m]);
      svg += "<rect x='" + std::to_string(x0 + m * bar_w) + "' y='" +
             std::to_string(top + chart_h - h) + "' width='" + std::to_string(bar_w - 4) +
             "' height='" + std::to_string(h) + "' fill='" + colors[m] + "'/><text x='" +
             std::to_string(x0 + m * bar_w) + "' y='" + std::to_string(top + chart_h - h - 3) +
             "' font-size='10'>" + label + "</text>";
    }
    svg += "<text x='" + std::to_string(x0 + 30) + "' y='" + std::to_string(top + chart_h + 18) +
           "'>" + rows[g].first + "</text>";
  }
  svg += "<line x1='" + std::to_string(left - 5) + "' y1='" + std::to_string(top + chart_h) +
         "' x2='" + std::to_string(width) + "' y2='" + std::to_string(top + chart_h) +
         "' stroke='#333'/></svg>\n";
  return svg;
}

double RocAuc(const std::vector<std::pair<double, int>>& scored) {
  // Mann-Whitney U with average ranks for ties.
  std::vector<std::pair<double, int>> v = scored;
  std::sort(v.begin(), v.end());
  double rank_sum = 0;
  size_t positives = 0;
  for (size_t i = 0; i < v.size();) {
    size_t j = i;
    while (j < v.size() && v[j].first == v[i].first) {
      ++j;
    }
    const double avg_rank = (static_cast<double>(i) + 1 + static_cast<double>(j)) / 2;
    for (size_t t = i; t < j; ++t) {
      if (v[t].second == 1) {
        rank_sum += avg_rank;
        ++positives;
      }
    }
    i = j;
  }
  const size_t negatives = v.size() - positives;
  if (positives == 0 || negatives == 0) {
    return 0.5;
  }
  const double p = static_cast<double>(positives);
  return (rank_sum - p * (p + 1) / 2) / (p * static_cast<double>(negatives));
}

// Jaccard overlap of the two texts' sets of characters (code points other than white space):
// the plainest surface similarity, printed beside kefu's as a reference point for the data set.
double CharacterJaccard(std::string_view a, std::string_view b) {
  auto chars = [](std::string_view s) {
    std::u32string cps = utf8::Decode(s);
    std::erase_if(cps, [](char32_t c) { return c == ' ' || c == '\t' || c == '\n'; });
    std::sort(cps.begin(), cps.end());
    cps.erase(std::unique(cps.begin(), cps.end()), cps.end());
    return cps;
  };
  const std::u32string ca = chars(a);
  const std::u32string cb = chars(b);
  std::u32string common;
  std::set_intersection(ca.begin(), ca.end(), cb.begin(), cb.end(), std::back_inserter(common));
  const size_t all = ca.size() + cb.size() - common.size();
  return all == 0 ? 0.0 : static_cast<double>(common.size()) / static_cast<double>(all);
}

}  // namespace

int RunTrainEmbedding(const CommonFlags& common, const TrainEmbeddingFlags& flags) {
  Result<Config> config = ResolveConfig(common);
  if (!config.ok()) {
    return Fail(config.status());
  }
  const std::string data_dir = ResolveDataDir(*config);
  Result<std::vector<std::string>> corpus = ProjectCorpus(data_dir);
  if (!corpus.ok()) {
    return Fail(corpus.status());
  }
  for (const std::string& path : flags.extra) {
    Result<std::vector<kb::KbDocument>> docs = ParsePaths({path}, {});
    if (!docs.ok()) {
      return Fail(docs.status());
    }
    AppendCorpus(*docs, *corpus);
  }
  kb::EmbeddingTrainOptions options;
  options.dim = flags.dim;
  options.epoch = flags.epochs;
  std::cerr << "train embedding: " << corpus->size() << " texts from " << data_dir << std::endl;
  const auto start = std::chrono::steady_clock::now();
  const std::filesystem::path out(flags.out);
  if (out.has_parent_path()) {
    std::error_code ec;
    std::filesystem::create_directories(out.parent_path(), ec);
  }
  if (Status s = kb::TrainEmbedding(*corpus, options, flags.out); !s.ok()) {
    return Fail(s);
  }
  std::fprintf(stderr, "train embedding: dim %d, %.1f s -> %s\n", options.dim,
               std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(),
               flags.out.c_str());
  return 0;
}

int RunTrainQuestions(const CommonFlags& common, const TrainQuestionsFlags& flags) {
  Result<Config> config = ResolveConfig(common);
  if (!config.ok()) {
    return Fail(config.status());
  }
  const std::string data_dir = ResolveDataDir(*config);
  const std::filesystem::path tmp =
      std::filesystem::temp_directory_path() /
      ("kefu-questions-" + std::to_string(::getpid()) + "-" +
       std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()));
  std::error_code ec;
  std::filesystem::create_directories(tmp, ec);
  auto run = [&]() -> Status {
    const auto start = std::chrono::steady_clock::now();
    store::SqliteOptions so;
    so.path = (tmp / "kb.db").string();
    KEFU_ASSIGN_OR_RETURN(std::unique_ptr<store::Store> store, store::NewSqliteStore(so));
    KEFU_RETURN_IF_ERROR(
        demo::LoadDemoShopIfEmpty(*store, (std::filesystem::path(data_dir) / "demo").string())
            .status());
    // No model file: the questions are learned here, as on a shop's own FAQ.
    KEFU_ASSIGN_OR_RETURN(std::unique_ptr<kb::KnowledgeBase> kb,
                          kb::KnowledgeBase::Open(*store, SystemClock(), {}));
    KEFU_RETURN_IF_ERROR(demo::LoadDemoKnowledgeIfEmpty(*kb, *store, data_dir).status());
    const std::filesystem::path out(flags.out);
    if (out.has_parent_path()) {
      std::filesystem::create_directories(out.parent_path(), ec);
    }
    KEFU_RETURN_IF_ERROR(kb->retriever().SaveQuestionModel(flags.out));
    std::fprintf(stderr, "train questions: %.1f s -> %s\n",
                 std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(),
                 flags.out.c_str());
    return OkStatus();
  };
  const Status s = run();
  std::filesystem::remove_all(tmp, ec);
  return s.ok() ? 0 : Fail(s);
}

int RunEvalRetrieval(const CommonFlags& common, const EvalRetrievalFlags& flags) {
  std::vector<kb::SearchMode> modes;
  if (flags.mode == "all") {
    modes = {kb::SearchMode::kBm25, kb::SearchMode::kVector, kb::SearchMode::kHybrid};
  } else if (flags.mode == "hybrid") {
    modes = {kb::SearchMode::kHybrid};
  } else if (flags.mode == "bm25") {
    modes = {kb::SearchMode::kBm25};
  } else if (flags.mode == "vector") {
    modes = {kb::SearchMode::kVector};
  } else {
    return Fail(InvalidArgumentError("--mode must be all, hybrid, bm25 or vector"));
  }
  Result<std::vector<QueryCase>> cases = LoadQueries(flags.data);
  if (!cases.ok()) {
    return Fail(cases.status());
  }
  Result<Config> config = ResolveConfig(common);
  if (!config.ok()) {
    return Fail(config.status());
  }
  // With --import the evaluation runs on its own temporary database, never the shop's.
  std::filesystem::path tmp;
  if (!flags.import.empty()) {
    tmp = std::filesystem::temp_directory_path() /
          ("kefu-eval-" + std::to_string(::getpid()) + "-" +
           std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()));
    std::filesystem::create_directories(tmp);
    config->store.db_path = (tmp / "eval.db").string();
    if (flags.train_embedding) {
      Result<std::vector<kb::KbDocument>> docs = ParsePaths(flags.import, {});
      if (!docs.ok()) {
        return Fail(docs.status());
      }
      std::vector<std::string> corpus;
      AppendCorpus(*docs, corpus);
      std::cerr << "eval retrieval: training the embedding on " << corpus.size()
                << " texts of the imported documents" << std::endl;
      config->kb.embedding_model = (tmp / "embedding.bin").string();
      kb::EmbeddingTrainOptions train;
      train.epoch = flags.embedding_epochs > 0 ? flags.embedding_epochs
                                               : EpochsFor(corpus, kSmallCorpusTokens);
      std::cerr << "eval retrieval: " << train.epoch << " epochs" << std::endl;
      if (Status s = kb::TrainEmbedding(corpus, train, config->kb.embedding_model); !s.ok()) {
        return Fail(s);
      }
    }
  }
  auto cleanup = [&] {
    if (!tmp.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(tmp, ec);
    }
  };
  Result<Runtime> rt = OpenRuntime(*config, /*load_demo_if_empty=*/flags.import.empty());
  if (!rt.ok()) {
    cleanup();
    return Fail(rt.status());
  }
  if (!flags.import.empty()) {
    Result<kb::ImportReport> report = rt->kb->ImportPaths(
        flags.import, {}, [](size_t done, size_t total) { PrintProgress("import", done, total); });
    if (!report.ok()) {
      cleanup();
      return Fail(report.status());
    }
    std::cerr << "eval retrieval: " << rt->kb->document_count() << " documents, "
              << rt->kb->chunk_count() << " chunks" << std::endl;
  }
  std::ofstream ranks;
  if (!flags.ranks.empty()) {
    ranks.open(flags.ranks);
    if (!ranks) {
      cleanup();
      return Fail(InvalidArgumentError("cannot write " + flags.ranks));
    }
  }
  std::vector<std::pair<std::string, RetrievalScores>> rows;
  for (kb::SearchMode mode : modes) {
    rows.emplace_back(std::string(kb::SearchModeName(mode)),
                      Score(*rt->kb, *cases, mode, flags.lang, ranks.is_open() ? &ranks : nullptr));
  }
  std::printf("%zu queries from %s\n\n", cases->size(), flags.data.c_str());
  std::printf("| mode | recall@1 | recall@5 | MRR | nDCG@10 | p50 ms | p99 ms |\n");
  std::printf("|---|---|---|---|---|---|---|\n");
  for (const auto& [name, s] : rows) {
    std::printf("| %s | %.3f | %.3f | %.3f | %.3f | %.2f | %.2f |\n", name.c_str(), s.recall1,
                s.recall5, s.mrr, s.ndcg10, s.p50_ms, s.p99_ms);
  }
  if (!flags.report.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(flags.report, ec);
    const std::string chart = (std::filesystem::path(flags.report) / "retrieval.html").string();
    std::ofstream(chart) << RetrievalChart(rows, "Retrieval: " + flags.data);
    std::fprintf(stderr, "report: %s\n", chart.c_str());
  }
  // Last, one JSON object: the last mode's figures (hybrid with --mode all), and every mode's.
  json out = ScoresJson(rows.back().second);
  out["queries"] = cases->size();
  out["mode"] = rows.back().first;
  json by_mode = json::object();
  for (const auto& [name, s] : rows) {
    by_mode[name] = ScoresJson(s);
  }
  out["modes"] = by_mode;
  std::printf("%s\n", out.dump().c_str());
  {
    Runtime closing = std::move(*rt);  // closes the database before its directory goes
  }
  cleanup();
  return 0;
}

int RunEvalSimilarity(const CommonFlags& common, const EvalSimilarityFlags& flags) {
  struct Pair {
    std::string a, b;
    int label;
  };
  std::vector<Pair> pairs;
  Status read = ForEachJsonLine(flags.data, [&](const json& j) -> Status {
    if (!j.contains("sentence1") || !j["sentence1"].is_string() || !j.contains("sentence2") ||
        !j["sentence2"].is_string() || !j.contains("label") ||
        !(j["label"].is_string() || j["label"].is_number())) {
      return InvalidArgumentError("expected {\"sentence1\", \"sentence2\", \"label\": 0 or 1}");
    }
    const json& l = j["label"];
    const double label = l.is_string() ? std::atof(l.get<std::string>().c_str()) : l.get<double>();
    pairs.push_back(
        {j["sentence1"].get<std::string>(), j["sentence2"].get<std::string>(), label > 0 ? 1 : 0});
    return OkStatus();
  });
  if (!read.ok()) {
    return Fail(read);
  }
  if (pairs.empty()) {
    return Fail(InvalidArgumentError("'" + flags.data + "' has no pairs"));
  }
  Result<Config> config = ResolveConfig(common);
  if (!config.ok()) {
    return Fail(config.status());
  }
  // The similarity a knowledge base computes needs IDF statistics: every sentence of the file is
  // indexed as a stored question, as if the pairs' questions were the shop's FAQ.
  kb::RetrieverOptions ro;
  const std::string model = !flags.model.empty() ? flags.model
                            : config->kb.embedding_model.empty()
                                ? std::string(KEFU_DEFAULT_KB_EMBEDDING)
                                : config->kb.embedding_model;
  if (model != "none") {
    Result<std::unique_ptr<kb::Embedder>> e = kb::LoadEmbedding(model);
    if (!e.ok()) {
      return Fail(e.status());
    }
    ro.embedder = std::move(*e);
  }
  kb::Retriever retriever(ro);
  kb::Bm25Index bm25;
  std::map<std::string, uint32_t> keys;
  for (const Pair& p : pairs) {
    for (const std::string* s : {&p.a, &p.b}) {
      if (keys.contains(*s)) {
        continue;
      }
      const auto key = static_cast<uint32_t>(keys.size());
      keys[*s] = key;
      kb::KbDocument d;
      d.id = "q" + std::to_string(key);
      d.title = *s;
      d.lang = "zh";
      d.format = kb::DocFormat::kFaq;
      d.faq = kb::FaqPair{*s, *s, {}};
      kb::Chunk c{d.id, 0, "", *s};
      if (Status st = retriever.Upsert(d, std::span<const kb::Chunk>(&c, 1)); !st.ok()) {
        return Fail(st);
      }
      bm25.Add(key, kb::KbTerms(*s));
    }
  }
  std::vector<std::pair<double, int>> sim_scores;
  std::vector<std::pair<double, int>> bm25_scores;
  std::vector<std::pair<double, int>> char_scores;
  for (size_t i = 0; i < pairs.size(); ++i) {
    const Pair& p = pairs[i];
    sim_scores.emplace_back(retriever.QuestionSimilarity(p.a, p.b), p.label);
    bm25_scores.emplace_back(bm25.Score(kb::KbTerms(p.a), keys[p.b]), p.label);
    char_scores.emplace_back(CharacterJaccard(p.a, p.b), p.label);
    if ((i + 1) % 200 == 0 || i + 1 == pairs.size()) {
      PrintProgress("eval similarity", i + 1, pairs.size());
    }
  }
  const double auc = RocAuc(sim_scores);
  const double auc_bm25 = RocAuc(bm25_scores);
  const double auc_chars = RocAuc(char_scores);
  std::printf("%zu pairs from %s (embedding: %s)\n\n", pairs.size(), flags.data.c_str(),
              model.c_str());
  std::printf(
      "| similarity | ROC-AUC |\n|---|---|\n| kefu question similarity | %.4f |\n"
      "| BM25 alone | %.4f |\n| shared characters (Jaccard, reference) | %.4f |\n",
      auc, auc_bm25, auc_chars);
  std::printf("%s\n", json{{"auc", auc},
                           {"auc_bm25", auc_bm25},
                           {"auc_characters", auc_chars},
                           {"pairs", pairs.size()}}
                          .dump()
                          .c_str());
  return 0;
}

}  // namespace kefu::app
