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

struct TrainIntentFlags {
  std::string data;
  std::string split = "all";  // with "train", the "dev" rows of the same file calibrate
  std::string dev;            // a separate calibration file
  std::string out;
  std::string oos_label = "out_of_scope";
  int epochs = 30;
  double learning_rate = 0.4;
  double l2 = 1e-6;
  bool idf = false;
  double min_oos_recall = 0.6;
};
int RunTrainIntent(const TrainIntentFlags& flags);

struct EvalIntentFlags {
  std::string data;
  std::string split = "all";
  std::string model;
  std::string report;
  std::string oos_label = "out_of_scope";
  std::string predictions;  // optional TSV: gold, predicted, confidence, raw top, raw prob
};
int RunEvalIntent(const EvalIntentFlags& flags);

struct NluFlags {
  std::string text;
  bool pretty = false;
};
int RunNlu(const CommonFlags& common, const NluFlags& flags);

// Prints "kefu: <message>" on stderr and returns 1.
int Fail(const Status& status);

}  // namespace kefu::app
