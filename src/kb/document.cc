#include "kb/document.h"

#include <array>
#include <utility>

namespace kefu::kb {
namespace {

constexpr std::array<std::pair<DocFormat, std::string_view>, 6> kFormatNames = {{
    {DocFormat::kMarkdown, "markdown"},
    {DocFormat::kText, "text"},
    {DocFormat::kHtml, "html"},
    {DocFormat::kTable, "table"},
    {DocFormat::kFaq, "faq"},
    {DocFormat::kProduct, "product"},
}};

}  // namespace

std::string_view DocFormatName(DocFormat format) {
  for (const auto& [f, name] : kFormatNames) {
    if (f == format) {
      return name;
    }
  }
  return "text";
}

std::optional<DocFormat> DocFormatFromName(std::string_view name) {
  for (const auto& [f, n] : kFormatNames) {
    if (n == name) {
      return f;
    }
  }
  return std::nullopt;
}

}  // namespace kefu::kb
