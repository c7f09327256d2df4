// The web pages (web/: the chat widget, the agent console, the dashboard), built by npm at build
// time and compiled into the binary by kefu_embed_dir(), so kefu serve needs no files beside it.
#include <string_view>
#include <utility>

#include "core/embedded.h"
#include "server/api_internal.h"

namespace kefu {
std::span<const EmbeddedFile> WebAssets();  // generated from the web/ build output
}  // namespace kefu

namespace kefu::server {
namespace {

std::string_view ContentType(std::string_view path) {
  static constexpr std::pair<std::string_view, std::string_view> kTypes[] = {
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".ico", "image/x-icon"},
      {".woff2", "font/woff2"},
      {".json", "application/json"}};
  for (const auto& [ext, type] : kTypes) {
    if (path.ends_with(ext)) {
      return type;
    }
  }
  return "application/octet-stream";
}

}  // namespace

std::optional<HttpResponse> WebAsset(const std::string& path) {
  // The pages by their short paths; everything else by its path in the build output.
  std::string_view file = std::string_view(path).substr(path.empty() ? 0 : 1);
  if (path == "/" || path == "/index.html") {
    file = "index.html";
  } else if (path == "/agent" || path == "/agent/") {
    file = "agent/index.html";
  } else if (path == "/admin" || path == "/admin/") {
    file = "admin/index.html";
  }
  for (const EmbeddedFile& f : WebAssets()) {
    if (f.path == file) {
      HttpResponse r;
      r.content_type = std::string(ContentType(file));
      r.body = std::string(f.data);
      return r;
    }
  }
  return std::nullopt;
}

}  // namespace kefu::server
