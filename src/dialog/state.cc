#include <nlohmann/json.hpp>

#include "dialog/dialog.h"

namespace kefu::dialog {

bool DialogState::IsVerified(const std::string& order_id) const {
  for (const std::string& v : verified_orders) {
    if (v == order_id) {
      return true;
    }
  }
  return false;
}

std::string EncodeState(const DialogState& s) {
  nlohmann::json j = {
      {"lang", s.lang},
      {"active_order", s.active_order},
      {"awaiting", s.awaiting},
      {"verified_orders", s.verified_orders},
      {"failed_verifications", s.failed_verifications},
      {"verification_locked", s.verification_locked},
      {"handoff_requested", s.handoff_requested},
      {"turns", s.turns},
  };
  return j.dump();
}

Result<DialogState> DecodeState(const std::string& json) {
  try {
    const nlohmann::json j = nlohmann::json::parse(json);
    if (!j.is_object()) {
      return InvalidArgumentError("dialog state is not an object");
    }
    DialogState s;
    s.lang = j.value("lang", s.lang);
    s.active_order = j.value("active_order", "");
    s.awaiting = j.value("awaiting", "");
    s.verified_orders = j.value("verified_orders", std::vector<std::string>{});
    s.failed_verifications = j.value("failed_verifications", 0);
    s.verification_locked = j.value("verification_locked", false);
    s.handoff_requested = j.value("handoff_requested", false);
    s.turns = j.value("turns", 0);
    return s;
  } catch (const nlohmann::json::exception& e) {
    return InvalidArgumentError(std::string("dialog state: ") + e.what());
  }
}

}  // namespace kefu::dialog
