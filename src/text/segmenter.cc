#include "text/segmenter.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <thread>
#include <utility>

#include "core/logging.h"
#include "core/thread_name.h"
#include "core/utf8.h"
#include "text/char_class.h"
#include "text/normalize.h"

// friso is C and its headers have no extern "C". They also define macros with common names
// (print, println), so they come last and those macros are dropped.
extern "C" {
#include <friso.h>
}
#undef print
#undef println

namespace kefu::text {
namespace {

using internal::CharClass;
using internal::ClassOf;

// Han runs go to friso in pieces of at most this many characters, so one long message holds
// the friso lock only briefly. A word cut at a piece boundary is split in two.
constexpr size_t kMaxHanPiece = 256;
// friso only looks this many characters ahead, so longer lexicon words could never match.
constexpr uint16_t kMaxWordChars = 8;

// Splits a run of BMP Han characters into word lengths (in code points) summing to run.size().
using HanSplitter = std::function<void(std::u32string_view run, std::vector<uint32_t>& lengths)>;

bool IsKeycapTail(const std::u32string& cps, size_t i) {
  return i < cps.size() &&
         (cps[i] == 0x20E3 || (cps[i] == 0xFE0F && i + 1 < cps.size() && cps[i + 1] == 0x20E3));
}

bool IsRegionalIndicator(char32_t cp) {
  return cp >= 0x1F1E6 && cp <= 0x1F1FF;
}

// The end of the emoji cluster starting at i: modifiers, variation selectors, keycaps, tags,
// ZWJ sequences, and flag pairs.
size_t EmojiClusterEnd(const std::u32string& cps, size_t i) {
  size_t j = i + 1;
  if (IsRegionalIndicator(cps[i]) && j < cps.size() && IsRegionalIndicator(cps[j])) {
    return j + 1;
  }
  while (j < cps.size() && internal::IsEmojiExtender(cps[j])) {
    if (cps[j] == 0x200D && j + 1 < cps.size() && internal::IsEmojiChar(cps[j + 1])) {
      j += 2;
    } else {
      ++j;
    }
  }
  return j;
}

// The character-class tokenizer shared by both segmenters; Han runs go to `split_han`.
std::vector<Token> Tokenize(std::string_view input, const HanSplitter& split_han) {
  const std::u32string cps = utf8::Decode(input);
  const size_t n = cps.size();
  std::vector<Token> tokens;
  auto emit = [&](size_t start, size_t end, TokenKind kind) {
    Token t;
    t.text = utf8::Encode(std::u32string_view(cps.data() + start, end - start));
    t.start = static_cast<uint32_t>(start);
    t.end = static_cast<uint32_t>(end);
    t.kind = kind;
    tokens.push_back(std::move(t));
  };
  std::vector<uint32_t> lengths;
  size_t i = 0;
  while (i < n) {
    const char32_t c = cps[i];
    size_t j = i + 1;
    switch (ClassOf(c)) {
      case CharClass::kSpace:
      case CharClass::kOther:
        break;
      case CharClass::kHan:
        if (!internal::IsBmpHan(c)) {
          emit(i, j, TokenKind::kWord);
          break;
        }
        while (j < n && internal::IsBmpHan(cps[j])) {
          ++j;
        }
        lengths.clear();
        split_han(std::u32string_view(cps.data() + i, j - i), lengths);
        for (size_t k = i; uint32_t len : lengths) {
          emit(k, k + len, TokenKind::kWord);
          k += len;
        }
        break;
      case CharClass::kLatinLetter:
        while (j < n) {
          const CharClass cls = ClassOf(cps[j]);
          const bool apostrophe = (cps[j] == '\'' || cps[j] == 0x2019) && j + 1 < n &&
                                  ClassOf(cps[j + 1]) == CharClass::kLatinLetter;
          if (cls == CharClass::kLatinLetter || apostrophe ||
              (cls == CharClass::kMark && !internal::IsEmojiExtender(cps[j]))) {
            ++j;
          } else {
            break;
          }
        }
        emit(i, j, TokenKind::kLatin);
        break;
      case CharClass::kDigit:
        if (IsKeycapTail(cps, j)) {
          j = EmojiClusterEnd(cps, i);
          emit(i, j, TokenKind::kEmoji);
          break;
        }
        while (j < n) {
          if (ClassOf(cps[j]) == CharClass::kDigit) {
            ++j;
          } else if ((cps[j] == '.' || cps[j] == ',') && j + 1 < n &&
                     ClassOf(cps[j + 1]) == CharClass::kDigit) {
            j += 2;
          } else {
            break;
          }
        }
        emit(i, j, TokenKind::kNumber);
        break;
      case CharClass::kEmoji:
        j = EmojiClusterEnd(cps, i);
        emit(i, j, TokenKind::kEmoji);
        break;
      case CharClass::kPunct:
        if ((c == '#' || c == '*') && IsKeycapTail(cps, j)) {
          j = EmojiClusterEnd(cps, i);
          emit(i, j, TokenKind::kEmoji);
          break;
        }
        emit(i, j, TokenKind::kPunct);
        break;
      case CharClass::kOtherLetter:
        while (j < n && (ClassOf(cps[j]) == CharClass::kOtherLetter ||
                         ClassOf(cps[j]) == CharClass::kMark)) {
          ++j;
        }
        emit(i, j, TokenKind::kWord);
        break;
      case CharClass::kMark:
        // A mark with nothing before it to extend (or after white space) joins the previous
        // token when adjacent, and is dropped otherwise.
        if (!tokens.empty() && tokens.back().end == i) {
          utf8::AppendCodePoint(c, tokens.back().text);
          tokens.back().end = static_cast<uint32_t>(j);
        }
        break;
    }
    i = j;
  }
  return tokens;
}

class HanCharSegmenter final : public Segmenter {
 public:
  std::vector<Token> Segment(std::string_view normalized) const override {
    return Tokenize(normalized, [](std::u32string_view run, std::vector<uint32_t>& lengths) {
      lengths.assign(run.size(), 1);
    });
  }
  std::string_view backend() const override { return "han-chars"; }
};

struct FrisoDeleter {
  void operator()(friso_entry* f) const { friso_free(f); }
};
struct FrisoConfigDeleter {
  void operator()(friso_config_entry* c) const { friso_free_config(c); }
};
struct FrisoTaskDeleter {
  void operator()(friso_task_entry* t) const { friso_free_task(t); }
};
using FrisoPtr = std::unique_ptr<friso_entry, FrisoDeleter>;
using FrisoConfigPtr = std::unique_ptr<friso_config_entry, FrisoConfigDeleter>;
using FrisoTaskPtr = std::unique_ptr<friso_task_entry, FrisoTaskDeleter>;

// Reads the lexicon: one term per line, '#' comment lines, blank lines ignored.
Result<std::vector<std::string>> ReadLexicon(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return NotFoundError("segmenter: cannot read lexicon '" + path + "'");
  }
  std::vector<std::string> terms;
  std::string line;
  while (std::getline(in, line)) {
    const size_t first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos || line[first] == '#') {
      continue;
    }
    const size_t last = line.find_last_not_of(" \t\r");
    terms.push_back(line.substr(first, last - first + 1));
  }
  return terms;
}

// One friso instance: a dictionary, its configuration, and the lock that serializes calls into
// it (friso writes into shared dictionary entries while it segments: lex_entry->offset in
// next_mmseg_token).
struct FrisoLane {
  FrisoPtr friso;
  FrisoConfigPtr config;
  std::mutex mutex;
};

bool HasDictionary(const friso_entry& f) {
  return f.dic != nullptr && friso_all_dic_size(f.dic) > 0;
}

// Loads friso's configuration and system dictionary: the ini's lex_dir first, then dict_dir.
Result<std::unique_ptr<FrisoLane>> LoadFrisoLane(const SegmenterOptions& options) {
  FrisoPtr friso(friso_new());
  FrisoConfigPtr config(friso_new_config());
  std::error_code ec;
  bool ini_loaded = false;
  if (!options.friso_ini_path.empty() &&
      std::filesystem::is_regular_file(options.friso_ini_path, ec)) {
    std::string ini = options.friso_ini_path;  // friso takes a mutable char*
    ini_loaded = friso_init_from_ifile(friso.get(), config.get(), ini.data()) == 1;
  }
  if (!HasDictionary(*friso)) {
    if (friso->dic != nullptr) {
      friso_dic_free(friso->dic);
      friso->dic = nullptr;
    }
    std::string dir = options.friso_dict_dir;
    if (!dir.empty() && dir.back() != '/') {
      dir.push_back('/');
    }
    if (dir.empty() || !std::filesystem::is_regular_file(dir + "friso.lex.ini", ec)) {
      return UnavailableError("segmenter: no friso dictionary: '" + options.friso_ini_path + "' " +
                              (ini_loaded ? "names none that loads" : "is unreadable") + " and '" +
                              dir + "friso.lex.ini' does not exist");
    }
    if (!ini_loaded) {
      friso_init_config(config.get());
    }
    friso->charset = FRISO_UTF8;
    friso->dic = friso_dic_new();
    constexpr int kUtf8HanBytes = 3;
    friso_dic_load_from_ifile(friso.get(), config.get(), dir.data(),
                              static_cast<uint_t>(config->max_len * kUtf8HanBytes));
    if (!HasDictionary(*friso)) {
      return UnavailableError("segmenter: friso loaded no words from '" + dir + "'");
    }
  }
  if (friso->charset != FRISO_UTF8) {
    return UnavailableError("segmenter: '" + options.friso_ini_path + "' sets a non-UTF-8 charset");
  }
  // We want one segmentation, so no synonyms, no secondary English splits, no stop-word removal.
  config->add_syn = 0;
  config->clr_stw = 0;
  config->keep_urec = 0;
  config->spx_out = 0;
  config->en_sseg = 0;
  friso_set_mode(config.get(), __FRISO_COMPLEX_MODE__);
  auto lane = std::make_unique<FrisoLane>();
  lane->friso = std::move(friso);
  lane->config = std::move(config);
  return lane;
}

// Adds a word (two to kMaxWordChars Han characters) to one lane's dictionary; false when it was
// already there.
bool AddWord(FrisoLane& lane, const std::string& word, size_t chars) {
  lane.config->max_len = std::max<uint16_t>(lane.config->max_len, static_cast<uint16_t>(chars));
  if (friso_dic_match(lane.friso->dic, __LEX_CJK_WORDS__, const_cast<char*>(word.c_str())) != 0) {
    return false;
  }
  // friso's dictionary owns the malloc'ed word and frees it in friso_free().
  friso_dic_add(lane.friso->dic, __LEX_CJK_WORDS__, strdup(word.c_str()), nullptr);
  return true;
}

// friso's MMSEG segmenter over the system dictionary plus our words.
//
// Calls into one friso instance must not overlap, so a single instance lets only one thread
// segment at a time: the server's I/O threads and a knowledge-base import's threads queued on it.
// The segmenter therefore keeps up to one instance ("lane") per core, each with the same words.
// It starts with one; when a call finds every lane busy, it waits on one of them and another
// lane is loaded in the background (about 0.2 s and 22 MB each), so a process that never
// segments from two threads at once never pays for a second.
class FrisoSegmenter final : public Segmenter {
 public:
  static constexpr size_t kMaxLanes = 8;

  FrisoSegmenter(SegmenterOptions options, std::unique_ptr<FrisoLane> first)
      : options_(std::move(options)),
        max_lanes_(std::clamp<size_t>(std::thread::hardware_concurrency(), 1, kMaxLanes)) {
    lanes_[0].store(first.get());
    owned_.push_back(std::move(first));
  }
  ~FrisoSegmenter() override {
    std::scoped_lock lock(grow_mutex_);
    if (grower_.joinable()) {
      grower_.join();
    }
  }
  FrisoSegmenter(const FrisoSegmenter&) = delete;
  FrisoSegmenter& operator=(const FrisoSegmenter&) = delete;

  std::vector<Token> Segment(std::string_view normalized) const override {
    return Tokenize(normalized, [this](std::u32string_view run, std::vector<uint32_t>& lengths) {
      for (size_t i = 0; i < run.size(); i += kMaxHanPiece) {
        SplitPiece(run.substr(i, kMaxHanPiece), lengths);
      }
    });
  }
  std::string_view backend() const override { return "friso"; }

  // Adds each run of two or more BMP Han characters of the normalized `term` as a word.
  // Returns the number of words added. Not thread-safe: called before the segmenter is shared.
  size_t AddTerm(std::string_view term) {
    const std::u32string cps = utf8::Decode(Normalize(term).text);
    size_t added = 0;
    size_t i = 0;
    while (i < cps.size()) {
      if (!internal::IsBmpHan(cps[i])) {
        ++i;
        continue;
      }
      size_t j = i;
      while (j < cps.size() && internal::IsBmpHan(cps[j])) {
        ++j;
      }
      if (j - i >= 2 && j - i <= kMaxWordChars) {
        std::string word = utf8::Encode(std::u32string_view(cps.data() + i, j - i));
        added += AddWord(*owned_.front(), word, j - i) ? 1 : 0;
        words_.emplace_back(std::move(word), j - i);  // also when known: it raised max_len
      }
      i = j;
    }
    return added;
  }

  // Lanes loaded so far (for tests).
  size_t lanes() const { return lane_count_.load(); }

 private:
  // A free lane, locked into `lock`; when all are busy, asks for another and waits on one.
  FrisoLane& Acquire(std::unique_lock<std::mutex>& lock) const {
    const size_t n = lane_count_.load(std::memory_order_acquire);
    for (size_t i = 0; i < n; ++i) {
      FrisoLane* lane = lanes_[i].load(std::memory_order_acquire);
      std::unique_lock<std::mutex> attempt(lane->mutex, std::try_to_lock);
      if (attempt.owns_lock()) {
        lock = std::move(attempt);
        return *lane;
      }
    }
    Grow(n);
    FrisoLane* lane = lanes_[std::hash<std::thread::id>{}(std::this_thread::get_id()) % n].load(
        std::memory_order_acquire);
    lock = std::unique_lock<std::mutex>(lane->mutex);
    return *lane;
  }

  // Loads lane number `n` in the background, unless one is loading or the lanes are all there.
  void Grow(size_t n) const {
    if (n >= max_lanes_ || growing_.exchange(true)) {
      return;
    }
    std::scoped_lock lock(grow_mutex_);
    if (grower_.joinable()) {
      grower_.join();  // the previous load, finished: growing_ was false
    }
    grower_ = std::thread([this, n] {
      SetThreadName("kefu-segmenter");
      Result<std::unique_ptr<FrisoLane>> lane = LoadFrisoLane(options_);
      if (!lane.ok()) {
        KEFU_LOG_WARN("segmenter: no extra friso instance: {}", lane.status().message());
        return;  // growing_ stays true: no more tries
      }
      for (const auto& [word, chars] : words_) {
        AddWord(**lane, word, chars);
      }
      {
        std::scoped_lock owned_lock(owned_mutex_);
        lanes_[n].store(lane->get(), std::memory_order_release);
        owned_.push_back(std::move(*lane));
      }
      lane_count_.store(n + 1, std::memory_order_release);
      KEFU_LOG_DEBUG("segmenter: friso instance {} of at most {} loaded", n + 1, max_lanes_);
      growing_.store(false);
    });
  }

  // Appends the word lengths of one piece of a Han run. friso's offsets are bytes; every BMP
  // Han character is 3 UTF-8 bytes. Tokens friso skips or that do not line up with the input
  // become one-character words, so the lengths always cover the piece.
  void SplitPiece(std::u32string_view piece, std::vector<uint32_t>& lengths) const {
    constexpr int kHanBytes = 3;
    std::string text = utf8::Encode(piece);
    uint32_t cursor = 0;
    {
      std::unique_lock<std::mutex> lock;
      FrisoLane& lane = Acquire(lock);
      FrisoTaskPtr task(friso_new_task());
      friso_set_text(task.get(), text.data());
      friso_token_t tok = nullptr;
      while ((tok = lane.config->next_token(lane.friso.get(), lane.config.get(), task.get())) !=
             nullptr) {
        const int offset = tok->offset;
        const int len = tok->length;
        if (offset < 0 || len <= 0 || offset % kHanBytes != 0 || len % kHanBytes != 0 ||
            static_cast<size_t>(offset + len) > text.size() ||
            std::memcmp(tok->word, text.data() + offset, static_cast<size_t>(len)) != 0) {
          continue;
        }
        const auto start = static_cast<uint32_t>(offset / kHanBytes);
        if (start < cursor) {
          continue;  // overlaps what we already have
        }
        for (; cursor < start; ++cursor) {
          lengths.push_back(1);
        }
        lengths.push_back(static_cast<uint32_t>(len / kHanBytes));
        cursor += static_cast<uint32_t>(len / kHanBytes);
      }
    }
    for (; cursor < piece.size(); ++cursor) {
      lengths.push_back(1);
    }
  }

  const SegmenterOptions options_;
  const size_t max_lanes_;
  std::vector<std::pair<std::string, size_t>> words_;  // AddTerm's words, for new lanes
  mutable std::array<std::atomic<FrisoLane*>, kMaxLanes> lanes_{};
  mutable std::atomic<size_t> lane_count_{1};
  mutable std::mutex owned_mutex_;
  mutable std::vector<std::unique_ptr<FrisoLane>> owned_;  // guarded by owned_mutex_ once shared
  mutable std::mutex grow_mutex_;
  mutable std::thread grower_;  // guarded by grow_mutex_
  mutable std::atomic<bool> growing_{false};
};

}  // namespace

std::string_view TokenKindName(TokenKind kind) {
  switch (kind) {
    case TokenKind::kWord:
      return "word";
    case TokenKind::kNumber:
      return "number";
    case TokenKind::kLatin:
      return "latin";
    case TokenKind::kPunct:
      return "punct";
    case TokenKind::kEmoji:
      return "emoji";
  }
  return "word";
}

std::string_view DefaultLexiconPath() {
  return KEFU_DEFAULT_LEXICON_PATH;
}

Result<std::unique_ptr<Segmenter>> NewSegmenter(const SegmenterOptions& options) {
  std::vector<std::string> terms;
  if (!options.lexicon_path.empty()) {
    KEFU_ASSIGN_OR_RETURN(terms, ReadLexicon(options.lexicon_path));
  } else {
    std::error_code ec;
    const std::string path(DefaultLexiconPath());
    if (std::filesystem::is_regular_file(path, ec)) {
      KEFU_ASSIGN_OR_RETURN(terms, ReadLexicon(path));
    }
  }
  KEFU_ASSIGN_OR_RETURN(std::unique_ptr<FrisoLane> lane, LoadFrisoLane(options));
  auto segmenter = std::make_unique<FrisoSegmenter>(options, std::move(lane));
  for (const std::string& term : terms) {
    segmenter->AddTerm(term);
  }
  for (const std::string& word : options.extra_words) {
    segmenter->AddTerm(word);
  }
  return std::unique_ptr<Segmenter>(std::move(segmenter));
}

std::unique_ptr<Segmenter> NewHanCharSegmenter() {
  return std::make_unique<HanCharSegmenter>();
}

namespace {

struct DefaultState {
  std::unique_ptr<Segmenter> segmenter;
  Status status;
};

const DefaultState& Default() {
  static const DefaultState state = [] {
    DefaultState s;
    Result<std::unique_ptr<Segmenter>> r = NewSegmenter({});
    if (r.ok()) {
      s.segmenter = std::move(r).value();
    } else {
      s.status = r.status();
      KEFU_LOG_WARN("{}; segmenting one token per Han character", s.status.message());
      s.segmenter = NewHanCharSegmenter();
    }
    return s;
  }();
  return state;
}

}  // namespace

const Segmenter& DefaultSegmenter() {
  return *Default().segmenter;
}

Status DefaultSegmenterStatus() {
  return Default().status;
}

std::vector<Token> Segment(std::string_view normalized) {
  return DefaultSegmenter().Segment(normalized);
}

}  // namespace kefu::text
