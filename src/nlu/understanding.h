// nlu/: what a shopper's message means: an intent with a confidence, and entities with
// byte offsets into the normalized text.
//
//   std::unique_ptr<Understander> nlu = NewRuleUnderstander();
//   Understanding u = nlu->Understand(text::Normalize("我的订单 2026112512345678 到哪了"));
//   // u.intent == "order_status", u.entities[0].type == "order_id"
//
// First implementation: keyword rules, good enough for greeting, goodbye, thanks, order status,
// asking for a human, and a fallback. The understanding issue replaces it with a trained model
// behind the same interface.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "text/normalize.h"

namespace kefu::nlu {

struct Entity {
  std::string type;   // order_id, phone, digits4
  std::string value;  // canonical value ("2026112512345678")
  size_t begin = 0;   // byte offsets into NormalizedText::text
  size_t end = 0;
};

struct Understanding {
  std::string intent = "out_of_scope";
  double confidence = 0.0;
  std::vector<Entity> entities;

  // The first entity of `type`, if any.
  std::optional<Entity> Find(const std::string& type) const;
};

// Thread-safe: one instance serves all sessions.
class Understander {
 public:
  virtual ~Understander() = default;
  virtual Understanding Understand(const text::NormalizedText& text) const = 0;
};

std::unique_ptr<Understander> NewRuleUnderstander();

// Entities found by patterns: digit runs of 10-20 are order_id unless they look like a mobile
// number (11 digits, 1[3-9]...) with no order wording before them; 11-digit mobiles are phone;
// runs of exactly 4 digits are digits4 (a verification answer).
std::vector<Entity> ExtractEntities(const std::string& normalized);

}  // namespace kefu::nlu
