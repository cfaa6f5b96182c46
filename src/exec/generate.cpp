#include "raceit/exec/generate.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <memory>

#include "raceit/core/error.hpp"

namespace raceit::exec {

namespace {

// Concatenates [B, kv, P, hd] and [B, kv, T, hd] along the positions.
Tensor append_positions(const Tensor& cached, const Tensor& added) {
  const std::int64_t outer = added.dim(0) * added.dim(1), row = added.dim(3);
  const std::int64_t p = cached.dim(2), t = added.dim(2);
  Tensor out(DType::Float32, {added.dim(0), added.dim(1), p + t, row});
  auto o = out.floats();
  const auto c = cached.floats(), a = added.floats();
  for (std::int64_t i = 0; i < outer; ++i) {
    std::copy_n(c.begin() + i * p * row, p * row, o.begin() + i * (p + t) * row);
    std::copy_n(a.begin() + i * t * row, t * row, o.begin() + (i * (p + t) + p) * row);
  }
  return out;
}

void check_ids(const model::CausalLm& lm, const Tensor& ids) {
  if (ids.dtype() != DType::Int64 || ids.rank() != 2 || ids.dim(1) < 1)
    throw Error(ErrorKind::InvalidArgument,
                fmt::format("{}: token ids must be int64 [batch, tokens], got {}{}", lm.name, to_string(ids.dtype()),
                            to_string(ids.shape())));
  const auto v = ids.ints();
  for (std::size_t i = 0; i < v.size(); ++i)
    if (v[i] < 0 || v[i] >= lm.vocab())
      throw Error(ErrorKind::InvalidArgument, fmt::format("{}: token id {} at position {} is outside its vocabulary of {}",
                                                          lm.name, v[i], i, lm.vocab()));
}

// Index of the largest of the last position's logits of sequence 0 (the lowest on a tie).
std::int64_t last_argmax(const Tensor& logits) {
  const std::int64_t vocab = logits.dim(-1), t = logits.dim(1);
  const auto row = logits.floats().subspan(static_cast<std::size_t>((t - 1) * vocab), static_cast<std::size_t>(vocab));
  return std::max_element(row.begin(), row.end()) - row.begin();
}

}  // namespace

std::int64_t KvCache::bytes() const {
  std::int64_t n = 0;
  for (const auto& t : layers_) n += t.size() * 4;
  return n;
}

void KvCache::feed(std::map<std::string, Tensor>& inputs) const {
  for (std::size_t i = 0; i < layers_.size(); ++i)
    inputs[fmt::format("layer{}.attn.{}.past", i / 2, i % 2 == 0 ? "k" : "v")] = layers_[i];
}

void KvCache::append(std::span<const Tensor> present) {
  if (!layers_.empty() && present.size() != layers_.size())
    throw Error(ErrorKind::Internal, fmt::format("KV cache: {} tensors appended to a cache of {}", present.size(), layers_.size()));
  if (layers_.empty()) layers_.assign(present.begin(), present.end());
  else
    for (std::size_t i = 0; i < layers_.size(); ++i) layers_[i] = append_positions(layers_[i], present[i]);
  tokens_ += present.empty() ? 0 : present[0].dim(2);
}

GraphRunner fp32_runner(const ExecOptions& options) {
  return [options](const model::Graph& graph, const std::map<std::string, Tensor>& inputs) {
    return Executor(graph, OpTable::fp32(), options).run(inputs);
  };
}

GraphRunner raceit_runner(const RaceitExecutor& executor) {
  // Chunk indices of one run stay far below 2^32: run r reads as chunks r·2^32 + c.
  auto runs = std::make_shared<std::uint64_t>(0);
  return [&executor, runs](const model::Graph& graph, const std::map<std::string, Tensor>& inputs) {
    return executor.run_variant(graph, inputs, (*runs)++ << 32);
  };
}

IncrementalDecoder::IncrementalDecoder(const model::CausalLm& lm, GraphRunner runner) : lm_(lm), runner_(std::move(runner)) {}

Tensor IncrementalDecoder::feed(const Tensor& ids) {
  check_ids(lm_, ids);
  const model::Graph step = lm_.step_graph(cache_.tokens(), ids.dim(1));
  std::map<std::string, Tensor> inputs{{"ids", ids}};
  cache_.feed(inputs);
  auto outputs = runner_(step, inputs);
  cache_.append(std::span<const Tensor>(outputs).subspan(1));
  return std::move(outputs[0]);
}

Tensor run_sequence(const model::CausalLm& lm, const GraphRunner& runner, const Tensor& ids) {
  check_ids(lm, ids);
  return runner(lm.sequence_graph(ids.dim(1)), {{"ids", ids}}).at(0);
}

std::vector<std::int64_t> generate_greedy(const model::CausalLm& lm, const GraphRunner& runner,
                                          std::span<const std::int64_t> prompt, std::int64_t tokens, const ProgressFn& progress,
                                          const std::string& stage) {
  if (prompt.empty()) throw Error(ErrorKind::InvalidArgument, fmt::format("{}: the prompt has no tokens", lm.name));
  if (tokens < 1) throw Error(ErrorKind::InvalidArgument, fmt::format("{}: {} tokens to generate; at least 1", lm.name, tokens));
  const auto length = static_cast<std::int64_t>(prompt.size());
  if (length + tokens - 1 > lm.context())
    throw Error(ErrorKind::InvalidArgument,
                fmt::format("{}: a {}-token prompt and {} generated tokens need {} positions; its context is {}", lm.name, length,
                            tokens, length + tokens - 1, lm.context()));
  IncrementalDecoder decoder(lm, runner);
  std::vector<std::int64_t> out;
  Tensor logits = decoder.feed(Tensor::from_ints({1, length}, {prompt.begin(), prompt.end()}));
  for (std::int64_t k = 0; k < tokens; ++k) {
    out.push_back(last_argmax(logits));
    if (progress) progress(stage, k + 1, tokens);
    if (k + 1 < tokens) logits = decoder.feed(Tensor::from_ints({1, 1}, {out.back()}));
  }
  return out;
}

}  // namespace raceit::exec
