// server/: the HTTP API. Handlers are plain functions from an HttpRequest to an HttpResponse,
// independent of the network library; http_server.cc carries them over Boost.Beast.
//
//   Api api(engine, {.max_body_bytes = 16384});
//   HttpResponse r = api.Handle(request, ctx);   // blocking: call on a worker thread
//
// Endpoints:
//   POST /v1/conversations                   {"channel"?, "customer_token"?} (body optional)
//                                            -> 201 {conversation_id, token}
//   POST /v1/conversations/{id}/messages     {"text": ...} -> 200 reply JSON (with "silent":
//                                            true and an empty reply while an agent holds the
//                                            conversation), or SSE when the request sends
//                                            Accept: text/event-stream: `start`, then
//                                            `delta` {"text"} as the reply is written (with a
//                                            model: each sentence once the grounding guard
//                                            passed it), `reset` {} when what was sent is
//                                            withdrawn (the reply starts again), then `done`
//                                            with the reply JSON, or `error` {"error"} when the
//                                            turn failed after it began streaming
//   GET  /v1/conversations/{id}/messages     ?after=ID&limit=N -> {messages: [...]}
//   GET  /v1/conversations/{id}/events       -> SSE: the conversation's live feed
//   POST /v1/conversations/{id}/audio?lang=en|zh  a WAV body -> the reply JSON plus
//                                            "transcript" {text, confidence, engine, grammar}
//                                            and "audio" {format: "wav", rate, base64}
//   GET  /v1/conversations/{id}/voice        WebSocket: a voice call; PCM frames in, partial
//                                            transcripts, replies and their WAVs out
//                                            (docs/voice.md)
//   GET  /v1/agent/queue                     -> {queue: [ticket...]}
//   GET  /v1/agent/conversations/{id}        -> {ticket|null, state, customer|null, order|null,
//                                            messages (last 50, with each reply's trace)}
//   POST /v1/agent/conversations/{id}/claim | /release | /close -> 200 {ticket}
//   POST /v1/agent/conversations/{id}/messages {"text": ...} -> 201 {message}
//   GET  /v1/agent/events[?conversation=ID]  -> SSE: that conversation's feed, or the queue's
//   POST   /v1/kb/documents                  {"name": "returns.md", "content": "...",
//                                            "category"?, "lang"?, "tags"?} -> 201 import report
//   GET    /v1/kb/documents                  -> {documents: [...]}
//   DELETE /v1/kb/documents/{id}             (id URL-encoded) -> 204
//   GET    /v1/kb/search?q=...&k=5&lang=&category=&mode=hybrid|bm25|vector -> {hits: [...]}
//   GET  /v1/agent/conversations/{id}/suggestions -> {suggestions: [{source, title, text}]}
//   GET  /v1/agent/ws                        WebSocket: the queue's and a watched conversation's
//                                            live events (docs/web.md)
//   GET  /v1/admin/stats?days=14             -> the dashboard's figures (admin key)
//   GET  /healthz; GET /, /agent, /admin, /assets/* (the web pages built from web/)
// Conversation endpoints need `Authorization: Bearer <token>`; /v1/agent/* needs
// `Authorization: Bearer <server.agent_key>` and `X-Kefu-Agent: <name>` (1-64 of
// [A-Za-z0-9_.@-]); /v1/kb/* and /v1/admin/* need `Authorization: Bearer <kb.admin_key>`. Either
// answers 403 while its key is not configured. Errors are {"error": {"code": "...", "message":
// "..."}} with the status from status_mapping.h (the agent actions answer 409, not 400, for
// kFailedPrecondition: another agent holds the conversation).
//
// Any origin may call the API (every answer has Access-Control-Allow-Origin: *, and OPTIONS
// answers a browser's preflight): it authenticates with bearer tokens, never cookies, so a page on
// another site gains nothing a script with the token could not do anyway. This is what lets a
// shop embed the chat widget on its own domain.
//
// Event streams (SSE) send `event: ready` once subscribed, then one `event: <type>` per feed
// event (message, handoff, queue; `data:` is the engine's JSON), `: ping` comments while idle, and
// `event: overflow` before they end when the client fell behind (re-read the history then).
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/request_context.h"
#include "core/result.h"
#include "core/status.h"
#include "engine/engine.h"
#include "speech/speech.h"

namespace kefu::server {

// The events of a response that streams while its handler still runs: a turn's reply as the
// model writes it. The handler's thread pushes formatted SSE events; the transport writes them as
// they come, and marks the channel gone when the client leaves (the handler then stops the
// generation). Thread-safe.
class EventChannel {
 public:
  // Queues one formatted event ("event: delta\ndata: {...}\n\n") and calls the wakeup.
  void Push(std::string sse_event);
  // The events pushed since the last call, in order.
  std::vector<std::string> Drain();
  // Something was pushed: the response has begun as an event stream, whatever the handler
  // returns later.
  bool began() const;
  // Called (on the pushing thread) after each Push; null to stop.
  void SetWakeup(std::function<void()> wakeup);
  void MarkGone() { gone_.store(true); }
  bool gone() const { return gone_.load(); }

 private:
  mutable std::mutex mutex_;
  std::vector<std::string> events_;  // guarded by mutex_
  bool began_ = false;               // guarded by mutex_
  std::function<void()> wakeup_;     // guarded by mutex_
  std::atomic<bool> gone_{false};
};

struct HttpRequest {
  std::string method;  // "GET"
  std::string target;  // "/v1/conversations/c_1/messages?after=3"
  std::string authorization;
  std::string accept;
  std::string content_type;
  std::string body;
  std::string agent{};  // the X-Kefu-Agent header: which human agent is calling
  // Set by the transport for a POST that accepts text/event-stream: a turn streams its reply
  // here as it is written; the final HttpResponse's sse_events then carry only what is left.
  std::shared_ptr<EventChannel> events{};
  // Set by Api::ReadAhead for a message POST: the message already read by the engine's first
  // stages, so the store worker skips them and does not parse the body again.
  std::shared_ptr<const engine::ReadMessage> read{};
  std::string token_sha256{};  // set with `read`: the bearer token's, for TurnInput::token_sha256
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // beyond the ones every answer has
  // Set for a successful streaming turn: the transport writes these as SSE events.
  std::vector<std::string> sse_events;
  // Set for a live event stream: after `sse_events` the transport keeps the response open and
  // writes each event the subscription receives (FormatSseEvent) until the client goes away,
  // the subscription overflows or the server shuts down. Shared: the transport holds it while
  // the stream is open, and the feed's publishers may still wake it.
  std::shared_ptr<engine::LiveFeed::Subscription> live;
  // Set by Api::HandleBatch for a turn answered in one piece (not as a stream): writes this
  // response from the turn's result. The transport runs it on the connection's I/O thread, so
  // the store worker, which every turn passes through, does not write the reply's JSON. A caller
  // of HandleBatch without such a thread runs it itself (FinishResponse).
  std::function<void(HttpResponse&)> finish{};
  bool IsStream() const { return !sse_events.empty() || live != nullptr; }
};

// How the transport must run a request.
enum class RouteKind {
  kInline,    // cheap and non-blocking: answer on the I/O thread (healthz, page, 404, 405)
  kBlocking,  // touches the store or the engine: run on the worker pool. Event streams are
              // blocking too: the worker authorizes and subscribes, then the transport carries
              // the stream on the connection's I/O executor without holding a thread
};

// Speech for voice turns (voice_api.cc). Not owned; any may be null: without a synthesiser and
// a recogniser the audio endpoint answers 404.
struct VoiceServices {
  speech::AsrEngine* asr_en = nullptr;      // pocketsphinx with the domain language model
  speech::AsrEngine* asr_remote = nullptr;  // an OpenAI-compatible transcription server
  speech::TtsEngine* tts = nullptr;
  speech::AudioLimits limits{};
};

// One frame for the voice socket to send: JSON text, or binary (a reply's WAV).
struct VoiceFrame {
  bool binary = false;
  std::string data;
};

// A streaming voice call on /v1/conversations/{id}/voice (voice_api.cc; protocol in
// docs/voice.md), carried by http_server.cc. The transport hands it the client's frames in order
// and sends what each call returns, in order. Its calls block (recognition, the turn, synthesis):
// run them off the I/O threads, one at a time per call.
class VoiceCall {
 public:
  virtual ~VoiceCall() = default;
  // The frames that open the call ({"type":"ready"}).
  virtual std::vector<VoiceFrame> Open() = 0;
  // A binary frame: little-endian s16 mono PCM at the rate the start frame named.
  virtual std::vector<VoiceFrame> Audio(std::string_view pcm) = 0;
  // A text frame: {"type":"end"} (the utterance is over: answer now) or {"type":"hangup"}.
  virtual std::vector<VoiceFrame> Control(std::string_view text) = 0;
  // The call is over (hung up, or over its length limit): send what was returned, then close.
  virtual bool finished() const = 0;
};

struct ApiOptions {
  int max_body_bytes = 16 * 1024;
  int max_audio_bytes = 12 * 1024 * 1024;  // body limit of POST .../audio (a minute at 44.1 kHz)
  int turn_deadline_ms = 5'000;
  int history_page_limit = 200;
  int max_upload_bytes = 20 * 1024 * 1024;  // body limit of POST /v1/kb/documents
  std::string admin_key{};                  // empty: the /v1/kb/* endpoints are disabled
  std::string agent_key{};                  // empty: the /v1/agent/* endpoints are disabled
};

// Thread-safe: one instance serves all requests.
class Api {
 public:
  // `kb` may be null: /v1/kb/* then answers 404.
  Api(engine::Engine& engine, ApiOptions options, kb::KnowledgeBase* kb = nullptr)
      : engine_(engine), options_(std::move(options)), kb_(kb) {}
  Api(const Api&) = delete;
  Api& operator=(const Api&) = delete;

  RouteKind Classify(const HttpRequest& request) const;

  // The agents' WebSocket (/v1/agent/ws, carried by http_server.cc): the check of the key its
  // first frame sends, and the feeds it follows: the queue (empty id) or one conversation
  // (kNotFound when unknown; reads the store, so call it off the hot I/O path when you can).
  static constexpr std::string_view kAgentSocketPath = "/v1/agent/ws";
  Status AuthorizeAgentKey(std::string_view agent, std::string_view key) const;
  Result<std::shared_ptr<engine::LiveFeed::Subscription>> AgentFeed(
      const std::string& conversation_id);
  // For a message POST, runs the engine's message stages (Engine::Read) and keeps the result in
  // request.read; anything else is left alone. CPU only, no store: the transport calls it on its
  // own thread before queueing the request for a worker.
  void ReadAhead(HttpRequest& request, RequestContext& ctx) const;
  // Answers the request. For kBlocking routes, call off the I/O threads.
  HttpResponse Handle(const HttpRequest& request, RequestContext& ctx);

  // Answers several requests at once; the turns among them run as one engine batch (one store
  // commit). responses[i] answers requests[i]. Blocking: call off the I/O threads.
  std::vector<HttpResponse> HandleBatch(std::span<const HttpRequest* const> requests,
                                        std::span<RequestContext* const> contexts);

  const ApiOptions& options() const { return options_; }
  void SetVoice(VoiceServices voice) { voice_ = voice; }

  // The voice socket (/v1/conversations/{id}/voice): the conversation id of a path that is one
  // (empty otherwise), and a call from the client's first frame ({"type":"start","token",
  // "lang","rate"}). kUnauthenticated for a bad token, kInvalidArgument for a bad frame,
  // kNotFound when voice is off or the conversation is unknown. Blocking (reads the store).
  static std::string VoiceSocketId(std::string_view target);
  Result<std::unique_ptr<VoiceCall>> StartVoiceCall(const std::string& id,
                                                    std::string_view start_frame);

  // The body limit for a request to `target` (uploads to the knowledge base may be larger).
  size_t BodyLimit(std::string_view method, std::string_view target) const;

 private:
  HttpResponse CreateConversation(const HttpRequest& request);
  HttpResponse PostMessage(const HttpRequest& request, const std::string& id, RequestContext& ctx);
  std::optional<HttpResponse> RejectOversize(const HttpRequest& request) const;
  Result<engine::TurnInput> ParseTurn(const HttpRequest& request, const std::string& id) const;
  HttpResponse TurnResponse(const HttpRequest& request, const Result<engine::TurnResult>& turn,
                            const RequestContext& ctx) const;
  HttpResponse ListMessages(const HttpRequest& request, const std::string& id);
  Status Authorize(const HttpRequest& request, const std::string& id);
  static Result<std::string> BearerToken(const HttpRequest& request);

  // Live feeds and the human agents' endpoints (agent_api.cc).
  HttpResponse ConversationEvents(const HttpRequest& request, const std::string& id);
  HttpResponse HandleAgent(const HttpRequest& request, const std::string& path,
                           const std::map<std::string, std::string>& query);
  Status AuthorizeAgent(const HttpRequest& request) const;
  HttpResponse AgentQueue();
  HttpResponse AgentConversation(const std::string& id);
  HttpResponse AgentAction(const HttpRequest& request, const std::string& id,
                           const std::string& action);
  HttpResponse AgentMessage(const HttpRequest& request, const std::string& id);
  HttpResponse AgentEvents(const std::map<std::string, std::string>& query);
  HttpResponse AgentSuggestions(const std::string& id);
  HttpResponse LiveStream(const std::string& channel);

  // Knowledge-base administration (kb_api.cc).
  HttpResponse HandleKb(const HttpRequest& request, const std::string& path,
                        const std::map<std::string, std::string>& query);
  Status AuthorizeAdmin(const HttpRequest& request) const;
  HttpResponse KbImport(const HttpRequest& request);
  HttpResponse KbList();
  HttpResponse KbDelete(const std::string& encoded_id);
  HttpResponse KbSearch(const std::map<std::string, std::string>& query);

  // Voice turns (voice_api.cc).
  HttpResponse PostAudio(const HttpRequest& request, const std::string& id,
                         const std::map<std::string, std::string>& query, RequestContext& ctx);
  // The recogniser for `lang` (pocketsphinx for en when it is there, else the transcription
  // server); kInvalidArgument when there is none.
  Result<speech::AsrEngine*> Recogniser(const std::string& lang) const;
  // The grammar the local recogniser should use for the conversation's next answer.
  Result<std::string> VoiceGrammar(speech::AsrEngine* asr, const std::string& id);
  struct VoiceAnswer {
    std::string body;  // a JSON object: the turn body (TurnBody) plus "transcript"
    std::string wav;   // the reply spoken; empty when there is no reply or synthesis failed
    int rate = 0;      // the WAV's sample rate
  };
  // Runs the turn for what was heard and speaks the reply.
  Result<VoiceAnswer> AnswerVoice(const std::string& id, const std::string& token,
                                  const std::string& lang, speech::AsrEngine* asr,
                                  const std::string& grammar, const speech::Transcript& heard,
                                  RequestContext& ctx);
  friend class SocketVoiceCall;

  // The operator's dashboard (admin_api.cc).
  HttpResponse HandleAdmin(const HttpRequest& request, const std::string& path,
                           const std::map<std::string, std::string>& query);

  engine::Engine& engine_;
  ApiOptions options_;
  kb::KnowledgeBase* kb_;
  VoiceServices voice_;
};

// {"error": {"code": "not_found", "message": "..."}} with the mapped HTTP status.
HttpResponse ErrorResponse(const Status& status);
HttpResponse ErrorResponse(int http_status, std::string_view code, std::string_view message);

// Runs response.finish when it is set, and clears it (HttpResponse::finish).
void FinishResponse(HttpResponse& response);

// Splits a reply into the pieces streamed as `delta` events (a few characters at a time,
// never splitting a UTF-8 sequence).
std::vector<std::string> SplitForStreaming(const std::string& text, size_t chars_per_piece);

// One live-feed event as an SSE event: `event: <its "type" field>\ndata: <json>\n\n`.
std::string FormatSseEvent(const std::string& event_json);

}  // namespace kefu::server
