#pragma once
// Built-in Transformer architectures by shape, for cost studies: BERT-base/large, ViT-B/16,
// GPT-2 small, Llama-3.2-1B/3B (public configurations; race-it.md §3.4). Graphs are shape-only
// by default (weights have shapes but no values, so billion-parameter models cost nothing to
// build); with weights they get seeded synthetic values (N(0, 0.02²) from CounterRng stream
// kData; norm scales 1, biases 0) and run on the executor.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "raceit/model/graph.hpp"

namespace raceit::model {

enum class Family {
  BertEncoder,  // post-LN, GELU FFN, learned positions + token types, pooler (dense + tanh)
  VisionTransformer,  // patch-embedding Conv, CLS token, pre-LN, GELU FFN, classifier on CLS
  Gpt2Decoder,  // pre-LN, GELU FFN, causal mask, tied LM head on the last token
  LlamaDecoder,  // pre-RMSNorm, RoPE, grouped-query attention, SwiGLU FFN, no biases, tied head
};

struct ArchitectureConfig {
  std::string name;
  Family family = Family::BertEncoder;
  std::int64_t layers = 12, hidden = 768, heads = 12, kv_heads = 12, head_dim = 64, ffn = 3072;
  std::int64_t vocab = 30522, max_positions = 512, seq_len = 128;
  // Decoders only: tokens already in the KV cache. 0 is a forward pass over seq_len tokens (a
  // prefill); > 0 is one decode step: seq_len new tokens (usually 1) whose keys and values join
  // the cached ones, read from the graph inputs layerN.attn.{k,v}.past [batch, kv_heads,
  // past_tokens, head_dim], so attention runs over past_tokens + seq_len positions.
  std::int64_t past_tokens = 0;
  // Decoders only, for functional runs of a trained decoder (model/causal_lm.hpp): the logits of
  // every position [batch, seq_len, vocab] instead of the last token's; with cache_outputs, the
  // new tokens' keys and values [batch, kv_heads, seq_len, head_dim] (after RoPE) follow them as
  // graph outputs, layer by layer, keys before values.
  bool logits_at_every_position = false;
  bool cache_outputs = false;
  std::int64_t image = 224, patch = 16, channels = 3, classes = 1000;  // vision only
  double norm_epsilon = 1e-12;
  double rope_theta = 500000.0;  // Llama only
};

// Names accepted by architecture_config, in a stable order.
std::vector<std::string> architecture_names();
// Throws Error(InvalidArgument) listing the known names for an unknown one.
ArchitectureConfig architecture_config(const std::string& name);

Graph build_architecture(const ArchitectureConfig& config, bool with_weights = false, std::uint64_t seed = 0);
// The same graph with the given weights (a trained model), by the builder's weight names.
// Error(InvalidArgument) naming the weight for a missing one or a shape that differs.
Graph build_architecture(const ArchitectureConfig& config, const std::map<std::string, Tensor>& weights);

}  // namespace raceit::model
