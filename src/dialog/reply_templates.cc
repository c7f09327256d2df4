#include <cstdio>
#include <filesystem>
#include <initializer_list>
#include <mutex>
#include <unordered_map>

#include <toml++/toml.h>

#include "core/json_writer.h"
#include "core/time_util.h"
#include "dialog/dialog.h"

namespace kefu::dialog {
namespace {

void Flatten(const toml::table& table, const std::string& prefix,
             std::map<std::string, std::string>& out) {
  for (const auto& [key, node] : table) {
    const std::string name =
        prefix.empty() ? std::string(key.str()) : prefix + "." + std::string(key.str());
    if (const toml::table* sub = node.as_table()) {
      Flatten(*sub, name, out);
    } else if (auto s = node.value<std::string>()) {
      out[name] = *s;
    }
  }
}

}  // namespace

VarLayers::VarLayers(const Map* first, const Map* second, const Map* third, const Map* fourth) {
  for (const Map* m : {first, second, third, fourth}) {
    if (m != nullptr) {
      layers_[size_++] = m;
    }
  }
}

const std::string* VarLayers::Find(const std::string& name) const {
  for (size_t i = 0; i < size_; ++i) {
    if (auto it = layers_[i]->find(name); it != layers_[i]->end()) {
      return &it->second;
    }
  }
  return nullptr;
}

std::string Substitute(const std::string& tmpl, const VarLayers& vars) {
  std::string out;
  out.reserve(tmpl.size() + 64);
  size_t i = 0;
  while (i < tmpl.size()) {
    if (tmpl[i] == '{') {
      const size_t close = tmpl.find('}', i + 1);
      if (close != std::string::npos) {
        if (const std::string* value = vars.Find(tmpl.substr(i + 1, close - i - 1))) {
          out += *value;
          i = close + 1;
          continue;
        }
      }
    }
    out.push_back(tmpl[i]);
    ++i;
  }
  return out;
}

const std::vector<std::string>& RequiredTemplateKeys() {
  static const std::vector<std::string> keys = {"greeting",
                                                "goodbye",
                                                "thanks",
                                                "fallback",
                                                "voice.repeat",
                                                "kb.answer",
                                                "kb.unknown",
                                                "ask_order_id",
                                                "order_not_found",
                                                "ask_verification",
                                                "ask_verification_again",
                                                "verification_failed",
                                                "verification_locked",
                                                "handoff",
                                                "tracking_line",
                                                "tracking_none",
                                                "item_separator",
                                                "items_more",
                                                "order.pending_payment",
                                                "order.paid",
                                                "order.shipped",
                                                "order.delivered",
                                                "order.cancelled",
                                                "order.return_requested",
                                                "order.returned",
                                                "order.refunded",
                                                "status.pending_payment",
                                                "status.paid",
                                                "status.shipped",
                                                "status.delivered",
                                                "status.cancelled",
                                                "status.return_requested",
                                                "status.returned",
                                                "status.refunded",
                                                "return_status.requested",
                                                "return_status.approved",
                                                "return_status.received",
                                                "return_status.completed",
                                                "return_status.rejected",
                                                "refund_status.pending",
                                                "refund_status.processing",
                                                "refund_status.completed",
                                                "extra.refund_none",
                                                "extra.tracking_none_yet",
                                                "choose_order",
                                                "order_line",
                                                "flow.aborted",
                                                "flow.resume",
                                                "flow.confirm_again",
                                                "flow.not_allowed",
                                                "tool_failed",
                                                "handoff_waiting",
                                                "handoff_bot_failed",
                                                "offer_declined",
                                                "affirm_idle",
                                                "complaint",
                                                "escalation_offer",
                                                "tone.apology",
                                                "tone.reassure",
                                                "product_line",
                                                "stock_in",
                                                "stock_out",
                                                "return_type.no_reason",
                                                "return_type.quality",
                                                "return_type.exchange",
                                                "agent.joined",
                                                "agent.released",
                                                "agent.closed"};
  return keys;
}

Result<ReplyTemplates> ReplyTemplates::Load(const std::string& path, ReplyOptions options) {
  if (!std::filesystem::exists(path)) {
    return NotFoundError("reply templates '" + path + "' do not exist");
  }
  toml::table table;
  try {
    table = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    return InvalidArgumentError("reply templates '" + path + "': " + std::string(e.description()));
  }
  ReplyTemplates t;
  t.render_cache_ = std::make_shared<RenderCache>();
  t.options_ = options;
  Flatten(table, "", t.templates_);
  for (const char* lang : {"zh", "en"}) {
    for (const std::string& key : RequiredTemplateKeys()) {
      if (t.templates_.find(std::string(lang) + "." + key) == t.templates_.end()) {
        return InvalidArgumentError("reply templates '" + path + "': missing '" +
                                    std::string(lang) + "." + key + "'");
      }
    }
  }
  return t;
}

std::string ReplyTemplates::Get(const std::string& lang, const std::string& key) const {
  auto it = templates_.find(lang + "." + key);
  return it == templates_.end() ? std::string() : it->second;
}

// Written directly rather than through a nlohmann::json tree: every verified order turn has one.
std::string ReplyTemplates::OrderCard(const store::OrderDetails& d,
                                      const std::string& lang_in) const {
  const std::string lang = lang_in == "en" ? "en" : "zh";
  const bool en = lang == "en";
  const int tz = options_.timezone_offset_minutes;
  const store::Order& o = d.order;
  JsonWriter w;
  w.BeginObject();
  w.Key("type").String("order");
  w.Key("order_id").String(o.order_number);
  w.Key("status").String(o.status);
  w.Key("status_label").String(Get(lang, "status." + o.status));
  w.Key("created_at").String(FormatIso8601(o.created_at, tz));
  w.Key("total").String(FormatMoney(o.total_cents));
  w.Key("items").BeginArray();
  for (const store::OrderItem& it : d.items) {
    w.BeginObject();
    w.Key("name").String(en ? it.name_en : it.name_zh);
    w.Key("sku").String(it.sku);
    w.Key("quantity").Int(it.quantity);
    w.Key("price").String(FormatMoney(it.unit_price_cents));
    w.EndObject();
  }
  w.EndArray();
  w.Key("shipment");
  if (d.shipment) {
    w.BeginObject();
    w.Key("carrier").String(en && !d.shipment->carrier_en.empty() ? d.shipment->carrier_en
                                                                  : d.shipment->carrier);
    w.Key("tracking_number").String(d.shipment->tracking_number);
    w.Key("status").String(d.shipment->status);
    w.Key("events").BeginArray();
    for (const store::TrackingEvent& e : d.shipment->events) {
      w.BeginObject();
      w.Key("time").String(FormatIso8601(e.time, tz));
      w.Key("status").String(e.status);
      w.Key("location").String(en ? e.location_en : e.location_zh);
      w.Key("description").String(en ? e.description_en : e.description_zh);
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
  } else {
    w.Null();
  }
  w.EndObject();
  return std::move(w).Take();
}

std::map<std::string, std::string> ReplyTemplates::OrderVars(const store::OrderDetails& d,
                                                             const std::string& lang_in) const {
  const std::string lang = lang_in == "en" ? "en" : "zh";
  const bool en = lang == "en";
  const int tz = options_.timezone_offset_minutes;
  std::map<std::string, std::string> vars;
  const store::Order& o = d.order;
  vars["order_id"] = o.order_number;
  vars["status"] = Get(lang, "status." + o.status);
  vars["created_at"] = FormatLocalMinute(o.created_at, tz);
  vars["paid_at"] = o.paid_at ? FormatLocalMinute(*o.paid_at, tz) : "";
  vars["shipped_at"] = o.shipped_at ? FormatLocalMinute(*o.shipped_at, tz) : "";
  vars["delivered_at"] = o.delivered_at ? FormatLocalMinute(*o.delivered_at, tz) : "";
  vars["cancelled_at"] = o.cancelled_at ? FormatLocalMinute(*o.cancelled_at, tz) : "";
  vars["total"] = FormatMoney(o.total_cents);
  std::string items;
  const size_t shown = std::min<size_t>(d.items.size(), 2);
  for (size_t i = 0; i < shown; ++i) {
    if (i > 0) {
      items += Get(lang, "item_separator");
    }
    items += en ? d.items[i].name_en : d.items[i].name_zh;
    if (d.items[i].quantity > 1) {
      items += " x" + std::to_string(d.items[i].quantity);
    }
  }
  if (d.items.size() > shown) {
    items += Substitute(Get(lang, "items_more"), {{"count", std::to_string(d.items.size() - shown)},
                                                  {"total", std::to_string(d.items.size())}});
  }
  vars["items"] = items;
  if (d.shipment) {
    vars["carrier"] =
        en && !d.shipment->carrier_en.empty() ? d.shipment->carrier_en : d.shipment->carrier;
    vars["tracking_number"] = d.shipment->tracking_number;
    if (!d.shipment->events.empty()) {
      const store::TrackingEvent& e = d.shipment->events.back();
      vars["event_time"] = FormatLocalMinute(e.time, tz);
      vars["event_location"] = en ? e.location_en : e.location_zh;
      vars["event_description"] = en ? e.description_en : e.description_zh;
      vars["tracking"] = Substitute(Get(lang, "tracking_line"), vars);
    } else {
      vars["tracking"] = Substitute(Get(lang, "tracking_none"), vars);
    }
  } else {
    vars["tracking"] = Get(lang, "extra.tracking_none_yet");
  }
  if (d.return_request) {
    vars["return_status"] = Get(lang, "return_status." + d.return_request->status);
    vars["return_reason"] = en ? d.return_request->reason_en : d.return_request->reason_zh;
    vars["rma"] = d.return_request->rma_number;
  }
  if (d.refund) {
    vars["refund_amount"] = FormatMoney(d.refund->amount_cents);
    vars["refund_status"] = Get(lang, "refund_status." + d.refund->status);
    vars["refund_completed_at"] =
        d.refund->completed_at ? FormatLocalMinute(*d.refund->completed_at, tz) : "";
  } else {
    vars["refund_status"] = Get(lang, "extra.refund_none");
    vars["refund_amount"] = FormatMoney(0);
  }
  vars["order_summary"] = Substitute(Get(lang, "order." + o.status), vars);
  return vars;
}

struct ReplyTemplates::RenderCache {
  static constexpr size_t kMaxEntries = 4096;
  std::mutex mutex;
  std::unordered_map<std::string, std::shared_ptr<const RenderedOrder>> entries;  // lang\norder
};

std::shared_ptr<const RenderedOrder> ReplyTemplates::Rendered(const store::OrderDetails& d,
                                                              const std::string& lang_in) const {
  const std::string lang = lang_in == "en" ? "en" : "zh";
  if (d.etag == 0 || !render_cache_) {
    return std::make_shared<RenderedOrder>(
        RenderedOrder{0, OrderVars(d, lang), OrderCard(d, lang)});
  }
  std::string key = lang;
  key += '\n';
  key += d.order.order_number;
  RenderCache& cache = *render_cache_;
  {
    std::scoped_lock lock(cache.mutex);
    if (auto it = cache.entries.find(key);
        it != cache.entries.end() && it->second->etag == d.etag) {
      return it->second;
    }
  }
  auto rendered = std::make_shared<const RenderedOrder>(
      RenderedOrder{d.etag, OrderVars(d, lang), OrderCard(d, lang)});
  std::scoped_lock lock(cache.mutex);
  if (cache.entries.size() >= RenderCache::kMaxEntries) {
    cache.entries.clear();
  }
  cache.entries[key] = rendered;
  return rendered;
}

std::string ReplyTemplates::Render(const std::string& key, const std::string& lang_in,
                                   const VarLayers& vars) const {
  const std::string lang = lang_in == "en" ? "en" : "zh";
  std::string tmpl = Get(lang, key);
  if (tmpl.empty()) {
    tmpl = Get(lang, "fallback");
  }
  return Substitute(tmpl, vars);
}

std::string FormatMoney(int64_t cents) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "¥%lld.%02lld", static_cast<long long>(cents / 100),
                static_cast<long long>(cents % 100));
  return buf;
}

}  // namespace kefu::dialog
