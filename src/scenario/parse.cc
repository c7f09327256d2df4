// Reads scenario files. yaml-cpp throws; everything it throws, and our own ParseError, is caught
// in ParseScenarios and becomes one kInvalidArgument naming the file, the scenario and the key.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <initializer_list>
#include <set>
#include <sstream>
#include <string_view>

#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include "core/time_util.h"
#include "scenario/scenario.h"

namespace kefu::scenario {
namespace {

constexpr int64_t kMinuteMs = 60'000;
constexpr int64_t kDayMs = 24 * 60 * kMinuteMs;
constexpr int64_t kDefaultStock = 100;
constexpr const char* kDefaultAddress = "上海市浦东新区测试路 1 号";

// What is wrong and where: `where` is the key path inside the scenario ("turns[2].expect").
struct ParseError {
  std::string where;
  std::string message;
};

[[noreturn]] void Fail(const std::string& where, const std::string& message) {
  throw ParseError{where, message};
}

std::string Join(const std::string& where, const std::string& key) {
  return where.empty() ? key : where + "." + key;
}

std::string Index(const std::string& where, size_t i) {
  return where + "[" + std::to_string(i) + "]";
}

// In the order the issue lists them.
const std::vector<std::string>& OrderStatuses() {
  static const std::vector<std::string> kStatuses = {
      "pending_payment",  "paid",     "shipped", "delivered", "cancelled",
      "return_requested", "returned", "refunded"};
  return kStatuses;
}

bool IsOrderStatus(const std::string& s) {
  return std::find(OrderStatuses().begin(), OrderStatuses().end(), s) != OrderStatuses().end();
}

std::string StatusList() {
  std::string out;
  for (const std::string& s : OrderStatuses()) {
    out += (out.empty() ? "" : "|") + s;
  }
  return out;
}

// A mapping whose keys must all be in `allowed`. A null node (`expect:` with nothing after it)
// reads as an empty mapping.
void CheckMap(const YAML::Node& node, const std::string& where,
              std::initializer_list<std::string_view> allowed) {
  if (node.IsNull()) {
    return;
  }
  if (!node.IsMap()) {
    Fail(where, "want a mapping");
  }
  for (const auto& kv : node) {
    const std::string key = kv.first.Scalar();
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      std::string keys;
      for (std::string_view a : allowed) {
        keys += (keys.empty() ? "" : ", ") + std::string(a);
      }
      Fail(where, "unknown key '" + key + "' (known: " + keys + ")");
    }
  }
}

bool Has(const YAML::Node& map, const char* key) {
  return map.IsMap() && map[key];
}

// map[key], or a null node when the key is missing (yaml-cpp's const operator[] returns an
// invalid node then, which throws on use).
YAML::Node Get(const YAML::Node& map, const char* key) {
  return Has(map, key) ? map[key] : YAML::Node();
}

std::string Str(const YAML::Node& node, const std::string& where) {
  if (node.IsNull()) {
    return "";
  }
  if (!node.IsScalar()) {
    Fail(where, "want a string");
  }
  return node.Scalar();
}

std::string Required(const YAML::Node& map, const char* key, const std::string& where) {
  if (!Has(map, key) || map[key].IsNull()) {
    Fail(where, "missing '" + std::string(key) + "'");
  }
  std::string v = Str(map[key], Join(where, key));
  if (v.empty()) {
    Fail(Join(where, key), "must not be empty");
  }
  return v;
}

std::string Optional(const YAML::Node& map, const char* key, const std::string& where,
                     std::string fallback = "") {
  if (!Has(map, key) || map[key].IsNull()) {
    return fallback;
  }
  return Str(map[key], Join(where, key));
}

bool Bool(const YAML::Node& node, const std::string& where) {
  bool v = false;
  if (!node.IsScalar() || !YAML::convert<bool>::decode(node, v)) {
    Fail(where, "want true or false");
  }
  return v;
}

int64_t Int(const YAML::Node& node, const std::string& where) {
  const std::string s = Str(node, where);
  char* end = nullptr;
  const long long v = std::strtoll(s.c_str(), &end, 10);
  if (s.empty() || end != s.c_str() + s.size()) {
    Fail(where, "want an integer, got '" + s + "'");
  }
  return v;
}

// Yuan, as a number or a string ("399", 399.00, "12.5"), to cents, rounded.
int64_t Cents(const YAML::Node& node, const std::string& where) {
  const std::string s = Str(node, where);
  char* end = nullptr;
  const double yuan = std::strtod(s.c_str(), &end);
  if (s.empty() || end != s.c_str() + s.size() || !std::isfinite(yuan) || yuan < 0) {
    Fail(where, "want an amount in yuan, got '" + s + "'");
  }
  return std::llround(yuan * 100);
}

// ISO 8601 with an explicit offset: a time without one would silently be read as UTC.
int64_t Time(const YAML::Node& node, const std::string& where) {
  const std::string s = Str(node, where);
  if (s.size() <= 19) {
    Fail(where,
         "want an ISO 8601 time with an offset (2026-11-25T12:00:00+08:00), got '" + s + "'");
  }
  Result<int64_t> t = ParseIso8601(s);
  if (!t.ok()) {
    Fail(where, t.status().message());
  }
  return *t;
}

std::optional<int64_t> OptionalTime(const YAML::Node& map, const char* key,
                                    const std::string& where) {
  if (!Has(map, key) || map[key].IsNull()) {
    return std::nullopt;
  }
  return Time(map[key], Join(where, key));
}

// A list of strings; a single scalar is a one-item list.
std::vector<std::string> List(const YAML::Node& node, const std::string& where) {
  std::vector<std::string> out;
  if (node.IsNull()) {
    return out;
  }
  if (node.IsScalar()) {
    out.push_back(node.Scalar());
    return out;
  }
  if (!node.IsSequence()) {
    Fail(where, "want a string or a list of strings");
  }
  for (size_t i = 0; i < node.size(); ++i) {
    out.push_back(Str(node[i], Index(where, i)));
  }
  return out;
}

// A mapping of names to strings (a null value reads as "").
std::map<std::string, std::string> StringMap(const YAML::Node& node, const std::string& where) {
  std::map<std::string, std::string> out;
  if (node.IsNull()) {
    return out;
  }
  if (!node.IsMap()) {
    Fail(where, "want a mapping of names to strings");
  }
  for (const auto& kv : node) {
    const std::string key = kv.first.Scalar();
    out[key] = Str(kv.second, Join(where, key));
  }
  return out;
}

// A sequence (a null node reads as empty).
YAML::Node Sequence(const YAML::Node& node, const std::string& where) {
  if (!node.IsNull() && !node.IsSequence()) {
    Fail(where, "want a list");
  }
  return node;
}

// Product attributes: nested mappings and lists keep their shape, scalars become strings.
nlohmann::json ToJson(const YAML::Node& node) {
  if (node.IsMap()) {
    nlohmann::json j = nlohmann::json::object();
    for (const auto& kv : node) {
      j[kv.first.Scalar()] = ToJson(kv.second);
    }
    return j;
  }
  if (node.IsSequence()) {
    nlohmann::json j = nlohmann::json::array();
    for (const auto& v : node) {
      j.push_back(ToJson(v));
    }
    return j;
  }
  if (node.IsScalar()) {
    return node.Scalar();
  }
  return nullptr;
}

// The store's code for a tracking event: a code as it is, else guessed from Chinese wording
// (已签收 -> delivered), else in_transit.
std::string TrackingCode(const std::string& status) {
  static const std::set<std::string> kCodes = {"picked_up", "in_transit", "arrived",
                                               "out_for_delivery", "delivered"};
  if (kCodes.count(status) > 0) {
    return status;
  }
  static const std::vector<std::pair<std::string, std::string>> kWords = {
      {"签收", "delivered"},        {"送达", "delivered"}, {"派送", "out_for_delivery"},
      {"派件", "out_for_delivery"}, {"到达", "arrived"},   {"揽收", "picked_up"},
      {"揽件", "picked_up"},        {"发货", "picked_up"}};
  for (const auto& [word, code] : kWords) {
    if (status.find(word) != std::string::npos) {
      return code;
    }
  }
  return "in_transit";
}

bool ImpliesPaid(const std::string& status) {
  return status != "pending_payment" && status != "cancelled";
}

// Fixture ids as written in the file ("C900", "SKU-9001") -> store ids and rows.
struct FixtureIndex {
  std::map<std::string, size_t> customers;  // -> index into ShopData::customers
  std::map<std::string, size_t> products;   // sku -> index into ShopData::products
};

store::Customer ParseCustomer(const YAML::Node& n, const std::string& where, int64_t id) {
  CheckMap(n, where, {"id", "name", "phone", "email", "address", "city", "lang"});
  if (!n.IsMap()) {
    Fail(where, "want a mapping");
  }
  store::Customer c;
  c.id = id;
  c.name = Optional(n, "name", where);
  c.phone = Optional(n, "phone", where);
  c.email = Optional(n, "email", where);
  c.address = Optional(n, "address", where);
  c.city = Optional(n, "city", where);
  c.lang = Optional(n, "lang", where, "zh");
  return c;
}

store::Product ParseProduct(const YAML::Node& n, const std::string& where, int64_t id) {
  CheckMap(n, where,
           {"sku", "name_zh", "name_en", "price", "category", "brand", "stock", "attributes"});
  store::Product p;
  p.id = id;
  p.sku = Required(n, "sku", where);
  p.name_zh = Required(n, "name_zh", where);
  p.name_en = Optional(n, "name_en", where, p.name_zh);
  if (!Has(n, "price")) {
    Fail(where, "missing 'price'");
  }
  p.price_cents = Cents(n["price"], Join(where, "price"));
  p.category = Optional(n, "category", where);
  p.brand = Optional(n, "brand", where);
  p.stock = Has(n, "stock") ? Int(n["stock"], Join(where, "stock")) : kDefaultStock;
  if (Has(n, "attributes") && !n["attributes"].IsNull()) {
    if (!n["attributes"].IsMap()) {
      Fail(Join(where, "attributes"), "want a mapping");
    }
    p.attributes_json = ToJson(n["attributes"]).dump();
  }
  return p;
}

store::Shipment ParseShipment(const YAML::Node& n, const std::string& where,
                              const store::Order& order) {
  CheckMap(n, where, {"carrier", "carrier_en", "tracking_no", "shipped_at", "status", "events"});
  if (!n.IsMap()) {
    Fail(where, "want a mapping");
  }
  store::Shipment s;
  s.carrier = Required(n, "carrier", where);
  s.carrier_en = Optional(n, "carrier_en", where);
  s.tracking_number = Required(n, "tracking_no", where);
  s.shipped_at = OptionalTime(n, "shipped_at", where)
                     .value_or(order.shipped_at.value_or(order.created_at + kDayMs));
  const std::string events_where = Join(where, "events");
  const YAML::Node events = Sequence(Get(n, "events"), events_where);
  for (size_t i = 0; i < events.size(); ++i) {
    const std::string ew = Index(events_where, i);
    const YAML::Node& e = events[i];
    CheckMap(e, ew, {"at", "status", "location", "description"});
    if (!e.IsMap()) {
      Fail(ew, "want a mapping");
    }
    store::TrackingEvent ev;
    if (!Has(e, "at")) {
      Fail(ew, "missing 'at'");
    }
    ev.time = Time(e["at"], Join(ew, "at"));
    const std::string status = Required(e, "status", ew);
    ev.status = TrackingCode(status);
    ev.location_zh = ev.location_en = Optional(e, "location", ew);
    ev.description_zh = ev.description_en = Optional(e, "description", ew, status);
    s.events.push_back(std::move(ev));
  }
  std::stable_sort(
      s.events.begin(), s.events.end(),
      [](const store::TrackingEvent& a, const store::TrackingEvent& b) { return a.time < b.time; });
  s.status = Optional(n, "status", where,
                      s.events.empty() ? std::string("picked_up") : s.events.back().status);
  return s;
}

store::OrderDetails ParseOrder(const YAML::Node& n, const std::string& where,
                               const store::ShopData& shop, const FixtureIndex& index) {
  CheckMap(n, where,
           {"id", "customer", "status", "placed_at", "paid_at", "shipped_at", "delivered_at",
            "cancelled_at", "phone", "address", "receiver", "payment_method", "items",
            "shipping_fee", "discount", "shipment", "return", "refund"});
  if (!n.IsMap()) {
    Fail(where, "want a mapping");
  }
  store::OrderDetails d;
  store::Order& o = d.order;
  o.order_number = Required(n, "id", where);
  const std::string customer = Required(n, "customer", where);
  auto c = index.customers.find(customer);
  if (c == index.customers.end()) {
    Fail(Join(where, "customer"), "no fixture customer '" + customer + "'");
  }
  const store::Customer& cust = shop.customers[c->second];
  o.customer_id = cust.id;
  o.status = Required(n, "status", where);
  if (!IsOrderStatus(o.status)) {
    Fail(Join(where, "status"), "unknown order status '" + o.status + "' (" + StatusList() + ")");
  }
  if (!Has(n, "placed_at")) {
    Fail(where, "missing 'placed_at'");
  }
  o.created_at = Time(n["placed_at"], Join(where, "placed_at"));
  o.paid_at = OptionalTime(n, "paid_at", where);
  if (!o.paid_at && ImpliesPaid(o.status)) {
    o.paid_at = o.created_at + 5 * kMinuteMs;
  }
  o.shipped_at = OptionalTime(n, "shipped_at", where);
  o.delivered_at = OptionalTime(n, "delivered_at", where);
  o.cancelled_at = OptionalTime(n, "cancelled_at", where);
  o.phone = Optional(n, "phone", where, cust.phone);
  o.shipping_address = Optional(n, "address", where,
                                cust.address.empty() ? std::string(kDefaultAddress) : cust.address);
  o.receiver_name = Optional(n, "receiver", where, cust.name);
  o.payment_method = Optional(n, "payment_method", where, "alipay");
  o.shipping_fee_cents =
      Has(n, "shipping_fee") ? Cents(n["shipping_fee"], Join(where, "shipping_fee")) : 0;
  o.discount_cents = Has(n, "discount") ? Cents(n["discount"], Join(where, "discount")) : 0;

  const std::string items_where = Join(where, "items");
  const YAML::Node items = Sequence(Get(n, "items"), items_where);
  if (items.size() == 0) {
    Fail(where, "missing 'items' (at least one)");
  }
  int64_t sum = 0;
  for (size_t i = 0; i < items.size(); ++i) {
    const std::string iw = Index(items_where, i);
    CheckMap(items[i], iw, {"sku", "qty", "price"});
    const std::string sku = Required(items[i], "sku", iw);
    auto p = index.products.find(sku);
    if (p == index.products.end()) {
      Fail(Join(iw, "sku"), "no fixture product '" + sku + "'");
    }
    const store::Product& product = shop.products[p->second];
    store::OrderItem item;
    item.product_id = product.id;
    item.quantity = Has(items[i], "qty") ? Int(items[i]["qty"], Join(iw, "qty")) : 1;
    if (item.quantity <= 0) {
      Fail(Join(iw, "qty"), "must be positive");
    }
    item.unit_price_cents =
        Has(items[i], "price") ? Cents(items[i]["price"], Join(iw, "price")) : product.price_cents;
    item.name_zh = product.name_zh;
    item.name_en = product.name_en;
    sum += item.quantity * item.unit_price_cents;
    d.items.push_back(std::move(item));
  }
  o.total_cents = sum + o.shipping_fee_cents - o.discount_cents;

  if (Has(n, "shipment") && !n["shipment"].IsNull()) {
    d.shipment = ParseShipment(n["shipment"], Join(where, "shipment"), o);
    if (!o.shipped_at) {
      o.shipped_at = d.shipment->shipped_at;
    }
  }
  if (Has(n, "return") && !n["return"].IsNull()) {
    const std::string rw = Join(where, "return");
    const YAML::Node r = n["return"];
    CheckMap(r, rw, {"type", "status", "reason", "requested_at", "completed_at", "rma_number"});
    store::ReturnRequest rr;
    rr.type = Optional(r, "type", rw, "no_reason");
    rr.status = Required(r, "status", rw);
    rr.reason_zh = rr.reason_en = Optional(r, "reason", rw);
    if (!Has(r, "requested_at")) {
      Fail(rw, "missing 'requested_at'");
    }
    rr.requested_at = Time(r["requested_at"], Join(rw, "requested_at"));
    rr.completed_at = OptionalTime(r, "completed_at", rw);
    rr.rma_number = Optional(r, "rma_number", rw);
    d.return_request = std::move(rr);
  }
  if (Has(n, "refund") && !n["refund"].IsNull()) {
    const std::string rw = Join(where, "refund");
    const YAML::Node r = n["refund"];
    CheckMap(r, rw, {"amount", "status", "method", "requested_at", "completed_at"});
    store::Refund rf;
    rf.amount_cents = Has(r, "amount") ? Cents(r["amount"], Join(rw, "amount")) : o.total_cents;
    rf.status = Required(r, "status", rw);
    rf.method = Optional(r, "method", rw, o.payment_method);
    if (!Has(r, "requested_at")) {
      Fail(rw, "missing 'requested_at'");
    }
    rf.requested_at = Time(r["requested_at"], Join(rw, "requested_at"));
    rf.completed_at = OptionalTime(r, "completed_at", rw);
    d.refund = std::move(rf);
  }
  return d;
}

store::ShopData ParseFixtures(const YAML::Node& n, FixtureIndex& index) {
  const std::string where = "fixtures";
  CheckMap(n, where, {"customers", "products", "orders"});
  store::ShopData shop;
  if (n.IsNull()) {
    return shop;
  }
  const YAML::Node customers = Sequence(Get(n, "customers"), "fixtures.customers");
  for (size_t i = 0; i < customers.size(); ++i) {
    const std::string cw = Index("fixtures.customers", i);
    store::Customer c = ParseCustomer(customers[i], cw, static_cast<int64_t>(i) + 1);
    const std::string id = Required(customers[i], "id", cw);
    if (!index.customers.emplace(id, shop.customers.size()).second) {
      Fail(Join(cw, "id"), "duplicate customer id '" + id + "'");
    }
    shop.customers.push_back(std::move(c));
  }
  const YAML::Node products = Sequence(Get(n, "products"), "fixtures.products");
  for (size_t i = 0; i < products.size(); ++i) {
    const std::string pw = Index("fixtures.products", i);
    store::Product p = ParseProduct(products[i], pw, static_cast<int64_t>(i) + 1);
    if (!index.products.emplace(p.sku, shop.products.size()).second) {
      Fail(Join(pw, "sku"), "duplicate sku '" + p.sku + "'");
    }
    shop.products.push_back(std::move(p));
  }
  const YAML::Node orders = Sequence(Get(n, "orders"), "fixtures.orders");
  std::set<std::string> numbers;
  for (size_t i = 0; i < orders.size(); ++i) {
    const std::string ow = Index("fixtures.orders", i);
    store::OrderDetails d = ParseOrder(orders[i], ow, shop, index);
    if (!numbers.insert(d.order.order_number).second) {
      Fail(Join(ow, "id"), "duplicate order id '" + d.order.order_number + "'");
    }
    d.order.id = static_cast<int64_t>(i) + 1;
    shop.orders.push_back(std::move(d));
  }
  return shop;
}

StateExpect ParseState(const YAML::Node& n, const std::string& where) {
  CheckMap(n, where,
           {"verified", "active_flow", "slots", "return_created", "order_status", "facts"});
  StateExpect s;
  if (n.IsNull()) {
    return s;
  }
  if (Has(n, "verified")) {
    s.verified = Bool(n["verified"], Join(where, "verified"));
  }
  if (Has(n, "active_flow")) {
    s.active_flow = Str(n["active_flow"], Join(where, "active_flow"));
  }
  if (Has(n, "slots")) {
    s.slots = StringMap(n["slots"], Join(where, "slots"));
  }
  if (Has(n, "return_created")) {
    s.return_created = Bool(n["return_created"], Join(where, "return_created"));
  }
  if (Has(n, "order_status")) {
    s.order_status = Str(n["order_status"], Join(where, "order_status"));
    if (!s.order_status->empty() && !IsOrderStatus(*s.order_status)) {
      Fail(Join(where, "order_status"),
           "unknown order status '" + *s.order_status + "' (" + StatusList() + ")");
    }
  }
  if (Has(n, "facts")) {
    s.facts = StringMap(n["facts"], Join(where, "facts"));
  }
  return s;
}

TurnExpect ParseExpect(const YAML::Node& n, const std::string& where) {
  CheckMap(n, where,
           {"intent", "reply_contains", "reply_contains_any", "reply_not_contains", "handoff",
            "sentiment", "emotion", "state", "action", "silent", "queued", "handoff_reason",
            "priority"});
  TurnExpect e;
  if (n.IsNull()) {
    return e;
  }
  auto opt_str = [&](const char* key, std::optional<std::string>& out) {
    if (Has(n, key)) {
      out = Str(n[key], Join(where, key));
    }
  };
  auto opt_bool = [&](const char* key, std::optional<bool>& out) {
    if (Has(n, key)) {
      out = Bool(n[key], Join(where, key));
    }
  };
  opt_str("intent", e.intent);
  opt_str("sentiment", e.sentiment);
  opt_str("emotion", e.emotion);
  opt_str("handoff_reason", e.handoff_reason);
  if (Has(n, "priority")) {
    const std::string p = Str(n["priority"], Join(where, "priority"));
    if (p.empty() || p.size() > 3 ||
        !std::all_of(p.begin(), p.end(), [](unsigned char c) { return c >= '0' && c <= '9'; })) {
      Fail(Join(where, "priority"), "must be a number from 0 to 999, not '" + p + "'");
    }
    e.priority = std::stoi(p);
  }
  opt_str("action", e.action);
  opt_bool("handoff", e.handoff);
  opt_bool("silent", e.silent);
  opt_bool("queued", e.queued);
  e.reply_contains = List(Get(n, "reply_contains"), Join(where, "reply_contains"));
  e.reply_contains_any = List(Get(n, "reply_contains_any"), Join(where, "reply_contains_any"));
  e.reply_not_contains = List(Get(n, "reply_not_contains"), Join(where, "reply_not_contains"));
  if (Has(n, "reply_contains_any") && e.reply_contains_any.empty()) {
    Fail(Join(where, "reply_contains_any"), "must not be empty");
  }
  if (Has(n, "state")) {
    e.state = ParseState(n["state"], Join(where, "state"));
  }
  return e;
}

// Fills `s` from one scenario mapping. `s.name` is already set for error messages.
void ParseScenario(const YAML::Node& n, Scenario& s) {
  CheckMap(n, "", {"name", "now", "fixtures", "turns", "customer_token_for", "lang"});
  if (!n.IsMap()) {
    Fail("", "want a mapping with name, now, fixtures and turns");
  }
  s.name = Required(n, "name", "");
  if (!Has(n, "now")) {
    Fail("", "missing 'now'");
  }
  s.now_ms = Time(n["now"], "now");
  FixtureIndex index;
  if (Has(n, "fixtures")) {
    s.fixtures = ParseFixtures(n["fixtures"], index);
  }
  if (Has(n, "customer_token_for") && !n["customer_token_for"].IsNull()) {
    const std::string id = Str(n["customer_token_for"], "customer_token_for");
    auto c = index.customers.find(id);
    if (c == index.customers.end()) {
      Fail("customer_token_for", "no fixture customer '" + id + "'");
    }
    s.customer_token_for = id;
    s.customer_token_id = s.fixtures.customers[c->second].id;
  }
  if (Has(n, "lang") && !n["lang"].IsNull()) {
    s.lang = Str(n["lang"], "lang");
    if (*s.lang != "zh" && *s.lang != "en") {
      Fail("lang", "want zh or en, got '" + *s.lang + "'");
    }
  }
  const YAML::Node turns = Sequence(Get(n, "turns"), "turns");
  if (turns.size() == 0) {
    Fail("", "missing 'turns' (at least one)");
  }
  for (size_t i = 0; i < turns.size(); ++i) {
    const std::string tw = Index("turns", i);
    CheckMap(turns[i], tw, {"user", "expect"});
    if (!turns[i].IsMap()) {
      Fail(tw, "want a mapping with user and expect");
    }
    ScenarioTurn t;
    t.user = Required(turns[i], "user", tw);
    if (Has(turns[i], "expect")) {
      t.expect = ParseExpect(turns[i]["expect"], Join(tw, "expect"));
    }
    s.turns.push_back(std::move(t));
  }
}

// The name used in messages before (or when) the scenario's own name is known.
std::string NameOf(const YAML::Node& n, size_t ordinal) {
  if (n.IsMap() && n["name"] && n["name"].IsScalar() && !n["name"].Scalar().empty()) {
    return n["name"].Scalar();
  }
  return "#" + std::to_string(ordinal);
}

}  // namespace

Result<std::vector<Scenario>> ParseScenarios(const std::string& yaml, const std::string& file) {
  std::vector<YAML::Node> docs;
  try {
    docs = YAML::LoadAll(yaml);
  } catch (const YAML::Exception& e) {
    return InvalidArgumentError(file + ": bad YAML: " + e.what());
  }
  // Each document is one scenario or a list of them.
  std::vector<YAML::Node> nodes;
  for (const YAML::Node& doc : docs) {
    if (doc.IsNull()) {
      continue;
    }
    if (doc.IsSequence()) {
      for (const YAML::Node& n : doc) {
        nodes.push_back(n);
      }
    } else {
      nodes.push_back(doc);
    }
  }
  if (nodes.empty()) {
    return InvalidArgumentError(file + ": no scenarios");
  }
  std::vector<Scenario> out;
  std::set<std::string> names;
  for (size_t i = 0; i < nodes.size(); ++i) {
    Scenario s;
    s.file = file;
    s.name = NameOf(nodes[i], i + 1);
    try {
      ParseScenario(nodes[i], s);
    } catch (const ParseError& e) {
      return InvalidArgumentError(file + ": scenario '" + s.name +
                                  "': " + (e.where.empty() ? "" : e.where + ": ") + e.message);
    } catch (const YAML::Exception& e) {
      return InvalidArgumentError(file + ": scenario '" + s.name + "': " + e.what());
    }
    if (!names.insert(s.name).second) {
      return InvalidArgumentError(file + ": scenario '" + s.name + "': the name is used twice");
    }
    out.push_back(std::move(s));
  }
  return out;
}

Result<std::vector<Scenario>> ParseScenarioFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return NotFoundError("cannot read scenario file '" + path + "'");
  }
  std::stringstream buf;
  buf << in.rdbuf();
  return ParseScenarios(buf.str(), path);
}

}  // namespace kefu::scenario
