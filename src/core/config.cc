#include "core/config.h"

#include <charconv>
#include <climits>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <vector>

#include <toml++/toml.h>
#include <unistd.h>

extern char** environ;

namespace kefu {
namespace {

// One settable key: its TOML path and how to parse text into the field.
struct Key {
  std::string section;
  std::string name;
  std::function<Status(Config&, const std::string&)> set;
};

Status ParseInt(const std::string& text, int& out) {
  int v = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, v);
  if (ec != std::errc() || ptr != end) {
    return InvalidArgumentError("not an integer: '" + text + "'");
  }
  out = v;
  return OkStatus();
}

Status ParseDouble(const std::string& text, double& out) {
  double v = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, v);
  if (ec != std::errc() || ptr != end) {
    return InvalidArgumentError("not a number: '" + text + "'");
  }
  out = v;
  return OkStatus();
}

Status ParseBool(const std::string& text, bool& out) {
  if (text == "true" || text == "1" || text == "yes" || text == "on") {
    out = true;
  } else if (text == "false" || text == "0" || text == "no" || text == "off") {
    out = false;
  } else {
    return InvalidArgumentError("not a boolean: '" + text + "'");
  }
  return OkStatus();
}

template <typename Section>
Key IntKey(std::string section, std::string name, Section Config::*sec, int Section::*field) {
  return {std::move(section), std::move(name),
          [sec, field](Config& c, const std::string& v) { return ParseInt(v, c.*sec.*field); }};
}
template <typename Section>
Key DoubleKey(std::string section, std::string name, Section Config::*sec, double Section::*field) {
  return {std::move(section), std::move(name),
          [sec, field](Config& c, const std::string& v) { return ParseDouble(v, c.*sec.*field); }};
}
template <typename Section>
Key StrKey(std::string section, std::string name, Section Config::*sec,
           std::string Section::*field) {
  return {std::move(section), std::move(name), [sec, field](Config& c, const std::string& v) {
            c.*sec.*field = v;
            return OkStatus();
          }};
}
template <typename Section>
Key BoolKey(std::string section, std::string name, Section Config::*sec, bool Section::*field) {
  return {std::move(section), std::move(name),
          [sec, field](Config& c, const std::string& v) { return ParseBool(v, c.*sec.*field); }};
}

const std::vector<Key>& Keys() {
  static const std::vector<Key> keys = {
      StrKey("server", "host", &Config::server, &ServerConfig::host),
      IntKey("server", "port", &Config::server, &ServerConfig::port),
      IntKey("server", "io_threads", &Config::server, &ServerConfig::io_threads),
      IntKey("server", "worker_threads", &Config::server, &ServerConfig::worker_threads),
      IntKey("server", "queue_limit", &Config::server, &ServerConfig::queue_limit),
      IntKey("server", "max_batch", &Config::server, &ServerConfig::max_batch),
      IntKey("server", "max_body_bytes", &Config::server, &ServerConfig::max_body_bytes),
      IntKey("server", "request_timeout_ms", &Config::server, &ServerConfig::request_timeout_ms),
      IntKey("server", "shutdown_grace_ms", &Config::server, &ServerConfig::shutdown_grace_ms),
      StrKey("server", "agent_key", &Config::server, &ServerConfig::agent_key),
      StrKey("auth", "customer_token_secret", &Config::auth, &AuthConfig::customer_token_secret),
      StrKey("store", "db_path", &Config::store, &StoreConfig::db_path),
      IntKey("store", "busy_timeout_ms", &Config::store, &StoreConfig::busy_timeout_ms),
      IntKey("store", "pool_size", &Config::store, &StoreConfig::pool_size),
      StrKey("engine", "data_dir", &Config::engine, &EngineConfig::data_dir),
      IntKey("engine", "max_message_chars", &Config::engine, &EngineConfig::max_message_chars),
      IntKey("engine", "turn_deadline_ms", &Config::engine, &EngineConfig::turn_deadline_ms),
      IntKey("engine", "timezone_offset_minutes", &Config::engine,
             &EngineConfig::timezone_offset_minutes),
      IntKey("engine", "max_verification_attempts", &Config::engine,
             &EngineConfig::max_verification_attempts),
      IntKey("engine", "history_page_limit", &Config::engine, &EngineConfig::history_page_limit),
      StrKey("engine", "intent_model", &Config::engine, &EngineConfig::intent_model),
      StrKey("kb", "embedding_model", &Config::kb, &KbConfig::embedding_model),
      DoubleKey("kb", "answer_threshold", &Config::kb, &KbConfig::answer_threshold),
      DoubleKey("kb", "faq_threshold", &Config::kb, &KbConfig::faq_threshold),
      DoubleKey("kb", "lexical_weight", &Config::kb, &KbConfig::lexical_weight),
      DoubleKey("kb", "vector_weight", &Config::kb, &KbConfig::vector_weight),
      DoubleKey("kb", "rerank_weight", &Config::kb, &KbConfig::rerank_weight),
      DoubleKey("kb", "question_model_weight", &Config::kb, &KbConfig::question_model_weight),
      IntKey("kb", "max_upload_bytes", &Config::kb, &KbConfig::max_upload_bytes),
      IntKey("kb", "import_threads", &Config::kb, &KbConfig::import_threads),
      StrKey("kb", "admin_key", &Config::kb, &KbConfig::admin_key),
      StrKey("sentiment", "model", &Config::sentiment, &SentimentConfig::model),
      DoubleKey("sentiment", "mood_decay", &Config::sentiment, &SentimentConfig::mood_decay),
      BoolKey("sentiment", "apology_first", &Config::sentiment, &SentimentConfig::apology_first),
      StrKey("sentiment", "threat_action", &Config::sentiment, &SentimentConfig::threat_action),
      DoubleKey("sentiment", "anger_threshold", &Config::sentiment,
                &SentimentConfig::anger_threshold),
      StrKey("sentiment", "anger_action", &Config::sentiment, &SentimentConfig::anger_action),
      IntKey("sentiment", "negative_turns", &Config::sentiment, &SentimentConfig::negative_turns),
      StrKey("sentiment", "negative_turns_action", &Config::sentiment,
             &SentimentConfig::negative_turns_action),
      IntKey("sentiment", "priority", &Config::sentiment, &SentimentConfig::priority),
      BoolKey("speech", "enabled", &Config::speech, &SpeechConfig::enabled),
      StrKey("speech", "lm", &Config::speech, &SpeechConfig::lm),
      StrKey("speech", "model_dir", &Config::speech, &SpeechConfig::model_dir),
      IntKey("speech", "decoders", &Config::speech, &SpeechConfig::decoders),
      StrKey("speech", "transcription_url", &Config::speech, &SpeechConfig::transcription_url),
      StrKey("speech", "transcription_model", &Config::speech, &SpeechConfig::transcription_model),
      StrKey("speech", "transcription_api_key", &Config::speech,
             &SpeechConfig::transcription_api_key),
      IntKey("speech", "transcription_timeout_ms", &Config::speech,
             &SpeechConfig::transcription_timeout_ms),
      DoubleKey("speech", "min_confidence", &Config::speech, &SpeechConfig::min_confidence),
      IntKey("speech", "max_audio_seconds", &Config::speech, &SpeechConfig::max_audio_seconds),
      IntKey("speech", "max_audio_bytes", &Config::speech, &SpeechConfig::max_audio_bytes),
      IntKey("speech", "words_per_minute", &Config::speech, &SpeechConfig::words_per_minute),
      StrKey("log", "level", &Config::log, &LogConfig::level),
      BoolKey("demo", "load_when_empty", &Config::demo, &DemoConfig::load_when_empty),
      StrKey("llm", "base_url", &Config::llm, &LlmConfig::base_url),
      StrKey("llm", "model", &Config::llm, &LlmConfig::model),
      StrKey("llm", "api_key", &Config::llm, &LlmConfig::api_key),
      IntKey("llm", "connect_timeout_ms", &Config::llm, &LlmConfig::connect_timeout_ms),
      IntKey("llm", "first_token_timeout_ms", &Config::llm, &LlmConfig::first_token_timeout_ms),
      IntKey("llm", "total_timeout_ms", &Config::llm, &LlmConfig::total_timeout_ms),
      IntKey("llm", "max_retries", &Config::llm, &LlmConfig::max_retries),
      IntKey("llm", "max_concurrency", &Config::llm, &LlmConfig::max_concurrency),
      DoubleKey("llm", "temperature", &Config::llm, &LlmConfig::temperature),
      IntKey("llm", "max_tokens", &Config::llm, &LlmConfig::max_tokens),
  };
  return keys;
}

std::string Upper(std::string s) {
  for (char& c : s) {
    if (c >= 'a' && c <= 'z') {
      c = static_cast<char>(c - 'a' + 'A');
    }
  }
  return s;
}

std::string NodeToText(const toml::node& node) {
  if (auto s = node.value<std::string>()) {
    return *s;
  }
  if (auto b = node.value_exact<bool>()) {
    return *b ? "true" : "false";
  }
  if (auto i = node.value_exact<int64_t>()) {
    return std::to_string(*i);
  }
  if (auto d = node.value_exact<double>()) {
    return std::to_string(*d);
  }
  return {};
}

// [tools.<name>] tables hold typed values (a table of headers, a JSON pointer), so unlike the
// flat sections they are read by type: a wrong type names the key instead of becoming text.
Status ReadString(const toml::node& node, const std::string& key, std::string& out) {
  std::optional<std::string> v = node.value_exact<std::string>();
  if (!v) {
    return InvalidArgumentError(key + " must be a string");
  }
  out = std::move(*v);
  return OkStatus();
}

Status ReadStringTable(const toml::node& node, const std::string& key,
                       std::map<std::string, std::string>& out) {
  const toml::table* table = node.as_table();
  if (table == nullptr) {
    return InvalidArgumentError(key + " must be a table of strings");
  }
  for (const auto& [name, value] : *table) {
    KEFU_RETURN_IF_ERROR(
        ReadString(value, key + "." + std::string(name.str()), out[std::string(name.str())]));
  }
  return OkStatus();
}

Status ReadHttpTool(const std::string& name, const toml::node& node, HttpToolSettings& out) {
  const std::string prefix = "tools." + name;
  const toml::table* table = node.as_table();
  if (table == nullptr) {
    return InvalidArgumentError("'" + prefix + "' must be a table");
  }
  out.name = name;
  for (const auto& [field, value] : *table) {
    const std::string key = prefix + "." + std::string(field.str());
    if (field == "url") {
      KEFU_RETURN_IF_ERROR(ReadString(value, key, out.url));
    } else if (field == "method") {
      KEFU_RETURN_IF_ERROR(ReadString(value, key, out.method));
    } else if (field == "code_field") {
      KEFU_RETURN_IF_ERROR(ReadString(value, key, out.code_field));
    } else if (field == "headers") {
      KEFU_RETURN_IF_ERROR(ReadStringTable(value, key, out.headers));
    } else if (field == "map") {
      KEFU_RETURN_IF_ERROR(ReadStringTable(value, key, out.map));
    } else if (field == "timeout_ms") {
      std::optional<int64_t> v = value.value_exact<int64_t>();
      if (!v) {
        return InvalidArgumentError(key + " must be an integer");
      }
      if (*v <= 0 || *v > INT_MAX) {
        return InvalidArgumentError(key + " must be positive, got " + std::to_string(*v));
      }
      out.timeout_ms = static_cast<int>(*v);
    } else if (field == "body") {
      // Documented in tools.h; "args" (the arguments as a JSON object) is the only body so far.
      std::string body;
      KEFU_RETURN_IF_ERROR(ReadString(value, key, body));
      if (body != "args") {
        return InvalidArgumentError(key + " must be \"args\", got '" + body + "'");
      }
    } else {
      return InvalidArgumentError("unknown key '" + key + "'");
    }
  }
  if (out.url.empty()) {
    return InvalidArgumentError(prefix + ".url is required");
  }
  return OkStatus();
}

Status ReadHttpTools(const toml::node& node, std::vector<HttpToolSettings>& out) {
  const toml::table* tools = node.as_table();
  if (tools == nullptr) {
    return InvalidArgumentError("'tools' must be a table");
  }
  for (const auto& [name, value] : *tools) {
    HttpToolSettings settings;
    KEFU_RETURN_IF_ERROR(ReadHttpTool(std::string(name.str()), value, settings));
    out.push_back(std::move(settings));
  }
  return OkStatus();
}

// [[llm.fallbacks]]: an array of tables with base_url, model and api_key.
Status ReadLlmFallbacks(const toml::node& node, std::vector<LlmFallbackSettings>& out) {
  const toml::array* array = node.as_array();
  if (array == nullptr) {
    return InvalidArgumentError("llm.fallbacks must be an array of tables ([[llm.fallbacks]])");
  }
  for (size_t i = 0; i < array->size(); ++i) {
    const std::string prefix = "llm.fallbacks[" + std::to_string(i) + "]";
    const toml::table* table = (*array)[i].as_table();
    if (table == nullptr) {
      return InvalidArgumentError(prefix + " must be a table");
    }
    LlmFallbackSettings settings;
    for (const auto& [field, value] : *table) {
      const std::string key = prefix + "." + std::string(field.str());
      if (field == "base_url") {
        KEFU_RETURN_IF_ERROR(ReadString(value, key, settings.base_url));
      } else if (field == "model") {
        KEFU_RETURN_IF_ERROR(ReadString(value, key, settings.model));
      } else if (field == "api_key") {
        KEFU_RETURN_IF_ERROR(ReadString(value, key, settings.api_key));
      } else {
        return InvalidArgumentError("unknown key '" + key + "'");
      }
    }
    if (settings.base_url.empty() || settings.model.empty()) {
      return InvalidArgumentError(prefix + " needs base_url and model");
    }
    out.push_back(std::move(settings));
  }
  return OkStatus();
}

Status ValidateLlm(const LlmConfig& llm) {
  for (auto [v, key] : {std::pair{llm.connect_timeout_ms, "llm.connect_timeout_ms"},
                        std::pair{llm.first_token_timeout_ms, "llm.first_token_timeout_ms"},
                        std::pair{llm.total_timeout_ms, "llm.total_timeout_ms"},
                        std::pair{llm.max_concurrency, "llm.max_concurrency"},
                        std::pair{llm.max_tokens, "llm.max_tokens"}}) {
    if (v <= 0) {
      return InvalidArgumentError(std::string(key) + " must be positive, got " + std::to_string(v));
    }
  }
  if (llm.max_retries < 0 || llm.max_retries > 10) {
    return InvalidArgumentError("llm.max_retries must be between 0 and 10, got " +
                                std::to_string(llm.max_retries));
  }
  if (!(llm.temperature >= 0 && llm.temperature <= 2)) {
    return InvalidArgumentError("llm.temperature must be between 0 and 2, got " +
                                std::to_string(llm.temperature));
  }
  if (!llm.base_url.empty() && llm.model.empty()) {
    return InvalidArgumentError("llm.model is required when llm.base_url is set");
  }
  if (llm.base_url.empty() && !llm.fallbacks.empty()) {
    return InvalidArgumentError("llm.fallbacks need llm.base_url to be set first");
  }
  return OkStatus();
}

Status Validate(const Config& c) {
  auto positive = [](int v, const char* key) -> Status {
    if (v <= 0) {
      return InvalidArgumentError(std::string(key) + " must be positive, got " + std::to_string(v));
    }
    return OkStatus();
  };
  if (c.server.port < 0 || c.server.port > 65535) {
    return InvalidArgumentError("server.port out of range: " + std::to_string(c.server.port));
  }
  KEFU_RETURN_IF_ERROR(positive(c.server.io_threads, "server.io_threads"));
  KEFU_RETURN_IF_ERROR(positive(c.server.worker_threads, "server.worker_threads"));
  KEFU_RETURN_IF_ERROR(positive(c.server.queue_limit, "server.queue_limit"));
  KEFU_RETURN_IF_ERROR(positive(c.server.max_batch, "server.max_batch"));
  KEFU_RETURN_IF_ERROR(positive(c.server.max_body_bytes, "server.max_body_bytes"));
  KEFU_RETURN_IF_ERROR(positive(c.server.request_timeout_ms, "server.request_timeout_ms"));
  KEFU_RETURN_IF_ERROR(positive(c.store.pool_size, "store.pool_size"));
  KEFU_RETURN_IF_ERROR(positive(c.engine.max_message_chars, "engine.max_message_chars"));
  KEFU_RETURN_IF_ERROR(positive(c.engine.turn_deadline_ms, "engine.turn_deadline_ms"));
  KEFU_RETURN_IF_ERROR(
      positive(c.engine.max_verification_attempts, "engine.max_verification_attempts"));
  KEFU_RETURN_IF_ERROR(positive(c.engine.history_page_limit, "engine.history_page_limit"));
  KEFU_RETURN_IF_ERROR(positive(c.kb.max_upload_bytes, "kb.max_upload_bytes"));
  if (c.kb.import_threads < 0 || c.kb.import_threads > kMaxKbImportThreads) {
    return InvalidArgumentError("kb.import_threads must be in [0, " +
                                std::to_string(kMaxKbImportThreads) + "], got " +
                                std::to_string(c.kb.import_threads));
  }
  for (auto [v, key] : {std::pair{c.kb.lexical_weight, "kb.lexical_weight"},
                        std::pair{c.kb.vector_weight, "kb.vector_weight"},
                        std::pair{c.kb.rerank_weight, "kb.rerank_weight"},
                        std::pair{c.kb.question_model_weight, "kb.question_model_weight"}}) {
    if (!(v >= 0 && v <= 100)) {
      return InvalidArgumentError(std::string(key) + " must be between 0 and 100, got " +
                                  std::to_string(v));
    }
  }
  for (auto [v, key] : {std::pair{c.kb.answer_threshold, "kb.answer_threshold"},
                        std::pair{c.kb.faq_threshold, "kb.faq_threshold"}}) {
    if (!(v >= 0 && v <= 1)) {
      return InvalidArgumentError(std::string(key) + " must be between 0 and 1, got " +
                                  std::to_string(v));
    }
  }
  if (!(c.sentiment.mood_decay >= 0 && c.sentiment.mood_decay < 1)) {
    return InvalidArgumentError("sentiment.mood_decay must be in [0, 1), got " +
                                std::to_string(c.sentiment.mood_decay));
  }
  for (auto [v, key] :
       {std::pair{c.speech.decoders, "speech.decoders"},
        std::pair{c.speech.transcription_timeout_ms, "speech.transcription_timeout_ms"},
        std::pair{c.speech.max_audio_seconds, "speech.max_audio_seconds"},
        std::pair{c.speech.max_audio_bytes, "speech.max_audio_bytes"},
        std::pair{c.speech.words_per_minute, "speech.words_per_minute"}}) {
    KEFU_RETURN_IF_ERROR(positive(v, key));
  }
  if (!(c.speech.min_confidence >= 0 && c.speech.min_confidence <= 1)) {
    return InvalidArgumentError("speech.min_confidence must be between 0 and 1, got " +
                                std::to_string(c.speech.min_confidence));
  }
  KEFU_RETURN_IF_ERROR(ValidateLlm(c.llm));
  if (c.store.db_path.empty()) {
    return InvalidArgumentError("store.db_path must not be empty");
  }
  return OkStatus();
}

}  // namespace

Env EnvFromProcess() {
  Env env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string_view kv(*e);
    if (kv.substr(0, 5) != "KEFU_") {
      continue;
    }
    const size_t eq = kv.find('=');
    if (eq == std::string_view::npos) {
      continue;
    }
    env.emplace(std::string(kv.substr(0, eq)), std::string(kv.substr(eq + 1)));
  }
  return env;
}

Result<Config> LoadConfig(const std::string& path, const Env& env) {
  Config config;
  if (!path.empty()) {
    if (!std::filesystem::exists(path)) {
      return NotFoundError("config file '" + path + "' does not exist");
    }
    toml::table table;
    try {
      table = toml::parse_file(path);
    } catch (const toml::parse_error& e) {
      return InvalidArgumentError("config file '" + path + "': " + std::string(e.description()));
    }
    for (const auto& [section, node] : table) {
      if (section == "tools") {
        KEFU_RETURN_IF_ERROR(
            ReadHttpTools(node, config.http_tools).WithContext("config file '" + path + "'"));
        continue;
      }
      const toml::table* sec = node.as_table();
      if (sec == nullptr) {
        return InvalidArgumentError("config file '" + path + "': '" + std::string(section.str()) +
                                    "' must be a table");
      }
      for (const auto& [name, value] : *sec) {
        if (section == "llm" && name == "fallbacks") {
          KEFU_RETURN_IF_ERROR(ReadLlmFallbacks(value, config.llm.fallbacks)
                                   .WithContext("config file '" + path + "'"));
          continue;
        }
        const Key* key = nullptr;
        for (const Key& k : Keys()) {
          if (k.section == section.str() && k.name == name.str()) {
            key = &k;
          }
        }
        const std::string dotted = std::string(section.str()) + "." + std::string(name.str());
        if (key == nullptr) {
          return InvalidArgumentError("config file '" + path + "': unknown key '" + dotted + "'");
        }
        KEFU_RETURN_IF_ERROR(key->set(config, NodeToText(value)).WithContext(dotted));
      }
    }
  }
  static const std::map<std::string, std::string> kAliases = {
      {"KEFU_DB", "KEFU_STORE_DB_PATH"},
      {"KEFU_HOST", "KEFU_SERVER_HOST"},
      {"KEFU_PORT", "KEFU_SERVER_PORT"},
      {"KEFU_DATA_DIR", "KEFU_ENGINE_DATA_DIR"},
      {"KEFU_LOG_LEVEL", "KEFU_LOG_LEVEL"},
      {"KEFU_AGENT_KEY", "KEFU_SERVER_AGENT_KEY"},
      {"KEFU_CUSTOMER_TOKEN_SECRET", "KEFU_AUTH_CUSTOMER_TOKEN_SECRET"},
  };
  Env canonical;
  for (const auto& [name, value] : env) {
    auto alias = kAliases.find(name);
    canonical[alias != kAliases.end() ? alias->second : name] = value;
  }
  for (const Key& k : Keys()) {
    const std::string var = "KEFU_" + Upper(k.section) + "_" + Upper(k.name);
    auto it = canonical.find(var);
    if (it != canonical.end()) {
      KEFU_RETURN_IF_ERROR(k.set(config, it->second).WithContext(var));
    }
  }
  KEFU_RETURN_IF_ERROR(Validate(config));
  return config;
}

std::string ResolveDataDir(const Config& config) {
  if (!config.engine.data_dir.empty()) {
    return config.engine.data_dir;
  }
#ifdef KEFU_DEFAULT_DATA_DIR
  if (std::filesystem::exists(KEFU_DEFAULT_DATA_DIR)) {
    return KEFU_DEFAULT_DATA_DIR;
  }
#endif
  return "./data";
}

}  // namespace kefu
