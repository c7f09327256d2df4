// Address heuristics for FindPii. Chinese addresses are parsed as a chain of components
// (province, admin unit, road, compound, house number); English ones as
// "[Room 8,] 99 Nanjing Rd". Both scans are linear: a chain holds at most kMaxComponents
// components of bounded length.
#include <array>
#include <string_view>

#include "text/char_class.h"
#include "text/pii_internal.h"

namespace kefu::text::internal {
namespace {

constexpr size_t kMaxNameChars = 6;
constexpr size_t kMaxNumberChars = 6;
constexpr size_t kMaxComponents = 12;
constexpr size_t kMaxStreetNameWords = 3;

enum class Part { kProvince, kKeepAdmin, kAdmin, kStreet, kPlace, kNumber };

struct Suffix {
  std::u32string_view text;
  Part part;
};

constexpr std::array<std::u32string_view, 34> kProvinces = {
    U"黑龙江", U"内蒙古", U"北京", U"天津", U"上海", U"重庆", U"河北", U"山西", U"辽宁",
    U"吉林",   U"江苏",   U"浙江", U"安徽", U"福建", U"江西", U"山东", U"河南", U"湖北",
    U"湖南",   U"广东",   U"海南", U"四川", U"贵州", U"云南", U"陕西", U"甘肃", U"青海",
    U"台湾",   U"广西",   U"西藏", U"宁夏", U"新疆", U"香港", U"澳门"};

// Large cities, used only to find where an address starts inside a longer run of Han text
// ("收件人张三杭州市..." starts at 杭州).
constexpr std::array<std::u32string_view, 40> kCities = {
    U"广州", U"深圳", U"杭州", U"南京", U"苏州", U"成都", U"武汉", U"西安", U"长沙", U"郑州",
    U"青岛", U"沈阳", U"大连", U"厦门", U"宁波", U"无锡", U"济南", U"合肥", U"福州", U"昆明",
    U"长春", U"太原", U"南昌", U"南宁", U"贵阳", U"兰州", U"海口", U"银川", U"西宁", U"拉萨",
    U"东莞", U"佛山", U"珠海", U"温州", U"金华", U"绍兴", U"嘉兴", U"常州", U"徐州", U"泉州"};

constexpr std::array<Suffix, 35> kSuffixes = {{
    {U"特别行政区", Part::kKeepAdmin},
    {U"维吾尔自治区", Part::kKeepAdmin},
    {U"壮族自治区", Part::kKeepAdmin},
    {U"回族自治区", Part::kKeepAdmin},
    {U"自治区", Part::kKeepAdmin},
    {U"自治州", Part::kKeepAdmin},
    {U"自治县", Part::kAdmin},
    {U"地区", Part::kKeepAdmin},
    {U"新区", Part::kAdmin},
    {U"省", Part::kKeepAdmin},
    {U"市", Part::kKeepAdmin},
    {U"盟", Part::kKeepAdmin},
    {U"区", Part::kAdmin},
    {U"县", Part::kAdmin},
    {U"旗", Part::kAdmin},
    {U"镇", Part::kAdmin},
    {U"乡", Part::kAdmin},
    {U"村", Part::kAdmin},
    {U"大道", Part::kStreet},
    {U"大街", Part::kStreet},
    {U"胡同", Part::kStreet},
    {U"路", Part::kStreet},
    {U"街", Part::kStreet},
    {U"巷", Part::kStreet},
    {U"弄", Part::kStreet},
    {U"道", Part::kStreet},
    {U"小区", Part::kPlace},
    {U"花园", Part::kPlace},
    {U"公寓", Part::kPlace},
    {U"大厦", Part::kPlace},
    {U"广场", Part::kPlace},
    {U"中心", Part::kPlace},
    {U"苑", Part::kPlace},
    {U"园", Part::kPlace},
    {U"城", Part::kPlace},
}};

constexpr std::array<std::u32string_view, 12> kNumberUnits = {
    U"号楼", U"号院", U"单元", U"号", U"栋", U"幢", U"座", U"层", U"楼", U"室", U"户", U"门"};

// Characters that do not occur in place names but do occur in the sentence around an address
// ("我住在", "寄到", "地址是"); a component name never contains one.
constexpr std::u32string_view kStopChars =
    U"的是在住到寄送往给了吧吗呢啊把被请帮要想我你他她它们与或也就还又很没不这那哪么说改址填写"
    U"收件话货递候能以让叫问看号";

constexpr std::u32string_view kChineseNumerals = U"零〇一二三四五六七八九十百两";

bool StartsWith(const std::u32string& cps, size_t at, std::u32string_view s) {
  return at + s.size() <= cps.size() && std::u32string_view(cps).substr(at, s.size()) == s;
}

bool IsNameChar(char32_t cp) {
  return IsHanChar(cp) && kStopChars.find(cp) == std::u32string_view::npos;
}

bool IsNumberChar(char32_t cp) {
  return IsDigitLike(cp) || kChineseNumerals.find(cp) != std::u32string_view::npos;
}

// The longest suffix at `at`, if any.
const Suffix* SuffixAt(const std::u32string& cps, size_t at) {
  const Suffix* best = nullptr;
  for (const Suffix& s : kSuffixes) {
    if (StartsWith(cps, at, s.text) && (best == nullptr || s.text.size() > best->text.size())) {
      best = &s;
    }
  }
  return best;
}

size_t ProvinceAt(const std::u32string& cps, size_t at) {
  for (std::u32string_view p : kProvinces) {
    if (StartsWith(cps, at, p)) {
      return p.size();
    }
  }
  return 0;
}

bool PlaceNameAt(const std::u32string& cps, size_t at) {
  if (ProvinceAt(cps, at) != 0) {
    return true;
  }
  for (std::u32string_view c : kCities) {
    if (StartsWith(cps, at, c)) {
      return true;
    }
  }
  return false;
}

struct Component {
  size_t end = 0;
  Part part = Part::kAdmin;
};

// A house, building or room number at `at`: "76号", "76 号", "3栋", "A座", "12-3室", "三单元".
// A bare number ("2503") is accepted when `bare_ok` (right after another number component).
bool NumberAt(const std::u32string& cps, size_t at, bool bare_ok, Component& c) {
  size_t q = at;
  while (q < cps.size() && q - at < kMaxNumberChars && IsNumberChar(cps[q])) {
    ++q;
  }
  if (q < cps.size() && IsNumberChar(cps[q])) {
    return false;  // too long for a house number (a phone or order number)
  }
  if (q == at) {
    if (at < cps.size() && IsAsciiAlpha(cps[at])) {
      q = at + 1;  // a block letter: "A座"
    } else {
      return false;
    }
  } else if (q + 1 < cps.size() && cps[q] == '-' && IsDigitLike(cps[q + 1])) {
    q = q + 1;
    while (q < cps.size() && IsDigitLike(cps[q])) {
      ++q;
    }
  }
  size_t u = q < cps.size() && cps[q] == ' ' ? q + 1 : q;
  for (std::u32string_view unit : kNumberUnits) {
    if (StartsWith(cps, u, unit)) {
      c = {u + unit.size(), Part::kNumber};
      return true;
    }
  }
  if (bare_ok && q - at >= 2 && IsDigitLike(cps[at])) {
    c = {q, Part::kNumber};
    return true;
  }
  return false;
}

// A named unit at `at`: province (with or without 省/市), or 1-6 name characters followed by
// an admin, road or compound suffix (the shortest name that has one).
bool NamedAt(const std::u32string& cps, size_t at, Component& c) {
  if (const size_t len = ProvinceAt(cps, at); len != 0) {
    const Suffix* s = SuffixAt(cps, at + len);
    if (s == nullptr || s->part == Part::kAdmin) {
      c = {at + len, Part::kProvince};
      return true;
    }
    c = {at + len + s->text.size(), s->part == Part::kKeepAdmin ? Part::kProvince : s->part};
    return true;
  }
  for (size_t k = 1; k <= kMaxNameChars && at + k < cps.size(); ++k) {
    if (!IsNameChar(cps[at + k - 1])) {
      return false;
    }
    if (const Suffix* s = SuffixAt(cps, at + k); s != nullptr) {
      c = {at + k + s->text.size(), s->part};
      return true;
    }
  }
  return false;
}

struct Chain {
  size_t start = 0;
  size_t end = 0;
  size_t keep_end = 0;  // end of the leading province/city units
  size_t count = 0;
  bool admin = false;
  bool street = false;
  bool place = false;
  bool number = false;

  bool Qualifies() const {
    return count >= 2 && ((admin && street) || (number && (street || place || admin)));
  }
};

Chain ParseChain(const std::u32string& cps, size_t start) {
  Chain chain;
  chain.start = chain.end = chain.keep_end = start;
  bool leading = true;
  bool last_number = false;
  size_t pos = start;
  while (chain.count < kMaxComponents && pos < cps.size()) {
    size_t at = pos;
    if (chain.count > 0 && cps[at] == ' ') {
      ++at;
    }
    Component c;
    if (!NumberAt(cps, at, last_number && at == pos, c) && !NamedAt(cps, at, c)) {
      break;
    }
    ++chain.count;
    pos = chain.end = c.end;
    last_number = c.part == Part::kNumber;
    switch (c.part) {
      case Part::kProvince:
      case Part::kKeepAdmin:
        chain.admin = true;
        break;
      case Part::kAdmin:
        chain.admin = true;
        leading = false;
        break;
      case Part::kStreet:
        chain.street = true;
        leading = false;
        break;
      case Part::kPlace:
        chain.place = true;
        leading = false;
        break;
      case Part::kNumber:
        chain.number = true;
        leading = false;
        break;
    }
    if (leading) {
      chain.keep_end = c.end;
    }
  }
  return chain;
}

void FindChineseAddresses(const std::u32string& cps, std::vector<PiiCandidate>& out) {
  size_t p = 0;
  while (p < cps.size()) {
    if (!IsNameChar(cps[p])) {
      ++p;
      continue;
    }
    Chain chain = ParseChain(cps, p);
    if (!chain.Qualifies()) {
      ++p;
      continue;
    }
    // A first name that runs into a known province or city ("张三杭州市") starts there.
    size_t start = p;
    for (size_t k = p + 1; k < p + kMaxNameChars && k < chain.end && IsNameChar(cps[k]); ++k) {
      if (PlaceNameAt(cps, k) && !PlaceNameAt(cps, p)) {
        start = k;
        break;
      }
    }
    out.push_back({PiiType::kAddress, start, chain.end});
    p = chain.end;
  }
}

// --- English ---------------------------------------------------------------------------------

char32_t Lower(char32_t c) {
  return (c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c;
}

bool WordIs(const std::u32string& cps, size_t start, size_t end, std::u32string_view word) {
  if (end - start != word.size()) {
    return false;
  }
  for (size_t k = 0; k < word.size(); ++k) {
    if (Lower(cps[start + k]) != word[k]) {
      return false;
    }
  }
  return true;
}

template <size_t N>
bool WordIn(const std::u32string& cps, size_t start, size_t end,
            const std::array<std::u32string_view, N>& words) {
  for (std::u32string_view w : words) {
    if (WordIs(cps, start, end, w)) {
      return true;
    }
  }
  return false;
}

constexpr std::array<std::u32string_view, 16> kStreetWords = {
    U"rd", U"road", U"st", U"street", U"ave", U"avenue",  U"blvd", U"boulevard",
    U"ln", U"lane", U"dr", U"drive",  U"way", U"highway", U"hwy",  U"expressway"};
constexpr std::array<std::u32string_view, 9> kRoomWords = {
    U"room", U"rm", U"apt", U"apartment", U"unit", U"suite", U"flat", U"floor", U"fl"};
constexpr std::array<std::u32string_view, 24> kNotNameWords = {
    U"a",  U"an", U"the", U"of", U"to",   U"for",  U"and",   U"or",
    U"in", U"on", U"at",  U"my", U"your", U"is",   U"are",   U"was",
    U"it", U"i",  U"you", U"me", U"we",   U"with", U"items", U"pairs"};

// The start of the ASCII word ending at `end` (exclusive), or `end` if none.
size_t WordStartBefore(const std::u32string& cps, size_t end) {
  size_t s = end;
  while (s > 0 && IsAsciiAlpha(cps[s - 1])) {
    --s;
  }
  return s;
}

// A house number ending at `end`: 1-5 digits with an optional letter ("99", "12a").
size_t HouseNumberStart(const std::u32string& cps, size_t end) {
  size_t s = end;
  if (s > 0 && IsAsciiAlpha(cps[s - 1])) {
    --s;
  }
  const size_t digits_end = s;
  while (s > 0 && IsAsciiDigit(cps[s - 1]) && digits_end - s < 5) {
    --s;
  }
  if (s == digits_end || (s > 0 && (IsAsciiDigit(cps[s - 1]) || IsAsciiAlpha(cps[s - 1])))) {
    return end;
  }
  return s;
}

void FindEnglishAddresses(const std::u32string& cps, std::vector<PiiCandidate>& out) {
  size_t i = 0;
  while (i < cps.size()) {
    if (!IsAsciiAlpha(cps[i])) {
      ++i;
      continue;
    }
    size_t we = i;
    while (we < cps.size() && IsAsciiAlpha(cps[we])) {
      ++we;
    }
    const size_t ws = i;
    i = we;
    if (!WordIn(cps, ws, we, kStreetWords) || ws < 2 || cps[ws - 1] != ' ') {
      continue;
    }
    // Up to three name words, then the house number.
    size_t cursor = ws - 1;  // at the space before the street word
    size_t number_start = ws;
    for (size_t words = 0; words < kMaxStreetNameWords; ++words) {
      const size_t name_start = WordStartBefore(cps, cursor);
      if (name_start == cursor || WordIn(cps, name_start, cursor, kNotNameWords) ||
          name_start < 2 || cps[name_start - 1] != ' ') {
        break;
      }
      const size_t n = HouseNumberStart(cps, name_start - 1);
      if (n != name_start - 1) {
        number_start = n;
        break;
      }
      cursor = name_start - 1;
    }
    if (number_start == ws) {
      continue;
    }
    size_t start = number_start;
    // Optional "Room 8, " / "Apt. 3 " before the number.
    size_t q = start;
    while (q > 0 && (cps[q - 1] == ' ' || cps[q - 1] == ',')) {
      --q;
    }
    if (q < start) {
      const size_t room_no = HouseNumberStart(cps, q);
      if (room_no != q) {
        size_t r = room_no;
        while (r > 0 && (cps[r - 1] == ' ' || cps[r - 1] == '.' || cps[r - 1] == '#')) {
          --r;
        }
        const size_t rw = WordStartBefore(cps, r);
        if (rw != r && WordIn(cps, rw, r, kRoomWords)) {
          start = rw;
        }
      }
    }
    const size_t end = we < cps.size() && cps[we] == '.' ? we + 1 : we;
    out.push_back({PiiType::kAddress, start, end});
  }
}

}  // namespace

void FindAddresses(const std::u32string& cps, std::vector<PiiCandidate>& out) {
  FindChineseAddresses(cps, out);
  FindEnglishAddresses(cps, out);
}

size_t AddressKeepPrefix(const std::u32string& cps) {
  if (cps.empty() || !IsHanChar(cps[0])) {
    return 0;
  }
  return ParseChain(cps, 0).keep_end;
}

}  // namespace kefu::text::internal
