// The built-in tools: each is a thin class over one or two Store calls. The store's expected
// refusals (kNotFound, kFailedPrecondition) become business codes a flow branches on; any other
// store error is passed up as the tool's Status.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tools/tools.h"

namespace kefu::tools {
namespace {

using json = nlohmann::json;

constexpr int kDefaultSearchLimit = 5;
constexpr int kMaxSearchLimit = 20;
constexpr size_t kMaxKeywords = 8;  // the store refuses more
constexpr int kDefaultOrderListLimit = 10;
constexpr int kMaxOrderListLimit = 50;

// "CNY 399.00".
std::string FormatCny(int64_t cents) {
  char buf[48];
  std::snprintf(buf, sizeof(buf), "CNY %s%lld.%02lld", cents < 0 ? "-" : "",
                static_cast<long long>(std::llabs(cents) / 100),
                static_cast<long long>(std::llabs(cents) % 100));
  return buf;
}

json Millis(const std::optional<int64_t>& v) {
  return v ? json(*v) : json(nullptr);
}

ToolResult Code(std::string code, json data = json::object()) {
  return ToolResult{std::move(code), std::move(data)};
}

bool IsDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// An integer given as a JSON integer or a string of digits ("5"); nullopt for anything else.
std::optional<int64_t> AsInt(const json& v) {
  if (v.is_number_integer()) {
    return v.get<int64_t>();
  }
  if (v.is_string()) {
    const std::string& s = v.get_ref<const std::string&>();
    int64_t out = 0;
    const bool negative = !s.empty() && s[0] == '-';
    const std::string_view digits = std::string_view(s).substr(negative ? 1 : 0);
    if (IsDigits(digits) && std::from_chars(s.data(), s.data() + s.size(), out).ec == std::errc()) {
      return out;
    }
  }
  return std::nullopt;
}

// Reads the arguments of one call; every error names the tool and the argument.
class Args {
 public:
  Args(const json& args, std::string_view tool) : args_(args), tool_(tool) {}

  Status CheckObject() const {
    return args_.is_object() ? OkStatus() : Error("arguments", "must be an object");
  }

  // A non-empty string (a number is taken as its digits); nullopt when absent, null or "".
  Result<std::optional<std::string>> OptString(const char* name) const {
    auto it = args_.find(name);
    if (it == args_.end() || it->is_null()) {
      return std::optional<std::string>();
    }
    if (it->is_number_integer()) {
      return std::optional<std::string>(std::to_string(it->get<int64_t>()));
    }
    if (!it->is_string()) {
      return Error(name, "must be a string");
    }
    const std::string& s = it->get_ref<const std::string&>();
    return s.empty() ? std::optional<std::string>() : std::optional<std::string>(s);
  }

  Result<std::string> String(const char* name) const {
    KEFU_ASSIGN_OR_RETURN(std::optional<std::string> v, OptString(name));
    if (!v) {
      return Error(name, "is required");
    }
    return *v;
  }

  Result<std::optional<int64_t>> OptInt(const char* name) const {
    auto it = args_.find(name);
    if (it == args_.end() || it->is_null() || (it->is_string() && it->get<std::string>().empty())) {
      return std::optional<int64_t>();
    }
    std::optional<int64_t> v = AsInt(*it);
    if (!v) {
      return Error(name, "must be an integer");
    }
    return v;
  }

  Result<int64_t> Int(const char* name) const {
    KEFU_ASSIGN_OR_RETURN(std::optional<int64_t> v, OptInt(name));
    if (!v) {
      return Error(name, "is required");
    }
    return *v;
  }

  // An amount in yuan (399, 399.5, "399.50", "¥399") as cents.
  Result<std::optional<int64_t>> OptYuan(const char* name) const {
    auto it = args_.find(name);
    if (it == args_.end() || it->is_null()) {
      return std::optional<int64_t>();
    }
    double yuan = 0;
    if (it->is_number()) {
      yuan = it->get<double>();
    } else if (it->is_string()) {
      std::string_view s = it->get_ref<const std::string&>();
      for (std::string_view prefix : {"CNY", "RMB", "¥", "￥"}) {
        if (s.substr(0, prefix.size()) == prefix) {
          s.remove_prefix(prefix.size());
        }
      }
      while (!s.empty() && s.front() == ' ') {
        s.remove_prefix(1);
      }
      if (s.size() >= 3 && s.substr(s.size() - 3) == "元") {
        s.remove_suffix(3);
      }
      if (s.empty()) {
        return std::optional<int64_t>();
      }
      const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), yuan);
      if (ec != std::errc() || end != s.data() + s.size()) {
        return Error(name, "must be an amount in yuan");
      }
    } else {
      return Error(name, "must be an amount in yuan");
    }
    if (!std::isfinite(yuan) || yuan < 0 || yuan > 1e12) {
      return Error(name, "must be an amount in yuan");
    }
    return std::optional<int64_t>(std::llround(yuan * 100));
  }

  // An array of strings, or one string split at spaces and commas.
  Result<std::vector<std::string>> Words(const char* name) const {
    std::vector<std::string> out;
    auto it = args_.find(name);
    if (it == args_.end() || it->is_null()) {
      return out;
    }
    std::vector<std::string> parts;
    if (it->is_string()) {
      parts.push_back(it->get<std::string>());
    } else if (it->is_array()) {
      for (const json& w : *it) {
        if (!w.is_string()) {
          return Error(name, "must hold strings");
        }
        parts.push_back(w.get<std::string>());
      }
    } else {
      return Error(name, "must be an array of strings");
    }
    for (const std::string& part : parts) {
      std::string word;
      auto flush = [&] {
        if (!word.empty()) {
          out.push_back(std::move(word));
          word.clear();
        }
      };
      for (size_t i = 0; i < part.size(); ++i) {
        const std::string_view rest = std::string_view(part).substr(i);
        if (part[i] == ' ' || part[i] == ',' || part[i] == '\t') {
          flush();
        } else if (rest.substr(0, 3) == "，" || rest.substr(0, 3) == "、" ||
                   rest.substr(0, 3) == "\u3000") {
          flush();
          i += 2;
        } else {
          word.push_back(part[i]);
        }
      }
      flush();
    }
    return out;
  }

 private:
  Status Error(std::string_view arg, std::string_view what) const {
    return InvalidArgumentError(std::string(tool_) + ": " + std::string(arg) + " " +
                                std::string(what));
  }

  const json& args_;
  std::string_view tool_;
};

// What every built-in tool holds. Thread-safe: the store is, and tools keep no state.
class StoreTool : public Tool {
 public:
  StoreTool(std::string name, store::Store& store, const Clock& clock)
      : store_(store), clock_(clock), name_(std::move(name)) {}
  std::string name() const final { return name_; }

  Result<ToolResult> Call(const json& args, RequestContext& ctx) const final {
    KEFU_RETURN_IF_ERROR(ctx.Check());
    Args a(args, name_);
    KEFU_RETURN_IF_ERROR(a.CheckObject());
    return Run(a);
  }

 protected:
  virtual Result<ToolResult> Run(const Args& args) const = 0;

  // The business answer to the store's refusal `s` of an action on `order_id`: not_found, or
  // `refused_code` with the order's status read again (the store names it only in its message).
  Result<ToolResult> Refusal(const Status& s, const std::string& order_id,
                             const char* refused_code) const {
    if (s.code() == StatusCode::kNotFound) {
      return Code("not_found");
    }
    if (s.code() != StatusCode::kFailedPrecondition) {
      return s.WithContext(name_);
    }
    Result<store::OrderDetails> d = store_.GetOrderDetails(order_id);
    if (!d.ok()) {
      return d.status().WithContext(name_);
    }
    return Code(refused_code, {{"status", d->order.status}});
  }

  store::Store& store_;
  const Clock& clock_;

 private:
  std::string name_;
};

class GetOrderTool final : public StoreTool {
 public:
  using StoreTool::StoreTool;

 protected:
  Result<ToolResult> Run(const Args& args) const override {
    KEFU_ASSIGN_OR_RETURN(std::string order_id, args.String("order_id"));
    Result<std::shared_ptr<const store::OrderDetails>> d = store_.GetSharedOrderDetails(order_id);
    if (d.status().code() == StatusCode::kNotFound) {
      return Code("not_found");
    }
    KEFU_RETURN_IF_ERROR(d.status().WithContext(name()));
    ToolResult r = Code("ok");
    r.order = std::move(*d);
    return r;
  }
};

class CancelOrderTool final : public StoreTool {
 public:
  using StoreTool::StoreTool;

 protected:
  Result<ToolResult> Run(const Args& args) const override {
    KEFU_ASSIGN_OR_RETURN(std::string order_id, args.String("order_id"));
    Result<int64_t> refund = store_.CancelOrder(order_id, clock_.NowMillis());
    if (!refund.ok()) {
      return Refusal(refund.status(), order_id, "not_cancellable");
    }
    return Code("ok", {{"refund_amount", FormatCny(*refund)}, {"refund_cents", *refund}});
  }
};

class ChangeOrderTool final : public StoreTool {
 public:
  using StoreTool::StoreTool;

 protected:
  Result<ToolResult> Run(const Args& args) const override {
    KEFU_ASSIGN_OR_RETURN(std::string order_id, args.String("order_id"));
    KEFU_ASSIGN_OR_RETURN(std::optional<std::string> address, args.OptString("address"));
    KEFU_ASSIGN_OR_RETURN(std::optional<std::string> phone, args.OptString("phone"));
    Status s = store_.UpdateOrderContact(order_id, address, phone);
    if (!s.ok()) {
      return Refusal(s, order_id, "not_changeable");
    }
    return Code("ok");
  }
};

class CreateReturnTool final : public StoreTool {
 public:
  using StoreTool::StoreTool;

 protected:
  Result<ToolResult> Run(const Args& args) const override {
    store::NewReturn r;
    KEFU_ASSIGN_OR_RETURN(r.order_number, args.String("order_id"));
    KEFU_ASSIGN_OR_RETURN(r.type, args.String("type"));
    if (r.type != "no_reason" && r.type != "quality" && r.type != "exchange") {
      return InvalidArgumentError("create_return: type '" + r.type +
                                  "' is not no_reason, quality or exchange");
    }
    KEFU_ASSIGN_OR_RETURN(std::optional<std::string> reason, args.OptString("reason"));
    r.reason_zh = reason.value_or("");  // the shopper's own words, in whichever language
    r.reason_en = r.reason_zh;
    r.requested_at = clock_.NowMillis();
    Result<std::string> rma = store_.CreateReturn(r);
    if (!rma.ok()) {
      return Refusal(rma.status(), r.order_number, "not_eligible");
    }
    return Code("ok", {{"rma", *rma}});
  }
};

class CreateInvoiceTool final : public StoreTool {
 public:
  using StoreTool::StoreTool;

 protected:
  Result<ToolResult> Run(const Args& args) const override {
    store::InvoiceRequest r;
    KEFU_ASSIGN_OR_RETURN(r.order_number, args.String("order_id"));
    KEFU_ASSIGN_OR_RETURN(r.title, args.String("title"));
    KEFU_ASSIGN_OR_RETURN(std::optional<std::string> tax_id, args.OptString("tax_id"));
    r.tax_id = tax_id.value_or("");
    KEFU_ASSIGN_OR_RETURN(r.email, args.String("email"));
    r.created_at = clock_.NowMillis();
    Result<int64_t> id = store_.CreateInvoiceRequest(r);
    if (!id.ok()) {
      return Refusal(id.status(), r.order_number, "not_eligible");
    }
    return Code("ok", {{"invoice_id", *id}});
  }
};

class OpenCaseTool final : public StoreTool {
 public:
  using StoreTool::StoreTool;

 protected:
  Result<ToolResult> Run(const Args& args) const override {
    store::SupportCase c;
    KEFU_ASSIGN_OR_RETURN(std::optional<std::string> order_id, args.OptString("order_id"));
    c.order_number = order_id.value_or("");
    KEFU_ASSIGN_OR_RETURN(c.kind, args.String("kind"));
    KEFU_ASSIGN_OR_RETURN(std::optional<std::string> description, args.OptString("description"));
    c.description = description.value_or("");
    KEFU_ASSIGN_OR_RETURN(std::optional<std::string> conversation,
                          args.OptString("conversation_id"));
    c.conversation_id = conversation.value_or("");
    c.created_at = clock_.NowMillis();
    Result<std::string> number = store_.OpenCase(c);
    KEFU_RETURN_IF_ERROR(number.status().WithContext(name()));
    return Code("ok", {{"case_number", *number}});
  }
};

class SearchProductsTool final : public StoreTool {
 public:
  using StoreTool::StoreTool;

 protected:
  Result<ToolResult> Run(const Args& args) const override {
    store::ProductQuery q;
    KEFU_ASSIGN_OR_RETURN(std::optional<std::string> category, args.OptString("category"));
    q.category = category.value_or("");
    KEFU_ASSIGN_OR_RETURN(q.min_cents, args.OptYuan("min_price"));
    KEFU_ASSIGN_OR_RETURN(q.max_cents, args.OptYuan("max_price"));
    KEFU_ASSIGN_OR_RETURN(q.keywords, args.Words("keywords"));
    if (q.keywords.size() > kMaxKeywords) {
      q.keywords.resize(kMaxKeywords);  // fewer words only widen the search
    }
    KEFU_ASSIGN_OR_RETURN(std::optional<int64_t> limit, args.OptInt("limit"));
    q.limit = static_cast<int>(
        std::clamp<int64_t>(limit.value_or(kDefaultSearchLimit), 1, kMaxSearchLimit));
    Result<std::vector<store::Product>> found = store_.SearchProducts(q);
    KEFU_RETURN_IF_ERROR(found.status().WithContext(name()));
    json products = json::array();
    for (const store::Product& p : *found) {
      products.push_back(ProductToJson(p));
    }
    return Code(found->empty() ? "none" : "ok", {{"products", std::move(products)}});
  }
};

class GetProductTool final : public StoreTool {
 public:
  using StoreTool::StoreTool;

 protected:
  Result<ToolResult> Run(const Args& args) const override {
    KEFU_ASSIGN_OR_RETURN(std::string sku, args.String("sku"));
    Result<store::Product> p = store_.GetProductBySku(sku);
    if (p.status().code() == StatusCode::kNotFound) {
      return Code("not_found");
    }
    KEFU_RETURN_IF_ERROR(p.status().WithContext(name()));
    return Code("ok", {{"product", ProductToJson(*p)}});
  }
};

class ListCustomerOrdersTool final : public StoreTool {
 public:
  using StoreTool::StoreTool;

 protected:
  Result<ToolResult> Run(const Args& args) const override {
    KEFU_ASSIGN_OR_RETURN(int64_t customer_id, args.Int("customer_id"));
    KEFU_ASSIGN_OR_RETURN(std::optional<int64_t> limit, args.OptInt("limit"));
    const int n = static_cast<int>(
        std::clamp<int64_t>(limit.value_or(kDefaultOrderListLimit), 1, kMaxOrderListLimit));
    Result<std::vector<store::Order>> orders = store_.ListOrdersByCustomer(customer_id, n);
    KEFU_RETURN_IF_ERROR(orders.status().WithContext(name()));
    json out = json::array();
    for (const store::Order& o : *orders) {
      out.push_back({{"order_id", o.order_number},
                     {"status", o.status},
                     {"created_at", o.created_at},
                     {"total", FormatCny(o.total_cents)},
                     {"total_cents", o.total_cents}});
    }
    return Code("ok", {{"orders", std::move(out)}});
  }
};

// Reads OrderJson. Each getter returns a zero value on a bad field and keeps the first error, so
// ReadOrder reads straight through and checks status() once.
class OrderJsonReader {
 public:
  const Status& status() const { return status_; }

  std::string Str(const json& j, const char* key, bool required = false) {
    const json* v = Find(j, key);
    if (v == nullptr) {
      if (required) {
        Fail(key, "is required");
      }
      return "";
    }
    if (v->is_string()) {
      return v->get<std::string>();
    }
    if (v->is_number_integer()) {
      return std::to_string(v->get<int64_t>());
    }
    Fail(key, "must be a string");
    return "";
  }

  std::optional<int64_t> OptNum(const json& j, const char* key) {
    const json* v = Find(j, key);
    if (v == nullptr) {
      return std::nullopt;
    }
    std::optional<int64_t> n = AsInt(*v);
    if (!n) {
      Fail(key, "must be an integer");
    }
    return n;
  }

  int64_t Num(const json& j, const char* key) { return OptNum(j, key).value_or(0); }

  // nullptr when absent or null.
  const json* Obj(const json& j, const char* key) {
    const json* v = Find(j, key);
    if (v != nullptr && !v->is_object()) {
      Fail(key, "must be an object or null");
      return nullptr;
    }
    return v;
  }

  // The array's objects; other elements are an error.
  std::vector<const json*> Objects(const json& j, const char* key) {
    std::vector<const json*> out;
    const json* v = Find(j, key);
    if (v == nullptr) {
      return out;
    }
    if (!v->is_array()) {
      Fail(key, "must be an array");
      return out;
    }
    for (const json& e : *v) {
      if (!e.is_object()) {
        Fail(key, "must hold objects");
        return {};
      }
      out.push_back(&e);
    }
    return out;
  }

  void Fail(std::string_view key, std::string_view what) {
    if (status_.ok()) {
      status_ = InvalidArgumentError("order json: " + std::string(key) + " " + std::string(what));
    }
  }

 private:
  static const json* Find(const json& j, const char* key) {
    auto it = j.find(key);
    return it == j.end() || it->is_null() ? nullptr : &*it;
  }

  Status status_;
};

Result<store::OrderDetails> ReadOrder(const json& j) {
  if (!j.is_object()) {
    return InvalidArgumentError("order json: not an object");
  }
  OrderJsonReader r;
  store::OrderDetails d;
  store::Order& o = d.order;
  o.order_number = r.Str(j, "order_id", true);
  o.status = r.Str(j, "status", true);
  if (r.status().ok() && (o.order_number.empty() || o.status.empty())) {
    r.Fail("order_id and status", "must not be empty");
  }
  o.customer_id = r.Num(j, "customer_id");
  o.phone = r.Str(j, "phone");
  o.created_at = r.Num(j, "created_at");
  o.paid_at = r.OptNum(j, "paid_at");
  o.shipped_at = r.OptNum(j, "shipped_at");
  o.delivered_at = r.OptNum(j, "delivered_at");
  o.cancelled_at = r.OptNum(j, "cancelled_at");
  o.total_cents = r.Num(j, "total_cents");
  o.payment_method = r.Str(j, "payment_method");
  o.shipping_fee_cents = r.Num(j, "shipping_fee_cents");
  o.discount_cents = r.Num(j, "discount_cents");
  for (const json* item : r.Objects(j, "items")) {
    store::OrderItem it;
    it.quantity = r.Num(*item, "quantity");
    it.unit_price_cents = r.Num(*item, "price_cents");
    it.name_zh = r.Str(*item, "name_zh");
    it.name_en = r.Str(*item, "name_en");
    it.sku = r.Str(*item, "sku");
    d.items.push_back(std::move(it));
  }
  if (const json* s = r.Obj(j, "shipment")) {
    store::Shipment sh;
    sh.carrier = r.Str(*s, "carrier");
    sh.carrier_en = r.Str(*s, "carrier_en");
    sh.tracking_number = r.Str(*s, "tracking_number");
    sh.status = r.Str(*s, "status");
    sh.shipped_at = r.Num(*s, "shipped_at");
    for (const json* e : r.Objects(*s, "events")) {
      sh.events.push_back({r.Num(*e, "time"), r.Str(*e, "status"), r.Str(*e, "location_zh"),
                           r.Str(*e, "location_en"), r.Str(*e, "description_zh"),
                           r.Str(*e, "description_en")});
    }
    d.shipment = std::move(sh);
  }
  if (const json* x = r.Obj(j, "return")) {
    store::ReturnRequest rr;
    rr.rma_number = r.Str(*x, "rma");
    rr.type = r.Str(*x, "type");
    rr.status = r.Str(*x, "status");
    rr.reason_zh = r.Str(*x, "reason_zh");
    rr.reason_en = r.Str(*x, "reason_en");
    rr.requested_at = r.Num(*x, "requested_at");
    rr.completed_at = r.OptNum(*x, "completed_at");
    d.return_request = std::move(rr);
  }
  if (const json* x = r.Obj(j, "refund")) {
    store::Refund rf;
    rf.amount_cents = r.Num(*x, "amount_cents");
    rf.status = r.Str(*x, "status");
    rf.method = r.Str(*x, "method");
    rf.requested_at = r.Num(*x, "requested_at");
    rf.completed_at = r.OptNum(*x, "completed_at");
    d.refund = std::move(rf);
  }
  KEFU_RETURN_IF_ERROR(r.status());
  return d;
}

}  // namespace

json OrderToJson(const store::OrderDetails& d) {
  const store::Order& o = d.order;
  json items = json::array();
  for (const store::OrderItem& item : d.items) {
    json i = {{"name_zh", item.name_zh},
              {"name_en", item.name_en},
              {"quantity", item.quantity},
              {"price_cents", item.unit_price_cents}};
    if (!item.sku.empty()) {
      i["sku"] = item.sku;
    }
    items.push_back(std::move(i));
  }
  json shipment = nullptr;
  if (d.shipment) {
    json events = json::array();
    for (const store::TrackingEvent& e : d.shipment->events) {
      events.push_back({{"time", e.time},
                        {"status", e.status},
                        {"location_zh", e.location_zh},
                        {"location_en", e.location_en},
                        {"description_zh", e.description_zh},
                        {"description_en", e.description_en}});
    }
    shipment = {{"carrier", d.shipment->carrier},
                {"carrier_en", d.shipment->carrier_en},
                {"tracking_number", d.shipment->tracking_number},
                {"status", d.shipment->status},
                {"shipped_at", d.shipment->shipped_at},
                {"events", std::move(events)}};
  }
  json ret = nullptr;
  if (d.return_request) {
    const store::ReturnRequest& r = *d.return_request;
    ret = {{"rma", r.rma_number},
           {"type", r.type},
           {"status", r.status},
           {"reason_zh", r.reason_zh},
           {"reason_en", r.reason_en},
           {"requested_at", r.requested_at},
           {"completed_at", Millis(r.completed_at)}};
  }
  json refund = nullptr;
  if (d.refund) {
    refund = {{"amount_cents", d.refund->amount_cents},
              {"status", d.refund->status},
              {"method", d.refund->method},
              {"requested_at", d.refund->requested_at},
              {"completed_at", Millis(d.refund->completed_at)}};
  }
  return {{"order_id", o.order_number},
          {"customer_id", o.customer_id},
          {"status", o.status},
          {"phone", o.phone},
          {"created_at", o.created_at},
          {"paid_at", Millis(o.paid_at)},
          {"shipped_at", Millis(o.shipped_at)},
          {"delivered_at", Millis(o.delivered_at)},
          {"cancelled_at", Millis(o.cancelled_at)},
          {"total_cents", o.total_cents},
          {"payment_method", o.payment_method},
          {"shipping_fee_cents", o.shipping_fee_cents},
          {"discount_cents", o.discount_cents},
          {"items", std::move(items)},
          {"shipment", std::move(shipment)},
          {"return", std::move(ret)},
          {"refund", std::move(refund)}};
}

json ProductToJson(const store::Product& p) {
  json attributes = json::parse(p.attributes_json, nullptr, /*allow_exceptions=*/false);
  if (!attributes.is_object()) {
    attributes = json::object();
  }
  return {{"sku", p.sku},
          {"category", p.category},
          {"brand", p.brand},
          {"name_zh", p.name_zh},
          {"name_en", p.name_en},
          {"price_cents", p.price_cents},
          {"price", FormatCny(p.price_cents)},
          {"stock", p.stock},
          {"attributes", std::move(attributes)}};
}

Result<store::OrderDetails> OrderFromJson(const json& j) {
  return ReadOrder(j);
}

Result<std::shared_ptr<const store::OrderDetails>> OrderOf(ToolResult& result) {
  if (result.order) {
    return std::move(result.order);
  }
  auto it = result.data.find("order");
  Result<store::OrderDetails> d = ReadOrder(it != result.data.end() ? *it : json::object());
  if (!d.ok()) {
    return d.status();
  }
  return std::make_shared<const store::OrderDetails>(std::move(*d));
}

ToolRegistry NewStoreTools(store::Store& store, const Clock& clock) {
  ToolRegistry tools;
  tools.Add(std::make_unique<GetOrderTool>("get_order", store, clock));
  tools.Add(std::make_unique<CancelOrderTool>("cancel_order", store, clock));
  tools.Add(std::make_unique<ChangeOrderTool>("change_order", store, clock));
  tools.Add(std::make_unique<CreateReturnTool>("create_return", store, clock));
  tools.Add(std::make_unique<CreateInvoiceTool>("create_invoice", store, clock));
  tools.Add(std::make_unique<OpenCaseTool>("open_case", store, clock));
  tools.Add(std::make_unique<SearchProductsTool>("search_products", store, clock));
  tools.Add(std::make_unique<GetProductTool>("get_product", store, clock));
  tools.Add(std::make_unique<ListCustomerOrdersTool>("list_customer_orders", store, clock));
  return tools;
}

}  // namespace kefu::tools
