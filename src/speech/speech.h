// speech/: voice in and out. Audio decoding to 16 kHz mono (audio.cc), voice activity detection
// for streams (vad.cc), speech recognition behind AsrEngine (pocketsphinx with a domain language
// model kefu builds from its own text, or any OpenAI-compatible /v1/audio/transcriptions server),
// and speech synthesis behind TtsEngine (espeak-ng).
//
//   std::vector<int16_t> pcm = *DecodeWav(bytes, {});
//   Transcript t = *asr->Transcribe(pcm, {.lang = "en"});
//   Speech reply = *tts->Speak("Your parcel is on its way.", "en");
//   std::string wav = EncodeWav(reply.samples, reply.rate);
#pragma once

#include <cstdint>
#include <memory>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "core/status.h"

namespace kefu::speech {

inline constexpr int kAsrRate = 16'000;  // what every AsrEngine takes: 16 kHz mono s16

// ---- Audio (audio.cc)

struct AudioLimits {
  double max_seconds = 60;              // longer audio is refused, not cut
  size_t max_bytes = 16 * 1024 * 1024;  // the encoded input
};

// A RIFF/WAVE file: PCM 8-bit (unsigned), 16, 24 or 32-bit integer, or 32-bit float; any rate
// (8-192 kHz) and channel count (1-8), converted to 16 kHz mono s16 (channels averaged, then
// resampled). kInvalidArgument naming what is wrong for anything else (not a WAV, compressed,
// empty, truncated); kOutOfRange when over a limit.
Result<std::vector<int16_t>> DecodeWav(std::string_view bytes, const AudioLimits& limits);
// Headerless little-endian s16 PCM at `rate` Hz with `channels`, converted the same way.
Result<std::vector<int16_t>> DecodeRawPcm(std::string_view bytes, int rate, int channels,
                                          const AudioLimits& limits);
// Band-limited resampling of mono s16 audio.
std::vector<int16_t> Resample(std::span<const int16_t> in, int from_rate, int to_rate);
// A 16-bit mono RIFF/WAVE file.
std::string EncodeWav(std::span<const int16_t> samples, int rate);

// ---- Voice activity detection for streams (vad.cc)

struct VadOptions {
  int frame_ms = 20;
  int start_ms = 60;         // this much speech in a row starts an utterance
  int end_ms = 600;          // this much silence in a row ends it
  double threshold_db = 12;  // above the tracked noise floor counts as speech
};

// Splits a 16 kHz mono stream into utterances. Not thread-safe; one per stream.
class Vad {
 public:
  enum class Event { kNone, kSpeechStart, kSpeechEnd };
  explicit Vad(VadOptions options = {});
  // Feeds samples; returns the events the frames completed by them raised, in order.
  std::vector<Event> Feed(std::span<const int16_t> samples);
  bool in_speech() const { return in_speech_; }

 private:
  VadOptions options_;
  std::vector<int16_t> pending_;
  double noise_db_ = -1;  // < 0: not yet measured
  int speech_run_ms_ = 0;
  int silence_run_ms_ = 0;
  bool in_speech_ = false;
};

// ---- Recognition (asr)

struct Transcript {
  std::string text;       // lower-case words for English
  double confidence = 0;  // 0..1; below the engine's threshold a voice turn asks again
  double audio_seconds = 0;
  double decode_seconds = 0;  // wall time spent decoding (real-time factor = this / audio)
};

struct AsrOptions {
  std::string lang = "en";
  // "" for free speech (the language model); "digits" or "yes_no" for a short answer, decoded
  // with a grammar (the verification step's last four digits, a confirmation).
  std::string grammar;
};

// A streaming recognition: feed audio as it arrives, read the partial hypothesis, finish.
class AsrStream {
 public:
  virtual ~AsrStream() = default;
  virtual Status Feed(std::span<const int16_t> pcm16k) = 0;
  virtual std::string Partial() = 0;
  virtual Result<Transcript> Finish() = 0;
};

// Thread-safe.
class AsrEngine {
 public:
  virtual ~AsrEngine() = default;
  virtual std::string name() const = 0;
  virtual bool Supports(std::string_view lang) const = 0;
  virtual Result<Transcript> Transcribe(std::span<const int16_t> pcm16k,
                                        const AsrOptions& options) = 0;
  // kUnimplemented when the engine cannot stream (the caller buffers and calls Transcribe).
  virtual Result<std::unique_ptr<AsrStream>> StartStream(const AsrOptions& options) = 0;
};

struct PocketsphinxOptions {
  std::string model_dir = "/usr/share/pocketsphinx/model/en-us";  // en-us/, cmudict-en-us.dict
  // An ARPA (or .lm.bin) language model; empty: Debian's general en-us.lm.bin.
  std::string lm_path;
  int decoders = 2;  // decoders kept ready (each holds the models' search state)
  // With lm_path: the share of Debian's general English model interpolated into it, for the
  // words and phrasings a shop's own text lacks ("turn up", "doorbell"); 0: lm_path alone. The
  // search then hears lm_path's words and the general model's `general_words` most frequent.
  double general_weight = 0;
  int general_words = 10'000;
};
// kNotFound when the acoustic model or dictionary is missing.
Result<std::unique_ptr<AsrEngine>> NewPocketsphinxAsr(const PocketsphinxOptions& options);

struct OpenAiAsrOptions {
  std::string base_url;  // "http://127.0.0.1:8081" (the /v1/audio/transcriptions server)
  std::string api_key;
  std::string model = "whisper-1";
  int timeout_ms = 30'000;
};
Result<std::unique_ptr<AsrEngine>> NewOpenAiAsr(const OpenAiAsrOptions& options);

// ---- The domain language model (lm_builder.cc)

// The English sentences a shop's shoppers say, from kefu's own data: data/nlu utterances, flow
// prompts and reply templates, catalog names, FAQ questions. Lower-case words, one per sentence.
Result<std::vector<std::string>> DomainSentences(const std::string& data_dir);

struct LmOptions {
  int order = 3;
  double discount = 0.5;  // absolute discounting (interpolated Kneser-Ney)
};
// An ARPA n-gram model of `sentences` over the words in `vocabulary` (the pronunciation
// dictionary's; other words are dropped from the sentences). Deterministic.
Result<std::string> BuildArpa(const std::vector<std::string>& sentences,
                              const std::set<std::string>& vocabulary, const LmOptions& options);
// The words of a CMU-style pronunciation dictionary ("word(2)" variants folded).
Result<std::set<std::string>> DictionaryWords(const std::string& dict_path);

// ---- Synthesis (tts.cc)

struct Speech {
  std::vector<int16_t> samples;  // mono
  int rate = 22'050;
};

// Thread-safe.
class TtsEngine {
 public:
  virtual ~TtsEngine() = default;
  // kInvalidArgument for empty text or an unsupported language ("zh", "en").
  virtual Result<Speech> Speak(std::string_view text, std::string_view lang) = 0;
};

struct EspeakOptions {
  int words_per_minute = 175;
  std::string voice_en = "en-us";
  std::string voice_zh = "cmn";
};
Result<std::unique_ptr<TtsEngine>> NewEspeakTts(const EspeakOptions& options);

// ---- Transcripts (transcript.cc)

// Numbers an English speaker reads digit by digit become numerals: "my order is two zero two six"
// -> "my order is 2026". A lone digit word stays a word ("this one").
std::string DigitsToNumerals(std::string_view transcript);

// ---- Scoring (wer.cc)

// Word error rate of `hypothesis` against `reference` (edit distance over words, case and
// punctuation ignored); for Chinese, pass characters as words (CharacterErrorRate).
double WordErrorRate(std::string_view reference, std::string_view hypothesis);
double CharacterErrorRate(std::string_view reference, std::string_view hypothesis);
// The edit distance and the reference length, for summing over a corpus.
std::pair<size_t, size_t> WordEdits(std::string_view reference, std::string_view hypothesis);
std::pair<size_t, size_t> CharacterEdits(std::string_view reference, std::string_view hypothesis);

}  // namespace kefu::speech
