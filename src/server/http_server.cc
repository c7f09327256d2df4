// The only translation unit that sees Boost.Beast and Asio (they take ~40 s to compile).
#include "server/http_server.h"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <csignal>
#include <deque>
#include <functional>
#include <latch>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include <boost/asio.hpp>
#include <boost/asio/experimental/as_tuple.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <nlohmann/json.hpp>
#include <sys/socket.h>

#include "core/logging.h"
#include "core/thread_name.h"
#include "engine/engine.h"
#include "server/api_internal.h"

namespace kefu::server {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using asio::awaitable;
using asio::use_awaitable;
constexpr auto kTuple = asio::experimental::as_tuple(use_awaitable);

HttpRequest ToApiRequest(const http::request<http::string_body>& req) {
  HttpRequest r;
  r.method = std::string(req.method_string());
  r.target = std::string(req.target());
  r.authorization = std::string(req[http::field::authorization]);
  r.accept = std::string(req[http::field::accept]);
  r.content_type = std::string(req[http::field::content_type]);
  r.body = req.body();
  r.agent = std::string(req["X-Kefu-Agent"]);
  return r;
}

// One open event stream's wake-up state. It lives on its connection's strand and is touched only
// there; the feed's wakeup and the server's shutdown hold weak references and only post to that
// strand (shared: either may outlast the stream).
struct LiveStream {
  explicit LiveStream(const asio::any_io_executor& ex) : timer(ex) {}
  asio::steady_timer timer;  // the idle wait; cancelled to wake the stream
  bool woken = false;        // a wake arrived since the loop last drained
};

// Wakes the stream's loop. Callable from any thread (the feed's publishers): it posts to the
// stream's strand and never calls back into the feed.
void Wake(const asio::any_io_executor& ex, std::weak_ptr<LiveStream> weak) {
  asio::post(ex, [weak = std::move(weak)] {
    if (std::shared_ptr<LiveStream> live = weak.lock()) {
      live->woken = true;
      live->timer.cancel();
    }
  });
}

// One agent's WebSocket (/v1/agent/ws; docs/web.md). Touched only on its connection's strand,
// by the session's writer loop and its reader.
struct AgentSocket {
  explicit AgentSocket(beast::tcp_stream&& s) : ws(std::move(s)) {}
  websocket::stream<beast::tcp_stream> ws;
  std::shared_ptr<engine::LiveFeed::Subscription> queue;
  std::shared_ptr<engine::LiveFeed::Subscription> watched;  // null until a "watch" frame
  std::string watched_id;
  std::vector<std::string> replies;  // answers to the client's frames, sent by the writer
  bool reader_done = false;          // the client left or sent a close
};

constexpr size_t kMaxAgentFrame = 4 * 1024;
constexpr auto kAgentAuthTimeout = std::chrono::seconds(10);
// The voice socket: a binary frame of PCM may hold a few seconds (a second at 48 kHz is 96 KB).
constexpr size_t kMaxVoiceFrame = 256 * 1024;

// A WebSocket close with a code of ours (4400, 4401, 4404: a bad start) or the protocol's.
websocket::close_reason CloseReason(int code, std::string_view why) {
  return websocket::close_reason(static_cast<websocket::close_code>(code),
                                 why.substr(0, 120));  // a close reason's limit
}

// A conversation's feed event with the conversation's id added, so one socket can carry several.
std::string WithConversation(const std::string& event_json, const std::string& id) {
  if (event_json.size() < 2 || event_json.front() != '{') {
    return event_json;
  }
  return "{\"conversation_id\":" + nlohmann::json(id).dump() + "," + event_json.substr(1);
}

// A finished job's answer, delivered to the waiting coroutine on its own executor.
class Completion {
 public:
  virtual ~Completion() = default;
  virtual void Complete(HttpResponse response) = 0;
};

template <typename Handler>
class CompletionFor final : public Completion {
 public:
  explicit CompletionFor(Handler handler) : handler_(std::move(handler)) {}
  void Complete(HttpResponse response) override {
    auto ex = asio::get_associated_executor(handler_);
    asio::post(ex, [h = std::move(handler_), r = std::move(response)]() mutable {
      std::move(h)(std::move(r));
    });
  }

 private:
  Handler handler_;
};

// A completion that calls a function on the worker's thread.
class FunctionCompletion final : public Completion {
 public:
  explicit FunctionCompletion(std::function<void(HttpResponse)> f) : f_(std::move(f)) {}
  void Complete(HttpResponse response) override { f_(std::move(response)); }

 private:
  std::function<void(HttpResponse)> f_;
};

// A streaming job's answer, handed from the worker to the connection's strand.
struct StreamedJob {
  bool done = false;      // touched on the strand only
  bool readable = false;  // the client's socket became readable (it may have closed)
  HttpResponse response;
};

struct Job {
  const HttpRequest* request;
  RequestContext* ctx;
  std::unique_ptr<Completion> done;
};

// The blocking-work pool. Each worker takes every job waiting (up to max_batch) and answers
// them with one Api::HandleBatch, so turns that arrive together share one store commit.
// Thread-safe.
class WorkerPool {
 public:
  WorkerPool(Api& api, int threads, size_t max_batch)
      : api_(api), max_batch_(std::max<size_t>(max_batch, 1)) {
    for (int i = 0; i < threads; ++i) {
      threads_.emplace_back([this] {
        SetThreadName("kefu-worker");
        Run();
      });
    }
  }
  ~WorkerPool() { Join(); }

  void Push(Job job) {
    {
      std::scoped_lock lock(mutex_);
      jobs_.push_back(std::move(job));
    }
    ready_.notify_one();
  }

  // Finishes the queued jobs, then stops the threads.
  void Join() {
    {
      std::scoped_lock lock(mutex_);
      stopping_ = true;
    }
    ready_.notify_all();
    for (std::thread& t : threads_) {
      if (t.joinable()) {
        t.join();
      }
    }
  }

 private:
  void Run() {
    for (;;) {
      std::vector<Job> batch;
      {
        std::unique_lock lock(mutex_);
        ready_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
        if (jobs_.empty()) {
          return;  // stopping, nothing left
        }
        const size_t n = std::min(jobs_.size(), max_batch_);
        batch.assign(std::make_move_iterator(jobs_.begin()),
                     std::make_move_iterator(jobs_.begin() + static_cast<std::ptrdiff_t>(n)));
        jobs_.erase(jobs_.begin(), jobs_.begin() + static_cast<std::ptrdiff_t>(n));
      }
      std::vector<const HttpRequest*> requests;
      std::vector<RequestContext*> contexts;
      for (const Job& job : batch) {
        requests.push_back(job.request);
        contexts.push_back(job.ctx);
      }
      std::vector<HttpResponse> responses;
      try {
        responses = api_.HandleBatch(requests, contexts);
      } catch (const std::exception& e) {
        KEFU_LOG_ERROR("handler threw: {}", e.what());
        responses.assign(batch.size(), ErrorResponse(500, "internal", "internal error"));
      }
      for (size_t i = 0; i < batch.size(); ++i) {
        batch[i].done->Complete(std::move(responses[i]));
      }
    }
  }

  Api& api_;
  const size_t max_batch_;
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<Job> jobs_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace

struct HttpServer::Impl {
  Impl(Api& a, ServerOptions o)
      : api(a),
        options(std::move(o)),
        pool(a, options.worker_threads, static_cast<size_t>(options.max_batch)) {
    // One naming job per voice thread: each waits for all, so no thread takes two. The latch is
    // shared: a job may still be leaving arrive_and_wait() after this constructor returned.
    auto named = std::make_shared<std::latch>(voice_threads);
    for (int i = 0; i < voice_threads; ++i) {
      asio::post(voice_pool, [named] {
        SetThreadName("kefu-voice");
        named->arrive_and_wait();
      });
    }
    named->wait();
  }

  Api& api;
  ServerOptions options;
  asio::io_context ioc;
  WorkerPool pool;
  std::unique_ptr<tcp::acceptor> acceptor;
  std::unique_ptr<asio::signal_set> signals;
  std::vector<std::thread> threads;
  std::atomic<int> blocking_jobs{0};  // queued or running on the pool
  std::atomic<int> active_requests{0};
  std::atomic<int> live_streams{0};  // open event streams, for max_streams
  std::atomic<bool> draining{false};
  // The open event streams, so shutdown can wake them to end.
  struct StreamEntry {
    asio::any_io_executor executor;
    std::weak_ptr<LiveStream> stream;
    std::function<void()> stop{};  // instead of a wake: run on `executor` (a voice call)
  };
  std::mutex streams_mutex;
  std::map<uint64_t, StreamEntry> streams;  // guarded by streams_mutex
  uint64_t next_stream_id = 0;              // guarded by streams_mutex
  std::atomic<bool> stopped{false};
  int bound_port = 0;
  std::atomic<int> voice_calls{0};  // open voice sockets, for max_voice_calls
  // Recognition, turns and synthesis of voice calls: blocking, so never on the I/O threads.
  const int voice_threads = std::max(options.voice_threads, 1);
  asio::thread_pool voice_pool{static_cast<size_t>(voice_threads)};

  // Runs f() on the voice pool and resumes the calling coroutine on its own executor with the
  // result. Pass a named function object (std::move(job)), never a temporary: GCC 12 destroys a
  // temporary argument of a coroutine called inside co_await twice.
  template <typename F>
  awaitable<std::invoke_result_t<F&>> OnVoicePool(F f) {
    using R = std::invoke_result_t<F&>;
    // co_spawn's result must be default-constructible; Result<T> is not.
    auto run = [&f]() -> awaitable<std::optional<R>> { co_return f(); };
    std::optional<R> r = co_await asio::co_spawn(voice_pool, run, use_awaitable);
    co_return std::move(*r);
  }

  // Queues the request on the worker pool and resumes the calling coroutine on its own
  // executor with the answer. REQUIRES: request and ctx outlive the wait (they live in the
  // suspended coroutine's frame).
  awaitable<HttpResponse> RunOnPool(const HttpRequest& request, RequestContext& ctx) {
    auto initiate = [this, &request, &ctx](auto handler) {
      pool.Push(
          {&request, &ctx, std::make_unique<CompletionFor<decltype(handler)>>(std::move(handler))});
    };
    HttpResponse response =
        co_await asio::async_initiate<decltype(use_awaitable), void(HttpResponse)>(
            std::move(initiate), use_awaitable);
    try {
      FinishResponse(response);  // back on this connection's thread: off the worker
    } catch (const std::exception& e) {
      KEFU_LOG_ERROR("writing the response threw: {}", e.what());
      response = ErrorResponse(500, "internal", "internal error");
    }
    co_return response;
  }

  // Takes the response: its body moves into the message (a turn's answer is 3-4 KB).
  awaitable<void> WriteResponse(beast::tcp_stream& stream, HttpResponse r, unsigned version,
                                bool keep_alive, const std::string& trace_id,
                                beast::error_code& ec) {
    stream.expires_after(std::chrono::milliseconds(options.request_timeout_ms));
    if (!r.IsStream()) {
      http::response<http::string_body> res{static_cast<http::status>(r.status), version};
      res.set(http::field::server, "kefu");
      res.set(http::field::content_type, r.content_type);
      res.set("X-Trace-Id", trace_id);
      res.set(http::field::access_control_allow_origin, "*");  // see api.h: bearer tokens only
      res.set(http::field::access_control_expose_headers, "X-Trace-Id");
      for (const auto& [name, value] : r.headers) {
        res.set(name, value);
      }
      res.keep_alive(keep_alive);
      res.body() = std::move(r.body);
      res.prepare_payload();
      std::tie(ec, std::ignore) = co_await http::async_write(stream, res, kTuple);
      co_return;
    }
    co_await WriteStreamHeader(stream, version, keep_alive, trace_id, ec);
    for (const std::string& event : r.sse_events) {
      if (ec) {
        co_return;
      }
      std::tie(ec, std::ignore) =
          co_await asio::async_write(stream, http::make_chunk(asio::buffer(event)), kTuple);
    }
    if (!ec && r.live) {
      co_await StreamLive(stream, *r.live, ec);
    }
    if (!ec) {
      stream.expires_after(std::chrono::milliseconds(options.request_timeout_ms));
      std::tie(ec, std::ignore) =
          co_await asio::async_write(stream, http::make_chunk_last(), kTuple);
    }
  }

  // Runs a blocking request on the pool while carrying, as they come, the events its handler
  // pushes to request.events (a turn's reply as the model writes it). When the client leaves (a
  // write fails, or its socket closes) the channel is marked gone so the handler stops early.
  // Writes the whole response; `began` says whether it went out as an event stream.
  // REQUIRES: request.events is set.
  awaitable<void> RunStreaming(beast::tcp_stream& stream, const HttpRequest& request,
                               RequestContext& ctx, unsigned version, bool keep_alive,
                               const std::string& trace_id, beast::error_code& ec) {
    const asio::any_io_executor ex = co_await asio::this_coro::executor;
    EventChannel& channel = *request.events;
    auto live = std::make_shared<LiveStream>(ex);
    const std::weak_ptr<LiveStream> weak = live;
    auto job = std::make_shared<StreamedJob>();
    channel.SetWakeup([ex, weak] { Wake(ex, weak); });
    pool.Push(
        {&request, &ctx, std::make_unique<FunctionCompletion>([ex, weak, job](HttpResponse r) {
           asio::post(ex, [weak, job, r = std::move(r)]() mutable {
             job->response = std::move(r);
             job->done = true;
             if (std::shared_ptr<LiveStream> l = weak.lock()) {
               l->woken = true;
               l->timer.cancel();
             }
           });
         })});
    // A client that hangs up while the model writes: its socket turns readable, and a peek
    // reads end-of-stream. (Readable alone is not proof: epoll may report it spuriously.)
    auto watch = [&stream, ex, weak, job] {
      stream.socket().async_wait(
          tcp::socket::wait_read,
          asio::bind_executor(ex, [ex, weak, job](beast::error_code wait_ec) {
            if (!wait_ec) {
              job->readable = true;
              Wake(ex, weak);
            }
          }));
    };
    watch();
    bool began = false;
    for (;;) {
      live->woken = false;
      const bool done = job->done;  // every event was pushed before the job completed
      if (job->readable) {
        job->readable = false;
        char byte = 0;
        const ssize_t n =
            ::recv(stream.socket().native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
          channel.MarkGone();  // end of stream, or the connection was reset
        } else if (n < 0) {
          watch();  // nothing there after all: keep watching
        }
        // n > 0: the client already sent its next request; it is still there.
      }
      std::vector<std::string> events = channel.Drain();
      if (!events.empty() && !ec) {
        if (!began) {
          began = true;
          co_await WriteStreamHeader(stream, version, keep_alive, trace_id, ec);
        }
        for (const std::string& event : events) {
          if (ec) {
            break;
          }
          co_await WriteChunk(stream, event, ec);
        }
        if (ec) {
          channel.MarkGone();
        }
      }
      if (done) {
        break;
      }
      if (live->woken) {
        continue;
      }
      live->timer.expires_after(std::chrono::seconds(60));
      co_await live->timer.async_wait(kTuple);
    }
    channel.SetWakeup(nullptr);
    beast::error_code ignored;
    stream.socket().cancel(ignored);  // the readability wait
    if (!began) {
      co_await WriteResponse(stream, std::move(job->response), version, keep_alive, trace_id, ec);
      co_return;
    }
    // The rest of the answer as events: what the handler returned, or its error.
    const HttpResponse& r = job->response;
    std::vector<std::string> rest = r.sse_events;
    if (!r.IsStream()) {
      rest.push_back("event: error\ndata: " + r.body + "\n\n");
    }
    for (const std::string& event : rest) {
      if (ec) {
        break;
      }
      co_await WriteChunk(stream, event, ec);
    }
    if (!ec) {
      stream.expires_after(std::chrono::milliseconds(options.request_timeout_ms));
      std::tie(ec, std::ignore) =
          co_await asio::async_write(stream, http::make_chunk_last(), kTuple);
    }
  }

  awaitable<void> WriteStreamHeader(beast::tcp_stream& stream, unsigned version, bool keep_alive,
                                    const std::string& trace_id, beast::error_code& ec) {
    stream.expires_after(std::chrono::milliseconds(options.request_timeout_ms));
    http::response<http::empty_body> res{http::status::ok, version};
    res.set(http::field::server, "kefu");
    res.set(http::field::content_type, "text/event-stream; charset=utf-8");
    res.set(http::field::cache_control, "no-cache");
    res.set("X-Trace-Id", trace_id);
    res.set(http::field::access_control_allow_origin, "*");
    res.keep_alive(keep_alive);
    res.chunked(true);
    http::response_serializer<http::empty_body> sr{res};
    std::tie(ec, std::ignore) = co_await http::async_write_header(stream, sr, kTuple);
  }

  awaitable<void> WriteChunk(beast::tcp_stream& stream, std::string text, beast::error_code& ec) {
    stream.expires_after(std::chrono::milliseconds(options.request_timeout_ms));
    std::tie(ec, std::ignore) =
        co_await asio::async_write(stream, http::make_chunk(asio::buffer(text)), kTuple);
  }

  // Carries a live subscription until the client goes away (a write fails or times out), the
  // subscription overflows, or the server shuts down. Holds no thread while idle: it waits on a
  // timer that the feed's wakeup cancels, and writes a heartbeat comment when the timer expires.
  awaitable<void> StreamLive(beast::tcp_stream& stream, engine::LiveFeed::Subscription& sub,
                             beast::error_code& ec) {
    const asio::any_io_executor ex = co_await asio::this_coro::executor;
    auto live = std::make_shared<LiveStream>(ex);
    const std::weak_ptr<LiveStream> weak = live;
    sub.SetWakeup([ex, weak] { Wake(ex, weak); });
    uint64_t stream_id = 0;
    {
      std::scoped_lock lock(streams_mutex);
      stream_id = next_stream_id++;
      streams.emplace(stream_id, StreamEntry{ex, weak});
    }
    // Registered before `draining` is read: BeginShutdown sets it, then wakes every registered
    // stream, so a stream either sees the flag or gets woken.
    const auto heartbeat = std::chrono::milliseconds(std::max(options.sse_heartbeat_ms, 1));
    while (!ec && !draining.load()) {
      live->woken = false;  // wakes that arrive from here on are for events not yet drained
      std::vector<std::string> events = sub.Drain();
      if (sub.overflowed()) {
        co_await WriteChunk(stream, "event: overflow\ndata: {\"type\":\"overflow\"}\n\n", ec);
        break;
      }
      for (std::string& event : events) {
        co_await WriteChunk(stream, FormatSseEvent(event), ec);
        if (ec) {
          break;
        }
      }
      if (ec || live->woken) {
        continue;
      }
      stream.expires_never();
      live->timer.expires_after(heartbeat);
      auto [wait_ec] = co_await live->timer.async_wait(kTuple);
      if (!wait_ec && !live->woken && !draining.load()) {
        co_await WriteChunk(stream, ": ping\n\n", ec);
      }
    }
    sub.SetWakeup(nullptr);
    std::scoped_lock lock(streams_mutex);
    streams.erase(stream_id);
  }

  // The agents' WebSocket: the first frame authenticates ({"type":"auth","agent","key"}; a bad
  // one closes with 4401), then the queue's events flow, plus those of the conversation the
  // client watches. Holds no thread while idle, like StreamLive.
  awaitable<void> AgentSocketSession(beast::tcp_stream stream,
                                     http::request<http::string_body> req) {
    auto sock = std::make_shared<AgentSocket>(std::move(stream));
    websocket::stream<beast::tcp_stream>& ws = sock->ws;
    ws.read_message_max(kMaxAgentFrame);
    beast::get_lowest_layer(ws).expires_after(kAgentAuthTimeout);
    auto [ec] = co_await ws.async_accept(req, kTuple);
    if (ec) {
      co_return;
    }
    beast::flat_buffer buffer;
    std::tie(ec, std::ignore) = co_await ws.async_read(buffer, kTuple);
    if (ec) {
      co_return;
    }
    const nlohmann::json auth = nlohmann::json::parse(beast::buffers_to_string(buffer.data()),
                                                      nullptr, /*allow_exceptions=*/false);
    Status allowed =
        auth.is_object() && StringField(auth, "type") == "auth"
            ? api.AuthorizeAgentKey(StringField(auth, "agent"), StringField(auth, "key"))
            : UnauthenticatedError(
                  "the first frame must be {\"type\":\"auth\", "
                  "\"agent\": name, \"key\": key}");
    Result<std::shared_ptr<engine::LiveFeed::Subscription>> queue =
        allowed.ok() ? api.AgentFeed("")
                     : Result<std::shared_ptr<engine::LiveFeed::Subscription>>(allowed);
    if (!queue.ok()) {
      std::string why = queue.status().message().substr(0, 120);  // a close reason's limit
      co_await ws.async_close(
          websocket::close_reason(static_cast<websocket::close_code>(4401), why), kTuple);
      co_return;
    }
    if (live_streams.fetch_add(1) >= options.max_streams) {
      live_streams.fetch_sub(1);
      co_await ws.async_close(websocket::close_reason(websocket::close_code::try_again_later),
                              kTuple);
      co_return;
    }
    beast::get_lowest_layer(ws).expires_never();
    ws.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
    ws.text(true);
    sock->queue = std::move(*queue);
    const asio::any_io_executor ex = co_await asio::this_coro::executor;
    auto live = std::make_shared<LiveStream>(ex);
    const std::weak_ptr<LiveStream> weak = live;
    sock->queue->SetWakeup([ex, weak] { Wake(ex, weak); });
    uint64_t stream_id = 0;
    {
      std::scoped_lock lock(streams_mutex);
      stream_id = next_stream_id++;
      streams.emplace(stream_id, StreamEntry{ex, weak});
    }
    sock->replies.push_back(R"({"type":"ready"})");
    asio::co_spawn(ex, AgentSocketReader(sock, live), asio::detached);
    while (!ec && !sock->reader_done && !draining.load()) {
      live->woken = false;
      std::vector<std::string> out = std::move(sock->replies);
      sock->replies.clear();
      for (std::string& e : sock->queue->Drain()) {
        out.push_back(std::move(e));
      }
      bool overflow = sock->queue->overflowed();
      if (sock->watched) {
        for (const std::string& e : sock->watched->Drain()) {
          out.push_back(WithConversation(e, sock->watched_id));
        }
        overflow = overflow || sock->watched->overflowed();
      }
      if (overflow) {
        out.push_back(R"({"type":"overflow"})");  // the client re-reads, then reconnects
      }
      for (const std::string& e : out) {
        std::tie(ec, std::ignore) = co_await ws.async_write(asio::buffer(e), kTuple);
        if (ec) {
          break;
        }
      }
      if (ec || overflow) {
        break;
      }
      if (live->woken) {
        continue;
      }
      // Idle: the WebSocket's own pings find departed clients.
      live->timer.expires_after(std::chrono::hours(1));
      co_await live->timer.async_wait(kTuple);
    }
    if (!ec && !sock->reader_done) {
      co_await ws.async_close(websocket::close_code::going_away, kTuple);
    }
    sock->queue->SetWakeup(nullptr);
    if (sock->watched) {
      sock->watched->SetWakeup(nullptr);
    }
    live_streams.fetch_sub(1);
    std::scoped_lock lock(streams_mutex);
    streams.erase(stream_id);
  }

  // Reads the client's frames: {"type":"watch","conversation_id"} and {"type":"unwatch"}.
  awaitable<void> AgentSocketReader(std::shared_ptr<AgentSocket> sock,
                                    std::shared_ptr<LiveStream> live) {
    const asio::any_io_executor ex = co_await asio::this_coro::executor;
    const std::weak_ptr<LiveStream> weak = live;
    for (;;) {
      beast::flat_buffer buffer;
      auto [ec, n] = co_await sock->ws.async_read(buffer, kTuple);
      if (ec) {
        break;
      }
      const nlohmann::json msg = nlohmann::json::parse(beast::buffers_to_string(buffer.data()),
                                                       nullptr, /*allow_exceptions=*/false);
      const std::string type = msg.is_object() ? StringField(msg, "type") : "";
      if (type == "watch" || type == "unwatch") {
        if (sock->watched) {
          sock->watched->SetWakeup(nullptr);
          sock->watched.reset();
          sock->watched_id.clear();
        }
      }
      if (type == "watch") {
        const std::string id = StringField(msg, "conversation_id");
        // One indexed read of the store, on the I/O thread: rare (an agent opens a conversation).
        Result<std::shared_ptr<engine::LiveFeed::Subscription>> feed = api.AgentFeed(id);
        if (feed.ok()) {
          sock->watched = std::move(*feed);
          sock->watched_id = id;
          sock->watched->SetWakeup([ex, weak] { Wake(ex, weak); });
          sock->replies.push_back(
              nlohmann::json{{"type", "watching"}, {"conversation_id", id}}.dump());
        } else {
          sock->replies.push_back(ErrorResponse(feed.status()).body);
        }
      } else if (type != "unwatch") {
        sock->replies.push_back(
            ErrorResponse(400, "invalid_argument",
                          "send {\"type\": \"watch\", \"conversation_id\": id} or "
                          "{\"type\": \"unwatch\"}")
                .body);
      }
      live->woken = true;
      live->timer.cancel();
    }
    sock->reader_done = true;
    live->timer.cancel();
  }

  // A voice call (/v1/conversations/{id}/voice; docs/voice.md). The first frame starts it
  // ({"type":"start","token","lang","rate"}; a bad one closes with 4400, 4401 (no token, or the
  // wrong one) or 4404); then
  // every client frame goes to the call on the voice pool, one at a time, and what it returns
  // goes back in order. The call's frames are few and its replies follow its input, so one loop
  // reads, answers and writes.
  awaitable<void> VoiceSocketSession(beast::tcp_stream stream, http::request<http::string_body> req,
                                     std::string id) {
    auto ws = std::make_shared<websocket::stream<beast::tcp_stream>>(std::move(stream));
    ws->read_message_max(kMaxVoiceFrame);
    beast::get_lowest_layer(*ws).expires_after(kAgentAuthTimeout);
    auto [ec] = co_await ws->async_accept(req, kTuple);
    if (ec) {
      co_return;
    }
    if (voice_calls.fetch_add(1) >= options.max_voice_calls) {
      voice_calls.fetch_sub(1);
      co_await ws->async_close(
          CloseReason(websocket::close_code::try_again_later, "too many voice calls, retry later"),
          kTuple);
      co_return;
    }
    const asio::any_io_executor ex = co_await asio::this_coro::executor;
    uint64_t stream_id = 0;
    {
      // Shutdown cancels the socket's reads and writes; the loop below then ends.
      std::weak_ptr<websocket::stream<beast::tcp_stream>> weak = ws;
      std::scoped_lock lock(streams_mutex);
      stream_id = next_stream_id++;
      streams.emplace(stream_id, StreamEntry{ex, {}, [weak] {
                                               if (auto w = weak.lock()) {
                                                 beast::get_lowest_layer(*w).cancel();
                                               }
                                             }});
    }
    beast::flat_buffer buffer;
    std::tie(ec, std::ignore) = co_await ws->async_read(buffer, kTuple);
    std::shared_ptr<VoiceCall> call;
    if (!ec && !ws->got_text()) {
      co_await ws->async_close(CloseReason(4400, "the first frame must be the JSON start frame"),
                               kTuple);
    } else if (!ec) {
      std::string first = beast::buffers_to_string(buffer.data());
      auto start = [this, &id, &first] { return api.StartVoiceCall(id, first); };
      Result<std::unique_ptr<VoiceCall>> started = co_await OnVoicePool(std::move(start));
      if (!started.ok()) {
        const StatusCode code = started.status().code();
        const int close_code =
            code == StatusCode::kUnauthenticated || code == StatusCode::kPermissionDenied ? 4401
            : code == StatusCode::kNotFound                                               ? 4404
                                                                                          : 4400;
        co_await ws->async_close(CloseReason(close_code, started.status().message()), kTuple);
      } else {
        call = std::move(*started);
      }
    }
    if (call != nullptr) {
      beast::get_lowest_layer(*ws).expires_never();
      ws->set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
      auto open = [&call] { return call->Open(); };
      std::vector<VoiceFrame> out = co_await OnVoicePool(std::move(open));
      while (!ec && !draining.load()) {
        for (const VoiceFrame& frame : out) {
          ws->binary(frame.binary);
          std::tie(ec, std::ignore) = co_await ws->async_write(asio::buffer(frame.data), kTuple);
          if (ec) {
            break;
          }
        }
        if (ec || call->finished()) {
          break;
        }
        buffer.consume(buffer.size());
        std::tie(ec, std::ignore) = co_await ws->async_read(buffer, kTuple);
        if (ec) {
          break;
        }
        const bool binary = !ws->got_text();
        std::string data = beast::buffers_to_string(buffer.data());
        auto answer = [&call, binary, &data] {
          return binary ? call->Audio(data) : call->Control(data);
        };
        out = co_await OnVoicePool(std::move(answer));
      }
      if (!ec) {
        co_await ws->async_close(
            call->finished() ? websocket::close_code::normal : websocket::close_code::going_away,
            kTuple);
      }
    }
    voice_calls.fetch_sub(1);
    std::scoped_lock lock(streams_mutex);
    streams.erase(stream_id);
  }

  awaitable<void> Session(tcp::socket socket) {
    beast::tcp_stream stream(std::move(socket));
    beast::flat_buffer buffer;
    for (;;) {
      http::request_parser<http::string_body> parser;
      parser.header_limit(static_cast<uint32_t>(options.max_header_bytes));
      stream.expires_after(std::chrono::milliseconds(options.request_timeout_ms));
      // The header first: the body limit depends on the route (knowledge-base uploads are
      // larger than chat messages).
      auto [ec, n] = co_await http::async_read_header(stream, buffer, parser, kTuple);
      size_t body_limit = static_cast<size_t>(options.max_body_bytes);
      if (!ec) {
        const auto& head = parser.get();
        body_limit = api.BodyLimit(
            std::string_view(head.method_string().data(), head.method_string().size()),
            std::string_view(head.target().data(), head.target().size()));
        parser.body_limit(static_cast<uint64_t>(body_limit));
        std::tie(ec, n) = co_await http::async_read(stream, buffer, parser, kTuple);
      }
      if (ec == http::error::end_of_stream || ec == asio::error::eof ||
          ec == beast::error::timeout || ec == asio::error::connection_reset ||
          ec == asio::error::operation_aborted) {
        break;
      }
      const std::string trace_id = engine::NewTraceId();
      if (ec) {
        // Malformed or oversized: answer once, then close (the stream is out of sync).
        HttpResponse r =
            ec == http::error::body_limit
                ? ErrorResponse(413, "payload_too_large",
                                "body exceeds " + std::to_string(body_limit) + " bytes")
            : ec == http::error::header_limit
                ? ErrorResponse(431, "headers_too_large", "request headers too large")
                : ErrorResponse(400, "bad_request", "malformed HTTP request");
        beast::error_code wec;
        co_await WriteResponse(stream, std::move(r), 11, false, trace_id, wec);
        break;
      }
      if (websocket::is_upgrade(parser.get())) {
        const std::string_view target(parser.get().target().data(), parser.get().target().size());
        if (target.substr(0, target.find('?')) == Api::kAgentSocketPath && !draining.load()) {
          co_await AgentSocketSession(std::move(stream), parser.release());
          co_return;
        }
        if (std::string id = Api::VoiceSocketId(target); !id.empty() && !draining.load()) {
          co_await VoiceSocketSession(std::move(stream), parser.release(), std::move(id));
          co_return;
        }
      }
      active_requests.fetch_add(1);
      const http::request<http::string_body>& req = parser.get();
      const bool keep_alive = req.keep_alive() && !draining.load();
      HttpRequest api_request = ToApiRequest(req);
      RequestContext ctx(trace_id, std::chrono::steady_clock::now() +
                                       std::chrono::milliseconds(options.turn_deadline_ms));
      HttpResponse response;
      const bool turn_stream = api_request.method == "POST" &&
                               api_request.accept.find("text/event-stream") != std::string::npos;
      if (api.Classify(api_request) == RouteKind::kInline) {
        response = api.Handle(api_request, ctx);
      } else if (blocking_jobs.fetch_add(1) >= options.queue_limit) {
        blocking_jobs.fetch_sub(1);
        response = ErrorResponse(503, "unavailable", "server is busy, retry shortly");
      } else if (turn_stream) {
        // A turn whose reply streams while it is written: answered in full here.
        api.ReadAhead(api_request, ctx);
        api_request.events = std::make_shared<EventChannel>();
        beast::error_code wec;
        co_await RunStreaming(stream, api_request, ctx, req.version(), keep_alive, trace_id, wec);
        blocking_jobs.fetch_sub(1);
        active_requests.fetch_sub(1);
        if (wec || !keep_alive || api_request.events->gone()) {
          break;
        }
        continue;
      } else {
        // The message's own stages run here, in parallel with the store worker's turns.
        api.ReadAhead(api_request, ctx);
        response = co_await RunOnPool(api_request, ctx);
        blocking_jobs.fetch_sub(1);
      }
      bool holds_stream_slot = false;
      if (response.live) {
        if (live_streams.fetch_add(1) >= options.max_streams) {
          live_streams.fetch_sub(1);
          response = ErrorResponse(503, "unavailable", "too many open event streams, retry later");
        } else {
          holds_stream_slot = true;
        }
      }
      // A live stream ends the connection: the client is not read while it runs.
      const bool keep_connection = keep_alive && !response.live;
      beast::error_code wec;
      co_await WriteResponse(stream, std::move(response), req.version(), keep_connection, trace_id,
                             wec);
      if (holds_stream_slot) {
        live_streams.fetch_sub(1);
      }
      active_requests.fetch_sub(1);
      if (wec || !keep_connection) {
        break;
      }
    }
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  }

  awaitable<void> Accept() {
    for (;;) {
      auto [ec, socket] = co_await acceptor->async_accept(kTuple);
      if (ec) {
        if (ec == asio::error::operation_aborted || !acceptor->is_open()) {
          co_return;
        }
        KEFU_LOG_WARN("accept failed: {}", ec.message());
        continue;
      }
      socket.set_option(tcp::no_delay(true), ec);
      asio::co_spawn(asio::make_strand(ioc), Session(std::move(socket)), asio::detached);
    }
  }

  awaitable<void> Drain() {
    asio::steady_timer timer(ioc);
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(options.shutdown_grace_ms);
    while (active_requests.load() > 0 && std::chrono::steady_clock::now() < deadline) {
      timer.expires_after(std::chrono::milliseconds(10));
      co_await timer.async_wait(kTuple);
    }
    if (active_requests.load() > 0) {
      KEFU_LOG_WARN("shutdown: {} request(s) still running after the grace period",
                    active_requests.load());
    }
    ioc.stop();
  }

  void BeginShutdown() {
    if (draining.exchange(true)) {
      return;
    }
    KEFU_LOG_INFO("shutting down: finishing in-flight requests");
    beast::error_code ec;
    if (acceptor) {
      acceptor->close(ec);
    }
    if (signals) {
      signals->cancel(ec);
    }
    {
      // Event streams never finish by themselves: wake them so they see `draining` and end.
      std::scoped_lock lock(streams_mutex);
      for (const auto& [id, entry] : streams) {
        if (entry.stop) {
          asio::post(entry.executor, entry.stop);
        } else {
          Wake(entry.executor, entry.stream);
        }
      }
    }
    asio::co_spawn(ioc, Drain(), asio::detached);
  }
};

HttpServer::HttpServer(Api& api, ServerOptions options)
    : impl_(std::make_unique<Impl>(api, std::move(options))) {}

HttpServer::~HttpServer() {
  Shutdown();
  Wait();
  impl_->pool.Join();
}

Status HttpServer::Start() {
  Impl& s = *impl_;
  beast::error_code ec;
  tcp::resolver resolver(s.ioc);
  auto results =
      resolver.resolve(s.options.host, std::to_string(s.options.port), tcp::resolver::passive, ec);
  if (ec || results.empty()) {
    return InvalidArgumentError("cannot resolve host '" + s.options.host + "': " + ec.message());
  }
  const tcp::endpoint endpoint = results.begin()->endpoint();
  s.acceptor = std::make_unique<tcp::acceptor>(s.ioc);
  s.acceptor->open(endpoint.protocol(), ec);
  if (!ec) {
    s.acceptor->set_option(asio::socket_base::reuse_address(true), ec);
  }
  if (!ec) {
    s.acceptor->bind(endpoint, ec);
  }
  if (!ec) {
    s.acceptor->listen(asio::socket_base::max_listen_connections, ec);
  }
  if (ec) {
    return UnavailableError("cannot listen on " + s.options.host + ":" +
                            std::to_string(s.options.port) + ": " + ec.message());
  }
  s.bound_port = s.acceptor->local_endpoint().port();
  asio::co_spawn(s.ioc, s.Accept(), asio::detached);
  for (int i = 0; i < s.options.io_threads; ++i) {
    s.threads.emplace_back([&s] {
      SetThreadName("kefu-io");
      s.ioc.run();
    });
  }
  return OkStatus();
}

int HttpServer::port() const {
  return impl_->bound_port;
}

void HttpServer::Shutdown() {
  Impl& s = *impl_;
  if (s.threads.empty()) {
    return;
  }
  asio::post(s.ioc, [&s] { s.BeginShutdown(); });
}

void HttpServer::StopOnSignals() {
  Impl& s = *impl_;
  s.signals = std::make_unique<asio::signal_set>(s.ioc, SIGINT, SIGTERM);
  s.signals->async_wait([&s](const beast::error_code& ec, int signo) {
    if (!ec) {
      KEFU_LOG_INFO("received signal {}", signo);
      s.BeginShutdown();
    }
  });
}

void HttpServer::Wait() {
  for (std::thread& t : impl_->threads) {
    if (t.joinable()) {
      t.join();
    }
  }
}

}  // namespace kefu::server
