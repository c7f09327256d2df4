#include "core/url.h"

#include "core/status.h"

namespace kefu {

Result<BaseUrl> ParseBaseUrl(const std::string& url) {
  const size_t scheme_end = url.find("://");
  const std::string scheme = scheme_end == std::string::npos ? "" : url.substr(0, scheme_end);
  if (scheme != "http" && scheme != "https") {
    return InvalidArgumentError("base_url must start with http:// or https://, got '" + url + "'");
  }
  const size_t path_start = url.find('/', scheme_end + 3);
  BaseUrl out;
  out.scheme_host_port = url.substr(0, path_start);
  if (out.scheme_host_port.size() <= scheme_end + 3) {
    return InvalidArgumentError("base_url has no host: '" + url + "'");
  }
  if (path_start != std::string::npos) {
    out.path_prefix = url.substr(path_start);
  }
  while (!out.path_prefix.empty() && out.path_prefix.back() == '/') {
    out.path_prefix.pop_back();
  }
  return out;
}

}  // namespace kefu
