// The knowledge-base administration endpoints (/v1/kb/*), for shop operators' tools.
#include <charconv>

#include <nlohmann/json.hpp>

#include "core/logging.h"
#include "core/sha256.h"
#include "core/utf8.h"
#include "kb/knowledge_base.h"
#include "server/api.h"
#include "server/api_internal.h"

namespace kefu::server {
namespace {

using nlohmann::json;

constexpr std::string_view kDocuments = "/v1/kb/documents";
constexpr size_t kMaxSearchK = 50;
constexpr size_t kMaxQueryBytes = 2'000;

json HitJson(const kb::Hit& h) {
  return {{"doc_id", h.doc_id},
          {"chunk", h.ordinal},
          {"title", h.title},
          {"heading", h.heading_path},
          {"text", h.text},
          {"lang", h.lang},
          {"category", h.category},
          {"format", kb::DocFormatName(h.format)},
          {"score", h.score},
          {"confidence", h.confidence},
          {"bm25", h.bm25},
          {"cosine", h.cosine},
          {"faq_similarity", h.faq_similarity}};
}

json ReportJson(const kb::ImportReport& r) {
  return {{"added", r.added},   {"updated", r.updated}, {"unchanged", r.unchanged},
          {"failed", r.failed}, {"chunks", r.chunks},   {"errors", r.errors}};
}

Result<std::vector<std::string>> StringList(const json& body, const char* key) {
  std::vector<std::string> out;
  if (!body.contains(key)) {
    return out;
  }
  if (!body[key].is_array()) {
    return InvalidArgumentError(std::string("'") + key + "' must be an array of strings");
  }
  for (const json& v : body[key]) {
    if (!v.is_string()) {
      return InvalidArgumentError(std::string("'") + key + "' must be an array of strings");
    }
    out.push_back(v.get<std::string>());
  }
  return out;
}

Result<std::string> OptionalString(const json& body, const char* key) {
  if (!body.contains(key)) {
    return std::string();
  }
  if (!body[key].is_string()) {
    return InvalidArgumentError(std::string("'") + key + "' must be a string");
  }
  return body[key].get<std::string>();
}

}  // namespace

size_t Api::BodyLimit(std::string_view method, std::string_view target) const {
  const std::string_view path = target.substr(0, target.find('?'));
  if (method == "POST" && path == kDocuments) {
    return static_cast<size_t>(std::max(options_.max_upload_bytes, options_.max_body_bytes));
  }
  if (method == "POST" && path.ends_with("/audio") && path.starts_with(kConversationsPrefix)) {
    return static_cast<size_t>(std::max(options_.max_audio_bytes, options_.max_body_bytes));
  }
  return static_cast<size_t>(options_.max_body_bytes);
}

Status Api::AuthorizeAdmin(const HttpRequest& request) const {
  if (options_.admin_key.empty()) {
    return PermissionDeniedError(
        "the knowledge-base API is disabled: set kb.admin_key (KEFU_KB_ADMIN_KEY)");
  }
  constexpr std::string_view kBearer = "Bearer ";
  if (request.authorization.rfind(kBearer, 0) != 0) {
    return UnauthenticatedError("missing Authorization: Bearer <admin key>");
  }
  if (!ConstantTimeEquals(std::string_view(request.authorization).substr(kBearer.size()),
                          options_.admin_key)) {
    return PermissionDeniedError("wrong admin key");
  }
  return OkStatus();
}

HttpResponse Api::HandleKb(const HttpRequest& request, const std::string& path,
                           const std::map<std::string, std::string>& query) {
  if (kb_ == nullptr) {
    return ErrorResponse(404, "not_found", "this server has no knowledge base");
  }
  if (Status s = AuthorizeAdmin(request); !s.ok()) {
    return ErrorResponse(s);
  }
  if (path == kDocuments) {
    if (request.method == "POST") {
      return KbImport(request);
    }
    if (request.method == "GET") {
      return KbList();
    }
    return ErrorResponse(405, "method_not_allowed", "use GET or POST on /v1/kb/documents");
  }
  if (path.size() > kDocuments.size() + 1 && path.rfind(std::string(kDocuments) + "/", 0) == 0) {
    if (request.method != "DELETE") {
      return ErrorResponse(405, "method_not_allowed", "use DELETE on /v1/kb/documents/{id}");
    }
    return KbDelete(path.substr(kDocuments.size() + 1));
  }
  if (path == "/v1/kb/search") {
    if (request.method != "GET") {
      return ErrorResponse(405, "method_not_allowed", "use GET on /v1/kb/search");
    }
    return KbSearch(query);
  }
  return ErrorResponse(404, "not_found", "no route for " + path);
}

HttpResponse Api::KbImport(const HttpRequest& request) {
  if (request.body.size() > static_cast<size_t>(options_.max_upload_bytes)) {
    return ErrorResponse(413, "payload_too_large",
                         "body exceeds " + std::to_string(options_.max_upload_bytes) + " bytes");
  }
  if (!utf8::IsValid(request.body)) {
    return ErrorResponse(InvalidArgumentError("request body is not valid UTF-8"));
  }
  const json body = json::parse(request.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded() || !body.is_object()) {
    return ErrorResponse(InvalidArgumentError(
        "request body must be a JSON object {\"name\": \"file.md\", \"content\": \"...\"}"));
  }
  Result<std::string> name = OptionalString(body, "name");
  Result<std::string> content = OptionalString(body, "content");
  Result<std::string> category = OptionalString(body, "category");
  Result<std::string> lang = OptionalString(body, "lang");
  Result<std::vector<std::string>> tags = StringList(body, "tags");
  for (const Status* s :
       {&name.status(), &content.status(), &category.status(), &lang.status(), &tags.status()}) {
    if (!s->ok()) {
      return ErrorResponse(*s);
    }
  }
  if (name->empty()) {
    return ErrorResponse(InvalidArgumentError(
        "'name' is required: a file name whose extension gives the format (.md, .txt, .html, "
        ".csv, .tsv, .json, .jsonl)"));
  }
  if (!lang->empty() && *lang != "zh" && *lang != "en") {
    return ErrorResponse(InvalidArgumentError("'lang' must be \"zh\" or \"en\""));
  }
  kb::IngestOptions options;
  options.lang = *lang;
  options.category = *category;
  options.tags = *tags;
  options.max_file_bytes = static_cast<size_t>(options_.max_upload_bytes);
  Result<std::vector<kb::KbDocument>> docs = kb::ParseBytes(*name, *content, "", options);
  if (!docs.ok()) {
    return ErrorResponse(docs.status());
  }
  json ids = json::array();
  for (const kb::KbDocument& d : *docs) {
    ids.push_back(d.id);
  }
  Result<kb::ImportReport> report = kb_->Import(std::move(*docs));
  if (!report.ok()) {
    KEFU_LOG_ERROR("kb import failed: {}", report.status().ToString());
    return ErrorResponse(report.status());
  }
  json out = ReportJson(*report);
  out["ids"] = std::move(ids);
  return JsonResponse(report->added + report->updated > 0 ? 201 : 200, out);
}

HttpResponse Api::KbList() {
  Result<std::vector<store::KbDocumentRecord>> docs = kb_->List();
  if (!docs.ok()) {
    return ErrorResponse(docs.status());
  }
  json list = json::array();
  for (const store::KbDocumentRecord& d : *docs) {
    list.push_back({{"id", d.id},
                    {"title", d.title},
                    {"lang", d.lang},
                    {"category", d.category},
                    {"format", d.format},
                    {"source", d.source},
                    {"content_hash", d.content_hash},
                    {"updated_at", d.updated_at}});
  }
  return JsonResponse(200, {{"documents", std::move(list)}, {"count", docs->size()}});
}

HttpResponse Api::KbDelete(const std::string& encoded_id) {
  const std::string id = PercentDecode(encoded_id, /*plus_is_space=*/false);
  if (Status s = kb_->Remove(id); !s.ok()) {
    return ErrorResponse(s);
  }
  HttpResponse r;
  r.status = 204;
  return r;
}

HttpResponse Api::KbSearch(const std::map<std::string, std::string>& query) {
  auto get = [&](const char* key) {
    auto it = query.find(key);
    return it == query.end() ? std::string() : it->second;
  };
  const std::string q = get("q");
  if (q.empty()) {
    return ErrorResponse(InvalidArgumentError("query parameter 'q' is required"));
  }
  if (q.size() > kMaxQueryBytes || !utf8::IsValid(q)) {
    return ErrorResponse(InvalidArgumentError("'q' must be valid UTF-8 of at most " +
                                              std::to_string(kMaxQueryBytes) + " bytes"));
  }
  kb::SearchOptions options;
  if (const std::string k = get("k"); !k.empty()) {
    size_t v = 0;
    auto [ptr, ec] = std::from_chars(k.data(), k.data() + k.size(), v);
    if (ec != std::errc() || ptr != k.data() + k.size() || v == 0 || v > kMaxSearchK) {
      return ErrorResponse(
          InvalidArgumentError("'k' must be an integer from 1 to " + std::to_string(kMaxSearchK)));
    }
    options.k = v;
  }
  options.filter.lang = get("lang");
  options.filter.category = get("category");
  if (const std::string tag = get("tag"); !tag.empty()) {
    options.filter.tags.push_back(tag);
  }
  const std::string mode = get("mode");
  if (mode.empty() || mode == "hybrid") {
    options.mode = kb::SearchMode::kHybrid;
  } else if (mode == "bm25") {
    options.mode = kb::SearchMode::kBm25;
  } else if (mode == "vector") {
    options.mode = kb::SearchMode::kVector;
  } else {
    return ErrorResponse(InvalidArgumentError("'mode' must be hybrid, bm25 or vector"));
  }
  json hits = json::array();
  for (const kb::Hit& h : kb_->Search(q, options)) {
    hits.push_back(HitJson(h));
  }
  return JsonResponse(
      200, {{"query", q}, {"mode", kb::SearchModeName(options.mode)}, {"hits", std::move(hits)}});
}

}  // namespace kefu::server
