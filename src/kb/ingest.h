// Ingest: files and catalog products -> KbDocument -> Chunk.
//
//   KEFU_ASSIGN_OR_RETURN(std::vector<std::string> files, ListImportFiles({"data/demo/policies"}));
//   IngestOptions options{.root = "data/demo", .category = "policy"};
//   for (const std::string& file : files) {
//     Result<std::vector<KbDocument>> docs = ParseFile(file, options);
//     if (!docs.ok()) { report(docs.status()); continue; }   // "file 'x.csv': empty"
//     for (const KbDocument& doc : *docs) {
//       std::vector<Chunk> chunks = ChunkDocument(doc, ChunkOptions{});
//       // doc.id == "policies/zh/returns.md"
//       // chunks[1].heading_path == "退换货政策 > 7 天无理由退货"
//     }
//   }
//   std::vector<KbDocument> products = CatalogDocuments(store_products, clock.NowMillis());
//
// Formats, by extension (case-insensitive):
//   .md .markdown  kMarkdown, one document; title = the first heading, else the first line.
//   .txt           kText, one document; title = the first non-empty line.
//   .html .htm     kHtml, one document: scripts, styles and tags removed, entities decoded, h1-h6
//                  turned into Markdown headings, block elements into paragraph breaks;
//                  title = <title>, else the first <h1>, else the first line.
//   .csv .tsv      kTable, one document per data row (the first row is the header): the body is
//                  "header: value" lines (empty values left out), the id "<file id>#<row>" with
//                  rows counted from 1 after the header (blank rows count but make no document),
//                  the title the first non-empty of the columns named title, name, question, 标题,
//                  名称 (case-insensitive), else the first column. CSV follows RFC 4180 quoting
//                  (quoted commas, quotes and newlines); TSV uses the same quoting with tabs.
//                  A row with fewer fields than the header is padded with empty values; a row with
//                  more is rejected (see `skipped`); a file with no good row is an error.
//   .json .jsonl   kFaq, one document per pair: a JSON array, or one object per line, of
//                  {id, question, answer, paraphrases?, category?, tags?, lang?}; title = question,
//                  body = answer, faq set. A pair without an id gets "<file id>#<entry>".
//
// Every document gets: source (the path as given; ParseBytes: the name), lang (the entry's lang,
// else options.lang, else detected by script with text::Normalize: Chinese, simplified or
// traditional, or mixed -> "zh", anything else "en"; text that is mixed only because it names
// a few Chinese words, under 10% of its letters, is "en"), category (the entry's, else
// options.category, else "faq" for FAQ pairs and "policy" otherwise), tags (options.tags then the
// entry's, without duplicates), updated_at and content_hash. A UTF-8 BOM is stripped and CRLF / CR
// become LF.
//
// Errors are kInvalidArgument with the file in the message ("file 'faq.jsonl': line 3: ...")
// unless noted: an empty or blank file ("empty"), a binary file (NUL bytes or mostly control
// characters), a file over max_file_bytes (refused by its size before reading), invalid UTF-8
// (with the byte offset), an unsupported extension (listing the supported ones), malformed CSV or
// JSON (with the line), an FAQ pair without a question or answer (naming the entry), a missing
// file (kNotFound).
//
// Thread-safety: every function here may be called from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "kb/document.h"
#include "store/store.h"

namespace kefu::kb {

struct IngestOptions {
  // Ids are file paths relative to this directory, with forward slashes; a file outside it is
  // an error. "": the path as given.
  std::string root;
  std::string lang;      // "zh" or "en" for every document; "": detected per document
  std::string category;  // "": "faq" for FAQ pairs, "policy" for everything else
  std::vector<std::string> tags;
  // updated_at of every document, ms since the epoch. 0: ParseFile uses the file's mtime,
  // ParseBytes leaves 0.
  int64_t now_ms = 0;
  size_t max_file_bytes = 20 << 20;
};

// ".md", ".markdown", ".txt", ".html", ".htm", ".csv", ".tsv", ".json", ".jsonl".
const std::vector<std::string_view>& SupportedExtensions();

// Parses the file at `path` by its extension. Rows rejected while others were kept (CSV/TSV rows
// with too many fields) are appended to `skipped` when it is not null, one kInvalidArgument each
// naming the file and row. Returns kNotFound when `path` does not exist and kInvalidArgument as
// listed above.
Result<std::vector<KbDocument>> ParseFile(const std::string& path, const IngestOptions& options,
                                          std::vector<Status>* skipped = nullptr);

// Parses an upload. `name` is its file name or relative path: it is the document's id (and the
// base of row and entry ids) and source. `format` is an extension ("csv", ".jsonl") or ""
// to use name's extension. options.root is not used.
Result<std::vector<KbDocument>> ParseBytes(std::string_view name, std::string_view bytes,
                                           std::string_view format, const IngestOptions& options,
                                           std::vector<Status>* skipped = nullptr);

// The files to import from `paths`: each file as given, and each directory walked recursively
// (symlinked directories are not followed) for files with a supported extension, skipping hidden
// files and directories (".git", ".draft.md"). Sorted and without duplicates. Returns kNotFound
// for a path that does not exist and kInvalidArgument for a file given by name whose extension
// is not supported.
Result<std::vector<std::string>> ListImportFiles(const std::vector<std::string>& paths);

// Two kProduct documents per product, "product/<sku>/zh" and "product/<sku>/en", category
// "product", tags {product category, brand}, source "catalog", updated_at now_ms. The body lists
// name, brand, category, price, stock and attributes (a flat JSON object; a "<key>_en" value is
// used for <key> in the English document and left out of the Chinese one). attributes_json that
// is not a JSON object is left out.
std::vector<KbDocument> CatalogDocuments(const std::vector<store::Product>& products,
                                         int64_t now_ms);

// SHA-256 (hex) of a canonical serialization of every field but updated_at and content_hash.
// Tags are hashed as a set.
std::string ComputeContentHash(const KbDocument& doc);

struct ChunkOptions {
  size_t max_chars = 600;     // code points per chunk
  size_t overlap_chars = 80;  // repeated between the pieces of a split paragraph
};

// Cuts a document into chunks, ordinals from 0.
//   kMarkdown, kHtml: sections by ATX heading ("## 退货运费"; not inside ``` fences), each
//     chunk's heading_path the enclosing headings ("H1 > H2 > H3"); heading lines are not
//     repeated in the text, and a section without body text makes no chunk. Within a section,
//     paragraphs (split at blank lines) are packed up to max_chars.
//   kText: paragraphs packed the same way, no headings.
//   kFaq: "question\nanswer" (paraphrases are not included); kTable, kProduct: the body.
//     One chunk each unless over max_chars (an FAQ's later pieces start with its question).
// A paragraph over max_chars is split at sentence ends (。！？.!? and newlines), then at spaces or
// anywhere, with overlap_chars of the previous piece repeated at the start of the next.
// Chunks are trimmed and never empty; a document without text gives no chunk.
std::vector<Chunk> ChunkDocument(const KbDocument& doc, const ChunkOptions& options);

}  // namespace kefu::kb
