// One function per subcommand; each returns the process exit code (0 ok, 1 failure).
#pragma once

#include <string>

#include "runtime.h"

namespace kefu::app {

struct ServeFlags {
  std::string host;
  int port = -1;  // -1: from the config
};
int RunServe(const CommonFlags& common, const ServeFlags& flags);

struct ChatFlags {
  std::string once;
  bool json = false;
};
int RunChat(const CommonFlags& common, const ChatFlags& flags);

int RunDemoReset(const CommonFlags& common);

// Prints "kefu: <message>" on stderr and returns 1.
int Fail(const Status& status);

}  // namespace kefu::app
