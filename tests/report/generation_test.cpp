#include "raceit/report/generation.hpp"

#include <gtest/gtest.h>

#include "raceit/core/error.hpp"
#include "raceit/exec/compile.hpp"
#include "raceit/arch/arch.hpp"

namespace raceit::report {

namespace {

const compiler::LoweredOp& op_named(const compiler::Program& p, const std::string& node) {
  for (const auto& op : p.ops)
    if (op.node == node) return op;
  throw Error(ErrorKind::Internal, "no op " + node);
}

compiler::Program gpt2(std::int64_t tokens, std::int64_t past) {
  return exec::compile_model({.model = "gpt2", .sequence_length = tokens, .past_tokens = past}).program;
}

}  // namespace

// One GPT-2 layer's events for one token at context c = 200 (199 cached), derived by hand from
// the shapes: 12 heads of 64, 8-bit activations.
TEST(Generation, OneLayersDecodeEventsByHand) {
  const std::uint64_t c = 200, heads = 12, hd = 64;
  const compiler::Program step = gpt2(1, c - 1);
  // q·Kᵀ: heads × c scores of hd products each; p·V: heads × hd outputs of c products each. Each
  // 8×8 product is 4 nibble lookups and 3 adds; each output sums its products with k − 1 adds.
  const EventCounts scores = op_named(step, "layer0.attn.scores").events;
  EXPECT_EQ(scores.race_2var_lookups, 4 * heads * c * hd);
  EXPECT_EQ(scores.digital_adds, 3 * heads * c * hd + heads * c * (hd - 1));
  // Buffer: q (heads·hd), all c cached keys (heads·c·hd) read, heads·c scores written, 256 bits each.
  EXPECT_EQ(scores.buffer_accesses, ((heads * hd + heads * c * hd + heads * c) * 8 + 255) / 256);
  const EventCounts context = op_named(step, "layer0.attn.context").events;
  EXPECT_EQ(context.race_2var_lookups, 4 * heads * hd * c);
  EXPECT_EQ(context.buffer_accesses, ((heads * c + heads * c * hd + heads * hd) * 8 + 255) / 256);
  // Softmax over one row of c per head: exp per score, one reciprocal per head.
  EXPECT_EQ(op_named(step, "layer0.attn.probs").events.race_1var_lookups, heads * c + heads);
  // A weight matmul's events per token are its 128-token prefill's over 128: rows are independent.
  const compiler::Program prefill = gpt2(128, 0);
  for (const char* w : {"layer0.attn.qkv", "layer0.attn.out", "layer0.ffn.fc1"}) {
    EventCounts per_token = op_named(prefill, w).events;
    EventCounts decode = op_named(step, w).events;
    for (const auto& [name, n] : per_token.fields()) EXPECT_EQ(*decode.field(name) * 128, n) << w << " " << name;
  }
  // The decode step's attention is the same layer's, so the crossbars are the same arrays.
  EXPECT_EQ(op_named(step, "layer0.attn.qkv").placement.crossbars, op_named(prefill, "layer0.attn.qkv").placement.crossbars);
}

// KV bytes: layers × 2 × kv_heads × head_dim at 8 bits (raceit) or 2 bytes (GPU fp16); the
// tile buffers of the chips hold it until they are full, and the rest crosses the links.
TEST(Generation, KvCacheBytesAndPlacement) {
  const GenerationRequest r{.prefill = 128, .decode = 128, .batch = 8, .curve_points = 2};
  const Generation imc = estimate_generation("gpt2", {}, "raceit", {}, r);
  EXPECT_EQ(imc.kv.bytes_per_token, 12 * 2 * 12 * 64);
  EXPECT_EQ(imc.kv.bytes, 12 * 2 * 12 * 64 * 256 * 8);
  const std::int64_t capacity = imc.decode.chips * 256 * 64 * 1024;  // raceit: 256 tiles of 64 KiB per chip
  EXPECT_EQ(imc.kv.capacity, capacity);
  EXPECT_EQ(imc.kv.spilled_bytes, std::max<std::int64_t>(0, imc.kv.bytes - capacity));
  ASSERT_GT(imc.kv.spilled_bytes, 0) << "8 sequences of 256 GPT-2 tokens fill two chips' buffers";
  // The spilled share of one sequence's cache crosses a 30 pJ/bit link every token.
  const double expected = static_cast<double>(imc.kv.spilled_bytes) / 8 * 8 * 30e-12;
  EXPECT_NEAR(imc.kv.spill_energy_per_token, expected, 1e-9 * expected);
  // Writing a token's keys and values: ceil(18432·8 / 256) buffer accesses.
  EXPECT_GT(imc.kv.write_energy_per_token, 0);
  CostStudy::Options fp16;
  fp16.gpu_precision = perf::GpuPrecision::Fp16;
  const Generation gpu = estimate_generation("llama-3.2-1b", fp16, "h100", {}, {.prefill = 128, .decode = 16, .batch = 1, .curve_points = 2});
  EXPECT_EQ(gpu.kv.bytes_per_token, 16 * 2 * 8 * 64 * 2);
  EXPECT_EQ(gpu.kv.spilled_bytes, 0);
}

// The curve rises with the context; the figures follow from it; a bigger model is slower per token.
TEST(Generation, CurveAndTokenRates) {
  const GenerationRequest r{.prefill = 64, .decode = 64, .batch = 4, .curve_points = 3};
  const Generation g = estimate_generation("llama-3.2-1b", {}, "raceit", {}, r);
  ASSERT_EQ(g.curve.size(), 3u);
  EXPECT_EQ(g.curve.front().context, 65);
  EXPECT_EQ(g.curve.back().context, 128);
  EXPECT_LT(g.curve.front().latency, g.curve.back().latency);
  EXPECT_LT(g.curve.front().energy, g.curve.back().energy);
  EXPECT_DOUBLE_EQ(g.latency_per_token, g.curve.back().latency);
  EXPECT_GT(g.tokens_per_s, 1 / g.curve.back().latency);
  EXPECT_LT(g.tokens_per_s, 1 / g.curve.front().latency);
  EXPECT_LE(g.tokens_per_s_in_flight, 4 * g.tokens_per_s * (1 + 1e-12));
  EXPECT_GT(g.tokens_per_s_in_flight, g.tokens_per_s);
  EXPECT_DOUBLE_EQ(g.ttft, g.prefill.latency);
  const Generation big = estimate_generation("llama-3.2-3b", {}, "raceit", {}, r);
  EXPECT_GT(big.latency_per_token, g.latency_per_token);
  EXPECT_GT(big.energy_per_token, g.energy_per_token);
}

// On the same silicon (mapping.chips = 32, the chips llama-3.2-3b needs: GPT-2 runs 16 copies,
// llama-3.2-1b 2, 3B 1) a bigger model is slower per token: in prefill (128-token prompts,
// pipelined), in decode for one sequence and for 32 in flight. Each chip's RACE arrays serve only
// its own operators, so a model's extra chips do not lend their arrays to other layers.
TEST(Generation, OnTheSameSiliconABiggerModelIsNotFasterPerToken) {
  const GenerationRequest r{.prefill = 128, .decode = 128, .batch = 32, .curve_points = 2};
  std::vector<Generation> g;
  for (const char* model : {"gpt2", "llama-3.2-1b", "llama-3.2-3b"})
    g.push_back(estimate_generation(model, {}, "raceit", {"mapping.chips=32"}, r));
  EXPECT_EQ(g[0].prefill.copies, 16);
  EXPECT_EQ(g[1].prefill.copies, 2);
  EXPECT_EQ(g[2].prefill.copies, 1);
  for (std::size_t k = 1; k < g.size(); ++k) {
    EXPECT_EQ(g[k].prefill.system_chips, 32);
    EXPECT_LT(g[k].prefill.throughput, g[k - 1].prefill.throughput) << k;  // 128-token prompts per second
    EXPECT_GT(g[k].ttft, g[k - 1].ttft) << k;
    EXPECT_GT(g[k].latency_per_token, g[k - 1].latency_per_token) << k;
    EXPECT_LT(g[k].tokens_per_s, g[k - 1].tokens_per_s) << k;
    EXPECT_LT(g[k].tokens_per_s_in_flight, g[k - 1].tokens_per_s_in_flight) << k;
  }
}

TEST(Generation, OnlyBuiltInDecoders) {
  EXPECT_THROW(estimate_generation("bert-base", {}, "raceit", {}, {}), Error);
  EXPECT_THROW(estimate_generation("gpt2", {}, "raceit", {}, {.prefill = 0}), Error);
}

}  // namespace raceit::report
