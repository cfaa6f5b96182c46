#pragma once
// Generation with a trained causal language model (model/causal_lm.hpp): an incremental decoder
// that keeps each layer's keys and values in a KV cache, so that a prompt runs once (the prefill)
// and every further token is one step over the cache, on the FP32 executor or the RACE-IT
// functional executor; and greedy decoding on it.
//
// Exactness. In ideal mode a step's logits equal those of the whole prefix run at once, bit for
// bit: every operator computes each position from that position's inputs and the cached keys and
// values alone, with the program's static quantisers (calibrated once on whole sequences, never
// on the step's data), and the RACE-IT engines sum in integers (crossbar bit planes on integer
// levels, sign-magnitude products) or per row in a fixed order (softmax, norms). In FP32 they
// agree to rounding only: OpenBLAS's sgemm sums in an order that depends on the row count.
// docs/compiler.md, "Incremental decoding".
#include <cstdint>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "raceit/core/progress.hpp"
#include "raceit/core/tensor.hpp"
#include "raceit/exec/executor.hpp"
#include "raceit/exec/raceit_executor.hpp"
#include "raceit/model/causal_lm.hpp"

namespace raceit::exec {

// Keys and values of every cached position, per layer: [batch, kv_heads, tokens, head_dim].
class KvCache {
 public:
  std::int64_t tokens() const { return tokens_; }
  // Bytes of float32 keys and values held.
  std::int64_t bytes() const;
  // Adds the cache to a step's inputs (layerN.attn.{k,v}.past); nothing while it is empty.
  void feed(std::map<std::string, Tensor>& inputs) const;
  // Appends a step's keys and values: the outputs after the logits (model::CausalLm::step_graph).
  void append(std::span<const Tensor> present);

 private:
  std::vector<Tensor> layers_;  // keys and values of layer 0, then layer 1, …
  std::int64_t tokens_ = 0;
};

// Runs one graph of a causal language model (whole sequence or decode step) on some executor.
using GraphRunner = std::function<std::vector<Tensor>(const model::Graph& graph, const std::map<std::string, Tensor>& inputs)>;

// The FP32 executor.
GraphRunner fp32_runner(const ExecOptions& options = {});
// The RACE-IT functional executor (RaceitExecutor::run_variant), which must outlive the runner;
// each run draws fresh per-read noise.
GraphRunner raceit_runner(const RaceitExecutor& executor);

class IncrementalDecoder {
 public:
  // `lm` must outlive the decoder.
  IncrementalDecoder(const model::CausalLm& lm, GraphRunner runner);
  // Runs `ids` [batch, T] after the cached tokens (the first call is the prefill): returns their
  // logits [batch, T, vocab] and caches their keys and values. Error(InvalidArgument) for ids
  // outside the vocabulary or beyond the context.
  Tensor feed(const Tensor& ids);
  const KvCache& cache() const { return cache_; }

 private:
  const model::CausalLm& lm_;
  GraphRunner runner_;
  KvCache cache_;
};

// Logits [batch, T, vocab] of the whole sequence `ids` [batch, T] run at once, without a cache.
Tensor run_sequence(const model::CausalLm& lm, const GraphRunner& runner, const Tensor& ids);

// Greedy decoding of one sequence: the prompt as one prefill, then `tokens` steps of one token,
// each the argmax of the last logits (the lowest id on a tie). Returns the generated ids.
// `progress` (may be empty) hears "<stage>" done/total after every token.
std::vector<std::int64_t> generate_greedy(const model::CausalLm& lm, const GraphRunner& runner,
                                          std::span<const std::int64_t> prompt, std::int64_t tokens,
                                          const ProgressFn& progress = {}, const std::string& stage = "generate");

}  // namespace raceit::exec
