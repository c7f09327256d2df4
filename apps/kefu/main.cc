// kefu: the one command-line tool. Exit codes: 0 success, 2 usage error, 1 other failures.
#include <iostream>

#include <CLI/CLI.hpp>

#include "commands.h"

namespace kefu::app {

int Fail(const Status& status) {
  std::cerr << "kefu: " << status.ToString() << std::endl;
  return 1;
}

namespace {

void AddCommonFlags(CLI::App& cmd, CommonFlags& common) {
  cmd.add_option("--config", common.config_path, "TOML config file (default: ./kefu.toml)");
  cmd.add_option("--db", common.db_path,
                 "SQLite database path (default: store.db_path, ./kefu.db)");
  cmd.add_option("--data-dir", common.data_dir, "data directory with templates/ and demo/");
  cmd.add_option("--log-level", common.log_level, "trace, debug, info, warn, error, off");
}

}  // namespace
}  // namespace kefu::app

int main(int argc, char** argv) {
  using namespace kefu::app;
  CLI::App app{"kefu: a self-hosted customer-service engine for e-commerce shops"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "kefu 0.1.0");

  CommonFlags common;
  ServeFlags serve_flags;
  ChatFlags chat_flags;

  CLI::App* serve = app.add_subcommand("serve", "Serve the HTTP API and chat page");
  AddCommonFlags(*serve, common);
  serve->add_option("--host", serve_flags.host, "address to listen on (default 127.0.0.1)");
  serve->add_option("--port", serve_flags.port, "port (default 8080; 0 picks a free one)")
      ->check(CLI::Range(0, 65535));

  CLI::App* chat = app.add_subcommand("chat", "Chat with the engine in the terminal");
  AddCommonFlags(*chat, common);
  chat->add_option("--once", chat_flags.once, "answer one message and exit");
  chat->add_flag("--json", chat_flags.json, "print each reply as JSON with its trace");

  CLI::App* demo = app.add_subcommand("demo", "Manage the demo shop");
  demo->require_subcommand(1);
  CLI::App* reset = demo->add_subcommand("reset", "Replace the shop data with the demo shop");
  AddCommonFlags(*reset, common);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "kefu: " << e.what() << " (see kefu --help)" << std::endl;
    return 2;
  }
  if (serve->parsed()) {
    return RunServe(common, serve_flags);
  }
  if (chat->parsed()) {
    return RunChat(common, chat_flags);
  }
  if (reset->parsed()) {
    return RunDemoReset(common);
  }
  return 2;
}
