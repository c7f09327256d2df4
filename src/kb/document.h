// kb/: the shop's knowledge base. A document is one imported unit (a Markdown policy, one CSV row,
// one FAQ pair, one catalog product); it is cut into chunks, and chunks are what the index
// retrieves and what a reply cites.
//
//   Result<std::vector<KbDocument>> docs = ParseFile("policies/zh/returns.md", {.root = "."});
//   std::vector<Chunk> chunks = ChunkDocument((*docs)[0], ChunkOptions{});
//
// These types are plain data shared by ingest (kb/ingest.h), the index (kb/retriever.h), the
// store and the API.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kefu::kb {

enum class DocFormat { kMarkdown, kText, kHtml, kTable, kFaq, kProduct };

// "markdown", "text", "html", "table", "faq", "product".
std::string_view DocFormatName(DocFormat format);
// The inverse of DocFormatName; nullopt for anything else.
std::optional<DocFormat> DocFormatFromName(std::string_view name);

struct FaqPair {
  std::string question;
  std::string answer;
  std::vector<std::string> paraphrases;  // other ways shoppers ask the same question
};

struct KbDocument {
  // Its `id` field when the source has one (FAQ pairs, catalog products), otherwise its path
  // relative to the import root ("policies/zh/returns.md"); one CSV row is "<path>#<row>"
  // with row counted from 1 after the header.
  std::string id;
  std::string source;    // the file path as given, or "catalog"
  std::string title;     // first heading, <title>, the FAQ question, the product name
  std::string lang;      // "zh" or "en"
  std::string category;  // "policy", "faq", "product", or what the importer was told
  std::vector<std::string> tags;
  int64_t updated_at = 0;  // ms since the epoch
  DocFormat format = DocFormat::kText;
  // The document's text after parsing: Markdown kept as Markdown, HTML reduced to text with
  // headings marked as Markdown headings, a table row as "header: value" lines, an FAQ's answer.
  std::string body;
  std::optional<FaqPair> faq;  // set for kFaq
  // SHA-256 (hex) of everything above except updated_at: importing the same content twice
  // changes nothing.
  std::string content_hash;
};

struct Chunk {
  std::string doc_id;
  int ordinal = 0;           // 0, 1, ... within its document
  std::string heading_path;  // "退货政策 > 七天无理由退货", "" when the chunk has no heading
  std::string text;          // what a reply shows and cites
};

}  // namespace kefu::kb
