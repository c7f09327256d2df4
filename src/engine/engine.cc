#include "engine/engine.h"

#include <array>
#include <cmath>
#include <filesystem>
#include <list>
#include <mutex>
#include <random>
#include <set>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include <nlohmann/json.hpp>

#include "core/json_writer.h"
#include "core/logging.h"
#include "core/random.h"
#include "core/sha256.h"
#include "core/utf8.h"
#include "dialog/dialog.h"
#include "engine/pipeline.h"
#include "llm/intent_assist.h"
#include "nlu/understanding.h"
#include "sentiment/sentiment.h"
#include "text/normalize.h"
#include "tools/tools.h"

namespace kefu::engine {
namespace {

constexpr int kMaxTurnAttempts = 3;  // re-runs when a concurrent turn saved first
constexpr size_t kMaxPassages = 3;   // retrieved passages the model sees
constexpr int kPromptHistoryMessages =
    8;                            // earlier messages the model sees (token budget permitting)
constexpr int kHandoffTurns = 8;  // earlier messages in a handoff summary

// The intents the dialogue knows (data/nlu's labels): the only answers the intent assist may give.
constexpr std::string_view kKnownIntents[] = {
    "greeting",        "goodbye",         "thanks",         "affirm",        "deny",
    "order_status",    "cancel_order",    "change_order",   "return_refund", "refund_status",
    "exchange",        "delivery_issue",  "quality_issue",  "payment_issue", "invoice",
    "shipping_policy", "product_inquiry", "product_search", "promotion",     "account",
    "warranty",        "complaint",       "human_agent",    "chitchat",      "out_of_scope"};

// A mutex per conversation in use, created on first use and dropped with its last user.
// Thread-safe.
class ConversationLocks {
 public:
  class Held {
   public:
    Held(ConversationLocks* owner, std::string id) : owner_(owner), id_(std::move(id)) {}
    Held(Held&& other) noexcept
        : owner_(std::exchange(other.owner_, nullptr)), id_(std::move(other.id_)) {}
    Held(const Held&) = delete;
    Held& operator=(const Held&) = delete;
    Held& operator=(Held&&) = delete;
    ~Held() {
      if (owner_ != nullptr) {
        owner_->Unlock(id_);
      }
    }

   private:
    ConversationLocks* owner_;
    std::string id_;
  };

  // Blocks until no other turn holds `conversation_id`.
  Held Lock(const std::string& conversation_id) {
    Entry* entry = nullptr;
    {
      std::scoped_lock lock(mutex_);
      std::unique_ptr<Entry>& e = entries_[conversation_id];
      if (!e) {
        e = std::make_unique<Entry>();
      }
      ++e->users;
      entry = e.get();
    }
    entry->mutex.lock();
    return Held(this, conversation_id);
  }

 private:
  struct Entry {
    std::mutex mutex;
    int users = 0;  // holders and waiters; guarded by ConversationLocks::mutex_
  };

  void Unlock(const std::string& conversation_id) {
    std::scoped_lock lock(mutex_);
    auto it = entries_.find(conversation_id);
    it->second->mutex.unlock();
    if (--it->second->users == 0) {
      entries_.erase(it);
    }
  }

  std::mutex mutex_;
  std::unordered_map<std::string, std::unique_ptr<Entry>> entries_;  // guarded by mutex_
};

// The dialogue states this process decoded or wrote last, so a conversation's next turn skips
// parsing the JSON it just stored. An entry is used only when the stored JSON is byte for byte
// the one it was decoded from, so a state written by another process or an older turn is decoded
// again. A turn takes its state out (Take) and puts the changed one back (Put): moved, never
// copied; a second turn of the conversation meanwhile decodes the JSON itself. At most
// kMaxEntries conversations; the least recently used goes first. Thread-safe.
class StateCache {
 public:
  static constexpr size_t kMaxEntries = 4096;

  // The decoded state for `json`, taken out, when this cache holds `conversation_id` at exactly
  // `json` and no other turn has taken it.
  std::optional<dialog::DialogState> Take(const std::string& conversation_id,
                                          const std::string& json) {
    std::scoped_lock lock(mutex_);
    auto it = entries_.find(conversation_id);
    if (it == entries_.end() || !it->second.state || it->second.json != json) {
      return std::nullopt;
    }
    order_.splice(order_.end(), order_, it->second.position);
    std::optional<dialog::DialogState> state = std::move(it->second.state);
    it->second.state.reset();
    return state;
  }

  void Put(const std::string& conversation_id, std::string json, dialog::DialogState state) {
    std::scoped_lock lock(mutex_);
    auto [it, inserted] = entries_.try_emplace(conversation_id);
    if (inserted) {
      it->second.position = order_.insert(order_.end(), conversation_id);
    } else {
      order_.splice(order_.end(), order_, it->second.position);
    }
    it->second.json = std::move(json);
    it->second.state = std::move(state);
    if (entries_.size() > kMaxEntries) {
      entries_.erase(order_.front());
      order_.pop_front();
    }
  }

 private:
  struct Entry {
    std::string json;
    std::optional<dialog::DialogState> state;  // empty while a turn has it
    std::list<std::string>::iterator position;
  };
  std::mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;  // guarded by mutex_
  std::list<std::string> order_;                    // least recently used first; guarded
};

// Everything one turn reads and produces, passed from stage to stage.
struct Turn {
  std::string conversation_id;
  const std::optional<std::string>* token = nullptr;
  const std::string* token_sha256 = nullptr;  // TurnInput::token_sha256
  ReplySink* sink = nullptr;
  std::string raw;
  int64_t received_at = 0;
  store::Conversation conversation;
  text::NormalizedText normalized;
  std::string read_as;  // Chinese typed in pinyin, read back (kb::Retriever::ReadPinyin)
  nlu::Understanding understanding;
  sentiment::SentimentResult sentiment;
  dialog::DialogState state;
  dialog::TurnOutcome outcome;
  bool silent = false;     // an agent holds the conversation: store the message, say nothing
  nlohmann::json llm;      // what the responder did (reply.phrase)
  bool no_model = false;   // no model is configured: the trace says so in fixed words
  std::string state_json;  // the state as BuildRecord stored it (encoded once per turn)
  std::optional<VoiceInput> voice;  // a voice turn's recognition
  nlohmann::json assist;            // what the model said about the intent (nlu.assist), when asked
  // The model's first words are due by then, counted from the turn's start.
  RequestContext::SteadyClock::time_point first_token_deadline;
  bool streamed = false;  // the sink holds the reply
  int prompt_tokens = 0;
  int completion_tokens = 0;
  std::string model;  // the backend that wrote the reply; "" for the template
  std::optional<store::HandoffTicket> ticket;
  std::string reply;
  int64_t replied_at = 0;
  std::string trace;  // as stored, written once by BuildRecord; MakeResult adds store.persist
};

// The dialogue's view of a message's sentiment.
dialog::MessageFeeling FeelingOf(const sentiment::SentimentResult& s) {
  dialog::MessageFeeling f;
  f.polarity = std::string(sentiment::PolarityName(s.polarity));
  f.score = s.score;
  f.emotion = std::string(sentiment::EmotionName(s.emotion));
  f.intensity = s.intensity;
  f.anger = s.EmotionIntensity(sentiment::Emotion::kAnger);
  f.threat = s.threat;
  return f;
}

double Round3(double v) {
  return std::round(v * 1'000) / 1'000;
}

// What the shopper's message felt like, as the members of an open object: stored with the
// message and in the trace (with the lexicon terms that fired, which stay out of the stored
// column).
void WriteSentimentFields(const sentiment::SentimentResult& s, bool with_terms, JsonWriter& w) {
  w.Key("polarity").String(sentiment::PolarityName(s.polarity));
  w.Key("score").Double(Round3(s.score));
  w.Key("emotion").String(sentiment::EmotionName(s.emotion));
  w.Key("intensity").Double(Round3(s.intensity));
  w.Key("aspects").StringArray(s.aspects);
  w.Key("threat").Bool(s.threat);
  if (with_terms) {
    w.Key("matched").StringArray(s.matched);
    w.Key("emotions").BeginObject();
    for (size_t e = 0; e < sentiment::kEmotionCount; ++e) {
      w.Key(sentiment::EmotionName(static_cast<sentiment::Emotion>(e)))
          .Double(Round3(s.emotions[e]));
    }
    w.EndObject();
  }
}

std::string SentimentToJson(const sentiment::SentimentResult& s, bool with_terms) {
  JsonWriter w;
  w.BeginObject();
  WriteSentimentFields(s, with_terms, w);
  w.EndObject();
  return std::move(w).Take();
}

// The conversation's mood after the turn: for the trace and the agent's handoff summary.
void WriteMood(const dialog::DialogState& s, JsonWriter& w) {
  w.BeginObject();
  w.Key("mood").Double(Round3(s.mood));
  w.Key("emotion").String(s.feeling.emotion);
  w.Key("intensity").Double(Round3(s.feeling.intensity));
  w.Key("peak_anger").Double(Round3(s.peak_anger));
  w.Key("negative_turns").Int(s.negative_turns);
  w.Key("threat").Bool(s.feeling.threat);
  w.EndObject();
}

std::string MoodJson(const dialog::DialogState& s) {
  JsonWriter w;
  WriteMood(s, w);
  return std::move(w).Take();
}

// The reply's buttons, cards and sources for a graphical channel (docs/web.md).
std::string UiJson(const Turn& t) {
  JsonWriter w;
  w.BeginObject();
  w.Key("quick_replies").BeginArray();
  for (const dialog::QuickReply& q : t.outcome.quick_replies) {
    w.BeginObject().Key("label").String(q.label).Key("text").String(q.text).EndObject();
  }
  w.EndArray();
  w.Key("cards").BeginArray();
  for (const std::string& card : t.outcome.cards) {
    w.Raw(card);
  }
  w.EndArray();
  // A model's reply cites [pN] itself; a template's reply has one source: the kb answer's.
  w.Key("citations").BeginArray();
  auto citation = [&w](int64_t n, std::string_view title, std::string_view heading,
                       std::string_view doc_id) {
    w.BeginObject().Key("n").Int(n).Key("title").String(title);
    w.Key("heading").String(heading).Key("doc_id").String(doc_id).EndObject();
  };
  if (auto it = t.llm.find("citations"); it != t.llm.end() && it->is_array()) {
    int64_t n = 0;
    for (const nlohmann::json& c : *it) {
      citation(++n, c.value("title", ""), c.value("heading", ""), c.value("doc_id", ""));
    }
  } else if (t.outcome.kb_answer && t.outcome.kb_answer->found) {
    citation(1, t.outcome.kb_answer->title, t.outcome.kb_answer->heading_path,
             t.outcome.kb_answer->doc_id);
  }
  w.EndArray();
  w.EndObject();
  return std::move(w).Take();
}

// What the turn did, for the stored message and the response. Written directly rather than
// through a nlohmann::json tree: every turn writes one.
std::string TraceJson(const Turn& t, const RequestContext& ctx) {
  JsonWriter w;
  // An order's status writes about 1.5 KB; MakeResult appends the persist stage in place.
  w.Reserve(2048);
  w.BeginObject();
  w.Key("trace_id").String(ctx.trace_id());
  w.Key("lang").String(t.state.lang);
  w.Key("normalized_lang").String(text::LanguageCode(t.normalized.lang));
  if (!t.read_as.empty()) {
    w.Key("pinyin_read_as").String(t.read_as);
  }
  w.Key("intent").String(t.understanding.intent);
  w.Key("confidence").Double(t.understanding.confidence);
  w.Key("entities").BeginArray();
  for (const nlu::Entity& e : t.understanding.entities) {
    // Phone numbers never leave the turn in clear; order ids are the shopper's own input.
    w.BeginObject();
    w.Key("type").String(e.type);
    w.Key("value").String(e.type == "phone" ? MaskDigits(e.value) : e.value);
    w.Key("start").Int(static_cast<int64_t>(e.start));
    w.Key("end").Int(static_cast<int64_t>(e.end));
    w.EndObject();
  }
  w.EndArray();
  w.Key("action").String(t.outcome.action);
  const dialog::Task* task = t.state.active();
  w.Key("flow").String(task != nullptr ? task->flow : "");
  w.Key("awaiting").String(task != nullptr ? task->awaiting : "");
  w.Key("slots").BeginObject();
  if (task != nullptr) {
    for (const auto& [name, v] : task->slots) {
      // Addresses and phone numbers typed into a slot are the shopper's PII: masked here.
      const bool pii = name.find("phone") != std::string::npos ||
                       name.find("address") != std::string::npos ||
                       name.find("email") != std::string::npos;
      w.Key(name).BeginObject();
      w.Key("value").String(pii ? std::string_view("***") : std::string_view(v.value));
      w.Key("source").String(v.source);
      w.Key("confidence").Double(v.confidence);
      w.EndObject();
    }
  }
  w.EndObject();
  w.Key("tool_calls").BeginArray();
  for (const dialog::ToolCallRecord& c : t.outcome.tool_calls) {
    w.BeginObject();
    w.Key("tool").String(c.tool);
    w.Key("args").Raw(c.args_json.empty() ? std::string_view("{}") : c.args_json);
    w.Key("code").String(c.code);
    w.Key("us").Int(c.micros);
    if (!c.error.empty()) {
      w.Key("error").String(c.error);
    }
    w.EndObject();
  }
  w.EndArray();
  w.Key("verified").Bool(!t.state.active_order.empty() && t.state.IsVerified(t.state.active_order));
  // The passages the knowledge base retrieved, best first: what the reply may cite.
  w.Key("sources").BeginArray();
  if (t.outcome.kb_answer) {
    for (const kb::Hit& h : t.outcome.kb_answer->hits) {
      w.BeginObject();
      w.Key("doc_id").String(h.doc_id);
      w.Key("title").String(h.title);
      w.Key("heading").String(h.heading_path);
      w.Key("score").Double(h.score);
      w.Key("confidence").Double(h.confidence);
      w.Key("used").Bool(h.doc_id == t.outcome.kb_answer->doc_id && t.outcome.kb_answer->found);
      w.EndObject();
    }
  }
  w.EndArray();
  w.Key("sentiment").BeginObject();
  WriteSentimentFields(t.sentiment, /*with_terms=*/true, w);
  w.EndObject();
  w.Key("mood");
  WriteMood(t.state, w);
  if (t.voice) {
    w.Key("asr").BeginObject();
    w.Key("engine").String(t.voice->engine);
    w.Key("grammar").String(t.voice->grammar);
    w.Key("confidence").Double(Round3(t.voice->confidence));
    w.Key("audio_ms").Int(std::lround(t.voice->audio_seconds * 1000));
    w.Key("decode_ms").Int(std::lround(t.voice->decode_seconds * 1000));
    w.EndObject();
  }
  if (t.no_model) {
    w.Key("llm").Raw(R"({"reason":"no model configured","used":false})");
  } else if (!t.llm.is_null()) {
    w.Key("llm").Raw(t.llm.dump());
  }
  if (!t.assist.is_null()) {
    w.Key("intent_assist").Raw(t.assist.dump());
  }
  if (t.outcome.handoff) {
    w.Key("handoff").BeginObject();
    w.Key("reason").String(t.outcome.handoff->reason);
    w.Key("priority").Int(t.outcome.handoff->priority);
    w.EndObject();
  }
  // Last, so that the persist stage can be added to the written text (WithStage).
  w.Key("stages").BeginArray();
  for (const StageTiming& st : ctx.timings()) {
    w.BeginObject();
    w.Key("name").String(st.name);
    w.Key("us").Int(st.micros);
    w.Key("ok").Bool(st.ok);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return std::move(w).Take();
}

// A written trace with one more stage at the end of its "stages" array, which TraceJson
// writes last: the text ends with "]}".
std::string WithStage(std::string trace, const StageTiming& stage) {
  if (trace.size() < 3 || trace.compare(trace.size() - 2, 2, "]}") != 0) {
    return trace;
  }
  JsonWriter w;
  w.Reserve(64);  // not the first growth's 1 KB
  w.BeginObject().Key("name").String(stage.name).Key("us").Int(stage.micros);
  w.Key("ok").Bool(stage.ok).EndObject();
  const size_t at = trace.size() - 2;
  trace.insert(at, (trace[at - 1] == '[' ? "" : ",") + std::move(w).Take());
  return trace;
}

nlohmann::json MessageJson(const store::Message& m) {
  return {{"id", m.id},
          {"role", m.role},
          {"text", m.text},
          {"created_at", m.created_at},
          {"intent", m.intent}};
}

}  // namespace

struct Engine::Impl {
  Impl(store::Store& s, const Clock& c, EngineOptions o, std::unique_ptr<nlu::Understander> nlu,
       std::unique_ptr<sentiment::SentimentAnalyzer> feel, std::unique_ptr<tools::ToolRegistry> own,
       std::unique_ptr<dialog::Dialog> d)
      : store(s),
        clock(c),
        options(std::move(o)),
        understander(std::move(nlu)),
        sentiment_analyzer(std::move(feel)),
        own_tools(std::move(own)),
        dialog(std::move(d)),
        responder(options.llm, options.responder) {
    read_stages = {
        {"text.normalize",
         [this](Turn& t, RequestContext&) {
           // Chinese typed in pinyin ("wo de dingdan dao na le") is read back into the wording
           // of the shop's FAQ and understood, and answered, as that Chinese; the stored
           // message keeps what the shopper typed.
           if (options.knowledge_base != nullptr) {
             t.read_as = options.knowledge_base->retriever().ReadPinyin(t.raw);
           }
           t.normalized = text::Normalize(t.read_as.empty() ? t.raw : t.read_as);
           return OkStatus();
         }},
        {"sentiment.analyze",
         [this](Turn& t, RequestContext&) {
           t.sentiment = sentiment_analyzer->Analyze(t.normalized);
           return OkStatus();
         }},
        {"nlu.understand",
         [this](Turn& t, RequestContext&) {
           t.understanding = understander->Understand(t.normalized);
           return OkStatus();
         }},
    };
    stages = {
        {"store.load", [this](Turn& t, RequestContext&) { return Load(t); }},
        {"nlu.assist",
         [this](Turn& t, RequestContext& ctx) {
           if (!t.silent) {
             Assist(t, ctx);
           }
           return OkStatus();
         }},
        {"dialog.track",
         [this](Turn& t, RequestContext&) {
           if (!t.silent) {
             dialog::TrackFeeling(FeelingOf(t.sentiment), options.mood_decay, t.state);
             dialog->Track(t.understanding, text::PrimaryLanguage(t.normalized.lang), t.state,
                           t.normalized.text);
           }
           return OkStatus();
         }},
        {"dialog.step",
         [this](Turn& t, RequestContext& ctx) -> Status {
           if (t.silent) {
             return OkStatus();
           }
           if (t.voice && t.voice->confidence < options.min_asr_confidence) {
             // Acting on a misheard order number or "yes" is worse than asking again.
             t.outcome = {};
             t.outcome.action = "voice_repeat";
             const std::string& lang = t.voice->lang.empty() ? t.state.lang : t.voice->lang;
             t.outcome.reply = dialog->templates().Render("voice.repeat", lang, {});
             t.reply = t.outcome.reply;
             return OkStatus();
           }
           KEFU_ASSIGN_OR_RETURN(t.outcome,
                                 dialog->Step(t.understanding, t.normalized, t.state, ctx));
           t.reply = t.outcome.reply;
           return OkStatus();
         }},
        {"reply.phrase",
         [this](Turn& t, RequestContext& ctx) {
           if (!t.silent) {
             Phrase(t, ctx);
           }
           return OkStatus();
         }},
    };
    persist_stage = {
        {"store.persist", [this](Turn& t, RequestContext& ctx) { return Persist(t, ctx); }},
    };
  }

  // The turn's stages before persist: the message's own (taken from `in.read` when it was read
  // ahead for this text), then the conversation's.
  Status RunTurn(Turn& t, const TurnInput& in, RequestContext& ctx) {
    if (in.read != nullptr && in.read->text == t.raw) {
      t.normalized = in.read->normalized;
      t.sentiment = in.read->sentiment;
      t.understanding = in.read->understanding;
    } else {
      KEFU_RETURN_IF_ERROR(RunStages<Turn>(read_stages, t, ctx));
    }
    return RunStages<Turn>(stages, t, ctx);
  }

  std::vector<size_t> RunRound(std::span<const TurnInput> inputs,
                               std::span<RequestContext* const> contexts,
                               const std::vector<size_t>& batch,
                               std::vector<Result<TurnResult>>& results);

  Status Load(Turn& t) {
    KEFU_ASSIGN_OR_RETURN(t.conversation, store.GetConversation(t.conversation_id));
    if (t.token != nullptr && t.token->has_value()) {
      const bool hashed = t.token_sha256 != nullptr && !t.token_sha256->empty();
      if (!ConstantTimeEquals(hashed ? *t.token_sha256 : Sha256Hex(**t.token),
                              t.conversation.token_hash)) {
        return PermissionDeniedError("token does not match this conversation");
      }
    }
    if (std::optional<dialog::DialogState> cached =
            states.Take(t.conversation_id, t.conversation.state_json)) {
      t.state = std::move(*cached);
    } else {
      Result<dialog::DialogState> state = dialog::DecodeState(t.conversation.state_json);
      if (!state.ok()) {
        return InternalError("stored dialog state is unreadable: " + state.status().message());
      }
      t.state = std::move(*state);
    }
    // An agent closed the ticket since the last turn: the bot may hand off again.
    if (t.conversation.status == "open") {
      t.state.handoff_requested = false;
    }
    t.silent = t.conversation.status == "agent";
    return OkStatus();
  }

  // When the classifier is unsure and no task is running, the model gets a say on the intent
  // (one of the known labels, validated) and on slots it can point to in the message.
  void Assist(Turn& t, RequestContext& ctx) {
    nlu::Understanding& u = t.understanding;
    if (options.llm == nullptr || options.intent_assist_below <= 0 ||
        u.confidence >= options.intent_assist_below || t.state.active() != nullptr ||
        !t.state.offer.empty() || !options.llm->available()) {
      return;
    }
    llm::IntentAssistInput in;
    in.lang = text::LanguageCode(t.normalized.lang);
    in.message = t.normalized.text;
    in.intents.assign(std::begin(kKnownIntents), std::end(kKnownIntents));
    in.candidates.emplace_back(u.intent, u.confidence);
    in.candidates.insert(in.candidates.end(), u.alternatives.begin(), u.alternatives.end());
    in.slot_types = {"order_id", "tracking_no", "product", "size", "colour", "quantity"};
    // Its time comes out of the turn's first-token budget: the reply must still be in time.
    RequestContext assist_ctx(
        ctx.trace_id(),
        std::min({ctx.deadline(), t.first_token_deadline,
                  RequestContext::SteadyClock::now() +
                      std::chrono::milliseconds(options.intent_assist_timeout_ms)}));
    const auto start = std::chrono::steady_clock::now();
    Result<llm::IntentAssistResult> r = llm::AssistIntent(*options.llm, in, assist_ctx);
    nlohmann::json trace = {{"classifier", {{"intent", u.intent}, {"confidence", u.confidence}}},
                            {"ms", std::chrono::duration_cast<std::chrono::milliseconds>(
                                       std::chrono::steady_clock::now() - start)
                                       .count()}};
    if (!r.ok()) {
      trace["used"] = false;
      trace["error"] = r.status().ToString();
      t.assist = std::move(trace);
      return;
    }
    trace["model"] = {{"intent", r->intent}, {"confidence", r->confidence}};
    if (!r->rejected.empty()) {
      trace["rejected"] = r->rejected;
    }
    const bool use = r->confidence >= options.intent_assist_min_confidence;
    trace["used"] = use;
    if (use) {
      u.intent = r->intent;
      u.confidence = r->confidence;
      for (const auto& [type, value] : r->slots) {
        const size_t at = t.normalized.text.find(value);
        if (u.Find(type) || at == std::string::npos) {
          continue;  // the extractor's own entity wins
        }
        nlu::Entity e;
        e.type = type;
        e.value = value;
        e.text = value;
        e.start = utf8::CodePointCount(std::string_view(t.normalized.text).substr(0, at));
        e.end = e.start + utf8::CodePointCount(value);
        e.confidence = r->confidence;
        u.entities.push_back(std::move(e));
      }
    }
    t.assist = std::move(trace);
  }

  // The model rewrites the dialogue's reply when one is configured; the guard keeps its facts.
  // Without one, the trace still says why the template answered.
  void Phrase(Turn& t, RequestContext& ctx) {
    if (!responder.enabled()) {
      t.no_model = true;
      return;
    }
    RespondInput in;
    in.lang = t.state.lang;
    in.draft = t.reply;
    in.user_message = t.raw;
    in.summary = t.state.summary;
    in.action = t.outcome.action;
    if (options.apology_first && dialog::IsUpset(t.state)) {
      in.tone = t.state.feeling.emotion == "anxiety" ? "anxious" : "upset";
    }
    in.first_token_deadline = t.first_token_deadline;
    // The last turns, so the model words the reply for this conversation. An agent's words
    // count as the assistant's; system notices are left out.
    if (Result<std::vector<store::Message>> recent =
            store.ListRecentMessages(t.conversation_id, kPromptHistoryMessages);
        recent.ok()) {
      for (const store::Message& m : *recent) {
        if (m.role == "user" || m.role == "assistant" || m.role == "agent") {
          in.history.push_back({m.role == "user" ? "user" : "assistant", m.text});
        }
      }
    }
    // What the model may write: a knowledge answer from the passages, small talk, or the
    // flow's step in its own words.
    const bool knowledge = t.outcome.kb_answer && t.outcome.kb_answer->found &&
                           t.outcome.action.find("answer_from_kb") != std::string::npos;
    if (knowledge) {
      in.mode = ReplyMode::kKnowledge;
    } else if (t.outcome.action == "small_talk") {
      in.mode = ReplyMode::kSmallTalk;
    }
    std::vector<const kb::Hit*> cited;
    if (t.outcome.kb_answer) {
      for (const kb::Hit& h : t.outcome.kb_answer->hits) {
        in.passages.emplace_back("p" + std::to_string(cited.size() + 1), h.text);
        cited.push_back(&h);
        if (cited.size() == kMaxPassages) {
          break;
        }
      }
    }
    Responded r = responder.Respond(in, ctx, t.sink);
    t.reply = std::move(r.reply);
    t.llm = std::move(r.trace);
    t.streamed = r.streamed;
    t.prompt_tokens = r.prompt_tokens;
    t.completion_tokens = r.completion_tokens;
    t.model = std::move(r.backend);
    // The model runs nothing: a call it proposes is judged against the flow and verification,
    // and the verdict goes into the trace. Actions happen only through flows, on confirmation.
    if (!r.proposed_calls.empty()) {
      nlohmann::json judged = nlohmann::json::array();
      for (const llm::ToolCall& call : r.proposed_calls) {
        const Status verdict = dialog->CheckProposedAction(t.state, call.name, call.arguments_json);
        judged.push_back(
            {{"tool", call.name},
             {"executed", false},
             {"verdict", verdict.ok() ? std::string("consistent with the flow; it "
                                                    "runs on the shopper's confirmation")
                                      : verdict.ToString()}});
        KEFU_LOG_INFO("trace={} model proposed tool '{}': {}", ctx.trace_id(), call.name,
                      verdict.ok() ? "consistent with the flow" : verdict.ToString());
      }
      t.llm["proposed_tool_calls"] = std::move(judged);
    }
    // [p1] in the reply names a document: the trace says which.
    if (!r.citations.empty()) {
      nlohmann::json sources = nlohmann::json::array();
      for (const std::string& id : r.citations) {
        const size_t n = std::stoul(id.substr(1));
        if (n >= 1 && n <= cited.size()) {
          sources.push_back({{"id", id},
                             {"doc_id", cited[n - 1]->doc_id},
                             {"title", cited[n - 1]->title},
                             {"heading", cited[n - 1]->heading_path}});
        }
      }
      t.llm["citations"] = std::move(sources);
    }
  }

  Status Persist(Turn& t, RequestContext& ctx) {
    if (t.silent) {
      store::Message m{0,
                       t.conversation_id,
                       "user",
                       t.raw,
                       t.received_at,
                       "",
                       SentimentToJson(t.sentiment, /*with_terms=*/false),
                       "{}"};
      KEFU_ASSIGN_OR_RETURN(m.id, store.AppendMessage(m));
      t.replied_at = t.received_at;
      Publish(t.conversation_id, {{"type", "message"}, {"message", MessageJson(m)}});
      return OkStatus();
    }
    KEFU_RETURN_IF_ERROR(store.SaveTurn(BuildRecord(t, ctx)));
    states.Put(t.conversation_id, t.state_json, t.state);
    return OkStatus();
  }

  // What an agent reads first: why, the summary, the task and its slots, the last turns.
  std::string HandoffSummary(const Turn& t) {
    nlohmann::json last = nlohmann::json::array();
    Result<std::vector<store::Message>> history =
        store.ListRecentMessages(t.conversation_id, kHandoffTurns);
    if (history.ok()) {
      for (const store::Message& m : *history) {
        last.push_back({{"role", m.role}, {"text", m.text}});
      }
    }
    last.push_back({{"role", "user"}, {"text", t.raw}});
    last.push_back({{"role", "assistant"}, {"text", t.reply}});
    nlohmann::json slots = nlohmann::json::object();
    std::string flow;
    const dialog::Task* task = t.state.active();
    if (task == nullptr && t.state.last_task) {
      task = &*t.state.last_task;
    }
    if (task != nullptr) {
      flow = task->flow;
      for (const auto& [name, v] : task->slots) {
        slots[name] = v.value;
      }
    }
    return nlohmann::json{
        {"reason", t.outcome.handoff->reason},
        {"intent", t.understanding.intent},
        {"flow", flow},
        {"slots", slots},
        {"order_id", t.state.active_order},
        {"verified", !t.state.active_order.empty() && t.state.IsVerified(t.state.active_order)},
        {"summary", t.state.summary},
        {"misunderstandings", t.state.misunderstandings},
        {"mood", nlohmann::json::parse(MoodJson(t.state))},
        {"last_turns", last}}
        .dump();
  }

  void Publish(const std::string& channel, const nlohmann::json& event) {
    if (live.SubscriberCount(channel) > 0) {
      live.Publish(channel, event.dump());
    }
  }

  // After a turn is stored: tell whoever watches the conversation (and the queue).
  void Announce(const Turn& t) {
    if (t.silent) {
      return;
    }
    if (live.SubscriberCount(t.conversation_id) > 0) {
      store::Message user{
          0, t.conversation_id, "user", t.raw, t.received_at, t.understanding.intent, "", "{}"};
      store::Message bot{
          0,   t.conversation_id, "assistant", t.reply, t.replied_at, t.understanding.intent, "",
          "{}"};
      Publish(t.conversation_id, {{"type", "message"}, {"message", MessageJson(user)}});
      Publish(t.conversation_id, {{"type", "message"}, {"message", MessageJson(bot)}});
    }
    if (t.ticket) {
      Publish(t.conversation_id, {{"type", "handoff"}, {"status", "queued"}, {"agent", ""}});
      Publish("*", {{"type", "queue"},
                    {"conversation_id", t.conversation_id},
                    {"status", "queued"},
                    {"priority", t.ticket->priority}});
    }
  }

  // The turn's writes. The stored trace has every stage but store.persist itself.
  store::TurnRecord BuildRecord(Turn& t, const RequestContext& ctx) {
    t.replied_at = clock.NowMillis();
    t.trace = TraceJson(t, ctx);
    store::TurnRecord r;
    r.conversation_id = t.conversation_id;
    r.expected_version = t.conversation.version;
    r.expected_last_message_id = t.conversation.last_message_id;
    // The shopper's feeling and the conversation's mood after it, stored with the message:
    // analytics reads them per day, per emotion and per aspect from this column.
    JsonWriter feeling;
    feeling.BeginObject();
    WriteSentimentFields(t.sentiment, /*with_terms=*/false, feeling);
    feeling.Key("mood").Double(Round3(t.state.mood));
    feeling.Key("negative_turns").Int(t.state.negative_turns);
    feeling.EndObject();
    r.user = {0,
              t.conversation_id,
              "user",
              t.raw,
              t.received_at,
              t.understanding.intent,
              std::move(feeling).Take(),
              "{}"};
    r.assistant = {0,
                   t.conversation_id,
                   "assistant",
                   t.reply,
                   t.replied_at,
                   t.understanding.intent,
                   "",
                   t.trace,
                   t.prompt_tokens,
                   t.completion_tokens,
                   t.model};
    t.state_json = dialog::EncodeState(t.state);
    r.state_json = t.state_json;
    r.lang = t.state.lang;
    r.updated_at = t.replied_at;
    // Every turn is already a row in messages (with intent and trace); events record only what
    // analytics cannot read from messages: verification outcomes, handoffs, unknown orders.
    for (const auto& [type, payload] : t.outcome.events) {
      r.events.push_back({t.conversation_id, type, payload, t.replied_at});
    }
    // A ticket is open only while the conversation is not "open" (queued, or with an agent):
    // then its mood follows the shopper's. A ticket another path queued after this turn's load
    // gets the mood at the conversation's next turn.
    if (t.conversation.status != "open") {
      r.mood = t.state.mood;
    }
    if (t.outcome.handoff) {
      store::HandoffTicket ticket;
      ticket.conversation_id = t.conversation_id;
      ticket.status = "queued";
      ticket.priority = t.outcome.handoff->priority;
      ticket.mood = t.state.mood;
      ticket.reason = t.outcome.handoff->reason;
      ticket.summary_json = HandoffSummary(t);
      ticket.lang = t.state.lang;
      ticket.queued_at = t.replied_at;
      t.ticket = ticket;
      r.handoff = std::move(ticket);
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
    r.action = t.silent ? "silent" : t.outcome.action;
    r.handoff = t.outcome.offer_human || t.outcome.handoff.has_value();
    r.silent = t.silent;
    r.queued = t.ticket.has_value();
    r.streamed = t.streamed;
    r.state_json = t.state_json.empty() ? dialog::EncodeState(t.state) : std::move(t.state_json);
    // The stored trace plus the persist stage, which ran after it was written.
    const std::vector<StageTiming>& timings = ctx.timings();
    if (t.silent) {
      r.trace_json = "{}";
    } else if (!timings.empty() && timings.back().name == "store.persist") {
      r.trace_json = WithStage(std::move(t.trace), timings.back());
    } else {
      r.trace_json = std::move(t.trace);
    }
    r.ui_json = t.silent ? "{}" : UiJson(t);
    r.created_at = t.replied_at;
    return r;
  }

  // A system message in the shopper's language ("an agent joined"), stored and published.
  Status AgentNotice(const std::string& conversation_id, const std::string& key,
                     const std::string& agent, const std::string& status);

  // When a turn starting now must have the model's first words: the first-token budget less a
  // twentieth (at most 150 ms), so that the template still reaches the shopper within the budget
  // when the model misses it.
  RequestContext::SteadyClock::time_point FirstTokenDeadline() const {
    const std::chrono::milliseconds budget(options.responder.first_token_timeout_ms);
    return RequestContext::SteadyClock::now() + budget -
           std::min<std::chrono::milliseconds>(budget / 20, std::chrono::milliseconds(150));
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

  store::Store& store;
  const Clock& clock;
  EngineOptions options;
  std::unique_ptr<nlu::Understander> understander;
  std::unique_ptr<sentiment::SentimentAnalyzer> sentiment_analyzer;
  std::unique_ptr<tools::ToolRegistry> own_tools;  // when options.tools is null
  std::unique_ptr<dialog::Dialog> dialog;
  Responder responder;
  LiveFeed live;
  std::vector<Stage<Turn>> read_stages;  // the message's own: normalize, sentiment, understand
  std::vector<Stage<Turn>> stages;       // the conversation's, up to reply.phrase
  std::vector<Stage<Turn>> persist_stage;

  // Turns on one conversation run one at a time in this process, so they rarely race; the
  // store's version check still catches races between processes. One lock per conversation (not
  // shared stripes): a turn waiting seconds on the model holds up no other conversation.
  ConversationLocks locks;
  StateCache states;
};

Engine::Engine(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Engine::~Engine() = default;

const EngineOptions& Engine::options() const {
  return impl_->options;
}

nlu::Understanding Engine::Understand(const text::NormalizedText& text) const {
  return impl_->understander->Understand(text);
}

std::string Engine::SentimentJson(const text::NormalizedText& text) const {
  return SentimentToJson(impl_->sentiment_analyzer->Analyze(text), /*with_terms=*/true);
}

Result<std::unique_ptr<Engine>> Engine::Create(store::Store& store, const Clock& clock,
                                               EngineOptions options) {
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
  std::unique_ptr<tools::ToolRegistry> own_tools;
  const tools::ToolRegistry* registry = options.tools;
  if (registry == nullptr) {
    own_tools = std::make_unique<tools::ToolRegistry>(tools::NewStoreTools(store, clock));
    registry = own_tools.get();
  }
  dialog::DialogOptions dialog_options;
  dialog_options.data_dir = options.data_dir;
  dialog_options.max_verification_attempts = options.max_verification_attempts;
  dialog_options.failures_before_handoff = options.failures_before_handoff;
  dialog_options.timezone_offset_minutes = options.timezone_offset_minutes;
  KEFU_ASSIGN_OR_RETURN(
      std::unique_ptr<dialog::Dialog> dialog,
      dialog::Dialog::Create(dialog_options, *registry, options.knowledge_base, clock));
  // The shopper's feeling: the lexicon in data/sentiment stacked with the model trained from the
  // project's data, or the lexicon alone when no model is named.
  std::unique_ptr<sentiment::SentimentAnalyzer> feel;
  if (options.sentiment_model.empty()) {
    KEFU_ASSIGN_OR_RETURN(feel, sentiment::NewLexiconAnalyzer(options.data_dir + "/sentiment"));
  } else {
    KEFU_ASSIGN_OR_RETURN(feel, sentiment::NewSentimentAnalyzer(options.data_dir + "/sentiment",
                                                                options.sentiment_model));
  }
  KEFU_RETURN_IF_ERROR(dialog::ValidateEscalationRule(options.escalation));
  dialog->AddEscalationHook(dialog::NewSentimentEscalation(options.escalation));
  dialog->SetApologyFirst(options.apology_first);
  auto impl = std::make_unique<Impl>(store, clock, std::move(options), std::move(understander),
                                     std::move(feel), std::move(own_tools), std::move(dialog));
  return std::unique_ptr<Engine>(new Engine(std::move(impl)));
}

Result<NewConversation> Engine::CreateConversation(const std::string& channel,
                                                   const std::string& customer_token) {
  dialog::DialogState state;
  const int64_t now = impl_->clock.NowMillis();
  if (!customer_token.empty()) {
    KEFU_ASSIGN_OR_RETURN(state.verified_customer,
                          dialog::Dialog::VerifyCustomerToken(
                              customer_token, impl_->options.customer_token_secret, now));
    state.verified_at = now;
  }
  NewConversation nc{"c_" + RandomHex(12), RandomHex(24)};
  store::Conversation c;
  c.id = nc.id;
  c.token_hash = Sha256Hex(nc.token);
  c.channel = channel;
  c.state_json = dialog::EncodeState(state);
  c.created_at = now;
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
  if (!input.voice || !input.text.empty()) {  // a voice turn may have recognised nothing
    KEFU_RETURN_IF_ERROR(impl_->ValidateText(input.text));
  }
  const ConversationLocks::Held held = impl_->locks.Lock(input.conversation_id);
  const int64_t received_at = impl_->clock.NowMillis();
  const auto first_token_deadline = impl_->FirstTokenDeadline();
  for (int attempt = 1;; ++attempt) {
    Turn turn;
    turn.conversation_id = input.conversation_id;
    turn.token = &input.token;
    turn.token_sha256 = &input.token_sha256;
    turn.sink = input.sink;
    turn.first_token_deadline = first_token_deadline;
    turn.raw = input.text;
    turn.voice = input.voice;
    turn.received_at = received_at;
    Status s = impl_->RunTurn(turn, input, ctx);
    if (s.ok()) {
      s = RunStages<Turn>(impl_->persist_stage, turn, ctx);
    }
    if (s.code() == StatusCode::kFailedPrecondition && attempt < kMaxTurnAttempts) {
      if (turn.streamed) {
        input.sink->Reset();  // the re-run writes its own reply
      }
      continue;  // another turn on this conversation saved first: re-read and re-run
    }
    if (!s.ok()) {
      KEFU_LOG_WARN("turn failed trace={} conversation={} error={}", ctx.trace_id(),
                    input.conversation_id, s.ToString());
      return s;
    }
    impl_->Announce(turn);
    return impl_->MakeResult(turn, ctx);
  }
}

std::shared_ptr<const ReadMessage> Engine::Read(const std::string& text,
                                                RequestContext& ctx) const {
  if (!impl_->ValidateText(text).ok()) {
    return nullptr;
  }
  Turn t;
  t.raw = text;
  if (!RunStages<Turn>(impl_->read_stages, t, ctx).ok()) {
    return nullptr;
  }
  auto read = std::make_shared<ReadMessage>();
  read->text = text;
  read->normalized = std::move(t.normalized);
  read->sentiment = std::move(t.sentiment);
  read->understanding = std::move(t.understanding);
  return read;
}

std::vector<Result<TurnResult>> Engine::HandleTurns(std::span<const TurnInput> inputs,
                                                    std::span<RequestContext* const> contexts) {
  KEFU_CHECK(inputs.size() == contexts.size());
  std::vector<Result<TurnResult>> results(inputs.size(), InternalError("turn not run"));
  std::vector<size_t> pending;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (Status s = impl_->ValidateText(inputs[i].text); !s.ok()) {
      results[i] = s;
    } else {
      pending.push_back(i);
    }
  }
  // Rounds of one turn per conversation, each round one commit: the first message of every
  // conversation, then the second of those with two, and so on, so a conversation's messages
  // keep their order; a turn sent back to run alone runs before its conversation's next one.
  while (!pending.empty()) {
    std::vector<size_t> round;
    std::vector<size_t> later;
    std::unordered_set<std::string_view> conversations;
    for (size_t i : pending) {
      (conversations.insert(inputs[i].conversation_id).second ? round : later).push_back(i);
    }
    std::vector<size_t> alone = impl_->RunRound(inputs, contexts, round, results);
    for (size_t i : alone) {
      results[i] = HandleTurn(inputs[i], *contexts[i]);
    }
    pending = std::move(later);
  }
  return results;
}

// One round of HandleTurns: distinct conversations, their turns' stages, then one SaveTurns.
// Returns the turns to run again on their own (an agent holds the conversation, or a turn in
// another process saved first).
std::vector<size_t> Engine::Impl::RunRound(std::span<const TurnInput> inputs,
                                           std::span<RequestContext* const> contexts,
                                           const std::vector<size_t>& batch,
                                           std::vector<Result<TurnResult>>& results) {
  std::vector<size_t> alone;
  // Locks in ascending order of conversation id, so two batches can never deadlock.
  std::set<std::string> ids;
  for (size_t i : batch) {
    ids.insert(inputs[i].conversation_id);
  }
  std::vector<ConversationLocks::Held> held;
  held.reserve(ids.size());
  for (const std::string& id : ids) {
    held.push_back(locks.Lock(id));
  }
  const int64_t received_at = clock.NowMillis();
  // The round's reads of conversations and orders share one snapshot of the store, unless a
  // stage may wait on a model (a snapshot held across that would hold back checkpoints).
  std::unique_ptr<store::Store::ReadScope> shared_reads =
      options.llm == nullptr ? store.ShareReads() : nullptr;
  std::vector<Turn> turns(batch.size());
  std::vector<size_t> ready;  // positions in `batch` whose stages all succeeded
  std::vector<store::TurnRecord> records;
  for (size_t k = 0; k < batch.size(); ++k) {
    const size_t i = batch[k];
    Turn& turn = turns[k];
    turn.conversation_id = inputs[i].conversation_id;
    turn.token = &inputs[i].token;
    turn.token_sha256 = &inputs[i].token_sha256;
    turn.sink = inputs[i].sink;
    turn.first_token_deadline = FirstTokenDeadline();
    turn.raw = inputs[i].text;
    turn.voice = inputs[i].voice;
    turn.received_at = received_at;
    Status s = RunTurn(turn, inputs[i], *contexts[i]);
    if (s.ok()) {
      s = contexts[i]->Check().WithContext("store.persist");
    }
    if (!s.ok()) {
      results[i] = s;
      continue;
    }
    if (turn.silent) {
      alone.push_back(i);  // rare: an agent holds it; the message is stored on its own
      continue;
    }
    records.push_back(BuildRecord(turn, *contexts[i]));
    ready.push_back(k);
  }
  shared_reads.reset();
  const auto start = std::chrono::steady_clock::now();
  std::vector<Status> saved = store.SaveTurns(records);
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(
                          std::chrono::steady_clock::now() - start)
                          .count();
  for (size_t j = 0; j < ready.size(); ++j) {
    const size_t i = batch[ready[j]];
    contexts[i]->RecordStage("store.persist", micros, saved[j].ok());
    if (saved[j].ok()) {
      Turn& turn = turns[ready[j]];
      Announce(turn);
      results[i] = MakeResult(turn, *contexts[i]);
      // The record's copy of the stored JSON and the turn's state are not needed any more.
      states.Put(turn.conversation_id, std::move(records[j].state_json), std::move(turn.state));
    } else if (saved[j].code() == StatusCode::kFailedPrecondition) {
      if (turns[ready[j]].streamed) {
        inputs[i].sink->Reset();  // the re-run writes its own reply
      }
      alone.push_back(i);  // a turn in another process saved first: run it again on its own
    } else {
      results[i] = saved[j].WithContext("store.persist");
    }
  }
  return alone;  // run after this round's locks are released: HandleTurn takes its own
}

LiveFeed& Engine::live() {
  return impl_->live;
}

Result<std::vector<store::HandoffTicket>> Engine::HandoffQueue() {
  return impl_->store.ListHandoffQueue();
}

Result<store::HandoffTicket> Engine::GetHandoff(const std::string& conversation_id) {
  return impl_->store.GetHandoff(conversation_id);
}

Status Engine::Impl::AgentNotice(const std::string& conversation_id, const std::string& key,
                                 const std::string& agent, const std::string& status) {
  KEFU_ASSIGN_OR_RETURN(store::Conversation c, store.GetConversation(conversation_id));
  Result<dialog::DialogState> state = dialog::DecodeState(c.state_json);
  const std::string lang = state.ok() ? state->lang : "zh";
  store::Message m{0,
                   conversation_id,
                   "system",
                   dialog->templates().Render(key, lang, {{"agent", agent}}),
                   clock.NowMillis(),
                   "",
                   "",
                   "{}"};
  KEFU_ASSIGN_OR_RETURN(m.id, store.AppendMessage(m));
  KEFU_RETURN_IF_ERROR(store.AppendEvent({conversation_id, "handoff_" + status,
                                          nlohmann::json{{"agent", agent}}.dump(), m.created_at}));
  Publish(conversation_id, {{"type", "message"}, {"message", MessageJson(m)}});
  Publish(conversation_id, {{"type", "handoff"}, {"status", status}, {"agent", agent}});
  Publish("*", {{"type", "queue"}, {"conversation_id", conversation_id}, {"status", status}});
  return OkStatus();
}

Status Engine::ClaimHandoff(const std::string& conversation_id, const std::string& agent) {
  KEFU_RETURN_IF_ERROR(impl_->store.ClaimHandoff(conversation_id, agent, impl_->clock.NowMillis()));
  return impl_->AgentNotice(conversation_id, "agent.joined", agent, "assigned");
}

Status Engine::ReleaseHandoff(const std::string& conversation_id, const std::string& agent) {
  KEFU_RETURN_IF_ERROR(
      impl_->store.ReleaseHandoff(conversation_id, agent, impl_->clock.NowMillis()));
  return impl_->AgentNotice(conversation_id, "agent.released", agent, "queued");
}

Status Engine::CloseHandoff(const std::string& conversation_id, const std::string& agent) {
  KEFU_RETURN_IF_ERROR(impl_->store.CloseHandoff(conversation_id, agent, impl_->clock.NowMillis()));
  return impl_->AgentNotice(conversation_id, "agent.closed", agent, "closed");
}

Result<store::Message> Engine::SendAgentMessage(const std::string& conversation_id,
                                                const std::string& agent, const std::string& text) {
  KEFU_RETURN_IF_ERROR(impl_->ValidateText(text));
  KEFU_ASSIGN_OR_RETURN(store::HandoffTicket ticket, impl_->store.GetHandoff(conversation_id));
  if (ticket.status != "assigned" || ticket.agent != agent) {
    return FailedPreconditionError("the conversation is not held by agent '" + agent + "'");
  }
  store::Message m{0, conversation_id, "agent", text, impl_->clock.NowMillis(), "", "", "{}"};
  KEFU_ASSIGN_OR_RETURN(m.id, impl_->store.AppendMessage(m));
  impl_->Publish(conversation_id, {{"type", "message"}, {"message", MessageJson(m)}});
  return m;
}

Result<std::string> Engine::StateJson(const std::string& conversation_id) {
  KEFU_ASSIGN_OR_RETURN(store::Conversation c, impl_->store.GetConversation(conversation_id));
  return c.state_json;
}

Result<std::string> Engine::AgentContextJson(const std::string& conversation_id) {
  KEFU_ASSIGN_OR_RETURN(store::Conversation c, impl_->store.GetConversation(conversation_id));
  KEFU_ASSIGN_OR_RETURN(dialog::DialogState state, dialog::DecodeState(c.state_json));
  nlohmann::json out = {{"customer", nullptr}, {"order", nullptr}};
  if (state.active_order.empty()) {
    return out.dump();
  }
  Result<store::OrderDetails> order = impl_->store.GetOrderDetails(state.active_order);
  if (order.status().code() == StatusCode::kNotFound) {
    return out.dump();  // the shopper named an order that does not exist
  }
  KEFU_RETURN_IF_ERROR(order.status());
  const std::string lang = state.lang == "en" ? "en" : "zh";
  out["order"] = nlohmann::json::parse(impl_->dialog->templates().OrderCard(*order, lang));
  out["order"]["verified"] = state.IsVerified(state.active_order);
  if (Result<store::Customer> cust = impl_->store.GetCustomer(order->order.customer_id);
      cust.ok()) {
    out["customer"] = {{"id", cust->id},
                       {"name", cust->name},
                       {"phone", MaskDigits(cust->phone)},
                       {"city", cust->city},
                       {"lang", cust->lang}};
    if (Result<std::vector<store::Order>> orders = impl_->store.ListOrdersByCustomer(cust->id, 100);
        orders.ok()) {
      out["customer"]["orders_count"] = orders->size();
    }
  } else if (cust.status().code() != StatusCode::kNotFound) {
    return cust.status();
  }
  return out.dump();
}

Result<std::string> Engine::SuggestionsJson(const std::string& conversation_id) {
  KEFU_ASSIGN_OR_RETURN(store::Conversation c, impl_->store.GetConversation(conversation_id));
  KEFU_ASSIGN_OR_RETURN(dialog::DialogState state, dialog::DecodeState(c.state_json));
  const std::string lang = state.lang == "en" ? "en" : "zh";
  KEFU_ASSIGN_OR_RETURN(std::vector<store::Message> recent,
                        impl_->store.ListRecentMessages(conversation_id, 10));
  std::string question;
  for (auto it = recent.rbegin(); it != recent.rend(); ++it) {
    if (it->role == "user") {
      question = it->text;
      break;
    }
  }
  nlohmann::json out = nlohmann::json::array();
  constexpr size_t kKbSuggestions = 3;
  if (impl_->options.knowledge_base != nullptr && !question.empty()) {
    kb::SearchOptions search;
    search.k = kKbSuggestions;
    for (const kb::Hit& h : impl_->options.knowledge_base->Search(question, search)) {
      out.push_back({{"source", "kb"},
                     {"title", h.heading_path.empty() ? h.title : h.title + " > " + h.heading_path},
                     {"doc_id", h.doc_id},
                     {"text", h.text}});
    }
  }
  // The templates an agent most often needs, in the shopper's language.
  const dialog::ReplyTemplates& t = impl_->dialog->templates();
  std::map<std::string, std::string> vars;
  if (!state.active_order.empty()) {
    if (Result<store::OrderDetails> order = impl_->store.GetOrderDetails(state.active_order);
        order.ok()) {
      vars = t.OrderVars(*order, lang);
      const std::string key = "order." + order->order.status;
      if (!t.Get(lang, key).empty()) {
        out.push_back(
            {{"source", "template"}, {"title", key}, {"text", t.Render(key, lang, vars)}});
      }
    }
  }
  for (const char* key : {"tone.apology", "goodbye"}) {
    if (!t.Get(lang, key).empty()) {
      out.push_back({{"source", "template"}, {"title", key}, {"text", t.Render(key, lang, vars)}});
    }
  }
  return out.dump();
}

Result<std::string> Engine::ExpectedAnswer(const std::string& conversation_id) {
  KEFU_ASSIGN_OR_RETURN(store::Conversation c, impl_->store.GetConversation(conversation_id));
  KEFU_ASSIGN_OR_RETURN(dialog::DialogState state, dialog::DecodeState(c.state_json));
  const dialog::Task* task = state.active();
  if (task == nullptr) {
    return std::string();
  }
  if (task->awaiting == "verification" || task->awaiting == "order_id") {
    return std::string("digits");  // the last four digits, or an order number read out
  }
  return task->awaiting == "confirm" ? std::string("yes_no") : std::string();
}

int64_t Engine::NowMillis() const {
  return impl_->clock.NowMillis();
}

Result<store::Analytics> Engine::Analytics(const store::AnalyticsQuery& query) {
  return impl_->store.GetAnalytics(query);
}

Result<std::vector<store::Message>> Engine::History(const std::string& conversation_id,
                                                    int64_t after_id, int limit) {
  return impl_->store.ListMessages(conversation_id, after_id, limit);
}

// Trace ids only tell turns apart in logs and traces; they guard nothing, so each thread draws
// them from its own generator (seeded from the OS once) instead of a getrandom() call per request.
std::string NewTraceId() {
  thread_local std::mt19937_64 rng(std::stoull(RandomHex(8), nullptr, 16));
  static constexpr char kHex[] = "0123456789abcdef";
  uint64_t v = rng();
  std::string id = "t-0000000000000000";
  for (size_t i = id.size(); i > 2; --i, v >>= 4) {
    id[i - 1] = kHex[v & 0xF];
  }
  return id;
}

}  // namespace kefu::engine
