#include "llm/guard.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/utf8.h"
#include "llm/fact_scanner.h"

namespace kefu::llm {

using detail::Currency;
using detail::CurrencyAgrees;
using detail::Folded;
using detail::FoldText;
using detail::IsDigit;
using detail::kMaxFreeDigits;
using detail::kScale;
using detail::Parse;
using detail::Parsed;
using detail::PhoneMatches;
using detail::TextOf;

struct GroundingGuard::Facts {
  std::vector<Parsed> facts;
  std::set<int64_t> bare_numbers;  // values (hundredths) of kNumber facts
  std::set<int64_t> all_numbers;   // every number written anywhere, in hundredths
  Currency currency = Currency::kUnknown;

  bool Grounded(const Parsed& r) const {
    switch (r.kind) {
      case FactKind::kOrderId:
      case FactKind::kTracking:
        return std::any_of(facts.begin(), facts.end(), [&](const Parsed& e) {
          return (e.kind == FactKind::kOrderId || e.kind == FactKind::kTracking) && e.id == r.id;
        });
      case FactKind::kPhone:
        return std::any_of(facts.begin(), facts.end(), [&](const Parsed& e) {
          return e.kind == FactKind::kPhone && PhoneMatches(r.id, e.id);
        });
      case FactKind::kMoney:
        if (bare_numbers.count(r.value) > 0 && CurrencyAgrees(r.currency, currency)) {
          return true;
        }
        return std::any_of(facts.begin(), facts.end(), [&](const Parsed& e) {
          return e.kind == FactKind::kMoney && e.value == r.value &&
                 CurrencyAgrees(r.currency,
                                e.currency == Currency::kUnknown ? currency : e.currency);
        });
      case FactKind::kDate:
        return std::any_of(facts.begin(), facts.end(), [&](const Parsed& e) {
          if (e.kind == FactKind::kDuration && r.month == 0) {
            return e.day_may_be_date && e.value == int64_t{r.day} * kScale;
          }
          return e.kind == FactKind::kDate && e.day == r.day &&
                 (r.month == 0 || e.month == 0 || e.month == r.month) &&
                 (r.year == 0 || e.year == 0 || e.year == r.year);
        });
      case FactKind::kTime:
        return std::any_of(facts.begin(), facts.end(), [&](const Parsed& e) {
          if (e.kind != FactKind::kTime || e.minute != r.minute) {
            return false;
          }
          return e.hour == r.hour || (!r.hour_marked && (r.hour + 12) % 24 == e.hour) ||
                 (!e.hour_marked && (e.hour + 12) % 24 == r.hour);
        });
      case FactKind::kPercent:
        return bare_numbers.count(r.value) > 0 ||
               std::any_of(facts.begin(), facts.end(), [&](const Parsed& e) {
                 return e.kind == FactKind::kPercent && e.value == r.value;
               });
      case FactKind::kDuration:
        return bare_numbers.count(r.value) > 0 ||
               std::any_of(facts.begin(), facts.end(), [&](const Parsed& e) {
                 if (e.kind == FactKind::kDate && r.day_may_be_date) {
                   return int64_t{e.day} * kScale == r.value;
                 }
                 return e.kind == FactKind::kDuration && e.unit == r.unit && e.value == r.value;
               });
      case FactKind::kNumber:
        return r.digits <= kMaxFreeDigits || all_numbers.count(r.value) > 0;
    }
    return false;
  }
};

std::string_view FactKindName(FactKind kind) {
  static constexpr std::string_view kNames[] = {"order_id", "tracking", "phone",    "money", "date",
                                                "time",     "percent",  "duration", "number"};
  return kNames[static_cast<size_t>(kind)];
}

std::vector<Fact> ExtractFacts(std::string_view text) {
  Folded f = FoldText(text);
  std::vector<Fact> out;
  for (const Parsed& p : Parse(f)) {
    out.push_back(Fact{p.kind, TextOf(f, p)});
  }
  return out;
}

GroundingGuard::GroundingGuard(const Evidence& evidence) {
  auto facts = std::make_unique<Facts>();
  std::set<Currency> currencies;
  for (const std::string& text : evidence.texts) {
    Folded f = FoldText(text);
    for (Parsed& p : Parse(f)) {
      if (p.kind == FactKind::kNumber) {
        facts->bare_numbers.insert(p.value);
      }
      if (p.kind == FactKind::kMoney && p.currency != Currency::kUnknown) {
        currencies.insert(p.currency);
      }
      if (p.kind != FactKind::kOrderId && p.kind != FactKind::kTracking &&
          p.kind != FactKind::kPhone && p.kind != FactKind::kDate && p.kind != FactKind::kTime) {
        facts->all_numbers.insert(p.value);
      }
      facts->facts.push_back(std::move(p));
    }
    // Every digit run, wherever it stands (in an id, a date, a masked phone).
    for (size_t k = 0; k < f.folded.size();) {
      if (!IsDigit(f.folded[k])) {
        ++k;
        continue;
      }
      int64_t v = 0;
      size_t e = k;
      for (; e < f.folded.size() && IsDigit(f.folded[e]); ++e) {
        if (v < INT64_MAX / 1000) {
          v = v * 10 + (f.folded[e] - U'0');
        }
      }
      facts->all_numbers.insert(v * kScale);
      k = e;
    }
  }
  if (currencies.size() == 1) {
    facts->currency = *currencies.begin();
  }
  facts_ = std::move(facts);
}

GroundingGuard::~GroundingGuard() = default;

GroundingGuard::Result GroundingGuard::Check(std::string_view sentence_or_reply) const {
  Folded f = FoldText(sentence_or_reply);
  Result result;
  for (const Parsed& p : Parse(f)) {
    if (!facts_->Grounded(p)) {
      result.ok = false;
      result.ungrounded.push_back(Fact{p.kind, TextOf(f, p)});
    }
  }
  return result;
}

}  // namespace kefu::llm
