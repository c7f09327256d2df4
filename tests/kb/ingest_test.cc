#include "kb/ingest.h"

#include <chrono>
#include <filesystem>
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/utf8.h"
#include "test_util.h"

namespace kefu::kb {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

size_t Cps(std::string_view s) {
  return utf8::CodePointCount(s);
}

std::vector<std::string> Texts(const std::vector<Chunk>& chunks) {
  std::vector<std::string> out;
  for (const Chunk& c : chunks) {
    out.push_back(c.text);
  }
  return out;
}

std::vector<std::string> Paths(const std::vector<Chunk>& chunks) {
  std::vector<std::string> out;
  for (const Chunk& c : chunks) {
    out.push_back(c.heading_path);
  }
  return out;
}

// Every chunk is non-empty, within max_chars and numbered in order.
void ExpectWellFormed(const std::vector<Chunk>& chunks, const ChunkOptions& options) {
  for (size_t k = 0; k < chunks.size(); ++k) {
    EXPECT_EQ(chunks[k].ordinal, static_cast<int>(k));
    EXPECT_FALSE(chunks[k].text.empty());
    EXPECT_LE(Cps(chunks[k].text), options.max_chars) << chunks[k].text;
  }
}

KbDocument Doc(DocFormat format, std::string body) {
  KbDocument doc;
  doc.id = "doc";
  doc.format = format;
  doc.body = std::move(body);
  return doc;
}

class IngestTest : public ::testing::Test {
 protected:
  IngestTest() { options_.root = dir_.path().string(); }

  std::string Write(const std::string& rel, std::string_view content) {
    const std::filesystem::path path = dir_.path() / rel;
    std::filesystem::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << content;
    return path.string();
  }

  Result<std::vector<KbDocument>> Parse(const std::string& rel, std::string_view content,
                                        std::vector<Status>* skipped = nullptr) {
    return ParseFile(Write(rel, content), options_, skipped);
  }

  // The error message of parsing `content` as `rel`; "" when it parsed.
  std::string Error(const std::string& rel, std::string_view content) {
    Result<std::vector<KbDocument>> r = Parse(rel, content);
    EXPECT_FALSE(r.ok()) << rel << " parsed";
    if (r.ok()) {
      return "";
    }
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << r.status();
    return r.status().message();
  }

  testing::TempDir dir_;
  IngestOptions options_;
};

// ---- Formats

TEST(DocFormatTest, NamesRoundTrip) {
  for (DocFormat f : {DocFormat::kMarkdown, DocFormat::kText, DocFormat::kHtml, DocFormat::kTable,
                      DocFormat::kFaq, DocFormat::kProduct}) {
    EXPECT_EQ(DocFormatFromName(DocFormatName(f)), f);
  }
  EXPECT_EQ(DocFormatName(DocFormat::kFaq), "faq");
  EXPECT_EQ(DocFormatFromName("Markdown"), std::nullopt);
  EXPECT_EQ(DocFormatFromName(""), std::nullopt);
}

// ---- Markdown

constexpr std::string_view kReturnsZh =
    "# 退货政策\n"
    "\n"
    "本店商品均支持售后服务。\n"
    "\n"
    "## 七天无理由退货\n"
    "\n"
    "签收后 7 天内可申请退货。商品需完好。\n"
    "\n"
    "### 不支持的商品\n"
    "\n"
    "- 食品\n"
    "- 已激活的手机\n"
    "\n"
    "## 退货运费\n"
    "\n"
    "## 退款时效\n"
    "\n"
    "退款在 1-3 个工作日内原路退回。\n";

TEST_F(IngestTest, ZhMarkdownGetsMetadata) {
  options_.tags = {"售后", "售后", "returns"};
  options_.now_ms = 1'700'000'000'000;
  const std::string path = Write("policies/zh/returns.md", kReturnsZh);
  Result<std::vector<KbDocument>> docs = ParseFile(path, options_);
  ASSERT_OK_RESULT(docs);
  ASSERT_EQ(docs->size(), 1u);
  const KbDocument& doc = (*docs)[0];
  EXPECT_EQ(doc.id, "policies/zh/returns.md");
  EXPECT_EQ(doc.source, path);
  EXPECT_EQ(doc.title, "退货政策");
  EXPECT_EQ(doc.lang, "zh");
  EXPECT_EQ(doc.category, "policy");
  EXPECT_THAT(doc.tags, ElementsAre("售后", "returns"));
  EXPECT_EQ(doc.updated_at, 1'700'000'000'000);
  EXPECT_EQ(doc.format, DocFormat::kMarkdown);
  EXPECT_EQ(doc.content_hash, ComputeContentHash(doc));
  EXPECT_EQ(doc.content_hash.size(), 64u);
}

TEST_F(IngestTest, ZhMarkdownChunksFollowHeadings) {
  Result<std::vector<KbDocument>> docs = Parse("returns.md", kReturnsZh);
  ASSERT_OK_RESULT(docs);
  const std::vector<Chunk> chunks = ChunkDocument((*docs)[0], ChunkOptions{});
  // "## 退货运费" has no body text, so it makes no chunk.
  EXPECT_THAT(Paths(chunks),
              ElementsAre("退货政策", "退货政策 > 七天无理由退货",
                          "退货政策 > 七天无理由退货 > 不支持的商品", "退货政策 > 退款时效"));
  EXPECT_THAT(Texts(chunks),
              ElementsAre("本店商品均支持售后服务。", "签收后 7 天内可申请退货。商品需完好。",
                          "- 食品\n- 已激活的手机", "退款在 1-3 个工作日内原路退回。"));
  for (const Chunk& c : chunks) {
    EXPECT_EQ(c.doc_id, "returns.md");
    EXPECT_THAT(c.text, Not(HasSubstr("#")));
  }
}

TEST(ChunkerTest, ZhLongParagraphSplitsAtSentenceEnds) {
  const std::string body =
      "第一句话说明退货的期限是七天。第二句话说明商品必须完好无损！第三句话问运费谁出？"
      "第四句话说明质量问题由本店承担运费。";
  const ChunkOptions options{.max_chars = 26, .overlap_chars = 0};
  const std::vector<Chunk> chunks = ChunkDocument(Doc(DocFormat::kMarkdown, body), options);
  EXPECT_THAT(Texts(chunks), ElementsAre("第一句话说明退货的期限是七天。",
                                         "第二句话说明商品必须完好无损！第三句话问运费谁出？",
                                         "第四句话说明质量问题由本店承担运费。"));
  ExpectWellFormed(chunks, options);
}

TEST(ChunkerTest, OverlapRepeatsTheTailOfThePreviousPiece) {
  const std::string body = "甲乙丙丁戊己庚辛壬癸。子丑寅卯辰巳午未申酉。天地玄黄宇宙洪荒日月。";
  const ChunkOptions options{.max_chars = 16, .overlap_chars = 4};
  const std::vector<Chunk> chunks = ChunkDocument(Doc(DocFormat::kText, body), options);
  EXPECT_THAT(Texts(chunks), ElementsAre("甲乙丙丁戊己庚辛壬癸。", "辛壬癸。子丑寅卯辰巳午未申酉。",
                                         "未申酉。天地玄黄宇宙洪荒日月。"));
  ExpectWellFormed(chunks, options);
}

TEST(ChunkerTest, EnglishOverlapKeepsTheSpaceBetweenSentences) {
  const std::string body = "Returns are free. Refunds take three days. Ask us anything.";
  const ChunkOptions options{.max_chars = 40, .overlap_chars = 6};
  const std::vector<Chunk> chunks = ChunkDocument(Doc(DocFormat::kText, body), options);
  EXPECT_THAT(Texts(chunks), ElementsAre("Returns are free.", "free. Refunds take three days.",
                                         "days. Ask us anything."));
  ExpectWellFormed(chunks, options);
}

TEST(ChunkerTest, TextWithoutSentenceEndsIsHardSplit) {
  const std::string body(100, 'x');
  const ChunkOptions options{.max_chars = 30, .overlap_chars = 5};
  const std::vector<Chunk> chunks = ChunkDocument(Doc(DocFormat::kText, body), options);
  ASSERT_GE(chunks.size(), 4u);
  ExpectWellFormed(chunks, options);
  size_t new_text = chunks[0].text.size();
  for (size_t k = 1; k < chunks.size(); ++k) {
    new_text += chunks[k].text.size() - 5;
  }
  EXPECT_EQ(new_text, 100u);  // every x once, plus exactly 5 repeated per later piece
}

TEST(ChunkerTest, EnglishHardSplitKeepsWordsWhole) {
  const std::string body =
      "alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike november";
  const ChunkOptions options{.max_chars = 24, .overlap_chars = 0};
  const std::vector<Chunk> chunks = ChunkDocument(Doc(DocFormat::kText, body), options);
  ExpectWellFormed(chunks, options);
  std::string joined;
  for (const Chunk& c : chunks) {
    EXPECT_NE(c.text.front(), ' ');
    joined += (joined.empty() ? "" : " ") + c.text;
  }
  EXPECT_EQ(joined, body);
}

TEST(ChunkerTest, DecimalPointDoesNotEndASentence) {
  const std::string body = "The X5 has a 6.67 inch screen and weighs 0.2 kg. It ships today.";
  const ChunkOptions options{.max_chars = 50, .overlap_chars = 0};
  EXPECT_THAT(Texts(ChunkDocument(Doc(DocFormat::kText, body), options)),
              ElementsAre("The X5 has a 6.67 inch screen and weighs 0.2 kg.", "It ships today."));
}

TEST(ChunkerTest, ParagraphsArePackedUpToMaxChars) {
  const std::string body = "aaaa aaaa\n\nbbbb bbbb\n\ncccc cccc\n\ndddd";
  const ChunkOptions options{.max_chars = 20, .overlap_chars = 0};
  EXPECT_THAT(Texts(ChunkDocument(Doc(DocFormat::kText, body), options)),
              ElementsAre("aaaa aaaa\n\nbbbb bbbb", "cccc cccc\n\ndddd"));
}

TEST(ChunkerTest, HeadingPathDropsDeeperHeadingsAtTheSameLevel) {
  const std::string body = "# A\n## B\n### C\nc text\n## D\nd text\n# E\ne text";
  EXPECT_THAT(Paths(ChunkDocument(Doc(DocFormat::kMarkdown, body), {})),
              ElementsAre("A > B > C", "A > D", "E"));
}

TEST(ChunkerTest, HashLinesInCodeFencesAreNotHeadings) {
  const std::string body = "# Setup\n\n```bash\n# install\n\napt-get install kefu\n```\n";
  const std::vector<Chunk> chunks = ChunkDocument(Doc(DocFormat::kMarkdown, body), {});
  ASSERT_EQ(chunks.size(), 1u);
  EXPECT_EQ(chunks[0].heading_path, "Setup");
  EXPECT_EQ(chunks[0].text, "```bash\n# install\n\napt-get install kefu\n```");
}

TEST(ChunkerTest, DocumentWithoutTextHasNoChunks) {
  EXPECT_TRUE(ChunkDocument(Doc(DocFormat::kMarkdown, "# Title\n\n## Empty\n\n---\n"), {}).empty());
  EXPECT_TRUE(ChunkDocument(Doc(DocFormat::kText, " \n\n "), {}).empty());
  EXPECT_TRUE(ChunkDocument(Doc(DocFormat::kTable, ""), {}).empty());
}

TEST(ChunkerTest, NoChunkIsEmptyOrLongerThanMaxChars) {
  std::string body = "# 标题\n\n";
  for (int k = 0; k < 40; ++k) {
    body += "这是一段很长的说明文字，用来测试切分。It mixes English text too! 第" +
            std::to_string(k) + "句？\n";
  }
  body += "\n" + std::string(500, 'z') + "\n\n## 小节\n\n短段落。";
  for (size_t max : {8, 50, 120, 600}) {
    const ChunkOptions options{.max_chars = max, .overlap_chars = 40};
    const std::vector<Chunk> chunks = ChunkDocument(Doc(DocFormat::kMarkdown, body), options);
    ASSERT_FALSE(chunks.empty());
    ExpectWellFormed(chunks, options);
    EXPECT_EQ(chunks.back().heading_path, "标题 > 小节");
  }
}

// ---- Plain text

TEST_F(IngestTest, PlainTextTitleIsTheFirstLineAndHashesAreText) {
  Result<std::vector<KbDocument>> docs =
      Parse("notes/shipping.txt", "\n  Shipping times  \n\n#1 rule: ship fast.\n");
  ASSERT_OK_RESULT(docs);
  const KbDocument& doc = (*docs)[0];
  EXPECT_EQ(doc.format, DocFormat::kText);
  EXPECT_EQ(doc.title, "Shipping times");
  EXPECT_EQ(doc.lang, "en");
  EXPECT_THAT(Paths(ChunkDocument(doc, {})), ElementsAre(""));
}

TEST_F(IngestTest, LanguageIsDetectedUnlessGiven) {
  EXPECT_EQ((*Parse("a.txt", "Free shipping on orders over 99 yuan."))[0].lang, "en");
  EXPECT_EQ((*Parse("b.txt", "满99元包邮"))[0].lang, "zh");
  EXPECT_EQ((*Parse("c.txt", "我的order到哪了"))[0].lang, "zh");  // mixed
  EXPECT_EQ((*Parse("d.txt", "12345 !!!"))[0].lang, "en");        // unknown
  options_.lang = "zh-CN";
  EXPECT_EQ((*Parse("e.txt", "Free shipping"))[0].lang, "zh");
  options_.lang = "fr";
  EXPECT_THAT(Error("f.txt", "Bonjour"), HasSubstr("lang 'fr'"));
}

TEST_F(IngestTest, EnglishTextNamingChineseBrandsIsEnglish) {
  // 7 Han characters and 98 Latin letters: "mixed" for a message, English for a document.
  const std::string text =
      "# Payment\n\nWe accept Alipay (支付宝) and WeChat Pay (微信支付) for every order shipped "
      "within mainland China, and refunds go back the same way.";
  EXPECT_EQ((*Parse("pay.md", text))[0].lang, "en");
  EXPECT_EQ((*Parse("pay_zh.md", "# 支付方式\n\n支持 Alipay 和 WeChat Pay。"))[0].lang, "zh");
}

// ---- HTML

constexpr std::string_view kHelpPage = R"(<!DOCTYPE html>
<html><head><title>Help &amp; Support</title>
<style>h1 { color: red; }</style>
<script>var x = "<h1>not a heading</h1>";</script></head>
<body><!-- nav --><h1>Returns</h1>
<p>You can return items within <b>7&nbsp;days</b>.</p><p>Fees: &#165;10 &#x2014; &lt;free&gt; for members &copy;</p>
<h2 class="x">Refund <em>timing</em></h2>
<ul><li>Card: 3 days</li><li>Wallet: instant</li></ul>
<div>Questions?<br>Call us.</div>
</body></html>)";

TEST_F(IngestTest, EnglishHtmlBecomesTextWithMarkdownHeadings) {
  Result<std::vector<KbDocument>> docs = Parse("help/returns.html", kHelpPage);
  ASSERT_OK_RESULT(docs);
  const KbDocument& doc = (*docs)[0];
  EXPECT_EQ(doc.format, DocFormat::kHtml);
  EXPECT_EQ(doc.title, "Help & Support");
  EXPECT_EQ(doc.lang, "en");
  EXPECT_EQ(doc.body,
            "# Returns\n\n"
            "You can return items within 7 days.\n\n"
            "Fees: ¥10 — <free> for members ©\n\n"
            "## Refund timing\n\n"
            "- Card: 3 days\n- Wallet: instant\n\n"
            "Questions?\nCall us.");
}

TEST_F(IngestTest, HtmlHeadingsBecomeHeadingPaths) {
  Result<std::vector<KbDocument>> docs = Parse("help/returns.htm", kHelpPage);
  ASSERT_OK_RESULT(docs);
  const std::vector<Chunk> chunks = ChunkDocument((*docs)[0], {});
  EXPECT_THAT(Paths(chunks), ElementsAre("Returns", "Returns > Refund timing"));
  EXPECT_THAT(chunks[0].text, Not(HasSubstr("color")));
  EXPECT_THAT(chunks[0].text, Not(HasSubstr("not a heading")));
}

TEST_F(IngestTest, HtmlTitleFallsBackToTheFirstH1) {
  Result<std::vector<KbDocument>> docs =
      Parse("a.html", "<TITLE>  </TITLE><H2>Intro</H2><p>x</p><H1 id='t'>保修 &#x653F;策</H1>");
  ASSERT_OK_RESULT(docs);
  EXPECT_EQ((*docs)[0].title, "保修 政策");
}

TEST_F(IngestTest, HtmlWithoutTextIsAnError) {
  EXPECT_THAT(Error("a.html", "<html><script>alert(1)</script><div> </div></html>"),
              HasSubstr("no text"));
}

// ---- CSV and TSV

TEST_F(IngestTest, CsvKeepsQuotedCommasQuotesAndNewlines) {
  Result<std::vector<KbDocument>> docs =
      Parse("tables/fees.csv",
            "region,name,note\n"
            "\"Beijing, Shanghai\",Express,\"Arrives \"\"next day\"\"\nif paid by 16:00\"\n"
            "西藏,标准,\n");
  ASSERT_OK_RESULT(docs);
  ASSERT_EQ(docs->size(), 2u);
  EXPECT_EQ((*docs)[0].id, "tables/fees.csv#1");
  EXPECT_EQ((*docs)[0].format, DocFormat::kTable);
  EXPECT_EQ((*docs)[0].title, "Express");
  EXPECT_EQ((*docs)[0].body,
            "region: Beijing, Shanghai\nname: Express\nnote: Arrives \"next day\"\nif paid by "
            "16:00");
  EXPECT_EQ((*docs)[0].lang, "en");
  EXPECT_EQ((*docs)[1].id, "tables/fees.csv#2");
  EXPECT_EQ((*docs)[1].body, "region: 西藏\nname: 标准");  // empty values left out
  EXPECT_EQ((*docs)[1].lang, "zh");
}

TEST_F(IngestTest, CsvTitleComesFromATitleColumnElseTheFirstColumn) {
  Result<std::vector<KbDocument>> zh = Parse("a.csv", "编号,标题\n7,运费说明\n");
  ASSERT_OK_RESULT(zh);
  EXPECT_EQ((*zh)[0].title, "运费说明");
  Result<std::vector<KbDocument>> plain = Parse("b.csv", "sku,colour\nPH-1,black\n");
  ASSERT_OK_RESULT(plain);
  EXPECT_EQ((*plain)[0].title, "PH-1");
}

TEST_F(IngestTest, CsvRowNumbersCountBlankRows) {
  Result<std::vector<KbDocument>> docs = Parse("a.csv", "q,a\nx,1\n\ny,2\n");
  ASSERT_OK_RESULT(docs);
  ASSERT_EQ(docs->size(), 2u);
  EXPECT_EQ((*docs)[1].id, "a.csv#3");
}

TEST_F(IngestTest, CsvShortRowsArePaddedAndLongRowsRejected) {
  std::vector<Status> skipped;
  Result<std::vector<KbDocument>> docs =
      Parse("a.csv", "name,price,unit\nshort,9\nlong,1,2,3\nok,5,kg,\n", &skipped);
  ASSERT_OK_RESULT(docs);
  ASSERT_EQ(docs->size(), 2u);
  EXPECT_EQ((*docs)[0].body, "name: short\nprice: 9");
  EXPECT_EQ((*docs)[1].id, "a.csv#3");  // a trailing empty field is not "more fields"
  ASSERT_EQ(skipped.size(), 1u);
  EXPECT_EQ(skipped[0].code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(skipped[0].message(), HasSubstr("a.csv"));
  EXPECT_THAT(skipped[0].message(), HasSubstr("row 2 (line 3): 4 fields, the header has 3"));
}

TEST_F(IngestTest, CsvWithOnlyBadRowsIsAnError) {
  const std::string message = Error("a.csv", "a,b\n1,2,3\n4,5,6\n");
  EXPECT_THAT(message, HasSubstr("no valid rows (2 rejected)"));
  EXPECT_THAT(message, HasSubstr("row 1"));
}

TEST_F(IngestTest, CsvUnterminatedQuoteNamesTheLine) {
  EXPECT_THAT(Error("a.csv", "a,b\n1,2\n3,\"open\nnever closed\n"),
              HasSubstr("line 3: unterminated quoted field"));
}

TEST_F(IngestTest, CsvWithOnlyAHeaderIsAnError) {
  EXPECT_THAT(Error("a.csv", "a,b\n\n"), HasSubstr("no data rows"));
}

TEST_F(IngestTest, TsvSplitsOnTabsOnly) {
  Result<std::vector<KbDocument>> docs =
      Parse("rates.tsv", "地区\t运费\t备注\n新疆, 西藏\t20\t\"含\t税\"\n");
  ASSERT_OK_RESULT(docs);
  ASSERT_EQ(docs->size(), 1u);
  EXPECT_EQ((*docs)[0].body, "地区: 新疆, 西藏\n运费: 20\n备注: 含\t税");
  EXPECT_EQ((*docs)[0].title, "新疆, 西藏");
}

TEST_F(IngestTest, TableRowIsOneChunkWithItsHeaderNames) {
  Result<std::vector<KbDocument>> docs =
      Parse("a.csv", "question,answer\n几天发货？,48 小时内。\n");
  ASSERT_OK_RESULT(docs);
  const std::vector<Chunk> chunks = ChunkDocument((*docs)[0], {});
  ASSERT_EQ(chunks.size(), 1u);
  EXPECT_EQ(chunks[0].text, "question: 几天发货？\nanswer: 48 小时内。");
  EXPECT_EQ(chunks[0].doc_id, "a.csv#1");
}

// ---- FAQ

constexpr std::string_view kFaqZhTw =
    R"({"id": "faq-tw-1", "question": "退貨運費由誰負擔？", "answer": "七天無理由退貨由買家負擔運費。", )"
    R"("paraphrases": ["退貨要付運費嗎", "寄回運費"], "category": "售後", "tags": ["退貨"]})"
    "\n\n"
    R"({"question": "多久可以退款？", "answer": "驗貨後一至三個工作日。", "lang": "zh-TW"})"
    "\n";

TEST_F(IngestTest, TraditionalChineseFaqJsonl) {
  options_.tags = {"faq"};
  Result<std::vector<KbDocument>> docs = Parse("faq/zh_tw.jsonl", kFaqZhTw);
  ASSERT_OK_RESULT(docs);
  ASSERT_EQ(docs->size(), 2u);
  const KbDocument& first = (*docs)[0];
  EXPECT_EQ(first.id, "faq-tw-1");
  EXPECT_EQ(first.format, DocFormat::kFaq);
  EXPECT_EQ(first.title, "退貨運費由誰負擔？");
  EXPECT_EQ(first.body, "七天無理由退貨由買家負擔運費。");
  EXPECT_EQ(first.lang, "zh");
  EXPECT_EQ(first.category, "售後");
  EXPECT_THAT(first.tags, ElementsAre("faq", "退貨"));
  ASSERT_TRUE(first.faq.has_value());
  EXPECT_THAT(first.faq->paraphrases, ElementsAre("退貨要付運費嗎", "寄回運費"));
  EXPECT_EQ((*docs)[1].id, "faq/zh_tw.jsonl#2");
  EXPECT_EQ((*docs)[1].category, "faq");
  EXPECT_EQ((*docs)[1].lang, "zh");
}

TEST_F(IngestTest, FaqChunkIsQuestionAndAnswerWithoutParaphrases) {
  Result<std::vector<KbDocument>> docs = Parse("faq.jsonl", kFaqZhTw);
  ASSERT_OK_RESULT(docs);
  const std::vector<Chunk> chunks = ChunkDocument((*docs)[0], {});
  ASSERT_EQ(chunks.size(), 1u);
  EXPECT_EQ(chunks[0].text, "退貨運費由誰負擔？\n七天無理由退貨由買家負擔運費。");
}

TEST_F(IngestTest, FaqJsonArrayWithNumericIdsAndEnglish) {
  Result<std::vector<KbDocument>> docs = Parse(
      "faq.json",
      R"([{"id": 12, "question": "How long does shipping take?", "answer": "Two days.\r\nUsually."},
          {"question": "Can I pay by card?", "answer": "Yes.", "tags": "payment"}])");
  ASSERT_OK_RESULT(docs);
  ASSERT_EQ(docs->size(), 2u);
  EXPECT_EQ((*docs)[0].id, "12");
  EXPECT_EQ((*docs)[0].lang, "en");
  EXPECT_EQ((*docs)[0].body, "Two days.\nUsually.");
  EXPECT_EQ((*docs)[1].id, "faq.json#2");
  EXPECT_THAT((*docs)[1].tags, ElementsAre("payment"));
}

TEST_F(IngestTest, LongFaqAnswerPiecesStartWithTheQuestion) {
  KbDocument doc = Doc(DocFormat::kFaq, "");
  doc.faq = FaqPair{"运费？", "第一句很长的回答内容在这里。第二句也很长的回答内容在这里。", {}};
  const ChunkOptions options{.max_chars = 20, .overlap_chars = 0};
  const std::vector<Chunk> chunks = ChunkDocument(doc, options);
  EXPECT_THAT(Texts(chunks), ElementsAre("运费？\n第一句很长的回答内容在这里。",
                                         "运费？\n第二句也很长的回答内容在这里。"));
  ExpectWellFormed(chunks, options);
}

TEST_F(IngestTest, MalformedJsonlNamesTheLine) {
  const std::string message = Error(
      "faq.jsonl", "{\"question\": \"q\", \"answer\": \"a\"}\n\n{\"question\": \"q2\", \"answer\n");
  EXPECT_THAT(message, HasSubstr("faq.jsonl"));
  EXPECT_THAT(message, HasSubstr("line 3: invalid JSON"));
}

TEST_F(IngestTest, MalformedJsonArrayNamesTheLine) {
  EXPECT_THAT(Error("faq.json", "[\n{\"question\": \"q\",\n  \"answer\": oops}\n]"),
              HasSubstr("line 3"));
  EXPECT_THAT(Error("faq.json", R"({"question": "q", "answer": "a"})"),
              HasSubstr("expected a JSON array"));
}

TEST_F(IngestTest, FaqEntryWithoutAnswerIsNamed) {
  EXPECT_THAT(Error("faq.json", R"([{"question": "q", "answer": "a"}, {"question": "q2"}])"),
              HasSubstr("entry 2: missing answer"));
  EXPECT_THAT(Error("faq.jsonl", R"({"id": "x9", "question": " ", "answer": "a"})"),
              HasSubstr("line 1 (id 'x9'): missing question"));
  EXPECT_THAT(Error("faq.jsonl", R"({"question": 5, "answer": "a"})"),
              HasSubstr("'question' is not a string"));
}

TEST_F(IngestTest, FaqDuplicateIdAndBadLangAreErrors) {
  EXPECT_THAT(Error("faq.jsonl",
                    "{\"id\": \"a\", \"question\": \"q\", \"answer\": \"x\"}\n"
                    "{\"id\": \"a\", \"question\": \"q2\", \"answer\": \"y\"}\n"),
              HasSubstr("line 2: duplicate id 'a', first used by line 1"));
  EXPECT_THAT(Error("faq.jsonl", R"({"question": "q", "answer": "a", "lang": "ja"})"),
              HasSubstr("lang 'ja' is not zh or en"));
}

// ---- Catalog

store::Product Phone() {
  store::Product p;
  p.id = 1;
  p.sku = "PH-0001";
  p.category = "phones";
  p.brand = "星河";
  p.name_zh = "星河 X5 智能手机";
  p.name_en = "Xinghe X5 Smartphone";
  p.price_cents = 299905;
  p.attributes_json = R"({"colour": "曜石黑", "colour_en": "Obsidian Black", "network": "5G",
                          "screen_inches": 6.67})";
  p.stock = 120;
  return p;
}

TEST(CatalogTest, EachProductMakesAZhAndAnEnDocument) {
  const std::vector<KbDocument> docs = CatalogDocuments({Phone()}, 42);
  ASSERT_EQ(docs.size(), 2u);
  const KbDocument& zh = docs[0];
  EXPECT_EQ(zh.id, "product/PH-0001/zh");
  EXPECT_EQ(zh.lang, "zh");
  EXPECT_EQ(zh.title, "星河 X5 智能手机");
  EXPECT_EQ(zh.category, "product");
  EXPECT_EQ(zh.source, "catalog");
  EXPECT_EQ(zh.format, DocFormat::kProduct);
  EXPECT_EQ(zh.updated_at, 42);
  EXPECT_THAT(zh.tags, ElementsAre("phones", "星河"));
  EXPECT_EQ(zh.body,
            "名称：星河 X5 智能手机\n品牌：星河\n类别：phones\n价格：¥2999.05\n库存：有货\n"
            "colour：曜石黑\nnetwork：5G\nscreen_inches：6.67");
  const KbDocument& en = docs[1];
  EXPECT_EQ(en.id, "product/PH-0001/en");
  EXPECT_EQ(en.lang, "en");
  EXPECT_EQ(en.body,
            "Name: Xinghe X5 Smartphone\nBrand: 星河\nCategory: phones\n"
            "Price: ¥2999.05 (2999.05 yuan)\nStock: in stock\n"
            "colour: Obsidian Black\nnetwork: 5G\nscreen_inches: 6.67");
  EXPECT_EQ(en.content_hash, ComputeContentHash(en));
  EXPECT_NE(en.content_hash, zh.content_hash);
}

TEST(CatalogTest, OutOfStockAndBadAttributes) {
  store::Product p = Phone();
  p.stock = 0;
  p.price_cents = 5;
  p.attributes_json = "not json";
  const std::vector<KbDocument> docs = CatalogDocuments({p}, 0);
  EXPECT_THAT(docs[0].body, HasSubstr("价格：¥0.05\n库存：缺货"));
  EXPECT_THAT(docs[0].body, Not(HasSubstr("colour")));
  EXPECT_THAT(docs[1].body, HasSubstr("Stock: out of stock"));
}

TEST(CatalogTest, StockCountDoesNotChangeTheHash) {
  store::Product p = Phone();
  const std::string before = CatalogDocuments({p}, 1)[1].content_hash;
  p.stock = 7;
  EXPECT_EQ(CatalogDocuments({p}, 2)[1].content_hash, before);
  p.price_cents += 100;
  EXPECT_NE(CatalogDocuments({p}, 2)[1].content_hash, before);
}

TEST(CatalogTest, ProductIsOneChunk) {
  const std::vector<Chunk> chunks = ChunkDocument(CatalogDocuments({Phone()}, 0)[1], {});
  ASSERT_EQ(chunks.size(), 1u);
  EXPECT_EQ(chunks[0].doc_id, "product/PH-0001/en");
  EXPECT_THAT(chunks[0].text, HasSubstr("Price: ¥2999.05"));
}

// ---- Content hash

TEST_F(IngestTest, ContentHashIgnoresUpdatedAtOnly) {
  options_.now_ms = 1;
  const KbDocument a = (*Parse("a.md", "# T\n\nbody"))[0];
  options_.now_ms = 2;
  const KbDocument b = (*Parse("a.md", "# T\n\nbody"))[0];
  EXPECT_NE(a.updated_at, b.updated_at);
  EXPECT_EQ(a.content_hash, b.content_hash);
  EXPECT_NE((*Parse("a.md", "# T\n\nbody!"))[0].content_hash, a.content_hash);
  KbDocument c = a;
  c.tags = {"y", "x"};
  KbDocument d = a;
  d.tags = {"x", "y"};
  EXPECT_EQ(ComputeContentHash(c), ComputeContentHash(d));
  EXPECT_NE(ComputeContentHash(c), a.content_hash);
  c.faq = FaqPair{"q", "a", {"p"}};
  EXPECT_NE(ComputeContentHash(c), ComputeContentHash(d));
}

TEST_F(IngestTest, UpdatedAtIsTheFileMtimeUnlessNowIsGiven) {
  const std::string path = Write("a.md", "# T\n\nbody");
  const auto mtime = std::filesystem::file_time_type::clock::now() - std::chrono::hours(48);
  std::filesystem::last_write_time(path, mtime);
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  Result<std::vector<KbDocument>> docs = ParseFile(path, options_);
  ASSERT_OK_RESULT(docs);
  EXPECT_EQ((*docs)[0].updated_at,
            int64_t{st.st_mtim.tv_sec} * 1000 + st.st_mtim.tv_nsec / 1'000'000);
}

// ---- Bad input

TEST_F(IngestTest, EmptyFilesAreErrors) {
  EXPECT_THAT(Error("a.md", ""), HasSubstr("file '"));
  EXPECT_THAT(Error("a.md", ""), HasSubstr("a.md': empty"));
  EXPECT_THAT(Error("b.txt", "\xEF\xBB\xBF"), HasSubstr("empty"));
  EXPECT_THAT(Error("c.csv", " \n\t\n"), HasSubstr("empty"));
}

TEST_F(IngestTest, BinaryFilesAreErrors) {
  EXPECT_THAT(Error("a.md", std::string("PK\x03\x04\0\0abc", 9)),
              HasSubstr("binary file (NUL byte at offset 4)"));
  EXPECT_THAT(Error("b.txt", "\x01\x02\x03\x04\x05\x06 text \x07\x08\x0e\x0f"),
              HasSubstr("binary file"));
  EXPECT_THAT(Error("c.txt", "\xFF\xFEh\0i\0"), HasSubstr("UTF-16"));
}

TEST_F(IngestTest, InvalidUtf8NamesTheByteOffset) {
  EXPECT_THAT(Error("a.md", "# 标题\n\xC0\xAF bad"),
              HasSubstr("a.md': invalid UTF-8 at byte offset 9"));
  EXPECT_THAT(Error("b.txt", "\xD4\xCB\xB7\xD1"), HasSubstr("offset 0"));  // GBK "运费"
}

TEST_F(IngestTest, HugeFileIsRefusedBySizeWithoutReadingIt) {
  const std::string path = Write("huge.md", "");
  ASSERT_EQ(::truncate(path.c_str(), 50 << 20), 0);  // sparse: 50 MB of NULs, no disk used
  const auto start = std::chrono::steady_clock::now();
  Result<std::vector<KbDocument>> r = ParseFile(path, options_);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("huge.md': too large: 52428800 bytes"));
  EXPECT_LT(elapsed, std::chrono::milliseconds(50));
}

TEST_F(IngestTest, ParseBytesEnforcesTheSizeLimit) {
  options_.max_file_bytes = 8;
  Result<std::vector<KbDocument>> r = ParseBytes("a.txt", "123456789", "", options_);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("too large: 9 bytes, the limit is 8"));
}

TEST_F(IngestTest, UnknownExtensionListsTheSupportedOnes) {
  const std::string message = Error("manual.pdf", "%PDF-1.4");
  EXPECT_THAT(message, HasSubstr("manual.pdf': unsupported format '.pdf'"));
  EXPECT_THAT(message, HasSubstr(".md, .markdown, .txt, .html, .htm, .csv, .tsv, .json, .jsonl"));
  EXPECT_THAT(Error("README", "text"), HasSubstr("no file extension"));
}

TEST_F(IngestTest, MissingFileIsNotFound) {
  Result<std::vector<KbDocument>> r = ParseFile(dir_.File("nope.md"), options_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(r.status().message(), HasSubstr("nope.md"));
}

TEST_F(IngestTest, FileOutsideTheRootIsAnError) {
  const std::string path = Write("a.md", "x");
  options_.root = (dir_.path() / "sub").string();
  std::filesystem::create_directories(options_.root);
  Result<std::vector<KbDocument>> r = ParseFile(path, options_);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("outside the import root"));
}

TEST_F(IngestTest, BomIsStrippedAndCrlfBecomesLf) {
  Result<std::vector<KbDocument>> docs =
      Parse("a.md", "\xEF\xBB\xBF# 标题\r\n\r\n正文\r第二行\r\n");
  ASSERT_OK_RESULT(docs);
  EXPECT_EQ((*docs)[0].title, "标题");
  EXPECT_EQ((*docs)[0].body, "# 标题\n\n正文\n第二行");
  Result<std::vector<KbDocument>> csv = Parse("a.csv", "\xEF\xBB\xBFname,v\r\nx,1\r\n");
  ASSERT_OK_RESULT(csv);
  EXPECT_EQ((*csv)[0].body, "name: x\nv: 1");
}

// ---- ParseBytes and ListImportFiles

TEST(ParseBytesTest, UsesTheNameAsIdAndTheFormatHint) {
  IngestOptions options;
  options.now_ms = 5;
  Result<std::vector<KbDocument>> docs =
      ParseBytes("uploads\\rates.dat", "a\tb\n1\t2\n", "TSV", options);
  ASSERT_OK_RESULT(docs);
  EXPECT_EQ((*docs)[0].id, "uploads/rates.dat#1");
  EXPECT_EQ((*docs)[0].source, "uploads\\rates.dat");
  EXPECT_EQ((*docs)[0].body, "a: 1\nb: 2");
  EXPECT_EQ((*docs)[0].updated_at, 5);
  Result<std::vector<KbDocument>> bad = ParseBytes("x.md", "text", "docx", options);
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("unsupported format '.docx'"));
}

TEST_F(IngestTest, ListImportFilesWalksDirectoriesSorted) {
  Write("kb/zh/b.md", "x");
  Write("kb/a.CSV", "x");
  Write("kb/faq.jsonl", "x");
  Write("kb/image.png", "x");
  Write("kb/.draft.md", "x");
  Write("kb/.git/config.txt", "x");
  Write("kb/zh/.hidden/c.md", "x");
  const std::string single = Write("one.txt", "x");
  Result<std::vector<std::string>> files =
      ListImportFiles({dir_.File("kb"), single, dir_.File("kb/faq.jsonl")});
  ASSERT_OK_RESULT(files);
  const std::string kb = dir_.File("kb");
  EXPECT_THAT(*files, ElementsAre(kb + "/a.CSV", kb + "/faq.jsonl", kb + "/zh/b.md", single));
}

TEST_F(IngestTest, ListImportFilesRejectsMissingPathsAndUnsupportedFiles) {
  Result<std::vector<std::string>> missing = ListImportFiles({dir_.File("nope")});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  Result<std::vector<std::string>> pdf = ListImportFiles({Write("x.pdf", "x")});
  ASSERT_FALSE(pdf.ok());
  EXPECT_EQ(pdf.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(pdf.status().message(), HasSubstr("supported: .md"));
}

TEST(DemoDataTest, ShippedPoliciesParseAndChunk) {
  IngestOptions options;
  options.root = testing::SourceDataDir() + "/demo";
  Result<std::vector<std::string>> files = ListImportFiles({options.root + "/policies"});
  ASSERT_OK_RESULT(files);
  ASSERT_GE(files->size(), 14u);
  for (const std::string& file : *files) {
    Result<std::vector<KbDocument>> docs = ParseFile(file, options);
    ASSERT_OK_RESULT(docs);
    const KbDocument& doc = (*docs)[0];
    EXPECT_EQ(doc.lang, doc.id.starts_with("policies/zh/") ? "zh" : "en") << doc.id;
    EXPECT_FALSE(doc.title.empty()) << doc.id;
    const std::vector<Chunk> chunks = ChunkDocument(doc, ChunkOptions{});
    ASSERT_GE(chunks.size(), 2u) << doc.id;
    ExpectWellFormed(chunks, ChunkOptions{});
    if (doc.id == "policies/zh/returns.md") {  // the example in kb/ingest.h
      EXPECT_EQ(chunks[1].heading_path, "退换货政策 > 7 天无理由退货");
    }
  }
}

}  // namespace
}  // namespace kefu::kb
