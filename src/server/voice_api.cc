// Voice turns. POST /v1/conversations/{id}/audio takes a WAV, recognises it, runs the turn like a
// typed one (with the recognition in the trace), and answers with the transcript, the reply and
// the reply spoken as a WAV (base64 in the JSON). The voice socket (/v1/conversations/{id}/voice,
// SocketVoiceCall) does the same for a live call: PCM frames in, voice activity detection cuts
// them into utterances, partial transcripts go out while the shopper speaks, and each utterance
// gets its reply and the reply's WAV (docs/voice.md).
#include <algorithm>
#include <deque>

#include <nlohmann/json.hpp>

#include "core/logging.h"
#include "server/api.h"
#include "server/api_internal.h"

namespace kefu::server {
namespace {

using nlohmann::json;

std::string Base64(std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const uint32_t v = (static_cast<uint8_t>(bytes[i]) << 16) |
                       (static_cast<uint8_t>(bytes[i + 1]) << 8) |
                       static_cast<uint8_t>(bytes[i + 2]);
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (i < bytes.size()) {
    uint32_t v = static_cast<uint8_t>(bytes[i]) << 16;
    if (i + 1 < bytes.size()) {
      v |= static_cast<uint8_t>(bytes[i + 1]) << 8;
    }
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += i + 1 < bytes.size() ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

VoiceFrame Text(const json& j) {
  return {false, j.dump()};
}

VoiceFrame ErrorFrame(const Status& status) {
  // The same {"error": {...}} body as the HTTP answers, with a type like every frame.
  json body = json::parse(ErrorResponse(status).body, nullptr, /*allow_exceptions=*/false);
  if (!body.is_object()) {
    body = json::object();
  }
  body["type"] = "error";
  return Text(body);
}

// Limits of a call. An utterance longer than the audio limit is cut there and answered (a
// shopper who never pauses still gets an answer); a call longer than kMaxCallSeconds of audio
// ends.
constexpr double kMaxCallSeconds = 30 * 60;
constexpr int kMinRate = 8'000;
constexpr int kMaxRate = 48'000;
// Audio kept from before the detector's start of speech, so the first sound of the first word
// (which the detector needs a few frames to be sure of) reaches the recogniser.
constexpr size_t kPrerollSamples = speech::kAsrRate * 3 / 10;  // 300 ms
constexpr size_t kVadFrameSamples = speech::kAsrRate / 50;     // 20 ms, VadOptions::frame_ms

}  // namespace

// A call on the voice socket. Between utterances it listens: the detector waits for speech while
// the last 300 ms are kept. At the start of speech it opens a recognition stream (or, for an
// engine that cannot stream, a buffer), feeds it, and sends each new partial transcript. At the
// end of speech (600 ms of silence), or when the client sends {"type":"end"}, it finishes the
// recognition, runs the turn and sends the transcript, the reply and the reply's WAV; then it
// listens again, with the grammar the conversation's next answer needs.
class SocketVoiceCall final : public VoiceCall {
 public:
  SocketVoiceCall(Api& api, std::string id, std::string token, std::string lang, int rate,
                  speech::AsrEngine* asr)
      : api_(api),
        id_(std::move(id)),
        token_(std::move(token)),
        lang_(std::move(lang)),
        rate_(rate),
        asr_(asr) {}

  std::vector<VoiceFrame> Open() override {
    std::vector<VoiceFrame> out;
    Listen(out);
    return out;
  }

  std::vector<VoiceFrame> Audio(std::string_view bytes) override {
    std::vector<VoiceFrame> out;
    if (finished_) {
      return out;
    }
    if (bytes.size() % 2 != 0) {
      out.push_back(
          ErrorFrame(InvalidArgumentError("an audio frame holds whole 16-bit samples; got " +
                                          std::to_string(bytes.size()) + " bytes")));
      return out;
    }
    Result<std::vector<int16_t>> pcm =
        speech::DecodeRawPcm(bytes, rate_, /*channels=*/1, api_.voice_.limits);
    if (!pcm.ok()) {
      out.push_back(ErrorFrame(pcm.status()));
      return out;
    }
    call_samples_ += pcm->size();
    if (static_cast<double>(call_samples_) / speech::kAsrRate > kMaxCallSeconds) {
      out.push_back(ErrorFrame(
          OutOfRangeError("the call is longer than " +
                          std::to_string(static_cast<int>(kMaxCallSeconds / 60)) + " minutes")));
      finished_ = true;
      return out;
    }
    // The detector in 20 ms steps, so that its events fall between known samples.
    std::span<const int16_t> rest(*pcm);
    while (!rest.empty() && !finished_) {
      const std::span<const int16_t> piece = rest.first(std::min(rest.size(), kVadFrameSamples));
      rest = rest.subspan(piece.size());
      Step(piece, out);
    }
    SendPartial(out);
    return out;
  }

  std::vector<VoiceFrame> Control(std::string_view text) override {
    std::vector<VoiceFrame> out;
    const json msg = json::parse(text, nullptr, /*allow_exceptions=*/false);
    const std::string type = msg.is_object() ? StringField(msg, "type") : "";
    if (type == "end") {
      if (in_utterance_) {
        EndUtterance(out);
      }
    } else if (type == "hangup") {
      finished_ = true;
    } else {
      out.push_back(ErrorFrame(InvalidArgumentError(
          "send binary PCM frames, {\"type\": \"end\"} or {\"type\": \"hangup\"}")));
    }
    return out;
  }

  bool finished() const override { return finished_; }

 private:
  // One detector step (at most 20 ms of audio).
  void Step(std::span<const int16_t> piece, std::vector<VoiceFrame>& out) {
    const std::vector<speech::Vad::Event> events = vad_.Feed(piece);
    const bool starts =
        std::find(events.begin(), events.end(), speech::Vad::Event::kSpeechStart) != events.end();
    const bool ends =
        std::find(events.begin(), events.end(), speech::Vad::Event::kSpeechEnd) != events.end();
    if (!in_utterance_) {
      preroll_.insert(preroll_.end(), piece.begin(), piece.end());
      if (preroll_.size() > kPrerollSamples) {
        preroll_.erase(preroll_.begin(), preroll_.begin() + static_cast<std::ptrdiff_t>(
                                                                preroll_.size() - kPrerollSamples));
      }
      if (starts) {
        BeginUtterance(out);
      }
      return;
    }
    Feed(piece, out);
    const double seconds = static_cast<double>(utterance_samples_) / speech::kAsrRate;
    if (in_utterance_ && (ends || seconds >= api_.voice_.limits.max_seconds)) {
      EndUtterance(out);
    }
  }

  void BeginUtterance(std::vector<VoiceFrame>& out) {
    in_utterance_ = true;
    utterance_samples_ = 0;
    buffered_.clear();
    last_partial_.clear();
    stream_.reset();
    speech::AsrOptions options;
    options.lang = lang_;
    options.grammar = grammar_;
    Result<std::unique_ptr<speech::AsrStream>> stream = asr_->StartStream(options);
    if (stream.ok()) {
      stream_ = std::move(*stream);
    } else if (stream.status().code() != StatusCode::kUnimplemented) {
      out.push_back(ErrorFrame(stream.status()));
      in_utterance_ = false;
      return;
    }  // else: an engine that cannot stream gets the utterance whole at its end
    out.push_back(Text({{"type", "speech_start"}}));
    const std::vector<int16_t> preroll(preroll_.begin(), preroll_.end());
    preroll_.clear();
    Feed(preroll, out);
  }

  void Feed(std::span<const int16_t> pcm, std::vector<VoiceFrame>& out) {
    utterance_samples_ += pcm.size();
    if (stream_ == nullptr) {
      buffered_.insert(buffered_.end(), pcm.begin(), pcm.end());
      return;
    }
    if (Status s = stream_->Feed(pcm); !s.ok()) {
      out.push_back(ErrorFrame(s));
      stream_.reset();
      in_utterance_ = false;
    }
  }

  // A partial transcript when the hypothesis changed since the last one sent.
  void SendPartial(std::vector<VoiceFrame>& out) {
    if (!in_utterance_ || stream_ == nullptr) {
      return;
    }
    std::string partial = stream_->Partial();
    if (!partial.empty() && partial != last_partial_) {
      out.push_back(Text({{"type", "partial"}, {"text", partial}}));
      last_partial_ = std::move(partial);
    }
  }

  void EndUtterance(std::vector<VoiceFrame>& out) {
    in_utterance_ = false;
    Result<speech::Transcript> heard = speech::Transcript{};
    if (stream_ != nullptr) {
      heard = stream_->Finish();
      stream_.reset();
    } else {
      speech::AsrOptions options;
      options.lang = lang_;
      options.grammar = grammar_;
      heard = asr_->Transcribe(buffered_, options);
      buffered_.clear();
    }
    if (!heard.ok()) {
      out.push_back(ErrorFrame(heard.status()));
      Listen(out);
      return;
    }
    RequestContext ctx(engine::NewTraceId(),
                       std::chrono::steady_clock::now() +
                           std::chrono::milliseconds(api_.options().turn_deadline_ms));
    Result<Api::VoiceAnswer> answer =
        api_.AnswerVoice(id_, token_, lang_, asr_, grammar_, *heard, ctx);
    if (!answer.ok()) {
      KEFU_LOG_WARN("trace={} voice turn failed: {}", ctx.trace_id(), answer.status().ToString());
      out.push_back(ErrorFrame(answer.status()));
      if (answer.status().code() == StatusCode::kUnauthenticated ||
          answer.status().code() == StatusCode::kNotFound) {
        finished_ = true;
        return;
      }
      Listen(out);
      return;
    }
    out.push_back(Text({{"type", "transcript"},
                        {"text", heard->text},
                        {"confidence", heard->confidence},
                        {"engine", asr_->name()},
                        {"grammar", grammar_}}));
    json reply = json::parse(answer->body, nullptr, /*allow_exceptions=*/false);
    reply.erase("transcript");
    reply["type"] = "reply";
    out.push_back(Text(reply));
    if (!answer->wav.empty()) {
      out.push_back(Text({{"type", "audio"},
                          {"format", "wav"},
                          {"rate", answer->rate},
                          {"bytes", answer->wav.size()}}));  // the next frame, binary
      out.push_back({true, std::move(answer->wav)});
    }
    Listen(out);
  }

  // Ready for the next utterance, with the grammar the conversation's next answer needs.
  void Listen(std::vector<VoiceFrame>& out) {
    Result<std::string> grammar = api_.VoiceGrammar(asr_, id_);
    grammar_ = grammar.ok() ? *grammar : std::string();
    out.push_back(Text({{"type", "listening"},
                        {"conversation_id", id_},
                        {"lang", lang_},
                        {"rate", rate_},
                        {"engine", asr_->name()},
                        {"grammar", grammar_}}));
  }

  Api& api_;
  const std::string id_;
  const std::string token_;
  const std::string lang_;
  const int rate_;
  speech::AsrEngine* const asr_;
  speech::Vad vad_;
  std::deque<int16_t> preroll_;
  bool in_utterance_ = false;
  std::unique_ptr<speech::AsrStream> stream_;  // null between utterances, or when buffering
  std::vector<int16_t> buffered_;              // the utterance, for an engine that cannot stream
  size_t utterance_samples_ = 0;
  size_t call_samples_ = 0;
  std::string grammar_;
  std::string last_partial_;
  bool finished_ = false;
};

std::string Api::VoiceSocketId(std::string_view target) {
  const std::string path(target.substr(0, target.find('?')));
  std::string id = PathId(path, kConversationsPrefix, "voice");
  return ValidId(id) ? id : std::string();
}

Result<std::unique_ptr<VoiceCall>> Api::StartVoiceCall(const std::string& id,
                                                       std::string_view start_frame) {
  if (voice_.tts == nullptr || (voice_.asr_en == nullptr && voice_.asr_remote == nullptr)) {
    return NotFoundError("voice is not enabled on this server ([speech])");
  }
  const json start = json::parse(start_frame, nullptr, /*allow_exceptions=*/false);
  if (!start.is_object() || StringField(start, "type") != "start") {
    return InvalidArgumentError(
        "the first frame must be {\"type\": \"start\", \"token\": ..., \"lang\": \"en\", "
        "\"rate\": 16000}");
  }
  const std::string token = StringField(start, "token");
  KEFU_RETURN_IF_ERROR(engine_.Authorize(id, token));
  std::string lang = start.contains("lang") ? StringField(start, "lang") : "en";
  if (lang != "en" && lang != "zh") {
    return InvalidArgumentError("'lang' must be \"zh\" or \"en\"");
  }
  int rate = speech::kAsrRate;
  if (auto it = start.find("rate"); it != start.end()) {
    if (!it->is_number_integer() || *it < kMinRate || *it > kMaxRate) {
      return InvalidArgumentError("'rate' must be a whole number of Hz from " +
                                  std::to_string(kMinRate) + " to " + std::to_string(kMaxRate));
    }
    rate = it->get<int>();
  }
  KEFU_ASSIGN_OR_RETURN(speech::AsrEngine * asr, Recogniser(lang));
  return std::unique_ptr<VoiceCall>(
      std::make_unique<SocketVoiceCall>(*this, id, token, lang, rate, asr));
}

Result<speech::AsrEngine*> Api::Recogniser(const std::string& lang) const {
  // pocketsphinx has English only; other languages need the transcription server.
  speech::AsrEngine* asr =
      lang == "en" && voice_.asr_en != nullptr ? voice_.asr_en : voice_.asr_remote;
  if (asr == nullptr) {
    return InvalidArgumentError("no recogniser for '" + lang +
                                "': set [speech] transcription_url to a server that has one");
  }
  return asr;
}

Result<std::string> Api::VoiceGrammar(speech::AsrEngine* asr, const std::string& id) {
  if (asr != voice_.asr_en) {
    return std::string();  // only the local recogniser decodes short answers with a grammar
  }
  return engine_.ExpectedAnswer(id);
}

Result<Api::VoiceAnswer> Api::AnswerVoice(const std::string& id, const std::string& token,
                                          const std::string& lang, speech::AsrEngine* asr,
                                          const std::string& grammar,
                                          const speech::Transcript& heard, RequestContext& ctx) {
  engine::TurnInput input;
  input.conversation_id = id;
  // Numbers read out digit by digit reach the understanding as numerals.
  input.text = lang == "en" ? speech::DigitsToNumerals(heard.text) : heard.text;
  input.token = token;
  input.voice = engine::VoiceInput{
      asr->name(), grammar, lang, heard.confidence, heard.audio_seconds, heard.decode_seconds};
  KEFU_ASSIGN_OR_RETURN(engine::TurnResult turn, engine_.HandleTurn(input, ctx));
  json body = json::parse(TurnBody(turn, engine_.options().timezone_offset_minutes));
  body["transcript"] = {{"text", heard.text},
                        {"confidence", heard.confidence},
                        {"engine", asr->name()},
                        {"grammar", grammar}};
  VoiceAnswer answer;
  if (!turn.reply.empty()) {  // silent while an agent holds the conversation
    Result<speech::Speech> spoken = voice_.tts->Speak(turn.reply, turn.lang == "en" ? "en" : "zh");
    if (!spoken.ok()) {
      KEFU_LOG_WARN("trace={} synthesis failed: {}", ctx.trace_id(), spoken.status().ToString());
    } else {
      answer.wav = speech::EncodeWav(spoken->samples, spoken->rate);
      answer.rate = spoken->rate;
    }
  }
  answer.body = body.dump();
  return answer;
}

HttpResponse Api::PostAudio(const HttpRequest& request, const std::string& id,
                            const std::map<std::string, std::string>& query, RequestContext& ctx) {
  if (voice_.tts == nullptr || (voice_.asr_en == nullptr && voice_.asr_remote == nullptr)) {
    return ErrorResponse(404, "not_found", "voice is not enabled on this server ([speech])");
  }
  if (Status s = Authorize(request, id); !s.ok()) {
    return ErrorResponse(s);
  }
  std::string lang = "en";
  if (auto it = query.find("lang"); it != query.end()) {
    lang = it->second;
  }
  if (lang != "en" && lang != "zh") {
    return ErrorResponse(InvalidArgumentError("'lang' must be \"zh\" or \"en\""));
  }
  Result<speech::AsrEngine*> asr = Recogniser(lang);
  if (!asr.ok()) {
    return ErrorResponse(asr.status());
  }
  Result<std::vector<int16_t>> pcm = speech::DecodeWav(request.body, voice_.limits);
  if (!pcm.ok()) {
    if (pcm.status().code() == StatusCode::kOutOfRange) {
      return ErrorResponse(413, "payload_too_large", pcm.status().message());
    }
    return ErrorResponse(pcm.status());
  }
  speech::AsrOptions options;
  options.lang = lang;
  Result<std::string> grammar = VoiceGrammar(*asr, id);
  if (!grammar.ok()) {
    return ErrorResponse(grammar.status());
  }
  options.grammar = *grammar;
  Result<speech::Transcript> heard = (*asr)->Transcribe(*pcm, options);
  if (!heard.ok()) {
    KEFU_LOG_WARN("trace={} recognition failed: {}", ctx.trace_id(), heard.status().ToString());
    return ErrorResponse(heard.status());
  }
  Result<std::string> token = BearerToken(request);  // Authorize above read it
  Result<VoiceAnswer> answer = AnswerVoice(id, *token, lang, *asr, options.grammar, *heard, ctx);
  if (!answer.ok()) {
    return ErrorResponse(answer.status());
  }
  json body = json::parse(answer->body);
  body["audio"] = nullptr;
  if (!answer->wav.empty()) {
    body["audio"] = {{"format", "wav"}, {"rate", answer->rate}, {"base64", Base64(answer->wav)}};
  }
  HttpResponse r;
  r.body = body.dump();
  return r;
}

}  // namespace kefu::server
