// Flows as data: the structures data/flows/*.toml load into, and their loader. Internal to
// dialog/; docs/flows.md describes the file format for shop engineers.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/result.h"

namespace kefu::dialog {

// A text in both languages; {name} placeholders are filled when it is said.
struct LocalText {
  std::string zh;
  std::string en;
  bool empty() const { return zh.empty() && en.empty(); }
  const std::string& In(const std::string& lang) const { return lang == "en" ? en : zh; }
};

// What to say and where to go next.
//   then: "" (go on), "end", "handoff", "offer:human", "offer:<flow>" (a yes starts it with the
//   same order), "flow:<flow>" (start it now), "ask:<slot>" (clear and ask that slot again).
//   Placeholders are allowed ("{next}", from a choice's vars).
struct Branch {
  LocalText reply;
  std::string then;
  std::map<std::string, std::string> set;  // facts to record ("return_created" = "true")
  int priority = 0;                        // for handoff
};

struct Choice {
  std::string value;
  std::vector<std::string> zh;  // words that pick it (lower-case; matched as substrings)
  std::vector<std::string> en;
  LocalText label;
  std::map<std::string, std::string> vars;  // extra variables while this choice is the value
};

struct SlotSpec {
  std::string name;
  // text, choice, email, phone, address, tax_id, order_id, product, colour, size, price_range
  std::string type = "text";
  bool required = true;
  std::string when;             // "slot=value": asked only then
  std::string required_unless;  // a slot name: not asked when that slot has a value
  LocalText prompt;
  LocalText invalid;
  std::vector<Choice> choices;
  int max_chars = 200;
};

// A built-in check between the slots and the confirmation.
struct PolicySpec {
  std::string check;  // "" or "return_window"
  int no_reason_days = 7;
  int quality_days = 15;
  int exchange_days = 15;
  std::string reason_slot = "reason";
  std::vector<std::string> quality_words;  // a reason with one of these is a quality problem
  std::map<std::string, Branch> on;        // result code -> branch ("expired", ...)
};

struct ActionSpec {
  std::string tool;                         // "" when the flow only answers
  std::map<std::string, std::string> args;  // arg -> template ("{order_id}"); empty values drop
  std::map<std::string, Branch> on;         // result code -> branch; "error" for tool failures,
                                            // "default" for codes not listed
};

struct FlowSpec {
  std::string name;
  std::vector<std::string> intents;         // intents that start it
  LocalText title;                          // "退货" / "return"
  std::string order = "none";               // required | none
  std::vector<std::string> allowed_status;  // empty: any
  std::map<std::string, Branch> on_status;  // status (or "other") -> branch when not allowed
  Branch start;                             // said once when the flow starts (optional)
  std::vector<SlotSpec> slots;
  PolicySpec policy;
  LocalText confirm;  // empty: no confirmation turn
  Branch declined;
  ActionSpec action;
  Branch done;  // after the slots (and the action's branch, if it did not end the flow)
  bool answer_from_kb = false;  // kind = "answer": the knowledge base answers the message
  Branch kb_unknown;            // answer flows: what to do when the kb has no answer

  const SlotSpec* Slot(const std::string& slot_name) const;
};

// Loads every *.toml under `dir`, sorted by name. kInvalidArgument naming the file and key for
// unknown keys, missing languages, bad types, unknown slot types or branch targets; kNotFound
// when the directory does not exist.
Result<std::vector<FlowSpec>> LoadFlows(const std::string& dir);

}  // namespace kefu::dialog
