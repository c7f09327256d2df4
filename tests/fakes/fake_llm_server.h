// FakeLlmServer: a scripted OpenAI-compatible server on 127.0.0.1 (a free port) for llm/ tests.
//
//   FakeLlmServer server;
//   server.Script({FakeLlmServer::Reply::Status(500), FakeLlmServer::Reply::Stream({
//       {FakeLlmServer::ContentChunk("你好")}, {FakeLlmServer::ContentChunk("!"), 50}})});
//   options.base_url = server.base_url();
//   ...
//   EXPECT_EQ(server.requests()[1].body["model"], "m");
//
// Each POST /v1/chat/completions gets the next scripted reply (the last one repeats) and is
// recorded. Thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <csignal>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>
#include <nlohmann/json.hpp>

namespace kefu::testing {

class FakeLlmServer {
 public:
  struct Chunk {
    std::string data;  // the event's data ("{...}" or "[DONE]"); with raw, the exact bytes
    int delay_ms = 0;  // before this chunk is written
    bool raw = false;
  };

  struct Reply {
    int status = 200;
    std::map<std::string, std::string> headers;
    std::string body;     // answered as application/json when `stream` is false
    bool stream = false;  // text/event-stream made of `chunks`
    std::vector<Chunk> chunks;
    bool done = true;  // end the stream with `data: [DONE]`
    bool cut = false;  // close the connection after the chunks, mid-stream
    int delay_ms = 0;  // before the status line

    static Reply Status(int status, std::string body = R"({"error":{"message":"scripted"}})") {
      Reply r;
      r.status = status;
      r.body = std::move(body);
      return r;
    }
    static Reply Json(std::string body) {
      Reply r;
      r.body = std::move(body);
      return r;
    }
    static Reply Stream(std::vector<Chunk> chunks) {
      Reply r;
      r.stream = true;
      r.chunks = std::move(chunks);
      return r;
    }
  };

  struct Recorded {
    nlohmann::json body;
    httplib::Headers headers;
    std::string header(const std::string& name) const {
      auto it = headers.find(name);
      return it == headers.end() ? "" : it->second;
    }
  };

  static std::string ContentChunk(const std::string& text) {
    return nlohmann::json{
        {"choices", {{{"index", 0}, {"delta", {{"content", text}}}, {"finish_reason", nullptr}}}}}
        .dump();
  }
  static std::string FinishChunk(const std::string& reason) {
    return nlohmann::json{
        {"choices",
         {{{"index", 0}, {"delta", nlohmann::json::object()}, {"finish_reason", reason}}}}}
        .dump();
  }
  static std::string UsageChunk(int prompt, int completion) {
    return nlohmann::json{{"choices", nlohmann::json::array()},
                          {"usage", {{"prompt_tokens", prompt}, {"completion_tokens", completion}}}}
        .dump();
  }
  static std::string ToolCallChunk(int index, const std::string& id, const std::string& name,
                                   const std::string& arguments) {
    nlohmann::json function = {{"arguments", arguments}};
    if (!name.empty()) {
      function["name"] = name;
    }
    nlohmann::json call = {{"index", index}, {"function", function}};
    if (!id.empty()) {
      call["id"] = id;
      call["type"] = "function";
    }
    return nlohmann::json{{"choices",
                           {{{"index", 0},
                             {"delta", {{"tool_calls", nlohmann::json::array({call})}}},
                             {"finish_reason", nullptr}}}}}
        .dump();
  }

  FakeLlmServer() {
    std::signal(SIGPIPE, SIG_IGN);
    server_.Post("/v1/chat/completions",
                 [this](const httplib::Request& req, httplib::Response& res) { Handle(req, res); });
    server_.set_tcp_nodelay(true);  // chunks go out as written, like a real streaming server
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
  ~FakeLlmServer() {
    stopping_ = true;
    server_.stop();
    thread_.join();
  }
  FakeLlmServer(const FakeLlmServer&) = delete;
  FakeLlmServer& operator=(const FakeLlmServer&) = delete;

  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/v1"; }

  void Script(std::vector<Reply> replies) {
    std::scoped_lock lock(mutex_);
    replies_ = std::move(replies);
    next_ = 0;
  }

  std::vector<Recorded> requests() const {
    std::scoped_lock lock(mutex_);
    return requests_;
  }
  size_t request_count() const {
    std::scoped_lock lock(mutex_);
    return requests_.size();
  }
  // True once a streamed write failed because the client had gone.
  bool saw_disconnect() const { return saw_disconnect_; }
  int max_in_flight() const { return max_in_flight_; }

 private:
  // Sleeps up to `ms`, returning early when the server stops.
  void Sleep(int ms) const {
    auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    while (!stopping_ && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  }

  void Enter() {
    int now = ++in_flight_;
    int seen = max_in_flight_;
    while (now > seen && !max_in_flight_.compare_exchange_weak(seen, now)) {
    }
  }

  void Handle(const httplib::Request& req, httplib::Response& res) {
    Reply reply;
    {
      std::scoped_lock lock(mutex_);
      requests_.push_back({nlohmann::json::parse(req.body, nullptr, false), req.headers});
      if (!replies_.empty()) {
        reply = replies_[std::min(next_, replies_.size() - 1)];
        ++next_;
      }
    }
    Enter();
    Sleep(reply.delay_ms);
    res.status = reply.status;
    for (const auto& [name, value] : reply.headers) {
      res.set_header(name, value);
    }
    if (!reply.stream) {
      res.set_content(reply.body, "application/json");
      --in_flight_;
      return;
    }
    // A streamed reply leaves the in-flight count before the bytes that let the client finish
    // ([DONE], or the end of the stream): the client may send its next request as soon as it
    // has them, before httplib calls the releaser below.
    auto left = std::make_shared<std::atomic<bool>>(false);
    auto leave = [this, left] {
      if (!left->exchange(true)) {
        --in_flight_;
      }
    };
    res.set_chunked_content_provider(
        "text/event-stream",
        [this, reply, leave](size_t, httplib::DataSink& sink) {
          for (const Chunk& chunk : reply.chunks) {
            Sleep(chunk.delay_ms);
            std::string bytes = chunk.raw ? chunk.data : "data: " + chunk.data + "\n\n";
            if (stopping_ || !sink.write(bytes.data(), bytes.size())) {
              saw_disconnect_ = true;
              return false;
            }
          }
          if (reply.cut) {
            return false;
          }
          leave();
          if (reply.done) {
            const std::string done = "data: [DONE]\n\n";
            if (!sink.write(done.data(), done.size())) {
              saw_disconnect_ = true;
              return false;
            }
          }
          sink.done();
          return true;
        },
        [leave](bool) { leave(); });
  }

  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  mutable std::mutex mutex_;
  std::vector<Reply> replies_;
  size_t next_ = 0;
  std::vector<Recorded> requests_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> saw_disconnect_{false};
  std::atomic<int> in_flight_{0};
  std::atomic<int> max_in_flight_{0};
};

}  // namespace kefu::testing
