// Recognition by an OpenAI-compatible server: `POST {base_url}/audio/transcriptions` with the
// audio as a WAV file (multipart/form-data), as whisper.cpp's server, faster-whisper servers,
// vLLM and hosted APIs take it. The way to Mandarin and the other languages pocketsphinx lacks.
#include <chrono>
#include <cmath>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "core/url.h"
#include "speech/speech.h"

namespace kefu::speech {
namespace {

using nlohmann::json;

// Without per-segment log-probabilities a server still gave text: trust it this much.
constexpr double kDefaultConfidence = 0.9;

class OpenAiAsr final : public AsrEngine {
 public:
  OpenAiAsr(OpenAiAsrOptions options, BaseUrl url)
      : options_(std::move(options)), url_(std::move(url)) {}

  std::string name() const override { return "openai:" + options_.model; }
  bool Supports(std::string_view) const override { return true; }  // the server decides

  Result<Transcript> Transcribe(std::span<const int16_t> pcm16k,
                                const AsrOptions& options) override {
    const auto start = std::chrono::steady_clock::now();
    httplib::Client client(url_.scheme_host_port);
    const auto timeout = std::chrono::milliseconds(options_.timeout_ms);
    client.set_connection_timeout(timeout);
    client.set_read_timeout(timeout);
    client.set_write_timeout(timeout);
    httplib::Headers headers;
    if (!options_.api_key.empty()) {
      headers.emplace("Authorization", "Bearer " + options_.api_key);
    }
    httplib::MultipartFormDataItems form = {
        {"file", EncodeWav(pcm16k, kAsrRate), "audio.wav", "audio/wav"},
        {"model", options_.model, "", ""},
        {"response_format", "verbose_json", "", ""},
    };
    if (!options.lang.empty()) {
      form.push_back({"language", options.lang, "", ""});
    }
    httplib::Result res = client.Post(url_.path_prefix + "/audio/transcriptions", headers, form);
    if (!res) {
      return UnavailableError("transcription server unreachable: " +
                              httplib::to_string(res.error()));
    }
    if (res->status != 200) {
      return UnavailableError("transcription server answered HTTP " + std::to_string(res->status));
    }
    const json body = json::parse(res->body, nullptr, /*allow_exceptions=*/false);
    if (!body.is_object() || !body.contains("text") || !body["text"].is_string()) {
      return UnavailableError("transcription server's answer has no \"text\"");
    }
    Transcript t;
    t.text = body["text"].get<std::string>();
    t.audio_seconds = static_cast<double>(pcm16k.size()) / kAsrRate;
    t.confidence = t.text.empty() ? 0.0 : Confidence(body);
    t.decode_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return t;
  }

  Result<std::unique_ptr<AsrStream>> StartStream(const AsrOptions&) override {
    return UnimplementedError("the transcription server takes whole utterances");
  }

 private:
  // verbose_json's segments carry avg_logprob: the mean over segments, as a probability.
  static double Confidence(const json& body) {
    auto it = body.find("segments");
    if (it == body.end() || !it->is_array() || it->empty()) {
      return kDefaultConfidence;
    }
    double sum = 0;
    int n = 0;
    for (const json& seg : *it) {
      if (seg.is_object() && seg.contains("avg_logprob") && seg["avg_logprob"].is_number()) {
        sum += seg["avg_logprob"].get<double>();
        ++n;
      }
    }
    return n == 0 ? kDefaultConfidence : std::exp(sum / n);
  }

  OpenAiAsrOptions options_;
  BaseUrl url_;
};

}  // namespace

Result<std::unique_ptr<AsrEngine>> NewOpenAiAsr(const OpenAiAsrOptions& options) {
  KEFU_ASSIGN_OR_RETURN(BaseUrl url, ParseBaseUrl(options.base_url));
  if (options.timeout_ms <= 0) {
    return InvalidArgumentError("transcription timeout_ms must be positive");
  }
  return std::unique_ptr<AsrEngine>(std::make_unique<OpenAiAsr>(options, std::move(url)));
}

}  // namespace kefu::speech
