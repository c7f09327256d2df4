// nlu/: what a shopper's message means: an intent with a confidence, and entities with
// byte offsets into the normalized text.
//
//   std::unique_ptr<Understander> nlu = NewRuleUnderstander();
//   Understanding u = nlu->Understand(text::Normalize("我的订单 2026112512345678 到哪了"));
//   // u.intent == "order_status", u.entities[0].type == "order_id"
//
// Two implementations: NewModelUnderstander (the trained intent classifier, the entity
// extractor, and a few high-precision rules) serves the engine; NewRuleUnderstander (keyword
// rules only) remains for tests and as a baseline.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "text/normalize.h"

namespace kefu::nlu {

struct Entity {
  std::string type;   // order_id, tracking_no, phone, email, money, date, quantity, product,
                      // size, colour, digits4 (a bare four-digit answer)
  std::string value;  // canonical value ("2026112512345678", "CNY 350.00", "2026-11-20")
  size_t start = 0;   // code-point offsets into NormalizedText::text
  size_t end = 0;
  std::string text;  // the matched normalized text
  double confidence = 1.0;
};

struct Understanding {
  std::string intent = "out_of_scope";
  double confidence = 0.0;
  std::vector<std::pair<std::string, double>> alternatives;  // next best intents
  std::vector<Entity> entities;

  // The first entity of `type`, or nullptr: a pointer into `entities`, not a copy (the
  // dialogue asks several times a turn).
  const Entity* Find(std::string_view type) const;
};

// Thread-safe: one instance serves all sessions.
class Understander {
 public:
  virtual ~Understander() = default;
  virtual Understanding Understand(const text::NormalizedText& text) const = 0;
};

std::unique_ptr<Understander> NewRuleUnderstander();

struct ModelUnderstanderOptions {
  std::string intent_model_path;  // a model written by `kefu train intent`
  std::vector<std::string> order_id_patterns = {"KF\\d{10,18}", "DD\\d{6,20}"};
  struct Product {
    std::string sku;
    std::string name_zh;
    std::string name_en;
  };
  std::vector<Product> catalog;  // the product gazetteer
  int timezone_offset_minutes = 480;
};

// The engine's understanding: intent from the trained classifier (with its calibrated
// confidence and out-of-scope decision), entities from the extractor (dates resolved against
// `clock`), bare four-digit answers, and an explicit request for a human always honoured.
// kNotFound / kInvalidArgument when the model cannot be loaded or a pattern is bad.

Result<std::unique_ptr<Understander>> NewModelUnderstander(const ModelUnderstanderOptions& options,
                                                           const kefu::Clock& clock);

// Entities found by patterns: digit runs of 10-20 are order_id unless they look like a mobile
// number (11 digits, 1[3-9]...) with no order wording before them; 11-digit mobiles are phone;
// runs of exactly 4 digits are digits4 (a verification answer).
std::vector<Entity> ExtractEntities(const std::string& normalized);

}  // namespace kefu::nlu
