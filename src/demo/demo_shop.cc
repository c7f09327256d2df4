#include "demo/demo_shop.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>

#include <nlohmann/json.hpp>

#include "core/time_util.h"

namespace kefu::demo {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

Status ForEachLine(const fs::path& path, const std::function<Status(const json&)>& fn) {
  std::ifstream in(path);
  if (!in) {
    return NotFoundError("demo file '" + path.string() + "' does not exist");
  }
  std::string line;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.empty()) {
      continue;
    }
    const std::string where = path.filename().string() + ":" + std::to_string(line_no);
    try {
      KEFU_RETURN_IF_ERROR(fn(json::parse(line)).WithContext(where));
    } catch (const json::exception& e) {
      return InvalidArgumentError(where + ": " + e.what());
    }
  }
  return OkStatus();
}

Result<int64_t> Time(const json& j, const char* key) {
  if (!j.contains(key) || !j[key].is_string()) {
    return InvalidArgumentError(std::string("missing time '") + key + "'");
  }
  return ParseIso8601(j[key].get<std::string>());
}

Result<std::optional<int64_t>> OptTime(const json& j, const char* key) {
  if (!j.contains(key) || j[key].is_null()) {
    return std::optional<int64_t>();
  }
  KEFU_ASSIGN_OR_RETURN(int64_t t, Time(j, key));
  return std::optional<int64_t>(t);
}

std::string Str(const json& j, const char* key) {
  if (!j.contains(key) || j[key].is_null()) {
    return {};
  }
  return j[key].get<std::string>();
}

Result<store::OrderDetails> ParseOrder(const json& j) {
  store::OrderDetails d;
  store::Order& o = d.order;
  o.order_number = j.at("order_number").get<std::string>();
  o.customer_id = j.at("customer_id").get<int64_t>();
  o.status = j.at("status").get<std::string>();
  KEFU_ASSIGN_OR_RETURN(o.created_at, Time(j, "created_at"));
  KEFU_ASSIGN_OR_RETURN(o.paid_at, OptTime(j, "paid_at"));
  KEFU_ASSIGN_OR_RETURN(o.shipped_at, OptTime(j, "shipped_at"));
  KEFU_ASSIGN_OR_RETURN(o.delivered_at, OptTime(j, "delivered_at"));
  KEFU_ASSIGN_OR_RETURN(o.cancelled_at, OptTime(j, "cancelled_at"));
  o.payment_method = Str(j, "payment_method");
  o.receiver_name = Str(j, "receiver_name");
  o.phone = j.at("phone").get<std::string>();
  o.shipping_address = Str(j, "shipping_address");
  o.shipping_fee_cents = j.value("shipping_fee_cents", int64_t{0});
  o.discount_cents = j.value("discount_cents", int64_t{0});
  o.total_cents = j.at("total_cents").get<int64_t>();
  for (const json& item : j.at("items")) {
    d.items.push_back({item.at("product_id").get<int64_t>(), item.at("quantity").get<int64_t>(),
                       item.at("unit_price_cents").get<int64_t>(), "", ""});
  }
  if (j.contains("shipment") && !j["shipment"].is_null()) {
    const json& s = j["shipment"];
    store::Shipment sh;
    sh.carrier = s.at("carrier").get<std::string>();
    sh.carrier_en = Str(s, "carrier_en");
    sh.tracking_number = s.at("tracking_number").get<std::string>();
    sh.status = s.at("status").get<std::string>();
    KEFU_ASSIGN_OR_RETURN(sh.shipped_at, Time(s, "shipped_at"));
    for (const json& e : s.at("events")) {
      store::TrackingEvent ev;
      KEFU_ASSIGN_OR_RETURN(ev.time, Time(e, "time"));
      ev.status = Str(e, "status");
      ev.location_zh = Str(e, "location_zh");
      ev.location_en = Str(e, "location_en");
      ev.description_zh = Str(e, "description_zh");
      ev.description_en = Str(e, "description_en");
      sh.events.push_back(std::move(ev));
    }
    d.shipment = std::move(sh);
  }
  if (j.contains("return") && !j["return"].is_null()) {
    const json& r = j["return"];
    store::ReturnRequest rr;
    rr.type = Str(r, "type");
    rr.status = r.at("status").get<std::string>();
    rr.reason_zh = Str(r, "reason_zh");
    rr.reason_en = Str(r, "reason_en");
    KEFU_ASSIGN_OR_RETURN(rr.requested_at, Time(r, "requested_at"));
    KEFU_ASSIGN_OR_RETURN(rr.completed_at, OptTime(r, "completed_at"));
    d.return_request = std::move(rr);
  }
  if (j.contains("refund") && !j["refund"].is_null()) {
    const json& r = j["refund"];
    store::Refund rf;
    rf.amount_cents = r.at("amount_cents").get<int64_t>();
    rf.status = r.at("status").get<std::string>();
    rf.method = Str(r, "method");
    KEFU_ASSIGN_OR_RETURN(rf.requested_at, Time(r, "requested_at"));
    KEFU_ASSIGN_OR_RETURN(rf.completed_at, OptTime(r, "completed_at"));
    d.refund = std::move(rf);
  }
  return d;
}

// The first "# " heading of a Markdown page, else its file name.
std::string MarkdownTitle(const std::string& body, const std::string& fallback) {
  size_t pos = 0;
  while (pos < body.size()) {
    const size_t end = body.find('\n', pos);
    const std::string line = body.substr(pos, end == std::string::npos ? end : end - pos);
    if (line.rfind("# ", 0) == 0) {
      return line.substr(2);
    }
    if (end == std::string::npos) {
      break;
    }
    pos = end + 1;
  }
  return fallback;
}

}  // namespace

Result<store::ShopData> LoadDemoShop(const std::string& dir_name) {
  const fs::path dir(dir_name);
  store::ShopData shop;
  KEFU_RETURN_IF_ERROR(ForEachLine(dir / "customers.jsonl", [&](const json& j) -> Status {
    store::Customer c;
    c.id = j.at("id").get<int64_t>();
    c.name = j.at("name").get<std::string>();
    c.phone = j.at("phone").get<std::string>();
    c.email = Str(j, "email");
    c.address = Str(j, "address");
    c.city = Str(j, "city");
    c.lang = j.value("lang", std::string("zh"));
    shop.customers.push_back(std::move(c));
    return OkStatus();
  }));
  KEFU_RETURN_IF_ERROR(ForEachLine(dir / "products.jsonl", [&](const json& j) -> Status {
    store::Product p;
    p.id = j.at("id").get<int64_t>();
    p.sku = j.at("sku").get<std::string>();
    p.category = j.at("category").get<std::string>();
    p.brand = Str(j, "brand");
    p.name_zh = j.at("name_zh").get<std::string>();
    p.name_en = j.at("name_en").get<std::string>();
    p.price_cents = j.at("price_cents").get<int64_t>();
    p.attributes_json = j.value("attributes", json::object()).dump();
    p.stock = j.value("stock", int64_t{0});
    shop.products.push_back(std::move(p));
    return OkStatus();
  }));
  KEFU_RETURN_IF_ERROR(ForEachLine(dir / "orders.jsonl", [&](const json& j) -> Status {
    KEFU_ASSIGN_OR_RETURN(store::OrderDetails d, ParseOrder(j));
    shop.orders.push_back(std::move(d));
    return OkStatus();
  }));
  const fs::path policies = dir / "policies";
  if (fs::exists(policies)) {
    std::vector<fs::path> files;
    for (const auto& entry : fs::recursive_directory_iterator(policies)) {
      if (entry.is_regular_file() && entry.path().extension() == ".md") {
        files.push_back(entry.path());
      }
    }
    std::sort(files.begin(), files.end());  // deterministic order
    for (const fs::path& f : files) {
      std::ifstream in(f);
      const std::string body((std::istreambuf_iterator<char>(in)),
                             std::istreambuf_iterator<char>());
      store::Document doc;
      doc.id = fs::relative(f, dir).generic_string();
      doc.lang = f.parent_path().filename().string();
      doc.title = MarkdownTitle(body, f.stem().string());
      doc.body = body;
      doc.source = "demo";
      doc.updated_at = 0;
      shop.documents.push_back(std::move(doc));
    }
  }
  return shop;
}

Status ResetDemoShop(store::Store& store, const std::string& dir) {
  KEFU_ASSIGN_OR_RETURN(store::ShopData shop, LoadDemoShop(dir));
  return store.ReplaceShopData(shop).WithContext("load demo shop");
}

Result<bool> LoadDemoShopIfEmpty(store::Store& store, const std::string& dir) {
  KEFU_ASSIGN_OR_RETURN(store::ShopCounts counts, store.CountShopData());
  if (counts.orders > 0 || counts.products > 0) {
    return false;
  }
  KEFU_RETURN_IF_ERROR(ResetDemoShop(store, dir));
  return true;
}

}  // namespace kefu::demo
