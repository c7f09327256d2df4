// HttpServer: carries Api over HTTP/1.1 with Boost.Beast (C++20 coroutines). Open connections
// and streams hold no thread; blocking handlers run on a bounded worker pool, and a full pool
// answers 503 instead of queueing without end. Live event streams (HttpResponse::live) stay open
// on their connection's executor, woken by the feed, with a heartbeat comment while idle; at most
// max_streams are open at once (more get 503). SIGTERM (after StopOnSignals()) stops accepting,
// ends the event streams, finishes in-flight requests, then stops.
//
//   HttpServer server(api, {.host = "127.0.0.1", .port = 0});
//   KEFU_RETURN_IF_ERROR(server.Start());
//   std::cout << "http://127.0.0.1:" << server.port() << "\n";
//   server.StopOnSignals();
//   server.Wait();
#pragma once

#include <memory>
#include <string>

#include "core/status.h"
#include "server/api.h"

namespace kefu::server {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 8080;  // 0 picks a free port; see port()
  int io_threads = 2;
  int worker_threads = 1;
  // Requests one worker answers together (turns among them share one store commit); the
  // config's server.max_batch. With a language model a turn waits seconds on it, so serve.cc
  // runs one request per worker then.
  int max_batch = 32;
  int queue_limit = 256;  // blocking requests queued or running; more get 503
  int max_body_bytes = 16 * 1024;
  int max_header_bytes = 8 * 1024;
  int request_timeout_ms = 15'000;  // to read one request, and to write one response
  int shutdown_grace_ms = 10'000;
  int turn_deadline_ms = 5'000;
  int max_streams = 1024;         // live event streams open at once; more get 503
  int sse_heartbeat_ms = 15'000;  // `: ping` on an idle event stream (finds departed clients)
  int max_voice_calls = 8;        // voice sockets open at once; more are closed with 1013
  int voice_threads = 2;          // threads recognising, answering and speaking for voice calls
};

// Thread-safe: Shutdown() may be called from any thread.
class HttpServer {
 public:
  HttpServer(Api& api, ServerOptions options);
  ~HttpServer();  // shuts down and joins
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and starts serving. kInvalidArgument for a bad host, kUnavailable when the port is
  // taken.
  Status Start();
  // The bound port (useful with port 0). REQUIRES: Start() succeeded.
  int port() const;
  // Stops accepting, ends open event streams, lets in-flight requests finish (up to
  // shutdown_grace_ms), then stops.
  void Shutdown();
  // SIGINT and SIGTERM call Shutdown().
  void StopOnSignals();
  // Blocks until the server has stopped.
  void Wait();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kefu::server
