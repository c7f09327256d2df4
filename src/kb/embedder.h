// kb/ dense side: text -> unit-length vectors, so that the dot product of two embeddings is their
// cosine similarity. Two backends share one interface: kefu's own fastText skipgram embedding,
// trained on the shop's text, and any OpenAI-compatible /v1/embeddings server.
//
//   EmbeddingTrainOptions train;                          // dim 64, seed fixed, one thread
//   KEFU_RETURN_IF_ERROR(TrainEmbedding(corpus_texts, train, "models/kb.emb"));
//   KEFU_ASSIGN_OR_RETURN(std::unique_ptr<Embedder> emb, LoadEmbedding("models/kb.emb"));
//   KEFU_ASSIGN_OR_RETURN(std::vector<float> a, emb->Embed("退款多久到账"));
//   KEFU_ASSIGN_OR_RETURN(std::vector<float> b, emb->Embed("退钱什么时候能到"));
//   double sim = Cosine(a, b);                            // in [-1, 1]
//
//   OpenAiEmbedderOptions remote{.base_url = "http://127.0.0.1:8000/v1", .model = "bge-m3"};
//   KEFU_ASSIGN_OR_RETURN(std::unique_ptr<Embedder> big, NewOpenAiEmbedder(remote));
//
// The own embedding reads text the way the lexical side does: text::Normalize (full-width,
// traditional -> simplified, lower case), then text::Segment (friso words); punctuation and emoji
// are dropped, digit runs longer than 4 become one placeholder. A sentence vector is the SIF-
// weighted mean (Arora et al., ICLR 2017: weight a / (a + p(word)), p from the training corpus
// counts) of its word vectors, minus its projection on the corpus's first principal component(s),
// L2-normalized. A word never seen in training gets the mean of its trained character n-grams
// (fastText subwords) when at least half of them were trained, and contributes nothing otherwise.
#pragma once

#include <chrono>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "text/segmenter.h"

namespace kefu::kb {

// Turns text into a fixed-size vector. Thread-safe: every method is const and one instance serves
// all sessions.
class Embedder {
 public:
  virtual ~Embedder() = default;

  // Length of every vector this embedder returns. An OpenAI embedder created with dim 0 reports
  // 0 until its first successful response.
  virtual int dim() const = 0;

  // A vector of dim() floats with L2 norm 1, or all zeros when the text has no content the model
  // knows (empty, only punctuation or emoji, only unseen words without known n-grams).
  // The own embedding never fails. A remote one returns kUnavailable (cannot connect, 5xx),
  // kDeadlineExceeded (timeout, 408, 504), kUnauthenticated (401), kPermissionDenied (403),
  // kNotFound (404), kResourceExhausted (429), kInvalidArgument (other 4xx), kInternal (a
  // malformed response) or kFailedPrecondition (vectors of another length than dim()); its
  // message names the URL, the HTTP status and the server's error message.
  virtual Result<std::vector<float>> Embed(std::string_view text) const = 0;

  // One vector per text, in order. The default calls Embed() for each and stops at the first
  // error; the OpenAI embedder sends up to max_batch texts per request.
  virtual Result<std::vector<std::vector<float>>> EmbedBatch(
      std::span<const std::string> texts) const;

  // Whether EmbedTokens works: true for the own embedding, which reads text as the lexical side
  // does, false for a remote one.
  virtual bool takes_tokens() const { return false; }
  // Embed() of a text the caller has already normalized and segmented (the tokens of
  // text::Segment(text::Normalize(text).text), of one or more pieces of text in order): the same
  // vector, without normalizing and segmenting again. kUnimplemented when !takes_tokens().
  virtual Result<std::vector<float>> EmbedTokens(std::span<const text::Token> tokens) const;

  // Identifies the model, e.g. "fasttext-skipgram-d64" or "openai:bge-m3". Vectors from
  // embedders with different names must not be mixed in one index.
  virtual std::string name() const = 0;
};

// Cosine similarity of two vectors of the same length; 0 when either is all zeros.
// REQUIRES: a.size() == b.size()
double Cosine(std::span<const float> a, std::span<const float> b);

// Scales `v` to unit L2 norm in place; leaves an all-zero (or non-finite) vector as zeros.
void L2Normalize(std::span<float> v);

struct EmbeddingTrainOptions {
  // fastText skipgram parameters. thread is always 1, so that equal inputs give equal models.
  int dim = 64;
  int epoch = 10;
  int min_count = 1;  // words seen fewer times get no own vector, only their n-grams
  int minn = 2;       // character n-gram lengths, counted in code points including the '<' and
  int maxn = 4;       // '>' word boundaries; 0 and 0 turns subwords off
  int window = 5;
  int negatives = 5;
  double learning_rate = 0.05;
  // Frequent-word subsampling threshold (fastText's -t): a word making up a share f > t of the
  // corpus is skipped with probability about 1 - sqrt(t / f). Small corpora want it higher.
  double subsample = 1e-3;
  int buckets = 200'000;  // hash buckets for n-grams; memory while training is buckets * dim * 4 B
  int seed = 1;
  // Also emit each Han character of a multi-character Chinese word as its own token, at training
  // and at embedding time, so a shopper's wording that friso segments differently still overlaps.
  bool han_chars = true;
  // SIF smoothing: weight = a / (a + p(word)). Smaller a weighs frequent words down harder.
  double sif_a = 1e-2;
  // Principal components of the training sentences' vectors projected out of every sentence
  // vector (0 turns it off).
  int common_components = 1;
};

// Trains the own embedding on `corpus_texts` (raw text, one sentence or paragraph each; order
// matters only for reproducibility) and writes one self-contained, checksummed model file to
// `out_path`, replacing it atomically. Writes a temporary corpus file under the system temp dir.
// Takes roughly 10 s per 10 k short texts at the defaults (one core). Returns kInvalidArgument for
// bad options or a corpus without a single word, kUnavailable when `out_path` cannot be written and
// kInternal when fastText fails.
Status TrainEmbedding(const std::vector<std::string>& corpus_texts,
                      const EmbeddingTrainOptions& options, const std::string& out_path);

// Loads a model written by TrainEmbedding. Returns kNotFound when the file does not exist and
// kInvalidArgument when it is not a kefu embedding, is truncated or fails its checksum.
Result<std::unique_ptr<Embedder>> LoadEmbedding(const std::string& path);

struct OpenAiEmbedderOptions {
  // Up to and including the API version; "/embeddings" is appended. http:// or https://.
  std::string base_url = "http://127.0.0.1:8000/v1";
  std::string model;
  std::string api_key;  // sent as "Authorization: Bearer <key>" when not empty
  std::chrono::milliseconds timeout{10'000};  // for connecting, and for each send and receive
  int dim = 0;  // expected vector length; 0 learns it from the first response
  int max_batch = 64;
};

// An embedder that POSTs {"model", "input": [...]} to {base_url}/embeddings and reads
// data[i].embedding; vectors are L2-normalized here. Empty or blank texts are not sent and get a
// zero vector of dim() values (none while dim() is still 0). Keeps a few keep-alive connections for
// reuse. Returns kInvalidArgument for an unusable base_url, an empty model, or max_batch < 1.
Result<std::unique_ptr<Embedder>> NewOpenAiEmbedder(const OpenAiEmbedderOptions& options);

}  // namespace kefu::kb
