#pragma once
// Cost of generation: a built-in decoder (gpt2, llama-3.2-1b, llama-3.2-3b) reads a prompt of
// `prefill` tokens in one forward pass, then generates `decode` tokens one at a time, each step
// attending over the keys and values cached for every earlier position (docs/perf.md,
// "Generation").
//
// * Time to first token: the prompt's forward pass (CostStudy at `prefill` tokens, batch 1).
// * Decode step at context c (c − 1 cached tokens and the new one): the graph of one step
//   (model::ArchitectureConfig::past_tokens = c − 1) compiled and costed like any model. Its
//   weight matmuls see one row; q·Kᵀ and p·V run over the c cached rows on the engines the mapping
//   names. Steps are costed at `curve_points` contexts from prefill + 1 to prefill + decode; the
//   figures in between are linear interpolations (every per-token count is affine in c).
// * One sequence's token passes through the layers in order: its per-token latency is the decode
//   step's latency. Different sequences overlap in the layer pipeline (IMC): with B in flight a
//   round of B tokens takes max(one token's latency, B × the slowest stage's time per token).
//   A GPU runs the B sequences as one batched step.
// * KV cache: layers × 2 × kv_heads × head_dim values per token (IMC: mapping.activation_bits
//   each; GPU: the precision's bytes). IMC: it lives in the tile buffers of the chips the model
//   occupies; what does not fit spills to the next level, off-chip memory reached over the chips'
//   links, and every token reads its spilled share across them (priced as link bits, time on
//   one chip's links). GPU: device memory next to the weights.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "raceit/report/ppa.hpp"

namespace raceit::report {

struct GenerationRequest {
  std::int64_t prefill = 128;  // prompt tokens
  std::int64_t decode = 128;   // tokens generated after the prompt
  std::int64_t batch = 1;      // sequences in flight
  int curve_points = 5;        // decode contexts costed, the first and last included
};

struct DecodePoint {
  std::int64_t context = 0;  // positions attended: cached tokens + the new one
  double latency = 0;        // s per token of one sequence
  double energy = 0;         // J per token
};

struct KvCache {
  std::int64_t bytes_per_token = 0;   // one sequence, every layer, keys and values
  std::int64_t bytes = 0;             // batch × (prefill + decode) tokens
  std::int64_t capacity = 0;          // IMC: tile buffers of the chips in use; GPU: device memory the weights leave
  std::int64_t spilled_bytes = 0;     // beyond capacity, in the next level
  std::string placement;              // where it lives, in words
  double write_energy_per_token = 0;  // J: the new token's key and value rows written (in the decode energy)
  double spill_energy_per_token = 0;  // J: the spilled share read at the final context (added to it)
  double spill_time_per_token = 0;    // s, likewise
};

struct ChipHolding {
  int first_chip = 0, last_chip = 0;  // a stage larger than a chip spans several
  std::vector<std::string> layers;    // layers (first name component of their operators)
  std::int64_t crossbars = 0;
};

struct Generation {
  std::string model, arch, mode;     // mode: GPU software and precision
  std::string kind;                  // "imc" | "gpu"
  std::int64_t prefill_tokens = 0, decode_tokens = 0, batch = 1;
  Ppa prefill;                       // the prompt's forward pass, one sequence
  Ppa decode;                        // one decode step at the final context, one sequence
  double ttft = 0;                   // s: the prompt's forward pass to the first generated token
  double latency_per_token = 0;      // s per token at the final context
  double tokens_per_s = 0;           // one sequence, over the whole decode
  double tokens_per_s_in_flight = 0; // `batch` sequences in flight
  double energy_per_token = 0;       // J per generated token, mean over the decode (one sequence)
  std::vector<DecodePoint> curve;
  KvCache kv;
  std::vector<ChipHolding> holdings;  // IMC: what the chips hold, stage by stage
  double link_bits_per_token = 0;     // chip-to-chip traffic of one decode step (final context)
  double link_energy_share = 0;       // its share of the decode step's energy
  std::vector<std::string> notes;
};

// `arch`: preset or file with `overrides`; `options` as CostStudy's (dataset and dims must be empty:
// the built-in decoders are shapes only). Error(InvalidArgument) for a model other than a built-in
// decoder, or prefill, decode, batch or curve_points below 1.
Generation estimate_generation(const std::string& model, const CostStudy::Options& options, const std::string& arch,
                               const std::vector<std::string>& overrides, const GenerationRequest& request);

nlohmann::json to_json(const Generation& g);
std::string to_text(const Generation& g);
// Side by side, ratios against the first (> 1: the first is better).
nlohmann::json generation_comparison_json(const std::vector<Generation>& results);
std::string generation_comparison_text(const std::vector<Generation>& results);

}  // namespace raceit::report
