// RunStages: runs a turn's named stages in order. Before each stage it checks the request's
// deadline and cancellation; it times each stage into the RequestContext, skips disabled
// stages, and returns the first error, prefixed with the stage's name.
#pragma once

#include <chrono>
#include <functional>
#include <span>
#include <string>

#include "core/request_context.h"

namespace kefu::engine {

template <typename Turn>
struct Stage {
  std::string name;  // "nlu.understand"
  std::function<Status(Turn&, RequestContext&)> run;
  bool enabled = true;
};

template <typename Turn>
Status RunStages(std::span<const Stage<Turn>> stages, Turn& turn, RequestContext& ctx) {
  for (const Stage<Turn>& stage : stages) {
    if (!stage.enabled) {
      continue;
    }
    KEFU_RETURN_IF_ERROR(ctx.Check().WithContext(stage.name));
    const auto start = std::chrono::steady_clock::now();
    Status s = stage.run(turn, ctx);
    const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(
                            std::chrono::steady_clock::now() - start)
                            .count();
    ctx.RecordStage(stage.name, micros, s.ok());
    if (!s.ok()) {
      return s.WithContext(stage.name);
    }
  }
  return OkStatus();
}

}  // namespace kefu::engine
