// Config: every setting kefu reads, with defaults so that zero configuration works.
//
// Sources, in rising precedence: built-in defaults, a TOML file (`--config PATH`, else
// $KEFU_CONFIG, else ./kefu.toml when present), KEFU_* environment variables, command-line flags.
//
//   Result<Config> config = LoadConfig(path, EnvFromProcess());
//   config->server.port = 9090;  // a flag, applied last by the CLI
//
// TOML keys are `section.key` (`server.port`); the environment variable for a key is
// KEFU_<SECTION>_<KEY> (KEFU_SERVER_PORT). Short aliases: KEFU_DB, KEFU_HOST, KEFU_PORT,
// KEFU_DATA_DIR, KEFU_LOG_LEVEL, KEFU_AGENT_KEY, KEFU_CUSTOMER_TOKEN_SECRET. `[tools.<name>]`
// tables (HTTP tools) and `[[llm.fallbacks]]` come from the file only.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/result.h"

namespace kefu {

struct ServerConfig {
  std::string host = "127.0.0.1";
  int port = 8080;
  int io_threads = 2;
  // Blocking work (store, engine). One is fastest while every turn is SQLite-bound: more
  // threads add lock and cache contention in SQLite (bench/results/e2e.md has the figures).
  int worker_threads = 1;
  int queue_limit = 256;  // queued + running jobs before answering 503
  // The most turns a worker answers in one store transaction. Under load a worker that took
  // every waiting turn released all their answers at once, and the I/O threads and the clients
  // then idled while it ran the next lot alone; capped, the next batch is already waiting while
  // the last one's answers go out (bench/results/experiments.md, 2026-12-02).
  int max_batch = 32;
  int max_body_bytes = 16 * 1024;   // request body limit
  int request_timeout_ms = 15'000;  // reading one request
  int shutdown_grace_ms = 10'000;   // SIGTERM: how long in-flight turns may take
  std::string agent_key;            // the key human agents' requests carry; empty: no agent access
};

struct AuthConfig {
  // Verifies the shop site's signed customer tokens; empty: such tokens are refused.
  std::string customer_token_secret;
};

struct StoreConfig {
  std::string db_path = "./kefu.db";
  int busy_timeout_ms = 5'000;
  int pool_size = 2;  // SQLite connections
};

struct EngineConfig {
  std::string data_dir;  // empty: KEFU_DEFAULT_DATA_DIR from the build, else ./data
  int max_message_chars = 2'000;
  int turn_deadline_ms = 5'000;
  int timezone_offset_minutes = 480;  // shop time zone (UTC+8)
  int max_verification_attempts = 3;
  int history_page_limit = 200;
  std::string intent_model;  // empty: the model trained at build time (build/models/intent.bin)
};

inline constexpr int kMaxKbImportThreads = 64;

struct KbConfig {
  std::string embedding_model;  // empty: the one trained at build time (build/models/kb_embed)
  // Chosen on a held-out paraphrase per demo FAQ and 300 off-topic messages from data/nlu: at
  // 0.6 kefu answers 72% of the questions it ranks right and 5% of the off-topic ones.
  double answer_threshold = 0.6;  // below this confidence kefu says it does not know
  double faq_threshold = 0.7;     // an FAQ question at least this similar is answered directly
  // Hybrid ranking weights (kb/retriever.h): lexical and vector lists in the fusion, and the
  // reranker's confidence on top.
  double lexical_weight = 1.0;
  double vector_weight = 0.5;
  double rerank_weight = 2.0;
  // The question model's probability on top (0: off); kb/retriever.h.
  double question_model_weight = 0.5;
  int max_upload_bytes = 20 * 1024 * 1024;  // POST /v1/kb/documents and `kefu kb import` files
  // Threads that index an import (and the documents loaded at start): 0 is one per core, at most
  // 8; at most kMaxKbImportThreads. Searches go on meanwhile, but an import on every core slows
  // the turns beside it.
  int import_threads = 0;
  std::string admin_key;  // required by /v1/kb/*; empty: those endpoints answer 403
};

// [sentiment]: how the shopper's feeling is read and acted on (docs/sentiment.md). Actions are
// handoff, offer or off; the engine checks them when it starts.
struct SentimentConfig {
  std::string model;          // empty: the model trained at build time (build/models/sentiment.bin)
  double mood_decay = 0.5;    // mood = decay * mood + (1 - decay) * the message's score
  bool apology_first = true;  // an upset shopper's reply opens with an apology
  std::string threat_action = "handoff";  // 投诉, 12315, 差评, 曝光, chargeback ...
  double anger_threshold = 0.8;           // anger intensity that escalates
  std::string anger_action = "handoff";
  int negative_turns = 3;  // negative messages in a row that escalate; 0: off
  std::string negative_turns_action = "offer";
  int priority = 2;  // of sentiment handoffs on the agent queue (asked-for ones are 0)
};

// [speech]: voice turns (docs/voice.md). English is recognised on this machine (pocketsphinx
// with the domain language model built at build time); Mandarin and other languages need an
// OpenAI-compatible /v1/audio/transcriptions server.
struct SpeechConfig {
  bool enabled = true;
  std::string lm;  // "" or "domain": build/models/domain_en.arpa; "general": Debian's en-us model;
                   // else a path to an ARPA model
  std::string model_dir = "/usr/share/pocketsphinx/model/en-us";
  int decoders = 2;
  std::string transcription_url;  // "http://127.0.0.1:8081/v1"; empty: no remote recogniser
  std::string transcription_model = "whisper-1";
  std::string transcription_api_key;
  int transcription_timeout_ms = 30'000;
  double min_confidence = 0.3;  // a voice turn less sure than this asks the shopper to repeat
  int max_audio_seconds = 60;
  int max_audio_bytes = 12 * 1024 * 1024;
  int words_per_minute = 175;  // of the spoken replies
};

struct LogConfig {
  std::string level = "info";  // trace, debug, info, warn, error, off
};

struct DemoConfig {
  bool load_when_empty = true;  // `kefu serve` loads data/demo into an empty database
};

// One `[[llm.fallbacks]]` table: another OpenAI-compatible server, tried in file order when the
// ones before it fail before streaming anything. Timeouts and limits are those of [llm].
struct LlmFallbackSettings {
  std::string base_url;
  std::string model;
  std::string api_key;  // never logged
};

// [llm]: an OpenAI-compatible chat server (docs/llm.md). Empty base_url: no LLM; the template
// responder answers.
struct LlmConfig {
  std::string base_url;  // "http://127.0.0.1:8081/v1"
  std::string model;
  std::string api_key;  // sent as a Bearer token; never logged; prefer KEFU_LLM_API_KEY
  int connect_timeout_ms = 2'000;
  int first_token_timeout_ms = 3'000;
  int total_timeout_ms = 20'000;
  int max_retries = 2;  // on 429, 5xx and connection errors before the first token
  int max_concurrency = 8;
  double temperature = 0.3;
  int max_tokens = 512;
  std::vector<LlmFallbackSettings> fallbacks;  // from the file only
};

// One `[tools.<name>]` table: an HTTP tool (tools/tools.h documents each field; there it is
// tools::HttpToolConfig). Header values may hold `${VAR}`; they are expanded when the
// tool is created, not here.
struct HttpToolSettings {
  std::string name;  // the table's name: `get_order` for [tools.get_order]
  std::string url;
  std::string method = "GET";
  std::map<std::string, std::string> headers;
  int timeout_ms = 3'000;
  std::string code_field = "/code";
  std::map<std::string, std::string> map;  // data field -> JSON pointer
};

struct Config {
  ServerConfig server;
  AuthConfig auth;
  StoreConfig store;
  EngineConfig engine;
  KbConfig kb;
  SentimentConfig sentiment;
  SpeechConfig speech;
  LogConfig log;
  DemoConfig demo;
  LlmConfig llm;
  std::vector<HttpToolSettings> http_tools;  // sorted by name
};

using Env = std::map<std::string, std::string>;

// The process environment's KEFU_* variables.
Env EnvFromProcess();

// Loads defaults, then `path` (when not empty; kNotFound when it does not exist), then `env`.
// kInvalidArgument names the key and value that do not parse.
Result<Config> LoadConfig(const std::string& path, const Env& env);

// Resolves engine.data_dir: the configured one, else the build default, else ./data.
std::string ResolveDataDir(const Config& config);

}  // namespace kefu
