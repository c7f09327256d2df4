// Speech recognition with CMU pocketsphinx 5prealpha (Debian's libpocketsphinx3) and its US
// English acoustic model: free speech against an n-gram language model (kefu's domain model from
// lm_builder.cc, or Debian's general one), short answers against a JSGF grammar.
//
// A decoder holds the acoustic model, the 134k-word dictionary and the search state (about
// 30 MB, 0.3-0.4 s to load), and decodes one utterance at a time, so the engine keeps a small
// pool of them: Transcribe borrows one for the utterance, a stream for its whole life. Each
// decoder has all three searches ("lm", "digits", "yes_no") added once at start; switching
// between them per utterance is a pointer swap (ps_set_search).
#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <utility>

#include "speech/speech.h"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpedantic"
#include <pocketsphinx.h>
#include <sphinxbase/err.h>
#include <sphinxbase/logmath.h>
#pragma GCC diagnostic pop

namespace kefu::speech {
namespace {

constexpr const char* kLmSearch = "lm";

// A verification answer: digits read one by one ("four one zero zero", "oh" for zero). The
// grammar allows any length; the dialogue checks how many it wanted.
constexpr const char* kDigitsGrammar =
    "#JSGF V1.0;\n"
    "grammar digits;\n"
    "public <digits> = <digit>+;\n"
    "<digit> = zero | one | two | three | four | five | six | seven | eight | nine | oh;\n";

// A confirmation. The words stay as said; the dialogue maps them to yes or no.
constexpr const char* kYesNoGrammar =
    "#JSGF V1.0;\n"
    "grammar yes_no;\n"
    "public <answer> = <yes> | <no>;\n"
    "<yes> = yes [please] | yeah | yep | sure | correct | right | that's right | okay |\n"
    "        confirm | go ahead | of course;\n"
    "<no> = no [thanks | thank you] | nope | not really | wrong | that's wrong | cancel |\n"
    "       don't;\n";

// Decoder settings, measured on the generated espeak-ng corpus (scripts/gen-asr-corpus.sh, 4
// renderings of 120+ sentences; figures in the file's history):
//  -lw 10: the domain model is small and sure of itself; a higher language weight than the
//    default 6.5 lets it correct more of the acoustic model's mistakes on synthetic speech.
//  -fwdflat no: the second (flat-lexicon) pass costs about as much as the first and gained no
//    accuracy once -bestpath rescoring runs on the lattice.
//  -bestpath yes: lattice rescoring; also gives per-word posteriors for the confidence.
//  -beam / -wbeam / -pbeam, -maxhmmpf: pruning, set for a real-time factor well under 0.2 on
//    one core without measurable WER loss.
struct PsArg {
  const char* name;
  const char* value;
};
constexpr PsArg kTuning[] = {
    {"-lw", "10"},          {"-beam", "1e-40"}, {"-wbeam", "1e-30"},  {"-pbeam", "1e-40"},
    {"-maxhmmpf", "10000"}, {"-fwdflat", "no"}, {"-bestpath", "yes"}, {"-pl_window", "0"},
};

// Digital silence (runs of exact zeros: synthesised speech, gated or padded audio) has no
// energy at all, so its frames' log energy is the front end's floor, far below any real
// recording; batch cepstral mean normalisation then subtracts a mean dragged down by them and
// the acoustic model hears every word wrong ("nine four eight two" came out as "one four").
// A faint deterministic noise (uniform in +-kDitherAmplitude, about -70 dBFS) gives silence the
// level of a quiet room; real recordings carry more noise than that already. pocketsphinx's own
// -dither adds only +-1 and helped less.
int DitherAmplitude() {  // TEMP(tuning)
  const char* env = std::getenv("KEFU_PS_DITHER");
  return env != nullptr ? std::atoi(env) : 10;
}

size_t PadSamples() {  // TEMP(tuning)
  const char* env = std::getenv("KEFU_PS_PAD");
  return env != nullptr ? static_cast<size_t>(std::atoi(env)) * 16 : 0;
}

class Dither {
 public:
  std::vector<int16_t> Apply(std::span<const int16_t> pcm) {
    const int amplitude = DitherAmplitude();
    std::vector<int16_t> out(pcm.begin(), pcm.end());
    for (int16_t& x : out) {
      state_ = state_ * 1664525u + 1013904223u;  // LCG (Numerical Recipes)
      const int noise = static_cast<int>((state_ >> 16) % (2 * amplitude + 1)) - amplitude;
      x = static_cast<int16_t>(std::clamp(x + noise, -32768, 32767));
    }
    return out;
  }

 private:
  uint32_t state_ = 12345;
};

struct DecoderFree {
  void operator()(ps_decoder_t* ps) const { ps_free(ps); }
};
using DecoderPtr = std::unique_ptr<ps_decoder_t, DecoderFree>;

struct ConfigFree {
  void operator()(cmd_ln_t* config) const { cmd_ln_free_r(config); }
};

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Fillers (<s>, </s>, <sil>, [NOISE]) are not words of the transcript.
bool IsFiller(std::string_view word) {
  return word.empty() || word.front() == '<' || word.front() == '[';
}

// "read(2)" -> "read".
std::string_view BaseWord(std::string_view word) {
  const size_t paren = word.find('(');
  return paren == std::string_view::npos || paren == 0 ? word : word.substr(0, paren);
}

// The finished utterance's words and confidence. The confidence is the mean over the words of
// each word's posterior probability in the lattice (ps_seg_prob after -bestpath: the share of
// all lattice paths through that word at that time, 0..1). ps_get_prob's whole-utterance
// posterior is not used: it shrinks with every word, so a long correct sentence would look
// worse than a short wrong one.
Transcript CollectResult(ps_decoder_t* ps) {
  Transcript out;
  logmath_t* lmath = ps_get_logmath(ps);
  double posterior_sum = 0;
  int words = 0;
  for (ps_seg_t* seg = ps_seg_iter(ps); seg != nullptr; seg = ps_seg_next(seg)) {
    const char* word = ps_seg_word(seg);
    // The lattice of a grammar search has null nodes too (FSG null transitions).
    if (word == nullptr || IsFiller(word) || std::string_view(word) == "(NULL)") {
      continue;
    }
    int32 ascr = 0;
    int32 lscr = 0;
    int32 lback = 0;
    const int32 post = ps_seg_prob(seg, &ascr, &lscr, &lback);
    posterior_sum += std::min(1.0, logmath_exp(lmath, post));
    ++words;
    if (!out.text.empty()) {
      out.text += ' ';
    }
    out.text += BaseWord(word);
  }
  out.confidence = words > 0 ? posterior_sum / words : 0;
  for (char& c : out.text) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

// The decoders, lent one at a time. Thread-safe.
class DecoderPool {
 public:
  explicit DecoderPool(std::vector<DecoderPtr> decoders) : decoders_(std::move(decoders)) {
    for (const DecoderPtr& d : decoders_) {
      idle_.push_back(d.get());
    }
  }
  DecoderPool(const DecoderPool&) = delete;
  DecoderPool& operator=(const DecoderPool&) = delete;

  // Waits until a decoder is free.
  ps_decoder_t* Acquire() {
    std::unique_lock lock(mutex_);
    available_.wait(lock, [this] { return !idle_.empty(); });
    ps_decoder_t* ps = idle_.back();
    idle_.pop_back();
    return ps;
  }
  void Release(ps_decoder_t* ps) {
    {
      std::scoped_lock lock(mutex_);
      idle_.push_back(ps);
    }
    available_.notify_one();
  }

 private:
  std::vector<DecoderPtr> decoders_;
  std::mutex mutex_;
  std::condition_variable available_;
  std::vector<ps_decoder_t*> idle_;
};

// A borrowed decoder, returned to the pool at scope exit.
class DecoderLease {
 public:
  explicit DecoderLease(std::shared_ptr<DecoderPool> pool)
      : pool_(std::move(pool)), ps_(pool_->Acquire()) {}
  ~DecoderLease() { pool_->Release(ps_); }
  DecoderLease(const DecoderLease&) = delete;
  DecoderLease& operator=(const DecoderLease&) = delete;

  ps_decoder_t* get() const { return ps_; }

 private:
  std::shared_ptr<DecoderPool> pool_;
  ps_decoder_t* ps_;
};

Result<const char*> SearchFor(const AsrOptions& options) {
  if (options.lang != "en") {
    return InvalidArgumentError("pocketsphinx: language '" + options.lang +
                                "' is not supported (only en)");
  }
  if (options.grammar.empty()) {
    return kLmSearch;
  }
  if (options.grammar == "digits") {
    return "digits";
  }
  if (options.grammar == "yes_no") {
    return "yes_no";
  }
  return InvalidArgumentError("pocketsphinx: unknown grammar '" + options.grammar +
                              "' (digits, yes_no or none)");
}

Status StartUtterance(ps_decoder_t* ps, const char* search) {
  const char* current = ps_get_search(ps);
  if ((current == nullptr || std::string_view(current) != search) &&
      ps_set_search(ps, search) < 0) {
    return InternalError(std::string("pocketsphinx: cannot switch to search '") + search + "'");
  }
  if (ps_start_utt(ps) < 0) {
    return InternalError("pocketsphinx: cannot start an utterance");
  }
  return OkStatus();
}

class PocketsphinxStream final : public AsrStream {
 public:
  explicit PocketsphinxStream(std::unique_ptr<DecoderLease> lease) : lease_(std::move(lease)) {}
  ~PocketsphinxStream() override {
    if (lease_ != nullptr) {
      ps_end_utt(lease_->get());
    }
  }

  Status Feed(std::span<const int16_t> pcm16k) override {
    if (lease_ == nullptr) {
      return FailedPreconditionError("pocketsphinx stream: already finished");
    }
    if (pcm16k.empty()) {
      return OkStatus();
    }
    const auto start = std::chrono::steady_clock::now();
    const std::vector<int16_t> audio = dither_.Apply(pcm16k);
    const int frames = ps_process_raw(lease_->get(), audio.data(), audio.size(),
                                      /*no_search=*/FALSE, /*full_utt=*/FALSE);
    decode_seconds_ += SecondsSince(start);
    samples_ += pcm16k.size();
    if (frames < 0) {
      return InternalError("pocketsphinx stream: cannot process audio");
    }
    return OkStatus();
  }

  std::string Partial() override {
    if (lease_ == nullptr) {
      return final_text_;
    }
    int32 score = 0;
    const char* hyp = ps_get_hyp(lease_->get(), &score);
    return hyp == nullptr ? std::string() : std::string(hyp);
  }

  Result<Transcript> Finish() override {
    if (lease_ == nullptr) {
      return FailedPreconditionError("pocketsphinx stream: already finished");
    }
    const auto start = std::chrono::steady_clock::now();
    ps_decoder_t* ps = lease_->get();
    if (ps_end_utt(ps) < 0) {
      lease_.reset();
      return InternalError("pocketsphinx stream: cannot end the utterance");
    }
    Transcript t = CollectResult(ps);
    lease_.reset();
    t.audio_seconds = static_cast<double>(samples_) / kAsrRate;
    t.decode_seconds = decode_seconds_ + SecondsSince(start);
    final_text_ = t.text;
    return t;
  }

 private:
  std::unique_ptr<DecoderLease> lease_;  // null once finished
  size_t samples_ = 0;
  double decode_seconds_ = 0;
  std::string final_text_;
  Dither dither_;
};

class PocketsphinxAsr final : public AsrEngine {
 public:
  explicit PocketsphinxAsr(std::shared_ptr<DecoderPool> pool) : pool_(std::move(pool)) {}

  std::string name() const override { return "pocketsphinx"; }
  bool Supports(std::string_view lang) const override { return lang == "en"; }

  Result<Transcript> Transcribe(std::span<const int16_t> pcm16k,
                                const AsrOptions& options) override {
    KEFU_ASSIGN_OR_RETURN(const char* search, SearchFor(options));
    Transcript out;
    out.audio_seconds = static_cast<double>(pcm16k.size()) / kAsrRate;
    if (pcm16k.empty()) {
      return out;
    }
    DecoderLease lease(pool_);
    const auto start = std::chrono::steady_clock::now();
    ps_decoder_t* ps = lease.get();
    KEFU_RETURN_IF_ERROR(StartUtterance(ps, search));
    // The whole utterance at once (full_utt): cepstral mean normalisation then uses the
    // utterance's own mean, as the model was trained ("-cmn batch" in its feat.params).
    std::vector<int16_t> padded(PadSamples(), 0);  // TEMP(tuning)
    padded.insert(padded.end(), pcm16k.begin(), pcm16k.end());
    padded.insert(padded.end(), PadSamples(), 0);
    const std::vector<int16_t> audio = Dither().Apply(padded);
    const int frames = ps_process_raw(ps, audio.data(), audio.size(), /*no_search=*/FALSE,
                                      /*full_utt=*/TRUE);
    const int ended = ps_end_utt(ps);
    if (frames < 0 || ended < 0) {
      return InternalError("pocketsphinx: cannot decode " + std::to_string(pcm16k.size()) +
                           " samples");
    }
    Transcript t = CollectResult(ps);
    t.audio_seconds = out.audio_seconds;
    t.decode_seconds = SecondsSince(start);
    return t;
  }

  Result<std::unique_ptr<AsrStream>> StartStream(const AsrOptions& options) override {
    KEFU_ASSIGN_OR_RETURN(const char* search, SearchFor(options));
    auto lease = std::make_unique<DecoderLease>(pool_);
    KEFU_RETURN_IF_ERROR(StartUtterance(lease->get(), search));
    return std::unique_ptr<AsrStream>(std::make_unique<PocketsphinxStream>(std::move(lease)));
  }

 private:
  // Shared with the streams: a stream that is still open keeps its decoder (and the pool)
  // alive after the engine is gone, e.g. a voice session closing during shutdown.
  std::shared_ptr<DecoderPool> pool_;
};

Result<DecoderPtr> NewDecoder(const std::string& hmm, const std::string& dict,
                              const std::string& lm) {
  std::vector<const char*> argv = {"-hmm",       hmm.c_str(), "-dict",
                                   dict.c_str(), "-logfn",    "/dev/null"};
  std::vector<std::string> tune_words;  // TEMP(tuning)
  if (const char* env = std::getenv("KEFU_PS_TUNE")) {
    std::istringstream in(env);
    for (std::string w; in >> w;) {
      tune_words.push_back(w);
    }
  }
  for (const PsArg& arg : kTuning) {
    bool overridden = false;
    for (size_t i = 0; i + 1 < tune_words.size(); i += 2) {
      overridden = overridden || tune_words[i] == arg.name;
    }
    if (!overridden) {
      argv.push_back(arg.name);
      argv.push_back(arg.value);
    }
  }
  for (const std::string& w : tune_words) {
    argv.push_back(w.c_str());
  }
  std::unique_ptr<cmd_ln_t, ConfigFree> config(cmd_ln_parse_r(
      nullptr, ps_args(), static_cast<int32>(argv.size()), const_cast<char**>(argv.data()), TRUE));
  if (config == nullptr) {
    return InternalError("pocketsphinx: bad decoder arguments");
  }
  DecoderPtr ps(ps_init(config.get()));  // retains the config
  if (ps == nullptr) {
    return InvalidArgumentError("pocketsphinx: cannot load the acoustic model '" + hmm +
                                "' with the dictionary '" + dict + "'");
  }
  if (ps_set_lm_file(ps.get(), kLmSearch, lm.c_str()) < 0) {
    return InvalidArgumentError("pocketsphinx: cannot load the language model '" + lm + "'");
  }
  std::string digits_grammar = kDigitsGrammar;  // TEMP(tuning)
  if (const char* env = std::getenv("KEFU_PS_DIGITS")) {
    std::ifstream in(env);
    std::stringstream text;
    text << in.rdbuf();
    digits_grammar = text.str();
  }
  if (ps_set_jsgf_string(ps.get(), "digits", digits_grammar.c_str()) < 0 ||
      ps_set_jsgf_string(ps.get(), "yes_no", kYesNoGrammar) < 0) {
    return InternalError("pocketsphinx: cannot compile the answer grammars");
  }
  if (ps_set_search(ps.get(), kLmSearch) < 0) {
    return InternalError("pocketsphinx: cannot select the language model search");
  }
  return ps;
}

}  // namespace

Result<std::unique_ptr<AsrEngine>> NewPocketsphinxAsr(const PocketsphinxOptions& options) {
  namespace fs = std::filesystem;
  const std::string hmm = (fs::path(options.model_dir) / "en-us").string();
  const std::string dict = (fs::path(options.model_dir) / "cmudict-en-us.dict").string();
  const std::string lm = options.lm_path.empty()
                             ? (fs::path(options.model_dir) / "en-us.lm.bin").string()
                             : options.lm_path;
  if (!fs::exists(fs::path(hmm) / "mdef")) {
    return NotFoundError("pocketsphinx: no acoustic model at '" + hmm + "'");
  }
  if (!fs::exists(dict)) {
    return NotFoundError("pocketsphinx: no dictionary at '" + dict + "'");
  }
  if (!fs::exists(lm)) {
    return NotFoundError("pocketsphinx: no language model at '" + lm + "'");
  }
  if (options.decoders < 1) {
    return InvalidArgumentError("pocketsphinx: decoders must be at least 1, got " +
                                std::to_string(options.decoders));
  }
  // Logging is process-wide in sphinxbase; kefu's own log says what matters. -logfn /dev/null
  // below keeps it quiet too, but only once a decoder has parsed it.
  err_set_logfp(nullptr);
  std::vector<DecoderPtr> decoders;
  for (int i = 0; i < options.decoders; ++i) {
    KEFU_ASSIGN_OR_RETURN(DecoderPtr ps, NewDecoder(hmm, dict, lm));
    decoders.push_back(std::move(ps));
  }
  return std::unique_ptr<AsrEngine>(
      std::make_unique<PocketsphinxAsr>(std::make_shared<DecoderPool>(std::move(decoders))));
}

}  // namespace kefu::speech
