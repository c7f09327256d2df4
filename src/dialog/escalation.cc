// The sentiment escalation hook: applies an EscalationRule to what TrackFeeling recorded.
#include <algorithm>
#include <utility>

#include "dialog/dialog.h"

namespace kefu::dialog {
namespace {

bool IsAction(const std::string& action) {
  return action == "handoff" || action == "offer" || action == "off";
}

class SentimentEscalation final : public EscalationHook {
 public:
  explicit SentimentEscalation(EscalationRule rule) : rule_(std::move(rule)) {}

  std::optional<HandoffRequest> Check(const nlu::Understanding&, const text::NormalizedText&,
                                      const DialogState& state) const override {
    const MessageFeeling& f = state.feeling;
    if (f.threat) {
      if (auto r = Act(rule_.threat_action, "threat", state)) {
        return r;
      }
    }
    if (f.polarity == "negative" && f.anger >= rule_.anger_threshold) {
      if (auto r = Act(rule_.anger_action, "anger", state)) {
        return r;
      }
    }
    if (rule_.negative_turns > 0 && state.negative_turns >= rule_.negative_turns) {
      return Act(rule_.negative_turns_action, "negative_turns", state);
    }
    return std::nullopt;
  }

 private:
  std::optional<HandoffRequest> Act(const std::string& action, const std::string& reason,
                                    const DialogState& state) const {
    if (action == "handoff") {
      return HandoffRequest{reason, rule_.priority, false};
    }
    if (action != "offer" || state.handoff_requested) {
      return std::nullopt;
    }
    const int spacing = rule_.negative_turns > 0 ? rule_.negative_turns : 3;
    if (state.escalation_offered_turn > 0 &&
        state.turns - state.escalation_offered_turn < spacing) {
      return std::nullopt;  // offered a moment ago: the shopper heard it
    }
    return HandoffRequest{reason, rule_.priority, true};
  }

  EscalationRule rule_;
};

}  // namespace

Status ValidateEscalationRule(const EscalationRule& rule) {
  for (const auto& [value, field] :
       {std::pair{&rule.threat_action, "threat_action"},
        std::pair{&rule.anger_action, "anger_action"},
        std::pair{&rule.negative_turns_action, "negative_turns_action"}}) {
    if (!IsAction(*value)) {
      return InvalidArgumentError(std::string("sentiment.") + field +
                                  " must be handoff, offer or off, not '" + *value + "'");
    }
  }
  if (!(rule.anger_threshold > 0 && rule.anger_threshold <= 1)) {
    return InvalidArgumentError("sentiment.anger_threshold must be in (0, 1]");
  }
  if (rule.negative_turns < 0 || rule.negative_turns > 100) {
    return InvalidArgumentError("sentiment.negative_turns must be in [0, 100]");
  }
  if (rule.priority < 0 || rule.priority > 100) {
    return InvalidArgumentError("sentiment.priority must be in [0, 100]");
  }
  return OkStatus();
}

std::shared_ptr<const EscalationHook> NewSentimentEscalation(EscalationRule rule) {
  return std::make_shared<SentimentEscalation>(std::move(rule));
}

}  // namespace kefu::dialog
