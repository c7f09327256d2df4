#include "runtime.h"

#include <filesystem>

#include "core/clock.h"
#include "core/logging.h"
#include "demo/demo_shop.h"
#include "kb/embedder.h"

namespace kefu::app {

Result<Config> ResolveConfig(const CommonFlags& flags) {
  Env env = EnvFromProcess();
  std::string path = flags.config_path;
  if (path.empty()) {
    if (auto it = env.find("KEFU_CONFIG"); it != env.end()) {
      path = it->second;
    } else if (std::filesystem::exists("kefu.toml")) {
      path = "kefu.toml";
    }
  }
  env.erase("KEFU_CONFIG");
  KEFU_ASSIGN_OR_RETURN(Config config, LoadConfig(path, env));
  if (!flags.db_path.empty()) {
    config.store.db_path = flags.db_path;
  }
  if (!flags.data_dir.empty()) {
    config.engine.data_dir = flags.data_dir;
  }
  if (!flags.log_level.empty()) {
    config.log.level = flags.log_level;
  }
  if (!flags.intent_model.empty()) {
    config.engine.intent_model = flags.intent_model;
  }
  KEFU_RETURN_IF_ERROR(InitLogging(config.log.level));
  return config;
}

Result<Runtime> OpenRuntime(const Config& config, bool load_demo_if_empty) {
  Runtime rt;
  rt.config = config;
  rt.data_dir = ResolveDataDir(config);
  store::SqliteOptions so;
  so.path = config.store.db_path;
  so.busy_timeout_ms = config.store.busy_timeout_ms;
  so.pool_size = config.store.pool_size;
  KEFU_ASSIGN_OR_RETURN(rt.store, store::NewSqliteStore(so));
  if (load_demo_if_empty && config.demo.load_when_empty) {
    const std::string demo_dir = (std::filesystem::path(rt.data_dir) / "demo").string();
    KEFU_ASSIGN_OR_RETURN(bool loaded, demo::LoadDemoShopIfEmpty(*rt.store, demo_dir));
    if (loaded) {
      KEFU_LOG_INFO("loaded the demo shop from {}", demo_dir);
    }
  }
  KEFU_ASSIGN_OR_RETURN(rt.kb, OpenKnowledgeBase(config, *rt.store));
  if (load_demo_if_empty && config.demo.load_when_empty) {
    KEFU_ASSIGN_OR_RETURN(size_t docs,
                          demo::LoadDemoKnowledgeIfEmpty(*rt.kb, *rt.store, rt.data_dir));
    if (docs > 0) {
      KEFU_LOG_INFO("imported {} demo documents into the knowledge base", docs);
    }
  }
  engine::EngineOptions eo;
  eo.data_dir = rt.data_dir;
  eo.max_message_chars = config.engine.max_message_chars;
  eo.timezone_offset_minutes = config.engine.timezone_offset_minutes;
  eo.max_verification_attempts = config.engine.max_verification_attempts;
  eo.intent_model = config.engine.intent_model.empty() ? std::string(KEFU_DEFAULT_INTENT_MODEL)
                                                       : config.engine.intent_model;
  eo.knowledge_base = rt.kb.get();
  eo.customer_token_secret = config.auth.customer_token_secret;
  ApplySentimentConfig(config.sentiment, eo);
  eo.min_asr_confidence = config.speech.min_confidence;
  rt.tools = std::make_unique<tools::ToolRegistry>(tools::NewStoreTools(*rt.store, SystemClock()));
  for (const HttpToolSettings& settings : config.http_tools) {
    KEFU_ASSIGN_OR_RETURN(std::unique_ptr<tools::Tool> tool, tools::NewHttpTool(settings));
    KEFU_LOG_INFO("tool {} calls the shop's HTTP API", settings.name);
    rt.tools->Add(std::move(tool));
  }
  eo.tools = rt.tools.get();
  if (!config.llm.base_url.empty()) {
    KEFU_ASSIGN_OR_RETURN(rt.llm, llm::NewLlmFromConfig(config.llm));
    eo.llm = rt.llm.get();
    eo.responder.first_token_timeout_ms = config.llm.first_token_timeout_ms;
    eo.responder.total_timeout_ms = config.llm.total_timeout_ms;
    eo.responder.max_tokens = config.llm.max_tokens;
    eo.responder.temperature = config.llm.temperature;
    KEFU_LOG_INFO("replies are phrased by {} at the configured LLM server", config.llm.model);
  }
  KEFU_ASSIGN_OR_RETURN(rt.engine, engine::Engine::Create(*rt.store, SystemClock(), eo));
  return rt;
}

void ApplySentimentConfig(const SentimentConfig& config, engine::EngineOptions& options) {
  options.sentiment_model =
      config.model.empty() ? std::string(KEFU_DEFAULT_SENTIMENT_MODEL) : config.model;
  options.mood_decay = config.mood_decay;
  options.apology_first = config.apology_first;
  options.escalation.threat_action = config.threat_action;
  options.escalation.anger_threshold = config.anger_threshold;
  options.escalation.anger_action = config.anger_action;
  options.escalation.negative_turns = config.negative_turns;
  options.escalation.negative_turns_action = config.negative_turns_action;
  options.escalation.priority = config.priority;
}

Result<std::unique_ptr<kb::KnowledgeBase>> OpenKnowledgeBase(const Config& config,
                                                             store::Store& store) {
  kb::KnowledgeBaseOptions options;
  options.answer_threshold = config.kb.answer_threshold;
  options.faq_threshold = config.kb.faq_threshold;
  options.retriever.lexical_weight = config.kb.lexical_weight;
  options.retriever.vector_weight = config.kb.vector_weight;
  options.retriever.rerank_weight = config.kb.rerank_weight;
  options.retriever.question_model_weight = config.kb.question_model_weight;
  options.retriever.import_threads = config.kb.import_threads;
  // The demo shop's question model, trained at build time; used only when the FAQ is the demo's.
  options.retriever.question_model_path = KEFU_DEFAULT_KB_QUESTION_MODEL;
  const std::string model = config.kb.embedding_model.empty()
                                ? std::string(KEFU_DEFAULT_KB_EMBEDDING)
                                : config.kb.embedding_model;
  if (std::filesystem::exists(model)) {
    KEFU_ASSIGN_OR_RETURN(std::unique_ptr<kb::Embedder> embedder, kb::LoadEmbedding(model));
    options.retriever.embedder = std::move(embedder);
  } else if (!config.kb.embedding_model.empty()) {
    return NotFoundError("kb.embedding_model '" + model + "' does not exist");
  } else {
    KEFU_LOG_WARN("no knowledge-base embedding at {}: lexical search only", model);
  }
  return kb::KnowledgeBase::Open(store, SystemClock(), std::move(options));
}

Result<Runtime> OpenRuntime(const CommonFlags& flags, bool load_demo_if_empty) {
  KEFU_ASSIGN_OR_RETURN(Config config, ResolveConfig(flags));
  return OpenRuntime(config, load_demo_if_empty);
}

}  // namespace kefu::app
