// NewHttpTool: one endpoint of the shop's own system behind the Tool contract.
//
// Everything that can be checked once (URL, method, JSON pointers, ${VAR} in headers) is checked
// in NewHttpTool, so a bad [tools.X] table fails at startup, not on a customer's turn. The tool
// is immutable afterwards and makes a fresh httplib::Client per call: clients are cheap next to
// the request, and no client state is shared between threads.
#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <utility>

#include <httplib.h>

#include "tools/tools.h"

namespace kefu::tools {
namespace {

using json = nlohmann::json;
using SteadyClock = std::chrono::steady_clock;

constexpr size_t kMaxBodyBytes = size_t{1} << 20;
constexpr int kMaxPort = 65'535;

bool IsUnreserved(unsigned char c) {
  return std::isalnum(c) != 0 || c == '-' || c == '.' || c == '_' || c == '~';
}

// Percent-encodes everything but RFC 3986's unreserved characters, so an argument stays inside
// its path segment or query value ("a/b" cannot reach another endpoint).
std::string UrlEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (IsUnreserved(c)) {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xF]);
    }
  }
  return out;
}

bool HasControlChar(std::string_view text) {
  return std::any_of(text.begin(), text.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7F; });
}

// A piece of the URL's path and query: literal text, or the name of an argument.
struct Piece {
  std::string text;
  bool is_arg = false;
};

struct ParsedUrl {
  std::string base;   // scheme://host:port, for httplib::Client
  std::string where;  // base + path without the query, for messages
  std::vector<Piece> path;
};

Result<ParsedUrl> ParseUrl(const std::string& url) {
  if (url.find_first_of(" \t\r\n") != std::string::npos || HasControlChar(url)) {
    return InvalidArgumentError("url '" + url + "' contains whitespace or control characters");
  }
  const size_t sep = url.find("://");
  if (sep == std::string::npos) {
    return InvalidArgumentError("url '" + url + "' is not absolute (http://host/path)");
  }
  std::string scheme = url.substr(0, sep);
  std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (scheme != "http" && scheme != "https") {
    return InvalidArgumentError("url '" + url + "': scheme must be http or https");
  }
#ifndef CPPHTTPLIB_OPENSSL_SUPPORT
  if (scheme == "https") {
    return InvalidArgumentError("url '" + url +
                                "': https needs cpp-httplib built with OpenSSL support");
  }
#endif
  const size_t authority_begin = sep + 3;
  const size_t authority_end = url.find_first_of("/?", authority_begin);
  const std::string authority = url.substr(authority_begin, authority_end == std::string::npos
                                                                ? std::string::npos
                                                                : authority_end - authority_begin);
  if (authority.find_first_of("@{}") != std::string::npos) {
    return InvalidArgumentError("url '" + url + "': the host may not hold user info or {args}");
  }
  std::string host = authority;
  std::string port_text;
  if (!host.empty() && host.front() == '[') {  // [IPv6]:port
    const size_t close = host.find(']');
    if (close == std::string::npos) {
      return InvalidArgumentError("url '" + url + "': unclosed '[' in the host");
    }
    if (close + 1 < host.size()) {
      if (host[close + 1] != ':') {
        return InvalidArgumentError("url '" + url + "': bad host '" + authority + "'");
      }
      port_text = host.substr(close + 2);
    }
    host = host.substr(0, close + 1);
  } else if (const size_t colon = host.rfind(':'); colon != std::string::npos) {
    port_text = host.substr(colon + 1);
    host = host.substr(0, colon);
  }
  if (host.empty() || host == "[]") {
    return InvalidArgumentError("url '" + url + "' has no host");
  }
  int port = scheme == "https" ? 443 : 80;
  if (!port_text.empty() || authority.back() == ':') {
    const bool digits = !port_text.empty() && port_text.size() <= 5 &&
                        std::all_of(port_text.begin(), port_text.end(),
                                    [](unsigned char c) { return std::isdigit(c) != 0; });
    port = digits ? std::atoi(port_text.c_str()) : 0;
    if (port < 1 || port > kMaxPort) {
      return InvalidArgumentError("url '" + url + "': bad port '" + port_text + "'");
    }
  }

  ParsedUrl parsed;
  parsed.base = scheme + "://" + host + ":" + std::to_string(port);
  std::string rest = authority_end == std::string::npos ? "/" : url.substr(authority_end);
  if (rest.front() == '?') {
    rest.insert(0, "/");
  }
  parsed.where = parsed.base + rest.substr(0, rest.find('?'));
  size_t pos = 0;
  while (pos < rest.size()) {
    const size_t open = rest.find('{', pos);
    if (open == std::string::npos) {
      parsed.path.push_back({rest.substr(pos), false});
      break;
    }
    if (open > pos) {
      parsed.path.push_back({rest.substr(pos, open - pos), false});
    }
    const size_t close = rest.find('}', open);
    if (close == std::string::npos || close == open + 1 || rest.find('{', open + 1) < close) {
      return InvalidArgumentError("url '" + url + "': unclosed or empty '{' at " +
                                  std::to_string(authority_end + open));
    }
    parsed.path.push_back({rest.substr(open + 1, close - open - 1), true});
    pos = close + 1;
  }
  return parsed;
}

// Expands ${VAR} from the environment. The message names the header and variable, never the
// value: header values hold API keys.
Result<std::string> ExpandHeader(const std::string& header, const std::string& value) {
  std::string out;
  size_t pos = 0;
  while (pos < value.size()) {
    const size_t open = value.find("${", pos);
    if (open == std::string::npos) {
      out.append(value, pos, std::string::npos);
      break;
    }
    out.append(value, pos, open - pos);
    const size_t close = value.find('}', open + 2);
    if (close == std::string::npos || close == open + 2) {
      return InvalidArgumentError("header '" + header + "': unclosed or empty ${ in its value");
    }
    const std::string var = value.substr(open + 2, close - open - 2);
    const char* env = std::getenv(var.c_str());
    if (env == nullptr) {
      return InvalidArgumentError("header '" + header + "' uses ${" + var +
                                  "}, which is not set in the environment");
    }
    out.append(env);
    pos = close + 1;
  }
  if (HasControlChar(out)) {
    return InvalidArgumentError("header '" + header + "': its value holds control characters");
  }
  return out;
}

Result<json::json_pointer> ParsePointer(const std::string& what, const std::string& pointer) {
  try {
    return json::json_pointer(pointer);
  } catch (const json::exception& e) {
    return InvalidArgumentError(what + " '" + pointer + "' is not a JSON pointer: " + e.what());
  }
}

// The value at `pointer`, or nullptr when the document has nothing there.
const json* At(const json& doc, const json::json_pointer& pointer) {
  try {
    return doc.contains(pointer) ? &doc.at(pointer) : nullptr;
  } catch (const json::exception&) {
    return nullptr;  // e.g. "/items/x" into an array
  }
}

struct HttpToolParts {
  std::string name;
  std::string method;
  ParsedUrl url;
  httplib::Headers headers;
  std::chrono::milliseconds timeout{0};
  std::optional<json::json_pointer> code_field;
  std::vector<std::pair<std::string, json::json_pointer>> map;
};

// Thread-safe: immutable after construction; each Call uses its own client.
class HttpTool final : public Tool {
 public:
  explicit HttpTool(HttpToolParts parts) : p_(std::move(parts)) {}
  HttpTool(const HttpTool&) = delete;
  HttpTool& operator=(const HttpTool&) = delete;

  std::string name() const override { return p_.name; }

  Result<ToolResult> Call(const json& args, RequestContext& ctx) const override {
    Result<ToolResult> result = CallOnce(args, ctx);
    if (!result.ok()) {
      return result.status().WithContext("tool '" + p_.name + "': " + p_.method + " " +
                                         p_.url.where);
    }
    return result;
  }

 private:
  bool SendsBody() const {
    return p_.method == "POST" || p_.method == "PUT" || p_.method == "PATCH";
  }

  Result<std::string> BuildPath(const json& args) const {
    std::string path;
    for (const Piece& piece : p_.url.path) {
      if (!piece.is_arg) {
        path += piece.text;
        continue;
      }
      auto it = args.find(piece.text);
      if (it == args.end() || it->is_null()) {
        return InvalidArgumentError("missing argument '" + piece.text + "'");
      }
      if (it->is_string()) {
        path += UrlEncode(it->get_ref<const std::string&>());
      } else if (it->is_number() || it->is_boolean()) {
        path += UrlEncode(it->dump());
      } else {
        return InvalidArgumentError("argument '" + piece.text + "' must be a string or number");
      }
    }
    return path;
  }

  std::optional<std::string> CodeOf(const json& body) const {
    if (!p_.code_field) {
      return std::nullopt;
    }
    const json* v = At(body, *p_.code_field);
    if (v == nullptr || v->is_null() ||
        (v->is_string() && v->get_ref<const std::string&>().empty())) {
      return std::nullopt;
    }
    return v->is_string() ? v->get<std::string>() : v->dump();
  }

  Result<json> DataOf(const json& body) const {
    if (!p_.map.empty()) {
      json data = json::object();
      for (const auto& [field, pointer] : p_.map) {
        if (const json* v = At(body, pointer)) {
          data[field] = *v;
        }
      }
      return data;
    }
    if (!body.is_object()) {
      return UnavailableError(std::string("response is a JSON ") + body.type_name() +
                              ", not an object (a [tools.X.map] can pick fields out of it)");
    }
    auto data = body.find("data");
    if (data != body.end() && data->is_object()) {
      return *data;
    }
    return body;
  }

  Result<ToolResult> CallOnce(const json& args, RequestContext& ctx) const {
    if (!args.is_object()) {
      return InvalidArgumentError("arguments must be a JSON object");
    }
    KEFU_ASSIGN_OR_RETURN(std::string path, BuildPath(args));
    KEFU_RETURN_IF_ERROR(ctx.Check());

    const SteadyClock::time_point start = SteadyClock::now();
    std::chrono::milliseconds timeout = p_.timeout;
    if (const auto remaining = ctx.deadline() - start; remaining < timeout) {
      timeout = std::chrono::duration_cast<std::chrono::milliseconds>(remaining);
    }
    if (timeout <= std::chrono::milliseconds(0)) {
      return DeadlineExceededError("request deadline exceeded before the call");
    }
    const SteadyClock::time_point end = start + timeout;

    httplib::Client client(p_.url.base);
    if (!client.is_valid()) {
      return InvalidArgumentError("httplib cannot make a client for " + p_.url.base);
    }
    client.set_connection_timeout(timeout);
    client.set_read_timeout(timeout);
    client.set_write_timeout(timeout);

    httplib::Request req;
    req.method = p_.method;
    req.path = std::move(path);
    req.headers = p_.headers;
    if (!req.has_header("Accept")) {
      req.set_header("Accept", "application/json");
    }
    if (SendsBody()) {
      req.body = args.dump(-1, ' ', false, json::error_handler_t::replace);
      if (!req.has_header("Content-Type")) {
        req.set_header("Content-Type", "application/json");
      }
    }
    // The body goes through a receiver so that an oversized one is refused while it streams in,
    // and a server that trickles bytes is cut off at the timeout, not one read timeout per read.
    std::string body;
    bool too_large = false;
    bool timed_out = false;
    bool cancelled = false;
    req.response_handler = [&](const httplib::Response& res) {
      const std::string length = res.get_header_value("Content-Length");
      if (!length.empty() && length.size() <= 19 &&
          std::strtoull(length.c_str(), nullptr, 10) > kMaxBodyBytes) {
        too_large = true;
        return false;
      }
      return true;
    };
    req.content_receiver = [&](const char* data, size_t n, uint64_t, uint64_t) {
      if (body.size() + n > kMaxBodyBytes) {
        too_large = true;
        return false;
      }
      if (ctx.cancelled()) {
        cancelled = true;
        return false;
      }
      if (SteadyClock::now() > end) {
        timed_out = true;
        return false;
      }
      body.append(data, n);
      return true;
    };

    httplib::Response res;
    httplib::Error error = httplib::Error::Success;
    const bool sent = client.send(req, res, error);
    if (too_large) {
      return UnavailableError("response body is over " + std::to_string(kMaxBodyBytes) + " bytes");
    }
    if (cancelled) {
      return CancelledError("request cancelled");
    }
    if (!sent) {
      // httplib reports a read timeout as a plain read error; the clock tells the two apart.
      const auto elapsed = SteadyClock::now() - start;
      if (timed_out || error == httplib::Error::ConnectionTimeout || elapsed >= timeout * 9 / 10) {
        return DeadlineExceededError("no answer within " + std::to_string(timeout.count()) + " ms");
      }
      if (error == httplib::Error::Connection) {
        return UnavailableError("cannot connect to " + p_.url.base);
      }
      return UnavailableError("request failed: " + httplib::to_string(error));
    }
    return Interpret(res.status, body);
  }

  Result<ToolResult> Interpret(int status, const std::string& text) const {
    const std::string http = "HTTP " + std::to_string(status);
    if (status >= 500) {
      return UnavailableError(http + " from the server");
    }
    if (status >= 400) {
      // A refusal is a business outcome; its body is read when it is JSON, ignored otherwise.
      const json body = json::parse(text, nullptr, false);
      ToolResult result;
      if (status == 404) {
        result.code = "not_found";
      } else {
        result.code = body.is_discarded() ? "rejected" : CodeOf(body).value_or("rejected");
      }
      if (!body.is_discarded()) {
        Result<json> data = DataOf(body);
        if (data.ok()) {
          result.data = std::move(*data);
        }
      }
      return result;
    }
    if (status < 200 || status >= 300) {
      return UnavailableError("unexpected " + http);
    }
    ToolResult result;
    if (text.find_first_not_of(" \t\r\n") == std::string::npos) {
      return result;  // 204 No Content and the like: ok, no data
    }
    const json body = json::parse(text, nullptr, false);
    if (body.is_discarded()) {
      return UnavailableError(http + " with a body that is not JSON (" +
                              std::to_string(text.size()) + " bytes)");
    }
    result.code = CodeOf(body).value_or("ok");
    KEFU_ASSIGN_OR_RETURN(result.data, DataOf(body));
    return result;
  }

  HttpToolParts p_;
};

}  // namespace

Result<std::unique_ptr<Tool>> NewHttpTool(const HttpToolConfig& config) {
  const std::string context = "http tool '" + config.name + "'";
  if (config.name.empty()) {
    return InvalidArgumentError("http tool: the name is empty");
  }
  HttpToolParts parts;
  parts.name = config.name;
  parts.method = config.method;
  std::transform(parts.method.begin(), parts.method.end(), parts.method.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  static constexpr std::string_view kMethods[] = {"GET", "POST", "PUT", "PATCH", "DELETE"};
  if (std::find(std::begin(kMethods), std::end(kMethods), parts.method) == std::end(kMethods)) {
    return InvalidArgumentError(context + ": method '" + config.method +
                                "' is not one of GET, POST, PUT, PATCH, DELETE");
  }
  Result<ParsedUrl> url = ParseUrl(config.url);
  if (!url.ok()) {
    return url.status().WithContext(context);
  }
  parts.url = std::move(*url);
  for (const auto& [header, value] : config.headers) {
    if (header.empty() || HasControlChar(header) ||
        header.find_first_of(" :") != std::string::npos) {
      return InvalidArgumentError(context + ": bad header name '" + header + "'");
    }
    Result<std::string> expanded = ExpandHeader(header, value);
    if (!expanded.ok()) {
      return expanded.status().WithContext(context);
    }
    parts.headers.emplace(header, std::move(*expanded));
  }
  if (config.timeout_ms <= 0) {
    return InvalidArgumentError(context + ": timeout_ms must be positive, got " +
                                std::to_string(config.timeout_ms));
  }
  parts.timeout = std::chrono::milliseconds(config.timeout_ms);
  if (!config.code_field.empty()) {
    Result<json::json_pointer> pointer = ParsePointer("code_field", config.code_field);
    if (!pointer.ok()) {
      return pointer.status().WithContext(context);
    }
    parts.code_field = std::move(*pointer);
  }
  for (const auto& [field, pointer_text] : config.map) {
    Result<json::json_pointer> pointer = ParsePointer("map." + field, pointer_text);
    if (!pointer.ok()) {
      return pointer.status().WithContext(context);
    }
    parts.map.emplace_back(field, std::move(*pointer));
  }
  return std::unique_ptr<Tool>(std::make_unique<HttpTool>(std::move(parts)));
}

}  // namespace kefu::tools
