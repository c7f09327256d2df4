// Speech synthesis with libespeak-ng. Its API is one global synthesizer, so every call into it
// holds one process-wide mutex; each request's samples reach its own buffer through the
// user_data pointer that espeak_Synth hands back to the callback.
#include <algorithm>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include <espeak-ng/speak_lib.h>

#include "core/strings.h"
#include "core/utf8.h"
#include "speech/speech.h"

namespace kefu::speech {
namespace {

constexpr size_t kMaxTextChars = 2'000;

std::mutex& EspeakMutex() {
  static std::mutex mutex;
  return mutex;
}

// Appends a block of samples to the buffer whose address the request passed as user_data.
int OnSamples(short* wav, int count, espeak_EVENT* events) {
  if (wav == nullptr || count <= 0 || events == nullptr || events->user_data == nullptr) {
    return 0;
  }
  auto* out = static_cast<std::vector<int16_t>*>(events->user_data);
  out->insert(out->end(), wav, wav + count);
  return 0;  // continue
}

// Initializes espeak-ng once per process and returns its sample rate, or < 0 when it could not
// (its data directory is missing). REQUIRES: EspeakMutex() held
int EspeakRate() {
  static std::once_flag once;
  static int rate = -1;
  std::call_once(once, [] {
    rate = espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 0, nullptr, 0);
    if (rate > 0) {
      espeak_SetSynthCallback(&OnSamples);
    }
  });
  return rate;
}

class EspeakTts final : public TtsEngine {
 public:
  EspeakTts(EspeakOptions options, int rate) : options_(std::move(options)), rate_(rate) {}
  EspeakTts(const EspeakTts&) = delete;
  EspeakTts& operator=(const EspeakTts&) = delete;

  Result<Speech> Speak(std::string_view text, std::string_view lang) override {
    const std::string* voice = VoiceFor(lang);
    if (voice == nullptr) {
      return InvalidArgumentError("unsupported language '" + std::string(lang) +
                                  "' for speech synthesis (en, zh)");
    }
    if (TrimAsciiSpace(text).empty()) {
      return InvalidArgumentError("empty text");
    }
    if (!utf8::IsValid(text)) {
      return InvalidArgumentError("text is not valid UTF-8");
    }
    const size_t chars = utf8::CodePointCount(text);
    if (chars > kMaxTextChars) {
      return InvalidArgumentError("text too long: " + std::to_string(chars) +
                                  " characters, the limit is " + std::to_string(kMaxTextChars));
    }
    const std::string zero_terminated(text);
    Speech speech;
    speech.rate = rate_;
    std::scoped_lock lock(EspeakMutex());
    if (espeak_SetVoiceByName(voice->c_str()) != EE_OK) {
      return InternalError("espeak-ng: cannot select voice '" + *voice + "'");
    }
    espeak_SetParameter(
        espeakRATE, std::clamp(options_.words_per_minute, espeakRATE_MINIMUM, espeakRATE_MAXIMUM),
        0);
    const espeak_ERROR err =
        espeak_Synth(zero_terminated.c_str(), zero_terminated.size() + 1, 0, POS_CHARACTER, 0,
                     espeakCHARS_UTF8, nullptr, &speech.samples);
    if (err != EE_OK) {
      return InternalError("espeak-ng: synthesis failed (error " + std::to_string(err) + ")");
    }
    return speech;
  }

 private:
  const std::string* VoiceFor(std::string_view lang) const {
    if (lang == "en") {
      return &options_.voice_en;
    }
    if (lang == "zh") {
      return &options_.voice_zh;
    }
    return nullptr;
  }

  const EspeakOptions options_;
  const int rate_;
};

}  // namespace

Result<std::unique_ptr<TtsEngine>> NewEspeakTts(const EspeakOptions& options) {
  std::scoped_lock lock(EspeakMutex());
  const int rate = EspeakRate();
  if (rate <= 0) {
    return UnavailableError("espeak-ng: cannot initialize (is espeak-ng-data installed?)");
  }
  // Both voices are checked now, so a misspelt voice fails at startup, not on the first call.
  for (const std::string& voice : {options.voice_en, options.voice_zh}) {
    if (espeak_SetVoiceByName(voice.c_str()) != EE_OK) {
      return NotFoundError("espeak-ng: voice '" + voice + "' not found");
    }
  }
  return std::unique_ptr<TtsEngine>(std::make_unique<EspeakTts>(options, rate));
}

}  // namespace kefu::speech
