#include "raceit/report/generation.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>

#include "raceit/core/error.hpp"
#include "raceit/compiler/options.hpp"
#include "raceit/core/units.hpp"
#include "raceit/model/architectures.hpp"
#include "raceit/perf/components.hpp"
#include "raceit/perf/pricing.hpp"
#include "comparison.hpp"

namespace raceit::report {

namespace {

using comparison::seconds;
using comparison::joules;
using comparison::bytes;

model::ArchitectureConfig decoder_config(const std::string& model) {
  const auto names = model::architecture_names();
  const bool built_in = std::find(names.begin(), names.end(), model) != names.end();
  const model::ArchitectureConfig c = built_in ? model::architecture_config(model) : model::ArchitectureConfig{};
  if (!built_in || (c.family != model::Family::Gpt2Decoder && c.family != model::Family::LlamaDecoder))
    throw Error(ErrorKind::InvalidArgument,
                fmt::format("'{}': generation (--prefill/--decode) is costed for the built-in decoders gpt2, "
                            "llama-3.2-1b and llama-3.2-3b, whose decode steps raceit builds with a KV cache",
                            model));
  return c;
}

// A study of one decode step after `past` cached tokens, or of the prompt (past 0, `tokens` rows).
CostStudy study_at(const std::string& model, CostStudy::Options options, std::int64_t tokens, std::int64_t past) {
  options.sequence_length = tokens;
  options.past_tokens = past;
  return CostStudy(model, options);
}

// Contexts costed: `points` from prefill + 1 to prefill + decode, evenly spaced.
std::vector<std::int64_t> curve_contexts(const GenerationRequest& r) {
  const std::int64_t first = r.prefill + 1, last = r.prefill + r.decode;
  const std::int64_t n = std::min<std::int64_t>(r.curve_points, r.decode);
  if (n == 1) return {last};
  std::vector<std::int64_t> contexts;
  for (std::int64_t k = 0; k < n; ++k)
    contexts.push_back(first + static_cast<std::int64_t>(std::llround(static_cast<double>(k * (last - first)) /
                                                                      static_cast<double>(n - 1))));
  contexts.erase(std::unique(contexts.begin(), contexts.end()), contexts.end());
  return contexts;
}

// Piecewise-linear value of the curve at context c (constant beyond its ends).
template <class Field>
double at(const std::vector<DecodePoint>& curve, std::int64_t c, Field field) {
  if (c <= curve.front().context) return field(curve.front());
  for (std::size_t i = 1; i < curve.size(); ++i)
    if (c <= curve[i].context) {
      const double t = static_cast<double>(c - curve[i - 1].context) /
                       static_cast<double>(curve[i].context - curve[i - 1].context);
      return field(curve[i - 1]) + t * (field(curve[i]) - field(curve[i - 1]));
    }
  return field(curve.back());
}

template <class Field>
double mean_over_decode(const std::vector<DecodePoint>& curve, const GenerationRequest& r, Field field) {
  double sum = 0;
  for (std::int64_t c = r.prefill + 1; c <= r.prefill + r.decode; ++c) sum += at(curve, c, field);
  return sum / static_cast<double>(r.decode);
}

// The layer an operator of a built-in decoder belongs to: its name's first component.
std::string layer_name(const std::string& op) { return op.substr(0, op.find('.')); }

std::vector<ChipHolding> holdings_of(const Ppa& step) {
  std::vector<ChipHolding> chips(static_cast<std::size_t>(std::max(step.chips, 1)));
  for (std::size_t c = 0; c < chips.size(); ++c) chips[c].first_chip = chips[c].last_chip = static_cast<int>(c);
  for (const perf::StageReport& s : step.stages) {
    const std::int64_t spans = s.last_chip - s.chip + 1;
    for (int c = s.chip; c <= s.last_chip; ++c) {
      ChipHolding& h = chips[static_cast<std::size_t>(c)];
      // A stage larger than a chip fills every chip but its last.
      h.crossbars += s.crossbars / spans + (c == s.last_chip ? s.crossbars % spans : 0);
      for (const std::string& op : s.ops) {
        const std::string layer = layer_name(op);
        if (std::find(h.layers.begin(), h.layers.end(), layer) == h.layers.end()) h.layers.push_back(layer);
      }
    }
  }
  return chips;
}

// The KV cache's size, where it lives, and what writing and spilling it cost per token.
KvCache kv_cache_of(const model::ArchitectureConfig& c, const GenerationRequest& r, const arch::ArchSpec& spec,
                    const Ppa& step, const model::Graph& graph, double bytes_per_value) {
  KvCache kv;
  kv.bytes_per_token = static_cast<std::int64_t>(
      std::ceil(static_cast<double>(c.layers * 2 * c.kv_heads * c.head_dim) * bytes_per_value));
  kv.bytes = kv.bytes_per_token * (r.prefill + r.decode) * r.batch;
  if (spec.kind == arch::ArchKind::Gpu) {
    const double weights = static_cast<double>(graph.parameter_count()) * bytes_per_value;
    kv.capacity = std::max<std::int64_t>(0, static_cast<std::int64_t>(spec.gpu.memory_capacity - weights));
    kv.spilled_bytes = std::max<std::int64_t>(0, kv.bytes - kv.capacity);
    kv.placement = kv.spilled_bytes == 0
                       ? fmt::format("device memory, next to {} of weights", bytes(weights))
                       : fmt::format("does not fit device memory: {} beyond gpu.memory_capacity (not modelled)",
                                     bytes(static_cast<double>(kv.spilled_bytes)));
    return kv;
  }
  kv.capacity = static_cast<std::int64_t>(static_cast<double>(step.system_chips) * spec.imc.tiles * spec.imc.buffer_bytes);
  kv.spilled_bytes = std::max<std::int64_t>(0, kv.bytes - kv.capacity);
  const perf::ResolvedArch resolved = perf::resolve(spec);
  const auto accesses = static_cast<std::uint64_t>((kv.bytes_per_token * 8 + 255) / 256);
  kv.write_energy_per_token = perf::price_events(spec, resolved, EventCounts{.buffer_accesses = accesses}).total_energy;
  if (kv.spilled_bytes == 0) {
    kv.placement = fmt::format("tile buffers: {} of {} ({} chips x {} tiles x {})", bytes(static_cast<double>(kv.bytes)),
                               bytes(static_cast<double>(kv.capacity)), step.system_chips, spec.imc.tiles,
                               bytes(spec.imc.buffer_bytes));
    return kv;
  }
  // Each sequence reads its own cache every token; its spilled share comes over the links.
  const double spilled_per_sequence = static_cast<double>(kv.spilled_bytes) / static_cast<double>(r.batch);
  const perf::EventPricing link =
      perf::price_events(spec, resolved, EventCounts{.link_bits = static_cast<std::uint64_t>(spilled_per_sequence * 8)});
  kv.spill_energy_per_token = link.total_energy;
  kv.spill_time_per_token = link.latency_lower_bound;
  kv.placement = fmt::format("tile buffers full ({}); {} spill to off-chip memory over the chip links",
                             bytes(static_cast<double>(kv.capacity)), bytes(static_cast<double>(kv.spilled_bytes)));
  return kv;
}

// Spill cost at context c: what of one sequence's cache lies beyond the buffers then.
DecodePoint with_spill(DecodePoint p, const KvCache& kv, const GenerationRequest& r) {
  if (kv.spilled_bytes == 0) return p;
  const double total = static_cast<double>(kv.bytes_per_token * p.context * r.batch);
  const double share = std::max(0.0, total - static_cast<double>(kv.capacity)) / static_cast<double>(kv.spilled_bytes);
  p.latency += share * kv.spill_time_per_token;
  p.energy += share * kv.spill_energy_per_token;
  return p;
}

}  // namespace

Generation estimate_generation(const std::string& model, const CostStudy::Options& options, const std::string& arch,
                               const std::vector<std::string>& overrides, const GenerationRequest& request) {
  if (request.prefill < 1 || request.decode < 1 || request.batch < 1 || request.curve_points < 1)
    throw Error(ErrorKind::InvalidArgument,
                fmt::format("generation needs at least 1 prompt token, 1 generated token, 1 sequence and 1 curve "
                            "point (got {}, {}, {}, {})",
                            request.prefill, request.decode, request.batch, request.curve_points));
  const model::ArchitectureConfig config = decoder_config(model);
  const arch::ArchSpec spec = compiler::load_arch(arch::arch_path(arch), overrides);
  const bool gpu = spec.kind == arch::ArchKind::Gpu;
  Generation g;
  g.model = model;
  g.kind = arch::to_string(spec.kind);
  g.prefill_tokens = request.prefill;
  g.decode_tokens = request.decode;
  g.batch = request.batch;
  g.prefill = study_at(model, options, request.prefill, 0).estimate(arch, overrides, 1);
  g.arch = g.prefill.arch;
  g.mode = g.prefill.mode;
  g.ttft = g.prefill.latency;

  std::vector<DecodePoint> steps;
  std::int64_t last = 0;
  for (std::int64_t c : curve_contexts(request)) {
    g.decode = study_at(model, options, 1, c - 1).estimate(arch, overrides, 1);
    steps.push_back({c, g.decode.latency, g.decode.energy});
    last = c;
  }
  const CostStudy final_step = study_at(model, options, 1, last - 1);
  const double bytes_per_value =
      gpu ? (options.gpu_precision == perf::GpuPrecision::Int8   ? 1.0
             : options.gpu_precision == perf::GpuPrecision::Fp16 ? 2.0
                                                                 : 4.0)
          : spec.params.number("mapping.activation_bits") / 8.0;
  g.kv = kv_cache_of(config, request, spec, g.decode, final_step.graph(), bytes_per_value);
  for (const DecodePoint& p : steps) g.curve.push_back(with_spill(p, g.kv, request));

  const auto latency = [](const DecodePoint& p) { return p.latency; };
  const auto energy = [](const DecodePoint& p) { return p.energy; };
  g.latency_per_token = g.curve.back().latency;
  g.tokens_per_s = 1.0 / mean_over_decode(g.curve, request, latency);
  g.energy_per_token = mean_over_decode(g.curve, request, energy);
  const double b = static_cast<double>(request.batch);
  if (gpu) {
    // The B sequences decode as one batched step.
    const double step = request.batch == 1 ? g.decode.latency : final_step.estimate(arch, overrides, request.batch).latency;
    g.tokens_per_s_in_flight = b / step;
  } else {
    // Sequences overlap in the layer pipeline, spread evenly over its copies (mapping.chips); each
    // one's tokens follow one another.
    const double copies = g.decode.copies;
    const double round = std::max(1.0 / g.tokens_per_s, std::ceil(b / copies) * copies / g.decode.throughput);
    g.tokens_per_s_in_flight = b / round;
    g.holdings = holdings_of(g.decode);
    g.link_bits_per_token = g.decode.link_bits;
    g.link_energy_share = g.decode.energy > 0 ? g.decode.link_energy / g.decode.energy : 0;
  }
  g.notes = {
      fmt::format("prompt: {} tokens in one forward pass (time to first token); then {} tokens one at a time", request.prefill,
                  request.decode),
      fmt::format("decode steps costed at contexts {}; linear in between",
                  fmt::join([&] {
                    std::vector<std::int64_t> cs;
                    for (const auto& p : g.curve) cs.push_back(p.context);
                    return cs;
                  }(),
                            ", ")),
      gpu ? fmt::format("{} sequences in flight: one batched decode step", request.batch)
          : fmt::format("one sequence's token passes through the layers in order; {} sequences in flight overlap in the "
                        "layer pipeline (a round takes the larger of one token's latency and {} x the slowest stage)",
                        request.batch, request.batch),
      "KV cache: " + g.kv.placement};
  return g;
}

nlohmann::json to_json(const Generation& g) {
  nlohmann::json curve = nlohmann::json::array(), holdings = nlohmann::json::array();
  for (const DecodePoint& p : g.curve) curve.push_back({{"context", p.context}, {"latency_s", p.latency}, {"energy_j", p.energy}});
  for (const ChipHolding& h : g.holdings)
    holdings.push_back({{"chip", h.first_chip}, {"layers", h.layers}, {"crossbars", h.crossbars}});
  return {{"model", g.model},
          {"arch", g.arch},
          {"kind", g.kind},
          {"gpu_mode", g.mode},
          {"prefill_tokens", g.prefill_tokens},
          {"decode_tokens", g.decode_tokens},
          {"batch", g.batch},
          {"ttft_s", g.ttft},
          {"decode_latency_per_token_s", g.latency_per_token},
          {"decode_tokens_per_s", g.tokens_per_s},
          {"decode_tokens_per_s_in_flight", g.tokens_per_s_in_flight},
          {"energy_per_token_j", g.energy_per_token},
          {"kv_cache_bytes",
           {{"per_token", g.kv.bytes_per_token},
            {"total", g.kv.bytes},
            {"capacity", g.kv.capacity},
            {"spilled", g.kv.spilled_bytes},
            {"write_energy_per_token_j", g.kv.write_energy_per_token},
            {"spill_energy_per_token_j", g.kv.spill_energy_per_token},
            {"spill_time_per_token_s", g.kv.spill_time_per_token}}},
          {"kv_cache_placement", g.kv.placement},
          {"decode_curve", curve},
          {"chips", g.decode.chips},
          {"chip_holdings", holdings},
          {"link_bits_per_token", g.link_bits_per_token},
          {"link_energy_share", g.link_energy_share},
          {"prefill", to_json(g.prefill)},
          {"decode_step", to_json(g.decode)},
          {"notes", g.notes}};
}

std::string to_text(const Generation& g) {
  std::string s = fmt::format("{} on {}{}: {}-token prompt, {} generated tokens, {} sequence{} in flight\n", g.model, g.arch,
                              g.mode.empty() ? "" : " [" + g.mode + "]", g.prefill_tokens, g.decode_tokens, g.batch,
                              g.batch == 1 ? "" : "s");
  s += fmt::format("time to first token      {}\n", seconds(g.ttft));
  s += fmt::format("latency per token        {} at context {}\n", seconds(g.latency_per_token), g.curve.back().context);
  s += fmt::format("tokens/s                 {:.4g} (one sequence), {:.4g} ({} in flight)\n", g.tokens_per_s,
                   g.tokens_per_s_in_flight, g.batch);
  s += fmt::format("energy per token         {} (mean over the decode)\n", joules(g.energy_per_token));
  s += fmt::format("KV cache                 {} per token, {} in all; {}\n", bytes(static_cast<double>(g.kv.bytes_per_token)),
                   bytes(static_cast<double>(g.kv.bytes)), g.kv.placement);
  if (g.kind == "imc")
    s += fmt::format("KV write per token       {}{}\n", joules(g.kv.write_energy_per_token),
                     g.kv.spilled_bytes > 0 ? fmt::format("; spill read {} and {}", joules(g.kv.spill_energy_per_token),
                                                          seconds(g.kv.spill_time_per_token))
                                            : "");
  s += "\ndecode curve (per token)\n  context      latency       energy\n";
  for (const DecodePoint& p : g.curve) s += fmt::format("  {:>7} {:>12} {:>12}\n", p.context, seconds(p.latency), joules(p.energy));
  if (g.kind == "imc") {
    s += fmt::format("\n{} chip{}; links carry {:.4g} bits per token ({:.1f}% of its energy)\n", g.decode.chips,
                     g.decode.chips == 1 ? "" : "s", g.link_bits_per_token, 100 * g.link_energy_share);
    for (const ChipHolding& h : g.holdings)
      s += fmt::format("  chip {:>2}: {:>7} crossbars  {}\n", h.first_chip, h.crossbars, fmt::join(h.layers, " "));
  }
  s += "\nmodel\n";
  for (const auto& n : g.notes) s += "  " + n + "\n";
  return s;
}

nlohmann::json generation_comparison_json(const std::vector<Generation>& results) {
  const Generation& ref = comparison::reference(results);
  return {{"model", ref.model},
          {"prefill_tokens", ref.prefill_tokens},
          {"decode_tokens", ref.decode_tokens},
          {"batch", ref.batch},
          {"reference", ref.arch},
          {"ratios",
           "speedup_per_token = latency per token / the reference's; energy_ratio_per_token = energy per token / the "
           "reference's (> 1: the reference is better)"},
          {"archs", comparison::with_ratios<Generation>(
                        results, {{.key = "speedup_per_token",
                                   .of = [](const Generation& g, const Generation& ref) {
                                     return g.latency_per_token / ref.latency_per_token;
                                   }},
                                  {.key = "energy_ratio_per_token",
                                   .of = [](const Generation& g, const Generation& ref) {
                                     return g.energy_per_token / ref.energy_per_token;
                                   }}})}};
}

std::string generation_comparison_text(const std::vector<Generation>& results) {
  const Generation& ref = comparison::reference(results);
  std::string s = fmt::format("{}: {}-token prompt, {} generated tokens, {} sequence{} in flight; ratios: the other design "
                              "over {} (> 1: {} is better)\n\n",
                              ref.model, ref.prefill_tokens, ref.decode_tokens, ref.batch, ref.batch == 1 ? "" : "s",
                              ref.arch, ref.arch);
  s += fmt::format("{:<22} {:>10} {:>11} {:>10} {:>11} {:>11} {:>10} {:>6} {:>6} {:>9} {:>9}\n", "arch", "TTFT",
                   "latency/tok", "tok/s", fmt::format("tok/s x{}", ref.batch), "energy/tok", "KV cache", "chips", "link%",
                   "speed-up", "energy");
  for (const Generation& g : results)
    s += fmt::format("{:<22} {:>10} {:>11} {:>10.4g} {:>11.4g} {:>11} {:>10} {:>6} {:>6} {:>9.3g} {:>9.3g}\n",
                     comparison::arch_label(g.arch, g.mode), seconds(g.ttft), seconds(g.latency_per_token),
                     g.tokens_per_s, g.tokens_per_s_in_flight, joules(g.energy_per_token), bytes(static_cast<double>(g.kv.bytes)),
                     g.kind == "imc" ? fmt::format("{}", g.decode.chips) : "-",
                     g.kind == "imc" ? fmt::format("{:.1f}", 100 * g.link_energy_share) : "-",
                     g.latency_per_token / ref.latency_per_token, g.energy_per_token / ref.energy_per_token);
  s += "\nKV cache placement\n";
  for (const Generation& g : results) s += fmt::format("  {:<20} {}\n", g.arch, g.kv.placement);
  return s;
}

}  // namespace raceit::report
