// kb/ingest.h: listing the files to import, catalog documents and the content hash. Parsing is
// in parsers.cc, chunking in chunker.cc.
#include "kb/ingest.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <system_error>
#include <utility>

#include <nlohmann/json.hpp>

#include "core/sha256.h"

namespace kefu::kb {
namespace {

namespace fs = std::filesystem;

bool IsSupported(const fs::path& path) {
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
  });
  const std::vector<std::string_view>& supported = SupportedExtensions();
  return std::find(supported.begin(), supported.end(), ext) != supported.end();
}

bool IsHidden(const fs::path& path) {
  return path.filename().string().starts_with(".");
}

std::string JoinExtensions() {
  std::string out;
  for (std::string_view ext : SupportedExtensions()) {
    out += out.empty() ? "" : ", ";
    out += ext;
  }
  return out;
}

// Appends the supported, non-hidden files under `dir`.
Status WalkDirectory(const std::string& dir, std::vector<std::string>& out) {
  std::error_code ec;
  fs::recursive_directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec);
  for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    const fs::directory_entry& entry = *it;
    if (IsHidden(entry.path())) {
      if (entry.is_directory(ec)) {
        it.disable_recursion_pending();
      }
      continue;
    }
    if (entry.is_regular_file(ec) && IsSupported(entry.path())) {
      out.push_back(entry.path().string());
    }
  }
  if (ec) {
    return InvalidArgumentError("import directory '" + dir + "': " + ec.message());
  }
  return OkStatus();
}

// "2999.00" for 299900 cents.
std::string Yuan(int64_t cents) {
  const int64_t abs_cents = cents < 0 ? -cents : cents;
  std::string frac = std::to_string(abs_cents % 100);
  if (frac.size() < 2) {
    frac.insert(frac.begin(), '0');
  }
  return (cents < 0 ? "-" : "") + std::to_string(abs_cents / 100) + "." + frac;
}

std::string AttributeValue(const nlohmann::ordered_json& v) {
  if (v.is_string()) {
    return v.get<std::string>();
  }
  if (v.is_array()) {
    std::string out;
    for (const auto& item : v) {
      out += (out.empty() ? "" : ", ") + AttributeValue(item);
    }
    return out;
  }
  return v.is_null() ? "" : v.dump();
}

// "key<sep>value" lines for a flat attribute object. For lang "en" a "colour_en" value is shown
// as "colour" (in colour's place when both exist) and "_zh" keys are dropped when their base key
// exists; "zh" is the mirror image.
std::string AttributeLines(const std::string& attributes_json, std::string_view lang,
                           std::string_view sep) {
  const auto attrs = nlohmann::ordered_json::parse(attributes_json, nullptr, false);
  if (attrs.is_discarded() || !attrs.is_object()) {
    return "";
  }
  const std::string own = "_" + std::string(lang);
  const std::string other = lang == "en" ? "_zh" : "_en";
  std::string out;
  for (const auto& [key, value] : attrs.items()) {
    std::string name = key;
    const nlohmann::ordered_json* shown = &value;
    if (key.ends_with(own) || key.ends_with(other)) {
      const std::string base = key.substr(0, key.size() - own.size());
      if (attrs.contains(base) || key.ends_with(other)) {
        continue;  // shown under its base key, or the other language's
      }
      name = base;
    } else if (const auto it = attrs.find(key + own); it != attrs.end()) {
      shown = &*it;
    }
    const std::string text = AttributeValue(*shown);
    if (!text.empty()) {
      out += "\n" + name + std::string(sep) + text;
    }
  }
  return out;
}

KbDocument ProductDocument(const store::Product& p, bool zh, int64_t now_ms) {
  const std::string sku = p.sku.empty() ? std::to_string(p.id) : p.sku;
  const std::string& name = zh ? (p.name_zh.empty() ? p.name_en : p.name_zh)
                               : (p.name_en.empty() ? p.name_zh : p.name_en);
  KbDocument doc;
  doc.id = "product/" + sku + (zh ? "/zh" : "/en");
  doc.source = "catalog";
  doc.title = name;
  doc.lang = zh ? "zh" : "en";
  doc.category = "product";
  for (const std::string& tag : {p.category, p.brand}) {
    if (!tag.empty() && std::find(doc.tags.begin(), doc.tags.end(), tag) == doc.tags.end()) {
      doc.tags.push_back(tag);
    }
  }
  doc.updated_at = now_ms;
  doc.format = DocFormat::kProduct;
  // Stock is only "in stock" or not: the count changes with every sale and would change the
  // content hash, and with it the embeddings, each time.
  const std::string price = "¥" + Yuan(p.price_cents);
  if (zh) {
    doc.body = "名称：" + name + "\n品牌：" + p.brand + "\n类别：" + p.category + "\n价格：" +
               price + "\n库存：" + (p.stock > 0 ? "有货" : "缺货") +
               AttributeLines(p.attributes_json, "zh", "：");
  } else {
    doc.body = "Name: " + name + "\nBrand: " + p.brand + "\nCategory: " + p.category +
               "\nPrice: " + price + " (" + Yuan(p.price_cents) + " yuan)" +
               "\nStock: " + (p.stock > 0 ? "in stock" : "out of stock") +
               AttributeLines(p.attributes_json, "en", ": ");
  }
  doc.content_hash = ComputeContentHash(doc);
  return doc;
}

}  // namespace

Result<std::vector<std::string>> ListImportFiles(const std::vector<std::string>& paths) {
  std::vector<std::string> files;
  for (const std::string& path : paths) {
    std::error_code ec;
    const fs::file_status st = fs::status(path, ec);
    if (!fs::exists(st)) {
      return NotFoundError("import path '" + path + "': not found");
    }
    if (fs::is_directory(st)) {
      KEFU_RETURN_IF_ERROR(WalkDirectory(path, files));
    } else if (!IsSupported(path)) {
      return InvalidArgumentError("file '" + path +
                                  "': unsupported extension; supported: " + JoinExtensions());
    } else {
      files.push_back(path);
    }
  }
  std::sort(files.begin(), files.end());
  files.erase(std::unique(files.begin(), files.end()), files.end());
  return files;
}

std::vector<KbDocument> CatalogDocuments(const std::vector<store::Product>& products,
                                         int64_t now_ms) {
  std::vector<KbDocument> docs;
  docs.reserve(products.size() * 2);
  for (const store::Product& p : products) {
    docs.push_back(ProductDocument(p, /*zh=*/true, now_ms));
    docs.push_back(ProductDocument(p, /*zh=*/false, now_ms));
  }
  return docs;
}

std::string ComputeContentHash(const KbDocument& doc) {
  // Length-prefixed fields, so no choice of field values can collide with another.
  std::string s = "kefu.kb.document.v1\n";
  size_t size = doc.id.size() + doc.source.size() + doc.title.size() + doc.body.size() + 256;
  for (const std::string& tag : doc.tags) {
    size += tag.size() + 32;
  }
  if (doc.faq) {
    size += doc.faq->question.size() + doc.faq->answer.size();
    for (const std::string& p : doc.faq->paraphrases) {
      size += p.size() + 32;
    }
  }
  s.reserve(size);  // one allocation: the body may be 20 MB
  auto field = [&s](std::string_view name, std::string_view value) {
    s += name;
    s += ' ';
    s += std::to_string(value.size());
    s += ':';
    s += value;
    s += '\n';
  };
  field("id", doc.id);
  field("source", doc.source);
  field("title", doc.title);
  field("lang", doc.lang);
  field("category", doc.category);
  std::vector<std::string> tags = doc.tags;
  std::sort(tags.begin(), tags.end());
  tags.erase(std::unique(tags.begin(), tags.end()), tags.end());
  for (const std::string& tag : tags) {
    field("tag", tag);
  }
  field("format", DocFormatName(doc.format));
  field("body", doc.body);
  if (doc.faq) {
    field("faq.question", doc.faq->question);
    field("faq.answer", doc.faq->answer);
    for (const std::string& p : doc.faq->paraphrases) {
      field("faq.paraphrase", p);
    }
  }
  return Sha256Hex(s);
}

}  // namespace kefu::kb
