// llm/intent_assist.h: a second opinion on intent and slots when the intent classifier is unsure.
// The language model is asked which of the known intents a shopper's message has and which slot
// values it contains; its answer is validated so that it can never name an intent the dialogue
// does not know nor a slot value the shopper did not write.
//
//   IntentAssistInput in;
//   in.lang = "zh";
//   in.message = "订单20261103001还没到，我想退款";
//   in.intents = {"order_status", "return_refund", "refund_status", "out_of_scope"};
//   in.candidates = {{"return_refund", 0.41}, {"order_status", 0.38}};
//   in.slot_types = {"order_id", "phone"};
//   Result<IntentAssistResult> r = AssistIntent(*llm, in, ctx);
//   if (r.ok() && r->confidence >= 0.6) {
//     intent = r->intent;  // "return_refund"; r->slots == {{"order_id", "20261103001"}}
//   }                      // otherwise keep the classifier's answer
//
// The request (BuildIntentAssistRequest): non-streamed, temperature 0, a fixed seed, max_tokens
// from the input.
//   1. system: the task in the input's language ("zh" and "mixed" get Chinese, anything else
//      English): classify the shopper's message into exactly one of the listed intents (the
//      standard labels with a one-line gloss, others bare), "out_of_scope" when none fits; the
//      classifier's candidates as hints; the slot types that may be filled, values copied exactly
//      as written in the message and never invented; answer only with a JSON object
//      {"intent": "...", "confidence": 0.0-1.0, "slots": {"order_id": "..."}}.
//   2. user: the shopper's message, alone (so that it can never pass for an instruction).
// It also offers a tool `classify_intent` (intent enum, confidence, slots) with tool_choice
// "auto"; the answer is read from that tool call's arguments, else from the content.
//
// Validation (ParseIntentAssistAnswer): the first balanced {...} of the answer is read as JSON
// (so ```json fences and prose around it do no harm); the intent is matched against the known
// labels ignoring ASCII case, surrounding space and ' '/'-' versus '_'; the confidence is clamped
// to [0, 1] (0.5 when missing or not a number); slots whose type is not in slot_types, whose value
// does not occur in the message (ASCII case-insensitively) or that come past the 8th kept one are
// dropped, each with a `rejected` note. A kept value is spelled as in the message.
//
// Thread-safety: pure functions; AssistIntent is as thread-safe as the backend (LlmBackend
// implementations are).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/request_context.h"
#include "core/result.h"
#include "llm/llm.h"

namespace kefu::llm {

struct IntentAssistInput {
  std::string lang;                  // "zh", "en" or "mixed": the prompt's language
  std::string message;               // the shopper's message (normalized text)
  std::vector<std::string> intents;  // the known labels; must include "out_of_scope"
  std::vector<std::pair<std::string, double>> candidates;  // the classifier's guesses, best first
  std::vector<std::string> slot_types;  // order_id, phone, product, date, money, quantity, ...
  int max_tokens = 128;
};

struct IntentAssistResult {
  std::string intent;     // always one of input.intents, spelled as there
  double confidence = 0;  // the model's stated confidence clamped to [0, 1]; 0.5 when none
  std::vector<std::pair<std::string, std::string>> slots;  // (type, value), in the answer's order
  std::vector<std::string> rejected;  // what validation dropped or changed, and why
};

// Answers longer than this are refused unread.
constexpr size_t kMaxIntentAnswerBytes = 4'000;
// Slots kept from one answer.
constexpr size_t kMaxIntentSlots = 8;
// The name of the tool offered to the model.
inline constexpr std::string_view kClassifyIntentTool = "classify_intent";

// The chat request described above.
ChatRequest BuildIntentAssistRequest(const IntentAssistInput& input);

// Asks `backend` and validates its answer. Returns kInvalidArgument when input.intents lacks
// "out_of_scope", or when the answer is not parseable JSON, names no known intent or is too long
// (the caller keeps the classifier's answer); the backend's errors pass through with their code
// (kDeadlineExceeded, kUnavailable, kCancelled, ...).
Result<IntentAssistResult> AssistIntent(LlmBackend& backend, const IntentAssistInput& input,
                                        RequestContext& ctx);

// The validating half on its own: `answer` is the model's raw text (content or tool arguments).
// kInvalidArgument as for AssistIntent. Never throws.
Result<IntentAssistResult> ParseIntentAssistAnswer(std::string_view answer,
                                                   const IntentAssistInput& input);

}  // namespace kefu::llm
