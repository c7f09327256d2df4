#include "engine/engine.h"

#include <array>
#include <filesystem>
#include <mutex>
#include <set>

#include <nlohmann/json.hpp>

#include "core/logging.h"
#include "core/random.h"
#include "core/sha256.h"
#include "core/utf8.h"
#include "dialog/dialog.h"
#include "engine/pipeline.h"
#include "nlu/understanding.h"
#include "text/normalize.h"

namespace kefu::engine {
namespace {

constexpr int kMaxTurnAttempts = 3;  // re-runs when a concurrent turn saved first

// Everything one turn reads and produces, passed from stage to stage.
struct Turn {
  std::string conversation_id;
  const std::optional<std::string>* token = nullptr;
  std::string raw;
  int64_t received_at = 0;
  store::Conversation conversation;
  text::NormalizedText normalized;
  nlu::Understanding understanding;
  dialog::DialogState state;
  dialog::Action action;
  dialog::Outcome outcome;
  std::string reply;
  int64_t replied_at = 0;
  nlohmann::json trace;  // built once by BuildRecord; MakeResult adds store.persist
};

nlohmann::json TraceJson(const Turn& t, const RequestContext& ctx) {
  nlohmann::json stages = nlohmann::json::array();
  for (const StageTiming& s : ctx.timings()) {
    stages.push_back({{"name", s.name}, {"us", s.micros}, {"ok", s.ok}});
  }
  nlohmann::json entities = nlohmann::json::array();
  for (const nlu::Entity& e : t.understanding.entities) {
    // Phone numbers never leave the turn in clear; order ids are the shopper's own input.
    const std::string value = e.type == "phone" ? MaskDigits(e.value) : e.value;
    entities.push_back({{"type", e.type}, {"value", value}, {"start", e.start}, {"end", e.end}});
  }
  // The passages the knowledge base retrieved, best first: what the reply may cite.
  nlohmann::json sources = nlohmann::json::array();
  if (t.outcome.kb_answer) {
    for (const kb::Hit& h : t.outcome.kb_answer->hits) {
      sources.push_back(
          {{"doc_id", h.doc_id},
           {"title", h.title},
           {"heading", h.heading_path},
           {"score", h.score},
           {"confidence", h.confidence},
           {"used", h.doc_id == t.outcome.kb_answer->doc_id && t.outcome.kb_answer->found}});
    }
  }
  return {
      {"trace_id", ctx.trace_id()},
      {"lang", t.state.lang},
      {"normalized_lang", text::LanguageCode(t.normalized.lang)},
      {"intent", t.understanding.intent},
      {"confidence", t.understanding.confidence},
      {"entities", entities},
      {"action", dialog::ActionName(t.action.kind)},
      {"reply_key", t.outcome.reply_key},
      {"verified", !t.outcome.order_id.empty() && t.state.IsVerified(t.outcome.order_id)},
      {"sources", sources},
      {"stages", stages},
  };
}

}  // namespace

struct Engine::Impl {
  Impl(store::Store& s, const Clock& c, EngineOptions o, dialog::ReplyTemplates tmpl,
       std::unique_ptr<nlu::Understander> nlu)
      : store(s),
        clock(c),
        options(std::move(o)),
        understander(std::move(nlu)),
        actor(s, {.max_verification_attempts = options.max_verification_attempts},
              options.knowledge_base),
        templates(std::move(tmpl)) {
    stages = {
        {"store.load", [this](Turn& t, RequestContext&) { return Load(t); }},
        {"text.normalize",
         [](Turn& t, RequestContext&) {
           t.normalized = text::Normalize(t.raw);
           return OkStatus();
         }},
        {"nlu.understand",
         [this](Turn& t, RequestContext&) {
           t.understanding = understander->Understand(t.normalized);
           return OkStatus();
         }},
        {"dialog.track",
         [](Turn& t, RequestContext&) {
           dialog::Track(t.understanding, text::PrimaryLanguage(t.normalized.lang), t.state);
           return OkStatus();
         }},
        {"dialog.decide",
         [](Turn& t, RequestContext&) {
           t.action = dialog::Decide(t.understanding, t.state, t.normalized.text);
           return OkStatus();
         }},
        {"dialog.act",
         [this](Turn& t, RequestContext& ctx) -> Status {
           KEFU_ASSIGN_OR_RETURN(t.outcome, actor.Act(t.action, t.state, ctx));
           return OkStatus();
         }},
        {"reply.respond",
         [this](Turn& t, RequestContext&) {
           t.reply = templates.Render(t.outcome, t.state.lang);
           return OkStatus();
         }},
    };
    persist_stage = {
        {"store.persist",
         [this](Turn& t, RequestContext& ctx) { return store.SaveTurn(BuildRecord(t, ctx)); }},
    };
  }

  Status Load(Turn& t) {
    KEFU_ASSIGN_OR_RETURN(t.conversation, store.GetConversation(t.conversation_id));
    if (t.token != nullptr && t.token->has_value() &&
        !ConstantTimeEquals(Sha256Hex(**t.token), t.conversation.token_hash)) {
      return PermissionDeniedError("token does not match this conversation");
    }
    Result<dialog::DialogState> state = dialog::DecodeState(t.conversation.state_json);
    if (!state.ok()) {
      return InternalError("stored dialog state is unreadable: " + state.status().message());
    }
    t.state = std::move(*state);
    return OkStatus();
  }

  // The turn's writes. The stored trace has every stage but store.persist itself.
  store::TurnRecord BuildRecord(Turn& t, const RequestContext& ctx) {
    t.replied_at = clock.NowMillis();
    t.trace = TraceJson(t, ctx);
    std::string trace = t.trace.dump();
    store::TurnRecord r;
    r.conversation_id = t.conversation_id;
    r.expected_version = t.conversation.version;
    r.user = {0, t.conversation_id, "user", t.raw, t.received_at, t.understanding.intent, "", "{}"};
    r.assistant = {0,       t.conversation_id, "assistant",
                   t.reply, t.replied_at,      t.understanding.intent,
                   "",      std::move(trace)};
    r.state_json = dialog::EncodeState(t.state);
    r.lang = t.state.lang;
    r.updated_at = t.replied_at;
    // Every turn is already a row in messages (with intent and trace); events record only what
    // analytics cannot read from messages: verification outcomes, handoffs, unknown orders.
    for (const auto& [type, payload] : t.outcome.events) {
      r.events.push_back({t.conversation_id, type, payload, t.replied_at});
    }
    return r;
  }

  TurnResult MakeResult(Turn& t, const RequestContext& ctx) const {
    TurnResult r;
    r.conversation_id = t.conversation_id;
    r.reply = std::move(t.reply);
    r.lang = t.state.lang;
    r.intent = t.understanding.intent;
    r.confidence = t.understanding.confidence;
    r.action = std::string(dialog::ActionName(t.action.kind));
    r.handoff = t.outcome.offer_human;
    // The stored trace plus the persist stage, which ran after it was written.
    const std::vector<StageTiming>& timings = ctx.timings();
    if (!timings.empty() && timings.back().name == "store.persist") {
      t.trace["stages"].push_back({{"name", timings.back().name},
                                   {"us", timings.back().micros},
                                   {"ok", timings.back().ok}});
    }
    r.trace_json = t.trace.dump();
    r.created_at = t.replied_at;
    return r;
  }

  Status ValidateText(const std::string& text) const {
    if (!utf8::IsValid(text)) {
      return InvalidArgumentError("message text is not valid UTF-8");
    }
    const size_t chars = utf8::CodePointCount(text);
    if (chars > static_cast<size_t>(options.max_message_chars)) {
      return InvalidArgumentError("message text is " + std::to_string(chars) +
                                  " characters; the limit is " +
                                  std::to_string(options.max_message_chars));
    }
    if (text.find_first_not_of(" \t\r\n") == std::string::npos) {
      return InvalidArgumentError("message text is empty");
    }
    return OkStatus();
  }

  size_t StripeIndex(const std::string& conversation_id) const {
    return std::hash<std::string>{}(conversation_id) % stripes.size();
  }

  store::Store& store;
  const Clock& clock;
  EngineOptions options;
  std::unique_ptr<nlu::Understander> understander;
  dialog::Actor actor;
  dialog::ReplyTemplates templates;
  std::vector<Stage<Turn>> stages;  // all but store.persist
  std::vector<Stage<Turn>> persist_stage;

  // Turns on one conversation run one at a time in this process, so they rarely race; the
  // store's version check still catches races between processes.
  std::mutex& StripeFor(const std::string& conversation_id) {
    return stripes[StripeIndex(conversation_id)];
  }
  std::array<std::mutex, 64> stripes;
};

Engine::Engine(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Engine::~Engine() = default;

const EngineOptions& Engine::options() const {
  return impl_->options;
}

nlu::Understanding Engine::Understand(const text::NormalizedText& text) const {
  return impl_->understander->Understand(text);
}

Result<std::unique_ptr<Engine>> Engine::Create(store::Store& store, const Clock& clock,
                                               EngineOptions options) {
  const std::string path =
      (std::filesystem::path(options.data_dir) / "templates" / "replies.toml").string();
  KEFU_ASSIGN_OR_RETURN(dialog::ReplyTemplates templates,
                        dialog::ReplyTemplates::Load(
                            path, {.timezone_offset_minutes = options.timezone_offset_minutes}));
  std::unique_ptr<nlu::Understander> understander;
  if (options.intent_model.empty()) {
    understander = nlu::NewRuleUnderstander();
  } else {
    nlu::ModelUnderstanderOptions mo;
    mo.intent_model_path = options.intent_model;
    mo.timezone_offset_minutes = options.timezone_offset_minutes;
    KEFU_ASSIGN_OR_RETURN(std::vector<store::Product> products, store.ListProducts());
    for (const store::Product& p : products) {
      mo.catalog.push_back({p.sku, p.name_zh, p.name_en});
    }
    KEFU_ASSIGN_OR_RETURN(understander, nlu::NewModelUnderstander(mo, clock));
  }
  auto impl = std::make_unique<Impl>(store, clock, std::move(options), std::move(templates),
                                     std::move(understander));
  return std::unique_ptr<Engine>(new Engine(std::move(impl)));
}

Result<NewConversation> Engine::CreateConversation(const std::string& channel) {
  NewConversation nc{"c_" + RandomHex(12), RandomHex(24)};
  store::Conversation c;
  c.id = nc.id;
  c.token_hash = Sha256Hex(nc.token);
  c.channel = channel;
  c.state_json = dialog::EncodeState({});
  c.created_at = impl_->clock.NowMillis();
  c.updated_at = c.created_at;
  KEFU_RETURN_IF_ERROR(impl_->store.CreateConversation(c));
  KEFU_RETURN_IF_ERROR(
      impl_->store.AppendEvent({c.id, "conversation_created", "{}", c.created_at}));
  return nc;
}

Status Engine::Authorize(const std::string& conversation_id, const std::string& token) {
  KEFU_ASSIGN_OR_RETURN(store::Conversation c, impl_->store.GetConversation(conversation_id));
  if (!ConstantTimeEquals(Sha256Hex(token), c.token_hash)) {
    return PermissionDeniedError("token does not match this conversation");
  }
  return OkStatus();
}

Result<TurnResult> Engine::HandleTurn(const TurnInput& input, RequestContext& ctx) {
  KEFU_RETURN_IF_ERROR(impl_->ValidateText(input.text));
  std::scoped_lock lock(impl_->StripeFor(input.conversation_id));
  const int64_t received_at = impl_->clock.NowMillis();
  for (int attempt = 1;; ++attempt) {
    Turn turn;
    turn.conversation_id = input.conversation_id;
    turn.token = &input.token;
    turn.raw = input.text;
    turn.received_at = received_at;
    Status s = RunStages<Turn>(impl_->stages, turn, ctx);
    if (s.ok()) {
      s = RunStages<Turn>(impl_->persist_stage, turn, ctx);
    }
    if (s.code() == StatusCode::kFailedPrecondition && attempt < kMaxTurnAttempts) {
      continue;  // another turn on this conversation saved first: re-read and re-run
    }
    if (!s.ok()) {
      KEFU_LOG_WARN("turn failed trace={} conversation={} error={}", ctx.trace_id(),
                    input.conversation_id, s.ToString());
      return s;
    }
    return impl_->MakeResult(turn, ctx);
  }
}

std::vector<Result<TurnResult>> Engine::HandleTurns(std::span<const TurnInput> inputs,
                                                    std::span<RequestContext* const> contexts) {
  KEFU_CHECK(inputs.size() == contexts.size());
  std::vector<Result<TurnResult>> results(inputs.size(), InternalError("turn not run"));
  // One turn per conversation per batch; repeats run on their own after the batch.
  std::vector<size_t> batch;
  std::vector<size_t> alone;
  std::set<std::string> conversations;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (Status s = impl_->ValidateText(inputs[i].text); !s.ok()) {
      results[i] = s;
    } else if (!conversations.insert(inputs[i].conversation_id).second) {
      alone.push_back(i);
    } else {
      batch.push_back(i);
    }
  }
  {
    // Stripe locks in ascending order, so two batches can never deadlock.
    std::set<size_t> stripe_ids;
    for (size_t i : batch) {
      stripe_ids.insert(impl_->StripeIndex(inputs[i].conversation_id));
    }
    std::vector<std::unique_lock<std::mutex>> locks;
    for (size_t id : stripe_ids) {
      locks.emplace_back(impl_->stripes[id]);
    }
    const int64_t received_at = impl_->clock.NowMillis();
    std::vector<Turn> turns(batch.size());
    std::vector<size_t> ready;  // positions in `batch` whose stages all succeeded
    std::vector<store::TurnRecord> records;
    for (size_t k = 0; k < batch.size(); ++k) {
      const size_t i = batch[k];
      Turn& turn = turns[k];
      turn.conversation_id = inputs[i].conversation_id;
      turn.token = &inputs[i].token;
      turn.raw = inputs[i].text;
      turn.received_at = received_at;
      Status s = RunStages<Turn>(impl_->stages, turn, *contexts[i]);
      if (s.ok()) {
        s = contexts[i]->Check().WithContext("store.persist");
      }
      if (!s.ok()) {
        results[i] = s;
        continue;
      }
      records.push_back(impl_->BuildRecord(turn, *contexts[i]));
      ready.push_back(k);
    }
    const auto start = std::chrono::steady_clock::now();
    std::vector<Status> saved = impl_->store.SaveTurns(records);
    const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(
                            std::chrono::steady_clock::now() - start)
                            .count();
    for (size_t j = 0; j < ready.size(); ++j) {
      const size_t i = batch[ready[j]];
      contexts[i]->RecordStage("store.persist", micros, saved[j].ok());
      if (saved[j].ok()) {
        results[i] = impl_->MakeResult(turns[ready[j]], *contexts[i]);
      } else if (saved[j].code() == StatusCode::kFailedPrecondition) {
        alone.push_back(i);  // a turn in another process saved first: run it again on its own
      } else {
        results[i] = saved[j].WithContext("store.persist");
      }
    }
  }
  for (size_t i : alone) {
    results[i] = HandleTurn(inputs[i], *contexts[i]);
  }
  return results;
}

Result<std::vector<store::Message>> Engine::History(const std::string& conversation_id,
                                                    int64_t after_id, int limit) {
  return impl_->store.ListMessages(conversation_id, after_id, limit);
}

std::string NewTraceId() {
  return "t-" + RandomHex(8);
}

}  // namespace kefu::engine
