#include <utility>

#include "tools/tools.h"

namespace kefu::tools {

void ToolRegistry::Add(std::unique_ptr<Tool> tool) {
  KEFU_CHECK(tool != nullptr);
  std::string name = tool->name();
  tools_.insert_or_assign(std::move(name), std::move(tool));
}

const Tool* ToolRegistry::Find(std::string_view name) const {
  auto it = tools_.find(name);
  return it == tools_.end() ? nullptr : it->second.get();
}

Result<ToolResult> ToolRegistry::Call(std::string_view name, const nlohmann::json& args,
                                      RequestContext& ctx) const {
  const Tool* tool = Find(name);
  if (tool == nullptr) {
    return NotFoundError("no tool named '" + std::string(name) + "'");
  }
  return tool->Call(args, ctx);
}

std::vector<std::string> ToolRegistry::Names() const {
  std::vector<std::string> names;
  names.reserve(tools_.size());
  for (const auto& [name, tool] : tools_) {
    names.push_back(name);  // the map keeps them sorted
  }
  return names;
}

}  // namespace kefu::tools
