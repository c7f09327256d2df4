// What a recogniser's English words become before the engine reads them: numbers spoken digit
// by digit ("four one zero zero") are written as numerals ("4100"), because order numbers, phone
// digits and verification answers are read out that way and the understanding expects digits.
#include <array>
#include <sstream>
#include <string_view>

#include "speech/speech.h"

namespace kefu::speech {
namespace {

// The digit a spoken word stands for, or -1.
int DigitOf(std::string_view w) {
  static constexpr std::array<std::string_view, 10> kDigits = {
      "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"};
  for (size_t d = 0; d < kDigits.size(); ++d) {
    if (w == kDigits[d]) {
      return static_cast<int>(d);
    }
  }
  return w == "oh" || w == "o" ? 0 : -1;
}

}  // namespace

std::string DigitsToNumerals(std::string_view transcript) {
  std::istringstream in{std::string(transcript)};
  std::vector<std::string> words;
  for (std::string w; in >> w;) {
    words.push_back(std::move(w));
  }
  std::string out;
  auto append = [&out](const std::string& piece) { out += (out.empty() ? "" : " ") + piece; };
  for (size_t i = 0; i < words.size();) {
    size_t j = i;
    std::string digits;
    while (j < words.size() && DigitOf(words[j]) >= 0) {
      digits += static_cast<char>('0' + DigitOf(words[j]));
      ++j;
    }
    if (j - i >= 2) {  // a number read out
      append(digits);
      i = j;
    } else {
      append(words[i]);
      ++i;
    }
  }
  return out;
}

}  // namespace kefu::speech
