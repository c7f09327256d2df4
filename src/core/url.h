// The base URL of an OpenAI-compatible server ("http://127.0.0.1:8081/v1"), split the way an
// HTTP client needs it. Shared by the chat, embeddings and transcription clients.
#pragma once

#include <string>

#include "core/result.h"

namespace kefu {

struct BaseUrl {
  std::string scheme_host_port;  // "http://127.0.0.1:8081"
  std::string path_prefix;       // "/v1", without a trailing slash; may be empty
};

// kInvalidArgument for a URL that is not http(s)://host[:port][/path].
Result<BaseUrl> ParseBaseUrl(const std::string& url);

}  // namespace kefu
