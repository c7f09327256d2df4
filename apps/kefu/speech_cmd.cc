// Voice on the command line: `kefu train lm`, `kefu transcribe`, `kefu speak`, `kefu eval asr`,
// and the speech engines `kefu serve` uses.
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "core/file_util.h"
#include "core/logging.h"

namespace kefu::app {
namespace {

namespace fs = std::filesystem;

Result<std::string> ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return NotFoundError("cannot read " + path);
  }
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// The share of Debian's general model in the "domain" recogniser: on the synthesised corpus
// (scripts/gen-asr-corpus.sh) the domain model alone measured 16.0% WER, with a tenth of the
// general model 11.5% (0.02 and 0.5: 11.6% and 12.2%); bench/results/asr.md.
constexpr double kGeneralWeight = 0.1;

// The recogniser for `lm`: "domain" (kefu's model, interpolated with a little of Debian's),
// "domain-only", "general" (Debian's), or a model file (alone).
Result<std::unique_ptr<speech::AsrEngine>> LocalAsr(const SpeechConfig& config,
                                                    const std::string& lm) {
  speech::PocketsphinxOptions o;
  o.model_dir = config.model_dir;
  o.decoders = config.decoders;
  if (lm.empty() || lm == "domain") {
    o.lm_path = KEFU_DEFAULT_DOMAIN_LM;
    o.general_weight = kGeneralWeight;
  } else if (lm == "domain-only") {
    o.lm_path = KEFU_DEFAULT_DOMAIN_LM;
  } else if (lm != "general") {
    o.lm_path = lm;
  }
  return speech::NewPocketsphinxAsr(o);
}

}  // namespace

Result<VoiceRuntime> OpenVoice(const Config& config) {
  VoiceRuntime v;
  const SpeechConfig& sc = config.speech;
  if (!sc.enabled) {
    return v;
  }
  Result<std::unique_ptr<speech::AsrEngine>> local = LocalAsr(sc, sc.lm);
  if (local.ok()) {
    v.asr_en = std::move(*local);
  } else {
    // A machine without the acoustic model still serves text; voice answers 404 then.
    KEFU_LOG_WARN("English speech recognition is off: {}", local.status().ToString());
  }
  if (!sc.transcription_url.empty()) {
    KEFU_ASSIGN_OR_RETURN(
        v.asr_remote, speech::NewOpenAiAsr({sc.transcription_url, sc.transcription_api_key,
                                            sc.transcription_model, sc.transcription_timeout_ms}));
  }
  speech::EspeakOptions eo;
  eo.words_per_minute = sc.words_per_minute;
  Result<std::unique_ptr<speech::TtsEngine>> tts = speech::NewEspeakTts(eo);
  if (tts.ok()) {
    v.tts = std::move(*tts);
  } else {
    KEFU_LOG_WARN("speech synthesis is off: {}", tts.status().ToString());
  }
  v.limits.max_seconds = sc.max_audio_seconds;
  v.limits.max_bytes = static_cast<size_t>(sc.max_audio_bytes);
  return v;
}

int RunTrainLm(const CommonFlags& common, const TrainLmFlags& flags) {
  Result<Config> config = ResolveConfig(common);
  if (!config.ok()) {
    return Fail(config.status());
  }
  Result<std::vector<std::string>> sentences = speech::DomainSentences(ResolveDataDir(*config));
  if (!sentences.ok()) {
    return Fail(sentences.status());
  }
  Result<std::set<std::string>> words =
      speech::DictionaryWords(config->speech.model_dir + "/cmudict-en-us.dict");
  if (!words.ok()) {
    return Fail(words.status());
  }
  speech::LmOptions lo;
  lo.order = flags.order;
  Result<std::string> arpa = speech::BuildArpa(*sentences, *words, lo);
  if (!arpa.ok()) {
    return Fail(arpa.status());
  }
  if (Status s = WriteFileAtomically(flags.out, *arpa); !s.ok()) {
    return Fail(s);
  }
  std::cerr << "kefu train lm: " << sentences->size() << " sentences -> " << flags.out << "\n";
  return 0;
}

int RunTranscribe(const CommonFlags& common, const TranscribeFlags& flags) {
  Result<Config> config = ResolveConfig(common);
  if (!config.ok()) {
    return Fail(config.status());
  }
  Result<std::string> bytes = ReadAll(flags.file);
  if (!bytes.ok()) {
    return Fail(bytes.status());
  }
  speech::AudioLimits limits;
  limits.max_seconds = config->speech.max_audio_seconds;
  limits.max_bytes = static_cast<size_t>(config->speech.max_audio_bytes);
  Result<std::vector<int16_t>> pcm = speech::DecodeWav(*bytes, limits);
  if (!pcm.ok()) {
    return Fail(pcm.status());
  }
  Result<std::unique_ptr<speech::AsrEngine>> asr = LocalAsr(config->speech, flags.lm);
  if (!asr.ok()) {
    return Fail(asr.status());
  }
  speech::AsrOptions options;
  options.grammar = flags.grammar;
  Result<speech::Transcript> t = (*asr)->Transcribe(*pcm, options);
  if (!t.ok()) {
    return Fail(t.status());
  }
  if (flags.json) {
    std::cout << nlohmann::json{{"text", t->text},
                                {"confidence", t->confidence},
                                {"audio_seconds", t->audio_seconds},
                                {"rtf",
                                 t->audio_seconds > 0 ? t->decode_seconds / t->audio_seconds : 0.0}}
                     .dump()
              << "\n";
  } else {
    std::cout << t->text << "\n";
  }
  return 0;
}

int RunSpeak(const SpeakFlags& flags) {
  speech::EspeakOptions eo;
  if (flags.words_per_minute > 0) {
    eo.words_per_minute = flags.words_per_minute;
  }
  if (!flags.voice.empty()) {
    (flags.lang == "zh" ? eo.voice_zh : eo.voice_en) = flags.voice;
  }
  Result<std::unique_ptr<speech::TtsEngine>> tts = speech::NewEspeakTts(eo);
  if (!tts.ok()) {
    return Fail(tts.status());
  }
  Result<speech::Speech> s = (*tts)->Speak(flags.text, flags.lang);
  if (!s.ok()) {
    return Fail(s.status());
  }
  if (Status w = WriteFileAtomically(flags.out, speech::EncodeWav(s->samples, s->rate)); !w.ok()) {
    return Fail(w);
  }
  return 0;
}

// Every x.wav with its x.txt under DIR; DIR/digits/ is decoded with the digits grammar.
int RunEvalAsr(const CommonFlags& common, const EvalAsrFlags& flags) {
  Result<Config> config = ResolveConfig(common);
  if (!config.ok()) {
    return Fail(config.status());
  }
  std::unique_ptr<speech::AsrEngine> asr;
  if (!flags.transcription_url.empty()) {
    Result<std::unique_ptr<speech::AsrEngine>> remote =
        speech::NewOpenAiAsr({flags.transcription_url, "", config->speech.transcription_model,
                              config->speech.transcription_timeout_ms});
    if (!remote.ok()) {
      return Fail(remote.status());
    }
    asr = std::move(*remote);
  } else {
    SpeechConfig sc = config->speech;
    sc.decoders = 1;  // one core: the real-time factor the issue asks about
    Result<std::unique_ptr<speech::AsrEngine>> local = LocalAsr(sc, flags.lm);
    if (!local.ok()) {
      return Fail(local.status());
    }
    asr = std::move(*local);
  }
  struct Item {
    std::string wav, txt, grammar;
  };
  std::vector<Item> items;
  for (const auto& [dir, grammar] :
       {std::pair{fs::path(flags.data), std::string()},
        std::pair{fs::path(flags.data) / "digits", std::string("digits")}}) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) {
      continue;
    }
    std::vector<fs::path> wavs;
    for (const fs::directory_entry& e : fs::directory_iterator(dir)) {
      if (e.path().extension() == ".wav" &&
          fs::exists(fs::path(e.path()).replace_extension(".txt"))) {
        wavs.push_back(e.path());
      }
    }
    std::sort(wavs.begin(), wavs.end());
    for (const fs::path& w : wavs) {
      items.push_back({w.string(), fs::path(w).replace_extension(".txt").string(), grammar});
    }
  }
  if (items.empty()) {
    return Fail(InvalidArgumentError("no x.wav with x.txt under " + flags.data));
  }
  const bool chinese = flags.lang == "zh";
  size_t edits[2] = {0, 0}, words[2] = {0, 0};
  double audio = 0, decode = 0;
  std::ofstream errors;
  if (!flags.errors.empty()) {
    errors.open(flags.errors);
  }
  for (size_t i = 0; i < items.size(); ++i) {
    const Item& it = items[i];
    Result<std::string> bytes = ReadAll(it.wav);
    Result<std::string> ref = ReadAll(it.txt);
    if (!bytes.ok() || !ref.ok()) {
      return Fail(!bytes.ok() ? bytes.status() : ref.status());
    }
    Result<std::vector<int16_t>> pcm = speech::DecodeWav(*bytes, {});
    if (!pcm.ok()) {
      return Fail(pcm.status().WithContext(it.wav));
    }
    speech::AsrOptions options;
    options.lang = flags.lang;
    options.grammar = it.grammar;
    Result<speech::Transcript> t = asr->Transcribe(*pcm, options);
    if (!t.ok()) {
      return Fail(t.status().WithContext(it.wav));
    }
    const auto [e, n] =
        chinese ? speech::CharacterEdits(*ref, t->text) : speech::WordEdits(*ref, t->text);
    const int k = it.grammar.empty() ? 0 : 1;
    edits[k] += e;
    words[k] += n;
    audio += t->audio_seconds;
    decode += t->decode_seconds;
    if (errors.is_open() && e > 0) {
      errors << fs::path(it.wav).filename().string() << "\t" << *ref << "\t" << t->text << "\n";
    }
    PrintProgress("eval asr", i + 1, items.size());
  }
  const double wer = words[0] == 0 ? 0.0 : static_cast<double>(edits[0]) / words[0];
  const double digits_wer = words[1] == 0 ? 0.0 : static_cast<double>(edits[1]) / words[1];
  const double rtf = audio > 0 ? decode / audio : 0.0;
  std::cout << (chinese ? "CER " : "WER ") << wer * 100 << "% over " << words[0]
            << (chinese ? " characters" : " words");
  if (words[1] > 0) {
    std::cout << "; digits WER " << digits_wer * 100 << "% over " << words[1] << " words";
  }
  std::cout << "; " << items.size() << " files, " << audio << " s of audio; real-time factor "
            << rtf << " (" << asr->name() << ")\n";
  std::cout << nlohmann::json{{"wer", wer},           {"digits_wer", digits_wer},
                              {"rtf", rtf},           {"files", items.size()},
                              {"words", words[0]},    {"audio_seconds", audio},
                              {"engine", asr->name()}}
                   .dump()
            << "\n";
  return 0;
}

}  // namespace kefu::app
