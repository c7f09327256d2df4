#include "nlu/word_vectors.h"

#include <cmath>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "test_util.h"
#include "text/normalize.h"

namespace kefu::nlu {
namespace {

using Vec = std::vector<float>;

// A word2vec binary file: "count dims\n", then each word, a space and dims float32s, '\n'.
void WriteBinary(const std::string& path, const std::vector<std::pair<std::string, Vec>>& rows) {
  std::ofstream out(path, std::ios::binary);
  out << rows.size() << ' ' << rows.front().second.size() << '\n';
  for (const auto& [w, v] : rows) {
    out << w << ' ';
    out.write(reinterpret_cast<const char*>(v.data()), std::streamsize(v.size() * sizeof(float)));
    out << '\n';
  }
}

void WriteText(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

const std::vector<std::pair<std::string, Vec>> kRows = {
    {"三安", {1, 0, 0}},  {"三安光电", {0, 3, 0}}, {"光电", {0, 0, 1}},
    {"股价", {0, 0, 2}},  {"的", {1, 1, 0}},       {"stock", {0, 1, 1}},
    {"price", {4, 0, 0}}, {"三安", {9, 9, 9}},  // repeated: the first vector stays
};

TEST(WordVectorsTest, ReadsWord2VecBinaryAndNormalizesRows) {
  testing::TempDir dir;
  WriteBinary(dir.File("v.bin"), kRows);
  Result<std::shared_ptr<const WordVectors>> v = WordVectors::Load(dir.File("v.bin"));
  ASSERT_OK_RESULT(v);
  EXPECT_EQ((*v)->dims(), 3u);
  EXPECT_EQ((*v)->size(), 7u);
  EXPECT_EQ((*v)->pooled_dims(), 6u);
  Vec pooled(6);
  ASSERT_EQ((*v)->Pool("price", pooled.data()), 1u);
  EXPECT_EQ(pooled, (Vec{1, 0, 0, 1, 0, 0}));  // unit length; max of one vector is itself
  ASSERT_EQ((*v)->Pool("三安", pooled.data()), 1u);
  EXPECT_EQ(pooled, (Vec{1, 0, 0, 1, 0, 0}));  // the first of the two rows
}

TEST(WordVectorsTest, ReadsWord2VecTextAndGloveText) {
  testing::TempDir dir;
  WriteText(dir.File("w2v.txt"), "2 3\nrefund 0 2 0\nbill 0 0 0.5\n");
  WriteText(dir.File("glove.txt"), "refund 0 2 0\r\nbill 0 0 0.5\r\n\n");
  for (const char* f : {"w2v.txt", "glove.txt"}) {
    Result<std::shared_ptr<const WordVectors>> v = WordVectors::Load(dir.File(f));
    ASSERT_OK_RESULT(v);
    EXPECT_EQ((*v)->dims(), 3u) << f;
    EXPECT_EQ((*v)->size(), 2u) << f;
    Vec pooled(6);
    ASSERT_EQ((*v)->Pool("Refund the bill", pooled.data()), 2u) << f;
    const float h = float(1 / std::sqrt(2.0));
    EXPECT_NEAR(pooled[1], h, 1e-6) << f;
    EXPECT_NEAR(pooled[2], h, 1e-6) << f;
    EXPECT_EQ(pooled[4], 1.f) << f;
    EXPECT_EQ(pooled[5], 1.f) << f;
  }
  // max_words keeps the first words of the file.
  Result<std::shared_ptr<const WordVectors>> first = WordVectors::Load(dir.File("glove.txt"), 1);
  ASSERT_OK_RESULT(first);
  EXPECT_EQ((*first)->size(), 1u);
  EXPECT_EQ((*first)->Words("refund the bill"), std::vector<std::string>{"refund"});
}

TEST(WordVectorsTest, BadFilesAreClearErrors) {
  testing::TempDir dir;
  EXPECT_EQ(WordVectors::Load(dir.File("missing.vec")).status().code(), StatusCode::kNotFound);
  WriteText(dir.File("empty.txt"), "");
  WriteText(dir.File("ragged.txt"), "a 1 2 3\nb 1 2\n");
  WriteText(dir.File("words.txt"), "just some words\n");
  WriteText(dir.File("header_only.txt"), "3 100\n");
  WriteText(dir.File("huge_dims.txt"), "1 100000\na 1\n");
  for (const char* f :
       {"empty.txt", "ragged.txt", "words.txt", "header_only.txt", "huge_dims.txt"}) {
    Result<std::shared_ptr<const WordVectors>> v = WordVectors::Load(dir.File(f));
    EXPECT_EQ(v.status().code(), StatusCode::kInvalidArgument) << f;
  }
  // A binary file cut inside a row keeps the whole rows before it.
  WriteBinary(dir.File("v.bin"), kRows);
  std::ifstream in(dir.File("v.bin"), std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), {});
  WriteText(dir.File("cut.bin"), bytes.substr(0, bytes.size() - 5));
  Result<std::shared_ptr<const WordVectors>> cut = WordVectors::Load(dir.File("cut.bin"));
  ASSERT_OK_RESULT(cut);
  EXPECT_EQ((*cut)->size(), 7u);  // the last row was the repeated word
}

TEST(WordVectorsTest, SplitsHanRunsByLongestKnownWordAndLatinWordsWhole) {
  testing::TempDir dir;
  WriteBinary(dir.File("v.bin"), kRows);
  auto v = std::move(*WordVectors::Load(dir.File("v.bin")));
  using W = std::vector<std::string>;
  EXPECT_EQ(v->Words("三安光电的股价"), (W{"三安光电", "的", "股价"}));
  // An unknown character is skipped; the match restarts after it.
  EXPECT_EQ(v->Words("三安光电嗯股价"), (W{"三安光电", "股价"}));
  EXPECT_EQ(v->Words("三安光"), (W{"三安"}));
  // Latin words whole and lowercased, digits part of a word; punctuation and emoji skipped.
  EXPECT_EQ(v->Words("STOCK price? 😀 stocks price2"), (W{"stock", "price"}));
  EXPECT_EQ(v->Words(text::Normalize("三安光電的股價").text), (W{"三安光电", "的", "股价"}));
  EXPECT_TRUE(v->Words("").empty());
  EXPECT_TRUE(v->Words("\xff\xfe 嗯").empty());  // invalid bytes are skipped, not read past
  Vec pooled(6, 7.f);
  EXPECT_EQ(v->Pool("嗯嗯 ???", pooled.data()), 0u);
  EXPECT_EQ(pooled, Vec(6, 0.f));
  // The mean is scaled to unit length; the max is per dimension.
  ASSERT_EQ(v->Pool("三安光电 光电", pooled.data()), 2u);
  const float h = float(1 / std::sqrt(2.0));
  EXPECT_NEAR(pooled[0], 0, 1e-6);
  EXPECT_NEAR(pooled[1], h, 1e-6);
  EXPECT_NEAR(pooled[2], h, 1e-6);
  EXPECT_EQ((Vec{pooled[3], pooled[4], pooled[5]}), (Vec{0, 1, 1}));
}

TEST(WordVectorsTest, WriteAndReadRoundTrip) {
  testing::TempDir dir;
  WriteBinary(dir.File("v.bin"), kRows);
  auto v = std::move(*WordVectors::Load(dir.File("v.bin")));
  std::stringstream s;
  v->Write(s);
  Result<std::shared_ptr<const WordVectors>> back = WordVectors::Read(s, "stream");
  ASSERT_OK_RESULT(back);
  EXPECT_EQ((*back)->size(), v->size());
  EXPECT_EQ((*back)->Words("三安光电的股价 stock"), v->Words("三安光电的股价 stock"));
  Vec a(6), b(6);
  v->Pool("三安的 price", a.data());
  (*back)->Pool("三安的 price", b.data());
  EXPECT_EQ(a, b);
  // Cut short or not a vector section: an error, not a partial table.
  const std::string bytes = s.str();
  std::stringstream cut(bytes.substr(0, bytes.size() - 3));
  EXPECT_EQ(WordVectors::Read(cut, "cut").status().code(), StatusCode::kInvalidArgument);
  std::stringstream other("KEFUINT4........");
  EXPECT_EQ(WordVectors::Read(other, "other").status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace kefu::nlu
