// Sizes and colours: product attributes a shopper names when choosing or exchanging.
#include <array>
#include <string_view>

#include "nlu/entity_internal.h"

namespace kefu::nlu::internal {
namespace {

constexpr size_t kSizeCueLookback = 8;
constexpr int kMinShoeSize = 10;  // 码 sizes: children's shoes start around 15
constexpr int kMaxShoeSize = 60;

constexpr std::array<std::string_view, 11> kLetterSizes = {
    "XXS", "XS", "S", "M", "L", "XL", "XXL", "XXXL", "4XL", "5XL", "6XL",
};
enum LetterSize { kXxs, kXs, kS, kM, kL, kXl, kXxl, kXxxl, k4xl, k5xl, k6xl };

const Lexicon& LetterSizes() {
  static const Lexicon lexicon = {
      {"xxs", kXxs},   {"xs", kXs},   {"s", kS},     {"m", kM},       {"l", kL},
      {"xl", kXl},     {"xxl", kXxl}, {"2xl", kXxl}, {"xxxl", kXxxl}, {"3xl", kXxxl},
      {"xxxxl", k4xl}, {"4xl", k4xl}, {"5xl", k5xl}, {"6xl", k6xl},
  };
  return lexicon;
}

const Lexicon& SizeCues() {
  static const Lexicon lexicon = {
      {"size", 1}, {"尺码", 1}, {"码数", 1}, {"鞋码", 1}, {"码子", 1},
      {"尺寸", 1}, {"大小", 1}, {"号型", 1}, {"码", 1},
  };
  return lexicon;
}

constexpr int kOneSize = 1;
const Lexicon& OneSize() {
  static const Lexicon lexicon = {
      {"均码", kOneSize}, {"one size", kOneSize}, {"free size", kOneSize}, {"onesize", kOneSize}};
  return lexicon;
}

enum Region { kUs = 1, kEu, kUk };
const Lexicon& Regions() {
  static const Lexicon lexicon = {{"us", kUs}, {"eu", kEu}, {"eur", kEu}, {"uk", kUk}};
  return lexicon;
}

// Words after "us 3" that make it "us, 3 of something" rather than a US size.
const Lexicon& NotASizeAfter() {
  static const Lexicon lexicon = {
      {"days", 1},  {"day", 1},     {"hours", 1}, {"items", 1}, {"pcs", 1},  {"pieces", 1},
      {"stars", 1}, {"dollars", 1}, {"times", 1}, {"weeks", 1}, {"more", 1}, {"of", 1},
  };
  return lexicon;
}

std::string_view ColourName(int id) {
  static constexpr std::array<std::string_view, 17> kNames = {
      "black",  "white", "red",    "blue",  "navy",  "pink",   "grey",  "green",    "yellow",
      "purple", "gold",  "silver", "beige", "khaki", "orange", "brown", "burgundy",
  };
  return kNames[static_cast<size_t>(id)];
}
enum Colour {
  kBlack,
  kWhite,
  kRed,
  kBlue,
  kNavy,
  kPink,
  kGrey,
  kGreen,
  kYellow,
  kPurple,
  kGold,
  kSilver,
  kBeige,
  kKhaki,
  kOrange,
  kBrown,
  kBurgundy,
};

const Lexicon& Colours() {
  static const Lexicon lexicon = {
      {"黑色", kBlack},        {"纯黑", kBlack},      {"白色", kWhite},      {"纯白", kWhite},
      {"米白", kWhite},        {"红色", kRed},        {"大红", kRed},        {"酒红", kBurgundy},
      {"酒红色", kBurgundy},   {"蓝色", kBlue},       {"天蓝", kBlue},       {"天蓝色", kBlue},
      {"浅蓝", kBlue},         {"浅蓝色", kBlue},     {"宝蓝", kBlue},       {"深蓝", kNavy},
      {"深蓝色", kNavy},       {"藏青", kNavy},       {"藏青色", kNavy},     {"藏蓝", kNavy},
      {"藏蓝色", kNavy},       {"海军蓝", kNavy},     {"粉色", kPink},       {"粉红", kPink},
      {"粉红色", kPink},       {"灰色", kGrey},       {"深灰", kGrey},       {"深灰色", kGrey},
      {"浅灰", kGrey},         {"浅灰色", kGrey},     {"绿色", kGreen},      {"军绿", kGreen},
      {"军绿色", kGreen},      {"墨绿", kGreen},      {"墨绿色", kGreen},    {"黄色", kYellow},
      {"紫色", kPurple},       {"金色", kGold},       {"银色", kSilver},     {"米色", kBeige},
      {"卡其", kKhaki},        {"卡其色", kKhaki},    {"橙色", kOrange},     {"橘色", kOrange},
      {"棕色", kBrown},        {"咖啡色", kBrown},    {"褐色", kBrown},      {"black", kBlack},
      {"white", kWhite},       {"red", kRed},         {"blue", kBlue},       {"navy", kNavy},
      {"navy blue", kNavy},    {"dark blue", kNavy},  {"pink", kPink},       {"grey", kGrey},
      {"gray", kGrey},         {"dark grey", kGrey},  {"light grey", kGrey}, {"green", kGreen},
      {"beige", kBeige},       {"gold", kGold},       {"silver", kSilver},   {"khaki", kKhaki},
      {"yellow", kYellow},     {"purple", kPurple},   {"orange", kOrange},   {"brown", kBrown},
      {"burgundy", kBurgundy}, {"light blue", kBlue}, {"off-white", kWhite}, {"off white", kWhite},
  };
  return lexicon;
}

// A shoe or clothing size number: 1-2 digits, optionally ".5". Returns its end, or 0.
size_t SizeNumberAt(Text t, size_t i, int min, int max, std::string& value) {
  if (!IsDigit(At(t, i))) {
    return 0;
  }
  size_t j = i;
  int v = 0;
  while (IsDigit(At(t, j)) && j - i < 3) {
    v = v * 10 + (t[j] - '0');
    ++j;
  }
  if (IsDigit(At(t, j)) || v < min || v > max) {
    return 0;
  }
  value = std::to_string(v);
  if (At(t, j) == '.' && At(t, j + 1) == '5' && !IsDigit(At(t, j + 2))) {
    value += ".5";
    j += 2;
  }
  return j;
}

// A letter size filling the whole ASCII token at i ("xl", not the "xl" of "xlarge").
Lexicon::Match LetterSizeAt(Text t, size_t i) {
  if (!WordStartAt(t, i)) {
    return {};
  }
  const Lexicon::Match m = LetterSizes().LongestAt(t, i);
  if (m.length == 0 || !WordEndAt(t, i + m.length)) {
    return {};
  }
  return m;
}

bool SizeCueBefore(Text t, size_t i) {
  const size_t lo = i > kSizeCueLookback ? i - kSizeCueLookback : 0;
  for (size_t j = i; j-- > lo;) {
    if (IsSentenceBreak(t[j]) || t[j] == ',' || t[j] == U'，') {
      return false;
    }
    const Lexicon::Match m = SizeCues().LongestAt(t, j);
    if (m.length > 0 && j + m.length <= i) {
      return true;
    }
  }
  return false;
}

void Emit(std::vector<Candidate>& out, std::string value, size_t start, size_t end, double conf) {
  out.push_back({kTypeSize, std::move(value), start, end, conf, Rank::kSize});
}

}  // namespace

void ScanSizes(Text t, std::vector<Candidate>& out) {
  const size_t n = t.size();
  std::string value;
  for (size_t i = 0; i < n; ++i) {
    const char32_t c = t[i];
    if (const Lexicon::Match one = OneSize().LongestAt(t, i); one.length > 0) {
      Emit(out, "ONE SIZE", i, i + one.length, 1.0);
      continue;
    }
    // "size 10", "尺码 42", "码数是L", "size: m".
    if (const Lexicon::Match cue = SizeCues().LongestAt(t, i); cue.length > 0 && c != U'码') {
      size_t j = i + cue.length;
      for (int skip = 0; skip < 2 && (At(t, j) == ' ' || At(t, j) == ':' || At(t, j) == U'是' ||
                                      At(t, j) == U'要' || At(t, j) == U'为');
           ++skip) {
        ++j;
      }
      if (const size_t e = SizeNumberAt(t, j, 1, kMaxShoeSize, value); e > 0 && WordEndAt(t, e)) {
        Emit(out, value, i, At(t, e) == U'码' ? e + 1 : e, 1.0);
      } else if (const Lexicon::Match letter = LetterSizeAt(t, j); letter.length > 0) {
        const size_t end = j + letter.length;
        Emit(out, std::string(kLetterSizes[static_cast<size_t>(letter.payload)]), i,
             At(t, end) == U'码' || At(t, end) == U'号' ? end + 1 : end, 1.0);
      }
    }
    // "us 9", "eu42", "uk 8".
    if (const Lexicon::Match region = Regions().LongestAt(t, i);
        region.length > 0 && WordStartAt(t, i)) {
      size_t j = i + region.length;
      if (At(t, j) == ' ') {
        ++j;
      }
      const int min = region.payload == kEu ? 16 : 1;
      const int max = region.payload == kEu ? 52 : 18;
      const size_t e = SizeNumberAt(t, j, min, max, value);
      const bool followed_by_count = At(t, e) == ' ' && NotASizeAfter().LongestAt(t, e + 1).length;
      if (e > 0 && WordEndAt(t, e) && !followed_by_count) {
        const std::string_view name = region.payload == kUs   ? "US "
                                      : region.payload == kEu ? "EU "
                                                              : "UK ";
        Emit(out, std::string(name) + value, i, e, region.payload == kUs ? 0.8 : 1.0);
      }
    }
    if (IsDigit(c) && IsNumberStart(t, i)) {
      // "42码", "38.5码".
      if (const size_t e = SizeNumberAt(t, i, kMinShoeSize, kMaxShoeSize, value);
          e > 0 && At(t, e) == U'码') {
        Emit(out, value, i, e + 1, 1.0);
        continue;
      }
      // "170/88a": height / chest or waist, optionally a body-shape letter.
      size_t j = i;
      int height = 0;
      while (IsDigit(At(t, j)) && j - i < 4) {
        height = height * 10 + (t[j] - '0');
        ++j;
      }
      if (j - i == 3 && height >= 90 && height <= 210 && At(t, j) == '/' && IsDigit(At(t, j + 1))) {
        size_t k = j + 1;
        int girth = 0;
        while (IsDigit(At(t, k)) && k - j <= 3) {
          girth = girth * 10 + (t[k] - '0');
          ++k;
        }
        if (girth >= 40 && girth <= 140 && !IsDigit(At(t, k))) {
          std::string v = std::to_string(height) + "/" + std::to_string(girth);
          if (IsLatin(At(t, k)) && WordEndAt(t, k + 1)) {
            v.push_back(static_cast<char>(t[k] - 'a' + 'A'));
            ++k;
          }
          if (WordEndAt(t, k)) {
            Emit(out, v, i, k, 1.0);
          }
        }
      }
    }
    // "xl", "xxl", "l码", "m号"; a lone s / m / l only in size context.
    if (const Lexicon::Match letter = LetterSizeAt(t, i); letter.length > 0) {
      const size_t end = i + letter.length;
      const std::string name(kLetterSizes[static_cast<size_t>(letter.payload)]);
      if (At(t, end) == U'码' || At(t, end) == U'号') {
        Emit(out, name, i, end + 1, 1.0);
      } else if (letter.length >= 2 && letter.payload != kS) {
        Emit(out, name, i, end, 0.9);
      } else if (SizeCueBefore(t, i)) {
        Emit(out, name, i, end, 0.8);
      }
    }
  }
}

void ScanColours(Text t, std::vector<Candidate>& out) {
  const Lexicon& colours = Colours();
  for (size_t i = 0; i < t.size(); ++i) {
    const Lexicon::Match m = colours.LongestAt(t, i);
    if (m.length > 0) {
      const bool latin = IsLatin(t[i]);
      out.push_back({kTypeColour, std::string(ColourName(m.payload)), i, i + m.length,
                     latin ? 0.9 : 1.0, Rank::kColour});
      i += m.length - 1;
    }
  }
}

}  // namespace kefu::nlu::internal
