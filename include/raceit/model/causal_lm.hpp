#pragma once
// Trained causal language models shipped under models/ (models/char-lm, trained by
// tools/train_lm.py): a built-in decoder architecture (model/architectures.hpp) at the size its
// config.json gives, one .npy per weight under weights/, and a character tokenizer. The same
// builder makes the model's whole-sequence graph (what compile, calibration and eval --task lm
// see) and the graphs of incremental decoding: a step of `tokens` new tokens after `past` cached
// ones, whose keys and values are graph inputs and outputs (exec/generate.hpp keeps the cache).
// Every graph shares the node names and weights, so one compiled program runs them all.
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "raceit/core/tensor.hpp"
#include "raceit/model/architectures.hpp"
#include "raceit/model/datasets.hpp"
#include "raceit/model/graph.hpp"

namespace raceit::model {

// Email text as characters (tools/train_lm.py): every run of ASCII whitespace is one space and
// leading whitespace is dropped; then one token per byte: 1 = space, 2 … 95 = the printable
// bytes 33 … 126, 0 = any other byte.
class CharTokenizer {
 public:
  static constexpr std::int64_t kVocab = 96, kOther = 0, kSpace = 1;
  // Any bytes; those outside printable ASCII become kOther.
  static std::vector<std::int64_t> encode(std::string_view text);
  // A prompt: Error(InvalidArgument) naming the byte and its offset for one the vocabulary lacks.
  static std::vector<std::int64_t> encode_prompt(std::string_view text);
  // kOther prints as U+FFFD; Error(InvalidArgument) for an id outside the vocabulary.
  static std::string decode(std::span<const std::int64_t> ids);
};

struct CausalLm {
  std::string name;
  std::string folder;           // models/<name>
  ArchitectureConfig config;    // max_positions: the context it was trained on
  std::map<std::string, Tensor> weights;

  std::int64_t context() const { return config.max_positions; }
  std::int64_t vocab() const { return config.vocab; }
  std::int64_t layers() const { return config.layers; }
  // Logits [batch, tokens, vocab] of every position of `tokens` tokens: the model's graph.
  Graph sequence_graph(std::int64_t tokens) const;
  // `tokens` new tokens after `past` cached ones (input "ids" [batch, tokens] and, when past > 0,
  // layerN.attn.{k,v}.past [batch, kv_heads, past, head_dim]): outputs their logits [batch,
  // tokens, vocab], then their keys and values [batch, kv_heads, tokens, head_dim], layer by
  // layer, keys first. Error(InvalidArgument) when past + tokens exceeds the context.
  Graph step_graph(std::int64_t past, std::int64_t tokens) const;
};

// Names of the shipped causal language models.
std::vector<std::string> causal_lm_names();
bool is_causal_lm(const std::string& name);
// Reads models/<name>/config.json and its weights. Errors name the file and the problem.
CausalLm load_causal_lm(const std::string& name, const DataPaths& paths = default_data_paths());

}  // namespace raceit::model
