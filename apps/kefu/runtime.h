// What every subcommand shares: the resolved config, the store and the engine.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "core/config.h"
#include "core/result.h"
#include "engine/engine.h"
#include "kb/knowledge_base.h"
#include "llm/llm.h"
#include "speech/speech.h"
#include "store/store.h"
#include "tools/tools.h"

namespace kefu::app {

// Flags common to subcommands; empty means "not given on the command line".
struct CommonFlags {
  std::string config_path;
  std::string db_path;
  std::string data_dir;
  std::string log_level;
  std::string intent_model;
};

// Loads the config (file, environment) and applies the flags on top.
Result<Config> ResolveConfig(const CommonFlags& flags);

struct Runtime {
  Config config;
  std::string data_dir;
  std::unique_ptr<store::Store> store;
  std::unique_ptr<kb::KnowledgeBase> kb;
  // The built-in store tools with the [tools.*] HTTP tools of kefu.toml in place of their
  // namesakes (the shop's own order system).
  std::unique_ptr<tools::ToolRegistry> tools;
  std::unique_ptr<llm::LlmBackend> llm;    // null when [llm] names no server
  std::unique_ptr<engine::Engine> engine;  // declared last: it uses the store, kb and tools
};

// The [sentiment] section in engine terms: the model (the one built with kefu when none is
// configured), the mood's decay, the apology and the escalation rule.
void ApplySentimentConfig(const SentimentConfig& config, engine::EngineOptions& options);

// Opens the knowledge base over `store` with the configured embedding (the one built with kefu
// when none is configured; lexical search only when no embedding file exists).
Result<std::unique_ptr<kb::KnowledgeBase>> OpenKnowledgeBase(const Config& config,
                                                             store::Store& store);

// Opens the store (applying migrations), loads the demo shop into an empty database when the
// config allows it, and builds the engine.
Result<Runtime> OpenRuntime(const Config& config, bool load_demo_if_empty);

// The speech engines of [speech]: English recognition on this machine, the transcription
// server when one is configured, synthesis. An engine that cannot start is left null (logged).
struct VoiceRuntime {
  std::unique_ptr<speech::AsrEngine> asr_en;
  std::unique_ptr<speech::AsrEngine> asr_remote;
  std::unique_ptr<speech::TtsEngine> tts;
  speech::AudioLimits limits;
};
Result<VoiceRuntime> OpenVoice(const Config& config);

// ResolveConfig(flags), then OpenRuntime.
Result<Runtime> OpenRuntime(const CommonFlags& flags, bool load_demo_if_empty);

}  // namespace kefu::app
