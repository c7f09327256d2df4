// kefu test-dialogs PATH...: runs dialogue scenario files, one fresh store per scenario, and
// prints a line per scenario and per failed expectation, then "N passed, M failed".
#include <algorithm>
#include <filesystem>
#include <iostream>
#include <system_error>

#include "commands.h"
#include "core/clock.h"
#include "core/random.h"
#include "demo/demo_shop.h"
#include "engine/engine.h"
#include "runtime.h"
#include "scenario/scenario.h"

namespace kefu::app {
namespace {

namespace fs = std::filesystem;

// The scenario files under `paths`: files as given, directories searched for *.yaml and *.yml,
// each directory's files sorted. A path that does not exist is kept, so that reading it fails
// and is reported like any other bad file.
std::vector<std::string> ScenarioFiles(const std::vector<std::string>& paths) {
  std::vector<std::string> out;
  for (const std::string& p : paths) {
    std::error_code ec;
    if (!fs::is_directory(p, ec)) {
      out.push_back(p);
      continue;
    }
    std::vector<std::string> found;
    for (auto it = fs::recursive_directory_iterator(p, ec); !ec && it != fs::end(it);
         it.increment(ec)) {
      const std::string ext = it->path().extension().string();
      if (it->is_regular_file(ec) && (ext == ".yaml" || ext == ".yml")) {
        found.push_back(it->path().string());
      }
    }
    std::sort(found.begin(), found.end());
    out.insert(out.end(), found.begin(), found.end());
  }
  return out;
}

// The knowledge base every scenario reads: the demo shop's policies, FAQ and catalog, in a
// store of its own under a temporary directory. Read-only once built.
struct SharedKnowledge {
  fs::path dir;
  std::unique_ptr<store::Store> store;
  std::unique_ptr<kb::KnowledgeBase> kb;  // uses `store`: declared after it

  SharedKnowledge() = default;
  SharedKnowledge(const SharedKnowledge&) = delete;
  SharedKnowledge& operator=(const SharedKnowledge&) = delete;
  ~SharedKnowledge() {
    kb.reset();
    store.reset();
    if (!dir.empty()) {
      std::error_code ec;
      fs::remove_all(dir, ec);
    }
  }
};

Status BuildKnowledge(const Config& config, const std::string& data_dir, SharedKnowledge& out) {
  std::error_code ec;
  out.dir = fs::temp_directory_path(ec) / ("kefu-scenario-kb-" + RandomHex(8));
  if (ec || !fs::create_directories(out.dir, ec)) {
    return UnavailableError("cannot create a temporary directory for the knowledge base");
  }
  store::SqliteOptions so;
  so.path = (out.dir / "kb.db").string();
  KEFU_ASSIGN_OR_RETURN(out.store, store::NewSqliteStore(so));
  // The demo catalog's products, so that ImportCatalog finds them.
  KEFU_RETURN_IF_ERROR(
      demo::LoadDemoShopIfEmpty(*out.store, (fs::path(data_dir) / "demo").string()).status());
  KEFU_ASSIGN_OR_RETURN(out.kb, OpenKnowledgeBase(config, *out.store));
  KEFU_RETURN_IF_ERROR(demo::LoadDemoKnowledgeIfEmpty(*out.kb, *out.store, data_dir).status());
  return OkStatus();
}

bool Matches(const scenario::Scenario& s, const std::string& filter) {
  return filter.empty() || s.name.find(filter) != std::string::npos ||
         s.file.find(filter) != std::string::npos;
}

}  // namespace

int RunTestDialogs(const CommonFlags& common, const TestDialogsFlags& flags) {
  CommonFlags quiet = common;
  if (quiet.log_level.empty()) {
    quiet.log_level = "warn";  // the engine's per-turn info lines would bury the results
  }
  Result<Config> config = ResolveConfig(quiet);
  if (!config.ok()) {
    return Fail(config.status());
  }
  const std::string data_dir = ResolveDataDir(*config);

  std::cerr << "loading the knowledge base..." << std::endl;
  SharedKnowledge knowledge;
  if (Status s = BuildKnowledge(*config, data_dir, knowledge); !s.ok()) {
    return Fail(s.WithContext("knowledge base"));
  }

  scenario::ScenarioOptions options;
  options.data_dir = data_dir;
  options.intent_model = config->engine.intent_model.empty()
                             ? std::string(KEFU_DEFAULT_INTENT_MODEL)
                             : config->engine.intent_model;
  options.kb = knowledge.kb.get();
  options.configure = [&config](engine::EngineOptions& eo) {
    ApplySentimentConfig(config->sentiment, eo);
  };

  int passed = 0;
  int failed = 0;
  for (const std::string& file : ScenarioFiles(flags.paths)) {
    Result<std::vector<scenario::Scenario>> scenarios = scenario::ParseScenarioFile(file);
    if (!scenarios.ok()) {
      ++failed;
      std::cout << "FAIL  " << fs::path(file).filename().string() << "  (" << file << ")\n"
                << "    " << scenarios.status().message() << std::endl;
      continue;
    }
    for (const scenario::Scenario& s : *scenarios) {
      if (!Matches(s, flags.filter)) {
        continue;
      }
      Result<scenario::ScenarioReport> report = scenario::RunScenario(s, options);
      if (!report.ok()) {
        report = scenario::ScenarioReport{.name = s.name,
                                          .file = s.file,
                                          .passed = false,
                                          .failures = {},
                                          .error = report.status().ToString(),
                                          .turns = {}};
      }
      (report->passed ? passed : failed) += 1;
      std::cout << (report->passed ? "PASS  " : "FAIL  ") << report->name << "  (" << report->file
                << ")\n";
      if (flags.verbose) {
        for (const scenario::ScenarioTurnLog& t : report->turns) {
          std::cout << "    > " << t.user << "\n    < " << t.reply << "  [" << t.intent << ", "
                    << t.action << "]\n";
        }
      }
      if (!report->error.empty()) {
        std::cout << "    error: " << report->error << "\n";
      }
      for (const std::string& f : report->failures) {
        std::cout << "    " << f << "\n";
      }
      std::cout << std::flush;
    }
  }
  std::cout << passed << " passed, " << failed << " failed" << std::endl;
  return failed == 0 && passed > 0 ? 0 : 1;
}

}  // namespace kefu::app
