#include "nlu/entities.h"

#include <algorithm>
#include <regex>

#include "core/utf8.h"
#include "nlu/entity_internal.h"

namespace kefu::nlu {
namespace {

constexpr int kMaxOffsetMinutes = 14 * 60;
constexpr int64_t kMillisPerDay = 86'400'000;
constexpr int64_t kMillisPerMinute = 60'000;

int64_t FloorDiv(int64_t a, int64_t b) {
  const int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

// Longer spans first, then the more specific type, then the more confident, then the earlier.
bool Precedes(const internal::Candidate& a, const internal::Candidate& b) {
  const size_t la = a.end - a.start;
  const size_t lb = b.end - b.start;
  if (la != lb) {
    return la > lb;
  }
  if (a.rank != b.rank) {
    return a.rank > b.rank;
  }
  if (a.confidence != b.confidence) {
    return a.confidence > b.confidence;
  }
  return a.start < b.start;
}

}  // namespace

struct EntityExtractor::Impl {
  EntityOptions options;
  std::vector<std::regex> order_patterns;
  internal::ProductIndex products;

  Impl(EntityOptions opts, std::vector<std::regex> patterns)
      : options(std::move(opts)), order_patterns(std::move(patterns)), products(options.catalog) {}
};

EntityExtractor::EntityExtractor(std::unique_ptr<const Impl> impl) : impl_(std::move(impl)) {}

EntityExtractor::~EntityExtractor() = default;

Result<std::unique_ptr<EntityExtractor>> EntityExtractor::Create(EntityOptions options) {
  if (options.timezone_offset_minutes < -kMaxOffsetMinutes ||
      options.timezone_offset_minutes > kMaxOffsetMinutes) {
    return InvalidArgumentError("entity options: timezone offset " +
                                std::to_string(options.timezone_offset_minutes) +
                                " minutes is beyond ±14 hours");
  }
  std::vector<std::regex> patterns;
  patterns.reserve(options.order_id_patterns.size());
  for (const std::string& p : options.order_id_patterns) {
    if (p.empty()) {
      return InvalidArgumentError("entity options: empty order_id pattern");
    }
    try {
      patterns.emplace_back(p, std::regex::ECMAScript | std::regex::icase | std::regex::optimize);
    } catch (const std::regex_error& e) {
      return InvalidArgumentError("entity options: order_id pattern '" + p + "': " + e.what());
    }
  }
  for (size_t i = 0; i < options.catalog.size(); ++i) {
    if (options.catalog[i].sku.empty()) {
      return InvalidArgumentError("entity options: catalog entry " + std::to_string(i) +
                                  ": empty sku");
    }
  }
  auto impl = std::make_unique<const Impl>(std::move(options), std::move(patterns));
  return std::unique_ptr<EntityExtractor>(new EntityExtractor(std::move(impl)));
}

std::vector<ExtractedEntity> EntityExtractor::Extract(std::string_view normalized_text,
                                                      int64_t now_millis) const {
  if (normalized_text.empty()) {
    return {};
  }
  const std::u32string raw = utf8::Decode(normalized_text);
  std::u32string folded(raw.size(), 0);
  std::transform(raw.begin(), raw.end(), folded.begin(), internal::Fold);
  const internal::Text t(folded);

  std::vector<internal::Candidate> candidates;
  internal::ScanIds(t, impl_->order_patterns, candidates);
  internal::ScanEmails(t, candidates);
  internal::ScanMoney(t, candidates);
  internal::ScanQuantities(t, candidates);
  const int64_t local_millis =
      now_millis + int64_t{impl_->options.timezone_offset_minutes} * kMillisPerMinute;
  internal::ScanDates(t, FloorDiv(local_millis, kMillisPerDay), candidates);
  internal::ScanSizes(t, candidates);
  internal::ScanColours(t, candidates);
  impl_->products.Scan(t, candidates);

  std::sort(candidates.begin(), candidates.end(), Precedes);
  std::vector<bool> taken(t.size(), false);
  std::vector<const internal::Candidate*> kept;
  for (const internal::Candidate& c : candidates) {
    if (c.end <= c.start || c.end > t.size()) {
      continue;
    }
    if (std::any_of(taken.begin() + static_cast<std::ptrdiff_t>(c.start),
                    taken.begin() + static_cast<std::ptrdiff_t>(c.end), [](bool b) { return b; })) {
      continue;
    }
    std::fill(taken.begin() + static_cast<std::ptrdiff_t>(c.start),
              taken.begin() + static_cast<std::ptrdiff_t>(c.end), true);
    kept.push_back(&c);
  }
  std::sort(kept.begin(), kept.end(),
            [](const internal::Candidate* a, const internal::Candidate* b) {
              return a->start < b->start;
            });
  std::vector<ExtractedEntity> entities;
  entities.reserve(kept.size());
  for (const internal::Candidate* c : kept) {
    ExtractedEntity e;
    e.type = std::string(c->type);
    e.value = c->value;
    e.text = utf8::Encode(std::u32string_view(raw).substr(c->start, c->end - c->start));
    e.start = c->start;
    e.end = c->end;
    e.confidence = c->confidence;
    entities.push_back(std::move(e));
  }
  return entities;
}

}  // namespace kefu::nlu
