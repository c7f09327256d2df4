// The engine's understanding: the trained intent classifier, the entity extractor, and the
// rule scanner for bare four-digit answers. One explicit rule stays above the model: a shopper
// who asks for a human (人工, 转人工, "human", "agent") gets one, whatever the model thinks.
#include <algorithm>

#include "nlu/entities.h"
#include "nlu/intent_classifier.h"
#include "nlu/understanding.h"

namespace kefu::nlu {
namespace {

class ModelUnderstander final : public Understander {
 public:
  ModelUnderstander(std::unique_ptr<IntentClassifier> intents,
                    std::unique_ptr<EntityExtractor> entities, const Clock& clock)
      : intents_(std::move(intents)),
        entities_(std::move(entities)),
        rules_(NewRuleUnderstander()),
        clock_(clock) {}

  Understanding Understand(const text::NormalizedText& text) const override {
    Understanding u;
    const IntentPrediction p = intents_->Predict(text.text, 3);
    u.intent = p.intent;
    u.confidence = p.confidence;
    u.alternatives = p.alternatives;
    for (const ExtractedEntity& e : entities_->Extract(text.text, clock_.NowMillis())) {
      u.entities.push_back({e.type, e.value, e.start, e.end, e.text, e.confidence});
    }
    // Bare four-digit answers (verification) are not entities to the extractor; add those that
    // do not overlap anything it found.
    for (const Entity& e : ExtractEntities(text.text)) {
      if (e.type != "digits4") {
        continue;
      }
      const bool overlaps = std::any_of(u.entities.begin(), u.entities.end(), [&](const Entity& o) {
        return e.start < o.end && o.start < e.end;
      });
      if (!overlaps) {
        u.entities.push_back(e);
      }
    }
    std::sort(u.entities.begin(), u.entities.end(),
              [](const Entity& a, const Entity& b) { return a.start < b.start; });
    const Understanding rule = rules_->Understand(text);
    if (rule.intent == "human_agent" && u.intent != "human_agent") {
      u.alternatives.insert(u.alternatives.begin(), {u.intent, u.confidence});
      u.intent = "human_agent";
      u.confidence = std::max(u.confidence, rule.confidence);
    }
    return u;
  }

 private:
  std::unique_ptr<IntentClassifier> intents_;
  std::unique_ptr<EntityExtractor> entities_;
  std::unique_ptr<Understander> rules_;
  const Clock& clock_;
};

}  // namespace

Result<std::unique_ptr<Understander>> NewModelUnderstander(const ModelUnderstanderOptions& options,
                                                           const Clock& clock) {
  KEFU_ASSIGN_OR_RETURN(std::unique_ptr<IntentClassifier> intents,
                        IntentClassifier::Load(options.intent_model_path));
  EntityOptions eo;
  eo.order_id_patterns = options.order_id_patterns;
  eo.timezone_offset_minutes = options.timezone_offset_minutes;
  for (const ModelUnderstanderOptions::Product& p : options.catalog) {
    eo.catalog.push_back({p.sku, p.name_zh, p.name_en, {}});
  }
  KEFU_ASSIGN_OR_RETURN(std::unique_ptr<EntityExtractor> entities,
                        EntityExtractor::Create(std::move(eo)));
  return std::unique_ptr<Understander>(
      std::make_unique<ModelUnderstander>(std::move(intents), std::move(entities), clock));
}

}  // namespace kefu::nlu
