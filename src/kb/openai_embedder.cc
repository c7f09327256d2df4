// Embedder over an OpenAI-compatible POST /v1/embeddings (OpenAI, vLLM, llama.cpp server, TEI,
// Ollama's /v1 route): {"model": m, "input": [texts]} -> {"data": [{"index": i, "embedding":
// [..]}]}.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "core/url.h"
#include "kb/embedder.h"

namespace kefu::kb {
namespace {

using Json = nlohmann::json;

// Idle keep-alive connections kept for reuse; more may be open while requests run.
constexpr size_t kMaxIdleClients = 4;
// How much of a non-JSON error body goes into a Status message.
constexpr size_t kMaxErrorBody = 300;

bool IsBlank(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
  });
}

// The server's own words from an error body: {"error": {"message": ..}}, {"error": ".."},
// {"message": ..} or {"detail": ..}; otherwise the start of the body.
std::string ServerMessage(const std::string& body) {
  Json j = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_object()) {
    const Json* m = nullptr;
    if (auto e = j.find("error"); e != j.end()) {
      m = e->is_object() && e->contains("message") ? &(*e)["message"] : &*e;
    } else if (j.contains("message")) {
      m = &j["message"];
    } else if (j.contains("detail")) {
      m = &j["detail"];
    }
    if (m != nullptr) {
      return m->is_string() ? m->get<std::string>() : m->dump();
    }
  }
  std::string s = body.substr(0, kMaxErrorBody);
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) {
    s.pop_back();
  }
  return s;
}

StatusCode CodeForHttpStatus(int status) {
  switch (status) {
    case 401:
      return StatusCode::kUnauthenticated;
    case 403:
      return StatusCode::kPermissionDenied;
    case 404:
      return StatusCode::kNotFound;
    case 408:
    case 504:
      return StatusCode::kDeadlineExceeded;
    case 429:
      return StatusCode::kResourceExhausted;
    default:
      return status >= 500 ? StatusCode::kUnavailable : StatusCode::kInvalidArgument;
  }
}

class OpenAiEmbedder final : public Embedder {
 public:
  OpenAiEmbedder(OpenAiEmbedderOptions options, std::string scheme_host_port, std::string path)
      : options_(std::move(options)),
        scheme_host_port_(std::move(scheme_host_port)),
        path_(std::move(path)),
        dim_(options_.dim) {}
  OpenAiEmbedder(const OpenAiEmbedder&) = delete;
  OpenAiEmbedder& operator=(const OpenAiEmbedder&) = delete;

  int dim() const override { return dim_.load(); }
  std::string name() const override { return "openai:" + options_.model; }

  Result<std::vector<float>> Embed(std::string_view text) const override {
    const std::string one(text);
    KEFU_ASSIGN_OR_RETURN(std::vector<std::vector<float>> v,
                          EmbedBatch(std::span<const std::string>(&one, 1)));
    return std::move(v[0]);
  }

  Result<std::vector<std::vector<float>>> EmbedBatch(
      std::span<const std::string> texts) const override {
    std::vector<std::vector<float>> out(texts.size());
    std::vector<size_t> todo;  // texts worth sending
    for (size_t i = 0; i < texts.size(); ++i) {
      if (!IsBlank(texts[i])) {
        todo.push_back(i);
      }
    }
    for (size_t start = 0; start < todo.size(); start += size_t(options_.max_batch)) {
      const size_t end = std::min(todo.size(), start + size_t(options_.max_batch));
      Json input = Json::array();
      for (size_t k = start; k < end; ++k) {
        input.push_back(texts[todo[k]]);
      }
      KEFU_ASSIGN_OR_RETURN(std::vector<std::vector<float>> vectors, Request(std::move(input)));
      for (size_t k = start; k < end; ++k) {
        out[todo[k]] = std::move(vectors[k - start]);
      }
    }
    for (std::vector<float>& v : out) {
      if (v.empty()) {
        v.assign(size_t(dim()), 0.0f);  // blank text; length 0 while dim is still unknown
      }
    }
    return out;
  }

 private:
  std::string url() const { return scheme_host_port_ + path_; }

  Result<std::vector<std::vector<float>>> Request(Json input) const {
    const size_t n = input.size();
    const std::string body = Json{{"model", options_.model}, {"input", std::move(input)}}.dump(
        -1, ' ', false, Json::error_handler_t::replace);
    httplib::Headers headers;
    if (!options_.api_key.empty()) {
      headers.emplace("Authorization", "Bearer " + options_.api_key);
    }
    const auto started = std::chrono::steady_clock::now();
    std::unique_ptr<httplib::Client> client = AcquireClient();
    httplib::Result res = client->Post(path_, headers, body, "application/json");
    const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - started);
    const std::string what = "embeddings: POST " + url();
    if (!res) {
      const httplib::Error err = res.error();
      if (err == httplib::Error::ConnectionTimeout ||
          (err == httplib::Error::Read && elapsed >= options_.timeout)) {
        return DeadlineExceededError(what + ": no response within " +
                                     std::to_string(options_.timeout.count()) + " ms");
      }
      return UnavailableError(what + ": " + httplib::to_string(err));
    }
    ReleaseClient(std::move(client));
    if (res->status != 200) {
      return Status(CodeForHttpStatus(res->status), what + ": HTTP " + std::to_string(res->status) +
                                                        ": " + ServerMessage(res->body));
    }
    return Parse(res->body, n, what);
  }

  Result<std::vector<std::vector<float>>> Parse(const std::string& body, size_t n,
                                                const std::string& what) const {
    auto malformed = [&](const std::string& why) {
      return InternalError(what + ": malformed response: " + why);
    };
    const Json j = Json::parse(body, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object()) {
      return malformed("not a JSON object");
    }
    auto data = j.find("data");
    if (data == j.end() || !data->is_array()) {
      return malformed("no \"data\" array");
    }
    if (data->size() != n) {
      return malformed(std::to_string(data->size()) + " embeddings for " + std::to_string(n) +
                       " inputs");
    }
    std::vector<std::vector<float>> out(n);
    for (size_t i = 0; i < n; ++i) {
      const Json& item = (*data)[i];
      if (!item.is_object()) {
        return malformed("data[" + std::to_string(i) + "] is not an object");
      }
      size_t slot = i;
      if (auto idx = item.find("index"); idx != item.end()) {
        if (!idx->is_number_integer() || idx->get<int64_t>() < 0 ||
            idx->get<int64_t>() >= int64_t(n)) {
          return malformed("bad index " + idx->dump());
        }
        slot = size_t(idx->get<int64_t>());
      }
      if (!item.contains("embedding") || !item["embedding"].is_array() ||
          item["embedding"].empty()) {
        return malformed("data[" + std::to_string(i) + "] has no embedding array");
      }
      if (!out[slot].empty()) {
        return malformed("index " + std::to_string(slot) + " repeated");
      }
      std::vector<float>& v = out[slot];
      for (const Json& x : item["embedding"]) {
        if (!x.is_number()) {
          return malformed("data[" + std::to_string(i) + "].embedding has a non-number");
        }
        v.push_back(x.get<float>());
      }
      int expected = 0;
      if (!dim_.compare_exchange_strong(expected, int(v.size())) && expected != int(v.size())) {
        return FailedPreconditionError(what + ": got a " + std::to_string(v.size()) +
                                       "-d embedding, expected " + std::to_string(expected));
      }
      L2Normalize(v);
    }
    return out;
  }

  std::unique_ptr<httplib::Client> AcquireClient() const {
    {
      std::scoped_lock lock(mutex_);
      if (!idle_.empty()) {
        std::unique_ptr<httplib::Client> c = std::move(idle_.back());
        idle_.pop_back();
        return c;
      }
    }
    auto c = std::make_unique<httplib::Client>(scheme_host_port_);
    c->set_keep_alive(true);
    c->set_tcp_nodelay(true);  // else Nagle + delayed ACK add ~40 ms to every request
    c->set_connection_timeout(options_.timeout);
    c->set_read_timeout(options_.timeout);
    c->set_write_timeout(options_.timeout);
    return c;
  }

  void ReleaseClient(std::unique_ptr<httplib::Client> c) const {
    std::scoped_lock lock(mutex_);
    if (idle_.size() < kMaxIdleClients) {
      idle_.push_back(std::move(c));
    }
  }

  const OpenAiEmbedderOptions options_;
  const std::string scheme_host_port_;  // "http://127.0.0.1:8000"
  const std::string path_;              // "/v1/embeddings"
  mutable std::atomic<int> dim_;        // 0 until known
  mutable std::mutex mutex_;
  mutable std::vector<std::unique_ptr<httplib::Client>> idle_;  // guarded by mutex_
};

}  // namespace

Result<std::unique_ptr<Embedder>> NewOpenAiEmbedder(const OpenAiEmbedderOptions& options) {
  auto bad = [&](const std::string& what) {
    return InvalidArgumentError("openai embedder: " + what);
  };
  if (options.model.empty()) {
    return bad("model is empty");
  }
  if (options.max_batch < 1 || options.dim < 0 || options.timeout.count() <= 0) {
    return bad("max_batch and timeout must be positive and dim not negative");
  }
  Result<BaseUrl> url = ParseBaseUrl(options.base_url);
  if (!url.ok()) {
    return bad(std::string(url.status().message()));
  }
  if (!httplib::Client(url->scheme_host_port).is_valid()) {
    return bad("base_url '" + options.base_url + "' has no usable host");
  }
  return std::unique_ptr<Embedder>(std::make_unique<OpenAiEmbedder>(
      options, url->scheme_host_port, url->path_prefix + "/embeddings"));
}

}  // namespace kefu::kb
