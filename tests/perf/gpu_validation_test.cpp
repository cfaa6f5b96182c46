// The GPU model against one measured H100 (tests/perf/data/h100-measured.json, a copy of
// shared/reference/gpu/h100-measured.json; its README gives the method). Every measured row,
// cudagraph and eager, within 30% in latency and energy: forward and prefill rows (issue 13 asks
// 30% of cudagraph rows, 35% of eager ones) and per-token decode rows (issue 15: the decode step of
// the built-in graph with its KV cache at the mean context of the measured tokens).
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "raceit/core/source_dir.hpp"
#include "raceit/model/architectures.hpp"
#include "raceit/perf/gpu.hpp"
#include "raceit/compiler/options.hpp"

namespace raceit::perf {

using arch::ArchSpec;
using arch::arch_path;
using compiler::load_arch;

namespace {

struct Row {
  std::string model, dtype, mode;
  std::int64_t batch = 1, seq = 128;
  double latency = 0, energy = 0;
};

std::vector<Row> measured_rows() {
  std::ifstream in(raceit::source_dir() + "/tests/perf/data/h100-measured.json");
  const nlohmann::json doc = nlohmann::json::parse(in);
  std::vector<Row> rows;
  for (const auto& r : doc.at("rows")) {
    if (r.at("phase") == "decode") continue;
    rows.push_back({r.at("model"), r.at("dtype"), r.at("mode"), r.at("batch"), r.at("seq"), r.at("latency_s"),
                    r.at("energy_j")});
  }
  return rows;
}

const model::Graph& graph_of(const std::string& name, std::int64_t seq) {
  static std::map<std::pair<std::string, std::int64_t>, model::Graph> graphs;
  auto it = graphs.find({name, seq});
  if (it == graphs.end()) {
    model::ArchitectureConfig c = model::architecture_config(name);
    if (name != "vit-b16") c.seq_len = seq;
    it = graphs.emplace(std::pair{name, seq}, model::build_architecture(c)).first;
  }
  return it->second;
}

struct DecodeRow {
  std::string model, dtype, mode;
  std::int64_t prefill = 128, tokens = 0;
  double latency = 0, energy = 0;  // per token; energy 0 where not measured
};

std::vector<DecodeRow> measured_decode_rows() {
  std::ifstream in(raceit::source_dir() + "/tests/perf/data/h100-measured.json");
  const nlohmann::json doc = nlohmann::json::parse(in);
  std::vector<DecodeRow> rows;
  for (const auto& r : doc.at("rows"))
    if (r.at("phase") == "decode")
      rows.push_back({r.at("model"), r.at("dtype"), r.at("mode"), r.at("seq"), r.at("decode_tokens"),
                      r.at("latency_per_token_s"), r.value("energy_per_token_j", 0.0)});
  return rows;
}

}  // namespace

// Every measured decode row: one token after `prefill` cached ones and half the generated tokens
// (per-token cost is affine in the context, so the mean context gives the mean token).
TEST(GpuValidation, DecodeRowsPerToken) {
  const std::vector<DecodeRow> rows = measured_decode_rows();
  ASSERT_EQ(rows.size(), 6u);
  for (const DecodeRow& row : rows) {
    model::ArchitectureConfig c = model::architecture_config(row.model);
    c.seq_len = 1;
    c.past_tokens = row.prefill + row.tokens / 2;
    const bool graph = row.mode == "cudagraph";
    const ArchSpec h100 = load_arch(arch_path("h100"), {graph ? "gpu.software=graph" : "gpu.software=eager"});
    const GpuEstimate e = estimate_gpu(model::build_architecture(c), h100, {.sequence_length = 1, .batch = 1, .precision = GpuPrecision::Fp16});
    const std::string name = fmt::format("{} decode {}", row.model, row.mode);
    const double latency_error = e.latency / row.latency - 1, energy_error = row.energy > 0 ? e.energy / row.energy - 1 : 0;
    const std::string what = fmt::format("| {} {} after {} | {:.3g} | {:.3g} | {:+.0f}% | {:.3g} | {:.3g} | {:+.0f}% |",
                                         name, row.dtype, row.prefill, e.latency * 1e3, row.latency * 1e3,
                                         100 * latency_error, e.energy, row.energy, 100 * energy_error);
    std::printf("%s\n", what.c_str());
    EXPECT_LE(std::abs(latency_error), 0.30) << what;
    EXPECT_LE(std::abs(energy_error), 0.30) << what;
  }
}

TEST(GpuValidation, EveryMeasuredH100RowWithinTolerance) {
  const std::vector<Row> rows = measured_rows();
  ASSERT_EQ(rows.size(), 23u);  // 29 rows, 6 of them per-token decode
  for (const Row& row : rows) {
    const bool graph = row.mode == "cudagraph";
    const ArchSpec h100 = load_arch(arch_path("h100"), {graph ? "gpu.software=graph" : "gpu.software=eager"});
    const GpuEstimate e = estimate_gpu(graph_of(row.model, row.seq), h100,
                                       {.sequence_length = row.seq,
                                        .batch = row.batch,
                                        .precision = row.dtype == "float32" ? GpuPrecision::Fp32 : GpuPrecision::Fp16});
    const std::string name = fmt::format("{} b{} seq{} {} {}", row.model, row.batch, row.seq, row.dtype, row.mode);
    const double latency_error = e.latency / row.latency - 1, energy_error = e.energy / row.energy - 1;
    const std::string what = fmt::format("| {} | {:.3g} | {:.3g} | {:+.0f}% | {:.3g} | {:.3g} | {:+.0f}% |", name,
                                         e.latency * 1e3, row.latency * 1e3, 100 * latency_error, e.energy, row.energy,
                                         100 * energy_error);
    std::printf("%s\n", what.c_str());
    EXPECT_LE(std::abs(latency_error), 0.30) << what;
    EXPECT_LE(std::abs(energy_error), 0.30) << what;
  }
}

}  // namespace raceit::perf
