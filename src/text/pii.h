// Personal data in shopper text: phone numbers, e-mail addresses, Chinese ID card numbers, bank
// card numbers and postal addresses, found by pattern and checksum, and masked for logs,
// transcripts and prompts sent to an LLM.
//
//   for (const PiiSpan& s : FindPii("手机13812345678，卡号6222 0212 3456 7890 128")) { ... }
//   MaskPii("手机13812345678")                 -> "手机138****5678"
//   MaskPii("邮箱zhang.san@example.com")        -> "邮箱z***@example.com"
//
// Works on raw or normalized text (full-width digits count as digits); normalized text
// (Normalize) finds more, e.g. traditional-script addresses. Offsets are code points of the
// text passed in. Thread-safe: pure functions. Linear in the input size.
//
// What is found, and how it is masked (digits are masked one for one; separators are kept):
//   kPhone     mainland mobiles 1[3-9]XXXXXXXXX, optionally +86 / 86- / 86 in front, written
//              as 11 digits or 3-4-4 groups split by '-' or ' ', and not glued to other digits
//              (a longer digit run, or digits joined by '-') -> first 3 and last 4 digits kept:
//              "+86 138-****-5678".
//   kEmail     local@domain.tld (ASCII) -> first character of the local part, then "***":
//              "z***@example.com".
//   kIdCard    18-character resident ID: 17 digits + check character (0-9, X), valid ISO 7064
//              MOD 11-2 checksum, province code 11-82, birth date 1900-01-01..2099-12-31 that
//              exists -> first 6 and last 4 kept: "110101********1234". 15-digit IDs (pre-1999)
//              are not detected.
//   kBankCard  16-19 digits, contiguous or in space/'-' separated groups of four (the last may
//              be shorter), passing the Luhn check -> first 4 and last 4 kept:
//              "6222 **** **** 7890 128" keeps the grouping. A 16-digit order number fails Luhn
//              9 times in 10; the tenth is reported as a bank card (masking it is harmless, but
//              callers that have the order number should prefer the order lookup).
//   kAddress   Chinese: province/city/district units (省 市 区 县 ...) followed by a road,
//              street, compound or house number (路 街 大道 小区 号 栋 单元 室 ...), or a road
//              with a house number ("中山路88号"); English: "[Room 8,] 99 Nanjing Rd" with
//              Rd/Road/St/Street/Ave/Avenue/Blvd/Lane/Dr/Way -> the leading province and
//              city units are kept and every later character becomes '*'
//              ("浙江省杭州市***********"); English addresses keep the street words and mask
//              every digit ("Room *, ** Nanjing Rd").
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace kefu::text {

enum class PiiType { kPhone, kEmail, kIdCard, kBankCard, kAddress };

// "phone", "email", "id_card", "bank_card", "address".
std::string_view PiiTypeName(PiiType type);

struct PiiSpan {
  PiiType type = PiiType::kPhone;
  uint32_t start = 0;  // code-point offsets into the text: [start, end)
  uint32_t end = 0;
  std::string value;  // the text of [start, end) as it appears
};

// Spans in text order; they never overlap. When candidates overlap the ID card wins over the
// bank card, then phone, e-mail and address; a longer span wins over a shorter one of a type.
// REQUIRES: `text` is valid UTF-8.
std::vector<PiiSpan> FindPii(std::string_view text);

// `text` with every span of FindPii(text) masked as described above.
std::string MaskPii(std::string_view text);

// Masks one span's value as MaskPii would (exposed for callers that keep their own spans).
std::string MaskPiiValue(PiiType type, std::string_view value);

}  // namespace kefu::text
