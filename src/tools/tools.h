// tools/: the only way a flow reads or changes the shop's orders. Built-in tools work on the
// Store; an HTTP tool calls the shop's own order system with the same contract, so the flows in
// data/flows run unchanged on either.
//
//   ToolRegistry tools = NewStoreTools(store, clock);
//   tools.Add(*NewHttpTool(config));                 // replaces the built-in of the same name
//   Result<ToolResult> r = tools.Call("get_order", {{"order_id", "2026112012345678"}}, ctx);
//   if (r.ok() && r->code == "ok") { ... r->data["order"]["status"] ... }
//
// Contract: arguments and data are JSON objects. `code` is "ok" or a business outcome that a
// flow branches on (not_found, not_cancellable, not_changeable, not_eligible, ...). A Status
// error means the tool itself failed (timeout, unreachable, bad response): flows apologise and
// offer a person. The names and fields each built-in tool takes and returns are listed at
// NewStoreTools.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/clock.h"
#include "core/config.h"
#include "core/request_context.h"
#include "core/result.h"
#include "store/store.h"

namespace kefu::tools {

struct ToolResult {
  std::string code = "ok";
  nlohmann::json data = nlohmann::json::object();
  // get_order's order, typed, from a tool that has it so (the built-in one hands over the store's
  // shared snapshot and leaves "order" out of data: the busiest turn makes no JSON round trip and
  // no copy). Read either with OrderOf().
  std::shared_ptr<const store::OrderDetails> order = nullptr;
};

class Tool {
 public:
  virtual ~Tool() = default;
  virtual std::string name() const = 0;
  // Thread-safe. Honours ctx's deadline where it can (HTTP tools cap their timeout by it).
  virtual Result<ToolResult> Call(const nlohmann::json& args, RequestContext& ctx) const = 0;
};

// Tools by name. Immutable once the engine holds it, so thread-safe to call.
class ToolRegistry {
 public:
  // Adds `tool`, replacing one with the same name.
  void Add(std::unique_ptr<Tool> tool);
  const Tool* Find(std::string_view name) const;
  // kNotFound for an unknown tool; otherwise the tool's own answer.
  Result<ToolResult> Call(std::string_view name, const nlohmann::json& args,
                          RequestContext& ctx) const;
  std::vector<std::string> Names() const;

 private:
  std::map<std::string, std::unique_ptr<Tool>, std::less<>> tools_;
};

// The built-in tools on the store. Arguments -> data (code "ok" unless noted):
//   get_order {order_id} -> {order: OrderJson} | not_found (the built-in tool gives the order
//       typed in ToolResult::order instead; OrderOf() reads either)
//   cancel_order {order_id} -> {refund_amount: "CNY 399.00", refund_cents} | not_found |
//       not_cancellable {status}
//   change_order {order_id, address?, phone?} -> {} | not_found | not_changeable {status}
//   create_return {order_id, type: no_reason|quality|exchange, reason} -> {rma} | not_found |
//       not_eligible {status}
//   create_invoice {order_id, title, tax_id?, email} -> {invoice_id} | not_found |
//       not_eligible {status}
//   open_case {order_id?, kind, description, conversation_id} -> {case_number}
//   search_products {category?, min_price?, max_price? (yuan), keywords?: [..], limit?}
//       -> {products: [ProductJson]} (code "none" when nothing matches)
//   get_product {sku} -> {product: ProductJson} | not_found
//   list_customer_orders {customer_id, limit?} -> {orders: [{order_id, status, created_at,
//       total: "CNY 507.00", total_cents}]}
// Numbers may come as JSON numbers or strings ("5", "399.5"); keywords as an array or one string
// split at spaces and commas. search_products returns at most 20 (default 5),
// list_customer_orders at most 50 (default 10). A missing required argument or a bad value
// (create_return's type) is kInvalidArgument.
// OrderJson: order_id, customer_id, status, phone (for verification only: never shown), created_at,
// paid_at, shipped_at, delivered_at, cancelled_at (ms or null), total_cents, items [{sku?, name_zh,
// name_en, quantity, price_cents}], shipment {carrier, carrier_en, tracking_number, events [{time,
// status, location_zh, location_en, description_zh, description_en}]} or null, return {rma, type,
// status, reason_zh, reason_en} or null, refund {amount_cents, status, method, completed_at} or
// null. Also, when known: payment_method, shipping_fee_cents, discount_cents, shipment status and
// shipped_at, return requested_at and completed_at, refund requested_at.
// ProductJson: sku, category, brand, name_zh, name_en, price_cents, price ("CNY 2999.00"), stock,
// attributes (an object).
ToolRegistry NewStoreTools(store::Store& store, const Clock& clock);

// OrderJson from the store's OrderDetails (shared with tests and the HTTP tool's fake server).
nlohmann::json OrderToJson(const store::OrderDetails& details);
nlohmann::json ProductToJson(const store::Product& product);
// The inverse of OrderToJson (HTTP tools return OrderJson); kInvalidArgument for a bad shape.
Result<store::OrderDetails> OrderFromJson(const nlohmann::json& json);
// get_order's order: the typed one (moved out of `result`), else data["order"] read as OrderJson.
Result<std::shared_ptr<const store::OrderDetails>> OrderOf(ToolResult& result);

// An HTTP tool: one endpoint of the shop's own system, configured in kefu.toml:
//
//   [tools.get_order]
//   url = "http://127.0.0.1:9000/orders/{order_id}"   # {arg} is replaced, URL-encoded
//   method = "GET"                                      # GET, POST, PUT, PATCH, DELETE
//   headers = { Authorization = "Bearer ${SHOP_API_KEY}" }  # ${VAR} read from the environment
//   timeout_ms = 3000
//   body = "args"             # POST/PUT/PATCH: the arguments as a JSON object (default)
//   code_field = "/code"      # JSON pointer to the outcome code; missing -> "ok"
//   [tools.get_order.map]     # data field -> JSON pointer into the response; no map: the whole
//   order = "/data"           # response (or its "data" member) is the data
//
// HTTP 404 gives code "not_found"; other 4xx give code from code_field or "rejected"; 5xx,
// timeouts and unparseable bodies are kUnavailable / kDeadlineExceeded errors.
// The config file's `[tools.<name>]` table is this struct (core/config.h parses it).
using HttpToolConfig = HttpToolSettings;

// kInvalidArgument for a bad URL (not http:// or https://, no host, an unclosed `{`), method,
// JSON pointer, or a header naming an unset ${VAR}. Header values are never logged or put in a
// Status. Call returns code/data as above, kInvalidArgument for a missing URL argument or args
// that are not an object, kDeadlineExceeded at the timeout (the smaller of timeout_ms and ctx's
// deadline), kUnavailable when unreachable, on 5xx, and for a non-JSON or over 1 MiB body.
Result<std::unique_ptr<Tool>> NewHttpTool(const HttpToolConfig& config);

}  // namespace kefu::tools
