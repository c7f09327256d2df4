// File bytes -> KbDocument: the checks every file passes (size, binary, UTF-8), then one parser
// per format. ingest.cc holds the rest of kb/ingest.h (file listing, catalog, content hash).
#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>
#include <sys/stat.h>

#include "core/strings.h"
#include "core/utf8.h"
#include "kb/ingest.h"
#include "text/normalize.h"

namespace kefu::kb {
namespace {

using nlohmann::json;

enum class SourceKind { kMarkdown, kText, kHtml, kCsv, kTsv, kJson, kJsonl };

struct KindByExtension {
  std::string_view extension;
  SourceKind kind;
};

constexpr KindByExtension kKinds[] = {
    {".md", SourceKind::kMarkdown}, {".markdown", SourceKind::kMarkdown},
    {".txt", SourceKind::kText},    {".html", SourceKind::kHtml},
    {".htm", SourceKind::kHtml},    {".csv", SourceKind::kCsv},
    {".tsv", SourceKind::kTsv},     {".json", SourceKind::kJson},
    {".jsonl", SourceKind::kJsonl},
};

// Only the start of a long document is used to detect its language: enough to count scripts,
// and Normalize() stays cheap on a 20 MB file.
constexpr size_t kLangSampleBytes = 8192;
// A file is binary when more than 1 in kBinaryControlRatio of its first kBinarySampleBytes are
// control characters other than white space.
constexpr size_t kBinarySampleBytes = 8192;
constexpr size_t kBinaryControlRatio = 10;
constexpr size_t kMaxTitleCodePoints = 100;
// Text that DetectLanguage calls mixed is English when Han characters are fewer than this share
// of Han characters and Latin letters.
constexpr size_t kMinHanPercent = 10;

// What every parser below reads.
struct Input {
  std::string id;      // the document id, and the base of row and entry ids
  std::string source;  // KbDocument::source
  std::string text;    // checked, BOM stripped, LF line ends
  SourceKind kind = SourceKind::kText;
};

Status FileError(std::string_view file, std::string_view what) {
  return InvalidArgumentError("file '" + std::string(file) + "': " + std::string(what));
}

char ToLowerAscii(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

std::string ToLowerAscii(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    c = ToLowerAscii(c);
  }
  return out;
}

std::string SupportedList() {
  std::string out;
  for (std::string_view ext : SupportedExtensions()) {
    out += out.empty() ? "" : ", ";
    out += ext;
  }
  return out;
}

// ".md" for "a/b.MD", "" when there is none.
std::string ExtensionOf(std::string_view name) {
  const size_t slash = name.find_last_of("/\\");
  const std::string_view base = slash == std::string_view::npos ? name : name.substr(slash + 1);
  const size_t dot = base.rfind('.');
  if (dot == std::string_view::npos || dot == 0) {
    return "";
  }
  return ToLowerAscii(base.substr(dot));
}

Result<SourceKind> KindFor(std::string_view name, std::string_view format) {
  std::string ext = format.empty() ? ExtensionOf(name) : ToLowerAscii(format);
  if (!ext.empty() && ext.front() != '.') {
    ext.insert(ext.begin(), '.');
  }
  for (const KindByExtension& k : kKinds) {
    if (k.extension == ext) {
      return k.kind;
    }
  }
  const std::string what = ext.empty() ? "no file extension" : "unsupported format '" + ext + "'";
  return FileError(name, what + "; supported: " + SupportedList());
}

std::optional<size_t> FirstInvalidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    char32_t cp = 0;
    const size_t n = utf8::DecodeAt(s, i, cp);
    if (n == 0) {
      return i;
    }
    i += n;
  }
  return std::nullopt;
}

std::string NormalizeNewlines(std::string_view s) {
  if (s.find('\r') == std::string_view::npos) {
    return std::string(s);
  }
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\r') {
      out += '\n';
      if (i + 1 < s.size() && s[i + 1] == '\n') {
        ++i;
      }
    } else {
      out += s[i];
    }
  }
  return out;
}

// The checks every file passes; returns its text without BOM and with LF line ends.
Result<std::string> CheckText(std::string_view file, std::string_view bytes, size_t max_bytes) {
  if (bytes.size() > max_bytes) {
    return FileError(file, "too large: " + std::to_string(bytes.size()) + " bytes, the limit is " +
                               std::to_string(max_bytes));
  }
  constexpr std::string_view kBom = "\xEF\xBB\xBF";
  const size_t start = bytes.starts_with(kBom) ? kBom.size() : 0;
  if (bytes.size() == start) {
    return FileError(file, "empty");
  }
  if (bytes.starts_with("\xFF\xFE") || bytes.starts_with("\xFE\xFF")) {
    return FileError(file, "UTF-16 is not supported; save the file as UTF-8");
  }
  if (const size_t nul = bytes.find('\0'); nul != std::string_view::npos) {
    return FileError(file, "binary file (NUL byte at offset " + std::to_string(nul) + ")");
  }
  const std::string_view sample = bytes.substr(0, kBinarySampleBytes);
  const auto controls = std::count_if(sample.begin(), sample.end(), [](char c) {
    const auto b = static_cast<uint8_t>(c);
    return (b < 0x20 && !IsAsciiSpace(c)) || b == 0x7F;
  });
  if (static_cast<size_t>(controls) * kBinaryControlRatio > sample.size()) {
    return FileError(file, "binary file (mostly control characters)");
  }
  if (std::optional<size_t> bad = FirstInvalidUtf8(bytes)) {
    return FileError(file, "invalid UTF-8 at byte offset " + std::to_string(*bad));
  }
  std::string text = NormalizeNewlines(bytes.substr(start));
  if (TrimAsciiSpace(text).empty()) {
    return FileError(file, "empty (only white space)");
  }
  return text;
}

// "zh", "en" or "" for "", else nullopt. "zh-TW", "zh_Hant", "EN-us" are accepted.
std::optional<std::string> CanonicalLang(std::string_view lang) {
  const std::string lower = ToLowerAscii(TrimAsciiSpace(lang));
  if (lower.empty()) {
    return "";
  }
  for (std::string_view code : {"zh", "en"}) {
    if (lower == code || lower.starts_with(std::string(code) + "-") ||
        lower.starts_with(std::string(code) + "_")) {
      return std::string(code);
    }
  }
  return std::nullopt;
}

std::string DetectLang(std::string_view text) {
  size_t n = std::min(text.size(), kLangSampleBytes);
  while (n > 0 && n < text.size() && (static_cast<uint8_t>(text[n]) & 0xC0) == 0x80) {
    --n;  // do not cut a code point
  }
  const text::NormalizedText normalized = text::Normalize(text.substr(0, n));
  if (normalized.lang != text::Language::kMixed) {
    return text::PrimaryLanguage(normalized.lang) == text::Language::kZh ? "zh" : "en";
  }
  // kMixed is tuned for a shopper's short message, where any Chinese means a Chinese reply. An
  // English policy that names a few Chinese brands or payment methods is still English.
  size_t han = 0;
  size_t latin = 0;
  for (char32_t cp : utf8::Decode(normalized.text)) {
    han += utf8::IsHan(cp) ? 1 : 0;
    latin += (cp >= U'a' && cp <= U'z') || (cp >= U'A' && cp <= U'Z') ? 1 : 0;
  }
  return han * 100 < (han + latin) * kMinHanPercent ? "en" : "zh";
}

// At most kMaxTitleCodePoints of the first non-blank line.
std::string FirstLine(std::string_view text) {
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) {
      end = text.size();
    }
    const std::string_view line = TrimAsciiSpace(text.substr(pos, end - pos));
    if (!line.empty()) {
      std::u32string cps = utf8::Decode(line);
      if (cps.size() > kMaxTitleCodePoints) {
        cps.resize(kMaxTitleCodePoints);
      }
      return utf8::Encode(cps);
    }
    pos = end + 1;
  }
  return "";
}

void AddTags(const std::vector<std::string>& tags, std::vector<std::string>& out) {
  for (const std::string& tag : tags) {
    const std::string_view t = TrimAsciiSpace(tag);
    if (!t.empty() && std::find(out.begin(), out.end(), t) == out.end()) {
      out.emplace_back(t);
    }
  }
}

KbDocument NewDocument(const Input& in, std::string id, DocFormat format,
                       const IngestOptions& options) {
  KbDocument doc;
  doc.id = std::move(id);
  doc.source = in.source;
  doc.format = format;
  doc.category =
      options.category.empty() ? (format == DocFormat::kFaq ? "faq" : "policy") : options.category;
  AddTags(options.tags, doc.tags);
  doc.updated_at = options.now_ms;
  return doc;
}

// Fills lang (`lang` when set, else detected) and content_hash.
void Finish(KbDocument& doc, const std::string& lang) {
  doc.lang =
      lang.empty() ? DetectLang(doc.title + "\n" + doc.body.substr(0, kLangSampleBytes)) : lang;
  doc.content_hash = ComputeContentHash(doc);
}

// A braced list would copy the document (and its body) out of the initializer_list.
std::vector<KbDocument> OneDocument(KbDocument doc) {
  std::vector<KbDocument> docs;
  docs.push_back(std::move(doc));
  return docs;
}

// ---- Markdown and text

// The text of an ATX heading line ("## 退货运费 ##" -> "退货运费"), nullopt for other lines.
std::optional<std::string_view> AtxHeading(std::string_view line) {
  size_t i = 0;
  while (i < line.size() && i < 3 && line[i] == ' ') {
    ++i;
  }
  size_t hashes = 0;
  while (i + hashes < line.size() && line[i + hashes] == '#') {
    ++hashes;
  }
  if (hashes == 0 || hashes > 6) {
    return std::nullopt;
  }
  std::string_view rest = line.substr(i + hashes);
  if (!rest.empty() && rest.front() != ' ' && rest.front() != '\t') {
    return std::nullopt;  // "#hashtag"
  }
  rest = TrimAsciiSpace(rest);
  while (!rest.empty() && rest.back() == '#') {
    rest.remove_suffix(1);
  }
  return TrimAsciiSpace(rest);
}

bool IsFence(std::string_view line) {
  const std::string_view t = TrimAsciiSpace(line);
  return t.starts_with("```") || t.starts_with("~~~");
}

std::string MarkdownTitle(std::string_view text) {
  bool in_fence = false;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) {
      end = text.size();
    }
    const std::string_view line = text.substr(pos, end - pos);
    if (IsFence(line)) {
      in_fence = !in_fence;
    } else if (!in_fence) {
      if (std::optional<std::string_view> h = AtxHeading(line); h && !h->empty()) {
        return std::string(*h);
      }
    }
    pos = end + 1;
  }
  return FirstLine(text);
}

Result<std::vector<KbDocument>> ParseMarkdownOrText(const Input& in, const IngestOptions& options) {
  const bool markdown = in.kind == SourceKind::kMarkdown;
  KbDocument doc =
      NewDocument(in, in.id, markdown ? DocFormat::kMarkdown : DocFormat::kText, options);
  doc.title = markdown ? MarkdownTitle(in.text) : FirstLine(in.text);
  doc.body = std::string(TrimAsciiSpace(in.text));
  Finish(doc, options.lang);
  return OneDocument(std::move(doc));
}

// ---- HTML

// Case-insensitive find of `lower_needle` (lower-case ASCII) in `hay` from `from`.
size_t FindCaseless(std::string_view hay, std::string_view lower_needle, size_t from) {
  if (lower_needle.size() > hay.size()) {
    return std::string_view::npos;
  }
  for (size_t i = from; i + lower_needle.size() <= hay.size(); ++i) {
    size_t k = 0;
    while (k < lower_needle.size() && ToLowerAscii(hay[i + k]) == lower_needle[k]) {
      ++k;
    }
    if (k == lower_needle.size()) {
      return i;
    }
  }
  return std::string_view::npos;
}

struct NamedEntity {
  std::string_view name;
  char32_t cp;
};

// The common named entities; others are left as text.
constexpr NamedEntity kNamedEntities[] = {
    {"amp", U'&'},    {"lt", U'<'},     {"gt", U'>'},     {"quot", U'"'},   {"apos", U'\''},
    {"nbsp", U' '},   {"ensp", U' '},   {"emsp", U' '},   {"thinsp", U' '}, {"copy", U'©'},
    {"reg", U'®'},    {"trade", U'™'},  {"hellip", U'…'}, {"mdash", U'—'},  {"ndash", U'–'},
    {"lsquo", U'‘'},  {"rsquo", U'’'},  {"ldquo", U'“'},  {"rdquo", U'”'},  {"laquo", U'«'},
    {"raquo", U'»'},  {"middot", U'·'}, {"bull", U'•'},   {"times", U'×'},  {"divide", U'÷'},
    {"yen", U'¥'},    {"euro", U'€'},   {"pound", U'£'},  {"cent", U'¢'},   {"deg", U'°'},
    {"plusmn", U'±'}, {"sect", U'§'},   {"para", U'¶'},   {"larr", U'←'},   {"rarr", U'→'},
};

// Decodes the entity at s[i] == '&' into `out`; returns the bytes consumed, 0 when it is not an
// entity (the '&' is then plain text). Numeric entities may omit the ';' as browsers allow.
size_t DecodeEntity(std::string_view s, size_t i, std::string& out) {
  size_t j = i + 1;
  if (j < s.size() && s[j] == '#') {
    ++j;
    const bool hex = j < s.size() && (s[j] == 'x' || s[j] == 'X');
    j += hex ? 1 : 0;
    const size_t digits_start = j;
    uint64_t cp = 0;
    while (j < s.size() && j - digits_start < 8 &&
           (hex ? std::isxdigit(static_cast<unsigned char>(s[j]))
                : std::isdigit(static_cast<unsigned char>(s[j])))) {
      const char c = ToLowerAscii(s[j]);
      cp = cp * (hex ? 16 : 10) + static_cast<uint64_t>(c <= '9' ? c - '0' : c - 'a' + 10);
      ++j;
    }
    if (j == digits_start) {
      return 0;
    }
    if (j < s.size() && s[j] == ';') {
      ++j;
    }
    const bool valid = cp != 0 && cp <= 0x10FFFF && !(cp >= 0xD800 && cp <= 0xDFFF);
    utf8::AppendCodePoint(valid ? static_cast<char32_t>(cp) : U'\uFFFD', out);
    return j - i;
  }
  while (j < s.size() && j - i <= 10 && std::isalnum(static_cast<unsigned char>(s[j]))) {
    ++j;
  }
  if (j == i + 1 || j >= s.size() || s[j] != ';') {
    return 0;
  }
  const std::string_view name = s.substr(i + 1, j - i - 1);
  for (const NamedEntity& e : kNamedEntities) {
    if (e.name == name) {
      utf8::AppendCodePoint(e.cp, out);
      return j + 1 - i;
    }
  }
  return 0;
}

std::string DecodeEntities(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '&') {
      if (const size_t n = DecodeEntity(s, i, out); n > 0) {
        i += n - 1;
        continue;
      }
    }
    out += s[i];
  }
  return out;
}

// Runs of white space (including U+00A0 from &nbsp;) become one space; the ends are trimmed.
std::string CollapseSpaces(std::string_view s) {
  std::string out;
  bool space = false;
  for (size_t i = 0; i < s.size(); ++i) {
    const bool nbsp = s.substr(i).starts_with("\xC2\xA0");
    if (IsAsciiSpace(s[i]) || nbsp) {
      space = true;
      i += nbsp ? 1 : 0;
      continue;
    }
    if (space && !out.empty()) {
      out += ' ';
    }
    space = false;
    out += s[i];
  }
  return out;
}

bool IsBlockTag(std::string_view tag) {
  static constexpr std::string_view kBlocks[] = {
      "address",    "article", "aside",  "blockquote", "body",   "caption", "center",
      "dd",         "details", "dialog", "div",        "dl",     "dt",      "fieldset",
      "figcaption", "figure",  "footer", "form",       "header", "hr",      "html",
      "main",       "nav",     "ol",     "p",          "pre",    "section", "summary",
      "table",      "tbody",   "thead",  "tfoot",      "ul",     "tr",      "li"};
  return std::find(std::begin(kBlocks), std::end(kBlocks), tag) != std::end(kBlocks);
}

// HTML -> text with Markdown headings. Not a conforming HTML parser: it tokenizes tags,
// comments and raw-text elements well enough for help-centre pages and exported articles.
class HtmlConverter {
 public:
  explicit HtmlConverter(std::string_view html) : html_(html) {}

  void Run() {
    size_t i = 0;
    while (i < html_.size()) {
      if (html_[i] == '<') {
        if (const size_t next = Tag(i); next != 0) {
          i = next;
          continue;
        }
      }
      if (html_[i] == '&') {
        std::string decoded;
        if (const size_t n = DecodeEntity(html_, i, decoded); n > 0) {
          Text(decoded);
          i += n;
          continue;
        }
      }
      Text(html_.substr(i, 1));
      ++i;
    }
    EndHeading();
  }

  // Lines trimmed, at most one blank line in a row.
  std::string Body() const {
    std::string body;
    size_t pos = 0;
    bool blank = false;
    while (pos <= out_.size()) {
      size_t end = out_.find('\n', pos);
      if (end == std::string::npos) {
        end = out_.size();
      }
      const std::string line = CollapseSpaces(std::string_view(out_).substr(pos, end - pos));
      if (line.empty()) {
        blank = !body.empty();
      } else {
        body += blank ? "\n\n" : (body.empty() ? "" : "\n");
        body += line;
        blank = false;
      }
      pos = end + 1;
    }
    return body;
  }

  std::string Title() const { return title_.empty() ? first_h1_ : title_; }

 private:
  // Handles the markup at html_[i] == '<'; returns where to continue, 0 when it is text.
  size_t Tag(size_t i) {
    if (html_.substr(i).starts_with("<!--")) {
      const size_t end = html_.find("-->", i + 4);
      return end == std::string_view::npos ? html_.size() : end + 3;
    }
    size_t j = i + 1;
    if (j < html_.size() && (html_[j] == '!' || html_[j] == '?')) {
      const size_t end = html_.find('>', j);
      return end == std::string_view::npos ? html_.size() : end + 1;
    }
    const bool closing = j < html_.size() && html_[j] == '/';
    j += closing ? 1 : 0;
    const size_t name_start = j;
    while (j < html_.size() && std::isalnum(static_cast<unsigned char>(html_[j]))) {
      ++j;
    }
    if (j == name_start || !std::isalpha(static_cast<unsigned char>(html_[name_start]))) {
      return 0;  // "a < b"
    }
    const std::string name = ToLowerAscii(html_.substr(name_start, j - name_start));
    char quote = 0;  // skip attributes; '>' inside a quoted value does not end the tag
    while (j < html_.size() && (quote != 0 || html_[j] != '>')) {
      if (quote != 0 && html_[j] == quote) {
        quote = 0;
      } else if (quote == 0 && (html_[j] == '"' || html_[j] == '\'')) {
        quote = html_[j];
      }
      ++j;
    }
    const size_t after = j < html_.size() ? j + 1 : html_.size();
    if (!closing && (name == "script" || name == "style" || name == "noscript" ||
                     name == "template" || name == "title")) {
      // Raw text up to the matching end tag.
      const size_t end = FindCaseless(html_, "</" + name, after);
      const size_t stop = end == std::string_view::npos ? html_.size() : end;
      if (name == "title" && title_.empty()) {
        title_ = CollapseSpaces(DecodeEntities(html_.substr(after, stop - after)));
      }
      if (end == std::string_view::npos) {
        return html_.size();
      }
      const size_t close = html_.find('>', end);
      return close == std::string_view::npos ? html_.size() : close + 1;
    }
    Element(name, closing);
    return after;
  }

  void Element(const std::string& name, bool closing) {
    if (name.size() == 2 && name[0] == 'h' && name[1] >= '1' && name[1] <= '6') {
      if (!closing && heading_level_ == 0) {
        Break(2);
        heading_level_ = name[1] - '0';
        heading_start_ = out_.size();
      } else if (closing) {
        EndHeading();
      }
      return;
    }
    if (name == "br") {
      out_ += '\n';
    } else if (name == "li" && !closing) {
      Break(1);
      out_ += "- ";
    } else if (name == "tr") {
      Break(1);
      cells_ = 0;
    } else if ((name == "td" || name == "th") && !closing) {
      out_ += cells_++ > 0 ? " | " : "";
    } else if (name == "pre") {
      Break(2);
      pre_depth_ += closing ? -1 : 1;
      pre_depth_ = std::max(pre_depth_, 0);
    } else if (IsBlockTag(name)) {
      Break(name == "li" ? 1 : 2);
    }
  }

  void EndHeading() {
    if (heading_level_ == 0) {
      return;
    }
    const std::string heading = CollapseSpaces(std::string_view(out_).substr(heading_start_));
    out_.resize(heading_start_);
    if (!heading.empty()) {
      out_ += std::string(static_cast<size_t>(heading_level_), '#') + " " + heading;
      if (heading_level_ == 1 && first_h1_.empty()) {
        first_h1_ = heading;
      }
    }
    heading_level_ = 0;
    Break(2);
  }

  // Ensures the output ends with `n` line breaks (none at the very start).
  void Break(int n) {
    while (!out_.empty() && (out_.back() == ' ' || out_.back() == '\t')) {
      out_.pop_back();
    }
    if (out_.empty()) {
      return;
    }
    int have = 0;
    for (size_t k = out_.size(); k > 0 && out_[k - 1] == '\n'; --k) {
      ++have;
    }
    for (; have < n; ++have) {
      out_ += '\n';
    }
  }

  void Text(std::string_view s) {
    for (char c : s) {
      if (pre_depth_ > 0 || !IsAsciiSpace(c)) {
        out_ += c;
      } else if (!out_.empty() && out_.back() != ' ' && out_.back() != '\n') {
        out_ += ' ';
      }
    }
  }

  std::string_view html_;
  std::string out_;
  std::string title_;
  std::string first_h1_;
  int heading_level_ = 0;  // inside <hN> when > 0
  size_t heading_start_ = 0;
  int pre_depth_ = 0;
  int cells_ = 0;
};

Result<std::vector<KbDocument>> ParseHtml(const Input& in, const IngestOptions& options) {
  HtmlConverter converter(in.text);
  converter.Run();
  KbDocument doc = NewDocument(in, in.id, DocFormat::kHtml, options);
  doc.body = converter.Body();
  if (doc.body.empty()) {
    return FileError(in.source, "no text after removing HTML markup");
  }
  doc.title = converter.Title();
  if (doc.title.empty()) {
    doc.title = MarkdownTitle(doc.body);
  }
  Finish(doc, options.lang);
  return OneDocument(std::move(doc));
}

// ---- CSV and TSV

struct Record {
  std::vector<std::string> fields;
  int line = 0;  // where the record starts, from 1
};

// RFC 4180: fields in double quotes may hold separators, newlines and "" for a quote. Lenient
// where the RFC is strict: a quote inside an unquoted field, or text after a closing quote, is
// kept as text. An unterminated quote is an error.
Result<std::vector<Record>> SplitRecords(std::string_view file, std::string_view text, char sep) {
  std::vector<Record> records;
  size_t i = 0;
  int line = 1;
  while (i < text.size()) {
    Record record;
    record.line = line;
    while (true) {
      std::string field;
      if (i < text.size() && text[i] == '"') {
        const int quote_line = line;
        ++i;
        while (true) {
          if (i >= text.size()) {
            return FileError(file,
                             "line " + std::to_string(quote_line) + ": unterminated quoted field");
          }
          if (text[i] == '"') {
            if (i + 1 < text.size() && text[i + 1] == '"') {
              field += '"';
              i += 2;
              continue;
            }
            ++i;
            break;
          }
          line += text[i] == '\n' ? 1 : 0;
          field += text[i++];
        }
      }
      while (i < text.size() && text[i] != sep && text[i] != '\n') {
        field += text[i++];
      }
      record.fields.push_back(std::move(field));
      if (i < text.size() && text[i] == sep) {
        ++i;
        continue;
      }
      break;
    }
    if (i < text.size()) {  // at '\n'
      ++i;
      ++line;
    }
    records.push_back(std::move(record));
  }
  return records;
}

bool IsBlankRecord(const Record& r) {
  return std::all_of(r.fields.begin(), r.fields.end(),
                     [](const std::string& f) { return TrimAsciiSpace(f).empty(); });
}

bool IsTitleColumn(std::string_view header) {
  const std::string h = ToLowerAscii(TrimAsciiSpace(header));
  return h == "title" || h == "name" || h == "question" || h == "标题" || h == "名称";
}

Result<std::vector<KbDocument>> ParseTable(const Input& in, const IngestOptions& options,
                                           std::vector<Status>* skipped) {
  KEFU_ASSIGN_OR_RETURN(std::vector<Record> records,
                        SplitRecords(in.source, in.text, in.kind == SourceKind::kTsv ? '\t' : ','));
  auto first = std::find_if_not(records.begin(), records.end(), IsBlankRecord);
  if (first == records.end()) {
    return FileError(in.source, "empty");
  }
  std::vector<std::string> headers;
  for (size_t c = 0; c < first->fields.size(); ++c) {
    const std::string_view h = TrimAsciiSpace(first->fields[c]);
    headers.push_back(h.empty() ? "column " + std::to_string(c + 1) : std::string(h));
  }
  std::vector<KbDocument> docs;
  std::vector<std::string> rejected;  // "row 3 (line 4): ..."
  int row = 0;
  for (auto it = first + 1; it != records.end(); ++it) {
    ++row;
    std::vector<std::string>& fields = it->fields;
    if (IsBlankRecord(*it)) {
      continue;
    }
    while (fields.size() > headers.size() && TrimAsciiSpace(fields.back()).empty()) {
      fields.pop_back();  // trailing separators
    }
    if (fields.size() > headers.size()) {
      rejected.push_back("row " + std::to_string(row) + " (line " + std::to_string(it->line) +
                         "): " + std::to_string(fields.size()) + " fields, the header has " +
                         std::to_string(headers.size()));
      continue;
    }
    fields.resize(headers.size());
    KbDocument doc = NewDocument(in, in.id + "#" + std::to_string(row), DocFormat::kTable, options);
    for (size_t c = 0; c < headers.size(); ++c) {
      const std::string_view value = TrimAsciiSpace(fields[c]);
      if (value.empty()) {
        continue;
      }
      doc.body += (doc.body.empty() ? "" : "\n") + headers[c] + ": " + std::string(value);
      if (doc.title.empty() && IsTitleColumn(headers[c])) {
        doc.title = FirstLine(value);
      }
    }
    if (doc.title.empty()) {
      const auto value = std::find_if(fields.begin(), fields.end(), [](const std::string& f) {
        return !TrimAsciiSpace(f).empty();
      });
      doc.title = FirstLine(*value);
    }
    Finish(doc, options.lang);
    docs.push_back(std::move(doc));
  }
  if (docs.empty()) {
    return FileError(in.source, rejected.empty()
                                    ? "no data rows"
                                    : "no valid rows (" + std::to_string(rejected.size()) +
                                          " rejected); first: " + rejected.front());
  }
  if (skipped != nullptr) {
    for (const std::string& what : rejected) {
      skipped->push_back(FileError(in.source, what));
    }
  }
  return docs;
}

// ---- FAQ (JSON array, JSONL)

// nlohmann's message without its "[json.exception.parse_error.101] " prefix.
std::string JsonMessage(const json::exception& e) {
  std::string_view what = e.what();
  if (const size_t close = what.find("] "); what.starts_with("[json.") && close != what.npos) {
    what.remove_prefix(close + 2);
  }
  return std::string(what);
}

// Reads an optional string field; an error when it is present with another type.
Result<std::string> StringField(const json& entry, const char* key, std::string_view label) {
  const auto it = entry.find(key);
  if (it == entry.end() || it->is_null()) {
    return std::string();
  }
  if (!it->is_string()) {
    return InvalidArgumentError(std::string(label) + ": '" + key + "' is not a string");
  }
  return std::string(TrimAsciiSpace(NormalizeNewlines(it->get<std::string>())));
}

Result<std::vector<std::string>> StringListField(const json& entry, const char* key,
                                                 std::string_view label) {
  std::vector<std::string> out;
  const auto it = entry.find(key);
  if (it == entry.end() || it->is_null()) {
    return out;
  }
  if (it->is_string()) {  // one tag
    if (const std::string_view s = TrimAsciiSpace(it->get_ref<const std::string&>()); !s.empty()) {
      out.emplace_back(s);
    }
    return out;
  }
  if (!it->is_array()) {
    return InvalidArgumentError(std::string(label) + ": '" + key + "' is not a list of strings");
  }
  for (const json& v : *it) {
    if (!v.is_string()) {
      return InvalidArgumentError(std::string(label) + ": '" + key + "' is not a list of strings");
    }
    const std::string_view s = TrimAsciiSpace(v.get_ref<const std::string&>());
    if (!s.empty()) {
      out.push_back(NormalizeNewlines(s));
    }
  }
  return out;
}

// One FAQ pair. `label` names it in errors ("entry 3", "line 7"); `number` is its position.
Result<KbDocument> FaqDocument(const Input& in, const json& entry, std::string label, int number,
                               const IngestOptions& options) {
  if (!entry.is_object()) {
    return InvalidArgumentError(label + ": not a JSON object");
  }
  std::string id;
  if (const auto it = entry.find("id"); it != entry.end() && !it->is_null()) {
    if (it->is_string()) {
      id = std::string(TrimAsciiSpace(it->get<std::string>()));
    } else if (it->is_number_integer()) {
      id = it->dump();
    } else {
      return InvalidArgumentError(label + ": 'id' is not a string or integer");
    }
  }
  if (!id.empty()) {
    label += " (id '" + id + "')";
  }
  FaqPair faq;
  KEFU_ASSIGN_OR_RETURN(faq.question, StringField(entry, "question", label));
  KEFU_ASSIGN_OR_RETURN(faq.answer, StringField(entry, "answer", label));
  if (faq.question.empty() || faq.answer.empty()) {
    return InvalidArgumentError(label + ": missing " +
                                (faq.question.empty() ? "question" : "answer"));
  }
  KEFU_ASSIGN_OR_RETURN(faq.paraphrases, StringListField(entry, "paraphrases", label));
  KEFU_ASSIGN_OR_RETURN(std::string category, StringField(entry, "category", label));
  KEFU_ASSIGN_OR_RETURN(std::vector<std::string> tags, StringListField(entry, "tags", label));
  KEFU_ASSIGN_OR_RETURN(std::string lang_field, StringField(entry, "lang", label));
  const std::optional<std::string> lang = CanonicalLang(lang_field);
  if (!lang) {
    return InvalidArgumentError(label + ": lang '" + lang_field + "' is not zh or en");
  }

  KbDocument doc = NewDocument(in, id.empty() ? in.id + "#" + std::to_string(number) : id,
                               DocFormat::kFaq, options);
  if (!category.empty()) {
    doc.category = category;
  }
  AddTags(tags, doc.tags);
  doc.title = faq.question;
  doc.body = faq.answer;
  doc.faq = std::move(faq);
  Finish(doc, lang->empty() ? options.lang : *lang);
  return doc;
}

Result<std::vector<KbDocument>> ParseFaq(const Input& in, const IngestOptions& options) {
  std::vector<KbDocument> docs;
  std::map<std::string, std::string, std::less<>> labels_by_id;  // for duplicate ids
  auto add = [&](const json& entry, const std::string& label, int number) -> Status {
    Result<KbDocument> doc = FaqDocument(in, entry, label, number, options);
    if (!doc.ok()) {
      return doc.status();
    }
    const auto [it, inserted] = labels_by_id.emplace(doc->id, label);
    if (!inserted) {
      return InvalidArgumentError(label + ": duplicate id '" + doc->id + "', first used by " +
                                  it->second);
    }
    docs.push_back(std::move(doc).value());
    return OkStatus();
  };
  try {
    if (in.kind == SourceKind::kJson) {
      const json all = json::parse(in.text);
      if (!all.is_array()) {
        return FileError(in.source, "expected a JSON array of FAQ pairs");
      }
      int number = 0;
      for (const json& entry : all) {
        ++number;
        if (Status s = add(entry, "entry " + std::to_string(number), number); !s.ok()) {
          return FileError(in.source, s.message());
        }
      }
    } else {
      size_t pos = 0;
      int line_no = 0;
      int number = 0;
      while (pos < in.text.size()) {
        size_t end = in.text.find('\n', pos);
        if (end == std::string::npos) {
          end = in.text.size();
        }
        const std::string_view line =
            TrimAsciiSpace(std::string_view(in.text).substr(pos, end - pos));
        pos = end + 1;
        ++line_no;
        if (line.empty()) {
          continue;
        }
        const std::string label = "line " + std::to_string(line_no);
        json entry;
        try {
          entry = json::parse(line);
        } catch (const json::parse_error& e) {
          return FileError(in.source, label + ": invalid JSON: " + JsonMessage(e));
        }
        if (Status s = add(entry, label, ++number); !s.ok()) {
          return FileError(in.source, s.message());
        }
      }
    }
  } catch (const json::exception& e) {
    return FileError(in.source, "invalid JSON: " + JsonMessage(e));
  }
  if (docs.empty()) {
    return FileError(in.source, "no FAQ pairs");
  }
  return docs;
}

Result<std::vector<KbDocument>> Parse(Input in, std::string_view bytes,
                                      const IngestOptions& options, std::vector<Status>* skipped) {
  if (!CanonicalLang(options.lang)) {
    return FileError(in.source, "lang '" + options.lang + "' is not zh or en");
  }
  IngestOptions canonical = options;
  canonical.lang = *CanonicalLang(options.lang);
  KEFU_ASSIGN_OR_RETURN(in.text, CheckText(in.source, bytes, options.max_file_bytes));
  switch (in.kind) {
    case SourceKind::kMarkdown:
    case SourceKind::kText:
      return ParseMarkdownOrText(in, canonical);
    case SourceKind::kHtml:
      return ParseHtml(in, canonical);
    case SourceKind::kCsv:
    case SourceKind::kTsv:
      return ParseTable(in, canonical, skipped);
    case SourceKind::kJson:
    case SourceKind::kJsonl:
      return ParseFaq(in, canonical);
  }
  return InternalError("unhandled source kind");
}

// `path` relative to `root` with forward slashes; the path as given when root is "".
Result<std::string> DocumentId(const std::string& path, const std::string& root) {
  namespace fs = std::filesystem;
  if (root.empty()) {
    std::string id = fs::path(path).lexically_normal().generic_string();
    return id.starts_with("./") ? id.substr(2) : id;
  }
  std::error_code ec;
  const fs::path rel = fs::relative(path, root, ec);
  const std::string id = rel.generic_string();
  if (ec || id.empty() || id == "." || id.starts_with("../") || id == "..") {
    return FileError(path, "outside the import root '" + root + "'");
  }
  return id;
}

}  // namespace

const std::vector<std::string_view>& SupportedExtensions() {
  static const std::vector<std::string_view> kExtensions = [] {
    std::vector<std::string_view> out;
    for (const KindByExtension& k : kKinds) {
      out.push_back(k.extension);
    }
    return out;
  }();
  return kExtensions;
}

Result<std::vector<KbDocument>> ParseBytes(std::string_view name, std::string_view bytes,
                                           std::string_view format, const IngestOptions& options,
                                           std::vector<Status>* skipped) {
  Input in;
  in.id = std::string(name);
  std::replace(in.id.begin(), in.id.end(), '\\', '/');
  in.source = std::string(name);
  KEFU_ASSIGN_OR_RETURN(in.kind, KindFor(name, format));
  return Parse(std::move(in), bytes, options, skipped);
}

Result<std::vector<KbDocument>> ParseFile(const std::string& path, const IngestOptions& options,
                                          std::vector<Status>* skipped) {
  Input in;
  in.source = path;
  KEFU_ASSIGN_OR_RETURN(in.kind, KindFor(path, ""));
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT || errno == ENOTDIR) {
      return NotFoundError("file '" + path + "': not found");
    }
    return FileError(path, std::strerror(errno));
  }
  if (S_ISDIR(st.st_mode)) {
    return FileError(path, "is a directory");
  }
  if (!S_ISREG(st.st_mode)) {
    return FileError(path, "not a regular file");
  }
  // Refused by its size alone: a huge upload is never read.
  const auto size = static_cast<uint64_t>(st.st_size);
  if (size > options.max_file_bytes) {
    return FileError(path, "too large: " + std::to_string(size) + " bytes, the limit is " +
                               std::to_string(options.max_file_bytes));
  }
  KEFU_ASSIGN_OR_RETURN(in.id, DocumentId(path, options.root));
  std::ifstream file(path, std::ios::binary);
  std::string bytes(static_cast<size_t>(size), '\0');
  if (!file || !file.read(bytes.data(), static_cast<std::streamsize>(bytes.size()))) {
    if (!file.eof()) {
      return FileError(path, std::string("cannot read: ") + std::strerror(errno));
    }
    bytes.resize(static_cast<size_t>(file.gcount()));  // shrank since stat
  }
  IngestOptions with_time = options;
  if (with_time.now_ms == 0) {
    with_time.now_ms =
        static_cast<int64_t>(st.st_mtim.tv_sec) * 1000 + st.st_mtim.tv_nsec / 1'000'000;
  }
  return Parse(std::move(in), bytes, with_time, skipped);
}

}  // namespace kefu::kb
