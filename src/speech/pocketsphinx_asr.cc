// Speech recognition with CMU pocketsphinx 5prealpha (Debian's libpocketsphinx3) and its US
// English acoustic model: free speech against an n-gram language model (kefu's domain model from
// lm_builder.cc, or Debian's general one), short answers against a JSGF grammar.
//
// A decoder holds the acoustic model, the 134k-word dictionary and the search state (about
// 30 MB, 0.3-0.4 s to load), and decodes one utterance at a time, so the engine keeps a small
// pool of them: Transcribe borrows one for the utterance, a stream for its whole life. Each
// decoder has its three searches ("lm", "digits", "yes_no") added once at start; switching
// between them per utterance is a pointer swap (ps_set_search).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>
#include <utility>

#include <unistd.h>

#include "speech/speech.h"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpedantic"
#include <pocketsphinx.h>
#include <sphinxbase/cmn.h>
#include <sphinxbase/err.h>
#include <sphinxbase/feat.h>
#include <sphinxbase/logmath.h>
#pragma GCC diagnostic pop

namespace kefu::speech {
namespace {

constexpr const char* kLmSearch = "lm";
// What a stream decodes as the audio comes, for its partial hypotheses: the domain model alone,
// with the narrower beams of a quick first look (the final transcript is decoded again, whole,
// with kLmSearch). A partial is a preview; half the decoding time of a call was going into it.
// bench/voice_stream.sh, 60 calls, both passes: 0.34x real time with the full search for
// partials, 0.21-0.24x with these beams at 1e-40 / 1e-30 / 8000, 0.15x with these; the first
// partial came 121-125 ms (p50) after the start of speech every time.
constexpr const char* kPartialSearch = "partial";
constexpr double kPartialBeam = 1e-30;  // -beam and -pbeam
constexpr double kPartialWordBeam = 1e-25;
constexpr long kPartialMaxHmms = 3000;

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

// A stream longer than this is refused: the voice activity detector ends utterances long before.
constexpr size_t kMaxStreamSamples = 120 * kAsrRate;

// Decoder settings, chosen on the generated espeak-ng corpus (scripts/gen-asr-corpus.sh: 123
// sentences and 40 digit strings, 2 voices x 2 speeds; figures in docs/voice.md):
//  -lw 10 with wide beams (-beam/-pbeam 1e-60, -wbeam 1e-40, -maxhmmpf 30000): the domain
//    model is small and sure of itself, and a language weight above the default 6.5 lets it
//    correct more of the acoustic model's mistakes; but a heavier language score makes the
//    default beams prune the right words (lw 10 with the default beams: 32% WER; with these:
//    17%). lw 6.5 and 13 were both worse.
//  -topn 8: score 8 Gaussians per codebook instead of 4 (the model is semi-continuous, PTM):
//    one WER point for a third more CPU.
//  -fwdflat no: the second (flat-lexicon) pass cost 40% more time for no gain once -bestpath
//    rescores the lattice; -bestpath yes also gives the word posteriors of the confidence.
//  -remove_noise no: the front end's noise estimate carries over from one utterance to the
//    next, so the same audio decoded twice gave different words; kefu's audio is short turns,
//    each one decoded on its own.
//  -pl_window 0: no phone lookahead (it saved no time with these beams).
// The real-time factor on one core is about 0.1 (docs/voice.md).
struct PsArg {
  const char* name;
  const char* value;
};
constexpr PsArg kTuning[] = {
    {"-lw", "10"},           {"-beam", "1e-60"},  {"-pbeam", "1e-60"}, {"-wbeam", "1e-40"},
    {"-maxhmmpf", "30000"},  {"-topn", "8"},      {"-fwdflat", "no"},  {"-bestpath", "yes"},
    {"-remove_noise", "no"}, {"-pl_window", "0"},
};

// Digital silence (runs of exact zeros: synthesised speech, gated or padded audio) has no energy
// at all, so its frames' log energy sits at the front end's floor, far below any recording;
// batch cepstral mean normalisation then subtracts a mean dragged down by them and the acoustic
// model hears words wrong ("nine four eight two" came out as "one four"). A faint deterministic
// noise, uniform in +-kDitherAmplitude (about -58 dBFS, a quiet room), gives silence a level
// like the recordings the model was trained on; it is far below any speech. pocketsphinx's own
// -dither adds only +-1 and helped less; +-10 left the WER 2 points higher, +-160 5 points.
constexpr int kDitherAmplitude = 40;

// The noise for one utterance: the same samples always get the same noise.
class Dither {
 public:
  void Apply(std::span<const int16_t> pcm, std::vector<int16_t>& out) {
    const int amplitude = kDitherAmplitude;
    out.reserve(out.size() + pcm.size());
    for (int16_t x : pcm) {
      state_ = state_ * 1664525u + 1013904223u;  // LCG (Numerical Recipes)
      const int noise = static_cast<int>((state_ >> 16) % (2 * amplitude + 1)) - amplitude;
      out.push_back(static_cast<int16_t>(std::clamp(x + noise, -32768, 32767)));
    }
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

// One decoder and what it needs to start every utterance from the same state.
struct Decoder {
  DecoderPtr ps;
  cmn_type_t cmn_type = CMN_NONE;  // the model's ("batch", from its feat.params)
  std::vector<mfcc_t> cmn_init;    // the live mean the model starts from (-cmninit)
};

// pocketsphinx carries feature state from one utterance to the next: the first time audio
// arrives in pieces (a stream) sphinxbase switches the decoder's cepstral mean normalisation
// from batch to live for good, and the live mean then keeps adapting over every later
// utterance. Both are put back before each utterance, so that a transcript depends on its audio
// only, not on which decoder of the pool decoded it or what that decoder heard before. (feat_t
// is a public struct of sphinxbase's feat.h.)
void ResetFeatureState(Decoder& d) {
  feat_t* feat = ps_get_feat(d.ps.get());
  feat->cmn = d.cmn_type;
  cmn_live_set(feat->cmn_struct, d.cmn_init.data());
}

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Fillers (<s>, </s>, <sil>, [NOISE]) and a grammar's null transitions are not words.
bool IsWord(std::string_view word) {
  return !word.empty() && word.front() != '<' && word.front() != '[' && word != "(NULL)";
}

// "read(2)" -> "read".
std::string_view BaseWord(std::string_view word) {
  const size_t paren = word.find('(');
  return paren == std::string_view::npos || paren == 0 ? word : word.substr(0, paren);
}

// The finished utterance's words, and for the language-model search its confidence: the mean
// over the words of each word's posterior probability in the lattice (ps_seg_prob after
// -bestpath: the share of the lattice's probability mass that passes through that word there,
// 0..1). ps_get_prob's whole-utterance posterior is not used: it shrinks with every word, so a
// long right sentence would look worse than a short wrong one. A grammar's lattice has no
// alternatives worth the name (every posterior is 1), so grammars get GrammarConfidence.
Transcript CollectResult(ps_decoder_t* ps) {
  Transcript out;
  logmath_t* lmath = ps_get_logmath(ps);
  double posterior_sum = 0;
  int words = 0;
  for (ps_seg_t* seg = ps_seg_iter(ps); seg != nullptr; seg = ps_seg_next(seg)) {
    const char* word = ps_seg_word(seg);
    if (word == nullptr || !IsWord(word)) {
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

Status Run(Decoder& d, const char* search, std::span<const int16_t> audio) {
  ps_decoder_t* ps = d.ps.get();
  const char* current = ps_get_search(ps);
  if ((current == nullptr || std::string_view(current) != search) &&
      ps_set_search(ps, search) < 0) {
    return InternalError(std::string("pocketsphinx: cannot switch to search '") + search + "'");
  }
  ResetFeatureState(d);
  if (ps_start_utt(ps) < 0) {
    return InternalError("pocketsphinx: cannot start an utterance");
  }
  // The whole utterance at once (full_utt): cepstral mean normalisation then uses the
  // utterance's own mean, as the model was trained ("-cmn batch" in its feat.params).
  const int frames = ps_process_raw(ps, audio.data(), audio.size(), /*no_search=*/FALSE,
                                    /*full_utt=*/TRUE);
  const int ended = ps_end_utt(ps);
  if (frames < 0 || ended < 0) {
    return InternalError("pocketsphinx: cannot decode " + std::to_string(audio.size()) +
                         " samples");
  }
  return OkStatus();
}

// A grammar always finds some path through the audio, so its own scores cannot say whether
// the shopper said digits at all. The confidence cross-checks it: the same audio is decoded
// with the language-model search too, and the confidence is the share of the grammar's words
// that the free decoding agrees with (1 - word edits / words). Digits said clearly come out the
// same both ways; a sentence forced through the digits grammar shares almost nothing with what
// the language model hears.
Result<double> GrammarConfidence(Decoder& d, std::span<const int16_t> audio,
                                 const Transcript& grammar) {
  KEFU_RETURN_IF_ERROR(Run(d, kLmSearch, audio));
  const Transcript free_text = CollectResult(d.ps.get());
  const auto [edits, words] = WordEdits(grammar.text, free_text.text);
  return words == 0 ? 0 : std::max(0.0, 1.0 - static_cast<double>(edits) / words);
}

// Decodes a whole utterance (already dithered) with `search`.
Result<Transcript> Decode(Decoder& d, const char* search, bool grammar,
                          std::span<const int16_t> audio) {
  KEFU_RETURN_IF_ERROR(Run(d, search, audio));
  Transcript t = CollectResult(d.ps.get());
  if (grammar && !t.text.empty()) {
    KEFU_ASSIGN_OR_RETURN(t.confidence, GrammarConfidence(d, audio, t));
  }
  return t;
}

// The decoders, lent one at a time. Thread-safe.
class DecoderPool {
 public:
  explicit DecoderPool(std::vector<std::unique_ptr<Decoder>> decoders)
      : decoders_(std::move(decoders)) {
    for (const auto& d : decoders_) {
      idle_.push_back(d.get());
    }
  }
  DecoderPool(const DecoderPool&) = delete;
  DecoderPool& operator=(const DecoderPool&) = delete;

  // Waits until a decoder is free.
  Decoder* Acquire() {
    std::unique_lock lock(mutex_);
    available_.wait(lock, [this] { return !idle_.empty(); });
    Decoder* d = idle_.back();
    idle_.pop_back();
    return d;
  }
  void Release(Decoder* d) {
    {
      std::scoped_lock lock(mutex_);
      idle_.push_back(d);
    }
    available_.notify_one();
  }

 private:
  std::vector<std::unique_ptr<Decoder>> decoders_;
  std::mutex mutex_;
  std::condition_variable available_;
  std::vector<Decoder*> idle_;
};

// A borrowed decoder, returned to the pool at scope exit.
class DecoderLease {
 public:
  explicit DecoderLease(std::shared_ptr<DecoderPool> pool)
      : pool_(std::move(pool)), decoder_(pool_->Acquire()) {}
  ~DecoderLease() { pool_->Release(decoder_); }
  DecoderLease(const DecoderLease&) = delete;
  DecoderLease& operator=(const DecoderLease&) = delete;

  Decoder& get() const { return *decoder_; }

 private:
  std::shared_ptr<DecoderPool> pool_;
  Decoder* decoder_;
};

struct Search {
  const char* name;
  bool grammar;
};

Result<Search> SearchFor(const AsrOptions& options) {
  if (options.lang != "en") {
    return InvalidArgumentError("pocketsphinx: language '" + options.lang +
                                "' is not supported (only en)");
  }
  if (options.grammar.empty()) {
    return Search{kLmSearch, false};
  }
  if (options.grammar == "digits") {
    return Search{"digits", true};
  }
  if (options.grammar == "yes_no") {
    return Search{"yes_no", true};
  }
  return InvalidArgumentError("pocketsphinx: unknown grammar '" + options.grammar +
                              "' (digits, yes_no or none)");
}

// A stream decodes as the audio arrives, for Partial, with live cepstral mean normalisation
// (the only kind that works on pieces). Live normalisation starts from the model's average
// voice and needs a second or two to settle, so Finish decodes the whole utterance once more the
// way Transcribe does: the final transcript is the one Transcribe gives for the same audio. To
// keep the price of decoding twice down, the live pass of free speech uses kPartialSearch (the
// domain model alone, narrow beams): a preview, as partials are.
class PocketsphinxStream final : public AsrStream {
 public:
  PocketsphinxStream(std::unique_ptr<DecoderLease> lease, Search search)
      : lease_(std::move(lease)), search_(search) {}
  ~PocketsphinxStream() override {
    if (lease_ != nullptr) {
      ps_end_utt(lease_->get().ps.get());
    }
  }
  PocketsphinxStream(const PocketsphinxStream&) = delete;
  PocketsphinxStream& operator=(const PocketsphinxStream&) = delete;

  Status Start() {
    Decoder& d = lease_->get();
    ps_decoder_t* ps = d.ps.get();
    const char* live = search_.grammar ? search_.name : kPartialSearch;
    if (ps_set_search(ps, live) < 0) {
      return InternalError(std::string("pocketsphinx: cannot switch to search '") + live + "'");
    }
    ResetFeatureState(d);
    if (ps_start_utt(ps) < 0) {
      return InternalError("pocketsphinx: cannot start an utterance");
    }
    return OkStatus();
  }

  Status Feed(std::span<const int16_t> pcm16k) override {
    if (lease_ == nullptr) {
      return FailedPreconditionError("pocketsphinx stream: already finished");
    }
    if (audio_.size() + pcm16k.size() > kMaxStreamSamples) {
      return OutOfRangeError("pocketsphinx stream: longer than " +
                             std::to_string(kMaxStreamSamples / kAsrRate) + " s");
    }
    if (pcm16k.empty()) {
      return OkStatus();
    }
    const auto start = std::chrono::steady_clock::now();
    const size_t from = audio_.size();
    dither_.Apply(pcm16k, audio_);
    const int frames = ps_process_raw(lease_->get().ps.get(), audio_.data() + from,
                                      audio_.size() - from, /*no_search=*/FALSE,
                                      /*full_utt=*/FALSE);
    decode_seconds_ += SecondsSince(start);
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
    const char* hyp = ps_get_hyp(lease_->get().ps.get(), &score);
    return hyp == nullptr ? std::string() : std::string(hyp);
  }

  Result<Transcript> Finish() override {
    if (lease_ == nullptr) {
      return FailedPreconditionError("pocketsphinx stream: already finished");
    }
    const auto start = std::chrono::steady_clock::now();
    std::unique_ptr<DecoderLease> lease = std::move(lease_);
    Decoder& d = lease->get();
    ps_end_utt(d.ps.get());
    Transcript t;
    if (!audio_.empty()) {
      KEFU_ASSIGN_OR_RETURN(t, Decode(d, search_.name, search_.grammar, audio_));
    }
    t.audio_seconds = static_cast<double>(audio_.size()) / kAsrRate;
    t.decode_seconds = decode_seconds_ + SecondsSince(start);
    final_text_ = t.text;
    return t;
  }

 private:
  std::unique_ptr<DecoderLease> lease_;  // null once finished
  Search search_;
  std::vector<int16_t> audio_;  // dithered, for the final pass
  Dither dither_;
  double decode_seconds_ = 0;
  std::string final_text_;
};

class PocketsphinxAsr final : public AsrEngine {
 public:
  explicit PocketsphinxAsr(std::shared_ptr<DecoderPool> pool) : pool_(std::move(pool)) {}

  std::string name() const override { return "pocketsphinx"; }
  bool Supports(std::string_view lang) const override { return lang == "en"; }

  Result<Transcript> Transcribe(std::span<const int16_t> pcm16k,
                                const AsrOptions& options) override {
    KEFU_ASSIGN_OR_RETURN(const Search search, SearchFor(options));
    const double audio_seconds = static_cast<double>(pcm16k.size()) / kAsrRate;
    if (pcm16k.empty()) {
      Transcript empty;
      return empty;
    }
    DecoderLease lease(pool_);
    const auto start = std::chrono::steady_clock::now();
    std::vector<int16_t> audio;
    Dither().Apply(pcm16k, audio);
    KEFU_ASSIGN_OR_RETURN(Transcript t, Decode(lease.get(), search.name, search.grammar, audio));
    t.audio_seconds = audio_seconds;
    t.decode_seconds = SecondsSince(start);
    return t;
  }

  // Waits for a free decoder, which the stream keeps until it is finished or destroyed.
  Result<std::unique_ptr<AsrStream>> StartStream(const AsrOptions& options) override {
    KEFU_ASSIGN_OR_RETURN(const Search search, SearchFor(options));
    auto stream =
        std::make_unique<PocketsphinxStream>(std::make_unique<DecoderLease>(pool_), search);
    KEFU_RETURN_IF_ERROR(stream->Start());
    return std::unique_ptr<AsrStream>(std::move(stream));
  }

 private:
  // Shared with the streams: a stream that is still open keeps its decoder (and the pool)
  // alive after the engine is gone, e.g. a voice session closing during shutdown.
  std::shared_ptr<DecoderPool> pool_;
};

struct ModelFiles {
  std::string hmm;
  std::string dict;  // the pronunciations of every word the search may hear
  std::string lm;
  std::string general_lm;     // interpolated with `lm` when general_weight > 0
  double general_weight = 0;  // 0..1
};

Result<std::unique_ptr<Decoder>> NewDecoder(const ModelFiles& files) {
  std::vector<const char*> argv = {"-hmm",   files.hmm.c_str(), "-dict", files.dict.c_str(),
                                   "-logfn", "/dev/null"};
  for (const PsArg& arg : kTuning) {
    argv.push_back(arg.name);
    argv.push_back(arg.value);
  }
  std::unique_ptr<cmd_ln_t, ConfigFree> config(cmd_ln_parse_r(
      nullptr, ps_args(), static_cast<int32>(argv.size()), const_cast<char**>(argv.data()), TRUE));
  if (config == nullptr) {
    return InternalError("pocketsphinx: bad decoder arguments");
  }
  auto d = std::make_unique<Decoder>();
  d->ps.reset(ps_init(config.get()));  // retains the config
  ps_decoder_t* ps = d->ps.get();
  if (ps == nullptr) {
    return InvalidArgumentError("pocketsphinx: cannot load the acoustic model '" + files.hmm +
                                "' with the dictionary '" + files.dict + "'");
  }
  if (files.general_weight > 0) {
    // One search over both models: each word's probability is the weighted sum of the two
    // (sphinxbase's interpolated model set). The set owns the two models; the search retains
    // the set.
    cmd_ln_t* cfg = ps_get_config(ps);
    logmath_t* lmath = ps_get_logmath(ps);
    ngram_model_t* models[2] = {ngram_model_read(cfg, files.lm.c_str(), NGRAM_AUTO, lmath),
                                ngram_model_read(cfg, files.general_lm.c_str(), NGRAM_AUTO, lmath)};
    if (models[0] == nullptr || models[1] == nullptr) {
      for (ngram_model_t* m : models) {
        if (m != nullptr) {
          ngram_model_free(m);
        }
      }
      return InvalidArgumentError("pocketsphinx: cannot load the language models '" + files.lm +
                                  "' and '" + files.general_lm + "'");
    }
    const float32 weights[2] = {static_cast<float32>(1 - files.general_weight),
                                static_cast<float32>(files.general_weight)};
    char domain_name[] = "domain";
    char general_name[] = "general";
    char* names[2] = {domain_name, general_name};
    ngram_model_t* set = ngram_model_set_init(cfg, models, names, weights, 2);
    const int set_ok = set != nullptr ? ps_set_lm(ps, kLmSearch, set) : -1;
    if (set != nullptr) {
      ngram_model_free(set);
    }
    if (set_ok < 0) {
      return InternalError("pocketsphinx: cannot search the interpolated language models");
    }
  } else if (ps_set_lm_file(ps, kLmSearch, files.lm.c_str()) < 0) {
    return InvalidArgumentError("pocketsphinx: cannot load the language model '" + files.lm + "'");
  }
  {
    // A search reads the beams from the decoder's settings when it is made: narrow them for the
    // partial search, then put them back.
    cmd_ln_t* cfg = ps_get_config(ps);
    const double beam = cmd_ln_float_r(cfg, "-beam");
    const double pbeam = cmd_ln_float_r(cfg, "-pbeam");
    const double wbeam = cmd_ln_float_r(cfg, "-wbeam");
    const long maxhmmpf = cmd_ln_int_r(cfg, "-maxhmmpf");
    cmd_ln_set_float_r(cfg, "-beam", kPartialBeam);
    cmd_ln_set_float_r(cfg, "-pbeam", kPartialBeam);
    cmd_ln_set_float_r(cfg, "-wbeam", kPartialWordBeam);
    cmd_ln_set_int_r(cfg, "-maxhmmpf", kPartialMaxHmms);
    const int partial = ps_set_lm_file(ps, kPartialSearch, files.lm.c_str());
    cmd_ln_set_float_r(cfg, "-beam", beam);
    cmd_ln_set_float_r(cfg, "-pbeam", pbeam);
    cmd_ln_set_float_r(cfg, "-wbeam", wbeam);
    cmd_ln_set_int_r(cfg, "-maxhmmpf", maxhmmpf);
    if (partial < 0) {
      return InvalidArgumentError("pocketsphinx: cannot load the language model '" + files.lm +
                                  "'");
    }
  }
  if (ps_set_jsgf_string(ps, "digits", kDigitsGrammar) < 0 ||
      ps_set_jsgf_string(ps, "yes_no", kYesNoGrammar) < 0) {
    return InternalError("pocketsphinx: cannot compile the answer grammars");
  }
  if (ps_set_search(ps, kLmSearch) < 0) {
    return InternalError("pocketsphinx: cannot select the language model search");
  }
  feat_t* feat = ps_get_feat(ps);
  d->cmn_type = feat->cmn;
  d->cmn_init.resize(static_cast<size_t>(feat->cmn_struct->veclen));
  cmn_live_get(feat->cmn_struct, d->cmn_init.data());
  return d;
}

// The unigrams of an n-gram model (ARPA or binary) with their log probabilities.
Result<std::vector<std::pair<int32, std::string>>> Unigrams(const std::string& path) {
  logmath_t* lmath = logmath_init(1.0001, 0, 0);
  ngram_model_t* model = ngram_model_read(nullptr, path.c_str(), NGRAM_AUTO, lmath);
  logmath_free(lmath);  // the model retains it
  if (model == nullptr) {
    return InvalidArgumentError("pocketsphinx: cannot read the language model '" + path + "'");
  }
  std::vector<std::pair<int32, std::string>> out;
  const uint32 n = ngram_model_get_counts(model)[0];
  for (uint32 wid = 0; wid < n; ++wid) {
    const char* word = ngram_word(model, static_cast<int32>(wid));
    if (word != nullptr && IsWord(word)) {
      out.emplace_back(ngram_score(model, word, nullptr), word);
    }
  }
  ngram_model_free(model);
  return out;
}

// The pronunciations the interpolated search may use: the domain model's words and the general
// model's `general_words` most probable ones, from the full dictionary, written to a temporary
// file (pocketsphinx reads its dictionary from a file). The whole 134k-word dictionary would let
// the search wander over every English word the general model knows: twice as slow, and no more
// accurate (figures in docs/voice.md).
Result<std::string> WriteSearchDictionary(const ModelFiles& files, int general_words) {
  KEFU_ASSIGN_OR_RETURN(auto domain, Unigrams(files.lm));
  KEFU_ASSIGN_OR_RETURN(auto general, Unigrams(files.general_lm));
  std::set<std::string> keep;
  for (auto& [score, word] : domain) {
    keep.insert(std::move(word));
  }
  std::stable_sort(general.begin(), general.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  for (size_t i = 0; i < general.size() && i < static_cast<size_t>(general_words); ++i) {
    keep.insert(general[i].second);
  }
  std::ifstream in(files.dict);
  if (!in) {
    return NotFoundError("pocketsphinx: cannot read the dictionary '" + files.dict + "'");
  }
  std::string path = (std::filesystem::temp_directory_path() / "kefu-dict-XXXXXX").string();
  const int fd = mkstemp(path.data());
  if (fd < 0) {
    return InternalError("pocketsphinx: cannot create a temporary dictionary");
  }
  close(fd);
  std::ofstream out(path);
  for (std::string line; std::getline(in, line);) {
    const size_t end = line.find_first_of(" \t");
    if (end != std::string::npos && keep.contains(std::string(BaseWord(line.substr(0, end))))) {
      out << line << '\n';
    }
  }
  if (!out.flush()) {
    std::filesystem::remove(path);
    return InternalError("pocketsphinx: cannot write the temporary dictionary " + path);
  }
  return path;
}

}  // namespace

Result<std::unique_ptr<AsrEngine>> NewPocketsphinxAsr(const PocketsphinxOptions& options) {
  namespace fs = std::filesystem;
  const fs::path dir(options.model_dir);
  ModelFiles files;
  files.hmm = (dir / "en-us").string();
  files.dict = (dir / "cmudict-en-us.dict").string();
  files.general_lm = (dir / "en-us.lm.bin").string();
  files.lm = options.lm_path.empty() ? files.general_lm : options.lm_path;
  files.general_weight = options.lm_path.empty() ? 0 : options.general_weight;
  if (!fs::exists(fs::path(files.hmm) / "mdef")) {
    return NotFoundError("pocketsphinx: no acoustic model at '" + files.hmm + "'");
  }
  if (!fs::exists(files.dict)) {
    return NotFoundError("pocketsphinx: no dictionary at '" + files.dict + "'");
  }
  if (!fs::exists(files.lm)) {
    return NotFoundError("pocketsphinx: no language model at '" + files.lm + "'");
  }
  if (options.decoders < 1) {
    return InvalidArgumentError("pocketsphinx: decoders must be at least 1, got " +
                                std::to_string(options.decoders));
  }
  if (options.general_weight < 0 || options.general_weight >= 1) {
    return InvalidArgumentError("pocketsphinx: general_weight must be in [0, 1)");
  }
  if (files.general_weight > 0 && !fs::exists(files.general_lm)) {
    return NotFoundError("pocketsphinx: no general language model at '" + files.general_lm + "'");
  }
  // Logging is process-wide in sphinxbase; kefu's own log says what matters. -logfn /dev/null
  // keeps it quiet too, but only from the moment a decoder has parsed it.
  err_set_logfp(nullptr);
  std::string temporary_dict;
  if (files.general_weight > 0) {
    KEFU_ASSIGN_OR_RETURN(temporary_dict, WriteSearchDictionary(files, options.general_words));
    files.dict = temporary_dict;
  }
  std::vector<std::unique_ptr<Decoder>> decoders;
  Status built = OkStatus();
  for (int i = 0; i < options.decoders && built.ok(); ++i) {
    Result<std::unique_ptr<Decoder>> d = NewDecoder(files);
    if (d.ok()) {
      decoders.push_back(std::move(*d));
    } else {
      built = d.status();
    }
  }
  if (!temporary_dict.empty()) {
    std::error_code ec;
    fs::remove(temporary_dict, ec);  // the decoders have read it
  }
  KEFU_RETURN_IF_ERROR(built);
  return std::unique_ptr<AsrEngine>(
      std::make_unique<PocketsphinxAsr>(std::make_shared<DecoderPool>(std::move(decoders))));
}

}  // namespace kefu::speech
