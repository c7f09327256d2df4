// llm_overhead: the time to first token kefu adds over its model server, in one process and one
// run. A fake OpenAI-compatible server answers every request at once with a short grounded reply;
// kefu's HttpServer runs in process with the engine's model pointed at that server; one client
// thread alternates, every iteration,
//   A. direct: POST {fake}/v1/chat/completions (stream) until the first content delta, and
//   B. kefu:   POST /v1/conversations/{id}/messages (Accept: text/event-stream) until the first
//              `event: delta`,
// each over its own keep-alive connection, so both see the same machine noise. Only the public
// HTTP API is used, so the figure stays valid however the server produces its deltas. Writes a
// Markdown section to --out (bench/llm_overhead.sh adds the heading) and prints a JSON line.
//
//   llm_overhead --data-dir data --intent-model build/models/intent.bin
//                --kb-embedding build/models/kb_embed.bin --iterations 500 --out table.md
#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <httplib.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <nlohmann/json.hpp>
#include <stdlib.h>
#include <sys/socket.h>

#include "core/clock.h"
#include "core/config.h"
#include "core/logging.h"
#include "demo/demo_shop.h"
#include "engine/engine.h"
#include "fakes/fake_llm_server.h"
#include "kb/embedder.h"
#include "kb/knowledge_base.h"
#include "llm/llm.h"
#include "server/api.h"
#include "server/http_server.h"
#include "store/store.h"

namespace kefu::bench {
namespace {

using json = nlohmann::json;
using SteadyClock = std::chrono::steady_clock;
using testing::FakeLlmServer;

constexpr double kTargetAddedP50Ms = 2.0;
// Below this share of kefu turns that used the model the run fails: too little of it measured the
// model path. (Turns without the model are left out of the timings either way.)
constexpr double kMinModelShare = 0.5;

struct Flags {
  int iterations = 500;
  int warmup = 50;
  int turns_per_conversation = 4;
  std::string out;
  std::string data_dir = "data";
  std::string intent_model;  // empty: the keyword rules
  std::string kb_embedding;  // empty: lexical retrieval only
  std::string build_type = "unknown";
};

// Small talk and policy questions, zh and en. With a model configured every reply goes through
// it (small talk, knowledge answers, the rewrite of any other draft).
struct Utterance {
  const char* text;
  const char* lang;
};
constexpr std::array<Utterance, 8> kUtterances = {{
    {"你好", "zh"},
    {"hello", "en"},
    {"发货要多久？", "zh"},
    {"how long does shipping take?", "en"},
    {"退货运费谁出？", "zh"},
    {"who pays for return shipping?", "en"},
    {"谢谢", "zh"},
    {"thank you", "en"},
}};

// What the fake model says: no digits and no numerals, so the grounding guard passes it. The
// first chunk is a whole sentence, so a server that releases sentences one by one can send it.
const char* const kReplyZh[] = {"您好，很高兴为您服务。", "请问还有什么可以帮您？"};
const char* const kReplyEn[] = {"Hello, happy to help. ", "Is there anything else I can do?"};

FakeLlmServer::Reply ScriptedReply(std::string_view lang) {
  const char* const* pieces = lang == "en" ? kReplyEn : kReplyZh;
  return FakeLlmServer::Reply::Stream({{FakeLlmServer::ContentChunk(pieces[0])},
                                       {FakeLlmServer::ContentChunk(pieces[1])},
                                       {FakeLlmServer::FinishChunk("stop")},
                                       {FakeLlmServer::UsageChunk(120, 16)}});
}

std::string ScriptedText(std::string_view lang) {
  const char* const* pieces = lang == "en" ? kReplyEn : kReplyZh;
  return std::string(pieces[0]) + pieces[1];
}

std::optional<Flags> ParseFlags(int argc, char** argv) {
  Flags f;
  for (int i = 1; i < argc; ++i) {
    std::string name = argv[i];
    std::string value;
    if (const size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name.resize(eq);
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      std::fprintf(stderr, "llm_overhead: %s needs a value\n", name.c_str());
      return std::nullopt;
    }
    if (name == "--iterations") {
      f.iterations = std::atoi(value.c_str());
    } else if (name == "--warmup") {
      f.warmup = std::atoi(value.c_str());
    } else if (name == "--turns-per-conversation") {
      f.turns_per_conversation = std::atoi(value.c_str());
    } else if (name == "--out") {
      f.out = value;
    } else if (name == "--data-dir") {
      f.data_dir = value;
    } else if (name == "--intent-model") {
      f.intent_model = value;
    } else if (name == "--kb-embedding") {
      f.kb_embedding = value;
    } else if (name == "--build-type") {
      f.build_type = value;
    } else {
      std::fprintf(stderr,
                   "usage: llm_overhead [--iterations 500] [--warmup 50] [--out FILE.md]\n"
                   "  [--turns-per-conversation 4] [--data-dir data] [--intent-model FILE]\n"
                   "  [--kb-embedding FILE] [--build-type NAME]\n");
      return std::nullopt;
    }
  }
  if (f.iterations < 1 || f.warmup < 0 || f.turns_per_conversation < 1) {
    std::fprintf(stderr, "llm_overhead: --iterations and --turns-per-conversation must be >= 1\n");
    return std::nullopt;
  }
  return f;
}

// Splits a text/event-stream body into events as their blank line arrives.
class SseParser {
 public:
  // Calls on_event(event, data) for every event `bytes` completes; `event` is "" when the event
  // named none (the OpenAI stream's plain `data:` lines).
  template <typename OnEvent>
  void Feed(std::string_view bytes, OnEvent&& on_event) {
    buffer_.append(bytes);
    size_t start = 0;
    for (size_t nl = buffer_.find('\n', start); nl != std::string::npos;
         nl = buffer_.find('\n', start)) {
      std::string_view line(buffer_.data() + start, nl - start);
      start = nl + 1;
      if (!line.empty() && line.back() == '\r') {
        line.remove_suffix(1);
      }
      if (line.empty()) {
        if (!event_.empty() || !data_.empty()) {
          on_event(event_, data_);
        }
        event_.clear();
        data_.clear();
      } else if (line.starts_with("event:")) {
        event_ = Trim(line.substr(6));
      } else if (line.starts_with("data:")) {
        data_ += (data_.empty() ? "" : "\n") + Trim(line.substr(5));
      }  // comments (`: ping`) and other fields are ignored
    }
    buffer_.erase(0, start);
  }

 private:
  static std::string Trim(std::string_view s) {
    if (!s.empty() && s.front() == ' ') {
      s.remove_prefix(1);
    }
    return std::string(s);
  }

  std::string buffer_;
  std::string event_;
  std::string data_;
};

double MsBetween(SteadyClock::time_point from, SteadyClock::time_point to) {
  return std::chrono::duration<double, std::milli>(to - from).count();
}

struct Sample {
  bool ok = false;
  double first_ms = 0;  // from sending the request to the first delta
  std::string error;
};

// A: one streamed completion straight from the fake server.
Sample DirectTurn(httplib::Client& client, const std::string& body) {
  Sample s;
  SseParser parser;
  std::optional<SteadyClock::time_point> first;
  httplib::Request req;
  req.method = "POST";
  req.path = "/v1/chat/completions";
  req.set_header("Content-Type", "application/json");
  req.set_header("Accept", "text/event-stream");
  req.body = body;
  // The fake server (cpp-httplib) writes the status line and each chunk separately without
  // TCP_NODELAY, so Nagle holds the first chunk until the client ACKs the headers; on a reused
  // connection Linux delays that ACK (~40 ms). ACK at once instead. kefu's backend opens a fresh
  // connection per request, which starts in quick-ACK mode, so B does not wait either.
  req.response_handler = [&client](const httplib::Response&) {
    const int on = 1;
    setsockopt(client.socket(), IPPROTO_TCP, TCP_QUICKACK, &on, sizeof(on));
    return true;
  };
  req.content_receiver = [&](const char* data, size_t n, uint64_t, uint64_t) {
    // The time the bytes arrived, before any parsing (B is timed the same way).
    const SteadyClock::time_point now = SteadyClock::now();
    parser.Feed(std::string_view(data, n), [&](const std::string&, const std::string& payload) {
      if (first || payload == "[DONE]") {
        return;
      }
      const json chunk = json::parse(payload, nullptr, /*allow_exceptions=*/false);
      if (!chunk.is_object() || !chunk.contains("choices") || !chunk["choices"].is_array() ||
          chunk["choices"].empty() || !chunk["choices"][0].is_object()) {
        return;
      }
      const json delta = chunk["choices"][0].value("delta", json::object());
      if (delta.is_object() && delta.contains("content") && delta["content"].is_string() &&
          !delta["content"].get<std::string>().empty()) {
        first = now;
      }
    });
    return true;
  };
  const SteadyClock::time_point start = SteadyClock::now();
  httplib::Result res = client.send(req);
  if (!res) {
    s.error = "direct: " + httplib::to_string(res.error());
  } else if (res->status != 200) {
    s.error = "direct: HTTP " + std::to_string(res->status);
  } else if (!first) {
    s.error = "direct: no content delta";
  } else {
    s.ok = true;
    s.first_ms = MsBetween(start, *first);
  }
  return s;
}

struct KefuSample {
  Sample timing;
  json done;  // the `event: done` body
};

// B: one turn through kefu's HTTP API, streamed.
KefuSample KefuTurn(httplib::Client& client, const std::string& conversation_id,
                    const std::string& token, const std::string& text) {
  KefuSample s;
  SseParser parser;
  std::optional<SteadyClock::time_point> first;
  httplib::Request req;
  req.method = "POST";
  req.path = "/v1/conversations/" + conversation_id + "/messages";
  req.set_header("Authorization", "Bearer " + token);
  req.set_header("Content-Type", "application/json");
  req.set_header("Accept", "text/event-stream");
  req.body = json{{"text", text}}.dump();
  req.content_receiver = [&](const char* data, size_t n, uint64_t, uint64_t) {
    const SteadyClock::time_point now = SteadyClock::now();
    parser.Feed(std::string_view(data, n),
                [&](const std::string& event, const std::string& payload) {
                  if (event == "delta" && !first) {
                    first = now;
                  } else if (event == "done") {
                    s.done = json::parse(payload, nullptr, /*allow_exceptions=*/false);
                  }
                });
    return true;
  };
  const SteadyClock::time_point start = SteadyClock::now();
  httplib::Result res = client.send(req);
  if (!res) {
    s.timing.error = "kefu: " + httplib::to_string(res.error());
  } else if (res->status != 200) {
    s.timing.error = "kefu: HTTP " + std::to_string(res->status);
  } else if (!first) {
    s.timing.error = "kefu: no delta event";
  } else {
    s.timing.ok = true;
    s.timing.first_ms = MsBetween(start, *first);
  }
  return s;
}

// kefu as `kefu serve` wires it with a model and no kefu.toml (the defaults of core/config.h):
// apps/kefu/runtime.cc (OpenRuntime) and serve.cc (RunServe), which live in the kefu binary, so
// they are mirrored here. SQLite with the demo shop, the knowledge base, the engine with its model
// at the fake server, the HTTP server on a free loopback port. Members are declared in
// construction order, so they are destroyed server first.
struct Kefu {
  std::unique_ptr<store::Store> store;
  std::unique_ptr<kb::KnowledgeBase> kb;
  std::unique_ptr<llm::LlmBackend> llm;
  std::unique_ptr<engine::Engine> engine;
  std::unique_ptr<server::Api> api;
  std::unique_ptr<server::HttpServer> server;
};

Result<std::unique_ptr<Kefu>> StartKefu(const Flags& flags, const std::string& db_path,
                                        const std::string& llm_base_url) {
  Config config;
  config.llm.base_url = llm_base_url;
  config.llm.model = "fake";
  auto k = std::make_unique<Kefu>();
  KEFU_ASSIGN_OR_RETURN(k->store,
                        store::NewSqliteStore({.path = db_path,
                                               .busy_timeout_ms = config.store.busy_timeout_ms,
                                               .pool_size = config.store.pool_size}));
  KEFU_RETURN_IF_ERROR(demo::ResetDemoShop(*k->store, flags.data_dir + "/demo"));
  kb::KnowledgeBaseOptions kb_options;
  kb_options.answer_threshold = config.kb.answer_threshold;
  kb_options.faq_threshold = config.kb.faq_threshold;
  kb_options.retriever.lexical_weight = config.kb.lexical_weight;
  kb_options.retriever.vector_weight = config.kb.vector_weight;
  kb_options.retriever.rerank_weight = config.kb.rerank_weight;
  if (!flags.kb_embedding.empty()) {
    KEFU_ASSIGN_OR_RETURN(std::unique_ptr<kb::Embedder> embedder,
                          kb::LoadEmbedding(flags.kb_embedding));
    kb_options.retriever.embedder = std::move(embedder);
  }
  KEFU_ASSIGN_OR_RETURN(k->kb,
                        kb::KnowledgeBase::Open(*k->store, SystemClock(), std::move(kb_options)));
  KEFU_ASSIGN_OR_RETURN(size_t docs,
                        demo::LoadDemoKnowledgeIfEmpty(*k->kb, *k->store, flags.data_dir));
  if (docs == 0) {
    return NotFoundError("no demo knowledge under '" + flags.data_dir + "'");
  }
  KEFU_ASSIGN_OR_RETURN(k->llm, llm::NewLlmFromConfig(config.llm));

  engine::EngineOptions eo;
  eo.data_dir = flags.data_dir;
  eo.max_message_chars = config.engine.max_message_chars;
  eo.timezone_offset_minutes = config.engine.timezone_offset_minutes;
  eo.max_verification_attempts = config.engine.max_verification_attempts;
  eo.intent_model = flags.intent_model;
  eo.knowledge_base = k->kb.get();
  eo.llm = k->llm.get();
  eo.responder.first_token_timeout_ms = config.llm.first_token_timeout_ms;
  eo.responder.total_timeout_ms = config.llm.total_timeout_ms;
  eo.responder.max_tokens = config.llm.max_tokens;
  eo.responder.temperature = config.llm.temperature;
  KEFU_ASSIGN_OR_RETURN(k->engine, engine::Engine::Create(*k->store, SystemClock(), eo));

  // serve.cc with a model: one turn per worker, as many workers as the model may serve at once,
  // and a turn deadline that covers the model's total time.
  const ServerConfig& sc = config.server;
  const int turn_deadline_ms =
      std::max(config.engine.turn_deadline_ms, config.llm.total_timeout_ms + 500);
  k->api = std::make_unique<server::Api>(
      *k->engine,
      server::ApiOptions{.max_body_bytes = sc.max_body_bytes,
                         .turn_deadline_ms = turn_deadline_ms,
                         .history_page_limit = config.engine.history_page_limit},
      k->kb.get());
  k->server = std::make_unique<server::HttpServer>(
      *k->api, server::ServerOptions{
                   .host = "127.0.0.1",
                   .port = 0,
                   .io_threads = sc.io_threads,
                   .worker_threads = std::max(sc.worker_threads, config.llm.max_concurrency),
                   .max_batch = 1,
                   .queue_limit = sc.queue_limit,
                   .max_body_bytes = sc.max_body_bytes,
                   .request_timeout_ms = sc.request_timeout_ms,
                   .shutdown_grace_ms = sc.shutdown_grace_ms,
                   .turn_deadline_ms = turn_deadline_ms});
  KEFU_RETURN_IF_ERROR(k->server->Start());
  return k;
}

int PortOf(const std::string& base_url) {  // "http://127.0.0.1:PORT/v1"
  const size_t colon = base_url.rfind(':');
  return std::atoi(base_url.c_str() + colon + 1);
}

struct Summary {
  size_t n = 0;
  double p50 = 0, p90 = 0, p99 = 0, mean = 0, min = 0, max = 0;
};

Summary Summarize(std::vector<double> v) {
  Summary s;
  s.n = v.size();
  if (v.empty()) {
    return s;
  }
  std::sort(v.begin(), v.end());
  auto rank = [&](double p) {  // nearest rank
    const size_t r = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(v.size())));
    return v[std::clamp<size_t>(r, 1, v.size()) - 1];
  };
  s.p50 = rank(50);
  s.p90 = rank(90);
  s.p99 = rank(99);
  s.min = v.front();
  s.max = v.back();
  double sum = 0;
  for (double x : v) {
    sum += x;
  }
  s.mean = sum / static_cast<double>(v.size());
  return s;
}

std::string Ms(double ms) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.3f", ms);
  return buf;
}

std::string Row(const std::string& name, const Summary& s) {
  return "| " + name + " | " + std::to_string(s.n) + " | " + Ms(s.p50) + " | " + Ms(s.p90) + " | " +
         Ms(s.p99) + " | " + Ms(s.mean) + " | " + Ms(s.min) + " | " + Ms(s.max) + " |\n";
}

// An ASCII histogram of B-A, one # per 1% of iterations (as bench/results/dialog.md).
std::string Histogram(const std::vector<double>& diffs) {
  constexpr std::array<double, 9> kBounds = {0, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 5};
  std::vector<size_t> counts(kBounds.size() + 1, 0);
  for (double d : diffs) {
    const size_t b =
        static_cast<size_t>(std::upper_bound(kBounds.begin(), kBounds.end(), d) - kBounds.begin());
    ++counts[b];
  }
  std::string out = "added time to first token, B - A per iteration (each # is 1% of iterations)\n";
  for (size_t b = 0; b < counts.size(); ++b) {
    char label[32];
    if (b < kBounds.size()) {
      std::snprintf(label, sizeof(label), "<  %5.2f ms", kBounds[b]);
    } else {
      std::snprintf(label, sizeof(label), ">= %5.2f ms", kBounds.back());
    }
    const size_t hashes =
        static_cast<size_t>(std::lround(100.0 * static_cast<double>(counts[b]) /
                                        static_cast<double>(std::max<size_t>(1, diffs.size()))));
    out += std::string(label) + " | " + std::string(hashes, '#') + " " + std::to_string(counts[b]) +
           "\n";
  }
  return out;
}

// "a" when every count is for one key, else "a (3), b (1)".
std::string Counts(const std::map<std::string, size_t>& counts) {
  std::string out;
  for (const auto& [key, n] : counts) {
    out +=
        (out.empty() ? "" : ", ") + key + (counts.size() > 1 ? " (" + std::to_string(n) + ")" : "");
  }
  return out.empty() ? "-" : out;
}

// A turn's trace.llm: from the done event, else from the stored assistant message (read in
// process; the public history carries no trace). Null when neither has one.
struct ModelTrace {
  json llm;
  bool from_store = false;
  bool used() const { return llm.is_object() && llm.value("used", false); }
};

ModelTrace TurnModelTrace(const json& done, engine::Engine& engine,
                          const std::string& conversation_id) {
  if (done.is_object() && done.contains("trace") && done["trace"].is_object() &&
      done["trace"].contains("llm") && done["trace"]["llm"].is_object()) {
    return {done["trace"]["llm"], false};
  }
  Result<std::vector<store::Message>> history = engine.History(conversation_id, 0, 1000);
  if (!history.ok()) {
    return {};
  }
  for (auto it = history->rbegin(); it != history->rend(); ++it) {
    if (it->role != "assistant") {
      continue;
    }
    const json trace = json::parse(it->trace_json, nullptr, /*allow_exceptions=*/false);
    if (trace.is_object() && trace.contains("llm") && trace["llm"].is_object()) {
      return {trace["llm"], true};
    }
    return {};
  }
  return {};
}

// Per utterance: how its kefu turns went.
struct UtteranceStats {
  size_t turns = 0;
  size_t used_model = 0;
  std::map<std::string, size_t> intents;
  std::map<std::string, size_t> modes;  // trace.llm.mode, where the trace has one
  std::vector<double> direct_ms;        // A of the same iterations
  std::vector<double> kefu_ms;
};

// Everything the measured iterations recorded. The timings are of the iterations whose kefu turn
// used the model (the path under test); the others' B times are kept apart.
struct Tally {
  size_t turns = 0;  // measured iterations
  std::vector<double> direct_ms;
  std::vector<double> kefu_ms;
  std::vector<double> diff_ms;                // B - A of the same iteration
  std::vector<double> kefu_without_model_ms;  // B of the turns that did not use the model
  std::vector<UtteranceStats> per_utterance = std::vector<UtteranceStats>(kUtterances.size());
  size_t used_model = 0;
  size_t without_llm_trace = 0;
  size_t trace_from_store = 0;
  std::map<std::string, size_t> not_used_reasons;  // trace.llm.reason of the others
  size_t model_requests = 0;                       // what the fake server got during B turns
  size_t reply_is_model_text = 0;
  // trace.stages[].us of the measured kefu turns, by stage name, in the order first seen.
  std::vector<std::pair<std::string, std::vector<double>>> stage_us;
  size_t failures = 0;  // iterations (warm-up included) where A or B failed
  std::string first_error;

  void RecordStages(const json& done) {
    if (!done.contains("trace") || !done["trace"].is_object() ||
        !done["trace"].contains("stages") || !done["trace"]["stages"].is_array()) {
      return;
    }
    for (const json& stage : done["trace"]["stages"]) {
      if (!stage.is_object() || !stage.contains("name") || !stage["name"].is_string() ||
          !stage.contains("us") || !stage["us"].is_number()) {
        continue;
      }
      const std::string name = stage["name"].get<std::string>();
      auto it = std::find_if(stage_us.begin(), stage_us.end(),
                             [&](const auto& entry) { return entry.first == name; });
      if (it == stage_us.end()) {
        it = stage_us.insert(stage_us.end(), {name, {}});
      }
      it->second.push_back(stage["us"].get<double>());
    }
  }

  void Record(size_t utterance, double direct, const KefuSample& kefu, const ModelTrace& trace,
              size_t requests) {
    ++turns;
    model_requests += requests;
    UtteranceStats& us = per_utterance[utterance];
    ++us.turns;
    if (trace.used()) {
      direct_ms.push_back(direct);
      kefu_ms.push_back(kefu.timing.first_ms);
      diff_ms.push_back(kefu.timing.first_ms - direct);
      us.direct_ms.push_back(direct);
      us.kefu_ms.push_back(kefu.timing.first_ms);
    } else {
      kefu_without_model_ms.push_back(kefu.timing.first_ms);
    }
    if (kefu.done.is_object()) {
      RecordStages(kefu.done);
      const json& reply = kefu.done.value("reply", json::object());
      ++us.intents[kefu.done.value("intent", "?")];
      if (reply.is_object() &&
          reply.value("text", "") == ScriptedText(kUtterances[utterance].lang)) {
        ++reply_is_model_text;
      }
    }
    trace_from_store += trace.from_store ? 1 : 0;
    if (!trace.llm.is_object()) {
      ++without_llm_trace;
    } else if (trace.used()) {
      ++used_model;
      ++us.used_model;
    } else {
      ++not_used_reasons[trace.llm.value("reason", "(no reason given)")];
    }
    if (trace.llm.is_object() && trace.llm.contains("mode") && trace.llm["mode"].is_string()) {
      ++us.modes[trace.llm["mode"].get<std::string>()];
    }
  }
};

double AddedP50(const Tally& t) {
  return Summarize(t.kefu_ms).p50 - Summarize(t.direct_ms).p50;
}

std::string Environment(const Flags& flags) {
  std::string out = std::to_string(std::thread::hardware_concurrency()) + " cores, build type " +
                    flags.build_type;
#ifdef NDEBUG
  out += " (NDEBUG";
#else
  out += " (assertions on";
#endif
#ifdef __OPTIMIZE__
  out += ", optimized)";
#else
  out += ", not optimized)";
#endif
  out += std::string(", compiler ") + __VERSION__ + ", cpp-httplib " + CPPHTTPLIB_VERSION +
         "; kefu wired as `kefu serve` does with a model and the default config, intent " +
         (flags.intent_model.empty() ? "keyword rules" : "model") + ", knowledge base " +
         (flags.kb_embedding.empty() ? "BM25 only" : "hybrid") + " over the demo shop";
  return out;
}

std::string Report(const Flags& flags, const Tally& t) {
  const Summary sa = Summarize(t.direct_ms);
  const Summary sb = Summarize(t.kefu_ms);
  const Summary sd = Summarize(t.diff_ms);
  const double added = AddedP50(t);
  std::ostringstream md;
  md << "Each iteration sends both requests from one client thread, in alternating order, each "
        "over its own\nkeep-alive connection on loopback: A goes straight to the fake model "
        "server, B through kefu.\nThe time is from sending the request to receiving the first "
        "content delta (A: the first\n`data:` chunk with `choices[0].delta.content`; B: the "
        "first `event: delta`). "
     << flags.iterations << " iterations after " << flags.warmup
     << "\nwarm-up; a fresh conversation every " << flags.turns_per_conversation
     << " kefu turns. The timings are of the\niterations whose kefu turn used the model "
        "(below).\n\n";
  md << "| path | n | p50 ms | p90 ms | p99 ms | mean ms | min ms | max ms |\n"
        "|---|---:|---:|---:|---:|---:|---:|---:|\n";
  md << Row("A. direct to the fake server", sa);
  md << Row("B. through kefu", sb);
  md << Row("B - A, per iteration", sd);
  md << "\n**added p50 " << Ms(added) << " ms (target <= " << Ms(kTargetAddedP50Ms)
     << " ms): " << (added <= kTargetAddedP50Ms ? "PASS" : "FAIL")
     << "** (p50 of B minus p50 of A; the median of the\nper-iteration differences is "
     << Ms(sd.p50) << " ms).\n\n";
  md << "The model path ran: " << t.used_model << " of " << t.turns
     << " measured kefu turns used the model (`trace.llm.used` in the\n`done` event";
  if (t.trace_from_store > 0) {
    md << "; " << t.trace_from_store << " read from the stored assistant message's trace";
  }
  if (t.without_llm_trace > 0) {
    md << "; " << t.without_llm_trace << " turns without an llm trace";
  }
  md << "), " << t.reply_is_model_text << " replied with the fake model's exact text, and the "
     << "fake server\nreceived " << t.model_requests << " requests from kefu during them ("
     << Ms(static_cast<double>(t.model_requests) / static_cast<double>(t.turns)) << " per turn).";
  if (!t.not_used_reasons.empty()) {
    md << " Turns that did not use the model, by\n`trace.llm.reason`:";
    const char* sep = " ";
    for (const auto& [reason, n] : t.not_used_reasons) {
      md << sep << "\"" << reason << "\" " << n;
      sep = "; ";
    }
    md << "; they are left out of the timings above (their B p50 was "
       << Ms(Summarize(t.kefu_without_model_ms).p50) << " ms).";
  }
  md << "\n\n| message | kefu turns | intent | reply mode | used the model | A p50 ms | B p50 ms "
        "| added p50 ms |\n|---|---:|---|---|---:|---:|---:|---:|\n";
  for (size_t k = 0; k < kUtterances.size(); ++k) {
    const UtteranceStats& us = t.per_utterance[k];
    const double a = Summarize(us.direct_ms).p50;
    const double b = Summarize(us.kefu_ms).p50;
    md << "| " << kUtterances[k].text << " | " << us.turns << " | " << Counts(us.intents) << " | "
       << Counts(us.modes) << " | " << us.used_model << " | " << Ms(a) << " | " << Ms(b) << " | "
       << Ms(b - a) << " |\n";
  }
  if (!t.stage_us.empty()) {
    md << "\nWhere a kefu turn spends its time, from the turns' own traces (`trace.stages`; with "
          "a streaming\nreply the first delta leaves during reply.phrase, before store.persist):"
          "\n\n| stage | turns | p50 ms | p90 ms |\n|---|---:|---:|---:|\n";
    for (const auto& [name, us] : t.stage_us) {
      std::vector<double> ms;
      for (double u : us) {
        ms.push_back(u / 1000.0);
      }
      const Summary st = Summarize(ms);
      md << "| " << name << " | " << st.n << " | " << Ms(st.p50) << " | " << Ms(st.p90) << " |\n";
    }
  }
  md << "\nThe fake model answers every request at once with two content chunks (zh \""
     << ScriptedText("zh") << "\",\nen \"" << ScriptedText("en")
     << "\"), a finish chunk, a usage chunk and `[DONE]`.\n"
        "A sends the request body kefu sent the model for the same message (captured once per "
        "message\nbefore the warm-up), so the fake server reads the same bytes on both paths. B "
        "includes kefu's own\nconnection to the model server (its backend opens one per "
        "request); A reuses its connection\n(cpp-httplib's server closes it after 5 requests) "
        "and ACKs at once (TCP_QUICKACK): the fake\nserver writes without TCP_NODELAY, and a "
        "delayed ACK would otherwise hold A's first chunk ~40 ms.\n\n";
  md << "```\n" << Histogram(t.diff_ms) << "```\n\n";
  md << "Environment: " << Environment(flags) << ".\n";
  if (t.failures > 0) {
    md << "\n" << t.failures << " iterations failed (first: " << t.first_error << ").\n";
  }
  return md.str();
}

// Runs the priming, warm-up and measured iterations against a running kefu and fake server.
// Returns false when priming failed (nothing was measured).
bool Measure(const Flags& flags, FakeLlmServer& fake, Kefu& kefu, Tally& t) {
  httplib::Client direct("127.0.0.1", PortOf(fake.base_url()));
  httplib::Client through("127.0.0.1", kefu.server->port());
  for (httplib::Client* c : {&direct, &through}) {
    c->set_keep_alive(true);
    c->set_tcp_nodelay(true);
    c->set_read_timeout(10, 0);
  }

  std::string conversation_id;
  std::string token;
  int turns_in_conversation = 0;
  auto next_conversation = [&]() -> bool {
    httplib::Result r = through.Post("/v1/conversations", "{}", "application/json");
    if (!r || r->status != 201) {
      return false;
    }
    const json c = json::parse(r->body, nullptr, /*allow_exceptions=*/false);
    if (!c.is_object()) {
      return false;
    }
    conversation_id = c.value("conversation_id", "");
    token = c.value("token", "");
    turns_in_conversation = 0;
    return !conversation_id.empty();
  };
  auto kefu_turn = [&](const Utterance& u) -> std::optional<KefuSample> {
    if ((conversation_id.empty() || turns_in_conversation >= flags.turns_per_conversation) &&
        !next_conversation()) {
      return std::nullopt;
    }
    ++turns_in_conversation;
    fake.Script({ScriptedReply(u.lang)});
    return KefuTurn(through, conversation_id, token, u.text);
  };

  // Priming: one kefu turn per utterance, keeping the request kefu sent the model, so that A
  // sends the fake server the same bytes (the same prompt size to read and parse).
  std::vector<std::string> direct_bodies;
  for (const Utterance& u : kUtterances) {
    const size_t before = fake.request_count();
    std::optional<KefuSample> s = kefu_turn(u);
    if (!s || !s->timing.ok || fake.request_count() == before) {
      std::fprintf(stderr, "llm_overhead: priming turn '%s' failed: %s\n", u.text,
                   !s ? "no conversation"
                      : (s->timing.ok ? "the model was not called" : s->timing.error.c_str()));
      return false;
    }
    direct_bodies.push_back(fake.requests().back().body.dump());
  }

  const int total = flags.warmup + flags.iterations;
  const int progress_step = std::max(1, flags.iterations / 10);
  for (int i = 0; i < total; ++i) {
    const size_t u_idx = static_cast<size_t>(i) % kUtterances.size();
    const Utterance& u = kUtterances[u_idx];
    Sample a;
    std::optional<KefuSample> b;
    size_t requests_by_kefu = 0;
    auto run_a = [&] {
      fake.Script({ScriptedReply(u.lang)});
      a = DirectTurn(direct, direct_bodies[u_idx]);
    };
    auto run_b = [&] {
      const size_t before = fake.request_count();
      b = kefu_turn(u);
      requests_by_kefu = fake.request_count() - before;
    };
    // Alternate which goes first, so neither always follows the other.
    if (i % 2 == 0) {
      run_a();
      run_b();
    } else {
      run_b();
      run_a();
    }
    if (!a.ok || !b || !b->timing.ok) {
      if (t.failures++ == 0) {
        t.first_error = !a.ok ? a.error : (b ? b->timing.error : "kefu: no conversation");
      }
      continue;
    }
    if (i < flags.warmup) {
      if (i + 1 == flags.warmup) {
        std::printf("  warm-up done (%d iterations)\n", flags.warmup);
      }
      continue;
    }
    t.Record(u_idx, a.first_ms, *b, TurnModelTrace(b->done, *kefu.engine, conversation_id),
             requests_by_kefu);
    const int measured = i - flags.warmup + 1;
    if (measured % progress_step == 0 || measured == flags.iterations) {
      std::printf("  %d/%d (%d%%)  p50 direct %s ms, kefu %s ms\n", measured, flags.iterations,
                  100 * measured / flags.iterations, Ms(Summarize(t.direct_ms).p50).c_str(),
                  Ms(Summarize(t.kefu_ms).p50).c_str());
      std::fflush(stdout);
    }
  }
  return true;
}

int Run(const Flags& flags) {
  if (Status s = InitLogging("warn"); !s.ok()) {
    std::fprintf(stderr, "llm_overhead: %s\n", s.ToString().c_str());
    return 1;
  }
  std::string dir_template =
      (std::filesystem::temp_directory_path() / "kefu-llm-overhead-XXXXXX").string();
  if (mkdtemp(dir_template.data()) == nullptr) {
    std::perror("llm_overhead: mkdtemp");
    return 1;
  }
  const std::filesystem::path tmp_dir(dir_template);
  Tally tally;
  bool measured = false;
  {
    FakeLlmServer fake;
    Result<std::unique_ptr<Kefu>> kefu =
        StartKefu(flags, (tmp_dir / "bench.db").string(), fake.base_url());
    if (!kefu.ok()) {
      std::fprintf(stderr, "llm_overhead: starting kefu: %s\n", kefu.status().ToString().c_str());
    } else {
      std::printf("llm_overhead: fake model at %s, kefu at http://127.0.0.1:%d\n",
                  fake.base_url().c_str(), (*kefu)->server->port());
      measured = Measure(flags, fake, **kefu, tally);
    }
  }  // stops kefu (its server first), then the fake server
  std::error_code ec;
  std::filesystem::remove_all(tmp_dir, ec);
  if (!measured || tally.kefu_ms.empty()) {
    return 1;
  }

  int rc = 0;
  const std::string report = Report(flags, tally);
  if (flags.out.empty()) {
    std::fputs(report.c_str(), stdout);
  } else {
    std::ofstream out(flags.out);
    out << report;
    if (!out) {
      std::fprintf(stderr, "llm_overhead: cannot write %s\n", flags.out.c_str());
      rc = 1;
    }
  }
  if (tally.failures > 0) {
    std::fprintf(stderr, "llm_overhead: %zu iterations failed; first: %s\n", tally.failures,
                 tally.first_error.c_str());
    rc = 1;
  }
  const size_t turns = tally.turns;
  std::printf("%zu of %zu kefu turns used the model\n", tally.used_model, turns);
  if (static_cast<double>(tally.used_model) < kMinModelShare * static_cast<double>(turns)) {
    std::fprintf(stderr, "llm_overhead: too few turns used the model to measure its path\n");
    rc = 1;
  }
  const double added = AddedP50(tally);
  std::printf("added p50 %s ms (target <= %s ms): %s\n", Ms(added).c_str(),
              Ms(kTargetAddedP50Ms).c_str(), added <= kTargetAddedP50Ms ? "PASS" : "FAIL");
  auto rounded = [](double ms) { return std::round(ms * 1000) / 1000; };
  std::printf("%s\n",
              nlohmann::ordered_json{{"direct_p50_ms", rounded(Summarize(tally.direct_ms).p50)},
                                     {"kefu_p50_ms", rounded(Summarize(tally.kefu_ms).p50)},
                                     {"added_p50_ms", rounded(added)}}
                  .dump()
                  .c_str());
  return rc;
}

}  // namespace
}  // namespace kefu::bench

int main(int argc, char** argv) {
  std::optional<kefu::bench::Flags> flags = kefu::bench::ParseFlags(argc, argv);
  if (!flags) {
    return 2;
  }
  return kefu::bench::Run(*flags);
}
