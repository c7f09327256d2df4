// Voice turns: POST /v1/conversations/{id}/audio takes a WAV, recognises it, runs the turn like a
// typed one (with the recognition in the trace), and answers with the transcript, the reply and
// the reply spoken as a WAV (base64 in the JSON).
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

}  // namespace

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
  // pocketsphinx has English only; other languages need the transcription server.
  speech::AsrEngine* asr =
      lang == "en" && voice_.asr_en != nullptr ? voice_.asr_en : voice_.asr_remote;
  if (asr == nullptr) {
    return ErrorResponse(
        InvalidArgumentError("no recogniser for '" + lang +
                             "': set [speech] transcription_url to a server that has one"));
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
  if (asr == voice_.asr_en) {  // the local recogniser decodes short answers with a grammar
    Result<std::string> expected = engine_.ExpectedAnswer(id);
    if (!expected.ok()) {
      return ErrorResponse(expected.status());
    }
    options.grammar = *expected;
  }
  Result<speech::Transcript> heard = asr->Transcribe(*pcm, options);
  if (!heard.ok()) {
    KEFU_LOG_WARN("trace={} recognition failed: {}", ctx.trace_id(), heard.status().ToString());
    return ErrorResponse(heard.status());
  }
  engine::TurnInput input;
  input.conversation_id = id;
  // Numbers read out digit by digit reach the understanding as numerals.
  input.text = lang == "en" ? speech::DigitsToNumerals(heard->text) : heard->text;
  Result<std::string> token = BearerToken(request);
  input.token = *token;  // Authorize above read it
  input.voice = engine::VoiceInput{asr->name(),       options.grammar,      lang,
                                   heard->confidence, heard->audio_seconds, heard->decode_seconds};
  Result<engine::TurnResult> turn = engine_.HandleTurn(input, ctx);
  if (!turn.ok()) {
    return ErrorResponse(turn.status());
  }
  std::string body = TurnBody(*turn, engine_.options().timezone_offset_minutes);
  json extra = {{"transcript",
                 {{"text", heard->text},
                  {"confidence", heard->confidence},
                  {"engine", asr->name()},
                  {"grammar", options.grammar}}},
                {"audio", nullptr}};
  if (!turn->reply.empty()) {  // silent while an agent holds the conversation
    Result<speech::Speech> spoken =
        voice_.tts->Speak(turn->reply, turn->lang == "en" ? "en" : "zh");
    if (!spoken.ok()) {
      KEFU_LOG_WARN("trace={} synthesis failed: {}", ctx.trace_id(), spoken.status().ToString());
    } else {
      extra["audio"] = {{"format", "wav"},
                        {"rate", spoken->rate},
                        {"base64", Base64(speech::EncodeWav(spoken->samples, spoken->rate))}};
    }
  }
  // Splice: the turn body is an object; its closing brace makes way for the voice fields.
  body.pop_back();
  std::string tail = extra.dump();
  body += "," + tail.substr(1);
  HttpResponse r;
  r.body = std::move(body);
  return r;
}

}  // namespace kefu::server
