#include "runtime.h"

#include <filesystem>

#include "core/clock.h"
#include "core/logging.h"
#include "demo/demo_shop.h"

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
  engine::EngineOptions eo;
  eo.data_dir = rt.data_dir;
  eo.max_message_chars = config.engine.max_message_chars;
  eo.timezone_offset_minutes = config.engine.timezone_offset_minutes;
  eo.max_verification_attempts = config.engine.max_verification_attempts;
  eo.intent_model = config.engine.intent_model.empty() ? std::string(KEFU_DEFAULT_INTENT_MODEL)
                                                       : config.engine.intent_model;
  KEFU_ASSIGN_OR_RETURN(rt.engine, engine::Engine::Create(*rt.store, SystemClock(), eo));
  return rt;
}

Result<Runtime> OpenRuntime(const CommonFlags& flags, bool load_demo_if_empty) {
  KEFU_ASSIGN_OR_RETURN(Config config, ResolveConfig(flags));
  return OpenRuntime(config, load_demo_if_empty);
}

}  // namespace kefu::app
